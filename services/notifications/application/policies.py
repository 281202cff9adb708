"""Which events cause which emails: one policy per inbound event. A policy only asks for
an email (a Notification that records the request, committed with the consumer's position);
the sender (`adapters/smtp.py`) delivers it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from contracts.events.commissioning import PackageCommissioned, PackageDecommissioned
from contracts.events.panel import (
    CaseEscalated,
    CaseListed,
    CasePaused,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    ReviewListed,
)
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.store.unit_of_work import Work
from services.notifications.domain.known_case import KnownCase, known_case_id
from services.notifications.domain.notification import Notification, notification_id
from services.notifications.domain.reminder import Reminder, reminder_id
from services.notifications.domain.templates import case_reference

EmailOf = Callable[[str], str | None]  # a contact's address, if the directory has one


def coordinator_contact(panel_key: str) -> str:
    """The directory entry of a panel's coordinator (e.g. `coordinator:maag:harlow`)."""
    return f"coordinator:{panel_key}"


def case_placed(d: Delivery[CaseListed | CaseEscalated | CaseSteppedDown], work: Work) -> None:
    """Where the case is held: who may read its emails follows it."""
    e = d.message
    found = work.find(known_case_id(e.case_id))
    case = found if isinstance(found, KnownCase) else KnownCase(case_id=e.case_id)
    if isinstance(e, CaseListed):
        case.place(e.district.value, e.panel.value)
    else:
        case.place(None, e.to_panel.value)
    work.add(case)


class Requests:
    def __init__(self, web_base_url: str, email_of: EmailOf, reminder_days: int = 14) -> None:
        self.web_base_url = web_base_url
        self.email_of = email_of
        self.reminder_days = reminder_days  # how long before a review its reminder goes

    def _ask(
        self,
        work: Work,
        d: Delivery[Any],
        template: str,
        recipient: str,
        context: dict[str, Any],
        link: str | None = None,
        on: date | None = None,
    ) -> None:
        """Ask for the email now or, given `on`, on that day (a Reminder keeps it till then)."""
        assert d.envelope is not None
        case_id = str(d.message.case_id)
        ids = (d.envelope.id, template, recipient)
        if work.find(reminder_id(*ids) if on else notification_id(*ids)) is not None:
            return  # the same event again: already asked
        request: dict[str, Any] = {
            "source_event_id": d.envelope.id,
            "source_type": d.envelope.type,
            "source_topic": d.topic,
            "case_id": d.message.case_id,
            "template": template,
            "recipient": recipient,
            "context": {
                **context,
                "case_ref": case_reference(case_id),
                "link": link or f"{self.web_base_url}/cases/{case_id}",
            },
            "correlation_id": d.envelope.correlation_id,
        }
        work.add(Reminder(**request, due_on=on.isoformat()) if on else Notification(**request))

    def lead_assigned(self, d: Delivery[LeadProfessionalAssigned], work: Work) -> None:
        e = d.message
        self._ask(
            work,
            d,
            "lead-professional-assigned",
            str(e.work_email),
            {
                "name": e.professional_name,
                "panel": e.panel.value.upper(),
                "decided_on": e.occurred_at.date().isoformat(),
            },
        )

    def case_paused(self, d: Delivery[CasePaused], work: Work) -> None:
        if d.message.lead_professional_email:
            self._ask(work, d, "consent-withdrawn", str(d.message.lead_professional_email), {})

    def review_listed(self, d: Delivery[ReviewListed], work: Work) -> None:
        """The lead professional is reminded a set number of days before each review (not
        when the review is listed, which may be months before)."""
        e = d.message
        if e.lead_professional_email:
            self._ask(
                work,
                d,
                "review-due",
                str(e.lead_professional_email),
                {
                    "review_on": e.review_on.isoformat(),
                    "panel": e.panel.value.upper(),
                    "meeting_date": e.meeting_starts_at.date().isoformat(),
                },
                on=e.review_on - timedelta(days=self.reminder_days),
            )

    def commissioning_failure_listed(
        self, d: Delivery[CommissioningFailureListed], work: Work
    ) -> None:
        """The lead professional and the panel's coordinator are told, once each."""
        e = d.message
        panel = e.panel.value if e.district is None else f"{e.panel.value}:{e.district.value}"
        context = {
            "panel": e.panel.value.upper(),
            "reason": e.reason,
            "detail": e.detail,
            "meeting_date": e.meeting_starts_at.date().isoformat(),
        }
        coordinator = self.email_of(coordinator_contact(panel))
        recipients = [str(e.lead_professional_email)] if e.lead_professional_email else []
        recipients.append(coordinator or f"unknown-coordinator:{panel}")
        for recipient in recipients:
            self._ask(work, d, "package-not-commissioned", recipient, context)

    def package_commissioned(self, d: Delivery[PackageCommissioned], work: Work) -> None:
        e = d.message
        for provider_id in sorted({i.provider_id for i in e.interventions}):
            services = ", ".join(i.service for i in e.interventions if i.provider_id == provider_id)
            self._provider(
                work,
                d,
                "package-commissioned",
                provider_id,
                e.package_id,
                {"starts_on": e.starts_on.isoformat(), "services": services},
            )

    def package_decommissioned(self, d: Delivery[PackageDecommissioned], work: Work) -> None:
        e = d.message
        for provider_id in sorted(set(e.provider_ids)):
            self._provider(
                work,
                d,
                "package-decommissioned",
                provider_id,
                e.package_id,
                {"effective_from": e.effective_from.isoformat(), "reason": e.reason.value},
            )

    def _provider(
        self,
        work: Work,
        d: Delivery[Any],
        template: str,
        provider_id: str,
        package_id: UUID,
        context: dict[str, Any],
    ) -> None:
        email = self.email_of(provider_id)
        # An unknown provider still gets a Notification: the sender records it as failed,
        # with the reason, and dead-letters it, so nobody is silently left untold.
        recipient = email or f"unknown-provider:{provider_id}"
        self._ask(
            work, d, template, recipient, context, link=f"{self.web_base_url}/packages/{package_id}"
        )
