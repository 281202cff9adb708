"""The referral form: what a referrer types, as the referral API's body, and the API's
refusals as errors against the form's own fields (the GOV.UK pattern: a summary at the top,
each message beside its field, every other answer kept); and what every form shares (its key,
its numbers). Pure."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Required, TypedDict

from contracts.reference import Agency, District

# API field (as the referral API names it in a 422) -> the form field it belongs to.
API_FIELDS = {
    "body.caf_reference": "caf_reference",
    "body.district": "district",
    "body.child.given_name": "given_name",
    "body.child.family_name": "family_name",
    "body.child.date_of_birth": "dob",
    "body.child.address": "address",
    "body.needs": "needs",
    "body.agencies_requested": "agencies",
    "body.level_of_need": "level_of_need",
    "body.significant_harm_concern": "significant_harm",
    "body.consent.how_obtained": "consent_how",
    "body.consent.given_by": "consent_by",
}
# Fields whose first input has an id of its own (the GOV.UK date input's day box).
FIRST_INPUT = {"dob": "dob-day"}
LABELS = {
    "caf_reference": "CAF reference",
    "district": "District",
    "given_name": "First name",
    "family_name": "Last name",
    "dob": "Date of birth",
    "address": "Address",
    "needs": "Needs",
    "agencies": "Agencies whose support is asked for",
    "level_of_need": "Level of need",
    "significant_harm": "Concern of significant harm",
    "consent": "Consent to share",
    "consent_by": "Who gave consent",
    "consent_how": "How consent was obtained",
}


# A number as typed in a form, or the text itself when it is not one (the API names it).
Number = int | float | str


class Child(TypedDict):
    given_name: str
    family_name: str
    date_of_birth: str
    address: str


class Consent(TypedDict):
    given_by: str
    scope: list[str]
    given_on: str
    how_obtained: str


class ReferralBody(TypedDict, total=False):
    """The referral API's body as the form fills it (the API checks it again)."""

    caf_reference: Required[str]
    referring_agency: Required[str]
    referring_professional_id: Required[str]
    district: Required[str]
    child: Required[Child]
    needs: Required[list[str]]
    agencies_requested: Required[list[str]]
    level_of_need: Required[int]
    significant_harm_concern: Required[bool]
    transition: Required[bool]
    consent: Consent


@dataclass
class FormErrors:
    by_field: dict[str, str] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.other)

    def summary(self) -> list[dict[str, str]]:
        """The error summary's list: each links to its field (a date to its first box)."""
        items = [
            {"text": m, "href": f"#{FIRST_INPUT.get(name, name)}"}
            for name, m in self.by_field.items()
        ]
        return items + [{"text": m} for m in self.other]


_KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def request_key(form: Mapping[str, object]) -> str:
    """The idempotency key the form was rendered with (so a second click or a resubmission
    sends the same one); a form that came without a usable one gets a fresh key, which still
    records the write once. The API scopes keys to the person, so a chosen key reaches only
    their own requests."""
    sent = str(form.get("idempotency_key", ""))
    return f"web-{sent if _KEY.match(sent) else uuid.uuid4().hex}"


def referral_body(
    form: Mapping[str, object], agencies: Sequence[str], agency: str, user_id: str, today: date
) -> tuple[ReferralBody, FormErrors]:
    """The API body from the form, and what the form itself can tell is missing; the API
    checks everything again and has the last word."""
    errors = FormErrors()

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    for name in ("caf_reference", "given_name", "family_name", "address"):
        if not text(name):
            errors.add(name, f"Enter the {LABELS[name].lower()}")
    if text("district") not in {d.value for d in District}:
        errors.add("district", "Select the child's district")
    born = _date(text("dob-day"), text("dob-month"), text("dob-year"))
    if born is None:
        errors.add("dob", "Enter the date of birth as a real date, for example 14 5 2013")
    elif born > today:
        errors.add("dob", "Date of birth must be in the past")
    needs = [line.strip() for line in text("needs").splitlines() if line.strip()]
    if not needs:
        errors.add("needs", "Enter at least one need from the CAF assessment, one per line")
    known = {a.value for a in Agency}
    asked = [a for a in agencies if a in known]
    level = text("level_of_need")
    if level not in ("1", "2", "3", "4"):
        errors.add("level_of_need", "Select the level of need")
    harm = text("significant_harm")
    if harm not in ("yes", "no"):
        errors.add("significant_harm", "Say whether there is a concern of significant harm")
    consent = text("consent")
    if consent not in ("yes", "no"):
        errors.add("consent", "Say whether the family has given consent to share")
    body: ReferralBody = {
        "caf_reference": text("caf_reference"),
        "referring_agency": agency,
        "referring_professional_id": user_id,
        "district": text("district"),
        "child": {
            "given_name": text("given_name"),
            "family_name": text("family_name"),
            "date_of_birth": born.isoformat() if born else "",
            "address": text("address"),
        },
        "needs": needs,
        "agencies_requested": asked,
        "level_of_need": int(level) if level.isdigit() else 0,
        "significant_harm_concern": harm == "yes",
        "transition": text("transition") == "yes",
    }
    if consent == "yes":
        if text("consent_by") not in ("parent-carer", "young-person"):
            errors.add("consent_by", "Select who gave consent")
        if not text("consent_how"):
            errors.add("consent_how", "Say how consent was obtained")
        body["consent"] = {
            "given_by": text("consent_by"),
            "scope": asked or [agency],
            "given_on": today.isoformat(),
            "how_obtained": text("consent_how"),
        }
    return body, errors


def api_errors(errors: Sequence[Mapping[str, str]], detail: str) -> FormErrors:
    """The referral API's 422, against the form's fields."""
    found = FormErrors()
    for e in errors:
        api_field = str(e.get("field", ""))
        reason = str(e.get("reason", "is not valid"))
        name = next((f for prefix, f in API_FIELDS.items() if api_field.startswith(prefix)), None)
        if name:
            found.add(name, f"{LABELS[name]}: {reason}")
        else:
            found.other.append(f"{api_field or 'The referral'}: {reason}")
    if not found:
        found.other.append(detail)
    return found


def number(text: str) -> Number:
    """A number typed in a form, or the text itself for the API to refuse by name."""
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return text


def pence(pounds: str) -> int | str:
    """An amount typed in pounds (a £ sign and commas allowed), in pence."""
    value = number(pounds.replace("£", "").replace(",", ""))
    return round(value * 100) if isinstance(value, int | float) else value


def _date(day: str, month: str, year: str) -> date | None:
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
