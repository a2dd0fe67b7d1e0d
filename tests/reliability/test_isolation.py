"""Concurrent sessions never see each other's data or goals, unless they share a goals workspace on purpose.

Eight threads each drive their own AppTest at the same time (one Streamlit session each), load a
different file and save a goal in their own goals workspace; each then sees only its own.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from data.store import DB_NAME, GoalStore
from kpi.goals import Goal
from tests.conftest import ROOT
from tests.helpers import csv_bytes

TODAY = date(2026, 11, 23)
N = 8


@pytest.fixture(autouse=True)
def shared_runtime(monkeypatch):
    """AppTest swaps a mock Runtime and a config patch in and out around every run, which races when
    several AppTests run at once. Here all of them share one mock Runtime, as sessions of a real
    server share one Runtime, and the config patch is installed once for the whole test."""
    from contextlib import nullcontext
    from unittest.mock import MagicMock

    from streamlit import config
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import build_mock_config_get_option
    from streamlit.testing.v1.util import patch_config_options as patch_options

    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.dataframe_source_mgr = DataframeSourceManager()
    shared.cache_storage_manager = MemoryCacheStorageManager()
    registry = BidiComponentManager()
    registry.discover_and_register_components(start_file_watching=False)
    shared.bidi_component_registry = registry
    monkeypatch.setattr(Runtime, "instance", classmethod(lambda cls: shared))
    monkeypatch.setattr(Runtime, "exists", classmethod(lambda cls: True))
    monkeypatch.setattr(app_test, "patch_config_options", lambda overrides: nullcontext())
    # one bytecode cache, as in a real server (CPython 3.11's compiler is not safe to run in parallel)
    cache = ScriptCache()
    with patch_options({"global.appTest": True}):
        for script in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
            cache.get_bytecode(str(script))   # compiled once, here, before any thread starts
    monkeypatch.setattr(app_test, "ScriptCache", lambda: cache)
    monkeypatch.setattr(config, "get_option", build_mock_config_get_option({"global.appTest": True}))
    yield
    Runtime._instance = None


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIWB_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("KPIWB_PERSIST", raising=False)
    return tmp_path


def _file(i: int) -> bytes:
    """Session i's own file: i + 2 days of orders, amounts that only it has."""
    return csv_bytes(["order_id", "customer_id", "order_date", "amount"],
                     [[f"s{i}o{k}", f"s{i}c{k}", f"2026-0{1 + i % 9}-{10 + k}", 1000 * i + k] for k in range(i + 2)])


def _texts(at: AppTest) -> str:
    parts = [el.value for kind in ("subheader", "markdown", "caption", "success", "error", "warning", "info")
             for el in getattr(at, kind)]
    return "\n".join(p for p in parts if isinstance(p, str))


def _session(i: int, start: threading.Barrier, loaded: threading.Barrier, goals_workspace: str,
             folder) -> dict:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = ("en", "ru", "zh")[i % 3]
    at.session_state["goals_today"] = TODAY
    at.session_state["goals_workspace"] = goals_workspace
    at.run()
    start.wait()
    at.file_uploader[0].upload(f"session{i}.csv", _file(i), "text/csv")
    at.run()
    assert not at.exception, at.exception
    GoalStore(folder / DB_NAME, goals_workspace).save_goal(
        Goal("aov", 10.0 + i, 20.0 + i, date(2027, 1, 1), TODAY, owner=f"owner-{i}"))
    loaded.wait()   # every session has loaded and saved before anyone looks
    at.switch_page("pages/goals.py").run()
    assert not at.exception, at.exception
    ws = at.session_state["workspace"]
    (ds,) = ws.datasets
    amounts = ws.con.execute(f'SELECT list(amount ORDER BY amount) FROM "{ds.view}"').fetchone()[0]
    # the session's own tables and views; its temporary working tables (the KPI engine's activity
    # pairs, "kpiwb_*") live in the same private connection and are left out of the comparison
    tables = sorted(r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables "
                                                 "WHERE table_name NOT LIKE 'kpiwb\\_%' ESCAPE '\\'").fetchall())
    return {"labels": [d.label for d in ws.datasets], "rows": ds.rows, "amounts": amounts, "tables": tables,
            "con": id(ws.con), "text": _texts(at)}


def _run_all(workspaces: list[str], folder) -> list[dict]:
    start, loaded = threading.Barrier(len(workspaces)), threading.Barrier(len(workspaces))
    with ThreadPoolExecutor(len(workspaces)) as pool:
        futures = [pool.submit(_session, i, start, loaded, w, folder) for i, w in enumerate(workspaces)]
        return [f.result(timeout=300) for f in futures]


def test_eight_concurrent_sessions_see_only_their_own_data_and_goals(folder):
    got = _run_all([f"team-{i}" for i in range(N)], folder)
    assert len({g["con"] for g in got}) == N            # one DuckDB connection per session
    for i, g in enumerate(got):
        assert g["labels"] == [f"session{i}.csv"]
        assert g["rows"] == i + 2
        assert g["amounts"] == [float(1000 * i + k) for k in range(i + 2)]
        assert g["tables"] == ["ds_1", "v_ds_1"]   # its own table and view, nothing else
        assert f"owner-{i}" in g["text"]
        assert [j for j in range(N) if j != i and f"owner-{j}" in g["text"]] == []


def test_sessions_sharing_a_goals_workspace_on_purpose_see_each_others_goals(folder):
    got = _run_all(["agency", "agency", "solo"], folder)
    for i in (0, 1):
        assert "owner-0" in got[i]["text"] and "owner-1" in got[i]["text"]
        assert got[i]["labels"] == [f"session{i}.csv"]   # the data stays per session
    assert "owner-2" in got[2]["text"] and "owner-0" not in got[2]["text"]


def test_without_persistence_nothing_is_shared(folder, monkeypatch):
    monkeypatch.setenv("KPIWB_PERSIST", "0")
    a = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    b = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for at in (a, b):
        at.session_state["goals_today"] = TODAY
        at.switch_page("pages/goals.py").run()
    a.session_state["goals_store"].scoped("default").save_goal(
        Goal("aov", 1.0, 2.0, date(2027, 1, 1), TODAY, owner="only-in-a"))
    a.run()
    b.run()
    assert "only-in-a" in _texts(a) and "only-in-b" not in _texts(a)
    assert "only-in-a" not in _texts(b)
    assert not (folder / DB_NAME).exists()
