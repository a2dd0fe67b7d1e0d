"""A/B comparison of two conversion rates: literal results of the two-proportion z-test."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.abtest import Variant, Verdict, compare_rates, normal_cdf, sample_size_per_variant

# (A visitors, conversions), (B ...), expected fields
CASES = [
    ((1000, 100), (1000, 130), dict(rate_a=0.1, rate_b=0.13, absolute_lift=0.03, relative_lift=0.3,
                                    ci_low=0.0020679344, ci_high=0.0579320656, z=2.1027406056,
                                    p_value=0.0354884505, needed_per_variant=1774, verdict=Verdict.B_BETTER)),
    ((2000, 300), (2000, 240), dict(rate_a=0.15, rate_b=0.12, absolute_lift=-0.03, relative_lift=-0.2,
                                    ci_low=-0.0511594429, ci_high=-0.0088405571, z=-2.7761716616,
                                    p_value=0.0055003159, needed_per_variant=2036, verdict=Verdict.A_BETTER)),
    ((1000, 100), (1000, 105), dict(rate_a=0.1, rate_b=0.105, absolute_lift=0.005, relative_lift=0.05,
                                    ci_low=-0.0215844388, ci_high=0.0315844388, z=0.3686174116,
                                    p_value=0.7124129156, needed_per_variant=57763, verdict=Verdict.NO_DIFFERENCE)),
    ((200, 20), (200, 20), dict(rate_a=0.1, rate_b=0.1, absolute_lift=0.0, relative_lift=0.0, z=0.0, p_value=1.0,
                                needed_per_variant=None, verdict=Verdict.NO_DIFFERENCE)),
    ((50, 3), (50, 9), dict(rate_a=0.06, rate_b=0.18, relative_lift=2.0, p_value=0.064838157, small_sample=True,
                            needed_per_variant=114, verdict=Verdict.TOO_SMALL)),
    ((100, 0), (100, 0), dict(rate_a=0.0, rate_b=0.0, relative_lift=None, z=None, p_value=None, small_sample=True,
                              verdict=Verdict.TOO_SMALL)),
]


@pytest.mark.parametrize("a, b, expected", CASES)
def test_compare_rates(a, b, expected):
    got = compare_rates(Variant(*a), Variant(*b))
    for name, want in expected.items():
        value = getattr(got, name)
        if isinstance(want, float):
            assert value == pytest.approx(want, rel=1e-7, abs=1e-10), name
        else:
            assert value == want, name


@pytest.mark.parametrize("a, b, reason", [
    ((0, 0), (100, 5), "zero_denominator"),
    ((100, 5), (100, 101), "invalid_input"),
    ((100, -1), (100, 5), "invalid_input"),
])
def test_invalid_inputs_give_no_numbers(a, b, reason):
    got = compare_rates(Variant(*a), Variant(*b))
    assert (got.verdict, got.reason_code, got.p_value, got.rate_a) == (Verdict.INVALID, reason, None, None)


def test_significant_only_below_five_percent():
    got = compare_rates(Variant(1000, 100), Variant(1000, 130))
    assert got.significant and got.p_value < 0.05 and got.ci_low > 0


def test_sample_size_literal():
    assert sample_size_per_variant(0.10, 0.12) == 3841
    assert sample_size_per_variant(0.10, 0.10) is None


def test_normal_cdf_literals():
    assert normal_cdf(0) == 0.5
    assert normal_cdf(1.959963984540054) == pytest.approx(0.975)


@given(n=st.integers(min_value=20, max_value=10**6), data=st.data())
def test_swapping_variants_flips_the_lift_and_keeps_the_p_value(n, data):
    ca = data.draw(st.integers(min_value=0, max_value=n))
    cb = data.draw(st.integers(min_value=0, max_value=n))
    ab = compare_rates(Variant(n, ca), Variant(n, cb))
    ba = compare_rates(Variant(n, cb), Variant(n, ca))
    assert ab.absolute_lift == pytest.approx(-ba.absolute_lift, abs=1e-12)
    assert (ab.p_value is None) == (ba.p_value is None)
    if ab.p_value is not None:
        assert ab.p_value == pytest.approx(ba.p_value, abs=1e-9)
        assert 0.0 <= ab.p_value <= 1.0
    assert ab.ci_low <= ab.absolute_lift <= ab.ci_high
