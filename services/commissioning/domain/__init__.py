"""The commissioning domain: money and capacity rules (pure) and the Provider, Budget,
Package and CasePackages aggregates (no I/O)."""
