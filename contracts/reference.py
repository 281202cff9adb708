"""Reference data shared by every service (configurable in deployment; these are the defaults)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


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


class Role(StrEnum):
    REFERRER = "referrer"
    PANEL_MEMBER = "panel-member"
    COMMISSIONER = "commissioner"
    AUDITOR = "auditor"
    OPERATOR = "operator"
    SYSTEM = "system"


class Panel(StrEnum):
    MAAG = "maag"
    EARP = "earp"
    JAP = "jap"
