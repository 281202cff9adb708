"""Tamper evidence and the auditor's view: the hash chain and its keys, anchors, the case
index, audited reads, a case's history and timeline, and the audit API."""
