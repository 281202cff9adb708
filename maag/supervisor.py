"""Runs each service in a process of its own and stops them together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import httpx

from maag.service_registry import SERVICES

Say = Callable[[str], None]


def run_services(names: Sequence[str], say: Say = print) -> int:
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "maag.cli", "serve", name],
            env={**os.environ, "MAAG_HTTP_PORT": str(SERVICES[name][1])},
        )
        for name in names
    }
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    announced = False
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    say(f"{name} exited with code {proc.returncode}; stopping the others")
                    stopping = True
            if not stopping and not announced and _all_ready(names):
                announce(names, say)
                announced = True
            time.sleep(0.5)
    finally:
        say("stopping the services...")
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return max((p.returncode or 0 for p in procs.values()), default=0)


def _url(name: str) -> str:
    return f"http://127.0.0.1:{SERVICES[name][1]}"


def _all_ready(names: Sequence[str]) -> bool:
    for name in names:
        if not SERVICES[name][1]:
            continue
        try:
            if httpx.get(f"{_url(name)}/readyz", timeout=2).status_code != 200:
                return False
        except httpx.HTTPError:
            return False
    return True


def announce(names: Sequence[str], say: Say) -> None:
    """Where everything is, and what reference data the services seeded."""
    say("")
    say("MAAG is up. API docs:")
    for name in names:
        if SERVICES[name][1]:
            say(f"  {name:<14} {_url(name)}/docs")
    if "mailbox" in names:
        from maag.infra.mailbox import HTTP_PORT

        say(f"  {'mailbox':<14} http://127.0.0.1:{HTTP_PORT}/  (SMTP on 127.0.0.1:1025)")
    try:
        for line in seeded(names):
            say(line)
    except (httpx.HTTPError, ValueError, KeyError) as e:
        say(f"(could not summarise the reference data: {e!r})")
    say("")
    say("Next: `maag demo` in another terminal drives three cases through. Ctrl-C stops all.")


def seeded(names: Sequence[str]) -> list[str]:
    from contracts.reference import QUADRANT_OF
    from maag.runtime.auth import TokenVerifier
    from maag.runtime.settings import Settings

    settings = Settings.from_env()
    verifier = TokenVerifier(settings.jwt_secret, settings.jwt_issuer)

    def as_(role: str, agency: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {verifier.issue('maag-up', role, agency, 60)}"}

    panel_member = as_("panel-member", "social-care")
    commissioner = as_("commissioner", "childrens-services")
    quadrants = len(set(QUADRANT_OF.values()))
    lines = [f"Reference data: {len(QUADRANT_OF)} districts in {quadrants} quadrants"]
    if "panel" in names:
        for panel in ("maag", "earp", "jap"):
            meetings = httpx.get(
                f"{_url('panel')}/meetings", params={"panel": panel}, headers=panel_member
            ).json()
            where = len({m["district"] for m in meetings}) if panel == "maag" else 1
            first = meetings[0]["starts_at"][:16].replace("T", " ") if meetings else "none"
            lines.append(
                f"  {panel.upper():<5} {where:>2} panel(s) scheduled ahead; next meeting {first}"
            )
    if "commissioning" in names:
        providers = httpx.get(f"{_url('commissioning')}/providers", headers=commissioner).json()
        lines.append(f"  providers: {', '.join(p['provider_id'] for p in providers)}")
        lines.append("  budgets: each district's MAAG, the EARP and the JAP, this financial year")
    return lines
