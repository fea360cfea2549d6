"""Tests of cnnmath.analytic.stats against scipy and numpy references, over many random samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from cnnmath.analytic import stats as S
from scipy import stats as st


@pytest.mark.parametrize("seed", range(20))
def test_summary_is_sample_sd_and_t_interval(seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=int(rng.integers(2, 12)))
    s = S.summarize(v, level=0.9)
    assert s.sd == pytest.approx(np.std(v, ddof=1), rel=1e-12)
    lo, hi = st.t.interval(0.9, len(v) - 1, loc=v.mean(), scale=st.sem(v))
    assert (s.lo, s.hi) == pytest.approx((lo, hi), rel=1e-10)


@pytest.mark.parametrize("seed", range(20))
def test_welch_equals_scipy(seed):
    rng = np.random.default_rng(100 + seed)
    a = rng.normal(0.0, 1.0, size=int(rng.integers(2, 10)))
    b = rng.normal(0.5, 3.0, size=int(rng.integers(2, 10)))
    w, ref = S.welch(a, b), st.ttest_ind(a, b, equal_var=False)
    assert (w.t, w.p) == pytest.approx((ref.statistic, ref.pvalue), rel=1e-9)
    assert w.diff == pytest.approx(a.mean() - b.mean())
    ci = ref.confidence_interval(0.95)
    assert (w.lo, w.hi) == pytest.approx((ci.low, ci.high), rel=1e-9)


def test_welch_without_spread():
    assert S.welch([1.0, 1.0], [0.0, 0.0]).p == 0.0
    assert math.isnan(S.welch([1.0, 1.0], [1.0, 1.0]).t)


def test_bad_inputs():
    with pytest.raises(ValueError, match="≥ 2 numbers"):
        S.summarize([1.0])
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        S.summarize([1.0, 2.0], level=1.0)
    with pytest.raises(ValueError, match="each sample needs ≥ 2 values"):
        S.welch([1.0], [1.0, 2.0])
