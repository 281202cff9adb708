"""The panel domain: schedules, thresholds, quorum (pure rules) and the Meeting and PanelCase
aggregates (no I/O)."""
