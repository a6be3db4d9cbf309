"""FBA Inventory v1 `getInventorySummaries` (models/fbaInventory.json), from the ledger.

Parameters as the model declares them: `granularityType` (only `Marketplace`),
`granularityId` and `marketplaceIds` (one id) are required; `details`, `startDateTime`,
`sellerSkus` (up to 50), `sellerSku` and `nextToken` are optional, and the model's
precedence applies (startDateTime ignores the SKU filters; sellerSkus ignores sellerSku).
A nextToken "will expire 30 seconds after being created" (model) and must come with the
same parameters. The stock lives in the seller's home marketplace (where inbound shipments
go): other marketplaces answer an empty list. Quantities: `simulator.inventory`.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request

from simulator.errors import invalid_input
from simulator.inventory import RESEARCH_TERMS, UNFULFILLABLE_FIELDS, Summary, summaries
from simulator.routes.common import (
    check_marketplaces,
    date_param,
    filters_digest,
    iso,
    list_param,
    seller_of,
    world_of,
)

router = APIRouter()

SUMMARIES_PER_PAGE = 50
TOKEN_TTL_SECONDS = 30.0
# startDateTime: "no earlier than 18 months prior to the date and time when you call the API".
OLDEST_START = timedelta(days=548)


def _details(summary: Summary) -> dict[str, Any]:
    unfulfillable: dict[str, int] = {
        field: summary.unfulfillable.get(disposition, 0)
        for disposition, field in UNFULFILLABLE_FIELDS.items()
    }
    return {
        "fulfillableQuantity": summary.fulfillable,
        "inboundWorkingQuantity": summary.inbound_working,
        "inboundShippedQuantity": summary.inbound_shipped,
        "inboundReceivingQuantity": summary.inbound_receiving,
        "reservedQuantity": {
            "totalReservedQuantity": summary.reserved,
            "pendingCustomerOrderQuantity": summary.pending_customer_order,
            "pendingTransshipmentQuantity": summary.pending_transshipment,
            "fcProcessingQuantity": summary.fc_processing,
        },
        "researchingQuantity": {
            "totalResearchingQuantity": sum(summary.researching.values()),
            "researchingQuantityBreakdown": [
                {"name": name, "quantity": summary.researching[name]}
                for name, _ in RESEARCH_TERMS
                if name in summary.researching
            ],
        },
        "unfulfillableQuantity": {
            "totalUnfulfillableQuantity": sum(unfulfillable.values()),
            **unfulfillable,
        },
    }


def summary_body(summary: Summary, details: bool) -> dict[str, Any]:
    """One InventorySummary of the model."""
    product = summary.product
    body: dict[str, Any] = {
        "asin": product.asin,
        "fnSku": product.fnsku,
        "sellerSku": product.sku,
        "condition": "NewItem",
        "lastUpdatedTime": iso(summary.last_updated) if summary.last_updated else "",
        "productName": product.title,
        "totalQuantity": summary.total,
    }
    if details:
        body["inventoryDetails"] = _details(summary)
    return body


def _token(offset: int, digest: str) -> str:
    payload = {"o": offset, "f": digest, "e": round(time.time() + TOKEN_TTL_SECONDS, 3)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def _offset(token: str, digest: str) -> int:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset, sent_digest, expires = int(payload["o"]), payload["f"], float(payload["e"])
    except (ValueError, KeyError, TypeError):
        raise invalid_input("Invalid nextToken.") from None
    if sent_digest != digest:
        raise invalid_input("Invalid nextToken: include the same parameters as the first call.")
    if time.time() > expires:
        raise invalid_input("The nextToken has expired: it is valid for 30 seconds.")
    return offset


@router.get("/fba/inventory/v1/summaries")
def get_inventory_summaries(request: Request) -> dict[str, Any]:
    """getInventorySummaries: the seller's SKUs, 50 per page."""
    params = request.query_params
    seller, world = seller_of(request), world_of(request)
    if params.get("granularityType") != "Marketplace":
        raise invalid_input("granularityType is required and must be Marketplace.")
    granularity_id = params.get("granularityId")
    if not granularity_id:
        raise invalid_input("granularityId is required.")
    marketplaces = list_param(request, "marketplaceIds")
    if len(marketplaces) != 1:
        raise invalid_input("marketplaceIds is required and holds exactly one marketplace id.")
    check_marketplaces(seller, marketplaces, "marketplaceIds")
    check_marketplaces(seller, [granularity_id], "granularityId")
    details_raw = params.get("details", "false").lower()
    if details_raw not in ("true", "false"):
        raise invalid_input("details must be true or false.")
    start = date_param(request, "startDateTime")
    if start is not None and start < world.now - OLDEST_START:
        raise invalid_input("startDateTime must be no earlier than 18 months ago.")
    skus = list_param(request, "sellerSkus")
    if len(skus) > 50:
        raise invalid_input("sellerSkus holds at most 50 SKUs.")
    single = params.get("sellerSku")

    digest = filters_digest(request, ("nextToken",))
    token = params.get("nextToken")
    offset = _offset(token, digest) if token else 0

    home = seller.marketplace_ids[0]
    t = world.horizon
    found: list[Summary] = []
    if granularity_id == home and marketplaces[0] == home:
        found = summaries(world, seller, t)
    if start is not None:
        found = [s for s in found if s.last_updated is not None and s.last_updated >= start]
    elif skus:
        found = [s for s in found if s.product.sku in set(skus)]
    elif single:
        found = [s for s in found if s.product.sku == single]
    page = found[offset : offset + SUMMARIES_PER_PAGE]
    body: dict[str, Any] = {
        "payload": {
            "granularity": {"granularityType": "Marketplace", "granularityId": granularity_id},
            "inventorySummaries": [summary_body(s, details_raw == "true") for s in page],
        }
    }
    if offset + SUMMARIES_PER_PAGE < len(found):
        body["pagination"] = {"nextToken": _token(offset + SUMMARIES_PER_PAGE, digest)}
    return body
