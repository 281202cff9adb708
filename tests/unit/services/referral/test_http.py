"""The referral HTTP API: every 4xx path says which field and why; roles and agencies limit
what a caller sees and does; retries with an Idempotency-Key find the same case."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from contracts.reference import Role
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.web.auth import Caller
from services.referral.application.commands import submit_referral as submission
from services.referral.application.queries.read_referral import read_referral
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, details
from tests.unit.services.referral.conftest import Api

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form at school",
}


def _submit(api: Api, body: dict[str, Any] | None = None, key: str | None = None) -> Any:
    headers = {**auth(), **({"Idempotency-Key": key} if key else {})}
    return api.client.post("/referrals", json=body or details(), headers=headers)


def test_submit_accepts_a_referral_and_it_waits_for_consent(api: Api) -> None:
    r = _submit(api)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "pending-consent"
    assert r.headers["Location"] == f"/referrals/{r.json()['case_id']}"
    assert r.headers["X-Correlation-Id"]


def test_only_a_keyed_submission_looks_for_the_case_its_key_made(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key the case id is a new random one's: no store read could find it."""
    looked: list[uuid.UUID] = []
    found = submission.find

    def find(work: Any, case_id: uuid.UUID) -> Any:
        looked.append(case_id)
        return found(work, case_id)

    monkeypatch.setattr(submission, "find", find)
    r = _submit(api)
    assert r.status_code == 201, r.text
    assert looked == []
    first = _submit(api, key="intake-key-0001")
    again = _submit(api, key="intake-key-0001")
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json() == first.json()
    assert first.json()["case_id"] == str(looked[0]) == str(looked[1])


def test_consent_then_accepted(api: Api) -> None:
    case_id = _submit(api).json()["case_id"]
    r = api.client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=auth())
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert "routed to the district MAAG" in r.json()["reason"]


def test_consent_sent_twice_with_one_key_is_recorded_once_and_answered_alike(api: Api) -> None:
    """A second click or a resubmitted form: the same answer, nothing more on record."""
    case_id = _submit(api).json()["case_id"]
    keyed = {**auth(), "Idempotency-Key": "web-consent-0001"}
    first = api.client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=keyed)
    again = api.client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=keyed)
    assert (first.status_code, again.status_code) == (200, 200), again.text
    assert again.json() == first.json()
    events = [type(e).__name__ for e in api.app.events.get(uuid.UUID(case_id))]
    assert events.count("ConsentRecorded") == 1, events


def test_safeguarding_basis_then_accepted_and_withdrawal_refused_without_consent(api: Api) -> None:
    case_id = _submit(api).json()["case_id"]
    basis = {
        "professional_id": "sw-9",
        "professional_name": "S. Worker",
        "reason": "risk of harm if not shared",
        "recorded_on": "2026-11-27",
    }
    r = api.client.post(f"/referrals/{case_id}/safeguarding-basis", json=basis, headers=auth())
    assert r.json()["status"] == "accepted"
    r = api.client.post(
        f"/referrals/{case_id}/consent/withdrawal",
        json={"withdrawn_on": "2026-11-27", "reason": "x"},
        headers=auth(),
    )
    assert r.status_code == 409
    assert (
        r.json()["detail"] == "no consent is recorded for this referral, so none can be withdrawn"
    )


def test_the_same_idempotency_key_returns_the_same_case(api: Api) -> None:
    first = _submit(api, key="retry-key-0001")
    again = _submit(api, key="retry-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["case_id"] == again.json()["case_id"]


def test_an_idempotency_key_reused_for_a_different_submission_is_refused(api: Api) -> None:
    _submit(api, key="retry-key-0002")
    r = _submit(api, details(level_of_need=4), key="retry-key-0002")
    assert r.status_code == 409
    assert "already used for a different submission" in r.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"district": None}, "body.district", "Field required"),
        ({"district": "atlantis"}, "body.district", "Input should be 'colchester'"),
        ({"caf_reference": "CAF123"}, "body.caf_reference", "String should match pattern"),
        ({"level_of_need": 5}, "body.level_of_need", "Input should be 1, 2, 3 or 4"),
        ({"needs": []}, "body.needs", "List should have at least 1 item"),
        ({"surprise": 1}, "body.surprise", "Extra inputs are not permitted"),
        ({"child": {"given_name": "A"}}, "body.child.family_name", "Field required"),
    ],
)
def test_invalid_submissions_name_the_field_and_the_reason(
    api: Api, change: dict[str, Any], field: str, reason: str
) -> None:
    body = details()
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    r = _submit(api, body)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert any(e["field"] == field and e["reason"].startswith(reason) for e in errors), errors
    assert field in r.json()["detail"]


def test_a_bad_case_id_in_the_path_is_a_422_naming_it(api: Api) -> None:
    r = api.client.get("/referrals/not-a-uuid", headers=auth())
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "path.case_id"


def test_an_unknown_case_is_404(api: Api) -> None:
    r = api.client.get("/referrals/00000000-0000-0000-0000-000000000000", headers=auth())
    assert r.status_code == 404
    detail = "case_id: no case 00000000-0000-0000-0000-000000000000 that you can see"
    assert r.json()["detail"] == detail


def test_without_a_token_401_says_what_is_missing(api: Api) -> None:
    r = api.client.post("/referrals", json=details())
    assert r.status_code == 401
    assert (
        r.json()["detail"]
        == "unauthenticated: missing Authorization header (expected 'Bearer <token>')"
    )
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_role_that_may_not_submit_is_403(api: Api) -> None:
    r = api.client.post("/referrals", json=details(), headers=auth(role=Role.COMMISSIONER))
    assert r.status_code == 403
    assert r.json()["detail"] == (
        "forbidden: role 'commissioner' may not submit referrals (allowed: referrer)"
    )


def test_a_referrer_may_not_submit_for_another_agency(api: Api) -> None:
    r = api.client.post("/referrals", json=details(), headers=auth(agency="police"))
    assert r.status_code == 403
    assert "only for your own agency 'police', not 'education'" in r.json()["detail"]


def test_another_agencys_case_does_not_exist_to_read_or_to_change(api: Api) -> None:
    case_id = _submit(api).json()["case_id"]
    other = auth(agency="police")
    missing = api.client.get(f"/referrals/{uuid.uuid4()}", headers=other)
    r = api.client.get(f"/referrals/{case_id}", headers=other)
    # the same answer as for a case that does not exist: nothing tells them it does
    assert (r.status_code, missing.status_code) == (404, 404)
    assert r.json()["detail"].replace(case_id, "?") == missing.json()["detail"].replace(
        missing.url.path.rsplit("/", 1)[1], "?"
    )
    r = api.client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=other)
    assert r.status_code == 404


def test_personal_details_only_for_the_referring_agencys_referrers(api: Api) -> None:
    case_id = _submit(api).json()["case_id"]
    own = api.client.get(f"/referrals/{case_id}", headers=auth())
    assert own.json()["child"]["given_name"] == CHILD_NAME.split()[0]
    panel = api.client.get(f"/referrals/{case_id}", headers=auth(Role.PANEL_MEMBER, "social-care"))
    assert panel.status_code == 200
    assert panel.json()["child"] is None
    assert CHILD_NAME.split()[1] not in panel.text
    assert (
        api.client.get(
            f"/referrals/{case_id}", headers=auth(Role.OPERATOR, "county-it")
        ).status_code
        == 403
    )


def test_reads_are_recorded_on_the_case_in_aggregates_of_their_own(api: Api) -> None:
    case_id = _submit(api).json()["case_id"]
    version: int = api.app.repository.get(uuid.UUID(case_id)).version
    api.client.get(f"/referrals/{case_id}", headers=auth(Role.AUDITOR, "county-audit"))
    read_referral(api.app, uuid.UUID(case_id), Caller.of("u-1", Role.REFERRER, "education"))
    reads = [
        e
        for n in api.app.notifications_after(0)
        if isinstance(e := api.app.mapper.to_domain_event(n), CaseRead.Recorded)
        and e.case_id == uuid.UUID(case_id)
    ]
    assert [(r.actor["role"], r.personal_data) for r in reads] == [
        ("auditor", False),
        ("referrer", True),
    ]
    assert reads[0].endpoint == f"GET /referrals/{case_id}"
    # Reading does not touch the referral: it cannot conflict with a change to it.
    assert api.app.repository.get(uuid.UUID(case_id)).version == version


def test_list_shows_the_callers_agency_only_without_personal_details(api: Api) -> None:
    mine = _submit(api).json()["case_id"]
    api.client.post(
        "/referrals", json=details(referring_agency="police"), headers=auth(agency="police")
    )
    api.projector.catch_up()
    r = api.client.get("/referrals", headers=auth())
    assert [row["case_id"] for row in r.json()] == [mine]
    assert CHILD_NAME.split()[0] not in r.text


def test_health_endpoints(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").status_code == 200
    assert "/referrals" in api.client.get("/openapi.json").json()["paths"]
