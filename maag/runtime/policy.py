"""The access policy, declared once: who may do what to which case. Every service reads it,
on every path (its commands through `maag.runtime.commands`, its reads of a case through
`maag.runtime.queries`, or, where a read spans several aggregates, `require` then
`maag.runtime.evidence.reads`), so a rule holds in the referral, panel, commissioning and
notifications services alike.

A decision is role x action x the case's scope: its referring agency, district, the tier
holding it, its current lead professional, the recorded consent's scope, a safeguarding
basis, whether it is open, and whether it is with children's social care's front door. Each service builds a case's `CaseScope` from what it holds;
the rules below never change by service.

Refusals: a caller who may not even know the case exists is told there is no such case
(404, as for one that does not exist); one who may read it but not do this is told which
rule refuses them (403)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from contracts.reference import Role
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller, Forbidden

A = TypeVar("A", bound=Aggregate)

SITTING = (Role.PANEL_MEMBER, Role.PANEL_CHAIR)


@dataclass(frozen=True)
class CaseScope:
    """What decides access to one case, as the service answering knows it. An agency,
    district or lead a service does not know is None and matches nobody; a tier it does not
    know (a referral no panel holds yet) is None and leaves the district to decide."""

    case_id: UUID
    agency: str | None = None  # the referring agency
    district: str | None = None
    tier: str | None = None  # the panel holding the case: maag, earp, jap
    lead: str | None = None  # the current lead professional's user id
    consent: frozenset[str] = frozenset()  # agencies the consent in force names
    safeguarding_basis: bool = False
    open: bool = True  # not closed, consent not withdrawn without a basis
    # referred to children's social care's front door (and not stepped down from it)
    at_social_care: bool = False
    # the providers the package read is commissioned from (commissioning's scope of a package)
    providers: frozenset[str] = frozenset()


class Action(StrEnum):
    READ_OUTCOME = "read where the referral stands"
    READ_CASE = "read the case"
    READ_CHILD = "read the child's details, case notes and chronology"
    WRITE_NOTE = "write a case note"
    UPDATE_CHILD = "record the child's birth on their record"
    RECORD_CONSENT = "record consent, or record it again (reconfirmed with the family)"
    CHANGE_CONSENT = "withdraw consent, or record a safeguarding basis"
    LINK_CHILD = "confirm a child match or link siblings"
    PRIVACY = "erase, hold, release or export the case's personal data"
    READ_PLAN = "read the case's plan"
    CHANGE_PLAN = "change the case's plan"
    READ_PACKAGES = "read the case's packages"
    READ_FAILURES = "read that a package agreed for the case could not be commissioned"
    READ_NOTIFICATIONS = "read the emails sent about the case"
    ANSWER_FRONT_DOOR = "take on a case referred to social care, or step it down"
    LIST_CASE = "list the case on a meeting of the panel holding it"
    DECLARE_INTEREST = "declare an interest in a case listed at a meeting of their panel"
    RECORD_MINUTES = "minute a meeting of their panel, and the cases discussed at it"
    CIRCULATE_AGENDA = "circulate the agenda of a meeting of their panel to its members"
    AUDIT = "replay a case's history"


Relation = Callable[[Caller, CaseScope], bool]


@dataclass(frozen=True)
class Who:
    """One way of standing in relation to a case, and the roles that can hold it."""

    name: str
    roles: tuple[Role, ...]
    holds: Relation = field(compare=False)


def _referrer(c: Caller, s: CaseScope) -> bool:
    return c.has(Role.REFERRER) and not c.system and s.agency is not None and c.agency == s.agency


def _agency_system(c: Caller, s: CaseScope) -> bool:
    return c.system and s.agency is not None and c.agency == s.agency


def _sits(c: Caller, s: CaseScope) -> bool:
    """A panel member whose token names the case's district and the tier holding it."""
    if not c.has(*SITTING) or s.district is None or s.district not in c.districts:
        return False
    return s.tier is None or s.tier in c.tiers


def _lead(c: Caller, s: CaseScope) -> bool:
    """The current lead professional of an open case (access ends at reassignment and
    closure, everywhere)."""
    return s.open and s.lead is not None and c.leads(s.lead)


def _lead_shared(c: Caller, s: CaseScope) -> bool:
    """The lead, where the child's details may go to their agency: the referring agency's,
    or named by the consent in force, or under a recorded safeguarding basis."""
    return _lead(c, s) and (c.agency == s.agency or c.agency in s.consent or s.safeguarding_basis)


REFERRER = Who("the referring agency's referrers", (Role.REFERRER,), _referrer)
AGENCY_SYSTEM = Who("the referring agency's case system", (Role.REFERRER,), _agency_system)
PANEL = Who("panel members who sit on the case's district and tier", SITTING, _sits)
# A panel's chair: a case's scope at a meeting names the meeting's tier (`CaseScope.tier`).
CHAIR = Who(
    "panel chairs who sit on the case's district and tier",
    (Role.PANEL_CHAIR,),
    lambda c, s: c.has(Role.PANEL_CHAIR) and _sits(c, s),
)
LEAD = Who("the case's current lead professional", (Role.LEAD_PROFESSIONAL,), _lead)
LEAD_SHARED = Who(
    "the case's current lead professional, as consent or a safeguarding basis allows",
    (Role.LEAD_PROFESSIONAL,),
    _lead_shared,
)
# A referral to social care is itself the basis for sharing: significant harm, or a panel's
# decision that the child needs social care's assessment.
FRONT_DOOR = Who(
    "children's social care's front door of the case's district, for a case referred to it",
    (Role.FRONT_DOOR,),
    lambda c, s: c.has(Role.FRONT_DOOR) and s.at_social_care and s.district in c.districts,
)
# A provider's staff read the packages commissioned from their provider: what they need to
# start the work (never the child's details: the lead professional shares those).
PROVIDER = Who(
    "the provider the package is commissioned from, while the case is open",
    (Role.PROVIDER,),
    lambda c, s: (
        c.has(Role.PROVIDER) and s.open and c.provider is not None and c.provider in s.providers
    ),
)
AUDITOR = Who("auditors", (Role.AUDITOR,), lambda c, s: c.has(Role.AUDITOR))
PRIVACY_OFFICER = Who(
    "the data protection officer", (Role.PRIVACY_OFFICER,), lambda c, s: c.has(Role.PRIVACY_OFFICER)
)
COMMISSIONER = Who("commissioners", (Role.COMMISSIONER,), lambda c, s: c.has(Role.COMMISSIONER))

# The one table: for each action, who may.
RULES: dict[Action, tuple[Who, ...]] = {
    # an agency's case system submits referrals and reads their outcomes, nothing more
    Action.READ_OUTCOME: (REFERRER, AGENCY_SYSTEM, PANEL, LEAD, FRONT_DOOR, AUDITOR),
    Action.READ_CASE: (REFERRER, PANEL, LEAD, FRONT_DOOR, AUDITOR),
    Action.READ_CHILD: (REFERRER, LEAD_SHARED, FRONT_DOOR),
    Action.WRITE_NOTE: (REFERRER, LEAD_SHARED),
    # the referring midwife, or the lead working with the family, records a baby's birth
    Action.UPDATE_CHILD: (REFERRER, LEAD_SHARED),
    # The lead works with the family and reconfirms its consent (at least yearly), where the
    # child's details may already go to their agency: consent naming another agency, or a
    # basis for sharing without it, must not be a way for a lead to let themselves read them.
    Action.RECORD_CONSENT: (REFERRER, PANEL, LEAD_SHARED),
    Action.CHANGE_CONSENT: (REFERRER, PANEL),
    Action.LINK_CHILD: (REFERRER, PANEL, LEAD),
    Action.PRIVACY: (PRIVACY_OFFICER,),
    Action.READ_PLAN: (PANEL, LEAD, AUDITOR),
    Action.CHANGE_PLAN: (LEAD,),
    Action.READ_PACKAGES: (PANEL, LEAD, COMMISSIONER, PROVIDER, AUDITOR),
    # commissioners find room or money for it; the panel that agreed it decides again
    Action.READ_FAILURES: (PANEL, COMMISSIONER, AUDITOR),
    Action.READ_NOTIFICATIONS: (PANEL, LEAD, AUDITOR),
    Action.ANSWER_FRONT_DOOR: (FRONT_DOOR,),
    Action.LIST_CASE: (PANEL,),
    # at a meeting, the case's scope is the meeting's tier (the panel that lists it there)
    Action.DECLARE_INTEREST: (PANEL,),
    Action.RECORD_MINUTES: (CHAIR,),
    # a meeting's coordinator or chair: those who sit on its panel (its tier and district)
    Action.CIRCULATE_AGENDA: (PANEL,),
    Action.AUDIT: (AUDITOR, PRIVACY_OFFICER),
}


class Report(StrEnum):
    """What is read across cases, never one case's details: figures, and the extract."""

    FIGURES = "read the reports: spend, capacity, savings and the boards' figures"
    EQUALITY = "read the boards' equality figures (counts, small ones hidden)"
    EPISODES = "extract the early-help episodes for the county's returns (a row per referral)"


# Who may read each, by role: figures for commissioners and auditors; the extract, row by
# row with the child's coded fields (pseudonymous, by month), for commissioners, who make
# the county's returns.
REPORTS: dict[Report, tuple[Role, ...]] = {
    Report.FIGURES: (Role.COMMISSIONER, Role.AUDITOR),
    Report.EQUALITY: (Role.COMMISSIONER, Role.AUDITOR),
    Report.EPISODES: (Role.COMMISSIONER,),
}


def require_report(caller: Caller, report: Report) -> None:
    caller.require(*REPORTS[report], to=report.value)


# Who may know that a case exists: its readers, and those whose rule lets them act on any
# case (the data protection officer, commissioners).
KNOWS: tuple[Who, ...] = (*RULES[Action.READ_OUTCOME], PRIVACY_OFFICER, COMMISSIONER)


def no_such_case(case_id: UUID) -> NotFound:
    """The one answer for a case that does not exist and for one the caller may not know
    of: nothing tells them which."""
    return NotFound(f"case_id: no case {case_id} that you can see")


def find_case(work: Work, case_id: UUID, kind: type[A]) -> A:
    """The service's aggregate of the case, or the one answer for a case not there."""
    found = work.find(case_id)
    if not isinstance(found, kind):
        raise no_such_case(case_id)
    return found


def roles_for(action: Action) -> tuple[Role, ...]:
    return tuple(dict.fromkeys(r for who in RULES[action] for r in who.roles))


def allows(caller: Caller, action: Action, scope: CaseScope) -> bool:
    return any(who.holds(caller, scope) for who in RULES[action])


def may_read(caller: Caller, scope: CaseScope) -> bool:
    return allows(caller, Action.READ_CASE, scope)


def require_role(caller: Caller, action: Action) -> None:
    """403 for a role that can never do `action` on any case (asked before the case is
    looked up, so it says nothing of whether the case exists)."""
    caller.require(*roles_for(action), to=action.value)
    if caller.system and AGENCY_SYSTEM not in RULES[action]:
        raise Forbidden(
            f"an agency's case system may submit referrals and read their outcomes, "
            f"not {action.value}"
        )


def require(caller: Caller, action: Action, scope: CaseScope) -> None:
    """Allowed, or refused: 404 where the caller may not know the case exists, else 403
    naming who may."""
    require_role(caller, action)
    if allows(caller, action, scope):
        return
    if not any(who.holds(caller, scope) for who in KNOWS):
        raise no_such_case(scope.case_id)
    allowed = "; ".join(who.name for who in RULES[action])
    raise Forbidden(f"case_id: only {allowed} may {action.value}")
