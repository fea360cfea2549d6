"""The black-box query oracle of the extraction, and the checks that it is usable.

Rolnick & Kording (ICML 2020) and Carlini, Jagielski & Mironov (CRYPTO 2020) count the queries
``x ↦ N(x)`` an extraction needs. :class:`Oracle` is the only door to the target: it evaluates any
callable (a NumPy function or a float64 torch ``nn.Module``) on ``(m, n_in)`` float64 rows, counts
every row, stops at a query budget, and refuses outputs that are not finite.
:class:`ScalarView` is the fixed random projection ``g(x) = r·N(x)`` the line searches work on, and
:func:`check_piecewise_linear` refuses a target that is not piecewise linear (a sigmoid or tanh
network) before any work starts.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["Oracle", "OracleError", "QueryBudgetExceeded", "ScalarView", "check_piecewise_linear"]

_EPS = np.finfo(np.float64).eps
_KEPT_NUMBERS = 1 << 22  # numbers of the answered queries an oracle keeps (32 MiB of float64)


class OracleError(RuntimeError):
    """The oracle gave an output the extraction cannot use (NaN, wrong shape, not piecewise linear)."""


class QueryBudgetExceeded(OracleError):
    """The next batch of queries would exceed the oracle's budget (nothing was evaluated)."""


def _numpy_callable(fn: Callable) -> Callable[[np.ndarray], np.ndarray]:
    """A torch ``nn.Module`` is called on float64 tensors without gradients; anything else as is."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency of the project
        return fn
    if not isinstance(fn, torch.nn.Module):
        return fn

    def call(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return fn(torch.from_numpy(x)).detach().cpu().numpy()

    return call


class Oracle:
    """Black-box access ``x ↦ f(x)`` that counts queries (one per input row).

    The extraction algorithms receive only this object: a callable on ``(m, n_in)`` float64
    arrays. Every row evaluated is counted in ``n_queries``; an output that is not finite
    raises :class:`OracleError` naming the bad rows; a batch that would take the count past
    ``budget`` raises :class:`QueryBudgetExceeded` before it is evaluated. A uniform sample of
    the answered rows is kept (:meth:`answered`, reservoir sampling, at most 2²² numbers), so
    that a recovered network can be checked against answers already paid for.

    Parameters
    ----------
    fn : callable
        ``fn(x)`` with ``x`` of shape ``(m, n_in)`` returning ``(m, n_out)`` or ``(m,)``; a torch
        ``nn.Module`` (float64 parameters) is called on float64 tensors.
    n_in : int
        Input dimension.
    budget : int, optional
        Most rows that may be evaluated in all.

    Examples
    --------
    >>> oracle = Oracle(lambda x: np.abs(x).sum(1), n_in=3)
    >>> oracle(np.ones((5, 3))).shape, oracle.n_queries
    ((5, 1), 5)
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], n_in: int, *, budget: int | None = None) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        if int(n_in) < 1:
            raise ValueError(f"n_in must be a positive int, got {n_in!r}")
        if budget is not None and int(budget) < 1:
            raise ValueError(f"budget must be a positive int or None, got {budget!r}")
        self._fn = _numpy_callable(fn)
        self.n_in = int(n_in)
        self.budget = None if budget is None else int(budget)
        self.n_queries = 0
        self._kept: tuple[np.ndarray, np.ndarray] | None = None
        self._sampler = np.random.default_rng(0)  # the reservoir's own draws: no caller's stream moves

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"oracle input must have shape (m, {self.n_in}), got {x.shape}")
        if self.budget is not None and self.n_queries + x.shape[0] > self.budget:
            raise QueryBudgetExceeded(f"query budget of {self.budget} reached ({self.n_queries} used,"
                                      f" {x.shape[0]} more asked)")
        self.n_queries += x.shape[0]
        y = np.asarray(self._fn(x), dtype=np.float64)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[0] != x.shape[0]:
            raise OracleError(f"oracle output must have shape ({x.shape[0]}, n_out), got {y.shape}")
        bad = ~np.isfinite(y).all(axis=1)
        if bad.any():
            raise OracleError(
                f"oracle returned non-finite values (NaN or inf) for {int(bad.sum())} of "
                f"{len(y)} inputs, e.g. row {int(np.flatnonzero(bad)[0])}; a ReLU network is finite"
            )
        self._keep(x, y)
        return y

    def _keep(self, x: np.ndarray, y: np.ndarray) -> None:
        """Reservoir sampling (Vitter's algorithm R) over every answered row: row ``i`` (counted
        from the first query) takes a slot while slots are free, later a uniform slot in
        ``[0, i]`` if that is below the capacity."""
        if self._kept is None:
            rows = max(1, _KEPT_NUMBERS // (x.shape[1] + y.shape[1]))
            self._kept = (np.empty((rows, x.shape[1])), np.empty((rows, y.shape[1])))
        kx, ky = self._kept
        index = self.n_queries - len(x) + np.arange(len(x))
        slot = np.where(index < len(kx), index, self._sampler.integers(0, index + 1))
        take = slot < len(kx)
        kx[slot[take]], ky[slot[take]] = x[take], y[take]

    def answered(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept ``(x, N(x))`` rows: all of them while they fit, else a uniform sample."""
        if self._kept is None:
            return np.empty((0, self.n_in)), np.empty((0, 0))
        n = min(self.n_queries, len(self._kept[0]))
        return self._kept[0][:n], self._kept[1][:n]


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

