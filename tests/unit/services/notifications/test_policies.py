"""Which event asks for which email, to whom; a repeat asks nothing new; an unknown provider
is still asked for (and then fails with the reason); the case's placings noted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from contracts.events.commissioning import (
    CommissionedIntervention,
    DecommissionReason,
    PackageCommissioned,
    PackageDecommissioned,
)
from contracts.events.panel import (
    AgendaCirculated,
    CaseClosed,
    CaseEscalated,
    CaseListed,
    CasePaused,
    CaseSteppedDown,
    CommissioningFailureListed,
    LeadProfessionalAssigned,
    ReviewListed,
)
from contracts.events.referral import SocialCareReferralMade
from contracts.reference import Agency, District, Panel, SocialCareRoute
from maag.runtime.messaging.consumer import Rejected
from maag.runtime.settings import Settings
from services.notifications.adapters.directory import ProviderDirectory
from services.notifications.adapters.inbound import COMMISSIONING, PANEL, REFERRAL
from services.notifications.adapters.smtp import message_for
from services.notifications.application.app import NotificationsApp
from services.notifications.application.policies.on_agenda_circulated import (
    on_agenda_circulated,
)
from services.notifications.application.policies.on_case_closed import on_case_closed
from services.notifications.application.policies.on_case_listed import on_case_listed
from services.notifications.application.policies.on_case_moved import on_case_moved
from services.notifications.application.policies.on_case_paused import on_case_paused
from services.notifications.application.policies.on_commissioning_failure_listed import (
    on_commissioning_failure_listed,
)
from services.notifications.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from services.notifications.application.policies.on_package_commissioned import (
    on_package_commissioned,
)
from services.notifications.application.policies.on_package_decommissioned import (
    on_package_decommissioned,
)
from services.notifications.application.policies.on_review_listed import on_review_listed
from services.notifications.application.policies.on_social_care_referral_made import (
    front_door_contact,
    on_social_care_referral_made,
)
from services.notifications.domain.known_case import KnownCase, known_case_id
from services.notifications.domain.notification import Notification
from services.notifications.domain.reminder import Reminder
from services.notifications.domain.templates import render
from tests.unit.services.notifications.conftest import ACTOR, NOW, Ask, Policy, delivered


def test_each_event_asks_for_the_right_email(ask: Ask) -> None:
    case = uuid.uuid4()
    base: dict[str, Any] = {"case_id": case, "occurred_at": NOW, "actor": ACTOR}
    package_id = uuid.uuid4()
    cases = [
        (
            on_lead_professional_assigned,
            LeadProfessionalAssigned(
                **base,
                panel=Panel.MAAG,
                meeting_id=uuid.uuid4(),
                professional_id="lp",
                professional_name="Lee",
                agency=Agency.EDUCATION,
                work_email="lee@s.example",
            ),
            "lead-professional-assigned",
            ["lee@s.example"],
        ),
        (
            on_case_paused,
            CasePaused(**base, reason="consent withdrawn", lead_professional_email="lee@s.example"),
            "consent-withdrawn",
            ["lee@s.example"],
        ),
        (
            on_package_commissioned,
            PackageCommissioned(
                **base,
                package_id=package_id,
                panel=Panel.MAAG,
                weekly_cost_pence=100,
                starts_on=date(2026, 12, 7),
                review_on=date(2027, 3, 1),
                interventions=[
                    CommissionedIntervention(
                        service="family support", provider_id="pvi-12", weekly_cost_pence=60
                    ),
                    CommissionedIntervention(
                        service="therapy", provider_id="health-camhs", weekly_cost_pence=40
                    ),
                ],
            ),
            "package-commissioned",
            ["camhs-referrals@pct.example", "packages@brighter-futures.example"],
        ),
        (
            on_package_decommissioned,
            PackageDecommissioned(
                **base,
                package_id=package_id,
                reason=DecommissionReason.OUTCOMES_MET,
                effective_from=date(2027, 1, 1),
                provider_ids=["pvi-12"],
            ),
            "package-decommissioned",
            ["packages@brighter-futures.example"],
        ),
    ]
    for i, (policy, event, template, recipients) in enumerate(cases):
        asked = ask(policy, event, f"evt-{i}")
        assert sorted(n.recipient for n in asked) == recipients
        assert {n.template for n in asked} == {template}
        ref = f"MAAG-{str(case).split('-')[0].upper()}"
        assert {n.context["case_ref"] for n in asked} == {ref}
        page = f"packages/{package_id}" if "package" in template else f"cases/{case}"
        assert {n.context["link"] for n in asked} == {f"https://maag.example/{page}"}


def test_every_followed_event_reaches_its_policy() -> None:
    assert {
        LeadProfessionalAssigned: on_lead_professional_assigned,
        CasePaused: on_case_paused,
        ReviewListed: on_review_listed,
        CommissioningFailureListed: on_commissioning_failure_listed,
        CaseListed: on_case_listed,
        CaseEscalated: on_case_moved,
        CaseSteppedDown: on_case_moved,
        CaseClosed: on_case_closed,
        AgendaCirculated: on_agenda_circulated,
    } == PANEL
    assert {
        PackageCommissioned: on_package_commissioned,
        PackageDecommissioned: on_package_decommissioned,
    } == COMMISSIONING
    assert {SocialCareReferralMade: on_social_care_referral_made} == REFERRAL


def test_a_listed_review_is_kept_as_a_reminder_for_its_day_not_sent_now(
    app: NotificationsApp, ask: Ask
) -> None:
    event = ReviewListed(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=datetime(2027, 3, 2, 10, tzinfo=UTC),  # the meeting after it
        review_on=date(2027, 3, 1),
        lead_professional_email="lee@s.example",
    )
    work = delivered(app, on_review_listed, event)
    (reminder,) = [a for a in work.aggregates if isinstance(a, Reminder)]
    work.commit()
    assert not [a for a in work.aggregates if isinstance(a, Notification)]  # no email yet
    assert (reminder.due_on, reminder.template, reminder.recipient) == (
        date(2027, 2, 15),  # 14 days before the review
        "review-due",
        "lee@s.example",
    )


def _review_listed(
    case_id: uuid.UUID, package_id: uuid.UUID, day: int, lead: str | None = "lee@s.example"
) -> ReviewListed:
    """The package's review listed on `day` December for the meeting of 2 March."""
    return ReviewListed(
        case_id=case_id,
        occurred_at=datetime(2026, 12, day, tzinfo=UTC),
        actor=ACTOR,
        package_id=package_id,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=datetime(2027, 3, 2, 10, tzinfo=UTC),
        review_on=date(2027, 3, 1),
        lead_professional_email=lead,
    )


def _reminders(app: NotificationsApp) -> dict[str, Reminder]:
    """Each reminder stored, by the listing that asked for it."""
    ids = {
        e.originator_id
        for n in app.notifications(0, 100)
        if isinstance(e := app.mapper.to_domain_event(n), Reminder.Scheduled)
    }
    found: list[object] = [app.repository.get(i) for i in ids]
    return {r.source_event_id: r for r in found if isinstance(r, Reminder)}


def test_a_review_listed_again_supersedes_the_reminder_and_a_redelivery_changes_nothing(
    app: NotificationsApp, ask: Ask
) -> None:
    case_id, package_id = uuid.uuid4(), uuid.uuid4()
    first, second = _review_listed(case_id, package_id, 1), _review_listed(case_id, package_id, 9)
    ask(on_review_listed, first, "evt-1")
    ask(on_review_listed, second, "evt-2")
    reminders = _reminders(app)
    assert [reminders[e].due(date(2027, 3, 1)) for e in ("evt-1", "evt-2")] == [False, True]
    stored = len(app.notifications(0, 100))
    ask(on_review_listed, second, "evt-2")  # redelivered
    ask(on_review_listed, first, "evt-1")  # and the superseded one too
    assert len(app.notifications(0, 100)) == stored
    assert _reminders(app)["evt-2"].due(date(2027, 3, 1))
    # another package of the case keeps its own reminder
    ask(on_review_listed, _review_listed(case_id, uuid.uuid4(), 10), "evt-3")
    assert [r.due(date(2027, 3, 1)) for r in _reminders(app).values()].count(True) == 2


def test_a_listing_without_a_lead_still_supersedes_the_last_reminder(
    app: NotificationsApp, ask: Ask
) -> None:
    case_id, package_id = uuid.uuid4(), uuid.uuid4()
    ask(on_review_listed, _review_listed(case_id, package_id, 1), "evt-1")
    ask(on_review_listed, _review_listed(case_id, package_id, 9, lead=None), "evt-2")
    (reminder,) = _reminders(app).values()
    assert not reminder.due(date(2027, 3, 1))  # it names a meeting the review has left


def test_the_same_event_twice_asks_once(app: NotificationsApp, ask: Ask) -> None:
    event = CasePaused(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        reason="x",
        lead_professional_email="lee@s.example",
    )
    (first,) = ask(on_case_paused, event)
    stored = len(app.notifications(0, 100))
    ask(on_case_paused, event)
    assert len(app.notifications(0, 100)) == stored == 1
    assert app.repository.get(first.id).version == 1


def test_no_lead_professional_yet_means_no_email(ask: Ask) -> None:
    event = CasePaused(case_id=uuid.uuid4(), occurred_at=NOW, actor=ACTOR, reason="x")
    assert ask(on_case_paused, event) == []


def test_an_unknown_provider_is_asked_for_so_the_failure_is_recorded(ask: Ask) -> None:
    event = PackageDecommissioned(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        reason=DecommissionReason.CASE_CLOSED,
        effective_from=date(2027, 1, 1),
        provider_ids=["nobody-knows"],
    )
    (asked,) = ask(on_package_decommissioned, event)
    assert asked.recipient == "unknown-provider:nobody-knows"


def _failure(lead_email: str | None, district: str | None = "harlow") -> CommissioningFailureListed:
    return CommissioningFailureListed(
        case_id=uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        package_id=uuid.uuid4(),
        panel=Panel.MAAG if district else Panel.EARP,
        district=District(district) if district else None,
        meeting_id=uuid.uuid4(),
        meeting_starts_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
        reason="no-capacity",
        detail="no provider in the West quadrant has 4 hours a week free",
        lead_professional_email=lead_email,
    )


def test_a_package_not_commissioned_reaches_the_lead_and_the_coordinator_once(
    app: NotificationsApp, ask: Ask
) -> None:
    event = _failure("lee@school.example")
    asked = ask(on_commissioning_failure_listed, event)
    assert sorted(n.recipient for n in asked) == ["lee@school.example", "maag-harlow@essex.example"]
    assert {n.template for n in asked} == {"package-not-commissioned"}
    assert asked[0].context["detail"] == event.detail
    stored = len(app.notifications(0, 100))
    ask(on_commissioning_failure_listed, event)  # redelivered
    assert len(app.notifications(0, 100)) == stored == 2
    assert all(app.repository.get(n.id).version == 1 for n in asked)


def test_without_a_lead_the_earp_coordinator_is_still_told(ask: Ask) -> None:
    (asked,) = ask(on_commissioning_failure_listed, _failure(None, None))
    assert asked.recipient == "earp@essex.example"


def test_a_coordinator_the_directory_lacks_is_still_asked_for(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))  # no directory: nobody's address known
    work = delivered(app, on_commissioning_failure_listed, _failure(None))
    (asked,) = [a for a in work.aggregates if isinstance(a, Notification)]
    assert asked.recipient == "unknown-coordinator:maag:harlow"


def test_the_case_s_district_and_tier_follow_its_listing_and_moves(app: NotificationsApp) -> None:
    case_id = uuid.uuid4()
    moves: list[Any] = [
        CaseListed(
            case_id=case_id,
            occurred_at=NOW,
            actor=ACTOR,
            panel=Panel.MAAG,
            district=District("harlow"),
            meeting_id=uuid.uuid4(),
            meeting_starts_at=NOW,
            reason="new referral",
        ),
        CaseEscalated(
            case_id=case_id,
            occurred_at=NOW,
            actor=ACTOR,
            from_panel=Panel.MAAG,
            to_panel=Panel.EARP,
            meeting_id=uuid.uuid4(),
            reason="risk rising",
        ),
        CaseSteppedDown(
            case_id=case_id,
            occurred_at=NOW,
            actor=ACTOR,
            from_panel=Panel.EARP,
            to_panel=Panel.MAAG,
            meeting_id=uuid.uuid4(),
            reason="risk falling",
        ),
    ]
    policies: list[Policy] = [on_case_listed, on_case_moved, on_case_moved]
    placed = []
    for n, (policy, event) in enumerate(zip(policies, moves, strict=True)):
        delivered(app, policy, event, f"evt-{n}").commit()
        known: object = app.repository.get(known_case_id(case_id))
        assert isinstance(known, KnownCase)
        placed.append((known.district, known.tier))
    assert placed == [("harlow", "maag"), ("harlow", "earp"), ("harlow", "maag")]
    delivered(app, on_case_moved, moves[2], "evt-2").commit()  # redelivered
    assert app.repository.get(known_case_id(case_id)).version == 4  # seen, placed three times


def test_the_case_lead_reads_the_emails_about_it_while_it_is_open(
    app: NotificationsApp, ask: Ask
) -> None:
    from contracts.reference import Role
    from maag.runtime.store.unit_of_work import NotFound
    from maag.runtime.web.auth import Caller
    from services.notifications.application.queries.emails_about_case import emails_about_case

    case = uuid.uuid4()
    base: dict[str, Any] = {"case_id": case, "occurred_at": NOW, "actor": ACTOR}
    lead = Caller.of("lp", Role.LEAD_PROFESSIONAL, "education")
    assigned = LeadProfessionalAssigned(
        **base,
        panel=Panel.MAAG,
        meeting_id=uuid.uuid4(),
        professional_id="lp",
        professional_name="Lee",
        agency=Agency.EDUCATION,
        work_email="lee@s.example",
    )
    assert len(ask(on_lead_professional_assigned, assigned)) == 1  # told, and noted as lead
    assert emails_about_case(app, lead, case, lambda _: []) == []
    with pytest.raises(NotFound):  # another lead professional is not told the case exists
        emails_about_case(
            app, Caller.of("lp-2", Role.LEAD_PROFESSIONAL, "education"), case, lambda _: []
        )
    closed = CaseClosed(**base, panel=Panel.MAAG, meeting_id=uuid.uuid4(), reason="done")
    assert ask(on_case_closed, closed, "evt-2") == []
    with pytest.raises(NotFound):  # closed: the lead's reading ends with it
        emails_about_case(app, lead, case, lambda _: [])


def _to_social_care(
    route: SocialCareRoute, case_id: uuid.UUID | None = None
) -> SocialCareReferralMade:
    return SocialCareReferralMade(
        case_id=case_id or uuid.uuid4(),
        occurred_at=NOW,
        actor=ACTOR,
        district=District.EPPING_FOREST,
        referring_agency=Agency.EDUCATION,
        route=route,
        reason="disclosure of harm at home",
    )


def test_a_case_referred_to_social_care_reaches_its_district_s_front_door_once(
    app: NotificationsApp, ask: Ask
) -> None:
    event = _to_social_care(SocialCareRoute.SIGNIFICANT_HARM)
    (asked,) = ask(on_social_care_referral_made, event)
    assert asked.recipient == "mash-epping-forest@essex.example"
    assert asked.template == "front-door-referral"
    link = f"https://maag.example/front-door/{event.case_id}"
    assert asked.context["link"] == link
    email = render(asked.template, asked.context)
    assert "referred to children's social care" in email.subject
    assert "disclosure of harm at home" in email.text and link in email.text
    assert "a concern of significant harm at referral" in email.text
    assert "Epping Forest" in email.text
    # only operational words: no place for the child's name, date of birth or address
    assert set(asked.context) == {"case_ref", "link", "district", "route", "reason"}
    ask(on_social_care_referral_made, event)  # redelivered
    assert len(app.notifications(0, 100)) == 1
    assert app.repository.get(asked.id).version == 1


def test_a_panel_s_referral_names_the_panel_last_seen_holding_the_case(ask: Ask) -> None:
    case_id = uuid.uuid4()
    listed = CaseListed(
        case_id=case_id,
        occurred_at=NOW,
        actor=ACTOR,
        panel=Panel.EARP,
        district=District("epping-forest"),
        meeting_id=uuid.uuid4(),
        meeting_starts_at=NOW,
        reason="new referral",
    )
    ask(on_case_listed, listed, "evt-listed")
    (asked,) = ask(on_social_care_referral_made, _to_social_care(SocialCareRoute.PANEL, case_id))
    assert asked.context["route"] == "the EARP panel's decision"
    (unknown,) = ask(on_social_care_referral_made, _to_social_care(SocialCareRoute.PANEL), "e-2")
    assert unknown.context["route"] == "a panel's decision"  # never listed here


def test_a_front_door_the_directory_lacks_is_still_asked_for(tmp_path: Path) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))  # no directory: nobody's address known
    event = _to_social_care(SocialCareRoute.SIGNIFICANT_HARM)
    work = delivered(app, on_social_care_referral_made, event)
    (asked,) = [a for a in work.aggregates if isinstance(a, Notification)]
    assert asked.recipient == "unknown-front-door:epping-forest"


def test_every_district_has_a_front_door_in_the_directory() -> None:
    directory = ProviderDirectory()
    assert all(directory.email_of(front_door_contact(d)) for d in District)


# --- an agenda circulated to a panel's members ---


def _circulated(
    circulation: int = 1,
    panel: Panel = Panel.MAAG,
    district: District | None = District.HARLOW,
    meeting_id: uuid.UUID | None = None,
) -> AgendaCirculated:
    meeting = meeting_id or uuid.uuid4()
    return AgendaCirculated(
        case_id=meeting,  # keyed by the meeting, as the panel publishes a meeting's events
        occurred_at=NOW,
        actor=ACTOR,
        meeting_id=meeting,
        panel=panel,
        district=district,
        starts_at=datetime(2026, 6, 2, 9, 0, tzinfo=UTC),  # 10:00 in London (summer time)
        cases_listed=3,
        circulation=circulation,
    )


def test_an_agenda_circulated_emails_each_member_of_the_panel_once_with_the_meeting_link(
    app: NotificationsApp, ask: Ask
) -> None:
    event = _circulated()
    members = ProviderDirectory().members_of("maag:harlow")
    asked = ask(on_agenda_circulated, event, "evt-agenda-1")
    assert sorted(n.recipient for n in asked) == sorted(members) and len(members) >= 12
    assert "chair-1@maag.example" in members and "coordinator-1@maag.example" in members
    assert {n.template for n in asked} == {"agenda-circulated"}
    assert {n.case_id for n in asked} == {event.meeting_id}  # kept under the meeting
    link = f"https://maag.example/meetings/{event.meeting_id}"
    (context,) = {tuple(sorted(n.context.items())) for n in asked}  # one email, many members
    assert dict(context) == {
        "panel": "Harlow MAAG",
        "meeting_time": "Tuesday 2 June 2026 at 10:00",
        "cases": "3 cases",
        "revised": "",
        "revision": "",
        "link": link,
    }  # no case reference: the email names no case
    email = render(asked[0].template, asked[0].context)
    assert email.subject == "Harlow MAAG meeting on Tuesday 2 June 2026 at 10:00: the agenda"
    assert "(London time)" in email.text and link in email.text
    sent = message_for(asked[0], "maag@notifications.example")
    assert sent["X-MAAG-Meeting"] == str(event.meeting_id) and sent["X-MAAG-Case"] is None
    # redelivered: nothing more asked for, nobody emailed twice
    again_asked = ask(on_agenda_circulated, event, "evt-agenda-1")
    assert {n.version for n in again_asked} == {1}  # found as asked, not asked again
    assert len(app.notifications(0, 1000)) == len(members)
    # circulated again (cases listed since): each member is emailed the revised agenda
    revised = ask(on_agenda_circulated, _circulated(2, meeting_id=event.meeting_id), "evt-2")
    assert sorted(n.recipient for n in revised) == sorted(members)
    again = render(revised[0].template, revised[0].context)
    assert again.subject.endswith(": the agenda (revised)")
    assert "This is circulation 2 of the agenda" in again.text
    assert "it replaces the earlier one" in again.text


def test_the_county_panels_agendas_go_to_their_own_members(ask: Ask) -> None:
    (earp,) = {n.context["panel"] for n in ask(on_agenda_circulated, _circulated(
        panel=Panel.EARP, district=None), "evt-earp")}  # fmt: skip
    assert earp == "EARP"
    jap = ask(on_agenda_circulated, _circulated(panel=Panel.JAP, district=None), "evt-jap")
    assert "pct-commissioner-1@maag.example" in {n.recipient for n in jap}


def test_an_agenda_of_a_panel_without_a_distribution_list_is_rejected_naming_it(
    tmp_path: Path,
) -> None:
    app = NotificationsApp(Settings(data_dir=tmp_path))  # a directory with no lists
    with pytest.raises(Rejected, match=r"^panel: the Harlow MAAG has no distribution list .*"
                       r"members:maag:harlow"):  # fmt: skip
        delivered(app, on_agenda_circulated, _circulated())
    listed = NotificationsApp(
        Settings(data_dir=tmp_path / "listed"), members_of=ProviderDirectory().members_of
    )
    for panel, district in ((Panel.MAAG, None), (Panel.EARP, District.HARLOW)):
        with pytest.raises(Rejected, match=r"^district: a MAAG's agenda names its district"):
            delivered(listed, on_agenda_circulated, _circulated(panel=panel, district=district))
