"""What every integration event has: a versioned type name, the case, when, and who."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.limits import FUNDING_SHARES, ID_CHARS
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


class FundingShare(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agency: str = Field(min_length=1, max_length=ID_CHARS)
    percent: int = Field(ge=0, le=100)


def funding_split_field() -> Any:
    """A JAP package's shares: the schema says they sum to 100 (`x-maag-percent-sum`, which
    the conformance test enforces) and `check_split` makes the models agree."""
    return Field(
        default_factory=list,
        max_length=FUNDING_SHARES,
        description="JAP packages: shares by agency summing to 100 (none for other panels).",
        json_schema_extra={"x-maag-percent-sum": 100},
    )


def check_split(shares: Sequence[FundingShare]) -> None:
    if shares and sum(s.percent for s in shares) != 100:
        raise ValueError("funding_split percentages must sum to 100")
