"""What goes wrong, said plainly: each failure a page can meet becomes a trip to sign in or a
GOV.UK problem page with its status, never a stack trace."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from services.web.backend import NotAllowed, NotFound, SignInAgain, Unavailable
from services.web.pages import FormExpired, NeedsSignIn, NotForYou, here, log, web_of

# Each failure's page: status, title, and message (None: the service's own words).
PAGES: dict[type[Exception], tuple[int, str, str | None]] = {
    NotForYou: (403, "You cannot see this page", "This page is not part of your role in MAAG."),
    NotAllowed: (403, "You cannot see this", None),
    NotFound: (
        404,
        "Page not found",
        "There is nothing here that you can see. Check the address, or go back.",
    ),
    FormExpired: (
        403,
        "This form has expired",
        "Go back, reload the page and submit the form again.",
    ),
    Unavailable: (
        503,
        "Sorry, the service is unavailable",
        "Part of MAAG is not answering just now. Nothing you sent has been lost; try "
        "again in a few minutes.",
    ),
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(NeedsSignIn, _to_sign_in)
    app.add_exception_handler(SignInAgain, _token_refused)
    for failure in PAGES:
        app.add_exception_handler(failure, _problem)
    app.add_exception_handler(Exception, _failed)


async def _to_sign_in(request: Request, e: Exception) -> Response:
    return RedirectResponse(f"/sign-in?{urlencode({'next': here(request)})}", status_code=303)


async def _token_refused(request: Request, e: Exception) -> Response:
    """A service refused the person's token (expired or revoked): their session ends here too."""
    web_of(request).sessions.end(request.session.get("sid"))
    return await _to_sign_in(request, e)


async def _problem(request: Request, e: Exception) -> Response:
    status, title, message = next(PAGES[c] for c in type(e).__mro__ if c in PAGES)
    if isinstance(e, Unavailable):
        log.warning("web.backend_unavailable", error=str(e))
    return web_of(request).problem(request, status, title, str(e) if message is None else message)


async def _failed(request: Request, e: Exception) -> Response:
    log.exception("web.failed", path=request.url.path)
    return web_of(request).problem(
        request, 500, "Sorry, there is a problem with the service", "Try again later."
    )
