"""The panel's abilities, a file each: `commands/` (the use cases, one registry), `policies/`
(one per inbound event), `queries/` (the reads, each authorised and recorded); with what
decisions and plan changes share, and how the aggregates are found."""
