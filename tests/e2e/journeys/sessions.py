"""A person stays signed in across the web app's restarts and replicas: their session is in
PostgreSQL, not in one process's memory."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from maag.ops.demo.client import wait_for
from tests.support.system import System
from tests.support.web import person, sign_in, up


def test_the_web_app_killed_and_restarted_mid_journey_signs_nobody_out(
    system: System, web: str, browser: Browser
) -> None:
    referrer = person(browser)
    referrer.goto(f"{web}/referrals")
    sign_in(referrer, "referrer-education")
    referrer.wait_for_url(f"{web}/referrals")
    expect(referrer.get_by_role("button", name="Sign out")).to_be_visible()
    # from here, any trip to the identity provider would sign them in again unseen (its own
    # session lives on): so none may happen while they stay signed in
    trips: list[str] = []
    referrer.on("request", lambda r: trips.append(r.url) if "/openid-connect/" in r.url else None)
    system.kill("web")  # kill -9: nothing flushed
    system.start_web()
    wait_for("the web app, restarted", lambda: True if up(web) else None)
    referrer.goto(f"{web}/referrals/new")
    referrer.wait_for_url(f"{web}/referrals/new")  # not sent to the identity provider
    expect(referrer.get_by_role("heading", name="Make a referral to the MAAG")).to_be_visible()
    # a second replica (its own port; cookies on 127.0.0.1 go to any port) serves them too
    system.start_web("web-2")
    other = system.url("web-2")
    wait_for("a second replica", lambda: True if up(other) else None)
    referrer.goto(f"{other}/referrals/new")
    referrer.wait_for_url(f"{other}/referrals/new")
    expect(referrer.get_by_role("heading", name="Make a referral to the MAAG")).to_be_visible()
    assert trips == [], trips
    # signing out on one replica ends the session on every replica
    referrer.goto(f"{web}/referrals/new")
    referrer.get_by_role("button", name="Sign out").click()
    referrer.wait_for_url(f"{web}/")
    referrer.goto(f"{other}/referrals/new")
    referrer.wait_for_url(re.compile(r".*/realms/maag/protocol/openid-connect/auth.*"))
