"""The case record's pages: notes with their corrections, the chronology in plain words (what,
who, why), and likely matches and household links; each form's errors beside its fields,
answers kept, sent once, and the service's refusals on the fields they name."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape

from services.web.pages import today
from services.web.routes.case_record import chronology_rows, threads
from tests.unit.services.web.stand_ins import Provider, Services, directory, sign_in

CASE = uuid.UUID("0da8e16f-ffd3-5ef5-9002-874ff580988b")
API = f"http://referral.test/referrals/{CASE}"
FIRST, SECOND = "d0d11586-a604-4bfc-9dd2-bffc8fd096be", "07cf8c73-0a57-486b-bda3-02ab4b57ca83"
AUTHOR = {"user_id": "referrer-education", "role": "referrer", "agency": "education"}
REFERRAL = {
    "case_id": str(CASE),
    "status": "accepted",
    "reason": "2 agencies above universal services; sharing on consent",
    "caf_reference": "CAF-2026-000999",
    "referring_agency": "education",
    "district": "harlow",
    "level_of_need": 3,
    "agencies_requested": ["camhs", "youth-service"],
    "consent": None,
    "safeguarding_basis_recorded": False,
    "child": {
        "given_name": "Zebedee",
        "family_name": "Quillfeather",
        "date_of_birth": "2014-03-09",
        "address": "1 Example Street, Harlow",
    },
    "child_id": "2ce7cda8-6784-5222-ba53-5aaa8e1a29ca",
    "household_id": None,
    "matches_offered": 1,
}


def _note(note_id: str, text: str | None, **more: Any) -> dict[str, Any]:
    return {
        "kind": "note",
        "at": more.pop("at", "2026-12-06T15:18:03Z"),
        "note_id": note_id,
        "about_date": more.pop("about_date", "2026-11-20"),
        "author": AUTHOR,
        "text": text,
        "supersedes": more.pop("supersedes", None),
        "superseded": more.pop("superseded", None),
    }


def _event(event: str, **details: Any) -> dict[str, Any]:
    return {
        "kind": "event",
        "at": "2026-12-06T15:10:00Z",
        "event": event,
        "actor": AUTHOR,
        "details": details,
    }


CHRONOLOGY = [
    _event("Referral.Received", channel="http", details="[withheld]"),
    _event(
        "Referral.Triaged",
        outcome="pending-consent",
        reason="no consent to share and no safeguarding basis recorded: the referral waits",
        signposting=None,
    ),
    _note(
        FIRST,
        "Met mum at school.\nShe agrees to family support.",
        superseded={"by": SECOND, "reason": "wrong parent named"},
    ),
    _note(SECOND, "Met dad at school.", at="2026-12-06T16:00:00Z", supersedes=FIRST),
    _event(
        "Referral.ConsentRecorded",
        given_by="parent-carer",
        scope=["camhs"],
        given_on="2026-11-27",
        how_obtained="signed form",
    ),
]


def _signed_in(
    web: TestClient, provider: Provider, services: Services, user: str = "referrer-1", *roles: str
) -> str:
    csrf = sign_in(web, provider, user, *(roles or ("referrer",)))
    services.sent.clear()  # the home page's tray asked already
    return csrf


def _beside(page: str, field: str, message: str) -> None:
    """The message in the error summary, linked to its field, and beside the field."""
    assert "There is a problem" in page
    assert f'href="#{field}"' in page, page
    assert page.count(str(escape(message))) >= 2, page


def _record(services: Services, items: list[dict[str, Any]] | None = None) -> None:
    services.answer("GET", API, 200, REFERRAL)
    services.answer("GET", f"{API}/chronology", 200, CHRONOLOGY if items is None else items)


def _posts(services: Services) -> list[Any]:
    return [r for r in services.sent if r.method == "POST" and "referral.test" in str(r.url)]


# --- notes ---------------------------------------------------------------------------------


def test_notes_show_each_correction_under_the_note_it_corrects_with_who_and_why(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    _record(services)
    directory(services, "referrer", ("referrer-education", "Rita Reed", "education"))
    page = web.get(f"/referrals/{CASE}/notes")
    assert page.status_code == 200
    text = page.text
    assert "<title>Case notes: CAF-2026-000999 \u2013 MAAG</title>" in text  # never the child
    assert "Zebedee" not in text
    assert "As first written" in text and "Met mum at school." in text
    assert "She agrees to family support." in text
    assert "Correction 1 (as the note stands)" in text and "Met dad at school." in text
    assert "wrong parent named" in text and "Corrected</strong>" in text
    assert text.index("Met mum at school.") < text.index("Met dad at school.")
    assert "Rita Reed (referrer, Education)" in text
    # only the note as it stands may be corrected
    assert f"/notes/{SECOND}/correction" in text and f"/notes/{FIRST}/correction" not in text
    assert 'action="/referrals/' + str(CASE) + '/notes"' in text


def test_a_note_is_written_with_the_day_it_is_about_and_sent_once(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    _record(services)
    services.answer("POST", f"{API}/notes", 201, {})
    about = today() - timedelta(days=2)
    form = {
        "csrf_token": csrf,
        "idempotency_key": "note-key-00001",
        "text": " Visited the family. ",
        "about_date-day": str(about.day),
        "about_date-month": str(about.month),
        "about_date-year": str(about.year),
    }
    done = web.post(f"/referrals/{CASE}/notes", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/notes"
    web.post(f"/referrals/{CASE}/notes", data=form)  # a second click
    sent = _posts(services)
    assert json.loads(sent[0].content) == {
        "text": "Visited the family.",
        "about_date": about.isoformat(),
    }
    assert {r.headers["Idempotency-Key"] for r in sent} == {"web-note-key-00001"}


def test_a_note_without_text_or_about_a_day_to_come_is_refused_beside_its_fields(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    _record(services)
    later = today() + timedelta(days=3)
    form = {
        "csrf_token": csrf,
        "text": "",
        "about_date-day": str(later.day),
        "about_date-month": str(later.month),
        "about_date-year": str(later.year),
    }
    again = web.post(f"/referrals/{CASE}/notes", data=form)
    assert again.status_code == 400
    _beside(again.text, "text", "Enter the note")
    _beside(again.text, "about_date", "The date the note is about must be today or in the past")
    assert f'value="{later.year}"' in again.text  # the answers kept
    assert _posts(services) == []


def test_the_service_s_refusal_of_a_note_lands_on_the_field_it_names(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    _record(services)
    refusal = {
        "detail": "invalid request",
        "errors": [{"field": "body.text", "reason": "String should have at most 10000 characters"}],
    }
    services.answer("POST", f"{API}/notes", 422, refusal)
    on = today()
    form = {
        "csrf_token": csrf,
        "text": "a note",
        "about_date-day": str(on.day),
        "about_date-month": str(on.month),
        "about_date-year": str(on.year),
    }
    again = web.post(f"/referrals/{CASE}/notes", data=form)
    assert again.status_code == 400
    _beside(again.text, "text", "The note: String should have at most 10000 characters")
    assert "a note</textarea>" in again.text


def test_a_correction_names_the_note_it_corrects_and_why(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    _record(services)
    page = web.get(f"/referrals/{CASE}/notes/{SECOND}/correction")
    assert page.status_code == 200
    assert "Met dad at school.</textarea>" in page.text  # the note, to correct
    assert 'name="about_date-day" type="text" value="20"' in page.text
    missing = web.post(
        f"/referrals/{CASE}/notes/{SECOND}/correction",
        data={"csrf_token": csrf, "text": "Met both parents.", **_about("20", "11", "2026")},
    )
    assert missing.status_code == 400
    _beside(missing.text, "reason", "Enter why the note was wrong")
    assert "Met both parents.</textarea>" in missing.text
    services.answer("POST", f"{API}/notes", 201, {})
    form = {
        "csrf_token": csrf,
        "text": "Met both parents.",
        "reason": "both were there",
        **_about("20", "11", "2026"),
    }
    done = web.post(f"/referrals/{CASE}/notes/{SECOND}/correction", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/notes"
    assert json.loads(_posts(services)[-1].content) == {
        "text": "Met both parents.",
        "about_date": "2026-11-20",
        "supersedes": SECOND,
        "reason": "both were there",
    }
    # a note corrected already is not there to correct: the note as it stands is
    assert web.get(f"/referrals/{CASE}/notes/{FIRST}/correction").status_code == 404
    # the service's word on the note it corrects lands on the note
    services.answer("POST", f"{API}/notes", 409, {"detail": "supersedes: superseded already"})
    again = web.post(f"/referrals/{CASE}/notes/{SECOND}/correction", data=form)
    assert again.status_code == 409
    _beside(again.text, "text", "The note corrected: superseded already")


def _about(day: str, month: str, year: str) -> dict[str, str]:
    return {"about_date-day": day, "about_date-month": month, "about_date-year": year}


def test_notes_are_for_those_the_service_lets_read_the_child_and_written_by_fewer(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "chair-1", "panel-chair")
    for path in ("notes", "chronology", f"notes/{SECOND}/correction"):
        refused = web.get(f"/referrals/{CASE}/{path}")
        assert refused.status_code == 403 and "You cannot see this page" in refused.text
    assert services.sent == []  # the service was not asked
    csrf = _signed_in(web, provider, services, "front-door-1", "front-door")
    _record(services)
    page = web.get(f"/referrals/{CASE}/notes").text
    assert "Met dad at school." in page and "Write a note" not in page
    assert "/correction" not in page
    refused = web.post(f"/referrals/{CASE}/notes", data={"csrf_token": csrf, "text": "x"})
    assert refused.status_code == 403 and _posts(services) == []


def test_a_case_the_service_will_not_show_is_its_plain_page(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services, "lead-2", "lead-professional")
    services.answer("GET", API, 404, {"detail": "case_id: no case that you can see"})
    services.answer("GET", f"{API}/chronology", 404, {"detail": "case_id: no case"})
    assert web.get(f"/referrals/{CASE}/notes").status_code == 404
    services.answer("GET", API, 403, {"detail": "case_id: only the referring agency's"})
    services.answer("GET", f"{API}/chronology", 403, {"detail": "case_id: only the referring"})
    refused = web.get(f"/referrals/{CASE}/chronology")
    assert refused.status_code == 403 and "You cannot see this" in refused.text


# --- the chronology ------------------------------------------------------------------------


def test_the_chronology_says_what_happened_who_did_it_and_why_in_plain_words(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    _record(services)
    page = web.get(f"/referrals/{CASE}/chronology")
    assert page.status_code == 200
    text = page.text
    assert "<title>Chronology: CAF-2026-000999 \u2013 MAAG</title>" in text
    assert "Referral received" in text
    assert "Triage: waiting for consent to share" in text
    assert "no consent to share and no safeguarding basis recorded" in text
    assert "Consent to share given by a parent or carer on 27 November 2026, for: CAMHS" in text
    assert "obtained: signed form" in text
    assert "Note about 20 November 2026 (a correction)" in text
    assert "Corrected later: wrong parent named" in text
    # who, by name where the directory knows them, else by id; never a class name
    assert "referrer-education (referrer, Education)" in text
    assert "Referral.Triaged" not in text and "ConsentRecorded" not in text


def test_each_referral_event_is_said_in_words() -> None:
    other = str(uuid.uuid4())
    items = [
        _event("Referral.MatchesOffered", offers=[{"child_id": "x"}, {"child_id": "y"}]),
        _event(
            "Referral.ConsentWithdrawn",
            withdrawn_on="2026-12-01",
            reason="moved",
            basis_remains=True,
        ),
        _event(
            "Referral.SafeguardingBasisRecorded",
            professional_name="Sam Patel",
            recorded_on="2026-12-02",
            reason="risk at home",
        ),
        _event("Referral.ChildMatchResolved", confirmed=True, joins_case_id=other, reason="same"),
        _event("Referral.ChildMatchResolved", confirmed=False, reason="another child"),
        _event("Referral.HouseholdLinked", sibling_case_id="[withheld: a case you cannot see]"),
        _event("Referral.ClosedAtPanel", reason="needs met"),
        _event("Referral.FrontDoorAnswered", answer="accepted", reason="s47"),
        _event("Referral.SomethingNew"),
        {**_event("Referral.TierNoted", panel="earp"), "actor": None},
    ]
    rows = [(r.what, r.why, r.who) for r in chronology_rows(items, {})]
    assert rows[0][0] == "2 possible matches with a child already known"
    assert rows[1][:2] == (
        "Consent withdrawn on 1 December 2026 (a safeguarding basis remains)",
        "moved",
    )
    assert rows[2][:2] == (
        "Safeguarding basis for sharing without consent, decided by Sam Patel on 2 December 2026",
        "risk at home",
    )
    assert (
        rows[3][0]
        == f"Confirmed: the same child as one already known; joins the open case MAAG-{other.split('-')[0].upper()}"
    )
    assert rows[4][0] == "Rejected a possible match: not the same child"
    assert (
        rows[5][0]
        == "Linked in one household with a sibling's referral (a referral you cannot see)"
    )
    assert rows[6][:2] == ("Closed by the panel", "needs met")
    assert rows[7][0] == "Children's social care took the case on"
    assert rows[8][0] == "Something new"
    assert rows[9] == ("Moved to the EARP", "", "MAAG")


def test_a_note_erased_with_the_child_s_details_says_so() -> None:
    (t,) = threads([_note(FIRST, None)], {})
    assert t.current.lines == [] and t.corrections == []
    (row,) = chronology_rows([_note(FIRST, None)], {})
    assert row.why == "[erased with the child's details]"


# --- likely matches and household ----------------------------------------------------------

OFFERED = "18791121-0a47-5efb-8be9-2771bf9d1379"
THEIRS = "d6908081-e6f3-5688-8760-e389420d28a9"
SIBLING = "cba1c77b-9b8e-5471-ab00-a0b487211133"
OTHER = "9e0b1b7a-1111-4a4a-8a8a-000000000001"


def _summary(case_id: str, caf: str) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "district": "harlow",
        "caf_reference": caf,
        "level_of_need": 3,
        "status": "pending-consent",
        "reason": None,
        "received_at": "2026-12-06T15:18:03Z",
        "updated_at": "2026-12-06T15:18:03Z",
    }


def _matching(services: Services, household: list[dict[str, Any]] | None = None) -> None:
    services.answer("GET", API, 200, REFERRAL)
    offer = {
        "child_id": OFFERED,
        "status": "offered",
        "keys_matched": ["family", "given"],
        "referrals": [THEIRS],
        "referrals_you_cannot_see": 0,
    }
    services.answer("GET", f"{API}/matches", 200, [offer])
    theirs = {**REFERRAL, "case_id": THEIRS, "caf_reference": "CAF-2026-000123"}
    services.answer("GET", f"http://referral.test/referrals/{THEIRS}", 200, theirs)
    listed = [
        _summary(str(CASE), "CAF-2026-000999"),
        _summary(THEIRS, "CAF-2026-000123"),
        _summary(SIBLING, "CAF-2026-000555"),
        _summary(OTHER, "CAF-2026-000777"),
    ]
    services.answer("GET", "http://referral.test/referrals", 200, listed)
    record = {"child_id": REFERRAL["child_id"], "referrals": [], "household": household or []}
    services.answer("GET", f"http://referral.test/children/{REFERRAL['child_id']}", 200, record)


def test_likely_matches_show_the_referrals_to_compare_and_the_household_to_link(
    web: TestClient, provider: Provider, services: Services
) -> None:
    _signed_in(web, provider, services)
    _matching(services, household=[_summary(SIBLING, "CAF-2026-000555")])
    page = web.get(f"/referrals/{CASE}/matches")
    assert page.status_code == 200
    text = page.text
    assert "<title>Likely matches and household: CAF-2026-000999 \u2013 MAAG</title>" in text
    assert "last name, first name, each with the date of birth" in text
    assert f'href="/referrals/{THEIRS}">CAF-2026-000123</a>' in text
    assert "Zebedee Quillfeather, born 9 March 2014" in text  # to compare, for whom may see
    assert 'name="child_id" value="' + OFFERED + '"' in text
    assert "Siblings" in text and f'href="/referrals/{SIBLING}">CAF-2026-000555</a>' in text
    # a sibling to link: not this referral, nor one linked, nor the child this one may be
    options = re.findall(r'<option value="([0-9a-f-]+)"', text)
    assert options == [OTHER]


def test_a_match_is_confirmed_or_rejected_with_why_and_errors_are_said_on_its_form(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "chair-1", "panel-chair")
    _matching(services)
    blank = {"csrf_token": csrf, "offer": "1", "child_id": OFFERED}
    again = web.post(f"/referrals/{CASE}/child-match", data=blank)
    assert again.status_code == 400
    _beside(again.text, "decision-1", "Select whether this is the same child")
    _beside(again.text, "match_reason-1", "Enter why you decided so")
    assert _posts(services) == []
    services.answer("POST", f"{API}/child-match", 200, {})
    form = {
        **blank,
        "idempotency_key": "match-key-0001",
        "decision-1": "confirm",
        "match_reason-1": " same birthday and school ",
    }
    done = web.post(f"/referrals/{CASE}/child-match", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/matches"
    sent = _posts(services)[-1]
    assert json.loads(sent.content) == {
        "child_id": OFFERED,
        "decision": "confirm",
        "reason": "same birthday and school",
    }
    assert sent.headers["Idempotency-Key"] == "web-match-key-0001"
    # the service refuses one who cannot read every referral involved: said on the decision
    services.answer(
        "POST",
        f"{API}/child-match",
        403,
        {"detail": "child_id: 1 of the child's referrals are another agency's"},
    )
    refused = web.post(f"/referrals/{CASE}/child-match", data=form)
    assert refused.status_code == 403
    _beside(
        refused.text, "decision-1", "The match: 1 of the child's referrals are another agency's"
    )
    assert re.search(r"same birthday and school\s*</textarea>", refused.text)  # answers kept
    assert re.search(r'value="confirm" checked', refused.text)


def test_a_household_link_names_the_sibling_s_referral_chosen_from_the_list(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services)
    _matching(services)
    none = web.post(f"/referrals/{CASE}/household", data={"csrf_token": csrf})
    assert none.status_code == 400
    _beside(none.text, "sibling_case_id", "Select the sibling's referral")
    services.answer("POST", f"{API}/household", 200, {})
    done = web.post(
        f"/referrals/{CASE}/household", data={"csrf_token": csrf, "sibling_case_id": OTHER}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/referrals/{CASE}/matches"
    assert json.loads(_posts(services)[-1].content) == {"sibling_case_id": OTHER}
    for status, detail in (
        (409, "sibling_case_id: the two children are already in different households"),
        (404, f"sibling_case_id: no referral {OTHER} that you can see"),
    ):
        services.answer("POST", f"{API}/household", status, {"detail": detail})
        again = web.post(
            f"/referrals/{CASE}/household", data={"csrf_token": csrf, "sibling_case_id": OTHER}
        )
        assert again.status_code == status
        _beside(
            again.text, "sibling_case_id", "The sibling's referral: " + detail.split(": ", 1)[1]
        )
        assert re.search(rf'<option value="{OTHER}" selected', again.text)


def test_matches_are_not_for_a_commissioner(
    web: TestClient, provider: Provider, services: Services
) -> None:
    csrf = _signed_in(web, provider, services, "commissioner-1", "commissioner")
    assert web.get(f"/referrals/{CASE}/matches").status_code == 403
    refused = web.post(f"/referrals/{CASE}/household", data={"csrf_token": csrf})
    assert refused.status_code == 403 and services.sent == []
