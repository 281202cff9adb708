"""The auditor-only endpoint every service serves: its part of a case's timeline."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Header, HTTPException, Query

from contracts.reference import Role
from maag.runtime import policy
from maag.runtime.evidence import anchors, keyring
from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.reads import record_read
from maag.runtime.evidence.timeline import ReplayRefused, merge, parts_over_http, replay
from maag.runtime.policy import Action
from maag.runtime.settings import Settings
from maag.runtime.web import http


def _when(as_of: datetime | None) -> datetime | None:
    if as_of is not None and as_of.tzinfo is None:
        raise HTTPException(422, "as_of: give a time zone (e.g. 2026-11-27T10:00:00Z)")
    return as_of


AsOf = Annotated[datetime | None, Query(description="ISO 8601 with a zone; default: now")]


def install(api: FastAPI, history: CaseHistory, settings: Settings) -> None:
    """`settings.service_urls`: where every service is, in the order a case moves through
    them (for the full timeline); the anchors are read from `settings`' broker."""
    service_urls = settings.service_urls

    @api.get(
        "/audit/cases/{case_id}",
        tags=["audit"],
        summary="This service's part of a case's history, in order, and the state as of a time",
        description=(
            "Auditors only. Read from the service's event store through its case index; "
            "this read is itself recorded on the case. `maag audit replay` merges every "
            "service's part into the case's full timeline."
        ),
    )
    def audit_case(case_id: UUID, caller: http.CallerDep, as_of: AsOf = None) -> dict[str, Any]:
        # and the data protection officer's subject access export, which gathers every part
        policy.require_role(caller, Action.AUDIT)
        when = _when(as_of)
        record_read(history.app, case_id, caller)
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
            "covered yet."
        ),
    )
    async def store(caller: http.CallerDep) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="check a store's history")
        try:
            records = await anchors.read_anchors(settings)
        except (KafkaError, OSError) as e:
            raise HTTPException(503, f"the anchors cannot be read: {e!r}") from e
        verdict = await asyncio.to_thread(
            keyring.verified, history.chain, records, settings, history.service
        )
        return {
            "service": history.service,
            "intact": verdict.clean,
            "chained": verdict.chained,
            "head": verdict.head,
            "stored_head": verdict.stored_head,
            "anchors": verdict.anchors,
            "anchored_head": verdict.anchored_head,
            "breaks": [str(b) for b in verdict.breaks],
        }

    @api.get(
        "/audit/cases/{case_id}/timeline",
        tags=["audit"],
        summary="A case's full timeline across every service, and its state as of a time",
        description=(
            "Auditors only. This service's part and each other service's (asked with the "
            "caller's own token, so every service records the read), merged in time order. "
            "Fails with 502 naming the service when one cannot answer: a timeline with a "
            "service missing would mislead."
        ),
    )
    def timeline(
        case_id: UUID,
        caller: http.CallerDep,
        authorization: Annotated[str, Header()],
        as_of: AsOf = None,
    ) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="replay a case's history")
        when = _when(as_of)
        token = authorization.partition(" ")[2].strip()
        record_read(history.app, case_id, caller)
        parts = {
            name: history.entries if name == history.service else part
            for name, part in parts_over_http(service_urls, token).items()
        }
        try:
            return replay(case_id, parts, when).to_json()
        except ReplayRefused as e:
            raise HTTPException(502, f"the full timeline is unavailable: {e}") from e
