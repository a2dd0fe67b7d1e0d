"""Benchmark bands, statuses and user profiles (pure: JSON in and out as strings and dicts).

A value's status respects the metric's direction:

* higher is better: below the market band → ``below_market``; from the market band up to the
  optimal band → ``market``; inside the optimal band → ``optimal``; above it → ``above_optimal``.
* lower is better: the mirror image (a response time over the market band is ``below_market``).

Band edges belong to the better status: an engagement rate of exactly 7 % is ``optimal``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from kpi.registry import METRICS, Band, Benchmark, Direction, Metric, Unit
from kpi.result import Problem

__all__ = ["Band", "Benchmark", "BenchmarkProfile", "Status", "Assessment", "status", "assess",
           "builtin_profile", "validate_benchmark", "profile_to_dict", "profile_from_dict",
           "profiles_to_json", "profiles_from_json", "FORMAT", "VERSION"]

FORMAT = "kpi-workbench-benchmarks"
VERSION = 1
BUILTIN_NAME = "builtin"


class Status(StrEnum):
    BELOW_MARKET = "below_market"
    MARKET = "market"
    OPTIMAL = "optimal"
    ABOVE_OPTIMAL = "above_optimal"


def status(value: float, benchmark: Benchmark, direction: Direction) -> Status:
    m, o = benchmark.market, benchmark.optimal
    if direction is Direction.HIGHER_IS_BETTER:
        if value < m.lo_or_inf:
            return Status.BELOW_MARKET
        if value < o.lo_or_inf:
            return Status.MARKET
        if value <= o.hi_or_inf:
            return Status.OPTIMAL
        return Status.ABOVE_OPTIMAL
    if value > m.hi_or_inf:
        return Status.BELOW_MARKET
    if value > o.hi_or_inf:
        return Status.MARKET
    if value >= o.lo_or_inf:
        return Status.OPTIMAL
    return Status.ABOVE_OPTIMAL


@dataclass(frozen=True)
class BenchmarkProfile:
    """A named set of benchmarks: metric id → one benchmark per product type (variant)."""

    name: str
    benchmarks: Mapping[str, tuple[Benchmark, ...]] = field(default_factory=dict)

    def get(self, metric_id: str, variant: str | None = None) -> Benchmark | None:
        """The benchmark for ``variant``; the metric's first benchmark when that variant has none."""
        options = self.benchmarks.get(metric_id, ())
        for b in options:
            if b.variant == variant:
                return b
        return options[0] if options else None

    def variants(self, metric_id: str) -> tuple[str, ...]:
        return tuple(b.variant for b in self.benchmarks.get(metric_id, ()))

    def with_benchmark(self, metric_id: str, benchmark: Benchmark) -> BenchmarkProfile:
        """A copy with ``benchmark`` set (replacing the same variant of the metric)."""
        others = tuple(b for b in self.benchmarks.get(metric_id, ()) if b.variant != benchmark.variant)
        merged = dict(self.benchmarks)
        merged[metric_id] = (*others, benchmark) if others else (benchmark,)
        return replace(self, benchmarks=merged)

    def without(self, metric_id: str, variant: str | None = None) -> BenchmarkProfile:
        """A copy without the metric's benchmarks (only ``variant`` when given)."""
        merged = dict(self.benchmarks)
        kept = () if variant is None else tuple(b for b in merged.get(metric_id, ()) if b.variant != variant)
        if kept:
            merged[metric_id] = kept
        else:
            merged.pop(metric_id, None)
        return replace(self, benchmarks=merged)

    def renamed(self, name: str) -> BenchmarkProfile:
        return replace(self, name=name)


def builtin_profile() -> BenchmarkProfile:
    """The bands from the domain notes, as registered on each metric."""
    return BenchmarkProfile(BUILTIN_NAME, {m.id: m.benchmarks for m in METRICS.values() if m.benchmarks})


@dataclass(frozen=True)
class Assessment:
    status: Status
    benchmark: Benchmark


def assess(metric_id: str, value: float | None, profile: BenchmarkProfile | None = None,
           variant: str | None = None) -> Assessment | None:
    """Status of a value against the profile's band (built-in profile when None); None without a band."""
    if value is None:
        return None
    bench = (profile or builtin_profile()).get(metric_id, variant)
    if bench is None:
        return None
    return Assessment(status(value, bench, METRICS[metric_id].direction), bench)


# ---- validation -------------------------------------------------------------------------------------

def _band_problems(metric: Metric, name: str, band: Band) -> list[Problem]:
    out: list[Problem] = []
    for edge in (band.lo, band.hi):
        if edge is not None and not math.isfinite(edge):
            return [Problem("band_not_finite", {"metric": metric.id, "band": name})]
    if band.lo_or_inf > band.hi_or_inf:
        out.append(Problem("band_reversed", {"metric": metric.id, "band": name}))
    low_limit = 0.0
    high_limit = 1.0 if metric.unit is Unit.RATIO else math.inf
    if (band.lo is not None and band.lo < low_limit) or (band.hi is not None and band.hi > high_limit):
        out.append(Problem("band_out_of_range", {"metric": metric.id, "band": name,
                                                 "low": low_limit, "high": high_limit}))
    return out


def validate_benchmark(metric_id: str, benchmark: Benchmark) -> list[Problem]:
    """Every problem with a benchmark: each band ordered and in range, optimal on the better side."""
    metric = METRICS.get(metric_id)
    if metric is None:
        return [Problem("unknown_metric", {"metric": metric_id})]
    out = _band_problems(metric, "market", benchmark.market) + _band_problems(metric, "optimal", benchmark.optimal)
    if out:
        return out
    m, o = benchmark.market, benchmark.optimal
    if metric.direction is Direction.HIGHER_IS_BETTER:
        ordered = m.lo_or_inf <= o.lo_or_inf and m.hi_or_inf <= o.hi_or_inf
    else:
        ordered = o.lo_or_inf <= m.lo_or_inf and o.hi_or_inf <= m.hi_or_inf
    if not ordered:
        out.append(Problem("bands_unordered", {"metric": metric_id, "direction": metric.direction.value}))
    return out


# ---- JSON ---------------------------------------------------------------------------------------------

def _benchmark_to_dict(b: Benchmark) -> dict[str, Any]:
    return {"variant": b.variant, "market": b.market.as_list(), "optimal": b.optimal.as_list(), "source": b.source}


def profile_to_dict(profile: BenchmarkProfile) -> dict[str, Any]:
    return {"name": profile.name,
            "benchmarks": {mid: [_benchmark_to_dict(b) for b in bs] for mid, bs in sorted(profile.benchmarks.items())}}


def profiles_to_json(profiles: list[BenchmarkProfile]) -> str:
    """Profiles as a JSON document users can download and import elsewhere."""
    doc = {"format": FORMAT, "version": VERSION, "profiles": [profile_to_dict(p) for p in profiles]}
    return json.dumps(doc, ensure_ascii=False, indent=2)


def _edge(x: Any) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError("edge")
    return float(x)


def _band(raw: Any) -> Band:
    if not isinstance(raw, list) or len(raw) != 2:
        raise TypeError("band")
    return Band(_edge(raw[0]), _edge(raw[1]))


def profile_from_dict(raw: Any) -> tuple[BenchmarkProfile | None, list[Problem]]:
    """A profile from its dict; bad entries are skipped and reported, never silently dropped."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        return None, [Problem("bad_profile", {})]
    name = raw["name"].strip()
    entries = raw.get("benchmarks", {})
    if not isinstance(entries, dict):
        return None, [Problem("bad_profile", {"profile": name})]
    problems: list[Problem] = []
    profile = BenchmarkProfile(name, {})
    for metric_id, items in entries.items():
        if metric_id not in METRICS:
            problems.append(Problem("unknown_metric", {"metric": metric_id, "profile": name}))
            continue
        for item in items if isinstance(items, list) else [items]:
            try:
                if not isinstance(item, dict):
                    raise TypeError("entry")
                bench = Benchmark(market=_band(item["market"]), optimal=_band(item["optimal"]),
                                  source=str(item.get("source") or name), variant=str(item.get("variant") or "default"))
            except (KeyError, TypeError):
                problems.append(Problem("bad_band", {"metric": metric_id, "profile": name}))
                continue
            found = validate_benchmark(metric_id, bench)
            if found:
                problems.extend(found)
                continue
            profile = profile.with_benchmark(metric_id, bench)
    return profile, problems


def profiles_from_json(text: str) -> tuple[list[BenchmarkProfile], list[Problem]]:
    """Profiles from an exported document (or a single profile object)."""
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return [], [Problem("bad_json", {})]
    if isinstance(doc, dict) and "profiles" in doc:
        if doc.get("format") not in (None, FORMAT) or not isinstance(doc["profiles"], list):
            return [], [Problem("bad_format", {})]
        if isinstance(doc.get("version"), int) and doc["version"] > VERSION:
            return [], [Problem("newer_version", {"version": doc["version"]})]
        raws = doc["profiles"]
    elif isinstance(doc, dict) and "name" in doc:
        raws = [doc]
    else:
        return [], [Problem("bad_format", {})]
    profiles: list[BenchmarkProfile] = []
    problems: list[Problem] = []
    for raw in raws:
        profile, found = profile_from_dict(raw)
        problems.extend(found)
        if profile is not None:
            profiles.append(profile)
    return profiles, problems
