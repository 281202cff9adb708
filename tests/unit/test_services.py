"""The registry of services: one declaration of each service that everything else reads."""

from __future__ import annotations

import pytest

from maag.runtime.settings import SettingsError
from maag.services import settings_from_env


def test_service_urls_default_to_the_local_ports_and_reject_what_is_not_a_service_url() -> None:
    assert settings_from_env({}).service_urls["panel"] == "http://127.0.0.1:8002"
    urls = settings_from_env({"MAAG_SERVICE_URLS": "panel=http://maag-panel/, referral=https://r"})
    assert (urls.service_urls["panel"], urls.service_urls["referral"]) == (
        "http://maag-panel",
        "https://r",
    )
    assert urls.service_urls["notifications"] == "http://127.0.0.1:8004"
    for bad in ("audit=http://x", "panel", "panel=ftp://x"):
        with pytest.raises(SettingsError, match="MAAG_SERVICE_URLS"):
            settings_from_env({"MAAG_SERVICE_URLS": bad})
