"""Property: whatever a client sends, the referral API answers with a 2xx or a 4xx, never a 500."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.identity import auth
from tests.support.referral import details
from tests.unit.services.referral.conftest import Api

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
FIELDS = list(details().keys())


@st.composite
def mutated_submissions(draw: st.DrawFn) -> dict[str, Any]:
    body = details()
    for key in draw(st.lists(st.sampled_from(FIELDS), max_size=4, unique=True)):
        if draw(st.booleans()):
            body.pop(key)
        else:
            body[key] = draw(json_values)
    if draw(st.booleans()):
        body[draw(st.text(min_size=1, max_size=10))] = draw(json_values)
    return body


PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(body=mutated_submissions(), key=st.none() | st.text(max_size=120))
def test_any_submission_gets_a_2xx_or_4xx(api: Api, body: dict[str, Any], key: str | None) -> None:
    headers = auth()
    if key is not None and key.isprintable() and key.isascii():
        headers["Idempotency-Key"] = key
    r = api.client.post("/referrals", json=body, headers=headers)
    assert r.status_code < 500, r.text
    if r.status_code == 422:
        assert r.json()["errors"], "a 422 names at least one field"


@PROPERTY
@given(
    body=json_values, path=st.sampled_from(["consent", "consent/withdrawal", "safeguarding-basis"])
)
def test_any_consent_body_gets_a_2xx_or_4xx(api: Api, body: Any, path: str) -> None:
    case_id = api.client.post("/referrals", json=details(), headers=auth()).json()["case_id"]
    r = api.client.post(f"/referrals/{case_id}/{path}", json=body, headers=auth())
    assert r.status_code < 500, r.text


@PROPERTY
@given(header=st.text(max_size=200).filter(lambda s: s.isascii() and s.isprintable()))
def test_any_authorization_header_gets_a_401_not_a_500(api: Api, header: str) -> None:
    r = api.client.post("/referrals", json=details(), headers={"Authorization": header})
    assert r.status_code == 401, r.text
