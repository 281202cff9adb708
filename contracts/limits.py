"""Every size limit of the published surface, declared once.

Models (`Field(max_length=...)`), the topic registry (`max.message.bytes`), the KafkaTopic
resources, AsyncAPI, the HTTP body limit and the consumers all read these names. The
numbers are generous for the work (a CAF assessment has a dozen domains of need, not a
thousand) and small enough that the largest valid message is far below what a broker
accepts: `tests/unit/contracts/test_limits.py` proves it from the schemas.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

from contracts.strict import Day

# --- strings (characters) ---
ID_CHARS = 200  # ids and names of people, professionals, providers, agencies
# A provider's id in the providers' directory (and in its staff's tokens): "pvi-12".
PROVIDER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,60}$"
LABEL_CHARS = 200  # a service's name, a template's name, a field path
NEED_CHARS = 100  # one domain of need from the CAF assessment
ADDRESS_CHARS = 1000
TEXT_CHARS = 2000  # reasons, justifications, details
NOTE_CHARS = 10_000  # a case note (a meeting with the family may take a page)
PROBLEM_CHARS = 500  # one reason in a ReferralRejected (a validator's message)
EMAIL_CHARS = 254  # RFC 5321's longest forward path

# --- lists (items) ---
NEEDS = 30
AGENCIES = 20  # more than there are agencies: a list of agencies never needs more
SERVICES = 20  # more than there are named services
INTERVENTIONS = 20
FUNDING_SHARES = 20
PROVIDERS = 40
PROVIDER_SERVICES = 50  # services one provider offers
MEETINGS = 200  # meetings a paused case was removed from
TEAM = 50  # people in a Team Around the Child (and goals reviewed at once)
PROBLEMS = 50  # reasons in one ReferralRejected; more are summarised in the last

# --- bytes ---
KIB = 1024
# A submission (one child's referral) is a few KiB at its largest.
SUBMISSION_MESSAGE_BYTES = 128 * KIB
# Kafka's own default; every MAAG event is far smaller.
EVENT_MESSAGE_BYTES = 1024 * KIB
# A dead letter is the original plus a few headers naming the reason.
DEAD_LETTER_OVERHEAD_BYTES = 64 * KIB
# An HTTP request body: the largest valid body (a referral) is a few KiB.
HTTP_BODY_BYTES = 64 * KIB
# A Kafka header value an agency may send (a token is ~1-2 KiB).
HEADER_VALUE_BYTES = 8 * KIB


def latest_today() -> date:
    """Today in the time zone furthest ahead (UTC+14): a date after it is in the future
    everywhere, so a referrer anywhere is never refused today's date."""
    return (datetime.now(UTC) + timedelta(hours=14)).date()


def _not_in_future(value: date) -> date:
    if value > latest_today():
        raise ValueError("must not be in the future")
    return value


# A date that has happened: a date of birth, consent given, a withdrawal, a basis recorded.
# The JSON Schema carries `x-maag-not-in-future: true` so that agencies' validators can
# apply the same rule (JSON Schema itself cannot say "today").
PastDate = Annotated[
    Day,
    AfterValidator(_not_in_future),
    Field(json_schema_extra={"x-maag-not-in-future": True}),
]
