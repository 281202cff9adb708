"""Children's social care's front door: a significant-harm referral, or a panel's decision,
reaches it (its own topic, the referrer told), the front door reads the child's details
under that basis and no other case, and answers: taken on, or stepped down into the
district's MAAG (triaged again for it)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from contracts.events import Actor
from contracts.events.panel import CaseReferredToSocialCare
from contracts.events.referral import (
    ReferralAccepted,
    ReferralRedirectedToSocialCare,
    SocialCareAnswered,
    SocialCareReferralMade,
)
from contracts.reference import Agency, Panel, Role
from contracts.topics import AGENCY_OUTCOMES, FRONT_DOOR
from maag.runtime.store.unit_of_work import Work
from services.referral.adapters.translate import translator
from services.referral.application.policies.on_case_referred_to_social_care import (
    on_case_referred_to_social_care,
)
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, details
from tests.unit.services.referral.conftest import Api, delivered


def front_door() -> dict[str, str]:
    """A social worker at the front door (the MASH)."""
    return auth(Role.FRONT_DOOR, "social-care", "front-door-1")


CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form at school",
}


def _harm(api: Api, **more: Any) -> str:
    r = api.client.post(
        "/referrals", json=details(significant_harm_concern=True, **more), headers=auth()
    )
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "redirected-to-social-care"
    return str(r.json()["case_id"])


def _told(api: Api, case_id: str) -> list[Any]:
    """What the relay publishes for the case: each outbound and where it is told."""
    translate = translator(lambda _: "education")
    return [out for e in api.app.events.get(uuid.UUID(case_id)) if (out := translate(e))]


def _answer(api: Api, case_id: str, answer: str, **more: Any) -> Any:
    body = {"answer": answer, "reason": "assessed: no significant harm", **more}
    return api.client.post(f"/referrals/{case_id}/front-door", json=body, headers=front_door())


def test_a_significant_harm_referral_reaches_the_front_door_and_the_referrer_is_told(
    api: Api,
) -> None:
    case_id = _harm(api)
    outs = _told(api, case_id)
    made = next(o for o in outs if isinstance(o.event, SocialCareReferralMade))
    assert (made.event.district, made.event.route, made.event.referring_agency) == (
        "harlow",
        "significant-harm",
        Agency.EDUCATION,
    )
    assert {t.topic for t in made.told} == {FRONT_DOOR, AGENCY_OUTCOMES[Agency.EDUCATION]}
    assert CHILD_NAME.split()[1] not in made.event.model_dump_json()  # never on a topic
    # the redirection the referrer reads is followed by the referral actually made
    kinds = [type(o.event) for o in outs]
    assert kinds.index(ReferralRedirectedToSocialCare) < kinds.index(SocialCareReferralMade)
    api.projector.catch_up()
    listed = api.client.get("/front-door", headers=front_door())
    assert listed.status_code == 200, listed.text
    assert [(c["case_id"], c["route"], c["answer"]) for c in listed.json()] == [
        (case_id, "significant-harm", None)
    ]


def test_the_front_door_reads_the_child_of_a_case_referred_to_it_and_no_other(api: Api) -> None:
    case_id = _harm(api)
    seen = api.client.get(f"/referrals/{case_id}", headers=front_door())
    assert seen.status_code == 200, seen.text
    assert seen.json()["child"]["family_name"] == CHILD_NAME.split()[1]
    assert seen.json()["front_door"]["route"] == "significant-harm"
    other = api.client.post("/referrals", json=details(), headers=auth()).json()["case_id"]
    assert api.client.get(f"/referrals/{other}", headers=front_door()).status_code == 404
    assert _answer(api, other, "accepted").status_code == 404
    # the list is the front door's alone, and a front door sees its own districts' cases
    assert api.client.get("/front-door", headers=auth()).status_code == 403
    elsewhere = auth(Role.FRONT_DOOR, "social-care", "front-door-2", districts=["tendring"])
    api.projector.catch_up()
    assert api.client.get("/front-door", headers=elsewhere).json() == []
    assert api.client.get(f"/referrals/{case_id}", headers=elsewhere).status_code == 404


def test_stepped_down_with_consent_the_maag_takes_it_and_the_front_door_lets_go(api: Api) -> None:
    case_id = _harm(api, consent=CONSENT)
    r = _answer(api, case_id, "stepped-down", reference="MOSAIC-123")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert "stepped down by children's social care" in r.json()["reason"]
    outs = _told(api, case_id)
    answered = next(o for o in outs if isinstance(o.event, SocialCareAnswered))
    assert answered.event.answer == "stepped-down"
    assert {t.topic for t in answered.told} == {AGENCY_OUTCOMES[Agency.EDUCATION]}
    assert "MOSAIC" not in answered.event.model_dump_json()  # social care's record stays here
    accepted = next(o for o in outs if isinstance(o.event, ReferralAccepted))
    assert accepted.event.from_social_care and accepted.event.panel == Panel.MAAG
    # the case is the MAAG's now: the front door reads it no more
    assert api.client.get(f"/referrals/{case_id}", headers=front_door()).status_code == 404
    mine = api.client.get(f"/referrals/{case_id}", headers=auth()).json()["front_door"]
    assert (mine["answer"], mine["reference"]) == ("stepped-down", "MOSAIC-123")


def test_stepped_down_without_consent_it_waits_and_consent_brings_it_to_the_maag(
    api: Api,
) -> None:
    case_id = _harm(api)
    assert _answer(api, case_id, "stepped-down").json()["status"] == "pending-consent"
    r = api.client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=auth())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"  # not sent to social care a second time


def test_an_answer_is_given_once_and_a_case_taken_on_stays_with_social_care(api: Api) -> None:
    case_id = _harm(api)
    assert _answer(api, case_id, "accepted").json()["status"] == "redirected-to-social-care"
    assert _answer(api, case_id, "accepted").status_code == 200  # the same answer: nothing new
    again = _answer(api, case_id, "stepped-down")
    assert again.status_code == 409
    assert again.json()["detail"] == "answer: the front door answered already (accepted)"
    events = [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]
    assert events.count("FrontDoorAnswered") == 1
    assert api.client.get(f"/referrals/{case_id}", headers=front_door()).status_code == 200


def test_an_answer_names_the_field_it_gets_wrong(api: Api) -> None:
    case_id = _harm(api)
    r = _answer(api, case_id, "maybe")
    assert r.status_code == 422 and "answer" in r.text
    referrer = api.client.post(
        f"/referrals/{case_id}/front-door",
        json={"answer": "accepted", "reason": "x"},
        headers=auth(),
    )
    assert referrer.status_code == 403 and "front-door" in referrer.json()["detail"]


def test_a_panels_referral_reaches_the_front_door_and_its_answer_does_not_triage_again(
    api: Api,
) -> None:
    case_id = api.client.post("/referrals", json=details(consent=CONSENT), headers=auth()).json()[
        "case_id"
    ]
    decided = CaseReferredToSocialCare(
        case_id=uuid.UUID(case_id),
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care"),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        reason="disclosure at the family meeting",
    )
    for _ in range(2):  # redelivered: one referral to the front door
        work = Work(api.app)
        on_case_referred_to_social_care(delivered(decided), work)
        work.give_touched({})  # as the consumer does, before it commits
        work.commit()
    events = [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]
    assert events.count("SentToFrontDoor") == 1
    made = next(o for o in _told(api, case_id) if isinstance(o.event, SocialCareReferralMade))
    assert made.event.route == "panel" and "disclosure" in made.event.reason
    assert made.event.actor.user_id == "chair-1"
    r = _answer(api, case_id, "stepped-down")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))].count(
        "Triaged"
    ) == 1  # the panel takes it back: nothing to triage


def test_a_stepped_down_harm_referral_is_not_sent_back_by_a_later_triage(api: Api) -> None:
    case_id = _harm(api, consent=CONSENT)
    assert _answer(api, case_id, "stepped-down").json()["status"] == "accepted"
    decided = CaseReferredToSocialCare(
        case_id=uuid.UUID(case_id),
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care"),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        reason="x" * 2000,  # the panel's reason whole, however long the contract allows
    )
    work = Work(api.app)
    on_case_referred_to_social_care(delivered(decided), work)
    work.commit()
    made = [o for o in _told(api, case_id) if isinstance(o.event, SocialCareReferralMade)]
    assert [o.event.route for o in made] == ["significant-harm", "panel"]
    assert _answer(api, case_id, "stepped-down").status_code == 200
    basis = {
        "professional_id": "sw-9",
        "professional_name": "S. Worker",
        "reason": "risk of harm",
        "recorded_on": "2026-11-27",
    }
    r = api.client.post(f"/referrals/{case_id}/safeguarding-basis", json=basis, headers=auth())
    assert r.status_code == 200 and r.json()["status"] == "accepted"  # not redirected again
    events = [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]
    assert events.count("SentToFrontDoor") == 2
