"""The class of every piece of data the services hold or publish, declared once beside the
field that holds it and read by what must treat it differently (the audit replay's
withholding, subject access's redaction, the logs).

A field declares its class with one of the marks below in its annotation:
`how_obtained: Annotated[str, SPECIAL]`. On a published contract (a pydantic model) the mark
is also an annotation of its JSON Schema (`"x-maag-data-class": "special-category"`), so a
consumer reads the same class the producer declared; on a stored domain event, or a
template's context, it is the same mark in the annotation. A read model's column says it in
`info={DATA_CLASS_KEY: ...}` (`column_class`).

A value made of parts (a submission's details, a plan's attendance list) takes the class of
its most sensitive part, in the order special-category, identifying, third-party,
operational.
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

DATA_CLASS_KEY = "x-maag-data-class"


class DataClass(StrEnum):
    IDENTIFYING = "identifying"
    """Identifies the child or the family: names, dates of birth, addresses, the CAF
    reference, the links between a child, their other referrals and their household (the
    child and household ids, a sibling's case), and anything that could confirm a guessed
    child (a submission's fingerprint). Never leaves the service that holds it in the clear:
    withheld from the audit replay and from logs."""

    SPECIAL_CATEGORY = "special-category"
    """About the child's or the family's health, safety or life, or free text written about
    them: needs, harm flags, consent wording, safeguarding justifications, case notes, the
    plan's needs, goals, actions, progress and meeting notes. Withheld like identifying
    data. (Why a panel decided what it did, as the chair recorded it, is the decision's
    record and stays operational: the audit trail of what was decided remains.)"""

    THIRD_PARTY = "third-party"
    """Identifies someone other than the child and family: professionals', chairs',
    providers' staff's and other people's names, ids and email addresses (lead
    professionals, team members, attendees, action owners, recipients). Shown to an auditor;
    redacted from a subject-access export (UK GDPR Art. 15(4))."""

    OPERATIONAL = "operational"
    """What the work runs on and identifies nobody: pseudonymous case, package and meeting
    ids, dates, tiers, districts, agencies, statuses, amounts, counts, and decisions and
    their recorded reasons."""

    @property
    def withheld(self) -> bool:
        """Whether the value stays inside its service: the audit replay and logs leave it out."""
        return self in (DataClass.IDENTIFYING, DataClass.SPECIAL_CATEGORY)


def _mark(data_class: DataClass) -> Any:
    # A pydantic `FieldInfo`: on a contract it merges into the field (its JSON Schema gains
    # the key); elsewhere it is plain `Annotated` metadata.
    return Field(json_schema_extra={DATA_CLASS_KEY: data_class.value})


IDENTIFYING = _mark(DataClass.IDENTIFYING)
SPECIAL = _mark(DataClass.SPECIAL_CATEGORY)
THIRD_PARTY = _mark(DataClass.THIRD_PARTY)
OPERATIONAL = _mark(DataClass.OPERATIONAL)


class Parts:
    """A stored attribute that holds a contract's value as a mapping (a submission's
    details): its parts take the classes that contract's fields declare, so what is withheld
    is withheld part by part and the operational parts (district, agency) stay readable.
    `details: Annotated[dict[str, Any], SPECIAL, Parts(ReferralDetails)]`."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    def withheld(self) -> frozenset[str]:
        """The parts that stay inside their service (`DataClass.withheld`)."""
        return frozenset(k for k, c in classes_of(self.model).items() if c.withheld)


def parts_of(metadata: Iterable[object]) -> Parts | None:
    """The `Parts` a field's annotation metadata declares, if any."""
    return next((m for m in metadata if isinstance(m, Parts)), None)


def column_class(data_class: DataClass) -> dict[str, str]:
    """A read model column's `info=`."""
    return {DATA_CLASS_KEY: data_class.value}


def of_mark(metadata: Iterable[object]) -> DataClass | None:
    """The class a field's annotation metadata declares, if any."""
    for item in metadata:
        extra = item.json_schema_extra if isinstance(item, FieldInfo) else None
        if isinstance(extra, Mapping) and DATA_CLASS_KEY in extra:
            return DataClass(str(extra[DATA_CLASS_KEY]))
    return None


def declared(cls: type) -> dict[str, DataClass | None]:
    """Each field of `cls` (a contract or a stored event class, with the fields it
    inherits) and the class it declares (None where it declares none)."""
    if issubclass(cls, BaseModel):
        found: dict[str, DataClass | None] = {}
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra
            value = extra.get(DATA_CLASS_KEY) if isinstance(extra, Mapping) else None
            found[name] = DataClass(str(value)) if value is not None else None
        return found
    hints = typing.get_type_hints(cls, include_extras=True)
    return {
        name: of_mark(getattr(hint, "__metadata__", ()))
        for name, hint in hints.items()
        if typing.get_origin(hint) is not typing.ClassVar
    }


def classes_of(cls: type) -> dict[str, DataClass]:
    """Each field of `cls` that declares a class, and that class."""
    return {name: found for name, found in declared(cls).items() if found is not None}


def published_models() -> set[type[BaseModel]]:
    """Every model of the published contracts (`contracts.events`), and every model their
    fields hold (an actor, a child's details, a package's interventions)."""
    import contracts.events as events  # here: the contracts import this module

    modules = [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(events.__path__, f"{events.__name__}.")
    ]
    found: set[type[BaseModel]] = set()
    todo = [
        value
        for module in modules
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    ]
    while todo:
        model = todo.pop()
        if model in found:
            continue
        found.add(model)
        for info in model.model_fields.values():
            todo.extend(_models_in(info.annotation))
    return found


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
