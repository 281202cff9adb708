"""What the panel does when another service's event arrives: one policy per inbound event
(`adapters/inbound.py` routes each event type to its policy), each over the consumer's unit
of work, idempotent however often the event arrives."""
