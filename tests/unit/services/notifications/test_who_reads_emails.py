"""Who may read the emails sent about a case: panel members of the district and tier holding
it, and auditors, as the one access policy says, here as in every service (they once went
to any panel member of any district)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from contracts.reference import Role
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import NotFound
from maag.runtime.web.auth import Caller, Forbidden
from services.notifications.application.app import NotificationsApp
from services.notifications.domain.known_case import KnownCase


def _member(district: str, tier: str = "maag") -> Caller:
    return Caller.of("p-1", Role.PANEL_MEMBER, "social-care", [district], [tier])


def test_the_emails_follow_the_case_s_district_and_tier(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    case_id = uuid.uuid4()
    known = KnownCase(case_id=case_id)
    known.place("harlow", "maag")
    app.save(known)
    app.authorise_emails(case_id, _member("harlow"))
    app.authorise_emails(case_id, Caller.of("a-1", Role.AUDITOR, "county-audit"))
    with pytest.raises(NotFound):
        app.authorise_emails(case_id, _member("tendring"))
    with pytest.raises(Forbidden):
        app.authorise_emails(case_id, Caller.of("c-1", Role.COMMISSIONER, "childrens-services"))
    known.place(None, "earp")  # escalated: the district stays, the tier moves
    app.save(known)
    with pytest.raises(NotFound):
        app.authorise_emails(case_id, _member("harlow"))
    app.authorise_emails(case_id, _member("harlow", "earp"))


def test_a_case_never_listed_is_no_panel_member_s(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))
    with pytest.raises(NotFound):
        app.authorise_emails(uuid.uuid4(), _member("harlow"))
