"""The savings report's SQL pieces and its one statement, on SQLite (PostgreSQL's in the
integration suite): `rounded_quotient` is Python's `round` of a seventh or a 365th whatever
the sign, `bytewise` sorts as Python sorts strings, and the report equals the rules counted
row by row (`tests.support.savings_reference`) where many packages of a case cover the same
outcome (ties of start broken by package id, spans with gaps, ended before they began) and
where an outcome's annual cost is negative or nothing."""

from __future__ import annotations

import random
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    column,
    create_engine,
    select,
)

from contracts.reference import AvoidedOutcome, District
from maag.runtime.follow.portable_sql import bytewise, rounded_quotient
from services.commissioning.adapters.read_model import derive_savings
from services.commissioning.application.queries.savings_report import savings
from services.commissioning.application.tables import REPORTS, avoided, lines, packages
from services.commissioning.domain.savings import annual_costs
from tests.support.savings_reference import reference
from tests.unit.services.commissioning.test_savings_report import PERIODS

NUMERATORS = [*range(-800, 801), 10**12 + 3, -(10**12) - 4, 2**40 * 7 + 4, -(2**40) * 7 - 4]
WORDS = ["b", "B", "a-b", "ab", "a", "A", "é", "z", "~", "a b", "0", "Ä", "ab-", "", "\U0001d518"]

NUMBERS = MetaData()
numbers = Table("savings_test_numbers", NUMBERS, Column("n", BigInteger), Column("w", Integer))
words = Table("savings_test_words", NUMBERS, Column("w", String(8)))


def rounded(
    engine: Engine, numerators: list[int], divisor: int, signs: list[int] | None = None
) -> list[int]:
    """Each numerator's `rounded_quotient` by `divisor` (its sign that of `signs`' one when
    given), worked out by the database, in the order given."""
    NUMBERS.create_all(engine)
    with engine.begin() as conn:
        conn.execute(numbers.delete())
        conn.execute(
            numbers.insert(),
            [
                {"n": v, "w": w}
                for v, w in zip(numerators, signs or [0] * len(numerators), strict=True)
            ],
        )
    sign = numbers.c.w if signs is not None else None
    with engine.connect() as conn:
        found = conn.execute(
            select(numbers.c.n, rounded_quotient(numbers.c.n, divisor, sign_of=sign))
        ).all()
    quotient: dict[int, int] = {int(n): int(q) for n, q in found}
    return [quotient[v] for v in numerators]


def in_order(engine: Engine, given: list[str]) -> list[str]:
    """The words as the database sorts them `bytewise`."""
    NUMBERS.create_all(engine)
    with engine.begin() as conn:
        conn.execute(words.insert(), [{"w": w} for w in given])
        return list(conn.execute(select(words.c.w).order_by(bytewise(words.c.w))).scalars())


def exact(v: int, d: int) -> int:
    """round(v / d), half away from zero (never a half for odd d), without floating point."""
    q, r = divmod(abs(v), d)
    return (q + (2 * r > d)) * (1 if v >= 0 else -1)


def check_rounding(engine: Engine) -> None:
    for divisor in (1, 3, 7, 365):
        expected = [exact(v, divisor) for v in NUMERATORS]
        assert [round(v / divisor) for v in range(-800, 801)] == expected[:1601]
        assert rounded(engine, NUMERATORS, divisor) == expected, divisor


def check_signs_given(engine: Engine) -> None:
    """`sign_of`: the numerator is worked out once, its sign taken from a cheaper one."""
    pairs = [(-4, -1), (4, 1), (0, -1), (-3, -2), (3, 2), (-11, -1), (11, 0), (0, 0)]
    found = rounded(engine, [v for v, _ in pairs], 7, [w for _, w in pairs])
    assert found == [round(v / 7) for v, _ in pairs]


def dense(engine: Engine, seed: int, cases: int = 6, n: int = 160) -> None:
    """Many packages of a few cases, most naming the same outcomes: starts shared (the
    package id breaks the tie), several periods with gaps, some ended before they began,
    open ones, lines of several costs (some negative) and MAAG packages that name nothing."""
    rng = random.Random(seed)
    case_ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(cases)]
    starts = [date(2026, 1, 1) + timedelta(days=rng.randrange(0, 600, 30)) for _ in range(8)]
    periods, lines_, avoids = [], [], []
    for _ in range(n):
        pid = str(uuid.UUID(int=rng.getrandbits(128)))
        panel = rng.choice(["maag", "earp", "jap", "maag"])
        district = rng.choice(list(District)[:3]).value
        case = rng.choice(case_ids)
        begins = rng.choice(starts)
        for p in range(rng.choice([1, 1, 2, 3])):
            ended = None if rng.random() < 0.3 else begins + timedelta(days=rng.randrange(-30, 400))
            period = f"{pid}:{p + 1}"
            periods.append(
                {
                    "period_id": period,
                    "package_id": pid,
                    "case_id": case,
                    "panel": panel,
                    "panel_key": panel,
                    "district": district,
                    "fy": 2026,
                    "weekly_cost_pence": 0,
                    "starts_on": begins,
                    "ended_on": ended,
                    "status": "active" if ended is None else "decommissioned",
                }
            )
            for line in range(rng.choice([1, 2, 3])):
                lines_.append(
                    {
                        "period_id": period,
                        "line": line,
                        "provider_id": "p",
                        "service": "s",
                        "units": 1.0,
                        "weekly_cost_pence": rng.randrange(-5_000, 90_000),
                    }
                )
            begins = (ended or begins) + timedelta(days=rng.randrange(0, 90))
        if panel != "maag" or rng.random() < 0.5:
            outcomes = [AvoidedOutcome.ACCOMMODATION, AvoidedOutcome.CRIMINAL_JUSTICE]
            for outcome in rng.sample(outcomes + list(AvoidedOutcome)[:2], rng.choice([1, 2])):
                avoids.append({"package_id": pid, "outcome": outcome.value})
    unique = list({(a["package_id"], a["outcome"]): a for a in avoids}.values())
    with engine.begin() as conn:
        conn.execute(packages.insert(), periods)
        conn.execute(lines.insert(), lines_)
        conn.execute(avoided.insert(), unique)
        derive_savings(conn)  # the report's rows, as the projection derives them


COSTS = [
    annual_costs({}),
    {},
    {"accommodation": -15_600_000, "criminal-justice": 7_600_001, "school-exclusion": 0},
]


def check_dense(engine: Engine) -> None:
    for costs in COSTS:
        for first, last in [*PERIODS, (date(2026, 6, 15), date(2026, 6, 15))]:
            assert savings(engine, costs, first, last) == reference(engine, costs, first, last)


def test_rounded_quotient_is_pythons_round_whatever_the_sign(tmp_path: Path) -> None:
    check_rounding(create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}"))


def test_rounded_quotient_may_take_its_sign_from_a_cheaper_expression(tmp_path: Path) -> None:
    check_signs_given(create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}"))


@pytest.mark.parametrize("divisor", [0, -7, 2, 364, True])
def test_rounded_quotient_takes_only_a_positive_odd_divisor(divisor: int) -> None:
    with pytest.raises(ValueError):
        rounded_quotient(column("n"), divisor)


def test_bytewise_sorts_as_python_sorts_strings(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    assert in_order(engine, WORDS) == sorted(WORDS)


@pytest.mark.parametrize("seed", range(4))
def test_many_covers_of_a_case_are_credited_as_the_rules_say(tmp_path: Path, seed: int) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'read.sqlite'}")
    REPORTS.create_all(engine)
    dense(engine, seed)
    check_dense(engine)


def test_an_empty_read_model_counts_nothing(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'read.sqlite'}")
    REPORTS.create_all(engine)
    report = savings(engine, annual_costs({}), date(2026, 4, 1), date(2027, 3, 31))
    assert report == reference(engine, annual_costs({}), date(2026, 4, 1), date(2027, 3, 31))
    assert report["rows"] == [] and report["prevention"]["rows"] == []
