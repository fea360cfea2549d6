"""Signs of the hidden layers and the output layer, by linear least squares.

The bends of complete layer-2 neurons give the layer-1 signs (:func:`resolve_signs`, a by-product
of Theorem 3 of Rolnick & Kording, ICML 2020); ``ReLU(u) = (u + |u|)/2`` makes the output layer and
the signs of the last hidden layer one linear least-squares problem (:func:`final_layer`,
:func:`final_layer_affine`; a 0/1 integer program, :func:`integer_signs`, when the layer is more
than about twice as wide as the one before) where Carlini, Jagielski & Mironov (CRYPTO 2020) search ``2^K`` sign
patterns. The formulas are ours; they are derived in the chapter page ``book/relu/index.md``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from cnnmath.relu.layer1 import FirstLayer
from cnnmath.relu.neuron import Layer2Neuron
from cnnmath.relu.oracle import Oracle

__all__ = ["final_layer", "final_layer_affine", "integer_signs", "resolve_signs"]


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
    features: Callable[[np.ndarray], np.ndarray],
    coords: np.ndarray,
    straddle: np.ndarray,
    rng: np.random.Generator,
    *,
    scale: float = 1.0,
    linear: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | tuple[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray]:
    """Signs of the last hidden layer and the output layer, by linear least squares.

    With the last hidden pre-activations known up to a non-zero factor, ``û_z = κ_z u_z``,
    ``N(x) = Σ_z a_z ReLU(u_z) + d = Σ_z (P_z û_z + Q_z |û_z|) + d`` with ``P_z = a_z/(2κ_z)``,
    ``Q_z = a_z/(2|κ_z|)``. The ``û_z`` are themselves combinations of the previous layer's
    features, ``û(x) = F(x) · coordsᵀ`` (for layer 2: ``F = [x, |h_1| … |h_{n_1}|, 1]``), and when
    the layer is wider than that basis the ``û_z`` are linearly dependent, so ``P`` cannot be fitted
    on them. Hence two linear least squares: ``N = Σ_z Q_z |û_z| + F·λ`` gives ``Q`` and ``λ``, then
    ``coordsᵀ P = λ`` (all rows but the constant, which also holds ``d``) gives ``P`` (unique when
    those columns of ``coords`` have full row rank ``K``). Then
    ``sign κ_z = sign(P_z·Q_z)`` (when the layer is wider than the previous one, ``P`` is not unique
    and ``P_z = Q_z sign κ_z`` is found by :func:`integer_signs`, a 0/1 integer program) and the
    output weights of ``sign(κ_z) û_z`` are ``2 Q_z``; the bias
    is the part of ``λ``'s constant not explained by ``P``. Queries: ``4K + 50`` Gaussian points
    (times ``scale``) plus the ``straddle`` points.

    Rows of a feature that is 0 on every input of the fit are left out of ``coordsᵀ P = λ`` (its
    ``λ`` is not determined). With ``linear``, the part of ``λ`` that ``P`` does not explain,
    ``S = λ_{:-1} − coords_{:,:-1}ᵀ P`` (0 on those rows),
    is returned too: ``N = Σ_z 2Q_z ReLU(sign(κ_z) û_z) + F_{:-1}·S + d``. ``S ≠ 0`` is a hidden
    neuron of this layer active on every input of the fit (``ReLU(u) = u`` there: a term linear
    in ``F``), which the ``|û_z|`` columns cannot show. The signs are then not determined
    (``a ReLU(u) = a u + a ReLU(−u)``: a flipped neuron moves ``a u`` into ``S``); they are taken
    from the least-norm ``P`` (``sign(P_z·Q_z)``, no integer program) and ``P = sign(κ) Q``
    exactly, so the fit holds with ``S`` for any of them.

    Parameters
    ----------
    hidden : callable
        ``(m, n_in) → (m, K)`` values ``û``.
    features : callable
        ``(m, n_in) → (m, p)`` values ``F``, last column constant 1.
    coords : ndarray, shape (K, p)
    straddle : ndarray, shape (s, n_in)

    Returns
    -------
    signs (K,), out_weights (n_out, K), out_bias (n_out,), relative residual of the fit
    [, S (p − 1, n_out) with ``linear``]
    """
    k = coords.shape[0]
    x = np.concatenate([scale * rng.normal(size=(4 * k + coords.shape[1] + 50, oracle.n_in)), straddle])
    y = oracle(x)
    feats = features(x)
    design = np.column_stack([np.abs(hidden(x)), feats])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    q, lam = coef[:k], coef[k:]
    # a feature that is 0 on every input of the fit (a neuron of the layer before never active
    # there) leaves its λ undetermined (the least squares sets it to 0): its row says nothing of P
    live = np.any(feats[:, :-1] != 0, axis=0)
    lin = coords[:, :-1].T  # the constant row also holds d
    if linear or np.linalg.matrix_rank(lin[live]) == k:
        p = np.linalg.lstsq(lin[live], lam[:-1][live], rcond=None)[0]
        signs = np.where(np.sum(p * q, axis=1) >= 0, 1.0, -1.0)
        if linear:
            p = signs[:, None] * q
    else:
        signs = integer_signs(np.vstack([lin[live] * q[:, o] for o in range(q.shape[1])]),
                              lam[:-1][live].T.ravel())
        p = signs[:, None] * q
    d = lam[-1] - coords[:, -1] @ p
    resid = np.max(np.abs(design @ coef - y)) / (np.max(np.abs(y)) + 1e-300)
    if linear:
        return signs, 2 * q.T, d, float(resid), np.where(live[:, None], lam[:-1] - lin @ p, 0.0)
    return signs, 2 * q.T, d, float(resid)


def integer_signs(a: np.ndarray, b: np.ndarray, *, rtol: float = 1e-7, time_limit: float = 60.0) -> np.ndarray:
    """The unique ``s ∈ {±1}^K`` with ``a s = b`` when ``a`` has fewer independent rows than ``K``.

    A subset-sum problem in ``rank a`` equations: solved as a 0/1 integer program
    (``s = 2t − 1``, ``|a s − b| ≤ rtol·(|a|·1 + |b|)`` row by row; HiGHS branch and bound through
    ``scipy.optimize.milp``), where Carlini, Jagielski & Mironov (CRYPTO 2020) enumerate the
    ``2^K`` patterns. A second solve with the first solution cut off (``Σ_k |t_k − t*_k| ≥ 1``) must
    be infeasible: for generic weights only the true pattern fits, and when another fits too the
    signs are not determined and ValueError is raised, as it is when no pattern fits (a neuron
    missing, or a wrong one).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    k = a.shape[1]
    tol = rtol * (np.abs(a).sum(axis=1) + np.abs(b))
    rhs = b + a.sum(axis=1)  # a (2t − 1) = b  ⇔  2a t = b + a·1
    rows = [LinearConstraint(2 * a, rhs - tol, rhs + tol)]
    options = {"time_limit": time_limit}
    found = []
    for _ in range(2):
        res = milp(np.zeros(k), constraints=rows, integrality=np.ones(k), bounds=Bounds(0, 1), options=options)
        if res.status == 1:
            raise ValueError(f"the signs of a layer of {k} neurons were not found within {time_limit:g} s")
        if res.x is None:
            break
        t = np.round(res.x)
        found.append(t)
        # cut off t: Σ_{t_k = 1} (1 − t_k') + Σ_{t_k = 0} t_k' ≥ 1
        rows.append(LinearConstraint(np.where(t > 0.5, -1.0, 1.0)[None, :], 1 - t.sum(), np.inf))
    if len(found) != 1:
        raise ValueError(f"the signs of a layer of {k} neurons (rank {np.linalg.matrix_rank(a)}) are"
                         + (" not determined: two patterns fit" if found else " fitted by no ±1 pattern"))
    return 2 * found[0] - 1


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
