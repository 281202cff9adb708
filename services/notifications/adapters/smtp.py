"""Delivers asked-for emails over SMTP, each case's in the order they were asked for, each
once.

The sender follows the service's own notification log like the outbox relay follows a
store: it sends, journals each email the server accepts at once (`journal.py`), and records
the outcomes (`Sent` or `Failed`) of the stretch of the log it read together with its
position in one transaction. Emails go out on a few connections at once (lanes,
`MAAG_SMTP_CONNECTIONS`): one at a time would leave the sender waiting on the mail server's
round trips. A crash before that commit resends nothing the journal holds: only the email
each lane has between the server's acceptance and the journal's insert, with the same
Message-ID, so the receiving system can drop the duplicate. Where that insert fails (or
there is no journal), what is settled is recorded before the lane sends its next email, as
it is before a retry waits. Transient failures (4xx replies, connection refused, timeouts) are
retried with backoff for `MAAG_SMTP_RETRY_SECONDS`; permanent ones (5xx replies, a refused
address, no address at all) are recorded as `Failed` and dead-lettered with the reason.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import io
import json
import re
import time
from dataclasses import dataclass, field
from email.contentmanager import raw_data_manager
from email.generator import BytesGenerator
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, compat32
from email.utils import formatdate
from typing import Any
from uuid import UUID

import aiosmtplib
from aiokafka import AIOKafkaProducer
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.utils import resolve_topic

from contracts.topics import DLQ_SUFFIX
from maag.runtime.follow.follower import Follower, Wakeup
from maag.runtime.follow.leadership import Leadership
from maag.runtime.follow.loops import Backoff, sleep_or_stop
from maag.runtime.logging import bound, get_logger
from maag.runtime.messaging.consumer import TRANSIENT
from maag.runtime.settings import Settings
from maag.runtime.store.unit_of_work import Work, fold
from maag.runtime.web import metrics
from services.notifications.adapters.journal import SentJournal
from services.notifications.application.app import NotificationsApp
from services.notifications.application.commands import SERVICE
from services.notifications.application.commands.record_failure import RecordFailure
from services.notifications.application.commands.record_sent import RecordSent
from services.notifications.domain.notification import Notification
from services.notifications.domain.templates import Email, render
from services.notifications.domain.values import EmailStatus

log = get_logger(__name__)
TRACKING = "smtp-sender"


class Permanent(Exception):
    pass


class Transient(Exception):
    pass


@dataclass(frozen=True)
class Outcome:
    sent: bool
    attempts: int
    reason: str = ""


def message_for(notification: Notification, sender: str) -> EmailMessage:
    """The email: a multipart/alternative of its text and its HTML, in UTF-8."""
    email = render(notification.template, notification.context)
    # the case it is about; or the meeting, for an agenda circulated to a panel's members
    about = "X-MAAG-Meeting" if notification.template.about_meeting else "X-MAAG-Case"
    headers = {
        "From": sender,
        "To": notification.recipient,
        "Subject": email.subject,
        "Message-ID": notification.message_id,
        "Date": formatdate(localtime=False),
        about: str(notification.case_id),
    }
    if not all(_as_given(name, value) for name, value in headers.items()):
        return _parsed(headers, email)
    # Kept as the strings given (compat32 stores them so): SMTP's policy, flattening it,
    # writes them as they are, as it writes the registry's headers parsed from them.
    msg = EmailMessage(policy=compat32)
    for name, value in headers.items():
        msg[name] = value
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = _content_type("multipart/alternative")
    html = _part(email.html, "html")
    html["MIME-Version"] = "1.0"  # as `add_alternative` writes it: the bytes are the same
    msg.set_payload([_part(email.text, "plain"), html])
    return msg


# Header values the header registry renders as given: printable ASCII words, one space
# apart, no encoded word; an address a plain local@domain (what the registry reads as the
# envelope's address too). Parsing them (on setting a header, again on flattening it) was
# most of an email's cost; any other value is built through the registry (`_parsed`).
_WORDS = re.compile(r"[!-~]+(?: [!-~]+)*")
_ADDRESS = re.compile(r"[\w+'-]+(?:\.[\w+'-]+)*@[\w-]+(?:\.[\w-]+)*", re.ASCII)
_ADDRESSED = ("From", "To")


def _as_given(name: str, value: str) -> bool:
    if _WORDS.fullmatch(value) is None or "=?" in value:
        return False
    return name not in _ADDRESSED or _ADDRESS.fullmatch(value) is not None


@functools.lru_cache(maxsize=8)
def _content_type(value: str) -> Any:
    """The header parsed once (it is immutable): the generator reads a part's content type
    several times as it writes it, parsing a string each time."""
    return SMTP.header_factory("Content-Type", value)


def _part(body: str, subtype: str) -> MIMEPart:
    """A text part, its body encoded as `set_content` encodes it (7bit, 8bit,
    quoted-printable or base64, by its length and characters)."""
    part = MIMEPart(policy=compat32)
    part.set_content(body, subtype, content_manager=raw_data_manager)
    part.replace_header("Content-Type", _content_type(part["Content-Type"]))
    return part


# How the SMTP client writes a message, with compat32's generator: CRLF line ends, 8-bit
# bodies as they are where the server takes them (BODY=8BITMIME), else in 7 bits.
_LINE = compat32.max_line_length or 78  # (None would mean never folded)
_WRITTEN = {
    True: compat32.clone(linesep="\r\n"),
    False: compat32.clone(linesep="\r\n", cte_type="7bit"),
}


def flat(msg: EmailMessage, *, eight_bit: bool) -> bytes | None:
    """The bytes the SMTP client's `send_message` would send for `msg`, written without the
    header registry, or None for a message built through it (`_parsed`). The client
    flattens every `EmailMessage` under SMTP's policy, which parses each header again to
    write it: most of the rest of an email's cost. compat32 writes the strings given as they
    are, and for the values `_as_given` admits that is the same bytes (test_smtp_message),
    unless a header is too long for its line: the two fold it differently."""
    if msg.policy is not compat32 or any(
        len(name) + 2 + len(value) > _LINE
        for name, value in msg.items()
        if name != "Content-Type"  # the parsed one (`_content_type`): written the same
    ):
        return None
    written = _by_hand(msg, eight_bit)
    if written is not None:
        return written
    with io.BytesIO() as out:
        BytesGenerator(out, policy=_WRITTEN[eight_bit]).flatten(msg)
        return out.getvalue()


_NL = "\r\n"
_LINE_ENDS = re.compile(r"\r\n|\r|\n")  # each written as CRLF, as the generator writes them
_FROM = re.compile(r"^From ", re.MULTILINE)  # compat32 mangles them (mangle_from_)


def _escaped(body: str) -> bool:
    """Whether a body holds 8-bit bytes (stored as escapes, which UTF-8 cannot encode)."""
    try:
        body.encode()
    except UnicodeEncodeError:
        return True
    return False


def _by_hand(msg: EmailMessage, eight_bit: bool) -> bytes | None:
    """What compat32's generator writes for a `message_for` email (a multipart of text parts
    whose headers fit their lines), written directly: the generator's folding of headers
    that need none, its flattening of each part into a buffer of its own and its new regex
    for each random boundary were most of the time of writing an email. None for anything
    else (a body the generator would encode again for a 7-bit server, a boundary found in
    a body): the generator writes those. The bytes are the generator's for every email the
    byte-for-byte test of `flat` draws, which notices if the email package writes otherwise.
    Reads `_payload` as the generator does: the body as stored, its 8-bit bytes escaped."""
    parts = msg.get_payload()
    if not isinstance(parts, list) or msg.preamble is not None or msg.epilogue is not None:
        return None
    policy = _WRITTEN[eight_bit]
    bodies = []
    for part in parts:
        if not isinstance(part, MIMEPart) or part.is_multipart():
            return None
        body = part._payload  # type: ignore[attr-defined]  # (see above)
        if not isinstance(body, str):
            return None
        if not eight_bit and _escaped(body):  # encoded again for a 7-bit server
            return None
        items = [(name, str(value)) for name, value in part.raw_items()]
        if any(len(name) + 2 + len(value) > _LINE for name, value in items):
            return None
        headers = "".join(f"{name}: {value}{_NL}" for name, value in items)
        if policy.mangle_from_:
            body = _FROM.sub(">From ", body)
        bodies.append(headers + _NL + _NL.join(_LINE_ENDS.split(body)))
    text = [b.encode("ascii", "surrogateescape") for b in bodies]
    boundary = msg.get_boundary()
    if boundary is None:
        # drawn as the generator draws it; one that occurs in a body is left to the generator
        boundary = BytesGenerator._make_boundary()  # type: ignore[attr-defined]
        if any(f"--{boundary}".encode() in t for t in text):
            return None
        msg.set_boundary(boundary)  # as the generator leaves it: a resend writes it the same
    head = b"".join(
        f"{name}: {value}{_NL}".encode("ascii", "surrogateescape")
        if len(name) + 2 + len(value := str(raw)) <= _LINE
        else policy.fold_binary(name, raw)
        for name, raw in msg.raw_items()
    )
    dash = f"--{boundary}".encode()
    nl = _NL.encode()
    return b"".join(
        [
            head,
            nl,
            dash + nl,
            (nl + dash + nl).join(text),
            nl + dash + b"--" + nl,
        ]
    )


def _parsed(headers: dict[str, str], email: Email) -> EmailMessage:
    """The email built through the header registry: for values it may write otherwise than
    given (encoded, quoted or folded)."""
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    return msg


def classify(error: BaseException) -> Exception:
    """Transient or permanent, by SMTP's own rules (4xx may succeed later; 5xx will not)."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients]
        kind = Permanent if all(c >= 500 for c in codes) else Transient
        return kind("; ".join(f"{r.recipient}: {r.code} {r.message}" for r in error.recipients))
    if isinstance(error, aiosmtplib.SMTPResponseException):
        kind = Permanent if error.code >= 500 else Transient
        return kind(f"{error.code} {error.message}")
    return Transient(f"{type(error).__name__}: {error}")


class Stopping(Exception):
    """The service is stopping in the middle of a retry."""


@dataclass
class _Lane:
    """One connection to the mail server, kept open between emails (a connection each is
    the slow part). It sends one email at a time: the next case's emails, in order, as it
    comes free."""

    smtp: aiosmtplib.SMTP | None = None


@dataclass
class _Stretch:
    """A stretch of the log being sent. Lanes settle its emails out of the log's order, so
    each record commits every outcome settled since the last one, with the position of the
    last email before the first not yet settled (the stretch's end once all are): a restart
    reads again from there, passing over what is recorded already."""

    recorded: int
    last: int
    places: list[int]  # where each email to send was asked for, in the log's order
    done: set[int] = field(default_factory=set)
    events: list[Any] = field(default_factory=list)  # taken from the aggregates once
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one record at a time

    def settle(self, place: int, events: list[Any]) -> None:
        self.done.add(place)
        self.events.extend(events)

    def reach(self) -> int:
        reached = self.recorded
        for place in self.places:
            if place not in self.done:
                return reached
            reached = max(reached, place)
        return self.last


@functools.lru_cache(maxsize=64)
def _asks(topic: str) -> bool:
    """Whether an event stored under `topic` asks for an email: told by its class, without
    decoding (and unsealing) the event. (A moved class's old topic resolves to it too.)"""
    return resolve_topic(topic) is Notification.Requested


class Sender:
    def __init__(
        self,
        app: NotificationsApp,
        settings: Settings,
        dlq_producer: AIOKafkaProducer,
        batch_size: int = 100,
        journal: SentJournal | None = None,
        wakeup: Wakeup | None = None,
    ) -> None:
        self.app = app
        self.wakeup = wakeup or Wakeup(None, None)
        self.journal = journal
        self.settings = settings
        self.dlq_producer = dlq_producer
        self.batch_size = batch_size
        self.sent = 0
        self.retries = 0  # transient SMTP failures retried (also maag_smtp_retries)
        # Set by run(): a retry in progress ends when the service stops.
        self.stop = asyncio.Event()
        # Replicas share the store: only the leader sends.
        self.leadership = Leadership(
            settings.postgres_conninfo, f"smtp-sender:{app.env.get('POSTGRES_SCHEMA', '')}"
        )
        self._lanes = [_Lane() for _ in range(settings.smtp_connections)]
        self._stretch: _Stretch | None = None  # while a stretch of the log is sent

    # --- the store side (synchronous, in a worker thread) ---

    def pending(self) -> tuple[int, int, list[tuple[int, UUID]]]:
        after = self.app.position(TRACKING) or 0
        notifications = self.app.notifications(after, self.batch_size)
        asked = [(n.id, n.originator_id) for n in notifications if _asks(n.topic)]
        last = notifications[-1].id if notifications else after
        return after, last, asked

    def load_many(self, ids: list[UUID]) -> list[Notification]:
        histories = self.app.histories(ids)
        found: list[object] = [fold(None, histories[i]) for i in ids if i in histories]
        return [n for n in found if isinstance(n, Notification)]

    def record(self, position: int | None, events: list[Any]) -> None:
        """The events, with the position reached (None: no further than recorded)."""
        self.app.record(None if position is None else Tracking(TRACKING, position), events)

    # --- SMTP ---

    async def send(self, notification: Notification, lane: _Lane | None = None) -> Outcome:
        lane = lane or self._lanes[0]
        if not notification.to.reachable:
            return Outcome(False, 0, f"no email address: {notification.recipient}")
        msg = message_for(notification, self.settings.mail_from)
        deadline = time.monotonic() + self.settings.smtp_retry_seconds
        backoff, attempts = Backoff(first=0.5, cap=30.0), 0
        while True:
            attempts += 1
            try:
                await self._deliver(msg, lane)
                return Outcome(True, attempts)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
                error = classify(e)
                await self._disconnect(lane)
            if isinstance(error, Permanent):
                return Outcome(False, attempts, f"permanent: {error}")
            wait = backoff.next()
            if time.monotonic() + wait > deadline:
                return Outcome(False, attempts, f"gave up after {attempts} attempts: {error}")
            self.retries += 1
            metrics.SMTP_RETRIES.inc()
            log.warning(
                "smtp retrying",
                recipient=notification.recipient,
                error=str(error),
                in_seconds=wait,
            )
            await self._record_unrecorded()  # not left waiting on the mail server
            await sleep_or_stop(self.stop, wait)
            if self.stop.is_set():  # not sent, not recorded: asked again after the restart
                raise Stopping("stopped while the mail server was refusing")

    async def _deliver(self, msg: EmailMessage, lane: _Lane) -> None:
        """Over the lane's connection, kept open between emails."""
        if lane.smtp is None or not lane.smtp.is_connected:
            s = self.settings
            lane.smtp = aiosmtplib.SMTP(
                hostname=s.smtp_host,
                port=s.smtp_port,
                start_tls=s.smtp_starttls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=15,
            )
            await lane.smtp.connect()
        smtp = lane.smtp
        if smtp.is_ehlo_or_helo_needed:  # what the server takes decides how it is written
            try:
                await smtp.ehlo()
            except aiosmtplib.SMTPHeloError:  # no ESMTP: as `send_message` would, HELO
                await smtp.helo()
        eight_bit = smtp.supports_extension("8BITMIME")
        data = flat(msg, eight_bit=eight_bit)
        if data is None:
            await smtp.send_message(msg)
            return
        # The envelope `send_message` reads from the headers: a plain From and To (_ADDRESS).
        options = ["BODY=8BITMIME"] if eight_bit else []
        await smtp.sendmail(msg["From"], [msg["To"]], data, mail_options=options)

    @staticmethod
    async def _disconnect(lane: _Lane) -> None:
        if lane.smtp is not None:
            with contextlib.suppress(Exception):  # already gone
                lane.smtp.close()
            lane.smtp = None

    async def dead_letter(self, notification: Notification, reason: str) -> None:
        value = json.dumps(
            {
                "notification_id": str(notification.id),
                "case_id": str(notification.case_id),
                "template": notification.template,
                "recipient": notification.recipient,
                "source_event_id": notification.source_event_id,
            }
        ).encode()
        headers = [
            ("dlq_error", reason.encode()),
            ("dlq_consumer", b"maag.notifications.sender"),
            ("dlq_topic", notification.source_topic.encode()),
            ("ce_id", notification.source_event_id.encode()),
        ]
        await self.dlq_producer.send_and_wait(
            notification.source_topic + DLQ_SUFFIX,
            value,
            key=str(notification.case_id).encode(),
            headers=headers,
        )

    # --- the loop ---

    async def deliver_once(self) -> int:
        """Send what the next stretch of the log asks for, journalling each acceptance at
        once, and record the stretch's outcomes with its position in one commit at the end:
        a crash before it resends none the journal holds, so at most the emails between the
        server's acceptance and the journal's insert (one a lane), with the same Message-ID.

        The emails go out on `MAAG_SMTP_CONNECTIONS` lanes at once, each case's on one lane
        in the order asked for. A lane records what is settled before its next email where
        the journal missed an acceptance (the store away, or no journal), as before a retry
        waits; when a lane stops (Stopping, or a failure), the others stop after the email
        each has in hand (a retry of it included), and what is settled is recorded."""
        after, last, asked = await asyncio.to_thread(self.pending)
        if last == after:
            return 0
        loaded = await asyncio.to_thread(self.load_many, [nid for _, nid in asked])
        by_id = {n.id: n for n in loaded}
        journalled = (
            await asyncio.to_thread(self.journal.sent_among, list(by_id)) if self.journal else {}
        )
        todo = [
            (place, n)
            for place, nid in asked
            if (n := by_id.get(nid)) is not None and n.status == EmailStatus.REQUESTED
        ]
        cases: dict[UUID, list[tuple[int, Notification]]] = {}
        for place, n in todo:
            cases.setdefault(n.case_id, []).append((place, n))
        # Each lane takes the next case's emails as it comes free, and sends them in order.
        queue = collections.deque(cases.values())
        self._stretch = stretch = _Stretch(after, last, [place for place, _ in todo])
        halt = asyncio.Event()
        try:
            ended = await asyncio.gather(
                *(
                    self._send_lane(lane, queue, journalled, stretch, halt)
                    for lane in self._lanes[: len(queue)]
                ),
                return_exceptions=True,
            )
            # What went out is recorded if the store is there; if not, the journal says.
            await self._record_unrecorded()
        finally:
            self._stretch = None
        for outcome in ended:
            if isinstance(outcome, BaseException):
                raise outcome
        return last - after

    async def _send_lane(
        self,
        lane: _Lane,
        queue: collections.deque[list[tuple[int, Notification]]],
        journalled: dict[UUID, int],
        stretch: _Stretch,
        halt: asyncio.Event,
    ) -> None:
        while queue and not halt.is_set():
            for place, notification in queue.popleft():
                if halt.is_set():
                    return
                await self._send_one(lane, place, notification, journalled, stretch, halt)

    async def _send_one(
        self,
        lane: _Lane,
        place: int,
        notification: Notification,
        journalled: dict[UUID, int],
        stretch: _Stretch,
        halt: asyncio.Event,
    ) -> None:
        with bound(
            case_id=str(notification.case_id),
            correlation_id=notification.correlation_id,
        ):
            try:
                outcome, kept = await self._outcome(
                    notification, journalled.get(notification.id), lane
                )
                await self._settle(notification, outcome)
                stretch.settle(place, list(notification.collect_events()))
                if not kept:
                    await self._record_unrecorded()
            except BaseException:
                halt.set()
                raise

    async def _outcome(
        self, notification: Notification, journalled: int | None, lane: _Lane
    ) -> tuple[Outcome, bool]:
        """The outcome, and whether it may wait for the stretch's record: a crash before it
        would not send the email again (the journal holds it), or would at worst dead-letter
        a failure twice (with no journal, each outcome is recorded at once)."""
        if journalled is not None:
            # Accepted by the server before a crash, not yet recorded: record it.
            log.info("sent before a restart; recording it", template=notification.template)
            return Outcome(True, journalled), True
        outcome = await self.send(notification, lane)
        if self.journal is None:
            return outcome, False
        if not outcome.sent:
            return outcome, True
        return outcome, self._journal(notification.id, outcome.attempts)

    async def _settle(self, notification: Notification, outcome: Outcome) -> None:
        """The outcome on the aggregate (`RecordSent` or `RecordFailure`), for the caller to
        commit with the position; a failure dead-lettered first."""
        work = Work(self.app)
        work.add(notification)
        if outcome.sent:
            sent = RecordSent(
                caller=SERVICE,
                correlation_id=notification.correlation_id,
                notification_id=notification.id,
                attempts=outcome.attempts,
            )
            self.app.handle(sent, work)
            self.sent += 1
            metrics.EMAILS.labels("sent").inc()
            return
        metrics.EMAILS.labels("failed").inc()
        # Dead-lettered before it is recorded: never lost, at worst twice.
        await self.dead_letter(notification, outcome.reason)
        failure = RecordFailure(
            caller=SERVICE,
            correlation_id=notification.correlation_id,
            notification_id=notification.id,
            reason=outcome.reason,
            attempts=outcome.attempts,
        )
        self.app.handle(failure, work)
        log.warning("notification failed", template=notification.template, reason=outcome.reason)

    def _journal(self, notification_id: UUID, attempts: int) -> bool:
        # On the event loop, not in a worker thread: no queueing between answer and insert.
        assert self.journal is not None
        try:
            self.journal.accepted(notification_id, attempts)
            return True
        except Exception as e:  # the store away: recorded before the next email (retrying)
            log.warning("journalling a sent email failed", error=repr(e))
            return False

    async def _record_unrecorded(self) -> None:
        """Record the outcomes settled since the last record, with the position they reach.
        One that fails is not tried again in this step: the step ends, and the next one
        reads the log again (the journal says what went out)."""
        stretch = self._stretch
        if stretch is None:
            return
        async with stretch.lock:
            if self._stretch is not stretch:  # a record failed meanwhile: the step ends
                return
            reach, events = stretch.reach(), stretch.events
            if reach == stretch.recorded and not events:
                return
            stretch.events = []
            try:
                await self._record_sent(reach if reach > stretch.recorded else None, events)
            except BaseException:
                self._stretch = None
                raise
            stretch.recorded = reach

    async def _record_sent(self, last: int | None, events: list[Any]) -> None:
        """Record what was just sent, retrying while the store is away: giving up here would
        send the batch again (a second email to each). Only a crash in between resends."""
        backoff = Backoff(first=0.2)
        retried = False
        while True:
            try:
                await asyncio.to_thread(self.record, last, events)
                return
            except IntegrityError:
                if retried:  # the commit we lost sight of had in fact gone through
                    return
                raise
            except TRANSIENT as e:
                wait = backoff.next()
                log.warning("recording sent emails retrying", error=repr(e), in_seconds=wait)
                retried = True
                await sleep_or_stop(self.stop, wait)
                if self.stop.is_set():  # as a crash would: the journal says what went out
                    log.error("stopping with sent emails not yet recorded", up_to=last)
                    raise Stopping("stopped while the store was away") from e

    async def run(self, stop: asyncio.Event) -> None:
        self.stop = stop
        follower = Follower(
            "sender",
            self.deliver_once,
            self.wakeup,
            leadership=self.leadership,
            fatal=(Stopping,),
            batch=self.batch_size,
        )
        try:
            await follower.run(stop)
        except Stopping as e:
            log.info("sender stopped mid-batch", reason=str(e))
        finally:
            for lane in self._lanes:
                await self._disconnect(lane)
