"""The compatibility rules, on models changed the ways that break consumers and the way that does not."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from contracts.compatibility import breaking_changes


class Address(BaseModel):
    district: str
    postcode: str | None = None


class V1(BaseModel):
    case_id: str
    hours: float
    note: str | None = None
    level: int = Field(ge=1, le=4)
    place: Address


def _changes(new: type[BaseModel]) -> list[str]:
    return breaking_changes(V1.model_json_schema(), new.model_json_schema())


def test_adding_an_optional_field_is_compatible() -> None:
    class V2(V1):
        extra: str | None = None

    assert _changes(V2) == []


def test_removing_a_field_names_it() -> None:
    class V2(BaseModel):
        case_id: str
        note: str | None = None
        level: int = Field(ge=1, le=4)
        place: Address

    assert _changes(V2) == ["field hours: removed or renamed"]


def test_renaming_a_field_names_the_old_one() -> None:
    class V2(BaseModel):
        case_id: str
        hours_per_week: float
        note: str | None = None
        level: int = Field(ge=1, le=4)
        place: Address

    problems = _changes(V2)
    assert "field hours: removed or renamed" in problems
    assert "field hours_per_week: added as required (old events lack it)" in problems


def test_tightening_a_type_names_the_field() -> None:
    class V2(BaseModel):
        case_id: str
        hours: int
        note: str | None = None
        level: int = Field(ge=1, le=4)
        place: Address

    assert _changes(V2) == ["field hours: type narrowed, no longer accepts number"]


def test_tightening_a_range_names_the_field() -> None:
    class V2(BaseModel):
        case_id: str
        hours: float
        note: str | None = None
        level: int = Field(ge=1, le=3)
        place: Address

    assert _changes(V2) == ["field level: maximum tightened to 3"]


def test_making_an_optional_field_required_names_it() -> None:
    class V2(BaseModel):
        case_id: str
        hours: float
        note: str
        level: int = Field(ge=1, le=4)
        place: Address

    problems = _changes(V2)
    assert "field note: was optional, is now required" in problems
    assert "field note: type narrowed, no longer accepts null" in problems


def test_a_nested_field_is_named_with_its_path() -> None:
    class Address2(BaseModel):
        district: str

    class V2(BaseModel):
        case_id: str
        hours: float
        note: str | None = None
        level: int = Field(ge=1, le=4)
        place: Address2

    assert _changes(V2) == ["field place.postcode: removed or renamed"]


def test_removing_an_enum_value_names_the_field() -> None:
    old: dict[str, Any] = {"type": "object", "properties": {"r": {"enum": ["a", "b"]}}}
    new: dict[str, Any] = {"type": "object", "properties": {"r": {"enum": ["a"]}}}
    assert breaking_changes(old, new) == ["field r: enum values removed: ['b']"]
