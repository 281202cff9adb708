"""The referral domain: pure rules and the Referral aggregate (no I/O)."""
