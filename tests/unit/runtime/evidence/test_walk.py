"""The tamper check's walk over windows (a store read a window of ids at a time, each
window's events and chain rows walked pairwise) finds exactly what the walk merging the two
streams by id finds, however the history was tampered with and wherever the windows end; and
the case index told in one pass is told as row by row."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from maag.runtime.evidence.chain import (
    GENESIS,
    Anchored,
    ChainRow,
    EventRow,
    Linker,
    _finish,
    _index_breaks,
    _Part,
    _Walk,
)
from maag.runtime.store.sealed import BODY, MAGIC, Sealer, where

LINK_KEY, SEAL_KEY = b"l" * 32, b"s" * 32
TOPICS = ("ledger:Opened", "ledger:Noted")


def _history(events: int, unsealed_upto: int, seed: int) -> tuple[list[EventRow], list[ChainRow]]:
    """Events 1..`events` as stored and chained: two to an aggregate (its first with a case),
    the first `unsealed_upto` without a MAC (the previous release's)."""
    link, seal = Linker(LINK_KEY), Sealer(SEAL_KEY)
    stored: list[EventRow] = []
    chained: list[ChainRow] = []
    previous = GENESIS
    aggregate, case = "", ""
    for nid in range(1, events + 1):
        version = 2 - nid % 2
        if version == 1:
            aggregate = str(uuid.UUID(int=seed * 100_003 + nid))
            case = str(uuid.UUID(int=seed * 100_019 + nid + 1))
        topic = TOPICS[version - 1]
        body = b'{"n":%d}' % nid
        if nid <= unsealed_upto:
            state = body
        else:
            state = MAGIC + seal(aggregate, version, topic, body) + body
        case_id = case if version == 1 else None
        covered = state[:BODY] if state.startswith(MAGIC) else state
        previous = link(previous, nid, aggregate, version, topic, case_id, covered)
        stored.append((nid, where(aggregate, version, topic), state))
        chained.append((nid, previous, case_id.encode() if case_id else b""))
    return stored, chained


Tamper = tuple[str, int, int]
tampering = st.lists(
    st.tuples(
        st.sampled_from(
            ["alter", "forge", "delete", "unchain", "insert", "swap", "unseal", "recase"]
        ),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
    ),
    max_size=6,
)


def _tampered(
    stored: list[EventRow], chained: list[ChainRow], tampers: list[Tamper]
) -> tuple[list[EventRow], list[ChainRow]]:
    events = {nid: (place, state) for nid, place, state in stored}
    links = {nid: (digest, case) for nid, digest, case in chained}
    top = len(stored)
    for kind, a, b in tampers:
        nid, other = a % top + 1, b % top + 1
        if kind == "alter" and nid in events:  # a byte of the body changed
            place, state = events[nid]
            events[nid] = (place, state[:-1] + bytes([state[-1] ^ 1]))
        elif kind == "forge" and nid in events and events[nid][1].startswith(MAGIC):
            place, state = events[nid]  # a byte of its MAC
            events[nid] = (place, state[:9] + bytes([state[9] ^ 1]) + state[10:])
        elif kind == "delete":
            events.pop(nid, None)
        elif kind == "unchain":  # its chain row gone
            links.pop(nid, None)
        elif kind == "insert":  # a row where no event was: past the end, or into a gap
            into = top + 1 + b % 3 if a % 2 else nid
            if into not in events:
                events[into] = (where(str(uuid.UUID(int=b)), 1, TOPICS[0]), b"{}")
        elif kind == "swap" and nid in events and other in events:
            events[nid], events[other] = events[other], events[nid]
        elif kind == "unseal" and nid in events:  # stored without its MAC
            place, state = events[nid]
            events[nid] = (place, state[BODY:] if state.startswith(MAGIC) else state)
        elif kind == "recase" and nid in links:  # the chain row's case changed
            digest, _ = links[nid]
            links[nid] = (digest, str(uuid.UUID(int=b)).encode())
    return (
        [(nid, *events[nid]) for nid in sorted(events)],
        [(nid, *links[nid]) for nid in sorted(links)],
    )


def _windows(
    stored: list[EventRow], chained: list[ChainRow], cuts: list[int]
) -> list[tuple[list[EventRow], list[ChainRow]]]:
    """Both cut at the same ids (as the store is read: (lo, upto] each)."""
    bounds = [0, *sorted(set(cuts)), 1 << 62]
    return [
        (
            [r for r in stored if lo < r[0] <= hi],
            [r for r in chained if lo < r[0] <= hi],
        )
        for lo, hi in itertools.pairwise(bounds)
    ]


@settings(max_examples=300, deadline=None)
@given(
    events=st.integers(0, 40),
    unsealed_upto=st.integers(0, 6),
    legacy_upto=st.integers(0, 8),
    seed=st.integers(0, 1000),
    tampers=tampering,
    cuts=st.lists(st.integers(1, 45), max_size=6),
    anchored_at=st.lists(st.tuples(st.integers(1, 48), st.booleans()), max_size=4),
)
def test_walking_windows_finds_what_merging_the_streams_finds(
    events: int,
    unsealed_upto: int,
    legacy_upto: int,
    seed: int,
    tampers: list[Tamper],
    cuts: list[int],
    anchored_at: list[tuple[int, bool]],
) -> None:
    stored, chained = _history(events, unsealed_upto, seed)
    if stored:
        stored, chained = _tampered(stored, chained, tampers)
    links = {nid: digest for nid, digest, _ in chained}
    anchored: dict[int, list[Anchored]] = {}
    for head, true in anchored_at:  # some held to the hash chained there, some not
        digest = links.get(head, GENESIS) if true else bytes(32)
        anchored.setdefault(head, []).append(Anchored(head, digest, f"t@{head}", datetime.now(UTC)))
    walk = _Walk(Linker(LINK_KEY), Sealer(SEAL_KEY), legacy_upto, anchored)
    merged = walk.run(iter(stored), iter(chained), GENESIS)
    windowed = walk.run_windows(_windows(stored, chained, cuts), GENESIS)
    assert (windowed.chained, windowed.sealed) == (merged.chained, merged.sealed)
    assert (windowed.keys, windowed.keyed) == (merged.keys, merged.keyed)
    assert windowed.deleted_cases == merged.deleted_cases
    assert windowed.anchors_met == merged.anchors_met
    head = max(links, default=0)
    stored_head = max((r[0] for r in stored), default=0)
    for indexed in (  # the index as the chain has it, with rows missing, with one added
        set(merged.keys),
        set(merged.keys[::2]),
        {*merged.keys, b"%b\x1f%b" % (b"c" * 36, b"a" * 36)},
    ):
        found = _finish([windowed], indexed, anchored, head, stored_head)
        assert found == _finish([merged], indexed, anchored, head, stored_head)
        # the index compared row by row only where it differs: as compared row by row
        assert [b for b in found if b.kind in ("unindexed", "misindexed")] == sorted(
            _index_breaks([merged], indexed),
            key=lambda b: (b.notification_id == 0, b.notification_id),
        )


def test_an_untouched_history_walked_in_windows_is_clean() -> None:
    stored, chained = _history(40, 4, 7)
    walk = _Walk(Linker(LINK_KEY), Sealer(SEAL_KEY), 4, {})
    part = walk.run_windows(_windows(stored, chained, [10, 11, 30]), GENESIS)
    assert not part.breaks and (part.chained, part.sealed, len(part.keys)) == (40, 36, 20)


def test_the_index_is_held_to_the_keys_however_many_times_each_is_met() -> None:
    """As many index rows as keys, yet not the same: a key met twice (a first event's case
    chained at two events), and a row no key accounts for."""
    first, second = b"%b\x1f%b" % (b"c" * 36, b"a" * 36), b"%b\x1f%b" % (b"d" * 36, b"b" * 36)
    part = _Part(keys=[first, first], keyed=[1, 3])
    assert [(b.notification_id, b.kind) for b in _finish([part], {first, second}, {}, 4, 4)] == [
        (0, "misindexed")
    ]
    assert _finish([part], {first}, {}, 4, 4) == []
    assert [(b.notification_id, b.kind) for b in _finish([part], set(), {}, 4, 4)] == [
        (3, "unindexed")
    ]
