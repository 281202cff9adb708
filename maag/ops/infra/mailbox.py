"""A real SMTP server for local use and tests: keeps every message it accepts as an .eml
file, refuses recipients it is told to (to rehearse permanent failures), and answers as
slowly as a mail relay some way off when told to (`--reply-delay-ms`).

    maag mailbox serve [--port 1025] [--reply-delay-ms N]    (started by `maag run`)
    maag mailbox list | maag mailbox show N
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import threading
import time
from email.message import Message
from email.policy import default
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DEFAULT_DIR = Path(".maag/mail")
HTTP_PORT = 8025  # the page where the local mailbox's messages can be read


class _Handler:
    def __init__(self, directory: Path, reject: set[str], reply_delay: float = 0.0) -> None:
        self.directory = directory
        self.reject = reject
        self.reply_delay = reply_delay  # seconds added before each reply to MAIL, RCPT, DATA
        self.count = 0
        self.lock = threading.Lock()

    async def _far(self) -> None:
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        await self._far()
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        await self._far()
        if address.lower() in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._far()
        with self.lock:
            self.count += 1
            name = f"{time.time_ns()}-{os.getpid()}-{self.count}.eml"
        # Written aside and renamed: whoever lists the mailbox sees a message whole or not at
        # all, never a file still empty (a reader that looked then would miss it for good).
        part = self.directory / f".{name}.part"
        part.write_bytes(envelope.original_content or envelope.content)
        os.replace(part, self.directory / name)
        return "250 Message accepted for delivery"


def serve(
    host: str,
    port: int,
    directory: Path,
    reject: set[str] | None = None,
    http_port: int | None = None,
    reply_delay_ms: int = 0,
) -> None:
    from aiosmtpd.controller import Controller

    directory.mkdir(parents=True, exist_ok=True)
    handler = _Handler(directory, {r.lower() for r in reject or set()}, reply_delay_ms / 1000)
    controller = Controller(handler, hostname=host, port=port)
    controller.start()
    web = page_server(host, http_port, directory) if http_port is not None else None
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    where = f", read at http://{host}:{web.server_address[1]}/" if web else ""
    print(f"mailbox: SMTP on {host}:{port}, keeping mail in {directory}{where}", flush=True)
    stopped.wait()
    if web is not None:
        web.shutdown()
    controller.stop()


def page_server(host: str, port: int, directory: Path) -> ThreadingHTTPServer:
    """A read-only page of what arrived (newest first), and each message as received."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = list(reversed(messages(directory)))
            if self.path.startswith("/messages/"):
                name = self.path.removeprefix("/messages/")
                match = [p for p, _ in found if p.name == name]
                if not match:
                    self.send_error(404, "no such message")
                    return
                self._send("text/plain; charset=utf-8", match[0].read_bytes())
                return
            rows = "".join(
                f"<tr><td>{escape(str(m['Date']))}</td><td>{escape(str(m['To']))}</td>"
                f'<td><a href="/messages/{p.name}">{escape(str(m["Subject"]))}</a></td></tr>'
                for p, m in found
            )
            body = (
                "<!doctype html><title>MAAG local mailbox</title>"
                f"<h1>MAAG local mailbox: {len(found)} message(s)</h1>"
                "<table border=1 cellpadding=4><tr><th>Date</th><th>To</th><th>Subject</th></tr>"
                f"{rows}</table>"
            )
            self._send("text/html; charset=utf-8", body.encode())

        def _send(self, content_type: str, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


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
        http_port=int(os.environ.get("MAAG_MAILBOX_HTTP_PORT", str(HTTP_PORT))),
    )
