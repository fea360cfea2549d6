"""Local boundary hyperplanes (``InferHyperplane``, ``TestHyperplane``; Algorithm 1 of Rolnick & Kording).

:func:`gradient_jump` gives the normal of the boundary through a point from the jump of ``∇N``
across it (the jump is ``∝ w_z``); :func:`fit_hyperplane` refines it to float64 precision from
exact crossings of lines through ``p + r e_k`` for an orthonormal basis ``e_k`` of the normal's
complement (the precision-refinement idea of Carlini, Jagielski & Mironov, CRYPTO 2020, done our
own way); :func:`test_hyperplane` checks that a hyperplane is a boundary far away too (a layer-1
boundary is a whole hyperplane, a deeper one bends — Theorem 1).
"""

from __future__ import annotations

import numpy as np

from cnnmath.relu.linesearch import kink_near
from cnnmath.relu.oracle import OracleError, ScalarView

__all__ = ["fit_hyperplane", "gradient_jump", "test_hyperplane"]


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
    boundary once; ``kink_near`` locates the crossings exactly (window ``[−a/2, a/2]``,
    ``a = window``, default ``r/4``), which gives ``α`` and every ``β_k = (s_k − α)/r`` with no
    linear solve, and ``n_check`` crossings in random directions of ``d⊥`` must agree with the
    plane to ``res_tol · r`` (else another boundary or a bend interfered). A line with no
    verified crossing (masked kink, or a second kink in the window) is retried at offset
    ``−r``, then ``±r/8``. The normal is ``d − β``. About ``7 (n_in + n_check)`` queries; the line
    through ``p`` is searched first, and when it has no verified crossing (``p`` is not on a flat
    boundary there) the fit stops after its 4 queries.

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
    # the line through p first: without its crossing there is no fit, and the others are not asked
    s[0] = kink_near(g, p[None, :], d[None, :], a)[0]
    if np.isnan(s[0]):
        return None
    for factor in (1.0, -1.0, 0.125, -0.125):
        # lines whose crossing was masked or had a second kink nearby are moved and retried
        todo = np.flatnonzero(np.isnan(s))
        if not len(todo):
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
    gives a false "no" — the point then waits in ``P_2``. The points are tested one by one, and
    the first miss ends the test (4 to 7 queries for a bent boundary).
    """
    v = rng.normal(size=(n_tests, len(p)))
    v -= (v @ w)[:, None] * w[None, :]
    # alternate distances d, 2d: a bent boundary can be straight for a while on one side
    v *= (distance * (1 + np.arange(n_tests) % 2) / np.linalg.norm(v, axis=1))[:, None]
    y = p[None, :] + v
    y -= (y @ w + b)[:, None] * w[None, :]
    for k in range(n_tests):  # one point at a time: the first miss decides, the rest are not asked
        if not abs(kink_near(g, y[k:k + 1], w[None, :], window)[0]) < tol:
            return False
    return True


test_hyperplane.__test__ = False  # the paper's name, not a pytest test
