"""Each agency is told the outcomes of its own referrals on its own topic, and nothing about
anyone else's case: the relay's copy names no other case and no person, a rejection goes
only to the agency whose token proved it sent the record, and the relay writes each copy in
the same batch as the shared event, with the same `ce_id`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.events.referral import (
    ConsentGiven,
    ConsentGiver,
    ReferralAccepted,
    ReferralDetails,
    ReferralPendingConsent,
    ReferralRejected,
)
from contracts.reference import Agency, Role
from contracts.topics import AGENCY_OUTCOMES, REFERRAL_EVENTS
from maag.runtime import causation
from maag.runtime.messaging.classification import EventClasses
from maag.runtime.messaging.outbox import Outbound, OutboxRelay, Told
from maag.runtime.settings import Settings
from maag.runtime.web.auth import Caller
from services.referral.adapters.inbound import decoder
from services.referral.adapters.translate import SYSTEM, translator
from services.referral.application.submissions import InvalidSubmission
from services.referral.domain.referral import Referral, Rejection
from tests.support.identity import token, verifier
from tests.support.pipeline import FakeProducer, Intake, IntakeApp
from tests.support.pipeline import translate as intake_translate
from tests.support.referral import details, receive

PANEL_MEMBER = Caller.of("chair-1", Role.PANEL_MEMBER, "police", districts=["harlow"])


def _never(case_id: uuid.UUID) -> str:
    raise AssertionError(f"{case_id}: its Received was passed, no lookup is needed")


def test_each_outcome_is_told_to_the_referring_agency_by_the_service_and_nothing_else_is() -> None:
    referral = receive(ReferralDetails(**details()))  # education's, without consent
    translate = translator(_never)
    first = [translate(e) for e in referral.collect_events()]
    # consent recorded by a panel member of another agency: the referral is accepted
    referral.record_consent(
        ConsentGiven(
            given_by=ConsentGiver.PARENT_CARER,
            scope=[Agency.CAMHS],
            given_on=datetime.now(UTC).date(),
            how_obtained="verbally from the mother",
        )
    )
    causation.give(referral.pending_events, {"actor": PANEL_MEMBER.record, "correlation_id": "c"})
    later = [translate(e) for e in referral.collect_events()]
    told = [t for out in (*first, *later) if out for t in out.told]
    assert [type(t.event) for t in told] == [ReferralPendingConsent, ReferralAccepted]
    assert {t.topic for t in told} == {AGENCY_OUTCOMES[Agency.EDUCATION]}
    # the service's own act: not the panel member of another agency who recorded consent
    assert all(t.event.actor == SYSTEM for t in told)
    shared = next(o for o in later if o and isinstance(o.event, ReferralAccepted))
    assert shared.event.actor.user_id == "chair-1"  # the shared record keeps who did it
    # received, consent: on the shared record only (needs, consent text: not the agency's
    # outcome, and maag.referral.events is not theirs to read)
    untold = [o for o in (*first, *later) if o and not o.told]
    assert untold and all(not isinstance(o.event, ReferralAccepted) for o in untold)


def test_an_accepted_referral_that_joins_a_case_does_not_name_it_to_the_agency() -> None:
    case, joined = uuid.uuid4(), uuid.uuid4()  # the child's open case: maybe another agency's
    triaged = Referral.Triaged(  # type: ignore[call-arg]
        originator_id=case,
        originator_version=2,
        timestamp=datetime.now(UTC),
        outcome="accepted",
        reason="routed to the district MAAG",
        signposting=None,
        district="harlow",
        level_of_need=3,
        agencies_requested=["camhs", "youth-service"],
        joins_case_id=str(joined),
        from_social_care=False,
    )
    asked: list[uuid.UUID] = []

    def police(case_id: uuid.UUID) -> str:
        asked.append(case_id)
        return "police"

    translate = translator(police)
    out = translate(triaged)
    assert out is not None and isinstance(out.event, ReferralAccepted)
    assert out.event.joins_case_id == joined  # the services need it
    ((told,),) = [out.told]
    assert told.topic is AGENCY_OUTCOMES[Agency.POLICE]
    assert isinstance(told.event, ReferralAccepted) and told.event.joins_case_id is None
    assert str(joined) not in told.event.model_dump_json()
    translate(triaged)
    assert asked == [case], "looked up once (received before the relay started), then known"


def _rejection(agency: str | None) -> Rejection.Rejected:
    (rejected,) = Rejection(
        source="maag.referral.submissions:0:7",
        submission_id="sub-of-education-1",
        referring_agency=agency,
        partition=0,
        offset=7,
        problems=[{"field": "needs", "reason": "Field required"}],
    ).collect_events()
    assert isinstance(rejected, Rejection.Rejected)
    return rejected


def _decode(body: dict[str, Any], auth: str | None) -> InvalidSubmission:
    headers = [("authorization", auth.encode())] if auth else []
    found = decoder(verifier())(headers, json.dumps(body).encode())[1]
    assert isinstance(found, InvalidSubmission)
    return found


def test_a_rejection_goes_only_to_the_agency_whose_token_sent_it() -> None:
    # police's system sends a broken record claiming to be education's submission
    forged = {**details(referring_agency="education"), "submission_id": "sub-of-education-1"}
    forged.pop("needs")
    by_police = _decode(forged, f"Bearer {token(agency='police')}")
    assert by_police.referring_agency == "police"
    nobody = _decode(forged, None)
    assert nobody.referring_agency is None
    forbidden = _decode(
        {**details(referring_agency="education"), "submission_id": "sub-00000009"},
        f"Bearer {token(agency='police')}",
    )
    assert forbidden.referring_agency == "police"
    assert forbidden.problems[0].reason.startswith("forbidden: ")

    translate = translator(_never)
    told = translate(_rejection(by_police.referring_agency))
    assert told is not None and isinstance(told.event, ReferralRejected)
    assert [t.topic for t in told.told] == [AGENCY_OUTCOMES[Agency.POLICE]]
    untold = translate(_rejection(None))
    assert untold is not None and untold.told == ()  # on the shared record and dead letters


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_the_relay_writes_the_agencys_copy_beside_the_event_with_the_same_id(
    settings: Settings,
) -> None:
    def telling(e: Any) -> Outbound | None:
        out = intake_translate(e)
        assert out is not None
        copy = out.event.model_copy(update={"actor": SYSTEM})
        return Outbound(
            out.event, out.correlation_id, told=(Told(AGENCY_OUTCOMES[Agency.CAMHS], copy),)
        )

    intake = IntakeApp(settings)
    case = uuid.uuid4()
    intake.receive([(case, "CAF-2026-0001")])
    relay = OutboxRelay(
        intake,
        EventClasses(published=(Intake.Received,), internal=()),
        telling,
        FakeProducer(),
        source="intake",
        topic_prefix="t.",
    )
    _, (shared, copy) = relay.pending(0)
    assert (shared.topic, copy.topic) == (
        "t." + REFERRAL_EVENTS.name,
        "t." + AGENCY_OUTCOMES[Agency.CAMHS].name,
    )
    h, c = dict(shared.headers), dict(copy.headers)
    assert c["ce_id"] == h["ce_id"] and c["ce_sequence"] == h["ce_sequence"]
    assert c["ce_correlationid"] == h["ce_correlationid"] and copy.key == str(case).encode()
    assert c["ce_actoruserid"] == b"referral-service" and h["ce_actoruserid"] == b"u-1"
