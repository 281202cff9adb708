"""A client of the four services' HTTP APIs, acting as each kind of user.

What `maag demo` drives the system with; the end-to-end tests drive it the same way.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from maag.ops.identity.tokens import Tokens
from maag.runtime.evidence.timeline import Replay, parts_over_http, replay
from maag.services import local_urls

T = TypeVar("T")
QUORUM_AGENCIES = ("social-care", "education", "primary-health", "police", "camhs")
# Seeded people (maag.ops.identity.realm) who make each tier quorate as the county forms it
# (services/panel/domain/constitution.py), and who chairs it.
SCF_HEAD = "scf-head-1"
QUORUM: dict[str, tuple[str, ...]] = {
    "maag": tuple(f"panel-{a}" for a in QUORUM_AGENCIES),
    "earp": ("scf-commissioner-1", SCF_HEAD),
    "jap": (SCF_HEAD, "pct-commissioner-1", "adult-transition-1"),
}
CHAIRS = {"maag": "chair-1", "earp": SCF_HEAD, "jap": SCF_HEAD}
# Who the client acts as: persona -> the seeded person (maag.ops.identity.realm.PEOPLE).
PERSONAS = {
    "coordinator": "coordinator-1",
    "commissioner": "commissioner-1",
    "auditor": "auditor-1",
}


def referrer(agency: str) -> str:
    return f"referrer-{agency}"


def lead_decision(
    case_id: str, professional_id: str, name: str, agency: str, work_email: str
) -> dict[str, Any]:
    return {
        "kind": "assign-lead-professional",
        "case_id": case_id,
        "professional_id": professional_id,
        "name": name,
        "agency": agency,
        "work_email": work_email,
    }


class FlowError(AssertionError):
    """The system did not do what the flow expected (with what it said)."""


def default_urls() -> dict[str, str]:
    return local_urls()


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        try:
            if (result := check()) is not None:
                return result
        except httpx.TransportError:
            pass  # a service restarting: try again until the deadline
        if time.monotonic() > deadline:
            raise FlowError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def package_decision(
    case_id: str,
    *interventions: dict[str, Any],
    justification: str | None = None,
    alternative_to: tuple[str, ...] = (),
    funding_split: dict[str, int] | None = None,
) -> dict[str, Any]:
    """A request for a package; an EARP's or JAP's names what it avoids, a JAP's its split."""
    decision: dict[str, Any] = {
        "kind": "request-package",
        "case_id": case_id,
        "interventions": list(interventions),
    }
    if justification:
        decision["justification"] = justification
    if alternative_to:
        decision["alternative_to"] = list(alternative_to)
    if funding_split:
        decision["funding_split"] = [
            {"agency": agency, "percent": percent} for agency, percent in funding_split.items()
        ]
    return decision


def review_decision(
    case_id: str,
    package_id: str,
    decision: str,
    reason: str,
    goals: str = "partly",
    **more: Any,
) -> dict[str, Any]:
    """The panel's review of a package listed for review (continue, recommission with
    `interventions`, or decommission)."""
    return {
        "kind": "review-package",
        "case_id": case_id,
        "package_id": package_id,
        "goals": goals,
        "level_of_need_change": 0,
        "decision": decision,
        "reason": reason,
        **more,
    }


@dataclass
class Client:
    urls: dict[str, str]
    tokens: Tokens
    timeout: float = 60.0

    def _headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens.person(user)}"}

    def call(
        self,
        method: str,
        service: str,
        path: str,
        *,
        user: str,
        expect: int = 200,
        **kwargs: Any,
    ) -> Any:
        headers = {**self._headers(user), **kwargs.pop("headers", {})}
        r = httpx.request(
            method, f"{self.urls[service]}{path}", headers=headers, timeout=30.0, **kwargs
        )
        if r.status_code != expect:
            raise FlowError(f"{method} {service}{path}: HTTP {r.status_code}: {r.text}")
        return r.json() if r.content else None

    def status(self, method: str, service: str, path: str, *, user: str) -> int:
        """The status a call answers, whatever it is (to wait for someone's access)."""
        r = httpx.request(
            method, f"{self.urls[service]}{path}", headers=self._headers(user), timeout=30.0
        )
        return r.status_code

    def as_(self, persona: str, method: str, service: str, path: str, **kwargs: Any) -> Any:
        return self.call(method, service, path, user=PERSONAS[persona], **kwargs)

    def ready(self) -> None:
        for name, url in self.urls.items():

            def ready(url: str = url) -> bool | None:
                return True if httpx.get(f"{url}/readyz").status_code == 200 else None

            wait_for(f"{name} to be ready", ready, self.timeout)

    # --- a referring agency ---

    def refer(self, body: dict[str, Any], agency: str = "education") -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "POST",
            "referral",
            "/referrals",
            user=referrer(agency),
            expect=201,
            json=body,
            headers={"Idempotency-Key": f"demo-{uuid.uuid4().hex}"},
        )
        return result

    def give_consent(self, case_id: str, agency: str = "education") -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "POST",
            "referral",
            f"/referrals/{case_id}/consent",
            user=referrer(agency),
            json={
                "given_by": "parent-carer",
                "scope": ["camhs", "youth-service", "social-care"],
                "given_on": date.today().isoformat(),
                "how_obtained": "signed consent form",
            },
        )
        return result

    # --- the panel coordinator ---

    def panel_case(self, case_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self.as_("coordinator", "GET", "panel", f"/cases/{case_id}")
        return result

    def wait_listed(self, case_id: str, panel: str = "maag") -> str:
        """The meeting the case is listed on at `panel` (once the panel service has it)."""

        def listed() -> str | None:
            r = httpx.get(
                f"{self.urls['panel']}/cases/{case_id}",
                headers=self._headers(PERSONAS["coordinator"]),
            )
            if r.status_code != 200:
                return None
            case = r.json()
            if case["panel"] != panel or case["status"] != "active" or not case["listed_on"]:
                return None
            return str(case["listed_on"][-1])

        return wait_for(f"case {case_id} listed at {panel.upper()}", listed, self.timeout)

    def wait_listings(self, case_id: str, count: int) -> str:
        """The meeting of the case's `count`th listing (a review is listed when a package is
        commissioned or reviewed), once the panel service has it."""

        def listed() -> str | None:
            listed_on = self.panel_case(case_id)["listed_on"]
            return str(listed_on[count - 1]) if len(listed_on) >= count else None

        return wait_for(f"case {case_id}'s listing {count}", listed, self.timeout)

    def convene(self, case_id: str, panel: str = "maag", listing: int = 1) -> str:
        """A meeting of `panel` called for now, the case brought forward to it once its
        `listing`th listing there is made: a meeting records attendance and decisions only
        from its start, and its programme's next is days away."""
        if listing == 1:
            self.wait_listed(case_id, panel)
        else:
            self.wait_listings(case_id, listing)
        case = self.panel_case(case_id)
        starts = datetime.now(UTC) - timedelta(minutes=1)  # a service clock a little behind
        called = self.as_(
            "coordinator",
            "POST",
            "panel",
            "/meetings",
            expect=201,
            json={
                "panel": panel,
                "district": case["district"] if panel == "maag" else None,
                "starts_at": starts.isoformat(),
            },
        )
        meeting_id = str(called["meeting_id"])
        self.as_(
            "coordinator",
            "POST",
            "panel",
            f"/meetings/{meeting_id}/agenda",
            json={"case_id": case_id, "reason": "the panel meets on it today"},
        )
        return meeting_id

    def make_quorate(self, meeting_id: str, panel: str = "maag") -> None:
        for person in QUORUM[panel]:  # each attendee confirms with their own sign-in
            self.call(
                "POST",
                "panel",
                f"/meetings/{meeting_id}/attendance",
                user=person,
                json={"name": person},
            )

    def decide(
        self, meeting_id: str, decision: dict[str, Any], panel: str = "maag"
    ) -> dict[str, Any]:
        path = f"/meetings/{meeting_id}/decisions"
        result: dict[str, Any] = self.call("POST", "panel", path, user=CHAIRS[panel], json=decision)
        return result

    def assign_lead(self, case_id: str, user_id: str, name: str, agency: str, email: str) -> str:
        """The case's district MAAG meets on it, quorate, and names `user_id` its lead
        professional; the meeting's id (for more decisions on the case)."""
        meeting_id = self.convene(case_id)
        self.make_quorate(meeting_id)
        self.decide(meeting_id, lead_decision(case_id, user_id, name, agency, email))
        return meeting_id

    # --- the commissioner ---

    def packages(self, case_id: str) -> list[dict[str, Any]]:
        path = f"/cases/{case_id}/packages"
        result: list[dict[str, Any]] = self.as_("commissioner", "GET", "commissioning", path)
        return result

    def wait_packages(self, case_id: str, count: int = 1) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]] | None:
            packages = self.packages(case_id)
            return packages if len(packages) >= count else None

        return wait_for(f"{count} package(s) for case {case_id}", found, self.timeout)

    # --- what was sent; what an auditor sees ---

    def notifications(self, case_id: str) -> list[dict[str, Any]]:
        path = f"/cases/{case_id}/notifications"
        result: list[dict[str, Any]] = self.as_("coordinator", "GET", "notifications", path)
        return result

    def replay(
        self, case_id: str, as_of: datetime | None = None, user: str = PERSONAS["auditor"]
    ) -> Replay:
        token = self.tokens.person(user)
        return replay(uuid.UUID(case_id), parts_over_http(self.urls, token), as_of)
