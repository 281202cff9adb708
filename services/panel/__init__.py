"""Panel service: MAAG, EARP and JAP panels — meetings, agendas, quorum, decisions, escalation."""
