"""The referral service's use cases, over its encrypted event store.

Authorisation is decided here, once, for both entrypoints (HTTP and the submissions topic):
a referrer acts for its own agency only; panel members may record consent decisions on any
case; personal details are shown only to the referring agency's referrers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError

from contracts.events.referral import ConsentGiver, ReferralDetails
from contracts.reference import Agency, Role
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller, Forbidden
from maag.runtime.group_commit import GroupCommit
from maag.runtime.reads import case_reads
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import NotFound, Work
from services.referral.domain.referral import (
    Referral,
    ReferralConflict,
    case_id_for,
    fingerprint,
)


class CipherKeyMissing(RuntimeError):
    pass


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
    caller: Caller,
    channel: str,
    correlation_id: str,
) -> Referral:
    """A new referral, or the one this key already made (a retry), never a second one."""
    if existing is not None:
        if existing.fingerprint != fingerprint(details):
            raise ReferralConflict(
                "this idempotency key was already used for a different submission "
                f"(case {case_id}); use a new key for a new referral"
            )
        return existing
    return Referral.receive(case_id, details, channel, caller.actor, correlation_id)


class ReferralApp(ServiceApplication):
    name = "referral"

    def __init__(self, settings: Settings, env: dict[str, str] | None = None) -> None:
        if not settings.cipher_key:
            # The store holds children's names and dates of birth: never unencrypted.
            raise CipherKeyMissing(
                "MAAG_CIPHER_KEY is not set: the referral store holds personal data and must "
                "be encrypted at rest (`maag secrets` prints a new key)"
            )
        super().__init__(settings, env)
        self.writer = GroupCommit(self)

    def close(self) -> None:
        self.writer.close()
        super().close()

    # --- commands ---

    def submit(
        self,
        details: ReferralDetails,
        caller: Caller,
        idempotency_key: str | None,
        correlation_id: str,
    ) -> tuple[Referral, bool]:
        """Returns the referral and whether this call created it."""
        authorise_submission(caller, details)
        case_id = case_id_for(caller.agency, idempotency_key or str(uuid4()))
        existing = self._find(case_id)
        referral = receive_or_replay(existing, case_id, details, caller, "http", correlation_id)
        if referral is existing:
            return referral, False
        try:
            self.writer.save(referral)
        except IntegrityError:  # the same key, concurrently: the other call created it
            again = self._find(case_id)
            assert again is not None
            return receive_or_replay(again, case_id, details, caller, "http", correlation_id), False
        return referral, True

    def record_consent(
        self,
        case_id: UUID,
        caller: Caller,
        given_by: ConsentGiver,
        scope: list[Agency],
        given_on: date,
        how_obtained: str,
        correlation_id: str,
    ) -> Referral:
        return self._change(
            case_id,
            caller,
            "record consent",
            lambda r: r.record_consent(
                given_by.value, scope, given_on, how_obtained, caller.actor, correlation_id
            ),
        )

    def withdraw_consent(
        self, case_id: UUID, caller: Caller, withdrawn_on: date, reason: str, correlation_id: str
    ) -> Referral:
        return self._change(
            case_id,
            caller,
            "withdraw consent",
            lambda r: r.withdraw_consent(withdrawn_on, reason, caller.actor, correlation_id),
        )

    def record_safeguarding_basis(
        self,
        case_id: UUID,
        caller: Caller,
        professional_id: str,
        professional_name: str,
        reason: str,
        recorded_on: date,
        correlation_id: str,
    ) -> Referral:
        return self._change(
            case_id,
            caller,
            "record a safeguarding basis",
            lambda r: r.record_safeguarding_basis(
                professional_id,
                professional_name,
                reason,
                recorded_on,
                caller.actor,
                correlation_id,
            ),
        )

    # --- queries ---

    def read(self, case_id: UUID, caller: Caller) -> tuple[Referral, bool]:
        """The referral and whether the caller may see the child's personal details.

        The read itself is recorded on the case, in an aggregate of its own: reads neither
        grow the referral nor conflict with a change to it."""
        caller.require(Role.REFERRER, Role.PANEL_MEMBER, Role.AUDITOR, to="read referrals")
        referral = self._get(case_id)
        if caller.role is Role.REFERRER:
            self._same_agency(referral, caller)
        personal = caller.role is Role.REFERRER
        self.writer.save(*case_reads([case_id], caller, personal_data=personal))
        return referral, personal

    # --- helpers ---

    def _change(
        self, case_id: UUID, caller: Caller, what: str, command: Callable[[Referral], Any]
    ) -> Referral:
        caller.require(Role.REFERRER, Role.PANEL_MEMBER, to=what)
        referral = self._get(case_id)
        if caller.role is Role.REFERRER:
            self._same_agency(referral, caller)
        command(referral)
        try:
            self.writer.save(referral)
        except IntegrityError:
            raise ReferralConflict(
                "the referral changed while this request was handled; read it and retry"
            ) from None
        return referral

    @staticmethod
    def _same_agency(referral: Referral, caller: Caller) -> None:
        if referral.agency != caller.agency:
            raise Forbidden(f"case {referral.id} belongs to another agency")

    def _find(self, case_id: UUID) -> Referral | None:
        try:
            return self._get(case_id)
        except NotFound:
            return None

    def _get(self, case_id: UUID) -> Referral:
        return Work(self).get_as(case_id, Referral, "referral")
