"""Tests of cnnmath.analytic.stats against scipy and numpy references, over many random samples."""

from __future__ import annotations

import itertools
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


# --- Hodges–Lehmann shift and its exact Mann–Whitney interval ---------------------------------


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (3, 3), (4, 6), (5, 5), (7, 2)])
def test_mann_whitney_null_equals_enumeration(n, m):
    """The Gaussian-binomial counts equal the U values of all C(n+m, n) rank arrangements."""
    counts = [0] * (n * m + 1)
    for pos in itertools.combinations(range(n + m), n):  # ranks of a among the pooled sample
        counts[sum(p - i for i, p in enumerate(pos))] += 1  # U = Σ (rank of a_i − i) = #{a_i > b_j}
    assert S.mann_whitney_null(n, m) == counts
    assert sum(counts) == math.comb(n + m, n)


@pytest.mark.parametrize("seed", range(30))
def test_hodges_lehmann_equals_brute_force(seed):
    """The interval is the brute-force inversion of scipy's exact two-sided Mann–Whitney test:
    every shift between two consecutive pairwise differences is inside it iff p > 1 − level."""
    rng = np.random.default_rng(300 + seed)
    n, m = (int(v) for v in rng.integers(3, 8, size=2))
    a, b = rng.normal(0.5, 1.0, size=n), rng.standard_t(3, size=m)
    level = [0.8, 0.9, 0.95][seed % 3]
    r = S.hodges_lehmann(a, b, level)
    d = np.sort([x - y for x in a for y in b])
    assert r.estimate == pytest.approx(np.median(d), abs=1e-15)
    mids = np.concatenate([[d[0] - 1.0], (d[1:] + d[:-1]) / 2, [d[-1] + 1.0]])
    for delta in mids:
        p = st.mannwhitneyu(a - delta, b, alternative="two-sided", method="exact").pvalue
        assert (r.lo < delta < r.hi) == (p > 1 - level + 1e-12), (delta, p)
    assert r.coverage >= level
    assert (r.lo in d and r.hi in d) if r.k else (r.lo, r.hi) == (-math.inf, math.inf)


@pytest.mark.parametrize(("n", "m", "dist"), [(5, 5, "normal"), (5, 5, "bimodal"), (4, 7, "exponential")])
def test_hodges_lehmann_coverage(n, m, dist):
    """Monte Carlo over 4000 shifted pairs of samples from a continuous F: the interval holds the
    true shift at least as often as ``level`` (tolerance 0.012, 3.5 binomial sd at 4000 draws),
    and within 0.02 of its exact coverage 1 − 2·P₀(U ≤ k − 1)."""
    rng, delta, level, reps = np.random.default_rng(7), 2.5, 0.95, 4000

    def draw(size):
        if dist == "normal":
            return rng.normal(size=size)
        if dist == "exponential":
            return rng.exponential(size=size)
        fail = rng.random(size) < 0.15  # a seed on which training fails: far out on one side
        return np.where(fail, rng.normal(-30.0, 10.0, size), rng.normal(0.0, 1.0, size))

    hits = 0
    for _ in range(reps):
        r = S.hodges_lehmann(draw(n) + delta, draw(m), level)
        hits += r.lo <= delta <= r.hi
    assert hits / reps >= level - 0.012
    assert hits / reps == pytest.approx(r.coverage, abs=0.02)


@pytest.mark.parametrize("seed", range(20))
def test_hodges_lehmann_shift_equivariant(seed):
    rng = np.random.default_rng(500 + seed)
    a, b, c = rng.normal(size=5), rng.normal(size=6), float(rng.normal(0.0, 10.0))
    r, rc = S.hodges_lehmann(a, b), S.hodges_lehmann(a + c, b)
    assert (rc.estimate, rc.lo, rc.hi) == pytest.approx((r.estimate + c, r.lo + c, r.hi + c), abs=1e-12)
    rb = S.hodges_lehmann(a, b - c)  # shifting b the other way is the same shift
    assert (rb.estimate, rb.lo, rb.hi) == pytest.approx((rc.estimate, rc.lo, rc.hi), abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_hodges_lehmann_end_unchanged_by_an_extreme_moved_out(seed):
    """With k < min(n, m), moving the smallest b (a plain net that fails to train) or the largest a
    further out leaves the lower end unchanged; the mirror moves leave the upper end. Welch's
    lower end is not robust in this way."""
    rng = np.random.default_rng(700 + seed)
    a, b, far = rng.normal(size=5), rng.normal(size=5), float(rng.uniform(5.0, 100.0))
    r = S.hodges_lehmann(a, b)
    assert r.k < 5
    for a2, b2, end in [
        (a, np.where(b == b.min(), b.min() - far, b), "lo"),
        (np.where(a == a.max(), a.max() + far, a), b, "lo"),
        (np.where(a == a.min(), a.min() - far, a), b, "hi"),
        (a, np.where(b == b.max(), b.max() + far, b), "hi"),
    ]:
        assert getattr(S.hodges_lehmann(a2, b2), end) == getattr(r, end)
    assert S.welch(a, np.where(b == b.min(), b.min() - far, b)).lo < S.welch(a, b).lo


def test_hodges_lehmann_small_samples_and_bad_input():
    r = S.hodges_lehmann([1.0, 2.0], [0.0, 1.0], level=0.95)  # P₀(U = 0) = 1/6 > 0.025: no bound
    assert (r.k, r.lo, r.hi, r.coverage) == (0, -math.inf, math.inf, 1.0)
    with pytest.raises(ValueError, match="a must be a non-empty sequence of finite numbers"):
        S.hodges_lehmann([], [1.0])
    with pytest.raises(ValueError, match="b must be a non-empty sequence of finite numbers"):
        S.hodges_lehmann([1.0], [math.nan])
    with pytest.raises(ValueError, match=r"level must be in \(0, 1\)"):
        S.hodges_lehmann([1.0], [2.0], level=0.0)
    with pytest.raises(ValueError, match="n and m must be integers ≥ 1"):
        S.mann_whitney_null(0, 3)
