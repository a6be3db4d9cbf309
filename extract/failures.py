"""A failed data set's error as the operator reads it: what failed and what to do.

The same line goes to the summary table's error column, the audit trail
(`raw_clario_audit.sync_runs.error`) and `clario status`. A network failure reads
"could not connect to https://host: connection refused; check ..., then rerun `clario sync
--seller X --data-set Y`", never urllib3's nest of exceptions; any other error keeps its
type and message, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from extract.spapi.client import SpApiError
from extract.spapi.network import describe_network_failure


def rerun_command(seller_id: str, data_sets: Sequence[str] | None = None) -> str:
    """The command that syncs just this seller (and these data sets) again."""
    flags = [f"--seller {seller_id}", *(f"--data-set {name}" for name in data_sets or ())]
    return " ".join(["clario sync", *flags])


def network_failure(error: BaseException) -> str | None:
    """What failed, in words, when `error` (or one of its causes) is a network failure."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and not any(current is s for s in seen):
        if isinstance(current, SpApiError) and current.network:
            return current.network
        seen.append(current)
        current = current.__cause__ or current.__context__
    return describe_network_failure(error)


def failure_text(
    error: BaseException, seller_id: str, data_sets: Sequence[str] | None = None
) -> str:
    """One line for a failure of `seller_id`'s `data_sets` (None: all of them)."""
    network = network_failure(error)
    if network:
        return (
            f"{network}; check the seller's endpoint and token_url in the sellers file and"
            f" the network, then rerun `{rerun_command(seller_id, data_sets)}`"
        )
    return f"{type(error).__name__}: {error}"
