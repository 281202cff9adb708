"""Who may call what: every route of every service, called with every role, answers as
`MATRIX` says; and `docs/access.md`, generated from `MATRIX`, is what people read.

Allowed: anything but 401 and 403 (the request may still be refused for what it holds or
names: 404, 409, 422). Not allowed: 403. Without a token: 401. Where agency, district, tier
or a case assignment matters, the cell says so and the tests named in `SCOPE` assert it.
Regenerate the document with `python -m tests.unit.test_access_matrix`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from contracts.reference import Role, financial_year
from maag.runtime.policy import RULES
from maag.services import SPECS
from tests.support import identity
from tests.support.referral import details
from tests.unit.test_access_by_scope import FILES, ROUTES

DOC = Path(__file__).resolve().parents[2] / "docs" / "access.md"
R, PC, PM, LP, C, FD, PV, DPO, A, OP = (
    Role.REFERRER,
    Role.PANEL_CHAIR,
    Role.PANEL_MEMBER,
    Role.LEAD_PROFESSIONAL,
    Role.COMMISSIONER,
    Role.FRONT_DOOR,
    Role.PROVIDER,
    Role.PRIVACY_OFFICER,
    Role.AUDITOR,
    Role.OPERATOR,
)
ROLES = (R, PC, PM, LP, C, FD, PV, DPO, A, OP)
# Who each role is in this test: a chair holds panel-member too, as the seeded chair does.
CALLERS: dict[Role, tuple[tuple[Role, ...], str]] = {
    R: ((R,), "education"),
    PC: ((PC, PM), "social-care"),
    PM: ((PM,), "social-care"),
    LP: ((LP,), "education"),
    C: ((C,), "childrens-services"),
    FD: ((FD,), "social-care"),
    PV: ((PV,), "pvi"),
    DPO: ((DPO,), "county-information-governance"),
    A: ((A,), "county-audit"),
    OP: ((OP,), "county-it"),
}
# A provider's staff name their provider in their token.
PROVIDER_OF = {PV: "pvi-12"}
AUDIT = {A: ""}
OWN_AGENCY = "own agency's cases"
THEIR_PANELS = "panels their token names"
LEADS = "cases they lead, while open"
AT_SOCIAL_CARE = "cases referred to social care"
NOT_HERE = "none here (404)"
THEIR_PROVIDERS = "packages bought from their provider"
NO_AGENCY_HERE = "none: the panel holds no referring agency (404)"
# (service, method, path) -> {role: scope note ("" = no further condition)}
MATRIX: dict[tuple[str, str, str], dict[Role, str]] = {
    ("referral", "POST", "/referrals"): {R: "for their own agency"},
    ("referral", "GET", "/referrals"): {
        R: "own agency's",
        PC: "their agency's, in their districts",
        PM: "their agency's, in their districts",
        LP: "their agency's cases they lead",
        FD: "none: theirs is GET /front-door",
        A: "their own organisation's",
    },
    ("referral", "GET", "/referrals/{case_id}"): {
        R: OWN_AGENCY + "; the child's details",
        PC: "without the child's details",
        PM: "without the child's details",
        LP: LEADS + "; the child's details as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE + "; the child's details",
        A: "without the child's details",
    },
    ("referral", "GET", "/front-door"): {FD: "no personal details"},
    ("referral", "POST", "/referrals/{case_id}/front-door"): {FD: AT_SOCIAL_CARE},
    ("referral", "POST", "/referrals/{case_id}/consent"): {
        R: OWN_AGENCY,
        PC: "",
        PM: "",
        LP: LEADS + "; as consent or a safeguarding basis allows; recording it again reconfirms it",
    },
    ("referral", "POST", "/referrals/{case_id}/consent/withdrawal"): {
        R: OWN_AGENCY,
        PC: "",
        PM: "",
    },
    ("referral", "POST", "/referrals/{case_id}/safeguarding-basis"): {
        R: OWN_AGENCY,
        PC: "",
        PM: "",
    },
    ("referral", "GET", "/my/consent/due"): {
        LP: LEADS + "; as consent or a safeguarding basis allows"
    },
    ("referral", "GET", "/referrals/{case_id}/matches"): {
        R: OWN_AGENCY + "; the child's other referrals only where they may read them",
        PC: "",
        PM: "",
        LP: LEADS,
        FD: AT_SOCIAL_CARE + ", likewise",
        A: "",
    },
    ("referral", "POST", "/referrals/{case_id}/child-match"): {
        R: OWN_AGENCY + ", when they may read every referral of the child offered",
        PC: "",
        PM: "",
        LP: LEADS + ", when they may read every referral of the child offered",
    },
    ("referral", "POST", "/referrals/{case_id}/household"): {
        R: OWN_AGENCY + ", and the sibling's referral too",
        PC: "",
        PM: "",
        LP: LEADS + ", and may read the sibling's referral",
    },
    ("referral", "GET", "/children/{child_id}"): {
        R: "the child's referrals they may read",
        PC: "",
        PM: "",
        LP: "the child's referrals they may read",
        FD: "the child's referrals they may read",
        A: "",
    },
    # notes may name the family: they follow the child's details
    ("referral", "POST", "/referrals/{case_id}/notes"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "GET", "/referrals/{case_id}/notes"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE,
    },
    ("referral", "GET", "/referrals/{case_id}/chronology"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE,
    },
    # the Early Help Assessment follows the child's details, as notes do; its summary (no
    # text) goes to those who may read the case
    ("referral", "POST", "/referrals/{case_id}/assessment"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "POST", "/referrals/{case_id}/assessment/authorisation"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "POST", "/referrals/{case_id}/assessment/reviews"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "POST", "/referrals/{case_id}/assessment/closure"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "GET", "/referrals/{case_id}/assessment"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE,
    },
    ("referral", "GET", "/referrals/{case_id}/assessment/summary"): {
        R: OWN_AGENCY,
        PC: "no text",
        PM: "no text",
        LP: LEADS,
        FD: AT_SOCIAL_CARE,
        A: "no text",
    },
    # documents follow the child's details, as notes do
    ("referral", "POST", "/referrals/{case_id}/documents"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("referral", "GET", "/referrals/{case_id}/documents"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE,
    },
    ("referral", "GET", "/referrals/{case_id}/documents/{document_id}"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
        FD: AT_SOCIAL_CARE,
    },
    # counted where the child's record is; only counts leave (1 to 4 suppressed)
    ("referral", "GET", "/reports/equality"): {C: "", A: ""},
    # one row per case with its coded special-category fields: for the county's returns
    ("referral", "GET", "/reports/episodes.csv"): {C: ""},
    # the referring midwife, or the lead working with the family
    ("referral", "POST", "/referrals/{case_id}/birth"): {
        R: OWN_AGENCY,
        LP: LEADS + "; as consent or a safeguarding basis allows",
    },
    ("panel", "GET", "/cases/{case_id}/plan"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        A: "",
    },
    ("panel", "POST", "/cases/{case_id}/plan"): {LP: "the case's lead professional only"},
    ("panel", "POST", "/meetings"): {PC: THEIR_PANELS, PM: THEIR_PANELS},
    ("panel", "GET", "/meetings"): {PC: THEIR_PANELS, PM: THEIR_PANELS, A: ""},
    ("panel", "GET", "/my/work"): {PC: THEIR_PANELS, PM: THEIR_PANELS},
    ("panel", "GET", "/my/cases/due"): {LP: "the cases they lead"},
    ("panel", "GET", "/meetings/{meeting_id}/agenda"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        A: "",
    },
    ("panel", "POST", "/meetings/{meeting_id}/attendance"): {
        PC: THEIR_PANELS + "; their own attendance",
        PM: THEIR_PANELS + "; their own attendance",
    },
    ("panel", "POST", "/meetings/{meeting_id}/expected-attendees"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
    },
    ("panel", "POST", "/meetings/{meeting_id}/agenda"): {
        PC: THEIR_PANELS + "; a case their panel holds",
        PM: THEIR_PANELS + "; a case their panel holds",
    },
    ("panel", "POST", "/meetings/{meeting_id}/decisions"): {PC: THEIR_PANELS},
    ("panel", "POST", "/meetings/{meeting_id}/apologies"): {
        PC: THEIR_PANELS + "; their own apologies",
        PM: THEIR_PANELS + "; their own apologies",
    },
    ("panel", "POST", "/meetings/{meeting_id}/minutes"): {PC: THEIR_PANELS},
    ("panel", "POST", "/meetings/{meeting_id}/circulation"): {
        PC: THEIR_PANELS + "; before the agenda's cut-off",
        PM: THEIR_PANELS + "; before the agenda's cut-off",
    },
    ("panel", "POST", "/meetings/{meeting_id}/declarations"): {
        PC: THEIR_PANELS + "; their own interest, before the decision",
        PM: THEIR_PANELS + "; their own interest, before the decision",
    },
    # The panel does not hold a case's referring agency: to a referrer, no case is theirs (404).
    ("panel", "GET", "/cases/{case_id}"): {
        R: NO_AGENCY_HERE,
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        FD: "none: a case with social care is not the panel's (404)",
        A: "",
    },
    ("panel", "GET", "/my/cases"): {LP: "their own"},
    ("panel", "GET", "/cases/{case_id}/history"): {
        R: NO_AGENCY_HERE,
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        FD: "none: a case with social care is not the panel's (404)",
        A: "",
    },
    ("commissioning", "GET", "/providers"): {PC: "", PM: "", C: "", A: ""},
    ("commissioning", "POST", "/providers"): {C: ""},
    ("commissioning", "PUT", "/providers/{provider_id}/capacity"): {C: ""},
    ("commissioning", "GET", "/budgets/{fy}"): {C: "", A: ""},
    ("commissioning", "GET", "/budgets/{panel_key}/{fy}"): {C: "", A: ""},
    ("commissioning", "PUT", "/budgets/{panel_key}/{fy}"): {C: ""},
    ("commissioning", "GET", "/cases/{case_id}/packages"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        C: "",
        PV: "when every package of the case is bought from their provider",
        A: "",
    },
    ("commissioning", "GET", "/packages/{package_id}"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        C: "",
        PV: THEIR_PROVIDERS + "; whom to contact",
        A: "",
    },
    ("commissioning", "GET", "/provider/packages"): {PV: THEIR_PROVIDERS + ", running"},
    ("commissioning", "GET", "/failures"): {PC: THEIR_PANELS, PM: THEIR_PANELS, C: "", A: ""},
    ("commissioning", "GET", "/reports/spend"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/spend.csv"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/capacity"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/capacity.csv"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/savings"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/savings.csv"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/boards"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/boards.csv"): {C: "", A: ""},
    ("commissioning", "GET", "/reports/boards/reconciliation"): {C: "", A: ""},
    ("notifications", "GET", "/cases/{case_id}/notifications"): {
        PC: THEIR_PANELS,
        PM: THEIR_PANELS,
        LP: LEADS,
        A: "",
    },
    **{(s, "GET", "/audit/cases/{case_id}"): {A: "", DPO: "for subject access"} for s in SPECS},
    ("referral", "GET", "/privacy/cases/{case_id}"): {DPO: ""},
    ("referral", "POST", "/privacy/cases/{case_id}/erasure"): {DPO: ""},
    ("referral", "POST", "/privacy/cases/{case_id}/legal-hold"): {DPO: ""},
    ("referral", "POST", "/privacy/cases/{case_id}/legal-hold/release"): {DPO: ""},
    ("referral", "GET", "/privacy/retention"): {DPO: ""},
    ("referral", "GET", "/privacy/due"): {DPO: ""},
    ("referral", "GET", "/privacy/cases/{case_id}/export"): {DPO: ""},
    **{(s, "GET", "/audit/cases/{case_id}/timeline"): AUDIT for s in SPECS},
    **{(s, "GET", "/audit/store"): AUDIT for s in SPECS},
    **{(s, "GET", "/audit/store/latest"): AUDIT for s in SPECS},
}
OPEN = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
}
# The tests that assert the scope notes (agency, district and tier, assignment, consent).
SCOPE = {
    OWN_AGENCY: "tests/unit/services/referral/test_http.py::"
    "test_another_agencys_case_does_not_exist_to_read_or_to_change",
    THEIR_PANELS: "tests/unit/services/panel/test_http.py::"
    "test_a_panel_member_acts_only_for_the_panels_their_token_names",
    LEADS: "tests/integration/services/referral/test_need_to_know.py",
    "decisions": "tests/unit/services/panel/test_http.py::"
    "test_only_the_chair_records_a_decision_and_is_recorded_as_its_actor",
}
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/referrals"): details(),
    ("POST", "/referrals/{case_id}/consent"): {
        "given_by": "parent-carer",
        "scope": ["camhs"],
        "given_on": "2026-11-27",
        "how_obtained": "signed form",
    },
    ("POST", "/referrals/{case_id}/consent/withdrawal"): {
        "withdrawn_on": "2026-11-27",
        "reason": "withdrawn",
    },
    ("POST", "/referrals/{case_id}/safeguarding-basis"): {
        "professional_id": "sw-9",
        "professional_name": "S. Worker",
        "reason": "risk of harm",
        "recorded_on": "2026-11-27",
    },
    ("POST", "/referrals/{case_id}/child-match"): {
        "child_id": str(uuid.uuid4()),
        "decision": "confirm",
        "reason": "same child",
    },
    ("POST", "/referrals/{case_id}/household"): {"sibling_case_id": str(uuid.uuid4())},
    ("POST", "/referrals/{case_id}/notes"): {"text": "met the family", "about_date": "2026-11-27"},
    ("POST", "/referrals/{case_id}/birth"): {"date_of_birth": "2026-11-30"},
    ("POST", "/referrals/{case_id}/assessment"): {"assessed_on": "2026-11-27"},
    ("POST", "/referrals/{case_id}/assessment/authorisation"): {"version": 1},
    ("POST", "/referrals/{case_id}/assessment/reviews"): {
        "reviewed_on": "2026-11-27",
        "note": "reviewed",
    },
    ("POST", "/referrals/{case_id}/assessment/closure"): {"reason": "outcomes met"},
    ("POST", "/cases/{case_id}/plan"): {"kind": "record-need", "need_id": "n1", "text": "sleep"},
    ("POST", "/privacy/cases/{case_id}/erasure"): {"reason": "the child asked (Article 17)"},
    ("POST", "/privacy/cases/{case_id}/legal-hold"): {"reason": "claim", "until": "2030-01-01"},
    ("POST", "/privacy/cases/{case_id}/legal-hold/release"): {"reason": "claim settled"},
    ("POST", "/meetings"): {"panel": "jap", "starts_at": "2027-01-07T10:00:00+00:00"},
    ("POST", "/meetings/{meeting_id}/attendance"): {"name": "A Member"},
    ("POST", "/meetings/{meeting_id}/expected-attendees"): {
        "person_id": "p-1",
        "name": "A Member",
        "agency": "police",
    },
    ("POST", "/meetings/{meeting_id}/agenda"): {"case_id": str(uuid.uuid4()), "reason": "urgent"},
    ("POST", "/meetings/{meeting_id}/decisions"): {
        "kind": "close",
        "case_id": str(uuid.uuid4()),
        "reason": "resolved",
    },
    ("POST", "/meetings/{meeting_id}/apologies"): {"name": "A Member"},
    ("POST", "/meetings/{meeting_id}/minutes"): {"discussion": "budget update"},
    ("POST", "/meetings/{meeting_id}/declarations"): {
        "case_id": str(uuid.uuid4()),
        "name": "A Member",
        "interest": "my organisation provides to the family",
        "withdraws": True,
    },
    ("POST", "/providers"): {
        "provider_id": "matrix-one",
        "name": "Matrix",
        "kind": "pvi",
        "services": ["mentoring"],
        "weekly_capacity": 5,
        "unit_cost_pence": 100,
    },
    ("PUT", "/providers/{provider_id}/capacity"): {"weekly_capacity": 9},
    ("PUT", "/budgets/{panel_key}/{fy}"): {"amount_pence": 100},
    ("POST", "/referrals/{case_id}/front-door"): {"answer": "accepted", "reason": "taken on"},
}
# this financial year's budget: one a commissioner may set now
PATH_VALUES = {
    "panel_key": "earp",
    "fy": str(financial_year(datetime.now(UTC).date())),
    "provider_id": "pvi-12",
}


def _routes(api: Any) -> list[APIRoute]:
    return [r for r in api.routes if isinstance(r, APIRoute) and r.path not in OPEN]


def _path(template: str) -> str:
    for name, value in PATH_VALUES.items():
        template = template.replace("{" + name + "}", value)
    while "{" in template:
        start, end = template.index("{"), template.index("}")
        template = template[:start] + str(uuid.uuid4()) + template[end + 1 :]
    return template


def test_every_route_is_in_the_matrix(services: dict[str, Any]) -> None:
    served = {
        (name, method, r.path)
        for name, s in services.items()
        for r in _routes(s.api)
        for method in (r.methods or ())
    }
    assert served == set(MATRIX), (
        f"routes without a matrix row: {sorted(served - set(MATRIX))}; "
        f"rows without a route: {sorted(set(MATRIX) - served)}"
    )


@pytest.mark.parametrize("row", sorted(MATRIX), ids=lambda r: f"{r[0]} {r[1]} {r[2]}")
def test_each_route_answers_each_role_as_the_matrix_says(
    services: dict[str, Any], row: tuple[str, str, str]
) -> None:
    service, method, template = row
    client = TestClient(services[service].api, raise_server_exceptions=False)
    path, body = _path(template), BODIES.get((method, template))
    sent = FILES.get(template) or {"json": body}
    anonymous = client.request(method, path, **sent)
    assert anonymous.status_code == 401, f"{method} {path} without a token: {anonymous.text}"
    seen: dict[str, int] = {}
    for role in ROLES:
        roles, agency = CALLERS[role]
        headers = {
            **identity.auth(roles, agency, provider=PROVIDER_OF.get(role)),
            "Idempotency-Key": f"matrix-{uuid.uuid4()}",
        }
        seen[role.value] = client.request(method, path, headers=headers, **sent).status_code
    expected = {role.value: ("allowed" if role in MATRIX[row] else 403) for role in ROLES}
    observed = {
        role: ("allowed" if status not in (401, 403) else status) for role, status in seen.items()
    }
    assert observed == expected, f"{method} {template}: {seen}"


def render() -> str:
    lines = [
        "# Who may do what",
        "",
        "Every route of every service, by role. Generated from `tests/unit/test_access_matrix.py`",
        "(`python -m tests.unit.test_access_matrix`), whose test calls every route with every",
        "role and fails when a service answers otherwise. ✓ allowed; — refused (403); with a",
        "note, allowed within it. Without a token every route answers 401, and a token is",
        "accepted only from the county's identity provider (see the README).",
        "",
        "A person of another agency, or a lead professional the panel has not named, is told a",
        "case does not exist (404), as for a case that does not exist.",
        "",
    ]
    for service in SPECS:
        lines += [f"## {service}", ""]
        header = "| route | " + " | ".join(r.value for r in ROLES) + " |"
        lines += [header, "|---|" + "---|" * len(ROLES)]
        for (s, method, path), allowed in MATRIX.items():
            if s != service:
                continue
            cells = [("✓ " + allowed[r]).strip() if r in allowed else "—" for r in ROLES]
            lines.append(f"| `{method} {path}` | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Where the notes are tested", ""]
    lines += [f"- {note}: `{test}`" for note, test in SCOPE.items()]
    lines += [
        "",
        "## By case: the one policy",
        "",
        "Every service decides access to a case by one table (`maag/runtime/policy.py`): the",
        "action a route takes, and who may take it. `tests/unit/test_access_by_scope.py` calls",
        "each of these routes as each persona (the referring agency's referrer and another's,",
        "its case system, panel members and a chair in and out of the case's district and tier,",
        "the current and the former lead, commissioner, auditor, privacy officer, operator) on a",
        "case open, closed, with consent withdrawn, and under a legal hold. Refused: 404 when",
        "the caller may not know the case exists, else 403 naming who may.",
        "",
        "| route | action | who may |",
        "|---|---|---|",
    ]
    for (service, method, path), action in ROUTES.items():
        who = "; ".join(w.name for w in RULES[action])
        lines.append(f"| {service} `{method} {path}` | {action.value} | {who} |")
    return "\n".join(lines) + "\n"


def test_the_access_document_is_generated_from_the_matrix() -> None:
    assert DOC.read_text() == render(), "run `python -m tests.unit.test_access_matrix`"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC}")
