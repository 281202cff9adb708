"""The child and family record (issue 33): the national keys settle a match or forbid it,
a day and month swapped are offered when the full name agrees, a child referred before
birth takes their date of birth when born, and consent names who gave it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given
from hypothesis import strategies as st

from contracts.events.referral import ChildDetails
from contracts.limits import latest_today
from contracts.reference import Role
from services.referral.domain.matching import Key, Strength, match_keys, probe_keys, strength
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

NHS = "9434765919"
BORN = datetime.now(UTC).date().isoformat()  # the day they are referred, unborn, at the earliest
OTHER_NHS = "4010232137"
UPN = "B801200005001"
CHILD = {
    "given_name": "Amara",
    "family_name": "Okafor",
    "date_of_birth": "2019-04-03",
    "address": "9 Elm Close, Harlow CM20 2XY",
}
CONSENT = {
    "given_by": "parent-carer",
    "scope": ["education", "camhs", "primary-health", "housing"],
    "given_on": "2026-11-01",
    "how_obtained": "signed form",
}
MOTHER = {
    "name": "Ada Okafor",
    "relationship": "mother",
    "parental_responsibility": True,
    "may_contact": True,
    "phone": "01279 000000",
}


def _child(**override: Any) -> ChildDetails:
    return ChildDetails.model_validate({**CHILD, **override})


def panel() -> dict[str, str]:
    return auth(Role.PANEL_MEMBER, "social-care")


def _submit(api: Api, agency: str, child: dict[str, Any], caf: str, **more: Any) -> Any:
    body = details(caf_reference=caf, referring_agency=agency, child=child, **more)
    body.setdefault("consent", CONSENT)
    return api.client.post("/referrals", json=body, headers=auth(agency=agency))


def _refer(api: Api, agency: str, child: dict[str, Any], caf: str, **more: Any) -> dict[str, Any]:
    r = _submit(api, agency, child, caf, **more)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _offers(api: Api, case_id: str) -> list[dict[str, Any]]:
    r = api.client.get(f"/referrals/{case_id}/matches", headers=panel())
    assert r.status_code == 200, r.text
    return list(r.json())


# --- keys (no I/O) ---


def test_the_national_keys_are_keys_of_their_own_not_bound_to_the_birth_date() -> None:
    keys = match_keys(_child(nhs_number=NHS, upn=UPN))
    assert keys[Key.NHS_NUMBER] == f"nhs-number|{NHS}" and keys[Key.UPN] == f"upn|{UPN}"
    assert (
        match_keys(_child(nhs_number=NHS, date_of_birth="2019-04-05"))[Key.NHS_NUMBER]
        == (keys[Key.NHS_NUMBER])
    )


def test_a_child_not_yet_born_has_only_national_keys() -> None:
    due = (latest_today() + timedelta(days=90)).isoformat()
    unborn = ChildDetails.model_validate(
        {
            **{k: v for k, v in CHILD.items() if k != "date_of_birth"},
            "expected_date_of_delivery": due,
        }
    )
    assert match_keys(unborn) == {} and probe_keys(unborn) == {}


def test_the_swapped_probes_are_the_names_bound_to_the_day_and_month_swapped() -> None:
    probes = probe_keys(_child())  # 3 April -> 4 March
    swapped = match_keys(_child(date_of_birth="2019-03-04"))
    assert probes == {
        Key.GIVEN_SWAPPED: swapped[Key.GIVEN],
        Key.FAMILY_SWAPPED: swapped[Key.FAMILY],
    }
    assert probe_keys(_child(date_of_birth="2019-04-04")) == {}  # the same either way
    assert probe_keys(_child(date_of_birth="2019-04-13")) == {}  # no 13th month


def test_a_national_key_is_certain_and_names_alone_with_a_swapped_date_only_likely() -> None:
    assert strength({Key.NHS_NUMBER}) is Strength.CERTAIN
    assert strength({Key.UPN, Key.GIVEN}) is Strength.CERTAIN
    assert strength({Key.GIVEN_SWAPPED, Key.FAMILY_SWAPPED}) is Strength.LIKELY
    assert strength({Key.GIVEN_SWAPPED}) is None
    assert strength({Key.GIVEN_SWAPPED, Key.POSTCODE}) is None


# --- the index and the API ---


def test_the_same_nhs_number_is_offered_as_certain_whatever_the_names(api: Api) -> None:
    first = _refer(api, "primary-health", {**CHILD, "nhs_number": NHS}, "CAF-2026-330001")
    renamed = {
        **CHILD,
        "given_name": "Precious",
        "family_name": "Adeyemi",
        "address": "moved away",
        "nhs_number": NHS,
    }
    second = _refer(api, "education", renamed, "CAF-2026-330002")
    (offer,) = _offers(api, second["case_id"])
    assert offer["child_id"] == first["child_id"]
    assert offer["certainty"] == "certain" and offer["keys_matched"] == ["nhs-number"]


def test_children_with_different_nhs_numbers_are_never_offered(api: Api) -> None:
    _refer(api, "primary-health", {**CHILD, "nhs_number": NHS}, "CAF-2026-330011")
    # the same name, birthday and home: without the NHS numbers, a likely match
    second = _refer(api, "education", {**CHILD, "nhs_number": OTHER_NHS}, "CAF-2026-330012")
    assert _offers(api, second["case_id"]) == []
    # the same child known by one national key only is still offered (nothing conflicts)
    third = _refer(api, "housing", {**CHILD, "upn": UPN}, "CAF-2026-330013")
    assert len(_offers(api, third["case_id"])) == 2


def test_a_swapped_day_and_month_is_offered_as_likely_when_the_full_name_agrees(
    api: Api,
) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-330021")
    swapped = {**CHILD, "date_of_birth": "2019-03-04", "address": "elsewhere"}
    second = _refer(api, "primary-health", swapped, "CAF-2026-330022")
    (offer,) = _offers(api, second["case_id"])
    assert offer["child_id"] == first["child_id"] and offer["certainty"] == "likely"
    assert offer["keys_matched"] == ["family-swapped-dob", "given-swapped-dob"]
    # the given name alone with a swapped date is not enough
    sibling = {**swapped, "family_name": "Adeyemi"}
    assert _offers(api, _refer(api, "housing", sibling, "CAF-2026-330023")["case_id"]) == []


def test_a_child_referred_before_birth_takes_their_birth_and_is_then_found(api: Api) -> None:
    due = (latest_today() + timedelta(days=120)).isoformat()
    unborn = {**{k: v for k, v in CHILD.items() if k != "date_of_birth"}}
    unborn |= {"given_name": "Baby", "expected_date_of_delivery": due}
    midwife = _refer(api, "primary-health", unborn, "CAF-2026-330031")
    case = midwife["case_id"]
    r = api.client.get(f"/referrals/{case}", headers=auth(agency="primary-health"))
    assert r.json()["child"]["expected_date_of_delivery"] == due
    assert r.json()["child"].get("date_of_birth") is None

    born = {
        "date_of_birth": BORN,
        "given_name": "Amara",
        "sex": "female",
        "nhs_number": NHS,
    }
    r = api.client.post(
        f"/referrals/{case}/birth", json=born, headers=auth(agency="primary-health")
    )
    assert r.status_code == 200, r.text
    child = r.json()["child"]
    assert (child["date_of_birth"], child["given_name"], child["nhs_number"]) == (
        BORN,
        "Amara",
        NHS,
    )
    assert child.get("expected_date_of_delivery") is None
    # recorded once: a second birth is refused naming the field
    r = api.client.post(
        f"/referrals/{case}/birth", json=born, headers=auth(agency="primary-health")
    )
    assert r.status_code == 409 and "date_of_birth" in r.text
    # a later referral with the NHS number finds the born child, certain
    school = {**CHILD, "date_of_birth": BORN, "nhs_number": NHS, "upn": UPN}
    later = _refer(api, "education", school, "CAF-2026-330032")
    (offer,) = _offers(api, later["case_id"])
    assert offer["child_id"] == midwife["child_id"] and offer["certainty"] == "certain"


def test_only_those_who_may_update_the_child_record_their_birth(api: Api) -> None:
    due = (latest_today() + timedelta(days=120)).isoformat()
    unborn = {
        **{k: v for k, v in CHILD.items() if k != "date_of_birth"},
        "expected_date_of_delivery": due,
    }
    case = _refer(api, "primary-health", unborn, "CAF-2026-330041")["case_id"]
    born = {"date_of_birth": BORN}
    r = api.client.post(
        f"/referrals/{case}/birth", json=born, headers=auth(Role.AUDITOR, "county-audit")
    )
    assert r.status_code in (403, 404), r.text
    r = api.client.post(f"/referrals/{case}/birth", json=born, headers=panel())
    assert r.status_code in (403, 404), r.text


def test_an_invalid_nhs_number_or_a_far_delivery_date_is_refused_and_nothing_stored(
    api: Api,
) -> None:
    before = len(api.app.notifications(1, 10_000))
    r = _submit(api, "education", {**CHILD, "nhs_number": "9434765918"}, "CAF-2026-330051")
    assert r.status_code == 422 and "nhs_number" in r.text and "modulus 11" in r.text
    far = (latest_today() + timedelta(days=330)).isoformat()
    unborn = {
        **{k: v for k, v in CHILD.items() if k != "date_of_birth"},
        "expected_date_of_delivery": far,
    }
    r = _submit(api, "primary-health", unborn, "CAF-2026-330052")
    assert r.status_code == 422 and "expected_date_of_delivery" in r.text and "10 months" in r.text
    assert len(api.app.notifications(1, 10_000)) == before


def test_consent_from_a_parent_names_one_of_the_recorded_parents_and_carers(api: Api) -> None:
    child = {**CHILD, "parents_carers": [MOTHER]}
    r = _submit(
        api,
        "education",
        child,
        "CAF-2026-330061",
        consent={**CONSENT, "given_by_name": "Someone Else"},
    )
    assert r.status_code == 409 and "consent.given_by_name" in r.text
    assert "Ada" not in r.text  # the refusal does not repeat the record's names
    r = _submit(api, "education", child, "CAF-2026-330062", consent=CONSENT)
    assert r.status_code == 409 and "consent.given_by_name" in r.text
    named = _refer(
        api,
        "education",
        child,
        "CAF-2026-330063",
        consent={**CONSENT, "given_by_name": " ada  OKAFOR"},
    )
    assert named["status"] == "accepted"
    # recorded later, the same rule
    pending = _refer(api, "education", child, "CAF-2026-330064", consent=None)
    r = api.client.post(
        f"/referrals/{pending['case_id']}/consent",
        json={**CONSENT, "given_by_name": "Nobody"},
        headers=auth(agency="education"),
    )
    assert r.status_code == 409 and "consent.given_by_name" in r.text
    r = api.client.post(
        f"/referrals/{pending['case_id']}/consent",
        json={**CONSENT, "given_by_name": "Ada Okafor"},
        headers=auth(agency="education"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["consent"]["given_by_name"] == "Ada Okafor"


def test_the_full_record_is_kept_sealed_and_read_back(api: Api) -> None:
    child = {
        **CHILD,
        "sex": "female",
        "ethnicity": "black-african",
        "first_language": "Igbo",
        "disability": False,
        "sen": "sen-support",
        "nhs_number": NHS,
        "upn": UPN,
        "school_urn": "115200",
        "gp_practice": "F81001",
        "parents_carers": [MOTHER],
    }
    consent = {**CONSENT, "given_by_name": "Ada Okafor"}
    case = _refer(api, "education", child, "CAF-2026-330071", consent=consent)["case_id"]
    r = api.client.get(f"/referrals/{case}", headers=auth(agency="education"))
    got = {k: v for k, v in r.json()["child"].items() if v not in (None, [])}
    assert got["parents_carers"][0]["name"] == "Ada Okafor"
    assert {k: got[k] for k in child if k != "parents_carers"} == {
        k: v for k, v in child.items() if k != "parents_carers"
    }
    # nothing of it in the clear in the store's events
    raw = b"".join(
        n.state for n in api.app.notifications(1, 10_000) if n.originator_id == UUID(case)
    )
    assert b"Igbo" not in raw and NHS.encode() not in raw


def test_a_birth_before_the_referral_made_before_it_is_refused(api: Api) -> None:
    due = (latest_today() + timedelta(days=120)).isoformat()
    unborn = {k: v for k, v in CHILD.items() if k != "date_of_birth"}
    case = _refer(
        api, "primary-health", {**unborn, "expected_date_of_delivery": due}, "CAF-2026-330081"
    )["case_id"]
    long_ago = {"date_of_birth": "2000-01-01"}
    r = api.client.post(
        f"/referrals/{case}/birth", json=long_ago, headers=auth(agency="primary-health")
    )
    assert r.status_code == 409 and "date_of_birth" in r.text and "referred before birth" in r.text


def test_erasure_forgets_the_national_keys_too(api: Api) -> None:
    first = _refer(
        api, "primary-health", {**CHILD, "nhs_number": NHS, "upn": UPN}, "CAF-2026-330091"
    )
    r = api.client.post(
        f"/privacy/cases/{first['case_id']}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text
    renamed = {**CHILD, "given_name": "Precious", "address": "moved", "nhs_number": NHS, "upn": UPN}
    again = _refer(api, "education", renamed, "CAF-2026-330092")
    assert _offers(api, again["case_id"]) == []


def test_a_pre_birth_case_never_born_comes_due_by_its_expected_date(api: Api) -> None:
    from datetime import date

    from services.referral.application.queries.retention_due import cases_due
    from services.referral.domain.retention import parse_schedule

    due = latest_today() + timedelta(days=120)
    unborn = {k: v for k, v in CHILD.items() if k != "date_of_birth"}
    declined = _refer(
        api,
        "primary-health",
        {**unborn, "expected_date_of_delivery": due.isoformat()},
        "CAF-2026-330101",
        agencies_requested=["camhs"],
    )
    assert declined["status"] == "declined"
    found = cases_due(
        api.app, [UUID(declined["case_id"])], parse_schedule("declined=dob+1"), date(2100, 1, 1)
    )
    assert [d.due_on for d in found] == [due.replace(year=due.year + 1)]


@given(st.sets(st.sampled_from(list(Key))))
def test_any_national_key_makes_a_match_certain_and_swapped_needs_the_full_name(
    matched: set[Key],
) -> None:
    found = strength(matched)
    if matched & {Key.NHS_NUMBER, Key.UPN}:
        assert found is Strength.CERTAIN
    elif (Key.GIVEN in matched and matched & {Key.FAMILY, Key.POSTCODE}) or {
        Key.GIVEN_SWAPPED,
        Key.FAMILY_SWAPPED,
    } <= matched:
        assert found is Strength.LIKELY
    else:
        assert found is None
