"""The notifications service's HTTP API: health, and who was told what about a case. Each
route is a query (`application/queries/`) and a typed answer; `create_api` only mounts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema
from sqlalchemy.engine import Engine

from maag.runtime.store.unit_of_work import NotFound
from maag.runtime.web import http
from maag.runtime.web.auth import TokenVerifier
from services.notifications.adapters import read_model
from services.notifications.application.app import NotificationsApp
from services.notifications.application.queries.emails_about_case import emails_about_case
from services.notifications.domain.values import EmailStatus

router = APIRouter(route_class=http.StrictRoute)

# Written as Python's isoformat, as these answers always were ("+00:00", not pydantic's "Z").
Instant = Annotated[
    datetime,
    PlainSerializer(lambda d: d.isoformat(), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class Email(BaseModel):
    """One email about a case: to whom, which, why, how it went, when."""

    model_config = ConfigDict(from_attributes=True)

    notification_id: str
    case_id: str
    recipient: str
    template: str
    source_event_id: str
    status: EmailStatus
    detail: str | None  # the Message-ID once sent; the reason once failed
    requested_at: Instant
    updated_at: Instant


AppDep = Annotated[NotificationsApp, Depends(http.from_state("notifications", NotificationsApp))]
EngineDep = Annotated[Engine, Depends(http.from_state("read_model", Engine))]


@router.get(
    "/cases/{case_id}/notifications",
    tags=["notifications"],
    summary="Every email about a case: recipient, template, status, when",
)
def for_case(case_id: UUID, caller: http.CallerDep, app: AppDep, engine: EngineDep) -> list[Email]:
    emails = emails_about_case(app, caller, case_id, partial(read_model.for_case, engine))
    return [Email.model_validate(e) for e in emails]


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
    api.state.notifications = app
    api.state.read_model = engine
    http.install(api, verifier, {NotFound: 404})
    http.health(api, ready)
    http.mount(api, router)
    return api
