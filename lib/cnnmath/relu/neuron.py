"""A second-layer neuron as Algorithm 2 of Rolnick & Kording (ICML 2020) recovers it.

A layer-2 neuron ``z`` is known, up to a non-zero factor, from one point ``p1`` on its boundary
``B_z``, the local normal ``g0`` there and one *bend weight* ``m_i = V_zi |s_i|`` per layer-1 neuron
(``s_i`` the unknown scale-and-sign of the recovered unit row ``ŵ_i``; Theorem 3)::

    ẑ(x) = g0·(x − p1) + Σ_i m_i (|h_i(x)| − e0_i h_i(x)) / 2,      h_i(x) = ŵ_i·x + b̂_i,

with ``e0_i = sign h_i(p1)``. The term of ``i`` vanishes on the side of ``B_i`` that holds ``p1``, so
``ẑ`` is known — with no query — wherever only layer-1 neurons with known ``m_i`` have switched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Layer2Neuron", "merge_neurons", "on_boundary"]


@dataclass(eq=False)
class Layer2Neuron:
    """A second-layer neuron as recovered by :func:`~cnnmath.relu.layer2.second_layer`, before signs.

    ``ẑ(x) = g0·(x − p1) + Σ_i m_i (|h_i(x)| − e0_i h_i(x)) / 2`` (module docstring).

    Attributes
    ----------
    p1 : ndarray, shape (n_in,)       starting boundary point
    g0 : ndarray, shape (n_in,)       local normal at ``p1`` (fixes the unit of ẑ)
    e0 : ndarray, shape (n_1,)        ``sign h_i(p1)``
    m : ndarray, shape (n_1,)         bend weights, NaN where not (yet) read
    n_bends : int                     weights read by crossing a layer-1 hyperplane
    path : list of ndarray            exact points of ``B_z`` found by the queries
    status : str                      "" while in progress or accepted; else why it was dropped
    """

    p1: np.ndarray
    g0: np.ndarray
    e0: np.ndarray
    m: np.ndarray
    n_bends: int = 0
    path: list[np.ndarray] = field(default_factory=list)
    status: str = ""

    @property
    def complete(self) -> bool:
        """Whether every layer-1 weight was read off (Theorem 3, condition iv)."""
        return bool(np.all(np.isfinite(self.m)))

    def value(self, x: np.ndarray, w1: np.ndarray, b1: np.ndarray,
              skip: int | None = None) -> tuple[float, np.ndarray, bool]:
        """``(ẑ(x), ∇ẑ(x), known)``; ``skip`` leaves neuron ``skip``'s term out (``K`` of the module
        docstring); ``known`` is False when an unknown weight has switched at ``x``."""
        h = w1 @ x + b1
        s = np.where(h >= 0, 1.0, -1.0)
        flip = s != self.e0
        if skip is not None:
            flip[skip] = False
        known = bool(np.all(np.isfinite(self.m[flip])))
        m = np.where(flip, np.nan_to_num(self.m), 0.0)
        val = (x - self.p1) @ self.g0 + (np.abs(h) - self.e0 * h) @ m / 2
        return float(val), self.g0 + (s * m) @ w1, known


    def values(self, x: np.ndarray, w1: np.ndarray, b1: np.ndarray,
               skip: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`value` for many points ``x`` of shape ``(m, n_in)``: ``ẑ`` and ``known``."""
        h = x @ w1.T + b1
        flip = np.where(h >= 0, 1.0, -1.0) != self.e0
        if skip is not None:
            flip[:, skip] = False
        known = ~np.any(flip & ~np.isfinite(self.m), axis=1)
        terms = np.where(flip, (np.abs(h) - self.e0 * h) * np.nan_to_num(self.m), 0.0)
        return (x - self.p1) @ self.g0 + terms.sum(axis=1) / 2, known


def on_boundary(p: np.ndarray, z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray) -> bool:
    """Whether ``p`` lies on ``B_z`` (zero queries); False when ``ẑ(p)`` is not known."""
    val, grad, known = z.value(p, w1, b1)
    return known and abs(val) < 1e-6 * np.linalg.norm(grad)


def merge_neurons(old: Layer2Neuron, new: Layer2Neuron, tol: float = 1e-6) -> bool:
    """If ``new`` is the neuron ``old`` (bend weights proportional on ≥ 3 common entries), fill
    ``old``'s unknown weights and path from ``new`` and return True."""
    common = np.isfinite(old.m) & np.isfinite(new.m)
    a, b = old.m[common], new.m[common]
    if common.sum() < 3 or not a @ a > 0:
        return False
    c = (a @ b) / (a @ a)
    if c == 0 or np.linalg.norm(b - c * a) > tol * np.linalg.norm(b):
        return False
    fill = ~np.isfinite(old.m) & np.isfinite(new.m)
    old.m[fill] = new.m[fill] / c
    old.n_bends += int(fill.sum())
    old.path += new.path
    return True
