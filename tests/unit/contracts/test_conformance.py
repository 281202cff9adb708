"""The code agrees with the published contract: for every published JSON Schema, values
generated from it (valid ones, and near misses made by changing, removing or adding one
field) are accepted by the pydantic model exactly when the schema accepts them.

The schema side is a standard Draft 2020-12 validator with format checking, plus the two
MAAG keywords the schemas declare for rules JSON Schema cannot say
(`x-maag-not-in-future`, `x-maag-percent-sum`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import email_validator
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from pydantic import BaseModel
from pydantic import ValidationError as ModelError

from contracts import strict
from contracts.export import json_schemas
from contracts.limits import earliest_today, latest_today, months_after
from contracts.topics import ALL_TOPICS

MODELS: dict[str, type[BaseModel]] = {
    m.TYPE: m  # type: ignore[attr-defined]
    for t in ALL_TOPICS
    for m in t.messages
}
SCHEMAS = {name.removesuffix(".json"): schema for name, schema in json_schemas().items()}

formats = FormatChecker()


@formats.checks("email", raises=email_validator.EmailNotValidError)
def _email(value: object) -> bool:
    # JSON Schema's `email` is an RFC 5321 mailbox; jsonschema itself only looks for an "@".
    if isinstance(value, str):
        email_validator.validate_email(value, check_deliverability=False)
    return True


def _not_in_future(_: Any, applies: bool, value: Any, __: Any) -> Iterator[ValidationError]:
    if applies and isinstance(value, str):
        try:
            if date.fromisoformat(value) > latest_today():
                yield ValidationError(f"{value} is in the future")
        except ValueError:
            pass  # `format: date` reports it


def _percent_sum(_: Any, total: int, value: Any, __: Any) -> Iterator[ValidationError]:
    if isinstance(value, list) and value:
        shares: list[Any] = [s.get("percent") for s in value if isinstance(s, dict)]
        if all(isinstance(p, int | float) for p in shares) and sum(shares) != total:
            yield ValidationError(f"percentages sum to {sum(shares)}, not {total}")


def _check(_: Any, check: str, value: Any, __: Any) -> Iterator[ValidationError]:
    # the check characters as the NHS and the DfE publish them, written again here so that
    # the contract's own implementation is checked, not trusted
    if not isinstance(value, str):
        return
    if check == "nhs-number" and len(value) == 10 and value.isdigit():
        remainder = sum(int(d) * (10 - i) for i, d in enumerate(value[:9])) % 11
        if remainder == 1 or (11 - remainder) % 11 != int(value[9]) or len(set(value)) == 1:
            yield ValidationError(f"{value} fails the modulus 11 check")
    elif check == "upn" and len(value) == 13:
        table = "ABCDEFGHJKLMNPQRTUVWXYZ"
        digits = [table.index(c) if c in table else int(c) for c in value[1:] if c.isalnum()]
        if (
            len(digits) == 12
            and table[sum(d * (i + 2) for i, d in enumerate(digits)) % 23] != value[0]
        ):
            yield ValidationError(f"{value} has the wrong check letter")


def _expected_delivery(_: Any, window: Any, value: Any, __: Any) -> Iterator[ValidationError]:
    if not isinstance(value, str):
        return
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return  # `format: date` reports it
    first = earliest_today() - timedelta(days=window["days-overdue"])
    last = months_after(latest_today(), window["months-ahead"])
    if not first <= day <= last:
        yield ValidationError(f"{value} is outside {first}..{last}")


MaagValidator = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "x-maag-not-in-future": _not_in_future,
        "x-maag-percent-sum": _percent_sum,
        "x-maag-check": _check,
        "x-maag-expected-delivery": _expected_delivery,
    },
)


def schema_accepts(type_name: str, value: Any) -> bool:
    return bool(MaagValidator(SCHEMAS[type_name], format_checker=formats).is_valid(value))


def model_accepts(type_name: str, value: Any) -> bool:
    try:
        strict.validate_json(MODELS[type_name], json.dumps(value))
    except ModelError:
        return False
    return True


CHECK = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Values that trip lax readers: strings for booleans and numbers, integral floats, huge
# numbers, empty and long strings, wrong containers, times without zones or as numbers.
tricky: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [
            "yes",
            "true",
            "1",
            "3",
            "3.0",
            "",
            "x" * 3000,
            "2026-11-27",
            "2026-11-27T10:00:00",
            "2026-11-27T10:00:00Z",
            "1600000000",
            "2099-01-01",
            "not-an-email@",
            "a@b.example",
            "00000000-0000-0000-0000-000000000000",
            "0" * 32,
            "maldon",
            "maag",
            "education",
            0,
            1,
            3,
            3.0,
            -1,
            10**30,
            1.5,
            True,
            False,
            None,
            [],
            {},
            ["x"],
            [{}],
        ]
    ),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=40),
)


TYPES = sorted(SCHEMAS)
_UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


def _generating(node: Any) -> Any:
    """The schema as hypothesis-jsonschema can generate from it: it has no `uuid` format, so
    such strings get the equivalent pattern; and "exactly one of two fields" (`if`/`then`
    with `dependentSchemas`, which it meets by filtering: minutes per schema) as the two
    objects it allows. Only generation uses this; checking uses the published schema."""
    if isinstance(node, dict):
        out = {k: _generating(v) for k, v in node.items()}
        if out.get("format") == "uuid":
            out["pattern"] = _UUID
        if (pair := _one_of_two(out)) is not None:
            return {"anyOf": [_with_only(out, keep, drop) for keep, drop in (pair, pair[::-1])]}
        return out
    if isinstance(node, list):
        return [_generating(v) for v in node]
    return node


def _one_of_two(node: dict[str, Any]) -> tuple[str, str] | None:
    """(a, b) where `node` says exactly one of its properties a and b is given."""
    try:
        (a,) = node["if"]["not"]["required"]
        (b,) = node["then"]["required"]
        (excluded,) = node["dependentSchemas"][a]["not"]["required"]
    except (KeyError, TypeError, ValueError):
        return None
    return (a, b) if excluded == b else None


def _with_only(node: dict[str, Any], keep: str, drop: str) -> dict[str, Any]:
    out = {k: v for k, v in node.items() if k not in ("if", "then", "dependentSchemas")}
    out["properties"] = {k: v for k, v in node["properties"].items() if k != drop}
    out["required"] = [*node.get("required", []), keep]
    return out


def test_exactly_one_of_two_is_generated_as_the_two_objects_it_allows() -> None:
    child = SCHEMAS["maag.referral.ReferralSubmission.v1"]["$defs"]["ChildDetails"]
    generated = _generating(child)["anyOf"]
    assert [
        sorted(set(g["properties"]) & {"date_of_birth", "expected_date_of_delivery"})
        for g in generated
    ] == [
        ["date_of_birth"],
        ["expected_date_of_delivery"],
    ]
    assert all("if" not in g for g in generated)


def valid_values(type_name: str) -> st.SearchStrategy[Any]:
    return from_schema(_generating(SCHEMAS[type_name]))


# What a lax reader takes for each kind of field though the schema does not.
CONFUSABLE: dict[str, list[Any]] = {
    "boolean": ["true", "false", "yes", "1", 1, 0, "on"],
    "integer": ["3", 3.5, True, "1e3", 10**30, "0x10"],
    "number": ["3", "3.5", True, "NaN", "1e400"],
    "string": [3, 3.5, True, None, ["x"], {"x": 1}, b"x".hex() * 2000],
    "date": ["1600000000", "00000000", "20261127", "2026-11-27T10:00:00Z", "2026-02-30"],
    "date-time": [
        "1600000000",
        "2026-11-27",
        "2026-11-27T10:00:00",
        "2026-11-27 10:00:00Z",
        1600000000,
    ],
    "uuid": ["0" * 32, "urn:uuid:" + "0" * 32, "{00000000-0000-0000-0000-000000000000}", 5],
    "email": ["not-an-email", "a@", "@b.example", "a b@c.example", 5],
    "array": ["x", {"0": "x"}, [None], [[]]],
    "object": ["x", [], [{}]],
}


def _kind(node: Any, root: dict[str, Any]) -> str | None:
    while isinstance(node, dict) and "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(node, dict):
        return None
    if "anyOf" in node:
        kinds = [_kind(v, root) for v in node["anyOf"]]
        return next((k for k in kinds if k not in (None, "null")), None)
    if node.get("format") in CONFUSABLE:
        return str(node["format"])
    if "enum" in node:
        values = node["enum"]
        return "integer" if all(isinstance(v, int) for v in values) else "string"
    kind = node.get("type")
    return kind if isinstance(kind, str) else None


@st.composite
def near_misses(draw: st.DrawFn, type_name: str) -> Any:
    """A valid value with one field changed (to a value a lax reader would take for its
    kind, or to anything), removed, or added; sometimes one level down."""
    root = SCHEMAS[type_name]
    value = draw(valid_values(type_name))
    target, schema = value, root
    if isinstance(value, dict):
        nested = [k for k, v in value.items() if isinstance(v, dict) and v]
        if nested and draw(st.booleans()):  # type: ignore[arg-type]
            key = draw(st.sampled_from(sorted(nested)))
            target, schema = value[key], root.get("properties", {}).get(key, {})
            while isinstance(schema, dict) and "$ref" in schema:
                schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
            if isinstance(schema, dict) and "anyOf" in schema:
                schema = next((v for v in schema["anyOf"] if "$ref" in v), {})
                while "$ref" in schema:
                    schema = root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    if not isinstance(target, dict) or not target:
        return draw(tricky)
    properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
    key = draw(st.sampled_from(sorted(set(target) | set(properties))))
    action = draw(st.sampled_from(["change", "change", "change", "remove", "add"]))
    if action == "change":
        kind = _kind(properties.get(key), root)
        confusable = CONFUSABLE.get(kind or "", [])
        target[key] = draw(st.sampled_from(confusable) | tricky if confusable else tricky)
    elif action == "remove":
        target.pop(key, None)
    else:
        target[draw(st.text(min_size=1, max_size=12))] = draw(tricky)
    return value


def _for_each_type(make: Any) -> None:
    """One test per published type (hypothesis-jsonschema's strategies are built per schema;
    drawn through `st.data()` they failed hypothesis's filter budget)."""
    for type_name in TYPES:
        test = make(type_name)
        test.__name__ = f"{make.__name__.removeprefix('_')}[{type_name}]"
        globals()[f"test_{make.__name__.removeprefix('_')}__{type_name.replace('.', '_')}"] = test


def _every_generated_value_is_accepted_by_the_model(type_name: str) -> Any:
    @CHECK
    @given(value=valid_values(type_name))
    def test(value: Any) -> None:
        if schema_accepts(type_name, value):  # the MAAG keywords are not generated for
            assert model_accepts(type_name, value), json.dumps(value)[:500]

    return test


def _the_model_accepts_a_near_miss_exactly_when_the_schema_does(type_name: str) -> Any:
    @CHECK
    @given(value=near_misses(type_name))
    def test(value: Any) -> None:
        expected = schema_accepts(type_name, value)
        assert model_accepts(type_name, value) == expected, (
            f"schema {'accepts' if expected else 'refuses'}: {json.dumps(value)[:500]}"
        )

    return test


_for_each_type(_every_generated_value_is_accepted_by_the_model)
_for_each_type(_the_model_accepts_a_near_miss_exactly_when_the_schema_does)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("significant_harm_concern", "yes"),
        ("transition", 1),
        ("level_of_need", "3"),
        ("needs", ["learning"] * 31),
    ],
)
def test_the_lax_coercions_the_issue_found_are_refused(field: str, value: Any) -> None:
    from tests.support.referral import details

    submission = {**details(), "submission_id": "sub-00000001", field: value}
    assert not schema_accepts("maag.referral.ReferralSubmission.v1", submission)
    assert not model_accepts("maag.referral.ReferralSubmission.v1", submission)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-16"),
        lambda text: text.encode("utf-32"),
        lambda text: b"\xef\xbb\xbf" + text.encode(),
    ],
)
def test_json_is_read_only_as_utf8_without_a_byte_order_mark(encode: Any) -> None:
    """json.loads would guess UTF-16 and 32 from bytes; RFC 8259 says UTF-8, no BOM."""
    from tests.support.referral import details

    text = json.dumps({**details(), "submission_id": "sub-00000001"})
    assert model_accepts("maag.referral.ReferralSubmission.v1", json.loads(text))
    with pytest.raises(ModelError, match="Invalid JSON"):
        strict.validate_json(MODELS["maag.referral.ReferralSubmission.v1"], encode(text))


@pytest.mark.parametrize("flag", [True, False])
def test_a_level_of_need_of_true_or_false_is_refused_by_both(flag: bool) -> None:
    """Found by the near-miss search above: Python's True is 1, so the model took it."""
    from tests.support.referral import details

    body = {**details(level_of_need=flag), "submission_id": "sub-00000001"}
    name = "maag.referral.ReferralSubmission.v1"
    assert (schema_accepts(name, body), model_accepts(name, body)) == (False, False)
