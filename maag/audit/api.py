"""The auditor-only endpoint every service serves: its part of a case's timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import FastAPI, HTTPException, Query

from contracts.reference import Role
from maag.audit.history import CaseHistory
from maag.audit.replay import merge
from maag.runtime import http
from maag.runtime.reads import record_read


def install(api: FastAPI, history: CaseHistory) -> None:
    @api.get(
        "/audit/cases/{case_id}",
        tags=["audit"],
        summary="This service's part of a case's history, in order, and the state as of a time",
        description=(
            "Auditors only. Read from the service's event store through its case index; "
            "this read is itself recorded on the case. `maag audit replay` merges the four "
            "services' parts into the case's full timeline."
        ),
    )
    def audit_case(
        case_id: UUID,
        caller: http.CallerDep,
        as_of: Annotated[
            datetime | None, Query(description="ISO 8601 with a zone; default: now")
        ] = None,
    ) -> dict[str, Any]:
        caller.require(Role.AUDITOR, to="replay a case's history")
        if as_of is not None and as_of.tzinfo is None:
            raise HTTPException(422, "as_of: give a time zone (e.g. 2026-11-27T10:00:00Z)")
        record_read(history.app, case_id, caller)
        replay = merge(case_id, history.entries(case_id), as_of)
        return {"service": history.service, **replay.to_json()}
