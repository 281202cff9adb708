"""The start-up check reads, from the real broker, the last record its producer published on
each partition of its topics."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from contracts.topics import REFERRAL_EVENTS
from maag.runtime.settings import Settings
from maag.runtime.store.incarnation import Tail, read_tails


def _headers(source: str, sequence: int, epoch: int | None) -> list[tuple[str, bytes]]:
    out = [("ce_source", source.encode()), ("ce_sequence", str(sequence).zfill(20).encode())]
    if epoch is not None:
        out.append(("ce_incarnation", str(epoch).encode()))
    return out


async def test_the_last_record_of_the_producer_on_each_partition(
    settings: Settings, producer: AIOKafkaProducer
) -> None:
    topic = REFERRAL_EVENTS.named(settings.topic_prefix)
    assert await read_tails(settings.kafka_bootstrap, [topic], "/maag/referral") == []
    sent = [
        (0, 1, None),
        (0, 5, 1),
        (1, 2, None),
        (1, 30, 1),
    ]
    for partition, sequence, epoch in sent:
        await producer.send_and_wait(
            topic, b"{}", partition=partition, headers=_headers("/maag/referral", sequence, epoch)
        )
    for _ in range(5):  # another producer's records after it are passed over
        await producer.send_and_wait(
            topic, b"{}", partition=1, headers=_headers("/maag/other", 99, 7)
        )
    tails = await read_tails(settings.kafka_bootstrap, [topic], "/maag/referral")
    assert sorted(tails, key=lambda t: t.partition) == [Tail(topic, 0, 1, 5), Tail(topic, 1, 1, 30)]
    missing = await read_tails(settings.kafka_bootstrap, [f"{topic}.nope"], "/maag/referral")
    assert missing == []
