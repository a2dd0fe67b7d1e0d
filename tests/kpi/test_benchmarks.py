"""Benchmark statuses at every band edge, profile editing and JSON export/import."""
from __future__ import annotations

import json

import pytest

from kpi.benchmarks import (BenchmarkProfile, Status, assess, builtin_profile, profile_from_dict, profile_to_dict,
                            profiles_from_json, profiles_to_json, status, validate_benchmark)
from kpi.registry import METRICS, Band, Benchmark, Direction
from kpi.result import Problem

B, M, O, A = Status.BELOW_MARKET, Status.MARKET, Status.OPTIMAL, Status.ABOVE_OPTIMAL

# (kpi id, variant, [(value, status), ...]) for every built-in benchmark, walking across each edge
EDGES = [
    ("follower_growth_weekly", None, [(0.0499, B), (0.05, M), (0.07, M), (0.0799, M), (0.08, O), (0.12, O),
                                      (0.1201, A)]),
    ("engagement_rate", None, [(0.0399, B), (0.04, M), (0.06, M), (0.065, M), (0.07, O), (0.10, O), (0.1001, A)]),
    ("views_per_video", None, [(9_999, B), (10_000, M), (14_999, M), (15_000, O), (1_000_000, O)]),
    ("lead_conversion_rate", None, [(0.0099, B), (0.01, M), (0.02, M), (0.0299, M), (0.03, O), (0.05, O),
                                    (0.0501, A)]),
    ("retention_d1", "tools", [(0.2999, B), (0.30, M), (0.4999, M), (0.50, O), (1.0, O)]),
    ("retention_d1", "social", [(0.3999, B), (0.40, M), (0.5999, M), (0.60, O), (0.95, O)]),
    ("retention_d1", "content", [(0.6999, B), (0.70, O), (0.90, O)]),
    ("stickiness", None, [(0.0999, B), (0.10, M), (0.2999, M), (0.30, O), (1.0, O)]),
    ("repurchase_rate", "fmcg", [(0.2999, B), (0.30, M), (0.4999, M), (0.50, O), (0.9, O)]),
    ("repurchase_rate", "durable", [(0.0, M), (0.0999, M), (0.10, O), (0.5, O)]),
    # lower is better: within the target is optimal, anything slower is below market
    ("first_response_time", None, [(0, O), (59, O), (60, O), (61, B), (3_600, B)]),
    ("resolution_time", None, [(3_600, O), (86_400, O), (86_401, B)]),
]


@pytest.mark.parametrize("kpi_id, variant, cases", EDGES)
def test_status_at_every_edge(kpi_id, variant, cases):
    bench = METRICS[kpi_id].benchmark(variant)
    assert bench is not None and (variant is None or bench.variant == variant)
    got = [(v, status(v, bench, METRICS[kpi_id].direction)) for v, _ in cases]
    assert got == cases


def test_every_builtin_benchmark_has_edge_cases():
    covered = {(k, v or "default") for k, v, _ in EDGES}
    builtin = {(m.id, b.variant) for m in METRICS.values() for b in m.benchmarks}
    assert covered == builtin


LOWER = Benchmark(market=Band(0.10, 0.20), optimal=Band(0.02, 0.05), source="test")


@pytest.mark.parametrize("value, expected", [
    (0.2001, B), (0.20, M), (0.10, M), (0.0501, M), (0.05, O), (0.02, O), (0.0199, A),
])
def test_lower_is_better_mirrors_the_bands(value, expected):
    assert status(value, LOWER, Direction.LOWER_IS_BETTER) is expected


def test_assess_uses_the_variant_and_falls_back_to_the_first():
    assert assess("retention_d1", 0.45, variant="social").status is M
    assert assess("retention_d1", 0.45, variant="tools").status is M
    assert assess("retention_d1", 0.55, variant="tools").status is O
    assert assess("retention_d1", 0.55, variant="content").status is B
    assert assess("retention_d1", 0.55).benchmark.variant == "tools"
    assert assess("cac", 12.0) is None
    assert assess("engagement_rate", None) is None


def test_builtin_bands_are_valid_and_ordered():
    for metric_id, benches in builtin_profile().benchmarks.items():
        for bench in benches:
            assert validate_benchmark(metric_id, bench) == [], (metric_id, bench.variant)


@pytest.mark.parametrize("metric_id, bench, codes", [
    ("engagement_rate", Benchmark(Band(0.06, 0.04), Band(0.07, 0.1), "me"), ["band_reversed"]),
    ("engagement_rate", Benchmark(Band(0.07, 0.10), Band(0.04, 0.06), "me"), ["bands_unordered"]),
    ("engagement_rate", Benchmark(Band(0.04, 0.06), Band(0.07, 1.5), "me"), ["band_out_of_range"]),
    ("views_per_video", Benchmark(Band(-5, 10), Band(20, None), "me"), ["band_out_of_range"]),
    ("views_per_video", Benchmark(Band(5_000, 8_000), Band(8_000, None), "me"), []),
    ("first_response_time", Benchmark(Band(0, 60), Band(0, 300), "me"), ["bands_unordered"]),
    ("first_response_time", Benchmark(Band(0, 300), Band(0, 60), "me"), []),
    ("ctr", Benchmark(Band(float("inf"), None), Band(0.1, None), "me"), ["band_not_finite"]),
    ("no_such_kpi", Benchmark(Band(0, 1), Band(0, 1), "me"), ["unknown_metric"]),
])
def test_validate_benchmark(metric_id, bench, codes):
    assert [p.code for p in validate_benchmark(metric_id, bench)] == codes


def test_profile_edit_is_a_new_profile():
    base = builtin_profile()
    niche = base.renamed("Beauty niche").with_benchmark(
        "engagement_rate", Benchmark(Band(0.06, 0.08), Band(0.09, 0.14), "Beauty niche"))
    assert base.get("engagement_rate").market == Band(0.04, 0.06)
    assert niche.get("engagement_rate").market == Band(0.06, 0.08)
    assert niche.name == "Beauty niche" and base.name == "builtin"
    assert assess("engagement_rate", 0.07, niche).status is M
    assert niche.without("engagement_rate").get("engagement_rate") is None
    social_only = niche.without("retention_d1", "tools")
    assert social_only.variants("retention_d1") == ("social", "content")


def test_profiles_round_trip_through_json():
    niche = builtin_profile().renamed("Pets").with_benchmark(
        "retention_d1", Benchmark(Band(0.35, 0.45), Band(0.45, None), "my data", "tools"))
    text = profiles_to_json([builtin_profile(), niche])
    doc = json.loads(text)
    assert doc["format"] == "kpi-workbench-benchmarks" and doc["version"] == 1
    assert doc["profiles"][1]["benchmarks"]["engagement_rate"] == [
        {"variant": "default", "market": [0.04, 0.06], "optimal": [0.07, 0.1], "source": "tiktok_audit"}]
    profiles, problems = profiles_from_json(text)
    assert problems == []
    assert profiles == [builtin_profile(), niche]


def test_single_profile_object_imports():
    profile, problems = profile_from_dict({"name": "Mine", "benchmarks": {
        "ctr": [{"market": [0.01, 0.02], "optimal": [0.03, None]}]}})
    assert problems == []
    assert profile == BenchmarkProfile("Mine", {"ctr": (Benchmark(Band(0.01, 0.02), Band(0.03, None), "Mine"),)})
    assert profile_to_dict(profile) == {"name": "Mine", "benchmarks": {"ctr": [
        {"variant": "default", "market": [0.01, 0.02], "optimal": [0.03, None], "source": "Mine"}]}}


@pytest.mark.parametrize("text, codes", [
    ("not json", ["bad_json"]),
    ("[1, 2]", ["bad_format"]),
    ('{"format": "other", "profiles": []}', ["bad_format"]),
    ('{"format": "kpi-workbench-benchmarks", "version": 9, "profiles": []}', ["newer_version"]),
    ('{"profiles": [{"benchmarks": {}}]}', ["bad_profile"]),
])
def test_bad_documents_are_reported(text, codes):
    profiles, problems = profiles_from_json(text)
    assert profiles == [] and [p.code for p in problems] == codes


def test_bad_entries_are_skipped_and_reported_the_rest_kept():
    text = json.dumps({"profiles": [{"name": "Mixed", "benchmarks": {
        "engagement_rate": [{"market": [0.05, 0.07], "optimal": [0.08, 0.12]}],
        "ctr": [{"market": [0.05], "optimal": [0.08, 0.12]}],
        "views_per_video": [{"market": [20_000, 10_000], "optimal": [30_000, None]}],
        "made_up": [{"market": [0, 1], "optimal": [0, 1]}],
    }}]})
    (profile,), problems = profiles_from_json(text)
    assert list(profile.benchmarks) == ["engagement_rate"]
    assert problems == [Problem("bad_band", {"metric": "ctr", "profile": "Mixed"}),
                        Problem("band_reversed", {"metric": "views_per_video", "band": "market"}),
                        Problem("unknown_metric", {"metric": "made_up", "profile": "Mixed"})]
