"""Reference data shared by every service (configurable in deployment; these are the defaults)."""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum
from zoneinfo import ZoneInfo

# The county's clocks: its days (what is due, overdue, today) begin at midnight there,
# whatever a server's clock says.
COUNTY_ZONE = ZoneInfo("Europe/London")


class District(StrEnum):
    COLCHESTER = "colchester"
    TENDRING = "tendring"
    BRAINTREE = "braintree"
    CHELMSFORD = "chelmsford"
    MALDON = "maldon"
    EPPING_FOREST = "epping-forest"
    HARLOW = "harlow"
    UTTLESFORD = "uttlesford"
    BASILDON = "basildon"
    BRENTWOOD = "brentwood"
    CASTLE_POINT = "castle-point"
    ROCHFORD = "rochford"


class Quadrant(StrEnum):
    NORTH_EAST = "north-east"
    MID = "mid"
    WEST = "west"
    SOUTH = "south"


QUADRANT_OF: dict[District, Quadrant] = {
    District.COLCHESTER: Quadrant.NORTH_EAST,
    District.TENDRING: Quadrant.NORTH_EAST,
    District.BRAINTREE: Quadrant.MID,
    District.CHELMSFORD: Quadrant.MID,
    District.MALDON: Quadrant.MID,
    District.EPPING_FOREST: Quadrant.WEST,
    District.HARLOW: Quadrant.WEST,
    District.UTTLESFORD: Quadrant.WEST,
    District.BASILDON: Quadrant.SOUTH,
    District.BRENTWOOD: Quadrant.SOUTH,
    District.CASTLE_POINT: Quadrant.SOUTH,
    District.ROCHFORD: Quadrant.SOUTH,
}


class BoardArea(StrEnum):
    """The five local Children's Trust Boards that monitoring and evaluation report to. The
    case study (2010) established them "coterminous with PCT districts"; Essex's five Primary
    Care Trusts then were North East, Mid, West, South West and South East Essex, whose areas
    within the county council's twelve districts are as `BOARD_AREA_OF` says (South West
    Essex PCT also covered Thurrock, and South East Essex Southend: unitary authorities,
    outside the county's MAAGs)."""

    NORTH_EAST = "north-east-essex"
    MID = "mid-essex"
    WEST = "west-essex"
    SOUTH_WEST = "south-west-essex"
    SOUTH_EAST = "south-east-essex"


BOARD_AREA_OF: dict[District, BoardArea] = {
    District.COLCHESTER: BoardArea.NORTH_EAST,
    District.TENDRING: BoardArea.NORTH_EAST,
    District.BRAINTREE: BoardArea.MID,
    District.CHELMSFORD: BoardArea.MID,
    District.MALDON: BoardArea.MID,
    District.EPPING_FOREST: BoardArea.WEST,
    District.HARLOW: BoardArea.WEST,
    District.UTTLESFORD: BoardArea.WEST,
    District.BASILDON: BoardArea.SOUTH_WEST,
    District.BRENTWOOD: BoardArea.SOUTH_WEST,
    District.CASTLE_POINT: BoardArea.SOUTH_EAST,
    District.ROCHFORD: BoardArea.SOUTH_EAST,
}


class LevelOfNeed(IntEnum):
    UNIVERSAL = 1
    ADDITIONAL = 2
    INTENSIVE = 3
    SPECIALIST = 4


class Agency(StrEnum):
    SOCIAL_CARE = "social-care"
    EDUCATION = "education"
    CAMHS = "camhs"
    CHILDRENS_CENTRES = "childrens-centres"
    HOUSING = "housing"
    PRIMARY_HEALTH = "primary-health"
    CONNEXIONS = "connexions"
    YOUTH_SERVICE = "youth-service"
    YOUTH_OFFENDING = "youth-offending"
    POLICE = "police"
    PVI = "pvi"
    ADULT_TRANSITION = "adult-transition"


class Service(StrEnum):
    """Services a referral may name within the agencies that offer both universal services
    (every child uses them without a referral) and targeted ones above them; every other
    agency's support is above universal services as a whole."""

    SCHOOL = "school"
    EDUCATIONAL_PSYCHOLOGY = "educational-psychology"
    BEHAVIOUR_SUPPORT = "behaviour-support"
    EDUCATION_WELFARE = "education-welfare"
    SPECIAL_EDUCATIONAL_NEEDS = "special-educational-needs"
    GP = "gp"
    HEALTH_VISITOR = "health-visitor"
    SCHOOL_NURSE = "school-nurse"
    SPECIALIST_HEALTH = "specialist-health"
    SPEECH_AND_LANGUAGE_THERAPY = "speech-and-language-therapy"
    CHILDRENS_CENTRE = "childrens-centre"
    FAMILY_OUTREACH = "family-outreach"


SERVICE_AGENCY: dict[Service, Agency] = {
    Service.SCHOOL: Agency.EDUCATION,
    Service.EDUCATIONAL_PSYCHOLOGY: Agency.EDUCATION,
    Service.BEHAVIOUR_SUPPORT: Agency.EDUCATION,
    Service.EDUCATION_WELFARE: Agency.EDUCATION,
    Service.SPECIAL_EDUCATIONAL_NEEDS: Agency.EDUCATION,
    Service.GP: Agency.PRIMARY_HEALTH,
    Service.HEALTH_VISITOR: Agency.PRIMARY_HEALTH,
    Service.SCHOOL_NURSE: Agency.PRIMARY_HEALTH,
    Service.SPECIALIST_HEALTH: Agency.PRIMARY_HEALTH,
    Service.SPEECH_AND_LANGUAGE_THERAPY: Agency.PRIMARY_HEALTH,
    Service.CHILDRENS_CENTRE: Agency.CHILDRENS_CENTRES,
    Service.FAMILY_OUTREACH: Agency.CHILDRENS_CENTRES,
}
UNIVERSAL_SERVICES: frozenset[Service] = frozenset(
    {
        Service.SCHOOL,
        Service.GP,
        Service.HEALTH_VISITOR,
        Service.SCHOOL_NURSE,
        Service.CHILDRENS_CENTRE,
    }
)


class TransitionBasis(StrEnum):
    """Why a transition package: the child has been or is looked after, or in hospital, or
    has acute needs, and is to be supported in their local community."""

    LOOKED_AFTER = "looked-after"
    HOSPITAL = "hospital"
    ACUTE_NEEDS = "acute-needs"


class AvoidedOutcome(StrEnum):
    """What an EARP or JAP package is an alternative to, or a MAAG package is there to
    prevent. The EARP agrees packages "as an alternative to accommodating children, school
    exclusion, care and criminal justice proceedings"; through the JAP "children who would
    have previously accessed out of county provision or hospital" remain living within the
    county (scrutiny review, 2010); the MAAGs' parenting and family support is there "to
    enable children to continue living at home safely" (case study), and the EARP's packages
    mean young people "continue to attend their school" (case study): the last two values."""

    ACCOMMODATION = "accommodation"
    SCHOOL_EXCLUSION = "school-exclusion"
    CARE_PROCEEDINGS = "care-proceedings"
    CRIMINAL_JUSTICE = "criminal-justice"
    OUT_OF_COUNTY_PLACEMENT = "out-of-county-placement"
    HOSPITAL = "hospital"
    LEAVING_HOME = "leaving-home"  # so that the child stays living at home
    LOSS_OF_SCHOOL_PLACE = "loss-of-school-place"  # so that the child keeps a school place


class ClosureOutcome(StrEnum):
    """Where a child stands when the panel closes their case: what the model is there to
    achieve, that "young people remain at home or in their local community and continue to
    attend their school" (case study), "supported in their local community" and "within the
    county" (scrutiny review), and "stepped down" to universal services once support above
    them is no longer needed."""

    LIVING_AT_HOME = "living-at-home"
    IN_LOCAL_SCHOOL = "in-local-school"
    IN_COUNTY = "in-county"
    STEPPED_DOWN_TO_UNIVERSAL_SERVICES = "stepped-down-to-universal-services"
    # the panel referred the case to children's social care, which took it on
    TAKEN_ON_BY_SOCIAL_CARE = "taken-on-by-social-care"


class SocialCareRoute(StrEnum):
    """How a case reached children's social care's front door (the MASH): a referral's
    concern of significant harm, at triage; or a panel's decision on an open case."""

    SIGNIFICANT_HARM = "significant-harm"
    PANEL = "panel"


class SocialCareAnswer(StrEnum):
    """The front door's answer to a case referred to it: children's social care takes it
    on, or steps it down into the district's MAAG."""

    ACCEPTED = "accepted"
    STEPPED_DOWN = "stepped-down"


class Office(StrEnum):
    """Organisations whose people act in MAAG without being a referring agency: the county's
    Schools, Children & Families directorate (SCF: its commissioners and heads of service sit
    on the EARP and JAP), the Primary Care Trust's children's commissioners (JAP), who audits,
    who runs the system."""

    CHILDRENS_SERVICES = "childrens-services"
    PCT = "pct"
    COUNTY_AUDIT = "county-audit"
    COUNTY_IT = "county-it"
    INFORMATION_GOVERNANCE = "county-information-governance"


class Position(StrEnum):
    """The capacity in which someone sits on a panel (the EARP and JAP are formed of
    commissioners and heads of service; a MAAG of agencies' practitioners)."""

    PRACTITIONER = "practitioner"
    HEAD_OF_SERVICE = "head-of-service"
    COMMISSIONER = "commissioner"


# Who may fund a JAP package, each from its own JAP budget: the JAP "agrees joint resource
# allocation", "bringing together the Primary Care Trust, Adult Transition Service and
# commissioners from across the Council's services" (case study, 2010).
JAP_FUNDERS: tuple[str, ...] = (
    Office.CHILDRENS_SERVICES.value,
    Office.PCT.value,
    Agency.ADULT_TRANSITION.value,
)

# Who holds a budget, by its key: each district's MAAG, the EARP, and each JAP funder.
BUDGET_HOLDERS: tuple[str, ...] = (
    *(f"maag:{d.value}" for d in District),
    "earp",
    *(f"jap:{f}" for f in JAP_FUNDERS),
)

# Every organisation a person may act for; a token naming any other is refused.
ORGANISATIONS: frozenset[str] = frozenset(a.value for a in Agency) | frozenset(
    o.value for o in Office
)


class Role(StrEnum):
    """The role a person acted in. Listed from the most specific to the least: a person who
    holds several is recorded in the first of them (a chair is a panel member who chairs)."""

    REFERRER = "referrer"
    PANEL_CHAIR = "panel-chair"
    PANEL_MEMBER = "panel-member"
    LEAD_PROFESSIONAL = "lead-professional"
    COMMISSIONER = "commissioner"
    # children's social care's front door (the MASH): the cases referred to it
    FRONT_DOOR = "front-door"
    # a provider's staff: the packages commissioned from their provider
    PROVIDER = "provider"
    # the county's data protection officer: erasure, legal holds, retention, subject access
    PRIVACY_OFFICER = "privacy-officer"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    SYSTEM = "system"


class Panel(StrEnum):
    MAAG = "maag"
    EARP = "earp"
    JAP = "jap"


# --- the county's financial year: 1 April to 31 March ---

# A budget may be set for this financial year or the next (a closed year's stands).
BUDGET_YEARS_AHEAD = 1


def financial_year(day: date) -> int:
    """The year a financial year starts in (1 April to 31 March)."""
    return day.year if day >= date(day.year, 4, 1) else day.year - 1


def fy_bounds(fy: int) -> tuple[date, date]:
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def fy_label(fy: int) -> str:
    """2026/27."""
    return f"{fy}/{(fy + 1) % 100:02d}"


def settable_years(today: date) -> range:
    """The financial years a budget may be set for now: this one and the next."""
    this = financial_year(today)
    return range(this, this + BUDGET_YEARS_AHEAD + 1)
