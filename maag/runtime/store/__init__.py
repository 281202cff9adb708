"""The event store a service writes to: the application, units of work, migrations, group
commit, idempotency, incarnations and reading one's own writes."""
