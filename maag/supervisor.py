"""Runs each service in a process of its own and stops them together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from maag.service_registry import SERVICES


def run_services(names: Sequence[str], say: object = print) -> int:
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-m", "maag.cli", "serve", name],
            env={**os.environ, "MAAG_HTTP_PORT": str(SERVICES[name][1])},
        )
        for name in names
    }
    if callable(say):
        for name in names:
            port = SERVICES[name][1]
            say(
                f"{name}: "
                + (
                    f"http://127.0.0.1:{port}/docs"
                    if port
                    else "smtp://127.0.0.1:1025 (maag mailbox list)"
                )
            )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    if callable(say):
                        say(f"{name} exited with code {proc.returncode}; stopping the others")
                    stopping = True
            time.sleep(0.5)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return max((p.returncode or 0 for p in procs.values()), default=0)
