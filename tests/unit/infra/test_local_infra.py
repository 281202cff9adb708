"""The local infrastructure script: its broker configuration and its refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maag.ops.infra import kafka, keycloak, local, postgres
from maag.ops.infra.layout import InfraError, Layout


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    monkeypatch.setenv("MAAG_HOME", str(tmp_path))
    monkeypatch.setenv("MAAG_KAFKA_PORT", "19092")
    monkeypatch.setenv("MAAG_KAFKA_CONTROLLER_PORT", "19093")
    monkeypatch.setenv("MAAG_KEYCLOAK_PORT", "18180")
    return Layout.from_env()


def _noting(events: list[str]) -> Any:
    """A stand-in for an infrastructure step that notes it ran and returns `result`."""

    def noting(what: str, result: object = True) -> object:
        def step(_: Layout) -> object:
            events.append(what)
            return result

        return step

    return noting


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_broker_is_a_single_node_kraft_combined_node_on_loopback(layout: Layout) -> None:
    props = dict(
        line.split("=", 1)
        for line in kafka._server_properties(layout, Path("/d")).splitlines()
        if line
    )
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["auto.create.topics.enable"] == "false"


def test_a_taken_kafka_port_is_refused_with_the_variable_to_change(
    layout: Layout, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAG_KAFKA_PORT", str(taken_port))
    with pytest.raises(InfraError, match=rf"Port {taken_port} .* MAAG_KAFKA_PORT"):
        kafka.check_can_start(Layout.from_env())


def test_missing_java_is_named_with_the_fix(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(InfraError, match=r"`java` was not found .* openjdk-17"):
        kafka.check_can_start(layout)


def test_missing_maven_is_named_when_kafka_is_not_cached(
    layout: Layout, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to("/bin/true")
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(InfraError, match=r"`mvn` was not found"):
        kafka.check_can_start(layout)


def test_up_starts_nothing_when_a_precondition_fails(
    layout: Layout, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAG_KAFKA_PORT", str(taken_port))
    started: list[str] = []

    def start_postgres(_: Layout) -> bool:
        started.append("postgres")
        return True

    monkeypatch.setattr(postgres, "running", lambda: False)
    monkeypatch.setattr(postgres, "check_can_start", lambda _: None)
    monkeypatch.setattr(postgres, "start", start_postgres)
    with pytest.raises(InfraError):
        local.up(Layout.from_env(), say=None)
    assert started == []


def test_up_stops_postgres_it_started_when_kafka_then_fails(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    noting = _noting(events)
    monkeypatch.setattr(postgres, "running", lambda: False)
    monkeypatch.setattr(postgres, "check_can_start", lambda _: None)
    monkeypatch.setattr(postgres, "start", noting("pg up"))
    monkeypatch.setattr(postgres, "stop", noting("pg down"))
    monkeypatch.setattr(kafka, "check_can_start", lambda _: None)
    monkeypatch.setattr(keycloak, "check_can_start", lambda _: None)

    def broken_kafka(_: Layout) -> int:
        raise InfraError("Kafka exited with code 1 while starting.")

    monkeypatch.setattr(kafka, "start", broken_kafka)
    with pytest.raises(InfraError, match="exited"):
        local.up(layout, say=None)
    assert events == ["pg up", "pg down"]


def test_down_leaves_alone_what_it_did_not_start(layout: Layout) -> None:
    said: list[str] = []
    layout.ensure_dirs()
    kafka.pid_file(layout).write_text("1\n")  # pid 1 is not a Kafka we started
    local.down(layout, said.append)
    assert said == [
        "keycloak: not started by maag, left alone",
        "kafka: not started by maag, left alone",
        "postgres: not started by maag, left alone",
    ]


def test_up_stops_kafka_and_postgres_it_started_when_keycloak_then_fails(
    layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    noting = _noting(events)
    monkeypatch.setattr(postgres, "running", lambda: False)
    monkeypatch.setattr(postgres, "check_can_start", lambda _: None)
    monkeypatch.setattr(postgres, "start", noting("pg up"))
    monkeypatch.setattr(postgres, "stop", noting("pg down"))
    monkeypatch.setattr(kafka, "check_can_start", lambda _: None)
    monkeypatch.setattr(kafka, "start", noting("kafka up", 4242))
    monkeypatch.setattr(kafka, "stop", noting("kafka down"))
    monkeypatch.setattr(keycloak, "check_can_start", lambda _: None)

    def broken_keycloak(_: Layout) -> int:
        raise InfraError("Keycloak exited with code 1 while starting.")

    monkeypatch.setattr(keycloak, "start", broken_keycloak)
    with pytest.raises(InfraError, match="Keycloak exited"):
        local.up(layout, say=None)
    assert events == ["pg up", "kafka up", "kafka down", "pg down"]


def test_a_taken_keycloak_port_is_refused_with_the_variable_to_change(
    layout: Layout, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAAG_KEYCLOAK_PORT", str(taken_port))
    with pytest.raises(InfraError, match=f"Port {taken_port}.*MAAG_KEYCLOAK_PORT"):
        keycloak.check_can_start(Layout.from_env())
