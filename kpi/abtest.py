"""A/B comparison of two conversion rates (two-proportion z-test), pure maths.

* lift: absolute (rate B − rate A, in fraction points) and relative ((B − A) / A);
* 95 % confidence interval of the absolute difference (unpooled normal approximation);
* p-value: two-sided two-proportion z-test with the pooled rate;
* sample-size warning when a variant has fewer than 10 conversions or 10 non-conversions (the normal
  approximation does not hold), with the visitors per variant needed to detect the observed
  difference with 80 % power at the 5 % level;
* a verdict code (translated by the UI as ``kpi.ab.verdict.<code>``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from kpi.result import Reason

Z_95 = 1.959963984540054      # two-sided 5 %
Z_POWER_80 = 0.8416212335729143
MIN_EVENTS = 10
ALPHA = 0.05


class Verdict(StrEnum):
    B_BETTER = "b_better"
    A_BETTER = "a_better"
    NO_DIFFERENCE = "no_difference"    # enough data, difference not significant
    TOO_SMALL = "too_small"            # too few conversions to judge
    INVALID = "invalid"                # inputs that are not counts of visitors and conversions


@dataclass(frozen=True)
class Variant:
    visitors: int
    conversions: int

    @property
    def rate(self) -> float | None:
        return None if self.visitors <= 0 else self.conversions / self.visitors


@dataclass(frozen=True)
class ABResult:
    rate_a: float | None
    rate_b: float | None
    absolute_lift: float | None
    relative_lift: float | None
    ci_low: float | None
    ci_high: float | None
    z: float | None
    p_value: float | None
    significant: bool
    small_sample: bool
    needed_per_variant: int | None
    verdict: Verdict
    reason_code: str | None = None


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def sample_size_per_variant(rate_a: float, rate_b: float, *, z_alpha: float = Z_95,
                            z_power: float = Z_POWER_80) -> int | None:
    """Visitors per variant to detect rate_a vs rate_b (two-sided 5 %, 80 % power); None if equal."""
    diff = abs(rate_b - rate_a)
    if diff == 0:
        return None
    pooled = (rate_a + rate_b) / 2
    n = (z_alpha * math.sqrt(2 * pooled * (1 - pooled))
         + z_power * math.sqrt(rate_a * (1 - rate_a) + rate_b * (1 - rate_b))) ** 2 / diff ** 2
    return math.ceil(n)


def _invalid(reason: Reason) -> ABResult:
    return ABResult(None, None, None, None, None, None, None, None, False, True, None, Verdict.INVALID, str(reason))


def compare_rates(a: Variant, b: Variant) -> ABResult:
    """Compare variant B with variant A (the control)."""
    for v in (a, b):
        if v.visitors <= 0:
            return _invalid(Reason.ZERO_DENOMINATOR)
        if v.conversions < 0 or v.conversions > v.visitors:
            return _invalid(Reason.INVALID_INPUT)
    pa, pb = a.conversions / a.visitors, b.conversions / b.visitors
    diff = pb - pa
    relative = None if pa == 0 else diff / pa
    se_unpooled = math.sqrt(pa * (1 - pa) / a.visitors + pb * (1 - pb) / b.visitors)
    ci_low, ci_high = diff - Z_95 * se_unpooled, diff + Z_95 * se_unpooled
    pooled = (a.conversions + b.conversions) / (a.visitors + b.visitors)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / a.visitors + 1 / b.visitors))
    if se_pooled == 0:
        z, p = None, None
    else:
        z = diff / se_pooled
        p = 2 * (1 - normal_cdf(abs(z)))
    small = any(min(v.conversions, v.visitors - v.conversions) < MIN_EVENTS for v in (a, b))
    significant = p is not None and p < ALPHA and not small
    if small:
        verdict = Verdict.TOO_SMALL
    elif not significant:
        verdict = Verdict.NO_DIFFERENCE
    else:
        verdict = Verdict.B_BETTER if diff > 0 else Verdict.A_BETTER
    return ABResult(rate_a=pa, rate_b=pb, absolute_lift=diff, relative_lift=relative, ci_low=ci_low,
                    ci_high=ci_high, z=z, p_value=p, significant=significant, small_sample=small,
                    needed_per_variant=sample_size_per_variant(pa, pb), verdict=verdict)
