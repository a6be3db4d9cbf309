"""Login with Amazon (LWA): the refresh-token exchange and the access tokens it issues.

Error answers follow what `https://api.amazon.com/auth/o2/token` sends: HTTP 400 with
`{"error", "error_description"}`, except `invalid_client`, which Amazon answers with
HTTP 401 ("Client authentication failed").
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from simulator.config import SellerAccount
from simulator.errors import unauthorized

TOKEN_PATH = "/auth/o2/token"

MISSING_TOKEN = "Access token is missing in the request header."
INVALID_TOKEN = "The access token you provided is revoked, malformed or invalid."
EXPIRED_TOKEN = "The access token you provided has expired."


class LwaError(Exception):
    """An LWA token-endpoint error."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> JSONResponse:
        """The JSON answer LWA sends for this error."""
        return JSONResponse(
            {"error_description": self.description, "error": self.error},
            status_code=self.status,
            headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
        )


@dataclass
class _AccessToken:
    seller: SellerAccount
    expires_at: float  # on the TokenStore's clock


class TokenStore:
    """LWA state: which refresh tokens are valid and which access tokens were issued.

    Expiry is in real (monotonic) time, not the simulated clock: a client's token cache
    lives in real time too.
    """

    def __init__(
        self,
        sellers: Iterable[SellerAccount],
        ttl_seconds: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sellers = list(sellers)
        self._by_client = {s.client_id: s for s in self._sellers}
        self._by_refresh = {s.refresh_token: s for s in self._sellers}
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._revoked: set[str] = set()
        self._access: dict[str, _AccessToken] = {}
        self._lock = threading.Lock()

    def exchange(
        self, client_id: str, client_secret: str, refresh_token: str
    ) -> tuple[str, SellerAccount]:
        """Check the credentials and issue an access token; raise LwaError otherwise."""
        client = self._by_client.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret):
            raise LwaError("invalid_client", "Client authentication failed", status=401)
        with self._lock:
            seller = self._by_refresh.get(refresh_token)
            if seller is None or seller.client_id != client_id:
                raise LwaError(
                    "invalid_grant", "The request has an invalid grant parameter : refresh_token"
                )
            if refresh_token in self._revoked:
                raise LwaError(
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token. "
                    "User may have revoked or didn't grant the permission.",
                )
        return self.issue(seller), seller

    def issue(self, seller: SellerAccount) -> str:
        """A new access token for `seller`, valid for `ttl_seconds`."""
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            self._access[token] = _AccessToken(seller, self._clock() + self.ttl_seconds)
        return token

    def resolve(self, access_token: str | None) -> SellerAccount:
        """The seller an access token belongs to; a 403 SpApiError if it is not usable."""
        if not access_token:
            raise unauthorized(MISSING_TOKEN)
        with self._lock:
            entry = self._access.get(access_token)
        if entry is None:
            raise unauthorized(INVALID_TOKEN)
        if self._clock() >= entry.expires_at:
            raise unauthorized(EXPIRED_TOKEN)
        return entry.seller

    def revoke_all(self) -> None:
        """Revoke every seller's refresh token: further exchanges answer invalid_grant.

        Access tokens already issued keep working until they expire, so a client notices
        at its next refresh.
        """
        with self._lock:
            self._revoked.update(self._by_refresh)

    def restore_all(self) -> None:
        """Undo `revoke_all` (the seller authorizes the application again)."""
        with self._lock:
            self._revoked.clear()

    def expire_all(self) -> None:
        """Expire every access token issued so far."""
        now = self._clock()
        with self._lock:
            for entry in self._access.values():
                entry.expires_at = min(entry.expires_at, now)


async def _read_fields(request: Request) -> dict[str, str]:
    # Amazon's helpers send form-encoded bodies (JS) or JSON (Java LWAClient); take both.
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise LwaError("invalid_request", "The request body is not valid JSON") from exc
        if not isinstance(data, dict):
            raise LwaError("invalid_request", "The request body is not a JSON object")
        return {str(k): str(v) for k, v in data.items() if v is not None}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _token(request: Request) -> JSONResponse:
    store: TokenStore = request.app.state.token_store
    try:
        fields = await _read_fields(request)
        grant_type = fields.get("grant_type")
        if not grant_type:
            raise LwaError(
                "invalid_request", "The request is missing a required parameter : grant_type"
            )
        if grant_type != "refresh_token":
            raise LwaError(
                "unsupported_grant_type",
                "The authorization grant type is not supported by the authorization server",
            )
        for name in ("refresh_token", "client_id", "client_secret"):
            if not fields.get(name):
                raise LwaError(
                    "invalid_request", f"The request is missing a required parameter : {name}"
                )
        token, _seller = store.exchange(
            fields["client_id"], fields["client_secret"], fields["refresh_token"]
        )
    except LwaError as exc:
        return exc.response()
    return JSONResponse(
        {
            "access_token": token,
            "refresh_token": fields["refresh_token"],
            "token_type": "bearer",
            "expires_in": store.ttl_seconds,
        },
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def lwa_router() -> APIRouter:
    """The router serving `POST /auth/o2/token`; it needs `app.state.token_store`."""
    router = APIRouter()
    router.add_api_route(TOKEN_PATH, _token, methods=["POST"], include_in_schema=False)
    return router


router = lwa_router()
