"""Every attribute of every event the four services store, every read model column and
every email context key declares its data class; none names a field that does not exist."""

from __future__ import annotations

import importlib
import re
import typing

import pytest
from sqlalchemy import Table

from contracts.classification import DATA_CLASS_KEY, DataClass, declared
from maag.runtime.messaging.classification import RUNTIME_INTERNAL, recorded_classes
from maag.runtime.spec import GIVEN_TO_EVERY_EVENT, stored_classes
from maag.runtime.store.idempotency import Done
from maag.runtime.store.shredding import withheld_of
from services.commissioning.application import tables as commissioning_tables
from services.notifications.adapters import read_model as notifications_read_model
from services.notifications.domain.templates import CONTEXT_CLASSES, TEMPLATES
from services.panel.adapters import read_model as panel_read_model
from services.panel.domain.plan import Plan
from services.referral.adapters import read_model as referral_read_model
from services.referral.domain.referral import Referral

SERVICES = ("referral", "panel", "commissioning", "notifications")
READ_MODELS = (
    referral_read_model,
    panel_read_model,
    notifications_read_model,
    commissioning_tables,
)


@pytest.mark.parametrize("service", SERVICES)
def test_every_attribute_of_every_stored_event_declares_its_class(service: str) -> None:
    classes = recorded_classes(f"services.{service}")
    assert classes
    missing = [
        f"{c.__qualname__}.{name}"
        for c in classes
        for name, found in declared(c).items()
        if found is None and name not in GIVEN_TO_EVERY_EVENT
    ]
    assert missing == []


def test_every_attribute_of_the_runtimes_own_stored_events_declares_its_class() -> None:
    # every service stores these too: its audited reads, its keyed requests, its incarnations
    missing = [
        f"{c.__qualname__}.{name}"
        for c in RUNTIME_INTERNAL
        for name, found in declared(c).items()
        if found is None and name not in GIVEN_TO_EVERY_EVENT
    ]
    assert missing == []
    assert stored_classes(Done.Recorded)["scope"] is DataClass.THIRD_PARTY  # a user id


def test_the_classes_read_are_the_ones_declared() -> None:
    consent = stored_classes(Referral.ConsentRecorded)
    assert consent["how_obtained"] is DataClass.SPECIAL_CATEGORY
    assert consent["given_on"] is DataClass.OPERATIONAL
    assert stored_classes(Referral.Received)["sealed_child"] is DataClass.IDENTIFYING
    assert stored_classes(Plan.MemberAdded)["member_id"] is DataClass.THIRD_PARTY
    assert stored_classes(Plan.ActionAgreed)["owner"] is DataClass.THIRD_PARTY
    assert stored_classes(Plan.FamilyMeetingHeld)["attended"] is DataClass.THIRD_PARTY
    assert stored_classes(Plan.GoalSet)["text"] is DataClass.SPECIAL_CATEGORY
    assert stored_classes(Plan.Started)["actor"] is DataClass.THIRD_PARTY  # given to every event


@pytest.mark.parametrize("module", READ_MODELS, ids=lambda m: m.__name__)
def test_every_read_model_column_declares_its_class(module: object) -> None:
    tables = [t for t in vars(module).values() if isinstance(t, Table)]
    assert tables
    missing = [
        f"{t.name}.{c.name}" for t in tables for c in t.columns if DATA_CLASS_KEY not in c.info
    ]
    assert missing == []
    for t in tables:
        for c in t.columns:
            DataClass(c.info[DATA_CLASS_KEY])  # a class that exists


def test_the_child_links_in_the_referrals_read_model_are_identifying() -> None:
    cases = referral_read_model.cases
    for name in ("child_id", "household_id", "caf_reference"):
        assert cases.c[name].info[DATA_CLASS_KEY] == DataClass.IDENTIFYING


def test_every_email_context_key_declares_its_class_and_each_class_names_a_used_key() -> None:
    used = {
        key
        for wording in TEMPLATES.values()
        for text in (wording.subject, wording.body)
        for key in re.findall(r"\$([a-z_]+)", text)
    }
    assert used - CONTEXT_CLASSES.keys() == set()  # no key without a class
    assert CONTEXT_CLASSES.keys() - used == set()  # no class for a key no template has
    assert CONTEXT_CLASSES["name"] is DataClass.THIRD_PARTY


@pytest.mark.parametrize("service", SERVICES)
def test_each_withheld_wording_names_an_attribute_its_class_withholds(service: str) -> None:
    spec = importlib.import_module(f"services.{service}.audit").AUDIT
    attributes: dict[str, set[DataClass]] = {}
    for event_class in recorded_classes(f"services.{service}"):
        for name, data_class in stored_classes(event_class).items():
            attributes.setdefault(name, set()).add(data_class)
    for name in spec.withheld_as:
        assert name in attributes, f"{name}: no stored event of {service} has it"
        assert all(c.withheld for c in attributes[name]), f"{name} is not withheld by class"


@pytest.mark.parametrize("service", SERVICES)
def test_every_withheld_attribute_reads_as_none_once_erased(service: str) -> None:
    # an erased value reads as None (maag.runtime.store.shredding): every withheld attribute
    # says so in its type, so the code that reads it must say what an erasure leaves
    closed = [
        f"{c.__qualname__}.{name}"
        for c in recorded_classes(f"services.{service}")
        for name, parts in withheld_of(c).items()
        if not parts and type(None) not in typing.get_args(_bare(c, name))
    ]
    assert closed == []


def _bare(cls: type, name: str) -> object:
    hint = typing.get_type_hints(cls, include_extras=True)[name]
    return typing.get_args(hint)[0]  # Annotated[X | None, ...] -> X | None
