"""The rule that consent in force on an open case is reconfirmed with the family once a year:
due on the anniversary of the day it was given (29 February's on 28 February), and recording
it again is the reconfirmation; nothing is due where no consent is in force or the case is
not open."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from contracts.events.referral import ConsentGiven, ConsentGiver, ReferralDetails
from contracts.reference import Agency, SocialCareAnswer, SocialCareRoute
from services.referral.domain.consent_review import reconfirm_by
from services.referral.domain.referral import Referral
from tests.support.referral import details, receive


def _consent(given_on: date) -> ConsentGiven:
    return ConsentGiven(
        given_by=ConsentGiver.PARENT_CARER,
        scope=[Agency.CAMHS, Agency.YOUTH_SERVICE],
        given_on=given_on,
        how_obtained="signed form",
    )


def _accepted(given_on: date, **more: Any) -> Referral:
    body = details(consent=_consent(given_on).model_dump(mode="json"), **more)
    return receive(ReferralDetails(**body))


@pytest.mark.parametrize(
    ("given_on", "due_on"),
    [
        (date(2025, 12, 11), date(2026, 12, 11)),
        (date(2024, 2, 29), date(2025, 2, 28)),  # a leap day: the last day of February
        (date(2027, 2, 28), date(2028, 2, 28)),  # not moved to the next leap day
        (date(2027, 3, 1), date(2028, 3, 1)),
        (date(2025, 12, 31), date(2026, 12, 31)),
    ],
)
def test_consent_is_due_to_be_reconfirmed_on_the_anniversary_of_the_day_it_was_given(
    given_on: date, due_on: date
) -> None:
    assert reconfirm_by(given_on) == due_on


def test_an_open_case_s_consent_is_due_a_year_on_and_recording_it_again_reconfirms_it() -> None:
    referral = _accepted(date(2024, 2, 29))
    assert referral.status == "accepted"
    assert referral.consent_reconfirm_by == date(2025, 2, 28)
    referral.record_consent(_consent(date(2025, 2, 20)))  # reconfirmed, a little early
    assert referral.consent_reconfirm_by == date(2026, 2, 20)
    assert referral.status == "accepted"  # nothing else changes


def test_nothing_is_due_without_consent_in_force() -> None:
    waiting = receive(ReferralDetails(**details()))  # no consent: it waits
    assert waiting.status == "pending-consent" and waiting.consent_reconfirm_by is None
    withdrawn = _accepted(date(2026, 1, 5))
    withdrawn.withdraw_consent(date(2026, 6, 1), "the family moved away")
    assert withdrawn.consent_reconfirm_by is None


def test_nothing_is_due_once_the_case_is_not_open() -> None:
    declined = _accepted(date(2026, 1, 5), agencies_requested=["camhs"])
    assert declined.status == "declined" and declined.consent_reconfirm_by is None
    closed = _accepted(date(2026, 1, 5))
    closed.note_closed("needs met", date(2026, 6, 1))
    assert closed.consent_reconfirm_by is None
    erased = _accepted(date(2026, 1, 5))
    erased.erase_personal_data("the young person asked", date(2026, 6, 1))
    assert erased.consent_reconfirm_by is None
    taken_on = _accepted(date(2026, 1, 5))
    taken_on.send_to_front_door(SocialCareRoute.PANEL, "a disclosure")
    assert taken_on.consent_reconfirm_by == date(2027, 1, 5)  # waiting: still the panel's
    taken_on.answer_front_door(SocialCareAnswer.ACCEPTED, "section 47", None)
    assert taken_on.consent_reconfirm_by is None
