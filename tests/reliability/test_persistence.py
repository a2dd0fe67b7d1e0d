"""What tests/data/test_store.py does not already cover: a whole import killed with -9 is all or
nothing, and a damaged store file is a clear message in the goals page, never a traceback.

Already covered there (docs/reliability.md lists them): concurrent threads and processes lose no
save, kill -9 during saves and inside an open transaction, a busy file, an unusable folder.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from datetime import date

from data.store import DB_NAME, GoalStore
from tests.conftest import ROOT
from tests.pages.conftest import untranslated

IMPORTER = """
    import json, sys
    from data.store import GoalStore
    path, n = sys.argv[1], int(sys.argv[2])
    goals = [{"kpi_id": "gmv", "baseline": 1.0, "target": 2.0, "deadline": "2027-01-01", "created": "2026-11-23",
              "notes": f"bulk {i}", "tasks": [{"title": f"t{k}"} for k in range(5)]} for i in range(n)]
    doc = json.dumps({"format": "kpi-workbench-goals", "version": 1, "goals": goals})
    store = GoalStore(path, timeout=60)
    print("start", flush=True)
    while True:
        store.import_json(doc)
        print("imported", flush=True)
"""


def _child(code: str, *args: str) -> subprocess.Popen:
    script = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + textwrap.dedent(code)
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)


def test_kill_9_during_a_bulk_import_leaves_all_or_nothing(tmp_path):
    path = tmp_path / DB_NAME
    proc = _child(IMPORTER, str(path), "300")
    assert proc.stdout.readline().strip() == "start"
    assert proc.stdout.readline().strip() == "imported"       # one whole import is in
    proc.send_signal(signal.SIGKILL)                          # most likely in the middle of the next one
    proc.wait(10)
    goals = GoalStore(path).goals()
    notes = sorted(g.notes for g in goals)
    assert len(goals) % 300 == 0 and len(goals) >= 300, len(goals)   # whole imports only
    assert set(notes) == {f"bulk {i}" for i in range(300)}
    assert all(len(g.tasks) == 5 for g in goals)


def test_a_damaged_store_file_is_a_message_in_the_goals_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("KPIWB_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("KPIWB_PERSIST", raising=False)
    (tmp_path / DB_NAME).write_bytes(b"DUCK" + bytes(range(256)) * 40)   # a torn, unreadable file
    for lang in ("en", "ru", "zh"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["lang"] = lang
        at.session_state["goals_today"] = date(2026, 11, 23)
        at.switch_page("pages/goals.py").run()
        assert not at.exception, at.exception
        assert at.warning, "the page says the store could not be used"
        assert untranslated(at) == []
