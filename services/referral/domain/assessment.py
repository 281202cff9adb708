"""The Early Help Assessment of a case (the successor of the CAF), on the Assessment
Framework's triangle: the child's developmental needs, the parenting capacity of those who
care for them, and their family and environment; for each heading the strengths found and
the needs, with the child's voice, the parents' or carers' view, and a summary of the
analysis.

One per case (its id made from the case's). Never edited: each change is a new version, and
every version stays readable. A version is a draft until a manager (another person than its
assessor) authorises it; an authorised version is fixed, so a change after it is a new draft
that needs authorising again. An authorised assessment is reviewed (dated, with a note, as
often as needed) until it is closed, with a reason; nothing is recorded after that.

What the versions, reviews and closure say is about the child and family: the application
seals it under the case's own data key (as it seals a note) before it reaches the aggregate,
which keeps it sealed, so an erasure takes it. The aggregate knows who did what, when, and
where the assessment stands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.classification import OPERATIONAL, SPECIAL, THIRD_PARTY
from contracts.limits import TEXT_CHARS
from services.referral.domain.values import ReferralConflict

ASSESSMENT_NAMESPACE = UUID("3e7a9c21-5b8d-4f60-a1c4-7d2e9f0b6a58")

# One heading's strengths or needs: 20 headings x 2 x 1,000 + 3 x 2,000 characters in all
# (`MOST_CHARS`; its request body has an allowance of its own, for any script and escaping).
HEADING_CHARS = TEXT_CHARS // 2
VIEW_CHARS = TEXT_CHARS  # the child's voice, the parents' view, the analysis's summary


class ChildDevelopment(StrEnum):
    """The child's developmental needs."""

    HEALTH = "health"
    EDUCATION = "education"
    EMOTIONAL_AND_BEHAVIOURAL_DEVELOPMENT = "emotional-and-behavioural-development"
    IDENTITY = "identity"
    FAMILY_AND_SOCIAL_RELATIONSHIPS = "family-and-social-relationships"
    SOCIAL_PRESENTATION = "social-presentation"
    SELF_CARE_SKILLS = "self-care-skills"


class ParentingCapacity(StrEnum):
    BASIC_CARE = "basic-care"
    ENSURING_SAFETY = "ensuring-safety"
    EMOTIONAL_WARMTH = "emotional-warmth"
    STIMULATION = "stimulation"
    GUIDANCE_AND_BOUNDARIES = "guidance-and-boundaries"
    STABILITY = "stability"


class FamilyEnvironment(StrEnum):
    """Family and environmental factors."""

    FAMILY_HISTORY_AND_FUNCTIONING = "family-history-and-functioning"
    WIDER_FAMILY = "wider-family"
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    INCOME = "income"
    FAMILY_SOCIAL_INTEGRATION = "family-social-integration"
    COMMUNITY_RESOURCES = "community-resources"


class Domain(StrEnum):
    """The triangle's three sides; each value is also the field that holds its headings."""

    CHILD_DEVELOPMENT = "child_development"
    PARENTING_CAPACITY = "parenting_capacity"
    FAMILY_AND_ENVIRONMENT = "family_and_environment"


Heading = ChildDevelopment | ParentingCapacity | FamilyEnvironment
HEADINGS: dict[Domain, type[ChildDevelopment] | type[ParentingCapacity] | type[FamilyEnvironment]]
HEADINGS = {
    Domain.CHILD_DEVELOPMENT: ChildDevelopment,
    Domain.PARENTING_CAPACITY: ParentingCapacity,
    Domain.FAMILY_AND_ENVIRONMENT: FamilyEnvironment,
}
VIEWS = ("child_voice", "parents_view", "analysis")
# The most characters one version holds: every heading's strengths and needs, and the views.
MOST_CHARS = sum(len(h) for h in HEADINGS.values()) * 2 * HEADING_CHARS + len(VIEWS) * VIEW_CHARS


class Status(StrEnum):
    DRAFT = "draft"
    AUTHORISED = "authorised"
    REVIEWED = "reviewed"
    CLOSED = "closed"


class AssessmentConflict(ReferralConflict):
    """The change does not fit where the assessment stands (HTTP 409, naming the field and
    the rule)."""


class UnknownHeading(ValueError):
    """A heading the Assessment Framework does not have (names the field)."""


# --- what an assessment says (sealed before it is stored) --------------------------------


@dataclass(frozen=True)
class Finding:
    """What the assessor found under one heading."""

    strengths: str | None = None
    needs: str | None = None

    @property
    def empty(self) -> bool:
        return not self.strengths and not self.needs


@dataclass(frozen=True)
class Content:
    """One version's assessment: the headings written (an empty one is left out), and the
    child's voice, the parents' or carers' view and the summary of the analysis."""

    findings: dict[Domain, dict[str, Finding]] = field(default_factory=dict)
    child_voice: str | None = None
    parents_view: str | None = None
    analysis: str | None = None

    @classmethod
    def of(cls, plain: Mapping[str, Any]) -> Content:
        """From its plain form (`plain()`, or a body's), each heading checked: an unknown one
        (or domain) is refused naming it."""
        unknown = sorted(set(plain) - {d.value for d in Domain} - set(VIEWS))
        if unknown:
            raise UnknownHeading(
                f"{unknown[0]}: not a part of the assessment (the parts are "
                f"{', '.join([*(d.value for d in Domain), *VIEWS])})"
            )
        findings: dict[Domain, dict[str, Finding]] = {}
        for domain, headings in HEADINGS.items():
            written = plain.get(domain.value) or {}
            known = {h.value for h in headings}
            for name, found in written.items():
                if name not in known:
                    raise UnknownHeading(
                        f"{domain.value}.{name}: not a heading of {_words(domain)} (its "
                        f"headings are {', '.join(h.value for h in headings)})"
                    )
                finding = Finding(found.get("strengths") or None, found.get("needs") or None)
                if not finding.empty:
                    findings.setdefault(domain, {})[str(headings(name).value)] = finding
        return cls(
            findings,
            *(str(plain[v]) if plain.get(v) else None for v in VIEWS),
        )

    def plain(self) -> dict[str, Any]:
        """What is sealed: JSON's types only."""
        found: dict[str, Any] = {
            domain.value: {
                name: {"strengths": f.strengths, "needs": f.needs}
                for name, f in self.findings.get(domain, {}).items()
            }
            for domain in Domain
        }
        found.update(
            child_voice=self.child_voice, parents_view=self.parents_view, analysis=self.analysis
        )
        return found

    def needs_recorded(self) -> dict[Domain, dict[str, bool]]:
        """For each heading of each domain, whether needs were recorded there (never what)."""
        return {
            domain: {
                h.value: bool((f := self.findings.get(domain, {}).get(h.value)) and f.needs)
                for h in headings
            }
            for domain, headings in HEADINGS.items()
        }


def _words(domain: Domain) -> str:
    return domain.value.replace("_", " ")


# --- who did what, when -------------------------------------------------------------------


@dataclass(frozen=True)
class Professional:
    """Who acted, as their token names them."""

    professional_id: str
    agency: str


@dataclass(frozen=True)
class Authorisation:
    by: Professional
    on: date


@dataclass(frozen=True)
class Review:
    version: int  # the version reviewed
    on: date
    sealed_note: str | None  # None: erased with the case's details
    by: Professional


@dataclass(frozen=True)
class Closure:
    on: date
    sealed_reason: str | None  # None: erased
    by: Professional


@dataclass
class Version:
    number: int
    sealed_content: str | None  # None: erased
    assessed_on: date
    assessor: Professional
    recorded_at: datetime
    authorised: Authorisation | None = None

    @property
    def status(self) -> Status:
        return Status.AUTHORISED if self.authorised else Status.DRAFT


def assessment_id_for(case_id: UUID) -> UUID:
    return uuid5(ASSESSMENT_NAMESPACE, str(case_id))


class Assessment(Aggregate):
    class Started(Aggregate.Created):
        case_id: Annotated[UUID, OPERATIONAL]

    class VersionRecorded(Aggregate.Event):
        number: Annotated[int, OPERATIONAL]
        sealed_content: Annotated[str | None, SPECIAL]
        assessed_on: Annotated[str, OPERATIONAL]
        assessor_id: Annotated[str, THIRD_PARTY]
        assessor_agency: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.versions.append(
                Version(
                    self.number,
                    self.sealed_content,
                    date.fromisoformat(self.assessed_on),
                    Professional(self.assessor_id, self.assessor_agency),
                    self.timestamp,
                )
            )

    class Authorised(Aggregate.Event):
        number: Annotated[int, OPERATIONAL]
        authoriser_id: Annotated[str, THIRD_PARTY]
        authoriser_agency: Annotated[str, OPERATIONAL]
        authorised_on: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.versions[self.number - 1].authorised = Authorisation(
                Professional(self.authoriser_id, self.authoriser_agency),
                date.fromisoformat(self.authorised_on),
            )

    class Reviewed(Aggregate.Event):
        number: Annotated[int, OPERATIONAL]
        reviewed_on: Annotated[str, OPERATIONAL]
        sealed_note: Annotated[str | None, SPECIAL]
        reviewer_id: Annotated[str, THIRD_PARTY]
        reviewer_agency: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.reviews.append(
                Review(
                    self.number,
                    date.fromisoformat(self.reviewed_on),
                    self.sealed_note,
                    Professional(self.reviewer_id, self.reviewer_agency),
                )
            )

    class Closed(Aggregate.Event):
        closed_on: Annotated[str, OPERATIONAL]
        sealed_reason: Annotated[str | None, SPECIAL]
        closer_id: Annotated[str, THIRD_PARTY]
        closer_agency: Annotated[str, OPERATIONAL]

        def apply(self, aggregate: Assessment) -> None:
            aggregate.closure = Closure(
                date.fromisoformat(self.closed_on),
                self.sealed_reason,
                Professional(self.closer_id, self.closer_agency),
            )

    @event(Started)
    def __init__(self, case_id: UUID) -> None:
        self.case_id = case_id
        self.versions: list[Version] = []
        self.reviews: list[Review] = []
        self.closure: Closure | None = None

    @staticmethod
    def create_id(case_id: UUID, **_: object) -> UUID:
        return assessment_id_for(case_id)

    # --- reading ---

    @property
    def current(self) -> Version:
        """The version as the assessment stands (every one before it stays)."""
        return self.versions[-1]

    @property
    def status(self) -> Status:
        if self.closure is not None:
            return Status.CLOSED
        if self.current.authorised is None:
            return Status.DRAFT
        return Status.REVIEWED if self.reviews_of(self.current.number) else Status.AUTHORISED

    def reviews_of(self, number: int) -> list[Review]:
        return [r for r in self.reviews if r.version == number]

    @property
    def last_review(self) -> Review | None:
        return self.reviews[-1] if self.reviews else None

    # --- commands ---

    def record(self, sealed_content: str, assessed_on: date, assessor: Professional) -> None:
        """A new version: the first, or a change (a draft's, or after authorisation: a new
        draft to authorise again)."""
        self._open("assessment")
        self.trigger_event(
            self.VersionRecorded,
            number=len(self.versions) + 1,
            sealed_content=sealed_content,
            assessed_on=assessed_on.isoformat(),
            assessor_id=assessor.professional_id,
            assessor_agency=assessor.agency,
        )

    def authorise(self, by: Professional, on: date) -> None:
        self._open("authorisation")
        version = self.current
        if version.authorised is not None:
            raise AssessmentConflict(
                f"authorisation: version {version.number} was authorised already on "
                f"{version.authorised.on.isoformat()}; a change is a new version to authorise"
            )
        if by.professional_id == version.assessor.professional_id:
            raise AssessmentConflict(
                "authorisation: the assessor may not authorise their own assessment; a "
                "manager, another person, authorises it"
            )
        if on < version.assessed_on:
            raise AssessmentConflict(
                f"authorisation: version {version.number} is of an assessment on "
                f"{version.assessed_on.isoformat()}, after today"
            )
        self.trigger_event(
            self.Authorised,
            number=version.number,
            authoriser_id=by.professional_id,
            authoriser_agency=by.agency,
            authorised_on=on.isoformat(),
        )

    def review(self, on: date, sealed_note: str, by: Professional) -> None:
        self._open("review")
        version = self.current
        if version.authorised is None:
            raise AssessmentConflict(
                f"review: version {version.number} is a draft; only an authorised "
                "assessment is reviewed (authorise it first)"
            )
        if on < version.authorised.on:
            raise AssessmentConflict(
                f"reviewed_on: before version {version.number} was authorised "
                f"({version.authorised.on.isoformat()})"
            )
        self.trigger_event(
            self.Reviewed,
            number=version.number,
            reviewed_on=on.isoformat(),
            sealed_note=sealed_note,
            reviewer_id=by.professional_id,
            reviewer_agency=by.agency,
        )

    def close(self, on: date, sealed_reason: str, by: Professional) -> None:
        self._open("closure")
        self.trigger_event(
            self.Closed,
            closed_on=on.isoformat(),
            sealed_reason=sealed_reason,
            closer_id=by.professional_id,
            closer_agency=by.agency,
        )

    def _open(self, what: str) -> None:
        if self.closure is not None:
            raise AssessmentConflict(
                f"{what}: the assessment was closed on {self.closure.on.isoformat()}; "
                "nothing more is recorded on it"
            )
