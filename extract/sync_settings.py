"""How far back a sync reaches and how much it re-reads: the knobs of incremental loading."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

# How far back a first sync reaches when no `since` is given.
DEFAULT_HISTORY = timedelta(days=90)


class SyncSettings(BaseModel):
    """Windows and look-backs. `since` is the first sync's start; later runs use cursors."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # None: this many days back from the server's now (see `DEFAULT_HISTORY`)
    since: datetime | None = None
    # Orders change status after purchase; each run re-reads this much before its cursor.
    orders_overlap: timedelta = timedelta(hours=2)
    # Report rows can appear days late (reporting lag); each run re-reads this much.
    report_lookback: timedelta = timedelta(days=3)
    inbound_lookback: timedelta = timedelta(days=1)
    # Settlement groups started within this are listed again (the open one among them).
    group_lookback: timedelta = timedelta(days=30)
    # Closed settlement periods are read from the settlement report Amazon writes for each
    # (when it still lists one: 90 days) instead of paging their events; False pages every
    # period through the Finances API (extract/amazon/settlements.py).
    settlement_reports: bool = True
    # An orders window longer than this (a first sync, a long outage) reads orders from
    # all-orders reports, and leaves searchOrders only the newest `orders_api_window`.
    # searchOrders allows one page of 100 orders per 180 s after a burst of 20: a year of
    # 275 orders a day would take 5.6 h through it, while the report slices are ready in
    # minutes. Shorter windows (the six-hourly runs) stay on searchOrders: fresh, and no
    # report to wait for.
    backfill_after: timedelta = timedelta(days=2)
    orders_api_window: timedelta = timedelta(hours=6)
    # The report cannot tell a pending order from an unshipped one: searchOrders reads
    # those again, back to at most this far.
    orders_api_max_lookback: timedelta = timedelta(days=7)
    # Report slices loaded (with their cursor) per load: a first sync interrupted after
    # k slices keeps them and resumes at slice k + 1.
    report_slices_per_load: int = Field(default=1, ge=1)
    # Settlement groups read per finances load (about 14 days each): a first sync loads a
    # year a few periods at a time, so a kill loses one batch and a load holds one batch.
    settlement_groups_per_load: int = Field(default=6, ge=1)
    # A data set with a larger share of its rows rejected ends failed (the rows are kept).
    max_rejected_share: float = Field(default=0.5, ge=0, le=1)
    # How long a run waits for one report before leaving it to the next run.
    report_wait_seconds: float = Field(default=600, gt=0)
    # First pause between getReport polls; it doubles up to a minute.
    report_poll_seconds: float = Field(default=1.0, gt=0)

    def resolved(self, now: datetime) -> SyncSettings:
        """These settings with `since` filled in from the server's clock."""
        return (
            self
            if self.since is not None
            else self.model_copy(update={"since": now - DEFAULT_HISTORY})
        )

    @property
    def start(self) -> datetime:
        if self.since is None:
            raise ValueError("settings not resolved: call resolved(now) first")
        return self.since
