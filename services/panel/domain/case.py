"""A case as the panels see it: which tier holds it, where it is listed, what was decided.

Every decision names who made it and in which meeting; a decision outside the tier's
threshold carries its justification.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.limits import TEXT_CHARS
from contracts.reference import District, Panel
from services.panel.domain.meeting import Meeting
from services.panel.domain.rules import (
    PanelRuleBroken,
    escalation_allowed,
    require_package_terms,
    require_threshold_or_justification,
    step_down_allowed,
)
from services.panel.domain.schedule import PanelRef

PACKAGE_NAMESPACE = UUID("a3f0c7de-8a4e-4f5a-b7c1-9d2e6f1a0b34")


class PanelCase(Aggregate):
    class Opened(Aggregate.Created):
        case_id: UUID
        district: str
        level_of_need: int
        agencies_requested: list[str]

    class Listed(Aggregate.Event):
        district: str
        meeting_id: UUID
        panel: str
        starts_at: str
        reason: str

    class LeadProfessionalAssigned(Aggregate.Event):
        district: str
        panel: str
        meeting_id: UUID
        professional_id: str
        professional_name: str
        agency: str
        work_email: str
        justification: str | None

    class PackageRequested(Aggregate.Event):
        district: str
        panel: str
        package_id: UUID
        meeting_id: UUID
        interventions: list[dict[str, Any]]
        justification: str | None
        alternative_to: list[str]
        funding_split: list[list[Any]]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # v1 requests named nothing avoided; a JAP's split was a global setting
            state["alternative_to"] = []
            state["funding_split"] = []

    class Escalated(Aggregate.Event):
        district: str
        panel: str
        meeting_id: UUID
        to_panel: str
        reason: str
        justification: str | None

    class SteppedDown(Aggregate.Event):
        district: str
        panel: str
        meeting_id: UUID
        to_panel: str
        reason: str
        justification: str | None

    class Deferred(Aggregate.Event):
        district: str
        panel: str
        meeting_id: UUID
        reason: str

    class Closed(Aggregate.Event):
        district: str
        panel: str
        meeting_id: UUID
        reason: str

    class Paused(Aggregate.Event):
        district: str
        panel: str
        lead_email: str | None
        reason: str
        removed_from: list[UUID]

    class JoinedInto(Aggregate.Event):
        """The referral is of a child whose case is open here already: it joins that case
        (which is listed with it) and this one leaves every agenda."""

        district: str
        panel: str
        into_case_id: UUID
        removed_from: list[UUID]

    class ReferralJoined(Aggregate.Event):
        """Another referral of this case's child joined it."""

        joined_case_id: UUID

    class Resumed(Aggregate.Event):
        """Consent given again: the case may be listed and decided once more."""

    class ReviewListed(Aggregate.Event):
        district: str
        lead_email: str | None
        package_id: UUID
        panel: str
        meeting_id: UUID
        starts_at: str
        review_on: str

    class ReviewDecided(Aggregate.Event):
        district: str
        panel: str
        package_id: UUID
        meeting_id: UUID
        goals: str
        level_of_need_change: int
        decision: str
        interventions: list[dict[str, Any]]
        effective_from: str
        reason: str

    class PackageEnded(Aggregate.Event):
        package_id: UUID
        reason: str

    class NeedReassessed(Aggregate.Event):
        """A package review changed the case's level of need; later thresholds use it."""

        package_id: UUID
        change: int
        level_of_need: int

    class CommissioningFailureListed(Aggregate.Event):
        district: str
        lead_email: str | None
        package_id: UUID
        panel: str
        meeting_id: UUID
        starts_at: str
        reason: str
        detail: str

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
        self.agencies_requested = agencies_requested
        self.panel = Panel.MAAG
        self.status = "active"
        self.listings: dict[UUID, dict[str, str]] = {}  # meetings the case is listed on
        self.lead: dict[str, str] | None = None
        self.packages: dict[UUID, dict[str, Any]] = {}
        self.joined: set[UUID] = set()  # other referrals of the child that joined this case

    @staticmethod
    def create_id(case_id: UUID, **_: Any) -> UUID:
        return case_id

    @property
    def ref(self) -> PanelRef:
        return PanelRef(self.panel, self.district if self.panel is Panel.MAAG else None)

    def ref_for(self, panel: Panel) -> PanelRef:
        return PanelRef(panel, self.district if panel is Panel.MAAG else None)

    # --- listing ---

    def list_on(self, meeting: Meeting, reason: str) -> bool:
        """List the case on `meeting` (both sides); False if it was already listed there."""
        if not meeting.list_case(self.id, reason):
            return False
        self._listed(
            district=self.district.value,
            meeting_id=meeting.id,
            panel=meeting.panel.value,
            starts_at=meeting.starts_at.isoformat(),
            reason=reason,
        )
        return True

    def pause(self, reason: str, meetings: list[Meeting]) -> None:
        """Consent withdrawn: off every agenda, decisions refused until consent returns."""
        if self.status != "active":
            return
        for meeting in meetings:
            meeting.remove_case(self.id, reason)
        self._paused(
            district=self.district.value,
            panel=self.panel.value,
            lead_email=self.lead["work_email"] if self.lead else None,
            reason=reason,
            removed_from=[m.id for m in meetings],
        )

    def may_join_another(self) -> bool:
        """Not yet worked (no lead professional, no package): a confirmed match can fold
        it into the child's open case."""
        return self.status == "active" and self.lead is None and not self.packages

    def join_into(self, into: PanelCase, meetings: list[Meeting], meeting: Meeting) -> None:
        """This referral joins the child's open case `into`, listed on `meeting` (its tier's
        next) with it; this case leaves `meetings` (every agenda it was on)."""
        for m in meetings:
            m.remove_case(self.id, f"joined case {into.id}")
        self._joined_into(
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
        self._referral_joined(joined_case_id=case_id)
        self.list_on(meeting, f"new referral for this child (case {case_id})")

    @event(JoinedInto)
    def _joined_into(
        self, district: str, panel: str, into_case_id: UUID, removed_from: list[UUID]
    ) -> None:
        self.status = "joined"
        self.listings.clear()

    @event(ReferralJoined)
    def _referral_joined(self, joined_case_id: UUID) -> None:
        self.joined.add(joined_case_id)

    def resume(self) -> None:
        if self.status == "paused":
            self._resumed()

    def list_review(self, package_id: UUID, review_on: date, meeting: Meeting) -> None:
        """List the package's review; a review on or before one already listed is not listed
        again (a recommission republishes the package with the review it is already at)."""
        listed = self.packages.get(package_id, {}).get("review_on")
        if listed is not None and review_on.isoformat() <= listed:
            return
        meeting.list_case(self.id, "review")
        self._review_listed(
            **self._listing(meeting), package_id=package_id, review_on=review_on.isoformat()
        )

    def _listing(self, meeting: Meeting) -> dict[str, Any]:
        """What a listing event tells those who act on it: the case's district and lead
        professional, and the meeting."""
        return {
            "district": self.district.value,
            "lead_email": self.lead["work_email"] if self.lead else None,
            "panel": meeting.panel.value,
            "meeting_id": meeting.id,
            "starts_at": meeting.starts_at.isoformat(),
        }

    def reassess(self, package_id: UUID, change: int) -> None:
        """A review's change in level of need (kept within the levels 1 to 4)."""
        level = min(max(self.level_of_need + change, 1), 4)
        if level != self.level_of_need:
            self._need_reassessed(package_id=package_id, change=change, level_of_need=level)

    @event(NeedReassessed)
    def _need_reassessed(self, package_id: UUID, change: int, level_of_need: int) -> None:
        self.level_of_need = level_of_need

    def agreed_at(self, package_id: UUID) -> datetime | None:
        """When the meeting that agreed the package sat (None: not agreed here)."""
        meeting_id = self.packages.get(package_id, {}).get("meeting_id")
        listing = self.listings.get(meeting_id) if meeting_id else None
        return datetime.fromisoformat(listing["starts_at"]) if listing else None

    def relist_after_failure(
        self, package_id: UUID, reason: str, detail: str, meeting: Meeting
    ) -> bool:
        """The package could not be commissioned: list the case on `meeting` (the panel's
        next) to decide again. Once per package, however often the failure arrives."""
        if self.status != "active" or self.packages.get(package_id, {}).get("failed"):
            return False
        meeting.list_case(self.id, listing_reason("package not commissioned", reason))
        self._failure_listed(
            **self._listing(meeting),
            package_id=package_id,
            reason=reason,
            detail=detail,
        )
        return True

    # --- decisions (each in a quorate meeting that lists the case) ---

    def assign_lead_professional(
        self,
        meeting: Meeting,
        professional_id: str,
        name: str,
        agency: str,
        work_email: str,
        justification: str | None,
    ) -> None:
        self._may_decide(meeting)
        require_threshold_or_justification(self.panel, self.level_of_need, justification)
        self._lead_assigned(
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            professional_id=professional_id,
            professional_name=name,
            agency=agency,
            work_email=work_email,
            justification=justification,
        )

    def request_package(
        self,
        meeting: Meeting,
        interventions: list[dict[str, Any]],
        justification: str | None,
        alternative_to: Sequence[str] = (),
        funding_split: Sequence[tuple[str, int]] = (),
    ) -> UUID:
        self._may_decide(meeting)
        require_threshold_or_justification(self.panel, self.level_of_need, justification)
        require_package_terms(self.panel, alternative_to, funding_split)
        package_id = uuid5(PACKAGE_NAMESPACE, f"{self.id}:{len(self.packages) + 1}")
        self._package_requested(
            district=self.district.value,
            panel=self.panel.value,
            package_id=package_id,
            meeting_id=meeting.id,
            interventions=interventions,
            justification=justification,
            alternative_to=list(alternative_to),
            funding_split=[[agency, percent] for agency, percent in funding_split],
        )
        return package_id

    def review_package(
        self,
        meeting: Meeting,
        package_id: UUID,
        goals: str,
        level_of_need_change: int,
        decision: str,
        interventions: list[dict[str, Any]],
        effective_from: date,
        reason: str,
    ) -> None:
        """The panel decides a package's future at a meeting that lists the case."""
        self._may_decide(meeting)
        package = self.packages.get(package_id)
        if package is None:
            raise PanelRuleBroken(f"package_id: case {self.id} has no package {package_id}")
        if package.get("ended"):
            raise PanelRuleBroken(
                f"package_id: package {package_id} is decommissioned ({package['ended']}): "
                "it has no more reviews"
            )
        self._review_decided(
            district=self.district.value,
            panel=meeting.panel.value,
            package_id=package_id,
            meeting_id=meeting.id,
            goals=goals,
            level_of_need_change=level_of_need_change,
            decision=decision,
            interventions=interventions,
            effective_from=effective_from.isoformat(),
            reason=reason,
        )

    def package_ended(self, package_id: UUID, reason: str) -> None:
        if not self.packages.get(package_id, {}).get("ended"):
            self._package_ended(package_id=package_id, reason=reason)

    @event(ReviewDecided)
    def _review_decided(
        self,
        district: str,
        panel: str,
        package_id: UUID,
        meeting_id: UUID,
        goals: str,
        level_of_need_change: int,
        decision: str,
        interventions: list[dict[str, Any]],
        effective_from: str,
        reason: str,
    ) -> None:
        self.packages.setdefault(package_id, {})["last_review"] = decision

    @event(PackageEnded)
    def _package_ended(self, package_id: UUID, reason: str) -> None:
        self.packages.setdefault(package_id, {})["ended"] = reason

    def escalate(
        self,
        meeting: Meeting,
        to: Panel,
        reason: str,
        justification: str | None,
        target: Meeting,
    ) -> None:
        if not escalation_allowed(self.panel, to):
            raise PanelRuleBroken(
                f"a case at {self.panel.value.upper()} cannot be escalated to {to.value.upper()}"
            )
        self._move(
            self._escalated,
            "escalated from",
            meeting,
            to,
            reason,
            justification,
            target,
        )

    def step_down(
        self,
        meeting: Meeting,
        to: Panel,
        reason: str,
        justification: str | None,
        target: Meeting,
    ) -> None:
        if not step_down_allowed(self.panel, to):
            raise PanelRuleBroken(
                f"a case at {self.panel.value.upper()} cannot step down to {to.value.upper()}"
            )
        self._move(
            self._stepped_down,
            "stepped down from",
            meeting,
            to,
            reason,
            justification,
            target,
        )

    def _move(
        self,
        record: Any,
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
        record(
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            to_panel=to.value,
            reason=reason,
            justification=justification,
        )
        self.list_on(target, listing_reason(f"{how} {meeting.panel.value.upper()}", reason))

    def defer(
        self,
        meeting: Meeting,
        reason: str,
        target: Meeting,
    ) -> None:
        self._may_decide(meeting)
        self._deferred(
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            reason=reason,
        )
        self.list_on(target, listing_reason("deferred", reason))

    def close(self, meeting: Meeting, reason: str) -> None:
        self._may_decide(meeting)
        self._closed(
            district=self.district.value,
            panel=self.panel.value,
            meeting_id=meeting.id,
            reason=reason,
        )

    def _may_decide(self, meeting: Meeting) -> None:
        if self.status == "paused":
            raise PanelRuleBroken(
                "the case is paused (consent withdrawn): no decisions until consent returns"
            )
        if self.status == "closed":
            raise PanelRuleBroken("the case is closed")
        if self.status == "joined":
            raise PanelRuleBroken("the referral joined its child's open case: decide on that case")
        meeting.require_listed(self.id)
        if meeting.panel is not self.panel:
            raise PanelRuleBroken(
                f"the case is held by {self.panel.value.upper()}, not {meeting.panel.value.upper()}"
            )

    # --- events ---

    @event(Listed)
    def _listed(
        self,
        district: str,
        meeting_id: UUID,
        panel: str,
        starts_at: str,
        reason: str,
    ) -> None:
        self.listings[meeting_id] = {"panel": panel, "starts_at": starts_at, "reason": reason}

    @event(LeadProfessionalAssigned)
    def _lead_assigned(
        self,
        district: str,
        panel: str,
        meeting_id: UUID,
        professional_id: str,
        professional_name: str,
        agency: str,
        work_email: str,
        justification: str | None,
    ) -> None:
        self.lead = {
            "professional_id": professional_id,
            "name": professional_name,
            "agency": agency,
            "work_email": work_email,
        }

    @event(PackageRequested)
    def _package_requested(
        self,
        district: str,
        panel: str,
        package_id: UUID,
        meeting_id: UUID,
        interventions: list[dict[str, Any]],
        justification: str | None,
        alternative_to: list[str],
        funding_split: list[list[Any]],
    ) -> None:
        self.packages[package_id] = {
            "panel": self.panel.value,
            "interventions": interventions,
            "meeting_id": meeting_id,
        }

    @event(Escalated)
    def _escalated(
        self,
        district: str,
        panel: str,
        meeting_id: UUID,
        to_panel: str,
        reason: str,
        justification: str | None,
    ) -> None:
        self.listings.pop(meeting_id, None)
        self.panel = Panel(to_panel)

    @event(SteppedDown)
    def _stepped_down(
        self,
        district: str,
        panel: str,
        meeting_id: UUID,
        to_panel: str,
        reason: str,
        justification: str | None,
    ) -> None:
        self.listings.pop(meeting_id, None)
        self.panel = Panel(to_panel)

    @event(Deferred)
    def _deferred(
        self,
        district: str,
        panel: str,
        meeting_id: UUID,
        reason: str,
    ) -> None:
        self.listings.pop(meeting_id, None)

    @event(Closed)
    def _closed(
        self,
        district: str,
        panel: str,
        meeting_id: UUID,
        reason: str,
    ) -> None:
        self.status = "closed"
        self.listings.clear()

    @event(Paused)
    def _paused(
        self,
        district: str,
        panel: str,
        lead_email: str | None,
        reason: str,
        removed_from: list[UUID],
    ) -> None:
        self.status = "paused"
        self.listings.clear()

    @event(Resumed)
    def _resumed(self) -> None:
        self.status = "active"

    @event(ReviewListed)
    def _review_listed(
        self,
        district: str,
        lead_email: str | None,
        package_id: UUID,
        panel: str,
        meeting_id: UUID,
        starts_at: str,
        review_on: str,
    ) -> None:
        self.listings[meeting_id] = {"panel": panel, "starts_at": starts_at, "reason": "review"}
        self.packages.setdefault(package_id, {})["review_on"] = review_on

    @event(CommissioningFailureListed)
    def _failure_listed(
        self,
        district: str,
        lead_email: str | None,
        package_id: UUID,
        panel: str,
        meeting_id: UUID,
        starts_at: str,
        reason: str,
        detail: str,
    ) -> None:
        self.listings[meeting_id] = {
            "panel": panel,
            "starts_at": starts_at,
            "reason": "package not commissioned",
        }
        self.packages.setdefault(package_id, {})["failed"] = reason


def listing_reason(how: str, reason: str) -> str:
    """Why a case is on an agenda: how it came, then the decision's reason, cut to the
    published limit (the reason in full stays on the decision's own event)."""
    text = f"{how}: {reason}"
    return text if len(text) <= TEXT_CHARS else text[: TEXT_CHARS - 1] + "…"
