"""The panel's reads, one file each: each read of a case's data asks the one access policy
and is recorded (`maag.runtime.queries.read_case`); a list that shows cases records a read
of each."""
