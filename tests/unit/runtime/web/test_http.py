"""`mount`: routers' routes as the API's own, read strictly."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from maag.runtime.web.http import StrictRoute, mount


class Body(BaseModel):
    flag: bool


def test_a_mounted_routers_routes_are_listed_by_the_api() -> None:
    router = APIRouter(route_class=StrictRoute)

    @router.post("/things")
    def make(body: Body) -> None: ...

    api = FastAPI()
    mount(api, router)
    assert "/things" in {r.path for r in api.routes if isinstance(r, APIRoute)}
    assert "/things" in api.openapi()["paths"]


def test_fastapi_still_includes_a_router_without_listing_its_routes() -> None:
    # Why `mount` exists: if this fails, FastAPI lists included routes again and `mount`
    # may become `include_router`.
    router = APIRouter()

    @router.get("/listed")
    def listed() -> None: ...

    api = FastAPI()
    api.include_router(router)
    assert "/listed" not in {r.path for r in api.routes if isinstance(r, APIRoute)}


def test_a_route_that_reads_a_body_laxly_is_refused() -> None:
    router = APIRouter()

    @router.post("/lax")
    def lax(body: Body) -> None: ...

    with pytest.raises(TypeError, match="/lax: its body is read strictly only by a StrictRoute"):
        mount(FastAPI(), router)
