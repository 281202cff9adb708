"""Provider contacts: where to email a provider about its packages (reference data)."""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT = Path(__file__).with_name("providers.json")


class ProviderDirectory:
    def __init__(self, path: Path | None = None) -> None:
        self.contacts: dict[str, dict[str, str]] = json.loads((path or DEFAULT).read_text())

    def email_of(self, provider_id: str) -> str | None:
        contact = self.contacts.get(provider_id)
        return contact["email"] if contact else None
