"""Who forms each tier of panel and when a meeting of it is quorate: reference data, from the
county's own description of the panels (quoted beside each). Pure.

The sources say nothing of who chairs: any member of the panel who holds the panel-chair
role may chair it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.reference import Agency, Office, Panel, Position

# Schools, Children & Families: the county directorate of the EARP and JAP's commissioners
# and heads of service; children's social care is part of it.
SCF = frozenset({Office.CHILDRENS_SERVICES.value, Agency.SOCIAL_CARE.value})
SENIOR = frozenset({Position.COMMISSIONER, Position.HEAD_OF_SERVICE})


@dataclass(frozen=True)
class Seat:
    """People of these organisations, in these positions (none named: any position)."""

    organisations: frozenset[str]
    positions: frozenset[Position]
    label: str

    def fits(self, organisation: str, position: Position) -> bool:
        return organisation in self.organisations and (
            not self.positions or position in self.positions
        )


@dataclass(frozen=True)
class Constitution:
    panel: Panel
    source: str
    members: tuple[Seat, ...]
    required: tuple[Seat, ...]
    # MAAG only: how many member agencies besides those required (a setting, default 3)
    counts_other_agencies: bool = False

    def may_sit(self, organisation: str, position: Position) -> bool:
        return any(seat.fits(organisation, position) for seat in self.members)

    def describe_members(self) -> str:
        return "; ".join(seat.label for seat in self.members)

    def missing(
        self, present: Iterable[tuple[str, Position]], other_agencies_required: int
    ) -> list[str]:
        """What a meeting attended by `present` lacks to be quorate, in the panel's terms."""
        attendees = [(o, p) for o, p in present if self.may_sit(o, p)]
        missing = [
            seat.label for seat in self.required if not any(seat.fits(o, p) for o, p in attendees)
        ]
        if self.counts_other_agencies:
            required = {o for seat in self.required for o in seat.organisations}
            others = len({o for o, _ in attendees} - required)
            if others < other_agencies_required:
                short = other_agencies_required - others
                missing.append(
                    f"{short} more agenc{'y' if short == 1 else 'ies'} besides social care "
                    f"({others} of {other_agencies_required} present)"
                )
        return missing


MAAG_AGENCIES = frozenset(
    a.value
    for a in (
        Agency.PVI,
        Agency.SOCIAL_CARE,
        Agency.EDUCATION,
        Agency.CAMHS,
        Agency.CHILDRENS_CENTRES,
        Agency.HOUSING,
        Agency.PRIMARY_HEALTH,
        Agency.CONNEXIONS,
        Agency.YOUTH_SERVICE,
        Agency.YOUTH_OFFENDING,
        Agency.POLICE,
    )
)

CONSTITUTIONS: dict[Panel, Constitution] = {
    Panel.MAAG: Constitution(
        Panel.MAAG,
        source=(
            "groups of providers that meet in the 12 districts on a weekly basis and include the "
            "Private, Voluntary and Independent sector, Social Workers, Education professionals, "
            "Child & Adolescent Mental Health Services, Children's Centres, Housing, Primary "
            "Health Care workers, Connexions, Youth Service, Youth Offending service and the "
            "Police ... as children's social care will be represented on each panel"
            " (scrutiny review, 2010)"
        ),
        members=(Seat(MAAG_AGENCIES, frozenset(), "the MAAG member agencies"),),
        required=(
            Seat(frozenset({Agency.SOCIAL_CARE.value}), frozenset(), "children's social care"),
        ),
        counts_other_agencies=True,
    ),
    Panel.EARP: Constitution(
        Panel.EARP,
        source="SCF Commissioners and Heads of Service form this panel. (scrutiny review, 2010)",
        members=(Seat(SCF, SENIOR, "SCF commissioners and heads of service"),),
        required=(
            Seat(SCF, frozenset({Position.COMMISSIONER}), "an SCF commissioner"),
            Seat(SCF, frozenset({Position.HEAD_OF_SERVICE}), "an SCF head of service"),
        ),
    ),
    Panel.JAP: Constitution(
        Panel.JAP,
        source=(
            "Commissioners and Heads of Service from SCF, PCT Children's Commissioners and "
            "Adult Transition Service, form this panel. (scrutiny review, 2010)"
        ),
        members=(
            Seat(SCF, SENIOR, "SCF commissioners and heads of service"),
            Seat(
                frozenset({Office.PCT.value}),
                frozenset({Position.COMMISSIONER}),
                "PCT children's commissioners",
            ),
            Seat(
                frozenset({Agency.ADULT_TRANSITION.value}), SENIOR, "the adult transition service"
            ),
        ),
        required=(
            Seat(SCF, SENIOR, "an SCF commissioner or head of service"),
            Seat(
                frozenset({Office.PCT.value}),
                frozenset({Position.COMMISSIONER}),
                "a PCT children's commissioner",
            ),
            Seat(
                frozenset({Agency.ADULT_TRANSITION.value}),
                SENIOR,
                "the adult transition service",
            ),
        ),
    ),
}
