"""The commissioning domain (no I/O): its facts as types (`values.py`), money and capacity
rules (`rules.py`, pure), the Provider, Budget, Package and CasePackages aggregates, and
what the savings and the boards' reports count (`savings.py`, `boards.py`)."""
