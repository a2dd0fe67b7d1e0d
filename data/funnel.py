"""Funnels from data: event-log funnels computed in DuckDB, and aggregated funnels.

Event-log funnel rules (the tests in tests/data/test_funnel.py pin every one of them):

* A funnel has 2-20 steps; a step is one event name or several ("any of"). An event may belong to
  one step only, and the exclusion event may not be a step.
* **Attempt**: every event of step 1 starts one (mode ``any``: every event of any step). An attempt
  that starts inside the date filter is followed past its end, up to the conversion window.
* **Conversion window** ``W``: a step counts when it happens at or before ``start + W``
  (inclusive: an event exactly at the end of the window counts).
* **Order modes**
  - ``ordered``: step k+1 happens at or after step k; other events may happen in between.
    Events with the same timestamp count as being in funnel order.
  - ``strict``: the very next event of the user (any event, funnel or not) must be the next step.
    Events with the same timestamp are taken in funnel order, other events after them.
  - ``any``: steps 1..k all happen inside the window, in any order.
* **Depth** of an attempt: the furthest step k it reaches (steps 1..k all reached).
* **Exclusion**: an attempt is removed when the exclusion event happens while it is in progress:
  from its start to the time it reached the last step (the earliest completion), or to the end
  of its window when it does not complete. Both ends inclusive.
* **Users**: each user is counted once, at the largest depth of their remaining attempts. The
  user's entry time is the start of their earliest remaining attempt; the breakdown segment is
  the dimension's value on that attempt's first event. Time to convert is measured on the
  user's earliest completed attempt: its completion time minus its start.

The per-user matching runs in SQL, never in Python loops: one ASOF join per step for ``ordered``
(greedy earliest match, which reaches the furthest step any matching could), one sort of each
user's sequence plus a hash aggregation for ``strict``, a RANGE window for ``any``. Users are
matched on a 64-bit hash of their id (sorting hashes is much cheaper than sorting strings): two ids
would have to collide, odds about 1 in 10^6 even for ten million users, to merge two users.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from data.db import execute, query, quote_ident, scalar
from data.issues import Issue
from data.session import Dataset, Workspace
from kpi import funnel as fk

ORDERS = ("ordered", "strict", "any")
MIN_STEPS, MAX_STEPS = 2, 20
BREAKDOWN_ROLES = ("channel", "device", "region")
GRAINS = ("day", "week", "month")
STEP_SEPARATOR = "|"
USERS_TABLE = "_funnel_users"

SOCIAL_STEPS = ("views", "profile_views", "new_followers")
CONTENT_STEPS = ("impressions", "clicks", "conversions")


# ---- the funnel definition ------------------------------------------------------------------

@dataclass(frozen=True)
class FunnelSpec:
    """What the user asked for. ``steps``: one tuple of event names per step ("any of")."""

    steps: tuple[tuple[str, ...], ...]
    window_seconds: int = fk.DEFAULT_WINDOW
    order: str = "ordered"
    exclude: str | None = None

    @property
    def names(self) -> list[str]:
        return [step_name(s) for s in self.steps]


def step_name(events: tuple[str, ...] | list[str]) -> str:
    return f" {STEP_SEPARATOR} ".join(events)


def parse_step(text: str) -> tuple[str, ...]:
    """``"add_to_cart|begin_checkout"`` -> ("add_to_cart", "begin_checkout"); blanks dropped."""
    parts = [p.strip() for p in text.split(STEP_SEPARATOR)]
    return tuple(dict.fromkeys(p for p in parts if p))


def validate(spec: FunnelSpec, known_events: set[str] | None = None) -> list[Issue]:
    """Every problem with a funnel definition, as translatable issues (empty list: usable)."""
    issues: list[Issue] = []
    steps = [s for s in spec.steps if s]
    if len(steps) != len(spec.steps):
        issues.append(Issue("funnel_empty_step", {}, "error"))
    if len(steps) < MIN_STEPS:
        issues.append(Issue("funnel_too_few_steps", {"min": MIN_STEPS, "n": len(steps)}, "error"))
    if len(steps) > MAX_STEPS:
        issues.append(Issue("funnel_too_many_steps", {"max": MAX_STEPS, "n": len(steps)}, "error"))
    seen: set[str] = set()
    for step in steps:
        for ev in step:
            if ev in seen:
                issues.append(Issue("funnel_event_in_two_steps", {"event": ev}, "error"))
            seen.add(ev)
    if spec.exclude is not None and spec.exclude in seen:
        issues.append(Issue("funnel_exclusion_is_step", {"event": spec.exclude}, "error"))
    if spec.order not in ORDERS:
        issues.append(Issue("funnel_bad_order", {"order": spec.order, "orders": ", ".join(ORDERS)}, "error"))
    if not fk.MIN_WINDOW <= spec.window_seconds <= fk.MAX_WINDOW:
        issues.append(Issue("funnel_bad_window", {"window": fk.format_window(spec.window_seconds)}, "error"))
    if known_events is not None:
        for ev in sorted(seen - known_events):
            issues.append(Issue("funnel_unknown_event", {"event": ev}, "error"))
        if spec.exclude is not None and spec.exclude not in known_events:
            issues.append(Issue("funnel_unknown_event", {"event": spec.exclude}, "error"))
    return issues


# ---- helpers ----------------------------------------------------------------------------------

def _bounds(date_range: tuple[date, date] | None) -> tuple[datetime, datetime]:
    """[lo, hi) timestamps of an inclusive date range; the whole timeline when None."""
    if date_range is None:
        return datetime(1, 1, 1), datetime(9999, 12, 31)
    lo, hi = date_range
    return datetime(lo.year, lo.month, lo.day), datetime(hi.year, hi.month, hi.day) + timedelta(days=1)


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    """Only the named parameters the statement uses (DuckDB refuses extra ones)."""
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return {k: v for k, v in values.items() if k in used}


def _run(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> pd.DataFrame:
    return query(con, sql, _params(sql, values))


def breakdown_roles(ds: Dataset) -> list[str]:
    """The breakdown dimensions an events dataset has, in a fixed order."""
    return [r for r in BREAKDOWN_ROLES if r in ds.roles]


# ---- event names --------------------------------------------------------------------------

def event_counts(con: duckdb.DuckDBPyConnection, view: str,
                 date_range: tuple[date, date] | None = None) -> pd.DataFrame:
    """Columns event, events: every event name in the range, most frequent first."""
    lo, hi = _bounds(date_range)
    sql = (f"SELECT event, count(*) AS events FROM {quote_ident(view)} "
           "WHERE event IS NOT NULL AND \"timestamp\" >= $lo AND \"timestamp\" < $hi "
           "GROUP BY event ORDER BY events DESC, event")
    return _run(con, sql, {"lo": lo, "hi": hi})


def unusable_rows(con: duckdb.DuckDBPyConnection, view: str) -> int:
    """Events the funnel cannot place: no user, no readable time or no event name."""
    return int(scalar(con, f"SELECT count(*) FROM {quote_ident(view)} "
                           "WHERE user_id IS NULL OR \"timestamp\" IS NULL OR event IS NULL"))


# ---- the per-user matching ----------------------------------------------------------------------

def _attempts_ordered(k: int) -> str:
    """att(u, t1, seg, depth, done_at): greedy earliest match, one ASOF join per step."""
    parts = ["a1 AS (SELECT u, ts AS t1, seg FROM ev WHERE step = 1 AND ts >= $lo AND ts < $hi)"]
    for i in range(2, k + 1):
        prev = "t1" if i == 2 else f"t{i - 1}"
        parts.append(f"a{i} AS (SELECT a.*, b.ts AS t{i} FROM a{i - 1} a ASOF LEFT JOIN "
                     f"(SELECT u, ts FROM ev WHERE step = {i}) b ON a.u = b.u AND b.ts >= a.{prev})")
    reached = " + ".join(f"coalesce(t{i} <= t1 + to_seconds($w), false)::INTEGER" for i in range(2, k + 1))
    parts.append(f"att AS (SELECT u, t1, seg, 1 + {reached} AS depth, t{k} AS done_at FROM a{k})")
    return ",\n".join(parts)


def _attempts_strict(k: int) -> str:
    """att(...) for strict order, with one sort of each user's whole event sequence.

    With ``pos`` the row number in the user's sequence, a chain that starts with step 1 at
    position p has step s at position p + s - 1, so ``pos - step`` is the same for all its rows
    and a hash aggregation by (user, pos - step) collects each chain: its depth is the length of
    the prefix of steps 1, 2, ... present (and inside the window).
    """
    firsts = ", ".join(f"min(ts) FILTER (WHERE step = {i}) AS f{i}" for i in range(1, k + 1))
    prefix = " + ".join("(" + " AND ".join(f"coalesce(f{j} <= f1 + to_seconds($w), false)"
                                           for j in range(1, i + 1)) + ")::INTEGER" for i in range(1, k + 1))
    return f"""
seq AS (
  SELECT u, ts, step, seg, row_number() OVER (PARTITION BY u ORDER BY ts, coalesce(step, {k + 1})) AS pos
  FROM allev
),
chains AS (
  SELECT u, arg_min(seg, step) AS seg, {firsts}
  FROM seq WHERE step IS NOT NULL GROUP BY u, pos - step
  HAVING min(step) = 1
),
att AS (
  SELECT u, f1 AS t1, seg, {prefix} AS depth, f{k} AS done_at
  FROM chains WHERE f1 >= $lo AND f1 < $hi
)"""


def _attempts_any(k: int) -> str:
    """att(...) for any order: which steps occur in [start, start + W] after each step event."""
    firsts = ",\n         ".join(f"min(ts) FILTER (WHERE step = {i}) OVER w AS f{i}" for i in range(1, k + 1))
    # depth = length of the prefix of steps 1..k that all occur in the window
    prefix = " + ".join("(" + " AND ".join(f"f{j} IS NOT NULL" for j in range(1, i + 1)) + ")::INTEGER"
                        for i in range(1, k + 1))
    done = ", ".join(f"f{i}" for i in range(1, k + 1))
    return f"""
win AS (
  SELECT u, ts AS t1, seg,
         {firsts}
  FROM ev
  WINDOW w AS (PARTITION BY u ORDER BY ts RANGE BETWEEN CURRENT ROW AND to_seconds($w) FOLLOWING)
),
att AS (
  SELECT u, t1, seg, {prefix} AS depth, greatest({done}) AS done_at
  FROM win WHERE t1 >= $lo AND t1 < $hi
)"""


def _users_sql(view: str, k: int, order: str, seg_role: str | None, exclude: bool) -> str:
    v = quote_ident(view)
    seg = quote_ident(seg_role) + "::VARCHAR" if seg_role else "NULL::VARCHAR"
    stepmap = "stepmap AS (SELECT unnest($names) AS event, unnest($steps) AS step)"
    base = (f"SELECT hash(user_id) AS u, \"timestamp\" AS ts, event, {seg} AS seg FROM {v} "
            "WHERE user_id IS NOT NULL AND \"timestamp\" IS NOT NULL AND event IS NOT NULL "
            "AND \"timestamp\" >= $lo AND \"timestamp\" <= $hi + to_seconds($w)")
    ctes = [stepmap,
            f"ev AS NOT MATERIALIZED (SELECT b.u, b.ts, b.event, b.seg, s.step FROM ({base}) b "
            "JOIN stepmap s USING (event))"]
    if order == "ordered":
        ctes.append(_attempts_ordered(k))
    elif order == "strict":
        ctes.append(f"allev AS NOT MATERIALIZED (SELECT b.u, b.ts, b.event, b.seg, s.step FROM ({base}) b "
                    "LEFT JOIN stepmap s USING (event))")
        ctes.append(_attempts_strict(k))
    else:
        ctes.append(_attempts_any(k))
    if exclude:
        ctes.append(f"x AS (SELECT hash(user_id) AS u, \"timestamp\" AS ts FROM {v} WHERE event = $exclude "
                    "AND user_id IS NOT NULL AND \"timestamp\" >= $lo AND \"timestamp\" <= $hi + to_seconds($w))")
        ctes.append(f"""kept AS (
  SELECT a.* FROM att a ASOF LEFT JOIN x ON a.u = x.u AND x.ts >= a.t1
  WHERE a.depth >= 1 AND (x.ts IS NULL OR x.ts > CASE WHEN a.depth = {k} THEN a.done_at
                                                       ELSE a.t1 + to_seconds($w) END)
)""")
    else:
        ctes.append("kept AS (SELECT * FROM att WHERE depth >= 1)")
    with_clause = ",\n".join(ctes)
    return f"""CREATE OR REPLACE TEMP TABLE {quote_ident(USERS_TABLE)} AS
WITH {with_clause}
SELECT u, max(depth) AS depth,
       first(seg ORDER BY t1, seg NULLS LAST) AS seg,
       min(t1) AS entered,
       first(epoch(done_at) - epoch(t1) ORDER BY t1) FILTER (WHERE depth = {k}) AS ttc
FROM kept GROUP BY u"""


@dataclass
class EventFunnel:
    """Aggregates of one event-log funnel, small enough for charts. Shaped by kpi/funnel.py."""

    spec: FunnelSpec
    step_names: list[str]
    depths: pd.DataFrame        # segment, depth, users   (segment is None without a breakdown)
    over_time: pd.DataFrame     # period, entered, converted   (by the date users entered)
    ttc_bins: pd.DataFrame      # bin, users   (bin i: TTC_EDGES[i] <= seconds < TTC_EDGES[i + 1])
    ttc_median: float | None    # seconds
    ttc_p90: float | None
    data_end: datetime | None   # the last event in the log: later periods are still converting
    breakdown: str | None = None
    issues: list[Issue] = field(default_factory=list)


def _check(spec: FunnelSpec, breakdown: str | None, seg_roles: tuple[str, ...]) -> list[Issue]:
    issues = validate(spec)
    if breakdown is not None and breakdown not in seg_roles:
        issues.append(Issue("funnel_bad_breakdown", {"dimension": breakdown}, "error"))
    return issues


def _values(spec: FunnelSpec, date_range: tuple[date, date] | None, grain: str = "week") -> dict[str, Any]:
    lo, hi = _bounds(date_range)
    return {"names": [ev for step in spec.steps for ev in step],
            "steps": [i for i, step in enumerate(spec.steps, start=1) for _ in step],
            "lo": lo, "hi": hi, "w": int(spec.window_seconds), "exclude": spec.exclude,
            "grain": grain, "edges": list(fk.TTC_EDGES)}


def _build_users(con: duckdb.DuckDBPyConnection, view: str, spec: FunnelSpec, values: dict[str, Any],
                 breakdown: str | None) -> None:
    sql = _users_sql(view, len(spec.steps), spec.order, breakdown, spec.exclude is not None)
    execute(con, sql, _params(sql, values))


def user_outcomes(con: duckdb.DuckDBPyConnection, view: str, spec: FunnelSpec, *,
                  date_range: tuple[date, date] | None = None, breakdown: str | None = None,
                  seg_roles: tuple[str, ...] = BREAKDOWN_ROLES) -> pd.DataFrame:
    """One row per counted user: depth, segment, entered, ttc (seconds, converted users only).

    Rows are sorted but carry no user id: this is what every chart aggregates, exposed for
    tests and for checking a number by hand. Raises ValueError on an invalid spec.
    """
    issues = _check(spec, breakdown, seg_roles)
    if issues:
        raise ValueError(", ".join(i.code for i in issues))
    _build_users(con, view, spec, _values(spec, date_range), breakdown)
    try:
        out = query(con, f"SELECT depth, seg AS segment, entered, ttc FROM {quote_ident(USERS_TABLE)} "
                         "ORDER BY ALL NULLS LAST")
    finally:
        execute(con, f"DROP TABLE IF EXISTS {quote_ident(USERS_TABLE)}")
    for col in ("segment", "ttc"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def event_funnel(con: duckdb.DuckDBPyConnection, view: str, spec: FunnelSpec, *,
                 date_range: tuple[date, date] | None = None, breakdown: str | None = None,
                 grain: str = "week", seg_roles: tuple[str, ...] = BREAKDOWN_ROLES) -> EventFunnel:
    """Count the funnel of ``spec`` on the canonical events view ``view``.

    ``breakdown`` is a canonical role (channel, device, region) present in the view, or None.
    Invalid input gives an EventFunnel with empty frames and ``issues`` set; it never raises.
    """
    issues = _check(spec, breakdown, seg_roles)
    if grain not in GRAINS:
        grain = "week"
    if issues:
        return EventFunnel(spec, spec.names, pd.DataFrame({"segment": [], "depth": [], "users": []}),
                           pd.DataFrame({"period": [], "entered": [], "converted": []}),
                           pd.DataFrame({"bin": [], "users": []}), None, None, None, breakdown, issues)
    k = len(spec.steps)
    values = _values(spec, date_range, grain)
    _build_users(con, view, spec, values, breakdown)
    users = quote_ident(USERS_TABLE)
    try:
        depths = _run(con, f"SELECT seg AS segment, depth, count(*) AS users FROM {users} "
                           "GROUP BY ALL ORDER BY segment NULLS LAST, depth", values)
        over_time = _run(con, f"SELECT date_trunc($grain, entered)::DATE AS period, count(*) AS entered, "
                              f"count(*) FILTER (WHERE depth = {k}) AS converted FROM {users} "
                              "GROUP BY ALL ORDER BY period", values)
        ttc_bins = _run(con, "SELECT len(list_filter($edges, lambda e: e <= ttc)) - 1 AS bin, "
                             f"count(*) AS users FROM {users} WHERE ttc IS NOT NULL GROUP BY ALL ORDER BY bin",
                        values)
        q = con.execute(f"SELECT quantile_cont(ttc, 0.5), quantile_cont(ttc, 0.9) FROM {users}").fetchone()
        data_end = scalar(con, f"SELECT max(\"timestamp\") FROM {quote_ident(view)}")
    finally:
        execute(con, f"DROP TABLE IF EXISTS {users}")
    depths["segment"] = depths["segment"].astype(object).where(depths["segment"].notna(), None)
    return EventFunnel(spec, spec.names, depths, over_time, ttc_bins,
                       None if q is None or q[0] is None else float(q[0]),
                       None if q is None or q[1] is None else float(q[1]),
                       data_end, breakdown, [])


# ---- default funnel ----------------------------------------------------------------------------

def default_steps(con: duckdb.DuckDBPyConnection, view: str,
                  date_range: tuple[date, date] | None = None) -> list[str]:
    """A sensible first funnel for a log: known funnel events in order, else the most common ones."""
    counts = event_counts(con, view, date_range)
    return fk.default_steps([str(e) for e in counts["event"]])


# ---- aggregated funnels ----------------------------------------------------------------------------

def funnel_counts(con: duckdb.DuckDBPyConnection, ds: Dataset) -> pd.DataFrame:
    """Columns segment, step, users from a funnel_counts dataset, steps in file order.

    The step order is the order of first appearance in the file (the table's rowid); users are
    summed over repeated (segment, step) rows. ``segment`` is None without a segment column.
    """
    step_col = quote_ident(ds.roles["step"])
    users_col = quote_ident(ds.roles["users"])
    seg = f"TRY_CAST({quote_ident(ds.roles['segment'])} AS VARCHAR)" if "segment" in ds.roles else "NULL::VARCHAR"
    sql = (f"WITH t AS (SELECT rowid AS r, TRY_CAST({step_col} AS VARCHAR) AS step, {seg} AS segment, "
           f"TRY_CAST({users_col} AS DOUBLE) AS users FROM {quote_ident(ds.name)}), "
           "o AS (SELECT step, min(r) AS pos FROM t WHERE step IS NOT NULL GROUP BY step) "
           "SELECT t.segment, t.step, sum(t.users) AS users, min(o.pos) AS pos FROM t JOIN o USING (step) "
           "GROUP BY t.segment, t.step ORDER BY pos, segment NULLS FIRST")
    out = query(con, sql)
    out["segment"] = out["segment"].astype(object).where(out["segment"].notna(), None)
    return out[["segment", "step", "users"]]


def _role_sum(con: duckdb.DuckDBPyConnection, ds: Dataset, role: str, date_range) -> float | None:
    if role not in ds.roles:
        return None
    if date_range is not None and "date" in ds.roles:
        lo, hi = date_range
        return scalar(con, f"SELECT sum({quote_ident(role)}) FROM {quote_ident(ds.view)} "
                           "WHERE \"date\" BETWEEN ? AND ?", [lo, hi])
    return scalar(con, f"SELECT sum({quote_ident(role)}) FROM {quote_ident(ds.view)}")


def totals_funnel(con: duckdb.DuckDBPyConnection, datasets: list[Dataset], roles: tuple[str, ...],
                  date_range: tuple[date, date] | None = None) -> pd.DataFrame:
    """Columns step (a role name), users: each role summed over the range from the first dataset
    that has it. Used for social_daily (views -> profile views -> new followers) and content
    (impressions -> clicks -> conversions). Roles no dataset has are left out."""
    rows = []
    for role in roles:
        for ds in datasets:
            total = _role_sum(con, ds, role, date_range)
            if role in ds.roles:
                rows.append({"step": role, "users": float(total or 0.0)})
                break
    return pd.DataFrame(rows, columns=["step", "users"])


# ---- sources ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """One funnel the workspace can show: an events log, a step-count file, social or content totals."""

    kind: str                   # events | funnel_counts | social | content
    datasets: tuple[str, ...]   # dataset names
    label: str                  # file names, for the picker


def sources(ws: Workspace) -> list[Source]:
    out = [Source("events", (d.name,), d.label) for d in ws.of_kind("events")
           if {"user_id", "timestamp", "event"} <= d.roles.keys()]
    out += [Source("funnel_counts", (d.name,), d.label) for d in ws.of_kind("funnel_counts")
            if {"step", "users"} <= d.roles.keys()]
    social = [d for d in ws.of_kind("social_daily") if set(SOCIAL_STEPS) & d.roles.keys()]
    if len({r for d in social for r in d.roles} & set(SOCIAL_STEPS)) >= 2:
        out.append(Source("social", tuple(d.name for d in social), ", ".join(d.label for d in social)))
    for d in ws.of_kind("content"):
        if len(set(CONTENT_STEPS) & d.roles.keys()) >= 2:
            out.append(Source("content", (d.name,), d.label))
    return out


def aggregated(ws: Workspace, source: Source,
               date_range: tuple[date, date] | None = None) -> tuple[list[str], pd.DataFrame]:
    """Step names and rows (segment, step, users) of a funnel_counts, social or content source.

    Social and content steps are role names (views, profile_views, ...): the UI labels them.
    """
    datasets = [d for d in (ws.get(n) for n in source.datasets) if d is not None]
    if source.kind == "funnel_counts" and datasets:
        rows = funnel_counts(ws.con, datasets[0])
        return list(dict.fromkeys(rows["step"])), rows
    roles = SOCIAL_STEPS if source.kind == "social" else CONTENT_STEPS
    rows = totals_funnel(ws.con, datasets, roles, date_range)
    rows.insert(0, "segment", None)
    return list(rows["step"]), rows


# ---- the CLI ------------------------------------------------------------------------------------------

class FunnelInputError(ValueError):
    """Bad funnel input for the CLI; ``issues`` are translatable."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(", ".join(i.code for i in issues))
        self.issues = issues


def funnel_json(ws: Workspace, steps: list[str], window: str = "7d", order: str = "ordered",
                exclude: str | None = None, date_range: tuple[date, date] | None = None) -> dict[str, Any]:
    """The "funnel" block of audit.py's JSON for the first events dataset in ``ws``.

    ``steps`` are event names; "a|b" is a step that accepts either event. Raises FunnelInputError
    with translatable issues when the input is unusable (no event log, bad window, unknown events).
    """
    logs = ws.of_kind("events")
    if not logs:
        raise FunnelInputError([Issue("funnel_no_event_log", {}, "error")])
    ds = logs[0]
    seconds = fk.parse_window(window)
    if seconds is None:
        raise FunnelInputError([Issue("funnel_bad_window", {"window": window}, "error")])
    spec = FunnelSpec(tuple(parse_step(s) for s in steps), seconds, order, exclude or None)
    known = {str(e) for e in event_counts(ws.con, ds.view)["event"]}
    issues = validate(spec, known)
    if issues:
        raise FunnelInputError(issues)
    data = event_funnel(ws.con, ds.view, spec, date_range=date_range)
    if data.issues:
        raise FunnelInputError(data.issues)
    result = fk.from_depths(data.step_names, fk.depth_counts(data.depths))
    return {
        "dataset": ds.label,
        "steps": [{"name": s.name, "users": s.users,
                   "conversion_from_previous": fk.rounded(s.from_previous),
                   "conversion_from_start": fk.rounded(s.from_start)} for s in result.steps],
        "worst_step": None if result.worst is None else result.steps[result.worst].name,
        "overall_conversion": fk.rounded(result.overall),
        "window": fk.format_window(seconds),
        "order": order,
        "exclude": exclude or None,
    }
