"""The panel domain (no I/O): the facts as types (`values.py`), schedules, thresholds, quorum
and each tier's package terms (pure rules), and the Meeting, PanelCase and Plan aggregates,
each event declared once with its state change."""
