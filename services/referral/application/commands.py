"""The referral's commands: one type and one handler per use case, in a registry.

Authorisation is decided here, once, for both entrypoints (HTTP and the submissions topic):
a referrer acts for its own agency only; panel members may record consent decisions on any
case; personal details are shown only to the referring agency's referrers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from contracts.events.referral import ConsentGiver, ReferralDetails
from contracts.reference import Agency, Role
from maag.runtime.auth import Caller, Forbidden
from maag.runtime.commands import Command, Handlers
from maag.runtime.unit_of_work import NotFound, Work
from services.referral.application.personal import Keyring, fingerprint, seal
from services.referral.domain.referral import (
    Referral,
    ReferralConflict,
    case_id_for,
)

handlers: Handlers[Any] = Handlers(
    "the referral changed while this request was handled; read it and retry"
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
) -> Referral:
    """A new referral, or the one this key already made (a retry), never a second one.
    The child's details are sealed under the case's own data key."""
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
    return Referral.receive(case_id, details, channel, sealed, fingerprint(key, body))


@dataclass(frozen=True, kw_only=True)
class SubmitReferral(Command):
    details: ReferralDetails
    handles_its_key: ClassVar[bool] = True  # the key makes the case id (case_id_for)


@dataclass(frozen=True, kw_only=True)
class RecordConsent(Command):
    case_id: UUID
    given_by: ConsentGiver
    scope: list[Agency]
    given_on: date
    how_obtained: str


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(Command):
    case_id: UUID
    withdrawn_on: date
    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordSafeguardingBasis(Command):
    case_id: UUID
    professional_id: str
    professional_name: str
    reason: str
    recorded_on: date


@dataclass(frozen=True, kw_only=True)
class ErasePersonalData(Command):
    case_id: UUID
    reason: str
    today: date


@dataclass(frozen=True, kw_only=True)
class PlaceLegalHold(Command):
    case_id: UUID
    reason: str
    until: date
    today: date


@dataclass(frozen=True, kw_only=True)
class ReleaseLegalHold(Command):
    case_id: UUID
    reason: str


@handlers(ErasePersonalData)
def erase_personal_data(app: Any, c: ErasePersonalData, work: Work) -> Referral:
    """Records the erasure; the caller then destroys the case's data key (after the record
    is committed: a key destroyed without its record would be an erasure nobody did)."""
    return _as_privacy_officer(
        work,
        c,
        "erase a child's personal details",
        lambda r: r.erase_personal_data(c.reason, c.today),
    )


@handlers(PlaceLegalHold)
def place_legal_hold(app: Any, c: PlaceLegalHold, work: Work) -> Referral:
    return _as_privacy_officer(
        work, c, "place a legal hold", lambda r: r.place_legal_hold(c.reason, c.until, c.today)
    )


@handlers(ReleaseLegalHold)
def release_legal_hold(app: Any, c: ReleaseLegalHold, work: Work) -> Referral:
    return _as_privacy_officer(
        work, c, "release a legal hold", lambda r: r.release_legal_hold(c.reason)
    )


def _as_privacy_officer(
    work: Work, c: Any, what: str, command: Callable[[Referral], Any]
) -> Referral:
    # the county's data protection officer acts on any agency's case
    officer = (Role.PRIVACY_OFFICER,)
    return _change(work, c, what, command, allowed=officer, any_agency=officer)


@handlers(SubmitReferral)
def submit(app: Any, c: SubmitReferral, work: Work) -> tuple[Referral, bool]:
    """The referral and whether this call created it. Saved here rather than by the unit of
    work: the same key submitted concurrently is answered with the case the other made."""
    authorise_submission(c.caller, c.details)
    case_id = case_id_for(c.caller.agency, c.idempotency_key or str(uuid4()))
    existing = find(work, case_id)
    referral = receive_or_replay(existing, case_id, c.details, "http", app.keyring)
    if referral is existing:
        return referral, False
    try:
        app.commit_unit([referral])
    except IntegrityError:  # the same key, concurrently: the other call created it
        again = find(Work(app), case_id)
        assert again is not None
        replay = receive_or_replay(again, case_id, c.details, "http", app.keyring)
        return replay, False
    return referral, True


@handlers(RecordConsent)
def record_consent(app: Any, c: RecordConsent, work: Work) -> Referral:
    return _change(
        work,
        c,
        "record consent",
        lambda r: r.record_consent(c.given_by.value, c.scope, c.given_on, c.how_obtained),
    )


@handlers(WithdrawConsent)
def withdraw_consent(app: Any, c: WithdrawConsent, work: Work) -> Referral:
    return _change(
        work,
        c,
        "withdraw consent",
        lambda r: r.withdraw_consent(c.withdrawn_on, c.reason),
    )


@handlers(RecordSafeguardingBasis)
def record_safeguarding_basis(app: Any, c: RecordSafeguardingBasis, work: Work) -> Referral:
    return _change(
        work,
        c,
        "record a safeguarding basis",
        lambda r: r.record_safeguarding_basis(
            c.professional_id, c.professional_name, c.reason, c.recorded_on
        ),
    )


def _change(
    work: Work,
    c: Any,
    what: str,
    command: Callable[[Referral], Any],
    allowed: tuple[Role, ...] = (Role.REFERRER, Role.PANEL_CHAIR, Role.PANEL_MEMBER),
    any_agency: tuple[Role, ...] = (Role.PANEL_CHAIR, Role.PANEL_MEMBER),
) -> Referral:
    """`command` on the case, by a caller of an `allowed` role: of the referring agency,
    unless their role is one that acts on `any_agency`'s case."""
    c.caller.require(*allowed, to=what)
    referral = work.get_as(c.case_id, Referral, "referral")
    if not c.caller.has(*any_agency):
        same_agency(referral, c.caller)
    command(referral)
    work.add(referral)
    return referral


def same_agency(referral: Referral, caller: Caller) -> None:
    # Not Forbidden: to another agency's referrer, another agency's case does not exist
    # (a 403 would tell them that it does).
    if referral.agency != caller.agency:
        raise NotFound(f"no referral {referral.id}")


def find(work: Work, case_id: UUID) -> Referral | None:
    try:
        return work.get_as(case_id, Referral, "referral")
    except NotFound:
        return None
