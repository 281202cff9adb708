"""Need-to-know for the child's details, on the real broker, database and identity provider:
the panel's LeadProfessionalAssigned (on its topic) lets that professional read the case and,
as consent allows, the child's details; a reassignment or the case's closure ends it, and a
withdrawal of consent removes the details at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from fastapi.testclient import TestClient

from contracts.events import Actor
from contracts.events.panel import CaseClosed, LeadProfessionalAssigned
from contracts.reference import Agency, Panel, Role
from contracts.topics import PANEL_EVENTS
from maag.runtime.evidence.reads import CaseRead
from services.referral.service import ReferralService
from tests.support.events import record
from tests.support.identity import auth
from tests.support.referral import CHILD_NAME, details
from tests.support.waiting import consumed_to_end

CHAIR = Actor(user_id="chair-1", role=Role.PANEL_CHAIR, agency="social-care")
CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}


class PanelTopic:
    """The panel service's side: its events on its topic, numbered as its outbox would."""

    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self.producer, self.topic, self.sequence = producer, topic, 0

    async def publish(self, event: Any) -> None:
        self.sequence += 1
        key, value, headers = record(event, "/maag/panel", self.sequence)
        await self.producer.send_and_wait(self.topic, value, key=key, headers=headers)

    async def assign(self, case_id: uuid.UUID, professional_id: str, agency: Agency) -> None:
        await self.publish(
            LeadProfessionalAssigned(
                case_id=case_id,
                occurred_at=datetime.now(UTC),
                actor=CHAIR,
                panel=Panel.MAAG,
                meeting_id=uuid.uuid4(),
                professional_id=professional_id,
                professional_name="Lee Lead",
                agency=agency,
                work_email="lee@example.org",
            )
        )


def _read(client: TestClient, case_id: str, headers: dict[str, str]) -> Any:
    return client.get(f"/referrals/{case_id}", headers=headers)


async def test_the_lead_professional_reads_the_case_while_the_assignment_stands(
    service: ReferralService, kafka_bootstrap: str, topic_prefix: str, producer: AIOKafkaProducer
) -> None:
    client = TestClient(service.api)
    created = client.post(
        "/referrals",
        json=details(consent=CONSENT),
        headers={**auth(), "Idempotency-Key": f"ntk-{uuid.uuid4().hex}"},
    )
    case_id = created.json()["case_id"]
    first = auth(Role.LEAD_PROFESSIONAL, "camhs", "lead-ntk-camhs")
    second = auth(Role.LEAD_PROFESSIONAL, "police", "lead-ntk-police")
    panel = PanelTopic(producer, PANEL_EVENTS.named(topic_prefix))

    async def settled() -> None:
        await consumed_to_end(service.consumer, kafka_bootstrap)

    # Before the panel names them, a lead professional has no such case.
    assert _read(client, case_id, first).status_code == 404

    await panel.assign(uuid.UUID(case_id), "lead-ntk-camhs", Agency.CAMHS)
    await settled()
    r = _read(client, case_id, first)
    assert r.status_code == 200, r.text
    assert r.json()["child"]["given_name"] == CHILD_NAME.split()[0]  # consent names camhs

    # The case is given to someone else: the first lead's access ends at once. The new one,
    # of an agency the consent does not name, reads the case without the child's details.
    await panel.assign(uuid.UUID(case_id), "lead-ntk-police", Agency.POLICE)
    await settled()
    assert _read(client, case_id, first).status_code == 404
    r = _read(client, case_id, second)
    assert r.status_code == 200 and r.json()["child"] is None
    assert CHILD_NAME.split()[1] not in r.text

    # Back to camhs; then consent is withdrawn: the lead's access ends at once (the case
    # pauses), and comes back with consent given again.
    await panel.assign(uuid.UUID(case_id), "lead-ntk-camhs", Agency.CAMHS)
    await settled()
    assert _read(client, case_id, first).json()["child"] is not None
    withdrawn = client.post(
        f"/referrals/{case_id}/consent/withdrawal",
        json={"withdrawn_on": "2026-11-27", "reason": "parent withdrew"},
        headers=auth(),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert _read(client, case_id, first).status_code == 404
    given = client.post(f"/referrals/{case_id}/consent", json=CONSENT, headers=auth())
    assert given.status_code == 200, given.text
    assert _read(client, case_id, first).json()["child"] is not None

    # Every read is on record, with whether it showed the child's details.
    reads = [
        e
        for n in service.app.notifications_after(0)
        if isinstance(e := service.app.mapper.to_domain_event(n), CaseRead.Recorded)
    ]
    leads = [
        (r.actor["user_id"], r.personal_data)
        for r in reads
        if r.actor["role"] == "lead-professional"
    ]
    assert ("lead-ntk-camhs", True) in leads and ("lead-ntk-police", False) in leads

    # The panel closes the case: the lead's access ends.
    await panel.publish(
        CaseClosed(
            case_id=uuid.UUID(case_id),
            occurred_at=datetime.now(UTC),
            actor=CHAIR,
            panel=Panel.MAAG,
            meeting_id=uuid.uuid4(),
            reason="outcomes met",
        )
    )
    await settled()
    assert _read(client, case_id, first).status_code == 404
