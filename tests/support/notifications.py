"""The notifications service in integration tests: a real SMTP mailbox as a process (refusing
one address), and waiting until every record it was sent is handled and every email asked
for is sent or failed."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from email.message import Message
from pathlib import Path

from maag.ops.infra.mailbox import messages
from services.notifications.adapters.smtp import TRACKING
from services.notifications.service import NotificationsService
from tests.support.waiting import consumed_to_end, follower_caught_up

REJECTED = "nobody@school.example"


class Mailbox:
    def __init__(self, port: int, directory: Path) -> None:
        self.port, self.directory = port, directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maag.ops.cli",
                "mailbox",
                "serve",
                "--port",
                str(self.port),
                "--directory",
                str(self.directory),
                "--reject",
                REJECTED,
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("mailbox did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def received(self) -> list[Message]:
        return [m for _, m in messages(self.directory)]


async def all_handled(service: NotificationsService, bootstrap: str) -> None:
    """Every record on its topics handled, and every email asked for sent or failed."""
    await consumed_to_end(service.consumer, bootstrap)
    await follower_caught_up(service.app, lambda: service.app.position(TRACKING), "sender")
