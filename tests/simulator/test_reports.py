"""Reports API 2021-06-30 of the simulator, over real HTTP on loopback.

Every 200/202 body is validated against the vendored model; documents are downloaded from
the presigned URL, gunzipped and parsed as the client would.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from simulator.config import FaultConfig, SellerAccount, SimulatorSettings, WorldConfig
from simulator.report_formats import (
    ALL_ORDERS_BY_LAST_UPDATE,
    BAD_NUMBER,
    CUSTOMER_RETURNS,
    FORMATS,
    FULFILLED_SHIPMENTS,
    REIMBURSEMENTS,
    SETTLEMENT_V2,
    UNKNOWN_ENUM,
    MalformedRow,
    malformed_lines,
    tsv_lines,
)
from simulator.routes import reports
from simulator.server import RunningSimulator
from simulator.spec import validate_response
from simulator.world import World

MODEL = "reports_2021-06-30"
BASE = "/reports/2021-06-30"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
US = "ATVPDKIKX0DER"
TERMINAL = {"DONE", "CANCELLED", "FATAL"}


def make_world() -> World:
    return World(WorldConfig(seed=7, sellers=2, history_days=40, orders_per_day=5, now=NOW))


class Api:
    """A tiny SP-API client for one seller of a running simulator."""

    def __init__(self, sim: RunningSimulator, seller: SellerAccount) -> None:
        self.base = sim.base_url
        form = {
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token,
            "client_id": seller.client_id,
            "client_secret": seller.client_secret,
        }
        token = requests.post(self.base + "/auth/o2/token", data=form, timeout=5).json()
        self.headers = {"x-amz-access-token": token["access_token"]}

    def call(
        self, method: str, path: str, op: str, expect: int = 200, **kwargs: Any
    ) -> requests.Response:
        """Send a request, check the status and, for 200/202, the body against the model."""
        response = requests.request(
            method, self.base + path, headers=self.headers, timeout=10, **kwargs
        )
        assert response.status_code == expect, response.text
        if expect in (200, 202) and response.content:
            validate_response(MODEL, op, expect, response.json())
        return response

    def create(self, report_type: str, start: datetime, end: datetime, expect: int = 202) -> Any:
        body = {
            "reportType": report_type,
            "marketplaceIds": [US],
            "dataStartTime": start.isoformat(),
            "dataEndTime": end.isoformat(),
        }
        return self.call("POST", f"{BASE}/reports", "createReport", expect, json=body).json()

    def report(self, report_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"{BASE}/reports/{report_id}", "getReport").json())

    def wait(self, report_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Poll getReport until the report is CANCELLED, DONE or FATAL."""
        deadline = time.monotonic() + timeout
        while True:
            report = self.report(report_id)
            if report["processingStatus"] in TERMINAL:
                return report
            assert time.monotonic() < deadline, report
            time.sleep(0.02)

    def document(self, document_id: str, **params: str) -> dict[str, Any]:
        path = f"{BASE}/documents/{document_id}"
        return dict(self.call("GET", path, "getReportDocument", params=params).json())

    def download(self, document_id: str) -> list[list[str]]:
        """The document as rows of cells, header first, fetched without the SP-API token."""
        document = self.document(document_id)
        response = requests.get(document["url"], timeout=10)
        assert response.status_code == 200, response.text
        data = response.content
        if document.get("compressionAlgorithm") == "GZIP":  # settlement documents are plain
            data = gzip.decompress(data)
        text = data.decode("utf-8")
        assert text.endswith("\n")
        return [line.split("\t") for line in text[:-1].split("\n")]

    def report_document(self, report_type: str, start: datetime, end: datetime) -> list[list[str]]:
        report = self.wait(self.create(report_type, start, end)["reportId"])
        assert report["processingStatus"] == "DONE", report
        return self.download(report["reportDocumentId"])


def _serve(**settings: Any) -> RunningSimulator:
    defaults: dict[str, Any] = {"report_delay_seconds": 0.0, "rate_scale": 1000.0}
    return RunningSimulator(
        make_world(), SimulatorSettings(**(defaults | settings)), routers=[reports.router]
    )


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with _serve() as running:
        yield running


@pytest.fixture(scope="module")
def slow_api() -> Iterator[Api]:
    """A seller of a simulator whose reports take 0.45 s: IN_QUEUE 0.15 s, IN_PROGRESS 0.3 s."""
    with _serve(report_delay_seconds=0.45) as running:
        yield Api(running, running.app.state.world.sellers[0])


@pytest.fixture(scope="module")
def faulty() -> Iterator[RunningSimulator]:
    """A simulator with every report fault on and 1-second document URLs.

    Only the FATAL test creates CUSTOMER_RETURNS reports here, so "the first one" is its own.
    """
    faults = FaultConfig(
        fatal_reports=1, fatal_report_types=[CUSTOMER_RETURNS], malformed_row_rate=0.2
    )
    with _serve(faults=faults, document_url_ttl_seconds=1) as running:
        yield running


@pytest.fixture(scope="module")
def world(sim: RunningSimulator) -> World:
    world: World = sim.app.state.world
    return world


@pytest.fixture(scope="module")
def api(sim: RunningSimulator, world: World) -> Api:
    return Api(sim, world.sellers[0])


@pytest.fixture(scope="module")
def other_api(sim: RunningSimulator, world: World) -> Api:
    return Api(sim, world.sellers[1])


LAST_30_DAYS = (NOW - timedelta(days=30), NOW)


def test_lifecycle_in_queue_in_progress_done(slow_api: Api) -> None:
    api = slow_api
    report_id = api.create(FULFILLED_SHIPMENTS, *LAST_30_DAYS)["reportId"]
    assert report_id.isdigit()
    seen: list[str] = []
    report = api.report(report_id)
    while report["processingStatus"] not in TERMINAL:
        if not seen or seen[-1] != report["processingStatus"]:
            seen.append(report["processingStatus"])
        if report["processingStatus"] == "IN_PROGRESS":
            assert "processingStartTime" in report and "processingEndTime" not in report
        time.sleep(0.02)
        report = api.report(report_id)
    assert seen == ["IN_QUEUE", "IN_PROGRESS"]
    assert report["processingStatus"] == "DONE"
    assert report["reportDocumentId"].startswith("amzn1.spdoc.1.4.na.")
    assert report["createdTime"] == "2025-06-01T00:00:00Z"  # the simulated clock
    times = [report[k] for k in ("createdTime", "processingStartTime", "processingEndTime")]
    assert times == sorted(times, key=datetime.fromisoformat)
    assert report["dataStartTime"] == "2025-05-02T00:00:00Z"
    assert report["marketplaceIds"] == [US]


def test_empty_range_is_cancelled_without_document(api: Api) -> None:
    before_history = NOW - timedelta(days=60)
    report_id = api.create(CUSTOMER_RETURNS, before_history, before_history + timedelta(days=5))
    report = api.wait(report_id["reportId"])
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report
    assert "processingEndTime" in report


def test_range_longer_than_allowed_is_accepted_then_fatal(api: Api) -> None:
    too_long = api.create(FULFILLED_SHIPMENTS, NOW - timedelta(days=31), NOW)["reportId"]
    just_right = api.create(ALL_ORDERS_BY_LAST_UPDATE, NOW - timedelta(days=30), NOW)["reportId"]
    fatal = api.wait(too_long)
    assert fatal["processingStatus"] == "FATAL"
    assert "reportDocumentId" not in fatal
    assert api.wait(just_right)["processingStatus"] == "DONE"


def test_cancel_only_in_queue(slow_api: Api) -> None:
    api = slow_api
    report_id = api.create(REIMBURSEMENTS, *LAST_30_DAYS)["reportId"]
    api.call("DELETE", f"{BASE}/reports/{report_id}", "cancelReport")
    cancelled = api.report(report_id)
    assert cancelled["processingStatus"] == "CANCELLED"
    assert "processingStartTime" not in cancelled and "reportDocumentId" not in cancelled
    done_id = api.create(REIMBURSEMENTS, *LAST_30_DAYS)["reportId"]
    assert api.wait(done_id)["processingStatus"] == "DONE"
    api.call("DELETE", f"{BASE}/reports/{done_id}", "cancelReport", expect=400)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"marketplaceIds": [US]}, "reportType"),
        ({"reportType": "GET_NOT_A_REPORT", "marketplaceIds": [US]}, "Invalid Report Type"),
        ({"reportType": FULFILLED_SHIPMENTS, "marketplaceIds": []}, "marketplaceIds"),
        ({"reportType": FULFILLED_SHIPMENTS, "marketplaceIds": ["A1PA6795UKMFR9"]}, "marketplace"),
        (
            {"reportType": FULFILLED_SHIPMENTS, "marketplaceIds": [US], "dataStartTime": "May 1"},
            "dataStartTime",
        ),
        (
            {
                "reportType": FULFILLED_SHIPMENTS,
                "marketplaceIds": [US],
                "dataStartTime": "2025-05-10T00:00:00Z",
                "dataEndTime": "2025-05-01T00:00:00Z",
            },
            "dataStartTime",
        ),
    ],
)
def test_create_report_rejects_bad_input(api: Api, body: dict[str, Any], fragment: str) -> None:
    error = api.call("POST", f"{BASE}/reports", "createReport", 400, json=body).json()
    assert error["errors"][0]["code"] == "InvalidInput"
    assert fragment in error["errors"][0]["message"]


def test_settlement_report_cannot_be_requested(api: Api) -> None:
    body = {"reportType": SETTLEMENT_V2, "marketplaceIds": [US]}
    error = api.call("POST", f"{BASE}/reports", "createReport", 400, json=body).json()
    assert error == {
        "errors": [
            {
                "code": "InvalidInput",
                "message": "Request for report type 1118 is not allowed at this time",
                "details": "",
            }
        ]
    }


def test_settlement_reports_are_listed_for_closed_groups(api: Api, world: World) -> None:
    seller = world.sellers[0]
    closed = [g for g in world.settlement_groups(seller) if g.closed]
    assert closed
    params = {"reportTypes": SETTLEMENT_V2, "pageSize": "100"}
    listed = api.call("GET", f"{BASE}/reports", "getReports", params=params).json()["reports"]
    assert len(listed) == len(closed)
    assert {r["dataEndTime"] for r in listed} == {
        g.end.isoformat().replace("+00:00", "Z") for g in closed
    }
    assert all(r["processingStatus"] == "DONE" for r in listed)
    # Created shortly after the period closes (reports.SETTLEMENT_REPORT_DELAY).
    assert all(r["createdTime"] > r["dataEndTime"] for r in listed)
    again = api.call("GET", f"{BASE}/reports", "getReports", params=params).json()["reports"]
    assert [r["reportId"] for r in again] == [r["reportId"] for r in listed]  # stable ids
    newest = listed[0]
    assert api.report(newest["reportId"]) == newest
    rows = api.download(newest["reportDocumentId"])
    assert rows[0] == list(FORMATS[SETTLEMENT_V2].columns)
    assert len(rows[0]) == 24


@pytest.mark.parametrize(
    ("report_type", "width"),
    [
        (FULFILLED_SHIPMENTS, 48),
        (CUSTOMER_RETURNS, 13),
        (ALL_ORDERS_BY_LAST_UPDATE, 32),
        (REIMBURSEMENTS, 18),
    ],
)
def test_document_header_is_the_exact_column_list(api: Api, report_type: str, width: int) -> None:
    rows = api.report_document(report_type, *LAST_30_DAYS)
    assert rows[0] == list(FORMATS[report_type].columns)
    assert len(rows[0]) == width
    assert len(rows) > 1
    assert all(len(row) == width for row in rows)


def test_content_encoding_header_lets_http_clients_decompress(api: Api) -> None:
    report = api.wait(api.create(CUSTOMER_RETURNS, *LAST_30_DAYS)["reportId"])
    document = api.document(report["reportDocumentId"], enableContentEncodingUrlHeader="true")
    assert document["compressionAlgorithm"] == "GZIP"
    response = requests.get(document["url"], timeout=10)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.text.split("\n")[0].split("\t") == list(FORMATS[CUSTOMER_RETURNS].columns)


def test_get_reports_pages_and_next_token_must_be_alone(api: Api, sim: RunningSimulator) -> None:
    seller = Api(sim, sim.app.state.world.sellers[1])  # a seller with no reports yet
    created = {seller.create(CUSTOMER_RETURNS, *LAST_30_DAYS)["reportId"] for _ in range(3)}
    params = {"reportTypes": CUSTOMER_RETURNS, "pageSize": "2"}
    first = seller.call("GET", f"{BASE}/reports", "getReports", params=params).json()
    assert len(first["reports"]) == 2 and first["nextToken"]
    mixed = {"nextToken": first["nextToken"], "reportTypes": CUSTOMER_RETURNS}
    error = seller.call("GET", f"{BASE}/reports", "getReports", 400, params=mixed).json()
    assert error["errors"][0]["code"] == "InvalidInput"
    token_only = {"nextToken": first["nextToken"]}
    second = seller.call("GET", f"{BASE}/reports", "getReports", params=token_only).json()
    assert "nextToken" not in second
    ids = [r["reportId"] for r in first["reports"] + second["reports"]]
    assert sorted(ids) == sorted(created)
    assert ids == sorted(ids, reverse=True)  # newest first
    seller.call("GET", f"{BASE}/reports", "getReports", 400, params={"pageSize": "5"})
    bad_size = {"reportTypes": CUSTOMER_RETURNS, "pageSize": "101"}
    seller.call("GET", f"{BASE}/reports", "getReports", 400, params=bad_size)
    statuses = {"reportTypes": CUSTOMER_RETURNS, "processingStatuses": "FATAL"}
    none = seller.call("GET", f"{BASE}/reports", "getReports", params=statuses).json()
    assert none == {"reports": []}


def test_another_sellers_report_is_not_found(api: Api, other_api: Api) -> None:
    report = api.wait(api.create(CUSTOMER_RETURNS, *LAST_30_DAYS)["reportId"])
    error = other_api.call("GET", f"{BASE}/reports/{report['reportId']}", "getReport", 404).json()
    assert error["errors"][0]["code"] == "NotFound"
    path = f"{BASE}/documents/{report['reportDocumentId']}"
    other_api.call("GET", path, "getReportDocument", 404)
    other_api.call("DELETE", f"{BASE}/reports/{report['reportId']}", "cancelReport", 404)
    params = {"reportTypes": CUSTOMER_RETURNS, "pageSize": "100"}
    listed = other_api.call("GET", f"{BASE}/reports", "getReports", params=params).json()
    assert report["reportId"] not in {r["reportId"] for r in listed["reports"]}


def test_fatal_reports_fault_hits_the_first_n_of_the_listed_types(
    faulty: RunningSimulator,
) -> None:
    api = Api(faulty, faulty.app.state.world.sellers[0])
    other_type = api.create(FULFILLED_SHIPMENTS, *LAST_30_DAYS)["reportId"]
    first = api.create(CUSTOMER_RETURNS, *LAST_30_DAYS)["reportId"]
    second = api.create(CUSTOMER_RETURNS, *LAST_30_DAYS)["reportId"]
    assert api.wait(other_type)["processingStatus"] == "DONE"
    assert api.wait(first)["processingStatus"] == "FATAL"
    assert "reportDocumentId" not in api.report(first)
    assert api.wait(second)["processingStatus"] == "DONE"


def test_document_url_expires_and_rejects_tampering(faulty: RunningSimulator) -> None:
    running = faulty
    api = Api(running, running.app.state.world.sellers[0])
    report = api.wait(api.create(REIMBURSEMENTS, *LAST_30_DAYS)["reportId"])
    url = api.document(report["reportDocumentId"])["url"]
    assert url.startswith(running.base_url + "/_simulator/documents/")
    assert requests.get(url, timeout=5).status_code == 200
    tampered = url.replace("encoding=identity", "encoding=gzip")
    forged = requests.get(tampered, timeout=5)
    assert forged.status_code == 403 and "SignatureDoesNotMatch" in forged.text
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    expired = requests.get(url, timeout=5)
    assert expired.status_code == 403
    assert "<Code>AccessDenied</Code>" in expired.text and "Request has expired" in expired.text


def test_malformed_rows_match_the_admin_endpoint(faulty: RunningSimulator) -> None:
    running = faulty
    api = Api(running, running.app.state.world.sellers[0])
    report = api.wait(api.create(FULFILLED_SHIPMENTS, *LAST_30_DAYS)["reportId"])
    admin_url = f"{running.base_url}/_simulator/reports/{report['reportId']}/malformed"
    before = requests.get(admin_url, timeout=5).json()  # computed before any download
    rows = api.download(report["reportDocumentId"])
    after = requests.get(admin_url, timeout=5).json()
    assert before == after
    columns = FORMATS[FULFILLED_SHIPMENTS].columns
    price, channel = columns.index("item-price"), columns.index("fulfillment-channel")
    data = rows[1:]
    found = {
        "wrong_column_count": {i for i, r in enumerate(data) if len(r) != len(columns)},
        "bad_number": {
            i for i, r in enumerate(data) if len(r) == len(columns) and r[price] == BAD_NUMBER
        },
        "unknown_enum": {
            i for i, r in enumerate(data) if len(r) == len(columns) and r[channel] == UNKNOWN_ENUM
        },
    }
    reported = {kind: {r["row"] for r in after["rows"] if r["kind"] == kind} for kind in found}
    assert reported == found
    assert after["dataRows"] == len(data)
    assert after["count"] == sum(len(v) for v in found.values()) > 0
    assert all(found.values())  # the three kinds all occur
    assert 0.1 < after["count"] / len(data) < 0.3


def test_tsv_lines_keep_one_row_per_line_whatever_the_values() -> None:
    rows = [{"a": "tab\there", "b": "two\nlines\r\n"}, {"b": "only b"}]
    assert list(tsv_lines(rows, ("a", "b"))) == [
        "a\tb\n",
        "tab here\ttwo lines  \n",
        "\tonly b\n",
    ]


def test_malformed_rows_never_touch_the_settlement_summary_row() -> None:
    fmt = FORMATS[SETTLEMENT_V2]
    rows = [{"settlement-id": str(i), "amount": "1.00"} for i in range(200)]
    record: list[MalformedRow] = []
    lines = list(malformed_lines(rows, fmt, seed=7, report_id="1", rate=1.0, record=record))
    assert len(lines) == 201 and lines[1].count("\t") == len(fmt.columns) - 1
    assert [r.row for r in record] == list(range(1, 200))
    assert [r.kind for r in record[:4]] == [
        "wrong_column_count",
        "bad_number",
        "unknown_enum",
        "wrong_column_count",
    ]
