"""Schemathesis against each running service's published OpenAPI: values that fit the schema
and values that do not (positive and negative generation), each operation called with the
token of a role that may call it. No request may end in a 5xx."""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from contracts.reference import Role
from tests.support.identity import token
from tests.support.system import System

# Who may call what: the role a real caller of each operation would have.
CALLERS: dict[str, tuple[Role, str]] = {
    "referral": (Role.REFERRER, "education"),
    "panel": (Role.PANEL_CHAIR, "social-care"),
    "commissioning": (Role.COMMISSIONER, "childrens-services"),
    "notifications": (Role.PANEL_MEMBER, "social-care"),
}
AUDITOR = (Role.AUDITOR, "county-audit")
EXAMPLES = 12


def _caller(service: str, path: str) -> tuple[Role, str]:
    if path.startswith("/audit/") or path.endswith("/history"):
        return AUDITOR
    return CALLERS[service]


def _fuzz_operation(
    service: str,
    url: str,
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    tally: Counter[str],
    errors: list[str],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        response = case.call(base_url=url, headers=headers, timeout=30)
        tally[f"{service} {mode.value}"] += 1
        tally[f"{service} {response.status_code // 100}xx"] += 1
        if response.status_code >= 500:
            errors.append(
                f"{service} {operation.method.upper()} {operation.path} ({mode.value}): "
                f"{response.status_code} {response.text[:300]}"
            )

    try:
        call()
    except hypothesis.errors.Unsatisfiable:  # e.g. no invalid request for GET /healthz
        tally[f"{service} {mode.value} operations with no such value"] += 1


def _fuzz(service: str, url: str, tally: Counter[str], errors: list[str]) -> None:
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    for result in schema.get_all_operations():
        # An operation the OpenAPI describes wrongly comes as an error, not an operation.
        assert hasattr(result, "ok"), f"{service}: invalid operation: {result.err()}"
        operation = result.ok()
        role, agency = _caller(service, operation.path)
        headers = {"Authorization": f"Bearer {token(role, agency, f'fuzz-{role.value}')}"}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(service, url, operation, mode, headers, tally, errors)


def test_no_operation_of_any_service_answers_5xx_to_generated_requests(system: System) -> None:
    system.client(timeout=120).ready()
    tally: Counter[str] = Counter()
    errors: list[str] = []
    for service in CALLERS:
        _fuzz(service, system.url(service), tally, errors)
    print("\nschemathesis totals:", dict(sorted(tally.items())))
    for service in CALLERS:
        assert tally[f"{service} positive"] > 0 and tally[f"{service} negative"] > 0
    assert errors == []
