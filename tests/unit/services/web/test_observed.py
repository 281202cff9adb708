"""The web app as an operator sees it: each page's correlation id carried to the services it
calls (their logs of the page's calls carry it), and request timings by route at /metrics."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.unit.services.web.stand_ins import Provider, Services, sign_in


def test_a_page_s_correlation_id_goes_to_each_service_it_calls(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    case_id = uuid.uuid4()
    case = {"case_id": str(case_id), "status": "active", "panel": "maag", "district": "harlow"}
    services.answer("GET", f"http://panel.test/cases/{case_id}", 200, case)
    services.sent.clear()
    page = web.get(f"/cases/{case_id}")
    assert page.status_code == 200
    correlation_id = page.headers["X-Correlation-Id"]
    uuid.UUID(correlation_id)  # one of its own
    assert services.sent and {r.headers.get("X-Correlation-Id") for r in services.sent} == {
        correlation_id
    }
    again = web.get(f"/cases/{case_id}", headers={"X-Correlation-Id": "from-the-proxy-1"})
    assert again.headers["X-Correlation-Id"] == "from-the-proxy-1"


def test_metrics_time_each_page_by_its_route_never_by_a_case_id(
    web: TestClient, provider: Provider, services: Services
) -> None:
    sign_in(web, provider, "lead-1", "lead-professional")
    case_id = uuid.uuid4()
    services.answer("GET", f"http://panel.test/cases/{case_id}", 404, {"detail": "none"})
    assert web.get(f"/cases/{case_id}").status_code == 404
    metrics = web.get("/metrics")
    assert metrics.status_code == 200
    assert (
        'maag_http_request_seconds_count{method="GET",route="/cases/{case_id}",status="404"}'
        in metrics.text
    )
    assert str(case_id) not in metrics.text


def test_a_made_up_method_adds_no_series_to_the_metrics(web: TestClient) -> None:
    web.request("ZZTOP123", "/")
    metrics = web.get("/metrics").text
    assert 'method="other"' in metrics and "ZZTOP123" not in metrics
