"""Funnel maths: step conversion, drop-off, the worst step and segment, windows. Pure Python.

Definitions (domain.md, "Funnel conversion"):

* conversion from previous step k = users at k / users at k-1 (None for the first step, and
  None when the previous step has no users);
* conversion from start = users at k / users at step 1 (None when step 1 has no users);
* drop-off = 1 - conversion from previous; users lost = users at k-1 - users at k;
* the worst step is the step with the lowest conversion from previous (the first one on a tie);
  the finding names the transition into it: "between <previous step> and <worst step>".

Nothing here holds user-facing text: findings are a code plus parameters, translated by the UI
as ``funnel.finding.<code>``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

MINUTE, HOUR, DAY, WEEK = 60, 3_600, 86_400, 604_800
DEFAULT_WINDOW = 7 * DAY
MIN_WINDOW = MINUTE
MAX_WINDOW = 365 * DAY
WINDOW_UNITS = {"m": MINUTE, "h": HOUR, "d": DAY, "w": WEEK}
WIDGET_UNITS = ("minutes", "hours", "days")
UNIT_SECONDS = {"minutes": MINUTE, "hours": HOUR, "days": DAY}

# Time-to-convert histogram: bin i holds TTC_EDGES[i] <= seconds < TTC_EDGES[i + 1].
TTC_EDGES: tuple[int, ...] = (0, MINUTE, 5 * MINUTE, 15 * MINUTE, HOUR, 3 * HOUR, 12 * HOUR, DAY,
                              2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY)

# Event names of common product funnels, in funnel order (GA4, Firebase, Amplitude habits).
KNOWN_FUNNEL_EVENTS: tuple[str, ...] = (
    "first_open", "sign_up", "signup", "register", "registration", "view_item_list", "view_item",
    "view_product", "product_view", "add_to_cart", "begin_checkout", "checkout", "add_payment_info",
    "purchase", "order_completed", "payment",
)
DEFAULT_GENERIC_STEPS = 4
MIN_SEGMENT_USERS = 30


# ---- windows ---------------------------------------------------------------------------------

def parse_window(text: str | int | None) -> int | None:
    """"7d", "30m", "12h", "2w" (or a number of days) -> seconds; None when unreadable."""
    if text is None:
        return None
    if isinstance(text, int):
        return text * DAY
    m = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw]?)\s*", str(text).lower())
    if m is None:
        return None
    return int(m.group(1)) * WINDOW_UNITS[m.group(2) or "d"]


def format_window(seconds: int) -> str:
    """Seconds -> the shortest exact "7d" / "12h" / "30m" form ("90s" when not whole minutes)."""
    for suffix, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{suffix}"
    return f"{seconds}s"


def split_window(seconds: int) -> tuple[int, str]:
    """Seconds -> (number, widget unit) for the page's number + unit inputs."""
    for unit in ("days", "hours", "minutes"):
        if seconds and seconds % UNIT_SECONDS[unit] == 0:
            return seconds // UNIT_SECONDS[unit], unit
    return max(1, seconds // MINUTE), "minutes"


# ---- default steps -----------------------------------------------------------------------------

def default_steps(events_by_count: Sequence[str]) -> list[str]:
    """A first funnel for a log whose event names are given most frequent first.

    The known funnel events present in the log, in funnel order, when there are at least three
    of them; otherwise the most frequent events, most frequent first.
    """
    lower = {e.lower(): e for e in events_by_count}
    known = [lower[name] for name in KNOWN_FUNNEL_EVENTS if name in lower]
    if len(known) >= 3:
        return known[:20]
    return list(events_by_count[:DEFAULT_GENERIC_STEPS])


# ---- one funnel ---------------------------------------------------------------------------------

def _num(x: float | int | None) -> float | int:
    if x is None:
        return 0
    f = float(x)
    return int(f) if f.is_integer() else f


def _ratio(a: float, b: float) -> float | None:
    return None if not b else float(a) / float(b)


@dataclass(frozen=True)
class Step:
    name: str
    users: float | int
    from_previous: float | None     # None: first step, or nobody at the previous step
    from_start: float | None        # None: nobody at the first step
    drop_off: float | None          # 1 - from_previous
    lost: float | int | None        # users at the previous step - users here; None for the first step
    reason: str | None = None       # why from_previous is None: "first_step" | "zero_denominator"


@dataclass(frozen=True)
class Finding:
    """A sentence for the page: ``funnel.finding.<code>`` with ``params``."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"funnel.finding.{self.code}"


@dataclass(frozen=True)
class Funnel:
    steps: tuple[Step, ...]
    worst: int | None               # index of the step with the lowest conversion from previous
    overall: float | None           # last / first

    @property
    def entered(self) -> float | int:
        return self.steps[0].users if self.steps else 0

    @property
    def converted(self) -> float | int:
        return self.steps[-1].users if self.steps else 0

    @property
    def finding(self) -> Finding:
        return worst_step_finding(self)


def from_counts(names: Sequence[str], users: Sequence[float | int | None]) -> Funnel:
    """A funnel from users per step, in step order."""
    if len(names) != len(users):
        raise ValueError("one count per step")
    counts = [_num(u) for u in users]
    first = counts[0] if counts else 0
    steps = []
    for i, (name, n) in enumerate(zip(names, counts)):
        start = _ratio(n, first)
        if i == 0:
            steps.append(Step(name, n, None, start, None, None, "first_step"))
            continue
        prev = counts[i - 1]
        conv = _ratio(n, prev)
        steps.append(Step(name, n, conv, start, None if conv is None else 1.0 - conv, _num(prev - n),
                          "zero_denominator" if conv is None else None))
    candidates = [(s.from_previous, i) for i, s in enumerate(steps) if s.from_previous is not None]
    worst = min(candidates)[1] if candidates else None
    overall = _ratio(counts[-1], first) if counts else None
    return Funnel(tuple(steps), worst, overall)


def reached(depths: Mapping[int, float | int], n_steps: int) -> list[float | int]:
    """Users per step from users per furthest step: users at k = users whose depth >= k."""
    out = []
    for k in range(1, n_steps + 1):
        out.append(_num(sum(v for d, v in depths.items() if d >= k)))
    return out


def from_depths(names: Sequence[str], depths: Mapping[int, float | int]) -> Funnel:
    return from_counts(names, reached(depths, len(names)))


def depth_counts(rows: Any, segment: object = ...) -> dict[int, int]:
    """{depth: users} from rows (a frame or records) with depth and users columns.

    With ``segment`` given, only that segment's rows; otherwise all rows summed.
    """
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    out: dict[int, int] = {}
    for r in records:
        if segment is not ... and r.get("segment") != segment:
            continue
        d = int(r["depth"])
        out[d] = out.get(d, 0) + int(r["users"])
    return out


def worst_step_finding(f: Funnel) -> Finding:
    if not f.steps or not f.steps[0].users:
        return Finding("no_users")
    if f.worst is None:
        return Finding("nobody_continues", {"step": f.steps[0].name})
    s = f.steps[f.worst]
    params = {"from_step": f.steps[f.worst - 1].name, "to_step": s.name, "drop_off": s.drop_off,
              "lost": s.lost, "from_previous": s.from_previous}
    if s.drop_off is not None and s.drop_off <= 0:
        return Finding("no_loss", params)
    return Finding("worst_step", params)


# ---- segments -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segments:
    funnels: tuple[tuple[str | None, Funnel], ...]   # biggest segment first
    worst: str | None                                  # lowest overall conversion among big enough
    finding: Finding | None
    min_users: int


def compare_segments(names: Sequence[str], counts: Mapping[str | None, Sequence[float | int]],
                     overall: Funnel | None = None, min_users: int = MIN_SEGMENT_USERS) -> Segments:
    """Side-by-side funnels, one per segment, and the segment that converts worst end to end.

    Only segments with at least ``min_users`` at the first step can be named worst (tiny
    segments swing on a handful of users). ``counts``: users per step for each segment.
    """
    funnels = [(seg, from_counts(names, c)) for seg, c in counts.items()]
    funnels.sort(key=lambda p: (-float(p[1].entered), "" if p[0] is None else str(p[0])))
    eligible = [(f.overall, i) for i, (seg, f) in enumerate(funnels)
                if f.overall is not None and f.entered >= min_users]
    if len(funnels) < 2:
        return Segments(tuple(funnels), None, None, min_users)
    if len(eligible) < 2:
        return Segments(tuple(funnels), None, Finding("segments_too_small", {"min": min_users}), min_users)
    _, i = min(eligible)
    seg, f = funnels[i]
    params: dict[str, Any] = {"segment": seg, "rate": f.overall,
                              "overall": None if overall is None else overall.overall}
    if f.worst is not None:
        params.update(from_step=f.steps[f.worst - 1].name, to_step=f.steps[f.worst].name,
                      drop_off=f.steps[f.worst].drop_off)
        return Segments(tuple(funnels), seg, Finding("worst_segment", params), min_users)
    return Segments(tuple(funnels), seg, Finding("worst_segment_short", params), min_users)


def segment_counts(rows: Any, n_steps: int) -> dict[str | None, list[float | int]]:
    """{segment: users per step} from rows with segment, depth and users columns."""
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    segs: dict[str | None, dict[int, int]] = {}
    for r in records:
        seg = r.get("segment")
        segs.setdefault(seg, {})
        d = int(r["depth"])
        segs[seg][d] = segs[seg].get(d, 0) + int(r["users"])
    return {seg: reached(d, n_steps) for seg, d in segs.items()}


def step_counts(rows: Any, names: Sequence[str]) -> dict[str | None, list[float | int]]:
    """{segment: users per step} from aggregated rows with segment, step and users columns."""
    records = rows.to_dict("records") if hasattr(rows, "to_dict") else list(rows)
    out: dict[str | None, list[float | int]] = {}
    index = {n: i for i, n in enumerate(names)}
    for r in records:
        seg = r.get("segment")
        row = out.setdefault(seg, [0] * len(names))
        i = index[r["step"]]
        row[i] = _num(row[i] + _num(r["users"]))
    return out


# ---- over time ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: date
    entered: int
    converted: int
    rate: float | None
    complete: bool      # False: some users of the period may still convert (window not over)


def period_end(start: date, grain: str) -> date:
    """The first day after the period that starts on ``start``."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return date(year, month, 1)


def conversion_over_time(rows: Iterable[tuple[date, int, int]], grain: str, window_seconds: int,
                         data_end: datetime | None) -> list[Period]:
    """Conversion by the period users entered. A period is complete when the window of its last
    possible entrant has closed before the end of the data."""
    out = []
    for start, entered, converted in rows:
        start_d = start.date() if isinstance(start, datetime) else start
        end = period_end(start_d, grain)
        last_close = datetime(end.year, end.month, end.day) + timedelta(seconds=window_seconds)
        complete = data_end is not None and last_close <= data_end
        out.append(Period(start_d, int(entered), int(converted), _ratio(converted, entered), complete))
    return out


# ---- time to convert ------------------------------------------------------------------------------

@dataclass(frozen=True)
class TtcBin:
    lo: int             # seconds, inclusive
    hi: int | None      # seconds, exclusive; None: open-ended
    users: int


def ttc_histogram(bins: Mapping[int, int], window_seconds: int) -> list[TtcBin]:
    """Every bin from 0 up to the window (empty ones included, so the axis reads evenly)."""
    out = []
    last = max([i for i, e in enumerate(TTC_EDGES) if e <= window_seconds] + list(bins), default=0)
    for i in range(last + 1):
        hi = TTC_EDGES[i + 1] if i + 1 < len(TTC_EDGES) else None
        out.append(TtcBin(TTC_EDGES[i], hi, int(bins.get(i, 0))))
    # the bin holding the window's end: ttc <= window, so drop bins that start after it
    return [b for b in out if b.lo <= window_seconds or b.users]


def rounded(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


# ---- the whole page in one call -------------------------------------------------------------------

@dataclass(frozen=True)
class Report:
    """Everything the funnel page shows, from already aggregated rows."""

    funnel: Funnel
    segments: Segments | None       # None without a breakdown
    periods: tuple[Period, ...] = ()
    ttc: tuple[TtcBin, ...] = ()
    ttc_median: float | None = None
    ttc_p90: float | None = None

    @property
    def findings(self) -> list[Finding]:
        out = [self.funnel.finding]
        if self.segments is not None and self.segments.finding is not None and self.funnel.entered:
            out.append(self.segments.finding)
        return out


def event_report(names: Sequence[str], depth_rows: Any, *, breakdown: bool, over_time_rows: Any = (),
                 ttc_bin_rows: Any = (), ttc_median: float | None = None, ttc_p90: float | None = None,
                 window_seconds: int = DEFAULT_WINDOW, grain: str = "week", data_end: datetime | None = None,
                 min_users: int = MIN_SEGMENT_USERS) -> Report:
    """The report of an event-log funnel from data/funnel.py's aggregates (frames or records)."""
    overall = from_depths(names, depth_counts(depth_rows))
    segments = compare_segments(names, segment_counts(depth_rows, len(names)), overall, min_users) \
        if breakdown else None
    records = over_time_rows.to_dict("records") if hasattr(over_time_rows, "to_dict") else list(over_time_rows)
    periods = conversion_over_time(((_as_date(r["period"]), r["entered"], r["converted"]) for r in records),
                                   grain, window_seconds, data_end)
    bins = ttc_bin_rows.to_dict("records") if hasattr(ttc_bin_rows, "to_dict") else list(ttc_bin_rows)
    ttc = ttc_histogram({int(b["bin"]): int(b["users"]) for b in bins}, window_seconds) if bins else []
    return Report(overall, segments, tuple(periods), tuple(ttc), ttc_median, ttc_p90)


def counts_report(names: Sequence[str], step_rows: Any, min_users: int = MIN_SEGMENT_USERS) -> Report:
    """The report of an aggregated funnel (step counts, social or content totals): rows with
    segment (optional), step and users. With segments, the overall funnel is their sum."""
    by_segment = step_counts(step_rows, names)
    total = [_num(sum(c[i] for c in by_segment.values())) for i in range(len(names))]
    overall = from_counts(names, total)
    real = {s: c for s, c in by_segment.items() if s is not None}
    segments = compare_segments(names, real, overall, min_users) if real else None
    return Report(overall, segments)


def _as_date(x: Any) -> date:
    if isinstance(x, datetime):
        return x.date()
    if isinstance(x, date):
        return x
    if hasattr(x, "to_pydatetime"):
        return x.to_pydatetime().date()
    return date.fromisoformat(str(x)[:10])
