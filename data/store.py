"""The persistent store for goals, their action-plan tasks and benchmark profiles.

One DuckDB file, ``kpiwb.duckdb``, in the workspace folder (``./workspace``, or the folder named by
``KPIWB_WORKSPACE``). ``KPIWB_PERSIST=0`` (shared hosting) keeps everything in memory for the
browser session; export and import still work.

A DuckDB file can be open read-write in one process at a time, so every operation opens the file,
works inside one transaction and closes it again:

* threads of one process (sessions of one Streamlit server) take turns through a lock per file;
* another process (a test, ``audit.py``, a second server) that holds the file makes us wait and
  retry until ``timeout`` seconds have passed, then ``StoreError("busy")``;
* a write is one transaction: a crash (even ``kill -9``) mid-save loses that save only; every
  committed save is in the write-ahead log and replayed on the next open.

Goals are scoped by a workspace name (``default`` unless the user types another), so sessions stay
apart unless they share a name on purpose.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from data.db import execute, query
from data.issues import Issue
from kpi.benchmarks import BenchmarkProfile, profile_from_dict, profile_to_dict
from kpi.goals import (GOAL_FIELDS, TASK_FIELDS, BadRecord, Goal, GoalStatus, Task, goal_from_dict, goal_to_dict,
                       task_to_dict, with_tasks)

WORKSPACE_ENV = "KPIWB_WORKSPACE"
PERSIST_ENV = "KPIWB_PERSIST"
DEFAULT_FOLDER = "workspace"
DB_NAME = "kpiwb.duckdb"
DEFAULT_WORKSPACE = "default"
MAX_WORKSPACE_NAME = 64
FORMAT = "kpi-workbench-goals"
VERSION = 1
SCHEMA_VERSION = 1
MAX_IMPORT_CHARS = 10_000_000
LOCK_TIMEOUT = 15.0

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS goals (
        workspace VARCHAR NOT NULL, id VARCHAR NOT NULL, kpi_id VARCHAR NOT NULL, scope VARCHAR,
        baseline DOUBLE, baseline_start DATE, baseline_end DATE, data_baseline DOUBLE,
        target DOUBLE, target_mode VARCHAR, target_input DOUBLE, deadline DATE, created DATE NOT NULL,
        owner VARCHAR, business_goal VARCHAR, stage VARCHAR, notes VARCHAR, grain VARCHAR,
        reviewed DATE, status VARCHAR, saved_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS tasks (
        workspace VARCHAR NOT NULL, id VARCHAR NOT NULL, goal_id VARCHAR NOT NULL, title VARCHAR,
        code VARCHAR, owner VARCHAR, due DATE, status VARCHAR, position INTEGER)""",
    """CREATE TABLE IF NOT EXISTS profiles (
        workspace VARCHAR NOT NULL, name VARCHAR NOT NULL, payload VARCHAR NOT NULL, saved_at TIMESTAMP)""",
)
_GOAL_COLUMNS = [name for name in GOAL_FIELDS]
_TASK_COLUMNS = [name for name in TASK_FIELDS]


class StoreError(Exception):
    """The store cannot be used: ``busy`` (another process holds the file too long) or
    ``unavailable`` (the folder cannot be written, the file is not a database)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail

    def issue(self) -> Issue:
        return Issue(f"goals_store_{self.code}", {"detail": self.detail[:200]}, "error")


# ---- configuration ----------------------------------------------------------------------------------

def persist_enabled(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get(PERSIST_ENV, "1").strip().lower()
    return value not in ("0", "false", "no", "off")


def workspace_dir(env: Mapping[str, str] | None = None) -> Path:
    return Path((os.environ if env is None else env).get(WORKSPACE_ENV) or DEFAULT_FOLDER)


def clean_workspace_name(name: str | None) -> str:
    """A workspace name as stored: trimmed, inner spaces collapsed, at most 64 characters."""
    text = " ".join(str(name or "").split())[:MAX_WORKSPACE_NAME]
    return text or DEFAULT_WORKSPACE


# ---- locks shared by every store on one file in this process ------------------------------------------

_GUARD = threading.Lock()
_LOCKS: dict[str, threading.RLock] = {}
_READY: set[str] = set()


def _lock_for(key: str) -> threading.RLock:
    with _GUARD:
        return _LOCKS.setdefault(key, threading.RLock())


def _is_lock_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "lock" in text or "conflict" in text or "resource temporarily unavailable" in text


# ---- results ----------------------------------------------------------------------------------------

@dataclass
class ImportResult:
    goals: int = 0
    tasks: int = 0
    profiles: int = 0
    issues: list[Issue] = field(default_factory=list)


def _new_id() -> str:
    return uuid.uuid4().hex[:16]


def _clean(value: Any) -> Any:
    """A value read back from DuckDB as plain Python (None for NULL/NaN, date for DATE)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


# ---- the store --------------------------------------------------------------------------------------

class GoalStore:
    """Goals, tasks and benchmark profiles of one workspace name.

    ``path`` None keeps the data in memory for the lifetime of this object (and of the stores made
    from it with ``scoped``).
    """

    def __init__(self, path: Path | str | None, workspace: str = DEFAULT_WORKSPACE, *,
                 timeout: float = LOCK_TIMEOUT, _memory: duckdb.DuckDBPyConnection | None = None,
                 _memory_lock: threading.RLock | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.workspace = clean_workspace_name(workspace)
        self.timeout = timeout
        if self.path is None:
            self._memory = _memory or duckdb.connect(":memory:")
            self._lock = _memory_lock or threading.RLock()
            if _memory is None:
                for sql in _SCHEMA:
                    execute(self._memory, sql)
        else:
            self._memory = None
            self._lock = _lock_for(str(self.path.resolve()))

    @classmethod
    def open(cls, workspace: str = DEFAULT_WORKSPACE, env: Mapping[str, str] | None = None) -> GoalStore:
        """The store the environment asks for: the workspace folder's file, or memory."""
        if not persist_enabled(env):
            return cls(None, workspace)
        return cls(workspace_dir(env) / DB_NAME, workspace)

    def scoped(self, workspace: str) -> GoalStore:
        """The same storage, another workspace name."""
        if self.path is None:
            return GoalStore(None, workspace, timeout=self.timeout, _memory=self._memory, _memory_lock=self._lock)
        return GoalStore(self.path, workspace, timeout=self.timeout)

    @property
    def persistent(self) -> bool:
        return self.path is not None

    # -- connections --------------------------------------------------------------------------------
    def _open_file(self) -> duckdb.DuckDBPyConnection:
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError("unavailable", str(exc)) from exc
        deadline = time.monotonic() + self.timeout
        pause = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path), config={"threads": 1})
            except duckdb.IOException as exc:
                if not _is_lock_conflict(exc):
                    raise StoreError("unavailable", str(exc)) from exc
                if time.monotonic() >= deadline:
                    raise StoreError("busy", str(exc)) from exc
                time.sleep(pause)
                pause = min(pause * 1.5, 0.25)
            except duckdb.Error as exc:
                raise StoreError("unavailable", str(exc)) from exc

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:
            if self._memory is not None:
                yield self._memory
                return
            con = self._open_file()
            try:
                key = str(self.path.resolve())  # type: ignore[union-attr]
                if key not in _READY or not self._has_schema(con):
                    self._create_schema(con)
                    _READY.add(key)
                yield con
            finally:
                con.close()

    @staticmethod
    def _has_schema(con: duckdb.DuckDBPyConnection) -> bool:
        found = query(con, "SELECT count(*) AS n FROM information_schema.tables "
                           "WHERE table_name IN ('goals', 'tasks', 'profiles', 'meta')")
        return int(found["n"].iloc[0]) == 4

    @staticmethod
    def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
        execute(con, "BEGIN TRANSACTION")
        try:
            for sql in _SCHEMA:
                execute(con, sql)
            execute(con, "DELETE FROM meta WHERE key = 'schema_version'")
            execute(con, "INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            execute(con, "COMMIT")
        except BaseException:
            execute(con, "ROLLBACK")
            raise

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write: all of it or none of it."""
        with self._connection() as con:
            execute(con, "BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                execute(con, "ROLLBACK")
                raise
            execute(con, "COMMIT")

    # -- reading ------------------------------------------------------------------------------------
    def _read_goals(self, con: duckdb.DuckDBPyConnection, goal_id: str | None = None) -> list[Goal]:
        only = "" if goal_id is None else " AND id = $id"
        params: dict[str, Any] = {"ws": self.workspace}
        if goal_id is not None:
            params["id"] = goal_id
        cols = ", ".join(c for c in _GOAL_COLUMNS)
        goals = _records(query(con, f"SELECT {cols} FROM goals WHERE workspace = $ws{only} "
                                    "ORDER BY created, saved_at, id", params))
        tcols = ", ".join(c for c in _TASK_COLUMNS)
        tasks = _records(query(con, f"SELECT {tcols} FROM tasks WHERE workspace = $ws"
                                    f"{'' if goal_id is None else ' AND goal_id = $id'} "
                                    "ORDER BY goal_id, position, id", params))
        by_goal: dict[str, list[dict[str, Any]]] = {}
        for t in tasks:
            by_goal.setdefault(t["goal_id"], []).append(t)
        out = []
        for raw in goals:
            raw["tasks"] = by_goal.get(raw["id"], [])
            try:
                out.append(goal_from_dict(raw))
            except BadRecord:
                continue  # a row written by a newer version with a KPI this one does not know
        return out

    def _missing(self) -> bool:
        """No file yet: reading needs no file (visiting the page creates nothing); the first write makes it."""
        return self.path is not None and not self.path.exists()

    def goals(self) -> list[Goal]:
        """Every goal of this workspace with its tasks, oldest first."""
        if self._missing():
            return []
        with self._connection() as con:
            return self._read_goals(con)

    def get(self, goal_id: str) -> Goal | None:
        if self._missing():
            return None
        with self._connection() as con:
            found = self._read_goals(con, goal_id)
        return found[0] if found else None

    # -- writing ------------------------------------------------------------------------------------
    def _write_goal(self, con: duckdb.DuckDBPyConnection, goal: Goal) -> Goal:
        goal = replace(goal, workspace=self.workspace, id=goal.id or _new_id())
        goal = with_tasks(goal, [t if t.id else replace(t, id=_new_id()) for t in goal.tasks])
        row = goal_to_dict(goal)
        execute(con, "DELETE FROM goals WHERE workspace = ? AND id = ?", [self.workspace, goal.id])
        execute(con, "DELETE FROM tasks WHERE workspace = ? AND goal_id = ?", [self.workspace, goal.id])
        names = [c for c in _GOAL_COLUMNS]
        placeholders = ", ".join("?" for _ in names)
        execute(con, f"INSERT INTO goals ({', '.join(names)}, saved_at) VALUES ({placeholders}, now())",
                [row[c] for c in names])
        for t in goal.tasks:
            self._insert_task(con, t)
        return goal

    def _insert_task(self, con: duckdb.DuckDBPyConnection, task: Task) -> None:
        row = task_to_dict(task)
        names = [c for c in _TASK_COLUMNS]
        execute(con, f"INSERT INTO tasks (workspace, {', '.join(names)}) VALUES (?, {', '.join('?' for _ in names)})",
                [self.workspace, *[row[c] for c in names]])

    def save_goal(self, goal: Goal) -> Goal:
        """Insert or replace a goal and all its tasks in one transaction; returns it with ids."""
        with self._transaction() as con:
            return self._write_goal(con, goal)

    def delete_goal(self, goal_id: str) -> None:
        with self._transaction() as con:
            execute(con, "DELETE FROM tasks WHERE workspace = ? AND goal_id = ?", [self.workspace, goal_id])
            execute(con, "DELETE FROM goals WHERE workspace = ? AND id = ?", [self.workspace, goal_id])

    def set_tasks(self, goal_id: str, tasks: Sequence[Task]) -> tuple[Task, ...]:
        """Replace a goal's action plan (the goal's other fields are left alone)."""
        numbered = tuple(replace(t, id=t.id or _new_id(), goal_id=goal_id, position=i) for i, t in enumerate(tasks))
        with self._transaction() as con:
            execute(con, "DELETE FROM tasks WHERE workspace = ? AND goal_id = ?", [self.workspace, goal_id])
            for t in numbered:
                self._insert_task(con, t)
        return numbered

    def add_task(self, goal_id: str, task: Task) -> Task:
        """Append one task; other sessions' tasks on the same goal are kept."""
        with self._transaction() as con:
            n = query(con, "SELECT coalesce(max(position) + 1, 0) AS n FROM tasks WHERE workspace = ? AND goal_id = ?",
                      [self.workspace, goal_id])
            saved = replace(task, id=task.id or _new_id(), goal_id=goal_id, position=int(n["n"].iloc[0]))
            self._insert_task(con, saved)
        return saved

    def mark_reviewed(self, goal_id: str, on: date) -> None:
        with self._transaction() as con:
            execute(con, "UPDATE goals SET reviewed = ?, saved_at = now() WHERE workspace = ? AND id = ?",
                    [on, self.workspace, goal_id])

    def set_status(self, goal_id: str, status: GoalStatus) -> None:
        with self._transaction() as con:
            execute(con, "UPDATE goals SET status = ?, saved_at = now() WHERE workspace = ? AND id = ?",
                    [str(GoalStatus(status)), self.workspace, goal_id])

    # -- benchmark profiles -------------------------------------------------------------------------
    def profiles(self) -> list[BenchmarkProfile]:
        if self._missing():
            return []
        with self._connection() as con:
            rows = _records(query(con, "SELECT name, payload FROM profiles WHERE workspace = ? ORDER BY name",
                                  [self.workspace]))
        out = []
        for r in rows:
            try:
                profile, _ = profile_from_dict(json.loads(r["payload"]))
            except (TypeError, ValueError):
                continue
            if profile is not None:
                out.append(profile)
        return out

    def _write_profile(self, con: duckdb.DuckDBPyConnection, profile: BenchmarkProfile) -> None:
        execute(con, "DELETE FROM profiles WHERE workspace = ? AND name = ?", [self.workspace, profile.name])
        execute(con, "INSERT INTO profiles VALUES (?, ?, ?, now())",
                [self.workspace, profile.name, json.dumps(profile_to_dict(profile), ensure_ascii=False)])

    def save_profile(self, profile: BenchmarkProfile) -> None:
        with self._transaction() as con:
            self._write_profile(con, profile)

    def delete_profile(self, name: str) -> None:
        with self._transaction() as con:
            execute(con, "DELETE FROM profiles WHERE workspace = ? AND name = ?", [self.workspace, name])

    # -- export -------------------------------------------------------------------------------------
    def export_json(self) -> str:
        doc = {"format": FORMAT, "version": VERSION, "workspace": self.workspace,
               "goals": goals_json(self), "profiles": [profile_to_dict(p) for p in self.profiles()]}
        return json.dumps(doc, ensure_ascii=False, indent=2)

    def export_csv(self) -> str:
        return goals_csv(self.goals())

    # -- import -------------------------------------------------------------------------------------
    def _import(self, goals: Sequence[Goal], profiles: Sequence[BenchmarkProfile], result: ImportResult) -> ImportResult:
        if not goals and not profiles:
            if not result.issues:
                result.issues.append(Issue("goals_import_empty", {}, "error"))
            return result
        with self._transaction() as con:
            for g in goals:
                self._write_goal(con, g)
            for p in profiles:
                self._write_profile(con, p)
        result.goals = len(goals)
        result.tasks = sum(len(g.tasks) for g in goals)
        result.profiles = len(profiles)
        return result

    def import_json(self, text: str | bytes) -> ImportResult:
        """Goals (and benchmark profiles) from an exported JSON document, into this workspace.

        A goal with the id of a goal already here replaces it; records that cannot be read are
        reported one by one and the rest is imported.
        """
        result = ImportResult()
        doc = _load_json(text, result)
        if doc is None:
            return result
        if isinstance(doc, list):
            raw_goals, raw_profiles = doc, []
        elif isinstance(doc, dict) and isinstance(doc.get("goals"), list):
            if doc.get("format") not in (None, FORMAT):
                result.issues.append(Issue("goals_import_bad_format", {}, "error"))
                return result
            if isinstance(doc.get("version"), int) and doc["version"] > VERSION:
                result.issues.append(Issue("goals_import_newer_version", {"version": doc["version"]}, "error"))
                return result
            raw_goals = doc["goals"]
            raw_profiles = doc.get("profiles") if isinstance(doc.get("profiles"), list) else []
        else:
            result.issues.append(Issue("goals_import_bad_format", {}, "error"))
            return result
        goals = _goals_from_raw(raw_goals, result)
        profiles = []
        for raw in raw_profiles:
            profile, problems = profile_from_dict(raw)
            for p in problems:
                result.issues.append(Issue("goals_import_profile", {"name": str(p.params.get("profile", "—")),
                                                                     "metric": str(p.params.get("metric", "—"))}))
            if profile is not None:
                profiles.append(profile)
        return self._import(goals, profiles, result)

    def import_csv(self, text: str | bytes) -> ImportResult:
        """Goals and tasks from an exported CSV (one row per task, goal columns repeated)."""
        result = ImportResult()
        if isinstance(text, bytes):
            try:
                text = text.decode("utf-8-sig")
            except UnicodeDecodeError:
                result.issues.append(Issue("goals_import_bad_csv", {}, "error"))
                return result
        if len(text) > MAX_IMPORT_CHARS:
            result.issues.append(Issue("goals_import_too_large", {"mb": MAX_IMPORT_CHARS // 1_000_000}, "error"))
            return result
        raw_goals = _rows_to_goal_dicts(text.lstrip("\ufeff"), result)
        if raw_goals is None:
            return result
        return self._import(_goals_from_raw(raw_goals, result), [], result)


# ---- JSON and CSV helpers --------------------------------------------------------------------------------

def goals_json(store_or_list: GoalStore | Sequence[Goal | Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Goals (with tasks) as plain JSON-ready dicts: dates as ISO text, enums as their values."""
    items = store_or_list.goals() if isinstance(store_or_list, GoalStore) else list(store_or_list)
    return [goal_to_dict(g) if isinstance(g, Goal) else dict(g) for g in items]


def _load_json(text: str | bytes, result: ImportResult) -> Any:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            result.issues.append(Issue("goals_import_bad_json", {}, "error"))
            return None
    if len(text) > MAX_IMPORT_CHARS:
        result.issues.append(Issue("goals_import_too_large", {"mb": MAX_IMPORT_CHARS // 1_000_000}, "error"))
        return None
    try:
        return json.loads(text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError, ValueError):
        result.issues.append(Issue("goals_import_bad_json", {}, "error"))
        return None


def _goals_from_raw(raws: Sequence[Any], result: ImportResult) -> list[Goal]:
    goals = []
    for i, raw in enumerate(raws, start=1):
        try:
            goals.append(goal_from_dict(raw))
        except BadRecord as exc:
            result.issues.append(Issue(f"goals_import_{exc.code}", {"n": i, "field": exc.field}))
    return goals


_SPECIAL = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula: ``'`` before ``= + - @`` (and tab, CR).

    A cell that already starts with ``'`` gets a second one, so ``unescape_cell`` is exact.
    """
    if text and (text[0] in _SPECIAL or text[0] == "'"):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    if len(text) >= 2 and text[0] == "'" and (text[1] in _SPECIAL or text[1] == "'"):
        return text[1:]
    return text


_TASK_CSV = ["task_" + c for c in _TASK_COLUMNS if c != "goal_id"]
CSV_COLUMNS = [*_GOAL_COLUMNS, *_TASK_CSV]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def goals_csv(goals: Sequence[Goal]) -> str:
    """One row per task (a goal without tasks has one row); every cell escaped against formulas."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for goal in goals:
        g = goal_to_dict(goal)
        tasks = g.pop("tasks") or [None]
        for t in tasks:
            cells = [g[c] for c in _GOAL_COLUMNS]
            cells += [None] * len(_TASK_CSV) if t is None else [t[c.removeprefix("task_")] for c in _TASK_CSV]
            writer.writerow([escape_cell(_cell(v)) for v in cells])
    return buf.getvalue()


def _rows_to_goal_dicts(text: str, result: ImportResult) -> list[dict[str, Any]] | None:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        result.issues.append(Issue("goals_import_bad_csv", {}, "error"))
        return None
    if not rows:
        result.issues.append(Issue("goals_import_empty", {}, "error"))
        return None
    header = [h.strip() for h in rows[0]]
    missing = [c for c in ("kpi_id", "created") if c not in header]
    if missing:
        result.issues.append(Issue("goals_import_csv_columns", {"columns": ", ".join(missing)}, "error"))
        return None
    goals: dict[str, dict[str, Any]] = {}
    for n, row in enumerate(rows[1:], start=1):
        if not any(cell.strip() for cell in row):
            continue
        cells = {h: unescape_cell(v) for h, v in zip(header, row)}
        key = cells.get("id") or f"_row{n}"
        goal = goals.get(key)
        if goal is None:
            goal = {c: cells.get(c) for c in _GOAL_COLUMNS if c in cells}
            goal["tasks"] = []
            goals[key] = goal
        if (cells.get("task_title") or "").strip() or (cells.get("task_code") or "").strip():
            goal["tasks"].append({c.removeprefix("task_"): cells.get(c) for c in _TASK_CSV if c in cells})
    return list(goals.values())
