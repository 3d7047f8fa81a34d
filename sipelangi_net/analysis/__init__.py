"""Needs analysis and preparation (SOP steps 4-5)."""
