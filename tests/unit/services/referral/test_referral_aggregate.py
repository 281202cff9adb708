"""Consent transitions of the Referral aggregate and the events they record."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.events.referral import ConsentGiven, ConsentGiver, ReferralDetails
from contracts.reference import Agency, Role
from maag.runtime.web.auth import Caller
from services.referral.domain.referral import Referral
from services.referral.domain.values import ReferralConflict, SafeguardingBasis
from tests.support.referral import details, receive

CALLER = Caller.of("u-1", Role.REFERRER, "education")
TODAY = date(2026, 11, 27)


def _referral(**override: Any) -> Referral:
    return receive(ReferralDetails(**details(**override)))


def _outcomes(referral: Referral) -> list[str]:
    return [e.outcome for e in referral.collect_events() if isinstance(e, Referral.Triaged)]


def _consent(referral: Referral) -> None:
    referral.record_consent(
        ConsentGiven(
            given_by=ConsentGiver.PARENT_CARER,
            scope=[Agency.CAMHS],
            given_on=TODAY,
            how_obtained="meeting",
        )
    )


def _basis(referral: Referral) -> None:
    referral.record_safeguarding_basis(
        SafeguardingBasis("sw-1", "A. Worker", "risk to the child", TODAY)
    )


def test_a_new_referral_without_consent_waits_for_it() -> None:
    referral = _referral()
    assert referral.status == "pending-consent"
    assert _outcomes(referral) == ["pending-consent"]


def test_consent_moves_a_waiting_referral_to_accepted() -> None:
    referral = _referral()
    _consent(referral)
    assert referral.status == "accepted"
    assert _outcomes(referral) == ["pending-consent", "accepted"]


def test_a_safeguarding_basis_moves_a_waiting_referral_to_accepted() -> None:
    referral = _referral()
    _basis(referral)
    assert referral.status == "accepted"
    assert referral.safeguarding_basis is not None
    assert referral.safeguarding_basis.professional_id == "sw-1"


def test_consent_withdrawn_after_acceptance_pauses_the_case_without_a_new_outcome() -> None:
    referral = _referral()
    _consent(referral)
    referral.withdraw_consent(TODAY, "family changed its mind")
    assert referral.status == "paused-consent-withdrawn"
    events = referral.collect_events()
    assert [type(e).__name__ for e in events][-1] == "ConsentWithdrawn"


def test_consent_given_again_resumes_the_case() -> None:
    referral = _referral()
    _consent(referral)
    referral.withdraw_consent(TODAY, "family changed its mind")
    _consent(referral)
    assert referral.status == "accepted"
    assert _outcomes(referral) == ["pending-consent", "accepted", "accepted"]


def test_withdrawal_with_a_safeguarding_basis_in_place_does_not_pause() -> None:
    referral = _referral()
    _consent(referral)
    _basis(referral)
    referral.withdraw_consent(TODAY, "withdrawn")
    assert referral.status == "accepted"
    withdrawn = [e for e in referral.collect_events() if isinstance(e, Referral.ConsentWithdrawn)]
    assert withdrawn[0].basis_remains is True


def test_withdrawing_consent_never_given_is_refused() -> None:
    with pytest.raises(ReferralConflict, match="no consent is recorded"):
        _referral().withdraw_consent(TODAY, "x")


@pytest.mark.parametrize(
    ("override", "outcome"),
    [
        ({"significant_harm_concern": True}, "redirected-to-social-care"),
        ({"agencies_requested": ["camhs"]}, "declined"),
    ],
)
def test_a_closed_referral_takes_no_consent(override: dict[str, Any], outcome: str) -> None:
    referral = _referral(**override)
    assert referral.status == outcome
    with pytest.raises(ReferralConflict, match=f"the referral was {outcome}"):
        _consent(referral)
