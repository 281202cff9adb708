"""Email templates (plain text and HTML). Each about a case carries the case reference and a
link to the case; an agenda circulated to a panel's members, the panel, the meeting's time
and a link to the meeting. None has a place for a child's name, date of birth or address."""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template as Text

from contracts.classification import DataClass
from services.notifications.domain.values import Context, Template


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Wording:
    subject: str
    body: str  # paragraphs separated by blank lines; $placeholders


TEMPLATES: dict[Template, _Wording] = {
    Template.LEAD_PROFESSIONAL_ASSIGNED: _Wording(
        "MAAG case $case_ref: you are the lead professional",
        "Dear $name,\n\nOn $decided_on the $panel panel assigned you as lead professional "
        "for case $case_ref.\n\nOpen the case: $link",
    ),
    Template.CONSENT_WITHDRAWN: _Wording(
        "MAAG case $case_ref: consent withdrawn, case paused",
        "Consent to share information for case $case_ref has been withdrawn. The case is paused "
        "and has been taken off every panel agenda.\n\nOpen the case: $link",
    ),
    Template.REVIEW_DUE: _Wording(
        "MAAG case $case_ref: package review due $review_on",
        "A package for case $case_ref falls due for review on $review_on and is listed on the "
        "$panel meeting of $meeting_date.\n\nOpen the case: $link",
    ),
    Template.PACKAGE_NOT_COMMISSIONED: _Wording(
        "MAAG case $case_ref: the agreed package could not be commissioned",
        "The package the $panel agreed for case $case_ref could not be commissioned "
        "($reason: $detail). The case is listed on the $panel meeting of $meeting_date for the "
        "panel to decide again.\n\nOpen the case: $link",
    ),
    Template.PACKAGE_COMMISSIONED: _Wording(
        "MAAG case $case_ref: package commissioned from you",
        "A package for case $case_ref has been commissioned from you, starting $starts_on "
        "($services). The package's page names whom to contact to start the work: the "
        "case's lead professional, who shares what you need to know about the child and "
        "family.\n\nOpen the package (sign in as your organisation's staff): $link",
    ),
    Template.PACKAGE_DECOMMISSIONED: _Wording(
        "MAAG case $case_ref: package decommissioned",
        "The package for case $case_ref is decommissioned from $effective_from (reason: "
        "$reason); please stop delivery from that date.\n\nOpen the package: $link",
    ),
    Template.FRONT_DOOR_REFERRAL: _Wording(
        "MAAG case $case_ref: referred to children's social care",
        "Case $case_ref ($district) has been referred to children's social care's front "
        "door because of $route."
        "\n\nReason: $reason\n\nThe case's page has the details you need; please answer "
        "there whether children's social care takes the case on or steps it down into the "
        "district's MAAG.\n\nOpen the case: $link",
    ),
    Template.AGENDA_CIRCULATED: _Wording(
        "$panel meeting on $meeting_time: the agenda$revised",
        "The agenda of the $panel meeting on $meeting_time (London time) has been circulated "
        "to the panel's members: $cases listed.$revision\n\nPlease read it before the "
        "meeting: declare on the meeting's page any interest you have in a case listed, and "
        "send your apologies there if you cannot attend.\n\nOpen the meeting (sign in as "
        "yourself): $link",
    ),
}


# The class of each key a template's context holds (`contracts.classification`): an email
# names the professional it is written to, and otherwise only the case's reference and
# what was decided about it.
CONTEXT_CLASSES: dict[str, DataClass] = {
    "case_ref": DataClass.OPERATIONAL,
    "link": DataClass.OPERATIONAL,
    "name": DataClass.THIRD_PARTY,  # the lead professional written to
    "decided_on": DataClass.OPERATIONAL,
    "panel": DataClass.OPERATIONAL,
    "review_on": DataClass.OPERATIONAL,
    "meeting_date": DataClass.OPERATIONAL,
    "reason": DataClass.OPERATIONAL,
    "detail": DataClass.OPERATIONAL,
    "starts_on": DataClass.OPERATIONAL,
    "services": DataClass.OPERATIONAL,
    "effective_from": DataClass.OPERATIONAL,
    "district": DataClass.OPERATIONAL,
    "route": DataClass.OPERATIONAL,  # how the case reached the front door, in words
    # an agenda circulated: when the meeting is, how many cases it lists, which circulation
    "meeting_time": DataClass.OPERATIONAL,
    "cases": DataClass.OPERATIONAL,
    "revised": DataClass.OPERATIONAL,
    "revision": DataClass.OPERATIONAL,
}


def case_reference(case_id: str) -> str:
    """A short, stable reference professionals can quote (the case id's first block)."""
    return f"MAAG-{case_id.split('-')[0].upper()}"


def render(template: str, context: Context) -> Email:
    t = TEMPLATES[Template(template)]
    values = {k: str(v) for k, v in context.items()}
    subject = Text(t.subject).substitute(values)
    text = Text(t.body).substitute(values) + "\n\n-- \nMAAG notifications (do not reply)\n"
    escaped = {k: html.escape(v) for k, v in values.items()}
    paragraphs = Text(t.body).substitute(escaped).split("\n\n")
    link = escaped["link"]
    anchor = '<a href="' + link + '">' + link + "</a>"
    body = "".join(f"<p>{p.replace(link, anchor)}</p>" for p in paragraphs)
    return Email(subject, text, f"<!doctype html><html><body>{body}</body></html>")
