"""What commissioning does when the panel or the referral service says something: one
policy per inbound event (`adapters/inbound.py` routes each event type here), each over
the consumer's unit of work and idempotent however often the event arrives."""
