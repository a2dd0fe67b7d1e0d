"""KPI inputs from the loaded datasets, in SQL; the formulas and bands come from ``kpi/``.

Every query reads only canonical views (role-named, typed columns), binds every value and
aggregates in SQL: rates are ratios of sums over the range, never means of daily ratios. Several
datasets of one kind are stacked (``UNION ALL``), except daily social stats, which are merged per
date (TikTok splits them over Overview.csv and FollowerHistory.csv; a re-uploaded export then does
not count twice).

Definitions chosen where the notes leave a choice (also shown in the app next to each number):

* activity: any event of the user (or only the ``active_events``), or a purchase: an order with a
  positive amount whose status is not a cancellation, return or refund (``data.retention`` uses the
  same rule); paying and repeat customers count purchases only;
* retention day k: of the users active on day N, the share active on day N+k, pooled over every N in
  the range for which N+k is within the data (its last event or order date); churn = 1 − retention
  day 30;
* DAU: user-days / calendar days; MAU: distinct users per calendar month (months clipped to the range),
  averaged; stickiness: Σ user-days / Σ (days × MAU) per month;
* orders: lines with the same order id form one order; GMV = Σ orders with a positive total (any
  status), net revenue = GMV − cancelled/returned orders − refund lines (negative totals);
* new users: sign-ups from a users file, else the first event of each user; effective: a purchase
  within ``effective_days`` days of sign-up, or activity 7 or more days after it;
* weekly follower growth: Sunday-to-Sunday follower counts (end of day), full weeks only;
* users per agent: the ``support_agents`` input, else the distinct agents in the tickets.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

import pandas as pd

from data import derived
from data import detect as det
from data.db import query, quote_ident
from data.funnel import funnel_counts as funnel_step_counts
from data.retention import NOT_ACTIVITY_STATUS
from data.session import Dataset, Workspace
from data.sources import Source as _Source
from data.sources import has_role as _has_role
from data.sources import stack as _source
from kpi.change import PeriodComparison, covers, period_change, previous_period, same_period_last_year
from kpi import formulas as f
from kpi.registry import METRICS, Metric
from kpi.result import KpiValue, Outcome, Reason

Grain = Literal["day", "week", "month"]
GRAINS: tuple[str, ...] = ("day", "week", "month")

FIRST_DAY = date(1, 1, 1)
LAST_DAY = date(9999, 12, 31)
RETENTION_DAYS = {"retention_d1": 1, "retention_d7": 7, "retention_d30": 30}
STILL_ACTIVE_AFTER_DAYS = 7

# event names (lower case, spaces and dashes as "_") that mean a purchase or a sign-up
PURCHASE_EVENTS: tuple[str, ...] = ("purchase", "order", "order_completed", "order_paid", "paid", "pay",
                                    "payment", "buy", "checkout_completed", "transaction", "покупка",
                                    "оплата", "заказ", "购买", "支付", "下单")
SIGNUP_EVENTS: tuple[str, ...] = ("sign_up", "signup", "register", "registration", "registered",
                                  "create_account", "account_created", "регистрация", "注册")

USER_INPUTS: tuple[str, ...] = ("spend", "ops_headcount", "support_agents", "leads")
# which definition a value used when several exist (KpiValue.variant; translated as kpi.variant.<name>)
VARIANTS: tuple[str, ...] = ("daily", "posts", "leads_profile_views", "sales_profile_views", "leads_link_clicks",
                             "sales_link_clicks", "signups", "first_event", "user_input", "spend_data",
                             "agents_in_tickets", "funnel_counts", "signup_to_purchase", "active_users",
                             "paying_customers")


# ---- sources ------------------------------------------------------------------------------------------

def _social_daily_source(ws: Workspace) -> _Source | None:
    """Daily social stats merged per date over files (sums per file and date, then the largest value)."""
    measures = ("views", "profile_views", "likes", "comments", "shares", "followers")
    datasets = [d for d in ws.of_kind("social_daily") if "date" in d.roles]
    if not datasets:
        return None
    present = {"date"} | {m for d in datasets for m in measures if m in d.roles}
    per_file = []
    for d in datasets:
        cols = ["date"]
        for m in measures:
            if m not in d.roles:
                cols.append(f"CAST(NULL AS DOUBLE) AS {m}")
            elif m == "followers":
                cols.append("max(followers) AS followers")
            else:
                cols.append(f"sum({m}) AS {m}")
        per_file.append(f"SELECT {', '.join(cols)} FROM {quote_ident(d.view)} WHERE date IS NOT NULL GROUP BY date")
    merged = ", ".join(f"max({m}) AS {m}" for m in measures)
    sql = f"(SELECT date, {merged} FROM ({' UNION ALL '.join(per_file)}) GROUP BY date)"
    return _Source(sql, frozenset(present))


def _bind(sql: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Only the named parameters the statement uses (DuckDB rejects extra ones)."""
    return {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}


def _num(x: Any) -> float | None:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if value != value else value


# ---- inputs of one KPI for a range ------------------------------------------------------------------------

@dataclass(frozen=True)
class _Inputs:
    """Per-period input sums for one KPI (one row with period NaT when there is no grain)."""

    frame: pd.DataFrame
    variant: str | None = None
    details: tuple[str, ...] = ()     # frame columns reported as details, not formula inputs
    extra: Mapping[str, float | None] = field(default_factory=dict)   # constant inputs (user inputs)
    after_days: int | None = None     # retention: each day needs data this many days later

    def __post_init__(self) -> None:
        if self.variant is not None and self.variant not in VARIANTS:
            raise ValueError(f"unknown variant {self.variant}")


@dataclass(frozen=True)
class _Missing:
    reason: Reason
    params: Mapping[str, Any] = field(default_factory=dict)


_Result = _Inputs | _Missing


_EVENT_SEP = re.compile(r"[\s\-]+")
_NO_EVENT = "\x00"


class _Engine:
    """Runs the input queries for one range and grain, each at most once."""

    def __init__(self, ws: Workspace, start: date | None, end: date | None, grain: str | None, *,
                 user_inputs: Mapping[str, float] | None, effective_days: int,
                 active_events: Sequence[str] | None, lead_denominator: str) -> None:
        if grain is not None and grain not in GRAINS:
            raise ValueError(f"grain must be one of {GRAINS}")
        self.ws, self.con, self.grain = ws, ws.con, grain
        self.start, self.end = start or FIRST_DAY, end or LAST_DAY
        self.user_inputs = {k: v for k, v in (user_inputs or {}).items() if v is not None}
        self.effective_days = int(effective_days)
        self.active_events = [str(x) for x in active_events] if active_events else None
        self.lead_denominator = lead_denominator
        self.events = _source(ws, "events", ("user_id", "timestamp"), ("event", "revenue", "channel"))
        self.orders_src = _source(ws, "orders", ("timestamp", "amount"),
                                  ("order_id", "customer_id", "status", "coupon"))
        self.users_src = _source(ws, "users", ("user_id", "signup_time"), ("channel",))
        self.daily = _social_daily_source(ws)
        self.posts = _source(ws, "social_posts", ("post_time", "views"), ("likes", "comments", "shares"))
        self.spend_src = _source(ws, "spend", ("date", "cost"), ("channel",))
        self.tickets = _source(ws, "tickets", ("created",), ("first_response", "resolved", "agent"))
        self.content = _source(ws, "content", ("impressions",),
                               ("clicks", "likes", "comments", "shares", "conversions"))
        self.funnel = _source(ws, "funnel_counts", ("step", "users"))

    # -- SQL helpers --
    def period(self, expr: str) -> str:
        return "CAST(NULL AS DATE)" if self.grain is None else f"CAST(date_trunc($grain, {expr}) AS DATE)"

    def keep(self, column: str) -> str:
        """An already computed period column, in a query grouped by it only when there is a grain."""
        return column if self.grain is not None else "CAST(NULL AS DATE)"

    @property
    def group(self) -> str:
        return "" if self.grain is None else "GROUP BY 1 ORDER BY 1"

    def run(self, sql: str, **extra: Any) -> pd.DataFrame:
        params = {"grain": self.grain, "start": self.start, "end": self.end, **extra}
        return query(self.con, sql, _bind(sql, params))

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        """One input frame per family, range, grain and settings, shared by every engine of the session
        (the Overview's current/previous/last-year values, each sparkline, the Goals page) until the
        data changes (``data.derived``)."""
        full = ("kpi", key, self.start, self.end, self.grain, self.effective_days,
                tuple(self.active_events or ()))
        return derived.result(self.ws, full, make)

    def derived(self, stem: str, sql: str, **extra: Any) -> str:
        """A workspace-level temp table of ``sql`` (see ``data.derived``), built once per data state."""
        return derived.table(self.ws, stem, sql, _bind(sql, extra))

    @staticmethod
    def in_range(expr: str) -> str:
        return f"CAST({expr} AS DATE) BETWEEN $start AND $end"

    # -- shared CTEs --
    def orders_cte(self) -> str:
        """``o``: one row per order (ts, total, customer_id, cancelled, coupon), built once per data state."""
        return f"o AS NOT MATERIALIZED (SELECT ts, total, customer_id, cancelled, coupon FROM {quote_ident(self.orders_table())})"

    def orders_table(self) -> str:
        assert self.orders_src is not None
        sql = f"""WITH o_lines AS (SELECT *, row_number() OVER () AS _line FROM {self.orders_src.sql}
                    WHERE "timestamp" IS NOT NULL AND amount IS NOT NULL)
        SELECT min("timestamp") AS ts, sum(amount) AS total, any_value(customer_id) AS customer_id,
               coalesce(bool_or(regexp_matches(lower(status), $cancel_re)), false) AS cancelled,
               coalesce(bool_or(nullif(trim(coupon), '') IS NOT NULL), false) AS coupon
        FROM o_lines GROUP BY order_id, CASE WHEN order_id IS NULL THEN _line END"""
        return self.derived("orders", sql, cancel_re=NOT_ACTIVITY_STATUS)

    @property
    def orders_are_activity(self) -> bool:
        return self.orders_src is not None and self.orders_src.has("customer_id") and self.active_events is None

    @property
    def has_activity(self) -> bool:
        return self.events is not None or self.orders_are_activity

    # Users are joined on a 64-bit hash of their id (``hash(user_id)``): fixed-width keys make the big
    # distinct/join steps several times faster than text ids. Two different ids share a hash with a
    # probability of about n²/2⁶⁵ (3·10⁻⁸ for a million users). NULL ids are filtered out before hashing.

    def events_days_sql(self, only: str = "") -> str:
        assert self.events is not None
        return (f'SELECT DISTINCT hash(user_id) AS h, CAST("timestamp" AS DATE) AS d FROM {self.events.sql} '
                f'WHERE user_id IS NOT NULL AND "timestamp" IS NOT NULL{only}')

    def event_days_table(self) -> str:
        """Distinct (h, d) of any event: the visitors of a range."""
        return self.derived("days", self.events_days_sql())

    def activity_cte(self) -> str:
        """``act``: distinct (h, d) pairs of activity over all the data.

        Every activity KPI (DAU, MAU, stickiness, D1/D7/D30, churn) of every engine (this range, the
        previous one, last year's, each sparkline) reads the same pairs, built once per data state."""
        return f"act AS NOT MATERIALIZED (SELECT h, d FROM {quote_ident(self.activity_table())})"

    def activity_table(self) -> str:
        parts = []
        if self.events is not None:
            only = "" if self.active_events is None else " AND list_contains($active_events, event)"
            parts.append(self.events_days_sql(only))
        if self.orders_are_activity:
            parts.append("SELECT DISTINCT hash(customer_id) AS h, CAST(ts AS DATE) AS d FROM o "
                         "WHERE total > 0 AND NOT cancelled AND customer_id IS NOT NULL")
        sql = " UNION ".join(parts)
        if self.orders_are_activity:
            sql = f"WITH {self.orders_cte()} {sql}"
        return self.derived("act", sql, **self.activity_params())

    def last_active(self) -> str:
        """A relation (h, last_d): each user's last day of activity."""
        if self.events is not None and self.active_events is None and not self.orders_are_activity:
            return f"(SELECT h, last_d FROM {quote_ident(self.first_events_table())})"
        return quote_ident(self.derived("last", f"SELECT h, max(d) AS last_d FROM "
                                                f"{quote_ident(self.activity_table())} GROUP BY h"))

    def first_events_table(self) -> str:
        """Per user of the event log: first event (ts, channel), first sign-up event, last event day."""
        assert self.events is not None
        sql = f"""SELECT hash(user_id) AS h, min("timestamp") AS ts, arg_min(channel, "timestamp") AS channel,
                         min("timestamp") FILTER (WHERE list_contains($signup_events, event)) AS signup_ts,
                         max(CAST("timestamp" AS DATE)) AS last_d
                  FROM {self.events.sql} WHERE user_id IS NOT NULL AND "timestamp" IS NOT NULL GROUP BY 1"""
        return self.derived("first", sql, signup_events=self.event_names()[1])

    def with_activity(self) -> str:
        ctes = []
        if self.orders_src is not None:
            ctes.append(self.orders_cte())
        ctes.append(self.activity_cte())
        return "WITH " + ",\n".join(ctes)

    def activity_params(self) -> dict[str, Any]:
        return {"cancel_re": NOT_ACTIVITY_STATUS, "active_events": self.active_events}

    def purchases_cte(self) -> str:
        """``buys``: distinct (h, d) of purchases: purchase events or revenue, and positive orders with a customer."""
        return f"buys AS NOT MATERIALIZED (SELECT h, d FROM {quote_ident(self.purchases_table())})"

    def purchases_table(self) -> str:
        parts = []
        if self.events is not None and (self.events.has("event") or self.events.has("revenue")):
            parts.append(f"""SELECT hash(user_id) AS h, CAST("timestamp" AS DATE) AS d FROM {self.events.sql}
                WHERE user_id IS NOT NULL AND "timestamp" IS NOT NULL AND (
                    list_contains($purchase_events, event)
                    OR coalesce(revenue, 0) > 0)""")
        with_orders = self.orders_src is not None and self.orders_src.has("customer_id")
        if with_orders:
            parts.append("SELECT hash(customer_id) AS h, CAST(ts AS DATE) AS d FROM o WHERE total > 0 "
                         "AND NOT cancelled AND customer_id IS NOT NULL")
        if not parts:
            parts.append("SELECT CAST(NULL AS UBIGINT) AS h, CAST(NULL AS DATE) AS d WHERE false")
        sql = f"SELECT DISTINCT h, d FROM ({' UNION ALL '.join(parts)})"
        if with_orders:
            sql = f"WITH {self.orders_cte()} {sql}"
        return self.derived("buys", sql, purchase_events=self.event_names()[0], cancel_re=NOT_ACTIVITY_STATUS)

    @property
    def has_purchases(self) -> bool:
        ev = self.events is not None and (self.events.has("event") or self.events.has("revenue"))
        return ev or (self.orders_src is not None and self.orders_src.has("customer_id"))

    def event_names(self) -> tuple[list[str], list[str]]:
        """The event log's own names that mean a purchase or a sign-up ("Purchase", "order-paid"...).

        Matched once on the distinct names, so the big scans compare raw values with a bound list
        instead of normalising every row."""
        def make() -> tuple[list[str], list[str]]:
            purchase, signup = [], []
            if self.events is not None and self.events.has("event"):
                names = self.run(f"SELECT DISTINCT event FROM {self.events.sql} WHERE event IS NOT NULL "
                                 "ORDER BY event")["event"]
                for name in names:
                    norm = _EVENT_SEP.sub("_", str(name).strip(" ").lower())
                    if norm in PURCHASE_EVENTS:
                        purchase.append(str(name))
                    if norm in SIGNUP_EVENTS:
                        signup.append(str(name))
            # a list that matches nothing, so the bound parameter always has a text type
            return purchase or [_NO_EVENT], signup or [_NO_EVENT]
        return derived.result(self.ws, ("kpi_event_names",), make)

    def all_params(self) -> dict[str, Any]:
        purchase, signup = self.event_names()
        return {**self.activity_params(), "purchase_events": purchase,
                "signup_events": signup, "n_days": self.effective_days,
                "still_active": STILL_ACTIVE_AFTER_DAYS}

    def calendar(self, lo: date, hi: date) -> pd.DataFrame:
        """[period, month, days]: calendar days from lo to hi by period and calendar month."""
        sql = f"""
            WITH cal AS (SELECT CAST(g AS DATE) AS d FROM generate_series(CAST($lo AS DATE), CAST($hi AS DATE),
                                                                         INTERVAL 1 DAY) AS t(g))
            SELECT {self.period('d')} AS period, CAST(date_trunc('month', d) AS DATE) AS month, count(*) AS days
            FROM cal GROUP BY ALL ORDER BY 1, 2"""
        return self.run(sql, lo=lo, hi=hi)

    def clip(self, lo: date | None, hi: date | None) -> tuple[date, date] | None:
        """The range clipped to a data extent; None when they do not overlap."""
        if lo is None or hi is None:
            return None
        a, b = max(self.start, lo), min(self.end, hi)
        return (a, b) if a <= b else None

    # -- families ---------------------------------------------------------------------------------
    def activity_span_cte(self) -> str:
        """``span``: first and last date of any row of the activity sources (activity or not)."""
        parts = []
        if self.events is not None:
            parts.append(f'SELECT min(CAST("timestamp" AS DATE)) AS lo, max(CAST("timestamp" AS DATE)) AS hi '
                         f'FROM {self.events.sql}')
        if self.orders_are_activity:
            parts.append("SELECT min(CAST(ts AS DATE)) AS lo, max(CAST(ts AS DATE)) AS hi FROM o")
        return f"span AS (SELECT min(lo) AS lo, max(hi) AS hi FROM ({' UNION ALL '.join(parts)}))"

    def activity_extent(self) -> tuple[date | None, date | None]:
        def make() -> tuple[date | None, date | None]:
            sql = f"{self.with_activity()}, {self.activity_span_cte()} SELECT lo, hi FROM span"
            row = self.run(sql, **self.activity_params()).iloc[0]
            return (None if pd.isna(row["lo"]) else pd.Timestamp(row["lo"]).date(),
                    None if pd.isna(row["hi"]) else pd.Timestamp(row["hi"]).date())
        return self.once("activity_extent", make)

    def active_days(self) -> pd.DataFrame | None:
        """[period, days, user_days, monthly_active, months, mau_days, active_users]."""
        def make() -> pd.DataFrame | None:
            window = self.clip(*self.activity_extent())
            if window is None:
                return None
            lo, hi = window
            sql = f"""{self.with_activity()},
              cal AS (SELECT CAST(g AS DATE) AS d FROM generate_series(CAST($lo AS DATE), CAST($hi AS DATE),
                                                                       INTERVAL 1 DAY) AS t(g)),
              calm AS (SELECT {self.period('d')} AS period, date_trunc('month', d) AS m, count(*) AS days
                       FROM cal GROUP BY ALL),
              am AS (SELECT {self.period('d')} AS period, date_trunc('month', d) AS m,
                            count(DISTINCT h) AS mau, count(*) AS user_days
                     FROM act WHERE d BETWEEN $lo AND $hi GROUP BY ALL)
              SELECT {self.keep('calm.period')} AS period, sum(calm.days) AS days,
                     sum(coalesce(am.user_days, 0)) AS user_days,
                     sum(coalesce(am.mau, 0)) AS monthly_active, count(*) AS months,
                     sum(calm.days * coalesce(am.mau, 0)) AS mau_days
              FROM calm LEFT JOIN am ON am.m = calm.m AND am.period IS NOT DISTINCT FROM calm.period
              {'' if self.grain is None else 'GROUP BY calm.period ORDER BY calm.period'}"""
            frame = self.run(sql, lo=lo, hi=hi, **self.activity_params())
            users_sql = f"""{self.with_activity()}
              SELECT {self.period('d')} AS period, count(DISTINCT h) AS active_users, count(*) AS rows
              FROM act WHERE d BETWEEN $lo AND $hi {self.group}"""
            users = self.run(users_sql, lo=lo, hi=hi, **self.activity_params())
            return _merge(frame, users)
        return self.once("active_days", make)

    def retention(self, k: int) -> pd.DataFrame:
        """[period, base, retained]: (user, day N) pairs with day N+k in the data, and those active on N+k."""
        frame = self.retention_all()
        return frame[["period", f"base_{k}", f"retained_{k}"]].rename(
            columns={f"base_{k}": "base", f"retained_{k}": "retained"})

    def retention_all(self) -> pd.DataFrame:
        """[period, base_k, retained_k] for every k of RETENTION_DAYS: sums of the per-day counts
        (``retention_days_table``) over the range, so every range and grain reads one small table."""
        def make() -> pd.DataFrame:
            ks = sorted(set(RETENTION_DAYS.values()))
            cols = ", ".join(f"CAST(coalesce(sum(base_{int(k)}), 0) AS BIGINT) AS base_{int(k)}, "
                             f"CAST(coalesce(sum(retained_{int(k)}), 0) AS BIGINT) AS retained_{int(k)}" for k in ks)
            sql = f"""SELECT {self.period('d')} AS period, {cols}
              FROM {quote_ident(self.retention_days_table())} WHERE d BETWEEN $start AND $end {self.group}"""
            return self.run(sql)
        return self.once("retention_all", make)

    def retention_days_table(self) -> str:
        """Per day N of activity, for every k of RETENTION_DAYS: ``base_k``, the (user, day N) pairs whose
        day N+k is within the data, and ``retained_k``, those whose user is also active on N+k.

        Built once per data state and activity rule. Each later day is matched back in a single join:
        every pair (h, d) claims the days d - k it is the N+k of, and the claims that hit a pair are the
        retained ones (one hash table over the pairs instead of one per k)."""
        ks = sorted(set(RETENTION_DAYS.values()))
        base_cols = ", ".join(f"count(*) FILTER (WHERE d + {k} <= span.hi) AS base_{k}" for k in ks)
        kept_cols = ", ".join(f"count(*) FILTER (WHERE c.k = {k}) AS retained_{k}" for k in ks)
        out_cols = ", ".join(f"base.base_{k}, coalesce(kept.retained_{k}, 0) AS retained_{k}" for k in ks)
        offsets = ", ".join(f"({k})" for k in ks)
        sql = f"""{self.with_activity()},
          {self.activity_span_cte()},
          base AS (SELECT d, {base_cols} FROM act CROSS JOIN span GROUP BY d),
          claims AS (SELECT h, d - ks.k AS d0, ks.k FROM act, (VALUES {offsets}) AS ks(k)),
          kept AS (SELECT c.d0 AS d, {kept_cols} FROM claims c JOIN act a ON a.h = c.h AND a.d = c.d0 GROUP BY 1)
          SELECT base.d, {out_cols} FROM base LEFT JOIN kept ON kept.d = base.d"""
        return self.derived("retdays", sql, **self.activity_params())

    def orders(self) -> pd.DataFrame:
        """[period, rows, gmv, cancelled_returned, paid_orders]."""
        def make() -> pd.DataFrame:
            sql = f"""WITH {self.orders_cte()}
              SELECT {self.period('ts')} AS period, count(*) AS rows,
                     coalesce(sum(total) FILTER (WHERE total > 0), 0) AS gmv,
                     coalesce(sum(total) FILTER (WHERE total > 0 AND cancelled), 0)
                       + coalesce(sum(-total) FILTER (WHERE total < 0), 0) AS cancelled_returned,
                     count(*) FILTER (WHERE total > 0) AS paid_orders
              FROM o WHERE {self.in_range('ts')} {self.group}"""
            return self.run(sql, cancel_re=NOT_ACTIVITY_STATUS)
        return self.once("orders", make)

    def customers(self) -> pd.DataFrame:
        """[period, paying_customers, repeat_customers, coupon_repeat_customers]."""
        def make() -> pd.DataFrame:
            sql = f"""WITH {self.orders_cte()},
              po AS (SELECT {self.period('ts')} AS period, customer_id, coupon,
                            row_number() OVER (PARTITION BY {self.period('ts')}, customer_id ORDER BY ts) AS k
                     FROM o WHERE total > 0 AND NOT cancelled AND customer_id IS NOT NULL
                       AND {self.in_range('ts')}),
              c AS (SELECT period, customer_id, count(*) AS n, bool_or(coupon AND k > 1) AS coupon_repeat
                    FROM po GROUP BY ALL)
              SELECT {self.keep('period')} AS period, count(*) AS paying_customers,
                     count(*) FILTER (WHERE n >= 2) AS repeat_customers,
                     count(*) FILTER (WHERE n >= 2 AND coupon_repeat) AS coupon_repeat_customers
              FROM c {self.group}"""
            return self.run(sql, cancel_re=NOT_ACTIVITY_STATUS)
        return self.once("customers", make)

    def orders_days(self) -> pd.DataFrame | None:
        """[period, days]: calendar days of the range clipped to the orders' dates."""
        def make() -> pd.DataFrame | None:
            assert self.orders_src is not None
            sql = (f'SELECT min(CAST("timestamp" AS DATE)) AS lo, max(CAST("timestamp" AS DATE)) AS hi '
                   f'FROM {self.orders_src.sql}')
            row = self.run(sql).iloc[0]
            window = self.clip(None if pd.isna(row["lo"]) else pd.Timestamp(row["lo"]).date(),
                               None if pd.isna(row["hi"]) else pd.Timestamp(row["hi"]).date())
            if window is None:
                return None
            cal = self.calendar(*window)
            return cal.groupby("period", dropna=False, as_index=False)["days"].sum()
        return self.once("orders_days", make)

    def signup_ctes(self) -> list[str]:
        """CTEs ending in ``flags(h, ts, channel, effective)``: the new users of the range.

        Sign-ups come from a users file, else from each user's first event (channel: the user's
        channel, else the channel of that first event).
        """
        if self.users_src is not None:
            su = f"""SELECT hash(user_id) AS h, min(signup_time) AS ts, any_value(channel) AS channel
                     FROM {self.users_src.sql} WHERE user_id IS NOT NULL AND signup_time IS NOT NULL
                     GROUP BY user_id"""
        else:
            su = f"SELECT h, ts, channel FROM {quote_ident(self.first_events_table())}"
        ctes = [f"su AS ({su})", self.purchases_cte()]
        still, join = "", ""
        if self.has_activity:
            join = f" LEFT JOIN {self.last_active()} AS l ON l.h = s.h"
            still = "OR coalesce(l.last_d >= CAST(s.ts AS DATE) + CAST($still_active AS INTEGER), false)"
        ctes.append(f"""flags AS (SELECT s.h, s.ts, s.channel, (EXISTS (SELECT 1 FROM buys b WHERE b.h = s.h
                            AND b.d BETWEEN CAST(s.ts AS DATE) AND CAST(s.ts AS DATE) + CAST($n_days AS INTEGER))
                            {still}) AS effective
                        FROM su s{join} WHERE {self.in_range('s.ts')})""")
        return ctes

    def signups(self) -> pd.DataFrame:
        """[period, rows, new_users, effective_new_users]."""
        def make() -> pd.DataFrame:
            sql = "WITH " + ",\n".join(self.signup_ctes()) + f"""
              SELECT {self.period('ts')} AS period, count(*) AS rows, count(*) AS new_users,
                     count(*) FILTER (WHERE effective) AS effective_new_users
              FROM flags {self.group}"""
            return self.run(sql, **self.all_params())
        return self.once("signups", make)

    def channel_conversion(self) -> pd.DataFrame:
        """[period, rows, visitors, converted_users]."""
        def make() -> pd.DataFrame:
            assert self.events is not None
            ctes = [self.purchases_cte()]
            ctes.append(f"""v AS (SELECT DISTINCT {self.period('d')} AS period, h
                                  FROM {quote_ident(self.event_days_table())} WHERE d BETWEEN $start AND $end)""")
            ctes.append(f"""bp AS (SELECT DISTINCT {self.period('d')} AS period, h FROM buys
                                   WHERE d BETWEEN $start AND $end)""")
            sql = "WITH " + ",\n".join(ctes) + f"""
              SELECT {self.keep('v.period')} AS period, count(*) AS rows,
                     count(*) AS visitors, count(bp.h) AS converted_users
              FROM v LEFT JOIN bp ON bp.h = v.h AND bp.period IS NOT DISTINCT FROM v.period
              {'' if self.grain is None else 'GROUP BY v.period ORDER BY v.period'}"""
            return self.run(sql, **self.all_params())
        return self.once("channel_conversion", make)

    def signup_funnel(self) -> pd.DataFrame:
        """[period, rows, first_step, last_step]: users who signed up in the range, and purchased after."""
        def make() -> pd.DataFrame:
            assert self.events is not None
            ctes = [self.purchases_cte()]
            ctes.append(f"""su AS (SELECT h, signup_ts AS ts FROM {quote_ident(self.first_events_table())}
                                   WHERE signup_ts IS NOT NULL)""")
            ctes.append("lb AS (SELECT h, max(d) AS last_buy FROM buys GROUP BY h)")
            ctes.append(f"""flags AS (SELECT s.ts, coalesce(lb.last_buy >= CAST(s.ts AS DATE), false) AS bought
                            FROM su s LEFT JOIN lb ON lb.h = s.h WHERE {self.in_range('s.ts')})""")
            sql = "WITH " + ",\n".join(ctes) + f"""
              SELECT {self.period('ts')} AS period, count(*) AS rows, count(*) AS first_step,
                     count(*) FILTER (WHERE bought) AS last_step
              FROM flags {self.group}"""
            return self.run(sql, **self.all_params())
        return self.once("signup_funnel", make)

    def funnel_counts(self) -> pd.DataFrame:
        """[period, rows, first_step, last_step] from the first step-count file (undated; steps in
        file order as ``data.funnel`` reads them, segments summed)."""
        def make() -> pd.DataFrame:
            ds = next(d for d in self.ws.of_kind("funnel_counts") if {"step", "users"} <= d.roles.keys())
            steps = funnel_step_counts(self.con, ds).groupby("step", sort=False)["users"].sum()
            first = _num(steps.iloc[0]) if len(steps) else None
            last = _num(steps.iloc[-1]) if len(steps) else None
            return pd.DataFrame({"period": [pd.NaT], "rows": [len(steps)], "first_step": [first],
                                 "last_step": [last]})
        return self.once("funnel_counts", make)

    def social_daily(self) -> pd.DataFrame:
        """[period, rows, views, profile_views, likes, comments, shares] over days with views, and
        [follower_rows, f_likes, f_comments, f_shares, follower_days] over days with a follower count."""
        def make() -> pd.DataFrame:
            assert self.daily is not None
            sql = f"""SELECT {self.period('date')} AS period, count(*) FILTER (WHERE views IS NOT NULL) AS rows,
                  sum(views) AS views, sum(profile_views) AS profile_views,
                  sum(likes) FILTER (WHERE views IS NOT NULL) AS likes,
                  sum(comments) FILTER (WHERE views IS NOT NULL) AS comments,
                  sum(shares) FILTER (WHERE views IS NOT NULL) AS shares,
                  count(*) FILTER (WHERE followers IS NOT NULL) AS follower_rows,
                  sum(likes) FILTER (WHERE followers IS NOT NULL) AS f_likes,
                  sum(comments) FILTER (WHERE followers IS NOT NULL) AS f_comments,
                  sum(shares) FILTER (WHERE followers IS NOT NULL) AS f_shares,
                  sum(followers) FILTER (WHERE followers IS NOT NULL AND (likes IS NOT NULL
                      OR comments IS NOT NULL OR shares IS NOT NULL)) AS follower_days
                FROM {self.daily.sql} WHERE date BETWEEN $start AND $end {self.group}"""
            return self.run(sql)
        return self.once("social_daily", make)

    def follower_weeks(self) -> pd.DataFrame:
        """[period, rows, weeks, followers_gained, followers_at_start] over Sunday-to-Sunday weeks."""
        def make() -> pd.DataFrame:
            assert self.daily is not None
            sql = f"""WITH snap AS (SELECT date AS d, followers FROM {self.daily.sql}
                                    WHERE followers IS NOT NULL AND isodow(date) = 7)
              SELECT {self.period('e.d')} AS period, count(*) AS rows, count(*) AS weeks,
                     sum(e.followers - s.followers) AS followers_gained, sum(s.followers) AS followers_at_start
              FROM snap e JOIN snap s ON s.d = e.d - 7
              WHERE e.d <= $end AND s.d + 1 >= $start {self.group}"""
            frame = self.run(sql)
            rows_sql = f"""SELECT {self.period('date')} AS period, count(*) AS follower_rows FROM {self.daily.sql}
                           WHERE followers IS NOT NULL AND date BETWEEN $start AND $end {self.group}"""
            return _merge(frame, self.run(rows_sql))
        return self.once("follower_weeks", make)

    def posts_frame(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            assert self.posts is not None
            sql = f"""SELECT {self.period('post_time')} AS period, count(*) AS rows, count(*) AS videos,
                             sum(views) AS views, sum(likes) AS likes, sum(comments) AS comments,
                             sum(shares) AS shares
                      FROM {self.posts.sql} WHERE views IS NOT NULL AND {self.in_range('post_time')} {self.group}"""
            return self.run(sql)
        return self.once("posts", make)

    def spend(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            assert self.spend_src is not None
            sql = f"""SELECT {self.period('date')} AS period, count(*) AS spend_rows, sum(cost) AS spend
                      FROM {self.spend_src.sql} WHERE cost IS NOT NULL AND date BETWEEN $start AND $end
                      {self.group}"""
            return self.run(sql)
        return self.once("spend", make)

    def tickets_frame(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            assert self.tickets is not None
            parts = []
            for name, col in (("first", "first_response"), ("resolution", "resolved")):
                dur = f"epoch({col} - created)"
                ok = f"{col} IS NOT NULL AND {col} >= created"
                parts.append(f"""count(*) FILTER (WHERE {ok}) AS {name}_n,
                    sum({dur}) FILTER (WHERE {ok}) AS {name}_total,
                    median({dur}) FILTER (WHERE {ok}) AS {name}_median,
                    quantile_cont({dur}, 0.9) FILTER (WHERE {ok}) AS {name}_p90,
                    count(*) FILTER (WHERE {col} < created) AS {name}_negative""")
            sql = f"""SELECT {self.period('created')} AS period, count(*) AS rows, {', '.join(parts)},
                             count(DISTINCT agent) AS agents
                      FROM {self.tickets.sql} WHERE created IS NOT NULL AND {self.in_range('created')}
                      {self.group}"""
            return self.run(sql)
        return self.once("tickets", make)

    def content_frame(self) -> pd.DataFrame:
        def make() -> pd.DataFrame:
            assert self.content is not None
            sql = f"""SELECT CAST(NULL AS DATE) AS period, count(*) AS rows, sum(impressions) AS impressions,
                             sum(clicks) AS clicks, sum(likes) AS likes, sum(comments) AS comments,
                             sum(shares) AS shares, sum(conversions) AS conversions
                      FROM {self.content.sql} WHERE impressions IS NOT NULL"""
            return self.run(sql)
        return self.once("content", make)


def _merge(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    """Join two per-period frames (the period is NaT for a whole-range frame)."""
    if left.empty:
        return right
    if right.empty:
        return left
    if left["period"].isna().all() and right["period"].isna().all():
        return pd.concat([left.reset_index(drop=True), right.drop(columns="period").reset_index(drop=True)], axis=1)
    merged = left.merge(right, on="period", how="outer").sort_values("period", ignore_index=True)
    if "rows" in merged:
        merged["rows"] = merged["rows"].fillna(0)
    return merged


def _missing_kinds(metric: Metric) -> _Missing:
    return _Missing(Reason.MISSING_DATA, {"kinds": ", ".join(dict.fromkeys(str(s.kind) for s in metric.sources)),
                                          "roles": "; ".join(", ".join(s.roles) for s in metric.sources)})


def _rename(frame: pd.DataFrame, mapping: Mapping[str, str]) -> pd.DataFrame:
    return frame.rename(columns=dict(mapping))


# ---- one input builder per KPI --------------------------------------------------------------------------

def _social_engagement(e: _Engine) -> _Result:
    if e.daily is not None and e.daily.has("views") and (e.daily.roles & {"likes", "comments", "shares"}):
        return _Inputs(e.social_daily(), "daily")
    if e.posts is not None and (e.posts.roles & {"likes", "comments", "shares"}):
        return _Inputs(e.posts_frame(), "posts")
    return _missing_kinds(METRICS["engagement_rate"])


def _engagement_followers(e: _Engine) -> _Result:
    if e.daily is None or not e.daily.has("followers") or not (e.daily.roles & {"likes", "comments", "shares"}):
        return _missing_kinds(METRICS["engagement_rate_followers"])
    frame = e.social_daily().drop(columns=["likes", "comments", "shares", "rows"])
    frame = _rename(frame, {"f_likes": "likes", "f_comments": "comments", "f_shares": "shares",
                            "follower_rows": "rows"})
    return _Inputs(frame)


def _follower_growth(e: _Engine) -> _Result:
    if e.daily is None or not e.daily.has("followers"):
        return _missing_kinds(METRICS["follower_growth_weekly"])
    frame = e.follower_weeks().drop(columns=["rows"], errors="ignore")
    return _Inputs(_rename(frame, {"follower_rows": "rows"}))


def _views_per_video(e: _Engine) -> _Result:
    return _Inputs(e.posts_frame()) if e.posts is not None else _missing_kinds(METRICS["views_per_video"])


def _lead_conversion(e: _Engine) -> _Result:
    if e.lead_denominator == "link_clicks":
        if e.content is None or not e.content.has("clicks"):
            return _missing_kinds(METRICS["lead_conversion_rate"])
        visitors = _rename(e.content_frame()[["period", "rows", "clicks"]], {"clicks": "visitors"})
    else:
        if e.daily is None or not e.daily.has("profile_views"):
            return _missing_kinds(METRICS["lead_conversion_rate"])
        visitors = _rename(e.social_daily()[["period", "rows", "profile_views"]], {"profile_views": "visitors"})
    if "leads" in e.user_inputs:
        if e.grain is not None:
            return _Missing(Reason.NOT_DATED, {"input": "leads"})
        return _Inputs(visitors, f"leads_{e.lead_denominator}", extra={"leads": e.user_inputs["leads"]})
    if e.orders_src is None:
        return _Inputs(visitors, f"leads_{e.lead_denominator}", extra={"leads": None})
    sales = _rename(e.orders()[["period", "paid_orders"]], {"paid_orders": "leads"})
    return _Inputs(_merge(visitors, sales), f"sales_{e.lead_denominator}")


def _signups_available(e: _Engine) -> bool:
    return e.users_src is not None or e.events is not None


def _new_users(e: _Engine) -> _Result:
    if not _signups_available(e):
        return _missing_kinds(METRICS["new_users"])
    frame = e.signups()
    details = ("effective_new_users",)
    return _Inputs(frame, "signups" if e.users_src is not None else "first_event", details)


def _effective_share(e: _Engine) -> _Result:
    if not _signups_available(e) or not (e.has_purchases or e.has_activity):
        return _missing_kinds(METRICS["effective_new_user_share"])
    return _Inputs(e.signups(), "signups" if e.users_src is not None else "first_event")


def _cac(e: _Engine) -> _Result:
    if not _signups_available(e):
        return _missing_kinds(METRICS["cac"])
    signups = e.signups()[["period", "rows", "new_users"]]
    if "spend" in e.user_inputs:
        if e.grain is not None:
            return _Missing(Reason.NOT_DATED, {"input": "spend"})
        return _Inputs(signups, "user_input", extra={"spend": e.user_inputs["spend"]})
    if e.spend_src is None:
        return _Inputs(signups, "spend_data", extra={"spend": None})
    return _Inputs(_merge(signups, e.spend()), "spend_data")


def _channel_conversion(e: _Engine) -> _Result:
    if e.events is None or not e.has_purchases:
        return _missing_kinds(METRICS["channel_conversion_rate"])
    return _Inputs(e.channel_conversion())


def _retention(kpi_id: str) -> Callable[[_Engine], _Result]:
    k = RETENTION_DAYS.get(kpi_id, 30)

    def build(e: _Engine) -> _Result:
        if not e.has_activity:
            return _missing_kinds(METRICS[kpi_id])
        frame = e.retention(k)
        days = e.active_days()
        if days is None:
            return _Missing(Reason.NO_DATA_IN_RANGE)
        return _Inputs(_merge(frame, days[["period", "rows"]]), after_days=k)
    return build


def _activity(kpi_id: str) -> Callable[[_Engine], _Result]:
    def build(e: _Engine) -> _Result:
        if not e.has_activity:
            return _missing_kinds(METRICS[kpi_id])
        frame = e.active_days()
        return _Missing(Reason.NO_DATA_IN_RANGE) if frame is None else _Inputs(frame)
    return build


def _orders_based(kpi_id: str) -> Callable[[_Engine], _Result]:
    def build(e: _Engine) -> _Result:
        if e.orders_src is None:
            return _missing_kinds(METRICS[kpi_id])
        frame = e.orders()
        frame = frame.assign(net_revenue=frame["gmv"] - frame["cancelled_returned"])
        if kpi_id == "arr":
            days = e.orders_days()
            if days is None:
                return _Missing(Reason.NO_DATA_IN_RANGE)
            frame = _merge(frame, days)
        return _Inputs(frame)
    return build


def _customers_based(kpi_id: str) -> Callable[[_Engine], _Result]:
    def build(e: _Engine) -> _Result:
        if e.orders_src is None or not e.orders_src.has("customer_id"):
            return _missing_kinds(METRICS[kpi_id])
        orders = e.orders()
        frame = _merge(orders.assign(revenue=orders["gmv"] - orders["cancelled_returned"])[
            ["period", "rows", "revenue"]], e.customers())
        details = ("coupon_repeat_customers",) if e.orders_src.has("coupon") and kpi_id == "repurchase_rate" else ()
        return _Inputs(frame, details=details)
    return build


def _arpu(e: _Engine) -> _Result:
    if e.orders_src is not None:
        orders = e.orders()
        revenue = orders.assign(revenue=orders["gmv"] - orders["cancelled_returned"])[["period", "rows", "revenue"]]
    elif e.events is not None and e.events.has("revenue"):
        sql = f"""SELECT {e.period('"timestamp"')} AS period, count(*) AS rows, coalesce(sum(revenue), 0) AS revenue
                  FROM {e.events.sql} WHERE {e.in_range('"timestamp"')} {e.group}"""
        revenue = e.run(sql)
    else:
        return _missing_kinds(METRICS["arpu"])
    if not e.has_activity:
        return _missing_kinds(METRICS["arpu"])
    days = e.active_days()
    if days is None:
        return _Missing(Reason.NO_DATA_IN_RANGE)
    variant = "active_users" if e.events is not None else "paying_customers"
    return _Inputs(_merge(revenue, days[["period", "active_users"]]), variant)


def _gmv_per_head(e: _Engine) -> _Result:
    if e.orders_src is None:
        return _missing_kinds(METRICS["gmv_per_head"])
    return _Inputs(e.orders(), extra={"ops_headcount": e.user_inputs.get("ops_headcount")})


def _users_per_agent(e: _Engine) -> _Result:
    if not e.has_activity:
        return _missing_kinds(METRICS["users_per_agent"])
    days = e.active_days()
    if days is None:
        return _Missing(Reason.NO_DATA_IN_RANGE)
    frame = days[["period", "rows", "active_users"]]
    if "support_agents" in e.user_inputs:
        return _Inputs(frame, "user_input", extra={"support_agents": e.user_inputs["support_agents"]})
    if e.tickets is not None and e.tickets.has("agent"):
        agents = _rename(e.tickets_frame()[["period", "agents"]], {"agents": "support_agents"})
        merged = _merge(frame, agents)
        merged["support_agents"] = merged["support_agents"].replace(0, pd.NA)
        return _Inputs(merged, "agents_in_tickets")
    return _Inputs(frame, "user_input", extra={"support_agents": None})


def _durations(kpi_id: str, prefix: str, role: str) -> Callable[[_Engine], _Result]:
    def build(e: _Engine) -> _Result:
        if e.tickets is None or not e.tickets.has(role):
            return _missing_kinds(METRICS[kpi_id])
        frame = _rename(e.tickets_frame(), {f"{prefix}_total": "total_seconds", f"{prefix}_n": "tickets",
                                            f"{prefix}_median": "median", f"{prefix}_p90": "p90",
                                            f"{prefix}_negative": "negative_durations"})
        return _Inputs(frame, details=("median", "p90", "negative_durations"))
    return build


def _funnel(e: _Engine) -> _Result:
    if e.funnel is not None:
        if e.grain is not None:
            return _Missing(Reason.NOT_DATED)
        return _Inputs(e.funnel_counts(), "funnel_counts")
    if e.events is not None and e.events.has("event") and e.has_purchases:
        return _Inputs(e.signup_funnel(), "signup_to_purchase")
    return _missing_kinds(METRICS["funnel_conversion"])


def _content(kpi_id: str, *roles: str) -> Callable[[_Engine], _Result]:
    def build(e: _Engine) -> _Result:
        if e.content is None or not e.content.has(*roles):
            return _missing_kinds(METRICS[kpi_id])
        if e.grain is not None:
            return _Missing(Reason.NOT_DATED)
        return _Inputs(e.content_frame())
    return build


_BUILDERS: dict[str, Callable[[_Engine], _Result]] = {
    "follower_growth_weekly": _follower_growth,
    "engagement_rate": _social_engagement,
    "engagement_rate_followers": _engagement_followers,
    "views_per_video": _views_per_video,
    "lead_conversion_rate": _lead_conversion,
    "new_users": _new_users,
    "effective_new_user_share": _effective_share,
    "cac": _cac,
    "channel_conversion_rate": _channel_conversion,
    "retention_d1": _retention("retention_d1"),
    "retention_d7": _retention("retention_d7"),
    "retention_d30": _retention("retention_d30"),
    "churn_rate": _retention("retention_d30"),
    "dau": _activity("dau"),
    "mau": _activity("mau"),
    "stickiness": _activity("stickiness"),
    "gmv": _orders_based("gmv"),
    "net_revenue": _orders_based("net_revenue"),
    "refund_rate": _orders_based("refund_rate"),
    "arr": _orders_based("arr"),
    "funnel_conversion": _funnel,
    "repurchase_rate": _customers_based("repurchase_rate"),
    "aov": _orders_based("aov"),
    "arpu": _arpu,
    "ltv": _customers_based("ltv"),
    "gmv_per_head": _gmv_per_head,
    "users_per_agent": _users_per_agent,
    "first_response_time": _durations("first_response_time", "first", "first_response"),
    "resolution_time": _durations("resolution_time", "resolution", "resolved"),
    "impressions": _content("impressions", "impressions"),
    "ctr": _content("ctr", "impressions", "clicks"),
    "interaction_rate": _content("interaction_rate", "impressions"),
    "content_conversion_rate": _content("content_conversion_rate", "impressions", "conversions"),
}


def _evaluate_row(metric: Metric, row: Mapping[str, Any], built: _Inputs, benchmark_variant: str | None = None,
                  *, in_data: bool = True) -> KpiValue:
    """Apply the formula to one row of input sums.

    A row without source rows is a real zero when the range lies within the data (no orders that
    week: GMV 0, AOV has a zero denominator) and ``no_data_in_range`` when it does not.
    """
    rows = _num(row.get("rows"))
    empty = rows is not None and rows == 0
    inputs: dict[str, float | None] = {}
    for name in metric.inputs:
        if name in built.extra:
            inputs[name] = _num(built.extra[name])
        else:
            x = _num(row.get(name))
            inputs[name] = 0.0 if x is None and empty else x
    details = {name: None if empty else _num(row.get(name)) for name in built.details}
    if empty and not in_data:
        outcome = Outcome.missing(Reason.NO_DATA_IN_RANGE)
    elif built.after_days is not None and not empty and not inputs.get("base"):
        outcome = Outcome.missing(Reason.RANGE_TOO_SHORT, days=built.after_days)
    else:
        outcome = metric.compute(inputs)
    return KpiValue.from_outcome(metric.id, outcome, inputs=inputs, details=details, variant=built.variant,
                                 benchmark_variant=benchmark_variant)


def _evaluate(metric: Metric, built: _Result, benchmark_variant: str | None, in_data: bool) -> KpiValue:
    if isinstance(built, _Missing):
        return replace(KpiValue.missing(metric.id, built.reason, **built.params),
                       benchmark_variant=benchmark_variant)
    frame = built.frame
    row: Mapping[str, Any] = frame.iloc[0].to_dict() if len(frame) else {"rows": 0}
    return _evaluate_row(metric, row, built, benchmark_variant, in_data=in_data)


def _overlaps(ws: Workspace, metric: Metric, start: date | None, end: date | None) -> bool:
    """Whether start..end meets the dates of the metric's datasets."""
    return _window(data_range(ws, _kinds(metric)), start, end) is not None


def benchmark_variant(metric: Metric, product_type: str, goods_type: str) -> str | None:
    """The metric's benchmark variant for this product (D1 retention) or goods type (repurchase)."""
    variants = {b.variant for b in metric.benchmarks}
    for wanted in (product_type, goods_type):
        if wanted in variants:
            return wanted
    return None


def _add_partner_details(values: dict[str, KpiValue]) -> dict[str, KpiValue]:
    """A volume KPI carries its quality partner's value (new users with the effective share)."""
    out = dict(values)
    for kpi_id, value in values.items():
        partner = METRICS[kpi_id].quality_partner
        if partner and partner in values:
            out[kpi_id] = replace(value, details={**value.details, partner: values[partner].value})
    return out


def compute_kpis(ws: Workspace, start: date | None = None, end: date | None = None, *,
                 user_inputs: Mapping[str, float] | None = None, product_type: str = "tools",
                 effective_days: int = 3, active_events: Sequence[str] | None = None,
                 lead_denominator: Literal["profile_views", "link_clicks"] = "profile_views",
                 goods_type: str = "fmcg", ids: Sequence[str] | None = None) -> dict[str, KpiValue]:
    """Every KPI (or ``ids``) over start..end (inclusive; None = all data), in registry order.

    ``user_inputs``: ``spend``, ``ops_headcount``, ``support_agents``, ``leads`` (numbers not in the
    data). ``product_type`` (tools, social, content) and ``goods_type`` (fmcg, durable) set each value's
    ``benchmark_variant``. KPIs whose data is not loaded come back with ``value=None`` and reason
    ``missing_data``; ``available_kpis`` lists the ones the loaded files can give.
    """
    engine = _Engine(ws, start, end, None, user_inputs=user_inputs, effective_days=effective_days,
                     active_events=active_events, lead_denominator=lead_denominator)
    wanted = list(ids) if ids is not None else list(METRICS)
    values = {kpi_id: _evaluate(METRICS[kpi_id], _BUILDERS[kpi_id](engine),
                                benchmark_variant(METRICS[kpi_id], product_type, goods_type),
                                _overlaps(ws, METRICS[kpi_id], start, end))
              for kpi_id in wanted}
    return _add_partner_details(values)


def available_kpis(ws: Workspace) -> list[str]:
    """Ids of the KPIs whose required dataset kinds and roles are loaded (registry order)."""
    roles: dict[str, set[str]] = {}
    for d in ws.datasets:
        if d.kind:
            roles.setdefault(d.kind, set()).update(r for r in [*d.roles, "amount"] if _has_role(d, r))
    return [m.id for m in METRICS.values() if m.available(roles)]


def kpi_series(ws: Workspace, kpi_id: str, grain: Grain = "week", start: date | None = None,
               end: date | None = None, *, user_inputs: Mapping[str, float] | None = None,
               effective_days: int = 3, active_events: Sequence[str] | None = None,
               lead_denominator: Literal["profile_views", "link_clicks"] = "profile_views") -> pd.DataFrame:
    """The KPI computed on its own for each day, week (Monday start) or month of the range.

    Columns: ``period`` (first day, a date), ``value`` (float or None) and ``reason`` (code or None),
    one row per period from the first to the last date of the KPI's datasets within the range.
    Undated KPIs (content, funnel step counts) and spend typed by the user give an empty frame.
    """
    metric = METRICS[kpi_id]
    engine = _Engine(ws, start, end, grain, user_inputs=user_inputs, effective_days=effective_days,
                     active_events=active_events, lead_denominator=lead_denominator)
    built = _BUILDERS[kpi_id](engine)
    window = _window(data_range(ws, _kinds(metric)), start, end)
    if isinstance(built, _Missing) or not metric.dated or window is None:
        return pd.DataFrame({"period": pd.Series([], dtype="object"), "value": pd.Series([], dtype="object"),
                             "reason": pd.Series([], dtype="object")})
    periods = engine.calendar(*window)["period"].drop_duplicates()
    by_period = {pd.Timestamp(r["period"]).date(): r for r in built.frame.dropna(subset=["period"]).to_dict("records")}
    records = []
    for p in periods:
        day = pd.Timestamp(p).date()
        value = _evaluate_row(metric, by_period.get(day, {"rows": 0}), built)
        records.append({"period": day, "value": value.value, "reason": value.reason_code})
    return pd.DataFrame({"period": pd.Series([r["period"] for r in records], dtype="object"),
                         "value": pd.Series([r["value"] for r in records], dtype="object"),
                         "reason": pd.Series([r["reason"] for r in records], dtype="object")})


def channel_breakdown(ws: Workspace, start: date | None = None, end: date | None = None, *,
                      effective_days: int = 3, active_events: Sequence[str] | None = None) -> pd.DataFrame:
    """Acquisition KPIs per channel, so a cheap channel with few effective users stands out.

    One row per channel (None: users without a channel), most new users first: ``new_users``,
    ``effective_new_users``, ``effective_share``, ``spend`` (spend file rows of that channel), ``cac``,
    ``visitors``, ``converted_users``, ``conversion_rate``. A user's channel is the one in the users
    file, else the channel of their first event. Ratios without a denominator are None.
    """
    columns = ["channel", "new_users", "effective_new_users", "effective_share", "spend", "cac", "visitors",
               "converted_users", "conversion_rate"]
    e = _Engine(ws, start, end, None, user_inputs=None, effective_days=effective_days,
                active_events=active_events, lead_denominator="profile_views")
    has_channel = (e.users_src is not None and e.users_src.has("channel")) or \
        (e.users_src is None and e.events is not None and e.events.has("channel"))
    if not _signups_available(e) or not has_channel:
        return pd.DataFrame(columns=columns)
    frames = [e.run("WITH " + ",\n".join(e.signup_ctes()) + """
        SELECT channel, count(*) AS new_users, count(*) FILTER (WHERE effective) AS effective_new_users
        FROM flags GROUP BY channel""", **e.all_params())]
    if e.spend_src is not None and e.spend_src.has("channel"):
        frames.append(e.run(f"""SELECT channel, sum(cost) AS spend FROM {e.spend_src.sql}
                                WHERE cost IS NOT NULL AND date BETWEEN $start AND $end GROUP BY channel"""))
    if e.events is not None and e.has_purchases:
        ctes = [e.purchases_cte(),
                f"chan AS (SELECT h, channel FROM {quote_ident(e.first_events_table())})" if e.users_src is None else
                f"""chan AS (SELECT hash(user_id) AS h, any_value(channel) AS channel FROM {e.users_src.sql}
                             WHERE user_id IS NOT NULL GROUP BY user_id)"""]
        ctes.append(f"""v AS (SELECT DISTINCT h FROM {quote_ident(e.event_days_table())}
                              WHERE d BETWEEN $start AND $end)""")
        ctes.append("bp AS (SELECT DISTINCT h FROM buys WHERE d BETWEEN $start AND $end)")
        frames.append(e.run("WITH " + ",\n".join(ctes) + """
            SELECT chan.channel AS channel, count(*) AS visitors, count(bp.h) AS converted_users
            FROM v LEFT JOIN chan ON chan.h = v.h LEFT JOIN bp ON bp.h = v.h GROUP BY chan.channel""",
                            **e.all_params()))
    out = frames[0]
    for frame in frames[1:]:
        out = out.merge(frame, on="channel", how="outer")
    out = out.reindex(columns=columns)
    out[["new_users", "effective_new_users", "visitors", "converted_users"]] = out[
        ["new_users", "effective_new_users", "visitors", "converted_users"]].fillna(0)
    rows = out.to_dict("records")
    for r in rows:
        r["effective_share"] = f.effective_new_user_share(_num(r["effective_new_users"]), _num(r["new_users"])).value
        r["cac"] = f.cac(_num(r["spend"]), _num(r["new_users"])).value
        r["conversion_rate"] = f.channel_conversion_rate(_num(r["converted_users"]), _num(r["visitors"])).value
        for c in ("new_users", "effective_new_users", "visitors", "converted_users", "spend"):
            r[c] = _num(r[c])
        r["channel"] = None if pd.isna(r["channel"]) else str(r["channel"])
    rows.sort(key=lambda r: (-(r["new_users"] or 0), r["channel"] is None, r["channel"] or ""))
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype="object") for c in columns})


def event_days_table(ws: Workspace) -> str | None:
    """The derived table of distinct (h, d) of any event (``h`` = hash(user_id)), None without an event log.

    The same table the activity KPIs read, so the breakdown explorer splits them without a new scan."""
    e = _Engine(ws, None, None, None, user_inputs=None, effective_days=3, active_events=None,
                lead_denominator="profile_views")
    return None if e.events is None else e.event_days_table()


def _kinds(metric: Metric) -> set[str]:
    return {str(s.kind) for s in metric.sources}


def data_range(ws: Workspace, kinds: set[str] | None = None) -> tuple[date, date] | None:
    """The span of dates over the loaded datasets (only those of ``kinds`` when given)."""
    ranges = [d.date_range for d in ws.datasets if d.date_range and (kinds is None or d.kind in kinds)]
    if not ranges:
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _window(span: tuple[date, date] | None, start: date | None, end: date | None) -> tuple[date, date] | None:
    if span is None:
        return None
    lo, hi = max(start or span[0], span[0]), min(end or span[1], span[1])
    return (lo, hi) if lo <= hi else None


# user inputs that are totals for the selected range, not valid for other ranges
_RANGE_TOTALS = ("spend", "leads")


def compare_periods(ws: Workspace, start: date | None, end: date | None, *,
                    user_inputs: Mapping[str, float] | None = None, effective_days: int = 3,
                    active_events: Sequence[str] | None = None,
                    lead_denominator: Literal["profile_views", "link_clicks"] = "profile_views",
                    product_type: str = "tools", goods_type: str = "fmcg",
                    ids: Sequence[str] | None = None) -> dict[str, PeriodComparison]:
    """Each KPI in start..end (None = the data's first/last day), in the previous range of equal length,
    and in the same dates a year earlier.

    A comparison range that the KPI's own datasets do not fully cover gives ``previous``/``last_year``
    = None (and no change). Spend and leads typed by the user are totals of the current range and are
    not reused for the others; headcounts are.
    """
    span = data_range(ws)
    if span is None:
        return {}
    period = (start or span[0], end or span[1])
    kwargs: dict[str, Any] = {"effective_days": effective_days, "active_events": active_events,
                              "lead_denominator": lead_denominator, "product_type": product_type,
                              "goods_type": goods_type, "ids": ids}
    current = compute_kpis(ws, *period, user_inputs=user_inputs, **kwargs)
    prev_range = previous_period(*period)
    year_range = same_period_last_year(*period)
    other_inputs = {k: v for k, v in (user_inputs or {}).items() if k not in _RANGE_TOTALS}
    spans = {kpi_id: data_range(ws, _kinds(METRICS[kpi_id])) for kpi_id in current}
    previous = (compute_kpis(ws, *prev_range, user_inputs=other_inputs, **kwargs)
                if any(covers(sp, prev_range) for sp in spans.values()) else {})
    last_year = (compute_kpis(ws, *year_range, user_inputs=other_inputs, **kwargs)
                 if any(covers(sp, year_range) for sp in spans.values()) else {})
    out: dict[str, PeriodComparison] = {}
    for kpi_id, value in current.items():
        prev = previous.get(kpi_id) if covers(spans[kpi_id], prev_range) else None
        year = last_year.get(kpi_id) if covers(spans[kpi_id], year_range) else None
        out[kpi_id] = PeriodComparison(
            id=kpi_id, period=period, current=value, previous_period=prev_range, previous=prev,
            change=None if prev is None else period_change(value.value, prev.value),
            last_year_period=year_range, last_year=year,
            last_year_change=None if year is None else period_change(value.value, year.value),
            partner=METRICS[kpi_id].quality_partner)
    return out
