"""The local mailbox: what arrives is kept whole, and its read-only page shows what arrived,
newest first, and each as received; told to, it answers as late as a relay some way off."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiosmtplib
import httpx
import pytest
from aiosmtpd.controller import Controller

from maag.ops.infra.mailbox import _Handler, page_server
from tests.support.net import free_port

MESSAGE = (
    b"From: maag@localhost\r\nTo: lee@school.example\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
    b"Subject: MAAG case MAAG-1234ABCD: you are the lead professional <b>\r\n\r\nHello\r\n"
)


def test_the_page_lists_messages_and_shows_each(tmp_path: Path) -> None:
    (tmp_path / "1-1-1.eml").write_bytes(MESSAGE)
    server = page_server("127.0.0.1", 0, tmp_path)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = httpx.get(f"{base}/").text
        assert "1 message(s)" in page and "lee@school.example" in page
        assert "you are the lead professional &lt;b&gt;" in page  # escaped, not markup
        assert httpx.get(f"{base}/messages/1-1-1.eml").content == MESSAGE
        assert httpx.get(f"{base}/messages/nope.eml").status_code == 404
    finally:
        server.shutdown()


def test_a_message_appears_whole_or_not_at_all(tmp_path: Path, monkeypatch: Any) -> None:
    """Whoever lists the mailbox while a message is being written must not find it empty:
    it is written under another name and renamed."""
    written: list[str] = []
    write = Path.write_bytes

    def recording(path: Path, data: bytes) -> int:
        written.append(path.name)
        assert not list(tmp_path.glob("*.eml"))  # nothing listed while it is written
        return write(path, data)

    monkeypatch.setattr(Path, "write_bytes", recording)
    handler = _Handler(tmp_path, set())
    envelope = SimpleNamespace(original_content=MESSAGE, content=MESSAGE)
    assert asyncio.run(handler.handle_DATA(None, None, envelope)).startswith("250")
    assert written and not any(name.endswith(".eml") for name in written)
    [message] = tmp_path.glob("*.eml")
    assert message.read_bytes() == MESSAGE


def test_a_mailbox_told_to_answer_late_answers_mail_rcpt_and_data_that_late(
    tmp_path: Path,
) -> None:
    handler = _Handler(tmp_path, {"gone@school.example"}, reply_delay=0.05)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()

    async def exchange() -> tuple[float, float]:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=controller.port) as smtp:
            loop = asyncio.get_running_loop()
            started = loop.time()
            await smtp.sendmail("maag@localhost", ["lee@school.example"], MESSAGE)
            sent = loop.time() - started
            started = loop.time()
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
                await smtp.sendmail("maag@localhost", ["gone@school.example"], MESSAGE)
            return sent, loop.time() - started

    try:
        sent, refused = asyncio.run(exchange())
    finally:
        controller.stop()
    assert sent >= 3 * 0.05  # MAIL, RCPT and DATA each answered 50 ms late
    assert refused >= 2 * 0.05  # a refusal as late as any other answer
    [kept] = tmp_path.glob("*.eml")
    assert kept.read_bytes().endswith(b"Hello\r\n")
