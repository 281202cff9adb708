"""The referral form: what a referrer types, as the referral API's body, and the API's
refusals as errors against the form's own fields (the GOV.UK pattern: a summary at the top,
each message beside its field, every other answer kept); and what every form shares (its key,
its numbers). Pure.

The child's record is the API's: a child not yet born has an expected date of delivery
instead of a date of birth, and every other part of it (sex, ethnicity, the national keys,
one parent or carer) is optional; the form checks what it can say beside a field and the
API has the last word."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NotRequired, Required, TypedDict

from contracts.child import Ethnicity, Relationship, SenStatus, Sex, nhs_number_valid, upn_valid
from contracts.limits import DELIVERY_DAYS_OVERDUE, DELIVERY_MONTHS_AHEAD, months_after
from contracts.reference import Agency, District

# API field (as the referral API names it in a 422) -> the form field it belongs to: the
# field itself or anything under it (`body.needs.0` is the needs').
API_FIELDS = {
    "body.caf_reference": "caf_reference",
    "body.district": "district",
    "body.child.given_name": "given_name",
    "body.child.family_name": "family_name",
    "body.child.date_of_birth": "dob",
    "body.child.expected_date_of_delivery": "edd",
    "body.child.address": "address",
    "body.child.sex": "sex",
    "body.child.ethnicity": "ethnicity",
    "body.child.first_language": "first_language",
    "body.child.disability": "disability",
    "body.child.sen": "sen",
    "body.child.nhs_number": "nhs_number",
    "body.child.upn": "upn",
    "body.child.school_urn": "school_urn",
    "body.child.gp_practice": "gp_practice",
    # the form sends one parent or carer: the first
    "body.child.parents_carers.0.name": "carer_name",
    "body.child.parents_carers.0.relationship": "carer_relationship",
    "body.child.parents_carers.0.parental_responsibility": "carer_responsibility",
    "body.child.parents_carers.0.may_contact": "carer_contact",
    "body.child.parents_carers.0.phone": "carer_phone",
    "body.child.parents_carers.0.email": "carer_email",
    "body.child.parents_carers": "carer_name",
    "body.needs": "needs",
    "body.agencies_requested": "agencies",
    "body.level_of_need": "level_of_need",
    "body.significant_harm_concern": "significant_harm",
    "body.consent.how_obtained": "consent_how",
    "body.consent.given_by": "consent_by",
    "body.consent.given_by_name": "consent_name",
}
# A 409's "<field>: why" (a rule across the body and the record) -> the form field it is about.
REFUSED_FIELDS = {
    "consent.given_by_name": "consent_name",
    "date_of_birth": "dob",
    "expected_date_of_delivery": "edd",
}
# Fields whose first input has an id of its own (the GOV.UK date input's day box).
FIRST_INPUT = {"dob": "dob-day", "edd": "edd-day"}
LABELS = {
    "caf_reference": "CAF reference",
    "district": "District",
    "given_name": "First name",
    "family_name": "Last name",
    "born": "Is the child born yet?",
    "dob": "Date of birth",
    "edd": "Expected date of delivery",
    "address": "Address",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "first_language": "First language",
    "disability": "Disability",
    "sen": "Special educational needs",
    "nhs_number": "NHS number",
    "upn": "Unique Pupil Number (UPN)",
    "school_urn": "School URN",
    "gp_practice": "GP practice code",
    "carer_name": "Parent or carer's name",
    "carer_relationship": "Relationship to the child",
    "carer_responsibility": "Parental responsibility",
    "carer_contact": "May be contacted",
    "carer_phone": "Phone number",
    "carer_email": "Email address",
    "needs": "Needs",
    "agencies": "Agencies whose support is asked for",
    "level_of_need": "Level of need",
    "significant_harm": "Concern of significant harm",
    "consent": "Consent to share",
    "consent_by": "Who gave consent",
    "consent_how": "How consent was obtained",
    "consent_name": "Name of the person who gave consent",
}
# The coded answers the form offers, each as the API codes it (its words are the templates').
SEXES = tuple(s.value for s in Sex)
ETHNICITIES = tuple(e.value for e in Ethnicity)
SEN_STATUSES = tuple(s.value for s in SenStatus)
RELATIONSHIPS = tuple(r.value for r in Relationship)
NOT_KNOWN = "not-known"  # an answer the form offers that the API records as no answer
NHS_NUMBER_WANTED = (
    "Enter a real NHS number: 10 digits, for example 943 476 5919 (the last checks the others)"
)


# A number as typed in a form, or the text itself when it is not one (the API names it).
Number = int | float | str


class Carer(TypedDict):
    name: str
    relationship: str
    parental_responsibility: bool
    may_contact: bool
    phone: NotRequired[str]
    email: NotRequired[str]


class Child(TypedDict, total=False):
    """The child's record: exactly one of the two dates; the rest only when answered."""

    given_name: Required[str]
    family_name: Required[str]
    date_of_birth: str
    expected_date_of_delivery: str
    address: Required[str]
    sex: str
    ethnicity: str
    first_language: str
    disability: bool
    sen: str
    nhs_number: str
    upn: str
    school_urn: str
    gp_practice: str
    parents_carers: list[Carer]


class Consent(TypedDict):
    given_by: str
    scope: list[str]
    given_on: str
    how_obtained: str
    given_by_name: NotRequired[str]


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
    child: Child = {
        "given_name": text("given_name"),
        "family_name": text("family_name"),
        "address": text("address"),
    }
    _date_of(form, child, errors, today)
    _answers(form, child, errors)
    carer = _carer(form, errors)
    if carer is not None:
        child["parents_carers"] = [carer]
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
        "child": child,
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
        # a parent's or carer's consent names who gave it: the one named above unless
        # another name is typed (the API refuses a name not among the child's carers)
        named = text("consent_name")
        if not named and text("consent_by") == "parent-carer" and carer is not None:
            named = carer["name"]
        if named:
            body["consent"]["given_by_name"] = named
    return body, errors


def unborn(form: Mapping[str, object]) -> bool:
    """Whether the form is about a child not yet born (a form that does not say is about a
    child who is)."""
    return str(form.get("born", "")).strip() == "no"


def _date_of(form: Mapping[str, object], child: Child, errors: FormErrors, today: date) -> None:
    """The child's one date: the date of birth, or for a child not yet born the expected
    date of delivery (within the window the API accepts)."""
    parts = [str(form.get(f"{name}-{p}", "")).strip() for name in ("dob", "edd") for p in PARTS]
    if not unborn(form):
        born = _date(*parts[:3])
        if born is None:
            errors.add("dob", "Enter the date of birth as a real date, for example 14 5 2013")
        elif born > today:
            errors.add("dob", "Date of birth must be in the past")
        child["date_of_birth"] = born.isoformat() if born else ""
        return
    due = _date(*parts[3:])
    if due is None:
        errors.add(
            "edd", "Enter the expected date of delivery as a real date, for example 14 5 2027"
        )
    elif due > months_after(today, DELIVERY_MONTHS_AHEAD):
        errors.add(
            "edd",
            f"Expected date of delivery must be within {DELIVERY_MONTHS_AHEAD} months from today",
        )
    elif due < today - timedelta(days=DELIVERY_DAYS_OVERDUE):
        errors.add(
            "edd",
            f"Expected date of delivery must be no more than {DELIVERY_DAYS_OVERDUE} days ago: "
            "for a child already born, say so and give the date of birth",
        )
    child["expected_date_of_delivery"] = due.isoformat() if due else ""


def _answers(form: Mapping[str, object], found: Child, errors: FormErrors) -> None:
    """The record's optional answers, each only when given: the coded ones as the API codes
    them, the national keys as typed less their spaces ("943 476 5919")."""

    def coded(name: str, allowed: Sequence[str], message: str) -> str | None:
        value = str(form.get(name, "")).strip()
        if not value or (value == NOT_KNOWN and NOT_KNOWN not in allowed):
            return None
        if value not in allowed:
            errors.add(name, message)
            return None
        return value

    if sex := coded("sex", SEXES, "Select the child's sex from the list"):
        found["sex"] = sex
    if ethnicity := coded("ethnicity", ETHNICITIES, "Select the child's ethnicity from the list"):
        found["ethnicity"] = ethnicity
    if sen := coded("sen", SEN_STATUSES, "Select the child's special educational needs"):
        found["sen"] = sen
    if disability := coded("disability", ("yes", "no"), "Say whether the child has a disability"):
        found["disability"] = disability == "yes"
    if language := str(form.get("first_language", "")).strip():
        found["first_language"] = language
    nhs = national_key(form, "nhs_number")
    if nhs and not nhs_number_valid(nhs):
        errors.add("nhs_number", NHS_NUMBER_WANTED)
    upn = national_key(form, "upn").upper()
    if upn and not upn_valid(upn):
        errors.add(
            "upn", "Enter the UPN as 13 characters, a letter then 12 more, as the school gives it"
        )
    urn = national_key(form, "school_urn")
    if urn and not re.fullmatch(r"[1-9][0-9]{5}", urn):
        errors.add("school_urn", "Enter the school's URN as 6 digits, for example 115052")
    gp = national_key(form, "gp_practice").upper()
    if gp and not re.fullmatch(r"[A-Z][0-9]{5}", gp):
        errors.add(
            "gp_practice",
            "Enter the GP practice code as a letter then 5 digits, for example F81001",
        )
    if nhs:
        found["nhs_number"] = nhs
    if upn:
        found["upn"] = upn
    if urn:
        found["school_urn"] = urn
    if gp:
        found["gp_practice"] = gp


def national_key(form: Mapping[str, object], name: str) -> str:
    """A number as typed, without the spaces people group it with ("943 476 5919")."""
    return "".join(str(form.get(name, "")).split())


def _carer(form: Mapping[str, object], errors: FormErrors) -> Carer | None:
    """The parent or carer the form names, if it names one: then who they are to the child,
    and both yes-or-no answers, are needed too."""

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    name = text("carer_name")
    if not name:
        if any(text(f) for f in ("carer_phone", "carer_email", "carer_relationship")):
            errors.add("carer_name", "Enter the parent or carer's name, or leave their details out")
        return None
    relationship = text("carer_relationship")
    if relationship not in RELATIONSHIPS:
        errors.add("carer_relationship", "Select the parent or carer's relationship to the child")
    answers = {
        "carer_responsibility": "Say whether they have parental responsibility",
        "carer_contact": "Say whether they may be contacted about the child",
    }
    for field_name, message in answers.items():
        if text(field_name) not in ("yes", "no"):
            errors.add(field_name, message)
    carer: Carer = {
        "name": name,
        "relationship": relationship,
        "parental_responsibility": text("carer_responsibility") == "yes",
        "may_contact": text("carer_contact") == "yes",
    }
    if phone := text("carer_phone"):
        carer["phone"] = phone
    if email := text("carer_email"):
        carer["email"] = email
    return carer


def api_errors(errors: Sequence[Mapping[str, str]], detail: str) -> FormErrors:
    """The referral API's 422, against the form's fields (a rule across the child's fields,
    refused on the child, names the field it is about)."""
    found = FormErrors()
    for e in errors:
        api_field = str(e.get("field", ""))
        reason = str(e.get("reason", "is not valid")).removeprefix("Value error, ")
        if (named := NAMED.match(reason)) and f"{api_field}.{named.group(1)}" in API_FIELDS:
            api_field, reason = f"{api_field}.{named.group(1)}", named.group(2)
        name = next(
            (
                f
                for api, f in API_FIELDS.items()
                if api_field == api or api_field.startswith(api + ".")
            ),
            None,
        )
        if name:
            found.add(name, f"{LABELS[name]}: {reason}")
        else:
            found.other.append(f"{api_field or 'The referral'}: {reason}")
    if not found:
        found.other.append(detail)
    return found


def refused_errors(detail: str) -> FormErrors:
    """The referral API's 409 ("<field>: why"), beside the form's field it names."""
    named = NAMED.match(detail)
    if named and named.group(1) in REFUSED_FIELDS:
        name = REFUSED_FIELDS[named.group(1)]
        return FormErrors(by_field={name: f"{LABELS[name]}: {named.group(2)}"})
    return FormErrors(other=[detail])


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


PARTS = ("day", "month", "year")  # a GOV.UK date input's boxes
# A service's refusal that names its field: "<field>: why" ("consent.given_by_name: ...").
NAMED = re.compile(r"^([a-z_.]+): (.+)$", re.DOTALL)


def _date(day: str, month: str, year: str) -> date | None:
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None
