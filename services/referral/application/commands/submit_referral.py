"""Submit a referral (over HTTP; the topic's submissions reach the same rules through
`policies/on_referral_submission.py`): a referrer submits for their own agency only; the
same key again finds the case it made, never a second one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from contracts.events.referral import ReferralDetails
from contracts.reference import Role
from maag.runtime import causation
from maag.runtime.commands import Command
from maag.runtime.store.liveness import STORE_UNAVAILABLE
from maag.runtime.store.unit_of_work import NotFound, Work
from maag.runtime.web.auth import Caller, Forbidden
from services.referral.application.commands import handlers
from services.referral.application.personal import fingerprint, seal
from services.referral.application.ports import ChildIndex, Keyring
from services.referral.domain.child_record import check_consent_giver
from services.referral.domain.matching import match_keys, probe_keys
from services.referral.domain.referral import Referral, case_id_for, new_child_id
from services.referral.domain.values import Channel, ReferralConflict

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp


@dataclass(frozen=True, kw_only=True)
class SubmitReferral(Command):
    details: ReferralDetails
    handles_its_key: ClassVar[bool] = True  # the key makes the case id (case_id_for)


@handlers(SubmitReferral)
def submit_referral(
    app: ReferralApp, c: SubmitReferral, work: Work[ReferralApp]
) -> tuple[Referral, bool]:
    """The referral and whether this call created it. Saved here rather than by the unit of
    work: the same key submitted concurrently is answered with the case the other made."""
    referral, created = _received(app, c, _admitted(c))
    if not created:
        return referral, False
    case_id = referral.id
    try:
        app.commit_unit([referral])
    except IntegrityError:  # the same key, concurrently: the other call created it
        again = find(Work(app), case_id)
        assert again is not None
        replay = receive_or_replay(again, case_id, c.details, Channel.HTTP, app.keyring, app.index)
        return replay, False
    return referral, True


# Runs a function as part of the request a submission came in (its context: its cause, its
# correlation id, its log fields), on the thread that calls it.
Within = Callable[[Callable[[], Any]], Any]
Submitted = tuple[Referral, bool] | Exception


def submit_referrals(
    app: ReferralApp, submissions: Sequence[tuple[SubmitReferral, Within]]
) -> list[Submitted]:
    """Submissions that arrived together (concurrent HTTP requests), each answered as
    `handle(SubmitReferral)` answers it alone (its referral and whether this call created
    it, or what it raised), on one thread: the keys of the new cases made in one
    transaction, the new referrals committed in one. A batch whose commit fails is submitted
    again one by one (each its own answer), as is a submission of a case another of the
    batch makes (the same key twice): it finds that one once committed."""
    found: list[Submitted | None] = [None] * len(submissions)
    case_ids: dict[int, UUID] = {}
    for i, (c, within) in enumerate(submissions):
        try:
            case_ids[i] = within(partial(_admitted, c))
        except Exception as e:
            found[i] = e
    # a key makes a case id that may have a case (and a key, or an erased one): those are
    # made alone, as `handle` makes them; a new random id has neither
    fresh = [
        case_ids[i]
        for i, (c, _) in enumerate(submissions)
        if i in case_ids and c.idempotency_key is None
    ]
    if fresh:
        app.keyring.make_keys(fresh)
    made: dict[UUID, int] = {}
    alone: list[int] = []
    for i, case_id in case_ids.items():
        c, within = submissions[i]
        if case_id in made:
            alone.append(i)  # after the commit, which makes the case it finds
            continue
        try:
            outcome = within(partial(_received, app, c, case_id))
        except Exception as e:
            found[i] = e
            continue
        found[i] = outcome
        if outcome[1]:
            made[case_id] = i
    if made:
        try:
            app.commit_unit(
                [submitted[0] for i in made.values() if isinstance(submitted := found[i], tuple)]
            )
        except STORE_UNAVAILABLE as e:  # each one's answer (stored or not, it cannot tell)
            for i in made.values():
                found[i] = e
        except Exception:  # one's events were refused (its case made meanwhile): none stored
            for i in made.values():
                if submissions[i][0].idempotency_key is None:
                    # made again under a new id: the child indexed under this one, a case
                    # never stored, would be offered to it as a match of itself
                    app.index.forget(case_ids[i])
            alone = [*made.values(), *alone]
    for i in sorted(alone):
        c, within = submissions[i]
        try:
            found[i] = within(partial(app.handle, c))
        except Exception as e:
            found[i] = e
    return [f if f is not None else AssertionError("not submitted") for f in found]


def _admitted(c: SubmitReferral) -> UUID:
    """The submission's case id, once its caller may submit it; for a new case (no key: a
    random id), once its consent is given by whom it may be, as `receive_or_replay` checks
    it before it makes the case's key (here: before the batch's keys are made)."""
    authorise_submission(c.caller, c.details)
    if c.idempotency_key is not None:
        return case_id_for(c.caller.agency, c.idempotency_key)
    if c.details.consent is not None:
        check_consent_giver(c.details.child, c.details.consent)
    return case_id_for(c.caller.agency, str(uuid4()))


def _received(app: ReferralApp, c: SubmitReferral, case_id: UUID) -> tuple[Referral, bool]:
    """The case this submission's key made (False), or its new referral, not yet committed,
    its events the submitter's (as `handle` makes them) for a commit on any thread."""
    with causation.acting(c.caller.record, c.correlation_id):
        # without a key the case id is new (a random one's): no store read can find it
        existing = find(Work(app), case_id) if c.idempotency_key is not None else None
        referral = receive_or_replay(
            existing, case_id, c.details, Channel.HTTP, app.keyring, app.index
        )
        if referral is existing:
            return referral, False
        causation.give(referral.pending_events)
        return referral, True


def authorise_submission(caller: Caller, details: ReferralDetails) -> None:
    """For both entrypoints (HTTP and the submissions topic)."""
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
    channel: Channel,
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
    if details.consent is not None:
        check_consent_giver(details.child, details.consent)
    key = keyring.data_key(case_id)
    sealed = seal(key, case_id, body["child"])
    child_id = new_child_id(case_id)
    offers = index.place(case_id, child_id, match_keys(details.child), probe_keys(details.child))
    return Referral.receive(
        case_id, details, channel, sealed, fingerprint(key, body), child_id, offers
    )


def find(work: Work, case_id: UUID) -> Referral | None:
    try:
        return work.get_as(case_id, Referral, "referral")
    except NotFound:
        return None
