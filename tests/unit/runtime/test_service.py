"""A service that cannot decode its store stops with a message that says why."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import MapperDeserialisationError

from maag.runtime.service import serve
from maag.runtime.settings import Settings


async def test_an_undecodable_store_stops_the_service_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def build(_: Settings) -> Any:
        raise MapperDeserialisationError("Failed to deserialise ...: Invalid cipher tag")

    with pytest.raises(SystemExit, match="panel: cannot read its event store"):
        await serve("panel", Settings(kafka_create_topics=False, log_format="json"), build)
    assert "another MAAG_CIPHER_KEY" in capsys.readouterr().err
