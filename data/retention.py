"""Retention and activity queries: cohort counts, active-user retention, DAU/WAU/MAU, lifecycle.

Every function takes a connection and a ``Dataset`` of kind ``events`` (user_id, timestamp, event) or
``orders`` (customer_id, timestamp, amount, optional status) and queries only its canonical view.
*Activity* is:

* events: any event, or only the events listed in ``active_events``;
* orders: an order with a positive amount whose status is not a cancellation, refund or return
  (return lines with a negative amount are not activity either).

Each insight is one aggregate query in DuckDB; turning the counts into rates is ``kpi/retention.py``.
``date_range`` (inclusive dates: the sidebar filter) picks what is measured, and the data after it
is used to follow up, like the KPI engine (``data/kpis.py``) does:

* cohorts are the users whose *first activity in the data* falls in the range (a user active before
  the range is not "new" in it), followed up to the last date of the data;
* active-user retention pools the days N in the range, with day N + k up to the last date of the data;
* DAU/WAU/MAU, stickiness and the lifecycle count periods in the range (activity before the range
  counts as history: who is new, returning or resurrecting).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from data.db import query, quote_ident
from data.issues import Issue
from data.session import Dataset, Workspace
from kpi import retention as kr
from kpi.result import Outcome

KINDS = ("events", "orders")
# order statuses (lower case; the languages the app reads) that are not a purchase
NOT_ACTIVITY_STATUS = r"cancel|refund|return|chargeback|void|reject|fail|отмен|возврат|отказ|取消|退款|退货|失败"
DIMENSIONS = {"events": ("channel", "device", "region"), "orders": ("channel", "coupon")}
# each user's active periods become one integer bitmask when the data spans at most this many periods
BITMASK_TYPES = ((64, "UBIGINT"), (128, "UHUGEINT"))
_STEP = {kr.Period.DAY: "INTERVAL 1 DAY", kr.Period.WEEK: "INTERVAL 7 DAY", kr.Period.MONTH: "INTERVAL 1 MONTH"}
_TRUNC = {kr.Period.DAY: "CAST(ts AS DATE)", kr.Period.WEEK: "CAST(date_trunc('week', ts) AS DATE)",
          kr.Period.MONTH: "CAST(date_trunc('month', ts) AS DATE)"}

DateRange = tuple[date, date] | None


class RetentionUnavailable(Exception):
    """The dataset cannot give retention; carries a translatable Issue."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


def check(ds: Dataset) -> Issue | None:
    """Why a dataset cannot give retention, or None when it can."""
    if ds.kind not in KINDS:
        return Issue("retention_wrong_kind", {"file": ds.label}, "error")
    need = ["user_id", "timestamp"] if ds.kind == "events" else ["customer_id", "timestamp"]
    if ds.kind == "orders" and "amount" not in ds.roles and not {"quantity", "unit_price"} <= ds.roles.keys():
        need.append("amount")
    missing = [r for r in need if r not in ds.roles]
    if missing:
        return Issue("retention_missing_role", {"file": ds.label, "role": missing[0]}, "error")
    return None


def usable_datasets(ws: Workspace) -> list[Dataset]:
    """Loaded event logs first, then orders files, that can give retention."""
    return [d for kind in KINDS for d in ws.of_kind(kind) if check(d) is None]


def _activity(ds: Dataset, active_events: Sequence[str] | None,
              dimension: str | None = None) -> tuple[str, dict[str, Any]]:
    """SELECT uid, ts (and seg: the ``dimension`` role as text) of the activity rows, with its params."""
    problem = check(ds)
    if problem is not None:
        raise RetentionUnavailable(problem)
    view = quote_ident(ds.view)
    seg = "" if dimension is None else f", CAST({quote_ident(dimension)} AS VARCHAR) AS seg"
    params: dict[str, Any] = {}
    if ds.kind == "events":
        sql = (f"SELECT user_id AS uid, timestamp AS ts{seg} FROM {view} "
               "WHERE user_id IS NOT NULL AND timestamp IS NOT NULL")
        if active_events:
            sql += " AND list_contains($events, event)"
            params["events"] = [str(e) for e in active_events]
        return sql, params
    sql = (f"SELECT customer_id AS uid, timestamp AS ts{seg} FROM {view} "
           "WHERE customer_id IS NOT NULL AND timestamp IS NOT NULL AND amount > 0")
    if "status" in ds.roles:
        sql += " AND NOT regexp_matches(lower(coalesce(status, '')), $not_activity)"
        params["not_activity"] = NOT_ACTIVITY_STATUS
    return sql, params


def _bounds(date_range: DateRange) -> tuple[datetime, datetime]:
    """Half-open timestamp bounds for an inclusive date range (very wide when there is none)."""
    if date_range is None:
        return datetime(1, 1, 1), datetime(9999, 12, 31)
    lo, hi = date_range
    return datetime(lo.year, lo.month, lo.day), datetime(hi.year, hi.month, hi.day) + timedelta(days=1)


def _as_date(x: Any) -> date:
    if isinstance(x, (pd.Timestamp, datetime)):
        return x.date()
    return x


@dataclass(frozen=True)
class Span:
    first: date
    last: date


def data_span(con, ds: Dataset, date_range: DateRange = None) -> Span | None:
    """The dates the data covers (first to last row with a time, activity or not), clipped to the range.

    The last date of the whole data decides which periods are complete; clipped, it bounds the days
    DAU is averaged over (as in ``data/kpis.py``). None when the range and the data do not overlap.
    """
    if check(ds) is not None:
        return None
    df = query(con, f"SELECT CAST(min(timestamp) AS DATE) AS first, CAST(max(timestamp) AS DATE) AS last "
                    f"FROM {quote_ident(ds.view)}")
    first, last = df["first"].iloc[0], df["last"].iloc[0]
    if pd.isna(first) or pd.isna(last):
        return None
    first, last = _as_date(first), _as_date(last)
    if date_range is not None:
        first, last = max(first, date_range[0]), min(last, date_range[1])
    return Span(first, last) if first <= last else None


def event_names(con, ds: Dataset, limit: int = 200) -> list[str]:
    """The dataset's event names, most frequent first (the choices for "what counts as active")."""
    if ds.kind != "events" or "event" not in ds.roles:
        return []
    df = query(con, f"SELECT event, count(*) AS n FROM {quote_ident(ds.view)} WHERE event IS NOT NULL "
                    "GROUP BY event ORDER BY n DESC, event LIMIT $limit", {"limit": limit})
    return [str(e) for e in df["event"]]


def dimensions(ds: Dataset) -> list[str]:
    """Roles a retention breakdown can use, in the order the page offers them."""
    return [r for r in DIMENSIONS.get(ds.kind or "", ()) if r in ds.roles]


# ---- cohorts -----------------------------------------------------------------------------------

def _index_expr(period: kr.Period) -> str:
    """The period index of ``ts`` counted from ``$base`` (a period start; for months, year * 12 + month)."""
    if period is kr.Period.MONTH:
        return "(year(ts) * 12 + month(ts) - $base)"
    if period is kr.Period.WEEK:
        return "(date_diff('day', $base, CAST(ts AS DATE)) // 7)"
    return "date_diff('day', $base, CAST(ts AS DATE))"


def cohort_counts(con, ds: Dataset, period: str = "week", active_events: Sequence[str] | None = None,
                  date_range: DateRange = None, max_k: int | None = None, dimension: str | None = None,
                  method: str = "auto") -> pd.DataFrame:
    """Columns [segment,] cohort (date), k, active, last: one row per cohort and period index.

    Cohorts: users whose first activity is in the range. ``active`` = cohort users active in period k;
    ``last`` = cohort users whose last activity is in period k, for the "on or after" rule. With
    ``max_k``, periods after it are lumped into ``max_k + 1`` (only their ``last`` counts). With
    ``dimension``, users are split by their value of that role at their first activity (``segment``;
    None when they have none).

    When the data spans at most 128 periods (``method="auto"``) each user's active periods become one
    integer bitmask in a single GROUP BY over the rows; users are then counted per distinct mask (a
    small table: the first and last period are its lowest and highest bit) and the masks expanded.
    Longer spans (daily cohorts over more than four months) group distinct (user, period) pairs
    instead (``method="pairs"``, same result, slower).
    """
    p = kr.Period(period)
    columns = (["segment"] if dimension else []) + ["cohort", "k", "active", "last"]
    src, params = _activity(ds, active_events, dimension)
    whole = data_span(con, ds, None)
    if whole is None:
        return pd.DataFrame({c: [] for c in columns})
    lo, hi = _bounds(date_range)
    base = kr.period_start(whole.first, p)
    n_periods = kr.periods_between(base, whole.last, p) + 1
    cap = n_periods if max_k is None else int(max_k)
    params.update(hi=hi, lo=lo, cap=cap, base=base.year * 12 + base.month if p is kr.Period.MONTH else base)
    idx = _index_expr(p)
    mask_type = next((t for bits, t in BITMASK_TYPES if n_periods <= bits), None)
    seg_key = "seg, " if dimension else ""
    if method == "pairs" or mask_type is None:
        first_seg = ", arg_min_null(seg, ts) AS seg" if dimension else ""
        user_seg = ", arg_min_null(seg, f) AS seg" if dimension else ""
        sql = f"""
            WITH up AS (SELECT uid, {idx} AS i, min(ts) AS f{first_seg} FROM ({src}) GROUP BY uid, i),
            u AS (SELECT uid, min(i) AS c, max(i) AS m{user_seg} FROM up GROUP BY uid
                  HAVING min(f) >= $lo AND min(f) < $hi)
            SELECT {"u.seg, " if dimension else ""}u.c AS c, least(up.i - u.c, $cap + 1) AS k,
                   count(*) FILTER (WHERE up.i - u.c <= $cap) AS active,
                   count(*) FILTER (WHERE up.i = u.m) AS last
            FROM up JOIN u USING (uid)
            GROUP BY ALL ORDER BY ALL"""
    else:
        # one GROUP BY over the rows; the first and last period come from the mask, in the small tables
        one = f"1::{mask_type}"
        user_seg = ", arg_min_null(seg, ts) AS seg" if dimension else ""
        having = "" if date_range is None else " HAVING min(ts) >= $lo AND min(ts) < $hi"
        params["bits"] = n_periods
        sql = f"""
            WITH u AS (SELECT bit_or({one} << i::{mask_type}) AS b{user_seg}
                       FROM (SELECT *, {idx} AS i FROM ({src})) GROUP BY uid{having}),
            pat AS (SELECT {seg_key}b, count(*) AS n FROM u GROUP BY ALL),
            bits AS (SELECT {seg_key}b, n, i FROM pat, range(0, $bits) AS r(i)
                     WHERE (b >> i::{mask_type}) & {one} = {one}),
            x AS (SELECT {seg_key}n, i, min(i) OVER w AS c, max(i) OVER w AS m FROM bits
                  WINDOW w AS (PARTITION BY {seg_key}b))
            SELECT {seg_key}c, least(i - c, $cap + 1) AS k,
                   coalesce(sum(n) FILTER (WHERE i - c <= $cap), 0) AS active,
                   coalesce(sum(n) FILTER (WHERE i = m), 0) AS last
            FROM x GROUP BY ALL ORDER BY ALL"""
        if date_range is None:
            del params["lo"], params["hi"]
    df = query(con, sql, params)
    out = {"cohort": [kr.add_periods(base, p, int(c)) for c in df["c"]],
           "k": df["k"].astype("int64").to_numpy(),
           "active": df["active"].astype("int64").to_numpy(),
           "last": df["last"].astype("int64").to_numpy()}
    if dimension:
        out = {"segment": [None if pd.isna(s) else str(s) for s in df["seg"]], **out}
    return pd.DataFrame(out, columns=columns)


def _rows(df: pd.DataFrame):
    return zip(df["cohort"], df["k"].tolist(), df["active"].tolist(), df["last"].tolist())


def cohort_matrix(con, ds: Dataset, period: str = "week", active_events: Sequence[str] | None = None,
                  rule: str = "on", date_range: DateRange = None, max_k: int | None = None,
                  method: str = "auto") -> kr.CohortMatrix:
    """The cohort retention matrix: counts from DuckDB, rates and incomplete flags from kpi.retention.

    Periods are complete or not by the last date of the whole data (cohorts are followed up after the
    range)."""
    whole = data_span(con, ds, None)
    if whole is None:
        return kr.CohortMatrix(kr.Period(period), kr.Rule(rule), None, ())
    df = cohort_counts(con, ds, period, active_events, date_range, max_k, method=method)
    return kr.cohort_matrix(_rows(df), period, rule, whole.last, first_date=whole.first, max_k=max_k)


@dataclass(frozen=True)
class SegmentCurve:
    segment: str | None  # None: users without a value (or, with ``other``, all other values)
    other: bool          # every value after the top ones, together
    users: int
    curve: tuple[kr.CurvePoint, ...]


def segment_curves(con, ds: Dataset, dimension: str, period: str = "week",
                   active_events: Sequence[str] | None = None, rule: str = "on", date_range: DateRange = None,
                   max_k: int = 12, top: int = 8) -> list[SegmentCurve]:
    """Pooled retention curves per value of ``dimension`` (the ``top`` values with most users, then the
    rest together), largest first."""
    if dimension not in dimensions(ds):
        raise RetentionUnavailable(Issue("retention_no_dimension", {"dimension": dimension}, "error"))
    span = data_span(con, ds, None)
    if span is None:
        return []
    df = cohort_counts(con, ds, period, active_events, date_range, max_k, dimension)
    keys = df["segment"].fillna(_NO_VALUE)
    sizes = df.loc[df["k"] == 0, "active"].groupby(keys[df["k"] == 0]).sum()
    ranked = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0] == _NO_VALUE, kv[0]))
    out = []
    for key, _ in ranked[:top]:
        out.append(_segment_curve(df[keys == key], None if key == _NO_VALUE else key, False, period, rule,
                                  span, max_k))
    rest = df[~keys.isin([key for key, _ in ranked[:top]])]
    if len(rest):
        merged = rest.groupby(["cohort", "k"], as_index=False)[["active", "last"]].sum()
        out.append(_segment_curve(merged, None, True, period, rule, span, max_k))
    return out


_NO_VALUE = "\x00"


def _segment_curve(part: pd.DataFrame, segment: str | None, other: bool, period: str, rule: str, span: Span,
                   max_k: int) -> SegmentCurve:
    matrix = kr.cohort_matrix(_rows(part), period, rule, span.last, max_k=max_k)
    return SegmentCurve(segment, other, sum(c.size for c in matrix.cohorts), kr.pooled_curve(matrix, max_k))


# ---- the guide's active-user retention ---------------------------------------------------------

def active_retention_counts(con, ds: Dataset, days: Sequence[int] = kr.RETENTION_DAYS,
                            active_events: Sequence[str] | None = None,
                            date_range: DateRange = None) -> dict[int, tuple[int, int]]:
    """{k: (retained, base)}, summed over the days N in the range with N + k up to the last date of the
    data: users active on N and on N + k, and users active on N."""
    whole = data_span(con, ds, None)
    if whole is None:
        return {int(k): (0, 0) for k in days}
    src, params = _activity(ds, active_events)
    lo, hi = _bounds(date_range)
    params.update(lo=lo.date(), hi=hi.date() - timedelta(days=1), ks=[int(k) for k in days], last=whole.last)
    sql = f"""
        WITH ud AS (SELECT DISTINCT uid, CAST(ts AS DATE) AS d FROM ({src})),
        ks AS (SELECT unnest($ks::INTEGER[]) AS k)
        SELECT ks.k, count(b.uid) AS retained, count(*) AS base
        FROM ud AS a CROSS JOIN ks
        LEFT JOIN ud AS b ON b.uid = a.uid AND b.d = a.d + ks.k
        WHERE a.d BETWEEN $lo AND $hi AND a.d + ks.k <= $last
        GROUP BY ks.k ORDER BY ks.k"""
    df = query(con, sql, params)
    got = {int(k): (int(r), int(b)) for k, r, b in zip(df["k"], df["retained"], df["base"])}
    return {int(k): got.get(int(k), (0, 0)) for k in days}


@dataclass(frozen=True)
class DayRetention:
    k: int
    cohort: Outcome                 # cohort Dk: first-activity-day cohorts, active on calendar day c + k
    active_users: Outcome           # the guide's Dk: users active on day N, also active on day N + k
    cohort_inputs: tuple[int, int]  # (retained, base)
    active_inputs: tuple[int, int]


def day_retention(con, ds: Dataset, active_events: Sequence[str] | None = None, rule: str = "on",
                  date_range: DateRange = None, days: Sequence[int] = kr.RETENTION_DAYS,
                  daily: kr.CohortMatrix | None = None) -> list[DayRetention]:
    """D1/D7/D30 under both definitions. ``daily``: the daily cohort matrix, when already computed
    (with ``max_k`` ≥ the largest day)."""
    if daily is None:
        daily = cohort_matrix(con, ds, "day", active_events, rule, date_range, max_k=max(days))
    counts = active_retention_counts(con, ds, days, active_events, date_range)
    curve = {pt.k: pt for pt in kr.pooled_curve(daily, max(days))}
    out = []
    for k in days:
        retained, base = counts[k]
        point = curve.get(k)
        out.append(DayRetention(
            k, kr.cohort_retention(daily, k),
            kr.active_user_retention(retained, None if daily.last_date is None else base, k),
            (point.retained, point.base) if point else (0, 0), (retained, base)))
    return out


# ---- activity ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Activity:
    span: Span
    daily: pd.DataFrame      # start, users: DAU
    weekly: pd.DataFrame     # start, users: WAU (weeks start on Monday)
    months: tuple[kr.MonthActivity, ...]
    summary: kr.ActivitySummary


def activity(con, ds: Dataset, active_events: Sequence[str] | None = None,
             date_range: DateRange = None) -> Activity | None:
    """DAU per day, WAU per week, MAU and stickiness per month, within the range."""
    span = data_span(con, ds, date_range)
    if span is None:
        return None
    src, params = _activity(ds, active_events)
    lo, hi = _bounds(date_range)
    params.update(lo=lo, hi=hi)
    sql = f"""
        WITH ud AS (SELECT DISTINCT uid, CAST(ts AS DATE) AS d FROM ({src}) WHERE ts >= $lo AND ts < $hi)
        SELECT 'day' AS grain, d AS start, count(*) AS users, count(*) AS user_days FROM ud GROUP BY d
        UNION ALL
        SELECT 'week', CAST(date_trunc('week', d) AS DATE), count(DISTINCT uid), count(*) FROM ud GROUP BY 2
        UNION ALL
        SELECT 'month', CAST(date_trunc('month', d) AS DATE), count(DISTINCT uid), count(*) FROM ud GROUP BY 2
        ORDER BY grain, start"""
    df = query(con, sql, params)
    df["start"] = [_as_date(x) for x in df["start"]]
    df["users"] = df["users"].astype("int64")

    def part(grain: str) -> pd.DataFrame:
        return df.loc[df["grain"] == grain, ["start", "users"]].reset_index(drop=True)

    m = df.loc[df["grain"] == "month"]
    months = kr.monthly_activity(zip(m["start"], m["users"].tolist(), m["user_days"].tolist()),
                                 span.first, span.last)
    return Activity(span, part("day"), part("week"), months, kr.activity_summary(months))


def lifecycle(con, ds: Dataset, period: str = "week", active_events: Sequence[str] | None = None,
              date_range: DateRange = None) -> tuple[kr.LifecyclePeriod, ...]:
    """New, returning, resurrecting and dormant users per period of the range.

    Activity before the range counts as history: a user active before it is not new in it.
    """
    span = data_span(con, ds, date_range)
    if span is None:
        return ()
    p = kr.Period(period)
    src, params = _activity(ds, active_events)
    params["hi"] = _bounds(date_range)[1]
    step = _STEP[p]
    sql = f"""
        WITH up AS (SELECT DISTINCT uid, {_TRUNC[p]} AS p FROM ({src}) WHERE ts < $hi),
        l AS (SELECT p, lag(p) OVER w AS prev, lead(p) OVER w AS nxt FROM up
              WINDOW w AS (PARTITION BY uid ORDER BY p)),
        here AS (SELECT p, count(*) AS n_active, count(*) FILTER (WHERE prev IS NULL) AS n_new,
                        count(*) FILTER (WHERE prev = CAST(p - {step} AS DATE)) AS n_returning,
                        count(*) FILTER (WHERE prev < CAST(p - {step} AS DATE)) AS n_resurrecting
                 FROM l GROUP BY p),
        gone AS (SELECT CAST(p + {step} AS DATE) AS p, count(*) AS n_dormant FROM l
                 WHERE nxt IS NULL OR nxt > CAST(p + {step} AS DATE) GROUP BY 1)
        SELECT coalesce(here.p, gone.p) AS start, coalesce(n_active, 0) AS n_active,
               coalesce(n_new, 0) AS n_new, coalesce(n_returning, 0) AS n_returning,
               coalesce(n_resurrecting, 0) AS n_resurrecting, coalesce(n_dormant, 0) AS n_dormant
        FROM here FULL JOIN gone ON here.p = gone.p ORDER BY start"""
    df = query(con, sql, params)
    names = ("active", "new", "returning", "resurrecting", "dormant")
    rows = zip(map(_as_date, df["start"]), *(df[f"n_{c}"].tolist() for c in names))
    return kr.lifecycle(rows, p, span.first, span.last)


# ---- the audit CLI -----------------------------------------------------------------------------

def _outcome_json(outcome: Outcome, inputs: tuple[int, int] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": None if outcome.value is None else round(outcome.value, 6)}
    if outcome.value is None:
        out["reason"] = str(outcome.reason)
    if inputs is not None:
        out["retained"], out["base"] = inputs
    return out


def retention_json(ws: Workspace, period: str = "week", active_events: Sequence[str] | None = None,
                   rule: str = "on", date_range: DateRange = None) -> dict[str, Any]:
    """The retention section of ``audit.py --json``: the same numbers as the Retention page.

    Uses the first loaded event log, else the first orders file with customer ids. Rates are
    fractions rounded to 6 decimals; an incomplete period is ``null`` with ``incomplete: true``.
    ``kpis`` holds retention_d1/d7/d30 (the guide's active-user definition), cohort_retention_d1/d7/d30
    (first-activity-day cohorts, calendar days), dau, mau and stickiness.
    """
    p, r = kr.Period(period), kr.Rule(rule)
    doc: dict[str, Any] = {"period": str(p), "rule": str(r),
                           "active_events": list(active_events) if active_events else None,
                           "dataset": None, "cohorts": [], "kpis": {}}
    usable = usable_datasets(ws)
    if not usable:
        candidates = [d for kind in KINDS for d in ws.of_kind(kind)]
        problem = check(candidates[0]) if candidates else Issue("retention_no_dataset", {}, "error")
        assert problem is not None
        doc["issue"] = {"code": problem.code, "params": dict(problem.params)}
        return doc
    ds, con = usable[0], ws.con
    if ds.kind != "events":
        active_events = None   # orders: activity is a purchase
        doc["active_events"] = None
    matrix = cohort_matrix(con, ds, str(p), active_events, str(r), date_range)
    doc.update(dataset=ds.label, kind=ds.kind,
               last_date=matrix.last_date.isoformat() if matrix.last_date else None)
    doc["cohorts"] = [{"cohort": c.start.isoformat(), "size": c.size,
                       "rates": [None if x is None else round(x, 6) for x in c.rates],
                       "incomplete": c.incomplete} for c in matrix.cohorts]
    daily = matrix if p is kr.Period.DAY else cohort_matrix(con, ds, "day", active_events, str(r), date_range,
                                                            max_k=max(kr.RETENTION_DAYS))
    for d in day_retention(con, ds, active_events, str(r), date_range, daily=daily):
        doc["kpis"][f"retention_d{d.k}"] = _outcome_json(d.active_users, d.active_inputs)
        doc["kpis"][f"cohort_retention_d{d.k}"] = _outcome_json(d.cohort, d.cohort_inputs)
    acts = activity(con, ds, active_events, date_range)
    if acts is not None:
        doc["kpis"]["dau"] = _outcome_json(acts.summary.dau)
        doc["kpis"]["mau"] = _outcome_json(acts.summary.mau)
        doc["kpis"]["stickiness"] = _outcome_json(acts.summary.stickiness)
    return doc
