"""Scheduled compliance checks and configuration backup.

The stage is pure in the middle: :func:`~sipelangi_net.compliance.intended.intended_configs`
(inventory + provisioned tickets → the intended config of every device) and
:func:`~sipelangi_net.compliance.compare.check_device` (running + intended → per-feature verdict,
missing/extra lines, remediation). The edges are :mod:`.collect` (Nornir threaded runner),
:mod:`.backup` (git history of scrubbed configs), :mod:`.report` (JSON, HTML, terminal),
:mod:`.faults` (one fault ticket per device and finding), :mod:`.remediate` (the safe push of
:mod:`sipelangi_net.change.push`) and :mod:`.lock` (runs never overlap). :func:`.run.run_compliance`
ties them together for the CLI and, later, a playbook.
"""
