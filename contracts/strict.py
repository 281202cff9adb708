"""Reading a message exactly as its published JSON Schema reads it.

pydantic's default (lax) mode coerces what the schemas forbid (the string "yes" to `true`,
"3" to 3, a number of seconds to a time), so messages and request bodies are validated in
strict mode instead. Differences remain between strict pydantic and JSON Schema, and
they are closed here: JSON Schema counts 3.0 as the integer 3, and it reads `date-time` as
RFC 3339 only and `date` as YYYY-MM-DD only (pydantic also takes "1600000000" for either).
`tests/unit/contracts/test_conformance.py` checks the two agree on generated values.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BeforeValidator, TypeAdapter

from contracts.reference import LevelOfNeed

T = TypeVar("T")

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str):
        return value  # a datetime built in code; anything else is refused as not a datetime
    if not _RFC3339.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-11-27T09:30:00Z")
    # Already known to be RFC 3339: parse it (strict mode takes only datetime objects here).
    return _LAX_TIME.validate_python(value)


_LAX_TIME: TypeAdapter[datetime] = TypeAdapter(AwareDatetime)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _iso_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if not _ISO_DATE.match(value):
        raise ValueError("must be a date as YYYY-MM-DD, e.g. 2026-11-27")
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise ValueError(f"must be a real date as YYYY-MM-DD ({e})") from None


_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$", re.ASCII
)


def _hyphenated(value: Any) -> Any:
    if isinstance(value, str) and not _UUID.match(value):
        raise ValueError("must be a UUID as 8-4-4-4-12 hexadecimal digits")
    return value


# A moment with its UTC offset, written as RFC 3339 (what `format: date-time` means).
Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
# A calendar day written YYYY-MM-DD (what `format: date` means; pydantic also reads a
# number of seconds as a date).
Day = Annotated[date, BeforeValidator(_iso_date)]
# A UUID in its hyphenated form (what `format: uuid` means; pydantic also takes 32 digits,
# braces or a urn: prefix).
Uuid = Annotated[UUID, BeforeValidator(_hyphenated)]


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


# One decoder: json.loads with a keyword builds a new one (and its scanner) every call.
_DECODER = json.JSONDecoder(parse_float=_number)


def normalised(raw: bytes | str) -> bytes | str:
    """The same JSON with every integral number written as an integer (3.0 -> 3), as JSON
    Schema reads it; text that is not JSON is returned as it is, for pydantic to name."""
    try:
        # JSON is UTF-8 without a byte-order mark (RFC 8259); json.loads would also guess
        # UTF-16 and 32 from bytes, so bytes are decoded here, strictly.
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return json.dumps(_DECODER.decode(text), ensure_ascii=False)
    except (ValueError, RecursionError, OverflowError):
        return raw


_adapters: dict[Any, TypeAdapter[Any]] = {}


def adapter(model: Any) -> TypeAdapter[Any]:
    """A cached TypeAdapter for a model or annotated type (building one is not free)."""
    found = _adapters.get(model)
    if found is None:
        found = _adapters[model] = TypeAdapter(model)
    return found


def validate_json(model: type[T] | Any, raw: bytes | str) -> T:
    """Validate `raw` strictly as `model`; raises pydantic's ValidationError naming each field."""
    result: T = adapter(model).validate_json(normalised(raw), strict=True)
    return result


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):  # Python's True is 1, so an IntEnum would take it
        raise ValueError("must be a whole number, not true or false")
    return value


# A level of need (1 to 4); JSON Schema's integers exclude true and false, and so does this.
Level = Annotated[LevelOfNeed, BeforeValidator(_not_a_boolean)]
