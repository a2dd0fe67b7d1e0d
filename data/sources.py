"""Stacking the canonical views of every dataset of a kind into one subquery."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from data.db import quote_ident
from data.detect import role_sql_type
from data.session import Dataset, Workspace


def has_role(ds: Dataset, role: str) -> bool:
    """Whether a dataset's canonical view has ``role`` (orders always have an amount if priced)."""
    if role == "amount" and ds.kind == "orders":
        return "amount" in ds.roles or {"quantity", "unit_price"} <= ds.roles.keys()
    return role in ds.roles


@dataclass(frozen=True)
class Source:
    """Stacked rows of every dataset of a kind that maps the required roles."""

    sql: str                   # a parenthesised subquery with one column per wanted role
    roles: frozenset[str]      # roles mapped in at least one of the stacked datasets

    def has(self, *roles: str) -> bool:
        return all(r in self.roles for r in roles)


def stack(ws: Workspace, kind: str, required: Sequence[str], optional: Sequence[str] = ()) -> Source | None:
    """UNION ALL of the datasets of ``kind`` mapping ``required``; missing optional roles are NULL."""
    datasets = [d for d in ws.of_kind(kind) if all(has_role(d, r) for r in required)]
    if not datasets:
        return None
    wanted = [*required, *[r for r in optional if r not in required]]
    selects = []
    present: set[str] = set()
    for d in datasets:
        cols = []
        for role in wanted:
            if has_role(d, role):
                present.add(role)
                cols.append(quote_ident(role))
            else:
                cols.append(f"CAST(NULL AS {role_sql_type(role)}) AS {quote_ident(role)}")
        selects.append(f"SELECT {', '.join(cols)} FROM {quote_ident(d.view)}")
    return Source("(" + " UNION ALL ".join(selects) + ")", frozenset(present))
