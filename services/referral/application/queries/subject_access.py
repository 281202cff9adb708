"""Subject access (UK GDPR Article 15): everything held about a child across the services,
with other people's personal data taken out (Article 15(4): not at the expense of others').
For the data protection officer; the export is recorded on the case, and every service
records its own part's read.

Held about the child: their details (unless erased), the referral's decisions and consent,
what professionals wrote about them (the case notes, gone with the details once erased),
and every service's timeline of the case (decisions, packages, emails, and who read the
case, as role and agency). Taken out: every value its event declares third-party
(`contracts.classification`): the names, ids and email addresses of the professionals who
acted, were named, were written to, attended or own an action."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import BaseModel, JsonValue
from pydantic_core import to_jsonable_python

from contracts.classification import DataClass, classes_of
from contracts.events.base import Actor
from contracts.events.referral import ChildDetails, ReferralDetails
from contracts.reference import Role
from maag.runtime.evidence.reads import case_reads
from maag.runtime.evidence.timeline import ReplayRefused, parts_over_http, replay
from maag.runtime.spec import stored_classes
from maag.runtime.web.auth import Caller
from services.referral.application.queries.case_documents import document_views
from services.referral.application.queries.case_notes import note_versions
from services.referral.application.queries.privacy_record import privacy_state
from services.referral.application.queries.read_assessment import assessment_view
from services.referral.domain.referral import Referral
from services.referral.domain.values import Erasure

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp

REDACTED = "[withheld: another person's details]"
ACTOR_KEPT = ("role", "agency")


class PartUnavailable(Exception):
    """Another service's part of the case could not be had (HTTP 502): nothing is exported."""


class TimelineEntry(BaseModel):
    """One thing that happened, in any service: who acted by role and agency only."""

    at: str
    service: str
    event: str
    by: dict[str, str] | None
    basis: str | None
    details: JsonValue


class SubjectAccess(BaseModel):
    case_id: UUID
    made_at: str
    child: ChildDetails | None
    personal_data_erased: Erasure | None
    referral: JsonValue
    timeline: list[TimelineEntry]
    withheld: str = (
        "Other people's names, ids and email addresses are withheld; "
        "who acted is shown by role and agency."
    )


def subject_access(app: ReferralApp, case_id: UUID, caller: Caller, token: str) -> SubjectAccess:
    """The bundle, each service's part read with the caller's own `token` (each service
    checks and records it)."""
    caller.require(Role.PRIVACY_OFFICER, to="export what is held about a child")
    referral = privacy_state(app, case_id, caller)
    try:
        timeline = replay(case_id, parts_over_http(app.service_urls, token)).to_json()
    except ReplayRefused as e:
        raise PartUnavailable(f"a service's part is unavailable: {e}") from e
    child = app.child(referral)
    app.commit_unit(list(case_reads([case_id], caller, personal_data=child is not None)))
    return SubjectAccess(
        case_id=case_id,
        made_at=datetime.now(UTC).isoformat(),
        child=child,
        personal_data_erased=referral.erased,
        referral=_referral_part(app, referral),
        timeline=[_entry(e) for e in timeline["entries"]],
    )


def _referral_part(app: ReferralApp, referral: Referral) -> JsonValue:
    """The referral's decisions and consent, and what professionals wrote about the child
    (the notes, gone with the details once erased); other people's details as the events
    that recorded them class them."""
    notes = [
        {
            **v.note.model_dump(mode="json"),
            "at": v.note.at.isoformat(),
            "author": _redact(v.note.author, _AUTHOR),
        }
        for v in note_versions(app, app.cases.notes_of(referral.id))
    ]
    part = {
        "status": referral.status,
        "reason": referral.outcome_reason,
        "details": _redact(to_jsonable_python(referral.details), _SUBMITTED),
        "consent": referral.consent,
        "safeguarding_basis": _redact(
            to_jsonable_python(referral.safeguarding_basis), _SAFEGUARDING_BASIS
        ),
        "lead_professional": _redact(to_jsonable_python(referral.lead), _LEAD),
        "notes": notes,
        "documents": _documents(app, referral),
        "early_help_assessment": _assessment(app, referral),
    }
    found: JsonValue = to_jsonable_python(part)
    return found


def _assessment(app: ReferralApp, referral: Referral) -> JsonValue:
    """The Early Help Assessment, every version, its reviews and closure (what they say gone
    once erased); who assessed, authorised, reviewed or closed it by agency only: their ids
    are third-party in the events that hold them."""
    found = assessment_view(app, referral.id)
    return _professionals_withheld(found.model_dump(mode="json")) if found else None


def _professionals_withheld(value: JsonValue) -> JsonValue:
    if isinstance(value, dict):
        return {
            k: REDACTED if k == "professional_id" else _professionals_withheld(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_professionals_withheld(v) for v in value]
    return value


def _documents(app: ReferralApp, referral: Referral) -> JsonValue:
    """What each document on the case is (its name and description gone once erased; its
    content is the case's to give, downloaded on its own): who added and opened it by role
    and agency only."""
    found = []
    for d in document_views(app, referral.id):
        shown = d.model_dump(mode="json")
        shown["uploaded_by"] = _redact(shown["uploaded_by"], _AUTHOR)
        shown["opened"] = [{**a, "by": _redact(a["by"], _AUTHOR)} for a in shown["opened"]]
        found.append(shown)
    listed: JsonValue = to_jsonable_python(found)
    return listed


# Where the referral part's people come from: the submission, and the events that recorded
# them.
_SUBMITTED = {k: str(v) for k, v in classes_of(ReferralDetails).items()}
_AUTHOR = {k: str(v) for k, v in classes_of(Actor).items()}  # who wrote a note
_SAFEGUARDING_BASIS = {
    k: str(v) for k, v in stored_classes(Referral.SafeguardingBasisRecorded).items()
}
_LEAD = {k: str(v) for k, v in stored_classes(Referral.LeadProfessionalNoted).items()}


def _entry(entry: Mapping[str, Any]) -> TimelineEntry:
    actor = entry.get("actor") or {}
    return TimelineEntry(
        at=entry["at"],
        service=entry["service"],
        event=entry["event"],
        by={k: actor[k] for k in ACTOR_KEPT if k in actor} or None,
        basis=entry.get("basis"),
        details=_redact(entry.get("details") or {}, entry.get("classes") or {}),
    )


def _redact(value: Any, classes: Mapping[str, str]) -> Any:
    """`value` (a mapping of attributes) with each one declared third-party withheld, the
    whole of it (a list of attendees, a member's name): who else was involved is not the
    child's to have."""
    if not isinstance(value, Mapping):
        return value
    return {
        k: REDACTED if classes.get(k) == DataClass.THIRD_PARTY and v not in (None, "") else v
        for k, v in value.items()
    }


def as_html(found: SubjectAccess) -> str:
    """The same bundle as a readable page (every value escaped)."""

    def cell(value: object) -> str:
        if isinstance(value, dict | list):
            return f"<pre>{html.escape(json.dumps(value, indent=2, sort_keys=True))}</pre>"
        return html.escape("" if value is None else str(value))

    plain = found.model_dump(mode="json")
    child = plain["child"]
    rows = "".join(
        f"<tr><td>{cell(e['at'])}</td><td>{cell(e['service'])}</td><td>{cell(e['event'])}</td>"
        f"<td>{cell(e['by'])}</td><td>{cell(e['basis'])}</td><td>{cell(e['details'])}</td></tr>"
        for e in plain["timeline"]
    )
    about = (
        "".join(f"<dt>{cell(k)}</dt><dd>{cell(v)}</dd>" for k, v in child.items())
        if child
        else f"<p>Erased: {cell(plain['personal_data_erased'])}</p>"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>What MAAG holds about case {cell(plain['case_id'])}</title></head><body>"
        f"<h1>What MAAG holds about case {cell(plain['case_id'])}</h1>"
        f"<p>Made {cell(plain['made_at'])}. {cell(plain['withheld'])}</p>"
        f"<h2>The child</h2><dl>{about}</dl>"
        f"<h2>The referral</h2>{cell(plain['referral'])}"
        "<h2>Everything that happened</h2><table><thead><tr><th>When</th><th>Service</th>"
        "<th>What</th><th>By</th><th>Basis</th><th>Details</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )
