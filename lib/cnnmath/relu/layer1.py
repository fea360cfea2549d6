"""Algorithm 1 of Rolnick & Kording (ICML 2020): the first layer's hyperplanes, up to sign and scale.

Boundary points on random lines (:func:`~cnnmath.relu.linesearch.points_on_line`), their local
hyperplanes (:mod:`cnnmath.relu.hyperplanes`), and ``TestHyperplane`` to sort each into layer 1
or the set ``P_2`` of deeper boundary points. Recovered rows are unit vectors ``ŵ_i`` with bias
``b̂_i``, so ``h_i(x) = ŵ_i·x + b̂_i`` is the signed distance to ``B_i``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnmath.relu.hyperplanes import fit_hyperplane, gradient_jump, test_hyperplane
from cnnmath.relu.linesearch import kink_near, points_on_line
from cnnmath.relu.oracle import ScalarView

__all__ = ["FirstLayer", "deeper_points", "first_layer"]


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
        Boundary points that failed ``test_hyperplane``: the set ``P_2`` of Algorithm 1.
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
    are searched with ``points_on_line``; at each boundary point not already on a found
    hyperplane, ``gradient_jump`` and ``fit_hyperplane`` infer the local hyperplane,
    ``test_hyperplane`` (at ``test_distance``, default ``radius``) sorts it into layer 1 or
    ``P_2``. Duplicates are merged. When the fit at the foot fails, the gradient-jump plane is
    first tested at one point far away with a wide window (``_loose_test``, 4 queries): a
    bent boundary goes to ``P_2`` without the local fit (about 100 queries).

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
            if fit is None and eps >= 1e-6 and not _loose_test(g, normal, p, rng, test_distance):
                deeper.append(p)  # bent far away: no local fit needed to tell
                continue
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



def _loose_test(g: ScalarView, normal: np.ndarray, p: np.ndarray, rng: np.random.Generator,
                distance: float, window: float = 1e-2) -> bool:
    """``TestHyperplane`` at one point, on the gradient-jump plane (4 to 7 queries, no fit).

    The plane through ``p`` with the ``gradient_jump`` normal (error ≲ 10⁻⁵, so ≲ 10⁻⁴ off at
    ``distance`` 10) must show a kink within ``window/2`` along the normal at ``distance`` from
    ``p``; a bent boundary, far off its tangent plane there, has none. A masked layer-1 kink gives a
    false "no", as in :func:`~cnnmath.relu.hyperplanes.test_hyperplane`.
    """
    v = rng.normal(size=len(p))
    v -= (v @ normal) * normal
    y = p + distance * v / np.linalg.norm(v)
    return bool(np.isfinite(kink_near(g, y[None, :], normal[None, :], window)[0]))


def deeper_points(
    g: ScalarView, first: FirstLayer, rng: np.random.Generator, *, n_lines: int, radius: float
) -> list[np.ndarray]:
    """More boundary points off the known layer-1 hyperplanes (new members of ``P_2``).

    ``points_on_line`` on ``n_lines`` new random segments; a kink on a recovered layer-1
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
