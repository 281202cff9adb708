"""A case's state as of a time, folded from timeline entries: each kind of event moves the
state the way the service did (as each service's audit spec says), and nothing after the
moment counts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from maag.runtime.evidence.reads import CaseRead
from maag.runtime.evidence.timeline import Entry, as_of, describe
from maag.services import SPECS
from services.commissioning.domain.aggregates import Package
from services.notifications.domain.notification import Notification
from services.panel.domain.case import PanelCase
from services.referral.domain.referral import Referral

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CASE = uuid.uuid4()
OWNER = {
    Referral: "referral",
    PanelCase: "panel",
    Package: "commissioning",
    Notification: "notifications",
}


def entry(minute: int, event: str, aggregate: str = "a", **details: Any) -> Entry:
    """The entry its service describes for a stored `<Aggregate>.<Event>` with `details`
    (built the way the store rebuilds an event: its attributes, no constructor)."""
    outer_name, _, inner = event.partition(".")
    outer = next((k for k in [*OWNER, CaseRead] if k.__name__ == outer_name), None)
    assert outer is not None, event
    cls = getattr(outer, inner)
    stored = object.__new__(cls)
    aggregate_id = uuid.uuid5(uuid.NAMESPACE_URL, aggregate)
    stored.__dict__.update(
        originator_id=aggregate_id,
        originator_version=1,
        timestamp=T0 + timedelta(minutes=minute),
        **details,
    )
    service = OWNER.get(outer, "referral")
    return describe(service, CASE, stored, SPECS[service].audit)


P1 = uuid.uuid5(uuid.NAMESPACE_URL, "p1")
LINE = {"provider_id": "inhouse-mid", "service": "family support"}
HISTORY = [
    entry(0, "Referral.Received"),
    entry(1, "Referral.ConsentRecorded"),
    entry(2, "Referral.Triaged", outcome="accepted", district="maldon"),
    entry(3, "PanelCase.Opened", district="maldon"),
    entry(4, "PanelCase.Listed", panel="maag"),
    entry(
        5,
        "PanelCase.LeadProfessionalAssigned",
        panel="maag",
        professional_id="lp-1",
        professional_name="Lee Lead",
        agency="education",
    ),
    entry(
        6,
        "Package.Commissioned",
        "p1",
        package_id=P1,
        lines=[LINE],
        weekly_cost_pence=100,
        starts_on="2026-12-01",
    ),
    entry(
        7,
        "Package.Recommissioned",
        "p1",
        lines=[{**LINE, "provider_id": "camhs"}],
        weekly_cost_pence=120,
        starts_on="2026-12-08",
    ),
    entry(8, "Notification.Sent"),
    entry(9, "PanelCase.Escalated", to_panel="earp"),
    entry(10, "Package.Decommissioned", "p1"),
    entry(11, "Referral.ConsentWithdrawn", basis_remains=True),
    entry(12, "CaseRead.Recorded"),
    entry(13, "Referral.Viewed"),
]


def test_nothing_before_the_first_event() -> None:
    state = as_of(HISTORY, T0 - timedelta(seconds=1))
    assert (state.status, state.consent, state.panel) == ("unknown", "not recorded", None)


def test_each_moment_shows_what_had_happened_by_then() -> None:
    at = [as_of(HISTORY, T0 + timedelta(minutes=m)) for m in range(14)]
    assert at[0].status == "received" and at[1].consent == "given"
    assert (at[2].status, at[2].district) == ("accepted", "maldon")
    assert (at[4].status, at[4].panel) == ("listed", "maag")
    assert at[4].lead_professional is None
    assert at[5].lead_professional == {
        "professional_id": "lp-1",
        "name": "Lee Lead",
        "agency": "education",
    }
    assert at[6].active_packages[str(P1)]["providers"] == ["inhouse-mid"]
    assert at[7].active_packages[str(P1)]["providers"] == ["camhs"]
    assert at[8].emails_sent == 1
    assert (at[9].panel, at[9].status) == ("earp", "awaiting listing")
    assert at[9].active_packages and not at[10].active_packages
    assert (at[11].consent, at[11].safeguarding_basis) == ("withdrawn", True)
    assert (at[12].reads, at[13].reads) == (1, 2)


def test_order_of_the_entries_given_does_not_matter() -> None:
    assert as_of(list(reversed(HISTORY))) == as_of(HISTORY)


def test_the_state_survives_the_journey_between_services_as_json() -> None:
    # The full timeline folds parts fetched from the other services' audit endpoints.
    assert as_of([Entry.from_json(e.to_json()) for e in HISTORY]) == as_of(HISTORY)
