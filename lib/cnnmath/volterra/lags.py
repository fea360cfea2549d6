r"""Order-:math:`n` convolution of signals (stride 1) from lag products that overlapping windows share.

With the multiset coefficients :math:`c` of the kernel (:mod:`cnnmath.volterra.windows`), the
output at position :math:`u` is

.. math:: y[u] = \sum_{i_1 \le \dots \le i_n} c[i_1..i_n]\, x[u+i_1] \cdots x[u+i_n].

Write a multiset by its first index :math:`a = i_1`, its last :math:`k = i_n` and the offsets
:math:`r = (i_2 - a \le \dots \le i_{n-1} - a)` of the others. The product of its first
:math:`n - 1` factors is the *lag product* :math:`P_r[u + a]`,

.. math:: P_r[v] = x[v]\, x[v + r_1] \cdots x[v + r_{n-2}],

which does not depend on the window: it is formed once per sample, where forming the degree-(n−1)
monomials of every window forms it once per window (``K`` times over at stride 1). Then

.. math:: Q[k, u] = \sum_{a} \sum_{r} W[a, k, r]\, P_r[u + a], \qquad y[u] = \sum_k x[u + k]\, Q[k, u],

with :math:`W[a, k, r] = c[a, a + r_1, \dots, a + r_{n-2}, k]` (zero unless :math:`a + r_{n-2} \le k`):
one matrix product per first index :math:`a`. The offsets :math:`r` are ranked in the combinatorial
number system, i.e. by their largest offset (the span) first, so the lag products of span
:math:`\le m` are the first :math:`\binom{m + d - 1}{d - 1}` of degree :math:`d`, and those of degree
:math:`d + 1` and span :math:`m` are those of degree :math:`d` and span :math:`\le m` times
:math:`x[v + m]`. A lag product of span :math:`\sigma` used with first index :math:`a` has
:math:`a + \sigma \le K - 1`, so only products inside the window are read: blocks can be runs of
whole signals laid end to end (or a run of samples of one signal), whose products that span two
signals are formed but never read out.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from cnnmath.volterra import windows

__all__ = ["LAG_ELEMENTS", "lag_conv1d"]

LAG_ELEMENTS = 1 << 20  # numbers in one block's samples, lag products and Q (8 MiB of float64)


def _places(flat: torch.Tensor, size: int, order: int) -> torch.Tensor:
    """Place ``(a·K + k)·R + rank(r)`` in ``W`` of each flat kernel index (``order ≥ 2``).

    ``R = C(K + n − 3, n − 2)`` offset multisets; ``rank(r) = Σ_j C(r_j + j, j + 1)`` over the sorted offsets.
    """
    digits = windows._sorted_digits(flat, size, order)
    first, last = digits[:, 0], digits[:, -1]
    rank = windows._multiset_ranks(digits[:, 1:-1] - digits[:, :1], size)
    return (first * size + last) * math.comb(size + order - 3, order - 2) + rank


@lru_cache(maxsize=16)
def _place_map(size: int, order: int) -> torch.Tensor:
    return _places(torch.arange(size**order), size, order)


def _lag_matrices(kernel: torch.Tensor, order: int) -> torch.Tensor:
    """``W`` ``(K, K, R)`` of a kernel ``(K,) * n``: every entry added to its place (on the CPU, in a fixed order)."""
    size, flat = kernel.shape[0], kernel.reshape(-1).cpu()
    rows = math.comb(size + order - 3, order - 2)
    out = flat.new_zeros(size * size * rows)
    if len(flat) <= windows._CACHED_MAP:
        out.index_add_(0, _place_map(size, order), flat)
    else:
        for start in range(0, len(flat), windows._MAP_CHUNK):
            stop = min(start + windows._MAP_CHUNK, len(flat))
            out.index_add_(0, _places(torch.arange(start, stop), size, order), flat[start:stop])
    return out.view(size, size, rows).to(kernel.device)


@lru_cache(maxsize=16)
def _levels(size: int, order: int) -> tuple[tuple[int, tuple[tuple[int, int], ...]], ...]:
    """Per degree ``d = 3..n−1``: its row count ``C(K+d−2, d−1)`` and, per span ``m``, the
    ``(count, offset)`` of its rows made from ``x[v + m]`` (degree 2 is one product, row ``m``)."""
    return tuple(
        (math.comb(size + d - 2, d - 1), tuple((math.comb(m + d - 2, d - 2), math.comb(m + d - 2, d - 1)) for m in range(size)))
        for d in range(3, order)
    )


class _LagForms:
    """One kernel's matrices ``W[a, a:, :R_a]`` and the layout of its lag products, for blocks of samples."""

    def __init__(self, kernel: torch.Tensor, order: int) -> None:
        size = self.size = kernel.shape[0]
        self.order = order
        weights = _lag_matrices(kernel, order)
        rows, base = weights.shape[2], weights.storage_offset()
        # first index a: outputs k ≥ a, lag products of span ≤ K − 1 − a (views made with as_strided,
        # several times cheaper than slicing, which the per-call cost of a small convolution feels)
        self.taps = [
            weights.as_strided((size - a, math.comb(size - 1 - a + order - 2, order - 2)), (rows, 1), base + (a * size + a) * rows)
            for a in range(size)
        ]
        self.levels = _levels(size, order)
        # per sample: the padded samples, degree 2, the higher degrees, and Q
        self.rows = 1 + (size if order > 2 else 0) + sum(rows for rows, _ in self.levels) + size

    def block(self, run: torch.Tensor, out: torch.Tensor) -> None:
        """Outputs of the signals ``run`` ``(signals, length)`` into ``out`` ``(signals, length − K + 1)``.

        The signals are copied end to end, followed by ``K − 1`` zeros, so that every lag product
        is formed at every one of the ``width`` positions, a whole degree at a time (the zeros and
        the products that span two signals are never read out).
        """
        size, (signals, length) = self.size, run.shape
        width = signals * length
        positions = width - size + 1
        scratch = windows._buffer(self.rows * width + size, run)
        base = scratch.storage_offset()

        def at(start: int, rows: int, cols: int, stride: int = width) -> torch.Tensor:
            return scratch.as_strided((rows, cols), (stride, 1), base + start)

        scratch.as_strided(run.shape, (length, 1), base).copy_(run)
        at(width, 1, size - 1).zero_()
        shifted = scratch.as_strided((size, width), (1, 1), base)  # shifted[m, v] = x[v + m]
        lags, start = 0, width + size - 1  # where the current degree's rows start
        if self.order > 2:  # degree 2: row m is x[v] x[v + m]
            torch.mul(shifted, at(0, 1, width), out=at(start, size, width))
            lags, start = start, start + size * width
        for rows, spans in self.levels:
            for m, (count, offset) in enumerate(spans):
                torch.mul(at(lags, count, width), at(m, 1, width), out=at(start + offset * width, count, width))
            lags, start = start, start + rows * width
        q = at(start, size, positions, positions)
        torch.mm(self.taps[0], at(lags, self.taps[0].shape[1], positions), out=q)
        for a in range(1, size):
            tap = self.taps[a]
            at(start + a * positions, size - a, positions, positions).addmm_(tap, at(lags + a, tap.shape[1], positions))
        count = length - size + 1
        held = scratch.as_strided((size, signals, count), (positions, length, 1), base + start)
        window = scratch.as_strided((size, signals, count), (1, length, 1), base)
        torch.sum(held.mul_(window), 0, out=out)


def lag_conv1d(kernel: torch.Tensor, signals: torch.Tensor) -> torch.Tensor:
    r"""Order-:math:`n` convolution (stride 1, :math:`n \ge 2`) of ``signals`` ``(B, L)`` with ``kernel`` ``(K,) * n``.

    :math:`y[b, t] = \sum_{i_1..i_n} H[i_1..i_n] \prod_k x[b, t + i_k]`, shape ``(B, L − K + 1)``, in
    blocks of at most about ``LAG_ELEMENTS`` numbers of lag products (whole signals where they
    fit, else runs of one signal's samples); nothing beyond one block, ``W`` and the output is held.
    """
    order, size = kernel.ndim, kernel.shape[0]
    batch, length = signals.shape
    forms = _LagForms(kernel.to(signals.dtype), order)
    out = signals.new_empty(batch, length - size + 1)
    if forms.rows * length <= LAG_ELEMENTS:  # runs of whole signals
        per = LAG_ELEMENTS // (forms.rows * length)
        if per >= batch:
            forms.block(signals, out)
        else:
            for b in range(0, batch, per):
                forms.block(signals[b : b + per], out[b : b + per])
        return out
    step = max(1, LAG_ELEMENTS // forms.rows - size + 1)  # outputs per run of one signal's samples
    for b in range(batch):
        for t in range(0, length - size + 1, step):
            forms.block(signals[b : b + 1, t : t + step + size - 1], out[b : b + 1, t : t + step])
    return out
