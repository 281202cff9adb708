"""What every integration event has: a versioned type name, the case, when, and who."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from contracts.classification import OPERATIONAL, THIRD_PARTY
from contracts.limits import FUNDING_SHARES, ID_CHARS
from contracts.reference import Role
from contracts.strict import Timestamp, Uuid


class Actor(BaseModel):
    """Who did it: a person (or the system) acting in a role for an agency."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: Annotated[str, THIRD_PARTY] = Field(min_length=1, max_length=ID_CHARS)
    role: Annotated[Role, OPERATIONAL]
    agency: Annotated[str, OPERATIONAL] = Field(min_length=1, max_length=ID_CHARS)


class IntegrationEvent(BaseModel):
    """Base of every published event.

    Consumers ignore fields they do not know (an open content model), so a producer may
    add optional fields without breaking anyone. `TYPE` is the CloudEvents type and
    never changes for a published version: a breaking change is a new `.vN` type.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]

    case_id: Annotated[Uuid, OPERATIONAL] = Field(
        description="Pseudonymous case id; the Kafka key."
    )
    occurred_at: Annotated[Timestamp, OPERATIONAL] = Field(
        description="When it happened (RFC 3339, with offset)."
    )
    actor: Annotated[Actor, THIRD_PARTY]

    @property
    def subject(self) -> str:
        return str(self.case_id)


class FundingShare(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    agency: Annotated[str, OPERATIONAL] = Field(min_length=1, max_length=ID_CHARS)
    percent: Annotated[int, OPERATIONAL] = Field(ge=0, le=100)


def funding_split_field() -> Any:
    """A JAP package's shares: the schema says they sum to 100 (`x-maag-percent-sum`, which
    the conformance test enforces) and `check_split` makes the models agree."""
    return Field(
        default_factory=list,
        max_length=FUNDING_SHARES,
        description="JAP packages: shares by agency summing to 100 (none for other panels).",
        json_schema_extra={"x-maag-percent-sum": 100},
    )


@dataclass(frozen=True)
class FundingSplit:
    """A package's joint funding, as the JAP agrees it and commissioning charges it: each
    funder's share, each funder once, the shares summing to 100; or no shares at all (a
    package paid from one panel's own budget). Its rules are written here and nowhere else.

    Published events carry it as a list of `FundingShare` (`shares`); stored domain events
    as `[[agency, percent], ...]` (`stored`, and `of` to read it back). Which panel may have
    a split, and who may fund one, are the panel's rules, not the value's."""

    shares: tuple[FundingShare, ...] = ()

    def __post_init__(self) -> None:
        if broken := self.broken_rule(self.shares):
            raise ValueError(broken)

    @classmethod
    def of(cls, shares: Iterable[FundingShare | Sequence[Any]]) -> FundingSplit:
        """From published shares, or from `(agency, percent)` pairs as events store them."""
        return cls(tuple(_share(s) for s in shares))

    @staticmethod
    def broken_rule(shares: Sequence[FundingShare]) -> str | None:
        """What is wrong with `shares` as a split, naming the field; None when nothing is."""
        agencies = [s.agency for s in shares]
        if len(set(agencies)) != len(agencies):
            return "funding_split: each funder appears once"
        return FundingSplit.unbalanced(shares)

    @staticmethod
    def unbalanced(shares: Sequence[FundingShare]) -> str | None:
        """The one rule the published schema states (`x-maag-percent-sum`): shares, when
        there are any, sum to 100."""
        if shares and (total := sum(s.percent for s in shares)) != 100:
            return f"funding_split: the shares sum to {total}, not 100"
        return None

    @property
    def agencies(self) -> tuple[str, ...]:
        return tuple(s.agency for s in self.shares)

    def pairs(self) -> list[tuple[str, int]]:
        return [(s.agency, s.percent) for s in self.shares]

    def stored(self) -> list[list[Any]]:
        """As stored domain events hold it (their attribute's form never changes)."""
        return [[s.agency, s.percent] for s in self.shares]

    def __bool__(self) -> bool:
        return bool(self.shares)

    def __len__(self) -> int:
        return len(self.shares)

    def __iter__(self) -> Iterator[FundingShare]:
        return iter(self.shares)


def _share(share: FundingShare | Sequence[Any]) -> FundingShare:
    if isinstance(share, FundingShare):
        return share
    agency, percent = share
    return FundingShare(agency=agency, percent=percent)


def check_split(shares: Sequence[FundingShare]) -> None:
    """A published message is held to the rule its schema states (a consumer validating by
    the schema accepts exactly what the model does); its producer made a `FundingSplit`."""
    if broken := FundingSplit.unbalanced(shares):
        raise ValueError(broken)
