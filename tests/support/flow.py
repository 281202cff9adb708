"""The standard flow the end-to-end and fault tests drive: referral (with consent) →
listed at the district MAAG → quorate → lead professional → package → commissioned →
emails; and the check that each case went through exactly once."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from maag.ops.demo.client import Client, lead_decision, package_decision, wait_for
from maag.ops.infra.mailbox import messages
from tests.support.referral import details

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs", "youth-service"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}
DISTRICTS = ("harlow", "maldon", "braintree", "colchester", "basildon", "chelmsford")
# Per case: the lead's appointment and the provider's commission (the lead's review reminder
# goes two weeks before the review, weeks after these flows end).
EMAILS_PER_CASE = 2
ONCE_PER_CASE = (
    "Referral.Received",
    "Referral.Triaged",
    "PanelCase.Opened",
    "PanelCase.LeadProfessionalAssigned",
    "PanelCase.PackageRequested",
    "Package.Commissioned",
)


def refer(client: Client, n: int, start: int = 0) -> list[str]:
    cases = []
    for i in range(start, start + n):
        body = details(
            district=DISTRICTS[i % len(DISTRICTS)],
            consent=CONSENT,
            caf_reference=f"CAF-2026-{900000 + i}",
        )
        referral = client.refer(body)
        assert referral["status"] == "accepted", referral
        cases.append(str(referral["case_id"]))
    return cases


def package() -> dict[str, Any]:
    return {
        "service": "family support",
        "hours_per_week": 2,
        "starts_on": (date.today() + timedelta(days=7)).isoformat(),
        "review_interval_weeks": 12,
        "estimated_weekly_cost_pence": 7000,
    }


def decide(client: Client, cases: list[str]) -> None:
    """Each case, once listed: quorum, a lead professional and a package."""
    for case_id in cases:
        meeting = client.convene(case_id)
        client.make_quorate(meeting)
        lead = f"lp-{case_id[:8]}"
        client.decide(
            meeting,
            lead_decision(case_id, lead, "Lee Lead", "education", f"{lead}@school.example"),
        )
        client.decide(meeting, package_decision(case_id, package()))


def emails_by_case(mail: Path) -> Counter[tuple[str, str, str]]:
    return Counter(
        (str(m["X-MAAG-Case"]), str(m["To"]), str(m["Subject"]).split(": ", 1)[1])
        for _, m in messages(mail)
    )


def wait_complete(mail: Path, cases: list[str], timeout: float = 180.0) -> None:
    """Until every case has each of its emails (different emails: a copy of one, which a
    killed sender may send again, is not another)."""

    def done() -> bool | None:
        per_case = Counter(case for case, _, _ in emails_by_case(mail))
        return True if all(per_case[c] >= EMAILS_PER_CASE for c in cases) else None

    wait_for(f"{EMAILS_PER_CASE} emails for each of {len(cases)} cases", done, timeout)


def assert_each_case_once(
    client: Client, mail: Path, cases: list[str], notifications_killed: bool = False
) -> None:
    """Nothing lost, nothing doubled: every email once, every step of every case once.

    With the notifications service killed (SIGKILL) mid-flow, one thing is allowed and no
    more: an email the server accepted in the moment before the sender could record it is
    sent again after the restart, with the same Message-ID (SMTP cannot be transactional
    with the store; a receiver that honours Message-ID shows it once)."""
    sent = emails_by_case(mail)
    ids_of: dict[tuple[str, str, str], set[str]] = {}
    for _, m in messages(mail):
        key = (str(m["X-MAAG-Case"]), str(m["To"]), str(m["Subject"]).split(": ", 1)[1])
        ids_of.setdefault(key, set()).add(str(m["Message-ID"]))
    assert all(len(ids) == 1 for ids in ids_of.values()), f"one email, two ids: {ids_of}"
    doubled = {k: n for k, n in sent.items() if n > 1}
    if notifications_killed:
        assert all(n == 2 for n in doubled.values()) and len(doubled) <= 1, doubled
        doubled = {}
    if doubled:
        copies = [
            (p.name, str(m["Message-ID"]), str(m["To"]))
            for p, m in messages(mail)
            if (str(m["X-MAAG-Case"]), str(m["To"]), str(m["Subject"]).split(": ", 1)[1]) in doubled
        ]
        raise AssertionError(f"emails sent more than once: {doubled}: {copies}")
    for case_id in cases:
        assert sum(1 for c, _, _ in sent if c == case_id) == EMAILS_PER_CASE, case_id
        assert len(client.packages(case_id)) == 1, case_id

        # the mailbox has them; the sender records each just after the server's answer
        def recorded(case_id: str = case_id) -> bool | None:
            sent = sum(n["status"] == "sent" for n in client.notifications(case_id))
            return True if sent >= EMAILS_PER_CASE else None

        wait_for(f"case {case_id}'s emails recorded as sent", recorded, 60)
        events = Counter(e.event for e in client.replay(case_id).entries)
        for kind in ONCE_PER_CASE:
            assert events[kind] == 1, f"case {case_id}: {kind} x{events[kind]}"
        assert events["Notification.Requested"] == EMAILS_PER_CASE, (case_id, events)
        assert events["Notification.Sent"] == EMAILS_PER_CASE, (case_id, events)
