"""What every page shares: days as the county's clocks show them."""

from __future__ import annotations

from datetime import date

from services.web.pages import county_date, day_words


def test_a_moment_is_shown_on_the_day_it_was_in_the_county_not_in_utc() -> None:
    # 00:30 on 11 June in London is 23:30 on 10 June in UTC, as the services answer
    assert county_date("2026-06-10T23:30:00+00:00") == date(2026, 6, 11)
    assert day_words("2026-06-10T23:30:00+00:00") == "11 June 2026"
    assert day_words("2026-12-10T23:30:00+00:00") == "10 December 2026"  # GMT: the same day
    assert day_words("2026-06-10") == "10 June 2026"  # a date is its own day
    assert (day_words(None), day_words("not a date")) == ("", "not a date")
