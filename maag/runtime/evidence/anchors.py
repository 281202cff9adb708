"""Anchoring each service's chain head outside its database, and reading the anchors back.

Every `MAAG_ANCHOR_INTERVAL` seconds (when the head has moved) and as it stops, a service
signs its chain head (`ChainAnchor`) and publishes it on `maag.audit.anchors`, a topic that
keeps everything and that only the services' Kafka principals may write; with
`MAAG_ANCHOR_FILE` it also appends it to a file (for a copy on write-once storage).
`maag audit verify` reads the anchors back and holds each store to them: a history rewritten
and re-chained, or a tail deleted with its chain rows, no longer reaches the anchored head
with the anchored hash. What was stored after the latest anchor is only as safe as the
chain's key; the interval bounds how much that is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterable
from datetime import UTC, datetime
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
        self.anchored = 0  # the head last anchored by this process

    async def run(self, stop: asyncio.Event) -> None:
        while True:
            await sleep_or_stop(stop, self.interval)
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
        self.anchored = head
        log.info("chain anchored", service=self.keys.service, head=head, reason=reason)
        return anchor


def _append(path: Path, line: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as f:
        f.write(line + b"\n")
        f.flush()


async def read_anchors(settings: Settings, file: Path | None = None) -> list[Record]:
    """Every anchor on the topic (and in `file`), as stored."""
    topic = CHAIN_ANCHORS.named(settings.topic_prefix)
    records = await kafka.read_to_end(
        settings.kafka_bootstrap, [topic], kafka.client_options(settings)
    )
    found: list[Record] = [(f"{topic}@{r.offset}", r.value or b"") for r in records]
    if file is not None:
        lines = file.read_bytes().splitlines()
        found += [(f"{file.name}:{i}", line) for i, line in enumerate(lines, 1) if line.strip()]
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
        anchors.append(Anchored(anchor.head, bytes.fromhex(anchor.hash), label))
    return anchors, refused


def verify(chain: EventChain, records: Iterable[Record]) -> Verdict:
    """The store's verdict, held to the service's trusted anchors among `records`."""
    anchors, refused = trusted(records, chain.keys)
    verdict = chain.verify(anchors)
    return dataclasses.replace(verdict, breaks=[*verdict.breaks, *refused])
