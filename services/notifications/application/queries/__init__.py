"""The notifications service's reads, one file each: each read of a case asks the one
access policy and is recorded (`maag.runtime.queries.read_case`)."""
