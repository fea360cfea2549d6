"""The last digits of a recovered ReLU network, from the answers the extraction already has.

Every parameter the extraction reads is exact to the precision of a few kinks (about ``2^-30`` to
``2^-40`` of the canonical weights). The network is then refined as a whole against the answers
the oracle kept (:meth:`~cnnmath.relu.oracle.Oracle.answered`; no new query): away from every
recovered boundary the activation pattern is fixed, so ``N̂(x; θ)`` is a polynomial in the
parameters ``θ`` with the known Jacobian (backpropagation through the fixed pattern)

    ∂N̂/∂W_k = δ_k a_{k−1}ᵀ,   ∂N̂/∂b_k = δ_k,   δ_L = e_o,   δ_{k} = (W_{k+1}ᵀ δ_{k+1}) ⊙ [z_k > 0],

and one Gauss–Newton step ``θ ← θ + argmin_Δ ‖J Δ − (y − N̂(x; θ))‖`` (least norm: the positive
rescaling of each hidden neuron leaves ``J`` rank-deficient, and the least-norm step does not move
along it) removes the first-order error. A step is kept only when it lowers the largest error
over every kept answer, so it never makes the network explain the queries worse.
"""

from __future__ import annotations

import numpy as np

from cnnmath.relu.nets import ReLUNet

__all__ = ["gauss_newton", "jacobian", "refine"]


def jacobian(net: ReLUNet, x: np.ndarray) -> np.ndarray:
    """``∂N̂_o(x_m)/∂θ`` with rows ordered (output ``o``, input ``m``) and columns ``θ`` =
    ``(W_1, b_1, …, W_L, b_L)`` flattened (module docstring): ``(n_out·m, n_params)``."""
    acts, masks, h = [x], [], x
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        z = h @ w.T + b
        masks.append(z > 0)
        h = np.where(z > 0, z, 0.0)
        acts.append(h)
    n_out, m = net.weights[-1].shape[0], len(x)
    rows = []
    for o in range(n_out):
        delta = np.zeros((m, n_out))
        delta[:, o] = 1.0
        blocks = [np.empty((m, 0))] * len(net.weights)
        for k in range(len(net.weights) - 1, -1, -1):
            blocks[k] = np.column_stack([(delta[:, :, None] * acts[k][:, None, :]).reshape(m, -1), delta])
            if k:
                delta = (delta @ net.weights[k]) * masks[k - 1]
        rows.append(np.column_stack(blocks))
    return np.vstack(rows)


def _flat(net: ReLUNet) -> np.ndarray:
    return np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(net.weights, net.biases)])


def _unflat(net: ReLUNet, theta: np.ndarray) -> ReLUNet:
    ws, bs, i = [], [], 0
    for w, b in zip(net.weights, net.biases):
        ws.append(theta[i:i + w.size].reshape(w.shape))
        bs.append(theta[i + w.size:i + w.size + b.size])
        i += w.size + b.size
    return ReLUNet(tuple(ws), tuple(bs))


def gauss_newton(net: ReLUNet, x: np.ndarray, y: np.ndarray, *, margin: float = 1e-6) -> ReLUNet | None:
    """One Gauss–Newton step of ``net`` towards ``y = N(x)`` on the inputs whose every hidden
    pre-activation is at least ``margin`` times its layer's largest away from zero (a fixed
    pattern, module docstring); columns scaled to unit norm, least-norm solution with singular
    values below ``10⁻¹⁰`` of the largest left out (directions the inputs do not determine stay
    where they are). None when fewer such inputs than parameters remain."""
    far = np.ones(len(x), dtype=bool)
    for z in net.preactivations(x):
        far &= np.all(np.abs(z) > margin * (1.0 + np.abs(z).max(axis=0)), axis=1)
    x, y = x[far], y[far]
    theta = _flat(net)
    if len(x) * y.shape[1] < len(theta):
        return None
    jac = jacobian(net, x)
    scale = np.linalg.norm(jac, axis=0)
    scale[scale == 0] = 1.0
    step = np.linalg.lstsq(jac / scale, (y - net(x)).T.ravel(), rcond=1e-10)[0] / scale
    return _unflat(net, theta + step)


def refine(net: ReLUNet, x: np.ndarray, y: np.ndarray, rng: np.random.Generator, *, n_rows: int = 20_000,
           max_entries: float = 4e7, steps: int = 3) -> ReLUNet:
    """``net`` refined by Gauss–Newton steps (:func:`gauss_newton`) on a uniform sample of the
    answers ``(x, y)`` (up to ``n_rows``, at most half of them, and no more than keep the Jacobian
    within ``max_entries`` numbers), each kept when it lowers ``max |N̂(x) − y|`` over all of them
    (so over at least as many answers it was not fitted on), stopping when a step gains less than
    a factor 2. Unchanged when that leaves fewer than four rows per parameter (a wide network).

    >>> from cnnmath.relu.nets import random_relu_net
    >>> net = random_relu_net((3, 5, 4, 1), np.random.default_rng(0))
    >>> x = 3 * np.random.default_rng(1).normal(size=(2000, 3))
    >>> noisy = ReLUNet(net.weights, tuple(b + 1e-9 for b in net.biases))
    >>> better = refine(noisy, x, net(x), np.random.default_rng(2))
    >>> bool(np.abs(better(x) - net(x)).max() < 1e-2 * np.abs(noisy(x) - net(x)).max())
    True
    """
    n_params = len(_flat(net))
    rows = int(min(len(x) // 2, n_rows, max_entries // (y.shape[1] * n_params)))
    if rows * y.shape[1] < 4 * n_params:
        return net
    best = float(np.max(np.abs(net(x) - y), initial=0.0))
    for _ in range(steps):
        pick = rng.choice(len(x), size=rows, replace=False)
        new = gauss_newton(net, x[pick], y[pick])
        if new is None:
            break
        err = float(np.max(np.abs(new(x) - y)))
        if not err < best:
            break
        net, gain, best = new, best / max(err, 1e-300), err
        if gain < 2:
            break
    return net
