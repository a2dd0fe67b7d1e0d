import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.store import (CSV_COLUMNS, DB_NAME, GoalStore, StoreError, clean_workspace_name, escape_cell, goals_json,
                        persist_enabled, unescape_cell, workspace_dir)
from kpi.benchmarks import Band, Benchmark, BenchmarkProfile
from kpi.goals import BusinessGoal, BusinessStage, Goal, GoalStatus, Task, TaskStatus, TargetMode
from tests.conftest import ROOT

TODAY = date(2026, 11, 23)


def make_goal(n: int = 1, **kw) -> Goal:
    base = dict(kpi_id="engagement_rate", baseline=0.05, target=0.07, deadline=date(2027, 1, 23), created=TODAY,
                scope="TikTok", owner="Ann", business_goal=BusinessGoal.BRAND_AWARENESS,
                stage=BusinessStage.STARTUP, notes=f"goal {n}", baseline_start=date(2026, 10, 24),
                baseline_end=date(2026, 11, 20), data_baseline=0.05,
                tasks=(Task(code="content_plan", owner="Ann", due=date(2026, 12, 5)),
                       Task(title="Reply to every comment", due=date(2026, 12, 20), status=TaskStatus.DOING)))
    base.update(kw)
    return Goal(**base)


@pytest.fixture(params=["file", "memory"])
def store(request, tmp_path):
    return GoalStore(tmp_path / DB_NAME if request.param == "file" else None)


def child(code: str, *args: str, **popen) -> subprocess.Popen:
    """A python process running ``code`` with the project importable."""
    script = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, **popen)


# ---- round trip --------------------------------------------------------------------------------

def test_round_trip_goal_with_tasks(store):
    saved = store.save_goal(make_goal())
    assert saved.id and all(t.id and t.goal_id == saved.id for t in saved.tasks)
    assert [t.position for t in saved.tasks] == [0, 1]
    assert store.goals() == [saved]
    assert store.get(saved.id) == saved
    assert store.get("nope") is None


def test_reading_creates_no_file(tmp_path):
    path = tmp_path / "ws" / DB_NAME
    s = GoalStore(path)
    assert (s.goals(), s.get("x"), s.profiles()) == ([], None, [])
    assert json.loads(s.export_json())["goals"] == []
    assert not (tmp_path / "ws").exists()
    s.save_goal(make_goal())
    assert path.exists()


def test_round_trip_survives_reopening_the_file(tmp_path):
    path = tmp_path / "sub" / DB_NAME   # the folder is created
    saved = GoalStore(path).save_goal(make_goal(notes="Заметка 注释", owner="Мария"))
    assert GoalStore(path).goals() == [saved]


def test_save_replaces_goal_and_its_tasks(store):
    saved = store.save_goal(make_goal())
    edited = replace(saved, target=0.08, tasks=saved.tasks[:1])
    store.save_goal(edited)
    assert store.goals() == [edited]


def test_task_operations(store):
    g = store.save_goal(make_goal())
    extra = store.add_task(g.id, Task(title="Test a new hook", owner="Bo"))
    assert extra.position == 2
    assert [t.title or t.code for t in store.get(g.id).tasks] == ["content_plan", "Reply to every comment",
                                                                  "Test a new hook"]
    plan = store.set_tasks(g.id, [replace(extra, status=TaskStatus.DONE)])
    assert store.get(g.id).tasks == plan
    assert plan[0].position == 0 and plan[0].status is TaskStatus.DONE


def test_review_status_delete(store):
    a, b = store.save_goal(make_goal(1)), store.save_goal(make_goal(2))
    store.mark_reviewed(a.id, date(2026, 12, 24))
    store.set_status(b.id, GoalStatus.DONE)
    got = {g.id: g for g in store.goals()}
    assert got[a.id].reviewed == date(2026, 12, 24)
    assert got[b.id].status is GoalStatus.DONE
    store.delete_goal(a.id)
    assert [g.id for g in store.goals()] == [b.id]


def test_workspaces_are_apart(store):
    mine = store.scoped("Team A").save_goal(make_goal(1))
    theirs = store.scoped("Team B").save_goal(make_goal(2))
    assert [g.id for g in store.scoped("Team A").goals()] == [mine.id]
    assert [g.id for g in store.scoped(" Team   B ").goals()] == [theirs.id]
    assert store.goals() == []
    assert mine.workspace == "Team A"


@pytest.mark.parametrize("raw, clean", [("", "default"), (None, "default"), ("  Shop  team ", "Shop team"),
                                        ("x" * 80, "x" * 64)])
def test_clean_workspace_name(raw, clean):
    assert clean_workspace_name(raw) == clean


def test_benchmark_profiles(store):
    niche = BenchmarkProfile("beauty niche", {"engagement_rate": (
        Benchmark(Band(0.05, 0.08), Band(0.09, 0.12), "my research"),)})
    store.save_profile(niche)
    store.save_profile(niche.renamed("food"))
    assert [p.name for p in store.profiles()] == ["beauty niche", "food"]
    assert store.profiles()[0] == niche
    store.delete_profile("food")
    assert store.profiles() == [niche]
    assert store.scoped("other").profiles() == []


def test_environment(tmp_path):
    assert persist_enabled({}) and persist_enabled({"KPIWB_PERSIST": "1"})
    assert not persist_enabled({"KPIWB_PERSIST": "0"}) and not persist_enabled({"KPIWB_PERSIST": "off"})
    assert str(workspace_dir({})) == "workspace"
    assert workspace_dir({"KPIWB_WORKSPACE": str(tmp_path)}) == tmp_path
    assert GoalStore.open("x", {"KPIWB_WORKSPACE": str(tmp_path)}).path == tmp_path / DB_NAME
    memory = GoalStore.open("x", {"KPIWB_PERSIST": "0", "KPIWB_WORKSPACE": str(tmp_path)})
    assert not memory.persistent
    memory.save_goal(make_goal())
    assert not (tmp_path / DB_NAME).exists()
    assert len(memory.scoped("x").goals()) == 1


# ---- export and import -------------------------------------------------------------------------

def test_json_export_import_round_trip(store, tmp_path):
    a = store.save_goal(make_goal(1, target_mode=TargetMode.PERCENT, target_input=40.0))
    b = store.save_goal(make_goal(2, tasks=()))
    store.save_profile(BenchmarkProfile("niche", {"views_per_video": (
        Benchmark(Band(5000, 8000), Band(8000, None), "me"),)}))
    doc = json.loads(store.export_json())
    assert (doc["format"], doc["version"], doc["workspace"]) == ("kpi-workbench-goals", 1, "default")
    other = GoalStore(tmp_path / "other.duckdb", "imported")
    res = other.import_json(store.export_json())
    assert (res.goals, res.tasks, res.profiles, res.issues) == (2, 2, 1, [])
    assert sorted(other.goals(), key=lambda g: g.notes) == [replace(a, workspace="imported"),
                                                            replace(b, workspace="imported")]
    assert other.profiles() == store.profiles()
    # importing again replaces, it does not duplicate
    other.import_json(store.export_json())
    assert len(other.goals()) == 2


def test_goals_json_from_store_or_list(store):
    g = store.save_goal(make_goal())
    assert goals_json(store) == goals_json([g])
    assert goals_json(store)[0]["deadline"] == "2027-01-23"
    assert goals_json(store)[0]["tasks"][0]["code"] == "content_plan"
    json.dumps(goals_json(store))


def test_csv_round_trip_and_formula_cells_escaped(store, tmp_path):
    g = store.save_goal(make_goal(
        owner="=HYPERLINK(\"http://x\")", scope="@scope", notes="+1 idea",
        target_mode=TargetMode.PERCENT, target_input=-10.0,
        tasks=(Task(title="-5 % returns", owner="@bob"), Task(title="'=quoted", status=TaskStatus.DONE))))
    empty = store.save_goal(make_goal(2, tasks=()))
    text = store.export_csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 1 + 2 + 1                                  # a row per task, one for the goal without
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    first = dict(zip(rows[0], rows[1]))
    assert first["owner"] == "'=HYPERLINK(\"http://x\")"
    assert (first["scope"], first["notes"], first["target_input"]) == ("'@scope", "'+1 idea", "'-10.0")
    assert (first["task_title"], first["task_owner"]) == ("'-5 % returns", "'@bob")
    assert dict(zip(rows[0], rows[2]))["task_title"] == "''=quoted"
    other = GoalStore(tmp_path / "csv.duckdb")
    res = other.import_csv(text)
    assert (res.goals, res.tasks, res.issues) == (2, 2, [])
    assert sorted(other.goals(), key=lambda x: x.notes) == [g, empty]


@pytest.mark.parametrize("text, escaped", [
    ("=1+2", "'=1+2"), ("+7", "'+7"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("'=a", "''=a"), ("'plain", "''plain"), ("plain", "plain"), ("", ""), ("a=b", "a=b"), ("5-3", "5-3"),
])
def test_escape_cell(text, escaped):
    assert escape_cell(text) == escaped
    assert unescape_cell(escaped) == text


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=30))
def test_escape_round_trip_and_never_a_formula(text):
    out = escape_cell(text)
    assert unescape_cell(out) == text
    assert not out.startswith(("=", "+", "-", "@"))


@pytest.mark.parametrize("kind, text, codes", [
    ("json", "{not json", ["goals_import_bad_json"]),
    ("json", b"\xff\xfe\x00", ["goals_import_bad_json"]),
    ("json", '{"format": "something-else", "goals": []}', ["goals_import_bad_format"]),
    ("json", '{"format": "kpi-workbench-goals", "version": 9, "goals": []}', ["goals_import_newer_version"]),
    ("json", '"hello"', ["goals_import_bad_format"]),
    ("json", '{"goals": []}', ["goals_import_empty"]),
    ("json", '[{"kpi_id": "nope", "created": "2026-11-23"}]', ["goals_import_unknown_kpi"]),
    ("csv", "", ["goals_import_empty"]),
    ("csv", "a,b\n1,2\n", ["goals_import_csv_columns"]),
    ("csv", "kpi_id,created\n", ["goals_import_empty"]),
])
def test_bad_imports_say_why(store, kind, text, codes):
    res = store.import_json(text) if kind == "json" else store.import_csv(text)
    assert [i.code for i in res.issues] == codes
    assert res.goals == 0
    assert store.goals() == []


def test_import_keeps_good_records_and_reports_bad_ones(store):
    good = json.loads(json.dumps(goals_json([make_goal(1, id="g1")])))[0]
    doc = {"format": "kpi-workbench-goals", "version": 1,
           "goals": [good, {**good, "id": "g2", "deadline": "31.03.2027"}, {**good, "id": "g3"}]}
    res = store.import_json(json.dumps(doc))
    assert res.goals == 2
    assert [(i.code, dict(i.params)) for i in res.issues] == [
        ("goals_import_bad_date", {"n": 2, "field": "deadline"})]
    assert [g.id for g in store.goals()] == ["g1", "g3"]


def test_csv_import_of_a_minimal_hand_made_file(store):
    text = "kpi_id,created,baseline,target,deadline,task_title\r\n" \
           "gmv,2026-11-23,1000,1200,2027-01-23,Bundle offer\r\n" \
           "aov,2026-11-23,50,55,2027-01-23,\r\n"
    res = store.import_csv(text.encode("utf-8-sig"))
    assert (res.goals, res.tasks, res.issues) == (2, 1, [])
    assert sorted((g.kpi_id, g.target, len(g.tasks)) for g in store.goals()) == [("aov", 55.0, 0), ("gmv", 1200.0, 1)]


# ---- concurrency and crashes -------------------------------------------------------------------

def test_concurrent_threads_lose_nothing(tmp_path):
    path = tmp_path / DB_NAME
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            s = GoalStore(path)          # a session of its own
            for i in range(6):
                s.save_goal(make_goal(notes=f"t{n}-{i}"))
        except BaseException as exc:     # pragma: no cover - reported below
            errors.append(exc)

    shared = GoalStore(path).save_goal(make_goal(notes="shared", tasks=()))

    def tasker(n: int) -> None:
        try:
            for i in range(4):
                GoalStore(path).add_task(shared.id, Task(title=f"task {n}-{i}"))
        except BaseException as exc:     # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=tasker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    goals = GoalStore(path).goals()
    assert sorted(g.notes for g in goals if g.notes != "shared") == sorted(
        f"t{n}-{i}" for n in range(6) for i in range(6))
    tasks = next(g for g in goals if g.notes == "shared").tasks
    assert sorted(t.title for t in tasks) == sorted(f"task {n}-{i}" for n in range(3) for i in range(4))
    assert sorted(t.position for t in tasks) == list(range(12))


WRITER = """
    from datetime import date
    from data.store import GoalStore
    from kpi.goals import Goal, Task
    path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = GoalStore(path, timeout=60)
    for i in range(n):
        store.save_goal(Goal("gmv", 100.0, 120.0, date(2027, 1, 23), date(2026, 11, 23), notes=f"{tag}-{i}",
                             tasks=tuple(Task(title=f"task {k}") for k in range(20))))
        print(f"saved {tag}-{i}", flush=True)
"""


def test_concurrent_processes_lose_nothing(tmp_path):
    path = tmp_path / DB_NAME
    GoalStore(path).goals()   # create the file
    procs = [child(WRITER, str(path), f"p{k}", "8", stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(3)]
    here = GoalStore(path, timeout=60)
    for i in range(8):
        here.save_goal(make_goal(notes=f"main-{i}"))
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    notes = sorted(g.notes for g in GoalStore(path).goals())
    assert notes == sorted([f"p{k}-{i}" for k in range(3) for i in range(8)] + [f"main-{i}" for i in range(8)])
    assert all(len(g.tasks) == 20 for g in GoalStore(path).goals() if g.notes.startswith("p"))


def test_kill_9_during_saves_keeps_every_saved_goal(tmp_path):
    path = tmp_path / DB_NAME
    proc = child(WRITER, str(path), "k", "100000", stdout=subprocess.PIPE, text=True)
    saved = []
    assert proc.stdout is not None
    while len(saved) < 15:
        line = proc.stdout.readline()
        assert line, "the writer stopped"
        saved.append(line.split()[1])
    proc.send_signal(signal.SIGKILL)     # mid-loop: most likely inside a save
    proc.wait(10)
    saved += [line.split()[1] for line in proc.stdout.read().splitlines() if line.startswith("saved")]
    goals = GoalStore(path).goals()
    notes = {g.notes for g in goals}
    assert set(saved) <= notes
    assert all(len(g.tasks) == 20 for g in goals)       # no goal half-written


def test_kill_9_inside_an_open_transaction(tmp_path):
    path = tmp_path / DB_NAME
    before = GoalStore(path)
    kept = [before.save_goal(make_goal(notes=f"kept {i}")) for i in range(3)]
    code = """
        import time
        from datetime import date
        from data.store import GoalStore
        from kpi.goals import Goal
        store = GoalStore(sys.argv[1])
        with store._transaction() as con:
            store._write_goal(con, Goal("gmv", 1.0, 2.0, date(2027, 1, 1), date(2026, 11, 23), notes="half"))
            print("inside", flush=True)
            time.sleep(60)
    """
    proc = child(code, str(path), stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "inside"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert GoalStore(path).goals() == kept


def test_busy_file_waits_then_says_busy(tmp_path):
    path = tmp_path / DB_NAME
    GoalStore(path).save_goal(make_goal())
    holder = child("""
        import duckdb, time
        con = duckdb.connect(sys.argv[1])
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
        con.close()
        print("released", flush=True)
    """, str(path), "1.0", stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    with pytest.raises(StoreError) as err:
        GoalStore(path, timeout=0.2).goals()
    assert err.value.code == "busy"
    assert err.value.issue().code == "goals_store_busy"
    started = time.monotonic()
    assert len(GoalStore(path, timeout=30).goals()) == 1      # waits for the other process
    assert time.monotonic() - started < 30
    holder.wait(10)


def test_unusable_location_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError) as err:
        GoalStore(blocker / DB_NAME).save_goal(make_goal())
    assert err.value.code == "unavailable"
    garbage = tmp_path / "garbage.duckdb"
    garbage.write_bytes(b"this is not a database" * 500)
    with pytest.raises(StoreError) as err:
        GoalStore(garbage).goals()
    assert err.value.code == "unavailable"
