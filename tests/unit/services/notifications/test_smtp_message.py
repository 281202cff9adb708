"""An email as `message_for` builds it (its headers kept as given, not parsed by the header
registry) is, byte for byte, the one the registry built (`EmailMessage` with the default
policy, as the sender always built it): for every template, over generated words plain and
not, flattened as the SMTP client flattens it (8-bit or 7-bit, UTF-8 or not), with the same
envelope; and it reads back as a multipart/alternative of the text and the HTML."""

from __future__ import annotations

import email
import email.generator
import random
import string
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import compat32, default
from functools import partial

import pytest
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from services.notifications.adapters import smtp
from services.notifications.adapters.smtp import flat, message_for
from services.notifications.domain.notification import Notification
from services.notifications.domain.templates import TEMPLATES, render
from services.notifications.domain.values import Template

DATE = "Mon, 07 Dec 2026 07:21:51 -0000"
SENDER = "maag-notifications@localhost"

# Words a context may hold: plain ones, and ones the registry writes otherwise than given
# (non-ASCII, an encoded word, quotes, odd spacing, a word too long for one line).
PLAIN = ["Harlow", "MAAG", "2", "June", "2026", "10:00", "(revised)", "it's", "a-b", "x;y", "a,b"]
ODD = ["Zoë", "café", "—", "€5", "日本", "=?utf-8?q?x?=", '"quoted"', "<angle>", "a  b", "\t"]
ODD += ["a\nb"]  # refused in a header, by either way
LONG = ["w" * 90, "From", ".", ""]
RECIPIENTS = [
    "lead1@school.example",
    "o'neil+maag@county.gov.example",
    "Lee Lead <lee@school.example>",
    "a..b@school.example",
    "a@school.example.",
    "lée@school.example",
    '"quoted local"@school.example',
]
SENDERS = [SENDER, "MAAG notifications <maag@essex.example>", "M.A.A.G <maag@essex.example>"]


def _by_registry(notification: Notification, sender: str) -> EmailMessage:
    """The email as the sender built it before: every header parsed by the registry."""
    rendered = render(notification.template, notification.context)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = notification.recipient
    msg["Subject"] = rendered.subject
    msg["Message-ID"] = notification.message_id
    msg["Date"] = DATE
    about = "X-MAAG-Meeting" if notification.template.about_meeting else "X-MAAG-Case"
    msg[about] = str(notification.case_id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


def _notification(template: Template, context: dict[str, str], recipient: str) -> Notification:
    return Notification(
        source_event_id=f"evt-{uuid.uuid4()}",
        source_type="t",
        source_topic="maag.panel.events",
        case_id=uuid.uuid4(),
        template=template.value,
        recipient=recipient,
        context=context,
        correlation_id="c",
    )


def _context(template: Template, words: Callable[[], str]) -> dict[str, str]:
    wording = TEMPLATES[template]
    names = [*string.Template(wording.subject).get_identifiers()]
    names += string.Template(wording.body).get_identifiers()
    return {name: words() for name in names} | {"link": "https://maag.example/cases/x"}


def _generated(seed: int, n: int) -> list[tuple[Notification, str]]:
    rnd = random.Random(seed)

    def words() -> str:
        pool = PLAIN if rnd.random() < 0.6 else PLAIN + ODD + LONG
        return " ".join(rnd.choice(pool) for _ in range(rnd.randint(0, 12)))

    cases = []
    for i in range(n):
        template = list(Template)[i % len(Template)]
        recipient = RECIPIENTS[0] if rnd.random() < 0.5 else rnd.choice(RECIPIENTS)
        sender = SENDER if rnd.random() < 0.7 else rnd.choice(SENDERS)
        cases.append((_notification(template, _context(template, words), recipient), sender))
    return cases


def _outcome(make: Callable[[], object]) -> object:
    """What `make` returns, or the error it raises (to compare the two ways' failures)."""
    try:
        return make()
    except Exception as e:
        return (type(e), str(e))


def _flattened(
    monkeypatch: pytest.MonkeyPatch, msg: EmailMessage, utf8: bool, cte_type: str
) -> object:
    # the same multipart boundary for both ways (the generator draws it at random)
    monkeypatch.setattr(email.generator, "random", random.Random(7))
    return _outcome(lambda: flatten_message(msg, utf8=utf8, cte_type=cte_type))


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smtp, "formatdate", lambda localtime=False: DATE)


def test_each_email_is_the_registrys_byte_for_byte_with_the_same_envelope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = written_by_sender = 0
    for notification, sender in _generated(seed=1, n=400):
        old = _outcome(partial(_by_registry, notification, sender))
        new = _outcome(partial(message_for, notification, sender))
        if not isinstance(old, EmailMessage):  # refused: a header value with a line break
            assert isinstance(old, tuple) and old[0] is ValueError and "linefeed" in old[1]
            assert new == old
            continue
        assert isinstance(new, EmailMessage)
        given += new.policy is compat32
        for utf8, cte_type in [(False, "8bit"), (False, "7bit"), (True, "8bit")]:
            expected = _flattened(monkeypatch, old, utf8, cte_type)
            assert _flattened(monkeypatch, new, utf8, cte_type) == expected, (notification, sender)
            if new.policy is compat32 and not utf8:  # the sender writes these itself
                monkeypatch.setattr(email.generator, "random", random.Random(7))
                written = flat(new, eight_bit=cte_type == "8bit")
                assert written in (None, expected), (notification, sender)
                written_by_sender += written is not None and cte_type == "8bit"
        for envelope in (extract_sender, extract_recipients):
            assert _outcome(partial(envelope, new)) == _outcome(partial(envelope, old))
        if new.policy is compat32:  # the envelope the sender gives: From, and To alone
            assert (new["From"], [new["To"]]) == (extract_sender(old), extract_recipients(old))
        else:
            assert flat(new, eight_bit=True) is None  # sent as the client writes it
    assert given > 100  # most took the way without the registry: it was the one compared
    # and many written by the sender (a header too long for its line is left to the client)
    assert written_by_sender > 40


def test_an_ordinary_email_is_written_by_the_sender() -> None:
    for template in Template:
        context = {name: "Harlow 2026" for name in _context(template, str)}
        msg = message_for(_notification(template, context, "lead1@school.example"), SENDER)
        assert flat(msg, eight_bit=True) is not None, template


def test_an_ordinary_email_is_written_without_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its folding of headers that need none, a buffer for each part and a regex for each
    boundary were most of an email's writing: an ordinary email is written directly, the
    generator's bytes all the same (the test above)."""

    def generating(*_: object, **__: object) -> None:
        raise AssertionError("written by the generator")

    monkeypatch.setattr(email.generator.BytesGenerator, "flatten", generating)
    for template in Template:
        context = {name: "Harlow 2026" for name in _context(template, str)}
        msg = message_for(_notification(template, context, "lead1@school.example"), SENDER)
        for eight_bit in (True, False):
            written = flat(msg, eight_bit=eight_bit)
            assert written is not None and written.endswith(b"--\r\n"), template


def test_an_ordinary_email_is_built_without_the_registry_and_reads_back_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for template in Template:
        in_subject = string.Template(TEMPLATES[template].subject).get_identifiers()
        # a long subject (folded when written), a body not all ASCII
        context = {
            name: "Harlow MAAG Tuesday 2 June 2026 at 10:00" if name in in_subject else "Zoë — Lee"
            for name in _context(template, str)
        } | {"link": "https://maag.example/cases/x"}
        notification = _notification(template, context, "lead1@school.example")
        msg = message_for(notification, SENDER)
        assert msg.policy is compat32
        sent = email.message_from_bytes(flatten_message(msg), policy=default)
        assert isinstance(sent, EmailMessage)
        rendered = render(notification.template, notification.context)
        about = "X-MAAG-Meeting" if template.about_meeting else "X-MAAG-Case"
        # (a subject the registry folded right after "Subject:" reads back with the fold's
        # leading space, as it always did)
        assert {
            k: str(sent[k]).lstrip() for k in ("From", "To", "Subject", "Message-ID", "Date", about)
        } == {
            "From": SENDER,
            "To": "lead1@school.example",
            "Subject": rendered.subject,
            "Message-ID": notification.message_id,
            "Date": DATE,
            about: str(notification.case_id),
        }
        assert sent.get_content_type() == "multipart/alternative"
        text, html = sent.get_body(("plain",)), sent.get_body(("html",))
        assert text is not None and html is not None
        assert [p.get_content_type() for p in sent.iter_parts()] == ["text/plain", "text/html"]
        assert text.get_content_charset() == html.get_content_charset() == "utf-8"
        # as sent: in lines ending CRLF
        assert text.get_content() == rendered.text.replace("\n", "\r\n")
        assert html.get_content() == rendered.html + "\r\n"
