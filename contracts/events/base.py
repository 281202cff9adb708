"""What every integration event has: a versioned type name, the case, when, and who."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.limits import ID_CHARS
from contracts.reference import Role
from contracts.strict import Timestamp, Uuid


class Actor(BaseModel):
    """Who did it: a person (or the system) acting in a role for an agency."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: str = Field(min_length=1, max_length=ID_CHARS)
    role: Role
    agency: str = Field(min_length=1, max_length=ID_CHARS)


class IntegrationEvent(BaseModel):
    """Base of every published event.

    Consumers ignore fields they do not know (an open content model), so a producer may
    add optional fields without breaking anyone. `TYPE` is the CloudEvents type and
    never changes for a published version: a breaking change is a new `.vN` type.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]

    case_id: Uuid = Field(description="Pseudonymous case id; the Kafka key.")
    occurred_at: Timestamp = Field(description="When it happened (RFC 3339, with offset).")
    actor: Actor

    @property
    def subject(self) -> str:
        return str(self.case_id)
