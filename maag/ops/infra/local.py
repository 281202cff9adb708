"""`up`, `down` and `status` for the local infrastructure, all-or-nothing."""

from __future__ import annotations

import time

from maag.ops.infra import kafka, keycloak, postgres
from maag.ops.infra.layout import InfraError, Layout


def up(layout: Layout, say: object = print) -> None:
    layout.ensure_dirs()
    pg_up = postgres.running()
    kafka_pid = kafka.running(layout)
    keycloak_pid = keycloak.running(layout)
    # Check every precondition before starting anything, so a failure leaves nothing half-started.
    if not pg_up:
        postgres.check_can_start(layout)
    if kafka_pid is None:
        kafka.check_can_start(layout)
    if keycloak_pid is None:
        keycloak.check_can_start(layout)

    started_pg = False
    started_kafka = False
    try:
        t = time.monotonic()
        started_pg = postgres.start(layout)
        _say(
            say,
            f"postgres: {'started' if started_pg else 'already running'} "
            f"(127.0.0.1:{layout.pg_port}/{layout.pg_database} as {layout.pg_user}) "
            f"in {time.monotonic() - t:.1f}s",
        )
        if kafka_pid is None:
            t = time.monotonic()
            pid = kafka.start(layout)
            started_kafka = True
            _say(
                say,
                f"kafka: started pid {pid} on {layout.kafka_bootstrap} "
                f"in {time.monotonic() - t:.1f}s",
            )
        else:
            _say(say, f"kafka: already running pid {kafka_pid} on {layout.kafka_bootstrap}")
        if keycloak_pid is None:
            t = time.monotonic()
            pid = keycloak.start(layout)
            _say(
                say,
                f"keycloak: started pid {pid} on http://127.0.0.1:{layout.keycloak_port} "
                f"(realm maag imported) in {time.monotonic() - t:.1f}s",
            )
        else:
            _say(say, f"keycloak: already running pid {keycloak_pid} on {layout.oidc_issuer}")
    except BaseException:
        if started_kafka:
            kafka.stop(layout)
        if started_pg:
            postgres.stop(layout)
        raise
    _say(say, f"logs: {layout.logs}")
    _say(say, f"export KAFKA_BOOTSTRAP_SERVERS={layout.kafka_bootstrap}")
    _say(say, f"export MAAG_POSTGRES_URL={layout.postgres_url}")
    _say(say, f"export MAAG_OIDC_ISSUER={layout.oidc_issuer}")


def down(layout: Layout, say: object = print) -> None:
    _say(
        say,
        "keycloak: stopped"
        if keycloak.stop(layout)
        else "keycloak: not started by maag, left alone",
    )
    _say(say, "kafka: stopped" if kafka.stop(layout) else "kafka: not started by maag, left alone")
    _say(
        say,
        "postgres: stopped"
        if postgres.stop(layout)
        else "postgres: not started by maag, left alone",
    )


def status(layout: Layout, say: object = print) -> bool:
    pid = kafka.running(layout)
    pg = postgres.running()
    kc = keycloak.running(layout)
    _say(
        say, f"kafka: {'running pid ' + str(pid) if pid else 'stopped'} ({layout.kafka_bootstrap})"
    )
    _say(say, f"postgres: {'running' if pg else 'stopped'} (127.0.0.1:{layout.pg_port})")
    _say(
        say,
        f"keycloak: {'running pid ' + str(kc) if kc else 'stopped'} ({layout.oidc_issuer})",
    )
    return pid is not None and pg and kc is not None


def _say(say: object, text: str) -> None:
    if callable(say):
        say(text)


def main(argv: list[str]) -> int:
    import sys

    if len(argv) != 1 or argv[0] not in {"up", "down", "status"}:
        print("usage: infra.sh up|down|status", file=sys.stderr)
        return 2
    layout = Layout.from_env()
    try:
        if argv[0] == "up":
            up(layout)
        elif argv[0] == "down":
            down(layout)
        else:
            return 0 if status(layout) else 3
    except InfraError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
