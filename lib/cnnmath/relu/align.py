"""Scoring an extraction: alignment up to the network's symmetries, errors and fidelity.

A ReLU network is recoverable only up to permuting the neurons of a hidden layer and scaling a
neuron's incoming weights and bias by ``c > 0`` (its outgoing weights by ``1/c``) — Rolnick &
Kording (ICML 2020). We compare in the *canonical form* where every hidden neuron has a unit
incoming weight vector, and match neurons by linear assignment (as Carlini et al.,
CRYPTO 2020, check their extractions). Errors are max-abs differences of canonical rows
``[w, b]``, i.e. errors relative to ``‖w‖``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import linear_sum_assignment

from cnnmath.relu.nets import ReLUNet

__all__ = ["LayerScore", "canonical", "fidelity", "parameter_error", "score_first_layer", "score_second_layer",
           "visible_sizes"]


def canonical(net: ReLUNet) -> ReLUNet:
    """The same function with every hidden neuron rescaled to ``‖w‖ = 1`` (positive scaling).

    >>> from cnnmath.relu.nets import random_relu_net
    >>> net = random_relu_net((3, 4, 2), np.random.default_rng(0))
    >>> x = np.random.default_rng(1).normal(size=(5, 3))
    >>> bool(np.allclose(canonical(net)(x), net(x), atol=1e-12))
    True
    """
    ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    for k in range(len(ws) - 1):
        scale = np.linalg.norm(ws[k], axis=1)
        scale = np.where(scale > 0, scale, 1.0)
        ws[k] /= scale[:, None]
        bs[k] /= scale
        ws[k + 1] = ws[k + 1] * scale[None, :]
    return ReLUNet(tuple(ws), tuple(bs))


@dataclass(frozen=True)
class LayerScore:
    """Alignment of one recovered layer with the true one.

    Attributes
    ----------
    true_index, hat_index : ndarray of int
        Matched pairs (true neuron, recovered neuron).
    errors : ndarray
        Max-abs error of each matched canonical row (unit-normalised rows for layer 2).
    n_true, n_hat : int
        Neurons in the true and the recovered layer.
    weights_known : float
        Fraction of the layer's weights that were recovered at all (1 for layer 1).
    """

    true_index: np.ndarray
    hat_index: np.ndarray
    errors: np.ndarray
    n_true: int
    n_hat: int
    weights_known: float = 1.0

    def recovered(self, tol: float) -> int:
        """Number of true neurons matched with error ≤ ``tol``."""
        return int(np.sum(self.errors <= tol))

    @property
    def max_error(self) -> float:
        """Largest error among matched neurons (inf if none matched)."""
        return float(self.errors.max()) if len(self.errors) else float("inf")


def _match(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e300))
    return rows, cols, cost[rows, cols]


def score_first_layer(
    net: ReLUNet, weights: np.ndarray, biases: np.ndarray, *, up_to_sign: bool = False
) -> LayerScore:
    """Match recovered first-layer rows ``[ŵ, b̂]`` (unit ``ŵ``) with the true ones.

    Parameters
    ----------
    net : ReLUNet
        The true network (white box, for scoring only).
    weights : ndarray, shape (k, n_in); biases : ndarray, shape (k,)
    up_to_sign : bool
        Compare ``±`` rows (before sign resolution).
    """
    c = canonical(net)
    true = np.column_stack([c.weights[0], c.biases[0]])
    hat = np.column_stack([weights, biases]).reshape(-1, true.shape[1])
    cost = np.abs(true[:, None, :] - hat[None, :, :]).max(axis=2)
    if up_to_sign:
        cost = np.minimum(cost, np.abs(true[:, None, :] + hat[None, :, :]).max(axis=2))
    t, h, err = _match(cost)
    return LayerScore(t, h, err, len(true), len(hat))


def score_second_layer(net: ReLUNet, first: LayerScore, rows: np.ndarray) -> LayerScore:
    """Match recovered second-layer weight rows with the true ones, up to permutation and scale.

    Parameters
    ----------
    net : ReLUNet
    first : LayerScore
        The layer-1 matching (fixes how recovered columns map to true neurons).
    rows : ndarray, shape (k, n_1_hat)
        Recovered weights ``V̂_zi`` in the recovered layer-1 order; NaN where unknown.

    Each row is compared on its known, matched entries after normalising both rows there to
    unit norm and fixing the sign (a row's sign is only known after the output layer).
    """
    c = canonical(net)
    v_true = c.weights[1][:, first.true_index]
    v_hat = rows[:, first.hat_index].reshape(len(rows), -1)
    cost = np.full((len(v_true), len(v_hat)), np.inf)
    for j, r in enumerate(v_hat):
        known = np.isfinite(r)
        if known.sum() < 2:
            continue
        a = v_true[:, known] / np.linalg.norm(v_true[:, known], axis=1, keepdims=True)
        b = r[known] / np.linalg.norm(r[known])
        cost[:, j] = np.minimum(np.abs(a - b).max(1), np.abs(a + b).max(1))
    t, h, err = _match(cost)
    keep = np.isfinite(err)
    known = float(np.isfinite(v_hat[h[keep]]).sum()) / v_true.size
    return LayerScore(t[keep], h[keep], err[keep], len(v_true), len(rows), known)


def fidelity(
    f: Callable[[np.ndarray], np.ndarray],
    f_hat: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
) -> dict[str, float]:
    """Functional fidelity on inputs ``x`` (the paper's setup: 10⁴ Gaussian inputs).

    Returns ``max_abs`` = ``max |f − f̂|``, ``max_rel`` = that over ``max |f|``, and ``argmax`` = the
    fraction of inputs on which the two agree on the top output.
    """
    y, y_hat = f(x), f_hat(x)
    diff = float(np.max(np.abs(y - y_hat)))
    agree = float(np.mean(y.argmax(1) == y_hat.argmax(1))) if y.shape[1] > 1 else float(
        np.mean((y[:, 0] > 0) == (y_hat[:, 0] > 0)))
    return {"max_abs": diff, "max_rel": diff / float(np.max(np.abs(y))), "argmax": agree}


def parameter_error(net: ReLUNet, net_hat: ReLUNet) -> float:
    """Largest error over every weight and bias, after aligning ``net_hat`` to ``net``.

    Both are put in canonical form (:func:`canonical`: unit incoming rows in every hidden layer);
    layer by layer the recovered neurons are matched to the true ones by linear assignment on the
    max-abs difference of their rows ``[w, b]`` (columns already permuted by the previous layer's
    matching), and the output layer is compared with its columns permuted. ``−log2`` of this is the
    "bits of precision" of Carlini, Jagielski & Mironov (CRYPTO 2020). ``inf`` when the
    architectures differ.
    """
    if net.sizes != net_hat.sizes:
        return float("inf")
    c, h = canonical(net), canonical(net_hat)
    perm = np.arange(net.sizes[0])
    worst = 0.0
    for k, (w, b, wh, bh) in enumerate(zip(c.weights, c.biases, h.weights, h.biases)):
        true = np.column_stack([w, b])
        hat = np.column_stack([wh[:, perm], bh])
        if k == len(c.weights) - 1:
            return max(worst, float(np.max(np.abs(true - hat))))
        cost = np.abs(true[:, None, :] - hat[None, :, :]).max(axis=2)
        rows, cols = linear_sum_assignment(cost)
        worst = max(worst, float(cost[rows, cols].max()))
        perm = cols[np.argsort(rows)]
    return worst


def visible_sizes(net: ReLUNet, x: np.ndarray, min_frac: float = 0.0) -> tuple[int, ...]:
    """``net.sizes`` counting only the hidden neurons active (pre-activation > 0) on more than a
    fraction ``min_frac`` of the rows of ``x`` (by default: on any).

    A neuron never active on the inputs a black box is queried at leaves no kink there: no
    extraction from those queries can see it, and the network without it is the same function
    there; one active on a tiny fraction is seen only by luck (white box, for scoring).

    >>> from cnnmath.relu.nets import random_relu_net
    >>> net = random_relu_net((3, 4, 2), np.random.default_rng(0))
    >>> visible_sizes(net, np.random.default_rng(1).normal(size=(1000, 3))) == net.sizes
    True
    """
    hidden = tuple(int(((z > 0).mean(axis=0) > min_frac).sum()) for z in net.preactivations(x))
    return (net.sizes[0], *hidden, net.sizes[-1])
