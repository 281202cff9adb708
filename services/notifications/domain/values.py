"""The notifications service's facts as types: which email, to whom, why, and how it went.
Each rule about them is written here once (an email's once-only key, an address that can be
sent to, the link in an email)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypedDict
from uuid import UUID

from contracts.reference import Panel


class Template(StrEnum):
    """The emails there are (`domain/templates.py` holds their words)."""

    LEAD_PROFESSIONAL_ASSIGNED = "lead-professional-assigned"
    CONSENT_WITHDRAWN = "consent-withdrawn"
    REVIEW_DUE = "review-due"
    PACKAGE_NOT_COMMISSIONED = "package-not-commissioned"
    PACKAGE_COMMISSIONED = "package-commissioned"
    PACKAGE_DECOMMISSIONED = "package-decommissioned"
    FRONT_DOOR_REFERRAL = "front-door-referral"
    AGENDA_CIRCULATED = "agenda-circulated"  # to each member of a panel: about a meeting

    @property
    def about_meeting(self) -> bool:
        """An email about a panel's meeting, not a case: it is kept under the meeting's id
        (as the panel publishes a meeting's events) and carries no case reference."""
        return self is Template.AGENDA_CIRCULATED


class EmailStatus(StrEnum):
    REQUESTED = "requested"  # asked for; the sender has not answered yet
    SENT = "sent"  # accepted by the mail server
    FAILED = "failed"  # refused for good, or no address: dead-lettered with the reason


# The words an email's template is filled with (the case reference, the link, dates...).
Context = Mapping[str, str]


@dataclass(frozen=True)
class Recipient:
    """Whom an email goes to: a work address or, for a contact the directory lacks, a
    placeholder naming whom it was for. Such an email is still asked for, so the sender
    records it as failed with the reason: nobody is silently left untold."""

    address: str

    @classmethod
    def found(cls, address: str | None, kind: str, key: str) -> Recipient:
        """The directory's `address` for `key`, or the placeholder of an unknown `kind`."""
        return cls(address or f"unknown-{kind}:{key}")

    @property
    def reachable(self) -> bool:
        return "@" in self.address


@dataclass(frozen=True)
class Source:
    """The inbound event an email answers: with the template and the recipient, its id
    makes the email once-only."""

    event_id: str
    event_type: str
    topic: str
    correlation_id: str


def delivery_key(source_event_id: str, template: str, recipient: str) -> str:
    """One email of one template to one recipient because of one event (reminders too)."""
    return f"{source_event_id}|{template}|{recipient.lower()}"


@dataclass(frozen=True)
class Asked:
    """One email asked for: what caused it, about which case, which, to whom, with what."""

    source: Source
    case_id: UUID
    template: Template
    recipient: Recipient
    context: Context

    def stored(self) -> StoredAsk:
        """As an email's `Requested` and a reminder's `Scheduled` store it (plain strings and
        a dict of strings: the stored form never changes)."""
        return StoredAsk(
            source_event_id=self.source.event_id,
            source_type=self.source.event_type,
            source_topic=self.source.topic,
            case_id=self.case_id,
            template=self.template.value,
            recipient=self.recipient.address,
            context=dict(self.context),
            correlation_id=self.source.correlation_id,
        )


class StoredAsk(TypedDict):
    source_event_id: str
    source_type: str
    source_topic: str
    case_id: UUID
    template: str
    recipient: str
    context: dict[str, str]
    correlation_id: str


@dataclass(frozen=True)
class Page:
    """The page of the web app an email links to: a case's own, a package's, the front
    door's page of a case referred to children's social care, or a panel meeting's."""

    kind: Literal["cases", "packages", "front-door", "meetings"]
    id: UUID

    @classmethod
    def case(cls, case_id: UUID) -> Page:
        return cls("cases", case_id)

    @classmethod
    def package(cls, package_id: UUID) -> Page:
        return cls("packages", package_id)

    @classmethod
    def front_door(cls, case_id: UUID) -> Page:
        return cls("front-door", case_id)

    @classmethod
    def meeting(cls, meeting_id: UUID) -> Page:
        return cls("meetings", meeting_id)

    def url(self, base: str) -> str:
        return f"{base}/{self.kind}/{self.id}"


def panel_label(panel: Panel) -> str:
    """A panel as the emails name it (MAAG, EARP, JAP)."""
    return panel.value.upper()
