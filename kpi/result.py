"""What KPI maths returns: a value, or no value plus a reason code.

kpi/ holds no user-facing text. A missing value carries a stable ``reason_code`` (translated by the UI
as ``kpi.reason.<code>``) and the parameters the sentence needs; a problem with user-supplied
settings (benchmark bands, imported profiles) is a ``Problem`` (translated as ``kpi.problem.<code>``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why a KPI has no value. Stable codes: tests, audit.py and the catalogs use them."""

    ZERO_DENOMINATOR = "zero_denominator"      # the denominator is 0 in the selected range
    MISSING_DATA = "missing_data"              # no loaded dataset has the kinds/roles the KPI needs
    MISSING_VALUE = "missing_value"            # the datasets are there but a column the formula needs is not
    MISSING_INPUT = "missing_input"            # a user input (headcount, spend) is not given
    INVALID_INPUT = "invalid_input"            # a user input is zero or negative
    NO_DATA_IN_RANGE = "no_data_in_range"      # the datasets exist but have no rows in the range
    NO_FULL_WEEK = "no_full_week"              # weekly follower growth needs two Sunday counts 7 days apart
    RANGE_TOO_SHORT = "range_too_short"        # retention day k needs data k days after the range start
    NOT_DATED = "not_dated"                    # a series was asked for a KPI whose data has no dates


@dataclass(frozen=True)
class Outcome:
    """The result of one formula: ``value`` or ``None`` with a reason."""

    value: float | None
    reason: Reason | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def of(value: float) -> Outcome:
        return Outcome(float(value))

    @staticmethod
    def missing(reason: Reason, **params: Any) -> Outcome:
        return Outcome(None, reason, params)

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class KpiValue:
    """One KPI computed for one range.

    ``inputs`` are the sums the formula used (so the UI can show "412 / 9 870"), ``details`` hold
    secondary numbers (median and 90th percentile of a duration, the partner share of a volume KPI),
    ``variant`` names the definition used when several exist (e.g. ``"posts"`` for an engagement rate
    computed from per-video data); ``benchmark_variant`` is the product type whose benchmark applies
    (``"social"`` for D1 retention of a social product), None for the metric's only benchmark.
    """

    id: str
    value: float | None
    reason_code: str | None = None
    reason_params: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, float | None] = field(default_factory=dict)
    definition_key: str = ""
    details: Mapping[str, float | None] = field(default_factory=dict)
    variant: str | None = None
    benchmark_variant: str | None = None

    def __post_init__(self) -> None:
        if not self.definition_key:
            object.__setattr__(self, "definition_key", f"kpi.{self.id}.definition")
        if self.value is None and self.reason_code is None:
            raise ValueError(f"KPI {self.id}: a missing value needs a reason")

    @classmethod
    def from_outcome(cls, kpi_id: str, outcome: Outcome, *, inputs: Mapping[str, float | None] | None = None,
                     details: Mapping[str, float | None] | None = None, variant: str | None = None,
                     benchmark_variant: str | None = None) -> KpiValue:
        return cls(id=kpi_id, value=outcome.value,
                   reason_code=None if outcome.reason is None else str(outcome.reason),
                   reason_params=dict(outcome.params), inputs=dict(inputs or {}), details=dict(details or {}),
                   variant=variant, benchmark_variant=benchmark_variant)

    @classmethod
    def missing(cls, kpi_id: str, reason: Reason, **params: Any) -> KpiValue:
        return cls(id=kpi_id, value=None, reason_code=str(reason), reason_params=params)

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def label_key(self) -> str:
        return f"kpi.{self.id}.label"

    @property
    def reason_key(self) -> str | None:
        return None if self.reason_code is None else f"kpi.reason.{self.reason_code}"


@dataclass(frozen=True)
class Problem:
    """A problem with something the user supplied (a band, an imported profile)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def key(self) -> str:
        return f"kpi.problem.{self.code}"
