"""structlog set-up: JSON off a terminal, readable on one; case and correlation ids bound per message."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog

from contracts.classification import classes_of, published_models

# Keys that must never reach a log record: every field the published contracts declare
# identifying or special-category (a child's details, needs, consent wording, harm flags,
# links between children), and the names a log call might give a child's details.
_ALSO = {"name", "child_name", "dob"}


def _withheld_keys() -> frozenset[str]:
    return frozenset(
        {
            name
            for model in published_models()
            for name, data_class in classes_of(model).items()
            if data_class.withheld
        }
        | _ALSO
    )


PERSONAL_KEYS = _withheld_keys()


def _drop_personal_data(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key in PERSONAL_KEYS & event.keys():
        event[key] = "[withheld]"
    return event


class _StderrLogger:
    """Writes to whatever sys.stderr is at the time (test capture replaces it)."""

    def __init__(self, *_: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def configure(fmt: str | None = None, level: int = logging.INFO) -> None:
    json_output = fmt == "json" or (fmt is None and not sys.stderr.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_output else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _drop_personal_data,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )


@contextmanager
def bound(
    case_id: str | None = None, correlation_id: str | None = None, **extra: Any
) -> Iterator[None]:
    """Bind case and correlation ids to every record logged inside the block."""
    values = {
        k: v
        for k, v in {"case_id": case_id, "correlation_id": correlation_id, **extra}.items()
        if v is not None
    }
    with structlog.contextvars.bound_contextvars(**values):
        yield


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
