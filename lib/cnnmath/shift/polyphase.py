"""Periodic multichannel two-channel filter banks along one image axis, as block matrix products.

A decimated analysis stage keeps only the samples that survive the stride-2 decimation:

    y_k[i] = Σ_{t=0}^{L-1} x[(2i + t - o + d_k) mod n] f_k[t],        i = 0 … n/2 - 1,

for each output channel ``k`` (filter ``f_k``, delay ``d_k`` ∈ {0, 1}, common offset ``o``).
Splitting ``i`` into blocks of ``b`` outputs, block ``j`` reads the window
``x[2jb - o : 2jb - o + 2b + L - 1]`` and is one product with a fixed ``(2b + L - 1) × (K b)``
matrix (the polyphase matrix of the bank written out over a block), so a whole stage, for every
channel, row and image, is one batched GEMM; the discarded samples are never computed.
Along the rows (``axis = -2``) the windows are overlapping strided views of a periodically
padded copy, multiplied from the left without any further copy; along the contiguous axis
(``axis = -1``) they are gathered once. The synthesis stage is the exact adjoint.

Layouts (``G`` groups, each with its own bank of ``K`` filters; ``R`` rows, ``C`` columns):

- ``axis = -1``: :func:`analyse` ``(B, G, R, n)`` → ``(B, G, K, R, n/2)``;
- ``axis = -2``: :func:`analyse` ``(B, G, n, C)`` → ``(B, G, K, n/2, C)``;

and :func:`synthesise` maps back. Along the rows, a window of ``span`` rows of every channel is
stored as one ``(span·K, C)`` matrix (the channels inside each row), so a stage is one batched
product per run of groups with identical banks, and the outputs are returned as views of that
layout (not contiguous). Used by :mod:`cnnmath.shift.dtcwpt` and :mod:`cnnmath.shift.dtcwt`.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

__all__ = ["analyse", "synthesise"]

_MAX_BLOCK = 16


def _block(half: int, taps: int) -> int:
    """Outputs per block: a power of two ≤ 16 dividing ``half``, at least 4 blocks where possible."""
    b = math.gcd(half, _MAX_BLOCK)
    while b > 8 and half // b < 4:
        b //= 2
    return b


@functools.lru_cache(maxsize=256)
def _analysis_blocks(bank: bytes, shape: tuple[int, int, int], delays: tuple[int, ...], b: int) -> np.ndarray:
    """``(G, W, K, b)``, ``W = 2b + L - 1``: ``M[g, 2r + t + d_k, k, r] = f_gk[t]``."""
    G, K, L = shape
    f = np.frombuffer(bank, dtype=np.float64).reshape(G, K, L)
    M = np.zeros((G, 2 * b + L - 1, K, b))
    for k, d in enumerate(delays):
        for r in range(b):
            M[:, 2 * r + d : 2 * r + d + L, k, r] = f[:, k]
    return M


def _synthesis_span(L: int, offset: int, b: int) -> tuple[int, int]:
    """Coefficients reaching output block ``j`` (samples ``[2jb, 2jb + 2b)``): ``i - jb ∈ [lo, lo + span)``.

    Coefficient ``i`` touches samples ``[2i - o, 2i - o + L]``.
    """
    lo = -((L - offset) // 2)  # ⌈(o - L)/2⌉
    hi = (2 * b - 1 + offset) // 2
    return lo, hi - lo + 1


@functools.lru_cache(maxsize=256)
def _synthesis_blocks(bank: bytes, shape: tuple[int, int, int], delays: tuple[int, ...], b: int, offset: int) -> np.ndarray:
    """``(G, K, span, 2b)``: weight of coefficient ``jb + lo + c`` of channel ``k`` on sample ``2jb + s``."""
    G, K, L = shape
    f = np.frombuffer(bank, dtype=np.float64).reshape(G, K, L)
    lo, span = _synthesis_span(L, offset, b)
    S = np.zeros((G, K, span, 2 * b))
    for k, d in enumerate(delays):
        for c in range(span):
            for s in range(2 * b):
                t = s - 2 * (lo + c) + offset - d
                if 0 <= t < L:
                    S[:, k, c, s] = f[:, k, t]
    return S


@functools.lru_cache(maxsize=256)
def _tensor(kind: str, bank: bytes, shape: tuple[int, int, int], delays: tuple[int, ...], b: int, offset: int,
            dtype: torch.dtype, device: str) -> torch.Tensor:
    if kind == "analysis":
        M = _analysis_blocks(bank, shape, delays, b)
    elif kind == "analysis rows":  # (G, b·K, W), the output index (r, k): channels inside each row
        A = _analysis_blocks(bank, shape, delays, b)
        M = np.ascontiguousarray(A.transpose(0, 3, 2, 1)).reshape(A.shape[0], -1, A.shape[1])
    elif kind == "synthesis":
        M = _synthesis_blocks(bank, shape, delays, b, offset)
    else:  # "synthesis rows": (G, 2b, span·K), the contraction index (c, k) of a row-major window
        S = _synthesis_blocks(bank, shape, delays, b, offset)
        M = np.ascontiguousarray(S.transpose(0, 3, 2, 1)).reshape(S.shape[0], S.shape[3], -1)
    return torch.as_tensor(M, dtype=dtype, device=device)


def _key(bank: np.ndarray) -> tuple[bytes, tuple[int, int, int]]:
    bank = np.ascontiguousarray(bank, dtype=np.float64)
    return bank.tobytes(), bank.shape


@functools.lru_cache(maxsize=256)
def _runs(bank: bytes, shape: tuple[int, int, int]) -> tuple[tuple[int, int], ...]:
    """Maximal runs ``[g0, g1)`` of consecutive groups with identical banks."""
    f = np.frombuffer(bank, dtype=np.float64).reshape(shape)
    runs, g0 = [], 0
    for g in range(1, len(f) + 1):
        if g == len(f) or not np.array_equal(f[g], f[g0]):
            runs.append((g0, g))
            g0 = g
    return tuple(runs)


def _periodic_copy(x: torch.Tensor, dim: int, start: int, out: torch.Tensor) -> torch.Tensor:
    """``out`` ← entries ``start, start + 1, …`` (mod n) of ``x`` along ``dim``, in contiguous runs."""
    n, length = x.shape[dim], out.shape[dim]
    pos, s = 0, start % n
    while pos < length:
        take = min(n - s, length - pos)
        out.narrow(dim, pos, take).copy_(x.narrow(dim, s, take))
        pos, s = pos + take, 0
    return out


def _padded_rows(x: torch.Tensor, axis: int, start: int, length: int, tail: int) -> torch.Tensor:
    """Entries ``start … start + length - 1`` (mod n) of ``x`` along ``axis``, as a flat ``(N · length + tail, C)`` buffer.

    ``N`` is the product of the dimensions before ``axis``, ``C`` of those after it; the ``tail``
    spare rows let the last strided window run past the end (its results are discarded).
    """
    axis %= x.dim()
    lead, trail = x.shape[:axis], x.shape[axis + 1 :]
    N, C = math.prod(lead), math.prod(trail)
    buf = torch.empty(N * length + tail, C, dtype=x.dtype, device=x.device)
    _periodic_copy(x, axis, start, buf[: N * length].view(*lead, length, *trail))
    buf[N * length :].zero_()
    return buf


def _padded_last(x: torch.Tensor, start: int, length: int) -> torch.Tensor:
    """Entries ``start … start + length - 1`` (mod n) of the last axis of ``x``, contiguous."""
    out = torch.empty(*x.shape[:-1], length, dtype=x.dtype, device=x.device)
    return _periodic_copy(x, -1, start, out)


def analyse(x: torch.Tensor, bank: np.ndarray, offset: int, axis: int,
            delays: tuple[int, ...] | None = None, blocked: bool = False) -> torch.Tensor:
    """Decimated periodic analysis along ``axis`` of ``x``, that axis of even length ``n``.

    ``bank`` ``(G, K, L)``: group ``g`` is filtered by the ``K`` filters ``bank[g]``; output channel
    ``k`` is ``y[i] = Σ_t x[(2i + t - offset + delays[k]) mod n] bank[g, k, t]``.

    - ``axis = -1``: ``x`` ``(B, G, R, n)`` → ``(B, G, K, R, n/2)``, or with ``blocked`` the view
      ``(B, G, K, R, n/2b, b)`` that a following ``axis = -3`` stage reads without a copy;
    - ``axis ≤ -2``: ``x`` ``(B, *groups, n, *cols)`` (the groups' product is ``G``) →
      ``(B, G, K, n/2, C)``, ``C`` the product of ``cols``.
    """
    G, K, L = bank.shape
    delays = tuple(delays or (0,) * K)
    B = x.shape[0]
    n = x.shape[axis]
    half = n // 2
    b = _block(half, L)
    nb, W = half // b, 2 * b + L - 1
    key = _key(bank)
    if axis == -1:
        M = _tensor("analysis", *key, delays, b, offset, x.dtype, str(x.device))  # (G, W, K, b)
        R = x.shape[-2]
        xp = _padded_last(x, -offset, n + W - 2 * b)
        win = xp.view(B, G, R, -1).unfold(-1, W, 2 * b).reshape(B, G, R * nb, W)
        y = torch.matmul(win, M.reshape(G, W, K * b))  # (B, G, R·nb, K·b)
        y = y.view(B, G, R, nb, K, b).permute(0, 1, 4, 2, 3, 5)
        return y if blocked else y.reshape(B, G, K, R, half)
    axis %= x.dim()
    C = math.prod(x.shape[axis + 1 :])
    nw = -(-(n + W - 2 * b) // (2 * b))  # windows per image, the last ones discarded
    # group-major copy: the windows of one group over all images are one strided batch
    xg = x.permute(*range(1, axis), 0, *range(axis, x.dim()))  # (*groups, B, n, *cols)
    buf = _padded_rows(xg, axis, -offset, nw * 2 * b, W)
    Mt = _tensor("analysis rows", *key, delays, b, offset, x.dtype, str(x.device))  # (G, b·K, W)
    out = torch.empty(G, B, nw, b, K, C, dtype=x.dtype, device=x.device)  # the channels inside each row
    for g0, g1 in _runs(*key):  # groups g0 … g1 - 1 share their bank
        n_win = (g1 - g0) * B * nw
        win = buf.as_strided((n_win, W, C), (2 * b * C, C, 1), g0 * B * nw * 2 * b * C)
        torch.bmm(Mt[g0].expand(n_win, b * K, W), win, out=out[g0:g1].view(n_win, b * K, C))
    return out[:, :, :nb].permute(1, 0, 4, 2, 3, 5).reshape(B, G, K, half, C)  # a view


def synthesise(y: torch.Tensor, bank: np.ndarray, offset: int, axis: int,
               delays: tuple[int, ...] | None = None) -> torch.Tensor:
    """Adjoint of :func:`analyse`: ``(B, G, K, R, h)`` → ``(B, G, R, 2h)`` (``axis = -1``) or
    ``(B, G, K, h, C)`` → ``(B, G, 2h, C)`` (``axis = -2``).

    ``x[m] = Σ_k Σ_i y_k[i] bank[g, k, m - 2i + offset - delays[k]]`` (periodic); for an
    orthonormal bank (or a tight pair of banks) this is the inverse, up to the frame bound.
    """
    G, K, L = bank.shape
    delays = tuple(delays or (0,) * K)
    B = y.shape[0]
    half = y.shape[axis]
    n = 2 * half
    b = _block(half, L)
    nb = half // b
    lo, span = _synthesis_span(L, offset, b)
    key = _key(bank)
    if axis == -1:
        S = _tensor("synthesis", *key, delays, b, offset, y.dtype, str(y.device))  # (G, K, span, 2b)
        R = y.shape[-2]
        yp = _padded_last(y, lo, (nb - 1) * b + span)  # (B, G, K, R, ·)
        win = yp.unfold(-1, span, b).permute(0, 1, 3, 4, 2, 5).reshape(B, G, R * nb, K * span)
        return torch.matmul(win, S.reshape(G, K * span, 2 * b)).view(B, G, R, n)
    St = _tensor("synthesis rows", *key, delays, b, offset, y.dtype, str(y.device))  # (G, 2b, span·K)
    C = y.shape[-1]
    nw = -(-((nb - 1) * b + span) // b)  # windows per image, the last ones discarded
    # group-major copy with the channels inside each row: the span rows of a window, all channels,
    # are one (span·K, C) matrix, and the windows of one group over all images are one strided batch
    buf = _padded_rows(y.permute(1, 0, 3, 2, 4), 2, lo, nw * b, span)  # ((G, B, rows), K·C)
    out = torch.empty(G, B, nw, 2 * b, C, dtype=y.dtype, device=y.device)
    for g0, g1 in _runs(*key):  # groups g0 … g1 - 1 share their bank
        n_win = (g1 - g0) * B * nw
        win = buf.as_strided((n_win, span * K, C), (b * K * C, C, 1), g0 * B * nw * b * K * C)
        torch.bmm(St[g0].expand(n_win, 2 * b, span * K), win, out=out[g0:g1].view(n_win, 2 * b, C))
    return out[:, :, :nb].permute(1, 0, 2, 3, 4).reshape(B, G, n, C)  # a view
