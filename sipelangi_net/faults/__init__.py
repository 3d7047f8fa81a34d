"""The fault side (SOP "Penanganan Gangguan Jaringan Intra Pemerintah"): fault tickets beside tickets/.

``sop.py`` the fault SOP as data, ``standards.py`` the time standards the team sets
(``inventory/fault_standards.yaml``), ``models.py`` the fault ticket as typed frozen values,
``workflow.py`` the pure moves and times, ``topology.py`` the dependency tree the monitor sees
(from the inventory), ``correlate.py`` observations to fault decisions (docs/faults.md).
"""
