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

from pydantic import AfterValidator, Field, ValidationInfo

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
PHONE_CHARS = 30  # an international number with spaces
LANGUAGE_CHARS = 100  # a first language, as the family names it

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
CARERS = 6  # parents and carers recorded for one child (who hold or share its care)

# --- bytes ---
KIB = 1024
# A submission (one child's referral, with their parents and carers) is a few KiB at its
# largest; its worst case (every character escaped) is under half this.
SUBMISSION_MESSAGE_BYTES = 256 * KIB
# Kafka's own default; every MAAG event is far smaller.
EVENT_MESSAGE_BYTES = 1024 * KIB
# A dead letter is the original plus a few headers naming the reason.
DEAD_LETTER_OVERHEAD_BYTES = 64 * KIB
# An HTTP request body: the largest valid body (a referral) is a few KiB.
HTTP_BODY_BYTES = 64 * KIB
# A Kafka header value an agency may send (a token is ~1-2 KiB).
HEADER_VALUE_BYTES = 8 * KIB
MIB = 1024 * KIB
# A document attached to a case (a signed consent form, an assessment, a report): a scanned
# form or a report of a few dozen pages fits; a video does not.
DOCUMENT_BYTES = 10 * MIB
# The body of an upload: the document, and the form's other fields and multipart framing
# (its kind, its description, its name). The one route that takes a document is allowed it
# (`maag.runtime.web.http.body_allowance`); every other keeps HTTP_BODY_BYTES.
DOCUMENT_UPLOAD_BYTES = DOCUMENT_BYTES + 64 * KIB
DOCUMENT_NAME_CHARS = 255  # a file's name, as most file systems allow it


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


# --- an unborn child: the expected date of delivery ---
DELIVERY_MONTHS_AHEAD = 10  # a pregnancy is known for at most about nine months
DELIVERY_DAYS_OVERDUE = 28  # past the expected day, the birth is recorded (or the date moved)
EXPECTED_DELIVERY_KEYWORD = "x-maag-expected-delivery"
# A stored record read back (`model_validate(..., context={STORED: True})`) is not held to
# rules about today: an expected date that was in range when recorded stays readable.
STORED = "stored"


def months_after(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("every month has 28 days")


def delivery_window(today_latest: date, today_earliest: date) -> tuple[date, date]:
    """The expected dates of delivery accepted: from `DELIVERY_DAYS_OVERDUE` days before the
    earliest today anywhere, to `DELIVERY_MONTHS_AHEAD` months after the latest."""
    earliest = today_earliest - timedelta(days=DELIVERY_DAYS_OVERDUE)
    return earliest, months_after(today_latest, DELIVERY_MONTHS_AHEAD)


def earliest_today() -> date:
    """Today in the time zone furthest behind (UTC-12)."""
    return (datetime.now(UTC) - timedelta(hours=12)).date()


def _expected_delivery(value: date, info: ValidationInfo) -> date:
    if isinstance(info.context, dict) and info.context.get(STORED):
        return value
    first, last = delivery_window(latest_today(), earliest_today())
    if value > last:
        raise ValueError(f"must be at most {DELIVERY_MONTHS_AHEAD} months ahead (by {last})")
    if value < first:
        raise ValueError(
            f"must be no more than {DELIVERY_DAYS_OVERDUE} days past (from {first}): "
            "a child already born is recorded with their date of birth"
        )
    return value


# An unborn child's expected date of delivery. Its schema says the window for agencies'
# validators (`x-maag-expected-delivery`; JSON Schema itself cannot say "today").
ExpectedDelivery = Annotated[
    Day,
    AfterValidator(_expected_delivery),
    Field(
        json_schema_extra={
            EXPECTED_DELIVERY_KEYWORD: {
                "months-ahead": DELIVERY_MONTHS_AHEAD,
                "days-overdue": DELIVERY_DAYS_OVERDUE,
            }
        }
    ),
]
