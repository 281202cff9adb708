"""What the referral's events mean in a case's audit timeline, and what never leaves it."""

from __future__ import annotations

from maag.runtime.spec import AuditSpec, Change
from services.referral.domain.notes import CaseNote
from services.referral.domain.referral import Referral

AUDIT = AuditSpec(
    effects={
        Referral.Received: lambda e: Change(set={"status": "received"}),
        Referral.ConsentRecorded: lambda e: Change(set={"consent": "given"}),
        Referral.ConsentWithdrawn: lambda e: Change(
            set={"consent": "withdrawn", "safeguarding_basis": bool(e.basis_remains)}
        ),
        Referral.SafeguardingBasisRecorded: lambda e: Change(set={"safeguarding_basis": True}),
        Referral.Triaged: lambda e: _triaged(e),
        # Who may read the case: the panel's own events carry the assignment itself.
        Referral.LeadProfessionalNoted: lambda e: Change(),
        Referral.LeadProfessionalEnded: lambda e: Change(),
        # Reads recorded on the referral itself, before reads had aggregates of their own.
        Referral.Viewed: lambda e: Change(count=("reads",)),
        Referral.PersonalDataErased: lambda e: Change(set={"personal_data": "erased"}),
        Referral.LegalHoldPlaced: lambda e: Change(set={"legal_hold": f"until {e.until}"}),
        Referral.LegalHoldReleased: lambda e: Change(set={"legal_hold": "released"}),
        Referral.ClosedAtPanel: lambda e: Change(),  # the panel's own event says so
        Referral.MatchesOffered: lambda e: Change(count=("matches_offered",)),
        Referral.ChildRecordChanged: lambda e: Change(set={"child_record": e.why}),
        Referral.ChildMatchResolved: lambda e: (
            Change(set={"child_id": e.child_id}) if e.confirmed else Change()
        ),
        Referral.HouseholdLinked: lambda e: Change(set={"household_id": e.household_id}),
        Referral.SentToFrontDoor: lambda e: Change(set={"social_care": f"referred ({e.route})"}),
        Referral.FrontDoorAnswered: lambda e: Change(set={"social_care": str(e.answer)}),
        CaseNote.Written: lambda e: Change(count=("notes",)),
        CaseNote.Superseded: lambda e: Change(count=("notes_superseded",)),
    },
    # The child's details, the submission's fingerprint (it could confirm a guessed child)
    # and the notes are withheld by their class; this says what each was.
    withheld_as={
        "details": "[withheld: the child's details stay in the referral service]",
        "sealed_child": "[withheld: sealed under the case's own key]",
        "fingerprint": "[withheld]",
        "sealed_text": "[withheld: a case note, sealed under the case's own key]",
    },
)


def _triaged(e: Referral.Triaged) -> Change:
    changes: dict[str, str | int] = {"status": str(e.outcome)}
    if e.district:
        changes["district"] = str(e.district)
    if (level := getattr(e, "level_of_need", None)) is not None:  # a timeline entry may omit it
        changes["level_of_need"] = int(level)
    return Change(set=changes)
