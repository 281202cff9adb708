"""Real-infrastructure fixtures.

Kafka and PostgreSQL come, in order of preference, from the environment
(KAFKA_BOOTSTRAP_SERVERS, MAAG_POSTGRES_URL), from testcontainers when a Docker
engine answers, or not at all: then the test fails with the command that starts
the local infrastructure. Nothing is skipped silently.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.support.topics import delete_topics_now

START_HINT = (
    "Start the local infrastructure with `deploy/local/infra.sh up` (Kafka from Maven Central "
    "and PostgreSQL from Debian; needs Java 17+ and Maven) and export the two variables it "
    "prints, or run the whole suite with `bash tests/run.sh`, which does both."
)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield servers
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    pytest.fail(
        f"No Kafka broker: KAFKA_BOOTSTRAP_SERVERS is unset and no Docker engine answers. {START_HINT}"
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    if url := os.environ.get("MAAG_POSTGRES_URL"):
        yield url
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16", driver=None) as pg:
            yield pg.get_connection_url()
        return
    pytest.fail(
        f"No PostgreSQL: MAAG_POSTGRES_URL is unset and no Docker engine answers. {START_HINT}"
    )


@pytest.fixture(scope="session")
def keycloak() -> Any:
    """The real identity provider (MAAG_OIDC_ISSUER), for integration and end-to-end tests."""
    from tests.support import identity

    found = identity.keycloak()
    if found is None:
        pytest.fail(f"No identity provider: MAAG_OIDC_ISSUER is unset. {identity.KEYCLOAK_HINT}")
    return found


@pytest.fixture(autouse=True)
def _close_stores(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every application and read-model engine a test made: each holds a pool of
    PostgreSQL connections, and a worker running many tests would otherwise exhaust the
    server's connection slots."""
    from sqlalchemy import create_engine

    from maag.runtime.follow import projection
    from maag.runtime.store.application import ServiceApplication

    apps: list[ServiceApplication] = []
    engines: list[Any] = []
    init = ServiceApplication.__init__

    def recording_init(self: ServiceApplication, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        apps.append(self)

    def recording_create_engine(*args: Any, **kwargs: Any) -> Any:
        engine = create_engine(*args, **kwargs)
        engines.append(engine)
        return engine

    monkeypatch.setattr(ServiceApplication, "__init__", recording_init)
    monkeypatch.setattr(projection, "create_engine", recording_create_engine)
    yield
    for app in apps:
        app.close()
    for engine in engines:
        engine.dispose()


@pytest.fixture
def unique() -> str:
    """A short token that keeps one test's topics, schemas and groups apart from every other's."""
    return uuid.uuid4().hex[:10]


@pytest.fixture
def topic_prefix(unique: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The test's topics' prefix; its topics are deleted afterwards (a broker that kept every
    test's partitions would run out of file handles after some dozens of runs)."""
    prefix = f"test.{unique}."
    yield prefix
    if "kafka_bootstrap" in request.fixturenames:
        # a broker the test stopped or broke: said, not raised (nothing to tidy, or later)
        delete_topics_now(request.getfixturevalue("kafka_bootstrap"), prefix)


@pytest.fixture
def pg_schema(postgres_url: str, unique: str) -> Iterator[str]:
    """A schema of the test's own, dropped afterwards."""
    name = f"t_{unique}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    yield name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture
async def kafka_admin(kafka_bootstrap: str) -> Any:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()
