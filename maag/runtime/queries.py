"""Reading a case: the query half of the one pipeline (`maag.runtime.commands` is the other).

A read of one case's data asks the one access policy (`maag.runtime.policy`) for its
action, on the case's scope as the service knows it, and is recorded on the case (who, role,
agency, when, which endpoint, whether the child's details were shown) before the answer
goes. A refusal records nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from maag.runtime import policy
from maag.runtime.evidence.reads import case_reads
from maag.runtime.policy import Action, CaseScope
from maag.runtime.store.application import ServiceApplication
from maag.runtime.store.unit_of_work import Work
from maag.runtime.web.auth import Caller

T = TypeVar("T")


def read_case(
    app: ServiceApplication,
    caller: Caller,
    action: Action,
    case_id: UUID,
    find: Callable[[Work, UUID], T],
    scope_of: Callable[[T], CaseScope],
    personal: Callable[[T], bool] = lambda _: False,
) -> T:
    """The case's aggregate as `find` loads it, for a caller the policy lets take `action`
    on it; the read recorded (`personal`: whether the answer shows the child's details)."""
    policy.require_role(caller, action)  # before saying whether the case exists
    found = find(Work(app), case_id)
    policy.require(caller, action, scope_of(found))
    app.commit_unit(list(case_reads([case_id], caller, personal_data=personal(found))))
    return found
