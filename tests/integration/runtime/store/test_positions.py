"""`ServiceApplication.positions` reads several tracked positions in one query from
eventsourcing's tracking table: it must give what the library's own `max_tracking_id` gives
for each name, so a change in the library's table shows here."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from maag.runtime.settings import Settings
from tests.support.pipeline import LedgerApp


def test_positions_are_what_eventsourcing_reads_one_by_one(
    postgres_url: str, pg_schema: str
) -> None:
    app = LedgerApp(Settings(postgres_url=postgres_url, postgres_schema=pg_schema))
    try:
        app.recorder.insert_tracking(Tracking("panel.events:3#epoch", 7))
        app.recorder.insert_tracking(Tracking("panel.events:3@7", 41))
        app.recorder.insert_tracking(Tracking("panel.events:3@7", 42))  # moved on
        names = ("panel.events:3#epoch", "panel.events:3@7", "panel.events:4@7")
        assert app.positions(*names) == {
            "panel.events:3#epoch": 7,
            "panel.events:3@7": 42,
            "panel.events:4@7": None,  # nothing tracked there yet
        }
        assert app.positions(*names) == {name: app.recorder.max_tracking_id(name) for name in names}
    finally:
        app.close()
