"""The four MAAG services (referral, panel, commissioning, notifications), one package each."""
