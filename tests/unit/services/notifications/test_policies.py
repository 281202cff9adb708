"""Which event asks for which email, to whom; a repeat asks nothing new; an unknown provider
is still asked for (and then fails with the reason)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.envelope import Envelope
from contracts.events import Actor, IntegrationEvent
from contracts.events.commissioning import (
    CommissionedIntervention,
    DecommissionReason,
    PackageCommissioned,
    PackageDecommissioned,
)
from contracts.events.panel import (
    CasePaused,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    ReviewListed,
)
from contracts.reference import Agency, District, Panel, Role
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.notifications.adapters.directory import ProviderDirectory
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import Requests
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder

ACTOR = Actor(user_id="u", role=Role.PANEL_MEMBER, agency="social-care")
NOW = datetime(2026, 11, 27, tzinfo=UTC)


@pytest.fixture
def app(tmp_path: Path) -> NotificationsApp:
    return NotificationsApp(Settings(data_dir=tmp_path))


def _envelope(event: IntegrationEvent, event_id: str = "evt-1") -> Envelope:
    return Envelope(
        id=event_id,
        source="/maag/x",
        type=event.TYPE,
        time=NOW,
        subject=event.subject,
        correlation_id="c",
        causation_id=None,
        actor=ACTOR,
        sequence=1,
    )


def _ask(
    app: NotificationsApp, handler: Any, event: IntegrationEvent, event_id: str = "evt-1"
) -> list[Notification]:
    work = Work(app)
    handler(Delivery(event, _envelope(event, event_id), "maag.panel.events", 0, 0), work)
    work.commit()
    return [a for a in work.aggregates if isinstance(a, Notification)]


def _requests() -> Requests:
    return Requests("https://maag.example", ProviderDirectory().email_of)


def test_each_event_asks_for_the_right_email(app: NotificationsApp) -> None:
    r, case = _requests(), uuid.uuid4()
    base: dict[str, Any] = {"case_id": case, "occurred_at": NOW, "actor": ACTOR}
    cases = [
        (
            r.lead_assigned,
            LeadProfessionalAssigned(
                **base,
                panel=Panel.MAAG,
                meeting_id=uuid.uuid4(),
                professional_id="lp",
                professional_name="Lee",
                agency=Agency.EDUCATION,
                work_email="lee@s.example",
            ),
            "lead-professional-assigned",
            ["lee@s.example"],
        ),
        (
            r.case_paused,
            CasePaused(**base, reason="consent withdrawn", lead_professional_email="lee@s.example"),
            "consent-withdrawn",
            ["lee@s.example"],
        ),
        (
            r.package_commissioned,
            PackageCommissioned(
                **base,
                package_id=uuid.uuid4(),
                panel=Panel.MAAG,
                weekly_cost_pence=100,
                starts_on=date(2026, 12, 7),
                review_on=date(2027, 3, 1),
                interventions=[
                    CommissionedIntervention(
                        service="family support", provider_id="pvi-12", weekly_cost_pence=60
                    ),
                    CommissionedIntervention(
                        service="therapy", provider_id="health-camhs", weekly_cost_pence=40
                    ),
                ],
            ),
            "package-commissioned",
            ["camhs-referrals@pct.example", "packages@brighter-futures.example"],
        ),
        (
            r.package_decommissioned,
            PackageDecommissioned(
                **base,
                package_id=uuid.uuid4(),
                reason=DecommissionReason.OUTCOMES_MET,
                effective_from=date(2027, 1, 1),
                provider_ids=["pvi-12"],
            ),
            "package-decommissioned",
            ["packages@brighter-futures.example"],
        ),
    ]
    for i, (handler, event, template, recipients) in enumerate(cases):
        asked = _ask(app, handler, event, f"evt-{i}")
        assert sorted(n.recipient for n in asked) == recipients
        assert {n.template for n in asked} == {template}


def test_a_listed_review_is_kept_as_a_reminder_for_its_day_not_sent_now(
    app: NotificationsApp,
) -> None:
    event = ReviewListed(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=NOW,
        review_on=date(2027, 3, 1),
        lead_professional_email="lee@s.example",
    )
    assert _ask(app, _requests().review_listed, event) == []  # no email yet
    work = Work(app)
    _requests().review_listed(Delivery(event, _envelope(event), "maag.panel.events", 0, 0), work)
    (reminder,) = [a for a in work.aggregates if isinstance(a, Reminder)]
    assert (reminder.due_on, reminder.template, reminder.recipient) == (
        date(2027, 2, 15),  # 14 days before the review
        "review-due",
        "lee@s.example",
    )


def test_the_same_event_twice_asks_once(app: NotificationsApp) -> None:
    event = CasePaused(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        reason="x",
        lead_professional_email="lee@s.example",
    )
    (first,) = _ask(app, _requests().case_paused, event)
    stored = len(app.notifications(0, 100))
    _ask(app, _requests().case_paused, event)
    assert len(app.notifications(0, 100)) == stored == 1
    assert app.repository.get(first.id).version == 1


def test_no_lead_professional_yet_means_no_email(app: NotificationsApp) -> None:
    event = CasePaused(case_id=uuid.uuid4(), occurred_at=NOW, actor=ACTOR, reason="x")
    assert _ask(app, _requests().case_paused, event) == []


def test_an_unknown_provider_is_asked_for_so_the_failure_is_recorded(app: NotificationsApp) -> None:
    event = PackageDecommissioned(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        reason=DecommissionReason.CASE_CLOSED,
        effective_from=date(2027, 1, 1),
        provider_ids=["nobody-knows"],
    )
    (asked,) = _ask(app, _requests().package_decommissioned, event)
    assert asked.recipient == "unknown-provider:nobody-knows"


def _failure(lead_email: str | None, district: str | None = "harlow") -> CommissioningFailureListed:
    return CommissioningFailureListed(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        panel=Panel.MAAG if district else Panel.EARP,
        district=District(district) if district else None,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
        reason="no-capacity",
        detail="no provider in the West quadrant has 4 hours a week free",
        lead_professional_email=lead_email,
    )


def test_a_package_not_commissioned_reaches_the_lead_and_the_coordinator_once(
    app: NotificationsApp,
) -> None:
    event = _failure("lee@school.example")
    asked = _ask(app, _requests().commissioning_failure_listed, event)
    assert sorted(n.recipient for n in asked) == ["lee@school.example", "maag-harlow@essex.example"]
    assert {n.template for n in asked} == {"package-not-commissioned"}
    assert asked[0].context["detail"] == event.detail
    stored = len(app.notifications(0, 100))
    _ask(app, _requests().commissioning_failure_listed, event)  # redelivered
    assert len(app.notifications(0, 100)) == stored == 2
    assert all(app.repository.get(n.id).version == 1 for n in asked)


def test_without_a_lead_the_earp_coordinator_is_still_told(app: NotificationsApp) -> None:
    (asked,) = _ask(app, _requests().commissioning_failure_listed, _failure(None, None))
    assert asked.recipient == "earp@essex.example"
