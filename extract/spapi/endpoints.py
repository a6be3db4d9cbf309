"""Where a seller's SP-API and LWA live: Amazon's hosts per region, or the overrides.

Hosts are from Amazon's SP-API documentation (see ../shared/reference/spapi.md). An
override (`SellerConfig.endpoint` / `token_url`) always wins: that is how the simulator,
or any other stand-in, is reached without the client special-casing it.
"""

from __future__ import annotations

from extract.spapi.config import Region, SellerConfig

LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"

PRODUCTION_HOSTS: dict[Region, str] = {
    Region.NA: "https://sellingpartnerapi-na.amazon.com",
    Region.EU: "https://sellingpartnerapi-eu.amazon.com",
    Region.FE: "https://sellingpartnerapi-fe.amazon.com",
}

SANDBOX_HOSTS: dict[Region, str] = {
    Region.NA: "https://sandbox.sellingpartnerapi-na.amazon.com",
    Region.EU: "https://sandbox.sellingpartnerapi-eu.amazon.com",
    Region.FE: "https://sandbox.sellingpartnerapi-fe.amazon.com",
}


def base_url(seller: SellerConfig) -> str:
    """The seller's SP-API base URL (no trailing slash)."""
    if seller.endpoint:
        return seller.endpoint.rstrip("/")
    hosts = SANDBOX_HOSTS if seller.sandbox else PRODUCTION_HOSTS
    return hosts[seller.region]


def token_url(seller: SellerConfig) -> str:
    """The LWA token endpoint the seller signs in at."""
    return seller.token_url or LWA_TOKEN_URL
