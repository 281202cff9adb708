"""The boards' report over a generated year (10,000 referrals across the twelve districts),
fed from real Kafka topics into PostgreSQL, checked against an independent count of what was
generated; rebuilt from the beginning of the topics, it says the same; a hostile record is
set aside and the feed goes on; a republished event counts once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from contracts.reference import BoardArea
from contracts.topics import COMMISSIONING_EVENTS, PANEL_EVENTS, REFERRAL_EVENTS
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.messaging import kafka
from maag.runtime.settings import Settings
from services.commissioning.adapters.boards import BoardFeed
from services.commissioning.application.queries.board_report import load
from services.commissioning.application.tables import skipped
from services.commissioning.domain.boards import BoardReport, Grouping, report
from tests.support.boards_year import LAST, YEAR, Truth, expected, generate, publish

REFERRALS = 10_000


@pytest.fixture
def feed(kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str) -> BoardFeed:
    settings = Settings(postgres_url=postgres_url, postgres_schema=pg_schema)
    topics = [t.named(topic_prefix) for t in (REFERRAL_EVENTS, PANEL_EVENTS, COMMISSIONING_EVENTS)]
    return BoardFeed(read_model_engine(settings, "commissioning"), kafka_bootstrap, topics, {})


def _check(found: BoardReport, truth: Truth) -> None:
    for area in BoardArea:
        want, got = expected(truth, area.value), found["areas"][area.value]
        referrals = got["referrals"]
        assert referrals["received"] == want["received"], area
        for outcome in ("accepted", "declined", "redirected-to-social-care", "pending-consent"):
            assert referrals[outcome] == want[outcome], (area, outcome)
        assert referrals["declined_by_reason"] == want["declined_by_reason"]
        listing = got["days_from_referral"]["listed"]
        assert listing["cases"] == want["listing_cases"]
        assert listing["median"] == want["listing_median"]
        assert got["step_ups"] == truth.step_ups[area.value]
        assert got["step_downs"] == truth.step_downs[area.value]
        assert got["packages_commissioned"] == truth.packages[area.value]
        for goals in ("met", "partly", "not-met"):
            assert got["review_outcomes"][goals] == truth.reviews[(area.value, goals)]
    county = found["areas"]["county"]["referrals"]["received"]
    assert county == REFERRALS == sum(truth.received.values())


async def test_a_years_report_matches_an_independent_count_and_rebuilds_the_same(
    feed: BoardFeed, kafka_bootstrap: str, topic_prefix: str
) -> None:
    records, truth = generate(REFERRALS)
    await publish(kafka_bootstrap, topic_prefix, records)
    # a hostile record on the referral topic, and one event published twice
    producer = kafka.producer(kafka_bootstrap, "test-boards")
    await producer.start()
    try:
        topic = REFERRAL_EVENTS.named(topic_prefix)
        await producer.send_and_wait(
            topic, b"\xff not json", key=b"x", headers=[("ce_type", b"\xff")]
        )
    finally:
        await producer.stop()
    await publish(kafka_bootstrap, topic_prefix, records[:1])  # ReferralReceived again
    read = await feed.catch_up()
    assert read == len(records) + 2
    first = report(*load(feed.engine), YEAR, LAST, Grouping.BOARD_AREA)
    _check(first, truth)
    with feed.engine.connect() as conn:
        (aside,) = conn.execute(select(skipped)).mappings().all()
    assert "ce_" in aside["reason"] or "header" in aside["reason"]
    # nothing new: a second catch-up reads nothing
    assert await feed.catch_up() == 0
    feed.reset()
    assert await feed.catch_up() == read
    assert report(*load(feed.engine), YEAR, LAST, Grouping.BOARD_AREA) == first
    by_district = report(*load(feed.engine), YEAR, LAST, Grouping.DISTRICT)
    assert len(by_district["areas"]) == 13  # twelve districts and the county
    assert by_district["areas"]["county"] == first["areas"]["county"]
