"""The identity provider as the web app uses it: Authlib's OpenID Connect client (whose stubs
leave most of it untyped) behind four typed calls, and its token's shape."""

from __future__ import annotations

from typing import Required, TypedDict

from authlib.integrations.starlette_client import OAuth, StarletteOAuth2App
from fastapi import Request, Response

from services.web.settings import WebSettings


class Claims(TypedDict, total=False):
    """The ID token's claims the web app reads (Authlib verified them before we see them)."""

    sub: str
    preferred_username: str
    name: str
    roles: list[str]
    agency: str


class Token(TypedDict, total=False):
    """The provider's token response."""

    access_token: Required[str]
    refresh_token: str
    id_token: str
    expires_at: float
    userinfo: Claims


class IdentityProvider:
    def __init__(self, ws: WebSettings) -> None:
        oauth = OAuth()
        oauth.register(
            "maag",
            client_id=ws.client_id,
            client_secret=ws.client_secret,
            server_metadata_url=f"{ws.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": "openid", "code_challenge_method": "S256"},
        )
        self._client: StarletteOAuth2App = oauth.create_client("maag")  # type: ignore[no-untyped-call]

    async def redirect(self, request: Request, callback: str) -> Response:
        """To the provider's sign-in page, which sends the browser back to `callback`."""
        sent: Response = await self._client.authorize_redirect(request, callback)
        return sent

    async def finish(self, request: Request) -> Token:
        """The token the provider's answer at the callback stands for (raises OAuthError)."""
        token: Token = await self._client.authorize_access_token(request)  # type: ignore[no-untyped-call]
        return token

    async def refresh(self, refresh_token: str) -> Token:
        token: Token = await self._client.fetch_access_token(  # type: ignore[no-untyped-call]
            grant_type="refresh_token", refresh_token=refresh_token
        )
        return token

    async def end_session_endpoint(self) -> str:
        metadata = await self._client.load_server_metadata()
        return str(metadata["end_session_endpoint"])
