"""Case notes and the chronology: dated, signed notes by those who can see the case, never
edited (a correction supersedes, and both stay), merged with the case's events."""

from __future__ import annotations

from typing import Any

from contracts.reference import Role
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

NOTE = {
    "text": "Met mum at school; she agrees to a family support worker.",
    "about_date": "2026-11-20",
}


def _case(api: Api) -> str:
    r = api.client.post("/referrals", json=details(), headers=auth())
    assert r.status_code == 201, r.text
    return str(r.json()["case_id"])


def _note(api: Api, case_id: str, body: dict[str, Any], **who: Any) -> Any:
    return api.client.post(f"/referrals/{case_id}/notes", json=body, headers=auth(**who))


def test_a_note_is_dated_signed_and_superseded_never_edited(api: Api) -> None:
    case_id = _case(api)
    r = _note(api, case_id, NOTE)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["author"]["role"] == "referrer" and first["text"] == NOTE["text"]
    r = _note(
        api,
        case_id,
        {
            "text": "Met dad, not mum.",
            "about_date": "2026-11-20",
            "supersedes": first["note_id"],
            "reason": "wrong parent named",
        },
    )
    assert r.status_code == 201, r.text
    second = r.json()
    api.projector.catch_up()
    listed = api.client.get(f"/referrals/{case_id}/notes", headers=auth()).json()
    assert [n["text"] for n in listed] == [NOTE["text"], "Met dad, not mum."]
    assert listed[1]["supersedes"] == first["note_id"]
    # the superseded note cannot be superseded again
    again = _note(
        api,
        case_id,
        {**NOTE, "supersedes": first["note_id"], "reason": "again"},
    )
    assert again.status_code == 409 and "supersedes" in again.text
    chronology = api.client.get(f"/referrals/{case_id}/chronology", headers=auth()).json()
    kinds = [(c["kind"], c.get("event")) for c in chronology]
    assert kinds[0] == ("event", "Referral.Received")
    notes = [c for c in chronology if c["kind"] == "note"]
    assert notes[0]["superseded"] == {"by": second["note_id"], "reason": "wrong parent named"}
    assert notes[1]["superseded"] is None
    # the chronology withholds the child's details
    assert "Zebedee" not in str(chronology)
    assert [c["at"] for c in chronology] == sorted(c["at"] for c in chronology)


def test_a_note_on_a_case_the_author_cannot_see_is_refused_naming_the_case(api: Api) -> None:
    case_id = _case(api)
    r = _note(api, case_id, NOTE, agency="housing")
    assert r.status_code == 404 and "case_id" in r.text
    r = api.client.get(f"/referrals/{case_id}/chronology", headers=auth(agency="housing"))
    assert r.status_code == 404
    r = _note(api, case_id, NOTE, role=Role.AUDITOR, agency="county-audit")
    assert r.status_code == 403


def test_a_correction_without_its_reason_or_a_reason_without_one_is_refused(api: Api) -> None:
    case_id = _case(api)
    first = _note(api, case_id, NOTE).json()
    r = _note(api, case_id, {**NOTE, "supersedes": first["note_id"]})
    assert r.status_code == 422 and "reason" in r.text
    r = _note(api, case_id, {**NOTE, "reason": "why"})
    assert r.status_code == 422 and "reason" in r.text
    r = _note(api, case_id, {**NOTE, "about_date": "2999-01-01"})
    assert r.status_code == 422 and "about_date" in r.text
    other = _case_of_another_caf(api)
    r = _note(api, other, {**NOTE, "supersedes": first["note_id"], "reason": "x"})
    assert r.status_code == 404 and "supersedes" in r.text


def _case_of_another_caf(api: Api) -> str:
    r = api.client.post("/referrals", json=details(caf_reference="CAF-2026-000999"), headers=auth())
    return str(r.json()["case_id"])


def test_erasure_takes_the_notes_text_with_the_childs_details(api: Api) -> None:
    case_id = _case(api)
    _note(api, case_id, NOTE)
    r = api.client.post(
        f"/privacy/cases/{case_id}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text
    api.projector.catch_up()
    (note,) = api.client.get(f"/referrals/{case_id}/notes", headers=auth()).json()
    assert note["text"] is None
    assert _note(api, case_id, NOTE).status_code == 409
