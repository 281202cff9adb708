"""The emails' words (the case reference and link in each, HTML escaped, no place for a
child's details), SMTP's answers classified by its own rules, a contacts directory checked
when it is loaded."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template as Text

import aiosmtplib
import pytest

from services.notifications.adapters.directory import DirectoryError, ProviderDirectory
from services.notifications.adapters.smtp import Permanent, Transient, classify
from services.notifications.domain.templates import TEMPLATES, case_reference, render

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


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_carries_the_case_reference_and_the_link(template: str) -> None:
    email = render(template, CONTEXT)
    assert "MAAG-1A2B3C4D" in email.subject
    assert CONTEXT["link"] in email.text
    assert f'<a href="{CONTEXT["link"]}">' in email.html


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
