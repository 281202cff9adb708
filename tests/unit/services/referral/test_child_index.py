"""The child index: one child across referrals, matched on keyed, normalised details, linked
only when a person who can see both referrals confirms it; siblings as a household."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.events.referral import ChildDetails, ChildMatchConfirmed
from contracts.reference import Role
from maag.runtime.messaging.outbox import outbound
from services.referral.adapters import translate
from services.referral.adapters.child_index import MOST_OFFERS, SqlChildIndex, keys_table
from services.referral.domain.matching import Key, likely, match_keys, postcode, soundex
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

CHILD = {
    "given_name": "Jayden",
    "family_name": "Smith",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Lane, Harlow CM20 1AB",
}
# the same child as a health visitor wrote them
VARIANT = {
    "given_name": "Jaden",
    "family_name": "Smyth",
    "date_of_birth": "2015-06-01",
    "address": "4 Mill Ln, HARLOW, cm201ab",
}
CONSENT = {
    "given_by": "parent-carer",
    "scope": ["education", "camhs", "primary-health", "housing"],
    "given_on": "2026-11-01",
    "how_obtained": "signed form",
}


def _child(child: dict[str, Any], **override: str) -> ChildDetails:
    return ChildDetails.model_validate({**child, **override})


def panel() -> dict[str, str]:
    return auth(Role.PANEL_MEMBER, "social-care")


def _refer(api: Api, agency: str, child: dict[str, Any], caf: str) -> dict[str, Any]:
    body = details(caf_reference=caf, referring_agency=agency, child=child, consent=CONSENT)
    r = api.client.post("/referrals", json=body, headers=auth(agency=agency))
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_spelling_variants_of_one_child_make_the_same_keys() -> None:
    assert match_keys(_child(CHILD)) == match_keys(_child(VARIANT))
    assert soundex("Robert") == soundex("Rupert") == "R163"
    assert (
        match_keys(_child(CHILD, given_name="Katie"))[Key.GIVEN]
        == match_keys(_child(CHILD, given_name="Katherine"))[Key.GIVEN]
    )
    assert postcode("Flat 2, 10 High St, Chelmsford  CM1 1AA") == "CM11AA"


def test_another_birthday_shares_no_key_whatever_the_name() -> None:
    other = match_keys(_child(CHILD, date_of_birth="2015-06-02"))
    assert not set(other.values()) & set(match_keys(_child(CHILD)).values())


@given(st.sets(st.sampled_from([Key.GIVEN, Key.FAMILY, Key.POSTCODE])))
def test_a_match_is_offered_only_on_the_given_name_and_one_more_key(matched: set[Key]) -> None:
    assert likely(matched) == (Key.GIVEN in matched and len(matched) >= 2)


def test_two_agencies_referrals_of_one_child_are_offered_and_a_panel_member_confirms(
    api: Api,
) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000201")
    second = _refer(api, "primary-health", VARIANT, "CAF-2026-000202")
    assert second["child_id"] != first["child_id"]
    # The health visitor cannot read the school's referral, so learns nothing of it: no
    # offer in the answer, none in /matches (a probe referral finds out nothing).
    assert second["matches_offered"] == 0
    r = api.client.get(
        f"/referrals/{second['case_id']}/matches", headers=auth(agency="primary-health")
    )
    assert (r.status_code, r.json()) == (200, [])
    # A panel member of the district sees the offer, with both referrals.
    r = api.client.get(f"/referrals/{second['case_id']}/matches", headers=panel())
    assert r.status_code == 200, r.text
    (offer,) = r.json()
    assert offer["child_id"] == first["child_id"]
    assert offer["referrals"] == [first["case_id"]] and offer["referrals_you_cannot_see"] == 0
    assert sorted(offer["keys_matched"]) == ["family", "given", "postcode"]

    # ... nor confirm it: the refusal names the field
    body = {"child_id": first["child_id"], "decision": "confirm", "reason": "same child"}
    r = api.client.post(
        f"/referrals/{second['case_id']}/child-match",
        json=body,
        headers=auth(agency="primary-health"),
    )
    assert r.status_code == 403, r.text
    assert "child_id" in r.text and "panel member" in r.text

    r = api.client.post(f"/referrals/{second['case_id']}/child-match", json=body, headers=panel())
    assert r.status_code == 200, r.text
    assert r.json()["child_id"] == first["child_id"]
    assert r.json()["matches_offered"] == 0


def test_the_confirmed_link_is_published_with_the_case_it_joins(api: Api) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000211")
    second = _refer(api, "primary-health", VARIANT, "CAF-2026-000212")
    assert first["status"] == "accepted"
    body = {"child_id": first["child_id"], "decision": "confirm", "reason": "same child"}
    r = api.client.post(f"/referrals/{second['case_id']}/child-match", json=body, headers=panel())
    assert r.status_code == 200, r.text
    out = [
        o.event
        for n in api.app.notifications(1, 1000)
        if n.originator_id == UUID(second["case_id"])
        and (
            o := outbound(translate.CLASSES, translate.translate, api.app.mapper.to_domain_event(n))
        )
        is not None
    ]
    confirmed = next(e for e in out if isinstance(e, ChildMatchConfirmed))
    assert str(confirmed.child_id) == first["child_id"]
    assert str(confirmed.previous_child_id) == second["child_id"]
    assert str(confirmed.joins_case_id) == first["case_id"]
    # a repeat changes nothing; a rejection after the confirmation is refused
    again = api.client.post(
        f"/referrals/{second['case_id']}/child-match", json=body, headers=panel()
    )
    assert again.status_code == 200
    r = api.client.post(
        f"/referrals/{second['case_id']}/child-match",
        json={**body, "decision": "reject"},
        headers=panel(),
    )
    assert r.status_code == 409 and "child_id" in r.text


def test_a_child_with_the_same_name_and_another_birthday_is_not_offered(api: Api) -> None:
    _refer(api, "education", CHILD, "CAF-2026-000221")
    other = _refer(api, "education", {**CHILD, "date_of_birth": "2016-01-20"}, "CAF-2026-000222")
    assert other["matches_offered"] == 0
    twin = _refer(api, "education", {**CHILD, "given_name": "Kayla"}, "CAF-2026-000223")
    assert twin["matches_offered"] == 0


def test_a_referrer_confirms_a_match_between_their_own_agencys_referrals(api: Api) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000231")
    second = _refer(api, "education", VARIANT, "CAF-2026-000232")
    body = {"child_id": first["child_id"], "decision": "confirm", "reason": "same pupil"}
    r = api.client.post(f"/referrals/{second['case_id']}/child-match", json=body, headers=auth())
    assert r.status_code == 200, r.text
    # the child's record lists both
    r = api.client.get(f"/children/{first['child_id']}", headers=auth())
    api.projector.catch_up()
    r = api.client.get(f"/children/{first['child_id']}", headers=auth())
    assert r.status_code == 200, r.text
    assert {x["case_id"] for x in r.json()["referrals"]} == {first["case_id"], second["case_id"]}
    # another agency's referrer sees no such child
    r = api.client.get(f"/children/{first['child_id']}", headers=auth(agency="housing"))
    assert r.status_code == 404 and "child_id" in r.text


def test_a_child_not_offered_cannot_be_confirmed(api: Api) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000241")
    other = _refer(api, "education", {**CHILD, "date_of_birth": "2010-01-01"}, "CAF-2026-000242")
    body = {"child_id": first["child_id"], "decision": "confirm", "reason": "sure"}
    r = api.client.post(f"/referrals/{other['case_id']}/child-match", json=body, headers=panel())
    assert r.status_code == 409 and "child_id" in r.text


def test_siblings_are_linked_as_a_household_by_someone_who_can_read_both(api: Api) -> None:
    older = _refer(api, "education", CHILD, "CAF-2026-000251")
    younger = _refer(
        api,
        "education",
        {**CHILD, "given_name": "Mia", "date_of_birth": "2018-02-02"},
        "CAF-2026-000252",
    )
    other_agency = _refer(api, "housing", {**CHILD, "given_name": "Leo"}, "CAF-2026-000253")
    url = f"/referrals/{older['case_id']}/household"
    r = api.client.post(url, json={"sibling_case_id": other_agency["case_id"]}, headers=auth())
    assert r.status_code == 404 and "sibling_case_id" in r.text
    r = api.client.post(url, json={"sibling_case_id": younger["case_id"]}, headers=auth())
    assert r.status_code == 200, r.text
    household = r.json()["household_id"]
    assert household
    api.projector.catch_up()
    r = api.client.get(f"/children/{older['child_id']}", headers=auth())
    assert [x["case_id"] for x in r.json()["household"]] == [younger["case_id"]]
    # a panel member adds the third sibling, of another agency, to the same household
    r = api.client.post(
        f"/referrals/{other_agency['case_id']}/household",
        json={"sibling_case_id": younger["case_id"]},
        headers=panel(),
    )
    assert r.status_code == 200 and r.json()["household_id"] == household
    r = api.client.post(url, json={"sibling_case_id": older["case_id"]}, headers=auth())
    assert r.status_code == 409 and "sibling_case_id" in r.text


def test_an_auditor_may_not_link(api: Api) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000261")
    second = _refer(api, "education", VARIANT, "CAF-2026-000262")
    body = {"child_id": first["child_id"], "decision": "reject", "reason": "no"}
    r = api.client.post(
        f"/referrals/{second['case_id']}/child-match",
        json=body,
        headers=auth(Role.AUDITOR, "county-audit"),
    )
    assert r.status_code == 403


def test_erasure_forgets_the_childs_match_keys(api: Api) -> None:
    first = _refer(api, "education", CHILD, "CAF-2026-000271")
    r = api.client.post(
        f"/privacy/cases/{first['case_id']}/erasure",
        json={"reason": "retention period ended"},
        headers=auth(Role.PRIVACY_OFFICER, "county-information-governance"),
    )
    assert r.status_code == 200, r.text
    index = api.app.index
    assert isinstance(index, SqlChildIndex)
    with index.engine.connect() as conn:
        left = conn.execute(
            keys_table.select().where(keys_table.c.case_id == UUID(first["case_id"]))
        ).all()
    assert left == []
    assert _refer(api, "education", VARIANT, "CAF-2026-000272")["matches_offered"] == 0


@pytest.mark.parametrize("name", ["李小龙", "Ólafur", "O'Brien-Smith"])
def test_names_in_any_script_make_keys(name: str) -> None:
    keys = match_keys(_child(CHILD, given_name=name, family_name=name))
    assert keys[Key.GIVEN] and keys[Key.FAMILY]


def test_a_much_referred_child_is_offered_at_most_a_few_times(api: Api) -> None:
    for n in range(8):
        _refer(api, "education", CHILD, f"CAF-2026-0003{n:02d}")
    r = api.client.get(
        f"/referrals/{_refer(api, 'education', VARIANT, 'CAF-2026-000399')['case_id']}/matches",
        headers=auth(),
    )
    assert len(r.json()) == MOST_OFFERS


def test_a_child_indexed_for_a_referral_not_yet_stored_is_not_offered_and_refuses_nothing(
    api: Api,
) -> None:
    """The index is written before the referral's commit: a second submission in that moment
    (or after that commit failed) names a case that is not there. It is no one's to read, so
    it is not offered, and the second referral is received (201), not answered 404."""
    committing = UUID(int=7)
    api.app.index.place(committing, UUID(int=8), match_keys(_child(CHILD)))
    second = _refer(api, "education", CHILD, "CAF-2026-000273")
    assert second["matches_offered"] == 0
    r = api.client.get(f"/referrals/{second['case_id']}/matches", headers=panel())
    assert r.status_code == 200, r.text
    assert r.json() == []
