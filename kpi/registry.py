"""The KPI registry: every metric the app computes, as data.

A ``Metric`` says what a KPI is (category, lifecycle stage, unit, direction), what it needs (dataset
kinds and roles, user inputs), how it is computed (a pure function from ``kpi.formulas`` whose
parameters are the metric's ``inputs``), which benchmark bands apply and where they come from, and
which other definitions exist. Labels and definitions live in the i18n catalogs under
``kpi.<id>.label``, ``kpi.<id>.definition`` and ``kpi.<id>.alt``.
"""
from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum

from kpi import formulas as f
from kpi.result import Outcome


class Category(StrEnum):
    SOCIAL = "social"
    USER = "user"
    REVENUE = "revenue"
    EFFICIENCY = "efficiency"
    CONTENT = "content"


class Stage(StrEnum):
    """User lifecycle stage (ops guide); team-efficiency KPIs belong to no user stage: OPERATIONS."""

    ACQUISITION = "acquisition"
    ACTIVITY = "activity"
    RETENTION = "retention"
    CONVERSION = "conversion"
    OPERATIONS = "operations"


class Unit(StrEnum):
    COUNT = "count"        # people, views, videos; may be fractional when averaged (DAU)
    RATIO = "ratio"        # a fraction: 0.0543 is 5.43 %
    MONEY = "money"        # in the currency of the uploaded file
    DURATION = "duration"  # seconds


class Direction(Enum):
    HIGHER_IS_BETTER = "higher"
    LOWER_IS_BETTER = "lower"


class Kind(StrEnum):
    """How the value is made: a sum or count, a ratio of two sums, or from other values."""

    SIMPLE = "simple"
    RATIO = "ratio"
    DERIVED = "derived"


class DatasetKind(StrEnum):
    """Dataset kinds as named by ``data.detect`` (a test keeps the two lists equal)."""

    SOCIAL_DAILY = "social_daily"
    SOCIAL_POSTS = "social_posts"
    EVENTS = "events"
    ORDERS = "orders"
    USERS = "users"
    SPEND = "spend"
    TICKETS = "tickets"
    FUNNEL_COUNTS = "funnel_counts"
    CONTENT = "content"
    FOLLOWERS_ACTIVITY = "followers_activity"


@dataclass(frozen=True)
class Band:
    """A closed interval; ``None`` is an open end (−∞ for ``lo``, +∞ for ``hi``)."""

    lo: float | None
    hi: float | None

    @property
    def lo_or_inf(self) -> float:
        return -math.inf if self.lo is None else self.lo

    @property
    def hi_or_inf(self) -> float:
        return math.inf if self.hi is None else self.hi

    def contains(self, value: float) -> bool:
        return self.lo_or_inf <= value <= self.hi_or_inf

    def as_list(self) -> list[float | None]:
        return [self.lo, self.hi]


@dataclass(frozen=True)
class Benchmark:
    """Market-average and optimal bands for one product type (``variant``), with their source.

    ``source`` is a short id: ``tiktok_audit`` (the TikTok audit article), ``ops_guide`` (the
    operations KPI guide), or free text for bands a user entered. Where the notes give only a
    target, market and optimal are the same band; where they give only a typical range, it is the
    market band and the optimal band starts where it ends (see docs/metrics.md).
    """

    market: Band
    optimal: Band
    source: str
    variant: str = "default"


@dataclass(frozen=True)
class Source:
    """One way to get a KPI's inputs: a dataset kind with these roles mapped."""

    kind: DatasetKind
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Metric:
    id: str
    category: Category
    stage: Stage
    kind: Kind
    unit: Unit
    direction: Direction
    formula: Callable[..., Outcome]
    formula_text: str
    sources: tuple[Source, ...]
    user_inputs: tuple[str, ...] = ()
    benchmarks: tuple[Benchmark, ...] = ()
    alternatives: tuple[str, ...] = ()
    quality_partner: str | None = None
    decimals: int = 1
    dated: bool = True

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the formula's parameters, in order: what the data layer must supply."""
        return tuple(inspect.signature(self.formula).parameters)

    def compute(self, inputs: Mapping[str, float | None]) -> Outcome:
        return self.formula(**{name: inputs.get(name) for name in self.inputs})

    @property
    def label_key(self) -> str:
        return f"kpi.{self.id}.label"

    @property
    def definition_key(self) -> str:
        return f"kpi.{self.id}.definition"

    @property
    def alt_key(self) -> str | None:
        return f"kpi.{self.id}.alt" if self.alternatives else None

    def benchmark(self, variant: str | None = None) -> Benchmark | None:
        """The built-in benchmark for ``variant``, else the first one, else None."""
        for b in self.benchmarks:
            if b.variant == variant:
                return b
        return self.benchmarks[0] if self.benchmarks else None

    def available(self, roles_by_kind: Mapping[str, set[str]]) -> bool:
        """Whether one of the sources is satisfied by the loaded datasets' roles."""
        return any(set(s.roles) <= roles_by_kind.get(str(s.kind), set()) for s in self.sources)


K = DatasetKind
HIGHER = Direction.HIGHER_IS_BETTER
LOWER = Direction.LOWER_IS_BETTER
TIKTOK = "tiktok_audit"
GUIDE = "ops_guide"

_ACTIVITY = (Source(K.EVENTS, ("user_id", "timestamp")), Source(K.ORDERS, ("timestamp", "amount", "customer_id")))
_ORDERS = (Source(K.ORDERS, ("timestamp", "amount")),)
_TICKETS_FIRST = (Source(K.TICKETS, ("created", "first_response")),)
_TICKETS_RESOLVED = (Source(K.TICKETS, ("created", "resolved")),)
_SIGNUPS = (Source(K.USERS, ("user_id", "signup_time")), Source(K.EVENTS, ("user_id", "timestamp")))


def _retention_metric(kpi_id: str, benchmarks: tuple[Benchmark, ...] = ()) -> Metric:
    days = kpi_id.removeprefix("retention_d")
    return Metric(kpi_id, Category.USER, Stage.RETENTION, Kind.RATIO, Unit.RATIO, HIGHER, f.retention,
                  f"Σ users active on day N and on day N+{days} / Σ users active on day N",
                  _ACTIVITY, benchmarks=benchmarks, alternatives=("first_activity_cohort", "core_action"))


_METRICS: tuple[Metric, ...] = (
    # ---- social (TikTok audit article) ----
    Metric("follower_growth_weekly", Category.SOCIAL, Stage.ACQUISITION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.follower_growth_weekly,
           "Σ(followers at week end − followers at week start) / Σ followers at week start, full weeks",
           (Source(K.SOCIAL_DAILY, ("date", "followers")),),
           benchmarks=(Benchmark(Band(0.05, 0.07), Band(0.08, 0.12), TIKTOK),),
           alternatives=("mean_of_weekly_rates",)),
    Metric("engagement_rate", Category.SOCIAL, Stage.ACTIVITY, Kind.RATIO, Unit.RATIO, HIGHER, f.engagement_rate,
           "(likes + comments + shares) / views",
           (Source(K.SOCIAL_DAILY, ("date", "views")), Source(K.SOCIAL_POSTS, ("post_time", "views"))),
           benchmarks=(Benchmark(Band(0.04, 0.06), Band(0.07, 0.10), TIKTOK),),
           alternatives=("per_follower",), decimals=2),
    Metric("engagement_rate_followers", Category.SOCIAL, Stage.ACTIVITY, Kind.RATIO, Unit.RATIO, HIGHER,
           f.engagement_rate_followers,
           "Σ daily (likes + comments + shares) / Σ daily followers",
           (Source(K.SOCIAL_DAILY, ("date", "followers")),), alternatives=("per_view",), decimals=2),
    Metric("views_per_video", Category.SOCIAL, Stage.ACTIVITY, Kind.RATIO, Unit.COUNT, HIGHER, f.views_per_video,
           "views of videos posted in the period / videos posted",
           (Source(K.SOCIAL_POSTS, ("post_time", "views")),),
           benchmarks=(Benchmark(Band(10_000, 15_000), Band(15_000, None), TIKTOK),),
           quality_partner="engagement_rate", decimals=0),
    Metric("lead_conversion_rate", Category.SOCIAL, Stage.CONVERSION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.lead_conversion_rate,
           "leads (or sales) / visitors (profile views or link clicks)",
           (Source(K.SOCIAL_DAILY, ("date", "profile_views")), Source(K.CONTENT, ("impressions", "clicks"))),
           user_inputs=("leads",),
           benchmarks=(Benchmark(Band(0.01, 0.02), Band(0.03, 0.05), TIKTOK),),
           alternatives=("link_clicks",), decimals=2),
    # ---- users (ops guide) ----
    Metric("new_users", Category.USER, Stage.ACQUISITION, Kind.SIMPLE, Unit.COUNT, HIGHER, f.new_users,
           "users who signed up (or were first seen) in the period", _SIGNUPS,
           alternatives=("effective_only",), quality_partner="effective_new_user_share", decimals=0),
    Metric("effective_new_user_share", Category.USER, Stage.ACQUISITION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.effective_new_user_share,
           "new users who purchased within N days or were active after day 7 / new users",
           _SIGNUPS, alternatives=("purchase_only",)),
    Metric("cac", Category.USER, Stage.ACQUISITION, Kind.RATIO, Unit.MONEY, LOWER, f.cac,
           "acquisition spend / new users",
           (Source(K.SPEND, ("date", "cost")), *_SIGNUPS), user_inputs=("spend",), decimals=2),
    Metric("channel_conversion_rate", Category.USER, Stage.ACQUISITION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.channel_conversion_rate,
           "users who purchased / users active in the period (per channel)",
           (Source(K.EVENTS, ("user_id", "timestamp", "event")),), alternatives=("signup_to_purchase",)),
    _retention_metric("retention_d1", (
        Benchmark(Band(0.30, 0.50), Band(0.50, 1.0), GUIDE, "tools"),
        Benchmark(Band(0.40, 0.60), Band(0.60, 1.0), GUIDE, "social"),
        Benchmark(Band(0.70, 1.0), Band(0.70, 1.0), GUIDE, "content"),
    )),
    _retention_metric("retention_d7"),
    _retention_metric("retention_d30"),
    Metric("churn_rate", Category.USER, Stage.RETENTION, Kind.DERIVED, Unit.RATIO, LOWER, f.churn_rate,
           "1 − retention_d30", _ACTIVITY, alternatives=("no_activity_in_period",)),
    Metric("dau", Category.USER, Stage.ACTIVITY, Kind.RATIO, Unit.COUNT, HIGHER, f.dau,
           "Σ daily distinct active users / days", _ACTIVITY, quality_partner="stickiness", decimals=0),
    Metric("mau", Category.USER, Stage.ACTIVITY, Kind.RATIO, Unit.COUNT, HIGHER, f.mau,
           "Σ distinct active users per calendar month / months", _ACTIVITY,
           alternatives=("last_30_days",), quality_partner="stickiness", decimals=0),
    Metric("stickiness", Category.USER, Stage.ACTIVITY, Kind.RATIO, Unit.RATIO, HIGHER, f.stickiness,
           "DAU / MAU = Σ user-days / Σ (days in month × MAU of month)", _ACTIVITY,
           benchmarks=(Benchmark(Band(0.10, 0.30), Band(0.30, 1.0), GUIDE),)),
    # ---- revenue ----
    Metric("gmv", Category.REVENUE, Stage.CONVERSION, Kind.SIMPLE, Unit.MONEY, HIGHER, f.gmv,
           "Σ amount of orders with a positive amount, cancelled and returned included", _ORDERS,
           quality_partner="refund_rate", decimals=2),
    Metric("net_revenue", Category.REVENUE, Stage.CONVERSION, Kind.DERIVED, Unit.MONEY, HIGHER, f.net_revenue,
           "GMV − cancelled and returned orders − refund lines", _ORDERS, decimals=2),
    Metric("refund_rate", Category.REVENUE, Stage.CONVERSION, Kind.RATIO, Unit.RATIO, LOWER, f.refund_rate,
           "(GMV − net revenue) / GMV", _ORDERS),
    Metric("arr", Category.REVENUE, Stage.CONVERSION, Kind.DERIVED, Unit.MONEY, HIGHER, f.arr,
           "net revenue / days in period × 365", _ORDERS, alternatives=("mrr_times_12",), decimals=0),
    Metric("funnel_conversion", Category.REVENUE, Stage.CONVERSION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.funnel_conversion,
           "users at the last step / users at the first step",
           (Source(K.FUNNEL_COUNTS, ("step", "users")), Source(K.EVENTS, ("user_id", "timestamp", "event"))),
           alternatives=("signup_to_purchase",)),
    Metric("repurchase_rate", Category.REVENUE, Stage.CONVERSION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.repurchase_rate,
           "customers with ≥ 2 orders / customers with ≥ 1 order (positive amounts)",
           (Source(K.ORDERS, ("timestamp", "amount", "customer_id")),),
           benchmarks=(Benchmark(Band(0.30, 0.50), Band(0.50, 1.0), GUIDE, "fmcg"),
                       Benchmark(Band(0.0, 0.10), Band(0.10, 1.0), GUIDE, "durable")),
           alternatives=("coupon_split",)),
    Metric("aov", Category.REVENUE, Stage.CONVERSION, Kind.RATIO, Unit.MONEY, HIGHER, f.aov,
           "GMV / orders with a positive amount", _ORDERS, alternatives=("revenue_per_order",), decimals=2),
    Metric("arpu", Category.REVENUE, Stage.CONVERSION, Kind.RATIO, Unit.MONEY, HIGHER, f.arpu,
           "net revenue / active users",
           (Source(K.ORDERS, ("timestamp", "amount", "customer_id")), Source(K.EVENTS, ("user_id", "timestamp",
                                                                                     "revenue"))),
           alternatives=("arppu",), decimals=2),
    Metric("ltv", Category.REVENUE, Stage.RETENTION, Kind.RATIO, Unit.MONEY, HIGHER, f.ltv,
           "net revenue / paying customers (historical)",
           (Source(K.ORDERS, ("timestamp", "amount", "customer_id")),),
           alternatives=("arpu_times_lifetime",), decimals=2),
    # ---- efficiency ----
    Metric("gmv_per_head", Category.EFFICIENCY, Stage.OPERATIONS, Kind.RATIO, Unit.MONEY, HIGHER, f.gmv_per_head,
           "GMV / operations headcount (user input)", _ORDERS, user_inputs=("ops_headcount",), decimals=0),
    Metric("users_per_agent", Category.EFFICIENCY, Stage.OPERATIONS, Kind.RATIO, Unit.COUNT, HIGHER,
           f.users_per_agent,
           "active users / support agents (user input, else distinct agents in tickets)", _ACTIVITY,
           user_inputs=("support_agents",), decimals=0),
    Metric("first_response_time", Category.EFFICIENCY, Stage.OPERATIONS, Kind.RATIO, Unit.DURATION, LOWER,
           f.mean_duration, "mean(first response − created); median and p90 shown", _TICKETS_FIRST,
           benchmarks=(Benchmark(Band(0, 60), Band(0, 60), GUIDE),), decimals=0),
    Metric("resolution_time", Category.EFFICIENCY, Stage.OPERATIONS, Kind.RATIO, Unit.DURATION, LOWER,
           f.mean_duration, "mean(resolved − created); median and p90 shown", _TICKETS_RESOLVED,
           benchmarks=(Benchmark(Band(0, 86_400), Band(0, 86_400), GUIDE),), decimals=0),
    # ---- content ----
    Metric("impressions", Category.CONTENT, Stage.ACQUISITION, Kind.SIMPLE, Unit.COUNT, HIGHER, f.impressions,
           "Σ impressions (times shown, not reads)", (Source(K.CONTENT, ("impressions",)),),
           quality_partner="ctr", decimals=0, dated=False),
    Metric("ctr", Category.CONTENT, Stage.ACQUISITION, Kind.RATIO, Unit.RATIO, HIGHER, f.ctr,
           "Σ clicks / Σ impressions", (Source(K.CONTENT, ("impressions", "clicks")),), decimals=2, dated=False),
    Metric("interaction_rate", Category.CONTENT, Stage.ACTIVITY, Kind.RATIO, Unit.RATIO, HIGHER, f.interaction_rate,
           "Σ (likes + comments + shares) / Σ impressions", (Source(K.CONTENT, ("impressions",)),),
           alternatives=("per_read",), decimals=2, dated=False),
    Metric("content_conversion_rate", Category.CONTENT, Stage.CONVERSION, Kind.RATIO, Unit.RATIO, HIGHER,
           f.content_conversion_rate,
           "Σ conversions / Σ impressions (reach)", (Source(K.CONTENT, ("impressions", "conversions")),),
           alternatives=("per_click",), decimals=2, dated=False),
)

METRICS: dict[str, Metric] = {m.id: m for m in _METRICS}


# ---- formatting (language-neutral; the UI adds words) ----------------------------------------------

def _trim(x: float, decimals: int) -> str:
    text = f"{x:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_duration(seconds: float) -> str:
    """Seconds as ``h:mm:ss`` (``1d 02:03:04`` past a day)."""
    sign = "−" if seconds < 0 else ""
    s = round(abs(seconds))
    days, rest = divmod(s, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{sign}{days}d {hours:02d}:{minutes:02d}:{secs:02d}" if days else sign + clock


def format_value(metric: Metric, value: float | None) -> str:
    """A value as shown on a card: ratios in %, counts and money with thousands separators."""
    if value is None:
        return "—"
    if metric.unit is Unit.RATIO:
        return f"{value * 100:,.{metric.decimals}f} %"
    if metric.unit is Unit.DURATION:
        return format_duration(value)
    return f"{value:,.{metric.decimals}f}"


def _bound(x: float, unit: Unit) -> str:
    if unit is Unit.RATIO:
        return _trim(x * 100, 2)
    if unit is Unit.DURATION:
        if x >= 3_600 and x % 3_600 == 0:
            return f"{x / 3_600:g} h"
        if x >= 60 and x % 60 == 0:
            return f"{x / 60:g} min"
        return f"{x:g} s"
    return _trim(x, 2)


def format_band(band: Band, unit: Unit) -> str:
    """``4–6 %``, ``≥ 15,000``, ``≤ 1 min``."""
    pct = " %" if unit is Unit.RATIO else ""
    lo = None if band.lo is None or (unit is Unit.DURATION and band.lo == 0) else band.lo
    hi = None if band.hi is None or (unit is Unit.RATIO and band.hi == 1.0) else band.hi
    if lo is None and hi is None:
        return "any"
    if lo is None:
        assert hi is not None
        return f"≤ {_bound(hi, unit)}{pct}"
    if hi is None:
        return f"≥ {_bound(lo, unit)}{pct}"
    return f"{_bound(lo, unit)}–{_bound(hi, unit)}{pct}"


def format_benchmark(metric: Metric) -> str:
    parts = []
    for b in metric.benchmarks:
        prefix = "" if b.variant == "default" else f"{b.variant}: "
        if b.market == b.optimal:
            parts.append(f"{prefix}target {format_band(b.optimal, metric.unit)} ({b.source})")
        else:
            parts.append(f"{prefix}market {format_band(b.market, metric.unit)}, "
                         f"optimal {format_band(b.optimal, metric.unit)} ({b.source})")
    return "; ".join(parts) if parts else "—"


def render_metric_table(metrics: Mapping[str, Metric] | None = None) -> str:
    """The README metric table (markdown): id, category, formula, benchmark."""
    rows = ["| id | category | formula | benchmark |", "|---|---|---|---|"]
    for m in (metrics or METRICS).values():
        formula = m.formula_text.replace("|", "\\|")
        rows.append(f"| `{m.id}` | {m.category} | {formula} | {format_benchmark(m)} |")
    return "\n".join(rows) + "\n"


_DOC_HEAD = """# Metrics

Every KPI the app computes, generated from `kpi/registry.py` (`python -m kpi.registry > docs/metrics.md`;
a test keeps this file and the README table equal to the registry). Ratios are fractions in the data
and in `audit.py --json` (0.0543), shown as percentages in the app. Σ is a sum over the selected
period: rates are ratios of sums, never averages of daily ratios. A zero or missing denominator
gives no value and a reason, never 0, ∞ or NaN.

"""

_DOC_TAIL = """
Benchmark sources: `tiktok_audit` is the TikTok account audit article (market average and optimal
values); `ops_guide` is the operations KPI guide (industry references). Where the guide gives only a
typical range, that range is the market band and the optimal band starts where it ends; where it
gives only a target (response times, content-product D1 retention), market and optimal are the same
band. D1 retention has one band per product type (tools, social, content), repurchase rate one per
goods type (fmcg, durable). Users can edit the bands and save named profiles for their niche.
"""


def render_metrics_doc() -> str:
    """The whole of docs/metrics.md."""
    return _DOC_HEAD + render_metric_table() + _DOC_TAIL


if __name__ == "__main__":
    print(render_metrics_doc(), end="")
