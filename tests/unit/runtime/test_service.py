"""A service that cannot decode its store stops with a message that says why."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from eventsourcing.persistence import MapperDeserialisationError

from maag.runtime.service import serve
from maag.runtime.settings import Settings
from services.panel.spec import SPEC


async def test_an_undecodable_store_stops_the_service_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def build(_: Settings) -> Any:
        raise MapperDeserialisationError("Failed to deserialise ...: Invalid cipher tag")

    with pytest.raises(SystemExit, match="panel: cannot read its event store"):
        await serve(SPEC, Settings(kafka_create_topics=False, log_format="json"), build)
    assert "another MAAG_CIPHER_KEY" in capsys.readouterr().err


async def test_a_background_loop_that_dies_ends_the_service_non_zero_naming_the_loop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fastapi import FastAPI

    from maag.runtime.logging import configure
    from maag.runtime.service import run_service

    configure("json")

    class Relay:
        async def run(self, stop: Any) -> None:
            raise RuntimeError("the broker said no")

    async def quiet(stop: Any) -> None:
        await stop.wait()

    with pytest.raises(SystemExit, match=r"referral: background loop failed \(Relay.run: "):
        await run_service("referral", FastAPI(), [Relay().run, quiet], Settings(http_port=0))
    err = capsys.readouterr().err
    assert '"loop": "Relay.run"' in err and "the broker said no" in err


async def test_what_the_process_built_is_set_aside_from_the_collector_before_it_serves() -> None:
    from fastapi import FastAPI

    from maag.runtime.service import run_service

    gc.unfreeze()  # (another test here may have run a service in this process)
    assert gc.get_freeze_count() == 0
    seen: list[int] = []

    async def look(stop: Any) -> None:
        seen.append(gc.get_freeze_count())
        raise RuntimeError("seen")  # a loop that ends stops the service

    try:
        with pytest.raises(SystemExit):
            await run_service("referral", FastAPI(), [look], Settings(http_port=0))
    finally:
        gc.unfreeze()
    assert seen and seen[0] > 0  # full collections no longer walk the libraries' objects
