"""A long timeline a page at a time: each service sends only the entries a page shows, and
what the case's state needs of the rest; the pages, followed back, are the whole timeline,
and each page's state is the whole case's."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maag.runtime.evidence.timeline import (
    Entry,
    Page,
    Paged,
    merge,
    merge_pages,
    page_of,
    parse_cursor,
)
from maag.runtime.spec import NO_CHANGE, Change

ORDER = ["referral", "panel", "commissioning", "notifications"]
T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)
CHANGES = [
    NO_CHANGE,
    Change(count=("reads",)),
    Change(count=("emails_sent",)),
    Change(set={"status": "listed"}),
    Change(set={"status": "decided"}, count=("reads",)),
    Change(set={"lead_professional": {"user_id": "lead-1"}}),
    Change(package=("p-1", {"provider": "a"})),
    Change(package=("p-2", {"provider": "b"})),
    Change(ended_package="p-1"),
]


def entries(seed: int, n: int) -> list[Entry]:
    """`n` entries across the services, many at the same instant (ties are where an order
    goes wrong), each aggregate's versions rising."""
    rng = random.Random(seed)
    aggregates = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(6)]
    versions: dict[str, int] = {}
    made: list[Entry] = []
    for _ in range(n):
        aggregate = rng.choice(aggregates)
        versions[aggregate] = versions.get(aggregate, 0) + 1
        made.append(
            Entry(
                at=T0 + timedelta(seconds=rng.randrange(0, max(1, n // 3))),
                service=rng.choice(ORDER),
                event="Thing.Happened",
                case_id="c",
                event_id=f"e-{len(made)}",
                caused_by=None,
                actor=None,
                basis=None,
                details={},
                aggregate_id=aggregate,
                version=versions[aggregate],
                change=rng.choice(CHANGES),
            )
        )
    return made


def pages(all_entries: list[Entry], when: datetime | None, limit: int) -> list[Paged]:
    """Every page, newest first, as the merged answer would come over HTTP (each service's
    part through its JSON), followed back by each page's `before`."""
    case_id = uuid.uuid4()
    found: list[Paged] = []
    before: str | None = None
    while True:
        start = parse_cursor(before, ORDER) if before else None
        parts = {
            s: Page.from_json(
                page_of(
                    [e for e in all_entries if e.service == s], when, limit, start, ORDER
                ).to_json()
            )
            for s in ORDER
        }
        paged = merge_pages(case_id, parts, when, limit)
        found.append(paged)
        before = paged.before
        if before is None:
            return found


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 60),
    limit=st.integers(1, 12),
    cut=st.one_of(st.none(), st.integers(0, 25)),
)
def test_the_pages_followed_back_are_the_whole_timeline_each_with_the_whole_state(
    seed: int, n: int, limit: int, cut: int | None
) -> None:
    made = entries(seed, n)
    when = None if cut is None else T0 + timedelta(seconds=cut)
    whole = merge(uuid.uuid4(), made, when, ORDER)
    found = pages(made, when, limit)
    shown = [e for p in reversed(found) for e in p.entries]
    assert [e.event_id for e in shown] == [e.event_id for e in whole.entries]
    for p in found:
        assert p.state == whole.state
        assert p.total == len(whole.entries)
        assert len(p.entries) <= limit
    newest = found[0]
    assert newest.earlier == max(0, len(whole.entries) - limit)


def test_a_part_sends_the_page_not_the_history() -> None:
    """A case read a thousand times: its part of a 100-entry page carries 100 entries and
    the few that set the state, its reads only as a count."""
    made = entries(7, 1000)
    reads = [
        Entry(**{**vars(e), "change": Change(count=("reads",))})
        for e in made
        if e.change is NO_CHANGE
    ]
    setting = [e for e in made if e.change.set]
    part = page_of(reads + setting, None, 100, None, ORDER)
    assert len(part.entries) == 100 and part.total == len(reads) + len(setting)
    assert part.changes == sorted(part.changes, key=lambda e: (e.at, ORDER.index(e.service)))
    assert len(part.changes) == len(setting) and part.counts == {"reads": len(reads)}


@pytest.mark.parametrize(
    "text",
    ["", "nonsense", "2026-12-01T09:00:00|referral|not-a-uuid|1", "2026-12-01T09:00:00|x|x"],
)
def test_a_page_start_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cursor(text, ORDER)


def test_a_page_start_without_its_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_cursor(f"2026-12-01T09:00:00|referral|{uuid.uuid4()}|1", ORDER)
