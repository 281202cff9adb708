"""The web app's pages, one router per persona (who each page is for; the services' APIs
decide again what each person may see and do)."""

from __future__ import annotations

from fastapi import APIRouter

from services.web.routes import (
    assessment,
    auditor,
    case_record,
    child,
    commissioner,
    documents,
    front_door,
    lead,
    panel,
    plan,
    privacy,
    provider,
    referrer,
    reports,
    sign_in,
)

ROUTERS: tuple[APIRouter, ...] = (
    sign_in.router,
    referrer.router,
    case_record.router,
    child.router,
    assessment.router,
    documents.router,
    panel.router,
    plan.router,
    lead.router,
    commissioner.router,
    reports.router,
    auditor.router,
    front_door.router,
    provider.router,
    privacy.router,
)
