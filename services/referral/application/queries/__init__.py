"""What the referral service answers, one file per read. Each read of a case's data asks the
one access policy and is recorded on the case (`maag.runtime.queries.read_case`) before the
answer goes; each answer is a typed model (the API's response)."""
