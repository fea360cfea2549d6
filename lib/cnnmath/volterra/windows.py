r"""Order-:math:`n` forms of sliding windows in bounded memory: the engine of the order-n convolutions.

Every output of an order-:math:`n` convolution is a degree-:math:`n` form of one window
:math:`p \in \mathbb{R}^D` of the input (``D = K`` in 1-D, ``C·K1·K2`` in 2-D):

.. math:: y = \sum_{i_1..i_n} H[i_1..i_n]\, p_{i_1} \cdots p_{i_n}
            = \sum_{k} p_k \sum_{I} H[I, k]\, m_I(p),

:math:`m_I` running over the degree-:math:`(n-1)` monomials of the window. Windows are columns
of a ``(D, N)`` matrix (in 1-D a strided view of the signal, no copy) and are processed in blocks
of columns, so the memory beyond input, output and kernel is bounded.

Only the symmetric part of :math:`H` reaches the output, so
:math:`y = \sum_{i_1 \le \dots \le i_n} c[i_1..i_n]\, p_{i_1} \cdots p_{i_n}` with :math:`c` the
sum of :math:`H` over the permutations of each multiset: :math:`\binom{D+n-1}{n}` terms instead
of :math:`D^n` (165 instead of 729 for ``D = 9, n = 3``; 6,188 instead of 371,293 for
``D = 13, n = 5``). A multiset :math:`i_1 \le \dots \le i_d` is stored at its rank in the
combinatorial number system, :math:`\sum_{j=1}^{d} \binom{i_j + j - 1}{j}`, so the monomials of
degree :math:`d` ending in index :math:`k` are those of degree :math:`d-1` with rank below
:math:`\binom{k+d-1}{d-1}`, times :math:`p_k`: each level is made of contiguous row products
(level 1 is the windows themselves), and the last level is one matrix product with the
coefficients laid out per last index.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import torch

__all__ = ["WORK_ELEMENTS", "column_forms", "symmetric_coefficients"]

WORK_ELEMENTS = 1 << 21  # numbers in one block's working set (16 MiB of float64)
_MAP_CHUNK = 1 << 16  # kernel entries ranked at a time
_CACHED_MAP = 1 << 21  # rank maps up to this many entries are kept (16 MiB of int64)
_FINAL_MATRIX = 1 << 22  # largest zero-padded last-level matrix (32 MiB of float64)
_SPARE = threading.local()  # per thread, the last block buffer, kept for the next call


def _buffer(numel: int, like: torch.Tensor) -> torch.Tensor:
    """A flat scratch tensor of ``numel`` numbers, reused across calls (per thread, dtype and device).

    A fresh buffer of megabytes costs more than the products written into it (the system maps and
    zeroes its pages on first touch), so the last one is kept; at most :data:`WORK_ELEMENTS` numbers.
    """
    spare = getattr(_SPARE, "buffer", None)
    if spare is None or spare.numel() < numel or spare.dtype != like.dtype or spare.device != like.device:
        spare = like.new_empty(numel)
        if numel <= WORK_ELEMENTS:
            _SPARE.buffer = spare
    return spare[:numel]


def _sorted_digits(flat: torch.Tensor, size: int, order: int) -> torch.Tensor:
    """The ``order`` digits (base ``size``) of each flat index, sorted: its multiset, ``(N, order)``."""
    return torch.stack([(flat // size ** (order - 1 - a)) % size for a in range(order)], -1).sort(-1).values


def _multiset_ranks(digits: torch.Tensor, size: int) -> torch.Tensor:
    """Rank ``Σ_j C(i_j + j, j + 1)`` of each row of sorted digits in ``0..size−1`` (0 for no digit)."""
    table = torch.tensor([[math.comb(i + j, j + 1) for i in range(size)] for j in range(digits.shape[1])])
    return sum((table[j][digits[:, j]] for j in range(digits.shape[1])), torch.zeros(len(digits), dtype=torch.int64))


def _ranks(flat: torch.Tensor, size: int, order: int) -> torch.Tensor:
    """Rank of the sorted digits of each flat index (base ``size``, ``order`` digits)."""
    return _multiset_ranks(_sorted_digits(flat, size, order), size)


@lru_cache(maxsize=16)
def _rank_map(size: int, order: int) -> torch.Tensor:
    ranks = torch.empty(size**order, dtype=torch.int64)
    for start in range(0, len(ranks), _MAP_CHUNK):
        ranks[start : start + _MAP_CHUNK] = _ranks(torch.arange(start, min(start + _MAP_CHUNK, len(ranks))), size, order)
    return ranks


def symmetric_coefficients(kernel: torch.Tensor, size: int, order: int) -> torch.Tensor:
    r"""``(C_out, size^order)`` kernel → ``(C(size+order−1, order), C_out)`` multiset coefficients :math:`c`.

    :math:`c[\text{rank}(m)] = \sum_{\text{tuples } i \text{ with multiset } m} H[i]`; the kernel
    is read in chunks, so no tensor of its size is made beyond a cached rank map for small kernels.
    """
    flat = kernel.reshape(kernel.shape[0], -1)
    out = kernel.new_zeros(math.comb(size + order - 1, order), flat.shape[0])
    if flat.shape[1] <= _CACHED_MAP:
        return out.index_add_(0, _rank_map(size, order), flat.T)
    for start in range(0, flat.shape[1], _MAP_CHUNK):
        stop = min(start + _MAP_CHUNK, flat.shape[1])
        out.index_add_(0, _ranks(torch.arange(start, stop), size, order), flat[:, start:stop].T)
    return out


@lru_cache(maxsize=16)
def _final_places(size: int, order: int) -> torch.Tensor:
    """Place ``k · prefixes + prefix rank`` in the last-level matrix of each kernel entry (flat index).

    A multiset ending in index ``k`` (its largest) is that index after the multiset of its other
    ``order − 1`` indices, whose rank is below ``C(k+order−1, order−1)``.
    """
    prefixes, place = math.comb(size + order - 2, order - 1), torch.empty(math.comb(size + order - 1, order), dtype=torch.int64)
    for k in range(size):
        count, offset = math.comb(k + order - 1, order - 1), math.comb(k + order - 1, order)
        place[offset : offset + count] = torch.arange(k * prefixes, k * prefixes + count)
    return place[_rank_map(size, order)]


def _final_layout(kernel: torch.Tensor, size: int, order: int) -> torch.Tensor | None:
    """Coefficients as a ``(size·C_out, C(size+order−2, order−1))`` matrix (zero where the prefix is too long).

    Row ``(k, o)`` holds the coefficients of the monomials ending in index ``k``, by the rank of
    their prefix: each entry of ``kernel`` ``(C_out, size^order)`` is added straight to its place
    (the same sums, in the same order, as :func:`symmetric_coefficients`). ``None`` where that
    matrix would exceed its budget, or the kernel that of a cached map (the last level then runs per
    index, on coefficients ranked in chunks).
    """
    prefixes = math.comb(size + order - 2, order - 1)
    if size**order > _CACHED_MAP or prefixes * size * kernel.shape[0] > _FINAL_MATRIX:
        return None
    flat = kernel.reshape(kernel.shape[0], -1).T
    final = kernel.new_zeros(size * prefixes, kernel.shape[0]).index_add_(0, _final_places(size, order), flat)
    return final.view(size, prefixes, -1).permute(0, 2, 1).reshape(-1, prefixes)


class _Forms:
    """The multiset coefficients of one kernel, ready to be applied to blocks of windows."""

    def __init__(self, kernel: torch.Tensor, size: int, order: int) -> None:
        self.size, self.order, self.channels = size, order, kernel.shape[0]
        # on the CPU: the permutation sums then come out the same on every device and every call
        # (a GPU's index_add_ adds in no fixed order)
        final = _final_layout(kernel.cpu(), size, order) if order > 1 else None
        self.final = None if final is None else final.to(kernel.device)
        self.coeff = None if final is not None else symmetric_coefficients(kernel.cpu(), size, order).to(kernel.device)
        self.levels = [math.comb(size + d - 1, d) for d in range(2, order)]
        # per degree d ≥ 2: for each last index k, (count, offset) of the multisets ending in k
        self.spans = [[(math.comb(k + d - 1, d - 1), math.comb(k + d - 1, d)) for k in range(size)] for d in range(2, order + 1)]
        width = sum(self.levels) + (size + 1) * self.channels + size
        self.columns = max(1, WORK_ELEMENTS // width)

    def __call__(self, columns: torch.Tensor) -> torch.Tensor:
        """The forms of the windows ``columns`` ``(D, N)`` or ``(D, B, T)`` → ``(C_out, N)`` or
        ``(C_out, B, T)``, block by block.

        Three axes: ``B`` rows of ``T`` windows (the windows of ``B`` signals; any strides), so
        that no window straddles two signals. A block is a run of whole rows, or a run of windows
        of one row where a row alone exceeds the block.
        """
        flat = columns.dim() == 2
        windows = columns.unsqueeze(1) if flat else columns
        rows, count = windows.shape[1], windows.shape[2]
        out = columns.new_empty(self.channels, *columns.shape[1:])
        target = out.unsqueeze(1) if flat else out
        step = min(self.columns, max(rows * count, 1))
        scratch = _buffer(sum(self.levels) * step, columns)
        buffers, start = [], 0
        for length in self.levels:
            buffers.append(scratch[start : start + length * step].view(length, step))
            start += length * step
        if count >= step:  # part of a row per block
            for r in range(rows):
                for t in range(0, count, step):
                    self.block(windows[:, r : r + 1, t : t + step], buffers, target[:, r : r + 1, t : t + step])
        else:
            per = step // count
            for r in range(0, rows, per):
                self.block(windows[:, r : r + per], buffers, target[:, r : r + per])
        return out

    def block(self, patches: torch.Tensor, buffers: list[torch.Tensor], out: torch.Tensor) -> None:
        """Forms of the windows ``patches`` ``(D, b, t)`` (any strides) into ``out`` ``(C_out, b, t)``."""
        size, shape = self.size, patches.shape[1:]
        width = shape[0] * shape[1]
        rows = patches.unbind(0)
        monomials, matrix = patches, None  # degree 1; ``matrix``: the last level as a (rows, width) matrix
        for buffer, spans in zip(buffers, self.spans):  # multisets ending in k: degree d-1 ranks < C(k+d-1, d-1), times p_k
            matrix = buffer[:, :width]
            level = matrix.view(-1, *shape)
            for row, (count, offset) in zip(rows, spans):
                torch.mul(monomials[:count], row, out=level[offset : offset + count])
            monomials = level
        if matrix is None:  # order 1 or 2: the windows themselves, as a matrix (a copy where they overlap)
            matrix = patches.reshape(size, width)
        if self.order == 1:
            out.copy_((self.coeff.T @ matrix).view(out.shape))
            return
        if self.final is not None:
            inner = (self.final @ matrix).view(size, self.channels, *shape)
            torch.sum(inner.mul_(patches[:, None]), 0, out=out)
            return
        out.zero_()
        for row, (count, offset) in zip(rows, self.spans[-1]):
            out.addcmul_(row, (self.coeff[offset : offset + count].T @ matrix[:count]).view(out.shape))


def column_forms(columns: torch.Tensor, kernel: torch.Tensor, order: int) -> torch.Tensor:
    r""":math:`y[o, s] = \sum_{i_1..i_n} H[o, i_1..i_n] \prod_k P[i_k, s]` in bounded memory.

    Parameters
    ----------
    columns : Tensor ``(D, N)`` or ``(D, B, T)``
        One window per column (``B`` rows of ``T`` windows: the windows of ``B`` signals); may be
        a strided view (``Tensor.unfold``): nothing is copied beyond one block.
    kernel : Tensor ``(C_out,) + (D,) * order``
    order : int
        ``n >= 1``.

    Returns
    -------
    Tensor ``(C_out, N)`` or ``(C_out, B, T)``.
    """
    return _Forms(kernel.to(columns.dtype), columns.shape[0], order)(columns)
