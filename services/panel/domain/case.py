"""A case as the panels see it: which tier holds it, where it is listed, what was decided.

Every decision names who made it and in which meeting; a decision outside the tier's
threshold carries its justification. Each event is declared once, with its state change
(`apply`); the stored attributes keep the plain form they have always had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import IDENTIFYING, OPERATIONAL, THIRD_PARTY
from contracts.events.base import FundingShare, FundingSplit
from contracts.events.panel import RequestedIntervention, ReviewDecision
from contracts.limits import TEXT_CHARS
from contracts.reference import Agency, AvoidedOutcome, ClosureOutcome, District, Panel
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import (
    PanelRuleBroken,
    escalation_allowed,
    require_package_terms,
    require_threshold_or_justification,
    step_down_allowed,
)
from services.panel.domain.schedule import LOCAL, PanelRef
from services.panel.domain.values import (
    CaseStatus,
    Declaration,
    Lead,
    Listing,
    Outcome,
    Package,
    PackageRequest,
)

PACKAGE_NAMESPACE = UUID("a3f0c7de-8a4e-4f5a-b7c1-9d2e6f1a0b34")
REVIEW_REASON = "review"
FAILURE_REASON = "package not commissioned"
# The listing reason of a case children's social care stepped down into the district's MAAG
# (a panel's case it answered, or a significant-harm referral accepted afterwards).
STEPPED_DOWN_BY_SOCIAL_CARE = "stepped down by children's social care"
TAKEN_ON_BY_SOCIAL_CARE = "taken on by children's social care"
REFERRED_TO_SOCIAL_CARE = "referred to children's social care"


class PanelCase(Aggregate):
    class Opened(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]
        district: Annotated[str, OPERATIONAL]
        level_of_need: Annotated[int, OPERATIONAL]
        agencies_requested: Annotated[list[str], OPERATIONAL]

    class Listed(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        starts_at: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings[self.meeting_id] = Listing(
                Panel(self.panel), datetime.fromisoformat(self.starts_at), self.reason
            )

    class LeadProfessionalAssigned(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        professional_id: Annotated[str, THIRD_PARTY]
        professional_name: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]
        work_email: Annotated[str, THIRD_PARTY]
        justification: Annotated[str | None, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.lead = Lead(
                self.professional_id, self.professional_name, self.agency, self.work_email
            )
            case.decided_at.add(self.meeting_id)

    class PackageRequested(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        package_id: Annotated[UUID, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        # each a RequestedIntervention, as JSON
        interventions: Annotated[list[dict[str, object]], OPERATIONAL]
        justification: Annotated[str | None, OPERATIONAL]
        alternative_to: Annotated[list[str], OPERATIONAL]
        # [[agency, percent], ...]: FundingSplit.stored()
        funding_split: Annotated[list[list[Any]], OPERATIONAL]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            # v1 requests named nothing avoided; a JAP's split was a global setting
            state["alternative_to"] = []
            state["funding_split"] = []

        def apply(self, case: PanelCase) -> None:
            case.decided_at.add(self.meeting_id)
            # a request replaces anything known of the package before it
            case.packages[self.package_id] = Package(
                PackageRequest(
                    panel=Panel(self.panel),
                    interventions=tuple(
                        RequestedIntervention.model_validate(i) for i in self.interventions
                    ),
                    funding_split=FundingSplit.of(self.funding_split),
                    meeting_id=self.meeting_id,
                )
            )

    class Escalated(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        to_panel: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        justification: Annotated[str | None, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)
            case.panel = Panel(self.to_panel)

    class SteppedDown(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        to_panel: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        justification: Annotated[str | None, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)
            case.panel = Panel(self.to_panel)

    class Deferred(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)

    class Closed(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        # v2: where the child stands at closure (ClosureOutcome values)
        outcomes: Annotated[list[str], OPERATIONAL]
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["outcomes"] = []  # closed before the panel recorded where the child stood

        def apply(self, case: PanelCase) -> None:
            case.status = CaseStatus.CLOSED
            case.listings.clear()

    class Paused(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        lead_email: Annotated[str | None, THIRD_PARTY]
        reason: Annotated[str, OPERATIONAL]
        removed_from: Annotated[list[UUID], OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.status = CaseStatus.PAUSED
            case.listings.clear()

    class JoinedInto(Aggregate.Event):
        """The referral is of a child whose case is open here already: it joins that case
        (which is listed with it) and this one leaves every agenda."""

        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        into_case_id: Annotated[UUID | None, IDENTIFYING]
        removed_from: Annotated[list[UUID], OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.status = CaseStatus.JOINED
            case.listings.clear()

    class ReferredToSocialCare(Aggregate.Event):
        """The panel referred the case to children's social care's front door: it leaves
        every other agenda (`removed_from`) and takes no decisions until the front door
        answers."""

        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        removed_from: Annotated[list[UUID], OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.status = CaseStatus.AT_SOCIAL_CARE
            case.listings.clear()
            case.decided_at.add(self.meeting_id)
            case.referred_at = self.meeting_id

    class SocialCareSteppedDown(Aggregate.Event):
        """The front door stepped the case down: active again, held by the district's MAAG
        (`to_panel`), whose meeting `meeting_id` lists it (`Listed`). `panel` is the tier
        that held it when it was referred."""

        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        to_panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            if case.status is CaseStatus.AT_SOCIAL_CARE:  # paused meanwhile: it stays paused
                case.status = CaseStatus.ACTIVE
            case.panel = Panel(self.to_panel)
            case.referred_at = None

    class ReferralJoined(Aggregate.Event):
        """Another referral of this case's child joined it."""

        joined_case_id: Annotated[UUID | None, IDENTIFYING]

        def apply(self, case: PanelCase) -> None:
            if self.joined_case_id is not None:  # None: erased, the link with it
                case.joined.add(self.joined_case_id)

    class Resumed(Aggregate.Event):
        """Consent given again: the case may be listed and decided once more."""

        def apply(self, case: PanelCase) -> None:
            # still waiting for the front door: back there, not to an agenda
            case.status = CaseStatus.AT_SOCIAL_CARE if case.referred_at else CaseStatus.ACTIVE

    class ReviewListed(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        lead_email: Annotated[str | None, THIRD_PARTY]
        package_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        starts_at: Annotated[str, OPERATIONAL]
        review_on: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings[self.meeting_id] = Listing(
                Panel(self.panel), datetime.fromisoformat(self.starts_at), REVIEW_REASON
            )
            case.packages[self.package_id] = replace(
                case.package(self.package_id),
                review_on=date.fromisoformat(self.review_on),
                review_meeting=self.meeting_id,
            )

    class ReviewKept(Aggregate.Event):
        """A package's review fell due while the case was with children's social care: kept,
        on no agenda, until the front door steps the case down (then listed)."""

        package_id: Annotated[UUID, OPERATIONAL]
        review_on: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.packages[self.package_id] = replace(
                case.package(self.package_id),
                review_on=date.fromisoformat(self.review_on),
                review_meeting=None,
            )

    class CarriedOver(Aggregate.Event):
        """The meeting it was listed on ended without deciding anything on it: it goes to
        that panel's next meeting with the reason (`Listed`)."""

        meeting_id: Annotated[UUID, OPERATIONAL]
        to_meeting_id: Annotated[UUID, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)

    class BroughtForward(Aggregate.Event):
        """A panel member listed the case on an earlier meeting of the panel holding it (one
        they called for it, or the next that sits): it is off this later one, its business
        there (a package review too) brought to `to_meeting_id` (`Listed`)."""

        meeting_id: Annotated[UUID, OPERATIONAL]
        to_meeting_id: Annotated[UUID, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)

    class ReviewMoved(Aggregate.Event):
        """The case moved tier before its package's review fell due: the review is taken off
        the meeting of the tier that no longer holds the case (and listed at the tier that
        does, `ReviewListed`)."""

        package_id: Annotated[UUID, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        to_panel: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings.pop(self.meeting_id, None)

    class ReviewDecided(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        package_id: Annotated[UUID, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        goals: Annotated[str, OPERATIONAL]
        level_of_need_change: Annotated[int, OPERATIONAL]
        decision: Annotated[str, OPERATIONAL]
        # each a RequestedIntervention, as JSON
        interventions: Annotated[list[dict[str, object]], OPERATIONAL]
        effective_from: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.decided_at.add(self.meeting_id)
            decided = ReviewDecision(self.decision)
            known = case.package(self.package_id)
            case.packages[self.package_id] = replace(
                known,
                last_review=decided,
                reviewed_at=self.meeting_id,
                # a recommission is a new attempt: its own failure is listed again
                failed=None if decided is ReviewDecision.RECOMMISSION else known.failed,
            )

    class PackageEnded(Aggregate.Event):
        package_id: Annotated[UUID, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.packages[self.package_id] = replace(
                case.package(self.package_id), ended=self.reason
            )

    class NeedReassessed(Aggregate.Event):
        """A package review changed the case's level of need; later thresholds use it."""

        package_id: Annotated[UUID, OPERATIONAL]
        change: Annotated[int, OPERATIONAL]
        level_of_need: Annotated[int, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.level_of_need = self.level_of_need

    class CommissioningFailureListed(Aggregate.Event):
        district: Annotated[str, OPERATIONAL]
        lead_email: Annotated[str | None, THIRD_PARTY]
        package_id: Annotated[UUID, OPERATIONAL]
        panel: Annotated[str, OPERATIONAL]
        meeting_id: Annotated[UUID, OPERATIONAL]
        starts_at: Annotated[str, OPERATIONAL]
        reason: Annotated[str, OPERATIONAL]
        detail: Annotated[str, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.listings[self.meeting_id] = Listing(
                Panel(self.panel), datetime.fromisoformat(self.starts_at), FAILURE_REASON
            )
            case.packages[self.package_id] = replace(
                case.package(self.package_id), failed=self.reason
            )

    class InterestDeclared(Aggregate.Event):
        """A member of the meeting `meeting_id` declared an interest in the case before the
        panel decided on it there (their organisation provides to the family, say), and
        whether they withdraw from the decision. A declaration names the member and their
        interest, not the child."""

        meeting_id: Annotated[UUID, OPERATIONAL]
        person_id: Annotated[str, THIRD_PARTY]
        name: Annotated[str, THIRD_PARTY]
        agency: Annotated[str, OPERATIONAL]
        interest: Annotated[str, THIRD_PARTY]
        withdraws: Annotated[bool, OPERATIONAL]

        def apply(self, case: PanelCase) -> None:
            case.interests.setdefault(self.meeting_id, {})[self.person_id] = Declaration(
                self.name, self.agency, self.interest, self.withdraws
            )

    @event(Opened)
    def __init__(
        self,
        case_id: UUID,
        district: str,
        level_of_need: int,
        agencies_requested: list[str],
    ) -> None:
        self.district = District(district)
        self.level_of_need = level_of_need
        self.agencies_requested = [Agency(a) for a in agencies_requested]
        self.panel = Panel.MAAG
        self.status = CaseStatus.ACTIVE
        self.listings: dict[UUID, Listing] = {}  # meetings the case is listed on
        self.lead: Lead | None = None
        self.packages: dict[UUID, Package] = {}
        self.joined: set[UUID] = set()  # other referrals of the child that joined this case
        self.decided_at: set[UUID] = set()  # meetings that took a decision on it
        self.referred_at: UUID | None = None  # the meeting that referred it to social care
        # meeting id -> person id -> their declaration of an interest in the case there
        self.interests: dict[UUID, dict[str, Declaration]] = {}

    @staticmethod
    def create_id(case_id: UUID, **_: object) -> UUID:
        return case_id

    @classmethod
    def open(
        cls, case_id: UUID, district: District, level_of_need: int, agencies: Sequence[Agency]
    ) -> PanelCase:
        return cls(
            case_id=case_id,
            district=district.value,
            level_of_need=level_of_need,
            agencies_requested=[a.value for a in agencies],
        )

    @property
    def ref(self) -> PanelRef:
        return self.ref_for(self.panel)

    def ref_for(self, panel: Panel) -> PanelRef:
        return PanelRef(panel, self.district if panel is Panel.MAAG else None)

    @property
    def is_open(self) -> bool:
        return self.status is CaseStatus.ACTIVE

    @property
    def package_services(self) -> set[str]:
        """Every service of the case's packages (what a plan's action may name)."""
        return {s for p in self.packages.values() for s in p.services}

    def package(self, package_id: UUID) -> Package:
        """What the panel knows of the package (nothing yet: an empty `Package`)."""
        return self.packages.get(package_id, Package())

    # --- listing ---

    def list_on(self, meeting: Meeting, reason: str) -> bool:
        """List the case on `meeting` (both sides); False if it was already listed there."""
        if not meeting.list_case(self.id, reason):
            return False
        self.trigger_event(
            self.Listed,
            district=self.district.value,
            meeting_id=meeting.id,
            panel=meeting.panel.value,
            starts_at=meeting.starts_at.isoformat(),
            reason=reason,
        )
        return True

    def pause(self, reason: str, meetings: list[Meeting]) -> None:
        """Consent withdrawn: off every agenda, decisions refused until consent returns (a
        case with social care stays there, paused: it comes back to no agenda without it)."""
        if self.status not in (CaseStatus.ACTIVE, CaseStatus.AT_SOCIAL_CARE):
            return
        for meeting in meetings:
            meeting.remove_case(self.id, reason)
        self.trigger_event(
            self.Paused,
            district=self.district.value,
            panel=self.panel.value,
            lead_email=self.lead.work_email if self.lead else None,
            reason=reason,
            removed_from=[m.id for m in meetings],
        )

    def may_join_another(self) -> bool:
        """Not yet worked (no lead professional, no package): a confirmed match can fold
        it into the child's open case."""
        return self.is_open and self.lead is None and not self.packages

    def join_into(self, into: PanelCase, meetings: list[Meeting], meeting: Meeting) -> None:
        """This referral joins the child's open case `into`, listed on `meeting` (its tier's
        next) with it; this case leaves `meetings` (every agenda it was on)."""
        for m in meetings:
            m.remove_case(self.id, f"joined case {into.id}")
        self.trigger_event(
            self.JoinedInto,
            district=self.district.value,
            panel=self.panel.value,
            into_case_id=into.id,
            removed_from=[m.id for m in meetings],
        )
        into.absorb(self.id, meeting)

    def absorb(self, case_id: UUID, meeting: Meeting) -> None:
        """Another referral of the child joins this case: listed on `meeting` to consider it
        with the case's history (once, however often it is said)."""
        if case_id in self.joined:
            return
        self.trigger_event(self.ReferralJoined, joined_case_id=case_id)
        self.list_on(meeting, f"new referral for this child (case {case_id})")

    def resume(self) -> None:
        if self.status is CaseStatus.PAUSED:
            self.trigger_event(self.Resumed)

    def list_review(self, package_id: UUID, review_on: date, meeting: Meeting) -> None:
        """List the package's review; a review on or before one already listed is not listed
        again (a recommission republishes the package with the review it is already at)."""
        listed = self.package(package_id).review_on
        if listed is not None and review_on <= listed:
            return
        if self.status is CaseStatus.AT_SOCIAL_CARE:  # on no agenda until the front door answers
            self.trigger_event(
                self.ReviewKept, package_id=package_id, review_on=review_on.isoformat()
            )
            return
        self._review_on(package_id, review_on, meeting)

    def _review_on(self, package_id: UUID, review_on: date, meeting: Meeting) -> None:
        """The package's review listed on `meeting` (both sides; the lead is told)."""
        meeting.list_case(self.id, REVIEW_REASON)
        self.trigger_event(
            self.ReviewListed,
            district=self.district.value,
            lead_email=self.lead.work_email if self.lead else None,
            package_id=package_id,
            panel=meeting.panel.value,
            meeting_id=meeting.id,
            starts_at=meeting.starts_at.isoformat(),
            review_on=review_on.isoformat(),
        )

    def undecided_at(self, meeting: Meeting) -> bool:
        """Listed on `meeting`, which took no decision on it (and it is open to decide)."""
        return self.is_open and meeting.id in self.listings and meeting.id not in self.decided_at

    def carry_over(self, ended: Meeting, to: Meeting) -> None:
        """Off `ended` (a meeting that took no decision on it) and onto `to`, its panel's
        next, saying why."""
        day = ended.starts_at.astimezone(LOCAL).date().isoformat()
        ended.remove_case(self.id, f"not decided: carried to {to.starts_at.date().isoformat()}")
        self.trigger_event(self.CarriedOver, meeting_id=ended.id, to_meeting_id=to.id)
        self.list_on(to, listing_reason("carried over", f"not decided at the meeting on {day}"))

    def bring_forward(self, to: Meeting, reason: str, meetings: list[Meeting]) -> bool:
        """List the case on `to`, a meeting of the panel holding it, and bring there what waits
        for it at that panel's other meetings (`meetings`: every meeting it is listed on),
        to come, sitting, or ended and not yet carried on: the package reviews listed there
        with it. False if there was nothing to do."""
        self._may_act()
        if to.ref != self.ref:
            raise PanelRuleBroken(
                f"meeting_id: the case is held by the {self.ref}, not the {to.ref}"
            )
        if to.id not in self.listings and self.id in to.agenda:
            raise PanelRuleBroken(
                "meeting_id: this meeting decided on the case and moved it on (deferred, "
                "escalated or stepped down): list it on another meeting"
            )
        others = [m for m in meetings if m.ref == to.ref and m.id != to.id and self.undecided_at(m)]
        if to.id in self.listings and not others:
            return False
        if to.id not in self.listings:
            was = "; ".join(dict.fromkeys(self.listings[m.id].reason for m in others))
            text = f"{reason} (listed for: {was})" if was else reason
            self.list_on(to, listing_reason("brought forward" if others else "listed", text))
        day = to.starts_at.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
        for m in others:
            m.remove_case(self.id, f"brought forward to the meeting at {day}")
            self.trigger_event(self.BroughtForward, meeting_id=m.id, to_meeting_id=to.id)
            for package_id, package in self.packages.items():
                if (
                    package.review_meeting == m.id
                    and package.review_on is not None
                    and package.ended is None
                    and package.reviewed_at != m.id
                ):
                    self._review_on(package_id, package.review_on, to)
        return True

    def reviews_left_at(self, meeting: Meeting) -> list[tuple[UUID, date]]:
        """(package, review date) of each review listed at `meeting` that it did not take (it
        decided something else on the case, or nothing): still to be taken elsewhere."""
        if self.status is not CaseStatus.ACTIVE:
            return []  # relisted when the case comes back (`reviews_off_agenda`)
        return [
            (package_id, package.review_on)
            for package_id, package in self.packages.items()
            if package.review_meeting == meeting.id
            and package.review_on is not None
            and package.ended is None
            and package.reviewed_at != meeting.id
        ]

    def reviews_elsewhere(self, moved_at: UUID | None = None) -> list[tuple[UUID, date, UUID]]:
        """(package, review date, meeting) of each review still to come that is listed at a
        tier that no longer holds the case, or at `moved_at`, the meeting that moved it (the
        move ended its listing there; the review itself was not decided)."""
        return [
            (package_id, package.review_on, package.review_meeting)
            for package_id, package in self.packages.items()
            if package.review_on is not None
            and package.review_meeting is not None
            and package.ended is None
            and package.review_meeting != package.reviewed_at
            and (
                (
                    ((listing := self.listings.get(package.review_meeting)) is not None)
                    and listing.panel is not self.panel
                )
                or (listing is None and package.review_meeting == moved_at)
            )
        ]

    def carry_review(self, package_id: UUID, listed: Meeting, to: Meeting) -> None:
        """Reviews follow the case: the package's review off `listed` (a meeting of the tier
        the case left) and onto `to` (the holding tier's meeting on or after it falls due)."""
        review_on = self.package(package_id).review_on
        assert review_on is not None and to.panel is self.panel
        if listed.id in self.listings:  # the meeting that moved it keeps its decision
            listed.remove_case(self.id, f"the case is now held by {self.panel.value.upper()}")
        self.trigger_event(
            self.ReviewMoved, package_id=package_id, meeting_id=listed.id, to_panel=self.panel.value
        )
        self._review_on(package_id, review_on, to)

    def reviews_off_agenda(self) -> list[tuple[UUID, date]]:
        """(package, review date) of each review still to come that no agenda holds (taken
        off when the case went to children's social care, or falling due while it was there)."""
        return [
            (package_id, package.review_on)
            for package_id, package in self.packages.items()
            if package.review_on is not None
            and package.ended is None
            and (
                package.review_meeting is None  # fell due while with social care
                or (
                    package.review_meeting not in self.listings
                    and package.review_meeting not in self.decided_at  # reviewed there already
                )
            )
        ]

    def relist_review(self, package_id: UUID, to: Meeting) -> None:
        """The package's review, taken off every agenda, listed again on `to` (the holding
        tier's meeting on or after it falls due)."""
        review_on = self.package(package_id).review_on
        assert review_on is not None and to.panel is self.panel
        self._review_on(package_id, review_on, to)

    def reassess(self, package_id: UUID, change: int) -> None:
        """A review's change in level of need (kept within the levels 1 to 4)."""
        level = min(max(self.level_of_need + change, 1), 4)
        if level != self.level_of_need:
            self.trigger_event(
                self.NeedReassessed, package_id=package_id, change=change, level_of_need=level
            )

    def agreed_at(self, package_id: UUID) -> datetime | None:
        """When the meeting that agreed the package sat (None: not agreed here)."""
        requested = self.package(package_id).requested
        listing = self.listings.get(requested.meeting_id) if requested else None
        return listing.starts_at if listing else None

    def relist_after_failure(
        self, package_id: UUID, reason: str, detail: str, meeting: Meeting
    ) -> bool:
        """The package could not be commissioned: list the case on `meeting` (the holding
        panel's next) to decide again. Once per attempt, however often its failure arrives: a
        recommission decided since is a new attempt, listed again if it fails too."""
        if not self.is_open or self.package(package_id).failed:
            return False
        meeting.list_case(self.id, listing_reason(FAILURE_REASON, reason))
        self.trigger_event(
            self.CommissioningFailureListed,
            district=self.district.value,
            lead_email=self.lead.work_email if self.lead else None,
            package_id=package_id,
            panel=meeting.panel.value,
            meeting_id=meeting.id,
            starts_at=meeting.starts_at.isoformat(),
            reason=reason,
            detail=detail,
        )
        return True

    def package_ended(self, package_id: UUID, reason: str) -> None:
        if not self.package(package_id).ended:
            self.trigger_event(self.PackageEnded, package_id=package_id, reason=reason)

    # --- declarations of interest (before the meeting decides on the case) ---

    def decided_on_at(self, meeting: Meeting) -> bool:
        """Whether `meeting` decided on the case: a decision recorded there, or one that moved
        the case on (deferred, escalated, stepped down, closed: it stays on that agenda)."""
        return meeting.id in self.decided_at or (
            self.id in meeting.agenda and meeting.id not in self.listings
        )

    def declare_interest(
        self,
        meeting: Meeting,
        person_id: str,
        name: str,
        agency: str,
        interest: str,
        withdraws: bool,
    ) -> None:
        """A member's declaration of an interest in the case at `meeting`, which lists it,
        recorded before the meeting decides on it; made again differently (to withdraw after
        all), the later one stands; the same again records nothing."""
        if self.id not in meeting.agenda:
            raise PanelRuleBroken("case_id: the case is not on this meeting's agenda")
        if self.decided_on_at(meeting):
            raise PanelRuleBroken(
                "interest: the panel has already decided on this case at this meeting: an "
                "interest is declared before the decision"
            )
        said = Declaration(name, agency, interest, withdraws)
        if self.interests.get(meeting.id, {}).get(person_id) == said:
            return
        self.trigger_event(
            self.InterestDeclared,
            meeting_id=meeting.id,
            person_id=person_id,
            name=name,
            agency=agency,
            interest=interest,
            withdraws=withdraws,
        )

    def declarations_at(self, meeting_id: UUID) -> dict[str, Declaration]:
        """Person id -> their declaration of an interest in the case at the meeting."""
        return dict(self.interests.get(meeting_id, {}))

    def withdrawn_at(self, meeting_id: UUID) -> frozenset[str]:
        """Those who declared an interest at the meeting and withdrew from its decision."""
        return frozenset(p for p, d in self.interests.get(meeting_id, {}).items() if d.withdraws)

    # --- decisions (each in a quorate meeting that lists the case) ---

    def assign_lead_professional(
        self, meeting: Meeting, lead: Lead, justification: str | None
    ) -> None:
        self._may_decide(meeting)
        require_threshold_or_justification(self.panel, self.level_of_need, justification)
        self.trigger_event(
            self.LeadProfessionalAssigned,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            professional_id=lead.professional_id,
            professional_name=lead.name,
            agency=lead.agency,
            work_email=lead.work_email,
            justification=justification,
        )

    def request_package(
        self,
        meeting: Meeting,
        interventions: Sequence[RequestedIntervention],
        justification: str | None,
        alternative_to: Sequence[AvoidedOutcome] = (),
        funding_split: Sequence[FundingShare] = (),
    ) -> UUID:
        self._may_decide(meeting)
        require_threshold_or_justification(self.panel, self.level_of_need, justification)
        split = require_package_terms(self.panel, alternative_to, funding_split)
        package_id = uuid5(PACKAGE_NAMESPACE, f"{self.id}:{len(self.packages) + 1}")
        self.trigger_event(
            self.PackageRequested,
            district=self.district.value,
            panel=self.panel.value,
            package_id=package_id,
            meeting_id=meeting.id,
            interventions=[_stored(i) for i in interventions],
            justification=justification,
            alternative_to=[a.value for a in alternative_to],
            funding_split=split.stored(),
        )
        return package_id

    def review_package(
        self,
        meeting: Meeting,
        package_id: UUID,
        goals: Outcome,
        level_of_need_change: int,
        decision: ReviewDecision,
        interventions: Sequence[RequestedIntervention],
        effective_from: date,
        reason: str,
    ) -> None:
        """The panel decides a package's future at a meeting that lists the case."""
        self._may_decide(meeting)
        package = self.packages.get(package_id)
        if package is None:
            raise PanelRuleBroken(f"package_id: case {self.id} has no package {package_id}")
        if package.ended:
            raise PanelRuleBroken(
                f"package_id: package {package_id} is decommissioned ({package.ended}): "
                "it has no more reviews"
            )
        self.trigger_event(
            self.ReviewDecided,
            district=self.district.value,
            panel=meeting.panel.value,
            package_id=package_id,
            meeting_id=meeting.id,
            goals=goals.value,
            level_of_need_change=level_of_need_change,
            decision=decision.value,
            interventions=[_stored(i) for i in interventions],
            effective_from=effective_from.isoformat(),
            reason=reason,
        )

    def escalate(
        self, meeting: Meeting, to: Panel, reason: str, justification: str | None, target: Meeting
    ) -> None:
        if not escalation_allowed(self.panel, to):
            raise PanelRuleBroken(
                f"a case at {self.panel.value.upper()} cannot be escalated to {to.value.upper()}"
            )
        self._move(self.Escalated, "escalated from", meeting, to, reason, justification, target)

    def step_down(
        self, meeting: Meeting, to: Panel, reason: str, justification: str | None, target: Meeting
    ) -> None:
        if not step_down_allowed(self.panel, to):
            raise PanelRuleBroken(
                f"a case at {self.panel.value.upper()} cannot step down to {to.value.upper()}"
            )
        self._move(
            self.SteppedDown, "stepped down from", meeting, to, reason, justification, target
        )

    def _move(
        self,
        record: type[PanelCase.Escalated] | type[PanelCase.SteppedDown],
        how: str,
        meeting: Meeting,
        to: Panel,
        reason: str,
        justification: str | None,
        target: Meeting,
    ) -> None:
        """Hand the case to another tier and list it on that tier's next meeting."""
        self._may_decide(meeting)
        require_threshold_or_justification(to, self.level_of_need, justification)
        self.trigger_event(
            record,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            to_panel=to.value,
            reason=reason,
            justification=justification,
        )
        self.list_on(target, listing_reason(f"{how} {meeting.panel.value.upper()}", reason))

    def defer(self, meeting: Meeting, reason: str, target: Meeting) -> None:
        self._may_decide(meeting)
        self.trigger_event(
            self.Deferred,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            reason=reason,
        )
        self.list_on(target, listing_reason("deferred", reason))

    def close(
        self,
        meeting: Meeting,
        reason: str,
        outcomes: Sequence[ClosureOutcome] = (),
        meetings: Sequence[Meeting] = (),
    ) -> None:
        """Close the case, recording where the child stands (`outcomes`); it leaves the
        other meetings it is listed on (`meetings`: a review listed ahead, say)."""
        self._may_decide(meeting)
        for m in meetings:
            if m.id != meeting.id:
                m.remove_case(self.id, "the case closed")
        self.trigger_event(
            self.Closed,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            reason=reason,
            outcomes=[o.value for o in dict.fromkeys(outcomes)],
        )

    def refer_to_social_care(self, meeting: Meeting, reason: str, meetings: list[Meeting]) -> None:
        """Refer the case to children's social care's front door. It leaves `meetings` (every
        agenda it is on) but the deciding one, which shows the decision, as any other."""
        self._may_decide(meeting)
        others = [m for m in meetings if m.id != meeting.id]
        for m in others:
            m.remove_case(self.id, REFERRED_TO_SOCIAL_CARE)
        self.trigger_event(
            self.ReferredToSocialCare,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            reason=reason,
            removed_from=[m.id for m in others],
        )

    # --- children's social care's answer to a referral (once, however often it arrives) ---

    def taken_on_by_social_care(self) -> bool:
        """Social care takes the case on: it closes, as decided at the meeting that referred
        it. False if the case is not waiting for the front door's answer."""
        if not self.waiting_for_social_care:
            return False
        self.trigger_event(
            self.Closed,
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=self.referred_at,
            reason=TAKEN_ON_BY_SOCIAL_CARE,
            outcomes=[ClosureOutcome.TAKEN_ON_BY_SOCIAL_CARE.value],
        )
        return True

    def stepped_down_by_social_care(self, meeting: Meeting) -> bool:
        """Social care steps the case down: active again, held by its district's MAAG and
        listed on `meeting` (that MAAG's next open agenda); paused meanwhile (consent
        withdrawn), held there and listed when consent returns. False if the case is not
        waiting for the front door's answer."""
        if not self.waiting_for_social_care:
            return False
        assert meeting.ref == self.ref_for(Panel.MAAG)
        self.trigger_event(
            self.SocialCareSteppedDown,
            district=self.district.value,
            panel=self.panel.value,
            to_panel=Panel.MAAG.value,
            meeting_id=meeting.id,
            reason=STEPPED_DOWN_BY_SOCIAL_CARE,
        )
        if self.is_open:
            self.list_on(meeting, STEPPED_DOWN_BY_SOCIAL_CARE)
        return True

    @property
    def waiting_for_social_care(self) -> bool:
        """Referred to the front door, not yet answered (paused meanwhile, or not)."""
        return self.referred_at is not None and self.status in (
            CaseStatus.AT_SOCIAL_CARE,
            CaseStatus.PAUSED,
        )

    def _may_decide(self, meeting: Meeting) -> None:
        self._may_act()
        meeting.require_listed(self.id)
        if meeting.panel is not self.panel:
            raise PanelRuleBroken(
                f"the case is held by {self.panel.value.upper()}, not {meeting.panel.value.upper()}"
            )

    def _may_act(self) -> None:
        """Open to the panel's work: not paused, with the front door, closed or joined."""
        if self.status is CaseStatus.PAUSED:
            raise PanelRuleBroken(
                "the case is paused (consent withdrawn): no decisions until consent returns"
            )
        if self.status is CaseStatus.AT_SOCIAL_CARE:
            raise PanelRuleBroken(
                "the case is with children's social care's front door: "
                "no decisions until it answers"
            )
        if self.status is CaseStatus.CLOSED:
            raise PanelRuleBroken("the case is closed")
        if self.status is CaseStatus.JOINED:
            raise PanelRuleBroken("the referral joined its child's open case: decide on that case")


def _stored(intervention: RequestedIntervention) -> dict[str, object]:
    """An intervention as stored events hold it: as published."""
    return intervention.model_dump(mode="json")


def listing_reason(how: str, reason: str) -> str:
    """Why a case is on an agenda: how it came, then the decision's reason, cut to the
    published limit (the reason in full stays on the decision's own event)."""
    text = f"{how}: {reason}"
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"
