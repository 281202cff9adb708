"""The package as the image installs it (no Docker engine here, so the Dockerfile's two pip
steps in a clean virtualenv): the runtime lock's pins, checked against their hashes, then the
wheel built from this checkout without resolving anything. It holds the versions the tests
run with, and starts every process — each service until its /readyz answers 200 against the
real broker and database, and the web app — from a directory outside the checkout, so nothing
is imported from the source tree.

A module imported on a start path but listed only among the dev dependencies (as httpx once
was), or a dependency missing from the lock, fails here, as it would in the image."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from functools import partial
from importlib import metadata
from pathlib import Path

import httpx

from maag.ops.demo.client import wait_for
from maag.ops.lock import RUNTIME_LOCK, normalise
from maag.runtime.messaging import kafka
from services.web.settings import INSTALLED_ASSETS
from tests.support.system import SERVICES, System

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str | Path, cwd: Path | None = None) -> None:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}{done.stderr[-2000:]}"


def _ready(url: str) -> bool | None:
    try:
        return True if httpx.get(url, timeout=2).status_code == 200 else None
    except httpx.HTTPError:
        return None


def _installed(python: Path) -> dict[str, str]:
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    )
    return {normalise(d["name"]): d["version"] for d in json.loads(listed.stdout)}


def test_the_wheel_with_the_locked_runtime_dependencies_starts_every_process(
    tmp_path: Path, kafka_bootstrap: str, postgres_url: str, pg_schema: str, topic_prefix: str
) -> None:
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "run"
    elsewhere.mkdir()
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, ROOT)
    (wheel,) = wheels.glob("maag-*.whl")
    _run(sys.executable, "-m", "venv", venv)
    pip = venv / "bin" / "pip"
    # as the Dockerfile does: the lock with its hashes, then the wheel resolving nothing more
    _run(pip, "install", "-q", "--require-hashes", "-r", ROOT / RUNTIME_LOCK)
    _run(pip, "install", "-q", "--no-deps", wheel)
    _run(pip, "check")  # the wheel's requirements are all met by the lock
    # the image runs what the tests run: every package both hold is the same version
    image = _installed(venv / "bin" / "python")
    for name, version in image.items():
        if name not in {"maag", "pip", "setuptools"}:
            assert version == metadata.version(name), f"{name}: {version} in the image"
    # the dev extra's packages are not there
    for dev_only in ("pytest", "playwright", "hypothesis"):
        probe = subprocess.run([venv / "bin" / "python", "-c", f"import {dev_only}"], cwd=elsewhere)
        assert probe.returncode != 0, f"{dev_only} is installed: not a runtime-only install"

    asyncio.run(kafka.ensure_topics(kafka_bootstrap, topic_prefix))
    system = System(
        tmp_path,
        kafka_bootstrap,
        postgres_url,
        pg_schema,
        topic_prefix,
        command=[str(venv / "bin" / "maag")],
        cwd=elsewhere,
    )
    system.env["MAAG_WEB_ASSETS"] = str(INSTALLED_ASSETS)  # the image copies them in
    try:
        system.start()
        for name in SERVICES:
            readyz = f"{system.url(name)}/readyz"
            wait_for(f"{name} from the wheel ready", partial(_ready, readyz))
        wait_for("the web app from the wheel", lambda: _ready(f"{system.url('web')}/healthz"))
        page = httpx.get(f"{system.url('web')}/", timeout=5)
        assert page.status_code == 200 and "govuk-template" in page.text
        css = httpx.get(f"{system.url('web')}/govuk/govuk-frontend.min.css", timeout=5)
        assert css.status_code == 200
    except Exception:
        print(system.logs()[-5000:])
        raise
    finally:
        system.stop()
