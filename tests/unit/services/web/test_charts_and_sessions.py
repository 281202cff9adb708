"""Server-drawn charts; sessions that end when idle; settings refused plainly."""

from __future__ import annotations

import time

import pytest

from maag.runtime.settings import Settings, SettingsError
from services.web.charts import bar_chart, money
from services.web.sessions import Sessions, SignedIn
from services.web.settings import WebSettings


def test_a_bar_chart_is_labelled_svg_with_its_values_escaped() -> None:
    svg = bar_chart("Spend <by> panel", [("earp", 50_000), ("maag:<x>", 100_000)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="chart-title">Spend &lt;by&gt; panel</title>' in svg
    assert "maag:&lt;x&gt;" in svg and "£1,000" in svg and "£500" in svg
    assert money(123_456) == "£1,235"


def _who() -> SignedIn:
    return SignedIn("u", "U", ("referrer",), "education", "t", None, None, time.time() + 60)


def test_a_session_ends_when_idle_and_on_sign_out() -> None:
    sessions = Sessions(idle_seconds=60)
    sid = sessions.start(_who())
    assert sessions.get(sid) is not None and sessions.get("forged") is None
    sessions.get(sid).last_used -= 61  # type: ignore[union-attr]
    assert sessions.get(sid) is None  # idle too long
    again = sessions.start(_who())
    assert sessions.end(again) is not None and sessions.get(again) is None


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
