"""Server-drawn charts; sessions that end when idle; settings refused plainly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from maag.runtime.settings import Settings, SettingsError
from services.web.charts import bar_chart, money
from services.web.sessions import SESSIONS, Sessions, SignedIn
from services.web.settings import WebSettings


def test_a_bar_chart_is_labelled_svg_with_its_values_escaped() -> None:
    svg = bar_chart("Spend <by> panel", [("earp", 50_000), ("maag:<x>", 100_000)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="chart-title">Spend &lt;by&gt; panel</title>' in svg
    assert "maag:&lt;x&gt;" in svg and "£1,000" in svg and "£500" in svg
    assert money(123_456) == "£1,235"


def _who() -> SignedIn:
    return SignedIn(
        "u", "U", ("referrer",), "education", "access-token", None, "id", time.time() + 60
    )


def _store(tmp: Path) -> Engine:
    return create_engine(f"sqlite:///{tmp / 'web.sqlite'}")


def test_a_session_ends_when_idle_and_on_sign_out(tmp_path: Path) -> None:
    sessions = Sessions(_store(tmp_path), idle_seconds=60, secret="s")
    sid = sessions.start(_who())
    opened = sessions.open(sid)
    assert opened is not None and sessions.open("forged") is None
    with _store(tmp_path).begin() as c:  # an hour ago
        c.execute(SESSIONS.update().values(last_used=time.time() - 61))
    assert sessions.open(sid) is None  # idle too long
    again = sessions.start(_who())
    ended = sessions.end(again)
    assert ended is not None and ended.id_token == "id" and sessions.open(again) is None


def test_a_session_is_kept_sealed_under_a_hash_of_its_id_and_outlives_the_process(
    tmp_path: Path,
) -> None:
    sid = Sessions(_store(tmp_path), 60, "s").start(_who())
    with _store(tmp_path).connect() as c:
        (row,) = c.execute(SESSIONS.select()).all()
    assert sid not in row.id_hash and b"access-token" not in row.sealed  # neither usable
    restarted = Sessions(_store(tmp_path), 60, "s")  # another replica, or after a restart
    opened = restarted.open(sid)
    assert opened is not None and opened.who.access_token == "access-token"
    opened.who.wrote("panel", "9")  # a request's write: kept when its response starts
    restarted.keep(opened)
    again = Sessions(_store(tmp_path), 60, "s").open(sid)
    assert again is not None and again.who.written == {"panel": 9}
    assert Sessions(_store(tmp_path), 60, "another secret").open(sid) is None


def test_a_person_s_reads_go_as_far_as_their_latest_write_and_a_bad_position_is_ignored() -> None:
    who = _who()
    who.wrote("panel", "12")
    who.wrote("panel", "7")  # an answer arriving late does not move them back
    for bad in (None, "", "-3", "1e9", "١٢"):
        who.wrote("panel", bad)
        who.wrote("referral", bad)
    assert who.written == {"panel": 12}


def test_the_web_app_refuses_to_start_without_its_secret_or_the_services() -> None:
    base = Settings(oidc_issuer="http://127.0.0.1:8180/realms/maag")
    with pytest.raises(SettingsError, match="MAAG_WEB_CLIENT_SECRET is required"):
        WebSettings.of(base, {})
    with pytest.raises(SettingsError, match="MAAG_SERVICE_URLS lacks"):
        WebSettings.of(base, {"MAAG_WEB_CLIENT_SECRET": "s"})
    urls = {s: "http://x" for s in ("referral", "panel", "commissioning", "notifications")}
    ws = WebSettings.of(
        Settings(oidc_issuer="http://127.0.0.1:8180/realms/maag", service_urls=urls),
        {"MAAG_WEB_CLIENT_SECRET": "s"},
    )
    assert not ws.secure_cookies and ws.port == 8010  # plain HTTP only on the local address
    with pytest.raises(SettingsError, match="MAAG_WEB_SESSION_MINUTES"):
        WebSettings.of(
            ws_base(urls), {"MAAG_WEB_CLIENT_SECRET": "s", "MAAG_WEB_SESSION_MINUTES": "0"}
        )


def ws_base(urls: dict[str, str]) -> Settings:
    return Settings(oidc_issuer="http://127.0.0.1:8180/realms/maag", service_urls=urls)


def test_a_page_read_beside_a_write_does_not_put_back_what_the_write_replaced(
    tmp_path: Path,
) -> None:
    sessions = Sessions(_store(tmp_path), 3600, "s")
    sid = sessions.start(_who())
    writing, reading = sessions.open(sid), sessions.open(sid)  # two requests at once
    assert writing is not None and reading is not None
    writing.who.wrote("referral", "41")
    sessions.keep(writing)
    reading.who.last_used -= 120  # due to be marked used: it changed nothing else
    sessions.keep(reading)
    kept = sessions.open(sid)
    assert kept is not None and kept.who.written == {"referral": 41}
