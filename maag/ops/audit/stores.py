"""Reading the services' stores directly (for `maag audit` when run beside them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from maag.runtime.evidence.case_history import CaseHistory
from maag.runtime.evidence.chain import EventChain
from maag.runtime.evidence.chain_keys import ChainKeys
from maag.runtime.follow.projection import read_model_engine
from maag.runtime.settings import Settings
from maag.runtime.store.application import ServiceApplication
from maag.services import SPECS

NAMES = list(SPECS)


@contextmanager
def store_of(
    settings: Settings, name: str, verifying: bool = True
) -> Iterator[tuple[ServiceApplication, EventChain]]:
    """A plain reader of the service's store (events as stored) and its chain and index.
    Only `verifying` needs the chain's key (MAAG_CHAIN_KEY); a replay reads the index alone,
    so it is given a throwaway key it never uses."""
    keys = ChainKeys.of(settings, name) if verifying else ChainKeys.derive(os.urandom(32), name)
    store = type(f"{name.capitalize()}Store", (ServiceApplication,), {"name": name})(settings)
    engine = read_model_engine(settings, name)
    try:
        yield store, EventChain(store, engine, keys)
    finally:
        store.close()
        engine.dispose()


@contextmanager
def histories(settings: Settings, names: list[str] | None = None) -> Iterator[list[CaseHistory]]:
    with ExitStack() as stack:
        yield [
            CaseHistory(
                name,
                *stack.enter_context(store_of(settings, name, verifying=False)),
                SPECS[name].audit,
            )
            for name in names or NAMES
        ]
