"""Small helpers for tests: declarative rows to CSV bytes, workspaces from inline files."""
from __future__ import annotations

import re

from data.session import Workspace

KEY_LIKE = re.compile(r"^[a-z_]+(\.[a-z0-9_]+)+$")


def csv_bytes(header: list[str], rows: list[list[object]], sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join("" if v is None else str(v) for v in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def workspace_with(**files: bytes) -> Workspace:
    ws = Workspace()
    for name, content in files.items():
        res = ws.add_file(name.replace("__", "."), content)
        assert not res.issues, res.issues
    return ws
