"""Wall time and peak memory of one step, and running each step in a fresh interpreter.

Peak RSS comes from Linux: ``/proc/self/status`` VmHWM is the process's high-water mark, and writing
``5`` to ``/proc/self/clear_refs`` resets it, so a step's peak excludes whatever the process did
before (imports, restoring the loaded table). The parent also reads the child's lifetime peak from
``os.wait4``. Elsewhere (no /proc) the peak is the whole process's ``ru_maxrss``.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
MARK = "BENCH-RESULT "
MB = 1024 * 1024


def _status(field_name: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def rss() -> int:
    """Resident memory now, in bytes."""
    got = _status("VmRSS")
    return got if got is not None else peak_rss()


def peak_rss() -> int:
    """The process's peak resident memory since start or the last ``reset_peak()``, in bytes."""
    got = _status("VmHWM")
    if got is not None:
        return got
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def reset_peak() -> bool:
    """Start a new high-water mark at the current RSS (Linux ≥ 4.0). False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def bytes_read() -> int | None:
    """Bytes this process has read through read()/pread() so far (``rchar``), or None."""
    try:
        with open("/proc/self/io") as fh:
            for line in fh:
                if line.startswith("rchar:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Timing:
    seconds: list[float]          # one per repeat
    peak_rss: int                 # bytes, peak over the repeats (process high-water mark)
    base_rss: int                 # bytes, resident just before the first repeat
    result: Any = None            # the step's last return value

    @property
    def best(self) -> float:
        return min(self.seconds)


def timed(step: Callable[[], Any], repeat: int = 1, reset: bool = True, budget: float | None = None,
          setup: Callable[[], Any] | None = None) -> Timing:
    """Run ``step`` up to ``repeat`` times, stopping early once the runs took ``budget`` seconds in
    all; the peak covers only these runs when ``reset``. ``setup`` runs before each run, untimed
    (the app's steps forget their cached tables and results there, so every run is a cold one)."""
    if reset:
        reset_peak()
    base = rss()
    out: list[float] = []
    result = None
    for _ in range(max(1, repeat)):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        result = step()
        out.append(time.perf_counter() - t0)
        if budget is not None and sum(out) >= budget:
            break
    return Timing(out, peak_rss(), base, result)


# ---- the parent side -------------------------------------------------------------------------------

@dataclass
class ChildResult:
    ok: bool
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    wall: float = 0.0             # the whole child, start-up and set-up included
    lifetime_peak: int = 0        # bytes: the child's ru_maxrss from wait4 (its whole life)
    load: float | None = None     # the machine's 1-minute load average when the child started


def run_child(spec: dict[str, Any], timeout: float = 900, env: dict[str, str] | None = None,
              memory_cap: int | None = None) -> ChildResult:
    """Run ``python -m bench.child SPEC`` in a fresh interpreter and read its JSON result."""
    got = run_command([sys.executable, "-m", "bench.child", json.dumps(spec)], timeout, env, memory_cap)
    if not got.ok:
        return got
    line = next((ln for ln in reversed(got.data["stdout"].splitlines()) if ln.startswith(MARK)), None)
    if line is None:
        return ChildResult(False, {}, "no result line", got.wall, got.lifetime_peak, got.load)
    return ChildResult(True, json.loads(line[len(MARK):]), None, got.wall, got.lifetime_peak, got.load)


def run_command(cmd: list[str], timeout: float = 900, env: dict[str, str] | None = None,
                memory_cap: int | None = None) -> ChildResult:
    """Run ``cmd`` from the repository root; ``data`` holds its stdout. The child's lifetime peak RSS
    comes from ``wait4``. ``memory_cap`` (bytes): killed when its RSS goes above it (checked every 50 ms)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    capped, done = threading.Event(), threading.Event()
    if memory_cap:
        threading.Thread(target=_watch, args=(proc, memory_cap, capped, done), daemon=True).start()
    out_chunks: list[str] = []
    err_chunks: list[str] = []
    readers = [threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True)]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join(5)
    wall = time.perf_counter() - t0
    lifetime = usage.ru_maxrss * 1024
    stdout, stderr = "".join(out_chunks), "".join(err_chunks)
    if capped.is_set():
        return ChildResult(False, {"stdout": stdout}, f"killed: RSS above the {memory_cap // MB} MB cap", wall,
                           lifetime, load)
    if timed_out:
        return ChildResult(False, {"stdout": stdout}, f"timed out after {timeout:.0f} s", wall, lifetime, load)
    if proc.returncode != 0:
        lines = [ln for ln in stderr.strip().splitlines() if ln.strip()] or ["no output"]
        return ChildResult(False, {"stdout": stdout}, f"exit {proc.returncode}: {lines[-1][:300]}", wall, lifetime,
                           load)
    return ChildResult(True, {"stdout": stdout}, None, wall, lifetime, load)


def _watch(proc: subprocess.Popen, cap: int, capped: threading.Event, done: threading.Event) -> None:
    """Kill the child when its RSS passes ``cap`` (never reaps it: the parent's wait4 does)."""
    path = f"/proc/{proc.pid}/status"
    while not done.is_set():
        try:
            with open(path) as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        if int(line.split()[1]) * 1024 > cap and not done.is_set():
                            capped.set()
                            proc.kill()
                            return
                        break
        except OSError:
            return
        time.sleep(0.05)


def emit(data: dict[str, Any]) -> None:
    """The child's last line: its result for the parent."""
    sys.stdout.write(MARK + json.dumps(data, default=str) + "\n")
    sys.stdout.flush()
