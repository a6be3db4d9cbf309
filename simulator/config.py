"""Configuration of a simulated world and of the simulator serving it.

A world is fully determined by `WorldConfig`: the same config gives the same sellers,
orders, events and ground truth, byte for byte. `SimulatorSettings` holds what only the
HTTP server needs (token lifetime, rate scale, report delay, faults, sandbox mode).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

# North-American marketplaces: a seller with several marketplaces sells in these, in order.
MARKETPLACES: list[tuple[str, str, str]] = [
    ("ATVPDKIKX0DER", "Amazon.com", "USD"),
    ("A2EUQ1WTGCTBG2", "Amazon.ca", "CAD"),
    ("A1AM78C64UM0Y8", "Amazon.com.mx", "MXN"),
]

# Amazon does not return anything updated in the last two minutes; the simulator's
# visible horizon is therefore always `now - VISIBILITY_LAG`.
VISIBILITY_LAG = timedelta(minutes=2)


def _default_now() -> datetime:
    """Today's midnight, UTC: stable for a whole day, so `serve` and `truth` agree.

    This is where the world's history ends. Unless `now` is given, the simulator's request
    clock still follows the wall clock (`World.now`), so clients that bound their requests by
    their own time are served; the data they get ends here.
    """
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


class WorldConfig(BaseModel):
    """Everything that determines a simulated world."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    # a world of 1,000 sellers or more is what bench/many_sellers.py measures
    sellers: int = Field(default=2, ge=1, le=10_000)
    marketplaces: int = Field(default=1, ge=1, le=len(MARKETPLACES))
    history_days: int = Field(default=90, ge=1, le=3650)
    orders_per_day: int = Field(default=20, ge=0, le=100_000)
    now: datetime = Field(default_factory=_default_now)

    @field_validator("now")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def now_pinned(self) -> bool:
        """Whether `now` was given: then the request clock stays at `now` instead of
        following the wall clock."""
        return "now" in self.model_fields_set

    @property
    def horizon(self) -> datetime:
        """The latest instant whose data is visible (Amazon's two-minute lag)."""
        return self.now - VISIBILITY_LAG

    @property
    def start(self) -> datetime:
        """Midnight of the first day of history."""
        first = (self.now - timedelta(days=self.history_days)).date()
        return datetime(first.year, first.month, first.day, tzinfo=UTC)


@dataclass(frozen=True)
class SellerAccount:
    """A simulated seller and the LWA credentials the simulator accepts for it."""

    index: int
    seller_id: str
    marketplace_ids: tuple[str, ...]
    client_id: str
    client_secret: str
    refresh_token: str

    def as_dict(self) -> dict[str, object]:
        return {
            "seller_id": self.seller_id,
            "marketplace_ids": list(self.marketplace_ids),
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
        }


def _digest(*parts: object, length: int = 32) -> str:
    text = "/".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _merchant_id(seed: int, index: int) -> str:
    """A 14-character merchant token shaped like Amazon's (`A` + 13 characters)."""
    number = int(_digest("seller", seed, index, length=24), 16)
    chars = []
    for _ in range(13):
        number, rest = divmod(number, len(_ID_ALPHABET))
        chars.append(_ID_ALPHABET[rest])
    return "A" + "".join(chars)


def seller_accounts(config: WorldConfig) -> list[SellerAccount]:
    """The world's sellers with deterministic credentials."""
    accounts = []
    for index in range(config.sellers):
        marketplaces = tuple(m[0] for m in MARKETPLACES[: config.marketplaces])
        accounts.append(
            SellerAccount(
                index=index,
                seller_id=_merchant_id(config.seed, index),
                marketplace_ids=marketplaces,
                client_id="amzn1.application-oa2-client." + _digest("client", config.seed, index),
                client_secret="amzn1.oa2-cs.v1." + _digest("secret", config.seed, index, length=64),
                refresh_token="Atzr|" + _digest("refresh", config.seed, index, length=96),
            )
        )
    return accounts


class FaultConfig(BaseModel):
    """Faults the simulator injects. All off by default; deterministic for a given seed.

    Rates are fractions of SP-API requests (0.2 = one request in five).
    """

    model_config = ConfigDict(extra="forbid")

    rate_429: float = Field(default=0.0, ge=0, le=1, description="extra 429 QuotaExceeded")
    rate_5xx: float = Field(default=0.0, ge=0, le=1, description="500/503 answers")
    rate_slow: float = Field(default=0.0, ge=0, le=1, description="responses delayed")
    slow_seconds: float = Field(default=5.0, ge=0, description="delay of a slow response")
    fatal_reports: int = Field(default=0, ge=0, description="the first N reports created end FATAL")
    fatal_report_types: list[str] = Field(
        default_factory=list, description="limit fatal_reports to these report types"
    )
    malformed_row_rate: float = Field(
        default=0.0, ge=0, le=1, description="report rows that are malformed"
    )
    revoke_after_requests: int | None = Field(
        default=None, ge=0, description="revoke every refresh token after N SP-API requests"
    )
    expire_tokens_after_requests: int | None = Field(
        default=None, ge=1, description="expire every access token after N SP-API requests"
    )
    omitted_fulfillment_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="order items (Orders 2026-01-01) sent without their optional "
        "`fulfillment` block; the same items on every request",
    )
    unauthorized_sellers: list[str] = Field(
        default_factory=list,
        description="sellers whose every SP-API request is refused with 403 Unauthorized "
        "(the application lost their authorization or role; LWA still issues tokens)",
    )

    @classmethod
    def from_file(cls, path: Path) -> FaultConfig:
        """Read faults from a TOML or JSON file (keys are the field names)."""
        text = path.read_text()
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        return cls.model_validate(data.get("faults", data))


class SimulatorSettings(BaseModel):
    """What the HTTP server needs beyond the world itself."""

    model_config = ConfigDict(extra="forbid")

    token_ttl_seconds: int = Field(default=3600, ge=1)
    rate_scale: float = Field(default=1.0, gt=0, description="multiplies every rate and burst")
    report_delay_seconds: float = Field(
        default=2.0, ge=0, description="time a report takes from IN_QUEUE to DONE"
    )
    document_url_ttl_seconds: int = Field(default=300, ge=1)
    public_url: str | None = Field(
        default=None,
        description="base of report document URLs (http://host:port); the server fills it in "
        "from the address it is bound to. Never taken from a request's Host header.",
    )
    sandbox: bool = False
    warm: bool = Field(
        default=False,
        description="generate the world's newest days in the background from startup",
    )
    faults: FaultConfig = Field(default_factory=FaultConfig)
    request_log_path: Path | None = None
