"""Events the panel service publishes on `maag.panel.events`."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from contracts.events.base import IntegrationEvent
from contracts.reference import Agency, Panel


class LeadProfessionalAssigned(IntegrationEvent):
    TYPE: ClassVar[str] = "maag.panel.LeadProfessionalAssigned.v1"

    panel: Panel
    meeting_id: UUID
    professional_id: str = Field(min_length=1, max_length=200)
    professional_name: str = Field(min_length=1, max_length=200)
    agency: Agency
    work_email: EmailStr
