"""The Benchmarks page (AppTest): a gauge per KPI with bands, whose chart carries the bands; one
sentence each; profiles chosen, edited, saved and deleted; bands as an editable table."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from data.demo import load_sample, sample_paths
from data.kpis import available_kpis, compute_kpis, data_range
from data.session import Workspace
from data.store import GoalStore
from kpi.benchmarks import BenchmarkProfile, builtin_profile
from kpi.registry import METRICS, Band, Benchmark
from tests.conftest import ROOT
from tests.pages.conftest import untranslated
from ui.cards import bands_table, profile_from_table
from ui.charts.kpi import gauge_axis, gauge_bands, gauge_sentence

PAGE = "pages/benchmarks.py"
SAMPLES = ("tiktok", "shop", "app", "support")
needs_samples = pytest.mark.skipif(not all(p.exists() for k in SAMPLES for p in sample_paths(k)),
                                   reason="sample files not generated")


def sample_ws(*keys: str) -> Workspace:
    ws = Workspace()
    for key in keys:
        load_sample(ws, key)
    return ws


def bench_app(ws: Workspace, lang: str = "en", store: GoalStore | None = None, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["goals_store"] = store or GoalStore(None)
    at.session_state["workspace"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def gauge_frames(at: AppTest) -> list[pd.DataFrame]:
    """The band layer of each gauge: [t0, t1, status, name, range]."""
    out = []
    for chart in at.get("vega_lite_chart"):
        frames = [pa.ipc.open_stream(d.data.data).read_pandas() for d in chart.proto.datasets]
        out.extend(f for f in frames if "status" in f.columns)
    return out


@needs_samples
@pytest.mark.parametrize("sample, gauges", [
    ("tiktok", ["follower_growth_weekly", "engagement_rate", "views_per_video", "lead_conversion_rate"]),
    ("shop", ["repurchase_rate"]),              # retention and stickiness bands are for app activity
    ("app", ["retention_d1", "stickiness"]),
    ("support", ["first_response_time", "resolution_time"]),
])
def test_a_gauge_for_every_kpi_with_bands_and_the_chart_carries_them(sample, gauges):
    ws = sample_ws(sample)
    at = bench_app(ws)
    assert untranslated(at) == []
    values = compute_kpis(ws, *data_range(ws), ids=available_kpis(ws))
    frames = gauge_frames(at)
    assert len(frames) == len(gauges)
    profile = builtin_profile()
    for frame, kpi_id in zip(frames, gauges):
        metric, value = METRICS[kpi_id], values[kpi_id]
        bench = profile.get(kpi_id, value.benchmark_variant)
        lo, hi = gauge_axis(metric, bench, value.value)
        assert frame["status"].tolist() == [b["status"] for b in gauge_bands(metric, bench, lo, hi)]
        assert frame["t0"].iloc[0] == pytest.approx(-1.5708, abs=1e-4)     # a semicircle from left ...
        assert frame["t1"].iloc[-1] == pytest.approx(1.5708, abs=1e-4)     # ... to right
        text = gauge_sentence(metric, value.value, bench, "en")
        assert text in [m.value for m in at.markdown], text


@needs_samples
def test_sentences_say_where_each_value_stands():
    at = bench_app(sample_ws("tiktok"))
    said = [m.value.replace("\u202f", " ") for m in at.markdown]
    assert "Engagement rate (ER) 4.99 % is at the market average (4–6 %); optimal is 7–10 %." in said
    assert "Weekly follower growth 3.9 % is below the market average (5–7 %); optimal is 8–12 %." in said
    assert "Views per video 19,293 is in the optimal range (≥ 15,000)." in said
    assert "Conversion to leads/sales: no value for this period. Market average 1–2 %, optimal 3–5 %." in said
    assert "4 KPIs with a benchmark: 1 below market, 1 at the market average, 1 optimal." in said
    frames = gauge_frames(at)
    assert frames[0]["range"].tolist() == ["≤\u202f5 %", "5–8 %", "8–12 %", "≥\u202f12 %"]
    at = bench_app(sample_ws("support"))
    said = [m.value.replace("\u202f", " ") for m in at.markdown]
    assert "First response time 2:34:13 misses the target (≤ 1 min)." in said
    assert "Resolution time 23:59:13 meets the target (≤ 24 h)." in said
    assert gauge_frames(at)[0]["status"].tolist() == ["optimal", "below_market"]   # lower is better


@needs_samples
@pytest.mark.parametrize("lang, sentence", [
    ("ru", "Вовлечённость (ER) 4,99 % — на уровне среднего по рынку (4–6 %); оптимум — 7–10 %."),
    ("zh", "互动率（ER） 4.99%，处于市场平均水平（4–6%）；理想区间为 7–10%。"),
])
def test_every_language_is_translated(lang, sentence):
    at = bench_app(sample_ws("tiktok", "support"), lang)
    assert untranslated(at) == []
    assert sentence in [m.value.replace("\u202f", " ") for m in at.markdown]
    assert len(gauge_frames(at)) == 6


@needs_samples
def test_a_saved_niche_profile_moves_every_verdict():
    store = GoalStore(None)
    beauty = builtin_profile().renamed("Beauty").with_benchmark(
        "engagement_rate", Benchmark(Band(0.02, 0.03), Band(0.04, 0.05), "Beauty"))
    store.save_profile(beauty)
    ws = sample_ws("tiktok")
    at = bench_app(ws, store=store)
    assert at.selectbox(key="bm_profile_pick").options == ["Built-in (from the reference articles)", "Beauty"]
    at.selectbox(key="bm_profile_pick").set_value("Beauty").run()
    assert at.session_state["benchmark_profile"] == beauty
    said = [m.value.replace("\u202f", " ") for m in at.markdown]
    assert "Engagement rate (ER) 4.99 % is in the optimal range (4–5 %)." in said
    assert "Source: Beauty" in [c.value for c in at.caption]
    # the Overview uses the chosen profile too
    at.switch_page("pages/overview.py").run()
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert badges[1] == ":green-badge[:material/speed: Optimal]"
    assert any(c.value.startswith("Benchmarks: Beauty.") for c in at.caption)


@needs_samples
def test_save_and_delete_a_profile():
    store = GoalStore(None)
    at = bench_app(sample_ws("support"), store=store)
    at.button(key="bm_save").click().run()
    assert [e.value for e in at.error] == ["Enter a name for the profile."]
    at.text_input(key="bm_name_builtin").set_value("builtin").run()
    at.button(key="bm_save").click().run()
    assert [e.value for e in at.error] == ["This name is reserved for the built-in bands; choose another one."]
    at.text_input(key="bm_name_builtin").set_value("  Help desk  2026 ").run()
    at.button(key="bm_save").click().run()
    assert not at.exception
    assert [p.name for p in store.profiles()] == ["Help desk 2026"]
    assert at.session_state["benchmark_profile_name"] == "Help desk 2026"
    assert at.selectbox(key="bm_profile_pick").value == "Help desk 2026"
    assert [b.label for b in at.get("download_button")] == ["Download “Help desk 2026” (JSON)",
                                                             "Download all saved profiles (1, JSON)"]
    at.button(key="bm_delete").click().run()
    assert store.profiles() == []
    assert at.selectbox(key="bm_profile_pick").value == "builtin"


def test_bands_table_round_trip_and_edits():
    base = builtin_profile()
    table = bands_table(base, ["engagement_rate", "new_users", "first_response_time"], "en")
    cells = table[["kpi_id", "variant", "unit", "market_lo", "market_hi", "optimal_lo", "optimal_hi"]].values.tolist()
    assert [[None if pd.isna(x) else x for x in row] for row in cells] == [
        ["engagement_rate", "default", "%", 4.0, 6.0, 7.0, 10.0],          # rates in %
        ["new_users", "default", "number", None, None, None, None],       # no band yet: an empty row to fill
        ["first_response_time", "default", "min", 0.0, 1.0, 0.0, 1.0]]    # durations in minutes
    assert list(table["kpi"]) == ["Engagement rate (ER)", "New users", "First response time"]
    same, problems = profile_from_table(base, table, "mine")
    assert same == base and problems == []
    edited = table.copy()
    edited.loc[0, ["market_lo", "market_hi", "optimal_lo", "optimal_hi"]] = [2.0, 3.0, 4.0, None]   # open top
    edited.loc[1, ["market_lo", "market_hi", "optimal_lo", "optimal_hi"]] = [100.0, 200.0, 200.0, None]
    edited.loc[2, ["market_lo", "market_hi", "optimal_lo", "optimal_hi"]] = [None] * 4            # drop it
    profile, problems = profile_from_table(base, edited, "mine")
    assert problems == []
    assert profile.get("engagement_rate") == Benchmark(Band(0.02, 0.03), Band(0.04, None), "mine")
    assert profile.get("new_users") == Benchmark(Band(100.0, 200.0), Band(200.0, None), "mine")
    assert profile.get("first_response_time") is None
    assert profile.get("views_per_video") == base.get("views_per_video")     # rows not shown stay as they were
    # a reversed band and an optimal band on the wrong side are refused, and the old band is kept
    bad = table.copy()
    bad.loc[0, ["market_lo", "market_hi", "optimal_lo", "optimal_hi"]] = [6.0, 4.0, 7.0, 10.0]
    bad.loc[2, ["market_lo", "market_hi", "optimal_lo", "optimal_hi"]] = [0.0, 1.0, 0.0, 5.0]
    profile, problems = profile_from_table(base, bad, "mine")
    assert [p.code for p in problems] == ["band_reversed", "bands_unordered"]
    assert profile == base
    every = bands_table(base, ["engagement_rate"], "en", every_kpi=True)
    assert len(every) == sum(len(b) for b in base.benchmarks.values())


@needs_samples
def test_no_band_in_the_profile_says_so():
    store = GoalStore(None)
    store.save_profile(BenchmarkProfile("Empty", {}))
    at = bench_app(sample_ws("support"), benchmark_profile_name="Empty", store=store)
    assert [i.value for i in at.info][0] == ("None of the loaded KPIs has a benchmark in this profile. "
                                             "Add bands in the table below.")
    assert gauge_frames(at) == []
