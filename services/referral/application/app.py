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

from maag.runtime import policy
from maag.runtime.commands import Command
from maag.runtime.evidence.reads import case_reads
from maag.runtime.evidence.timeline import describe
from maag.runtime.policy import Action
from maag.runtime.queries import read_case
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.group_commit import GroupCommit
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.access import load, may_read, scope_of, sees_personal_data
from services.referral.application.commands import handlers
from services.referral.application.personal import (
    ChildIndex,
    Keyring,
    PersonalDataErased,
    unseal,
)
from services.referral.audit import AUDIT
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral
from services.referral.domain.retention import RetentionOutcome, Rule
from services.referral.domain.triage import Outcome

OTHER_CASE_WITHHELD = "[withheld: a case you cannot see]"


class CipherKeyMissing(RuntimeError):
    pass


class ReferralApp(ServiceApplication):
    name = "referral"

    def __init__(
        self,
        settings: Settings,
        keyring: Keyring,
        index: ChildIndex,
        env: dict[str, str] | None = None,
    ) -> None:
        if not settings.cipher_key:
            # The store holds children's names and dates of birth: never unencrypted.
            raise CipherKeyMissing(
                "MAAG_CIPHER_KEY is not set: the referral store holds personal data and must "
                "be encrypted at rest (`maag secrets` prints a new key)"
            )
        super().__init__(settings, env)
        self.keyring = keyring
        self.index = index
        self.writer = GroupCommit(self)

    def close(self) -> None:
        self.writer.close()
        super().close()

    def commit_unit(self, aggregates: list[Aggregate]) -> None:
        # Many request threads' units, few transactions (see maag.runtime.store.group_commit).
        self.writer.save(*aggregates)

    def handle(self, command: Command) -> Any:
        return handlers.handle(self, command)

    # --- queries ---

    def read(
        self, case_id: UUID, caller: Caller, action: Action = Action.READ_OUTCOME
    ) -> tuple[Referral, bool]:
        """The referral and whether the caller may see the child's personal details.

        The read itself is recorded on the case, in an aggregate of its own: reads neither
        grow the referral nor conflict with a change to it."""
        referral = read_case(
            self,
            caller,
            action,
            case_id,
            load,
            scope_of,
            lambda r: sees_personal_data(r, caller),
        )
        return referral, sees_personal_data(referral, caller)

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

    # --- notes and chronology ---

    def notes(self, case_id: UUID, note_ids: list[UUID], caller: Caller) -> list[dict[str, Any]]:
        """The case's notes, every version, oldest first (the read recorded: notes may name
        people)."""
        self._note_reader(case_id, caller)
        return self.note_texts(note_ids)

    def note_texts(self, note_ids: list[UUID]) -> list[dict[str, Any]]:
        """The notes, every version (the caller has been authorised)."""
        return [
            self._note(e)
            for events in self.histories(note_ids).values()
            for e in events
            if isinstance(e, CaseNote.Written)
        ]

    def chronology(
        self, case_id: UUID, note_ids: list[UUID], caller: Caller
    ) -> list[dict[str, Any]]:
        """The case's events here and its notes, in the order they happened (reads left
        out; the child's details withheld as in the audit)."""
        self._note_reader(case_id, caller)
        superseded: dict[str, dict[str, str]] = {}
        found: list[dict[str, Any]] = []
        for aggregate, events in self.histories([case_id, *note_ids]).items():
            for e in events:
                if isinstance(e, CaseNote.Superseded):
                    superseded[str(aggregate)] = {"by": e.by_note_id, "reason": e.reason}
                elif isinstance(e, CaseNote.Written):
                    found.append({"kind": "note", **self._note(e)})
                elif not isinstance(e, Referral.Viewed):
                    entry = describe(self.name, case_id, e, AUDIT)
                    found.append(
                        {
                            "kind": "event",
                            "at": entry.at.isoformat(),
                            "event": entry.event,
                            "actor": entry.actor,
                            "details": self._others_withheld(entry.details, caller),
                        }
                    )
        for item in found:
            if item["kind"] == "note":
                item["superseded"] = superseded.get(item["note_id"])
        return sorted(found, key=lambda item: item["at"])

    def _others_withheld(self, details: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """Another case named in an event (a sibling's, the case a referral joined, the
        referrals of a child offered as a match) is shown only to someone who may read it."""
        work = Work(self)

        def readable(case_id: Any) -> bool:
            found = work.find(UUID(str(case_id)))
            return isinstance(found, Referral) and may_read(found, caller)

        shown = dict(details)
        for name in ("sibling_case_id", "joins_case_id"):
            if shown.get(name) and not readable(shown[name]):
                shown[name] = OTHER_CASE_WITHHELD
        if isinstance(shown.get("offers"), list):
            shown["offers"] = [
                o for o in shown["offers"] if all(readable(c) for c in o.get("case_ids", []))
            ]
        return shown

    def _note_reader(self, case_id: UUID, caller: Caller) -> Referral:
        """Notes follow the child's details: they may name the family (the policy's
        READ_CHILD)."""
        return read_case(self, caller, Action.READ_CHILD, case_id, load, scope_of, lambda _: True)

    def _note(self, e: Any) -> dict[str, Any]:
        key = self.keyring.find(e.case_id)
        try:
            text = unseal(key, e.case_id, e.sealed_text)["text"] if key else None
        except PersonalDataErased:
            text = None
        actor = vars(e).get("actor")
        return {
            "note_id": str(e.originator_id),
            "at": e.timestamp.isoformat(),
            "about_date": e.about_date,
            "author": dict(actor) if isinstance(actor, dict) else None,
            "text": text,  # None: erased with the case's details
            "supersedes": e.supersedes,
        }

    # --- the child index ---

    def matches(self, case_id: UUID, caller: Caller) -> list[dict[str, Any]]:
        """The children offered as matches for the referral (the read recorded): for each,
        the referrals of theirs the caller can see, and how many more there are."""
        referral, _ = self.read(case_id, caller, Action.READ_CASE)
        return [
            {
                "child_id": child_id,
                "status": offer["status"],
                "keys_matched": offer["keys"],
                "referrals": [str(r.id) for r in theirs],
                "referrals_you_cannot_see": 0,
            }
            for child_id, offer, theirs in self.visible_offers(referral, caller)
        ]

    def visible_offers(
        self, referral: Referral, caller: Caller
    ) -> list[tuple[str, dict[str, Any], list[Referral]]]:
        """The offers made for this referral that the caller may know of: those whose every
        referral they may read. Another agency's child is never confirmed, or even hinted
        at, to someone who cannot read that agency's referral (a probe learns nothing); a
        panel member resolves such a match."""
        work = Work(self)
        found = []
        for child_id, offer in referral.offers.items():
            theirs = [work.get_as(UUID(c), Referral, "referral") for c in offer["case_ids"]]
            if all(may_read(r, caller) for r in theirs):
                found.append((child_id, offer, theirs))
        return found

    def child_record(self, rows: list[dict[str, Any]], caller: Caller) -> list[Referral]:
        """Of the referrals in `rows` (a child's, a household's), those the caller may read,
        each read recorded."""
        policy.require_role(caller, Action.READ_CASE)
        work = Work(self)
        visible = [
            r
            for row in rows
            if may_read(r := work.get_as(UUID(row["case_id"]), Referral, "referral"), caller)
        ]
        if visible:
            self.writer.save(*case_reads([r.id for r in visible], caller, personal_data=False))
        return visible

    # --- data protection ---

    def privacy_state(self, case_id: UUID, caller: Caller) -> Referral:
        """The case as the data protection officer sees it (the read recorded)."""
        return read_case(self, caller, Action.PRIVACY, case_id, load, scope_of)

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
