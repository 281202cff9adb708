"""Deleting a run's Kafka topics afterwards: a broker that kept every test's and benchmark's
partitions would run out of file handles after some dozens of runs. Used by the tests'
`topic_prefix` fixture and by the benchmarks' clean-up.

Only topics: aiokafka 0.14's admin client cannot delete consumer groups (the broker drops an
empty group's offsets once `offsets.retention.minutes` has passed)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable

TIMEOUT = 30.0  # seconds the broker has to list and delete them (it may be away)


async def delete_topics(bootstrap: str, prefix: str = "", names: Iterable[str] = ()) -> None:
    """Delete every topic whose name starts with `prefix` (when one is given) and the topics
    `names`. Never raises: a broker that is away or refuses is said on stderr, so the
    clean-up of a run that failed does not hide why it failed."""
    wanted = set(names)
    if not prefix and not wanted:
        return
    try:
        await asyncio.wait_for(_delete(bootstrap, prefix, wanted), TIMEOUT)
    except Exception as e:
        what = f"{prefix}*" if prefix else ", ".join(sorted(wanted))
        print(f"topics {what} not deleted: {e!r}", file=sys.stderr)


async def _delete(bootstrap: str, prefix: str, wanted: set[str]) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        existing = await admin.list_topics()
        mine = [t for t in existing if (prefix and t.startswith(prefix)) or t in wanted]
        if mine:
            await admin.delete_topics(mine)
    finally:
        await admin.close()


def delete_topics_now(bootstrap: str, prefix: str = "", names: Iterable[str] = ()) -> None:
    """`delete_topics` from synchronous code (not from inside a running event loop)."""
    asyncio.run(delete_topics(bootstrap, prefix, names))
