"""Keycloak, the local OpenID Connect provider, from its distribution zip on Maven Central.

It runs in development mode with an in-memory database: every start imports the realm from
`deploy/keycloak/maag-realm.json` afresh, so the file is the whole truth about who exists.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from maag.ops.infra.kafka import DEPENDENCY_PLUGIN
from maag.ops.infra.layout import InfraError, Layout
from maag.ops.infra.processes import (
    alive,
    port_open,
    read_pid,
    require_tool,
    started,
    stop_recorded,
)

REALM_FILE = Path(__file__).resolve().parents[3] / "deploy" / "keycloak" / "maag-realm.json"
ADMIN_USER = "admin"
JAVA_HINT = "Install Java 17+ (Debian: `apt-get install -y openjdk-17-jre-headless`)."
MVN_HINT = "Install Maven (Debian: `apt-get install -y maven`); it fetches Keycloak's zip."


def management_port(layout: Layout) -> int:
    return layout.keycloak_port + 1000


def fetch(layout: Layout) -> Path:
    """The unpacked distribution in the cache (fetched and unpacked once)."""
    home = layout.keycloak_home
    done = home / ".complete"
    if done.exists():
        return home
    mvn = require_tool("mvn", MVN_HINT)
    log = layout.logs / "keycloak-fetch.log"
    artifact = f"org.keycloak:keycloak-quarkus-dist:{layout.keycloak_version}:zip"
    with log.open("w") as out:
        result = subprocess.run(
            [
                mvn,
                "-B",
                "-q",
                f"-Dmaven.repo.local={layout.cache / 'm2'}",
                f"{DEPENDENCY_PLUGIN}:copy",
                f"-Dartifact={artifact}",
                f"-DoutputDirectory={layout.cache}",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    archive = layout.cache / f"keycloak-quarkus-dist-{layout.keycloak_version}.zip"
    if result.returncode != 0 or not archive.exists():
        raise InfraError(
            f"Maven could not fetch {artifact} (exit {result.returncode}). "
            f"See {log}; Maven Central must be reachable."
        )
    shutil.rmtree(home, ignore_errors=True)
    with zipfile.ZipFile(archive) as z:
        z.extractall(layout.cache)
    if not (home / "bin" / "kc.sh").exists():
        raise InfraError(f"{archive} did not unpack to {home}.")
    for script in (home / "bin").glob("*.sh"):  # zipfile drops the executable bits
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP)
    archive.unlink()
    done.write_text(layout.keycloak_version)
    return home


def pid_file(layout: Layout) -> Path:
    return layout.run / "keycloak.pid"


def running(layout: Layout) -> int | None:
    pid = read_pid(pid_file(layout))
    return pid if pid is not None and alive(pid, str(layout.keycloak_home)) else None


def check_can_start(layout: Layout) -> None:
    require_tool("java", JAVA_HINT)
    if not (layout.keycloak_home / ".complete").exists():
        require_tool("mvn", MVN_HINT)
    if not REALM_FILE.exists():
        raise InfraError(f"{REALM_FILE} is missing; `maag identity realm` writes it.")
    for port, var in (
        (layout.keycloak_port, "MAAG_KEYCLOAK_PORT"),
        (management_port(layout), "MAAG_KEYCLOAK_PORT (its management port is that + 1000)"),
    ):
        if port_open(port):
            raise InfraError(
                f"Port {port} on 127.0.0.1 is already taken by another process; "
                f"stop it or choose another port with {var}=<port>."
            )


def realm_ready(layout: Layout) -> bool:
    url = f"{layout.oidc_issuer}/.well-known/openid-configuration"
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(layout: Layout, timeout: float = 180.0) -> int:
    home = fetch(layout)
    imports = home / "data" / "import"
    shutil.rmtree(imports, ignore_errors=True)
    imports.mkdir(parents=True)
    shutil.copy(REALM_FILE, imports / REALM_FILE.name)
    log = layout.logs / "keycloak.log"
    base = f"http://127.0.0.1:{layout.keycloak_port}"
    env = {
        **os.environ,
        "KC_BOOTSTRAP_ADMIN_USERNAME": ADMIN_USER,
        "KC_BOOTSTRAP_ADMIN_PASSWORD": layout.keycloak_admin_password,
        "JAVA_OPTS_KC_HEAP": "-Xms128m -Xmx768m",
    }
    with log.open("a") as out:
        proc = subprocess.Popen(
            [
                str(home / "bin" / "kc.sh"),
                "start-dev",
                "--db=dev-mem",
                "--import-realm",
                "--http-host=127.0.0.1",
                f"--http-port={layout.keycloak_port}",
                f"--http-management-port={management_port(layout)}",
                f"--hostname={base}",
                "--health-enabled=true",
                # Keycloak 26 refuses a person's second sign-in while their first is in flight
                # when brute-force protection is on (keycloak/keycloak#33527), which parallel
                # tests and a person with two tabs both do; failed passwords still lock out.
                "--spi-brute-force-protector--default-brute-force-detector--allow-concurrent-requests=true",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # outlives the shell that started it
        )
    pid_file(layout).write_text(f"{proc.pid}\n")

    return started(
        proc, "Keycloak", log, lambda: realm_ready(layout), timeout, lambda: stop(layout)
    )


def stop(layout: Layout) -> bool:
    return stop_recorded(pid_file(layout), str(layout.keycloak_home))
