"""Who may read the emails sent about a case: panel members of the district and tier holding
it, and auditors, as the one access policy says, here as in every service (they once went
to any panel member of any district). Each read is recorded; a refusal records nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from uuid import UUID

import pytest

from contracts.reference import Role
from maag.runtime.evidence.reads import CaseRead
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import NotFound
from maag.runtime.web.auth import Caller, Forbidden
from services.notifications.application.app import NotificationsApp
from services.notifications.application.queries.emails_about_case import (
    EmailRecord,
    emails_about_case,
)
from services.notifications.domain.known_case import KnownCase


def _member(district: str, tier: str = "maag") -> Caller:
    return Caller.of("p-1", Role.PANEL_MEMBER, "social-care", [district], [tier])


def _none(_: UUID) -> list[EmailRecord]:
    return []


def _reads(app: NotificationsApp) -> int:
    return sum(
        isinstance(app.mapper.to_domain_event(n), CaseRead.Recorded)
        for n in app.notifications_after(0)
    )


def test_the_emails_follow_the_case_s_district_and_tier(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    known = KnownCase(case_id=case_id)
    known.place("harlow", "maag")
    app.save(known)

    def read(caller: Caller) -> list[EmailRecord]:
        return emails_about_case(app, caller, case_id, _none)

    read(_member("harlow"))
    read(Caller.of("a-1", Role.AUDITOR, "county-audit"))
    assert _reads(app) == 2
    with pytest.raises(NotFound):
        read(_member("tendring"))
    with pytest.raises(Forbidden):
        read(Caller.of("c-1", Role.COMMISSIONER, "childrens-services"))
    assert _reads(app) == 2  # refusals record nothing
    known.place(None, "earp")  # escalated: the district stays, the tier moves
    app.save(known)
    with pytest.raises(NotFound):
        read(_member("harlow"))
    read(_member("harlow", "earp"))


def test_a_case_never_listed_is_no_panel_member_s(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    with pytest.raises(NotFound):
        emails_about_case(app, _member("harlow"), uuid.uuid4(), _none)
