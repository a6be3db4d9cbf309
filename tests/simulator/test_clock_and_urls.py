"""The simulator serves any client: document URLs ignore the Host header, and the request
clock follows the wall clock unless pinned (issue 14.8)."""

from __future__ import annotations

import gzip
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests

from simulator.config import SimulatorSettings, WorldConfig
from simulator.server import RunningSimulator
from simulator.truth import world_truth
from simulator.world import World
from tests.simulator.spapi import Client

REPORTS = "/reports/2021-06-30"
ORDERS_V0 = "/orders/v0/orders"
US = "ATVPDKIKX0DER"
PINNED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# python-amazon-sp-api sends the production host whatever endpoint it is pointed at.
WRONG_HOST = "sellingpartnerapi-na.amazon.com"


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _small(**values: object) -> WorldConfig:
    return WorldConfig(seed=3, sellers=1, history_days=10, orders_per_day=4, **values)  # type: ignore[arg-type]


def _done_document(client: Client, headers: dict[str, str]) -> str:
    body = {
        "reportType": "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
        "marketplaceIds": [US],
        "dataStartTime": (PINNED - timedelta(days=9)).isoformat(),
        "dataEndTime": (PINNED - timedelta(hours=1)).isoformat(),
    }
    auth = {"x-amz-access-token": client.access_token, **headers}
    created = requests.post(
        client.base_url + REPORTS + "/reports", json=body, headers=auth, timeout=10
    )
    assert created.status_code == 202, created.text
    report_id = created.json()["reportId"]
    deadline = time.monotonic() + 5
    while True:
        report = requests.get(
            f"{client.base_url}{REPORTS}/reports/{report_id}", headers=auth, timeout=10
        ).json()
        if report["processingStatus"] == "DONE":
            return str(report["reportDocumentId"])
        assert time.monotonic() < deadline, report
        time.sleep(0.02)


def test_document_url_does_not_depend_on_the_host_header() -> None:
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0)
    world = World(_small(now=PINNED))
    with RunningSimulator(world, settings) as sim:
        client = Client(sim.base_url, world.sellers[0])
        wrong = {"Host": WRONG_HOST}
        document_id = _done_document(client, wrong)
        document = requests.get(
            f"{sim.base_url}{REPORTS}/documents/{document_id}",
            headers={"x-amz-access-token": client.access_token, **wrong},
            timeout=10,
        ).json()
        assert document["url"].startswith(sim.base_url + "/"), document["url"]
        # The download itself also arrives with the wrong Host, as the client sends it.
        download = requests.get(document["url"], headers=wrong, timeout=10)
        assert download.status_code == 200, download.text
        lines = gzip.decompress(download.content).decode().splitlines()
        assert lines[0].startswith("amazon-order-id\t")
        assert len(lines) > 1


def test_document_url_uses_the_configured_public_url() -> None:
    public = "http://simulator.example:8642"
    settings = SimulatorSettings(rate_scale=1000, report_delay_seconds=0, public_url=public)
    world = World(_small(now=PINNED))
    with RunningSimulator(world, settings) as sim:
        client = Client(sim.base_url, world.sellers[0])
        document_id = _done_document(client, {})
        url = client.get(f"{REPORTS}/documents/{document_id}")["url"]
        assert url.startswith(public + "/_simulator/documents/")


def test_request_clock_follows_the_wall_clock_while_history_stays_at_its_anchor() -> None:
    config = _small()
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert config.now == today and not config.now_pinned
    wall = [today + timedelta(hours=5)]
    world = World(config, clock=lambda: wall[0])
    assert world.now == today + timedelta(hours=5)
    assert world.data_now == today
    assert world.horizon == today - timedelta(minutes=2)
    wall[0] += timedelta(hours=1)
    assert world.now == today + timedelta(hours=6)
    assert world.horizon == today - timedelta(minutes=2)  # the history does not grow
    # `truth` builds the same world from the same config: same anchor, same facts.
    assert world_truth(world) == world_truth(World(_small()))
    world.set_now(today + timedelta(days=1))  # the admin clock pins it
    wall[0] += timedelta(days=3)
    assert world.now == world.data_now == today + timedelta(days=1)


def test_pinned_clock_stays_put() -> None:
    world = World(_small(now=PINNED), clock=lambda: PINNED + timedelta(days=30))
    assert _small(now=PINNED).now_pinned
    assert world.now == PINNED


def test_a_client_bounding_by_its_own_time_is_served_by_default() -> None:
    """LastUpdatedBefore two minutes before the client's now: accepted on an unpinned clock,
    refused on a clock pinned in the past; the data served is the same world either way."""
    before = _stamp(datetime.now(UTC) - timedelta(minutes=2, seconds=5))
    settings = SimulatorSettings(rate_scale=1000)
    world = World(_small())
    with RunningSimulator(world, settings) as sim:
        client = Client(sim.base_url, world.sellers[0])
        response = client.call(
            "GET",
            ORDERS_V0,
            {
                "MarketplaceIds": US,
                "LastUpdatedAfter": _stamp(world.data_now - timedelta(days=2)),
                "LastUpdatedBefore": before,
                "MaxResultsPerPage": 100,
            },
        )
        assert response.status_code == 200, response.text
        served = {o["AmazonOrderId"] for o in response.json()["payload"]["Orders"]}
        expected = {
            o.order_id
            for o in world.orders(world.sellers[0])
            if o.last_updated_at(world.horizon) >= world.data_now - timedelta(days=2)
        }
        assert served == expected and served
        date = parsedate_to_datetime(response.headers["Date"])
        assert abs(date - datetime.now(UTC)) < timedelta(seconds=30)

    pinned = World(_small(now=datetime.now(UTC) - timedelta(hours=1)))
    with RunningSimulator(pinned, settings) as sim:
        client = Client(sim.base_url, pinned.sellers[0])
        response = client.call(
            "GET",
            ORDERS_V0,
            {"MarketplaceIds": US, "LastUpdatedAfter": _stamp(PINNED), "LastUpdatedBefore": before},
        )
        assert response.status_code == 400
        assert "two minutes" in response.json()["errors"][0]["message"]
