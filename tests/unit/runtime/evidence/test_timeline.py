"""A stored event described for an auditor: who, basis, cause and the stable event id;
the child's details withheld; JSON both ways."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import fields
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from maag.ops.audit.render import text
from maag.runtime import causation
from maag.runtime.evidence.timeline import Entry, describe, merge, replay
from services.panel.audit import AUDIT as PANEL
from services.panel.domain.case import PanelCase
from services.referral.audit import AUDIT as REFERRAL
from services.referral.domain.referral import Referral

ACTOR = {"user_id": "u-1", "role": "referrer", "agency": "education"}


def received(case_id: uuid.UUID) -> Referral:
    return Referral(
        case_id=case_id,
        details={"child": {"given_name": "Zebedee", "date_of_birth": "2014-03-09"}},  # as v1
        fingerprint="f",
        channel="http",
        sealed_child="c2VhbGVk",
    )


def test_the_childs_details_are_withheld_and_the_actor_and_id_kept() -> None:
    case_id = uuid.uuid4()
    referral = received(case_id)
    (event,) = referral.collect_events()
    request = causation.of_request("POST", "/referrals", "c-1")
    with causation.caused_by(request), causation.acting(ACTOR, "c-1"):
        causation.give([event])  # what the runtime gives a command's events
    e = describe("referral", case_id, event, REFERRAL)
    assert e.event == "Referral.Received" and e.actor == ACTOR and e.agency == "education"
    assert "Zebedee" not in repr(e.to_json()) and "2014-03-09" not in repr(e.to_json())
    assert e.details["details"].startswith("[withheld")
    assert e.details["sealed_child"].startswith("[withheld")
    assert e.details["fingerprint"] == "[withheld]"  # it could confirm a guessed child
    assert e.event_id == causation.event_id("referral", case_id, 1)
    assert e.caused_by == {"request": "POST /referrals", "correlation_id": "c-1"}
    assert Entry.from_json(e.to_json()) == e


def test_an_entry_sent_as_json_carries_every_field() -> None:
    """`to_json` names its fields one by one (for speed): a field added to `Entry` must be
    added there too, or it would never reach the auditor."""
    case_id = uuid.uuid4()
    (event,) = received(case_id).collect_events()
    sent = describe("referral", case_id, event, REFERRAL).to_json()
    assert set(sent) == {f.name for f in fields(Entry)} | {"agency"}


def test_the_basis_is_the_justification_or_the_reason() -> None:
    escalated: Any = PanelCase.Escalated  # built as the store would build it
    event = escalated(
        originator_id=uuid.uuid4(),
        originator_version=3,
        timestamp=datetime.now(UTC),
        district="maldon",
        panel="maag",
        meeting_id=uuid.uuid4(),
        to_panel="earp",
        reason="risk rising",
        justification="exclusion imminent",
    )
    e = describe("panel", uuid.uuid4(), event, PANEL)
    assert e.basis == "exclusion imminent" and e.details["reason"] == "risk rising"
    assert e.details["to_panel"] == "earp" and isinstance(e.details["meeting_id"], str)


def test_the_text_shows_entries_in_order_and_the_state() -> None:
    case_id = uuid.uuid4()
    (event,) = received(case_id).collect_events()
    causation.give([event], {causation.ACTOR: ACTOR})
    replay = merge(case_id, [describe("referral", case_id, event, REFERRAL)])
    shown = text(replay)
    assert f"Case {case_id}: 1 events" in shown and "Referral.Received" in shown
    assert "by u-1 (referrer, education)" in shown and "status:            received" in shown
    assert "Zebedee" not in shown


def test_the_services_parts_are_asked_at_once() -> None:
    """Each part waits for the other to be asked: asked one after another, the first would
    wait out the barrier's timeout and fail."""
    together = threading.Barrier(2, timeout=10)

    def part(case_id: uuid.UUID) -> list[Entry]:
        together.wait()
        return []

    found = replay(uuid.uuid4(), {"referral": part, "panel": part})
    assert found.entries == []


def test_the_parts_over_http_share_one_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client made per call loads the certificate store each time (some 25 ms of CPU, three
    times a timeline): the parts are asked through one client, its connections kept."""
    from maag.runtime.evidence import timeline

    class Answers(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"entries": []}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    made: list[httpx.Client] = []
    real = httpx.Client.__init__

    def counted(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        made.append(self)
        real(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counted)
    monkeypatch.setattr(timeline, "_client", None)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        parts = timeline.parts_over_http({"panel": url, "commissioning": url}, "t")
        for _ in range(3):
            assert replay(uuid.uuid4(), parts).entries == []
    finally:
        server.shutdown()
        server.server_close()
    assert len(made) == 1
