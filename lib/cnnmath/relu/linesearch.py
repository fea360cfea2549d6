"""Kinks of a piecewise-linear function along lines (``PointsOnLine``, Algorithm 1 of Rolnick & Kording,
ICML 2020).

The kinks of ``N`` along a segment are the points where the segment crosses a boundary
``B_z = {x : z(x) = 0}``: :func:`points_on_line` finds all of them on a segment, :func:`kink_near`
the single kink near a point on many short lines at once.
"""

from __future__ import annotations

import numpy as np

from cnnmath.relu.oracle import OracleError, ScalarView

__all__ = ["kink_near", "points_on_line"]


_EPS = np.finfo(np.float64).eps


def points_on_line(
    g: ScalarView,
    x0: np.ndarray,
    x1: np.ndarray,
    *,
    n_init: int = 8,
    rtol: float = 1e-7,
    min_len: float = 1e-13,
    max_intervals: int = 100_000,
) -> np.ndarray:
    """Kinks of ``t ↦ g(x0 + t (x1 − x0))`` on ``[0, 1]`` (``PointsOnLine`` (Algorithm 1)).

    Each interval ``[a, b]`` gets secant slopes on its first and last quarters; equal slopes and a
    consistent chord mean it is affine. Otherwise the two end lines are intersected at ``t*``
    and ``t*`` is accepted only if ``g(t*)`` lies on them *and* the one-sided slopes at ``t* ∓ h``
    equal the two end slopes — without that slope check an interval with two kinks can return a
    spurious ``t*`` on its first piece (the pitfall noted for Jagielski et al.'s sweep). Failing
    intervals are cut into thirds at the quarter points. A kink sitting exactly on a cut point is
    found afterwards as two adjacent affine intervals with different slopes.

    Parameters
    ----------
    g : ScalarView
    x0, x1 : ndarray, shape (n_in,)
    n_init : int
        Initial number of equal intervals.
    rtol : float
        Relative slope tolerance of the affinity test.
    min_len : float
        Intervals shorter than this (in ``t``) with a slope change are reported as a kink at
        their midpoint.
    max_intervals : int
        Guard: more pending intervals than this means ``g`` is not piecewise linear.

    Returns
    -------
    ndarray, shape (k,)
        Sorted kink positions ``t`` in (0, 1).

    Examples
    --------
    >>> from cnnmath.relu.oracle import Oracle
    >>> g = ScalarView(Oracle(lambda x: np.abs(x - 0.3).sum(1), 1), np.random.default_rng(0))
    >>> np.round(points_on_line(g, np.array([-1.0]), np.array([1.0])), 12)
    array([0.65])
    """
    x0 = np.asarray(x0, dtype=np.float64)
    d = np.asarray(x1, dtype=np.float64) - x0

    def value(t: np.ndarray) -> np.ndarray:
        return g(x0[None, :] + t[:, None] * d[None, :])

    t0 = np.linspace(0.0, 1.0, n_init + 1)
    v0 = value(t0)
    pending = np.stack([t0[:-1], t0[1:], v0[:-1], v0[1:]], axis=1)
    # round-off of g is ~eps·(size of the computation), not eps·|g| (g may cross 0 where the
    # hidden units are large); bound that size by |g| and |∇g|·|x| seen on the initial grid
    dn = np.linalg.norm(d) + 1e-300
    floor = np.max(np.abs(v0)) + np.max(np.abs(np.diff(v0))) * n_init * (np.linalg.norm(x0) + dn) / dn
    linear: list[np.ndarray] = []
    kinks: list[float] = []
    while len(pending):
        if len(pending) > max_intervals:
            raise OracleError(f"points_on_line: over {max_intervals} open intervals on one line;"
                              " the oracle does not behave like a piecewise-linear function")
        ta, tb, ga, gb = pending.T
        length = tb - ta
        q1, q3 = ta + length / 4, tb - length / 4
        g1, g3 = np.split(value(np.concatenate([q1, q3])), 2)
        sl, sr = (g1 - ga) / (length / 4), (gb - g3) / (length / 4)
        gmax = np.maximum(np.max(np.abs([ga, gb, g1, g3]), axis=0), floor) + 1e-300
        noise = 16 * _EPS * gmax / (length / 4)
        same = np.abs(sl - sr) <= rtol * (np.abs(sl) + np.abs(sr)) + noise
        chord = np.abs(ga + sl * length - gb) <= rtol * np.abs(sl) * length + 64 * _EPS * gmax
        is_lin = same & chord
        linear.append(np.stack([ta[is_lin], tb[is_lin], sl[is_lin], noise[is_lin]], axis=1))
        tiny = ~is_lin & (length < min_len)
        kinks += list((ta[tiny] + tb[tiny]) / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            ts = (gb - ga + sl * ta - sr * tb) / (sl - sr)
        cand = ~is_lin & ~tiny & ~same & (ts >= q1) & (ts <= q3)
        ok = np.zeros_like(cand)
        if cand.any():
            c = np.flatnonzero(cand)
            h = length[c] * 1e-4
            gs, gm, gp = np.split(value(np.concatenate([ts[c], ts[c] - h, ts[c] + h])), 3)
            jump = np.abs(sl[c] - sr[c])
            tol_s = 1e-2 * jump + 16 * _EPS * gmax[c] / h
            ok[c] = ((np.abs((gs - gm) / h - sl[c]) <= tol_s)
                     & (np.abs((gp - gs) / h - sr[c]) <= tol_s)
                     & (np.abs(gs - ga[c] - sl[c] * (ts[c] - ta[c])) <= 1e-2 * jump * h + 64 * _EPS * gmax[c]))
        kinks += list(ts[ok])
        split = ~is_lin & ~tiny & ~ok
        s = np.flatnonzero(split)
        pending = np.concatenate([
            np.stack([ta[s], q1[s], ga[s], g1[s]], axis=1),
            np.stack([q1[s], q3[s], g1[s], g3[s]], axis=1),
            np.stack([q3[s], tb[s], g3[s], gb[s]], axis=1),
        ])
    lin = np.concatenate(linear)
    lin = lin[np.argsort(lin[:, 0])]
    for prev, nxt in zip(lin[:-1], lin[1:]):
        if prev[1] == nxt[0]:
            tol = 100 * (rtol * (abs(prev[2]) + abs(nxt[2])) + prev[3] + nxt[3])
            if abs(prev[2] - nxt[2]) > tol:
                kinks.append(prev[1])
    return np.sort(np.asarray(kinks, dtype=np.float64))


def kink_near(
    g: ScalarView, points: np.ndarray, dirs: np.ndarray, a: float | np.ndarray
) -> np.ndarray:
    """The single kink of ``s ↦ g(p + s d)`` in ``[−a/2, a/2]``, for many lines at once.

    Two lines are fitted from ``s = −a, −a/2`` and ``a/2, a`` and intersected; the result is kept
    only if ``g`` is on them there and the one-sided slopes at ``s* ∓ 10⁻³a`` match (7 queries
    per line). Lines with no kink, or more than one, give NaN.

    Parameters
    ----------
    points, dirs : ndarray, shape (m, n_in)
    a : float or ndarray of shape (m,)

    Returns
    -------
    ndarray, shape (m,)
        Kink offsets ``s*`` (in units of ``|d|``), NaN where none was verified.
    """
    m = len(points)
    a = np.broadcast_to(np.asarray(a, dtype=np.float64), (m,))
    grid = np.array([-1.0, -0.5, 0.5, 1.0])
    x = points[:, None, :] + (grid[None, :] * a[:, None])[:, :, None] * dirs[:, None, :]
    v = g(x.reshape(-1, points.shape[1])).reshape(m, 4)
    sl = (v[:, 1] - v[:, 0]) / (a / 2)
    sr = (v[:, 3] - v[:, 2]) / (a / 2)
    gmax = np.abs(v).max(axis=1) + 1e-300
    jump = np.abs(sl - sr)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = (v[:, 3] - v[:, 0] - (sr + sl) * a) / (sl - sr)
    good = (jump > 1e-7 * (np.abs(sl) + np.abs(sr)) + 64 * _EPS * gmax / a) & (np.abs(s) < a / 2)
    out = np.full(m, np.nan)
    if good.any():
        c = np.flatnonzero(good)
        h = a[c] * 1e-3
        offs = np.stack([s[c], s[c] - h, s[c] + h], axis=1)
        x = points[c, None, :] + offs[:, :, None] * dirs[c, None, :]
        w = g(x.reshape(-1, points.shape[1])).reshape(len(c), 3)
        tol = 1e-2 * jump[c] + 16 * _EPS * gmax[c] / h
        ok = ((np.abs((w[:, 0] - w[:, 1]) / h - sl[c]) <= tol)
              & (np.abs((w[:, 2] - w[:, 0]) / h - sr[c]) <= tol)
              & (np.abs(w[:, 0] - v[c, 0] - sl[c] * (s[c] + a[c])) <= 1e-2 * jump[c] * h + 64 * _EPS * gmax[c]))
        out[c[ok]] = s[c][ok]
    return out
