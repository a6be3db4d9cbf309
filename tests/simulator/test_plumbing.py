"""The simulator's HTTP plumbing, over real HTTP on loopback: LWA, auth, rate limits,
headers, request log, faults, static sandbox, and the model-derived routing tables.

The plumbing only relies on the world's sellers and clock; data endpoints come from a tiny
test router that echoes what the middleware put on the request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from fastapi import APIRouter, Request

from simulator import sandbox, spec
from simulator.app import http_date
from simulator.auth import EXPIRED_TOKEN, INVALID_TOKEN, MISSING_TOKEN
from simulator.config import (
    FaultConfig,
    SellerAccount,
    SimulatorSettings,
    WorldConfig,
)
from simulator.server import RunningSimulator
from simulator.world import World

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _world(sellers: int = 2) -> World:
    """A real world; the plumbing tests only use its sellers and clock."""
    return World(WorldConfig(seed=11, sellers=sellers, history_days=5, orders_per_day=2, now=NOW))


def _echo(request: Request) -> dict[str, Any]:
    op = request.state.operation
    return {
        "seller_id": request.state.seller.seller_id,
        "operation": [op.model, op.operation_id],
        "path_params": request.state.path_params,
    }


def _test_router() -> APIRouter:
    """Stand-ins for data routes: they echo what the middleware put on request.state."""
    router = APIRouter()

    @router.get("/orders/2026-01-01/orders/{orderId}")
    def get_order(request: Request, orderId: str) -> dict[str, Any]:
        return _echo(request)

    @router.get("/fba/inventory/v1/summaries")
    def summaries(request: Request) -> dict[str, Any]:
        return _echo(request)

    @router.post("/reports/2021-06-30/reports", status_code=202)
    async def create_report(request: Request) -> dict[str, Any]:
        return {"reportId": "R1", "echo": await request.json()}

    @router.get("/orders/v0/orders/{orderId}")
    def boom(orderId: str) -> None:
        raise RuntimeError("a bug in a data route")

    return router


@pytest.fixture
def world() -> World:
    """A fresh world; its sellers equal the shared simulator's (same config)."""
    return _world()


def _start(world: World, **settings: Any) -> RunningSimulator:
    return RunningSimulator(world, SimulatorSettings(**settings), routers=[_test_router()])


@pytest.fixture(scope="module")
def _shared() -> Iterator[tuple[RunningSimulator, World]]:
    shared_world = _world()
    with _start(shared_world) as running:
        yield running, shared_world


@pytest.fixture
def sim(_shared: tuple[RunningSimulator, World]) -> RunningSimulator:
    """A default-settings simulator shared by the module, reset for each test.

    Starting a server per test costs ~0.15 s; resetting the clock, the log and the token
    buckets gives each test the same starting point for almost nothing.
    """
    running, shared_world = _shared
    shared_world.set_now(NOW)
    running.app.state.request_log.clear()
    running.app.state.rate_limiter.reset()
    return running


def _lwa(sim: RunningSimulator, **fields: str) -> requests.Response:
    return requests.post(sim.base_url + "/auth/o2/token", data=fields, timeout=5)


def _login(sim: RunningSimulator, seller: SellerAccount) -> str:
    response = _lwa(
        sim,
        grant_type="refresh_token",
        refresh_token=seller.refresh_token,
        client_id=seller.client_id,
        client_secret=seller.client_secret,
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _get(sim: RunningSimulator, path: str, token: str | None, **params: Any) -> requests.Response:
    headers = {"x-amz-access-token": token} if token is not None else {}
    return requests.get(sim.base_url + path, headers=headers, params=params, timeout=10)


def _error(response: requests.Response) -> dict[str, Any]:
    errors = response.json()["errors"]
    assert len(errors) == 1
    error: dict[str, Any] = errors[0]
    return error


# -- models -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "operation_id", "expected"),
    [
        ("orders_2026-01-01", "searchOrders", (0.0056, 20)),
        ("ordersV0", "getOrders", (0.0167, 20)),
        ("financesV0", "listFinancialEventGroups", (0.5, 30)),
        ("fulfillmentInboundV0", "getShipments", (2.0, 30)),
        ("reports_2021-06-30", "createReport", (0.0167, 15)),
        # Its table is headed "**Usage plan:**", lower-case p.
        ("finances_2024-06-19", "listTransactions", (0.5, 10)),
    ],
)
def test_usage_plans_come_from_the_models(
    model: str, operation_id: str, expected: tuple[float, int]
) -> None:
    op = spec.get_operation(model, operation_id)
    assert (op.rate, op.burst) == expected


def test_every_operation_with_a_plan_table_is_parsed() -> None:
    for op in spec.operations():
        has_table = "usage plan" in op.raw.get("description", "").lower()
        assert (op.rate is not None) == has_table, op
    # The three sandbox-only FBA Inventory operations have no usage plan at all.
    assert {op.operation_id for op in spec.operations() if op.rate is None} == {
        "createInventoryItem",
        "deleteInventoryItem",
        "addInventory",
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/orders/v0/orders/111-1", ("ordersV0", "getOrder", {"orderId": "111-1"})),
        (
            "GET",
            "/orders/2026-01-01/orders/111-1",
            ("orders_2026-01-01", "getOrder", {"orderId": "111-1"}),
        ),
        ("GET", "/orders/2026-01-01/orders", ("orders_2026-01-01", "searchOrders", {})),
        ("GET", "/fba/inbound/v0/shipmentItems", ("fulfillmentInboundV0", "getShipmentItems", {})),
        (
            "GET",
            "/fba/inbound/v0/shipments/FBA1/items",
            ("fulfillmentInboundV0", "getShipmentItemsByShipmentId", {"shipmentId": "FBA1"}),
        ),
        ("POST", "/fba/inventory/v1/items/inventory", ("fbaInventory", "addInventory", {})),
        (
            "DELETE",
            "/fba/inventory/v1/items/inventory",
            ("fbaInventory", "deleteInventoryItem", {"sellerSku": "inventory"}),
        ),
        (
            "GET",
            "/orders/v0/orders/1/orderItems/buyerInfo",
            ("ordersV0", "getOrderItemsBuyerInfo", {"orderId": "1"}),
        ),
        ("GET", "/reports/2021-06-30/reports/", ("reports_2021-06-30", "getReports", {})),
        ("get", "/finances/v0/financialEvents", ("financesV0", "listFinancialEvents", {})),
        ("PUT", "/orders/v0/orders/1", None),
        ("GET", "/fba/inbound/v0/shipments/FBA1", None),
        ("GET", "/orders/v0", None),
        ("GET", "/", None),
    ],
)
def test_match_operation(method: str, path: str, expected: tuple[str, str, dict] | None) -> None:
    found = spec.match_operation(method, path)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        op, params = found
        assert (op.model, op.operation_id, params) == expected


def test_every_template_routes_back_to_its_operation() -> None:
    for op in spec.operations():
        concrete = op.path.replace("{", "v-").replace("}", "")
        found = spec.match_operation(op.method, concrete)
        assert found is not None and found[0] == op, op.path


def test_literal_segments_sort_before_parameters() -> None:
    for entries in spec._route_table().values():
        keys = [spec_key for spec_key, _segments, _op in entries]
        assert keys == sorted(keys)


def test_validate_response_reports_the_failure() -> None:
    spec.validate_response(
        "reports_2021-06-30", "createReport", 202, {"reportId": "ID323"}
    )  # passes
    with pytest.raises(spec.ResponseValidationError, match="reportId"):
        spec.validate_response("reports_2021-06-30", "createReport", 202, {})
    with pytest.raises(spec.ResponseValidationError, match="date-time"):
        spec.validate_response(
            "reports_2021-06-30",
            "getReport",
            200,
            {
                "reportId": "1",
                "reportType": "T",
                "processingStatus": "DONE",
                "createdTime": "yesterday",
            },
        )


# -- LWA --------------------------------------------------------------------------------


def test_lwa_exchanges_a_refresh_token(sim: RunningSimulator, world: World) -> None:
    seller = world.sellers[0]
    response = _lwa(
        sim,
        grant_type="refresh_token",
        refresh_token=seller.refresh_token,
        client_id=seller.client_id,
        client_secret=seller.client_secret,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["access_token"].startswith("Atza|")
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"] == seller.refresh_token
    # Each exchange issues a fresh token.
    assert _login(sim, seller) != body["access_token"]


def test_lwa_accepts_json_too(sim: RunningSimulator, world: World) -> None:
    seller = world.sellers[1]
    response = requests.post(
        sim.base_url + "/auth/o2/token",
        json={
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token,
            "client_id": seller.client_id,
            "client_secret": seller.client_secret,
        },
        timeout=5,
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_id": "amzn1.application-oa2-client.unknown"}, 401, "invalid_client"),
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"refresh_token": "Atzr|unknown"}, 400, "invalid_grant"),
        ({"refresh_token": "<other seller's>"}, 400, "invalid_grant"),
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({"grant_type": None}, 400, "invalid_request"),
        ({"refresh_token": None}, 400, "invalid_request"),
        ({"client_secret": None}, 400, "invalid_request"),
        ({"client_id": None}, 400, "invalid_request"),
    ],
)
def test_lwa_errors(
    sim: RunningSimulator,
    world: World,
    change: dict[str, str | None],
    status: int,
    error: str,
) -> None:
    seller, other = world.sellers
    fields: dict[str, str | None] = {
        "grant_type": "refresh_token",
        "refresh_token": seller.refresh_token,
        "client_id": seller.client_id,
        "client_secret": seller.client_secret,
    }
    fields.update(change)
    if fields["refresh_token"] == "<other seller's>":
        fields["refresh_token"] = other.refresh_token
    response = _lwa(sim, **{k: v for k, v in fields.items() if v is not None})
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert "access_token" not in body


# -- auth, headers, routing -------------------------------------------------------------


def test_authenticated_request_reaches_the_route(sim: RunningSimulator, world: World) -> None:
    token = _login(sim, world.sellers[1])
    response = _get(sim, "/orders/2026-01-01/orders/112-3", token)
    assert response.status_code == 200
    assert response.json() == {
        "seller_id": world.sellers[1].seller_id,
        "operation": ["orders_2026-01-01", "getOrder"],
        "path_params": {"orderId": "112-3"},
    }
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["Date"] == "Sun, 01 Mar 2026 12:00:00 GMT"


@pytest.mark.parametrize(
    ("token", "details"),
    [(None, MISSING_TOKEN), ("", MISSING_TOKEN), ("Atza|forged", INVALID_TOKEN)],
)
def test_bad_access_tokens_get_403(sim: RunningSimulator, token: str | None, details: str) -> None:
    response = _get(sim, "/orders/2026-01-01/orders/112-3", token)
    assert response.status_code == 403
    assert _error(response) == {
        "code": "Unauthorized",
        "message": "Access to requested resource is denied.",
        "details": details,
    }
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert response.headers["x-amzn-RequestId"]
    assert response.headers["Date"] == http_date(NOW)


def test_access_tokens_expire(world: World) -> None:
    with _start(world, token_ttl_seconds=1) as sim:
        token = _login(sim, world.sellers[0])
        assert _get(sim, "/orders/2026-01-01/orders/1", token).status_code == 200
        time.sleep(1.05)
        response = _get(sim, "/orders/2026-01-01/orders/1", token)
        assert response.status_code == 403
        assert _error(response)["details"] == EXPIRED_TOKEN
        # A refresh gives a working token again.
        assert _get(sim, "/orders/2026-01-01/orders/1", _login(sim, world.sellers[0])).ok


def test_unknown_paths_answer_404_in_sp_api_shape(sim: RunningSimulator) -> None:
    response = _get(sim, "/orders/v9/nothing", None)
    assert response.status_code == 404
    assert _error(response)["code"] == "NotFound"
    assert response.headers["Date"] == http_date(NOW)
    assert response.headers["x-amzn-RequestId"]


def test_operation_without_a_route_answers_404_after_auth(
    sim: RunningSimulator, world: World
) -> None:
    # getReportSchedules is in the models but the test router does not serve it.
    assert _get(sim, "/reports/2021-06-30/schedules", None).status_code == 403
    response = _get(sim, "/reports/2021-06-30/schedules", _login(sim, world.sellers[0]))
    assert response.status_code == 404
    assert _error(response)["code"] == "NotFound"
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.0222"


def test_a_crashing_route_answers_500_internal_failure(sim: RunningSimulator, world: World) -> None:
    response = _get(sim, "/orders/v0/orders/1", _login(sim, world.sellers[0]))
    assert response.status_code == 500
    assert _error(response)["code"] == "InternalFailure"
    assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"


def test_date_header_follows_the_simulated_clock(sim: RunningSimulator, world: World) -> None:
    assert requests.get(sim.base_url + "/_simulator/clock", timeout=5).json() == {
        "now": NOW.isoformat()
    }
    response = requests.post(
        sim.base_url + "/_simulator/clock", json={"now": "2026-03-02T08:30:00Z"}, timeout=5
    )
    assert response.status_code == 200
    assert sim.app.state.world.now == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert response.headers["Date"] == "Mon, 02 Mar 2026 08:30:00 GMT"
    lwa = _lwa(sim, grant_type="refresh_token")
    assert lwa.headers["Date"] == "Mon, 02 Mar 2026 08:30:00 GMT"
    bad = requests.post(sim.base_url + "/_simulator/clock", json={"now": "soon"}, timeout=5)
    assert bad.status_code == 400
    assert _error(bad)["code"] == "InvalidInput"


def test_health(sim: RunningSimulator) -> None:
    response = requests.get(sim.base_url + "/_simulator/health", timeout=5)
    assert response.json() == {"status": "ok", "sandbox": False, "sellers": 2, "warm": "idle"}
    assert "x-amzn-RequestId" not in response.headers


# -- rate limits ------------------------------------------------------------------------


def test_rate_limit_burst_then_429_then_refill(world: World) -> None:
    # getInventorySummaries is 2 req/s, burst 2; scaled by 5: burst 10, 10 tokens/s.
    with _start(world, rate_scale=5) as sim:
        token = _login(sim, world.sellers[0])
        path = "/fba/inventory/v1/summaries"
        statuses = [_get(sim, path, token).status_code for _ in range(10)]
        assert statuses == [200] * 10
        throttled = _get(sim, path, token)
        assert throttled.status_code == 429
        assert _error(throttled) == {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
        }
        assert throttled.headers["x-amzn-RateLimit-Limit"] == "10"
        assert throttled.headers["x-amzn-RequestId"]
        # Buckets are per seller and per operation.
        assert _get(sim, path, _login(sim, world.sellers[1])).status_code == 200
        assert _get(sim, "/orders/2026-01-01/orders/1", token).status_code == 200
        time.sleep(0.25)  # >= 2 tokens back at 10/s
        assert _get(sim, path, token).status_code == 200


def test_scaled_header_is_a_plain_decimal(world: World) -> None:
    with _start(world, rate_scale=0.5) as sim:
        response = _get(sim, "/orders/2026-01-01/orders/1", None)
        assert response.headers["x-amzn-RateLimit-Limit"] == "0.25"


# -- request log ------------------------------------------------------------------------


def test_request_log_records_operations_but_never_secrets(world: World, tmp_path: Path) -> None:
    log_file = tmp_path / "requests.jsonl"
    seller = world.sellers[0]
    with _start(world, request_log_path=log_file) as sim:
        token = _login(sim, seller)
        _get(sim, "/fba/inventory/v1/summaries", token, marketplaceIds="ATVPDKIKX0DER,X")
        requests.post(
            sim.base_url + "/reports/2021-06-30/reports",
            headers={"x-amz-access-token": token},
            json={"reportType": "GET_X", "marketplaceIds": ["ATVPDKIKX0DER"]},
            timeout=5,
        )
        _get(sim, "/orders/2026-01-01/orders/1", "Atza|forged")
        # Credentials misplaced in an LWA query string are not recorded either.
        requests.post(
            sim.base_url + "/auth/o2/token",
            params={"client_secret": seller.client_secret, "refresh_token": seller.refresh_token},
            timeout=5,
        )
        records = requests.get(sim.base_url + "/_simulator/requests", timeout=5).json()
        assert [(r["operation_id"], r["status"]) for r in records] == [
            (None, 200),  # LWA
            ("getInventorySummaries", 200),
            ("createReport", 202),
            ("getOrder", 403),
            (None, 400),  # LWA without a form
        ]
        lwa, summaries, create, forged, misplaced = records
        assert lwa["path"] == "/auth/o2/token" and lwa["body"] is None
        assert summaries["seller_id"] == seller.seller_id
        assert summaries["model"] == "fbaInventory"
        assert summaries["query"] == {"marketplaceIds": ["ATVPDKIKX0DER,X"]}
        assert summaries["method"] == "GET"
        assert summaries["duration_ms"] >= 0
        assert datetime.fromisoformat(summaries["time"]).tzinfo is not None
        assert create["body"] == {"reportType": "GET_X", "marketplaceIds": ["ATVPDKIKX0DER"]}
        assert forged["seller_id"] is None
        assert misplaced["query"] == {}

        only = requests.get(
            sim.base_url + "/_simulator/requests", params={"operation": "createReport"}, timeout=5
        ).json()
        assert [r["operation_id"] for r in only] == ["createReport"]

        everything = json.dumps(records) + log_file.read_text()
        for secret in (token, seller.refresh_token, seller.client_secret, "Atza|forged"):
            assert secret not in everything
        assert len(log_file.read_text().splitlines()) == 5

        cleared = requests.delete(sim.base_url + "/_simulator/requests", timeout=5)
        assert cleared.json() == {"deleted": 5}
        assert requests.get(sim.base_url + "/_simulator/requests", timeout=5).json() == []


# -- faults -----------------------------------------------------------------------------


def test_revocation_fault_turns_refresh_into_invalid_grant(world: World) -> None:
    faults = FaultConfig(revoke_after_requests=2)
    with _start(world, faults=faults) as sim:
        seller = world.sellers[0]
        token = _login(sim, seller)
        assert _get(sim, "/orders/2026-01-01/orders/1", token).ok
        _login(sim, seller)  # LWA calls do not count as SP-API requests
        assert _get(sim, "/orders/2026-01-01/orders/2", token).ok
        response = _lwa(
            sim,
            grant_type="refresh_token",
            refresh_token=seller.refresh_token,
            client_id=seller.client_id,
            client_secret=seller.client_secret,
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        # Issued access tokens live on until they expire.
        assert _get(sim, "/orders/2026-01-01/orders/3", token).ok


def test_expiry_fault_expires_access_tokens_once(world: World) -> None:
    faults = FaultConfig(expire_tokens_after_requests=2)
    with _start(world, faults=faults) as sim:
        token = _login(sim, world.sellers[0])
        assert _get(sim, "/orders/2026-01-01/orders/1", token).ok
        assert _get(sim, "/orders/2026-01-01/orders/2", token).ok
        response = _get(sim, "/orders/2026-01-01/orders/3", token)
        assert response.status_code == 403
        assert _error(response)["details"] == EXPIRED_TOKEN
        fresh = _login(sim, world.sellers[0])
        assert all(_get(sim, "/orders/2026-01-01/orders/4", fresh).ok for _ in range(3))


def _fault_statuses(world: World, faults: FaultConfig, count: int) -> list[int]:
    with _start(world, faults=faults, rate_scale=100) as sim:
        token = _login(sim, world.sellers[0])
        return [_get(sim, "/orders/2026-01-01/orders/1", token).status_code for _ in range(count)]


def test_random_faults_are_deterministic_per_seed(world: World) -> None:
    faults = FaultConfig(rate_429=0.2, rate_5xx=0.2)
    first = _fault_statuses(world, faults, 40)
    assert _fault_statuses(world, faults, 40) == first
    assert {200, 429} <= set(first)
    assert set(first) & {500, 503}
    assert set(first) <= {200, 429, 500, 503}


def test_fault_errors_have_sp_api_shape_and_headers(world: World) -> None:
    with _start(world, faults=FaultConfig(rate_5xx=1.0)) as sim:
        response = _get(sim, "/orders/2026-01-01/orders/1", _login(sim, world.sellers[0]))
        assert response.status_code in (500, 503)
        assert _error(response)["code"] in ("InternalFailure", "ServiceUnavailable")
        assert response.headers["x-amzn-RateLimit-Limit"] == "0.5"
        # Admin and LWA paths are never faulted.
        assert requests.get(sim.base_url + "/_simulator/health", timeout=5).ok
        _login(sim, world.sellers[0])


def test_slow_fault_delays_the_answer(world: World) -> None:
    with _start(world, faults=FaultConfig(rate_slow=1.0, slow_seconds=0.3)) as sim:
        token = _login(sim, world.sellers[0])
        started = time.perf_counter()
        assert _get(sim, "/orders/2026-01-01/orders/1", token).ok
        assert time.perf_counter() - started >= 0.3


# -- sandbox ----------------------------------------------------------------------------

# Sandbox 2xx bodies that fail their own operation's response schema (model findings).
INVALID_SANDBOX_BODIES = {
    # `asOfDate` is "2025-01-12", but the schema says format date-time.
    ("finances_2024-06-19", "listBalances", 1),
    # `periodStart` / `periodEnd` are "2025-01-12", but the schema says format date-time.
    ("finances_2024-06-19", "listSummary", 0),
    # InboundShipmentInfo requires AreCasesRequired; the example's ShipmentData[0] lacks it.
    ("fulfillmentInboundV0", "getShipments", 0),
}


def _sandbox_request(
    op: spec.Operation, example: sandbox.SandboxExample
) -> tuple[str, dict[str, list[str]], Any, dict[str, str]]:
    declared = {p["name"]: p for p in op.parameters}
    path = op.path
    query: dict[str, list[str]] = {}
    body: Any = None
    headers: dict[str, str] = {}
    for name, value in example.parameters.items():
        where = declared.get(name, {}).get("in", "body" if name == "body" else "query")
        if where == "path":
            path = path.replace("{" + name + "}", str(value))
        elif where == "body":
            body = value
        elif where == "header":
            headers[name] = str(value)
        elif isinstance(value, list):
            query[name] = [",".join(str(v) for v in value)]
        elif isinstance(value, bool):
            query[name] = ["true" if value else "false"]
        else:
            query[name] = [str(value)]
    # Examples that leave a path parameter out (cancelReport's 400) match any value.
    for name, param in declared.items():
        if param.get("in") == "path":
            path = path.replace("{" + name + "}", "sandbox-placeholder")
    return path, query, body, headers


def test_sandbox_serves_every_static_example(world: World) -> None:
    examples = [(op, ex) for op in spec.operations() for ex in sandbox.examples(op)]
    assert len(examples) == 88
    assert {op.model for op, _ in examples} == set(spec.model_names()) - {"fbaInventory"}
    invalid = set()
    with _start(world, sandbox=True, rate_scale=10) as sim:
        token = _login(sim, world.sellers[0])
        session = requests.Session()
        for op, example in examples:
            path, query, body, headers = _sandbox_request(op, example)
            response = session.request(
                op.method,
                sim.base_url + path,
                params=query,
                json=body,
                headers={"x-amz-access-token": token, **headers},
                timeout=10,
            )
            where = f"{op.model}.{op.operation_id} example {example.index}"
            assert response.status_code == example.status, (where, response.text)
            assert response.headers["x-amzn-RateLimit-Limit"] == "50", where
            if example.response is None or example.status == 204:
                assert response.content == b"", where
                continue
            assert response.json() == example.response, where
            if example.status in (200, 201, 202):
                key = (op.model, op.operation_id, example.index)
                try:
                    spec.validate_response(*key[:2], example.status, response.json())
                except spec.ResponseValidationError:
                    invalid.add(key)
    assert invalid == INVALID_SANDBOX_BODIES


def test_sandbox_matching_rules(world: World) -> None:
    with _start(world, sandbox=True) as sim:
        token = _login(sim, world.sellers[0])
        path = "/orders/v0/orders"
        base = {"CreatedAfter": "TEST_CASE_200_NEXT_TOKEN"}
        # Repeated values match a list parameter as well as a comma-separated one.
        repeated = requests.get(
            sim.base_url + path,
            params=[*base.items(), ("MarketplaceIds", "ATVPDKIKX0DER")],
            headers={"x-amz-access-token": token},
            timeout=5,
        )
        assert repeated.status_code == 200
        assert repeated.json()["payload"]["NextToken"] == "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
        # With NextToken, the more specific next-page example wins.
        page2 = _get(
            sim,
            path,
            token,
            MarketplaceIds="ATVPDKIKX0DER",
            NextToken="2YgYW55IGNhcm5hbCBwbGVhc3VyZS4",
            **base,
        )
        assert page2.status_code == 200
        assert "NextToken" not in page2.json()["payload"]
        # getShipmentItems's examples send QueryType=SHIPMENT (outside its enum): served as is.
        items = _get(
            sim,
            "/fba/inbound/v0/shipmentItems",
            token,
            MarketplaceId="ATVPDKIKX0DER",
            QueryType="SHIPMENT",
            NextToken="NextToken",
        )
        assert items.status_code == 200
        # No example matches: 400 InvalidInput, as Amazon's sandbox answers.
        nothing = _get(sim, path, token, CreatedAfter="2026-01-01T00:00:00Z")
        assert nothing.status_code == 400
        assert _error(nothing)["code"] == "InvalidInput"
        assert "no sandbox example" in _error(nothing)["message"]
        # fbaInventory has only a dynamic sandbox: nothing static to serve.
        inventory = _get(sim, "/fba/inventory/v1/summaries", token)
        assert inventory.status_code == 400
        # Auth still applies.
        assert _get(sim, path, None, **base).status_code == 403


def test_sandbox_throttles_at_5_per_second_burst_15(world: World) -> None:
    with _start(world, sandbox=True) as sim:
        token = _login(sim, world.sellers[0])
        statuses = [
            _get(sim, "/reports/2021-06-30/reports/ID323", token).status_code for _ in range(16)
        ]
        assert statuses == [200] * 15 + [429]
