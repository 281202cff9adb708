"""The boards' equality figures and the episodes extract: counted from the sealed records,
published only as counts of five or more, the extract without names or numbers."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from contracts.events.referral import ChildDetails
from contracts.limits import latest_today
from contracts.reference import Role
from services.referral.domain.equality import (
    AgeBand,
    Coded,
    Figure,
    age_band,
    figures,
    published_total,
    tables,
    whole_months,
)
from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api


def commissioner() -> dict[str, str]:
    return auth(Role.COMMISSIONER, "childrens-services")


CONSENT = {
    "given_by": "parent-carer",
    "scope": ["education", "camhs"],
    "given_on": "2026-11-01",
    "how_obtained": "signed form",
}


def _child(**record: Any) -> ChildDetails:
    base = {"given_name": "A", "family_name": "B", "address": "1 High St"}
    return ChildDetails.model_validate({**base, **record})


def test_age_bands_are_the_cin_census_bands_at_the_referral() -> None:
    on = date(2026, 12, 7)
    assert age_band(_child(date_of_birth="2026-06-01"), on) is AgeBand.UNDER_1
    assert age_band(_child(date_of_birth="2025-12-07"), on) is AgeBand.AGE_1_TO_4
    assert age_band(_child(date_of_birth="2021-12-08"), on) is AgeBand.AGE_1_TO_4
    assert age_band(_child(date_of_birth="2021-12-07"), on) is AgeBand.AGE_5_TO_9
    assert age_band(_child(date_of_birth="2010-12-08"), on) is AgeBand.AGE_10_TO_15
    assert age_band(_child(date_of_birth="2010-12-07"), on) is AgeBand.AGE_16_AND_OVER
    due = (latest_today() + timedelta(days=30)).isoformat()
    assert age_band(_child(expected_date_of_delivery=due), on) is AgeBand.UNBORN


def test_counts_of_one_to_four_are_suppressed_and_zero_is_shown() -> None:
    found = figures(["f"] * 7 + ["m"] * 6 + ["x"] * 3 + ["y"] * 4, ["f", "m", "x", "y", "z"])
    assert found == [
        Figure("f", 7),
        Figure("m", 6),
        Figure("x", None),
        Figure("y", None),
        Figure("z", 0),
    ]


def test_with_only_one_to_four_referrals_nothing_is_published() -> None:
    few = [Coded("female", "white-irish", "5-9", "false", "none")] * 3
    found = tables(few)
    assert published_total(3) is None
    assert all(f.count is None for figures_ in found.values() for f in figures_)
    assert published_total(0) == 0 and published_total(5) == 5


def test_the_period_is_widened_to_whole_months() -> None:
    assert whole_months(date(2026, 12, 7), date(2026, 12, 7)) == (
        date(2026, 12, 1),
        date(2026, 12, 31),
    )
    assert whole_months(date(2027, 2, 10), date(2028, 2, 3)) == (
        date(2027, 2, 1),
        date(2028, 2, 29),
    )


def test_a_lone_suppressed_count_takes_the_next_smallest_with_it() -> None:
    # with the total published, 9 - 5 = 4 would give the suppressed count away
    found = figures(["f"] * 5 + ["m"] * 4 + ["n"] * 9, ["f", "m", "n", "z"])
    assert found == [Figure("f", None), Figure("m", None), Figure("n", 9), Figure("z", 0)]


def _refer(api: Api, child: dict[str, Any], n: int) -> None:
    body = details(caf_reference=f"CAF-2026-44{n:04d}", child=child, consent=CONSENT)
    r = api.client.post("/referrals", json=body, headers=auth())
    assert r.status_code == 201, r.text


def test_the_boards_see_the_referrals_by_sex_ethnicity_and_age_band(api: Api) -> None:
    base = {"given_name": "Kit", "family_name": "Marlowe", "address": "2 Mill Rd, Harlow CM20 1AB"}
    groups = [
        (6, "2017-05-01", "female", "white-british"),
        (5, "2012-05-01", "male", "white-irish"),
        (2, "2012-05-01", "not-stated", "black-african"),
    ]
    n = 0
    for count, born, sex_of, group in groups:
        for _ in range(count):
            record = {"date_of_birth": born, "sex": sex_of, "ethnicity": group}
            _refer(
                api, {**base, "family_name": f"Marlowe{n}", **record, "nhs_number": "9434765919"}, n
            )
            n += 1
    api.projector.catch_up()
    today = date.today()
    r = api.client.get(f"/reports/equality?from={today}&to={today}", headers=commissioner())
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["referrals"] == 13
    # 2 is suppressed, and 5 with it (13 - 6 - 5 would give the 2 away)
    sex = {f["value"]: f["count"] for f in report["by_sex"]}
    assert (sex["female"], sex["male"], sex["not-stated"], sex["not-known"]) == (6, None, None, 0)
    ethnicity = {f["value"]: f for f in report["by_ethnicity"]}
    assert ethnicity["white-british"]["count"] == 6
    assert ethnicity["black-african"] == {
        "value": "black-african",
        "count": None,
        "suppressed": True,
    }
    ages = {f["value"]: f["count"] for f in report["by_age_band"]}
    assert (ages["5-9"], ages["10-15"], ages["unborn"]) == (6, 7, 0)

    assert report["first"] == today.replace(day=1).isoformat()  # whole months

    # the extract: one row per case, coded, nothing that names the child or the case
    before = len(api.app.notifications(1, 100_000))
    r = api.client.get(f"/reports/episodes.csv?from={today}&to={today}", headers=commissioner())
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 13 and {row["age_band"] for row in rows} == {"5-9", "10-15"}
    assert "Marlowe" not in r.text and "9434765919" not in r.text and "2017-05-01" not in r.text
    assert "case_id" not in rows[0] and {row["received_month"] for row in rows} == {
        today.strftime("%Y-%m")
    }
    assert not any(str(n.originator_id) in r.text for n in api.app.notifications(1, 100_000))
    # each case whose record was opened for its row: a read recorded on it
    assert len(api.app.notifications(1, 100_000)) - before == 13
    assert {row["sex"] for row in rows} == {"female", "male", "not-stated"}


def test_only_commissioners_and_auditors_read_the_figures_and_only_commissioners_the_extract(
    api: Api,
) -> None:
    assert api.client.get("/reports/equality", headers=auth()).status_code == 403
    assert (
        api.client.get("/reports/equality", headers=auth(Role.AUDITOR, "county-audit")).status_code
        == 200
    )
    assert (
        api.client.get(
            "/reports/episodes.csv", headers=auth(Role.AUDITOR, "county-audit")
        ).status_code
        == 403
    )
    r = api.client.get("/reports/equality?from=2026-12-01&to=2026-11-01", headers=commissioner())
    assert r.status_code == 422 and "to" in r.text


def test_a_child_referred_before_birth_counts_as_unborn_at_the_referral_once_born(
    api: Api,
) -> None:
    due = (latest_today() + timedelta(days=60)).isoformat()
    child = {
        "given_name": "Baby",
        "family_name": "Lark",
        "address": "3 Elm Rd",
        "expected_date_of_delivery": due,
    }
    body = details(
        caf_reference="CAF-2026-449999",
        referring_agency="primary-health",
        child=child,
        consent=CONSENT,
    )
    r = api.client.post("/referrals", json=body, headers=auth(agency="primary-health"))
    assert r.status_code == 201, r.text
    case = r.json()["case_id"]
    born = {"date_of_birth": date.today().isoformat(), "sex": "male"}
    r = api.client.post(
        f"/referrals/{case}/birth", json=born, headers=auth(agency="primary-health")
    )
    assert r.status_code == 200, r.text
    api.projector.catch_up()
    today = date.today()
    r = api.client.get(f"/reports/episodes.csv?from={today}&to={today}", headers=commissioner())
    (row,) = list(csv.DictReader(io.StringIO(r.text)))
    assert (row["age_band"], row["sex"]) == ("unborn", "male")
