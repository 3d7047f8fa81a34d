"""Playbooks: a run declared as data (``playbooks/*.yaml``), executed step by step by one runner."""
