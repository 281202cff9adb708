"""Kafka: clients and topics, FastStream's subscribers and publishers, the tracked consumer
with its dead letters, the outbox relay and what each stored event class publishes."""
