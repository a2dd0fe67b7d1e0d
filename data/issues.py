"""Problems found in user data, as stable codes plus parameters.

data/ and kpi/ never hold user-facing text: the UI translates ``issue.<code>``
with the parameters (see ui/locales/issues.json).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Issue:
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "warning"  # "error" | "warning" | "info"

    def key(self) -> str:
        return f"issue.{self.code}"


class LoadError(Exception):
    """A file that cannot be read at all. Carries a translatable Issue."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.issue = Issue(code, params, "error")
