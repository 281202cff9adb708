"""The referral service's application: its encrypted store, its commands
(`commands.py`), the policy for a submission from the topic (`policies.py`), and reading
a referral (each read recorded)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from contracts.reference import Role
from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller
from maag.runtime.commands import Command
from maag.runtime.group_commit import GroupCommit
from maag.runtime.reads import case_reads
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import Work
from services.referral.application.access import READERS, require_reader, sees_personal_data
from services.referral.application.commands import ErasePersonalData, handlers
from services.referral.application.personal import Keyring, PersonalDataErased, unseal
from services.referral.domain.referral import Referral
from services.referral.domain.retention import RetentionOutcome, Rule
from services.referral.domain.triage import Outcome


class CipherKeyMissing(RuntimeError):
    pass


class ReferralApp(ServiceApplication):
    name = "referral"

    def __init__(
        self, settings: Settings, keyring: Keyring, env: dict[str, str] | None = None
    ) -> None:
        if not settings.cipher_key:
            # The store holds children's names and dates of birth: never unencrypted.
            raise CipherKeyMissing(
                "MAAG_CIPHER_KEY is not set: the referral store holds personal data and must "
                "be encrypted at rest (`maag secrets` prints a new key)"
            )
        super().__init__(settings, env)
        self.keyring = keyring
        self.writer = GroupCommit(self)

    def close(self) -> None:
        self.writer.close()
        super().close()

    def commit_unit(self, aggregates: list[Aggregate]) -> None:
        # Many request threads' units, few transactions (see maag.runtime.group_commit).
        self.writer.save(*aggregates)

    def handle(self, command: Command) -> Any:
        done = handlers.handle(self, command)
        if isinstance(command, ErasePersonalData):
            # The erasure is recorded (committed); now the key goes. A failure here leaves
            # the record and the key: the same command again destroys it.
            self.keyring.destroy(command.case_id)
        return done

    # --- queries ---

    def read(self, case_id: UUID, caller: Caller) -> tuple[Referral, bool]:
        """The referral and whether the caller may see the child's personal details.

        The read itself is recorded on the case, in an aggregate of its own: reads neither
        grow the referral nor conflict with a change to it."""
        caller.require(*READERS, to="read referrals")
        referral = Work(self).get_as(case_id, Referral, "referral")
        require_reader(referral, caller)
        personal = sees_personal_data(referral, caller)
        self.writer.save(*case_reads([case_id], caller, personal_data=personal))
        return referral, personal

    def child(self, referral: Referral) -> dict[str, Any] | None:
        """The child's details, or None when they were erased (their key destroyed)."""
        if referral.erased is not None:
            return None
        if referral.sealed_child is None:  # a v1 referral: in its details, under the store key
            found: dict[str, Any] | None = referral.details.get("child")
            return found
        key = self.keyring.find(referral.id)
        if key is None:
            return None
        try:
            return unseal(key, referral.id, referral.sealed_child)
        except PersonalDataErased:
            return None

    # --- data protection ---

    def privacy_state(self, case_id: UUID, caller: Caller) -> Referral:
        """The case as the data protection officer sees it (the read recorded)."""
        caller.require(Role.PRIVACY_OFFICER, to="see a case's data protection record")
        referral = Work(self).get_as(case_id, Referral, "referral")
        self.writer.save(*case_reads([case_id], caller, personal_data=False))
        return referral

    def retention_due(
        self,
        case_ids: Iterable[UUID],
        schedule: Sequence[Rule],
        today: date,
        outcomes: Collection[RetentionOutcome] | None = None,
    ) -> list[Due]:
        """The cases whose details the schedule says may now be erased (those on a legal
        hold among them, marked: they are not erased)."""
        rules = {r.outcome: r for r in schedule if outcomes is None or r.outcome in outcomes}
        found = []
        for case_id in case_ids:
            referral = Work(self).get_as(case_id, Referral, "referral")
            outcome = retention_outcome(referral)
            rule = rules.get(outcome) if outcome is not None else None
            if rule is None or referral.erased is not None:
                continue
            child = self.child(referral)
            born = date.fromisoformat(child["date_of_birth"]) if child else None
            due = rule.due(born, referral.modified_on.date())
            if due is not None and due <= today:
                found.append(Due(case_id, rule, due, referral.hold_in_force(today)))
        return found


@dataclass(frozen=True)
class Due:
    case_id: UUID
    rule: Rule
    due_on: date
    held: bool


def retention_outcome(referral: Referral) -> RetentionOutcome | None:
    """How the case ended, for the retention schedule (None: it is still open)."""
    if referral.closed is not None:
        return RetentionOutcome.CLOSED
    if referral.outcome is Outcome.DECLINED:
        return RetentionOutcome.DECLINED
    if referral.outcome is Outcome.REDIRECTED_TO_SOCIAL_CARE:
        return RetentionOutcome.REDIRECTED_TO_SOCIAL_CARE
    if referral.outcome is Outcome.PENDING_CONSENT:
        return RetentionOutcome.PENDING_CONSENT
    return None
