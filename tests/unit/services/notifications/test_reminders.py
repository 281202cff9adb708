"""Review reminders go a set number of days before each review's meeting, not when the review
is listed: three review cycles of one package, three emails, each on its day (on a clock the
test moves), each once. A package's review listed again (moved, brought forward, left
undecided) supersedes its earlier reminder: one live reminder per review."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.envelope import Envelope
from contracts.events import Actor
from contracts.events.panel import ReviewListed
from contracts.reference import Panel, Role
from maag.runtime.follow.projection import Projector, read_model_engine
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work
from services.notifications.adapters import read_model
from services.notifications.adapters.reminders import ReminderLoop
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.fire_reminder import FireReminder
from services.notifications.application.policies.on_review_listed import on_review_listed
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder
from tests.unit.services.notifications.conftest import make_app

ACTOR = Actor(user_id="panel-service", role=Role.SYSTEM, agency="maag")
REVIEWS = [date(2027, 3, 1), date(2027, 5, 24), date(2027, 8, 16)]  # every 12 weeks
DAYS_BEFORE = 14


@pytest.fixture
def app(tmp_path: Path) -> NotificationsApp:
    return make_app(tmp_path, review_reminder_days=DAYS_BEFORE)


def _at(day: date, hour: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hour)


def _listed(
    app: NotificationsApp,
    case_id: uuid.UUID,
    review_on: date,
    n: int,
    listed_on: date = date(2026, 12, 1),
    meeting_on: date | None = None,
) -> None:
    """The package's review listed (by the panel on `listed_on`) on the meeting of
    `meeting_on` (by default the day after the review)."""
    event = ReviewListed(
        case_id=case_id,
        occurred_at=_at(listed_on, hour=n % 24),
        actor=ACTOR,
        package_id=uuid.UUID(int=7),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=_at(meeting_on or review_on + timedelta(days=1), hour=10),
        review_on=review_on,
        lead_professional_email="lee@school.example",
    )
    envelope = Envelope(
        id=f"review-listed-{n}",
        source="/maag/panel",
        type=event.TYPE,
        time=event.occurred_at,
        subject=event.subject,
        correlation_id="c",
        causation_id=None,
        actor=ACTOR,
        sequence=n,
    )
    for _ in range(2):  # each listing arrives twice: one reminder
        work = Work(app)
        on_review_listed(Delivery(event, envelope, "maag.panel.events", 0, n), work)
        work.commit()


def _emails(app: NotificationsApp) -> list[Any]:
    return [
        e
        for n in app.notifications_after(0)
        if isinstance(e := app.mapper.to_domain_event(n), Notification.Requested)
    ]


def _days(
    app: NotificationsApp,
    tmp_path: Path,
    first: date,
    last: date,
    listings: dict[date, list[Callable[[], None]]],
) -> dict[str, date]:
    """Each day from `first` to `last`: list what `listings` lists that day, then run the
    loop. When each email went (by the review and meeting it names)."""
    engine = read_model_engine(Settings(data_dir=tmp_path), "notifications")
    projector = Projector(app, engine, read_model.metadata, read_model.project, "n")
    today = [first]
    loop = ReminderLoop(app, engine, today=lambda: today[0])
    sent_on: dict[str, date] = {}
    while today[0] <= last:
        for listing in listings.get(today[0], []):
            listing()
        projector.catch_up()
        loop.tick()
        for e in _emails(app):
            sent_on.setdefault(f"{e.context['review_on']}@{e.context['meeting_date']}", today[0])
        today[0] += timedelta(days=1)
    return sent_on


def test_three_reviews_three_reminders_each_on_its_day_and_once(
    app: NotificationsApp, tmp_path: Path
) -> None:
    case_id = uuid.uuid4()
    # each review is listed when the one before it is reviewed (the first when commissioned)
    listed_on = [date(2026, 12, 1), *(r + timedelta(days=1) for r in REVIEWS[:-1])]
    listings: dict[date, list[Callable[[], None]]] = {
        day: [partial(_listed, app, case_id, review_on, n, listed_on=day)]
        for n, (day, review_on) in enumerate(zip(listed_on, REVIEWS, strict=True), start=1)
    }
    sent_on = _days(app, tmp_path, date(2026, 12, 1), REVIEWS[-1], listings)

    assert sent_on == {
        f"{r}@{r + timedelta(days=1)}": r - timedelta(days=DAYS_BEFORE) for r in REVIEWS
    }
    emails = _emails(app)
    assert len(emails) == 3 and {e.template for e in emails} == {"review-due"}
    assert {e.recipient for e in emails} == {"lee@school.example"}


def test_a_review_listed_within_the_reminder_window_is_reminded_at_once(
    app: NotificationsApp, tmp_path: Path
) -> None:
    case_id = uuid.uuid4()
    _listed(app, case_id, date(2026, 12, 8), 1)  # a week away: its reminder day has passed
    engine = read_model_engine(Settings(data_dir=tmp_path), "notifications")
    Projector(app, engine, read_model.metadata, read_model.project, "n").catch_up()
    loop = ReminderLoop(app, engine, today=lambda: date(2026, 12, 1))
    assert loop.tick() == 1
    assert loop.tick() == 0  # fired: not again
    assert len(_emails(app)) == 1


def test_a_reminder_fired_by_two_replicas_at_once_becomes_one_email(
    app: NotificationsApp,
) -> None:
    _listed(app, uuid.uuid4(), date(2026, 12, 8), 1)
    (reminder_id,) = [
        e.originator_id
        for n in app.notifications_after(0)
        if isinstance(e := app.mapper.to_domain_event(n), Reminder.Scheduled)
    ]
    fire = FireReminder(
        caller=SERVICE, correlation_id="c", reminder_id=reminder_id, today=date(2026, 12, 1)
    )
    first, second = Work(app), Work(app)
    made = [app.handle(fire, first), app.handle(fire, second)]
    assert all(isinstance(n, Notification) for n in made)
    first.commit()
    with pytest.raises(IntegrityError):  # the same ids: the store refuses the second
        second.commit()
    (email,) = _emails(app)
    assert email.context["link"] == f"https://maag.example/cases/{email.case_id}"
    assert app.handle(fire, Work(app)) is None  # fired: not due any more


def test_a_review_listed_again_supersedes_its_reminder_so_only_the_last_goes(
    app: NotificationsApp, tmp_path: Path
) -> None:
    """Listed on the MAAG's meeting, then moved to another tier's (a later meeting): one
    email, naming the meeting the review is now at."""
    case_id, review_on = uuid.uuid4(), date(2027, 3, 1)
    moved_to = date(2027, 3, 4)
    listings: dict[date, list[Callable[[], None]]] = {
        date(2026, 12, 1): [partial(_listed, app, case_id, review_on, 1)],
        date(2026, 12, 10): [
            partial(_listed, app, case_id, review_on, 2, date(2026, 12, 10), moved_to)
        ],
    }
    sent_on = _days(app, tmp_path, date(2026, 12, 1), moved_to, listings)
    assert sent_on == {f"{review_on}@{moved_to}": review_on - timedelta(days=DAYS_BEFORE)}
    assert len(_emails(app)) == 1


def test_a_listing_older_than_the_latest_does_not_revive_its_reminder(
    app: NotificationsApp, tmp_path: Path
) -> None:
    """The second listing delivered first (the order of `occurred_at` decides, not of
    arrival): the first, arriving late, asks for nothing."""
    case_id, review_on = uuid.uuid4(), date(2027, 3, 1)
    moved_to = date(2027, 3, 4)
    listings: dict[date, list[Callable[[], None]]] = {
        date(2026, 12, 10): [
            partial(_listed, app, case_id, review_on, 2, date(2026, 12, 10), moved_to),
            partial(_listed, app, case_id, review_on, 1),  # listed on 1 December
        ],
    }
    sent_on = _days(app, tmp_path, date(2026, 12, 10), moved_to, listings)
    assert sent_on == {f"{review_on}@{moved_to}": review_on - timedelta(days=DAYS_BEFORE)}
    assert len(_emails(app)) == 1


def test_a_review_brought_forward_to_a_meeting_called_for_today_is_reminded_today(
    app: NotificationsApp, tmp_path: Path
) -> None:
    """Due the reminder days before the meeting that will review it, not the review day."""
    case_id, review_on = uuid.uuid4(), date(2027, 3, 1)
    today = date(2026, 12, 5)
    listings: dict[date, list[Callable[[], None]]] = {
        date(2026, 12, 1): [partial(_listed, app, case_id, review_on, 1)],
        today: [partial(_listed, app, case_id, review_on, 2, today, today)],  # brought forward
    }
    sent_on = _days(app, tmp_path, date(2026, 12, 1), review_on, listings)
    assert sent_on == {f"{review_on}@{today}": today}  # and the one it replaced never goes
    assert len(_emails(app)) == 1
