"""Every triage rule, and that the order between them is the county's."""

from __future__ import annotations

import pytest

from contracts.reference import Agency, Service, TransitionBasis
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
        agencies_requested=[Agency.CAMHS],
        transition=False,
        has_consent=True,
        has_safeguarding_basis=False,
    )
    assert decision.outcome is Outcome.DECLINED
    assert "asked: camhs" in decision.reason
    assert decision.signposting


def test_school_and_camhs_is_a_multi_disciplinary_referral_and_is_accepted() -> None:
    # "MAAG will accept any referrals that require a multi disciplinary intervention to meet
    # complex needs": an agency asked for is asked for support above universal services.
    assert _triage(agencies_requested=[Agency.EDUCATION, Agency.CAMHS]) is Outcome.ACCEPTED


def test_an_agency_named_only_by_its_universal_services_does_not_count() -> None:
    # "two or more agencies over and above universal services": a school place or a GP is
    # what every child has.
    only_universal = [Service.SCHOOL, Service.GP]
    assert (
        _triage(
            agencies_requested=[Agency.EDUCATION, Agency.PRIMARY_HEALTH, Agency.CAMHS],
            services_requested=only_universal,
        )
        is Outcome.DECLINED
    )


@pytest.mark.parametrize(
    "targeted",
    [
        [Service.EDUCATIONAL_PSYCHOLOGY, Service.SPECIALIST_HEALTH],
        [Service.BEHAVIOUR_SUPPORT, Service.EDUCATION_WELFARE, Service.FAMILY_OUTREACH],
        [Service.SCHOOL, Service.SPECIAL_EDUCATIONAL_NEEDS, Service.SPEECH_AND_LANGUAGE_THERAPY],
    ],
)
def test_targeted_services_within_education_health_and_childrens_centres_count(
    targeted: list[Service],
) -> None:
    assert _triage(agencies_requested=[], services_requested=targeted) is Outcome.ACCEPTED


def test_a_transition_case_is_taken_even_with_one_agency() -> None:
    assert (
        _triage(agencies_requested=[Agency.ADULT_TRANSITION], transition=True) is Outcome.ACCEPTED
    )


@pytest.mark.parametrize("basis", list(TransitionBasis))
def test_transition_for_the_looked_after_the_hospitalised_and_acute_needs(
    basis: TransitionBasis,
) -> None:
    # "children and young people who have been/ or are Looked After or in hospital and those
    # with acute needs to be supported in their local community"
    decision = triage(
        significant_harm_concern=False,
        agencies_requested=[Agency.CAMHS],
        transition=False,
        transition_basis=basis,
        has_consent=True,
        has_safeguarding_basis=False,
    )
    assert decision.outcome is Outcome.ACCEPTED
    assert decision.reason.startswith(f"transition case ({basis.value})")


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
