"""Contacts (reference data): where to email a provider about its packages, a panel's
coordinator (`coordinator:<panel key>`, e.g. `coordinator:maag:harlow`), a district's
children's social care front door (`front-door:<district>`, e.g. `front-door:harlow`), and a
panel's distribution list: the work address of each of its members, to whom its meetings'
agendas are circulated (`members:<panel key>`, e.g. `members:maag:harlow`, `members:earp`:
`{"name": ..., "members": [address, ...]}`).

The file is configuration from outside the code (`MAAG_PROVIDER_DIRECTORY`; by default the
one beside this module, seeded with the seeded people of the local identity provider): every
entry is checked when it is loaded, so a bad address, or a distribution list for a panel
there is not, stops the service at start with the entry named, not an email later."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from contracts.envelope import describe_errors
from contracts.limits import EMAIL_CHARS, ID_CHARS
from contracts.reference import District, Panel

DEFAULT = Path(__file__).with_name("providers.json")
MEMBERS = "members:"  # a panel's distribution list: `members:<panel key>`
# A panel's members: a MAAG's dozen agencies and a few more, with room to spare.
MEMBERS_LIMIT = 200
PANEL_KEYS = frozenset(
    [f"{Panel.MAAG.value}:{d.value}" for d in District] + [Panel.EARP.value, Panel.JAP.value]
)


class Contact(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    name: str = Field(min_length=1, max_length=ID_CHARS)
    email: EmailStr = Field(max_length=EMAIL_CHARS)


class DistributionList(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    name: str = Field(min_length=1, max_length=ID_CHARS)
    members: list[EmailStr] = Field(min_length=1, max_length=MEMBERS_LIMIT)


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
        self.lists: dict[str, DistributionList] = {}
        for provider_id, contact in raw.items():
            try:
                if provider_id.startswith(MEMBERS):
                    self.lists[_panel_key(provider_id)] = DistributionList.model_validate(contact)
                else:
                    self.contacts[provider_id] = Contact.model_validate(contact)
            except ValidationError as e:
                raise DirectoryError(
                    f"provider directory {source}: {provider_id}: {describe_errors(e)}"
                ) from None
            except ValueError as e:
                raise DirectoryError(f"provider directory {source}: {provider_id}: {e}") from None

    def email_of(self, provider_id: str) -> str | None:
        contact = self.contacts.get(provider_id)
        return str(contact.email) if contact else None

    def members_of(self, panel_key: str) -> tuple[str, ...]:
        """The work addresses on a panel's distribution list, each once (none: no list)."""
        found = self.lists.get(panel_key)
        if found is None:
            return ()
        once: dict[str, str] = {}
        for address in found.members:
            once.setdefault(str(address).lower(), str(address))
        return tuple(once.values())


def _panel_key(entry: str) -> str:
    key = entry.removeprefix(MEMBERS)
    if key not in PANEL_KEYS:
        raise ValueError(
            "a distribution list is of a panel: members:maag:<district>, members:earp or "
            "members:jap"
        )
    return key
