"""Prometheus metrics every service exposes at /metrics: the failures an operator alerts on."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DEAD_LETTERS = Counter(
    "maag_dead_letters",
    "Messages a consumer could not process and wrote to the dead-letter topic.",
    ["consumer", "topic"],
)
CONSUMER_RETRIES = Counter(
    "maag_consumer_retries",
    "Batches a consumer had to retry (store or broker unavailable, or a conflict).",
    ["consumer", "error"],
)
OUTBOX_BLOCKED = Gauge(
    "maag_outbox_blocked",
    "1 while the outbox relay has stopped at an event it cannot publish (alert on it).",
    ["service"],
)
LOOP_FAILURES = Counter(
    "maag_loop_retries",
    "Failed passes of a log follower (projection, chain, relay, sender) that is retrying.",
    ["loop"],
)
SMTP_RETRIES = Counter(
    "maag_smtp_retries",
    "Emails the mail server refused for now (4xx, connection refused, timeout), retried.",
)
HTTP_REQUESTS = Histogram(
    "maag_http_request_seconds",
    "HTTP requests by route (its template, never an id), method and status, and how long.",
    ["route", "method", "status"],
)
CONSUMER_LAG = Gauge(
    "maag_consumer_lag",
    "Records on a partition after the last one this consumer group applied.",
    ["consumer", "topic", "partition"],
)
STORE_LAG = Gauge(
    "maag_store_lag",
    "Events in a service's store not yet taken by one of its followers: the outbox relay "
    "(stored, not yet published), the hash chain, the read-model projection.",
    ["service", "follower"],
)
EMAILS = Counter(
    "maag_emails",
    "Emails by outcome: sent (the relay accepted it) or failed (refused for good).",
    ["outcome"],
)
STORE_INTACT = Gauge(
    "maag_store_intact",
    "1 when the service's latest walk of its whole hash chain found its history intact, 0 "
    "when it found a break (alert on 0; `maag audit verify` names each break).",
    ["service"],
)
STORE_WALKED = Gauge(
    "maag_store_walked_timestamp_seconds",
    "When the service last walked its whole hash chain (alert when it falls far behind).",
    ["service"],
)
