"""The services of the system, in the order a case moves through them. Adding a service is
one line here and its own folder (`services/<name>/`, with `spec.py` and `service.py`).

This is the one module outside `services/` that knows them all; the runtime never imports
it (tests/unit/test_import_graph.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from maag.runtime.settings import Settings
from maag.runtime.spec import ServiceSpec
from services.commissioning.spec import SPEC as COMMISSIONING
from services.notifications.spec import SPEC as NOTIFICATIONS
from services.panel.spec import SPEC as PANEL
from services.referral.spec import SPEC as REFERRAL

SPECS: dict[str, ServiceSpec] = {s.name: s for s in (REFERRAL, PANEL, COMMISSIONING, NOTIFICATIONS)}

# Not services but run beside them by `maag run`: the local mailbox, a real SMTP server, and
# the web app (it holds no data: it calls the services' APIs as the signed-in person).
MAILBOX = "mailbox"
MAILBOX_MODULE = "maag.ops.infra.mailbox"
WEB = "web"
WEB_MODULE = "services.web.app"
WEB_PORT = 8010
PROCESSES = (*SPECS, WEB, MAILBOX)


def ports() -> dict[str, int]:
    return {name: spec.port for name, spec in SPECS.items()}


def local_urls() -> dict[str, str]:
    return {name: f"http://127.0.0.1:{port}" for name, port in ports().items()}


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    """The settings, with the services' local addresses as the default MAAG_SERVICE_URLS."""
    return Settings.from_env(env, local_service_urls=local_urls())


def main_of(name: str) -> Callable[[Settings], None]:
    module = {MAILBOX: MAILBOX_MODULE, WEB: WEB_MODULE}.get(name) or SPECS[name].module
    main: Callable[[Settings], None] = importlib.import_module(module).main
    return main


def build_of(name: str) -> Callable[[Settings], Any]:
    build: Callable[[Settings], Any] = importlib.import_module(SPECS[name].module).build
    return build
