"""Reports API 2021-06-30: create, poll, list, cancel, get document, download.

Reports live in an in-process store on `app.state.reports`, keyed by seller. A created report
snapshots the simulated clock (`as_of`), so advancing the world later never changes its
content, and moves IN_QUEUE → IN_PROGRESS → DONE over `settings.report_delay_seconds` of real
time. Status is computed when someone looks, so no background task is needed.

Settlement reports cannot be requested (Amazon schedules them); every closed settlement
group of a seller appears, SETTLEMENT_REPORT_DELAY after it closes, as a DONE
GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 report whose id is derived from the group id, so
it is the same across calls and restarts. getReports lists them only when asked for that
type, from the world's settlement periods (ids and dates: no events are generated for it).

Documents download from this server, like S3 presigned URLs: `/_simulator/documents/{id}`
with an expiry and an HMAC signature, no SP-API token, streamed and gzip-compressed on the
fly (settlement documents plain, without compressionAlgorithm). Their URL is built from
`settings.public_url`, never from the request's Host header.
`/_simulator/reports/{id}/malformed` tells tests which rows the malformed-row fault damaged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
import threading
import time
import uuid
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from simulator.config import SellerAccount, SimulatorSettings, WorldConfig
from simulator.errors import SpApiError, invalid_input, not_found
from simulator.ledger_reports import report_option_error
from simulator.report_formats import (
    FORMATS,
    SETTLEMENT_V2,
    SETTLEMENT_V2_INTERNAL_NUMBER,
    MalformedRow,
    ReportFormat,
    malformed_lines,
    tsv_lines,
)
from simulator.routes.common import check_marketplaces, iso, list_param

router = APIRouter()

_BASE = "/reports/2021-06-30"
DOCUMENTS_PATH = "/_simulator/documents"

PROCESSING_STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
_TERMINAL = frozenset({"CANCELLED", "DONE", "FATAL"})

# getReports: "The default is 90 days ago. Reports are retained for a maximum of 90 days."
RETENTION = timedelta(days=90)

# Reports created here get ids from 50,000,000,000 up, settlement reports ids in
# [10,000,000,000, 50,000,000,000): both are 11-digit numbers, like Amazon's, and never clash.
_CREATED_ID_BASE = 50_000_000_000
_SETTLEMENT_ID_BASE = 10_000_000_000
_SETTLEMENT_ID_SPAN = 40_000_000_000

_GZIP_CHUNK = 64 * 1024

# How long after its settlement period closes a settlement report is created. Amazon gives
# no figure ("automatically scheduled by Amazon"); an hour keeps createdTime after the
# period's end, as a real report's is, so a client listing by createdSince must allow for it.
SETTLEMENT_REPORT_DELAY = timedelta(hours=1)


class SettlementPeriod(Protocol):
    """What the routes read of a settlement group's period (simulator.entities)."""

    @property
    def group_id(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def closed(self) -> bool: ...


class ReportWorld(Protocol):
    """The part of `simulator.world.World` the Reports API needs."""

    @property
    def config(self) -> WorldConfig: ...
    @property
    def sellers(self) -> Sequence[SellerAccount]: ...
    @property
    def now(self) -> datetime: ...
    @property
    def data_now(self) -> datetime: ...

    def report_rows(
        self,
        seller: SellerAccount,
        report_type: str,
        marketplace_ids: Sequence[str],
        start: datetime,
        end: datetime,
        as_of: datetime,
        options: dict[str, str] | None = None,
    ) -> Iterator[dict[str, str]]: ...

    def settlement_periods(self, seller: SellerAccount) -> Sequence[SettlementPeriod]: ...

    def settlement_report_rows(
        self, seller: SellerAccount, group_id: str
    ) -> Iterator[dict[str, str]]: ...


@dataclass
class StoredReport:
    """One report of one seller, with what it takes to (re)generate its document."""

    report_id: str
    seller: SellerAccount
    report_type: str
    marketplace_ids: tuple[str, ...]
    data_start: datetime
    data_end: datetime
    created_time: datetime  # simulated clock at creation
    as_of: datetime  # snapshot passed to report_rows
    created_monotonic: float  # real clock at creation: drives the status
    fatal_reason: str | None = None  # decided at creation; applied at completion
    group_id: str | None = None  # settlement reports only
    status: str = "IN_QUEUE"
    processing_start: datetime | None = None
    processing_end: datetime | None = None
    document_id: str | None = None
    # Filled by the first full pass over the document (download or admin endpoint).
    malformed: list[MalformedRow] | None = None
    data_rows: int | None = None
    options: dict[str, str] = field(default_factory=dict)  # createReport's reportOptions

    @property
    def sort_key(self) -> tuple[datetime, int]:
        return (self.created_time, int(self.report_id))

    def body(self) -> dict[str, Any]:
        """The `Report` object of the model."""
        body: dict[str, Any] = {
            "reportId": self.report_id,
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
            "dataStartTime": iso(self.data_start),
            "dataEndTime": iso(self.data_end),
            "createdTime": iso(self.created_time),
            "processingStatus": self.status,
        }
        if self.processing_start is not None:
            body["processingStartTime"] = iso(self.processing_start)
        if self.processing_end is not None:
            body["processingEndTime"] = iso(self.processing_end)
        if self.document_id is not None:
            body["reportDocumentId"] = self.document_id
        return body


@dataclass
class ReportStore:
    """Every report this server process knows, plus the document-URL signing key."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    by_seller: dict[str, dict[str, StoredReport]] = field(default_factory=dict)
    by_id: dict[str, StoredReport] = field(default_factory=dict)
    by_document: dict[str, StoredReport] = field(default_factory=dict)
    created: int = 0
    # Reports created so far that the fatal_reports fault could apply to.
    fatal_eligible: int = 0
    url_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def add(self, report: StoredReport) -> None:
        self.by_seller.setdefault(report.seller.seller_id, {})[report.report_id] = report
        self.by_id[report.report_id] = report
        if report.document_id is not None:
            self.by_document[report.document_id] = report


_STORE_LOCK = threading.Lock()


def report_store(request: Request) -> ReportStore:
    """The app's report store, created on first use."""
    state = request.app.state
    store = getattr(state, "reports", None)
    if store is None:
        with _STORE_LOCK:
            store = getattr(state, "reports", None)
            if store is None:
                store = ReportStore()
                state.reports = store
    assert isinstance(store, ReportStore)
    return store


def _world(request: Request) -> ReportWorld:
    world: ReportWorld = request.app.state.world
    return world


def _settings(request: Request) -> SimulatorSettings:
    settings: SimulatorSettings = request.app.state.settings
    return settings


def _seller(request: Request) -> SellerAccount:
    seller: SellerAccount = request.state.seller
    return seller


def parse_datetime(name: str, value: object) -> datetime:
    """An ISO 8601 date-time parameter; naive values are taken as UTC."""
    if not isinstance(value, str) or not value:
        raise invalid_input(f"{name} must be an ISO 8601 date-time string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_input(f"{name} must be an ISO 8601 date-time, got {value!r}.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _document_id(seed: int, *parts: object) -> str:
    digest = hashlib.sha256("/".join(str(p) for p in ("doc", seed, *parts)).encode()).digest()
    return "amzn1.spdoc.1.4.na." + str(uuid.UUID(bytes=digest[:16], version=4))


def settlement_report_id(seller: SellerAccount, group_id: str) -> str:
    """A stable numeric report id for a seller's settlement group."""
    digest = hashlib.sha256(f"settlement/{seller.seller_id}/{group_id}".encode()).digest()
    return str(_SETTLEMENT_ID_BASE + int.from_bytes(digest[:8], "big") % _SETTLEMENT_ID_SPAN)


def _rows(world: ReportWorld, report: StoredReport) -> Iterator[dict[str, str]]:
    if report.group_id is not None:
        return world.settlement_report_rows(report.seller, report.group_id)
    return world.report_rows(
        report.seller,
        report.report_type,
        report.marketplace_ids,
        report.data_start,
        report.data_end,
        report.as_of,
        report.options,
    )


def _advance(
    store: ReportStore, world: ReportWorld, settings: SimulatorSettings, r: StoredReport
) -> None:
    """Bring a report's status up to date with the real time elapsed since its creation."""
    if r.status in _TERMINAL:
        return
    delay = settings.report_delay_seconds
    elapsed = time.monotonic() - r.created_monotonic
    started = r.created_time + timedelta(seconds=delay / 3)
    if elapsed < delay / 3:
        return  # still IN_QUEUE
    with store.lock:
        if r.status in _TERMINAL:  # cancelled or finished by another request meanwhile
            return
        if elapsed < delay:
            r.status, r.processing_start = "IN_PROGRESS", started
            return
        r.processing_start = started
        r.processing_end = r.created_time + timedelta(seconds=delay)
        if r.fatal_reason is not None:
            r.status = "FATAL"
        elif next(iter(_rows(world, r)), None) is None:
            # Amazon cancels a report automatically when there is no data to return
            # (processingStatus CANCELLED in the model; "The reports are canceled if no
            # eligible data is found" on the Order Reports page). No document.
            r.status = "CANCELLED"
        else:
            r.status = "DONE"
            r.document_id = _document_id(world.config.seed, r.seller.seller_id, r.report_id)
            store.by_document[r.document_id] = r


def _sync_settlements(store: ReportStore, world: ReportWorld, seller: SellerAccount) -> None:
    """Add a DONE settlement report for every group closed by now, not yet in the store."""
    now = world.now
    for group in world.settlement_periods(seller):  # not their totals: a scan of every event
        created = group.end + SETTLEMENT_REPORT_DELAY
        if not group.closed or created > now:
            continue
        report_id = settlement_report_id(seller, group.group_id)
        if report_id in store.by_id:
            continue
        marketplace = getattr(group, "marketplace_id", None) or seller.marketplace_ids[0]
        report = StoredReport(
            report_id=report_id,
            seller=seller,
            report_type=SETTLEMENT_V2,
            marketplace_ids=(marketplace,),
            data_start=group.start,
            data_end=group.end,
            # Amazon publishes the report shortly after the group closes.
            created_time=created,
            as_of=group.end,
            created_monotonic=0.0,
            group_id=group.group_id,
            status="DONE",
            processing_start=created,
            processing_end=created,
            document_id=_document_id(world.config.seed, seller.seller_id, report_id),
        )
        with store.lock:
            if report_id not in store.by_id:
                store.add(report)


def _find(request: Request, report_id: str) -> StoredReport:
    """The caller's report `report_id`, up to date; 404 for unknown or another seller's."""
    store, world, seller = report_store(request), _world(request), _seller(request)
    report = store.by_seller.get(seller.seller_id, {}).get(report_id)
    if report is None:
        _sync_settlements(store, world, seller)
        report = store.by_seller.get(seller.seller_id, {}).get(report_id)
    if report is None:
        raise not_found(f"Report {report_id} not found.")
    _advance(store, world, _settings(request), report)
    return report


def _string_list(name: str, value: object, low: int, high: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise invalid_input(f"{name} must be an array of strings.")
    if not low <= len(value) <= high:
        raise invalid_input(f"{name} must have between {low} and {high} items.")
    return value


def _check_report_type(value: object) -> ReportFormat:
    if not isinstance(value, str) or not value:
        raise invalid_input("reportType is required.")
    fmt = FORMATS.get(value)
    if fmt is None:
        # Amazon's wording for an unknown type (relied on by Airbyte's Amazon connector).
        # Real types the simulator does not serve get the same answer.
        raise invalid_input(f"Invalid Report Type {value}")
    if not fmt.requestable:
        # Amazon's exact answer for a settlement type (details is an empty string there),
        # amzn/selling-partner-api-models issues #1265, #1948, #2010.
        raise invalid_input(
            f"Request for report type {SETTLEMENT_V2_INTERNAL_NUMBER} is not allowed at this time",
            details="",
        )
    return fmt


@router.post(f"{_BASE}/reports", status_code=202)
async def create_report(request: Request) -> JSONResponse:
    """createReport: validate, store IN_QUEUE, answer 202 {reportId}."""
    try:
        body = json.loads(await request.body() or b"null")
    except (ValueError, UnicodeDecodeError):
        raise invalid_input("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise invalid_input("The request body must be a CreateReportSpecification object.")

    fmt = _check_report_type(body.get("reportType"))
    seller, world, settings = _seller(request), _world(request), _settings(request)
    marketplaces = _string_list("marketplaceIds", body.get("marketplaceIds"), 1, 25)
    check_marketplaces(seller, marketplaces, "marketplaceIds")
    options = body.get("reportOptions")
    if options is not None and not (
        isinstance(options, dict) and all(isinstance(v, str) for v in options.values())
    ):
        raise invalid_input("reportOptions must be an object of string values.")
    option_error = report_option_error(fmt.report_type, options or {})
    if option_error is not None:
        raise invalid_input(option_error)

    now = world.now
    # Both default to now (CreateReportSpecification: "The default is now.").
    raw_start, raw_end = body.get("dataStartTime"), body.get("dataEndTime")
    start = now if raw_start is None else parse_datetime("dataStartTime", raw_start)
    end = now if raw_end is None else parse_datetime("dataEndTime", raw_end)
    if start > end:
        raise invalid_input("dataStartTime must be before or equal to dataEndTime.")

    store = report_store(request)
    faults = settings.faults
    with store.lock:
        report_id = str(_CREATED_ID_BASE + store.created)
        store.created += 1
        fatal_reason = None
        if not faults.fatal_report_types or fmt.report_type in faults.fatal_report_types:
            if store.fatal_eligible < faults.fatal_reports:
                fatal_reason = "fault: fatal_reports"
            store.fatal_eligible += 1
        if fatal_reason is None and fmt.max_range is not None and end - start > fmt.max_range:
            # Amazon accepts the request (202) and the range problem surfaces only when the
            # report is processed: reports end FATAL (issue #1264 lists a range outside the
            # type's limits as a FATAL cause; #2591 shows the 30-day error appearing after a
            # successful createReport). We answer FATAL rather than a 400 to match that.
            fatal_reason = f"range exceeds {fmt.max_range.days} days"
        store.add(
            StoredReport(
                report_id=report_id,
                seller=seller,
                report_type=fmt.report_type,
                marketplace_ids=tuple(marketplaces),
                data_start=start,
                data_end=end,
                created_time=now,
                # The data's own end: the request clock may run past the world's history.
                as_of=min(now, world.data_now),
                created_monotonic=time.monotonic(),
                fatal_reason=fatal_reason,
                options=dict(options or {}),
            )
        )
    return JSONResponse({"reportId": report_id}, status_code=202)


@router.get(f"{_BASE}/reports/{{report_id}}")
def get_report(report_id: str, request: Request) -> JSONResponse:
    """getReport: the Report object at the top level (no payload wrapper)."""
    return JSONResponse(_find(request, report_id).body())


@router.delete(f"{_BASE}/reports/{{report_id}}")
def cancel_report(report_id: str, request: Request) -> Response:
    """cancelReport: only an IN_QUEUE report can be cancelled; 200 with no body."""
    report = _find(request, report_id)
    with report_store(request).lock:
        if report.status != "IN_QUEUE":
            raise invalid_input(
                f"Report {report_id} cannot be cancelled: its processingStatus is "
                f"{report.status}; only IN_QUEUE reports can be cancelled."
            )
        report.status = "CANCELLED"
    return Response(status_code=200)


def _query_list(request: Request, name: str) -> list[str] | None:
    """An array query parameter, or None when absent (an empty value is an empty list)."""
    return list_param(request, name) if name in request.query_params else None


@dataclass(frozen=True)
class _ListQuery:
    seller_id: str
    report_types: tuple[str, ...]
    statuses: tuple[str, ...] | None
    marketplaces: tuple[str, ...] | None
    page_size: int
    since: datetime
    until: datetime
    after: tuple[datetime, int] | None = None  # sort key of the last report already sent

    def token(self, after: tuple[datetime, int]) -> str:
        data = {
            "s": self.seller_id,
            "t": self.report_types,
            "p": self.statuses,
            "m": self.marketplaces,
            "n": self.page_size,
            "a": iso(self.since),
            "b": iso(self.until),
            "c": [iso(after[0]), after[1]],
        }
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str, seller_id: str) -> _ListQuery:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            query = cls(
                seller_id=data["s"],
                report_types=tuple(data["t"]),
                statuses=tuple(data["p"]) if data["p"] is not None else None,
                marketplaces=tuple(data["m"]) if data["m"] is not None else None,
                page_size=int(data["n"]),
                since=parse_datetime("since", data["a"]),
                until=parse_datetime("until", data["b"]),
                after=(parse_datetime("after", data["c"][0]), int(data["c"][1])),
            )
        except (ValueError, KeyError, TypeError, IndexError, binascii.Error, SpApiError):
            raise invalid_input("Invalid nextToken.") from None
        if query.seller_id != seller_id:
            raise invalid_input("Invalid nextToken.")
        return query


def _list_query(request: Request, seller: SellerAccount, now: datetime) -> _ListQuery:
    params = request.query_params
    token = params.get("nextToken")
    if token is not None:
        # "Specifying nextToken with any other parameters will cause the request to fail."
        others = sorted({k for k in params if k != "nextToken"})
        if others:
            raise invalid_input(
                "nextToken must be the only parameter; also got: " + ", ".join(others) + "."
            )
        return _ListQuery.from_token(token, seller.seller_id)

    types = _query_list(request, "reportTypes")
    if types is None:
        raise invalid_input("Either reportTypes or nextToken is required.")
    if not 1 <= len(types) <= 10:
        raise invalid_input("reportTypes must have between 1 and 10 items.")
    statuses = _query_list(request, "processingStatuses")
    if statuses is not None:
        unknown = [s for s in statuses if s not in PROCESSING_STATUSES]
        if unknown or not statuses:
            raise invalid_input(f"Invalid processingStatuses: {', '.join(unknown)}.")
    marketplaces = _query_list(request, "marketplaceIds")
    if marketplaces is not None and not 1 <= len(marketplaces) <= 10:
        raise invalid_input("marketplaceIds must have between 1 and 10 items.")
    try:
        page_size = int(params.get("pageSize", "10"))
    except ValueError:
        raise invalid_input("pageSize must be an integer.") from None
    if not 1 <= page_size <= 100:
        raise invalid_input("pageSize must be between 1 and 100.")
    since = (
        parse_datetime("createdSince", params["createdSince"])
        if "createdSince" in params
        else now - RETENTION
    )
    until = (
        parse_datetime("createdUntil", params["createdUntil"]) if "createdUntil" in params else now
    )
    if since > until:
        raise invalid_input("createdSince must be before or equal to createdUntil.")
    # Reports are retained 90 days: an older createdSince finds nothing older, so it is
    # clamped rather than refused (no Amazon source says it is refused).
    since = max(since, now - RETENTION)
    return _ListQuery(
        seller_id=seller.seller_id,
        report_types=tuple(types),
        statuses=tuple(statuses) if statuses is not None else None,
        marketplaces=tuple(marketplaces) if marketplaces is not None else None,
        page_size=page_size,
        since=since,
        until=until,
    )


@router.get(f"{_BASE}/reports")
def get_reports(request: Request) -> JSONResponse:
    """getReports: newest first, paged with an opaque nextToken holding the filters."""
    store, world, settings, seller = (
        report_store(request),
        _world(request),
        _settings(request),
        _seller(request),
    )
    query = _list_query(request, seller, world.now)
    if SETTLEMENT_V2 in query.report_types:
        # Listing them walks every settlement period of the world: only when asked for.
        _sync_settlements(store, world, seller)
    matches = []
    for report in list(store.by_seller.get(seller.seller_id, {}).values()):
        if report.report_type not in query.report_types:
            continue
        if not query.since <= report.created_time <= query.until:
            continue
        if query.marketplaces is not None and not set(query.marketplaces) & set(
            report.marketplace_ids
        ):
            continue
        if query.after is not None and report.sort_key >= query.after:
            continue
        _advance(store, world, settings, report)
        if query.statuses is not None and report.status not in query.statuses:
            continue
        matches.append(report)
    matches.sort(key=lambda r: r.sort_key, reverse=True)
    page = matches[: query.page_size]
    body: dict[str, Any] = {"reports": [r.body() for r in page]}
    if len(matches) > query.page_size:
        body["nextToken"] = query.token(page[-1].sort_key)
    return JSONResponse(body)


def _public_url(request: Request) -> str:
    """Where documents download from: the configured public URL, else the local address the
    request arrived on. Never the Host header: clients send wrong ones (python-amazon-sp-api
    sends the production host for an http endpoint), and a URL built from it fails."""
    public = _settings(request).public_url
    if public:
        return public.rstrip("/")
    host, port = request.scope["server"]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _signature(key: bytes, document_id: str, expires: int, encoding: str) -> str:
    message = f"{document_id}\n{expires}\n{encoding}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


@router.get(f"{_BASE}/documents/{{document_id}}")
def get_report_document(document_id: str, request: Request) -> JSONResponse:
    """getReportDocument: a presigned URL on this server, valid document_url_ttl_seconds."""
    store, world, seller = report_store(request), _world(request), _seller(request)
    flag = request.query_params.get("enableContentEncodingUrlHeader")
    if flag is not None and flag not in ("true", "false"):
        raise invalid_input("enableContentEncodingUrlHeader must be true or false.")
    report = store.by_document.get(document_id)
    if report is None:
        _sync_settlements(store, world, seller)
        report = store.by_document.get(document_id)
    if report is None or report.seller.seller_id != seller.seller_id:
        raise not_found(f"Report document {document_id} not found.")
    # Whole seconds, like S3's X-Amz-Expires, rounded up so the URL lives at least the TTL.
    expires = math.ceil(time.time() + _settings(request).document_url_ttl_seconds)
    # With the flag, the download carries Content-Encoding: gzip so HTTP clients decompress
    # on their own; without it, the body is the raw .gz the client must decompress.
    # A plain document has neither.
    plain = _is_plain(report)
    encoding = "gzip" if flag == "true" and not plain else "identity"
    signature = _signature(store.url_key, document_id, expires, encoding)
    url = (
        f"{_public_url(request)}{DOCUMENTS_PATH}/{document_id}"
        f"?expires={expires}&encoding={encoding}&sig={signature}"
    )
    body = {"reportDocumentId": document_id, "url": url}
    if not plain:
        body["compressionAlgorithm"] = "GZIP"
    return JSONResponse(body)


def _is_plain(report: StoredReport) -> bool:
    """Whether the document is served uncompressed, without compressionAlgorithm.

    The model makes compressionAlgorithm optional ("If the report document contents have been
    compressed, the compression algorithm used is returned ... Otherwise, you can download
    the report directly"), and clients meet plain documents (amzn/selling-partner-api-models
    issue #2033). Settlement documents are served plain, so a client must read the field
    rather than assume gzip; the requested types stay gzip.
    """
    return report.group_id is not None


def _s3_error(code: str, message: str) -> Response:
    """S3's XML error body, which is what a presigned-URL download answers with."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{secrets.token_hex(8).upper()}</RequestId></Error>"
    )
    return Response(body, status_code=403, media_type="application/xml")


def _document_lines(
    world: ReportWorld, settings: SimulatorSettings, r: StoredReport
) -> Iterator[str]:
    """The document's TSV lines, with the malformed-row fault applied when configured."""
    fmt = FORMATS[r.report_type]
    rate = settings.faults.malformed_row_rate
    if rate <= 0:
        count = 0
        for line in tsv_lines(_rows(world, r), fmt.columns):
            count += 1
            yield line
        if r.malformed is None:
            r.data_rows, r.malformed = count - 1, []
        return
    record: list[MalformedRow] = []
    count = 0
    for line in malformed_lines(
        _rows(world, r),
        fmt,
        seed=world.config.seed,
        report_id=r.report_id,
        rate=rate,
        record=record,
    ):
        count += 1
        yield line
    if r.malformed is None:
        r.data_rows, r.malformed = count - 1, record


def _gzip_stream(lines: Iterator[str]) -> Iterator[bytes]:
    """Gzip-compress lines incrementally: memory stays at one chunk, whatever the size."""
    # Level 1: on loopback, speed matters more than size. 16 + MAX_WBITS: a gzip container.
    compressor = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= _GZIP_CHUNK:
            chunk = compressor.compress(b"".join(buffer))
            buffer, size = [], 0
            if chunk:
                yield chunk
    yield compressor.compress(b"".join(buffer)) + compressor.flush()


@router.get(f"{DOCUMENTS_PATH}/{{document_id}}", include_in_schema=False)
def download_document(document_id: str, request: Request) -> Response:
    """The presigned URL: no SP-API token, 403 AccessDenied once expired."""
    store = report_store(request)
    params = request.query_params
    expires_text, encoding, signature = (
        params.get("expires", ""),
        params.get("encoding", ""),
        params.get("sig", ""),
    )
    try:
        expires = int(expires_text)
    except ValueError:
        return _s3_error(
            "AccessDenied", "Query-string authentication requires the expires parameter"
        )
    expected = _signature(store.url_key, document_id, expires, encoding)
    if not hmac.compare_digest(expected, signature):
        return _s3_error(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if time.time() > expires:
        return _s3_error("AccessDenied", "Request has expired")
    report = store.by_document.get(document_id)
    if report is None:
        return _s3_error("AccessDenied", "Access Denied")
    headers = {"Content-Encoding": "gzip"} if encoding == "gzip" else {}
    lines = _document_lines(_world(request), _settings(request), report)
    body = _plain_stream(lines) if _is_plain(report) else _gzip_stream(lines)
    return StreamingResponse(body, media_type="application/octet-stream", headers=headers)


def _plain_stream(lines: Iterator[str]) -> Iterator[bytes]:
    """UTF-8 lines in chunks of about _GZIP_CHUNK bytes (one write per chunk, not per line)."""
    buffer: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8")
        buffer.append(data)
        size += len(data)
        if size >= _GZIP_CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    yield b"".join(buffer)


@router.get("/_simulator/reports/{report_id}/malformed", include_in_schema=False)
def malformed_rows(report_id: str, request: Request) -> JSONResponse:
    """Which rows of a report's document the malformed-row fault damaged, and how."""
    store, world, settings = report_store(request), _world(request), _settings(request)
    report = store.by_id.get(report_id)
    if report is None:
        for seller in world.sellers:
            _sync_settlements(store, world, seller)
        report = store.by_id.get(report_id)
    if report is None:
        raise not_found(f"Report {report_id} not found.")
    _advance(store, world, settings, report)
    if report.document_id is None:
        raise not_found(f"Report {report_id} has no document (status {report.status}).")
    if report.malformed is None:
        for _line in _document_lines(world, settings, report):
            pass  # one full pass fills report.malformed and report.data_rows
    rows = report.malformed or []
    return JSONResponse(
        {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "reportDocumentId": report.document_id,
            "malformedRowRate": settings.faults.malformed_row_rate,
            "dataRows": report.data_rows,
            "count": len(rows),
            "rows": [row.as_dict() for row in rows],
        }
    )
