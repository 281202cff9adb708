"""A real SMTP server for local use and tests: keeps every message it accepts as an .eml
file, and refuses recipients it is told to (to rehearse permanent failures).

    maag mailbox serve [--port 1025]    (started by `maag run`)
    maag mailbox list | maag mailbox show N
"""

from __future__ import annotations

import email
import os
import signal
import threading
import time
from email.message import Message
from email.policy import default
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(".maag/mail")


class _Handler:
    def __init__(self, directory: Path, reject: set[str]) -> None:
        self.directory = directory
        self.reject = reject
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
            name = f"{time.time_ns()}-{os.getpid()}-{self.count}.eml"
        (self.directory / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def serve(host: str, port: int, directory: Path, reject: set[str] | None = None) -> None:
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    handler = _Handler(directory, {r.lower() for r in reject or set()})
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    print(f"mailbox: SMTP on {host}:{port}, keeping mail in {directory}", flush=True)
    stopped.wait()
    controller.stop()


def messages(directory: Path = DEFAULT_DIR) -> list[tuple[Path, Message]]:
    files = sorted(directory.glob("*.eml")) if directory.exists() else []
    return [(f, email.message_from_bytes(f.read_bytes(), policy=default)) for f in files]


def main(settings: Any) -> None:
    """`maag run` entry: the local mailbox on the SMTP port the services are told to use."""
    serve(
        settings.smtp_host,
        settings.smtp_port,
        DEFAULT_DIR,
        {a for a in os.environ.get("MAAG_MAILBOX_REJECT", "").split(",") if a},
    )
