"""A case's state as of a time, folded from timeline entries: each kind of event moves the
state the way the service did, and nothing after the moment counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from maag.audit.state import as_of
from maag.audit.timeline import Entry

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def entry(minute: int, event: str, aggregate: str = "a", **details: Any) -> Entry:
    return Entry(
        at=T0 + timedelta(minutes=minute),
        service="x",
        event=event,
        case_id="c",
        event_id=f"e{minute}",
        caused_by=None,
        actor=None,
        basis=None,
        details=details,
        aggregate_id=aggregate,
        version=1,
    )


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
    entry(6, "Package.Commissioned", "p1", package_id="p1", lines=[LINE], weekly_cost_pence=100),
    entry(7, "Package.Recommissioned", "p1", lines=[{**LINE, "provider_id": "camhs"}]),
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
    assert at[6].active_packages["p1"]["providers"] == ["inhouse-mid"]
    assert at[7].active_packages["p1"]["providers"] == ["camhs"]
    assert at[8].emails_sent == 1
    assert (at[9].panel, at[9].status) == ("earp", "awaiting listing")
    assert at[9].active_packages and not at[10].active_packages
    assert (at[11].consent, at[11].safeguarding_basis) == ("withdrawn", True)
    assert (at[12].reads, at[13].reads) == (1, 2)


def test_order_of_the_entries_given_does_not_matter() -> None:
    assert as_of(list(reversed(HISTORY))) == as_of(HISTORY)
