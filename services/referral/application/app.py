"""The referral service's application: its encrypted store, its commands
(`commands.py`), the policy for a submission from the topic (`policies.py`), and reading
a referral (each read recorded)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from maag.runtime.application import ServiceApplication
from maag.runtime.auth import Caller
from maag.runtime.commands import Command
from maag.runtime.group_commit import GroupCommit
from maag.runtime.reads import case_reads
from maag.runtime.settings import Settings
from maag.runtime.unit_of_work import Work
from services.referral.application.access import READERS, require_reader, sees_personal_data
from services.referral.application.commands import handlers
from services.referral.domain.referral import Referral


class CipherKeyMissing(RuntimeError):
    pass


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

    def commit_unit(self, aggregates: list[Aggregate]) -> None:
        # Many request threads' units, few transactions (see maag.runtime.group_commit).
        self.writer.save(*aggregates)

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)

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
