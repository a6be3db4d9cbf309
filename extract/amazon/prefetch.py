"""A first sync's settlement events, paged ahead while the seller's other data sets sync.

A seller's data sets sync one after another through its one dlt pipeline (dlt's pipeline
takes one extraction at a time). On a first sync of a year, the Finances API is the long
pole: about 840 `listFinancialEventsByGroupId` pages at 0.5/s, 28 minutes, while the
other data sets wait on other operations' limits and on report generation. So when
finances has no state yet, a thread pages the events of every group the finances data set
will page from the seller's start. Pages go to a spool file on disk (memory stays flat),
and the finances resource reads them back in order when its turn comes, waiting for the
pages still on their way. The year then takes about the longest data set, not their sum.

Only the groups the API must serve are paged ahead: closed groups with a settlement
report Amazon lists are read from it (extract/amazon/settlements.py). Should a report not
match its group after all, that group is paged live, as it would be without this. A group
whose read-ahead failed is paged live too, on the data set's next attempt.
"""

from __future__ import annotations

import logging
import pickle
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from extract.amazon.settlements import candidates, group_period, list_settlement_reports
from extract.spapi.client import SpApiClient

log = logging.getLogger("clario.extract")

GROUPS_OPERATION = "listFinancialEventGroups"
EVENTS_OPERATION = "listFinancialEventsByGroupId"


def group_events_path(group_id: str) -> str:
    return f"/finances/v0/financialEventGroups/{group_id}/financialEvents"


class Spool:
    """Pages written by one thread and read back, in order, by another: pickled to a file.

    A reader waits for pages not yet written, and gets the writer's error once it has read
    every page written before it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = threading.Condition()
        self.written = 0
        self.started = False
        self.finished = False
        self.error: BaseException | None = None

    def write_all(self, pages: Iterator[Any], stop: threading.Event) -> None:
        try:
            with self.path.open("wb") as file:
                with self._ready:
                    self.started = True
                    self._ready.notify_all()
                for page in pages:
                    pickle.dump(page, file, protocol=pickle.HIGHEST_PROTOCOL)
                    file.flush()  # complete on disk before a reader is told of it
                    with self._ready:
                        self.written += 1
                        self._ready.notify_all()
                    if stop.is_set():
                        raise InterruptedError("the seller's sync ended before this group")
        except BaseException as error:
            with self._ready:
                self.error = error
            raise
        finally:
            with self._ready:
                self.finished = True
                self._ready.notify_all()

    def abandon(self) -> None:
        """Never to be written: its reader pages the group live instead."""
        with self._ready:
            self.finished = True
            self._ready.notify_all()

    def wait_started(self) -> bool:
        """Wait until the writer starts (True) or abandons this spool (False)."""
        with self._ready:
            self._ready.wait_for(lambda: self.started or self.finished)
            return self.started

    def _past(self, read: int) -> bool:
        return self.written > read or self.finished

    def __iter__(self) -> Iterator[Any]:
        read = 0
        with self.path.open("rb") as file:
            while True:
                with self._ready:
                    self._ready.wait_for(partial(self._past, read))
                    available, error = self.written > read, self.error
                if available:
                    yield pickle.load(file)
                    read += 1
                elif error is not None:
                    raise error
                else:
                    return


class FinancesReadAhead:
    """The events pages of a first sync's API-served groups, paged in a thread."""

    def __init__(
        self,
        client: SpApiClient,
        groups_since: str,
        spool_dir: Path,
        *,
        settlement_reports: bool,
    ) -> None:
        self.client = client
        self.groups_since = groups_since
        self.spool_dir = spool_dir
        self.settlement_reports = settlement_reports
        self._spools: dict[str, Spool] = {}
        self._planned = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="finances read-ahead", daemon=True)

    def start(self) -> FinancesReadAhead:
        shutil.rmtree(self.spool_dir, ignore_errors=True)  # a killed run's leftovers
        self.spool_dir.mkdir(parents=True)
        self._thread.start()
        return self

    def pages(self, group_id: str) -> Iterator[Any] | None:
        """The group's pages as read ahead, or None: page it live."""
        self._planned.wait()
        spool = self._spools.get(group_id)
        # not planned, failed (an earlier attempt saw it fail), or never reached
        if spool is None or spool.error is not None or not spool.wait_started():
            return None
        return iter(spool)

    def close(self) -> None:
        self._stop.set()
        self._planned.set()
        self._thread.join()
        shutil.rmtree(self.spool_dir, ignore_errors=True)

    def _run(self) -> None:
        try:
            group_ids = self._groups_to_page()
        except Exception as error:  # the finances data set lists them again, and says why
            log.info("finances read-ahead: could not list groups: %s", error)
            self._planned.set()
            return
        self._spools = {
            group_id: Spool(self.spool_dir / f"{index:05d}.pages")
            for index, group_id in enumerate(group_ids)
        }
        self._planned.set()
        try:
            for group_id, spool in self._spools.items():
                if self._stop.is_set():
                    break
                pages = self.client.paginate(
                    EVENTS_OPERATION, group_events_path(group_id), {"MaxResultsPerPage": 100}
                )
                try:
                    spool.write_all(pages, self._stop)
                except Exception as error:  # left to the live path, which reports it
                    log.info("finances read-ahead stopped at group %s: %s", group_id, error)
                    break
        finally:
            for spool in self._spools.values():
                if not spool.started:
                    spool.abandon()

    def _groups_to_page(self) -> list[str]:
        """Groups started since the first sync's start, less those a report will serve."""
        listed = self.client.paginate(
            GROUPS_OPERATION,
            "/finances/v0/financialEventGroups",
            {"MaxResultsPerPage": 100, "FinancialEventGroupStartedAfter": self.groups_since},
        )
        groups = [
            group
            for page in listed
            for group in page.get("payload", {}).get("FinancialEventGroupList", [])
        ]
        reports = list_settlement_reports(self.client) if self.settlement_reports else []
        wanted = []
        for group in groups:
            period = group_period(group) if group.get("ProcessingStatus") == "Closed" else None
            if period is not None and candidates(period, reports, set()):
                continue
            wanted.append(str(group["FinancialEventGroupId"]))
        return wanted
