"""A generated year of activity across the twelve districts, with its true counts: the
events the referral, panel and commissioning services would publish, published to freshly
prefixed topics. Shared by the boards' benchmark (`bench.boards`) and the test that checks
the report against an independent count."""

from __future__ import annotations

import asyncio
import random
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from contracts.envelope import Envelope
from contracts.events import Actor, IntegrationEvent
from contracts.events.commissioning import (
    CommissionedIntervention,
    PackageCommissioned,
    PackageReviewed,
    ReviewOutcome,
)
from contracts.events.panel import (
    CaseEscalated,
    CaseListed,
    CaseSteppedDown,
    LeadProfessionalAssigned,
)
from contracts.events.referral import (
    ReferralAccepted,
    ReferralDeclined,
    ReferralPendingConsent,
    ReferralReceived,
    ReferralRedirectedToSocialCare,
)
from contracts.reference import (
    BOARD_AREA_OF,
    Agency,
    AvoidedOutcome,
    District,
    LevelOfNeed,
    Panel,
    Role,
)
from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS, TopicSpec

SYSTEM = Actor(user_id="bench", role=Role.SYSTEM, agency="maag")
DECLINE_REASONS = ("universal services only", "no additional needs", "out of area")
PROVIDERS = (("pvi-1", "mentoring"), ("pvi-2", "family-support"), ("camhs-1", "therapy"))
YEAR = date(2026, 4, 1)  # a financial year
LAST = date(2027, 3, 31)


def within(when: datetime) -> bool:
    """Whether an event falls within the year the report covers (later ones are not
    counted: moves, reviews and packages are counted when they happen)."""
    return YEAR <= when.date() <= LAST


@dataclass
class Truth:
    """What was generated, counted as it was generated (not by the boards' code)."""

    received: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    declined: Counter[tuple[str, str]] = field(default_factory=Counter)
    days_to_listing: dict[str, list[int]] = field(default_factory=dict)
    step_ups: Counter[str] = field(default_factory=Counter)
    step_downs: Counter[str] = field(default_factory=Counter)
    reviews: Counter[tuple[str, str]] = field(default_factory=Counter)
    packages: Counter[str] = field(default_factory=Counter)


Record = tuple[TopicSpec, IntegrationEvent]


def generate(referrals: int, seed: int = 7) -> tuple[list[Record], Truth]:
    rnd = random.Random(seed)
    out: list[Record] = []
    truth = Truth()
    districts = list(District)
    for _ in range(referrals):
        case = uuid.UUID(int=rnd.getrandbits(128))
        district = rnd.choice(districts)
        area = BOARD_AREA_OF[district].value
        received = datetime.combine(YEAR, datetime.min.time(), UTC) + timedelta(
            days=rnd.randrange(365), hours=rnd.randrange(8, 18)
        )

        def at(when: datetime, case: uuid.UUID = case) -> dict[str, Any]:
            return {"case_id": case, "actor": SYSTEM, "occurred_at": when}

        truth.received[area] += 1
        out.append(
            (
                REFERRAL_EVENTS,
                ReferralReceived(
                    **at(received),
                    caf_reference=f"CAF-2026-{rnd.randrange(10**6):06d}",
                    referring_agency=Agency.EDUCATION,
                    referring_professional_id="bench-referrer",
                    district=district,
                    needs=["learning"],
                    agencies_requested=[Agency.CAMHS],
                    level_of_need=LevelOfNeed.INTENSIVE,
                    significant_harm_concern=False,
                    transition=False,
                ),
            )
        )
        decided = received + timedelta(minutes=5)
        roll = rnd.random()
        if roll < 0.12:
            reason = rnd.choice(DECLINE_REASONS)
            truth.outcomes[(area, "declined")] += 1
            truth.declined[(area, reason)] += 1
            out.append(
                (REFERRAL_EVENTS, ReferralDeclined(**at(decided), reason=reason, signposting="x"))
            )
            continue
        if roll < 0.20:
            truth.outcomes[(area, "redirected-to-social-care")] += 1
            out.append(
                (
                    REFERRAL_EVENTS,
                    ReferralRedirectedToSocialCare(**at(decided), district=district, reason="harm"),
                )
            )
            continue
        if roll < 0.30:
            truth.outcomes[(area, "pending-consent")] += 1
            out.append((REFERRAL_EVENTS, ReferralPendingConsent(**at(decided), reason="consent")))
            continue
        truth.outcomes[(area, "accepted")] += 1
        out.append(
            (
                REFERRAL_EVENTS,
                ReferralAccepted(
                    **at(decided),
                    district=district,
                    panel=Panel.MAAG,
                    level_of_need=LevelOfNeed.INTENSIVE,
                    agencies_requested=[Agency.CAMHS],
                    reason="accepted",
                ),
            )
        )
        listed = received + timedelta(days=rnd.randrange(1, 15))
        truth.days_to_listing.setdefault(area, []).append((listed - received).days)
        meeting = uuid.uuid4()
        out.append(
            (
                PANEL_EVENTS,
                CaseListed(
                    **at(listed),
                    panel=Panel.MAAG,
                    district=district,
                    meeting_id=meeting,
                    meeting_starts_at=listed,
                    reason="new referral",
                ),
            )
        )
        if rnd.random() < 0.1:
            truth.step_ups[area] += within(listed + timedelta(hours=1))
            out.append(
                (
                    PANEL_EVENTS,
                    CaseEscalated(
                        **at(listed + timedelta(hours=1)),
                        from_panel=Panel.MAAG,
                        to_panel=Panel.EARP,
                        meeting_id=meeting,
                        reason="needs more",
                    ),
                )
            )
            if rnd.random() < 0.5:
                truth.step_downs[area] += within(listed + timedelta(days=14))
                out.append(
                    (
                        PANEL_EVENTS,
                        CaseSteppedDown(
                            **at(listed + timedelta(days=14)),
                            from_panel=Panel.EARP,
                            to_panel=Panel.MAAG,
                            meeting_id=uuid.uuid4(),
                            reason="better",
                        ),
                    )
                )
        if rnd.random() < 0.7:
            lead = listed + timedelta(hours=2)
            out.append(
                (
                    PANEL_EVENTS,
                    LeadProfessionalAssigned(
                        **at(lead),
                        panel=Panel.MAAG,
                        meeting_id=meeting,
                        professional_id="lp",
                        professional_name="Lead",
                        agency=Agency.EDUCATION,
                        work_email="lead@school.example",
                    ),
                )
            )
            if rnd.random() < 0.5:
                started = lead + timedelta(days=rnd.randrange(3, 30))
                provider, service = rnd.choice(PROVIDERS)
                package = uuid.uuid4()
                truth.packages[area] += within(started)
                out.append(
                    (
                        COMMISSIONING_EVENTS,
                        PackageCommissioned(
                            **at(started),
                            package_id=package,
                            panel=Panel.MAAG,
                            interventions=[
                                CommissionedIntervention(
                                    service=service, provider_id=provider, weekly_cost_pence=5000
                                )
                            ],
                            weekly_cost_pence=5000,
                            starts_on=started.date(),
                            review_on=(started + timedelta(weeks=6)).date(),
                            alternative_to=(
                                [AvoidedOutcome.ACCOMMODATION] if rnd.random() < 0.2 else []
                            ),
                        ),
                    )
                )
                if rnd.random() < 0.4:
                    goals = rnd.choice(list(ReviewOutcome))
                    truth.reviews[(area, goals.value)] += within(started + timedelta(weeks=6))
                    out.append(
                        (
                            COMMISSIONING_EVENTS,
                            PackageReviewed(
                                **at(started + timedelta(weeks=6)),
                                package_id=package,
                                goals=goals,
                                level_of_need_change=0,
                                decision="continue",
                            ),
                        )
                    )
    return out, truth


def expected(truth: Truth, area: str) -> dict[str, Any]:
    """The figures the report must show for `area` over the whole year (every generated
    event falls within it or, for later milestones, is not counted by period)."""
    days = truth.days_to_listing.get(area, [])
    return {
        "received": truth.received[area],
        "accepted": truth.outcomes[(area, "accepted")],
        "declined": truth.outcomes[(area, "declined")],
        "redirected-to-social-care": truth.outcomes[(area, "redirected-to-social-care")],
        "pending-consent": truth.outcomes[(area, "pending-consent")],
        "declined_by_reason": {
            r: truth.declined[(area, r)] for r in DECLINE_REASONS if truth.declined[(area, r)]
        },
        "listing_median": statistics.median(days) if days else None,
        "listing_cases": len(days),
    }


async def publish(bootstrap: str, prefix: str, records: list[Record]) -> None:
    from maag.runtime.messaging import kafka

    await kafka.ensure_topics(
        bootstrap, prefix, [REFERRAL_EVENTS, PANEL_EVENTS, COMMISSIONING_EVENTS]
    )
    producer = kafka.producer(bootstrap, "bench-boards")
    await producer.start()
    try:
        sent = []
        for sequence, (topic, event) in enumerate(records, start=1):
            envelope = Envelope(
                id=str(uuid.uuid4()),
                source=f"/maag/{topic.owner}",
                type=event.TYPE,
                time=event.occurred_at,
                subject=event.subject,
                correlation_id=f"corr-{event.case_id}",
                causation_id=None,
                actor=event.actor,
                sequence=sequence,
            )
            sent.append(
                await producer.send(
                    topic.named(prefix),
                    event.model_dump_json().encode(),
                    key=event.subject.encode(),
                    headers=envelope.headers(),
                )
            )
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
