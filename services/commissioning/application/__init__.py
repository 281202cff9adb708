"""Commissioning's abilities, each a file: `commands/` (what changes, one registry),
`policies/` (one per inbound event, each dispatching a command), `queries/` (each read,
authorised, a case's read recorded). `app.py` is the application itself."""
