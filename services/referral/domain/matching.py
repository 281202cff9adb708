"""Is this the same child? The keys a child's details are matched on, and when a match is
likely enough to offer.

The keys are normalised so that the same child written two ways still meets: accents and
punctuation dropped, a given name's common short forms taken to the full one, names by
their sound (Soundex: "Jayden"/"Jaden", "Smith"/"Smyth"), the postcode out of the address
without spaces. Every key is bound to the date of birth, so children born on different days
never match, whatever their names. The keys are only ever stored keyed (an HMAC under the
service's index key, `services.referral.adapters.child_index`), never in the clear.

A match is *likely*, and offered to a person to confirm, when the given name matches and
so does the family name or the postcode: twins (same birthday, surname and home) are not
offered, a child whose family name changed but who still lives at the same postcode is.
A day and month of birth written the other way round (3 April for 4 March) is offered as
likely when the full name agrees.

The national keys settle it: the same NHS number or Unique Pupil Number is offered as
*certain* (a person still confirms it), and two children whose NHS numbers (or UPNs) are
both known and differ are never offered, whatever else agrees. A child not yet born has no
date of birth to bind names to: only a national key can find them.
Nothing is linked without a person confirming it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import StrEnum

from contracts.events.referral import ChildDetails


class Key(StrEnum):
    GIVEN = "given"
    FAMILY = "family"
    POSTCODE = "postcode"
    NHS_NUMBER = "nhs-number"
    UPN = "upn"
    # looked for, never stored: the names bound to the birth date with day and month swapped
    GIVEN_SWAPPED = "given-swapped-dob"
    FAMILY_SWAPPED = "family-swapped-dob"


# The national keys: one child each, so a match is certain and a difference a conflict.
STRONG = frozenset({Key.NHS_NUMBER, Key.UPN})
# Each probe is looked for among the stored keys of another kind.
PROBED_AS = {Key.GIVEN_SWAPPED: Key.GIVEN, Key.FAMILY_SWAPPED: Key.FAMILY}


class Strength(StrEnum):
    CERTAIN = "certain"
    LIKELY = "likely"


# Short and familiar forms of given names, to the form they stand for (a few of the most
# common in English records; a spelling variant of a full name is caught by its sound).
SHORT_FORMS: Mapping[str, str] = {
    "alex": "alexander",
    "alfie": "alfred",
    "bill": "william",
    "billy": "william",
    "bob": "robert",
    "bobby": "robert",
    "charlie": "charles",
    "chris": "christopher",
    "dan": "daniel",
    "danny": "daniel",
    "dave": "david",
    "ed": "edward",
    "eddie": "edward",
    "ellie": "eleanor",
    "harry": "henry",
    "jack": "john",
    "jim": "james",
    "jimmy": "james",
    "jamie": "james",
    "jo": "joanne",
    "joe": "joseph",
    "kate": "katherine",
    "katie": "katherine",
    "liz": "elizabeth",
    "lizzie": "elizabeth",
    "beth": "elizabeth",
    "matt": "matthew",
    "mike": "michael",
    "mo": "mohammed",
    "nick": "nicholas",
    "ollie": "oliver",
    "sam": "samuel",
    "sammy": "samuel",
    "steve": "stephen",
    "tom": "thomas",
    "tommy": "thomas",
    "will": "william",
}
_SOUNDEX = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
# A UK postcode anywhere in the address ("CM20 1AB", "cm201ab").
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})\b")


def letters(name: str) -> str:
    """Lower-case ASCII letters only: accents folded, spaces, hyphens and apostrophes gone."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if "a" <= ch <= "z")


def soundex(word: str) -> str:
    """American Soundex of a word of letters ("" for none)."""
    if not word:
        return ""
    code, last = word[0].upper(), _SOUNDEX.get(word[0], "")
    for ch in word[1:]:
        digit = _SOUNDEX.get(ch, "")
        if digit and digit != last:
            code += digit
        if ch not in "hw":  # h and w do not separate letters of the same sound
            last = digit
    return (code + "000")[:4]


def given_key(given_name: str) -> str:
    first = given_name.split()[0] if given_name.split() else given_name
    plain = letters(first)
    return soundex(SHORT_FORMS.get(plain, plain)) or exact(first)


def family_key(family_name: str) -> str:
    # a double-barrelled or two-part surname is matched on all of it
    return soundex(letters(family_name)) or exact(family_name)


def exact(name: str) -> str:
    """A name with no Latin letters to sound out (another script): matched as written,
    without case or spaces."""
    return "=" + "".join(unicodedata.normalize("NFKC", name).casefold().split())


def postcode(address: str) -> str | None:
    found = _POSTCODE.search(address.upper())
    return found.group(1) + found.group(2) if found else None


def match_keys(child: ChildDetails) -> dict[Key, str]:
    """The child's match keys, by kind: the national keys as they are, the others bound to
    the date of birth (none for a child not yet born)."""
    keys: dict[Key, str] = {}
    if child.nhs_number:
        keys[Key.NHS_NUMBER] = f"{Key.NHS_NUMBER.value}|{child.nhs_number}"
    if child.upn:
        keys[Key.UPN] = f"{Key.UPN.value}|{child.upn}"
    if child.date_of_birth is not None:
        keys.update(_bound(child, child.date_of_birth.isoformat()))
    return keys


def probe_keys(child: ChildDetails) -> dict[Key, str]:
    """What else to look for: the names bound to the birth date with its day and month
    swapped (when that is a date, and another one)."""
    born = child.date_of_birth
    if born is None or born.day == born.month or born.day > 12:
        return {}
    swapped = born.replace(day=born.month, month=born.day).isoformat()
    bound = _bound(child, swapped)
    return {probe: bound[kind] for probe, kind in PROBED_AS.items() if kind in bound}


def _bound(child: ChildDetails, born: str) -> dict[Key, str]:
    keys = {
        Key.GIVEN: given_key(child.given_name),
        Key.FAMILY: family_key(child.family_name),
    }
    code = postcode(child.address)
    if code:
        keys[Key.POSTCODE] = code
    return {kind: f"{kind.value}|{born}|{value}" for kind, value in keys.items() if value}


def strength(matched: set[Key]) -> Strength | None:
    """How sure a match made of these keys is: a national key settles it; otherwise the
    given name and the family name or postcode, or the full name with the day and month of
    birth swapped, make it likely; anything less is not offered. (A conflicting national key
    is the index's to see: it knows the other child's keys, not only those that met.)"""
    if matched & STRONG:
        return Strength.CERTAIN
    if Key.GIVEN in matched and bool(matched & {Key.FAMILY, Key.POSTCODE}):
        return Strength.LIKELY
    if {Key.GIVEN_SWAPPED, Key.FAMILY_SWAPPED} <= matched:
        return Strength.LIKELY
    return None


def likely(matched: set[Key]) -> bool:
    """Whether keys matched this way make the same child likely enough to offer."""
    return strength(matched) is not None
