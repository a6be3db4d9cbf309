"""Seller accounts and their LWA credentials: the models, where they are loaded from, and
the redaction that keeps secrets out of every log line and message.

Sources, first match wins (`load_sellers`):

1. a sellers file (TOML, `[[sellers]]` tables), given as an argument or by
   `CLARIO_SELLERS_FILE`; credentials may name environment variables (`refresh_token_env`)
   so the file itself holds no secret;
2. dlt's configuration: `sources.spapi.sellers` (a list of the same tables, in
   `.dlt/secrets.toml` or as JSON in `SOURCES__SPAPI__SELLERS`), or one seller spread over
   `sources.spapi.*` (`SOURCES__SPAPI__SELLER_ID`,
   `SOURCES__SPAPI__CREDENTIALS__REFRESH_TOKEN`, ...);
3. the earlier system's one-seller variables (`AMAZON_SPAPI_BASE_URL`, `AMAZON_SPAPI_CLIENT_ID`,
   `AMAZON_SPAPI_CLIENT_SECRET`, `AMAZON_SPAPI_REFRESH_TOKEN`, `AMAZON_MARKETPLACE_ID`,
   `AMAZON_LWA_TOKEN_URL`, and optionally `AMAZON_SELLER_ID`, `AMAZON_SPAPI_REGION`,
   `CLARIO_USER_ID`).

Every problem is a `ConfigError` raised before any request, naming the field (or variable)
at fault and never its value when that value is a secret.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from extract.layout import MARKETPLACE_ID, SELLER_ID

LOGGER_NAME = "clario.extract"
SELLERS_FILE_VAR = "CLARIO_SELLERS_FILE"
DLT_SECTION = "sources.spapi"
# The seller id used when the earlier system's variables name none: it only names the
# seller's dataset and state, so any stable value works.
LEGACY_DEFAULT_SELLER_ID = "DEFAULT"

_CREDENTIAL_FIELDS = ("client_id", "client_secret", "refresh_token")
_SELLER_FIELDS = (
    "seller_id",
    "user_id",
    "region",
    "marketplace_ids",
    "sandbox",
    "endpoint",
    "token_url",
)


class ConfigError(ValueError):
    """Invalid or missing configuration: the message names the field, never a secret."""


# --- redaction -----------------------------------------------------------------------------

_SECRET_NAMES = r"x-amz-access-token|refresh_token|client_secret|access_token"
# `name=value`, `name: value`, `"name": "value"`, `'name': 'value'` (headers, forms, JSON, reprs)
_NAMED_SECRET = re.compile(
    rf"(?i)(\b(?:{_SECRET_NAMES})[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)([^\"'&\s,;}}\]]+)"
)
# LWA access tokens (Atza|...) and refresh tokens (Atzr|...), and LWA client secrets, wherever
# they appear without a name in front of them.
_LWA_TOKEN = re.compile(r"\b(Atz[ar]\|)[^\s\"'&,;}\]]+")
_LWA_CLIENT_SECRET = re.compile(r"\bamzn1\.oa2-cs\.v1\.[0-9A-Za-z]+")


def redact(text: str) -> str:
    """`text` with every token and secret it could hold replaced by `***`."""
    text = _NAMED_SECRET.sub(r"\1***", text)
    text = _LWA_TOKEN.sub(r"\1***", text)
    return _LWA_CLIENT_SECRET.sub("amzn1.oa2-cs.v1.***", text)


class RedactingFilter(logging.Filter):
    """Redacts every record of the `clario.extract` logger before any handler sees it.

    The code never logs a secret on purpose; this catches the accidents (a server echoing
    a header in an error body, say).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a broken format string: let the handler report it
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True


_logger = logging.getLogger(LOGGER_NAME)
if not any(isinstance(f, RedactingFilter) for f in _logger.filters):
    _logger.addFilter(RedactingFilter())


# --- models --------------------------------------------------------------------------------


class Region(StrEnum):
    """SP-API's three regions (each has its own production and sandbox host)."""

    NA = "NA"
    EU = "EU"
    FE = "FE"


def _check_url(value: str | None) -> str | None:
    """An absolute http(s) URL without a trailing slash, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError("must be a URL string")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value.strip().rstrip("/")


def _as_list(value: Any) -> Any:
    """A list from a list, a JSON array string or a comma-separated string."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError("not a valid JSON array") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class LwaCredentials(BaseModel):
    """A seller's Login with Amazon credentials; the secrets print as `**********`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr

    @field_validator("client_secret", "refresh_token")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value


class SellerConfig(BaseModel):
    """One seller account: who it is, where its API lives, and how to sign in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Amazon's merchant token. It names the seller's dlt pipeline and goes into SQL as data,
    # so it is held to that form: no case or punctuation variants of one seller.
    seller_id: str
    # The Clario account owning the seller; defaults to the seller id.
    user_id: str = Field(min_length=1)
    region: Region
    marketplace_ids: list[str] = Field(min_length=1)
    sandbox: bool = False
    endpoint: str | None = None  # overrides the region's SP-API host (the simulator's URL)
    token_url: str | None = None  # overrides Amazon's LWA token URL
    credentials: LwaCredentials

    @model_validator(mode="before")
    @classmethod
    def _default_user(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("user_id") and data.get("seller_id"):
            return {**data, "user_id": data["seller_id"]}
        return data

    @field_validator("seller_id")
    @classmethod
    def _merchant_token(cls, value: str) -> str:
        if not SELLER_ID.match(value):
            hint = re.sub(r"[^A-Z0-9]", "", value.upper())
            raise ValueError(
                f"{value!r} is not an Amazon merchant token (upper-case letters and digits"
                + (f", e.g. {hint!r})" if hint and hint != value else ")")
            )
        return value

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().upper() in Region.__members__:
            return Region(value.strip().upper())
        raise ValueError(f"unknown region {value!r} (expected NA, EU or FE)")

    @field_validator("marketplace_ids", mode="before")
    @classmethod
    def _marketplaces(cls, value: Any) -> Any:
        value = _as_list(value)
        if isinstance(value, list) and not value:
            raise ValueError("at least one marketplace id is required")
        return value

    @field_validator("marketplace_ids")
    @classmethod
    def _marketplace_values(cls, value: list[str]) -> list[str]:
        value = [m.strip() for m in value]
        if any(not m for m in value):
            raise ValueError("marketplace ids must not be empty")
        # Amazon's marketplace ids (ATVPDKIKX0DER): they travel into requests and rows
        for marketplace_id in value:
            if not MARKETPLACE_ID.match(marketplace_id):
                raise ValueError(
                    f"{marketplace_id!r} is not an Amazon marketplace id "
                    "(upper-case letters and digits, e.g. ATVPDKIKX0DER)"
                )
        return value

    @field_validator("endpoint", "token_url", mode="before")
    @classmethod
    def _urls(cls, value: Any) -> Any:
        return _check_url(value)


# --- loading -------------------------------------------------------------------------------


def _field_path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: ValidationError, name: Callable[[str], str], source: str) -> str:
    """One line per problem: `<field>: <what is wrong>`; input values are never included."""
    problems = []
    for err in error.errors(include_input=False, include_url=False):
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is required"
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{name(_field_path(err['loc']))}: {message}")
    return "; ".join(problems) + (f" ({source})" if source else "")


def _prefixed(prefix: str) -> Callable[[str], str]:
    return lambda field: f"{prefix}.{field}"


def _resolve_env_refs(
    data: Mapping[str, Any], prefix: str, environ: Mapping[str, str], source: str
) -> dict[str, Any]:
    """Replace `credentials.<name>_env = "VAR"` by the variable's value."""
    resolved = dict(data)
    credentials = data.get("credentials")
    if not isinstance(credentials, Mapping):
        return resolved
    creds = dict(credentials)
    for name in _CREDENTIAL_FIELDS:
        ref = creds.pop(f"{name}_env", None)
        if ref is None:
            continue
        where = f"{prefix}.credentials.{name}_env"
        suffix = f" ({source})" if source else ""
        if name in creds:
            raise ConfigError(f"{where}: give either {name} or {name}_env, not both{suffix}")
        if not isinstance(ref, str) or not ref:
            raise ConfigError(f"{where}: must name an environment variable{suffix}")
        value = environ.get(ref)
        if not value:
            raise ConfigError(f"{where}: environment variable {ref!r} is not set{suffix}")
        creds[name] = value
    resolved["credentials"] = creds
    return resolved


def _build(
    entries: Any, prefix: str, environ: Mapping[str, str], source: str, indexed: bool = True
) -> list[SellerConfig]:
    """Validate a list of seller tables; `prefix` names the list in messages (each entry
    as `prefix[i]`, or as `prefix` itself when not `indexed`: a lone seller)."""
    suffix = f" ({source})" if source else ""
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError(f"{prefix}: expected a list of seller tables{suffix}")
    if not entries:
        raise ConfigError(f"{prefix}: at least one seller is required{suffix}")
    _refuse_spellings_of_one_seller(entries, prefix, indexed, suffix)
    sellers: list[SellerConfig] = []
    for index, entry in enumerate(entries):
        where = f"{prefix}[{index}]" if indexed else prefix
        data = _resolve_env_refs(entry, where, environ, source)
        try:
            seller = SellerConfig.model_validate(data)
        except ValidationError as error:
            # `from None`: the pydantic error's own text includes the input values.
            raise ConfigError(_describe(error, _prefixed(where), source)) from None
        sellers.append(seller)
    return sellers


def _refuse_spellings_of_one_seller(
    entries: list[Mapping[str, Any]], prefix: str, indexed: bool, suffix: str
) -> None:
    """Two entries whose seller ids differ only in case or punctuation (`A1B-C`, `a1b_c`,
    `A1BC`) would be one seller to dlt and dbt, mixing their rows: the error names both,
    before either is checked on its own (which would name only one)."""
    seen: dict[str, tuple[str, str]] = {}
    for index, entry in enumerate(entries):
        raw = entry.get("seller_id")
        if not isinstance(raw, str) or not raw.strip():
            continue
        where = f"{prefix}[{index}]" if indexed else prefix
        token = re.sub(r"[^A-Z0-9]", "", raw.upper())
        if not token:
            continue
        if token in seen:
            first_where, first = seen[token]
            what = (
                f"duplicate seller id {raw!r}"
                if raw == first
                else f"seller id {raw!r} is the same seller as {first!r}"
                f" (Amazon's merchant token {token!r})"
            )
            raise ConfigError(
                f"{where}.seller_id: {what}, also given in {first_where}.seller_id; keep one"
                f"{suffix}"
            )
        seen[token] = (where, raw)


def _from_file(path: Path, environ: Mapping[str, str]) -> list[SellerConfig]:
    source = f"in {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"sellers file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"sellers file {path} is not valid TOML: {error}") from None
    unknown = sorted(set(data) - {"sellers"})
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown top-level key, expected [[sellers]] ({source})")
    if "sellers" not in data:
        raise ConfigError(f"sellers: no [[sellers]] table ({source})")
    return _build(data["sellers"], "sellers", environ, source)


def _dlt_value(key: str, secret: bool = False) -> Any:
    import dlt  # seconds to import: only when no sellers file is given

    accessor = dlt.secrets if secret else dlt.config
    return accessor.get(f"{DLT_SECTION}.{key}")


def _from_dlt(environ: Mapping[str, str]) -> list[SellerConfig] | None:
    """Sellers from dlt's providers (env vars, .dlt/*.toml, vaults), or None if none is set."""
    source = "from dlt configuration"
    raw = _dlt_value("sellers")
    if raw is not None:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise ConfigError(
                    f"{DLT_SECTION}.sellers: not a JSON list of seller tables ({source})"
                ) from None
        return _build(raw, f"{DLT_SECTION}.sellers", environ, source)
    seller: dict[str, Any] = {}
    for name in _SELLER_FIELDS:
        value = _dlt_value(name)
        if value is not None:
            seller[name] = value
    credentials: dict[str, Any] = {}
    for name in _CREDENTIAL_FIELDS:
        value = _dlt_value(f"credentials.{name}", secret=name != "client_id")
        if value is not None:
            credentials[name] = value
        ref = _dlt_value(f"credentials.{name}_env")
        if ref is not None:
            credentials[f"{name}_env"] = ref
    if not seller and not credentials:
        return None
    if credentials:
        seller["credentials"] = credentials
    return _build([seller], DLT_SECTION, environ, source, indexed=False)


# Earlier system's variable per SellerConfig field, for messages.
_LEGACY_NAMES = {
    "seller_id": "AMAZON_SELLER_ID",
    "user_id": "CLARIO_USER_ID",
    "region": "AMAZON_SPAPI_REGION",
    "marketplace_ids": "AMAZON_MARKETPLACE_ID",
    "endpoint": "AMAZON_SPAPI_BASE_URL",
    "token_url": "AMAZON_LWA_TOKEN_URL",
    "credentials": "AMAZON_SPAPI_CLIENT_ID",
    "credentials.client_id": "AMAZON_SPAPI_CLIENT_ID",
    "credentials.client_secret": "AMAZON_SPAPI_CLIENT_SECRET",
    "credentials.refresh_token": "AMAZON_SPAPI_REFRESH_TOKEN",
}
_AMAZON_HOST = re.compile(r"^(sandbox\.)?sellingpartnerapi-(na|eu|fe)\.amazon\.com$", re.I)


def _from_legacy(environ: Mapping[str, str]) -> list[SellerConfig] | None:
    """The one seller of the earlier system's variables, or None if they are not set."""
    if not any(
        environ.get(name)
        for name in (
            "AMAZON_SPAPI_REFRESH_TOKEN",
            "AMAZON_SPAPI_CLIENT_ID",
            "AMAZON_SPAPI_CLIENT_SECRET",
            "AMAZON_SPAPI_BASE_URL",
        )
    ):
        return None
    base_url = environ.get("AMAZON_SPAPI_BASE_URL") or None
    region: str | None = environ.get("AMAZON_SPAPI_REGION") or None
    sandbox = False
    if base_url:
        host = urlsplit(base_url.strip()).hostname or ""
        sandbox = host.lower().startswith("sandbox.")
        match = _AMAZON_HOST.match(host)
        if match and region is None:
            region = match.group(2).upper()
    data: dict[str, Any] = {
        "seller_id": environ.get("AMAZON_SELLER_ID") or LEGACY_DEFAULT_SELLER_ID,
        "user_id": environ.get("CLARIO_USER_ID") or None,
        "region": region or "NA",
        "sandbox": sandbox,
        "endpoint": base_url,
        "token_url": environ.get("AMAZON_LWA_TOKEN_URL") or None,
        "credentials": {
            name: value
            for name in _CREDENTIAL_FIELDS
            if (value := environ.get(f"AMAZON_SPAPI_{name.upper()}"))
        },
    }
    if environ.get("AMAZON_MARKETPLACE_ID"):
        data["marketplace_ids"] = environ["AMAZON_MARKETPLACE_ID"]
    try:
        return [SellerConfig.model_validate(data)]
    except ValidationError as error:
        message = _describe(
            error, lambda f: _LEGACY_NAMES.get(f, f), "from the AMAZON_* environment variables"
        )
        raise ConfigError(message) from None


def load_sellers(
    sellers_file: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[SellerConfig]:
    """Every configured seller, validated; `ConfigError` (naming the field) otherwise.

    `environ` (default: the process environment) supplies `CLARIO_SELLERS_FILE`, the
    variables a sellers file refers to (`*_env`) and the earlier system's `AMAZON_*`
    variables. dlt's own providers read the process environment and `.dlt/` themselves.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if sellers_file is None and env.get(SELLERS_FILE_VAR):
        sellers_file = Path(env[SELLERS_FILE_VAR])
    if sellers_file is not None:
        return _from_file(Path(sellers_file), env)
    sellers = _from_dlt(env)
    if sellers is not None:
        return sellers
    sellers = _from_legacy(env)
    if sellers is not None:
        return sellers
    raise ConfigError(
        "no seller configured: give a sellers file (or CLARIO_SELLERS_FILE), "
        f"set {DLT_SECTION}.sellers in .dlt/secrets.toml (or SOURCES__SPAPI__SELLERS), "
        "or the AMAZON_SPAPI_* variables"
    )
