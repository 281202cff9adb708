"""The plumbing every MAAG service shares: settings, logging, event store, outbox relay, consumers."""
