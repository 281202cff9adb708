"""The notifications service's abilities: `commands/` (one file per use case), `policies/`
(one file per inbound event), `queries/` (one file per read of a case)."""
