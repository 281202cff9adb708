"""The panel's use cases, one file each, and the one registry they are dispatched through:
meetings (schedule one, confirm attendance, send apologies, expect an attendee, list a case,
circulate the agenda, declare an interest in a case listed, record the minutes), the chair's decisions on a
listed case (`application/decisions.py` says what they share), and the lead professional's
changes to the case's plan (`application/plans.py`). `schedule_ahead.py` is the service's
own hourly job, not a caller's command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from maag.runtime.commands import Handlers
from services.panel.application.access import case_scope

if TYPE_CHECKING:  # the application imports its commands
    from services.panel.application.app import PanelApp

handlers: Handlers[PanelApp] = Handlers(
    "the meeting or case changed while this request was handled; retry", case_scope
)

# Each ability registers its handler on import.
from services.panel.application.commands import (  # noqa: E402
    add_team_member,
    agree_action,
    agree_plan,
    assign_lead_professional,
    circulate_agenda,
    close_case,
    confirm_attendance,
    declare_interest,
    defer,
    escalate,
    expect_attendee,
    list_case,
    record_family_meeting,
    record_minutes,
    record_need,
    record_progress,
    refer_to_social_care,
    request_package,
    review_package,
    review_plan,
    schedule_meeting,
    send_apologies,
    set_goal,
    step_down,
)

__all__ = [
    "add_team_member",
    "agree_action",
    "agree_plan",
    "assign_lead_professional",
    "circulate_agenda",
    "close_case",
    "confirm_attendance",
    "declare_interest",
    "defer",
    "escalate",
    "expect_attendee",
    "handlers",
    "list_case",
    "record_family_meeting",
    "record_minutes",
    "record_need",
    "record_progress",
    "refer_to_social_care",
    "request_package",
    "review_package",
    "review_plan",
    "schedule_meeting",
    "send_apologies",
    "set_goal",
    "step_down",
]
