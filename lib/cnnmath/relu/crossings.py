"""Reading a layer-2 neuron's bend weights where its boundary crosses layer-1 hyperplanes.

Completing a neuron ``z`` (:mod:`cnnmath.relu.neuron`; condition (iv) of Theorem 3 of Rolnick &
Kording, ICML 2020) alternates two steps:

1. :func:`walk_to_unknown` (``ClosestBoundary``, zero queries): walk on the known part of ``B_z``
   towards a layer-1 hyperplane ``B_j`` whose weight is unknown, crossing known hyperplanes (where
   ``B_z`` bends by the known amount) until ``B_z ∩ B_j`` is reached; :func:`seek_crossing` samples
   ``B_j`` for such a point when the walk is blocked.
2. :func:`read_weight` (a few queries): check ``B_z`` is where predicted on the near side of ``B_j``
   (a deeper boundary bends off the prediction: it is not a layer-2 neuron), step ``δ`` across
   ``B_j`` and locate ``B_z`` on a line parallel to ``B_j``: there ``ẑ = K(x) + m_j δ`` with ``K`` known,
   so the kink position gives ``m_j = −K(x*)/δ``; a second line at ``δ/2`` must find the kink where
   that ``m_j`` predicts it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cnnmath.relu.linesearch import kink_near, points_on_line
from cnnmath.relu.neuron import Layer2Neuron
from cnnmath.relu.oracle import ScalarView

__all__ = ["far_kinks", "kink_at", "read_weight", "seek_crossing", "walk_to_unknown"]


def _steps_to_hyperplanes(h: np.ndarray, hv: np.ndarray) -> np.ndarray:
    """Step ``t > 0`` along a unit direction ``v`` to each layer-1 hyperplane ahead: ``h_i + t·hv_i = 0``
    with ``h_i = h_i(x)``, ``hv_i = ŵ_i·v``; inf for those behind or parallel."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h * hv < 0, -h / hv, np.inf)


def walk_to_unknown(z: Layer2Neuron, q: np.ndarray, j: int, w1: np.ndarray, b1: np.ndarray,
                    max_steps: int = 60) -> tuple[np.ndarray, int] | None:
    """``ClosestBoundary`` on the known part of ``B_z``, with zero queries.

    From ``q ∈ B_z`` move inside the local hyperplane of ``B_z`` towards ``B_j``; at the nearest
    layer-1 hyperplane ``B_k`` ahead, stop if ``m_k`` is unknown (return ``(x, k)`` with
    ``x ∈ B_z ∩ B_k``), else cross it (``B_z`` bends by the known ``m_k``) and go on.

    Where ``B_z`` turns back towards the hyperplane just crossed, the walk slides along that
    hyperplane instead (an active set). Returns None if the walk leaves every hyperplane behind,
    is blocked, or takes ``max_steps``.
    """
    x = q.copy()
    last, slide = -1, []
    for _ in range(max_steps):
        _, grad, known = z.value(x, w1, b1)
        if not known:
            return None
        h = w1 @ x + b1
        basis = np.linalg.qr(np.column_stack([grad] + [w1[c] for c in slide]))[0]
        target = -np.sign(h[j]) * w1[j]
        v = target - basis @ (basis.T @ target)
        if np.linalg.norm(v) < 1e-9:
            return None
        v /= np.linalg.norm(v)
        t = _steps_to_hyperplanes(h, w1 @ v)
        t[slide] = np.inf
        k = int(np.argmin(t))
        if not np.isfinite(t[k]):
            return None
        if k == last:  # B_z turned back towards the hyperplane just crossed: slide along it
            if len(slide) >= len(x) - 2:
                return None
            slide.append(k)
            continue
        xk = x + t[k] * v
        if not np.isfinite(z.m[k]):
            return xk, k
        # cross B_k (known bend), then back onto B_z along the new region's gradient
        x = xk + 1e-7 * v
        val, grad, known = z.value(x, w1, b1)
        x = x - val / (grad @ grad) * grad
        if np.sign(w1[k] @ x + b1[k]) == np.sign(h[k]):
            return None
        last, slide = k, []
    return None


def seek_crossing(z: Layer2Neuron, j: int, w1: np.ndarray, b1: np.ndarray, rng: np.random.Generator,
                  *, n_samples: int = 4000, scales: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)
                  ) -> np.ndarray | None:
    """A point of ``B_z ∩ B_j`` found by sampling ``B_j`` (zero queries; the fallback of
    :func:`walk_to_unknown` when ``B_z`` meets ``B_j`` only in a small patch).

    On ``B_j`` the term of ``j`` vanishes, so ``ẑ`` is known there wherever no other unknown weight
    has switched. Random points of ``B_j`` (Gaussian at several ``scales``) are evaluated; a pair
    with opposite signs of ``ẑ`` is bisected along its segment (inside ``B_j``) to the zero.
    """
    n = w1.shape[1]
    x = np.concatenate([s * rng.normal(size=(n_samples // len(scales), n)) for s in scales])
    x -= (x @ w1[j] + b1[j])[:, None] * w1[j][None, :]
    val, known = z.values(x, w1, b1, skip=j)
    x, val = x[known], val[known]
    pos, neg = np.flatnonzero(val > 0), np.flatnonzero(val < 0)
    if not len(pos) or not len(neg):
        return None
    a = x[neg[np.argmax(val[neg])]]
    b = x[pos[np.argmin(np.linalg.norm(x[pos] - a, axis=1))]]
    for _ in range(200):
        mid = (a + b) / 2
        v, k = z.values(mid[None, :], w1, b1, skip=j)
        if not k[0]:
            return None
        if v[0] < 0:
            a = mid
        else:
            b = mid
        if np.linalg.norm(b - a) < 1e-15 * (1 + np.linalg.norm(a)):
            break
    return (a + b) / 2


def kink_at(g: ScalarView, y: np.ndarray, u: np.ndarray, a: float) -> float:
    """Offset of the single kink of ``s ↦ g(y + s u)`` in ``[−a/2, a/2]``, NaN if none or several."""
    return float(kink_near(g, y[None, :], u[None, :], a)[0])


def far_kinks(
    g: ScalarView,
    values: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    normal: Callable[[np.ndarray], tuple[np.ndarray, float] | None],
    found: list[np.ndarray],
    rng: np.random.Generator,
    *,
    n_points: int,
    tol: float,
) -> bool:
    """``TestHyperplane`` far away for a predicted boundary ``{values = 0}`` of any layer.

    Pairs of the sample points ``x`` on opposite sides (``values < 0``, ``> 0``) are bisected to
    predicted boundary points (100 halvings, no queries). At each, ``normal(y)`` gives the
    predicted normal and the distance to the nearest known boundary (``None``: skip the point);
    a kink must sit at ``y`` along the normal, within ``tol``, in a window of half that distance
    (at most 0.05; 7 queries). Hits join ``found``. The test stops after ``n_points`` hits and
    fails after ``2 + hits/4`` misses (a kink off the prediction) or ``4 + hits`` blanks (no kink
    in the window); with no points on one side there is nothing to test, and it passes.
    """
    val = values(x)
    pos, neg = np.flatnonzero(val > 0), np.flatnonzero(val < 0)
    if not len(pos) or not len(neg):
        return True
    a, b = x[rng.choice(neg, 2 * n_points + 4)], x[rng.choice(pos, 2 * n_points + 4)]
    for _ in range(100):
        mid = (a + b) / 2
        below = values(mid) < 0
        a = np.where(below[:, None], mid, a)
        b = np.where(below[:, None], b, mid)
    passed = failed = blank = 0
    for y in (a + b) / 2:
        if passed >= n_points or failed >= 2 + passed // 4 or blank >= 4 + passed:
            break
        probe = normal(y)
        if probe is None or probe[1] < 1e-4:
            continue
        unit = probe[0] / np.linalg.norm(probe[0])
        s = kink_at(g, y, unit, min(probe[1], 0.1) / 2)
        if np.isnan(s):
            blank += 1
        elif abs(s) > tol:
            failed += 1
        else:
            passed += 1
            found.append(y + s * unit)
    return failed < 2 + passed // 4 and blank < 4 + passed


def read_weight(g: ScalarView, z: Layer2Neuron, x: np.ndarray, k: int, w1: np.ndarray,
                b1: np.ndarray, *, max_delta: float = 0.05, tol: float = 1e-3, near_tol: float = 0.05) -> str:
    """Read ``m_k`` at ``x ∈ B_z ∩ B_k`` (module docstring, step 2); fills ``z.m[k]`` on success.

    Returns ``"ok"``, ``"mismatch"`` (``B_z`` is not where the layer-2 model puts it on the near side:
    a deeper boundary, or a wrong earlier weight) or ``"fail"`` (masked or crowded kinks; retry
    elsewhere).
    """
    side = z.e0[k]
    x = _clear(z, x, k, w1, b1)
    h = w1 @ x + b1
    room = float(np.min(np.abs(np.delete(h, k)), initial=np.inf))
    if room < 1e-4:
        return "fail: crowded"
    delta = min(max_delta, room / 4)
    # near side: ẑ is known there, so B_z must sit where predicted; its exact crossing y_n is
    # the anchor of the local affine model ẑ = G·(x − y_n) (no error growing with distance)
    _, grad, _ = z.value(x + side * 1e-9 * w1[k], w1, b1)
    un = grad / np.linalg.norm(grad)
    v = side * (w1[k] - (w1[k] @ un) * un)
    if np.linalg.norm(v) < 1e-6:
        return "fail: parallel"
    y = x + delta * v / np.linalg.norm(v)
    a = min(np.linalg.norm(v) * delta, room) / 4
    s = kink_at(g, y, un, a)
    if np.isnan(s):
        return "fail: near kink"
    if abs(s) > near_tol * a:
        return "mismatch"
    y_n = y + s * un
    # far side: ẑ = G·(x − y_n) + m_k δ on a line parallel to B_k
    y = x - side * delta * w1[k]
    u = grad - (grad @ w1[k]) * w1[k]
    slope = np.linalg.norm(u)
    if slope < 1e-8:
        return "fail: parallel"
    u /= slope
    hy, hu = w1 @ y + b1, w1 @ u
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(np.arange(len(h)) == k, np.inf, -hy / hu)
    lo = max(0.9 * np.max(t[t < 0], initial=-np.inf), -50.0 * delta - 1.0)
    hi = min(0.9 * np.min(t[t > 0], initial=np.inf), 50.0 * delta + 1.0)
    ts = lo + (hi - lo) * points_on_line(g, y + lo * u, y + hi * u)
    s0 = -grad @ (y - y_n) / slope  # where B_z would be with m_k = 0
    y2 = x - side * (delta / 2) * w1[k]
    for sc in ts[np.argsort(np.abs(ts - s0))][:6]:
        m_c = -grad @ (y + sc * u - y_n) / delta
        s2 = -(grad @ (y2 - y_n) + m_c * delta / 2) / slope
        gaps = np.abs(ts - sc)
        a2 = min(np.min(gaps[gaps > 0], initial=np.inf), delta) / 4
        found = kink_at(g, y2 + s2 * u, u, a2)
        if np.isfinite(found) and abs(found) <= tol * a2:
            z.m[k] = m_c
            z.n_bends += 1
            z.path += [y_n, y + sc * u, y2 + (s2 + found) * u]
            return "ok"
    return "fail: far kink"


def _clear(z: Layer2Neuron, x: np.ndarray, k: int, w1: np.ndarray, b1: np.ndarray) -> np.ndarray:
    """Move ``x ∈ B_z ∩ B_k`` inside that intersection away from the nearest other layer-1
    hyperplane (a walk that slid along one stops on it), half-way to the next one; no queries."""
    h = w1 @ x + b1
    c = int(np.argmin(np.where(np.arange(len(h)) == k, np.inf, np.abs(h))))
    if abs(h[c]) >= 1e-3:
        return x
    _, grad, _ = z.value(x + z.e0[k] * 1e-9 * w1[k], w1, b1)
    basis = np.linalg.qr(np.column_stack([grad, w1[k]]))[0]
    v = np.sign(h[c]) * w1[c] if h[c] != 0 else w1[c]
    v = v - basis @ (basis.T @ v)
    if np.linalg.norm(v) < 1e-6:
        return x
    v /= np.linalg.norm(v)
    t = _steps_to_hyperplanes(h, w1 @ v)
    t[[k, c]] = np.inf
    return x + min(np.min(t) / 2, 0.05) * v
