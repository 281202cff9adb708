"""What the referral service does when a message arrives, one file per kind: a submission
from an agency's system (taken, or rejected with reasons), and the panel's events that
decide who may act on a case here (its lead professional, its tier, its closure). Each is
`on_<event>(delivery, work)`, reached from the table of its topic (`adapters/inbound.py`)."""
