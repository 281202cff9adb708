"""Adapters: HTTP (`http.py`), the inbound topics' table (`inbound.py`), the outbox's
translators (`translate.py`), the reports' and the boards' projections, CSV."""
