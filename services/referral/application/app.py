"""The referral service's application: its encrypted store, the ports it works through
(keyring, child index, documents' content, list of cases), and the child's details opened
with the case's own key. What it can do is the files of `commands/`, `policies/` and
`queries/`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from contracts.events.referral import ChildDetails
from maag.runtime.commands import Command
from maag.runtime.settings import Settings
from maag.runtime.spec import AuditSpec
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from services.referral.application.commands import handlers
from services.referral.application.personal import PersonalDataErased, unseal
from services.referral.application.ports import CaseList, ChildIndex, DocumentContents, Keyring
from services.referral.domain.child_record import stored_child
from services.referral.domain.referral import Referral
from services.referral.domain.retention import DEFAULT_SCHEDULE, Rule


class CipherKeyMissing(RuntimeError):
    pass


class ReferralApp(ServiceApplication):
    name = "referral"

    def __init__(
        self,
        settings: Settings,
        keyring: Keyring,
        index: ChildIndex,
        cases: CaseList,
        *,
        documents: DocumentContents,
        audit: AuditSpec,
        schedule: Sequence[Rule] = DEFAULT_SCHEDULE,
        env: dict[str, str] | None = None,
    ) -> None:
        if not settings.cipher_key_for(self.name):
            # The store holds children's names and dates of birth: never unencrypted.
            raise CipherKeyMissing(
                "MAAG_CIPHER_KEY is not set: the referral store holds personal data and must "
                "be encrypted at rest (`maag secrets` prints a new key)"
            )
        super().__init__(settings, env)
        self.keyring = keyring
        self.keep_keys(keyring)  # what its events hold about the child, under each case's key
        self.index = index
        self.cases = cases
        self.documents = documents  # their content, sealed, beside the store
        # what its events show an auditor, and what they withhold (the child's details): a
        # case's chronology shows them so too
        self.audit = audit
        self.schedule = tuple(schedule)  # the retention schedule in force (MAAG_RETENTION)
        # where the other services' audit parts are, for a subject access export
        self.service_urls = dict(settings.service_urls)

    def handle(self, command: Command, work: Work[ReferralApp] | None = None) -> Any:
        return handlers.handle(self, command, work)

    def child(self, referral: Referral) -> ChildDetails | None:
        """The child's details, or None when they were erased (their key destroyed)."""
        if referral.erased is not None:
            return None
        found: Mapping[str, object] | None
        if referral.sealed_child is None:  # a v1 referral: in its details, under the store key
            found = referral.clear_child
        else:
            key = self.keyring.find(referral.id)
            if key is None:
                return None
            try:
                found = unseal(key, referral.id, referral.sealed_child)
            except PersonalDataErased:
                return None
        return stored_child(dict(found)) if found else None
