"""The simulator's FastAPI application and the HTTP plumbing every SP-API route relies on.

Pipeline for a request whose path matches an operation of the vendored models:

    log -> auth (x-amz-access-token) -> rate limit (429) -> faults -> handler

where the handler is the data routes, or the static sandbox in sandbox mode. Paths under
`/_simulator/` (admin) and `/auth/o2/token` (LWA) skip auth, rate limits and faults, and so
does any other path that is no SP-API operation (a report-document download, say); an
unknown path gets a 404 in SP-API's error shape from the router.

Every response carries `Date` = the simulated clock (`world.now`), so clients can learn the
server's "now"; non-admin responses carry `x-amzn-RequestId`; SP-API responses, errors and
429s included, carry `x-amzn-RateLimit-Limit`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator import sandbox
from simulator.auth import TOKEN_PATH, TokenStore, lwa_router
from simulator.config import SellerAccount, SimulatorSettings, WorldConfig
from simulator.errors import (
    SpApiError,
    install_error_handlers,
    internal_failure,
    invalid_input,
    quota_exceeded,
    unauthorized,
)
from simulator.faults import FaultInjector
from simulator.ratelimit import RateLimiter
from simulator.requestlog import RequestLog, RequestRecord
from simulator.spec import Operation, match_operation

log = logging.getLogger(__name__)

ADMIN_PREFIX = "/_simulator"
ACCESS_TOKEN_HEADER = "x-amz-access-token"


class WorldLike(Protocol):
    """What the plumbing needs from `simulator.world.World`."""

    @property
    def config(self) -> WorldConfig: ...

    @property
    def sellers(self) -> list[SellerAccount]: ...

    @property
    def now(self) -> datetime: ...

    def set_now(self, now: datetime) -> None: ...


@dataclass
class Plumbing:
    """The shared objects of one app, also reachable as `app.state.<name>`."""

    world: WorldLike
    settings: SimulatorSettings
    token_store: TokenStore
    rate_limiter: RateLimiter
    request_log: RequestLog
    faults: FaultInjector


def http_date(moment: datetime) -> str:
    """RFC 9110 HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT") of an instant."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _is_admin(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _parse_json(raw: bytes) -> Any:
    """The JSON body, or None if empty; ValueError if not JSON."""
    if not raw.strip():
        return None
    return json.loads(raw)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the already-read body once, then defers to the client."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class SpApiMiddleware:
    """Pure ASGI middleware implementing the pipeline described in the module docstring.

    Pure ASGI rather than BaseHTTPMiddleware: it must read the body once (to log it and to
    match sandbox examples) and replay it to the routes, and stamp headers on every
    response, including those of exception handlers.
    """

    def __init__(self, app: ASGIApp, plumbing: Plumbing) -> None:
        self.app = app
        self.p = plumbing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        arrived = datetime.now(UTC)
        path: str = scope["path"]
        method: str = scope["method"]
        admin = _is_admin(path)
        request_id = str(uuid.uuid4())
        status: list[int] = []  # set once the response starts
        extra: dict[str, str] = {}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers = MutableHeaders(scope=message)
                headers["Date"] = http_date(self.p.world.now)
                if not admin:
                    headers["x-amzn-RequestId"] = request_id
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        if admin:
            # Not logged either: the log would mostly record people reading the log.
            await self.app(scope, receive, send_wrapper)
            return

        lwa = path == TOKEN_PATH
        # LWA credentials belong in the form body, but a careless client may put them in the
        # query string: never record that one.
        query = (
            {} if lwa else parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"), True)
        )
        matched = None if lwa else match_operation(method, path)
        state: dict[str, Any] = scope.setdefault("state", {})
        body: Any = None
        try:
            if matched is None:
                # LWA, document downloads, unknown paths: no SP-API plumbing, and the body
                # is never read (the LWA form holds secrets that must not be logged).
                await self.app(scope, receive, send_wrapper)
                return
            op, path_params = matched
            state["operation"] = op
            state["path_params"] = path_params
            rate, burst = self._usage_plan(op)
            if rate is not None:
                extra["x-amzn-RateLimit-Limit"] = self.p.rate_limiter.header_value(rate)
            raw = await _read_body(receive)
            body_is_json = True
            try:
                body = _parse_json(raw)
            except ValueError:
                body_is_json = False
            try:
                await self._admit(scope, op, rate, burst)
                if self.p.settings.sandbox:
                    if not body_is_json:
                        raise invalid_input("The request body is not valid JSON.")
                    response = sandbox.answer(op, path_params, query, body, _headers(scope))
                    await response(scope, receive, send_wrapper)
                else:
                    await self.app(scope, _replay(raw, receive), send_wrapper)
            except SpApiError as exc:
                await exc.response()(scope, receive, send_wrapper)
        except Exception:
            if status:
                raise  # too late to answer differently
            log.exception("unhandled error answering %s %s", method, path)
            await internal_failure().response()(scope, receive, send_wrapper)
        finally:
            self._record(
                arrived,
                started,
                state.get("seller"),
                matched[0] if matched else None,
                method,
                path,
                query,
                body,
                status[0] if status else 500,
            )

    def _usage_plan(self, op: Operation) -> tuple[float | None, int | None]:
        if self.p.settings.sandbox:
            return sandbox.SANDBOX_RATE, sandbox.SANDBOX_BURST
        return op.rate, op.burst

    async def _admit(
        self, scope: Scope, op: Operation, rate: float | None, burst: int | None
    ) -> None:
        """Auth, rate limit and faults; raise the SpApiError to answer instead, if any."""
        token = _headers(scope).get(ACCESS_TOKEN_HEADER)
        seller = self.p.token_store.resolve(token)
        scope["state"]["seller"] = seller
        if seller.seller_id in self.p.faults.config.unauthorized_sellers:
            # what Amazon answers a seller whose authorization lacks the operation's role
            raise unauthorized()
        key = (seller.seller_id, op.model, op.operation_id)
        # Operations without a usage plan in the model (sandbox-only ones) are not limited.
        if (
            rate is not None
            and burst is not None
            and not self.p.rate_limiter.try_acquire(key, rate, burst)
        ):
            raise quota_exceeded()
        fault = await self.p.faults.apply()
        if fault is not None:
            raise fault

    def _record(
        self,
        arrived: datetime,
        started: float,
        seller: SellerAccount | None,
        op: Operation | None,
        method: str,
        path: str,
        query: dict[str, list[str]],
        body: Any,
        status: int,
    ) -> None:
        self.p.request_log.append(
            RequestRecord(
                time=arrived.isoformat().replace("+00:00", "Z"),
                seller_id=seller.seller_id if seller else None,
                model=op.model if op else None,
                operation_id=op.operation_id if op else None,
                method=method,
                path=path,
                query=query,
                body=body,
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        )


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class ClockUpdate(BaseModel):
    """Body of `POST /_simulator/clock`."""

    model_config = ConfigDict(extra="forbid")

    now: datetime


def _admin_router() -> APIRouter:
    router = APIRouter(prefix=ADMIN_PREFIX, include_in_schema=False)

    @router.get("/health")
    def health(request: Request) -> dict[str, Any]:
        p: Plumbing = request.app.state.plumbing
        return {
            "status": "ok",
            "sandbox": p.settings.sandbox,
            "sellers": len(p.world.sellers),
            # Background generation of the world (`serve --warm`): idle, warming or done.
            "warm": getattr(p.world, "warm_state", "idle"),
        }

    @router.get("/requests")
    def list_requests(
        request: Request, operation: str | None = Query(default=None)
    ) -> list[dict[str, Any]]:
        p: Plumbing = request.app.state.plumbing
        return [r.as_dict() for r in p.request_log.records(operation)]

    @router.delete("/requests")
    def clear_requests(request: Request) -> dict[str, int]:
        p: Plumbing = request.app.state.plumbing
        count = len(p.request_log)
        p.request_log.clear()
        return {"deleted": count}

    @router.get("/clock")
    def get_clock(request: Request) -> dict[str, str]:
        p: Plumbing = request.app.state.plumbing
        return {"now": p.world.now.isoformat()}

    @router.post("/clock")
    def set_clock(request: Request, update: ClockUpdate) -> dict[str, str]:
        p: Plumbing = request.app.state.plumbing
        now = update.now if update.now.tzinfo else update.now.replace(tzinfo=UTC)
        p.world.set_now(now.astimezone(UTC))
        return {"now": p.world.now.isoformat()}

    return router


def create_app(
    world: WorldLike,
    settings: SimulatorSettings,
    routers: list[APIRouter] | None = None,
) -> FastAPI:
    """The simulator app for `world`; `routers` defaults to the data routes."""
    if routers is None:
        from simulator.routes import data_routers

        routers = data_routers()
    token_store = TokenStore(world.sellers, settings.token_ttl_seconds)
    plumbing = Plumbing(
        world=world,
        settings=settings,
        token_store=token_store,
        rate_limiter=RateLimiter(settings.rate_scale),
        request_log=RequestLog(settings.request_log_path),
        faults=FaultInjector(settings.faults, world.config.seed, token_store),
    )
    app = FastAPI(title="Clario SP-API simulator", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.plumbing = plumbing
    app.state.world = world
    app.state.settings = settings
    app.state.token_store = token_store
    app.state.rate_limiter = plumbing.rate_limiter
    app.state.request_log = plumbing.request_log
    app.state.faults = plumbing.faults
    install_error_handlers(app)
    app.include_router(lwa_router())
    app.include_router(_admin_router())
    for router in routers:
        app.include_router(router)
    app.add_middleware(SpApiMiddleware, plumbing=plumbing)
    return app
