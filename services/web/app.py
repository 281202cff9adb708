"""The web app's routes: sign-in and out, and the pages of each persona. Each page asks the
services' APIs as the signed-in person; what the APIs refuse, the page explains."""

from __future__ import annotations

import asyncio
import os
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import structlog
import uvicorn
from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from markupsafe import Markup
from starlette.middleware.sessions import SessionMiddleware

from contracts.reference import JAP_FUNDERS, Agency, AvoidedOutcome, District, Panel, Role
from maag.runtime.settings import Settings
from services.web import charts
from services.web.backend import (
    Backend,
    Invalid,
    NotAllowed,
    NotFound,
    Refused,
    SignInAgain,
    Unavailable,
)
from services.web.forms import FormErrors, api_errors, referral_body, request_key
from services.web.sessions import Sessions, SignedIn
from services.web.settings import SERVICES, WebSettings

log = structlog.get_logger("maag.web")
HERE = Path(__file__).parent
# Who each page is for (the APIs decide again what each person may see).
PANEL_PEOPLE = (Role.PANEL_CHAIR.value, Role.PANEL_MEMBER.value)
READERS_OF_SPEND = (Role.COMMISSIONER.value, Role.AUDITOR.value)


class NeedsSignIn(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotForYou(Exception):
    """This page is not for the signed-in person's role."""


class FormExpired(Exception):
    """A form's token did not match the session's (expired, or not ours)."""


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
    )
    env.filters["money"] = charts.money
    env.globals["form_guard"] = form_guard
    env.filters["when"] = _when
    return Jinja2Templates(env=env)


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value).strftime("%-d %B %Y %H:%M")
    except ValueError:
        return value


def create_app(ws: WebSettings, client: httpx.AsyncClient | None = None) -> FastAPI:
    govuk = ws.assets
    if not (govuk / "govuk-frontend.min.css").exists():
        raise RuntimeError(
            f"GOV.UK Frontend is not installed in {govuk}: run the install step "
            "(deploy/local/bootstrap.sh runs `npm ci --prefix services/web/frontend`)"
        )
    http = client or httpx.AsyncClient(timeout=15)
    backend = Backend(ws.service_urls, http)
    sessions = Sessions(ws.session_minutes * 60)
    oauth = OAuth()
    oauth.register(
        "maag",
        client_id=ws.client_id,
        client_secret=ws.client_secret,
        server_metadata_url=f"{ws.issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
    )
    provider: Any = oauth.create_client("maag")  # type: ignore[no-untyped-call]
    pages = templates()
    app = FastAPI(title="MAAG web app", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=ws.session_secret,
        session_cookie="maag_session",
        max_age=ws.session_minutes * 60,
        same_site="lax",
        https_only=ws.secure_cookies,
    )
    app.mount("/assets", StaticFiles(directory=govuk / "assets"), name="assets")
    app.mount("/govuk", StaticFiles(directory=govuk), name="govuk")

    # --- who is signed in ---

    def csrf(request: Request) -> str:
        token: str | None = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return token

    async def check_form(request: Request) -> Any:
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
        if not sent or not secrets.compare_digest(sent, request.session.get("csrf", "")):
            raise FormExpired()
        return form

    def _next(request: Request) -> str:
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")

    async def person(request: Request, *roles: str) -> SignedIn:
        who = sessions.get(request.session.get("sid"))
        if who is None:
            raise NeedsSignIn(_next(request))
        if who.expires_at < time.time() + 30:
            await refresh(request, who)
        if roles and not who.has(*roles):
            raise NotForYou()
        return who

    async def refresh(request: Request, who: SignedIn) -> None:
        if not who.refresh_token:
            raise NeedsSignIn(_next(request))
        try:
            token = await provider.fetch_access_token(
                grant_type="refresh_token", refresh_token=who.refresh_token
            )
        except (OAuthError, httpx.HTTPError) as e:
            log.info("web.refresh_failed", user_id=who.user_id, error=type(e).__name__)
            sessions.end(request.session.get("sid"))
            raise NeedsSignIn(_next(request)) from e
        who.access_token = token["access_token"]
        who.refresh_token = token.get("refresh_token", who.refresh_token)
        who.expires_at = float(token.get("expires_at") or time.time() + 60)

    def page(
        request: Request,
        template: str,
        who: SignedIn | None,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        return pages.TemplateResponse(
            request,
            template,
            {"who": who, "csrf": csrf(request), "nav": _nav(who), **context},
            status_code=status,
        )

    async def write(
        who: SignedIn,
        method: str,
        service: str,
        path: str,
        body: Any,
        again: Callable[[FormErrors, int], Awaitable[HTMLResponse]],
        done: str,
        form: Any,
        label: str = "",
    ) -> Response:
        """A form's write, sent with the form's key (a second click records nothing more):
        then back to `done` (so a reload sends nothing again), or the form's page again with
        what the service refused, by field and rule."""
        try:
            await backend.call(
                who, method, service, path, json=body, idempotency_key=request_key(form)
            )
        except Invalid as e:
            reasons = [f"{label or x.get('field', '')}: {x.get('reason', '')}" for x in e.errors]
            return await again(FormErrors(other=reasons or [str(e)]), 400)
        except Refused as e:
            return await again(FormErrors(other=[str(e)]), 409)
        return RedirectResponse(done, status_code=303)

    # --- what goes wrong, said plainly ---

    @app.exception_handler(NeedsSignIn)
    async def _sign_in(request: Request, e: NeedsSignIn) -> Response:
        return RedirectResponse(f"/sign-in?{urlencode({'next': e.next_path})}", status_code=303)

    @app.exception_handler(SignInAgain)
    async def _again(request: Request, e: SignInAgain) -> Response:
        sessions.end(request.session.get("sid"))
        return RedirectResponse(f"/sign-in?{urlencode({'next': _next(request)})}", status_code=303)

    def _problem(request: Request, status: int, title: str, message: str) -> HTMLResponse:
        who = sessions.get(request.session.get("sid"))
        return page(request, "problem.html", who, status, title=title, message=message)

    @app.exception_handler(NotForYou)
    async def _not_for_you(request: Request, e: NotForYou) -> Response:
        return _problem(
            request, 403, "You cannot see this page", "This page is not part of your role in MAAG."
        )

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, e: NotAllowed) -> Response:
        return _problem(request, 403, "You cannot see this", str(e))

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, e: NotFound) -> Response:
        return _problem(
            request,
            404,
            "Page not found",
            "There is nothing here that you can see. Check the address, or go back.",
        )

    @app.exception_handler(FormExpired)
    async def _expired(request: Request, e: FormExpired) -> Response:
        return _problem(
            request,
            403,
            "This form has expired",
            "Go back, reload the page and submit the form again.",
        )

    @app.exception_handler(Unavailable)
    async def _down(request: Request, e: Unavailable) -> Response:
        log.warning("web.backend_unavailable", error=str(e))
        return _problem(
            request,
            503,
            "Sorry, the service is unavailable",
            "Part of MAAG is not answering just now. Nothing you sent has been lost; try "
            "again in a few minutes.",
        )

    @app.exception_handler(Exception)
    async def _failed(request: Request, e: Exception) -> Response:
        log.exception("web.failed", path=request.url.path)
        return _problem(
            request, 500, "Sorry, there is a problem with the service", "Try again later."
        )

    # --- signing in and out ---

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/sign-in")
    async def sign_in(request: Request, next: str = "/") -> Response:
        request.session["next"] = (
            next if next.startswith("/") and not next.startswith("//") else "/"
        )
        redirect: Response = await provider.authorize_redirect(
            request, f"{ws.base_url}/auth/callback"
        )
        return redirect

    @app.get("/auth/callback")
    async def callback(request: Request) -> Response:
        try:
            token = await provider.authorize_access_token(request)
        except OAuthError as e:
            log.info("web.sign_in_failed", error=e.error)
            return _problem(
                request, 400, "Sign-in did not finish", "Go back to the start and sign in again."
            )
        who = SignedIn.from_token(token)
        sessions.end(request.session.get("sid"))
        next_path = request.session.get("next", "/")
        request.session.clear()  # a new session: nothing from before sign-in carries over
        request.session["sid"] = sessions.start(who)
        log.info("web.signed_in", user_id=who.user_id)
        return RedirectResponse(next_path, status_code=303)

    @app.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        await check_form(request)
        who = sessions.end(request.session.get("sid"))
        request.session.clear()
        metadata = await provider.load_server_metadata()
        query = {"post_logout_redirect_uri": f"{ws.base_url}/", "client_id": ws.client_id}
        if who and who.id_token:
            query["id_token_hint"] = who.id_token
        return RedirectResponse(
            f"{metadata['end_session_endpoint']}?{urlencode(query)}", status_code=303
        )

    # --- pages ---

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> Response:
        who = sessions.get(request.session.get("sid"))
        return page(request, "index.html", who)

    @app.get("/referrals/new", response_class=HTMLResponse)
    async def new_referral(request: Request) -> Response:
        who = await person(request, Role.REFERRER.value)
        return _referral_form(request, who, {}, [], FormErrors())

    def _referral_form(
        request: Request,
        who: SignedIn,
        form: Any,
        agencies: list[str],
        errors: FormErrors,
        status: int = 200,
    ) -> HTMLResponse:
        return page(
            request,
            "referral_new.html",
            who,
            status,
            form=form,
            chosen=agencies,
            errors=errors,
            districts=[d.value for d in District],
            agencies=[a.value for a in Agency],
            # the same key on a reload or a second click: the API records the referral once
            idempotency_key=(form.get("idempotency_key") if form else None) or uuid.uuid4().hex,
        )

    @app.post("/referrals", response_class=HTMLResponse)
    async def submit_referral(request: Request) -> Response:
        who = await person(request, Role.REFERRER.value)
        form = await check_form(request)
        agencies = [str(a) for a in form.getlist("agencies")]
        body, errors = referral_body(
            form, agencies, who.agency, who.user_id, datetime.now(UTC).date()
        )
        if errors:
            return _referral_form(request, who, form, agencies, errors, 400)
        try:
            made = await backend.call(
                who,
                "POST",
                "referral",
                "/referrals",
                json=body,
                idempotency_key=request_key(form),
            )
        except Invalid as e:
            return _referral_form(request, who, form, agencies, api_errors(e.errors, str(e)), 400)
        except Refused as e:
            refused = FormErrors(other=[str(e)])
            return _referral_form(request, who, form, agencies, refused, 409)
        return RedirectResponse(f"/referrals/{made['case_id']}", status_code=303)

    @app.get("/referrals", response_class=HTMLResponse)
    async def referrals(request: Request) -> Response:
        who = await person(request, Role.REFERRER.value, *PANEL_PEOPLE, Role.AUDITOR.value)
        rows = await backend.call(who, "GET", "referral", "/referrals")
        return page(request, "referrals.html", who, referrals=rows)

    async def _referral_page(
        request: Request,
        who: SignedIn,
        case_id: uuid.UUID,
        errors: FormErrors | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        found = await backend.call(who, "GET", "referral", f"/referrals/{case_id}")
        may_change = who.has(Role.REFERRER.value, *PANEL_PEOPLE)
        return page(
            request,
            "referral.html",
            who,
            status,
            referral=found,
            may_change=may_change,
            errors=errors or FormErrors(),
        )

    @app.get("/referrals/{case_id}", response_class=HTMLResponse)
    async def referral(request: Request, case_id: uuid.UUID) -> Response:
        who = await person(request)
        return await _referral_page(request, who, case_id)

    @app.post("/referrals/{case_id}/{action}")
    async def change_referral(request: Request, case_id: uuid.UUID, action: str) -> Response:
        """Consent given or withdrawn, or a safeguarding basis recorded, on a referral."""
        who = await person(request, Role.REFERRER.value, *PANEL_PEOPLE)
        form = await check_form(request)
        today = datetime.now(UTC).date().isoformat()
        found = await backend.call(who, "GET", "referral", f"/referrals/{case_id}")
        bodies: dict[str, tuple[str, dict[str, Any]]] = {
            "consent": (
                "consent",
                {
                    "given_by": str(form.get("given_by", "")),
                    "scope": found["agencies_requested"] or [found["referring_agency"]],
                    "given_on": today,
                    "how_obtained": str(form.get("how_obtained", "")).strip(),
                },
            ),
            "withdrawal": (
                "consent/withdrawal",
                {"withdrawn_on": today, "reason": str(form.get("reason", "")).strip()},
            ),
            "safeguarding-basis": (
                "safeguarding-basis",
                {
                    "professional_id": who.user_id,
                    "professional_name": who.name or who.user_id,
                    "reason": str(form.get("reason", "")).strip(),
                    "recorded_on": today,
                },
            ),
        }
        if action not in bodies:
            raise NotFound(action)
        path, body = bodies[action]
        return await write(
            who,
            "POST",
            "referral",
            f"/referrals/{case_id}/{path}",
            body,
            lambda errors, status: _referral_page(request, who, case_id, errors, status),
            f"/referrals/{case_id}",
            form,
        )

    @app.get("/meetings", response_class=HTMLResponse)
    async def meetings(request: Request) -> Response:
        who = await person(request, *PANEL_PEOPLE, Role.AUDITOR.value)
        found = await backend.call(who, "GET", "panel", "/meetings")
        by_panel: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for m in found:
            by_panel[m["panel"]].append(m)
        return page(
            request, "meetings.html", who, by_panel=by_panel, panels=[p.value for p in Panel]
        )

    async def _meeting_page(
        request: Request,
        who: SignedIn,
        meeting_id: uuid.UUID,
        errors: FormErrors | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        agenda = await backend.call(who, "GET", "panel", f"/meetings/{meeting_id}/agenda")
        attending = any(a.get("person_id") == who.user_id for a in agenda["attendance"])
        # the packages of each case listed for review, for the review form
        reviewed = [i["case_id"] for i in agenda["agenda"] if i["reason"] == "review"]
        cases = await asyncio.gather(
            *(_optional(backend.call(who, "GET", "panel", f"/cases/{c}")) for c in reviewed)
        )
        packages = {
            str(c): [
                {"value": pid, "text": ", ".join(i["service"] for i in p["interventions"])}
                for pid, p in (found or {}).get("packages", {}).items()
                if not p.get("ended")
            ]
            for c, found in zip(reviewed, cases, strict=True)
        }
        return page(
            request,
            "meeting.html",
            who,
            status,
            meeting=agenda,
            attending=attending,
            chair=who.has(Role.PANEL_CHAIR.value),
            agencies=[a.value for a in Agency],
            outcomes=[o.value for o in AvoidedOutcome],
            funders=JAP_FUNDERS,
            packages=packages,
            errors=errors or FormErrors(),
        )

    @app.get("/meetings/{meeting_id}", response_class=HTMLResponse)
    async def meeting(request: Request, meeting_id: uuid.UUID) -> Response:
        who = await person(request, *PANEL_PEOPLE, Role.AUDITOR.value)
        return await _meeting_page(request, who, meeting_id)

    @app.post("/meetings/{meeting_id}/attendance")
    async def attend(request: Request, meeting_id: uuid.UUID) -> Response:
        who = await person(request, *PANEL_PEOPLE)
        form = await check_form(request)
        return await write(
            who,
            "POST",
            "panel",
            f"/meetings/{meeting_id}/attendance",
            {"name": who.name or who.user_id},
            lambda errors, status: _meeting_page(request, who, meeting_id, errors, status),
            f"/meetings/{meeting_id}",
            form,
        )

    @app.post("/meetings/{meeting_id}/decisions")
    async def decide(request: Request, meeting_id: uuid.UUID) -> Response:
        who = await person(request, Role.PANEL_CHAIR.value)
        form = await check_form(request)
        return await write(
            who,
            "POST",
            "panel",
            f"/meetings/{meeting_id}/decisions",
            _decision(form),
            lambda errors, status: _meeting_page(request, who, meeting_id, errors, status),
            f"/meetings/{meeting_id}",
            form,
        )

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    async def case(request: Request, case_id: uuid.UUID) -> Response:
        """The page every email links to: where the case stands, its packages, and the
        child's details for those the referral service shows them to."""
        who = await person(request)
        path = f"/cases/{case_id}"
        # the services at once: the page waits for the slowest, not for their sum
        found, history, child, packages = await asyncio.gather(
            backend.call(who, "GET", "panel", path),
            _optional(backend.call(who, "GET", "panel", f"{path}/history")),
            _optional(backend.call(who, "GET", "referral", f"/referrals/{case_id}")),
            _optional(backend.call(who, "GET", "commissioning", f"{path}/packages")),
        )
        return page(
            request,
            "case.html",
            who,
            case=found,
            history=history,
            referral=child,
            packages=packages,
        )

    @app.get("/my-cases", response_class=HTMLResponse)
    async def my_cases(request: Request) -> Response:
        who = await person(request, Role.LEAD_PROFESSIONAL.value)
        rows = await backend.call(who, "GET", "panel", "/my/cases")
        return page(request, "my_cases.html", who, rows=rows)

    @app.get("/packages/{package_id}", response_class=HTMLResponse)
    async def package(request: Request, package_id: uuid.UUID) -> Response:
        """The page the providers' email links to (for those who may read packages)."""
        who = await person(request)
        found = await backend.call(who, "GET", "commissioning", f"/packages/{package_id}")
        return page(request, "package.html", who, package=found)

    @app.get("/reports/spend", response_class=HTMLResponse)
    async def spend(request: Request) -> Response:
        who = await person(request, *READERS_OF_SPEND)
        rows = await backend.call(who, "GET", "commissioning", "/reports/spend")
        by_panel: dict[str, int] = defaultdict(int)
        for r in rows:
            by_panel[r["panel"]] += r["committed_pence"]
        chart = charts.bar_chart(
            "Committed spend by panel this financial year", sorted(by_panel.items())
        )
        return page(request, "spend.html", who, rows=rows, chart=chart)

    @app.get("/providers", response_class=HTMLResponse)
    async def providers(request: Request) -> Response:
        who = await person(request, Role.COMMISSIONER.value)
        return await _providers_page(request, who)

    async def _providers_page(
        request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200
    ) -> HTMLResponse:
        rows = await backend.call(who, "GET", "commissioning", "/providers")
        return page(request, "providers.html", who, status, rows=rows, errors=errors)

    @app.post("/providers/{provider_id}/capacity")
    async def set_capacity(request: Request, provider_id: str) -> Response:
        who = await person(request, Role.COMMISSIONER.value)
        form = await check_form(request)
        return await write(
            who,
            "PUT",
            "commissioning",
            f"/providers/{quote(provider_id, safe='')}/capacity",
            {"weekly_capacity": _number(str(form.get("weekly_capacity", "")).strip())},
            lambda errors, status: _providers_page(request, who, errors, status),
            "/providers",
            form,
            label="Capacity",
        )

    def _budget_keys() -> list[str]:
        return [
            *(f"maag:{d.value}" for d in District),
            "earp",
            *(f"jap:{funder}" for funder in JAP_FUNDERS),
        ]

    async def _budgets_page(
        request: Request, who: SignedIn, errors: FormErrors | None = None, status: int = 200
    ) -> HTMLResponse:
        fy = _financial_year(datetime.now(UTC).date())
        found = await asyncio.gather(
            *(
                _optional(backend.call(who, "GET", "commissioning", f"/budgets/{key}/{fy}"))
                for key in _budget_keys()
            )
        )
        rows = [
            b or {"panel": key, "amount_pence": None}
            for key, b in zip(_budget_keys(), found, strict=True)
        ]
        return page(request, "budgets.html", who, status, rows=rows, fy=fy, errors=errors)

    @app.get("/budgets", response_class=HTMLResponse)
    async def budgets(request: Request) -> Response:
        who = await person(request, Role.COMMISSIONER.value)
        return await _budgets_page(request, who)

    @app.post("/budgets/{key}")
    async def set_budget(request: Request, key: str) -> Response:
        who = await person(request, Role.COMMISSIONER.value)
        form = await check_form(request)
        if key not in _budget_keys():
            raise NotFound(key)
        fy = _financial_year(datetime.now(UTC).date())
        return await write(
            who,
            "PUT",
            "commissioning",
            f"/budgets/{key}/{fy}",
            {"amount_pence": _pence(str(form.get("amount", "")).strip())},
            lambda errors, status: _budgets_page(request, who, errors, status),
            "/budgets",
            form,
            label=key,
        )

    @app.get("/reports/capacity", response_class=HTMLResponse)
    async def capacity(request: Request) -> Response:
        who = await person(request, *READERS_OF_SPEND)
        rows = await backend.call(who, "GET", "commissioning", "/reports/capacity")
        chart = charts.bar_chart(
            "Share of each provider's weekly capacity in use (per cent)",
            [(r["provider_id"], r["use_percent"]) for r in rows],
            unit="%",
        )
        return page(request, "capacity.html", who, rows=rows, chart=chart)

    async def period_report(
        request: Request,
        name: str,
        parameters: tuple[str, ...],
        shown: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Response:
        """A commissioning report over a period the person chooses: the page with `shown`'s
        values (its chart among them), or the page with the service's refusal (400)."""
        who = await person(request, *READERS_OF_SPEND)
        period = {k: v for k in parameters if (v := request.query_params.get(k, "").strip())}
        try:
            report = await backend.call(
                who, "GET", "commissioning", f"/reports/{name}", params=period
            )
        except Invalid as e:
            problems = FormErrors(other=[x.get("reason", "") for x in e.errors] or [str(e)])
            return page(
                request,
                f"{name}.html",
                who,
                400,
                report=None,
                period=period,
                errors=problems,
                chart="",
            )
        return page(request, f"{name}.html", who, report=report, period=period, **shown(report))

    @app.get("/reports/savings", response_class=HTMLResponse)
    async def savings(request: Request) -> Response:
        def shown(report: dict[str, Any]) -> dict[str, Any]:
            rows = report["rows"]
            return {
                "chart": charts.bar_chart(
                    "Saving by panel and district over the period",
                    [(f"{r['panel']} {r['district']}", max(0, r["saving_pence"])) for r in rows],
                )
            }

        return await period_report(request, "savings", ("from", "to"), shown)

    @app.get("/reports/boards", response_class=HTMLResponse)
    async def boards(request: Request) -> Response:
        def shown(report: dict[str, Any]) -> dict[str, Any]:
            areas = {k: v for k, v in report["areas"].items() if k != "county"}
            chart = charts.bar_chart(
                "Referrals received in the period, by area",
                [(name, a["referrals"]["received"]) for name, a in areas.items()],
                unit="",
            )
            return {"areas": areas, "county": report["areas"].get("county"), "chart": chart}

        return await period_report(request, "boards", ("from", "to", "by"), shown)

    @app.get("/reports/{name}.csv")
    async def report_csv(request: Request, name: str) -> Response:
        who = await person(request, *READERS_OF_SPEND)
        if name not in ("spend", "capacity", "savings", "boards"):
            raise NotFound(name)
        params = {k: v for k in ("from", "to", "by") if (v := request.query_params.get(k, ""))}
        text = await backend.call(
            who,
            "GET",
            "commissioning",
            f"/reports/{name}.csv",
            params=params,
            text=True,
        )
        return PlainTextResponse(
            text,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="maag-{name}.csv"'},
        )

    @app.get("/audit", response_class=HTMLResponse)
    async def audit_search(request: Request) -> Response:
        who = await person(request, Role.AUDITOR.value)
        wanted = request.query_params.get("case_id", "").strip()
        if wanted:
            try:
                return RedirectResponse(f"/audit/cases/{uuid.UUID(wanted)}", status_code=303)
            except ValueError:
                problems = FormErrors()
                problems.add("case_id", "Enter a case id as it appears in the case's emails")
                return page(request, "audit_search.html", who, 400, errors=problems, wanted=wanted)
        return page(request, "audit_search.html", who, wanted="", stores=await stores(who))

    async def stores(who: SignedIn) -> list[dict[str, Any]]:
        """Each service's tamper check, walked now; a service that does not answer says so."""

        async def one(service: str) -> dict[str, Any]:
            try:
                found: dict[str, Any] = await backend.call(who, "GET", service, "/audit/store")
                return found
            except Unavailable:
                return {"service": service, "intact": None}

        return list(await asyncio.gather(*(one(s) for s in SERVICES)))

    @app.get("/audit/cases/{case_id}", response_class=HTMLResponse)
    async def audit_case(request: Request, case_id: uuid.UUID) -> Response:
        who = await person(request, Role.AUDITOR.value)
        as_of = request.query_params.get("as_of", "").strip()
        params = {}
        if as_of:
            try:
                when = datetime.fromisoformat(as_of)
            except ValueError:
                problems = FormErrors()
                problems.add("as_of", "Enter the date and time, for example 2026-12-01T10:00")
                return page(
                    request,
                    "audit_case.html",
                    who,
                    400,
                    errors=problems,
                    timeline=None,
                    case_id=case_id,
                    as_of=as_of,
                )
            params["as_of"] = (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
        timeline = await backend.call(
            who,
            "GET",
            "referral",
            f"/audit/cases/{case_id}/timeline",
            params=params,
        )
        return page(
            request, "audit_case.html", who, timeline=timeline, case_id=case_id, as_of=as_of
        )

    @app.on_event("shutdown")
    async def _close() -> None:
        if client is None:
            await http.aclose()

    return app


async def _optional(call: Any) -> Any:
    """What a part of a page shows if this person may see it, else None."""
    try:
        return await call
    except (NotAllowed, NotFound):
        return None


def _decision(form: Any) -> dict[str, Any]:
    """A decision form as the panel API's body; the API says what is wrong with it."""
    kind = str(form.get("kind", ""))
    body: dict[str, Any] = {"kind": kind, "case_id": str(form.get("case_id", ""))}

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    if kind == "assign-lead-professional":
        for name in ("professional_id", "name", "agency", "work_email"):
            body[name] = text(name)
    elif kind == "review-package":
        body.update(
            package_id=text("package_id"),
            goals=text("goals"),
            level_of_need_change=_number(text("level_change") or "0"),
            decision=text("decision"),
            reason=text("reason"),
        )
        if when := text("effective_from"):
            body["effective_from"] = when
        if body["decision"] == "recommission":
            body["interventions"] = [_line(text)]
    elif kind == "request-package":
        body["interventions"] = [_line(text)]
        if avoided := [str(a) for a in form.getlist("alternative_to")]:
            body["alternative_to"] = avoided
        shares = [
            {"agency": funder, "percent": _number(share)}
            for funder in JAP_FUNDERS
            if (share := text(f"share-{funder}"))
        ]
        if shares:
            body["funding_split"] = shares
    else:
        body["reason"] = text("reason")
        if kind in ("escalate", "step-down"):
            body["to"] = text("to")
    if justification := text("justification"):
        body["justification"] = justification
    return body


def _line(text: Callable[[str], str]) -> dict[str, Any]:
    """One intervention of a package form."""
    line: dict[str, Any] = {
        "service": text("service"),
        "starts_on": text("starts_on"),
        "review_interval_weeks": _number(text("review_weeks")),
        "estimated_weekly_cost_pence": _pence(text("weekly_cost")),
    }
    if hours := text("hours"):
        line["hours_per_week"] = _number(hours)
    return line


def _financial_year(day: date) -> int:
    """The year the financial year (1 April to 31 March) starts in: commissioning's rule
    (`services.commissioning.domain.rules.financial_year`), which a service may not import;
    the budget routes need the year in their path."""
    return day.year if (day.month, day.day) >= (4, 1) else day.year - 1


def _number(text: str) -> Any:
    """A number typed in a form, or the text itself for the API to refuse by name."""
    try:
        return int(text) if text.isdigit() else float(text)
    except ValueError:
        return text


def _pence(pounds: str) -> Any:
    value = _number(pounds.replace("£", "").replace(",", ""))
    return round(value * 100) if isinstance(value, int | float) else value


def _nav(who: SignedIn | None) -> list[dict[str, str]]:
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
    ]
    return [{"href": h, "text": t} for roles, h, t in links if who.has(*roles)]


def build(settings: Settings, env: dict[str, str] | None = None) -> FastAPI:
    return create_app(WebSettings.of(settings, os.environ if env is None else env))


def main(settings: Settings) -> None:
    ws = WebSettings.of(settings, os.environ)
    uvicorn.run(create_app(ws), host=ws.host, port=ws.port, log_level="warning")
