"""Where local infrastructure keeps its cache, data, logs and pid files, and its settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class InfraError(RuntimeError):
    """A precondition is missing; the message says what and how to fix it."""


@dataclass(frozen=True)
class Layout:
    home: Path
    kafka_version: str
    kafka_port: int
    kafka_controller_port: int
    pg_port: int
    pg_user: str
    pg_password: str
    pg_database: str
    keycloak_version: str = "26.4.7"
    keycloak_port: int = 8180
    keycloak_admin_password: str = "maag-local-admin"
    # 1 by default; 3 for the production topology (replication 3, min.insync.replicas 2)
    kafka_brokers: int = 1

    @classmethod
    def from_env(cls) -> Layout:
        env = os.environ
        return cls(
            home=Path(env.get("MAAG_HOME", Path.cwd() / ".maag")).resolve(),
            kafka_version=env.get("MAAG_KAFKA_VERSION", "4.1.1"),
            kafka_port=int(env.get("MAAG_KAFKA_PORT", "9092")),
            kafka_controller_port=int(env.get("MAAG_KAFKA_CONTROLLER_PORT", "9093")),
            pg_port=int(env.get("MAAG_PG_PORT", "5432")),
            pg_user=env.get("MAAG_PG_USER", "maag"),
            pg_password=env.get("MAAG_PG_PASSWORD", "maag"),
            pg_database=env.get("MAAG_PG_DATABASE", "maag"),
            keycloak_version=env.get("MAAG_KEYCLOAK_VERSION", "26.4.7"),
            keycloak_port=int(env.get("MAAG_KEYCLOAK_PORT", "8180")),
            keycloak_admin_password=env.get("MAAG_KEYCLOAK_ADMIN_PASSWORD", "maag-local-admin"),
            kafka_brokers=_brokers(env.get("MAAG_KAFKA_BROKERS", "1")),
        )

    @property
    def cache(self) -> Path:
        return self.home / "cache"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def run(self) -> Path:
        return self.home / "run"

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def kafka_libs(self) -> Path:
        return self.cache / f"kafka-{self.kafka_version}" / "libs"

    @property
    def keycloak_home(self) -> Path:
        return self.cache / f"keycloak-{self.keycloak_version}"

    @property
    def oidc_issuer(self) -> str:
        return f"http://127.0.0.1:{self.keycloak_port}/realms/maag"

    @property
    def kafka_bootstrap(self) -> str:
        return ",".join(f"127.0.0.1:{self.broker_port(n)}" for n in self.kafka_nodes)

    @property
    def kafka_nodes(self) -> range:
        return range(1, self.kafka_brokers + 1)

    def broker_port(self, node: int) -> int:
        """Node n's client port: MAAG_KAFKA_PORT, then 100 above it for each further node."""
        return self.kafka_port + 100 * (node - 1)

    def controller_port(self, node: int) -> int:
        return self.kafka_controller_port + 100 * (node - 1)

    @property
    def postgres_url(self) -> str:
        return (
            f"postgresql://{self.pg_user}:{self.pg_password}"
            f"@127.0.0.1:{self.pg_port}/{self.pg_database}"
        )

    def ensure_dirs(self) -> None:
        for d in (self.cache, self.logs, self.run, self.data):
            d.mkdir(parents=True, exist_ok=True)


def _brokers(text: str) -> int:
    if text not in ("1", "3"):
        raise InfraError(f"MAAG_KAFKA_BROKERS must be 1 or 3, not {text[:20]!r}")
    return int(text)
