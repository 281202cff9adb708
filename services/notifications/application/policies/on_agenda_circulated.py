"""A meeting's agenda circulated: each member on the panel's distribution list (the contacts
directory's `members:<panel key>`) is emailed, once per circulation, the meeting's time in
London time, how many cases are listed and a link to the meeting's page (where the agenda is
read, signed in). A later circulation says it revises the one before. An agenda of a panel
with no distribution list, or of no panel there is, is dead-lettered with the reason: nobody
was told."""

from __future__ import annotations

from datetime import datetime

from contracts.events.panel import AgendaCirculated
from contracts.reference import COUNTY_ZONE, Panel
from maag.runtime.messaging.consumer import Delivery, Rejected
from maag.runtime.store.unit_of_work import Work
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies import ask
from services.notifications.domain.values import Page, Recipient, Template, panel_label

LONDON = COUNTY_ZONE


def members_contact(panel_key: str) -> str:
    """The directory entry of a panel's distribution list (e.g. `members:maag:harlow`)."""
    return f"members:{panel_key}"


def on_agenda_circulated(d: Delivery[AgendaCirculated], work: Work[NotificationsApp]) -> None:
    e = d.message
    if (e.panel is Panel.MAAG) != (e.district is not None):
        raise Rejected(
            "district: a MAAG's agenda names its district, and the EARP's and JAP's none "
            f"(panel {e.panel.value}, district {e.district.value if e.district else None})"
        )
    key = e.panel.value if e.district is None else f"{e.panel.value}:{e.district.value}"
    name = _panel_name(e)
    members = work.app.members_of(key)
    if not members:
        raise Rejected(
            f"panel: the {name} has no distribution list in the contacts directory "
            f"({members_contact(key)}): its agenda was circulated to nobody"
        )
    context = {
        "panel": name,
        "meeting_time": london_time(e.starts_at),
        "cases": "1 case" if e.cases_listed == 1 else f"{e.cases_listed} cases",
        "revised": "" if e.circulation == 1 else " (revised)",
        "revision": ""
        if e.circulation == 1
        else (
            f" This is circulation {e.circulation} of the agenda: cases have been listed or "
            "taken off since it was last circulated, and it replaces the earlier one."
        ),
    }
    page = Page.meeting(e.meeting_id)
    for address in members:
        ask(d, work, Template.AGENDA_CIRCULATED, Recipient(address), context, page=page)


def london_time(at: datetime) -> str:
    """A moment as the county's clocks show it: "Tuesday 1 December 2026 at 10:00"."""
    local = at.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def _panel_name(e: AgendaCirculated) -> str:
    """The panel as its members call it: "Harlow MAAG", "EARP"."""
    if e.district is None:
        return panel_label(e.panel)
    return f"{e.district.value.replace('-', ' ').title()} {panel_label(e.panel)}"
