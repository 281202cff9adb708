"""MAAG: event-sourced multi-agency commissioning for vulnerable children."""
