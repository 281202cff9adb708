"""Runs each service in a process of its own, restarts one that exits, and stops them together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from maag.ops.deployment import process_env
from maag.ops.identity.realm import local_web_env
from maag.services import MAILBOX, SPECS, WEB, WEB_PORT, settings_from_env

Say = Callable[[str], None]


def serve_command(name: str) -> list[str]:
    return [sys.executable, "-m", "maag.ops.cli", "serve", name]


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen[bytes]
    started: float
    fast_failures: int = 0
    restart_at: float | None = None


@dataclass(frozen=True)
class RestartPolicy:
    """A service that exits is started again after a pause that doubles from `first` to
    `cap`; one that fails `give_up_after` times in a row, each within `fast_seconds` of its
    start, is broken rather than unlucky, and the supervisor stops everything and says so."""

    first: float = 1.0
    cap: float = 30.0
    fast_seconds: float = 30.0
    give_up_after: int = 5

    def pause(self, failures: int) -> float:
        return float(min(self.first * 2 ** max(failures - 1, 0), self.cap))


def run_services(
    names: Sequence[str],
    say: Say = print,
    *,
    command: Callable[[str], list[str]] = serve_command,
    policy: RestartPolicy = RestartPolicy(),
    stop_event: threading.Event | None = None,
    env_of: Callable[[str], dict[str, str]] = lambda _: {},
) -> int:
    """`env_of(name)`: what a process's environment has besides this one's."""

    def start(name: str) -> _Child:
        port = SPECS[name].port if name in SPECS else 0
        # each process given only its own keys (SECRETS), as a pod is
        env = process_env(name, {**os.environ, **env_of(name)})
        if port:
            env["MAAG_HTTP_PORT"] = str(port)
        if name == WEB:
            env = {**local_web_env(), **env}
        return _Child(name, subprocess.Popen(command(name), env=env), time.monotonic())

    children = {name: start(name) for name in names}
    stop_event = stop_event or threading.Event()
    gave_up: str | None = None
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: stop_event.set())
    announced = False
    try:
        while not stop_event.is_set() and gave_up is None:
            now = time.monotonic()
            for child in children.values():
                if child.restart_at is not None:
                    if now >= child.restart_at:
                        say(f"{child.name}: starting again")
                        fresh = start(child.name)
                        child.proc, child.started, child.restart_at = (
                            fresh.proc,
                            fresh.started,
                            None,
                        )
                    continue
                code = child.proc.poll()
                if code is None:
                    continue
                fast = now - child.started < policy.fast_seconds
                child.fast_failures = child.fast_failures + 1 if fast else 1
                if child.fast_failures >= policy.give_up_after:
                    gave_up = child.name
                    say(
                        f"{child.name} exited with code {code}: failure {child.fast_failures} in "
                        f"a row within {policy.fast_seconds:.0f}s of starting; "
                        "giving up and stopping the others (its log says why)"
                    )
                    break
                pause = policy.pause(child.fast_failures)
                child.restart_at = now + pause
                say(f"{child.name} exited with code {code}; restarting it in {pause:g}s")
            if gave_up is None and not announced and _all_ready(names):
                announce(names, say)
                announced = True
            stop_event.wait(0.2)
    finally:
        say("stopping the services...")
        running = [c.proc for c in children.values() if c.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    if gave_up is not None:
        return children[gave_up].proc.returncode or 1
    return max((c.proc.returncode or 0 for c in children.values()), default=0)


def _url(name: str) -> str:
    port = WEB_PORT if name == WEB else SPECS[name].port
    return f"http://127.0.0.1:{port}"


def _all_ready(names: Sequence[str]) -> bool:
    for name in names:
        if name == MAILBOX:
            continue  # no readiness to ask
        if name not in SPECS and name != WEB:
            return False  # not a service this supervisor knows how to ask
        try:
            if httpx.get(f"{_url(name)}/readyz", timeout=2).status_code != 200:
                return False
        except httpx.HTTPError:
            return False
    return True


def announce(names: Sequence[str], say: Say) -> None:
    """Where everything is, and what reference data the services seeded."""
    say("")
    if WEB in names:
        say(f"MAAG is up. Sign in at {_url(WEB)}/ (seeded people: see the README).")
    say("API docs:")
    for name in names:
        if name in SPECS:
            say(f"  {name:<14} {_url(name)}/docs")
    if MAILBOX in names:
        from maag.ops.infra.mailbox import HTTP_PORT

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
    from maag.ops.identity.tokens import Tokens

    settings = settings_from_env()
    tokens = Tokens(settings.oidc_issuer or "")

    def as_(user: str) -> dict[str, str]:  # seeded people (maag.ops.identity.realm)
        return {"Authorization": f"Bearer {tokens.person(user)}"}

    panel_member = as_("auditor-1")  # reads every panel's meetings
    commissioner = as_("commissioner-1")
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
