"""The boards' equality figures, and the county's extract of early-help episodes: who the
referrals received in a period (whole months) are for, by the record's coded fields. Counted
here, where the child's record is (sealed under each case's key): only counts leave,
suppressed below five, and no read of a case is recorded for a count; the extract carries no
name, date of birth, national key or case id, one row per referral, each a recorded read."""

from __future__ import annotations

import secrets
from datetime import date
from typing import TYPE_CHECKING

import structlog
from pydantic import BaseModel, Field

from maag.runtime.evidence.reads import case_reads
from maag.runtime.policy import Report, require_report
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller
from services.referral.application.ports import ListedCase
from services.referral.domain.equality import (
    SUPPRESS_UNDER,
    Coded,
    Figure,
    published_total,
    tables,
    whole_months,
)
from services.referral.domain.referral import Referral

if TYPE_CHECKING:
    from services.referral.application.app import ReferralApp

log = structlog.get_logger()


class FigureView(BaseModel):
    value: str
    count: int | None = Field(description="None: 1 to 4, not published (or to protect one that is)")
    suppressed: bool


class EqualityReport(BaseModel):
    first: date = Field(description="The period counted: whole months.")
    last: date
    referrals: int | None = Field(
        description="Referrals received in the period (None: 1 to 4, and then every count too)"
    )
    suppressed_under: int = SUPPRESS_UNDER
    by_sex: list[FigureView]
    by_ethnicity: list[FigureView]
    by_age_band: list[FigureView] = Field(description="Age at the referral (CIN census bands).")


class Episode(BaseModel):
    """One early-help episode (a referral, and the case it became) for the county's returns:
    by a number of this extract's own, never the case's id, and by month, never the day (a
    row should not lead back to a child: the rows are special-category data)."""

    episode: int = Field(description="This extract's own number for the row.")
    district: str
    referring_agency: str
    received_month: str = Field(description="YYYY-MM")
    level_of_need: int
    status: str
    ended: str
    ended_month: str = Field(description="YYYY-MM, or empty")
    sex: str
    ethnicity: str
    age_band: str
    disability: str
    sen: str


def equality_report(app: ReferralApp, caller: Caller, first: date, last: date) -> EqualityReport:
    require_report(caller, Report.EQUALITY)
    first, last = whole_months(first, last)
    coded = [c for _, c in _coded(app, first, last)]
    found = tables(coded)
    log.info("equality figures counted", referrals=len(coded), first=str(first), last=str(last))
    return EqualityReport(
        first=first,
        last=last,
        referrals=published_total(len(coded)),
        by_sex=_views(found["sex"]),
        by_ethnicity=_views(found["ethnicity"]),
        by_age_band=_views(found["age_band"]),
    )


def episodes(app: ReferralApp, caller: Caller, first: date, last: date) -> list[Episode]:
    """Row by row, with special-category codes, for those who make the county's returns:
    each case's record opened is a read recorded on it."""
    require_report(caller, Report.EPISODES)
    first, last = whole_months(first, last)
    found = _coded(app, first, last)
    # in month order, shuffled within it: the order the referrals came in is no key either
    found.sort(key=lambda row: (row[0].received_at.strftime("%Y-%m"), secrets.randbits(32)))
    rows = [
        Episode(
            episode=n,
            district=listed.district,
            referring_agency=listed.agency,
            received_month=listed.received_at.strftime("%Y-%m"),
            level_of_need=listed.level_of_need,
            status=listed.status,
            ended=listed.ending.how if listed.ending else "",
            ended_month=listed.ending.on.strftime("%Y-%m") if listed.ending else "",
            **coded.__dict__,
        )
        for n, (listed, coded) in enumerate(found, start=1)
    ]
    read = [listed.case_id for listed, _ in found]
    app.commit_unit(list(case_reads(read, caller, personal_data=True)))
    log.info("episodes extracted", episodes=len(rows), first=str(first), last=str(last))
    return rows


def _coded(app: ReferralApp, first: date, last: date) -> list[tuple[ListedCase, Coded]]:
    found = []
    for listed in app.cases.received_between(first, last):
        referral = Work(app).find(listed.case_id)  # one at a time: none kept
        if not isinstance(referral, Referral):
            continue  # listed before it was stored (the list lags the store by moments)
        coded = Coded.of(app.child(referral), listed.received_at.date(), referral.referred_unborn)
        found.append((listed, coded))
    return found


def _views(figures: list[Figure]) -> list[FigureView]:
    return [FigureView(value=f.value, count=f.count, suppressed=f.suppressed) for f in figures]
