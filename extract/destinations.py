"""dlt's DuckDB and PostgreSQL destinations, their capabilities worked out once.

dlt asks a destination factory for its capabilities (identifier rules, file formats) about
seven times per extract, normalize and load, and each time resolves the destination's
whole configuration through the config providers (environment, `.dlt/*.toml`): 65 calls
and 13 % of the CPU of a small seller's sync. For these two destinations the answer
depends only on the factory's arguments and the naming convention's case rules (neither
overrides `adjust_capabilities`), so it is kept per naming convention; each caller gets
its own copy, as dlt sets fields on the object it is given. A call with a resolved
configuration (a destination client's) is not cached.

The factories keep dlt's destination type (`dlt.destinations.duckdb`): it is written into
each pipeline's state, which is loaded into the warehouse.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from typing import Any

from dlt.common.destination import Destination, DestinationCapabilitiesContext
from dlt.common.destination.reference import DestinationReference
from dlt.common.normalizers.naming import NamingConvention
from dlt.destinations import duckdb, postgres

_NamingKey = tuple[type[NamingConvention] | None, bool, int | None]


def _naming_key(naming: NamingConvention | None) -> _NamingKey:
    if naming is None:
        return (None, False, None)
    return (type(naming), naming.is_case_sensitive, naming.max_length)


class _CapabilitiesOnce(Destination[Any, Any]):
    """Caches `capabilities()` asked without a configuration, per naming convention."""

    _dlt_factory: type[Destination[Any, Any]]

    def capabilities(
        self, config: Any = None, naming: NamingConvention | None = None
    ) -> DestinationCapabilitiesContext:
        if config is not None:
            return super().capabilities(config, naming)
        # no __init__ of its own: dlt reads the factory's signature from the class's __init__.
        # Threads may both work out a missing entry; either answer is the same.
        cache: dict[_NamingKey, DestinationCapabilitiesContext] = self.__dict__.setdefault(
            "_capabilities_once", {}
        )
        key = _naming_key(naming)
        if key not in cache:
            cache[key] = super().capabilities(None, naming)
        return copy.copy(cache[key])

    @property
    def destination_type(self) -> str:
        # dlt derives it from the class's module; the pipeline state records it
        return DestinationReference.normalize_type(
            f"{self._dlt_factory.__module__}.{self._dlt_factory.__qualname__}"
        )


class DuckDb(_CapabilitiesOnce, duckdb):
    """`dlt.destinations.duckdb`, capabilities cached."""

    _dlt_factory = duckdb


class Postgres(_CapabilitiesOnce, postgres):
    """`dlt.destinations.postgres`, capabilities cached."""

    _dlt_factory = postgres


LOAD_MEMORY_LIMIT_ENV = "CLARIO_DUCKDB_LOAD_MEMORY_LIMIT"
# DuckDB's buffer pool otherwise grows with the data loaded (80 % of RAM by default). A
# 587,000-row report's sync peaked at 1,305 MiB with none, 736 MiB at 512MB and 393 MiB at
# 128MB, where a report ten times smaller peaks at 354 MiB; the load step took 11.9 s
# instead of 7.7 s of an 83 s sync (bench/report_streaming.py). DuckDB spills past it.
DEFAULT_LOAD_MEMORY_LIMIT = "128MB"
_MEMORY_SIZE = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,3})? ?([KMGT]i?B|B)$", re.IGNORECASE)


class DestinationSettingError(ValueError):
    """A destination setting from the environment that cannot be used safely."""


def load_memory_limit(environ: Mapping[str, str] | None = None) -> str:
    """DuckDB's memory limit for loads (CLARIO_DUCKDB_LOAD_MEMORY_LIMIT, e.g. `2GB`).

    dlt writes it into a `SET` statement, quoted but not escaped when DuckDB refuses the
    bound form, so only a size passes."""
    env = os.environ if environ is None else environ
    value = env.get(LOAD_MEMORY_LIMIT_ENV) or DEFAULT_LOAD_MEMORY_LIMIT
    if not _MEMORY_SIZE.match(value):
        raise DestinationSettingError(
            f"{LOAD_MEMORY_LIMIT_ENV}: {value!r} is not a memory size (e.g. 128MB, 2GB, 1.5GiB)"
        )
    return value
