"""SP-API plumbing that knows no data set: configuration, endpoints, LWA auth, pacing,
the HTTP client (retries, paging) and the report lifecycle.

Data-set resources build on these modules; nothing here knows what an order or a
settlement is.
"""

from extract.spapi.auth import LwaAuth, SellerAuthError
from extract.spapi.client import SpApiClient, SpApiError, server_now
from extract.spapi.config import ConfigError, LwaCredentials, Region, SellerConfig, load_sellers
from extract.spapi.pacing import RATE_LIMITS, Pacer, TokenBucket
from extract.spapi.reports import (
    ParsedRow,
    ReportFailed,
    ReportNotReady,
    create_report,
    download_report_rows,
    get_report,
    report_rows,
    wait_for_report,
)

__all__ = [
    "RATE_LIMITS",
    "ConfigError",
    "LwaAuth",
    "LwaCredentials",
    "Pacer",
    "ParsedRow",
    "Region",
    "ReportFailed",
    "ReportNotReady",
    "SellerAuthError",
    "SellerConfig",
    "SpApiClient",
    "SpApiError",
    "TokenBucket",
    "create_report",
    "download_report_rows",
    "get_report",
    "load_sellers",
    "report_rows",
    "server_now",
    "wait_for_report",
]
