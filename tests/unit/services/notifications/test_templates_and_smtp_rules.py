"""The emails' words (the case reference and link in each about a case, the panel, the
meeting's time and its link in an agenda circulated, HTML escaped, no place for a child's
details), SMTP's answers classified by its own rules, a contacts directory (its panels'
distribution lists among them) checked when it is loaded."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template as Text

import aiosmtplib
import pytest

from contracts.reference import District, Panel, Role
from maag.ops.identity.realm import PEOPLE
from services.notifications.adapters.directory import DirectoryError, ProviderDirectory
from services.notifications.adapters.smtp import Permanent, Transient, classify
from services.notifications.domain.templates import TEMPLATES, case_reference, render
from services.notifications.domain.values import Template

CONTEXT = {
    "name": "Lee <Lead>",
    "panel": "MAAG",
    "meeting_date": "2026-12-01",
    "decided_on": "2026-11-27",
    "review_on": "2027-03-01",
    "starts_on": "2026-12-07",
    "services": "family support",
    "effective_from": "2027-01-01",
    "reason": "outcomes-met",
    "detail": "no provider in the quadrant has capacity",
    "district": "Harlow",
    "route": "a concern of significant harm at referral",
    "case_ref": "MAAG-1A2B3C4D",
    "link": "https://maag.example/cases/1a2b3c4d-0000-0000-0000-000000000000",
}
MEETING = "https://maag.example/meetings/0b6c5a55-0000-0000-0000-000000000000"
AGENDA = {
    "panel": "Harlow MAAG",
    "meeting_time": "Tuesday 1 December 2026 at 10:00",
    "cases": "3 cases",
    "link": MEETING,
}


@pytest.mark.parametrize("template", sorted(t for t in TEMPLATES if not t.about_meeting))
def test_every_template_about_a_case_carries_the_case_reference_and_the_link(
    template: str,
) -> None:
    email = render(template, CONTEXT)
    assert "MAAG-1A2B3C4D" in email.subject
    assert CONTEXT["link"] in email.text
    assert f'<a href="{CONTEXT["link"]}">' in email.html


def test_an_agenda_circulated_names_the_panel_the_meeting_s_time_and_links_to_it() -> None:
    first = render("agenda-circulated", {**AGENDA, "revised": "", "revision": ""})
    assert first.subject == "Harlow MAAG meeting on Tuesday 1 December 2026 at 10:00: the agenda"
    assert "(London time)" in first.text and "3 cases listed." in first.text
    assert MEETING in first.text and f'<a href="{MEETING}">' in first.html
    assert "circulation" not in first.text.replace("has been circulated", "")
    again = render(
        "agenda-circulated",
        {**AGENDA, "revised": " (revised)", "revision": " This is circulation 2 of the agenda."},
    )
    assert again.subject.endswith("the agenda (revised)")
    assert "3 cases listed. This is circulation 2 of the agenda." in again.text
    assert Template("agenda-circulated").about_meeting  # kept under the meeting, no case ref


def test_html_is_escaped() -> None:
    email = render("lead-professional-assigned", CONTEXT)
    assert "Lee &lt;Lead&gt;" in email.html and "Lee <Lead>" in email.text


def test_templates_have_no_place_for_a_childs_details() -> None:
    # the placeholders, not the words: "children's social care" is a service's name
    for t in TEMPLATES.values():
        for key in Text(t.subject + t.body).get_identifiers():
            for forbidden in ("given_name", "family_name", "date_of_birth", "address", "child"):
                assert forbidden not in key


def test_case_reference_is_short_and_stable() -> None:
    assert case_reference("1a2b3c4d-0000-0000-0000-000000000000") == "MAAG-1A2B3C4D"


def test_smtp_replies_are_classified_by_smtps_rules() -> None:
    assert isinstance(classify(aiosmtplib.SMTPResponseException(550, "no such user")), Permanent)
    assert isinstance(classify(aiosmtplib.SMTPResponseException(451, "try later")), Transient)
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "unknown", "x@y")]
    )
    assert isinstance(classify(refused), Permanent)
    assert isinstance(classify(ConnectionRefusedError(111, "refused")), Transient)


def test_a_provider_directory_with_a_bad_address_is_refused_naming_the_provider(
    tmp_path: Path,
) -> None:
    path = tmp_path / "providers.json"
    path.write_text(
        json.dumps({"pvi-1": {"name": "P", "email": "ops@pvi.example\\r\\nBcc: all@x.example"}})
    )
    with pytest.raises(DirectoryError, match="pvi-1: email: value is not a valid email address"):
        ProviderDirectory(path)
    path.write_text("[1, 2]")
    with pytest.raises(DirectoryError, match="must map provider ids to contacts"):
        ProviderDirectory(path)
    assert ProviderDirectory().email_of("inhouse-mid") == "mid-family-support@essex.example"


def test_a_distribution_list_is_of_a_panel_there_is_with_good_addresses_each_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "providers.json"
    for entry, said in (
        ({"members:maag:gotham": {"name": "G", "members": ["a@x.example"]}}, "is of a panel"),
        ({"members:earp": {"name": "E", "members": []}}, "members: List should have at least 1"),
        ({"members:jap": {"name": "J", "members": ["not an address"]}}, "members.0: value is"),
    ):
        path.write_text(json.dumps(entry))
        with pytest.raises(DirectoryError, match=said):
            ProviderDirectory(path)
    listed = ["a@x.example", "b@x.example", "A@x.example"]
    path.write_text(json.dumps({"members:maag:harlow": {"name": "H", "members": listed}}))
    directory = ProviderDirectory(path)
    assert directory.members_of("maag:harlow") == ("a@x.example", "b@x.example")  # each once
    assert directory.members_of("earp") == ()  # no list: nobody


def test_the_seeded_distribution_lists_are_the_seeded_people_who_sit_on_each_panel() -> None:
    directory = ProviderDirectory()
    sitting = {Role.PANEL_MEMBER, Role.PANEL_CHAIR}
    for panel, district in [(Panel.MAAG, d) for d in District] + [
        (Panel.EARP, None),
        (Panel.JAP, None),
    ]:
        key = panel.value if district is None else f"{panel.value}:{district.value}"
        expected = [
            f"{p.username}@maag.example"
            for p in PEOPLE
            if sitting & set(p.roles)
            and panel.value in p.tiers
            and (district is None or district.value in p.districts)
        ]
        assert list(directory.members_of(key)) == expected, key
    assert "panel-tendring-1@maag.example" in directory.members_of("maag:tendring")
    assert "pct-commissioner-1@maag.example" in directory.members_of("jap")
