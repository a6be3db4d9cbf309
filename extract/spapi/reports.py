"""The Reports API 2021-06-30 lifecycle, knowing no report's meaning:

    createReport -> getReport until DONE / CANCELLED / FATAL -> getReportDocument
    -> download the presigned URL -> decompress (GZIP) -> tab-separated rows by header name

Documents are streamed: the download, the decompression and the split into lines all work
on small buffers, so memory does not grow with the document. What a column's values must
look like is each report type's business; callers pass `validate` to reject rows.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

import requests
from tenacity import (
    RetryError,
    Retrying,
    retry_if_result,
    stop_after_delay,
    wait_exponential,
)

from extract.spapi.client import SpApiClient, SpApiError
from extract.spapi.config import LOGGER_NAME

log = logging.getLogger(LOGGER_NAME)

REPORTS_PATH = "/reports/2021-06-30/reports"
DOCUMENTS_PATH = "/reports/2021-06-30/documents"

TERMINAL_STATUSES = frozenset({"DONE", "CANCELLED", "FATAL"})

Validator = Callable[[dict[str, str]], str | None]


class ReportFailed(Exception):
    """A report ended FATAL: that slice failed (others may still succeed)."""

    def __init__(self, report_id: str, report_type: str | None = None, status: str = "FATAL"):
        self.report_id = report_id
        self.report_type = report_type
        self.status = status
        kind = f" {report_type}" if report_type else ""
        super().__init__(f"report {report_id}{kind} ended {status}")


class ReportNotReady(Exception):
    """A report was still processing when we stopped waiting; the caller may remember its id
    and collect it later instead of asking for it again."""

    def __init__(self, report_id: str, status: str, waited: float) -> None:
        self.report_id = report_id
        self.status = status
        self.waited = waited
        super().__init__(f"report {report_id} still {status} after {waited:.0f} s")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    """One data line of a report document: a good row or a rejected one.

    Good rows have `values` (column name -> text) and neither `raw` nor `reason`.
    Rejected rows (wrong column count, or refused by `validate`) have `values=None`, the
    `raw` line and the `reason`. `line_number` counts from 1, the header being line 1.
    """

    values: dict[str, str] | None
    line_number: int
    raw: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True for a good row."""
        return self.reason is None


def _iso(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_report(
    client: SpApiClient,
    report_type: str,
    marketplace_ids: Sequence[str],
    start: datetime | None = None,
    end: datetime | None = None,
    *,
    options: dict[str, str] | None = None,
) -> str:
    """Request a report (createReport, HTTP 202); returns its reportId.

    A createReport retried after a timeout may leave an extra report at Amazon that nobody
    collects; that costs one request of the bucket, nothing else.
    """
    body: dict[str, Any] = {"reportType": report_type, "marketplaceIds": list(marketplace_ids)}
    if start is not None:
        body["dataStartTime"] = _iso(start)
    if end is not None:
        body["dataEndTime"] = _iso(end)
    if options:
        body["reportOptions"] = dict(options)
    response = client.request("createReport", "POST", REPORTS_PATH, json=body)
    report_id = response.json().get("reportId")
    if not isinstance(report_id, str) or not report_id:
        raise SpApiError(response.status_code, "InvalidResponse", "no reportId", "createReport")
    log.info(
        "report %s %s requested for seller %s", report_id, report_type, client.seller.seller_id
    )
    return report_id


def get_report(client: SpApiClient, report_id: str) -> dict[str, Any]:
    """The report's current state (getReport)."""
    return client.get_json("getReport", f"{REPORTS_PATH}/{report_id}")


def wait_for_report(
    client: SpApiClient,
    report_id: str,
    *,
    first_delay: float = 1,
    max_delay: float = 60,
    timeout: float = 3600,
) -> dict[str, Any]:
    """Poll getReport with exponential back-off until DONE, CANCELLED or FATAL.

    Returns the report when DONE or CANCELLED (Amazon cancels a report that has no data);
    raises `ReportFailed` when FATAL, and `ReportNotReady` if it is still processing after
    `timeout` seconds.
    """
    last: dict[str, Any] = {}

    def poll() -> dict[str, Any]:
        nonlocal last
        last = get_report(client, report_id)
        return last

    retrying = Retrying(
        retry=retry_if_result(
            lambda report: report.get("processingStatus") not in TERMINAL_STATUSES
        ),
        wait=wait_exponential(multiplier=first_delay, min=first_delay, max=max_delay),
        stop=stop_after_delay(timeout),
    )
    started = datetime.now(UTC)
    try:
        report = retrying(poll)
    except RetryError:
        waited = (datetime.now(UTC) - started).total_seconds()
        raise ReportNotReady(report_id, str(last.get("processingStatus")), waited) from None
    status = str(report.get("processingStatus"))
    log.info("report %s ended %s for seller %s", report_id, status, client.seller.seller_id)
    if status == "FATAL":
        raise ReportFailed(report_id, report.get("reportType"), status)
    return report


def get_report_document(client: SpApiClient, report_document_id: str) -> dict[str, Any]:
    """The document's presigned URL and compression (getReportDocument)."""
    return client.get_json("getReportDocument", f"{DOCUMENTS_PATH}/{report_document_id}")


def _url_expired(response: requests.Response) -> bool:
    # S3 answers an expired presigned URL with 403 AccessDenied "Request has expired".
    return response.status_code == 403 and "expired" in response.text.lower()


def _open_document(
    client: SpApiClient, report_document_id: str, document: dict[str, Any] | None
) -> tuple[requests.Response, dict[str, Any]]:
    """The download response (200) and the document it belongs to; the URL is renewed
    once if it expired between getReportDocument and the download."""
    if document is None:
        document = get_report_document(client, report_document_id)
    response = client.open_download(str(document["url"]))
    if _url_expired(response):
        response.close()
        log.info("document %s: URL expired, asking for a new one", report_document_id)
        document = get_report_document(client, report_document_id)
        response = client.open_download(str(document["url"]))
    if response.status_code != 200:
        status = response.status_code
        response.close()
        raise SpApiError(status, "DocumentDownloadFailed", report_document_id, "download")
    return response, document


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        # Amazon's flat files are mostly UTF-8, but some marketplaces send Windows-1252.
        return line.decode("cp1252", errors="replace")


def _strip_eol(text: str) -> str:
    return text.rstrip("\r\n")


def parse_tsv(lines: Iterator[bytes], validate: Validator | None = None) -> Iterator[ParsedRow]:
    """Rows of a tab-separated document by its header's column names."""
    columns: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        text = _strip_eol(_decode(line))
        if columns is None:
            columns = text.removeprefix("\ufeff").split("\t")
            continue
        if not text.strip():
            continue  # blank lines (a trailing newline, say) hold no row
        fields = text.split("\t")
        if len(fields) != len(columns):
            yield ParsedRow(
                None, number, text, f"expected {len(columns)} columns, got {len(fields)}"
            )
            continue
        values = dict(zip(columns, fields, strict=True))
        reason = validate(values) if validate is not None else None
        if reason:
            yield ParsedRow(None, number, text, reason)
        else:
            yield ParsedRow(values, number)


def download_report_rows(
    client: SpApiClient,
    report_document_id: str,
    *,
    document: dict[str, Any] | None = None,
    validate: Validator | None = None,
) -> Iterator[ParsedRow]:
    """Stream a report document's rows: download, decompress, decode, split by header.

    `document` is a getReportDocument answer already in hand (its URL is renewed if it
    expired). Lines that do not split into the header's columns, and rows `validate`
    refuses (it returns a reason), come back rejected rather than dropped.
    """
    response, document = _open_document(client, report_document_id, document)
    with response:
        raw = response.raw
        # Read the bytes exactly as sent and decompress ourselves: requests would also
        # undo a Content-Encoding: gzip, and decompressing twice would fail.
        raw.decode_content = False
        # urllib3 closes a response once fully read, and io.BufferedReader then fails its
        # next readline ("readline of closed file") instead of seeing the end: keep it open
        # for the wrapper (urllib3's documented setting for io wrappers). `with response`
        # still closes it.
        raw.auto_close = False
        compressed = document.get("compressionAlgorithm") == "GZIP" or (
            response.headers.get("Content-Encoding", "").lower() == "gzip"
        )
        stream: IO[bytes] = (
            gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            if compressed
            else io.BufferedReader(raw)
        )
        with stream:
            yield from parse_tsv(iter(stream), validate)


def report_rows(
    client: SpApiClient,
    report_id: str,
    *,
    validate: Validator | None = None,
    first_delay: float = 1,
    max_delay: float = 60,
    timeout: float = 3600,
) -> Iterator[ParsedRow]:
    """Wait for a report and stream its rows: CANCELLED (no data) yields nothing, FATAL
    raises `ReportFailed`, a report still processing at `timeout` `ReportNotReady`."""
    report = wait_for_report(
        client, report_id, first_delay=first_delay, max_delay=max_delay, timeout=timeout
    )
    if report.get("processingStatus") == "CANCELLED":
        return
    document_id = report.get("reportDocumentId")
    if not document_id:
        raise ReportFailed(report_id, report.get("reportType"), "DONE without a document")
    yield from download_report_rows(client, str(document_id), validate=validate)
