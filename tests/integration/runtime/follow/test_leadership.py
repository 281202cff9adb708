"""Only one replica leads (relays, sends); when it goes, another takes over."""

from __future__ import annotations

from maag.runtime.follow.leadership import Leadership


def test_one_leader_at_a_time_and_a_successor_when_it_goes(postgres_url: str, unique: str) -> None:
    first, second = (
        Leadership(postgres_url, f"relay:{unique}"),
        Leadership(postgres_url, f"relay:{unique}"),
    )
    try:
        assert first.holds() is True
        assert second.holds() is False
        assert first.holds() is True  # still leading
        first.release()  # the leader's process ends
        assert second.holds() is True
        assert Leadership(None, "sqlite").holds() is True  # one local process: nothing to elect
    finally:
        first.release()
        second.release()
