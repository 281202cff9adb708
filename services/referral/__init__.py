"""Referral service: intake from agencies (HTTP and topic), consent, safeguarding basis, triage.

The only service that holds a child's personal details; they are encrypted at rest and
never leave it on a shared topic or in a log.
"""
