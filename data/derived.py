"""Tables and small results derived from the loaded datasets, kept per workspace until the data changes.

The KPI queries all start from a few compact tables (distinct user-days, purchase days, each user's
first event) instead of scanning the raw event log again for every KPI, every comparison range and
every sparkline. Each table is built once per *workspace state* (the datasets, their kinds and their
mappings) and SQL text: loading, re-reading or removing a file, or changing a mapping, drops them all.
Query results (small per-period frames) are kept in a bounded LRU beside them, keyed by the caller.

Tables are session-local ``TEMP`` tables named ``kpiwb_<stem>_<n>`` on the workspace's own connection.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from data.db import quote_ident
from data.session import Workspace

MAX_RESULTS = 256          # small frames; the LRU forgets the oldest beyond this
_ATTR = "_kpiwb_derived"
_SERIAL = "_kpiwb_derived_serial"


def state_key(ws: Workspace) -> tuple:
    """What the derived tables depend on: each dataset's name (new on every load or re-read), kind and roles."""
    return tuple((d.name, d.kind, tuple(sorted(d.roles.items()))) for d in ws.datasets)


@dataclass
class _Cache:
    state: tuple
    tables: dict[tuple, str] = field(default_factory=dict)
    results: OrderedDict = field(default_factory=OrderedDict)


def _freeze(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _drop_tables(ws: Workspace, cache: _Cache) -> None:
    for name in cache.tables.values():
        ws.con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
    cache.tables.clear()


def _cache(ws: Workspace) -> _Cache:
    key = state_key(ws)
    cache = ws.__dict__.get(_ATTR)
    if cache is None or cache.state != key:
        if cache is not None:
            _drop_tables(ws, cache)
        cache = _Cache(key)
        ws.__dict__[_ATTR] = cache
    return cache


def table(ws: Workspace, stem: str, sql: str, params: Mapping[str, Any] | None = None) -> str:
    """The name of a temp table holding ``sql`` (a SELECT with named ``$parameters``), built on first use.

    Two callers asking for the same SQL text and parameters share one table."""
    cache = _cache(ws)
    bound = dict(params or {})
    key = (sql, tuple(sorted((k, _freeze(v)) for k, v in bound.items())))
    name = cache.tables.get(key)
    if name is None:
        serial = ws.__dict__.get(_SERIAL, 0) + 1
        ws.__dict__[_SERIAL] = serial
        name = f"kpiwb_{stem}_{serial}"
        statement = f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} AS {sql}"
        if bound:
            ws.con.execute(statement, bound)
        else:
            ws.con.execute(statement)
        cache.tables[key] = name
    return name


def result(ws: Workspace, key: tuple, make: Callable[[], Any]) -> Any:
    """``make()`` once per workspace state and ``key`` (the most recent MAX_RESULTS kept)."""
    cache = _cache(ws)
    if key in cache.results:
        cache.results.move_to_end(key)
        return cache.results[key]
    value = make()
    cache = _cache(ws)              # make() never changes the data, but stay safe if it did
    cache.results[key] = value
    while len(cache.results) > MAX_RESULTS:
        cache.results.popitem(last=False)
    return value


def clear(ws: Workspace) -> None:
    """Forget every derived table and result (the benchmark's cold runs; tests)."""
    cache = ws.__dict__.pop(_ATTR, None)
    if cache is not None:
        _drop_tables(ws, cache)


def tables(ws: Workspace) -> list[str]:
    """Names of the derived tables currently held."""
    cache = ws.__dict__.get(_ATTR)
    return [] if cache is None else list(cache.tables.values())
