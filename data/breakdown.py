"""Per-segment sums for the breakdown explorer ("attribution by dimension").

For one KPI and one dimension (channel, device, region, content format, order status, coupon, agent,
weekday, hour), the numerator and denominator of the KPI per segment for a date range; the split of
the change between two ranges is ``kpi.attribution``'s job. Queries read canonical views (the event log
through per-user tables derived once per data state, shared with ``data.kpis``; see ``_UserTables``) and
bind every value; several datasets of one kind are stacked.

Definitions follow ``data.kpis`` so a breakdown's total equals the KPI card (for the default settings:
activity = any event, purchases from purchase events or revenue):

* user KPIs from an event log: a user's segment is the value on their first event (the channel,
  device or region they came with); new users are users whose first event falls in the range;
* order KPIs: lines with the same order id are one order; its segment is that of its first line,
  weekday and hour are those of its first line's timestamp;
* posts by their publication time, tickets by their creation time, daily stats by their date.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from data import detect as det
from data import derived
from data.db import query, quote_ident
from data.kpis import PURCHASE_EVENTS, STILL_ACTIVE_AFTER_DAYS, event_days_table
from data.retention import NOT_ACTIVITY_STATUS
from data.sources import Source as _Source
from data.sources import has_role as _has_role
from data.sources import stack as _source
from data.session import Workspace
from kpi.attribution import Mode, SegmentSums

# dimensions that are a role of the data, and those derived from a timestamp
ROLE_DIMENSIONS: tuple[str, ...] = ("channel", "device", "region", "format", "status", "coupon", "agent")
TIME_DIMENSIONS: tuple[str, ...] = ("weekday", "hour")
DIMENSIONS: tuple[str, ...] = ROLE_DIMENSIONS + TIME_DIMENSIONS
COLUMNS = ["segment", "num", "den"]


def _daily(ws: Workspace) -> _Source | None:
    """Daily social stats merged per date over files (as ``data.kpis`` does: the largest value wins)."""
    measures = ("views", "likes", "comments", "shares")
    datasets = [d for d in ws.of_kind("social_daily") if "date" in d.roles]
    if not datasets:
        return None
    present = {m for d in datasets for m in measures if m in d.roles}
    per_file = []
    for d in datasets:
        cols = ["date"] + [f"sum({m}) AS {m}" if m in d.roles else f"CAST(NULL AS DOUBLE) AS {m}" for m in measures]
        per_file.append(f"SELECT {', '.join(cols)} FROM {quote_ident(d.view)} WHERE date IS NOT NULL GROUP BY date")
    merged = ", ".join(f"max({m}) AS {m}" for m in measures)
    return _Source(f"(SELECT date, {merged} FROM ({' UNION ALL '.join(per_file)}) GROUP BY date)",
                  frozenset({"date", *present}))


def _label(expr: str) -> str:
    """A dimension value as text: trimmed, empty as NULL."""
    return f"nullif(trim(CAST({expr} AS VARCHAR)), '')"


def _segment_expr(dimension: str, time_expr: str) -> str:
    if dimension == "weekday":
        return f"CAST(isodow({time_expr}) AS VARCHAR)"
    if dimension == "hour":
        return f"lpad(CAST(hour({time_expr}) AS VARCHAR), 2, '0')"
    if dimension == "coupon":
        return "CASE WHEN nullif(trim(coupon), '') IS NULL THEN 'no' ELSE 'yes' END"
    return _label(dimension)


# ---- one builder per family: SQL selecting (segment, num, den) for $start..$end ------------------------

_Builder = Callable[[Workspace, str, bool], str | None]  # (ws, dimension, derive the per-user tables?)


def _events(ws: Workspace) -> _Source | None:
    return _source(ws, "events", ("user_id", "timestamp"), ("event", "revenue", "channel", "device", "region"))


class _UserTables:
    """The per-user tables the event-log builders read, built once per data state (``data.derived``).

    ``seg_<dimension>`` (uid, segment, first_ts): each user's segment (on their first event) and first
    event; ``act`` (h, d): distinct active days, the KPI engine's own table; ``buys`` (uid, d): distinct
    purchase days; ``rev`` (uid, d, revenue): revenue per user and day where it is not zero. Users are
    a 64-bit hash of their id, as in ``data.kpis``. With ``derive`` False only names are given (to list
    the options without scanning the data).
    """

    def __init__(self, ws: Workspace, ev: _Source, derive: bool) -> None:
        self.ws, self.ev, self.derive = ws, ev, derive

    def _table(self, stem: str, sql: str, **params: object) -> str:
        if not self.derive:
            return quote_ident(f"kpiwb_{stem}")
        return quote_ident(derived.table(self.ws, stem, sql, params))

    def _rows(self) -> str:
        return f'{self.ev.sql} WHERE user_id IS NOT NULL AND "timestamp" IS NOT NULL'

    def seg(self, dimension: str) -> str:
        return self._table(f"seg_{dimension}", f"""SELECT hash(user_id) AS uid,
            arg_min({_segment_expr(dimension, '"timestamp"')}, "timestamp") AS segment,
            min("timestamp") AS first_ts FROM {self._rows()} GROUP BY 1""")

    def act(self) -> str:
        name = event_days_table(self.ws) if self.derive else "kpiwb_days"
        return quote_ident(name or "kpiwb_days")

    def buys(self) -> str:
        purchase = ("list_contains($purchase_events, regexp_replace(lower(trim(event)), '[\\s\\-]+', '_', 'g'))"
                    if "event" in self.ev.roles else "false")
        revenue = "coalesce(revenue, 0) > 0" if "revenue" in self.ev.roles else "false"
        return self._table("seg_buys", f"""SELECT DISTINCT hash(user_id) AS uid, CAST("timestamp" AS DATE) AS d
            FROM {self._rows()} AND ({purchase} OR {revenue})""", purchase_events=list(PURCHASE_EVENTS))

    def rev(self) -> str:
        return self._table("seg_rev", f"""SELECT hash(user_id) AS uid, CAST("timestamp" AS DATE) AS d,
            sum(revenue) AS revenue FROM {self._rows()} AND coalesce(revenue, 0) <> 0 GROUP BY 1, 2""")

    def retention_days(self, k: int, dimension: str) -> str:
        """(d, segment, num, den): per day N and segment, the (user, day N) pairs whose day N+k is within
        the data (den) and those active on N+k (num); a range sums its days."""
        if not self.derive:
            return quote_ident(f"kpiwb_segret{k}_{dimension}")
        sql = f"""WITH seg AS NOT MATERIALIZED (SELECT uid, segment FROM {self.seg(dimension)}),
            act AS NOT MATERIALIZED (SELECT h AS uid, d FROM {self.act()}),
            span AS (SELECT max(d) AS hi FROM act)
            SELECT a.d, seg.segment, count(b.uid) AS num, count(*) AS den
            FROM act a JOIN seg ON seg.uid = a.uid
                 LEFT JOIN act b ON b.uid = a.uid AND b.d = a.d + {int(k)}
            WHERE a.d + {int(k)} <= (SELECT hi FROM span)
            GROUP BY 1, 2"""
        return quote_ident(derived.table(self.ws, f"segret{k}_{dimension}", sql))


def _user_ctes(ws: Workspace, ev: _Source, dimension: str, derive: bool, *, buys: bool = False) -> list[str]:
    """``seg(uid, segment, first_ts)``, ``act(uid, d)`` and (``buys``) ``buys(uid, d)`` over the event log."""
    t = _UserTables(ws, ev, derive)
    ctes = [f"seg AS NOT MATERIALIZED (SELECT uid, segment, first_ts FROM {t.seg(dimension)})",
            f"act AS NOT MATERIALIZED (SELECT h AS uid, d FROM {t.act()})"]
    if buys:
        ctes.append(f"buys AS NOT MATERIALIZED (SELECT uid, d FROM {t.buys()})")
    return ctes


def _new_users(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    ev = _events(ws)
    if ev is None:
        return None
    seg = _UserTables(ws, ev, derive).seg(dimension)
    return f"""SELECT segment, count(*) AS num, CAST(NULL AS DOUBLE) AS den
        FROM {seg} WHERE CAST(first_ts AS DATE) BETWEEN $start AND $end GROUP BY segment"""


def _effective_share(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    ev = _events(ws)
    if ev is None:
        return None
    return "WITH " + ",\n".join(_user_ctes(ws, ev, dimension, derive, buys=True)) + """,
        f AS (SELECT s.segment, (EXISTS (SELECT 1 FROM buys b WHERE b.uid = s.uid
                    AND b.d BETWEEN CAST(s.first_ts AS DATE) AND CAST(s.first_ts AS DATE) + CAST($n_days AS INTEGER))
                 OR EXISTS (SELECT 1 FROM act a WHERE a.uid = s.uid
                    AND a.d >= CAST(s.first_ts AS DATE) + CAST($still_active AS INTEGER))) AS effective
              FROM seg s WHERE CAST(s.first_ts AS DATE) BETWEEN $start AND $end)
        SELECT segment, count(*) FILTER (WHERE effective) AS num, count(*) AS den FROM f GROUP BY segment"""


def _channel_conversion(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    ev = _events(ws)
    if ev is None or not ev.roles & {"event", "revenue"}:
        return None
    return "WITH " + ",\n".join(_user_ctes(ws, ev, dimension, derive, buys=True)) + """,
        v AS (SELECT DISTINCT uid FROM act WHERE d BETWEEN $start AND $end),
        bp AS (SELECT DISTINCT uid FROM buys WHERE d BETWEEN $start AND $end)
        SELECT seg.segment, count(bp.uid) AS num, count(*) AS den
        FROM v JOIN seg ON seg.uid = v.uid LEFT JOIN bp ON bp.uid = v.uid GROUP BY seg.segment"""


def _arpu(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    ev = _events(ws)
    if ev is None or "revenue" not in ev.roles or ws.of_kind("orders"):
        return None  # with an order file ARPU's revenue comes from the orders (data.kpis)
    rev = _UserTables(ws, ev, derive).rev()
    return "WITH " + ",\n".join(_user_ctes(ws, ev, dimension, derive)) + f""",
        v AS (SELECT DISTINCT uid FROM act WHERE d BETWEEN $start AND $end),
        r AS (SELECT uid, sum(revenue) AS revenue FROM {rev} WHERE d BETWEEN $start AND $end GROUP BY uid)
        SELECT seg.segment, coalesce(sum(r.revenue), 0) AS num, count(*) AS den
        FROM v JOIN seg ON seg.uid = v.uid LEFT JOIN r ON r.uid = v.uid GROUP BY seg.segment"""


def _retention(k: int) -> _Builder:
    def build(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
        ev = _events(ws)
        if ev is None or ws.of_kind("orders"):
            return None  # orders with customers count as activity in data.kpis; not split here
        days = _UserTables(ws, ev, derive).retention_days(int(k), dimension)
        return f"""SELECT segment, sum(num) AS num, sum(den) AS den FROM {days}
            WHERE d BETWEEN $start AND $end GROUP BY segment"""
    return build


def _orders(ws: Workspace) -> _Source | None:
    return _source(ws, "orders", ("timestamp", "amount"), ("order_id", "customer_id", "status", "channel", "coupon"))


def _order_ctes(o: _Source, dimension: str) -> list[str]:
    """``o``: one row per order: ts, total, customer, cancelled, and its segment (of the first line)."""
    return [
        f"""o_lines AS (SELECT *, row_number() OVER () AS _line FROM {o.sql}
                        WHERE "timestamp" IS NOT NULL AND amount IS NOT NULL)""",
        f"""o AS (SELECT min("timestamp") AS ts, sum(amount) AS total, any_value(customer_id) AS customer_id,
                         coalesce(bool_or(regexp_matches(lower(status), $cancel_re)), false) AS cancelled,
                         arg_min({_segment_expr(dimension, '"timestamp"')}, "timestamp") AS segment
                  FROM o_lines GROUP BY order_id, CASE WHEN order_id IS NULL THEN _line END)""",
    ]


def _order_sum(num: str, den: str) -> _Builder:
    def build(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
        o = _orders(ws)
        if o is None:
            return None
        return "WITH " + ",\n".join(_order_ctes(o, dimension)) + f"""
            SELECT segment, {num} AS num, {den} AS den FROM o
            WHERE CAST(ts AS DATE) BETWEEN $start AND $end GROUP BY segment"""
    return build


_GMV = "coalesce(sum(total) FILTER (WHERE total > 0), 0)"
_LOST = ("coalesce(sum(total) FILTER (WHERE total > 0 AND cancelled), 0) "
         "+ coalesce(sum(-total) FILTER (WHERE total < 0), 0)")


def _repurchase(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    o = _orders(ws)
    if o is None or "customer_id" not in o.roles:
        return None
    return "WITH " + ",\n".join(_order_ctes(o, dimension)) + """,
        c AS (SELECT customer_id, count(*) AS n, arg_min(segment, ts) AS segment FROM o
              WHERE total > 0 AND NOT cancelled AND customer_id IS NOT NULL
                AND CAST(ts AS DATE) BETWEEN $start AND $end GROUP BY customer_id)
        SELECT segment, count(*) FILTER (WHERE n >= 2) AS num, count(*) AS den FROM c GROUP BY segment"""


def _posts(ws: Workspace) -> _Source | None:
    return _source(ws, "social_posts", ("post_time", "views"), ("likes", "comments", "shares", "format"))


def _views_per_video(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    p = _posts(ws)
    if p is None:
        return None
    return f"""SELECT {_segment_expr(dimension, 'post_time')} AS segment, sum(views) AS num, count(*) AS den
               FROM {p.sql} WHERE views IS NOT NULL AND CAST(post_time AS DATE) BETWEEN $start AND $end
               GROUP BY segment"""


_INTERACTIONS = "coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)"


def _engagement(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
    daily = _daily(ws)
    if daily is not None and "views" in daily.roles and daily.roles & {"likes", "comments", "shares"}:
        if dimension not in ("weekday",):
            return None
        return f"""SELECT {_segment_expr(dimension, 'date')} AS segment, sum({_INTERACTIONS}) AS num,
                          sum(views) AS den
                   FROM {daily.sql} WHERE views IS NOT NULL AND date BETWEEN $start AND $end GROUP BY segment"""
    p = _posts(ws)
    if p is None or not p.roles & {"likes", "comments", "shares"}:
        return None
    return f"""SELECT {_segment_expr(dimension, 'post_time')} AS segment, sum({_INTERACTIONS}) AS num,
                      sum(views) AS den
               FROM {p.sql} WHERE views IS NOT NULL AND CAST(post_time AS DATE) BETWEEN $start AND $end
               GROUP BY segment"""


def _durations(role: str) -> _Builder:
    def build(ws: Workspace, dimension: str, derive: bool = True) -> str | None:
        tk = _source(ws, "tickets", ("created", role), ("channel", "agent"))
        if tk is None:
            return None
        ok = f"{role} IS NOT NULL AND {role} >= created"
        return f"""SELECT {_segment_expr(dimension, 'created')} AS segment,
                          coalesce(sum(epoch({role} - created)) FILTER (WHERE {ok}), 0) AS num,
                          count(*) FILTER (WHERE {ok}) AS den
                   FROM {tk.sql} WHERE created IS NOT NULL AND CAST(created AS DATE) BETWEEN $start AND $end
                   GROUP BY segment"""
    return build


@dataclass(frozen=True)
class BreakdownKpi:
    """A KPI the explorer can split: its dataset kind, sum or rate, and the dimensions that fit it."""

    kpi_id: str
    kind: str
    mode: Mode
    dimensions: tuple[str, ...]
    build: _Builder


_USER_DIMS = ("channel", "device", "region")
_ORDER_DIMS = ("channel", "status", "coupon", "weekday", "hour")
_POST_DIMS = ("format", "weekday", "hour")
_TICKET_DIMS = ("channel", "agent", "weekday", "hour")

BREAKDOWN_KPIS: tuple[BreakdownKpi, ...] = (
    BreakdownKpi("engagement_rate", "social_daily", Mode.RATE, ("format", "weekday", "hour"), _engagement),
    BreakdownKpi("views_per_video", "social_posts", Mode.RATE, _POST_DIMS, _views_per_video),
    BreakdownKpi("new_users", "events", Mode.SUM, _USER_DIMS, _new_users),
    BreakdownKpi("effective_new_user_share", "events", Mode.RATE, _USER_DIMS, _effective_share),
    BreakdownKpi("channel_conversion_rate", "events", Mode.RATE, _USER_DIMS, _channel_conversion),
    BreakdownKpi("retention_d1", "events", Mode.RATE, _USER_DIMS, _retention(1)),
    BreakdownKpi("retention_d7", "events", Mode.RATE, _USER_DIMS, _retention(7)),
    BreakdownKpi("arpu", "events", Mode.RATE, _USER_DIMS, _arpu),
    BreakdownKpi("gmv", "orders", Mode.SUM, _ORDER_DIMS, _order_sum(_GMV, "CAST(NULL AS DOUBLE)")),
    BreakdownKpi("net_revenue", "orders", Mode.SUM, _ORDER_DIMS,
                 _order_sum(f"{_GMV} - ({_LOST})", "CAST(NULL AS DOUBLE)")),
    BreakdownKpi("refund_rate", "orders", Mode.RATE, _ORDER_DIMS, _order_sum(_LOST, _GMV)),
    BreakdownKpi("aov", "orders", Mode.RATE, _ORDER_DIMS, _order_sum(_GMV, "count(*) FILTER (WHERE total > 0)")),
    BreakdownKpi("repurchase_rate", "orders", Mode.RATE, ("channel", "coupon"), _repurchase),
    BreakdownKpi("first_response_time", "tickets", Mode.RATE, _TICKET_DIMS, _durations("first_response")),
    BreakdownKpi("resolution_time", "tickets", Mode.RATE, _TICKET_DIMS, _durations("resolved")),
)
BREAKDOWN_BY_ID = {b.kpi_id: b for b in BREAKDOWN_KPIS}

def _dimension_available(ws: Workspace, spec: BreakdownKpi, dimension: str) -> bool:
    if dimension in TIME_DIMENSIONS:
        return True
    kinds = ("social_posts",) if dimension == "format" else (spec.kind,)
    return any(dimension in d.roles for k in kinds for d in ws.of_kind(k))


def breakdown_options(ws: Workspace) -> dict[str, tuple[str, ...]]:
    """{kpi id: dimensions} for the KPIs the loaded data can split, each with at least one dimension."""
    out: dict[str, tuple[str, ...]] = {}
    for spec in BREAKDOWN_KPIS:
        dims = tuple(d for d in spec.dimensions
                     if _dimension_available(ws, spec, d) and spec.build(ws, d, False) is not None)
        if dims:
            out[spec.kpi_id] = dims
    return out


def segment_sums(ws: Workspace, kpi_id: str, dimension: str, start: date, end: date, *,
                 effective_days: int = 3) -> pd.DataFrame:
    """[segment, num, den] of ``kpi_id`` split by ``dimension`` over start..end (inclusive), by segment.

    ``segment`` is text (None: no value); weekdays are "1" (Monday) to "7", hours "00" to "23", coupon
    "yes"/"no". ``den`` is None for a sum KPI. Raises ``ValueError`` for a pair ``breakdown_options``
    does not offer.
    """
    spec = BREAKDOWN_BY_ID.get(kpi_id)
    if spec is None or dimension not in spec.dimensions or not _dimension_available(ws, spec, dimension):
        raise ValueError(f"cannot split {kpi_id} by {dimension}")
    sql = spec.build(ws, dimension, True)
    if sql is None:
        raise ValueError(f"cannot split {kpi_id} by {dimension}")
    params = {"start": start, "end": end, "purchase_events": list(PURCHASE_EVENTS), "n_days": int(effective_days),
              "still_active": STILL_ACTIVE_AFTER_DAYS, "cancel_re": NOT_ACTIVITY_STATUS}
    used = {k: v for k, v in params.items() if f"${k}" in sql}
    frame = query(ws.con, f"SELECT * FROM ({sql}) ORDER BY segment NULLS LAST", used)
    return pd.DataFrame({
        "segment": pd.Series([None if pd.isna(s) else str(s) for s in frame["segment"]], dtype="object"),
        "num": pd.Series([0.0 if pd.isna(x) else float(x) for x in frame["num"]], dtype="float64"),
        "den": pd.Series([None if pd.isna(x) else float(x) for x in frame["den"]], dtype="object"),
    }, columns=COLUMNS)


def compare_segments(ws: Workspace, kpi_id: str, dimension: str, current: tuple[date, date],
                     previous: tuple[date, date] | None, *, effective_days: int = 3) -> list[SegmentSums]:
    """Both periods' sums per segment (a segment missing in one period has zeros there), by segment.

    ``previous`` None: only the current period (previous sums are zero).
    """
    cur = segment_sums(ws, kpi_id, dimension, *current, effective_days=effective_days)
    prev = (segment_sums(ws, kpi_id, dimension, *previous, effective_days=effective_days)
            if previous is not None else pd.DataFrame(columns=COLUMNS))
    rows: dict[str | None, dict[str, float]] = {}
    for tag, frame in (("previous", prev), ("current", cur)):
        for seg, num, den in zip(frame["segment"], frame["num"], frame["den"]):
            r = rows.setdefault(seg, {})
            r[f"{tag}_num"] = float(num)
            r[f"{tag}_den"] = 0.0 if den is None else float(den)
    ordered = sorted(rows, key=lambda s: (s is None, s or ""))
    return [SegmentSums(s, **rows[s]) for s in ordered]


def breakdown_span(ws: Workspace, kpi_id: str) -> tuple[date, date] | None:
    """First and last date of the datasets the KPI's breakdown reads (to check a period is covered)."""
    spec = BREAKDOWN_BY_ID[kpi_id]
    kinds = {spec.kind}
    if kpi_id == "engagement_rate" and _daily(ws) is None:
        kinds = {"social_posts"}
    ranges = [d.date_range for d in ws.datasets if d.kind in kinds and d.date_range]
    if not ranges:
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)
