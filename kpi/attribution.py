"""Attribution by dimension: which segments moved a KPI between two periods, and by how much.

Pure: takes per-segment sums (numerator and, for a rate, denominator) for a previous and a current
period, as ``data.breakdown`` returns them, and splits the KPI's change into one contribution per
segment. The contributions always add up to the change of the total.

* A **sum** KPI (GMV, new users): a segment's contribution is its own change, ``N1 − N0``.
* A **rate** KPI (conversion, effective share, AOV, mean response time) is ``R = ΣN / ΣD``
  = ``Σ wᵢ rᵢ`` with ``wᵢ = Dᵢ / ΣD`` (the segment's share of the denominator) and ``rᵢ = Nᵢ / Dᵢ``.
  The change is split with midpoint weights (no order dependence, nothing left over)::

      contributionᵢ = w̄ᵢ (r1ᵢ − r0ᵢ)          rate effect: the segment itself got better or worse
                    + (r̄ᵢ − R̄) (w1ᵢ − w0ᵢ)    mix effect: the segment grew or shrank, and it is
                                              above (+) or below (−) the average

  where ``x̄`` is the mean of the two periods. The mix effect is measured against the average
  ``R̄``: a channel that doubles its share of visitors but converts below average pulls the total
  down, so its contribution is negative. Σ mix effects = Σ (r̄ᵢ − R̄) Δwᵢ and Σ Δwᵢ = 0, so the
  centring changes no total. A segment with no denominator in one period takes the other period's
  rate (rate effect 0); a numerator without any denominator (rare, dirty data) is added as is.

Also here: the channel quality verdict (volume without quality), which reads the same kind of
per-segment numbers.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from kpi.formulas import ratio
from kpi.result import Reason


class Mode(StrEnum):
    SUM = "sum"      # the KPI is Σ numerator
    RATE = "rate"    # the KPI is Σ numerator / Σ denominator


@dataclass(frozen=True)
class SegmentSums:
    """One segment's sums in the two periods (denominators are ignored for a sum KPI).

    ``merged`` > 0 marks the "other segments" row made by ``group_small`` (how many it holds).
    """

    segment: str | None
    previous_num: float = 0.0
    previous_den: float = 0.0
    current_num: float = 0.0
    current_den: float = 0.0
    merged: int = 0


@dataclass(frozen=True)
class SegmentContribution:
    """A segment's value in each period and its part of the change.

    ``previous``/``current``: the segment's own KPI (its rate, or its sum); ``*_weight``: its share of
    the denominator (rate) or of the total (sum). ``contribution`` is in the KPI's units (fraction
    points for a rate); ``share_of_change`` = contribution / total change (None when nothing moved).
    """

    segment: str | None
    previous: float | None
    current: float | None
    previous_weight: float | None
    current_weight: float | None
    rate_effect: float | None
    mix_effect: float | None
    contribution: float | None
    share_of_change: float | None
    merged: int = 0


@dataclass(frozen=True)
class Attribution:
    """The KPI in both periods, its change and the per-segment split (largest |contribution| first).

    Without a previous value (no denominator then, or no data) ``change`` and the contributions are
    None and ``reason`` says why; the segments still carry their current values.
    """

    mode: Mode
    previous: float | None
    current: float | None
    change: float | None
    segments: tuple[SegmentContribution, ...]
    reason: str | None = None

    def top(self) -> SegmentContribution | None:
        """The segment that moved the KPI most, when anything moved."""
        if not self.segments or self.change is None:
            return None
        best = self.segments[0]
        return best if best.contribution else None


def _f(x: float | None) -> float:
    return 0.0 if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def _div(a: float, b: float) -> float | None:
    return None if b == 0 else a / b


def _clean(rows: Sequence[SegmentSums]) -> list[SegmentSums]:
    return [replace(r, previous_num=_f(r.previous_num), previous_den=_f(r.previous_den),
                    current_num=_f(r.current_num), current_den=_f(r.current_den)) for r in rows]


def _sort_key(s: SegmentContribution) -> tuple:
    size = max(abs(s.current_weight or 0.0), abs(s.previous_weight or 0.0))
    return (-abs(s.contribution or 0.0), -size, s.merged > 0, s.segment is None, s.segment or "")


def _attribute_sum(rows: list[SegmentSums], has_previous: bool) -> Attribution:
    n0 = sum(r.previous_num for r in rows)
    n1 = sum(r.current_num for r in rows)
    change = n1 - n0 if has_previous else None
    out = []
    for r in rows:
        contribution = r.current_num - r.previous_num if has_previous else None
        out.append(SegmentContribution(
            r.segment, r.previous_num if has_previous else None, r.current_num,
            _div(r.previous_num, n0) if has_previous else None, _div(r.current_num, n1),
            None, None, contribution,
            None if contribution is None or not change else contribution / change, r.merged))
    return Attribution(Mode.SUM, n0 if has_previous else None, n1, change, tuple(sorted(out, key=_sort_key)),
                       None if has_previous else str(Reason.MISSING_VALUE))


def _attribute_rate(rows: list[SegmentSums], has_previous: bool) -> Attribution:
    d0 = sum(r.previous_den for r in rows)
    d1 = sum(r.current_den for r in rows)
    n0 = sum(r.previous_num for r in rows)
    n1 = sum(r.current_num for r in rows)
    total0 = _div(n0, d0) if has_previous else None
    total1 = _div(n1, d1)
    reason = None
    if not has_previous:
        reason = str(Reason.MISSING_VALUE)
    elif total0 is None or total1 is None:
        reason = str(Reason.ZERO_DENOMINATOR)
    change = None if reason else total1 - total0  # type: ignore[operator]
    out = []
    for r in rows:
        r0 = _div(r.previous_num, r.previous_den) if has_previous else None
        r1 = _div(r.current_num, r.current_den)
        w0 = _div(r.previous_den, d0) if has_previous else None
        w1 = _div(r.current_den, d1)
        rate_effect = mix_effect = contribution = share = None
        if change is not None:
            assert total0 is not None and total1 is not None and w0 is not None and w1 is not None
            a0 = r0 if r0 is not None else (r1 if r1 is not None else 0.0)   # a missing rate takes the other one
            a1 = r1 if r1 is not None else a0
            mean_total = (total0 + total1) / 2
            rate_effect = (w0 + w1) / 2 * (a1 - a0)
            mix_effect = ((a0 + a1) / 2 - mean_total) * (w1 - w0)
            odd = (r.current_num / d1 if r.current_den == 0 else 0.0) - \
                  (r.previous_num / d0 if r.previous_den == 0 else 0.0)
            contribution = rate_effect + mix_effect + odd
            share = contribution / change if change else None
        out.append(SegmentContribution(r.segment, r0, r1, w0, w1, rate_effect, mix_effect, contribution, share,
                                       r.merged))
    return Attribution(Mode.RATE, total0, total1, change, tuple(sorted(out, key=_sort_key)), reason)


def attribute(rows: Sequence[SegmentSums], mode: Mode | str, *, has_previous: bool = True) -> Attribution:
    """Split the change of the KPI between the segments (see the module docstring).

    ``has_previous`` False: the previous period is not in the data; only current values come back.
    """
    mode = Mode(mode)
    cleaned = _clean(rows)
    if mode is Mode.SUM:
        return _attribute_sum(cleaned, has_previous)
    return _attribute_rate(cleaned, has_previous)


def group_small(rows: Sequence[SegmentSums], keep: int, mode: Mode | str = Mode.RATE) -> list[SegmentSums]:
    """The ``keep`` largest segments, and one merged row for the rest (sums add, so nothing is lost).

    Size is the larger of the two periods' denominators (rate) or |numerators| (sum).
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    mode = Mode(mode)
    cleaned = _clean(rows)
    if len(cleaned) <= keep + 1:
        return cleaned

    def size(r: SegmentSums) -> float:
        if mode is Mode.SUM:
            return max(abs(r.previous_num), abs(r.current_num))
        return max(r.previous_den, r.current_den)

    ranked = sorted(cleaned, key=lambda r: (-size(r), r.segment is None, r.segment or ""))
    head, tail = ranked[:keep], ranked[keep:]
    other = SegmentSums(None, sum(r.previous_num for r in tail), sum(r.previous_den for r in tail),
                        sum(r.current_num for r in tail), sum(r.current_den for r in tail),
                        merged=sum(max(r.merged, 1) for r in tail))
    return [*head, other]


# ---- channel quality: volume without quality ---------------------------------------------------------

class ChannelFlag(StrEnum):
    VOLUME_WITHOUT_QUALITY = "volume_without_quality"   # a large share of new users, poor quality
    LOW_QUALITY = "low_quality"                         # poor quality, small volume
    OK = "ok"


@dataclass(frozen=True)
class ChannelRow:
    """One acquisition channel: its new users and their quality (effective share, D7 retention)."""

    channel: str | None
    new_users: float
    effective_share: float | None
    retention_d7: float | None = None


QUALITY_TOLERANCE = 0.8


def channel_flags(rows: Sequence[ChannelRow], overall_effective_share: float | None,
                  overall_retention_d7: float | None = None, *,
                  tolerance: float = QUALITY_TOLERANCE) -> list[ChannelFlag | None]:
    """A verdict per channel, in the order given (the guide: twice the users, a tenth effective).

    Quality is low when the channel's effective share (or its D7 retention) is under ``tolerance`` ×
    the overall value; a low-quality channel that brings at least an average channel's share of the
    new users (1 / number of channels) is ``volume_without_quality``. None: nothing to judge by.
    """
    total = sum(max(_f(r.new_users), 0.0) for r in rows)
    fair_share = 1 / len(rows) if rows else 0.0
    out: list[ChannelFlag | None] = []
    for r in rows:
        checks = [(r.effective_share, overall_effective_share), (r.retention_d7, overall_retention_d7)]
        judged = [(v, o) for v, o in checks if v is not None and o is not None and o > 0]
        if not judged or r.new_users <= 0:
            out.append(None)
            continue
        low = any(v < tolerance * o for v, o in judged)
        if not low:
            out.append(ChannelFlag.OK)
        elif total and r.new_users / total >= fair_share:
            out.append(ChannelFlag.VOLUME_WITHOUT_QUALITY)
        else:
            out.append(ChannelFlag.LOW_QUALITY)
    return out


def segment_rates(segments: Sequence[str], nums: Sequence[float | None],
                  dens: Sequence[float | None]) -> dict[str, float | None]:
    """Each segment's rate from its sums; None where the denominator is zero or missing."""
    return {s: ratio(n, d).value for s, n, d in zip(segments, nums, dens)}


def volume_shares(rows: Sequence[ChannelRow]) -> list[float | None]:
    """Each channel's share of all new users; None for every channel when there are none."""
    total = sum(r.new_users for r in rows)
    return [ratio(r.new_users, total).value for r in rows]
