"""Anchoring each service's chain head outside its database, and reading the anchors back.

Every `MAAG_ANCHOR_INTERVAL` seconds (when the head has moved) and as it stops, a service
signs its chain head (`ChainAnchor`) and publishes it on `maag.audit.anchors`, a topic that
keeps everything and that only the services' Kafka principals may write; with
`MAAG_ANCHOR_WITNESS_DIR` it also writes it, as a new file never overwritten, to a witness
outside the database and the broker (in Kubernetes a bucket with object lock), which
`verify` reads too: an administrator of the database and the broker cannot remove an anchor
from there, and one removed from the broker alone is reported. (`MAAG_ANCHOR_FILE` appends
to a file, as before.)
`maag audit verify` reads the anchors back and holds each store to them: a history rewritten
and re-chained, or a tail deleted with its chain rows, no longer reaches the anchored head
with the anchored hash. What was stored after the latest anchor is only as safe as the
chain's key; the interval bounds how much that is. So `verify` also fails when there are
fewer anchors than the history requires: no anchor, the newest events chained more than two
intervals after the latest anchor, or a stretch of events (recorded times, as the events
say under their MACs) whose first anchor came more than two intervals after them: anchors
removed, or an anchorer that could not anchor (stopped uncleanly and restarted later, the
broker away), which an operator should be able to account for.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from contracts.events.audit import ChainAnchor
from contracts.topics import CHAIN_ANCHORS
from maag.runtime.evidence.chain import Anchored, Break, EventChain, Verdict
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.loops import sleep_or_stop
from maag.runtime.logging import get_logger
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings

log = get_logger(__name__)

# (where it was read: "maag.audit.anchors@17" or "anchors.jsonl:3", the record's bytes)
Record = tuple[str, bytes]


FIRST_LOOK = 1.0  # seconds between looks until the first anchor


class Anchorer:
    """The loop that signs and publishes a service's chain head."""

    def __init__(
        self,
        chain: EventChain,
        keys: ChainKeys,
        producer: AIOKafkaProducer,
        settings: Settings,
    ) -> None:
        self.chain = chain
        self.keys = keys
        self.producer = producer
        self.topic = CHAIN_ANCHORS.named(settings.topic_prefix)
        self.interval = settings.anchor_interval
        self.file = settings.anchor_file
        self.witness = settings.anchor_witness_dir
        self.anchored = 0  # the head last anchored by this process

    async def run(self, stop: asyncio.Event) -> None:
        while True:
            # Until this process has anchored once, look every second: verify reports a
            # store with events and no anchor, so a new store (or one just restarted) is
            # anchored as soon as it holds anything, not an interval later.
            wait = self.interval if self.anchored else min(self.interval, FIRST_LOOK)
            await sleep_or_stop(stop, wait)
            if stop.is_set():
                break
            try:
                await self.anchor("interval")
            except Exception as e:  # the broker away: the next interval tries again
                log.warning("anchoring retrying", error=repr(e), service=self.keys.service)
        try:  # as the service stops: chain what is stored, and anchor that
            await asyncio.to_thread(self.chain.extend)
            await self.anchor("shutdown")
        except Exception as e:
            log.error("anchoring on shutdown failed", error=repr(e), service=self.keys.service)

    async def anchor(self, reason: str) -> ChainAnchor | None:
        """Sign and publish the chain's head, if it moved since the last anchor."""
        head, digest = await asyncio.to_thread(self.chain.current_head)
        if head == 0 or head == self.anchored:
            return None
        anchor = self.keys.sign(head, digest, datetime.now(UTC), reason)
        value = anchor.model_dump_json().encode()
        await self.producer.send_and_wait(
            self.topic,
            value,
            key=self.keys.service.encode(),
            headers=[("ce_type", ChainAnchor.TYPE.encode())],
        )
        if self.file is not None:
            await asyncio.to_thread(_append, self.file, value)
        if self.witness is not None:
            await asyncio.to_thread(witness, self.witness, anchor, value)
        self.anchored = head
        log.info("chain anchored", service=self.keys.service, head=head, reason=reason)
        return anchor


def witness(directory: Path, anchor: ChainAnchor, value: bytes) -> Path:
    """Write `anchor` to the witness as a new file (exclusive create: never overwriting one)."""
    at = anchor.anchored_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = directory / anchor.service / f"{at}-{anchor.head:020d}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as f:
        f.write(value)
        f.flush()
    return path


WITNESS = "witness:"  # where a record read from the witness was: "witness:referral/….json"


def read_witness(directory: Path) -> list[Record]:
    if not directory.is_dir():
        raise OSError(f"the anchor witness {directory} is not there (MAAG_ANCHOR_WITNESS_DIR)")
    return [
        (f"{WITNESS}{p.parent.name}/{p.name}", p.read_bytes().strip())
        for p in sorted(directory.glob("*/*.json"))
    ]


def _append(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        f.write(line + b"\n")
        f.flush()


async def read_anchors(settings: Settings, file: Path | None = None) -> list[Record]:
    """Every anchor on the topic, in the witness (MAAG_ANCHOR_WITNESS_DIR) and in `file`, as
    stored."""
    topic = CHAIN_ANCHORS.named(settings.topic_prefix)
    records = await kafka.read_to_end(
        settings.kafka_bootstrap, [topic], kafka.client_options(settings)
    )
    found: list[Record] = [(f"{topic}@{r.offset}", r.value or b"") for r in records]
    if file is not None:
        lines = file.read_bytes().splitlines()
        found += [(f"{file.name}:{i}", line) for i, line in enumerate(lines, 1) if line.strip()]
    if settings.anchor_witness_dir is not None:
        found += await asyncio.to_thread(read_witness, settings.anchor_witness_dir)
    return found


def trusted(records: Iterable[Record], keys: ChainKeys) -> tuple[list[Anchored], list[Break]]:
    """The service's anchors that verify against its key, and a break for every record that
    claims to be its anchor and does not (or that nobody can read)."""
    anchors: list[Anchored] = []
    refused: list[Break] = []
    for where, raw in records:
        try:
            claimed = json.loads(raw)
            service = claimed.get("service") if isinstance(claimed, dict) else None
        except ValueError:
            service = None
        if service is not None and service != keys.service:
            continue  # another service's
        try:
            anchor = ChainAnchor.model_validate_json(raw)
        except ValidationError as e:
            problem = e.errors()[0]
            field = ".".join(str(p) for p in problem["loc"]) or "record"
            refused.append(
                Break(0, "forged", f"anchor {where} unreadable: {field}: {problem['msg']}")
            )
            continue
        if not keys.signed(anchor):
            refused.append(
                Break(
                    0,
                    "forged",
                    f"anchor {where} for notification {anchor.head} is not signed with "
                    f"{keys.service}'s anchor key (key id {anchor.key_id}; {keys.service}'s is "
                    f"{keys.key_id}): not trusted",
                )
            )
            continue
        label = f"at {anchor.anchored_at:%Y-%m-%d %H:%M:%S %Z} ({where})"
        anchors.append(Anchored(anchor.head, bytes.fromhex(anchor.hash), label, anchor.anchored_at))
    return anchors, refused


def verify(
    chain: EventChain,
    records: Iterable[Record],
    interval: float = 60.0,
    workers: int | None = None,
) -> Verdict:
    """The store's verdict, held to the service's trusted anchors among `records`, and
    strict about them: a store with events and no trusted anchor, whose newest chained
    event is more than two anchor intervals (`MAAG_ANCHOR_INTERVAL`) newer than its latest
    anchor, or with fewer anchors than its history requires (a stretch of events whose first
    anchor came more than two intervals after them), is not intact (its anchors were
    removed, or its anchorer stopped). `workers`: as `EventChain.verify`."""
    records = list(records)
    anchors, refused = trusted(records, chain.keys)
    verdict = chain.verify(anchors, workers)
    strict = [
        *_anchoring(chain, verdict, anchors, interval),
        *_coverage(chain, verdict, anchors, interval),
        *_removed(records, chain.keys),
    ]
    return dataclasses.replace(verdict, breaks=[*verdict.breaks, *refused, *strict])


def _removed(records: list[Record], keys: ChainKeys) -> list[Break]:
    """The service's anchors in the witness that are no longer on the broker (the anchorer
    writes the broker first): removed there by someone who could not remove them here."""
    on_broker = {raw.strip() for where, raw in records if "@" in where}
    if not on_broker and not any(w.startswith(WITNESS) for w, _ in records):
        return []
    broken: list[Break] = []
    for where, raw in records:
        if not where.startswith(WITNESS + keys.service + "/") or raw in on_broker:
            continue
        try:
            anchor = ChainAnchor.model_validate_json(raw)
        except ValidationError:
            continue  # reported as forged
        if keys.signed(anchor):
            broken.append(
                Break(
                    anchor.head,
                    "witness",
                    f"the anchor {where} of notification {anchor.head} is in the witness but "
                    "no longer on the broker: anchors were removed from the broker",
                )
            )
    return broken


def _anchoring(
    chain: EventChain, verdict: Verdict, anchors: list[Anchored], interval: float
) -> list[Break]:
    """What the anchors should be, given the history: one at least, and none far behind."""
    service, head = chain.keys.service, verdict.head
    if max(head, verdict.stored_head) == 0:
        return []  # nothing stored, nothing to vouch for
    if not anchors:
        return [
            Break(
                0,
                "unanchored",
                f"no trusted anchor of {service}'s chain (to notification {head}, newest "
                f"stored {verdict.stored_head}): nothing outside the database vouches for it",
            )
        ]
    latest = max(anchors, key=lambda a: a.head)
    newest_anchor = max((a.at for a in anchors if a.at is not None), default=None)
    if latest.head >= head or newest_anchor is None:
        return []
    # The anchorer anchors a moved head every interval: an event chained later than that
    # (two intervals, for the chainer's lag) after the latest anchor should be anchored.
    newest = chain.stored_time(head) or datetime.now(UTC)
    behind = (newest - newest_anchor).total_seconds()
    if behind <= 2 * interval:
        return []
    return [
        Break(
            latest.head + 1,
            "stale",
            f"notifications {latest.head + 1} to {head} are chained but unanchored, the "
            f"newest {behind:.0f} s after the latest anchor (MAAG_ANCHOR_INTERVAL "
            f"{interval:g} s): anchors were removed, or the anchorer stopped",
        )
    ]


def _coverage(
    chain: EventChain, verdict: Verdict, anchors: list[Anchored], interval: float
) -> list[Break]:
    """Anchors as many as the history requires. The anchorer anchors a moved head every
    interval, so every event chained since the cut-over (the previous release's events were
    never anchored) is under an anchor made within two intervals of when it was recorded
    (one for the interval, one for the chainer's lag). A stretch of events whose first
    anchor came later lost the anchors made meanwhile. Only stretches in which events were
    stored count: an idle store anchors nothing, and two anchors no more than two intervals
    apart need no look at the events between them."""
    slack = 2 * interval
    made: dict[int, datetime] = {}  # each anchored head, when it was first anchored
    for a in anchors:
        if a.at is not None and verdict.cutover < a.head <= verdict.head:
            made[a.head] = min(a.at, made.get(a.head, a.at))
    breaks: list[Break] = []
    after, after_at = verdict.cutover, None
    for head in sorted(made):
        at = made[head]
        if after_at is None or (at - after_at).total_seconds() > slack:
            gap = _uncovered(chain, after, head, at, interval)
            if gap is not None:
                breaks.append(gap)
        after, after_at = head, at
    return breaks


def _uncovered(
    chain: EventChain, after: int, head: int, at: datetime, interval: float
) -> Break | None:
    """The break for the events after `after` recorded more than two intervals before `at`,
    when the anchor made `at` (of `head`) is the first over them."""
    deadline = at - timedelta(seconds=2 * interval)
    first = chain.first_stored(after, head)
    if first is None or first[1] is None or first[1] >= deadline:
        return None  # nothing stored there (deleted: reported so), or unreadable here
    (start, since), (end, until) = first, first
    # the last of them: event times rise with the notification ids
    lo, hi = start, head + 1  # lo recorded before the deadline; none from hi on
    while hi - lo > 1:
        mid = (lo + hi) // 2
        probe = chain.first_stored(mid - 1, hi - 1)
        if probe is None or probe[1] is None or probe[1] >= deadline:
            hi = mid
        else:
            lo, (end, until) = probe[0], probe
    assert since is not None and until is not None
    return Break(
        start,
        "unanchored",
        f"no anchor covers notifications {start} to {end}, chained between {_when(since)} and "
        f"{_when(until)}: the first anchor over them was made {_when(at)}, more than two "
        f"anchor intervals later (MAAG_ANCHOR_INTERVAL {interval:g} s): anchors were "
        "removed, or the anchorer stopped",
    )


def _when(t: datetime) -> str:
    return f"{t.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
