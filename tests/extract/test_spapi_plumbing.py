"""The SP-API plumbing against the real simulator over loopback: configuration, LWA,
pacing, retries, paging and the report lifecycle. Nothing of our own code is mocked."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from extract.spapi.auth import LwaAuth, SellerAuthError
from extract.spapi.client import SpApiClient, SpApiError, server_now
from extract.spapi.config import ConfigError, Region, SellerConfig, load_sellers, redact
from extract.spapi.endpoints import LWA_TOKEN_URL, base_url, token_url
from extract.spapi.pacing import RATE_LIMITS, Pacer
from extract.spapi.reports import (
    ParsedRow,
    ReportFailed,
    create_report,
    download_report_rows,
    get_report_document,
    report_rows,
    wait_for_report,
)
from simulator.config import FaultConfig, SellerAccount, SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.world import World

NOW = datetime(2026, 11, 28, tzinfo=UTC)
WORLD = WorldConfig(seed=11, sellers=2, history_days=30, orders_per_day=10, now=NOW)
FAST = {"rate_scale": 100_000.0, "report_delay_seconds": 0.2}
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ORDERS_2026 = "/orders/2026-01-01/orders"
INLINE_SECRET = "s3cr3t-client-secret-value"
INLINE_REFRESH = "Atzr|inline-refresh-token-value"


@pytest.fixture(scope="module")
def world() -> World:
    return World(WORLD)


@pytest.fixture(scope="module")
def sim(world: World) -> Iterator[RunningSimulator]:
    with RunningSimulator(world, SimulatorSettings(**FAST)) as running:  # type: ignore[arg-type]
        yield running


@pytest.fixture(autouse=True)
def no_secret_in_logs(caplog: pytest.LogCaptureFixture, world: World) -> Iterator[None]:
    """Every test runs with DEBUG logging; no line may hold a token or secret."""
    caplog.set_level(logging.DEBUG)
    yield
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    secrets = [INLINE_SECRET, INLINE_REFRESH]
    for account in world.sellers:
        secrets += [account.refresh_token, account.client_secret]
    for secret in secrets:
        assert secret not in text
    assert not re.search(r"Atza\|(?!\*\*\*)", text), "an access token was logged"


def simulator(world: World, **settings: Any) -> RunningSimulator:
    return RunningSimulator(world, SimulatorSettings(**{**FAST, **settings}))


def seller_of(running: RunningSimulator, account: SellerAccount, **overrides: Any) -> SellerConfig:
    data: dict[str, Any] = {
        "seller_id": account.seller_id,
        "region": "NA",
        "marketplace_ids": list(account.marketplace_ids),
        "endpoint": running.base_url,
        "token_url": running.base_url + "/auth/o2/token",
        "credentials": {
            "client_id": account.client_id,
            "client_secret": account.client_secret,
            "refresh_token": account.refresh_token,
        },
    }
    data.update(overrides)
    return SellerConfig.model_validate(data)


def client_of(running: RunningSimulator, account: SellerAccount, **options: Any) -> SpApiClient:
    """A client with its own buckets: a port the OS reuses for a later simulator must not
    hand that one the rates learnt from this one."""
    seller = seller_of(running, account)
    options.setdefault("backoff_max", 0.05)
    options.setdefault("pacer", Pacer(seller.seller_id))
    return SpApiClient(seller, **options)


def request_log(running: RunningSimulator, operation: str | None = None) -> list[dict[str, Any]]:
    params = {"operation": operation} if operation else None
    records: list[dict[str, Any]] = requests.get(
        running.base_url + "/_simulator/requests", params=params, timeout=10
    ).json()
    return records


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def all_order_ids(client: SpApiClient, world: World, page_size: int = 7) -> list[str]:
    params = {
        "lastUpdatedAfter": iso(world.now - timedelta(days=400)),
        "maxResultsPerPage": page_size,
    }
    pages = client.paginate("searchOrders", ORDERS_2026, params, style="pagination")
    return [order["orderId"] for page in pages for order in page["orders"]]


def truth_order_ids(world: World, account: SellerAccount) -> set[str]:
    return {order.order_id for order in world.orders(account)}


# --- configuration -------------------------------------------------------------------------

SELLERS_TOML = """
[[sellers]]
seller_id = "A1SELLERONE"
user_id = "user-1"
region = "NA"
marketplace_ids = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
[sellers.credentials]
client_id = "amzn1.application-oa2-client.one"
client_secret_env = "ONE_SECRET"
refresh_token_env = "ONE_REFRESH"

[[sellers]]
seller_id = "A2SELLERTWO"
region = "{region}"
marketplace_ids = ["A1PA6795UKMFR9"]
sandbox = true
endpoint = "http://127.0.0.1:8642/"
[sellers.credentials]
client_id = "amzn1.application-oa2-client.two"
client_secret = "{secret}"
refresh_token = "{refresh}"
"""


def write_sellers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sellers.toml"
    path.write_text(text)
    return path


SELLERS_ENV = {"ONE_SECRET": "one-secret-value", "ONE_REFRESH": "Atzr|one-refresh-value"}


def test_sellers_file_with_env_references(tmp_path: Path) -> None:
    text = SELLERS_TOML.format(region="eu", secret=INLINE_SECRET, refresh=INLINE_REFRESH)
    one, two = load_sellers(write_sellers(tmp_path, text), SELLERS_ENV)
    assert (one.seller_id, one.user_id, one.region) == ("A1SELLERONE", "user-1", Region.NA)
    assert one.marketplace_ids == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert one.credentials.refresh_token.get_secret_value() == "Atzr|one-refresh-value"
    assert one.credentials.client_secret.get_secret_value() == "one-secret-value"
    assert (two.user_id, two.region, two.sandbox) == ("A2SELLERTWO", Region.EU, True)
    assert two.endpoint == "http://127.0.0.1:8642"
    # CLARIO_SELLERS_FILE names the file when no argument does.
    env = {**SELLERS_ENV, "CLARIO_SELLERS_FILE": str(tmp_path / "sellers.toml")}
    assert [s.seller_id for s in load_sellers(environ=env)] == ["A1SELLERONE", "A2SELLERTWO"]


BAD_SECOND_SELLER = [
    (
        'region = "{region}"',
        'region = "XX"',
        "sellers[1].region: unknown region 'XX' (expected NA, EU or FE)",
    ),
    (
        'marketplace_ids = ["A1PA6795UKMFR9"]',
        "marketplace_ids = []",
        "sellers[1].marketplace_ids: at least one",
    ),
    ('refresh_token = "{refresh}"', "", "sellers[1].credentials.refresh_token: is required"),
    (
        'client_secret = "{secret}"',
        'client_secret = "{secret}"\nclient_secret_env = "X"',
        "sellers[1].credentials.client_secret_env: give either",
    ),
    (
        'endpoint = "http://127.0.0.1:8642/"',
        'endpoint = "ftp://example.com"',
        "sellers[1].endpoint: not an http(s) URL",
    ),
    ("sandbox = true", 'regoin = "NA"', "sellers[1].regoin: unknown field"),
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "A1SELLERONE"',
        "sellers[1].seller_id: duplicate seller id 'A1SELLERONE', also given in"
        " sellers[0].seller_id",
    ),
    # two spellings of one seller would share its rows in dlt and dbt: both are named
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "a1sellerone"',
        "sellers[1].seller_id: seller id 'a1sellerone' is the same seller as 'A1SELLERONE'"
        " (Amazon's merchant token 'A1SELLERONE'), also given in sellers[0].seller_id",
    ),
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "A1-SELLER_ONE"',
        "sellers[1].seller_id: seller id 'A1-SELLER_ONE' is the same seller as 'A1SELLERONE'",
    ),
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "has space"',
        "sellers[1].seller_id: 'has space' is not an Amazon merchant token",
    ),
    # one seller, one spelling: ids that dlt and dbt would fold differently are refused
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "ALO9-YWHTL8KF63"',
        "sellers[1].seller_id: 'ALO9-YWHTL8KF63' is not an Amazon merchant token",
    ),
    (
        'seller_id = "A2SELLERTWO"',
        'seller_id = "a2sellertwo"',
        "e.g. 'A2SELLERTWO'",
    ),
    (
        'marketplace_ids = ["A1PA6795UKMFR9"]',
        """marketplace_ids = ["A1PA' or '1'='1"]""",
        "sellers[1].marketplace_ids: \"A1PA' or '1'='1\" is not an Amazon marketplace id",
    ),
    ('seller_id = "A2SELLERTWO"', "", "sellers[1].seller_id: is required"),
    (
        'refresh_token = "{refresh}"',
        'refresh_token = ""',
        "sellers[1].credentials.refresh_token: must not be empty",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD_SECOND_SELLER)
def test_invalid_sellers_file_names_the_field(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = SELLERS_TOML.replace(old, new).format(
        region="NA", secret=INLINE_SECRET, refresh=INLINE_REFRESH
    )
    with pytest.raises(ConfigError) as caught:
        load_sellers(write_sellers(tmp_path, text), SELLERS_ENV)
    assert message in str(caught.value)
    assert str(tmp_path / "sellers.toml") in str(caught.value)
    for secret in (INLINE_SECRET, INLINE_REFRESH, *SELLERS_ENV.values()):
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)


def test_sellers_file_problems_outside_a_seller(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ONE_REFRESH' is not set"):
        load_sellers(write_sellers(tmp_path, SELLERS_TOML), {"ONE_SECRET": "x"})
    with pytest.raises(ConfigError, match="does not exist"):
        load_sellers(tmp_path / "missing.toml", {})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_sellers(write_sellers(tmp_path, "[[sellers]\n"), {})
    with pytest.raises(ConfigError, match=r"sellers: expected a list"):
        load_sellers(write_sellers(tmp_path, 'sellers = "A1"\n'), {})
    with pytest.raises(ConfigError, match=r"^seller: unknown top-level key"):
        load_sellers(write_sellers(tmp_path, "[[seller]]\nseller_id = 'A'\n"), {})


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No seller configured through the process environment before the test sets one."""
    import os

    for name in list(os.environ):
        if name.startswith(("SOURCES__SPAPI__", "AMAZON_", "CLARIO_SELLERS_FILE")):
            monkeypatch.delenv(name)
    return monkeypatch


def test_dlt_sellers_list_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    sellers = [
        {
            "seller_id": "A1DLT",
            "region": "FE",
            "marketplace_ids": ["A1VC38T7YXB528"],
            "credentials": {
                "client_id": "amzn1.application-oa2-client.dlt",
                "client_secret": INLINE_SECRET,
                "refresh_token_env": "DLT_REFRESH",
            },
        }
    ]
    clean_env.setenv("SOURCES__SPAPI__SELLERS", json.dumps(sellers))
    (seller,) = load_sellers(environ={"DLT_REFRESH": INLINE_REFRESH})
    assert (seller.seller_id, seller.region, seller.user_id) == ("A1DLT", Region.FE, "A1DLT")
    assert seller.credentials.refresh_token.get_secret_value() == INLINE_REFRESH
    sellers[0]["region"] = "XX"
    clean_env.setenv("SOURCES__SPAPI__SELLERS", json.dumps(sellers))
    with pytest.raises(ConfigError, match=r"sources\.spapi\.sellers\[0\]\.region: unknown region"):
        load_sellers(environ={"DLT_REFRESH": INLINE_REFRESH})


def test_dlt_single_seller_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SELLER_ID": "A1ONE",
        "USER_ID": "clario-7",
        "REGION": "EU",
        "MARKETPLACE_IDS": "A1PA6795UKMFR9,A13V1IB3VIYZZH",
        "SANDBOX": "true",
        "CREDENTIALS__CLIENT_ID": "amzn1.application-oa2-client.one",
        "CREDENTIALS__CLIENT_SECRET": INLINE_SECRET,
        "CREDENTIALS__REFRESH_TOKEN": INLINE_REFRESH,
    }.items():
        clean_env.setenv(f"SOURCES__SPAPI__{name}", value)
    (seller,) = load_sellers(environ={})
    assert seller.user_id == "clario-7"
    assert seller.marketplace_ids == ["A1PA6795UKMFR9", "A13V1IB3VIYZZH"]
    assert seller.sandbox is True
    assert base_url(seller) == "https://sandbox.sellingpartnerapi-eu.amazon.com"
    clean_env.delenv("SOURCES__SPAPI__CREDENTIALS__REFRESH_TOKEN")
    with pytest.raises(
        ConfigError, match=r"sources\.spapi\.credentials\.refresh_token: is required"
    ):
        load_sellers(environ={})


LEGACY = {
    "AMAZON_SPAPI_BASE_URL": "https://sandbox.sellingpartnerapi-eu.amazon.com",
    "AMAZON_SPAPI_CLIENT_ID": "amzn1.application-oa2-client.legacy",
    "AMAZON_SPAPI_CLIENT_SECRET": INLINE_SECRET,
    "AMAZON_SPAPI_REFRESH_TOKEN": INLINE_REFRESH,
    "AMAZON_MARKETPLACE_ID": "A1PA6795UKMFR9",
}


def test_legacy_variables(clean_env: pytest.MonkeyPatch) -> None:
    (seller,) = load_sellers(environ=LEGACY)
    assert (seller.seller_id, seller.region, seller.sandbox) == ("DEFAULT", Region.EU, True)
    assert seller.endpoint == LEGACY["AMAZON_SPAPI_BASE_URL"]
    assert token_url(seller) == LWA_TOKEN_URL
    local = {
        **LEGACY,
        "AMAZON_SPAPI_BASE_URL": "http://127.0.0.1:8642",
        "AMAZON_LWA_TOKEN_URL": "http://127.0.0.1:8642/auth/o2/token",
        "AMAZON_SELLER_ID": "A1LEGACY",
        "CLARIO_USER_ID": "user-9",
    }
    (seller,) = load_sellers(environ=local)
    assert (seller.seller_id, seller.user_id, seller.region) == ("A1LEGACY", "user-9", Region.NA)
    assert (seller.sandbox, base_url(seller)) == (False, "http://127.0.0.1:8642")
    assert token_url(seller) == "http://127.0.0.1:8642/auth/o2/token"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"AMAZON_SPAPI_REFRESH_TOKEN": ""}, "AMAZON_SPAPI_REFRESH_TOKEN: is required"),
        ({"AMAZON_MARKETPLACE_ID": ""}, "AMAZON_MARKETPLACE_ID: is required"),
        ({"AMAZON_SPAPI_BASE_URL": "not a url"}, "AMAZON_SPAPI_BASE_URL: not an http(s) URL"),
        ({"AMAZON_SPAPI_REGION": "XX"}, "AMAZON_SPAPI_REGION: unknown region 'XX'"),
    ],
)
def test_invalid_legacy_variables_name_the_variable(
    clean_env: pytest.MonkeyPatch, change: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_sellers(environ={**LEGACY, **change})
    assert message in str(caught.value)
    assert INLINE_SECRET not in str(caught.value) and INLINE_REFRESH not in str(caught.value)


def test_nothing_configured(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="no seller configured"):
        load_sellers(environ={})


def test_endpoints() -> None:
    seller = SellerConfig.model_validate(
        {
            "seller_id": "A1",
            "region": "FE",
            "marketplace_ids": "A1VC38T7YXB528",
            "credentials": {"client_id": "c", "client_secret": "s", "refresh_token": "r"},
        }
    )
    assert base_url(seller) == "https://sellingpartnerapi-fe.amazon.com"
    sandbox = seller.model_copy(update={"sandbox": True})
    assert base_url(sandbox) == "https://sandbox.sellingpartnerapi-fe.amazon.com"
    assert token_url(seller) == "https://api.amazon.com/auth/o2/token"


def test_no_secret_in_str_or_repr(tmp_path: Path) -> None:
    text = SELLERS_TOML.format(region="NA", secret=INLINE_SECRET, refresh=INLINE_REFRESH)
    sellers = load_sellers(write_sellers(tmp_path, text), SELLERS_ENV)
    for seller in sellers:
        for shown in (
            str(seller),
            repr(seller),
            f"{seller}",
            str(seller.credentials),
            seller.model_dump_json(),
            str(seller.model_dump()),
            repr(SpApiClient(seller)),
            repr(LwaAuth(seller)),
        ):
            for secret in (INLINE_SECRET, INLINE_REFRESH, *SELLERS_ENV.values()):
                assert secret not in shown
    error = SellerAuthError("A1", "invalid_grant", 400, f"refresh_token={INLINE_REFRESH}")
    assert INLINE_REFRESH not in str(error) and "invalid_grant" in str(error)


def test_redact() -> None:
    text = redact(
        f"x-amz-access-token: Atza|abc refresh_token={INLINE_REFRESH}&client_secret=xyz "
        '{"access_token": "Atza|def"} amzn1.oa2-cs.v1.0123abcd'
    )
    for secret in ("Atza|abc", INLINE_REFRESH, "xyz", "Atza|def", "0123abcd"):
        assert secret not in text
    assert "refresh_token=***" in text


# --- LWA -----------------------------------------------------------------------------------


def test_lwa_token_cached_and_renewed_before_expiry(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, token_ttl_seconds=2) as running:
        auth = LwaAuth(seller_of(running, account))
        first = auth.token()
        assert auth.token() == first and auth.exchanges == 1
        time.sleep(1.6)  # lifetime 2 s: renewed a quarter of it (0.5 s) before expiry
        second = auth.token()
        assert second != first and auth.exchanges == 2
        # A client calling across several token lifetimes never presents an expired token.
        client = SpApiClient(seller_of(running, account), auth=auth, backoff_max=0.05)
        order_id = next(iter(truth_order_ids(world, account)))
        for _ in range(6):
            client.get_json("getOrder", f"{ORDERS_2026}/{order_id}")
            time.sleep(0.4)
        assert auth.exchanges >= 3
        assert [r for r in request_log(running) if r["status"] == 403] == []
        assert client.stats["getOrder"].expired_tokens == 0


def test_expired_token_mid_run_is_renewed_transparently(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, faults=FaultConfig(expire_tokens_after_requests=3)) as running:
        client = client_of(running, account)
        ids = all_order_ids(client, world)
        assert len(ids) == len(set(ids)) and set(ids) == truth_order_ids(world, account)
        assert client.stats["searchOrders"].expired_tokens == 1
        assert client.auth.exchanges == 2
        assert [r["status"] for r in request_log(running)].count(403) == 1


def test_revoked_refresh_token_fails_the_seller(world: World) -> None:
    account = world.sellers[0]
    faults = FaultConfig(revoke_after_requests=2, expire_tokens_after_requests=3)
    with simulator(world, faults=faults) as running:
        client = client_of(running, account)
        order_id = next(iter(truth_order_ids(world, account)))
        for _ in range(3):  # the access token still works until it expires
            client.get_json("getOrder", f"{ORDERS_2026}/{order_id}")
        with pytest.raises(SellerAuthError) as caught:
            client.get_json("getOrder", f"{ORDERS_2026}/{order_id}")
    error = caught.value
    assert (error.seller_id, error.error_code, error.status) == (
        account.seller_id,
        "invalid_grant",
        400,
    )
    assert account.seller_id in str(error) and "invalid_grant" in str(error)
    assert account.refresh_token not in str(error) and account.client_secret not in str(error)


def test_wrong_client_secret_is_invalid_client(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[1]
    seller = seller_of(
        sim,
        account,
        credentials={
            "client_id": account.client_id,
            "client_secret": INLINE_SECRET,
            "refresh_token": account.refresh_token,
        },
    )
    with pytest.raises(SellerAuthError) as caught:
        SpApiClient(seller).get_json("getOrder", f"{ORDERS_2026}/X")
    assert (caught.value.error_code, caught.value.status) == ("invalid_client", 401)
    assert INLINE_SECRET not in str(caught.value)


# --- retries and errors --------------------------------------------------------------------


def test_retries_through_server_errors(world: World) -> None:
    account = world.sellers[1]
    with simulator(world, faults=FaultConfig(rate_5xx=0.3)) as running:
        client = client_of(running, account)
        ids = all_order_ids(client, world)
        log = request_log(running, "searchOrders")
    assert len(ids) == len(set(ids)) and set(ids) == truth_order_ids(world, account)
    stats = client.stats["searchOrders"]
    served_5xx = sum(1 for r in log if r["status"] >= 500)
    assert stats.server_errors == served_5xx > 0
    assert stats.retries == served_5xx
    assert stats.requests == len(log)


def test_retries_past_slow_responses(world: World) -> None:
    account = world.sellers[1]
    faults = FaultConfig(rate_slow=0.25, slow_seconds=1.0)
    with simulator(world, faults=faults) as running:
        client = client_of(running, account, timeout=0.3)
        ids = all_order_ids(client, world, page_size=25)
    assert len(ids) == len(set(ids)) and set(ids) == truth_order_ids(world, account)
    stats = client.stats["searchOrders"]
    assert stats.transport_errors > 0 and stats.retries == stats.transport_errors


def test_client_errors_are_not_retried(sim: RunningSimulator, world: World) -> None:
    client = client_of(sim, world.sellers[0])
    with pytest.raises(SpApiError) as caught:
        client.get_json("getOrder", f"{ORDERS_2026}/111-0000000-0000000")
    error = caught.value
    assert (error.status, error.code, error.operation) == (404, "NotFound", "getOrder")
    assert client.stats["getOrder"].retries == 0


def test_server_now_is_the_server_clock(sim: RunningSimulator, world: World) -> None:
    client = client_of(sim, world.sellers[0])
    assert client.server_now() == NOW  # from the LWA answer, before any SP-API call
    response = client.request(
        "getOrders",
        "GET",
        "/orders/v0/orders",
        params={
            "MarketplaceIds": world.sellers[0].marketplace_ids,
            "CreatedAfter": NOW - timedelta(days=1),
        },
    )
    assert server_now(response) == NOW == client.server_now()


# --- pacing --------------------------------------------------------------------------------


def test_pacing_at_real_limits_gets_no_429(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, rate_scale=1.0, report_delay_seconds=60) as running:
        client = client_of(running, account)
        report_id = create_report(
            client,
            ALL_ORDERS,
            account.marketplace_ids,
            NOW - timedelta(days=2),
            NOW - timedelta(days=1),
        )
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=6) as pool:
            reports = list(
                pool.map(
                    lambda _: client.get_json(
                        "getReport", f"/reports/2021-06-30/reports/{report_id}"
                    ),
                    range(25),
                )
            )
        elapsed = time.monotonic() - started
        log = request_log(running, "getReport")
    assert {r["reportId"] for r in reports} == {report_id}
    assert [r["status"] for r in log] == [200] * 25
    assert client.stats["getReport"].throttled == 0
    # 15 at once from Amazon's burst (14 from ours: one token of slack), then 2/s less 5 %.
    expected = (25 - 14) / (2.0 * 0.95)
    assert expected - 0.5 < elapsed < expected + 2.0


def test_rate_header_corrects_the_bucket(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, rate_scale=5.0, report_delay_seconds=60) as running:
        seller = seller_of(running, account)
        # A burst of 2 (capacity 1) so the rate alone decides the pace.
        pacer = Pacer(seller.seller_id, limits={**RATE_LIMITS, "getReport": (2.0, 2)})
        client = SpApiClient(seller, pacer=pacer, backoff_max=0.05)
        report_id = create_report(client, ALL_ORDERS, account.marketplace_ids)
        path = f"/reports/2021-06-30/reports/{report_id}"
        started = time.monotonic()
        for _ in range(16):
            client.get_json("getReport", path)
        elapsed = time.monotonic() - started
        throttled = [r for r in request_log(running, "getReport") if r["status"] == 429]
    # The server's 10/s (2/s scaled by 5), less our margin, instead of the documented 2/s:
    # 15 paced calls take about 1.6 s rather than 7.9 s.
    assert pacer.bucket("getReport").rate == pytest.approx(10 * 0.95)
    assert elapsed < 4.0
    assert throttled == []


def test_sandbox_seller_is_paced_at_sandbox_limits(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, sandbox=True, rate_scale=1.0) as running:
        client = SpApiClient(
            seller_of(running, account, sandbox=True),
            pacer=Pacer(account.seller_id, sandbox=True),
            backoff_max=0.05,
        )
        started = time.monotonic()
        for _ in range(25):
            client.get_json("getReport", "/reports/2021-06-30/reports/ID323")
        elapsed = time.monotonic() - started
        statuses = [r["status"] for r in request_log(running, "getReport")]
    # 5/s burst 15 for every operation: (25 - 14) / 4.75 = 2.3 s, where getReport's
    # production plan (2/s) would take 5.8 s.
    assert statuses == [200] * 25
    assert elapsed < 4.0


def test_a_429_empties_the_bucket(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, faults=FaultConfig(rate_429=0.3)) as running:
        client = client_of(running, account)
        ids = all_order_ids(client, world, page_size=20)
        log = request_log(running, "searchOrders")
    assert set(ids) == truth_order_ids(world, account)
    assert client.stats["searchOrders"].throttled == sum(r["status"] == 429 for r in log) > 0


# --- paging --------------------------------------------------------------------------------


def test_pagination_style_search_orders(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[0]
    client = client_of(sim, account)
    ids = all_order_ids(client, world, page_size=7)
    assert len(ids) == len(set(ids)) and set(ids) == truth_order_ids(world, account)
    assert len(ids) > 7 * 3  # several pages


def test_payload_style_orders_v0_and_finances(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[0]
    client = client_of(sim, account)
    params = {
        "MarketplaceIds": list(account.marketplace_ids),
        "LastUpdatedAfter": iso(NOW - timedelta(days=400)),
        "MaxResultsPerPage": 9,
    }
    pages = client.paginate("getOrders", "/orders/v0/orders", params, style="payload")
    ids = [o["AmazonOrderId"] for page in pages for o in page["payload"]["Orders"]]
    assert len(ids) == len(set(ids)) and set(ids) == truth_order_ids(world, account)
    groups = [
        group["FinancialEventGroupId"]
        for page in client.paginate(
            "listFinancialEventGroups",
            "/finances/v0/financialEventGroups",
            {"MaxResultsPerPage": 1},
            style="payload",
        )
        for group in page["payload"]["FinancialEventGroupList"]
    ]
    assert groups == [g.group_id for g in world.settlement_groups(account)]
    assert len(groups) > 1


def test_inbound_style(
    sim: RunningSimulator, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simulator.routes.inbound as inbound

    monkeypatch.setattr(inbound, "SHIPMENTS_PER_PAGE", 3)  # several pages from a small world
    account = world.sellers[0]
    client = client_of(sim, account)
    params = {
        "QueryType": "DATE_RANGE",
        "MarketplaceId": account.marketplace_ids[0],
        "LastUpdatedAfter": iso(NOW - timedelta(days=400)),
        "LastUpdatedBefore": iso(NOW - timedelta(minutes=5)),
    }
    pages = list(client.paginate("getShipments", "/fba/inbound/v0/shipments", params, "inbound"))
    ids = [s["ShipmentId"] for page in pages for s in page["payload"]["ShipmentData"]]
    assert len(pages) > 2
    assert len(ids) == len(set(ids))
    assert set(ids) == {s.shipment_id for s in world.inbound_shipments(account)}
    sent = request_log(sim, "getShipments")[-len(pages) :]
    assert all(set(r["query"]) == {"QueryType", "NextToken", "MarketplaceId"} for r in sent[1:])


def test_reports_style(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[1]
    client = client_of(sim, account)
    report_type = "GET_FBA_REIMBURSEMENTS_DATA"
    created = {
        create_report(
            client,
            report_type,
            account.marketplace_ids,
            NOW - timedelta(days=d + 1),
            NOW - timedelta(days=d),
        )
        for d in range(5)
    }
    pages = list(
        client.paginate(
            "getReports",
            "/reports/2021-06-30/reports",
            {"reportTypes": [report_type], "pageSize": 2},
            style="reports",
        )
    )
    ids = [r["reportId"] for page in pages for r in page["reports"]]
    assert len(pages) == 3
    assert len(ids) == len(set(ids)) and set(ids) == created
    sent = request_log(sim, "getReports")[-3:]
    assert all(set(r["query"]) == {"nextToken"} for r in sent[1:])


# --- reports -------------------------------------------------------------------------------


def test_report_done_rows_by_header_name(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[0]
    client = client_of(sim, account)
    start, end = NOW - timedelta(days=10), NOW - timedelta(days=1)
    report_id = create_report(client, ALL_ORDERS, account.marketplace_ids, start, end)
    rows = list(report_rows(client, report_id, first_delay=0.05))
    assert rows and all(row.ok and row.values is not None for row in rows)
    first = rows[0].values
    assert first is not None
    assert {"amazon-order-id", "purchase-date", "sku", "quantity", "item-price"} <= set(first)
    assert [row.line_number for row in rows] == list(range(2, len(rows) + 2))
    order_ids = {row.values["amazon-order-id"] for row in rows if row.values}
    assert order_ids <= truth_order_ids(world, account)


def test_cancelled_report_has_no_rows(sim: RunningSimulator, world: World) -> None:
    account = world.sellers[0]
    client = client_of(sim, account)
    report_id = create_report(
        client,
        ALL_ORDERS,
        account.marketplace_ids,
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2020, 1, 5, tzinfo=UTC),
    )
    assert list(report_rows(client, report_id, first_delay=0.05)) == []
    assert wait_for_report(client, report_id)["processingStatus"] == "CANCELLED"


def test_fatal_report_fails_only_that_report(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, faults=FaultConfig(fatal_reports=1)) as running:
        client = client_of(running, account)
        start, end = NOW - timedelta(days=5), NOW - timedelta(days=1)
        fatal = create_report(client, ALL_ORDERS, account.marketplace_ids, start, end)
        with pytest.raises(ReportFailed) as caught:
            list(report_rows(client, fatal, first_delay=0.05))
        assert caught.value.report_id == fatal and fatal in str(caught.value)
        fine = create_report(client, ALL_ORDERS, account.marketplace_ids, start, end)
        assert len(list(report_rows(client, fine, first_delay=0.05))) > 0


def test_malformed_rows_are_rejected_with_a_reason(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, faults=FaultConfig(malformed_row_rate=0.1)) as running:
        client = client_of(running, account)
        report_id = create_report(
            client,
            ALL_ORDERS,
            account.marketplace_ids,
            NOW - timedelta(days=20),
            NOW - timedelta(days=1),
        )
        report = wait_for_report(client, report_id, first_delay=0.05)
        document_id = report["reportDocumentId"]

        def no_bad_numbers(values: dict[str, str]) -> str | None:
            try:
                float(values["item-price"] or 0)
            except ValueError:
                return f"item-price is not a number: {values['item-price']!r}"
            return None

        plain = list(download_report_rows(client, document_id))
        checked = list(download_report_rows(client, document_id, validate=no_bad_numbers))
        damage = requests.get(
            f"{running.base_url}/_simulator/reports/{report_id}/malformed", timeout=10
        ).json()
    columns = len(next(row.values for row in plain if row.ok and row.values))
    short = {r["row"] + 2 for r in damage["rows"] if r["kind"] == "wrong_column_count"}
    bad_numbers = {
        r["row"] + 2
        for r in damage["rows"]
        if r["kind"] == "bad_number" and r["column"] == "item-price"
    }
    assert short
    rejected = [row for row in plain if not row.ok]
    assert {row.line_number for row in rejected} == short
    for row in rejected:
        assert row.reason == f"expected {columns} columns, got {columns - 1}"
        assert row.raw is not None and row.values is None
    assert len(plain) == damage["dataRows"]  # every other row comes back
    refused = {row.line_number for row in checked if row.reason and "item-price" in row.reason}
    assert refused == bad_numbers
    assert all(row.values is None and row.raw for row in checked if not row.ok)
    assert all(isinstance(row, ParsedRow) for row in checked)


def test_expired_document_url_is_renewed_once(world: World) -> None:
    account = world.sellers[0]
    with simulator(world, document_url_ttl_seconds=1) as running:
        client = client_of(running, account)
        report_id = create_report(
            client,
            ALL_ORDERS,
            account.marketplace_ids,
            NOW - timedelta(days=3),
            NOW - timedelta(days=1),
        )
        document_id = wait_for_report(client, report_id, first_delay=0.05)["reportDocumentId"]
        stale = get_report_document(client, document_id)
        time.sleep(2.1)
        rows = list(download_report_rows(client, document_id, document=stale))
    assert rows and all(row.ok for row in rows)
    assert client.stats["getReportDocument"].requests == 2
    assert client.stats["download"].requests == 2


def _download_peak(client: SpApiClient, document_id: str) -> tuple[int, int, int]:
    """(rows, bytes of row text, peak traced memory) of one streamed download."""
    tracemalloc.start()
    try:
        rows = size = 0
        for row in download_report_rows(client, document_id):
            rows += 1
            size += sum(len(v) + 1 for v in (row.values or {}).values())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return rows, size, peak


@pytest.fixture
def big_simulator() -> Iterator[tuple[str, SellerAccount]]:
    """A simulator with many orders a day in its own process, so that tracemalloc here
    sees the client's allocations only."""
    config = WorldConfig(seed=5, sellers=1, history_days=31, orders_per_day=400, now=NOW)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve = (
        "import sys; from simulator.config import SimulatorSettings, WorldConfig; "
        "from simulator.server import serve; from simulator.world import World; "
        "serve(World(WorldConfig.model_validate_json(sys.argv[1])), "
        "SimulatorSettings(rate_scale=100000, report_delay_seconds=0.2), '127.0.0.1', "
        "int(sys.argv[2]))"
    )
    command = [sys.executable, "-c", serve, config.model_dump_json(), str(port)]
    process = subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/_simulator/health", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"simulator did not start: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.1)
        yield url, World(config).sellers[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.slow
def test_report_download_memory_does_not_grow_with_size(
    big_simulator: tuple[str, SellerAccount],
) -> None:
    url, account = big_simulator
    seller = SellerConfig.model_validate(
        {
            "seller_id": account.seller_id,
            "region": "NA",
            "marketplace_ids": list(account.marketplace_ids),
            "endpoint": url,
            "token_url": url + "/auth/o2/token",
            "credentials": {
                "client_id": account.client_id,
                "client_secret": account.client_secret,
                "refresh_token": account.refresh_token,
            },
        }
    )
    client = SpApiClient(seller, backoff_max=0.05)
    peaks = []
    for days in (2, 30):
        start = NOW - timedelta(days=days)
        report_id = create_report(client, ALL_ORDERS, account.marketplace_ids, start, NOW)
        document_id = wait_for_report(client, report_id, first_delay=0.05)["reportDocumentId"]
        peaks.append(_download_peak(client, document_id))
    (small_rows, _, small_peak), (big_rows, big_size, big_peak) = peaks
    assert big_rows > 8 * small_rows and big_size > 3_000_000
    # Streaming: a 15 times larger document needs no more memory than the small one.
    assert big_peak < 1.5 * small_peak
    assert big_peak < 512 * 1024


def test_a_plain_document_streams_to_its_end(world: World, sim: RunningSimulator) -> None:
    """Settlement documents come uncompressed (no compressionAlgorithm): read line by line
    to the last one, not stopped by the response closing itself once fully read."""
    account = world.sellers[0]
    client = client_of(sim, account)
    listed = client.get_json(
        "getReports",
        "/reports/2021-06-30/reports",
        {"reportTypes": "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2", "pageSize": 100},
    )["reports"]
    assert listed
    for report in listed:
        document_id = report["reportDocumentId"]
        assert "compressionAlgorithm" not in get_report_document(client, document_id)
        rows = list(download_report_rows(client, document_id))
        group = next(
            g
            for g in world.settlement_groups(account)
            if g.start.strftime("%Y-%m-%dT%H:%M:%SZ") == report["dataStartTime"]
        )
        expected = list(world.settlement_report_rows(account, group.group_id))
        assert [row.values for row in rows] == [
            {column: row.get(column, "") for column in rows[0].values or {}} for row in expected
        ]
