"""The local mailbox's read-only page: what arrived, newest first, and each as received."""

from __future__ import annotations

from pathlib import Path

import httpx

from maag.ops.infra.mailbox import page_server

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
