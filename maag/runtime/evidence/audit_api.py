"""The auditor-only endpoint every service serves: its part of a case's timeline."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, Header, HTTPException, Query

from contracts.reference import Role
from maag.runtime import policy
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.reads import record_read
from maag.runtime.evidence.store_check import AnchorsUnreadable, Checked, StoreCheck
from maag.runtime.evidence.timeline import (
    Key,
    ReplayRefused,
    ask_all,
    merge,
    merge_pages,
    page_of,
    pages_over_http,
    parse_cursor,
    parts_over_http,
    replay,
)
from maag.runtime.logging import get_logger
from maag.runtime.policy import Action
from maag.runtime.settings import Settings
from maag.runtime.web import http

log = get_logger(__name__)


def _when(as_of: datetime | None) -> datetime | None:
    if as_of is not None and as_of.tzinfo is None:
        raise HTTPException(422, "as_of: give a time zone (e.g. 2026-11-27T10:00:00Z)")
    return as_of


AsOf = Annotated[datetime | None, Query(description="ISO 8601 with a zone; default: now")]


Limit = Annotated[
    int | None,
    Query(ge=1, le=1000, description="A page: the newest `limit` entries (default: them all)"),
]
Before = Annotated[
    str | None,
    Query(description="A page's start: the `before` a previous page gave (default: the newest)"),
]


def _page_params(
    when: datetime | None, limit: int | None, before: str | None, order: list[str]
) -> Key | None:
    if before is not None and limit is None:
        raise HTTPException(422, "before: give a page's `limit` with it")
    try:
        return parse_cursor(before, order) if before is not None else None
    except ValueError as e:
        raise HTTPException(422, f"before: not a page's start ({e})") from e


def install(
    api: FastAPI, history: CaseHistory, check: StoreCheck | None, settings: Settings
) -> None:
    """`settings.service_urls`: where every service is, in the order a case moves through
    them (for the full timeline); the anchors are read from `settings`' broker. `check`:
    the service's store check, kept walked (None: one made here, walked when asked)."""
    service_urls = settings.service_urls
    order = list(service_urls)
    check = check or StoreCheck(history.service, history.chain, settings)

    @api.get(
        "/audit/cases/{case_id}",
        tags=["audit"],
        summary="This service's part of a case's history, in order, and the state as of a time",
        description=(
            "Auditors only. Read from the service's event store through its case index; "
            "this read is itself recorded on the case. `maag audit replay` merges every "
            "service's part into the case's full timeline. With `limit`, a page's part: "
            "the newest `limit` entries before `before`, the entries that set the case's "
            "state and its counters summed (`matching`: entries before `before`; `total`: "
            "all, at or before `as_of`)."
        ),
    )
    def audit_case(
        case_id: UUID,
        caller: http.CallerDep,
        as_of: AsOf = None,
        limit: Limit = None,
        before: Before = None,
    ) -> dict[str, Any]:
        # and the data protection officer's subject access export, which gathers every part
        policy.require_role(caller, Action.AUDIT)
        when = _when(as_of)
        start = _page_params(when, limit, before, order)
        record_read(history.app, case_id, caller)
        if limit is not None:
            page = page_of(history.entries(case_id), when, limit, start, order)
            return {"service": history.service, **page.to_json()}
        replay = merge(case_id, history.entries(case_id), when)
        return {"service": history.service, **replay.to_json()}

    @api.get(
        "/audit/store",
        tags=["audit"],
        summary="Whether this service's stored history is intact (its hash chain walked now)",
        description=(
            "Auditors only. Walks the whole chain over the stored events and holds it to "
            "the service's signed anchors, as `maag audit verify` does: each break names "
            "the notification and whether it was altered, deleted, inserted, forged (its own "
            "MAC fails: inserted, moved or altered without the service's key), unsealed "
            "(no MAC after the cut-over), left out of the case index, re-chained or "
            "truncated; a store with no trusted anchor, or anchors far behind its newest "
            "event, is not intact either. Events stored after the chain's head are not "
            "covered yet. `walked_at`: when (now); `walk_seconds`: how long it took."
        ),
    )
    async def store(caller: http.CallerDep) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="check a store's history")
        return (await _checked(check.walk)).to_json()

    @api.get(
        "/audit/store/latest",
        tags=["audit"],
        summary="This service's latest walk of its hash chain (it walks every few minutes)",
        description=(
            "Auditors only. The verdict of the service's latest walk, as `/audit/store` "
            "gives it, with `walked_at`: the service walks its whole chain every "
            "`MAAG_STORE_CHECK_INTERVAL` seconds (and whenever `/audit/store` is asked); "
            "walked now when it has not walked yet."
        ),
    )
    async def latest(caller: http.CallerDep) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="check a store's history")
        return (await _checked(check.kept)).to_json()

    @api.get(
        "/audit/cases/{case_id}/timeline",
        tags=["audit"],
        summary="A case's full timeline across every service, and its state as of a time",
        description=(
            "Auditors only. This service's part and each other service's (asked with the "
            "caller's own token, so every service records the read), merged in time order. "
            "With `limit`, a page: the newest `limit` entries before `before` (`before` in "
            "the answer: the next, earlier page's; `earlier`: entries before this page; "
            "`total`: all of them), the state always the whole case's. "
            "Fails with 502 naming the service when one cannot answer: a timeline with a "
            "service missing would mislead."
        ),
    )
    def timeline(
        case_id: UUID,
        caller: http.CallerDep,
        authorization: Annotated[str, Header()],
        as_of: AsOf = None,
        limit: Limit = None,
        before: Before = None,
    ) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="replay a case's history")
        when = _when(as_of)
        start = _page_params(when, limit, before, order)
        token = authorization.partition(" ")[2].strip()
        record_read(history.app, case_id, caller)
        try:
            if limit is not None:
                params = {"limit": str(limit)}
                params |= {"as_of": when.isoformat()} if when else {}
                params |= {"before": before} if before else {}
                asked = {
                    name: (
                        (lambda c: page_of(history.entries(c), when, limit, start, order))
                        if name == history.service
                        else part
                    )
                    for name, part in pages_over_http(service_urls, token, params).items()
                }
                return merge_pages(case_id, ask_all(asked, case_id), when, limit).to_json()
            parts = {
                name: history.entries if name == history.service else part
                for name, part in parts_over_http(service_urls, token).items()
            }
            return replay(case_id, parts, when).to_json()
        except ReplayRefused as e:
            log.warning("timeline refused", error=str(e))  # which service, and why
            raise HTTPException(502, f"the full timeline is unavailable: {e}") from e


async def _checked(walk: Callable[[], Awaitable[Checked]]) -> Checked:
    try:
        return await walk()
    except AnchorsUnreadable as e:
        raise HTTPException(503, str(e)) from e
