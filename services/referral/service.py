"""Wiring: the referral service's store, outbox relay, submissions consumer, read model and API."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from contracts.topics import PANEL_EVENTS, REFERRAL_SUBMISSIONS
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.service import Plumbing, Service, run
from maag.runtime.settings import Settings, SettingsError
from maag.runtime.store.case_keys import KeyringError, SqlKeyring
from services.referral.adapters import read_model
from services.referral.adapters.child_index import (
    NotIndexable,
    Rotation,
    SqlChildIndex,
    previous_release_key,
)
from services.referral.adapters.document_content import SqlDocumentContents
from services.referral.adapters.http import create_api
from services.referral.adapters.inbound import panel_events, submissions
from services.referral.adapters.keyring import referral_keyring
from services.referral.adapters.read_model import SqlCaseList
from services.referral.adapters.translate import CLASSES, translator
from services.referral.application.app import ReferralApp
from services.referral.domain.matching import Key, match_keys
from services.referral.domain.referral import Referral
from services.referral.domain.retention import ScheduleError, outcome_named, parse_schedule
from services.referral.spec import SPEC

ReferralService = Service[ReferralApp]
# What the operator's tools (`maag privacy ...`) use of this service, from its wiring only.
__all__ = [
    "KeyringError",
    "Rotation",
    "ScheduleError",
    "build",
    "keyring",
    "main",
    "outcome_named",
    "previous_release_key",
    "rotate_child_index",
]


def build(settings: Settings) -> ReferralService:
    try:
        schedule = parse_schedule(settings.retention_schedule)
    except ScheduleError as e:
        raise SettingsError(f"MAAG_RETENTION: {e}") from None
    # each case's data key, wrapped by the key-encryption keys (crypto-shredding)
    engine = read_model_engine(settings, "referral")
    keyring = referral_keyring(engine, settings)
    # the child index's own key (MAAG_CHILD_INDEX_KEYS): refused at start when it is missing
    index = SqlChildIndex(engine, settings.child_index_keys)
    app = ReferralApp(
        settings,
        keyring,
        index,
        SqlCaseList(engine),
        documents=SqlDocumentContents(engine),  # their content, beside the store
        audit=SPEC.audit,
        schedule=schedule,
    )
    p = Plumbing.around(
        SPEC,
        settings,
        app,
        CLASSES,
        # each outcome told to its agency too, whose referral it is from its Received
        translator(lambda case_id: app.repository.get(case_id).agency),
        read_model.metadata,
        read_model.project,
        projection=read_model.PROJECTION,
        engine=engine,
    )
    consumer = p.consumer(
        [
            submissions(REFERRAL_SUBMISSIONS.named(settings.topic_prefix), p.verifier),
            panel_events(PANEL_EVENTS.named(settings.topic_prefix)),
        ]
    )
    api = create_api(app, p.verifier, p.ready)
    return Service.of(p, app, api, consumer)


def keyring(settings: Settings) -> SqlKeyring:
    """The cases' data keys as the running service holds them (`maag privacy rotate-keys`)."""
    return referral_keyring(read_model_engine(settings, "referral"), settings)


def rotate_child_index(settings: Settings) -> Rotation:
    """Every child-index entry re-computed under the first of MAAG_CHILD_INDEX_KEYS, from each
    referral's child as the store holds it (sealed under the case's data key), with the
    running service's settings (`maag privacy rotate-index-key`)."""
    engine = read_model_engine(settings, "referral")
    index = SqlChildIndex(engine, settings.child_index_keys)
    keyring = referral_keyring(engine, settings)
    documents = SqlDocumentContents(engine)
    app = ReferralApp(
        settings, keyring, index, SqlCaseList(engine), documents=documents, audit=SPEC.audit
    )

    def keys_of(case_id: UUID) -> dict[Key, str] | None:
        try:
            referral: object = app.repository.get(case_id)
        except AggregateNotFoundError:
            raise NotIndexable(case_id) from None
        if not isinstance(referral, Referral):
            raise NotIndexable(case_id)
        child = app.child(referral)
        return None if child is None else match_keys(child)

    try:
        return index.rotate(keys_of)
    finally:
        app.close()
        engine.dispose()


def main(settings: Settings) -> None:
    run(SPEC, settings, build)
