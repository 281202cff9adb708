"""The panel's clock at a meeting: it sits from its start until its window closes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from services.panel.application.app import PanelApp
from services.panel.domain.meeting import Meeting


def sit(app: PanelApp, meeting_id: UUID | str, after: timedelta = timedelta(minutes=5)) -> None:
    """The clock `after` the meeting's start: attendance and decisions are taken there."""
    meeting: Any = app.repository.get(UUID(str(meeting_id)))
    assert isinstance(meeting, Meeting)
    at = meeting.starts_at + after
    app.now = lambda: at
