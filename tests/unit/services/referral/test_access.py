"""Need-to-know for a referral, as a rule (the real-broker test is in
tests/integration/services/referral/test_need_to_know.py)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.events.referral import ReferralDetails
from contracts.reference import Agency, Role
from maag.runtime.store.unit_of_work import NotFound
from maag.runtime.web.auth import Caller
from services.referral.application.access import require_reader, sees_personal_data
from services.referral.domain.referral import Referral
from services.referral.domain.values import SafeguardingBasis
from tests.support.referral import details, receive

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


def _referral() -> Referral:
    return receive(ReferralDetails(**details(consent=CONSENT)))


def _lead(user: str, agency: str) -> Caller:
    return Caller.of(user, Role.LEAD_PROFESSIONAL, agency)


def test_a_lead_professional_reads_only_the_case_the_panel_gave_them() -> None:
    referral = _referral()
    with pytest.raises(NotFound):
        require_reader(referral, _lead("lp-1", "camhs"))
    referral.note_lead_professional("lp-1", "camhs")
    require_reader(referral, _lead("lp-1", "camhs"))
    with pytest.raises(NotFound):
        require_reader(referral, _lead("lp-2", "camhs"))  # the same agency is not enough


@pytest.mark.parametrize(
    ("agency", "consent", "basis", "sees"),
    [
        ("camhs", True, False, True),  # consent names the lead's agency
        ("police", True, False, False),  # consent does not
        ("police", True, True, True),  # a safeguarding basis is on record
        ("camhs", False, False, False),  # consent withdrawn
        ("education", True, False, True),  # the referring agency gave the details
        # withdrawn: the lead's access ends, even of the referring agency (its referrers
        # keep theirs)
        ("education", False, False, False),
    ],
)
def test_the_child_details_go_to_the_lead_only_as_consent_or_a_basis_allows(
    agency: str, consent: bool, basis: bool, sees: bool
) -> None:
    referral = _referral()
    referral.note_lead_professional("lp-1", agency)
    if basis:
        referral.record_safeguarding_basis(
            SafeguardingBasis("sw-1", "S Worker", "risk of harm", date(2026, 11, 27))
        )
    if not consent:
        referral.withdraw_consent(date(2026, 11, 27), "withdrawn")
    assert sees_personal_data(referral, _lead("lp-1", agency)) is sees


def test_others_see_no_details_and_the_lead_loses_them_when_the_case_ends() -> None:
    referral = _referral()
    assert sees_personal_data(referral, Caller.of("r-1", Role.REFERRER, "education"))
    assert not sees_personal_data(referral, Caller.of("r-2", Role.REFERRER, "police"))
    assert not sees_personal_data(referral, Caller.of("a-1", Role.AUDITOR, "county-audit"))
    referral.note_lead_professional("lp-1", Agency.CAMHS.value)
    referral.end_lead_professional("case closed at panel: outcomes met")
    with pytest.raises(NotFound):
        require_reader(referral, _lead("lp-1", "camhs"))
