"""Bearer tokens checked against the provider's published keys, through the HTTP layer every
service shares: each bad token is a 401 naming the problem (never a secret); a provider that
is down leaves known keys working and makes an unknown key a 503 with Retry-After."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.concurrency import run_in_threadpool

from contracts.reference import Role
from maag.runtime.web import http
from maag.runtime.web.auth import KeySet, TokenVerifier, Unauthenticated
from tests.support.identity import LocalIssuer, someone

OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    """A provider of this test's own, so taking it down or rotating touches no other test."""
    own = LocalIssuer()
    yield own
    own.server.shutdown()


def _client(issuer: LocalIssuer, keys: KeySet | None = None) -> TestClient:
    api = FastAPI()
    keys = keys or KeySet(issuer.jwks_url)
    http.install(api, TokenVerifier(issuer.issuer, "maag-referral", keys))

    @api.get("/who")
    def who(caller: http.CallerDep) -> dict[str, Any]:
        return {"user": caller.user_id, "role": caller.role.value, "agency": caller.agency}

    return TestClient(api)


def _get(client: TestClient, token: str) -> Any:
    return client.get("/who", headers={"Authorization": f"Bearer {token}"})


def _claims(issuer: LocalIssuer, **override: Any) -> dict[str, Any]:
    return issuer.claims(someone(Role.REFERRER, "education", "u-1"), **override)


def test_a_token_from_the_provider_names_the_caller(issuer: LocalIssuer) -> None:
    r = _get(_client(issuer), issuer.sign(_claims(issuer)))
    assert r.status_code == 200
    assert r.json() == {"user": "u-1", "role": "referrer", "agency": "education"}


def test_a_person_with_several_roles_acts_in_the_most_specific(issuer: LocalIssuer) -> None:
    token = issuer.sign(_claims(issuer, roles=["panel-member", "panel-chair", "offline_access"]))
    assert _get(_client(issuer), token).json()["role"] == "panel-chair"


def _bad_tokens(issuer: LocalIssuer) -> list[tuple[str, str, str]]:
    now = int(time.time())
    hs = jwt.encode(
        _claims(issuer), "a-shared-secret-of-32-bytes-0000", "HS256", {"kid": issuer.kid}
    )
    none = jwt.encode(_claims(issuer), None, "none", {"kid": issuer.kid})  # type: ignore[arg-type]
    return [
        ("expired", issuer.sign(_claims(issuer, iat=now - 900, exp=now - 600)), "token expired"),
        (
            "wrongly signed",
            issuer.sign(_claims(issuer), key=OTHER_KEY),
            "token signature does not verify",
        ),
        (
            "wrong audience",
            issuer.sign(_claims(issuer, aud="maag-panel")),
            "token is not for this service ('maag-referral')",
        ),
        (
            "wrong issuer",
            issuer.sign(_claims(issuer, iss="https://elsewhere.test/realms/maag")),
            f"token issuer is not {issuer.issuer!r}",
        ),
        ("alg none", none, "token algorithm 'none' is not accepted"),
        ("HS256", hs, "token algorithm 'HS256' is not accepted"),
        (
            "unknown kid",
            issuer.sign(_claims(issuer), key=OTHER_KEY, kid="made-up-kid"),
            "token is signed with a key the provider does not publish",
        ),
        ("no subject", issuer.sign(_claims(issuer, sub=None)), "token lacks the 'sub' claim"),
        ("no expiry", issuer.sign(_claims(issuer, exp=None)), "token lacks the 'exp' claim"),
        ("no audience", issuer.sign(_claims(issuer, aud=None)), "token lacks the 'aud' claim"),
        ("no roles", issuer.sign(_claims(issuer, roles=None)), "token carries no MAAG role"),
        (
            "no MAAG role",
            issuer.sign(_claims(issuer, roles=["offline_access", "king"])),
            "token carries no MAAG role",
        ),
        ("no agency", issuer.sign(_claims(issuer, agency=None)), "token lacks the 'agency' claim"),
        (
            "unknown agency",
            issuer.sign(_claims(issuer, agency="made-up")),
            "token's agency 'made-up' is not a known organisation",
        ),
        (
            "the system's own role",
            issuer.sign(_claims(issuer, roles=["system"])),
            "token carries no MAAG role",
        ),
        (
            "lives longer than an hour",
            issuer.sign(_claims(issuer, iat=now, exp=now + 24 * 3600)),
            "token lives longer than 3600 s",
        ),
        (
            "unknown district",
            issuer.sign(_claims(issuer, districts=["atlantis"])),
            "token names unknown districts",
        ),
        (
            "unknown position",
            issuer.sign(_claims(issuer, position="king")),
            "token's 'position' claim must be one of",
        ),
        ("not a JWT", "not-a-token", "token is not a signed JWT"),
    ]


CASES = [case[0] for case in _bad_tokens(LocalIssuer())]


@pytest.mark.parametrize("case", CASES)
def test_each_bad_token_is_a_401_naming_the_problem(issuer: LocalIssuer, case: str) -> None:
    _, token, reason = next(c for c in _bad_tokens(issuer) if c[0] == case)
    r = _get(_client(issuer), token)
    assert r.status_code == 401, r.text
    detail = r.json()["detail"]
    assert detail.startswith(f"unauthenticated: {reason}"), detail
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "a-shared-secret" not in detail and token not in detail


def test_a_provider_that_is_down_leaves_known_keys_working(issuer: LocalIssuer) -> None:
    client = _client(issuer)
    assert _get(client, issuer.sign(_claims(issuer))).status_code == 200
    issuer.down = True
    fetches = issuer.fetches
    assert _get(client, issuer.sign(_claims(issuer))).status_code == 200
    assert issuer.fetches == fetches  # the key came from the cache


def test_a_new_key_that_cannot_be_fetched_is_503_with_retry_after(issuer: LocalIssuer) -> None:
    client = _client(issuer)
    issuer.down = True
    r = _get(client, issuer.sign(_claims(issuer), key=OTHER_KEY, kid="rotated-key"))
    assert r.status_code == 503
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["detail"].startswith("unauthenticated for now:")


def test_a_rotated_key_is_fetched_by_its_kid_and_the_retired_one_stops(issuer: LocalIssuer) -> None:
    now = [0.0]
    client = _client(issuer, KeySet(issuer.jwks_url, refetch_seconds=10, clock=lambda: now[0]))
    assert _get(client, issuer.sign(_claims(issuer))).status_code == 200
    issuer.served = [LocalIssuer.jwk(OTHER_KEY, "next-key")]  # the provider rotates
    now[0] += 11  # keys are fetched again at most every refetch_seconds
    new = issuer.sign(_claims(issuer), key=OTHER_KEY, kid="next-key")
    assert _get(client, new).status_code == 200
    old = _get(client, issuer.sign(_claims(issuer)))
    assert old.status_code == 401
    assert "does not publish" in old.json()["detail"]


def test_made_up_kids_cannot_make_the_service_hammer_the_provider(issuer: LocalIssuer) -> None:
    client = _client(issuer)
    for i in range(20):
        _get(client, issuer.sign(_claims(issuer), key=OTHER_KEY, kid=f"made-up-{i}"))
    assert issuer.fetches == 1


def test_a_slow_key_fetch_never_holds_up_a_token_whose_key_is_held(issuer: LocalIssuer) -> None:
    """A flood of tokens naming unknown kids while the provider is slow once stalled every
    request, cached tokens included: the fetch held the lock every check takes."""
    keys = KeySet(issuer.jwks_url, timeout=5, refetch_seconds=0)
    verifier = TokenVerifier(issuer.issuer, "maag-referral", keys)
    verifier.verify(issuer.sign(_claims(issuer)))  # its key fetched, and held
    issuer.gate = threading.Event()
    unknown = issuer.sign(_claims(issuer, sub="u-2"), key=OTHER_KEY, kid="unknown-1")
    with ThreadPoolExecutor(3) as pool:
        stalled = pool.submit(verifier.verify, unknown)
        assert issuer.fetching.wait(5)  # the provider holds the fetch
        fresh = issuer.sign(_claims(issuer, sub="u-3"))  # not remembered: checked now
        assert pool.submit(verifier.verify, fresh).result(timeout=2).user_id == "u-3"
        fetches = issuer.fetches
        second = pool.submit(
            verifier.verify, issuer.sign(_claims(issuer), key=OTHER_KEY, kid="unknown-2")
        )
        issuer.gate.set()
        with pytest.raises(Unauthenticated, match="does not publish"):
            stalled.result(timeout=10)
        with pytest.raises(Unauthenticated, match="does not publish"):
            second.result(timeout=10)
        assert issuer.fetches <= fetches + 1  # one flight at a time


def test_a_remembered_token_still_expires(issuer: LocalIssuer) -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        issuer.issuer, "maag-referral", KeySet(issuer.jwks_url), clock=lambda: now[0]
    )
    token = issuer.sign(_claims(issuer, exp=int(now[0]) + 60))
    assert verifier.verify(token).user_id == "u-1"
    fetches = issuer.fetches
    assert verifier.verify(token).user_id == "u-1"  # remembered: no second check
    assert issuer.fetches == fetches
    now[0] += 60 + 31  # past its expiry and the leeway
    with pytest.raises(Unauthenticated, match="token expired"):
        verifier.verify(token)


def test_a_remembered_token_whose_key_was_retired_is_checked_again(issuer: LocalIssuer) -> None:
    clock = [0.0]
    keys = KeySet(issuer.jwks_url, refetch_seconds=10, clock=lambda: clock[0])
    verifier = TokenVerifier(issuer.issuer, "maag-referral", keys)
    old = issuer.sign(_claims(issuer))
    assert verifier.verify(old).user_id == "u-1"
    issuer.served = [LocalIssuer.jwk(OTHER_KEY, "next-key")]  # the old key is withdrawn
    clock[0] += 11
    verifier.verify(issuer.sign(_claims(issuer), key=OTHER_KEY, kid="next-key"))
    with pytest.raises(Unauthenticated, match="does not publish"):
        verifier.verify(old)


@pytest.mark.parametrize(
    "token",
    ["a.b", "a.b.c.d", "!!!.e30.x", "bm90IGpzb24.e30.x", "W10.e30.x", "x" * 5000 + ".e30.x"],
)
def test_a_token_whose_header_is_not_json_is_401(issuer: LocalIssuer, token: str) -> None:
    r = _get(_client(issuer), token)
    assert (r.status_code, r.json()["detail"]) == (
        401,
        "unauthenticated: token is not a signed JWT",
    )


def test_a_token_verified_before_is_known_without_a_worker_thread(
    issuer: LocalIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a token not verified yet takes the hop to a worker thread (where a key it names
    may be fetched from the provider): the hop on every request was a tenth of a service's
    processor time."""
    hops: list[object] = []

    async def counted(func: Any, *args: Any) -> Any:
        hops.append(func)
        return await run_in_threadpool(func, *args)

    monkeypatch.setattr("maag.runtime.web.http.run_in_threadpool", counted)
    client, token = _client(issuer), issuer.sign(_claims(issuer))
    assert [_get(client, token).status_code for _ in range(3)] == [200, 200, 200]
    assert len(hops) == 1
    assert _get(client, issuer.sign(_claims(issuer, sub="u-2"))).json()["user"] == "u-2"
    assert len(hops) == 2
    assert _get(client, token + "x").status_code == 401  # not known: verified, and refused
    assert len(hops) == 3
