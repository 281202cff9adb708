"""Kafka records of MAAG events, as another service's outbox would publish them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from contracts.envelope import Envelope
from contracts.events import Actor, IntegrationEvent
from contracts.events.panel import PackageRequested, RequestedIntervention
from contracts.events.referral import ReferralAccepted
from contracts.reference import Agency, District, LevelOfNeed, Panel, Role

REFERRAL_SERVICE = Actor(user_id="referral-service", role=Role.SYSTEM, agency="maag")


def record(
    event: IntegrationEvent, source: str, sequence: int, event_id: str | None = None
) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) with the CloudEvents envelope and the producer's sequence."""
    envelope = Envelope(
        id=event_id or str(uuid.uuid4()),
        source=source,
        type=event.TYPE,
        time=event.occurred_at,
        subject=event.subject,
        correlation_id=f"corr-{event.case_id}",
        causation_id=None,
        actor=event.actor,
        sequence=sequence,
    )
    return event.subject.encode(), event.model_dump_json().encode(), envelope.headers()


def envelope_headers(
    type_name: str, subject: str, sequence: int, source: str = "/maag/test"
) -> list[tuple[str, bytes]]:
    """A valid CloudEvents envelope for any event type, by a system actor."""
    return Envelope(
        id=str(uuid.uuid4()),
        source=source,
        type=type_name,
        time=datetime.now(UTC),
        subject=subject,
        correlation_id=source.rsplit("/", 1)[-1],
        causation_id=None,
        actor=Actor(user_id="system", role=Role.SYSTEM, agency="maag"),
        sequence=sequence,
    ).headers()


def referral_accepted(case_id: uuid.UUID, district: District) -> ReferralAccepted:
    return ReferralAccepted(
        case_id=case_id,
        occurred_at=datetime.now(UTC),
        actor=REFERRAL_SERVICE,
        district=district,
        panel=Panel.MAAG,
        level_of_need=LevelOfNeed.INTENSIVE,
        agencies_requested=[Agency.CAMHS, Agency.HOUSING],
        reason="accepted for the test",
    )


def package_requested(
    case_id: uuid.UUID,
    service: str,
    hours: float,
    panel: Panel = Panel.MAAG,
    district: District = District.HARLOW,
) -> PackageRequested:
    return PackageRequested(
        case_id=case_id,
        occurred_at=datetime.now(UTC),
        actor=Actor(user_id="coord-1", role=Role.PANEL_MEMBER, agency="social-care"),
        package_id=uuid.uuid4(),
        panel=panel,
        district=district,
        meeting_id=uuid.uuid4(),
        interventions=[
            RequestedIntervention(
                service=service,
                hours_per_week=hours,
                starts_on=datetime.now(UTC).date(),
                review_interval_weeks=12,
                estimated_weekly_cost_pence=0,
            )
        ],
    )
