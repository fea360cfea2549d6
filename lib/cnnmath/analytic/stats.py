"""Summaries over seeds: mean, sample standard deviation, confidence interval, Welch's test, and the
Hodges–Lehmann shift with its exact distribution-free (Mann–Whitney) confidence interval.

Every spread in the analytic chapter is the sample standard deviation (``ddof = 1``). Welch's
unequal-variance t-test compares means; its interval assumes roughly normal seed-to-seed
variation and is widened without bound by one seed on which a network fails to train. A
comparison whose verdict must survive such seeds is stated with :func:`hodges_lehmann`, whose
interval depends on the ranks of the pairwise differences only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

__all__ = ["Shift", "Summary", "Welch", "hodges_lehmann", "mann_whitney_null", "summarize", "welch"]


@dataclass(frozen=True)
class Summary:
    """``n`` values: mean, sample sd (ddof = 1) and the two-sided ``level`` t-interval of the mean."""

    n: int
    mean: float
    sd: float
    lo: float
    hi: float

    def __str__(self) -> str:
        return f"{self.mean:.4g} ± {self.sd:.2g} (n = {self.n})"


def summarize(values: Sequence[float], level: float = 0.95) -> Summary:
    """Mean, sd (ddof = 1) and ``mean ± t_{(1+level)/2, n-1} · sd/√n``; ``n ≥ 2``.

    >>> s = summarize([1.0, 2.0, 3.0]); (s.mean, s.sd, round(s.hi - s.mean, 4))
    (2.0, 1.0, 2.4841)
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or len(v) < 2:
        raise ValueError(f"values must be a sequence of ≥ 2 numbers, got shape {v.shape}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    mean, sd = float(v.mean()), float(v.std(ddof=1))
    half = float(st.t.ppf((1 + level) / 2, len(v) - 1)) * sd / math.sqrt(len(v))
    return Summary(len(v), mean, sd, mean - half, mean + half)


@dataclass(frozen=True)
class Welch:
    """Welch's t-test of ``mean(a) - mean(b)``: the difference, ``t``, degrees of freedom, two-sided ``p``,
    and the 95 % confidence interval ``[lo, hi]`` of the difference (``diff ± t_{0.975, dof} · se``)."""

    diff: float
    t: float
    dof: float
    p: float
    lo: float
    hi: float


def welch(a: Sequence[float], b: Sequence[float]) -> Welch:
    """Welch's unequal-variance t-test (two-sided) of two samples of ≥ 2 values each.

    ``t = (ā - b̄)/√(s_a²/n_a + s_b²/n_b)``, Welch–Satterthwaite degrees of freedom. Two samples
    without any spread give ``t = ±inf`` (or ``nan`` when equal) and ``p`` 0 (or 1).
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if len(x) < 2 or len(y) < 2:
        raise ValueError(f"each sample needs ≥ 2 values, got {len(x)} and {len(y)}")
    va, vb = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    diff = float(x.mean() - y.mean())
    if va + vb == 0:
        return Welch(diff, math.copysign(math.inf, diff) if diff else math.nan, math.nan, 0.0 if diff else 1.0,
                     diff, diff)
    se = math.sqrt(va + vb)
    t = diff / se
    dof = (va + vb) ** 2 / (va**2 / (len(x) - 1) + vb**2 / (len(y) - 1))
    half = float(st.t.ppf(0.975, dof)) * se
    return Welch(diff, float(t), float(dof), float(2 * st.t.sf(abs(t), dof)), diff - half, diff + half)


def mann_whitney_null(n: int, m: int) -> list[int]:
    """Exact null distribution of the Mann–Whitney count ``U = #{(i, j): a_i > b_j}``: entry ``u`` is
    the number of the ``C(n + m, n)`` equally likely rank arrangements of two continuous i.i.d.
    samples of sizes ``n`` and ``m`` with ``U = u`` (``u = 0 … n·m``).

    The counts are the coefficients of the Gaussian binomial
    ``[n + m choose n]_q = ∏_{i=1}^{n} (1 − q^{m+i}) / (1 − q^i)``, computed exactly in integers.

    >>> mann_whitney_null(2, 2)
    [1, 1, 2, 1, 1]
    """
    if not (isinstance(n, int) and isinstance(m, int)) or n < 1 or m < 1:
        raise ValueError(f"n and m must be integers ≥ 1, got n = {n!r}, m = {m!r}")
    top = n * m
    c = [1] + [0] * top
    for i in range(1, n + 1):
        for u in range(top, m + i - 1, -1):  # times (1 − q^{m+i})
            c[u] -= c[u - m - i]
        for u in range(i, top + 1):  # divided by (1 − q^i), as a power series
            c[u] += c[u - i]
    return c


@dataclass(frozen=True)
class Shift:
    """Hodges–Lehmann shift of ``a`` against ``b`` (``estimate``) and its exact distribution-free
    interval ``[lo, hi]``: the ``k``-th smallest and ``k``-th largest of the ``n·m`` pairwise
    differences, which covers the true shift with probability ``coverage ≥ level``."""

    estimate: float
    lo: float
    hi: float
    k: int
    coverage: float


def hodges_lehmann(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Shift:
    """Hodges–Lehmann estimate of the shift ``Δ`` in ``a ~ F(x − Δ)``, ``b ~ F(x)`` and its exact
    Mann–Whitney confidence interval (Hodges & Lehmann 1963; Lehmann, *Nonparametrics*, §2.6).

    With the ordered pairwise differences ``D_(1) ≤ … ≤ D_(nm)`` of ``a_i − b_j``, the estimate is
    their median and the interval is ``[D_(k), D_(nm+1−k)]``, where ``k − 1`` is the largest ``u``
    with ``P₀(U ≤ u) ≤ (1 − level)/2`` under the exact null distribution of the Mann–Whitney
    count (:func:`mann_whitney_null`). It is the set of shifts that the two-sided exact
    Mann–Whitney test does not reject, so it holds ``Δ`` with probability
    ``1 − 2·P₀(U ≤ k − 1) ≥ level`` for every continuous ``F`` (ties, as in accuracies on a
    finite test set, only make it conservative): no normality is assumed, and while
    ``k < min(n, m)`` a largest ``a`` or smallest ``b`` moved further out leaves ``lo`` unchanged
    (and a smallest ``a`` or largest ``b`` leaves ``hi``) — one network that fails to train on
    one seed moves only the end it lies towards. With samples too small for the
    level (``k = 0``) the interval is the whole line.

    >>> r = hodges_lehmann([3.0, 4.0, 5.0, 6.0, 7.0], [1.0, 2.0, 2.5, 3.0, -50.0])
    >>> (r.estimate, r.lo, r.hi, r.k, round(r.coverage, 4))
    (3.5, 1.0, 55.0, 3, 0.9683)
    """
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    for name, v in (("a", x), ("b", y)):
        if v.ndim != 1 or len(v) < 1 or not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be a non-empty sequence of finite numbers, got {v.tolist()!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n, m = len(x), len(y)
    d = np.sort(np.subtract.outer(x, y).ravel())
    counts = mann_whitney_null(n, m)
    total, tail, k = math.comb(n + m, n), 0, 0
    while 2 * (tail + counts[k]) <= (1.0 - level) * total * (1 + 1e-12):
        tail += counts[k]
        k += 1
    lo, hi = (float(d[k - 1]), float(d[n * m - k])) if k else (-math.inf, math.inf)
    return Shift(float(np.median(d)), lo, hi, k, 1.0 - 2 * tail / total)
