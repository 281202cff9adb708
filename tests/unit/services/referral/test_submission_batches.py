"""HTTP submissions that arrive together are submitted together (`submit_referrals`, on one
worker thread), each answered as the command answers it alone."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from contracts.events.referral import ReferralDetails
from contracts.reference import Role
from maag.runtime import causation
from maag.runtime.web.auth import Caller, Forbidden
from services.referral.adapters import http as referral_http
from services.referral.adapters.child_index import SqlChildIndex
from services.referral.application.commands import SubmitReferral
from services.referral.application.commands.submit_referral import Within, submit_referrals
from services.referral.domain.referral import Referral
from tests.support.referral import a_child, details
from tests.unit.services.referral.conftest import Api

REFERRER = Caller.of("referrer-education", Role.REFERRER, "education")
HEALTH = Caller.of("referrer-health", Role.REFERRER, "health")


def _command(i: int, caller: Caller = REFERRER, key: str | None = None) -> SubmitReferral:
    return SubmitReferral(
        details=ReferralDetails.model_validate(details(child=a_child(i))),
        caller=caller,
        correlation_id=f"request-{i}",
        idempotency_key=key,
    )


def _within(i: int) -> Within:
    """As the route runs each submission: in its own request's context (its cause)."""

    def run(fn: Callable[[], Any]) -> Any:
        with causation.caused_by(causation.of_request("POST", "/referrals", f"request-{i}")):
            return fn()

    return run


@contextmanager
def _counted(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[Any]]]:
    calls: dict[str, list[Any]] = {"keys": [], "commits": []}
    make_keys, commit_unit = api.app.keyring.make_keys, api.app.commit_unit

    def keys(case_ids: list[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        calls["keys"].append(list(case_ids))
        return make_keys(case_ids)

    def commit(aggregates: list[Any]) -> None:
        calls["commits"].append(list(aggregates))
        commit_unit(aggregates)

    monkeypatch.setattr(api.app.keyring, "make_keys", keys)
    monkeypatch.setattr(api.app, "commit_unit", commit)
    yield calls


def test_submissions_together_make_their_keys_and_commit_once_each_its_own_cause(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _counted(api, monkeypatch) as calls:
        found = submit_referrals(api.app, [(_command(i), _within(i)) for i in range(3)])
    assert [type(f) for f in found] == [tuple] * 3
    referrals = [f[0] for f in found if isinstance(f, tuple)]
    assert all(f[1] for f in found if isinstance(f, tuple))  # each created
    assert len({r.id for r in referrals}) == 3
    assert calls["keys"] == [[r.id for r in referrals]]
    assert [[a.id for a in unit] for unit in calls["commits"]] == [[r.id for r in referrals]]
    for i, referral in enumerate(referrals):
        stored = list(api.app.repository.event_store.get(referral.id))
        assert stored, "committed"
        for event in stored:  # each submission's events are its own request's
            assert causation.correlation_of(event) == f"request-{i}"
            assert causation.of(event) == causation.of_request("POST", "/referrals", f"request-{i}")
            assert causation.actor_of(event) == REFERRER.record


def test_a_refused_submission_is_its_own_answer_and_gets_no_key(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a health referrer submitting education's referral: forbidden, and no key made for it
    commands = [_command(0), _command(1, caller=HEALTH), _command(2)]
    with _counted(api, monkeypatch) as calls:
        found = submit_referrals(api.app, [(c, _within(i)) for i, c in enumerate(commands)])
    assert isinstance(found[1], Forbidden)
    made = [f[0].id for f in (found[0], found[2]) if isinstance(f, tuple)]
    assert len(made) == 2
    assert calls["keys"] == [made]


def test_the_same_key_twice_in_a_batch_is_one_case(api: Api) -> None:
    commands = [_command(0, key="batch-key-0001"), _command(0, key="batch-key-0001")]
    found = submit_referrals(api.app, [(c, _within(i)) for i, c in enumerate(commands)])
    first, again = found
    assert isinstance(first, tuple) and isinstance(again, tuple)
    assert first[0].id == again[0].id
    assert (first[1], again[1]) == (True, False)  # as a retry of the key is answered
    stored = api.app.repository.event_store.get(first[0].id)
    assert len([e for e in stored if isinstance(e, Referral.Received)]) == 1


def test_a_batch_whose_commit_is_refused_is_submitted_one_by_one(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_unit = api.app.commit_unit
    refused: list[int] = []

    def commit(aggregates: list[Any]) -> None:
        if len(aggregates) > 1:  # the batch's: as if one case was made meanwhile
            refused.append(len(aggregates))
            raise IntegrityError("duplicate key")
        commit_unit(aggregates)

    monkeypatch.setattr(api.app, "commit_unit", commit)
    found = submit_referrals(api.app, [(_command(i), _within(i)) for i in range(3)])
    assert refused == [3]
    referrals = [f[0] for f in found if isinstance(f, tuple) and f[1]]
    assert len(referrals) == 3
    for referral in referrals:
        assert isinstance(api.app.repository.get(referral.id), Referral)
    # the first try's cases were never stored: none left in the child index to be offered
    index = api.app.index
    assert isinstance(index, SqlChildIndex)
    assert set(index.cases()) == {r.id for r in referrals}


def test_the_route_takes_submissions_that_arrive_together_in_one_batch(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[str]] = []

    def answers(app: Any, batch: list[referral_http.Waiting]) -> list[Any]:
        batches.append([c.correlation_id for c, _, _ in batch])
        return [
            ValueError("refused")
            if c.correlation_id == "request-1"
            else (uuid.uuid4(), True, b"{}")
            for c, _, _ in batch
        ]

    monkeypatch.setattr(referral_http, "_answers", answers)
    submissions = referral_http.Submissions(api.app)

    async def together() -> list[Any]:
        return await asyncio.gather(
            *(submissions.submit(_command(i)) for i in range(4)), return_exceptions=True
        )

    found = asyncio.run(together())
    assert batches == [[f"request-{i}" for i in range(4)]]
    assert isinstance(found[1], ValueError)  # its own answer, and no one else's
    assert all(isinstance(f, tuple) for i, f in enumerate(found) if i != 1)


def test_a_batch_the_store_fails_is_every_submission_s_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    away = OSError("the store is away")

    def answers(app: Any, batch: list[referral_http.Waiting]) -> list[Any]:
        raise away

    monkeypatch.setattr(referral_http, "_answers", answers)
    submissions = referral_http.Submissions(api.app)

    async def together() -> list[Any]:
        return await asyncio.gather(
            *(submissions.submit(_command(i)) for i in range(3)), return_exceptions=True
        )

    assert asyncio.run(together()) == [away] * 3
