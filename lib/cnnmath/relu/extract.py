"""Reverse-engineering a ReLU network from queries (Rolnick & Kording, ICML 2020).

Everything here works through an :class:`~cnnmath.relu.nets.Oracle` (``x ↦ N(x)``, counted);
nothing reads weights. The stages follow the paper:

- :func:`points_on_line` — ``PointsOnLine`` (Algorithm 1): the kinks of ``N`` along a segment are the
  points where the segment crosses a boundary ``B_z = {x : z(x) = 0}`` (piecewise linearity).
- :func:`gradient_jump`, :func:`fit_hyperplane` — ``InferHyperplane``: the local boundary
  hyperplane, first from the jump of ``∇N`` across it (Algorithm 1; the jump is ``∝ w_z``), then
  refined to float64 precision from exact crossings of lines through ``p + r e_k`` for an
  orthonormal basis ``e_k`` of the normal's complement, at the hyperplane's foot (the precision
  refinement idea of Carlini, Jagielski & Mironov, CRYPTO 2020, done our own way).
- :func:`test_hyperplane` — ``TestHyperplane``: a layer-1 boundary is a whole hyperplane, a
  deeper one bends (Theorem 1), so the hyperplane is tested far from where it was found.
- :func:`first_layer` — Algorithm 1.
- :func:`second_layer` — Algorithm 2 for the second hidden layer: walk along a layer-2 boundary,
  crossing layer-1 hyperplanes; each bend ``n' = λ n + μ ŵ_i`` gives one weight (Theorem 3).
- :func:`resolve_signs`, :func:`final_layer` — signs of layer 1 from the bends, signs of the last
  hidden layer and the output layer from ``ReLU(u) = (u + |u|)/2`` by linear least squares.
- :func:`extract` — all of it, with the architecture (neurons per layer) read off on the way.

Conventions: recovered layer-1 rows are unit vectors ``ŵ_i`` with bias ``b̂_i`` (the positive
scale is free); ``h_i(x) = ŵ_i·x + b̂_i`` is then the signed distance to ``B_i``. Float64 throughout.
The formulas for reading weights off a bend and for the signs are ours (the paper's
``GetParams`` is not spelled out); they are derived in the chapter page ``book/relu/index.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from cnnmath.relu.nets import Oracle, OracleError, ReLUNet

__all__ = [
    "Extraction",
    "FirstLayer",
    "Layer2Neuron",
    "ScalarView",
    "check_piecewise_linear",
    "deeper_points",
    "extract",
    "final_layer",
    "final_layer_affine",
    "first_layer",
    "fit_hyperplane",
    "gradient_jump",
    "kink_near",
    "points_on_line",
    "resolve_signs",
    "second_layer",
    "test_hyperplane",
]

_EPS = np.finfo(np.float64).eps


class ScalarView:
    """``g(x) = r · N(x)`` for a fixed random unit ``r``: kinks of a vector output cannot cancel
    in a random projection except on a null set. One query is spent to learn ``n_out``."""

    def __init__(self, oracle: Oracle, rng: np.random.Generator) -> None:
        self.oracle = oracle
        self.n_in = oracle.n_in
        n_out = oracle(np.zeros((1, oracle.n_in))).shape[1]
        r = rng.normal(size=n_out)
        self.r = r / np.linalg.norm(r)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``(m, n_in) → (m,)``."""
        return self.oracle(x) @ self.r


def check_piecewise_linear(
    g: ScalarView, rng: np.random.Generator, n_segments: int = 32, length: float = 1e-3
) -> None:
    """Refuse an oracle that is not piecewise linear (e.g. a tanh network).

    A ReLU network is affine on all but a vanishing fraction of short segments, so
    ``g(mid) = (g(a) + g(b))/2`` to round-off on most of them; fewer than half passing raises
    :class:`OracleError`. Costs ``3 · n_segments`` queries.
    """
    a = rng.normal(size=(n_segments, g.n_in))
    d = rng.normal(size=(n_segments, g.n_in))
    d *= length / np.linalg.norm(d, axis=1, keepdims=True)
    v = g(np.concatenate([a, a + d / 2, a + d])).reshape(3, n_segments)
    scale = np.abs(v).max(axis=0) + np.abs(v[2] - v[0]) + 1e-300
    linear = np.abs(v[1] - (v[0] + v[2]) / 2) <= 1e3 * _EPS * scale
    if linear.sum() < n_segments / 2:
        raise OracleError(
            f"the oracle is not piecewise linear: only {int(linear.sum())}/{n_segments} short"
            f" segments of length {length:g} were affine to round-off; a ReLU network is affine"
            " on almost all of them"
        )


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
    >>> from cnnmath.relu.nets import Oracle
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


def gradient_jump(g: ScalarView, p: np.ndarray, d: np.ndarray, eps: float) -> np.ndarray:
    """Unit normal of the boundary through ``p`` from the jump of ``∇g`` across it (Algorithm 1).

    On the two sides ``x± = p ± eps·d`` of a boundary ``B_z`` the gradients differ by
    ``c · w_z`` (one neuron switches), so ``(∇g(x+) − ∇g(x−))/‖·‖ = ±ŵ_z``. Gradients by forward
    differences with step ``eps/1000``; ``2 (n_in + 1)`` queries. Precision ~1e-7 … 1e-5.

    Returns
    -------
    ndarray, shape (n_in,), unit norm, sign arbitrary.
    """
    n = len(p)
    h = eps * 1e-3
    base = np.stack([p + eps * d, p - eps * d])
    x = np.concatenate([base, (base[:, None, :] + h * np.eye(n)[None]).reshape(-1, n)])
    v = g(x)
    grads = (v[2:].reshape(2, n) - v[:2, None]) / h
    jump = grads[0] - grads[1]
    norm = np.linalg.norm(jump)
    if not norm > 0:
        raise OracleError("gradient_jump: no gradient jump across the point; it is not on a boundary")
    return jump / norm


def _complement_basis(d: np.ndarray) -> np.ndarray:
    """Orthonormal basis of ``d⊥`` (rows), from the Householder reflection mapping ``e_1`` to unit ``d``."""
    v = d.copy()
    v[0] -= 1.0 if d[0] <= 0 else -1.0
    h = np.eye(len(d)) - 2.0 * np.outer(v, v) / (v @ v)
    return h[1:]


def fit_hyperplane(
    g: ScalarView,
    p: np.ndarray,
    d: np.ndarray,
    r: float,
    rng: np.random.Generator,
    *,
    window: float | None = None,
    res_tol: float = 1e-7,
    n_check: int = 4,
) -> tuple[np.ndarray, float] | None:
    """Refine the boundary hyperplane through ``p`` to float64 precision (``InferHyperplane``, Algorithm 1).

    The boundary is written as a graph over ``d⊥`` (``d`` ≈ the normal):
    ``x = p + u + s(u) d`` with ``s(u) = α + β·u``. Lines parallel to ``d`` through ``p`` and
    through ``p + r e_k`` for an orthonormal basis ``e_1 … e_{n−1}`` of ``d⊥`` each cross the
    boundary once; :func:`kink_near` locates the crossings exactly (window ``[−a/2, a/2]``,
    ``a = window``, default ``r/4``), which gives ``α`` and every ``β_k = (s_k − α)/r`` with no
    linear solve, and ``n_check`` crossings in random directions of ``d⊥`` must agree with the
    plane to ``res_tol · r`` (else another boundary or a bend interfered). A line with no
    verified crossing (masked kink, or a second kink in the window) is retried at offset
    ``−r``, then ``±r/8``. The normal is ``d − β``. About ``7 (n_in + n_check)`` queries.

    Returns
    -------
    (w, b) with ``w`` of shape (n_in,) unit norm (sign arbitrary), or None when a crossing is
    missing or the check fails.
    """
    n = len(p)
    d = d / np.linalg.norm(d)
    a = r / 4 if window is None else window
    basis = _complement_basis(d)
    extra = rng.normal(size=(n_check, n))
    extra -= (extra @ d)[:, None] * d[None, :]
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    dirs = np.concatenate([np.zeros((1, n)), basis, extra])
    step = np.full(len(dirs), float(r))
    s = np.full(len(dirs), np.nan)
    for factor in (1.0, -1.0, 0.125, -0.125):
        # lines whose crossing was masked or had a second kink nearby are moved and retried
        todo = np.flatnonzero(np.isnan(s))
        if not len(todo) or np.isnan(s[0]) and factor != 1.0:
            break
        step[todo] = factor * r
        s[todo] = kink_near(g, p[None, :] + step[todo, None] * dirs[todo],
                            np.broadcast_to(d, (len(todo), n)), a)
    if not np.all(np.isfinite(s)):
        return None
    beta = (s[1:n] - s[0]) / step[1:n] @ basis
    pred = s[0] + step[n:] * (extra @ beta)
    if np.max(np.abs(pred - s[n:]), initial=0.0) > res_tol * r:
        return None
    w = d - beta
    norm = np.linalg.norm(w)
    w /= norm
    return w, float(-w @ (p + s[0] * d))


def test_hyperplane(
    g: ScalarView,
    w: np.ndarray,
    b: float,
    p: np.ndarray,
    rng: np.random.Generator,
    *,
    distance: float,
    n_tests: int = 4,
    window: float = 1e-3,
    tol: float = 1e-6,
) -> bool:
    """``TestHyperplane`` (Algorithm 1): is ``{ŵ·x + b̂ = 0}`` a boundary far from ``p`` too?

    A layer-1 boundary is a full hyperplane; a deeper boundary bends where it meets an earlier
    layer's (Theorem 1). At ``n_tests`` points at ``distance`` or ``2·distance`` (alternately)
    from ``p`` in random directions inside the hyperplane, a kink must sit on it (within
    ``tol``) along its normal. A layer-1 kink hidden there (every unit downstream inactive)
    gives a false "no" — the point then waits in ``P_2``.
    """
    v = rng.normal(size=(n_tests, len(p)))
    v -= (v @ w)[:, None] * w[None, :]
    # alternate distances d, 2d: a bent boundary can be straight for a while on one side
    v *= (distance * (1 + np.arange(n_tests) % 2) / np.linalg.norm(v, axis=1))[:, None]
    y = p[None, :] + v
    y -= (y @ w + b)[:, None] * w[None, :]
    s = kink_near(g, y, np.broadcast_to(w, y.shape), window)
    return bool(np.all(np.abs(s) < tol))


test_hyperplane.__test__ = False  # the paper's name, not a pytest test


def _canonical(w: np.ndarray, b: float) -> np.ndarray:
    row = np.append(w, b)
    return row * np.sign(row[np.argmax(np.abs(row))])


@dataclass
class FirstLayer:
    """Result of :func:`first_layer`.

    Attributes
    ----------
    weights : ndarray, shape (n_1, n_in)
        Unit rows ``ŵ_i`` (sign not yet known).
    biases : ndarray, shape (n_1,)
    deeper_points : list of ndarray
        Boundary points that failed :func:`test_hyperplane`: the set ``P_2`` of Algorithm 1.
    n_points : int
        Boundary points found on the lines (``|P_1|``).
    n_queries : int
    lines : list of (ndarray, ndarray)
        End points of the segments searched (for drawing Algorithm 1).
    """

    weights: np.ndarray
    biases: np.ndarray
    deeper_points: list[np.ndarray]
    n_points: int
    n_queries: int
    lines: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)


def first_layer(
    g: ScalarView,
    rng: np.random.Generator,
    *,
    n_lines: int,
    radius: float = 10.0,
    test_distance: float | None = None,
    r_fit: float = 1e-2,
    r_refine: float = 0.3,
) -> FirstLayer:
    """Algorithm 1: the first layer's hyperplanes, up to sign and scale.

    ``n_lines`` segments of half-length ``radius`` through ``N(0, I)`` points in random directions
    are searched with :func:`points_on_line`; at each boundary point not already on a found
    hyperplane, :func:`gradient_jump` and :func:`fit_hyperplane` infer the local hyperplane,
    :func:`test_hyperplane` (at ``test_distance``, default ``radius``) sorts it into layer 1 or
    ``P_2``. Duplicates are merged.

    Parameters
    ----------
    g : ScalarView
    rng : numpy Generator
    n_lines : int
        Number of lines (the paper: ``O(log n_1)``; we use ``⌈4 log₂ n_1⌉ + 4``-like counts).
    radius, test_distance, r_fit : float
        Segment half-length, test distance, offset radius of the hyperplane fit.
    r_refine : float
        Offset radius of the fit at the foot of the gradient-jump hyperplane (tried first, then
        with a third of it, checked to ``1e-10`` relative; the local fit at the boundary point
        is the fallback).
    """
    if n_lines < 1:
        raise ValueError(f"n_lines must be ≥ 1, got {n_lines}")
    start = g.oracle.n_queries
    n = g.n_in
    test_distance = radius if test_distance is None else test_distance
    found: list[np.ndarray] = []
    deeper: list[np.ndarray] = []
    lines: list[tuple[np.ndarray, np.ndarray]] = []
    n_points = 0
    for _ in range(n_lines):
        centre = rng.normal(size=n)
        d = rng.normal(size=n)
        d /= np.linalg.norm(d)
        ts = points_on_line(g, centre - radius * d, centre + radius * d)
        lines.append((centre - radius * d, centre + radius * d))
        n_points += len(ts)
        pts = centre - radius * d + (2 * radius * ts)[:, None] * d
        gaps = 2 * radius * np.diff(np.concatenate([[-np.inf], ts, [np.inf]]))
        for k, p in enumerate(pts):
            if found and np.min(np.abs(np.array(found)[:, :-1] @ p + np.array(found)[:, -1])) < 1e-8 * (1 + np.linalg.norm(p)):
                continue
            eps = min(1e-4, gaps[k] / 4, gaps[k + 1] / 4)
            normal = gradient_jump(g, p, d, eps)
            # if B is a layer-1 hyperplane it also passes near its foot -(n·p) n, where |x| and |N|
            # are small (less round-off): fit it there with wide offsets; a bent boundary fails
            fit = None
            for r in (r_refine, r_refine / 3):
                fit = fit_hyperplane(g, (normal @ p) * normal, normal, r, rng, window=r * 1e-2, res_tol=1e-10)
                if fit is not None:
                    break
            for r in (r_fit, r_fit / 10):
                if fit is not None:
                    break
                fit = fit_hyperplane(g, p, normal, r, rng)
            if fit is None or not test_hyperplane(g, fit[0], fit[1], p, rng, distance=test_distance):
                deeper.append(p)
                continue
            row = _canonical(*fit)
            if not any(np.max(np.abs(row - f)) < 1e-6 for f in found):
                found.append(row)
    rows = np.array(found).reshape(-1, n + 1)
    keep = [p for p in deeper if rows.size == 0 or np.min(np.abs(rows[:, :-1] @ p + rows[:, -1])) > 1e-8 * (1 + np.linalg.norm(p))]
    return FirstLayer(rows[:, :-1], rows[:, -1], keep, n_points, g.oracle.n_queries - start, lines)


@dataclass
class Layer2Neuron:
    """A second-layer neuron as recovered by :func:`second_layer`, before signs.

    With ``h_i(x) = ŵ_i·x + b̂_i``, its pre-activation up to a non-zero factor is
    ``ẑ(x) = g0·(x − p1) + Σ_i m_i (|h_i(x)| − e0_i h_i(x)) / 2``, where ``m_i = V_zi |s_i|`` in the
    units fixed by ``g0`` (``s_i`` the unknown true scale-and-sign of layer-1 neuron ``i``).

    Attributes
    ----------
    p1 : ndarray, shape (n_in,)       starting boundary point
    g0 : ndarray, shape (n_in,)       local normal at ``p1`` (fixes the unit of ẑ)
    e0 : ndarray, shape (n_1,)        ``sign h_i(p1)``
    m : ndarray, shape (n_1,)         bend weights, NaN where ``B_i`` was never crossed
    n_bends : int                     accepted crossings
    path : list of ndarray            points where ``B_z`` was found again after each crossing
    """

    p1: np.ndarray
    g0: np.ndarray
    e0: np.ndarray
    m: np.ndarray
    n_bends: int = 0
    path: list[np.ndarray] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether every layer-1 weight was read off (Theorem 3, condition iv)."""
        return bool(np.all(np.isfinite(self.m)))


def _on_neuron(p: np.ndarray, z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray) -> bool:
    """Whether ``p`` lies on ``B_z`` (zero queries); False when ``ẑ(p)`` is not known."""
    h = w1 @ p + b1
    flip = np.sign(h) != z.e0
    if not np.all(np.isfinite(z.m[flip])):
        return False
    m = np.where(flip, z.m, 0.0)
    val = (p - z.p1) @ z.g0 + (np.abs(h) - z.e0 * h) @ m / 2
    grad = z.g0 + ((np.sign(h) - z.e0) * m / 2) @ w1
    return abs(val) < 1e-6 * np.linalg.norm(grad)


def _local_normal(g: ScalarView, y: np.ndarray, d: np.ndarray, room: float,
                  rng: np.random.Generator) -> np.ndarray | None:
    eps = min(1e-4, room / 8)
    fit = fit_hyperplane(g, y, gradient_jump(g, y, d, eps), min(1e-3, room / 4), rng)
    return None if fit is None else fit[0]


def _walk(g: ScalarView, p1: np.ndarray, w1: np.ndarray, b1: np.ndarray,
          rng: np.random.Generator, margin: float, window: float, res_tol: float,
          max_failures: int, explore: bool = False) -> Layer2Neuron | None:
    """Follow one layer-2 boundary from ``p1`` across layer-1 hyperplanes (Algorithm 2).

    ``explore``: head for a random one of the three nearest uncrossed hyperplanes instead of the
    nearest (used to retry a neuron whose first walk left weights unknown)."""
    n1 = len(b1)
    room = np.min(np.abs(w1 @ p1 + b1))
    if room < margin / 5:
        return None
    d0 = rng.normal(size=len(p1))
    ts = points_on_line(g, p1 - room / 2 * d0 / np.linalg.norm(d0), p1 + room / 2 * d0 / np.linalg.norm(d0))
    if len(ts) != 1 or abs(ts[0] - 0.5) > 1e-6:
        return None
    n0 = _local_normal(g, p1, d0 / np.linalg.norm(d0), room, rng)
    if n0 is None or np.max(np.abs(w1 @ n0)) > 1 - 1e-6:
        return None
    z = Layer2Neuron(p1, n0.copy(), np.sign(w1 @ p1 + b1), np.full(n1, np.nan))
    q, grad = p1, n0.copy()
    failures = np.zeros(n1, dtype=int)
    while True:
        todo = np.flatnonzero(~np.isfinite(z.m) & (failures < 2))
        if not len(todo) or failures.sum() >= max_failures:
            return z
        h = w1 @ q + b1
        unit = grad / np.linalg.norm(grad)
        along = w1[todo] - np.outer(w1[todo] @ unit, unit)
        reach = np.abs(h[todo]) / np.maximum(np.linalg.norm(along, axis=1), 1e-12)
        near = todo[np.argsort(reach)[:3]]
        j = rng.choice(near) if explore else near[0]
        v = -np.sign(h[j]) * (w1[j] - (w1[j] @ unit) * unit)
        if np.linalg.norm(v) < 1e-6:
            failures[j] = 2
            continue
        v /= np.linalg.norm(v)
        step = _landing(h, w1 @ v, margin)
        if step is None:
            failures[j] += 1
            continue
        t_land, crossed = step
        y0 = q + t_land * v
        # search parallel to the crossed hyperplanes, so the line stays in the new region
        u = unit - w1[crossed].T @ np.linalg.lstsq(w1[crossed].T, unit, rcond=None)[0]
        if np.linalg.norm(u) < 1e-3:
            failures[j] += 1
            continue
        u /= np.linalg.norm(u)
        with np.errstate(divide="ignore"):
            s_cross = -(w1 @ y0 + b1) / (w1 @ u)
        lo = max(0.5 * np.max(s_cross[s_cross < 0], initial=-np.inf), -window)
        hi = min(0.5 * np.min(s_cross[s_cross > 0], initial=np.inf), window)
        kinks = lo + (hi - lo) * points_on_line(g, y0 + lo * u, y0 + hi * u)
        accepted = False
        for s in kinks[np.argsort(np.abs(kinks))][:3]:
            y = y0 + s * u
            room_y = min(np.min(np.abs(w1 @ y + b1)), np.min(np.abs(kinks[kinks != s] - s), initial=np.inf))
            n_new = _local_normal(g, y, u, room_y, rng)
            if n_new is None:
                continue
            basis = np.column_stack([unit, w1[crossed].T])
            coef = np.linalg.lstsq(basis, n_new, rcond=None)[0]
            if np.linalg.norm(basis @ coef - n_new) > res_tol or abs(coef[0]) < 1e-3:
                continue
            lam = coef[0] / np.linalg.norm(grad)
            m_new = coef[1:] / lam * np.sign(w1[crossed] @ y + b1[crossed])
            known = np.isfinite(z.m[crossed])
            z.m[crossed[~known]] = m_new[~known]
            q, grad = y, n_new / lam
            z.n_bends += 1
            z.path.append(y)
            accepted = bool((~known).any())
            break
        if not accepted:  # no crossing, or one that taught nothing new (no endless back-and-forth)
            failures[j] += 1


def _landing(h: np.ndarray, hv: np.ndarray, margin: float) -> tuple[float, np.ndarray] | None:
    """Where to land after crossing the nearest layer-1 hyperplanes along a direction.

    ``h`` are the signed distances of the current point, ``hv`` the rates ``ŵ_i·v``. Returns
    the step and the indices crossed, landing at least ``margin`` from every hyperplane.
    """
    with np.errstate(divide="ignore"):
        t = np.where(hv != 0, -h / hv, np.inf)
    order = np.argsort(np.where(t > 0, t, np.inf))
    tk = t[order]
    for k in range(min(3, int(np.sum(np.isfinite(tk) & (tk > 0))))):
        nxt = tk[k + 1] if k + 1 < len(tk) and np.isfinite(tk[k + 1]) else tk[k] + 1.0
        t_land = min(tk[k] + 1.5 * margin / abs(hv[order[k]]), (tk[k] + nxt) / 2)
        if np.min(np.abs(h + t_land * hv)) >= margin:
            return t_land, order[: k + 1]
    return None


def second_layer(
    g: ScalarView,
    first: FirstLayer,
    rng: np.random.Generator,
    *,
    margin: float = 5e-3,
    window: float = 0.1,
    res_tol: float = 1e-6,
    max_points: int | None = None,
    retries: int = 4,
    points: list[np.ndarray] | None = None,
    neurons: list[Layer2Neuron] | None = None,
) -> tuple[list[Layer2Neuron], int]:
    """Algorithm 2 for the second hidden layer: one neuron per unexplained boundary point.

    From a point ``p1 ∈ P_2`` on ``B_z``, walk inside the local hyperplane of ``B_z`` towards an
    uncrossed layer-1 hyperplane ``B_i`` (``ClosestBoundary`` is computed from the known layer 1,
    no queries), step ``margin`` beyond it, find ``B_z`` again on a line through the landing
    point parallel to ``B_i`` (so it stays in the new region), and measure
    its new normal ``n'``. Since ``∇z`` changes by ``± V_zi w_i`` across ``B_i``,
    ``n' = λ n + μ ŵ_i`` (residual ≤ ``res_tol``, else the kink belongs to another neuron) and
    ``m_i = (μ/λ) · sign h_i(after) = V_zi |s_i|``. Points already on a recovered ``B_z`` cost
    nothing; a walk that meets an already recovered neuron (proportional bend weights) fills in
    that neuron's missing weights. Points on no recovered boundary at the end are counted as
    unexplained (a deeper layer, Theorem 1, or a failed walk). A neuron left incomplete is walked
    again from its ``p1`` up to ``retries`` times, heading for randomly chosen near hyperplanes.

    ``points`` (default: ``P_2`` of ``first``, at most ``max_points``) and ``neurons`` (already
    recovered, extended in place) let :func:`extract` add boundary points from more lines.

    Returns
    -------
    neurons : list of Layer2Neuron
    n_unexplained : int
        Points of ``P_2`` that are on no recovered layer-2 boundary.
    """
    w1, b1 = first.weights, first.biases
    neurons = [] if neurons is None else neurons
    points = first.deeper_points[:max_points] if points is None else points
    for p in points:
        if any(_on_neuron(p, z, w1, b1) for z in neurons):
            continue
        z = _walk(g, p, w1, b1, rng, margin, window, res_tol, max_failures=2 * len(b1))
        if z is None or z.n_bends == 0:
            continue
        if not any(_merge(old, z) for old in neurons):
            neurons.append(z)
    for z in neurons:
        for _ in range(retries):
            if z.complete:
                break
            more = _walk(g, z.p1, w1, b1, rng, margin, window, res_tol,
                         max_failures=2 * len(b1), explore=True)
            if more is not None and more.n_bends:
                _merge(z, more)
    unexplained = sum(not any(_on_neuron(p, z, w1, b1) for z in neurons) for p in points)
    return neurons, unexplained


def deeper_points(
    g: ScalarView, first: FirstLayer, rng: np.random.Generator, *, n_lines: int, radius: float
) -> list[np.ndarray]:
    """More boundary points off the known layer-1 hyperplanes (new members of ``P_2``).

    :func:`points_on_line` on ``n_lines`` new random segments; a kink on a recovered layer-1
    hyperplane is recognised with zero further queries and dropped.
    """
    out = []
    for _ in range(n_lines):
        centre, d = rng.normal(size=g.n_in), rng.normal(size=g.n_in)
        d /= np.linalg.norm(d)
        ts = points_on_line(g, centre - radius * d, centre + radius * d)
        for p in centre - radius * d + (2 * radius * ts)[:, None] * d:
            if np.min(np.abs(first.weights @ p + first.biases), initial=np.inf) > 1e-8 * (1 + np.linalg.norm(p)):
                out.append(p)
    return out


def _merge(old: Layer2Neuron, new: Layer2Neuron, tol: float = 1e-6) -> bool:
    """If ``new`` is the neuron ``old`` (bend weights proportional on ≥ 3 common entries), fill
    ``old``'s unknown weights from ``new`` and return True."""
    common = np.isfinite(old.m) & np.isfinite(new.m)
    a, b = old.m[common], new.m[common]
    if common.sum() < 3 or not a @ a > 0:
        return False
    c = (a @ b) / (a @ a)
    if np.linalg.norm(b - c * a) > tol * np.linalg.norm(b) or c == 0:
        return False
    fill = ~np.isfinite(old.m) & np.isfinite(new.m)
    old.m[fill] = new.m[fill] / c
    old.n_bends += new.n_bends
    old.path += new.path
    return True


def resolve_signs(first: FirstLayer, neurons: list[Layer2Neuron]) -> np.ndarray:
    """Signs ``σ_i`` of the layer-1 neurons from complete layer-2 neurons (Theorem 3's by-product).

    Writing ``ReLU(σ h) = (|h| + σ h)/2``, the affine part of each complete ``ẑ`` gives
    ``g0 − Σ_i m_i e0_i ŵ_i / 2 = Σ_i (m_i σ_i / 2) ŵ_i``: linear in ``σ``; all neurons are stacked
    into one least-squares problem and ``σ`` rounded to ±1.

    Returns
    -------
    ndarray, shape (n_1,), entries ±1.
    """
    done = [z for z in neurons if z.complete]
    if not done:
        raise ValueError("resolve_signs needs at least one complete layer-2 neuron, got none")
    w1 = first.weights
    a = np.concatenate([w1.T * (z.m / 2)[None, :] for z in done])
    rhs = np.concatenate([z.g0 - (z.m * z.e0 / 2) @ w1 for z in done])
    sigma = np.linalg.lstsq(a, rhs, rcond=None)[0]
    return np.where(sigma >= 0, 1.0, -1.0)


def final_layer(
    oracle: Oracle,
    hidden: Callable[[np.ndarray], np.ndarray],
    straddle: np.ndarray,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Signs of the last hidden layer and the output layer, by linear least squares.

    With the last hidden pre-activations known up to a non-zero factor, ``û_z = κ_z u_z``,
    ``N(x) = Σ_z a_z ReLU(u_z) + d = Σ_z (P_z û_z + Q_z |û_z|) + d`` with ``P_z = a_z/(2κ_z)``,
    ``Q_z = a_z/(2|κ_z|)``: linear in ``(P, Q, d)``. Then ``sign κ_z = sign(P_z·Q_z)`` and the output
    weights of ``sign(κ_z) û_z`` are ``2 Q_z``. Queries: ``4K + 50`` Gaussian points (times
    ``scale``) plus the ``straddle`` points (two per neuron, on both sides of its boundary).

    Parameters
    ----------
    hidden : callable
        ``(m, n_in) → (m, K)`` values ``û``.
    straddle : ndarray, shape (s, n_in)

    Returns
    -------
    signs (K,), out_weights (n_out, K), out_bias (n_out,), relative residual of the fit
    """
    k = hidden(straddle[:1]).shape[1]
    x = np.concatenate([scale * rng.normal(size=(4 * k + 50, oracle.n_in)), straddle])
    y = oracle(x)
    u = hidden(x)
    design = np.column_stack([u, np.abs(u), np.ones(len(x))])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    p, q, d = coef[:k], coef[k:2 * k], coef[-1]
    signs = np.where(np.sum(p * q, axis=1) >= 0, 1.0, -1.0)
    resid = np.max(np.abs(design @ coef - y)) / (np.max(np.abs(y)) + 1e-300)
    return signs, 2 * q.T, d, float(resid)


def final_layer_affine(
    oracle: Oracle, w1: np.ndarray, b1: np.ndarray, rng: np.random.Generator, *, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """Signs of a single hidden layer and the output layer, by linear least squares.

    With ``h_i = ŵ_i·x + b̂_i = u_i / s_i`` (``s_i`` unknown, any sign),
    ``N(x) = Σ_i Q_i |h_i(x)| + A x + d`` where ``Q_i = a_i |s_i| / 2`` and
    ``A = Σ_i (a_i s_i / 2) ŵ_i = Σ_i σ_i Q_i ⊗ ŵ_i``: one least squares gives ``Q, A, d``, a second
    (``n_in · n_out`` equations, ``n_1`` unknowns) gives ``σ``. Returns None when the layer is
    too wide for that (``n_1 > n_in · n_out``: the "expansive" case that needs a sign search).
    Queries: ``4 n_1 + n_in + 50`` Gaussian points (times ``scale``) and two points beside each
    hyperplane.

    Returns
    -------
    signs (n_1,), out_weights (n_out, n_1), out_bias (n_out,), relative residual — or None.
    """
    k, n = w1.shape
    foot = -b1[:, None] * w1
    x = np.concatenate([scale * rng.normal(size=(4 * k + n + 50, n)), foot + 0.1 * w1, foot - 0.1 * w1])
    y = oracle(x)
    design = np.column_stack([np.abs(x @ w1.T + b1), x, np.ones(len(x))])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    q, lin = coef[:k], coef[k:k + n]
    resid = np.max(np.abs(design @ coef - y)) / (np.max(np.abs(y)) + 1e-300)
    if k > n * y.shape[1]:
        return None
    basis = np.stack([np.outer(w1[i], q[i]).ravel() for i in range(k)], axis=1)
    sigma = np.linalg.lstsq(basis, lin.ravel(), rcond=None)[0]
    signs = np.where(sigma >= 0, 1.0, -1.0)
    bias = coef[-1] - (signs[:, None] * q * b1[:, None]).sum(axis=0)
    return signs, 2 * q.T, bias, float(resid)


@dataclass
class Extraction:
    """What :func:`extract` recovered, and what it cost.

    Attributes
    ----------
    net : ReLUNet or None
        The recovered network (None when no complete layer-2 neuron was found in a deep net).
    first : FirstLayer
    neurons : list of Layer2Neuron
    architecture : tuple of int
        Inferred ``(n_in, n_1[, n_2], n_out)``.
    n_unexplained : int
        Boundary points explained by no recovered neuron (evidence of deeper layers).
    queries : dict
        Queries per stage: ``layer1``, ``layer2`` (with the output-layer fits of a two-layer
        net), ``output`` (one-hidden-layer nets), ``total`` (including the piecewise-linearity
        check and the output width).
    output_residual : float
        Relative residual of the final least squares (≈ 0 when the extraction is complete).
    """

    net: ReLUNet | None
    first: FirstLayer
    neurons: list[Layer2Neuron]
    architecture: tuple[int, ...]
    n_unexplained: int
    queries: dict[str, int] = field(default_factory=dict)
    output_residual: float = float("nan")


def extract(
    oracle: Oracle,
    rng: np.random.Generator,
    *,
    n_lines: int | None = None,
    radius: float = 10.0,
    layers: int = 2,
    max_points: int | None = None,
    extra_rounds: int = 2,
    out_tol: float = 1e-9,
) -> Extraction:
    """Reverse-engineer a ReLU network with one or two hidden layers from queries.

    Algorithm 1 gives layer 1. If every boundary point lies on a layer-1 hyperplane the network
    has one hidden layer; otherwise (and if ``layers ≥ 2``) Algorithm 2 gives layer 2, the bends
    give the layer-1 signs, and :func:`final_layer` the rest.

    Parameters
    ----------
    oracle : Oracle
    rng : numpy Generator
    n_lines : int, optional
        Lines for Algorithm 1; default ``8 + 2·⌈log₂ n_in⌉``.
    radius : float
        Half-length of the lines (input scale).
    layers : {1, 2}
        Stop after layer 1 (``1``: only the first layer, as for deeper nets) or go on (``2``).
    max_points : int, optional
        Cap on the ``P_2`` points used by Algorithm 2.
    extra_rounds : int
        Rounds of ``n_lines`` further lines searched for layer-2 boundary points while some
        neuron is incomplete or the recovered neurons do not explain the outputs.
    out_tol : float
        The outputs are explained when the final least squares has relative residual ≤ this.

    Examples
    --------
    >>> from cnnmath.relu.nets import random_relu_net
    >>> net = random_relu_net((4, 6, 2), np.random.default_rng(1))
    >>> ex = extract(Oracle(net, 4), np.random.default_rng(0))
    >>> ex.architecture
    (4, 6, 2)
    """
    if layers not in (1, 2):
        raise ValueError(f"layers must be 1 or 2, got {layers!r}")
    g = ScalarView(oracle, rng)
    check_piecewise_linear(g, rng)
    n_lines = n_lines or 8 + 2 * int(np.ceil(np.log2(oracle.n_in)))
    start = oracle.n_queries
    first = first_layer(g, rng, n_lines=n_lines, radius=radius)
    if len(first.biases) == 0:
        raise OracleError(f"no boundary found on {n_lines} lines of half-length {radius}:"
                          " the oracle looks affine there; try a larger radius")
    queries = {"layer1": oracle.n_queries - start}
    n_out = g.r.shape[0]
    w1, b1 = first.weights, first.biases
    arch = (oracle.n_in, len(b1), n_out)
    if first.deeper_points and layers == 1:
        queries["total"] = oracle.n_queries
        return Extraction(None, first, [], arch, len(first.deeper_points), queries)
    if not first.deeper_points:
        q0 = oracle.n_queries
        out = final_layer_affine(oracle, w1, b1, rng, scale=radius / 3)
        queries["output"] = oracle.n_queries - q0
        queries["total"] = oracle.n_queries
        if out is None:
            return Extraction(None, first, [], arch, 0, queries)
        signs, a, d, res = out
        net = ReLUNet((signs[:, None] * w1, a), (signs * b1, d))
        return Extraction(net, first, [], arch, 0, queries, res)
    q0 = oracle.n_queries
    neurons, unexplained = second_layer(g, first, rng, max_points=max_points)
    net, res = _assemble(oracle, first, neurons, rng, radius)
    for _ in range(extra_rounds):
        # a neuron whose boundary no line crossed is missing, and an incomplete one cannot be
        # used: look for more boundary points on fresh lines while that is the case
        if neurons and all(z.complete for z in neurons) and res <= out_tol:
            break
        more = deeper_points(g, first, rng, n_lines=n_lines, radius=radius)
        neurons, n_more = second_layer(g, first, rng, points=more, neurons=neurons)
        unexplained += n_more
        net, res = _assemble(oracle, first, neurons, rng, radius)
    queries["layer2"] = oracle.n_queries - q0
    queries["total"] = oracle.n_queries
    arch = (oracle.n_in, len(b1), len(neurons), n_out)
    return Extraction(net, first, neurons, arch, unexplained, queries, res)


def _assemble(oracle: Oracle, first: FirstLayer, neurons: list[Layer2Neuron],
              rng: np.random.Generator, radius: float) -> tuple[ReLUNet | None, float]:
    """Signs of layer 1 (:func:`resolve_signs`), then :func:`final_layer` on the complete
    layer-2 neurons: the recovered network and the relative residual of its output fit."""
    done = [z for z in neurons if z.complete]
    if not done:
        return None, float("inf")
    sigma = resolve_signs(first, neurons)
    w1s, b1s = sigma[:, None] * first.weights, sigma * first.biases
    v = np.array([z.m for z in done])
    c = np.array([-z.m @ np.maximum(w1s @ z.p1 + b1s, 0.0) for z in done])
    hidden = lambda x: np.maximum(x @ w1s.T + b1s, 0.0) @ v.T + c  # noqa: E731
    normals = np.array([z.g0 / np.linalg.norm(z.g0) for z in done])
    starts = np.array([z.p1 for z in done])
    straddle = np.concatenate([starts + 1e-3 * normals, starts - 1e-3 * normals])
    signs, a, d, res = final_layer(oracle, hidden, straddle, rng, scale=radius / 3)
    return ReLUNet((w1s, signs[:, None] * v, a), (b1s, signs * c, d)), res
