"""How long a case's personal details are kept, by how the case ended (no I/O).

The county sets the schedule (MAAG_RETENTION); the defaults follow the standard periods of
Derbyshire County Council's Children's Services retention schedule (version 13.0, May
2024), which names them for exactly these records:
- `DOB+25`, "destroy 25 years after date of birth - useful for records relating to minors,
  who may possibly launch a legal claim on reaching maturity": a case a panel worked and
  closed;
- the "6+ Rule", "destroy 6 years from the end of the financial year in which the record
  was last modified", aligned with the Limitation Act 1980: a referral declined,
  redirected to social care (which keeps its own record), or never consented to.
A rule is `<outcome>=dob+<years>` (years after the date of birth) or `<outcome>=fy+<years>`
(years after the 31 March ending the financial year of the case's last change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class RetentionOutcome(StrEnum):
    CLOSED = "closed"  # closed by its panel
    DECLINED = "declined"
    REDIRECTED_TO_SOCIAL_CARE = "redirected-to-social-care"
    PENDING_CONSENT = "pending-consent"  # consent never given


class Basis(StrEnum):
    DATE_OF_BIRTH = "dob"
    FINANCIAL_YEAR = "fy"


@dataclass(frozen=True)
class Rule:
    outcome: RetentionOutcome
    basis: Basis
    years: int

    def __str__(self) -> str:
        return f"{self.outcome.value}={self.basis.value}+{self.years}"

    def due(self, date_of_birth: date | None, last_change: date) -> date | None:
        """The first day the details may be erased (None: the date of birth is not known)."""
        if self.basis is Basis.DATE_OF_BIRTH:
            return None if date_of_birth is None else _years_after(date_of_birth, self.years)
        year_end = date(last_change.year + (last_change.month > 3), 3, 31)
        return _years_after(year_end, self.years)


DEFAULT_SCHEDULE = (
    Rule(RetentionOutcome.CLOSED, Basis.DATE_OF_BIRTH, 25),
    Rule(RetentionOutcome.DECLINED, Basis.FINANCIAL_YEAR, 6),
    Rule(RetentionOutcome.REDIRECTED_TO_SOCIAL_CARE, Basis.FINANCIAL_YEAR, 6),
    Rule(RetentionOutcome.PENDING_CONSENT, Basis.FINANCIAL_YEAR, 6),
)

_RULE = re.compile(r"^(?P<outcome>[a-z-]+)=(?P<basis>dob|fy)\+(?P<years>[0-9]{1,3})$")


class ScheduleError(ValueError):
    pass


def outcome_named(name: str) -> RetentionOutcome:
    try:
        return RetentionOutcome(name)
    except ValueError:
        known = ", ".join(o.value for o in RetentionOutcome)
        raise ScheduleError(f"unknown outcome {name!r}; the outcomes are {known}") from None


def parse_schedule(text: str) -> tuple[Rule, ...]:
    """`closed=dob+25,declined=fy+6`: the rules given replace the defaults for their
    outcomes; the others keep theirs."""
    rules = {r.outcome: r for r in DEFAULT_SCHEDULE}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        found = _RULE.match(entry)
        if found is None:
            raise ScheduleError(
                f"{entry!r}: a rule is <outcome>=dob+<years> or <outcome>=fy+<years>"
            )
        outcome = outcome_named(found["outcome"])
        rules[outcome] = Rule(outcome, Basis(found["basis"]), int(found["years"]))
    return tuple(rules.values())


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)
