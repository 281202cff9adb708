"""The notifications service's HTTP API: health, and who was told what about a case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from maag.runtime.evidence.reads import record_read
from maag.runtime.store.unit_of_work import NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.notifications.adapters import read_model
from services.notifications.application.app import NotificationsApp


def create_api(
    app: NotificationsApp,
    verifier: TokenVerifier,
    engine: Engine,
    ready: Callable[[], dict[str, bool]],
) -> FastAPI:
    api = FastAPI(
        title="MAAG notifications service",
        version="1.0.0",
        description="Emails to lead professionals and providers: what was sent, to whom, when.",
    )
    http.install(api, verifier, {NotFound: 404})
    http.health(api, ready)

    @api.get(
        "/cases/{case_id}/notifications",
        tags=["notifications"],
        summary="Every email about a case: recipient, template, status, when",
    )
    def for_case(case_id: UUID, caller: http.CallerDep) -> list[dict[str, Any]]:
        app.authorise_emails(case_id, caller)
        sent = read_model.for_case(engine, str(case_id))
        record_read(app, case_id, caller)
        return sent

    return api
