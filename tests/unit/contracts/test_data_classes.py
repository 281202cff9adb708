"""Every field of every published contract declares its data class, in the model and in
its JSON Schema; the declaration adds an annotation and changes nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from contracts.classification import (
    DATA_CLASS_KEY,
    OPERATIONAL,
    SPECIAL,
    DataClass,
    classes_of,
    declared,
    published_models,
)
from contracts.events.referral import ChildDetails, ReferralSubmission
from contracts.topics import EVENT_TOPICS, NO_LONGER_PUBLISHED, OUTCOME_TOPICS, PUBLISHED_LINKS

SCHEMAS = Path(__file__).parents[3] / "contracts" / "schemas"


def test_every_field_of_every_published_model_declares_its_class() -> None:
    models = published_models()
    assert ReferralSubmission in models and ChildDetails in models  # nested models too
    missing = [
        f"{model.__name__}.{name}"
        for model in models
        for name, found in declared(model).items()
        if found is None
    ]
    assert missing == []


def test_every_property_of_every_exported_schema_carries_its_class() -> None:
    missing: list[str] = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        for where, part in [("", schema), *schema.get("$defs", {}).items()]:
            for name, prop in part.get("properties", {}).items():
                if DATA_CLASS_KEY not in prop:
                    missing.append(f"{path.name}:{where}.{name}")
                else:
                    DataClass(prop[DATA_CLASS_KEY])  # a class that exists
    assert missing == []


def test_the_childs_details_are_identifying_and_what_is_written_about_them_special() -> None:
    child = classes_of(ChildDetails)
    # ethnic origin and health (disability, special educational needs): UK GDPR Art. 9
    special = {"ethnicity", "disability", "sen"}
    assert {k for k, c in child.items() if c is DataClass.SPECIAL_CATEGORY} == special
    assert {c for k, c in child.items() if k not in special} == {DataClass.IDENTIFYING}
    submission = classes_of(ReferralSubmission)
    assert submission["caf_reference"] is DataClass.IDENTIFYING
    assert submission["needs"] is DataClass.SPECIAL_CATEGORY
    assert submission["referring_professional_id"] is DataClass.THIRD_PARTY
    assert submission["submission_id"] is DataClass.OPERATIONAL


def test_a_mark_adds_only_its_annotation_to_the_schema() -> None:
    class Plain(BaseModel):
        shares: list[int] = Field(max_length=3, json_schema_extra={"x-other": 100})
        note: str | None = Field(default=None, description="d")

    class Marked(BaseModel):
        shares: Annotated[list[int], OPERATIONAL] = Field(
            max_length=3, json_schema_extra={"x-other": 100}
        )
        note: Annotated[str | None, SPECIAL] = Field(default=None, description="d")

    plain: dict[str, Any] = Plain.model_json_schema()["properties"]
    marked: dict[str, Any] = Marked.model_json_schema()["properties"]
    assert marked["shares"].pop(DATA_CLASS_KEY) == "operational"
    assert marked["note"].pop(DATA_CLASS_KEY) == "special-category"
    assert marked == plain


def test_a_field_without_a_class_is_found() -> None:
    class Unmarked(BaseModel):
        marked: Annotated[str, OPERATIONAL]
        forgotten: str

    assert declared(Unmarked) == {"marked": DataClass.OPERATIONAL, "forgotten": None}


@pytest.mark.parametrize(
    ("data_class", "withheld"),
    [
        (DataClass.IDENTIFYING, True),
        (DataClass.SPECIAL_CATEGORY, True),
        (DataClass.THIRD_PARTY, False),
        (DataClass.OPERATIONAL, False),
    ],
)
def test_identifying_and_special_category_values_are_the_ones_withheld(
    data_class: DataClass, withheld: bool
) -> None:
    assert data_class.withheld is withheld


def test_what_the_services_publish_carries_nothing_about_the_child_but_links() -> None:
    # read from the classes: a published type with an identifying or special-category field
    # (other than a pseudonymous link) fails here; the retired types are what did
    carrying = {
        f"{m.__name__}.{name}"
        for topic in (*EVENT_TOPICS, *OUTCOME_TOPICS)
        for m in topic.messages
        if m not in NO_LONGER_PUBLISHED
        for name, found in classes_of(m).items()
        if found.withheld and name not in PUBLISHED_LINKS
    }
    assert carrying == set()
    retired = {
        f"{m.__name__}.{name}"
        for m in NO_LONGER_PUBLISHED
        for name, found in classes_of(m).items()
        if found.withheld and name not in PUBLISHED_LINKS
    }
    assert {"ReferralReceived.caf_reference", "ConsentRecorded.how_obtained"} <= retired
