"""Every triage rule, and that the order between them is the county's."""

from __future__ import annotations

from contracts.reference import Agency
from services.referral.domain.triage import Outcome, triage

TWO_ABOVE = [Agency.CAMHS, Agency.HOUSING]


def _triage(**kw: object) -> Outcome:
    args: dict[str, object] = {
        "significant_harm_concern": False,
        "agencies_requested": TWO_ABOVE,
        "transition": False,
        "has_consent": True,
        "has_safeguarding_basis": False,
    }
    args.update(kw)
    return triage(**args).outcome  # type: ignore[arg-type]


def test_significant_harm_is_redirected_to_social_care_before_anything_else() -> None:
    assert _triage(significant_harm_concern=True, agencies_requested=[], has_consent=False) is (
        Outcome.REDIRECTED_TO_SOCIAL_CARE
    )


def test_fewer_than_two_agencies_above_universal_is_declined_with_signposting() -> None:
    decision = triage(
        significant_harm_concern=False,
        agencies_requested=[Agency.CAMHS, Agency.EDUCATION, Agency.PRIMARY_HEALTH],
        transition=False,
        has_consent=True,
        has_safeguarding_basis=False,
    )
    assert decision.outcome is Outcome.DECLINED
    assert "asked: camhs" in decision.reason
    assert decision.signposting


def test_universal_services_do_not_count_towards_the_two() -> None:
    assert (
        _triage(agencies_requested=[Agency.EDUCATION, Agency.CHILDRENS_CENTRES]) is Outcome.DECLINED
    )


def test_a_transition_case_is_taken_even_with_one_agency() -> None:
    assert (
        _triage(agencies_requested=[Agency.ADULT_TRANSITION], transition=True) is Outcome.ACCEPTED
    )


def test_without_consent_or_safeguarding_basis_it_waits() -> None:
    assert _triage(has_consent=False) is Outcome.PENDING_CONSENT


def test_a_safeguarding_basis_stands_in_for_consent() -> None:
    assert _triage(has_consent=False, has_safeguarding_basis=True) is Outcome.ACCEPTED


def test_a_declined_case_is_declined_even_without_consent() -> None:
    assert _triage(agencies_requested=[Agency.CAMHS], has_consent=False) is Outcome.DECLINED


def test_accepted_gives_the_reason() -> None:
    decision = triage(
        significant_harm_concern=False,
        agencies_requested=TWO_ABOVE,
        transition=False,
        has_consent=True,
        has_safeguarding_basis=False,
    )
    assert (
        decision.reason
        == "2 agencies above universal services; sharing on consent; routed to the district MAAG"
    )
