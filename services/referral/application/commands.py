"""The referral's commands: one type and one handler per use case, in a registry.

Each command that acts on a case names its action; the pipeline (maag.runtime.commands)
asks the one access policy (maag.runtime.policy) before the handler runs, and again on a
replayed key. A submission is authorised here for both entrypoints (HTTP and the
submissions topic): a referrer submits for its own agency only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from contracts.events.referral import ConsentGiver, ReferralDetails
from contracts.reference import Agency, Role
from maag.runtime.commands import Command, Handlers
from maag.runtime.policy import Action
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller, Forbidden
from services.referral.application.access import case_scope, may_read
from services.referral.application.personal import ChildIndex, Keyring, fingerprint, seal
from services.referral.domain.matching import match_keys
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import (
    Referral,
    ReferralConflict,
    case_id_for,
    household_id_for,
    new_child_id,
)

if TYPE_CHECKING:  # the application imports its commands
    from services.referral.application.app import ReferralApp

handlers: Handlers[ReferralApp] = Handlers(
    "the referral changed while this request was handled; read it and retry", case_scope
)


def authorise_submission(caller: Caller, details: ReferralDetails) -> None:
    caller.require(Role.REFERRER, to="submit referrals")
    if details.referring_agency.value != caller.agency:
        raise Forbidden(
            f"you may submit referrals only for your own agency {caller.agency!r}, "
            f"not {details.referring_agency.value!r}"
        )


def receive_or_replay(
    existing: Referral | None,
    case_id: UUID,
    details: ReferralDetails,
    channel: str,
    keyring: Keyring,
    index: ChildIndex,
) -> Referral:
    """A new referral, or the one this key already made (a retry), never a second one.
    The child's details are sealed under the case's own data key; the child is indexed,
    and any child they are likely to be is offered for a person to confirm."""
    body = details.model_dump(mode="json")
    if existing is not None:
        key = keyring.find(case_id) if existing.erased is None else None
        if key is None or existing.fingerprint != fingerprint(key, body):
            raise ReferralConflict(
                "this idempotency key was already used for a different submission "
                f"(case {case_id}), or that case's details were erased; use a new key for a "
                "new referral"
            )
        return existing
    key = keyring.data_key(case_id)
    sealed = seal(key, case_id, body["child"])
    child_id = new_child_id(case_id)
    offers = index.place(case_id, child_id, match_keys(body["child"]))
    return Referral.receive(
        case_id, details, channel, sealed, fingerprint(key, body), child_id, offers
    )


@dataclass(frozen=True, kw_only=True)
class SubmitReferral(Command):
    details: ReferralDetails
    handles_its_key: ClassVar[bool] = True  # the key makes the case id (case_id_for)


@dataclass(frozen=True, kw_only=True)
class RecordConsent(Command):
    action: ClassVar[Action | None] = Action.CHANGE_CONSENT
    case_id: UUID
    given_by: ConsentGiver
    scope: list[Agency]
    given_on: date
    how_obtained: str


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(Command):
    action: ClassVar[Action | None] = Action.CHANGE_CONSENT
    case_id: UUID
    withdrawn_on: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordSafeguardingBasis(Command):
    action: ClassVar[Action | None] = Action.CHANGE_CONSENT
    case_id: UUID
    professional_id: str
    professional_name: str
    reason: str
    recorded_on: date


@dataclass(frozen=True, kw_only=True)
class ErasePersonalData(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str
    today: date


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str
    until: date
    today: date


@dataclass(frozen=True, kw_only=True)
class ReleaseLegalHold(Command):
    action: ClassVar[Action | None] = Action.PRIVACY
    case_id: UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class ResolveChildMatch(Command):
    action: ClassVar[Action | None] = Action.LINK_CHILD
    case_id: UUID
    child_id: UUID
    confirmed: bool
    reason: str


@dataclass(frozen=True, kw_only=True)
class LinkHousehold(Command):
    action: ClassVar[Action | None] = Action.LINK_CHILD
    case_id: UUID
    sibling_case_id: UUID


@handlers(ResolveChildMatch)
def resolve_child_match(app: ReferralApp, c: ResolveChildMatch, work: Work) -> Referral:
    """Confirm or reject a child the index offered, by someone who can read this referral
    and every referral of that child (a referrer whose agency cannot see one of them leaves
    it to a panel member). Confirmed, the referral joins the child's open case, if any."""
    referral = work.get_as(c.case_id, Referral, "referral")
    offer = referral.offers.get(str(c.child_id))
    if offer is None:
        raise ReferralConflict(
            f"child_id: child {c.child_id} was not offered as a match for referral {c.case_id}"
        )
    theirs = [work.get_as(UUID(case), Referral, "referral") for case in offer["case_ids"]]
    unseen = [r for r in theirs if not may_read(r, c.caller)]
    if unseen:
        raise Forbidden(
            f"child_id: {len(unseen)} of child {c.child_id}'s referrals are another "
            "agency's, which you cannot see, so you cannot say whether this is the same "
            "child; a panel member can resolve this match"
        )
    open_cases = [r for r in theirs if r.child_id == str(c.child_id) and r.open_here()]
    joins = max(open_cases, key=lambda r: r.created_on) if open_cases else None
    referral.resolve_match(str(c.child_id), c.confirmed, str(joins.id) if joins else None, c.reason)
    work.add(referral)
    if c.confirmed:  # recorded: the index then finds this referral under the confirmed child
        work.after_commit(lambda: app.index.relink(c.case_id, c.child_id))
    return referral


@handlers(LinkHousehold)
def link_household(app: ReferralApp, c: LinkHousehold, work: Work) -> Referral:
    """Record two referrals' children as siblings, by someone who can read both."""
    referral = work.get_as(c.case_id, Referral, "referral")
    try:
        sibling = work.get_as(c.sibling_case_id, Referral, "referral")
    except NotFound:
        sibling = None
    if sibling is None or not may_read(sibling, c.caller):
        raise NotFound(f"sibling_case_id: no referral {c.sibling_case_id} that you can see")
    households = {h for h in (referral.household_id, sibling.household_id) if h}
    if len(households) > 1:
        raise ReferralConflict(
            "sibling_case_id: the two children are already in different households"
        )
    household = (
        households.pop()
        if households
        else household_id_for(str(referral.child_id), str(sibling.child_id))
    )
    referral.link_household(sibling, household)
    work.add(referral, sibling)
    return referral


@dataclass(frozen=True, kw_only=True)
class WriteNote(Command):
    action: ClassVar[Action | None] = Action.WRITE_NOTE
    case_id: UUID
    text: str
    about_date: date
    supersedes: UUID | None = None
    reason: str | None = None  # why the superseded note was wrong


@handlers(WriteNote)
def write_note(app: ReferralApp, c: WriteNote, work: Work) -> CaseNote:
    """A dated note on a case the author can see (sealed under the case's data key); a
    correction supersedes a note, which stays, marked, with why."""
    referral = work.get_as(c.case_id, Referral, "referral")
    if referral.erased is not None:
        raise ReferralConflict(
            f"case_id: case {c.case_id}'s personal details were erased: notes, which may "
            "hold them, can no longer be written"
        )
    if (c.supersedes is None) != (c.reason is None):
        raise ReferralConflict(
            "reason: a note that supersedes another says why, and only such a note does"
        )
    key = app.keyring.data_key(c.case_id)
    note = CaseNote(
        case_id=c.case_id,
        sealed_text=seal(key, c.case_id, {"text": c.text}),
        about_date=c.about_date.isoformat(),
        supersedes=str(c.supersedes) if c.supersedes else None,
    )
    if c.supersedes is not None:
        try:
            old = work.get_as(c.supersedes, CaseNote, "note")
        except NotFound:
            raise NotFound(f"supersedes: no note {c.supersedes} on case {c.case_id}") from None
        if old.case_id != c.case_id:
            raise NotFound(f"supersedes: no note {c.supersedes} on case {c.case_id}")
        old.supersede(note, c.reason or "")
        work.add(old)
    work.add(note)
    return note


@handlers(ErasePersonalData)
def erase_personal_data(app: ReferralApp, c: ErasePersonalData, work: Work) -> Referral:
    """Records the erasure, then, once that is committed, destroys the case's data key and
    the child's match keys (a key destroyed without its record would be an erasure nobody
    did; a failure after the record leaves the key, and the erasure asked again, with a new
    key, destroys it)."""
    referral = _change(work, c, lambda r: r.erase_personal_data(c.reason, c.today))

    def destroy() -> None:
        app.index.forget(c.case_id)
        app.keyring.destroy(c.case_id)

    work.after_commit(destroy)
    return referral


@handlers(PlaceLegalHold)
def place_legal_hold(app: ReferralApp, c: PlaceLegalHold, work: Work) -> Referral:
    return _change(work, c, lambda r: r.place_legal_hold(c.reason, c.until, c.today))


@handlers(ReleaseLegalHold)
def release_legal_hold(app: ReferralApp, c: ReleaseLegalHold, work: Work) -> Referral:
    return _change(work, c, lambda r: r.release_legal_hold(c.reason))


@handlers(SubmitReferral)
def submit(app: ReferralApp, c: SubmitReferral, work: Work) -> tuple[Referral, bool]:
    """The referral and whether this call created it. Saved here rather than by the unit of
    work: the same key submitted concurrently is answered with the case the other made."""
    authorise_submission(c.caller, c.details)
    case_id = case_id_for(c.caller.agency, c.idempotency_key or str(uuid4()))
    existing = find(work, case_id)
    referral = receive_or_replay(existing, case_id, c.details, "http", app.keyring, app.index)
    if referral is existing:
        return referral, False
    try:
        app.commit_unit([referral])
    except IntegrityError:  # the same key, concurrently: the other call created it
        again = find(Work(app), case_id)
        assert again is not None
        replay = receive_or_replay(again, case_id, c.details, "http", app.keyring, app.index)
        return replay, False
    return referral, True


@handlers(RecordConsent)
def record_consent(app: ReferralApp, c: RecordConsent, work: Work) -> Referral:
    return _change(
        work, c, lambda r: r.record_consent(c.given_by.value, c.scope, c.given_on, c.how_obtained)
    )


@handlers(WithdrawConsent)
def withdraw_consent(app: ReferralApp, c: WithdrawConsent, work: Work) -> Referral:
    return _change(work, c, lambda r: r.withdraw_consent(c.withdrawn_on, c.reason))


@handlers(RecordSafeguardingBasis)
def record_safeguarding_basis(app: ReferralApp, c: RecordSafeguardingBasis, work: Work) -> Referral:
    return _change(
        work,
        c,
        lambda r: r.record_safeguarding_basis(
            c.professional_id, c.professional_name, c.reason, c.recorded_on
        ),
    )


def _change(work: Work, c: Any, command: Callable[[Referral], Any]) -> Referral:
    """`command` on the case (the pipeline has asked the policy for `c.action`)."""
    referral = work.get_as(c.case_id, Referral, "referral")
    command(referral)
    work.add(referral)
    return referral


def find(work: Work, case_id: UUID) -> Referral | None:
    try:
        return work.get_as(case_id, Referral, "referral")
    except NotFound:
        return None
