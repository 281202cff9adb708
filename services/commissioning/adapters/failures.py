"""The failed commissioning projection: each package request the service refused (`Refusal`),
until it is dealt with. One function per event class, found in a table; each idempotent (an
event met again, by a redelivery or a rebuild over the same table, changes nothing) and
order-safe (an event only settles refusals made before it).

What "dealt with" means, from the domain: commissioning never retries a refusal on its own
(the same request again is answered with the same refusal); the panel is told, lists the
case on its next meeting and decides again. So a refusal is dealt with when

- the panel's new decision is carried out: for the package itself, a package of the same
  case commissioned from another meeting (`commissioned`); for a review's change, the same
  package reviewed again since, to continue, be recommissioned or end (`continued`,
  `recommissioned`, `ended`), or ended with its case;
- the panel's new decision is refused too: the newer refusal replaces it (`asked-again`);
- or the need is gone: the case closed (`case-closed`), or consent withdrawn without a
  basis to go on (`consent-withdrawn`).

A capacity or budget raised since does not deal with it by itself: it lets the panel's next
decision be met. A decision that moves the case without a package (deferred, escalated,
stepped down) leaves it waiting until a package is met or the case ends."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true, update
from sqlalchemy.orm import Session

from services.commissioning.application.tables import failures
from services.commissioning.domain.aggregates import (
    CasePackages,
    Package,
    Refusal,
    case_packages_uuid,
)


def project_failures(e: Any, session: Session) -> None:
    found = PROJECT.get(type(e))
    if found is not None:
        found(e, session)


def _refused(e: Refusal.Refused, session: Session) -> None:
    key = str(e.originator_id)
    if session.execute(select(failures.c.failure_id).where(failures.c.failure_id == key)).first():
        return  # met again
    # the panel decided again on what an earlier refusal refused, and that is refused too
    if e.review:
        again = (failures.c.package_id == str(e.package_id)) & failures.c.review.is_(True)
    else:
        again = (
            (failures.c.case_id == str(e.case_id))
            & failures.c.review.is_(False)
            & _another_meeting(e.meeting_id)
        )
    _settle(session, again, e, "asked-again")
    session.execute(
        failures.insert().values(
            failure_id=key,
            package_id=str(e.package_id),
            case_id=str(e.case_id),
            case_key=str(case_packages_uuid(e.case_id)),
            panel=e.panel,
            district=e.district,
            meeting_id=e.meeting_id,
            review=e.review is not None,
            reason=e.reason,
            detail=e.detail,
            failed_at=_utc(e.timestamp),
        )
    )


def _commissioned(e: Package.Commissioned, session: Session) -> None:
    """A package of the case, agreed at another meeting than a refused one: the panel's new
    decision met."""
    met = (
        (failures.c.case_id == str(e.case_id))
        & failures.c.review.is_(False)
        & _another_meeting(e.meeting_id)
    )
    _settle(session, met, e, "commissioned")


# A review carried out since: what the panel decided for the package this time.
REVIEWED = {"continue": "continued", "recommission": "recommissioned", "decommission": "ended"}


def _reviewed(e: Package.Reviewed, session: Session) -> None:
    how = REVIEWED.get(e.decision, "reviewed")
    _settle(session, failures.c.package_id == str(e.originator_id), e, how)


def _package_changed(
    how: str,
) -> Callable[[Package.Recommissioned | Package.Decommissioned, Session], None]:
    def settle(e: Package.Recommissioned | Package.Decommissioned, session: Session) -> None:
        _settle(session, failures.c.package_id == str(e.originator_id), e, how)

    return settle


def _closed(e: CasePackages.Closed, session: Session) -> None:
    _settle(session, failures.c.case_key == str(e.originator_id), e, "case-closed")


def _consent_noted(e: CasePackages.ConsentNoted, session: Session) -> None:
    if e.withdrawn:
        _settle(session, failures.c.case_key == str(e.originator_id), e, "consent-withdrawn")


PROJECT: dict[type[Any], Callable[[Any, Session], None]] = {
    Refusal.Refused: _refused,
    Package.Commissioned: _commissioned,
    Package.Reviewed: _reviewed,
    Package.Recommissioned: _package_changed("recommissioned"),
    Package.Decommissioned: _package_changed("ended"),
    CasePackages.Closed: _closed,
    CasePackages.ConsentNoted: _consent_noted,
}


def _another_meeting(meeting_id: str | None) -> ColumnElement[bool]:
    """Refused at a meeting other than `meeting_id` (a meeting not known counts as another:
    a package agreed beside a refused one, at the same meeting, is not the panel deciding
    again)."""
    if meeting_id is None:
        return true()
    return or_(failures.c.meeting_id.is_(None), failures.c.meeting_id != meeting_id)


def _settle(session: Session, which: ColumnElement[bool], e: Any, how: str) -> None:
    """The refusals `which` not yet dealt with, made before `e`, dealt with as `how`."""
    at = _utc(e.timestamp)
    session.execute(
        update(failures)
        .where(which & failures.c.dealt_with.is_(None) & (failures.c.failed_at <= at))
        .values(dealt_with=how, dealt_with_at=at)
    )


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)
