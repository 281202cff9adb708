"""A panel decision form as the panel API's body (the API refuses what is wrong, by name)."""

from __future__ import annotations

from starlette.datastructures import FormData

from services.web.decisions import decision_body


def _form(*pairs: tuple[str, str]) -> FormData:
    return FormData(list(pairs))


def test_a_jap_package_form_carries_what_it_avoids_and_each_funders_share() -> None:
    body = decision_body(
        _form(
            ("kind", "request-package"),
            ("case_id", "c"),
            ("service", "therapy"),
            ("hours", "2.5"),
            ("starts_on", "2027-01-04"),
            ("review_weeks", "6"),
            ("weekly_cost", "£1,270.50"),
            ("alternative_to", "hospital"),
            ("alternative_to", "out-of-county-placement"),
            ("share-childrens-services", "60"),
            ("share-pct", "40"),
            ("share-adult-transition", ""),
        )
    )
    assert body["interventions"] == [
        {
            "service": "therapy",
            "starts_on": "2027-01-04",
            "review_interval_weeks": 6,
            "estimated_weekly_cost_pence": 127050,
            "hours_per_week": 2.5,
        }
    ]
    assert body["alternative_to"] == ["hospital", "out-of-county-placement"]
    assert body["funding_split"] == [
        {"agency": "childrens-services", "percent": 60},
        {"agency": "pct", "percent": 40},
    ]


def test_what_is_not_a_number_goes_on_as_typed_for_the_api_to_name() -> None:
    body = decision_body(_form(("kind", "request-package"), ("review_weeks", "six")))
    assert body["interventions"][0]["review_interval_weeks"] == "six"


def test_other_decisions_carry_their_reason_and_where_to() -> None:
    body = decision_body(
        _form(("kind", "escalate"), ("case_id", "c"), ("to", "earp"), ("reason", "risk"))
    )
    assert body == {"kind": "escalate", "case_id": "c", "reason": "risk", "to": "earp"}
    assert "to" not in decision_body(_form(("kind", "defer"), ("reason", "r")))


def test_a_closing_form_carries_where_the_child_stands() -> None:
    body = decision_body(
        _form(
            ("kind", "close"),
            ("case_id", "c"),
            ("reason", "goals met"),
            ("outcomes", "living-at-home"),
            ("outcomes", "in-local-school"),
        )
    )
    assert body == {
        "kind": "close",
        "case_id": "c",
        "reason": "goals met",
        "outcomes": ["living-at-home", "in-local-school"],
    }
    deferred = decision_body(_form(("kind", "defer"), ("case_id", "c"), ("reason", "x")))
    assert "outcomes" not in deferred


def test_a_referral_to_social_care_carries_its_reason_only() -> None:
    body = decision_body(
        _form(
            ("kind", "refer-to-social-care"),
            ("case_id", "c"),
            ("reason", " disclosure at the meeting "),
            ("to", "earp"),  # the other fields of the same form, left as they were
            ("outcomes", "living-at-home"),
        )
    )
    assert body == {
        "kind": "refer-to-social-care",
        "case_id": "c",
        "reason": "disclosure at the meeting",
    }
