"""Every case route of every service x every persona x every state of the case answers what
the one access policy (`maag.runtime.policy`) says.

The matrix test (`test_access_matrix.py`) holds each route to the roles that may call it;
this one holds each route to the case's scope. Who stands in which relation to the case in
each state is stated here, on its own (the referring agency's referrer always; a panel
member of the case's district and tier, not of another; the current lead while the case is
open, never the former; ...); what each relation may do is the policy's table. A service
that asks for the wrong action, or builds the case's scope wrongly (forgets a district, keeps
a lead after closure), answers otherwise and fails here.

Allowed: any answer but 401, 403 and "no case you can see" (the request may still be
refused for what it holds: 409, 422, or 404 naming another field). Refused: 403 where the
caller may know of the case, else 404 naming `case_id`."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from contracts.events.panel import (
    CaseClosed,
    CasePaused,
    CaseReferredToSocialCare,
    LeadProfessionalAssigned,
)
from contracts.events.referral import ConsentWithdrawn
from contracts.reference import Agency, Panel, Role
from maag.runtime.messaging.consumer import Delivery
from maag.runtime.policy import (
    AGENCY_SYSTEM,
    AUDITOR,
    COMMISSIONER,
    FRONT_DOOR,
    KNOWS,
    LEAD,
    LEAD_SHARED,
    PANEL,
    PRIVACY_OFFICER,
    REFERRER,
    RULES,
    Action,
    Who,
)
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.commissioning.application.policies.on_case_closed import (
    on_case_closed as commissioning_case_closed,
)
from services.commissioning.application.policies.on_consent_withdrawn import (
    on_consent_withdrawn as commissioning_consent_withdrawn,
)
from services.commissioning.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned as commissioning_lead_assigned,
)
from services.commissioning.application.policies.on_package_requested import (
    on_package_requested,
)
from services.notifications.application.policies.on_case_closed import (
    on_case_closed as notifications_case_closed,
)
from services.notifications.application.policies.on_case_paused import (
    on_case_paused as notifications_case_paused,
)
from services.notifications.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned as notifications_lead_assigned,
)
from services.notifications.domain.known_case import KnownCase, known_case_id
from services.panel.application.commands.confirm_attendance import ConfirmAttendance
from services.panel.domain.case import PanelCase
from services.referral.application.commands import PlaceLegalHold
from services.referral.application.policies.on_case_closed import on_case_closed
from services.referral.application.policies.on_case_referred_to_social_care import (
    on_case_referred_to_social_care,
)
from services.referral.application.policies.on_lead_professional_assigned import (
    on_lead_professional_assigned,
)
from tests.support import identity
from tests.support.events import package_requested
from tests.support.referral import details
from tests.support.sitting import sit
from tests.unit.services.notifications.conftest import envelope
from tests.unit.services.panel import deliveries as panel_policies
from tests.unit.services.panel.test_case_flow import FRIDAY
from tests.unit.services.panel.test_case_flow import decide as decision

CONSENT = {
    "given_by": "parent-carer",
    "scope": ["camhs"],
    "given_on": "2026-11-27",
    "how_obtained": "signed form",
}
STATES = ("open", "closed", "consent withdrawn", "under hold", "with social care")
DISTRICT, OTHER_DISTRICT = "harlow", "tendring"
LEAD_NOW, LEAD_BEFORE, LEAD_AGENCY = "lead-now", "lead-before", "camhs"

# Each case route, and the action the one policy names for it.
ROUTES: dict[tuple[str, str, str], Action] = {
    ("referral", "GET", "/referrals/{case_id}"): Action.READ_OUTCOME,
    ("referral", "GET", "/referrals/{case_id}/matches"): Action.READ_CASE,
    ("referral", "GET", "/referrals/{case_id}/notes"): Action.READ_CHILD,
    ("referral", "GET", "/referrals/{case_id}/chronology"): Action.READ_CHILD,
    ("referral", "POST", "/referrals/{case_id}/notes"): Action.WRITE_NOTE,
    ("referral", "POST", "/referrals/{case_id}/assessment"): Action.WRITE_NOTE,
    ("referral", "POST", "/referrals/{case_id}/assessment/authorisation"): Action.WRITE_NOTE,
    ("referral", "POST", "/referrals/{case_id}/assessment/reviews"): Action.WRITE_NOTE,
    ("referral", "POST", "/referrals/{case_id}/assessment/closure"): Action.WRITE_NOTE,
    ("referral", "GET", "/referrals/{case_id}/assessment"): Action.READ_CHILD,
    ("referral", "GET", "/referrals/{case_id}/assessment/summary"): Action.READ_CASE,
    ("referral", "POST", "/referrals/{case_id}/documents"): Action.WRITE_NOTE,
    ("referral", "GET", "/referrals/{case_id}/documents"): Action.READ_CHILD,
    ("referral", "GET", "/referrals/{case_id}/documents/{document_id}"): Action.READ_CHILD,
    ("referral", "POST", "/referrals/{case_id}/birth"): Action.UPDATE_CHILD,
    ("referral", "POST", "/referrals/{case_id}/consent"): Action.RECORD_CONSENT,
    ("referral", "POST", "/referrals/{case_id}/consent/withdrawal"): Action.CHANGE_CONSENT,
    ("referral", "POST", "/referrals/{case_id}/safeguarding-basis"): Action.CHANGE_CONSENT,
    ("referral", "POST", "/referrals/{case_id}/child-match"): Action.LINK_CHILD,
    ("referral", "POST", "/referrals/{case_id}/household"): Action.LINK_CHILD,
    ("referral", "POST", "/referrals/{case_id}/front-door"): Action.ANSWER_FRONT_DOOR,
    ("referral", "GET", "/privacy/cases/{case_id}"): Action.PRIVACY,
    ("referral", "POST", "/privacy/cases/{case_id}/erasure"): Action.PRIVACY,
    ("referral", "POST", "/privacy/cases/{case_id}/legal-hold"): Action.PRIVACY,
    ("referral", "POST", "/privacy/cases/{case_id}/legal-hold/release"): Action.PRIVACY,
    ("panel", "GET", "/cases/{case_id}"): Action.READ_CASE,
    ("panel", "GET", "/cases/{case_id}/history"): Action.READ_CASE,
    ("panel", "GET", "/cases/{case_id}/plan"): Action.READ_PLAN,
    ("panel", "POST", "/cases/{case_id}/plan"): Action.CHANGE_PLAN,
    ("commissioning", "GET", "/cases/{case_id}/packages"): Action.READ_PACKAGES,
    ("notifications", "GET", "/cases/{case_id}/notifications"): Action.READ_NOTIFICATIONS,
}
BODIES: dict[str, Any] = {
    "/referrals/{case_id}/notes": {"text": "met the family", "about_date": "2026-11-27"},
    "/referrals/{case_id}/birth": {"date_of_birth": "2026-11-30"},
    "/referrals/{case_id}/assessment": {"assessed_on": "2026-11-27"},
    "/referrals/{case_id}/assessment/authorisation": {"version": 1},
    "/referrals/{case_id}/assessment/reviews": {"reviewed_on": "2026-11-27", "note": "reviewed"},
    "/referrals/{case_id}/assessment/closure": {"reason": "outcomes met"},
    "/referrals/{case_id}/consent": CONSENT,
    "/referrals/{case_id}/consent/withdrawal": {"withdrawn_on": "2026-11-28", "reason": "x"},
    "/referrals/{case_id}/safeguarding-basis": {
        "professional_id": "sw-9",
        "professional_name": "S. Worker",
        "reason": "risk of harm",
        "recorded_on": "2026-11-27",
    },
    "/referrals/{case_id}/child-match": {
        "child_id": str(uuid.uuid4()),
        "decision": "confirm",
        "reason": "same child",
    },
    "/referrals/{case_id}/household": {"sibling_case_id": str(uuid.uuid4())},
    "/privacy/cases/{case_id}/erasure": {"reason": "the child asked (Article 17)"},
    "/privacy/cases/{case_id}/legal-hold": {"reason": "a claim", "until": "2031-01-01"},
    "/privacy/cases/{case_id}/legal-hold/release": {"reason": "claim settled"},
    "/cases/{case_id}/plan": {"kind": "record-need", "need_id": "n1", "text": "sleep"},
    "/referrals/{case_id}/front-door": {"answer": "accepted", "reason": "taken on"},
}
# Routes that take a file (multipart), not JSON: a small PDF.
FILES: dict[str, Any] = {
    "/referrals/{case_id}/documents": {
        "files": {"file": ("consent.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")},
        "data": {"kind": "consent-form"},
    },
}


def request_body(template: str) -> dict[str, Any]:
    """The keyword arguments that send `template`'s body (a file, or JSON)."""
    return FILES.get(template) or {"json": BODIES.get(template)}


@dataclass(frozen=True)
class Persona:
    name: str
    roles: tuple[Role, ...]
    agency: str
    user: str | None = None
    districts: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None
    system: bool = False

    def headers(self) -> dict[str, str]:
        if self.system:
            issuer = identity.local()
            who = identity.someone(self.roles, self.agency, user=f"svc-agency-{self.agency}")
            token = issuer.sign(issuer.claims(who, azp=f"agency-{self.agency}"))
            return {"Authorization": f"Bearer {token}"}
        return identity.auth(self.roles, self.agency, self.user, self.districts, self.tiers)


PM, PC = Role.PANEL_MEMBER, Role.PANEL_CHAIR
PERSONAS = (
    Persona("referrer of the agency", (Role.REFERRER,), "education"),
    Persona("referrer of another agency", (Role.REFERRER,), "police"),
    Persona("the agency's case system", (Role.REFERRER,), "education", system=True),
    Persona(
        "panel member in district and tier", (PM,), "social-care", None, (DISTRICT,), ("maag",)
    ),
    Persona(
        "panel chair in district and tier", (PC, PM), "social-care", None, (DISTRICT,), ("maag",)
    ),
    Persona(
        "panel member of another district", (PM,), "social-care", None, (OTHER_DISTRICT,), ("maag",)
    ),
    Persona("panel member of another tier", (PM,), "social-care", None, (DISTRICT,), ("earp",)),
    Persona("current lead", (Role.LEAD_PROFESSIONAL,), LEAD_AGENCY, LEAD_NOW),
    Persona("former lead", (Role.LEAD_PROFESSIONAL,), LEAD_AGENCY, LEAD_BEFORE),
    Persona("commissioner", (Role.COMMISSIONER,), "childrens-services"),
    Persona("the front door", (Role.FRONT_DOOR,), "social-care", "front-door-1"),
    Persona(
        "the front door of another district",
        (Role.FRONT_DOOR,),
        "social-care",
        "front-door-2",
        (OTHER_DISTRICT,),
    ),
    Persona("auditor", (Role.AUDITOR,), "county-audit"),
    Persona("privacy officer", (Role.PRIVACY_OFFICER,), "county-information-governance"),
    Persona("operator", (Role.OPERATOR,), "county-it"),
)


def relations(persona: Persona, state: str, service: str) -> set[Who]:
    """Who `persona` is to the case in `state`, as this test states it: only the referral
    service holds the referring agency; the lead's access ends at closure and withdrawal."""
    name = persona.name
    # with social care the case stays open (its lead stays) until the front door answers
    lead_open = state in ("open", "under hold", "with social care")
    with_social_care = state == "with social care" and service == "referral"
    found: dict[str, set[Who]] = {
        "referrer of the agency": {REFERRER} if service == "referral" else set(),
        "the agency's case system": {AGENCY_SYSTEM} if service == "referral" else set(),
        "panel member in district and tier": {PANEL},
        "panel chair in district and tier": {PANEL},
        # the consent names the lead's agency: the details go to them while the case is open
        # in every service: commissioning and notifications learn the lead, the closure and
        # the withdrawal from the panel's and referral's events
        "current lead": {LEAD, LEAD_SHARED} if lead_open else set(),
        "commissioner": {COMMISSIONER},
        # only the referral service holds the referral to the front door
        "the front door": {FRONT_DOOR} if with_social_care else set(),
        "auditor": {AUDITOR},
        "privacy officer": {PRIVACY_OFFICER},
    }
    return found.get(name, set())


def expected(persona: Persona, action: Action, state: str, service: str) -> int | str:
    rules = RULES[action]
    roles = {r for who in rules for r in who.roles}
    if not roles & set(persona.roles) or (persona.system and AGENCY_SYSTEM not in rules):
        return 403
    held = relations(persona, state, service)
    if held & set(rules):
        return "allowed"
    return 403 if held & set(KNOWS) else 404


def _case(services: dict[str, Any], state: str) -> uuid.UUID:
    """A Harlow case in `state` in every service: referred by education with consent naming
    CAMHS, listed at the MAAG, led by `lead-now` (who replaced `lead-before`)."""
    referral, panel = services["referral"].app, services["panel"].app
    client = TestClient(services["referral"].api)
    made = client.post(
        "/referrals",
        json=details(district=DISTRICT, consent=CONSENT, caf_reference="CAF-2026-777777"),
        headers={**identity.auth(), "Idempotency-Key": f"scope-{uuid.uuid4()}"},
    )
    assert made.status_code == 201, made.text
    case_id = uuid.UUID(made.json()["case_id"])
    work = Work(panel)
    panel_policies.referral_accepted(work, case_id, DISTRICT, 3, ["camhs", "housing"], FRIDAY)
    work.commit()
    case = Work(panel).get_as(case_id, PanelCase, "case")
    (meeting_id,) = case.listings
    sit(panel, meeting_id)
    for person, agency in (
        ("q1", "social-care"),
        ("q2", "education"),
        ("q3", "camhs"),
        ("q4", "police"),
    ):
        member = Caller.of(person, PM, agency, [DISTRICT], ["maag"])
        panel.handle(
            ConfirmAttendance(meeting_id=meeting_id, name=person, caller=member, correlation_id="c")
        )
    chair = Caller.of("chair", (PC, PM), "social-care", [DISTRICT], ["maag"])

    def decide(**body: Any) -> None:
        panel.handle(decision(meeting_id, body, chair, "c"))

    for lead in (LEAD_BEFORE, LEAD_NOW):
        body = {
            "professional_id": lead,
            "name": lead,
            "agency": LEAD_AGENCY,
            "work_email": f"{lead}@x.example",
        }
        decide(kind="assign-lead-professional", case_id=str(case_id), **body)
        work = Work(referral)
        assigned = LeadProfessionalAssigned(
            case_id=case_id,
            occurred_at=datetime.now(UTC),
            actor=chair.actor,
            panel=Panel.MAAG,
            meeting_id=meeting_id,
            professional_id=lead,
            professional_name=lead,
            agency=Agency(LEAD_AGENCY),
            work_email=f"{lead}@x.example",
        )
        on_lead_professional_assigned(Delivery(assigned, None, "t", 0, 0), work)
        work.commit()
        # commissioning and notifications learn the lead too: who may read the packages, emails
        _deliver(services["commissioning"].app, commissioning_lead_assigned, assigned)
        _deliver(services["notifications"].app, notifications_lead_assigned, assigned)
    if state == "closed":
        decide(kind="close", case_id=str(case_id), reason="needs met")
        work = Work(referral)
        closed = CaseClosed(
            case_id=case_id,
            occurred_at=datetime(2026, 11, 28, 12, tzinfo=UTC),
            actor=chair.actor,
            panel=Panel.MAAG,
            meeting_id=meeting_id,
            reason="needs met",
        )
        on_case_closed(Delivery(closed, None, "t", 0, 0), work)
        work.commit()
        _deliver(services["commissioning"].app, commissioning_case_closed, closed)
        _deliver(services["notifications"].app, notifications_case_closed, closed)
    elif state == "consent withdrawn":
        withdrawal = BODIES["/referrals/{case_id}/consent/withdrawal"]
        r = client.post(
            f"/referrals/{case_id}/consent/withdrawal", json=withdrawal, headers=identity.auth()
        )
        assert r.status_code == 200, r.text
        work = Work(panel)
        panel_policies.consent_withdrawn(work, case_id, False)
        work.commit()
        at = datetime(2026, 11, 28, 12, tzinfo=UTC)
        withdrawn = ConsentWithdrawn(
            case_id=case_id,
            occurred_at=at,
            actor=chair.actor,
            withdrawn_on=at.date(),
            continues_on_safeguarding_basis=False,
        )
        _deliver(services["commissioning"].app, commissioning_consent_withdrawn, withdrawn)
        paused = CasePaused(case_id=case_id, occurred_at=at, actor=chair.actor, reason="consent")
        _deliver(services["notifications"].app, notifications_case_paused, paused)
    elif state == "with social care":
        decide(kind="refer-to-social-care", case_id=str(case_id), reason="disclosure")
        referred = CaseReferredToSocialCare(
            case_id=case_id,
            occurred_at=datetime(2026, 11, 28, 12, tzinfo=UTC),
            actor=chair.actor,
            panel=Panel.MAAG,
            meeting_id=meeting_id,
            reason="disclosure",
        )
        _deliver(referral, on_case_referred_to_social_care, referred)
    elif state == "under hold":
        dpo = Caller.of("dpo", Role.PRIVACY_OFFICER, "county-information-governance")
        referral.handle(
            PlaceLegalHold(
                case_id=case_id,
                reason="a claim",
                until=date(2031, 1, 1),
                today=date(2026, 12, 1),
                caller=dpo,
                correlation_id="c",
            )
        )
    work = Work(services["commissioning"].app)
    requested = package_requested(case_id, "mentoring", 1)
    on_package_requested(Delivery(requested, None, "t", 0, 0), work)
    work.commit()
    work = Work(services["notifications"].app)
    found = work.find(known_case_id(case_id))
    known = found if isinstance(found, KnownCase) else KnownCase(case_id=case_id)
    known.place(DISTRICT, "maag")
    work.add(known)
    work.commit()
    return case_id


def _deliver(app: Any, policy: Any, event: Any) -> None:
    """`event` to `policy`, as its consumer would hand it over, committed."""
    work = Work(app)
    policy(Delivery(event, envelope(event, str(uuid.uuid4())), "t", 0, 0), work)
    work.commit()


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[0]} {r[1]} {r[2]}")
def test_each_case_route_answers_each_persona_as_the_policy_says(
    services: dict[str, Any], route: tuple[str, str, str], state: str
) -> None:
    service, method, template = route
    client = TestClient(services[service].api, raise_server_exceptions=False)
    shared = _case(services, state)
    observed: dict[str, int | str] = {}
    wanted: dict[str, int | str] = {}
    for persona in PERSONAS:
        wanted[persona.name] = expected(persona, ROUTES[route], state, service)
        # an allowed write changes its case: each gets one of its own (a refusal changes none)
        fresh = method != "GET" and wanted[persona.name] == "allowed"
        case_id = _case(services, state) if fresh else shared
        # any other id in the path: one that names nothing (an allowed caller is told so)
        path = re.sub(
            r"\{[a-z_]+\}", str(uuid.uuid4()), template.replace("{case_id}", str(case_id))
        )
        headers = {**persona.headers(), "Idempotency-Key": f"scope-{uuid.uuid4()}"}
        r = client.request(method, path, headers=headers, **request_body(template))
        refused_as_unseen = r.status_code == 404 and "case_id: no case" in r.text
        observed[persona.name] = (
            r.status_code if r.status_code in (401, 403) or refused_as_unseen else "allowed"
        )
    assert observed == wanted, f"{method} {service}{template} ({state})"


def test_every_case_route_of_every_service_is_here(services: dict[str, Any]) -> None:
    from fastapi.routing import APIRoute

    served = {
        (name, method, r.path)
        for name, s in services.items()
        for r in s.api.routes
        if isinstance(r, APIRoute)
        and "{case_id}" in r.path
        and "/audit/" not in r.path
        and not r.path.endswith("/export")
        for method in (r.methods or ())
    }
    assert served == set(ROUTES), sorted(served ^ set(ROUTES))
