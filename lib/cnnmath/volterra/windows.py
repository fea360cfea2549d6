r"""Order-:math:`n` forms of sliding windows in bounded memory: the engine of the order-n convolutions.

Every output of an order-:math:`n` convolution is a degree-:math:`n` form of one window
:math:`p \in \mathbb{R}^D` of the input (``D = K`` in 1-D, ``C·K1·K2`` in 2-D):

.. math:: y = \sum_{i_1..i_n} H[i_1..i_n]\, p_{i_1} \cdots p_{i_n}
            = \sum_{i_1 \le \dots \le i_n} c[i_1..i_n]\, p_{i_1} \cdots p_{i_n},

where :math:`c` sums :math:`H` over the permutations of each index multiset (only the symmetric
part of :math:`H` reaches the output). There are :math:`\binom{D+n-1}{n}` multisets instead of
:math:`D^n` index tuples (6,188 instead of 371,293 for ``D = 13, n = 5``). A multiset
:math:`i_1 \le \dots \le i_d` is stored at its rank in the combinatorial number system,
:math:`\sum_{j=1}^{d} \binom{i_j + j - 1}{j}`, so the monomials of degree :math:`d` ending in index
:math:`k` are those of degree :math:`d-1` with rank below :math:`\binom{k+d-1}{d-1}`, times
:math:`p_k`. The monomials of degree ``n − 1`` are built level by level (one product of
contiguous rows per last index); the last level is one matrix product with the coefficients laid out per last
index. Rows are processed in blocks of at most ``WORK_ELEMENTS`` working numbers, so the
memory beyond input, output and kernel is bounded whatever the batch, length, order and kernel.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

__all__ = ["WORK_ELEMENTS", "symmetric_coefficients", "window_forms"]

WORK_ELEMENTS = 1 << 19  # numbers in one block's working set (4 MiB of float64)
_MAP_CHUNK = 1 << 16  # kernel entries ranked at a time
_CACHED_MAP = 1 << 21  # rank maps up to this many entries are kept (16 MiB of int64)
_FINAL_MATRIX = 1 << 22  # largest zero-padded last-level matrix (32 MiB of float64)


def _ranks(flat: torch.Tensor, size: int, order: int) -> torch.Tensor:
    """Rank of the sorted digits of each flat index (base ``size``, ``order`` digits)."""
    digits = torch.stack([(flat // size ** (order - 1 - a)) % size for a in range(order)], -1).sort(-1).values
    table = torch.tensor([[math.comb(i + j, j + 1) for i in range(size)] for j in range(order)])
    return sum(table[j][digits[:, j]] for j in range(order))


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


def _final_layout(coeff: torch.Tensor, size: int, order: int) -> torch.Tensor | None:
    """Coefficients as a ``(size·C_out, C(size+order−2, order−1))`` matrix (zero where the prefix is too long).

    Row ``(k, o)`` holds the coefficients of the monomials ending in index ``k``, by the rank of
    their prefix. ``None`` where that matrix would exceed its budget (the last level then runs per index).
    """
    prefixes = math.comb(size + order - 2, order - 1)
    if prefixes * size * coeff.shape[1] > _FINAL_MATRIX:
        return None
    final = coeff.new_zeros(size, coeff.shape[1], prefixes)
    for k in range(size):
        count, offset = math.comb(k + order - 1, order - 1), math.comb(k + order - 1, order)
        final[k, :, :count] = coeff[offset : offset + count].T
    return final.reshape(-1, prefixes)


def _block_forms(
    patches: torch.Tensor, coeff: torch.Tensor, final: torch.Tensor | None, order: int
) -> torch.Tensor:
    """Forms of the windows ``patches`` ``(D, R)`` (one window per column) → ``(C_out, R)``.

    Monomials are kept one per row, so every product reads and writes contiguous rows.
    """
    size = patches.shape[0]
    monomials = patches.new_ones(1, patches.shape[1])
    for degree in range(1, order):  # degree-d monomials ending in k: those of degree d-1 up to rank C(k+d-1, d-1), times p_k
        level = patches.new_empty(math.comb(size + degree - 1, degree), patches.shape[1])
        for k in range(size):
            count, offset = math.comb(k + degree - 1, degree - 1), math.comb(k + degree - 1, degree)
            torch.mul(monomials[:count], patches[k], out=level[offset : offset + count])
        monomials = level
    if final is not None:
        inner = (final @ monomials).reshape(size, -1, patches.shape[1])
        return inner.mul_(patches[:, None]).sum(0)
    out = patches.new_zeros(coeff.shape[1], patches.shape[1])
    for k in range(size):
        count, offset = math.comb(k + order - 1, order - 1), math.comb(k + order - 1, order)
        out.addcmul_(patches[k], coeff[offset : offset + count].T @ monomials[:count])
    return out


def window_forms(windows: torch.Tensor, kernel: torch.Tensor, order: int) -> torch.Tensor:
    r""":math:`y[b, t, o] = \sum_{i_1..i_n} H[o, i_1..i_n] \prod_k W[b, t, i_k]` in bounded memory.

    Parameters
    ----------
    windows : Tensor ``(B, T, D)``
        The windows; may be a strided view (``Tensor.unfold``): only blocks of rows are copied.
    kernel : Tensor ``(C_out,) + (D,) * order``
    order : int
        ``n >= 1``.

    Returns
    -------
    Tensor ``(B, T, C_out)``.
    """
    batch, length, size = windows.shape
    coeff = symmetric_coefficients(kernel.to(windows.dtype), size, order)
    final = _final_layout(coeff, size, order)
    width = 4 * math.comb(size + order - 2, order - 1) + 2 * size + coeff.shape[1] * (size + 1)
    rows = max(1, WORK_ELEMENTS // width)
    out = windows.new_empty(batch, length, coeff.shape[1])
    if length >= rows:
        for b in range(batch):
            for t in range(0, length, rows):
                block = windows[b, t : t + rows].T.contiguous()
                out[b, t : t + rows] = _block_forms(block, coeff, final, order).T
    else:
        step = rows // length
        for b in range(0, batch, step):
            block = windows[b : b + step].reshape(-1, size).T.contiguous()
            out[b : b + step] = _block_forms(block, coeff, final, order).T.reshape(-1, length, coeff.shape[1])
    return out
