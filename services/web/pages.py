"""What every page shares, built once by `create_app` and kept on `app.state`: the services'
client, the sessions, the identity provider and the templates. Routes reach them as FastAPI
dependencies: the app's parts (`WebApp`), the signed-in person in a role (`signed_in`), and a
form whose token matches the session's (`CheckedForm`)."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import httpx
import structlog
from authlib.integrations.base_client import OAuthError
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from starlette.datastructures import FormData

from contracts.reference import COUNTY_ZONE, Role, fy_label
from maag.runtime.web import http
from services.web import charts
from services.web.backend import Backend, Invalid, NotAllowed, NotFound, Refused
from services.web.directory import Directory
from services.web.forms import FormErrors, request_key
from services.web.identity import IdentityProvider
from services.web.sessions import STATE_KEY, Sessions, SignedIn
from services.web.settings import WebSettings

log = structlog.get_logger("maag.web")
LONDON = COUNTY_ZONE  # the county's clocks
HERE = Path(__file__).parent
T = TypeVar("T")
# Who each page is for (the APIs decide again what each person may see).
PANEL_PEOPLE = (Role.PANEL_CHAIR.value, Role.PANEL_MEMBER.value)
READERS_OF_SPEND = (Role.COMMISSIONER.value, Role.AUDITOR.value)
# A form's page again, with what the service refused and the status to answer with.
Again = Callable[[FormErrors, int], Awaitable[HTMLResponse]]


class NeedsSignIn(Exception):
    """No one is signed in (or their session could not be renewed): to sign in, then back."""


class NotForYou(Exception):
    """This page is not for the signed-in person's role."""


class FormExpired(Exception):
    """A form's token did not match the session's (expired, or not ours)."""


@dataclass(frozen=True)
class Web:
    """The web app's parts."""

    settings: WebSettings
    backend: Backend
    sessions: Sessions
    identity: IdentityProvider
    templates: Jinja2Templates
    directory: Directory  # the people a form offers to choose from

    def signed_in(self, request: Request) -> SignedIn | None:
        """The request's person, read once per request; `KeepSessions` writes back what the
        request changed."""
        if not hasattr(request.state, STATE_KEY + "_read"):
            setattr(request.state, STATE_KEY + "_read", True)
            opened = self.sessions.open(request.session.get("sid"))
            if opened is not None:
                setattr(request.state, STATE_KEY, opened)
        opened = getattr(request.state, STATE_KEY, None)
        return opened.who if opened is not None else None

    async def person(self, request: Request, roles: tuple[str, ...]) -> SignedIn:
        """The signed-in person, their token renewed if it is about to expire; one of `roles`
        if any are given."""
        who = self.signed_in(request)
        if who is None:
            raise NeedsSignIn()
        if who.expires_at < time.time() + 30:
            await self._refresh(request, who)
        if roles and not who.has(*roles):
            raise NotForYou()
        return who

    async def _refresh(self, request: Request, who: SignedIn) -> None:
        if not who.refresh_token:
            raise NeedsSignIn()
        try:
            token = await self.identity.refresh(who.refresh_token)
        except (OAuthError, httpx.HTTPError) as e:
            log.info("web.refresh_failed", user_id=who.user_id, error=type(e).__name__)
            self.sessions.end(request.session.get("sid"))
            raise NeedsSignIn() from e
        who.access_token = token["access_token"]
        who.refresh_token = token.get("refresh_token", who.refresh_token)
        who.expires_at = float(token.get("expires_at") or time.time() + 60)

    def page(
        self,
        request: Request,
        template: str,
        who: SignedIn | None,
        status: int = 200,
        /,
        **context: object,
    ) -> HTMLResponse:
        """`template` with `context`, and what every page shows (who, their links, the form
        token)."""
        return self.templates.TemplateResponse(
            request,
            template,
            {"who": who, "csrf": csrf(request), "nav": nav(who), **context},
            status_code=status,
        )

    def problem(self, request: Request, status: int, title: str, message: str) -> HTMLResponse:
        """A problem page, said plainly (for whoever is signed in, or no one)."""
        who = self.signed_in(request)
        return self.page(request, "problem.html", who, status, title=title, message=message)

    async def write(
        self,
        who: SignedIn,
        form: FormData,
        method: str,
        service: str,
        path: str,
        body: Mapping[str, object],
        *,
        again: Again,
        done: str,
        label: str = "",
    ) -> Response:
        """A form's write, sent with the form's key (a second click records nothing more):
        then back to `done` (so a reload sends nothing again), or the form's page again with
        what the service refused, by field and rule."""
        try:
            await self.backend.call(
                who, method, service, path, json=body, idempotency_key=request_key(form)
            )
        except Invalid as e:
            reasons = [f"{label or x.get('field', '')}: {x.get('reason', '')}" for x in e.errors]
            return await again(FormErrors(other=reasons or [str(e)]), 400)
        except Refused as e:
            return await again(FormErrors(other=[str(e)]), 409)
        return RedirectResponse(done, status_code=303)


def web_of(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


# (a plain `def` dependency would be run on a worker thread for each request)
WebApp = Annotated[Web, Depends(http.from_state("web", Web))]


def signed_in(*roles: str) -> Callable[[Request], Awaitable[SignedIn]]:
    """A dependency: the signed-in person, who must hold one of `roles` (any role if none)."""

    async def person(request: Request) -> SignedIn:
        return await web_of(request).person(request, roles)

    return person


# the signed-in person, whatever their role (the services decide what they may see)
Person = Annotated[SignedIn, Depends(signed_in())]


async def checked_form(request: Request) -> FormData:
    """The form sent, if its token is the session's (else FormExpired)."""
    form = await request.form()
    sent = str(form.get("csrf_token", ""))
    if not sent or not secrets.compare_digest(sent, request.session.get("csrf", "")):
        raise FormExpired()
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def csrf(request: Request) -> str:
    """The session's form token (made on its first page)."""
    token: str | None = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def here(request: Request) -> str:
    """This page's path and query: where to come back to after signing in."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


async def optional(call: Awaitable[T]) -> T | None:
    """What a part of a page shows if this person may see it, else None."""
    try:
        return await call
    except (NotAllowed, NotFound):
        return None


def nav(who: SignedIn | None) -> list[dict[str, str]]:
    """The links of the signed-in person's roles."""
    if who is None:
        return []
    links: list[tuple[tuple[str, ...], str, str]] = [
        ((Role.REFERRER.value,), "/referrals/new", "Make a referral"),
        ((Role.REFERRER.value, *PANEL_PEOPLE), "/referrals", "Referrals"),
        ((Role.LEAD_PROFESSIONAL.value,), "/my-cases", "My cases"),
        ((*PANEL_PEOPLE, Role.AUDITOR.value), "/meetings", "Meetings"),
        ((Role.COMMISSIONER.value,), "/providers", "Providers"),
        ((Role.COMMISSIONER.value,), "/budgets", "Budgets"),
        (READERS_OF_SPEND, "/reports/spend", "Spend"),
        (READERS_OF_SPEND, "/reports/capacity", "Capacity"),
        (READERS_OF_SPEND, "/reports/savings", "Savings"),
        (READERS_OF_SPEND, "/reports/boards", "Boards"),
        ((Role.AUDITOR.value,), "/audit", "Audit a case"),
        ((Role.FRONT_DOOR.value,), "/front-door", "Front door"),
        ((Role.PROVIDER.value,), "/provider/packages", "Packages"),
        ((Role.PRIVACY_OFFICER.value,), "/privacy", "Find a case"),
    ]
    return [{"href": h, "text": t} for roles, h, t in links if who.has(*roles)]


def form_guard(csrf: str) -> Markup:
    """What every form that writes carries: the session's form token, and a fresh key (a
    second click or a resubmission sends the same one, so the write is recorded once)."""
    return Markup(
        '<input type="hidden" name="csrf_token" value="{}">'
        '<input type="hidden" name="idempotency_key" value="{}">'
    ).format(csrf, uuid.uuid4().hex)


def templates() -> Jinja2Templates:
    env = Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(HERE / "templates"),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
            ]
        ),
        autoescape=True,
        # the templates ship with the image: no stat of every template and GOV.UK macro file
        # on each render (a page imports a dozen) to see whether it changed
        auto_reload=False,
    )
    env.filters["money"] = charts.money
    env.filters["fy_label"] = fy_label
    env.globals["form_guard"] = form_guard
    env.filters["when"] = _when
    env.filters["day"] = day_words
    env.filters["case_ref"] = _case_ref
    env.filters["event_words"] = event_words
    env.filters["audit_words"] = audit_words
    return Jinja2Templates(env=env)


def _when(value: str | None) -> str:
    """A moment as the county's clocks show it (the services answer in UTC)."""
    if not value:
        return ""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (at.astimezone(LONDON) if at.tzinfo else at).strftime("%-d %B %Y %H:%M")


# What a case's panel events are called where people read them (others: their name's words).
EVENT_WORDS = {
    "Opened": "Referral accepted: the case opened",
    "Listed": "Listed on a meeting",
    "LeadProfessionalAssigned": "Lead professional assigned",
    "PackageRequested": "Package agreed",
    "ReviewListed": "Package review listed",
    "ReviewDecided": "Package reviewed",
    "ReviewMoved": "Package review moved to the panel holding the case",
    "Escalated": "Escalated",
    "SteppedDown": "Stepped down",
    "Deferred": "Deferred to the next meeting",
    "CarriedOver": "Not decided: carried to the next meeting",
    "BroughtForward": "Brought forward to a meeting called for it",
    "Closed": "Case closed",
    "Paused": "Paused: consent withdrawn",
    "Resumed": "Resumed: consent given again",
    "ReferredToSocialCare": "Referred to children's social care",
    "SocialCareSteppedDown": "Stepped down by children's social care",
    "CommissioningFailureListed": "Package could not be commissioned: listed again",
    "PackageEnded": "Package ended",
    "NeedReassessed": "Level of need changed at review",
}


def event_words(name: str) -> str:
    """A panel event's name as people say it: "LeadProfessionalAssigned" is "Lead
    professional assigned"."""
    if name in EVENT_WORDS:
        return EVENT_WORDS[name]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).lower()
    return words[:1].upper() + words[1:]


# What the auditor's timeline calls an event where its aggregate's and its own words mislead.
AUDIT_WORDS = {"CaseRead.Recorded": "Case read"}


def audit_words(name: str) -> str:
    """A stored event's name ("<Aggregate>.<Event>") as people say it: "PanelCase
    .LeadProfessionalAssigned" is "Panel case: lead professional assigned"."""
    if name in AUDIT_WORDS:
        return AUDIT_WORDS[name]
    aggregate, _, event = name.rpartition(".")
    what = event_words(event)
    if not aggregate:
        return what
    return f"{event_words(aggregate)}: {what[:1].lower()}{what[1:]}"


def today() -> date:
    """The county's date now (its clocks, not the server's)."""
    return datetime.now(LONDON).date()


def county_date(value: object) -> date | None:
    """An ISO date as it is, or an ISO moment as the day it was on the county's clocks (the
    services answer in UTC: 00:30 on a summer morning is still the day before in UTC)."""
    if not value:
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return (at.astimezone(LONDON) if at.tzinfo else at).date()


def day_words(value: object) -> str:
    """A date or moment as its county day (e.g. "7 December 2026"); anything else as it is."""
    found = county_date(value)
    if found is None:
        return str(value) if value else ""
    return found.strftime("%-d %B %Y")


def _case_ref(case_id: object) -> str:
    """The short reference the emails give a case (MAAG-<its id's first block>), so a page
    can be matched to the email that pointed to it."""
    return f"MAAG-{str(case_id).split('-')[0].upper()}"
