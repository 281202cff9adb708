"""Contacts (reference data): where to email a provider about its packages, a panel's
coordinator (`coordinator:<panel key>`, e.g. `coordinator:maag:harlow`), and a district's
children's social care front door (`front-door:<district>`, e.g. `front-door:harlow`).

The file is configuration from outside the code: every entry is checked when it is loaded,
so a bad address stops the service at start with the provider named, not an email later."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from contracts.envelope import describe_errors
from contracts.limits import EMAIL_CHARS, ID_CHARS

DEFAULT = Path(__file__).with_name("providers.json")


class Contact(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    name: str = Field(min_length=1, max_length=ID_CHARS)
    email: EmailStr = Field(max_length=EMAIL_CHARS)


class DirectoryError(ValueError):
    """The provider directory names the entry and what is wrong with it."""


class ProviderDirectory:
    def __init__(self, path: Path | None = None) -> None:
        source = path or DEFAULT
        try:
            raw = json.loads(source.read_text())
        except (OSError, ValueError) as e:
            raise DirectoryError(f"provider directory {source}: unreadable ({e})") from None
        if not isinstance(raw, dict):
            raise DirectoryError(f"provider directory {source}: must map provider ids to contacts")
        self.contacts: dict[str, Contact] = {}
        for provider_id, contact in raw.items():
            try:
                self.contacts[provider_id] = Contact.model_validate(contact)
            except ValidationError as e:
                raise DirectoryError(
                    f"provider directory {source}: {provider_id}: {describe_errors(e)}"
                ) from None

    def email_of(self, provider_id: str) -> str | None:
        contact = self.contacts.get(provider_id)
        return str(contact.email) if contact else None
