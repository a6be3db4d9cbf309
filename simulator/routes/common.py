"""What every data route needs: the caller, parameter parsing and paging tokens."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import JSONResponse

from simulator.config import VISIBILITY_LAG, SellerAccount
from simulator.errors import SpApiError, invalid_input
from simulator.world import Position, World


class FastJSONResponse(JSONResponse):
    """A JSON answer rendered by orjson, several times faster than the standard library on
    the simulator's largest bodies (pages of 100 orders or events), which FastAPI would
    also first walk with jsonable_encoder had the route returned a dict."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def world_of(request: Request) -> World:
    world: World = request.app.state.world
    return world


def seller_of(request: Request) -> SellerAccount:
    """The seller the access token belongs to (set by the auth middleware)."""
    seller: SellerAccount = request.state.seller
    return seller


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as SP-API's JSON dates are."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # %-formatting rather than strftime: a page of 100 orders formats some 400 dates.
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (  # noqa: UP031
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )


def list_param(request: Request, name: str) -> list[str]:
    """An array query parameter: comma-separated (SP-API's CSV format) and/or repeated."""
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v for v in raw.split(",") if v)
    return values


def date_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(f"Invalid {name}: '{raw}' is not an ISO 8601 date-time.") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_input(f"Invalid {name}: '{raw}' is not an integer.") from None
    if not low <= value <= high:
        raise invalid_input(f"Invalid {name}: the value must be between {low} and {high}.")
    return value


def check_before(request: Request, name: str, value: datetime | None) -> datetime:
    """A `…Before` bound must be at least two minutes before now; it defaults to that."""
    latest = world_of(request).now - VISIBILITY_LAG
    if value is None:
        return latest
    if value > latest:
        raise invalid_input(
            f"{name} must be a date at least two minutes before the time of the request."
        )
    return value


def check_marketplaces(seller: SellerAccount, marketplace_ids: list[str], name: str) -> None:
    unknown = [m for m in marketplace_ids if m not in seller.marketplace_ids]
    if unknown:
        raise invalid_input(
            f"Invalid {name}: {', '.join(unknown)} is not a marketplace of this seller."
        )


def filters_digest(request: Request, token_names: tuple[str, ...]) -> str:
    """A digest of the request's filters, so a token is only honoured with the same filters."""
    items = sorted((k, v) for k, v in request.query_params.multi_items() if k not in token_names)
    return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:16]


def encode_token(position: Position, digest: str, extra: Mapping[str, Any] | None = None) -> str:
    payload = {"d": position.day, "i": position.index, "f": digest, **(extra or {})}
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_token(
    token: str, digest: str | None, name: str = "NextToken"
) -> tuple[Position, dict[str, Any]]:
    """The position a token resumes at; `digest` (when given) must match the filters."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = Position(int(payload["d"]), int(payload["i"]))
    except (ValueError, KeyError, TypeError):
        raise invalid_input(f"Invalid {name}.") from None
    if digest is not None and payload.get("f") != digest:
        raise invalid_input(
            f"Invalid {name}: include the same arguments as the call that produced it."
        )
    return position, payload


def money_v0(amount: Decimal, currency: str) -> dict[str, str]:
    """Orders v0 Money: the amount is a string."""
    return {"CurrencyCode": currency, "Amount": f"{amount:.2f}"}


def money_2026(amount: Decimal, currency: str) -> dict[str, str]:
    """Orders 2026-01-01 Money: amount is a decimal string."""
    return {"amount": f"{amount:.2f}", "currencyCode": currency}


def currency_v0(amount: Decimal, currency: str) -> dict[str, Any]:
    """Finances v0 Currency: CurrencyAmount is a JSON number (BigDecimal)."""
    return {"CurrencyCode": currency, "CurrencyAmount": float(amount)}


__all__ = ["SpApiError"]
