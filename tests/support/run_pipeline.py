"""Runs one half of the test pipeline as a process: python -m tests.support.run_pipeline relay|consumer

(A module of its own, so that the event classes are not imported twice under `__main__`.)
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from maag.runtime.logging import configure
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from tests.support.pipeline import intake_publisher, make_consumer, make_relay


async def _main(role: str) -> None:
    settings = Settings.from_env()
    configure(settings.log_format)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    producer = kafka.producer(settings.kafka_bootstrap, f"test-{role}")
    await producer.start()
    try:
        if role == "relay":
            publisher = intake_publisher(settings)
            await publisher.start()
            try:
                await make_relay(settings, publisher).run(stop)
            finally:
                await publisher.stop()
        else:
            await make_consumer(
                settings, producer, os.environ["TEST_GROUP"], session_timeout_ms=6000
            ).run(stop)
    finally:
        await producer.stop()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1]))
