"""Summaries over seeds: mean, sample standard deviation, confidence interval, Welch's test.

Every spread in the analytic chapter is the sample standard deviation (``ddof = 1``); a
difference between two settings is called significant only by Welch's unequal-variance t-test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as st

__all__ = ["Summary", "Welch", "summarize", "welch"]


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
