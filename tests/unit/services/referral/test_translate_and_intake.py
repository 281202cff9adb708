"""What leaves the referral service: published events carry no personal data; topic
submissions are decoded with per-field reasons and authenticated like HTTP calls."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from contracts.events.referral import (
    ConsentGiven,
    ConsentGiver,
    ConsentRecordedV2,
    FieldProblem,
    ReferralAccepted,
    ReferralDetails,
    ReferralReceivedV2,
)
from contracts.reference import Agency, Role
from maag.runtime import causation
from maag.runtime.messaging.classification import Unclassified
from maag.runtime.web.auth import Caller
from services.referral.adapters.inbound import decoder
from services.referral.adapters.translate import CLASSES, translate
from services.referral.application.submissions import InvalidSubmission, ValidSubmission
from services.referral.domain.referral import Referral
from tests.support.identity import token, verifier
from tests.support.referral import CHILD_NAME, details, receive

CALLER = Caller.of("u-1", Role.REFERRER, "education")


def test_received_is_published_without_the_childs_details() -> None:
    # nor anything else that identifies the child or is about their life: the CAF
    # reference, the needs, how consent was obtained (v1 of the events carried those)
    consent = {
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "given_on": "2026-11-27",
        "how_obtained": "verbally from mother Jane at the school gate",
    }
    referral = receive(ReferralDetails(**details(consent=consent)))
    published = [translate(e) for e in referral.collect_events()]
    kinds = [type(p.event) for p in published if p]
    assert kinds[:2] == [ReferralReceivedV2, ConsentRecordedV2]
    for p in published:
        assert p is not None
        raw = p.event.model_dump_json()
        for part in [*CHILD_NAME.split(), "2014-03-09", "Example Street", "CAF-2026-000123"]:
            assert part not in raw
        assert "emotional wellbeing" not in raw and "mother Jane" not in raw


def test_accepted_carries_the_district_and_the_reason() -> None:
    referral = receive(ReferralDetails(**details()))
    causation.give(referral.pending_events, {"actor": CALLER.record, "correlation_id": "c"})
    referral.record_consent(
        ConsentGiven(
            given_by=ConsentGiver.YOUNG_PERSON,
            scope=[Agency.CAMHS],
            given_on=datetime.now(UTC).date(),
            how_obtained="verbal",
        )
    )
    # what the runtime gives the events of a command (the caller and its correlation id)
    causation.give(referral.pending_events, {"actor": CALLER.record, "correlation_id": "c2"})
    out = [translate(e) for e in referral.collect_events()]
    accepted = [p.event for p in out if p and isinstance(p.event, ReferralAccepted)]
    assert accepted[0].district == "harlow" and "routed to the district MAAG" in accepted[0].reason
    assert out[-1] is not None and out[-1].correlation_id == "c2"
    assert out[-1].event.actor.user_id == "u-1"


def test_reads_are_not_published_and_an_unknown_event_stops_the_relay() -> None:
    # A read recorded on the referral itself (how reads were stored before CaseRead).
    viewed = Referral.Viewed(  # type: ignore[call-arg]
        originator_id=uuid.uuid4(),
        originator_version=2,
        timestamp=datetime.now(UTC),
        actor={"user_id": "u", "role": "referrer", "agency": "education"},
        with_personal_data=True,
        at=datetime.now(UTC).isoformat(),
    )
    assert CLASSES.publishes(viewed) is False
    with pytest.raises(Unclassified, match="neither published nor internal"):
        CLASSES.publishes(object())


def _decode(body: dict[str, object] | bytes, auth: str | None = None) -> object:
    value = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = [("authorization", auth.encode())] if auth else []
    return decoder(verifier())(headers, value)[1]


def test_a_valid_authenticated_submission_decodes() -> None:
    message = _decode({**details(), "submission_id": "sub-00000001"}, f"Bearer {token()}")
    assert isinstance(message, ValidSubmission)
    assert message.caller.agency == "education"


def test_invalid_fields_are_each_named() -> None:
    body = {**details(district="atlantis"), "submission_id": "sub-00000002"}
    body.pop("needs")
    message = _decode(body, f"Bearer {token()}")
    assert isinstance(message, InvalidSubmission)
    fields = {p.field for p in message.problems}
    assert fields == {"district", "needs"}
    assert message.submission_id == "sub-00000002"


def test_bytes_that_are_not_json_are_named() -> None:
    message = _decode(b"\x00not json")
    assert isinstance(message, InvalidSubmission)
    assert message.problems[0].reason.startswith("Invalid JSON")


def test_a_submission_without_a_token_or_for_another_agency_is_refused() -> None:
    body = {**details(), "submission_id": "sub-00000003"}
    missing = _decode(body)
    assert isinstance(missing, InvalidSubmission)
    assert missing.problems == (
        FieldProblem(
            field="header authorization",
            reason="unauthenticated: missing Authorization header (expected 'Bearer <token>')",
        ),
    )
    other = _decode(body, f"Bearer {token(agency='police')}")
    assert isinstance(other, InvalidSubmission)
    assert other.problems[0].reason.startswith("forbidden: you may submit referrals only")
