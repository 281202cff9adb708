"""The CloudEvents Kafka protocol binding, binary mode: attributes in `ce_*` headers, data as value.

Extension attributes (lowercase alphanumerics, as CloudEvents requires):
  correlationid  the request or submission that started the chain
  causationid    the id of the event that caused this one
  actoruserid, actorrole, actoragency   who did it
  sequence       the producer's position, zero-padded (the CloudEvents `sequence` extension);
                 consumers use it to ignore a republished event
  incarnation    the epoch of the producer's store the sequence belongs to (it changes when
                 the store is restored or recreated); consumers track sequences per epoch.
                 Absent on events published before incarnations existed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from contracts import strict
from contracts.events import Actor, IntegrationEvent
from contracts.limits import ID_CHARS
from contracts.topics import EVENT_TYPES

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"
SEQUENCE_DIGITS = 20

Headers = Sequence[tuple[str, bytes]]
_SEQUENCE = re.compile(r"^[0-9]{20}$")  # as published (ASCII: isdigit takes any script's)
_EPOCH = re.compile(r"^[1-9][0-9]{0,8}$")


class EnvelopeError(ValueError):
    """A message that is not a valid MAAG event; the message names the field and the reason."""


# Every header the envelope may write (`Envelope.headers`), declared once: what a dead
# letter may carry of a record is read from here.
HEADER_NAMES = frozenset(
    {
        "ce_specversion",
        "ce_id",
        "ce_source",
        "ce_type",
        "ce_time",
        "ce_subject",
        "ce_correlationid",
        "ce_causationid",
        "ce_actoruserid",
        "ce_actorrole",
        "ce_actoragency",
        "ce_sequence",
        "ce_incarnation",
    }
)


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    correlation_id: str
    causation_id: str | None
    actor: Actor
    sequence: int | None = None
    incarnation: int | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        attrs = {
            "ce_specversion": SPECVERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_time": self.time.isoformat(),
            "ce_subject": self.subject,
            "content-type": CONTENT_TYPE,
            "ce_correlationid": self.correlation_id,
            "ce_actoruserid": self.actor.user_id,
            "ce_actorrole": self.actor.role.value,
            "ce_actoragency": self.actor.agency,
        }
        if self.causation_id:
            attrs["ce_causationid"] = self.causation_id
        if self.sequence is not None:
            attrs["ce_sequence"] = str(self.sequence).zfill(SEQUENCE_DIGITS)
        if self.incarnation is not None:
            attrs["ce_incarnation"] = str(self.incarnation)
        return [(k, v.encode()) for k, v in attrs.items()]

    @classmethod
    def from_headers(cls, headers: Headers) -> Envelope:
        h = _header_dict(headers)

        def need(name: str) -> str:
            value = h.get(name)
            if not value:
                raise EnvelopeError(f"header {name}: missing")
            return value

        if need("ce_specversion") != SPECVERSION:
            raise EnvelopeError(f"header ce_specversion: must be {SPECVERSION!r}")
        try:
            time = datetime.fromisoformat(need("ce_time"))
        except ValueError as e:
            raise EnvelopeError(f"header ce_time: not an RFC 3339 time ({e})") from None
        if time.tzinfo is None:
            raise EnvelopeError("header ce_time: has no UTC offset")
        try:
            actor = Actor(
                user_id=need("ce_actoruserid"),
                role=need("ce_actorrole"),  # type: ignore[arg-type]
                agency=need("ce_actoragency"),
            )
        except ValidationError as e:
            raise EnvelopeError(f"header ce_actor*: {describe_errors(e)}") from None
        sequence = h.get("ce_sequence")
        if sequence is not None and not _SEQUENCE.match(sequence):
            raise EnvelopeError(f"header ce_sequence: must be {SEQUENCE_DIGITS} digits")
        incarnation = h.get("ce_incarnation")
        if incarnation is not None and not _EPOCH.match(incarnation):
            raise EnvelopeError("header ce_incarnation: must be 1 to 9 digits, not starting 0")
        return cls(
            id=need("ce_id"),
            source=need("ce_source"),
            type=need("ce_type"),
            time=time,
            subject=need("ce_subject"),
            correlation_id=need("ce_correlationid"),
            causation_id=h.get("ce_causationid"),
            actor=actor,
            sequence=int(sequence) if sequence is not None else None,
            incarnation=int(incarnation) if incarnation is not None else None,
        )


def decode(headers: Headers, value: bytes | None) -> tuple[Envelope, IntegrationEvent]:
    """Read a MAAG event from a Kafka record, or raise EnvelopeError saying exactly what is wrong."""
    envelope = Envelope.from_headers(headers)
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise EnvelopeError(f"header ce_type: unknown event type {envelope.type!r}")
    if value is None:
        raise EnvelopeError("value: missing (a tombstone is not an event)")
    try:
        event: IntegrationEvent = strict.validate_json(model, value)
    except ValidationError as e:
        raise EnvelopeError(f"value: {describe_errors(e)}") from None
    if str(event.case_id) != envelope.subject:
        raise EnvelopeError(
            f"header ce_subject: {envelope.subject!r} differs from case_id {event.case_id}"
        )
    return envelope, event


def _header_dict(headers: Headers) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, raw in headers or ():
        if not key.startswith("ce_"):
            continue  # not ours to read (content-type, tracing, an agency's own)
        try:
            value = raw.decode() if raw is not None else ""
        except UnicodeDecodeError:
            raise EnvelopeError(f"header {key}: not UTF-8") from None
        if len(value) > ID_CHARS:
            raise EnvelopeError(f"header {key}: longer than {ID_CHARS} characters")
        out[key] = value
    return out


def describe_errors(e: ValidationError) -> str:
    """'field.path: reason' for each problem, e.g. 'district: Input should be ...'."""
    parts = []
    for err in e.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)
