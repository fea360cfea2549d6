"""The 2-D dual-tree complex wavelet transform (DT-CWT), built on the DT-CWPT's filter banks.

The same q-shift filters, one-sample-delay first stage and sign conventions as
:mod:`cnnmath.shift.dtcwpt` (Leterme et al., arXiv 2209.11740, Appendix B), iterated on the
low-pass only: six complex sub-bands per level, a tight frame inverted exactly by
:func:`idtcwt2`. Used by the shift chapter's tests and its benchmark against pytorch_wavelets
and ``dtcwt``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from cnnmath.shift.dtcwpt import (
    _CHILDREN,
    _analytic_signs,
    _bank,
    _check_input,
    _check_levels,
    _crop,
    _pad_to,
    _root_bank,
    _stage,
    _unstage,
)

__all__ = ["DtcwtPyramid", "dtcwt2", "idtcwt2"]


@dataclass(frozen=True)
class DtcwtPyramid:
    """Output of :func:`dtcwt2`: real low-pass maps of the four trees and complex high-passes.

    ``lowpass``: ``(B, 4, H'/2^J, W'/2^J)`` (trees aa, ab, ba, bb, rows then columns);
    ``highpasses[j]``: ``(B, 6, H'/2^{j+1}, W'/2^{j+1})`` complex, sub-bands
    (LH ↗, LH ↘, HL ↗, HL ↘, HH ↗, HH ↘), L/H = low/high-pass along (y, x); ``size``: the
    input's ``(H, W)`` (``H', W'``: the next multiples of ``2^J``).
    """

    lowpass: torch.Tensor
    highpasses: tuple[torch.Tensor, ...]
    size: tuple[int, int]


_TREES = ("aa", "ab", "ba", "bb")  # (rows tree, columns tree)
_SUBBANDS = ((0, 1), (1, 0), (1, 1))  # (y band, x band) of LH, HL, HH


def _signs_wavelet(j: int, like: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sub-band (LH, HL, HH), the signs ``s_y``, ``s_x`` of the level-j analytic filters, and their product."""
    s = _analytic_signs(j)
    sy = np.array([s[by] for by, _ in _SUBBANDS])
    sx = np.array([s[bx] for _, bx in _SUBBANDS])
    return sy, sx, sy * sx


@functools.lru_cache(maxsize=None)
def _level_bank(j: int) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) filter banks of level ``j``: both trees' first stage at level 1; below, the
    children of the four trees' low-pass nodes (x: one group per tree; y: one per tree and x band)."""
    if j == 1:
        banks = (_root_bank(1), _root_bank(4))
    else:
        lx = ["root1" if t[1] == "a" else "root2" for t in _TREES]
        ly = ["root1" if t[0] == "a" else "root2" for t in _TREES]
        for _ in range(j - 1):  # the low-pass nodes that level j splits
            lx, ly = [_CHILDREN[label][0] for label in lx], [_CHILDREN[label][0] for label in ly]
        banks = (_bank(lx), _bank(ly, repeat=2))
    for bank in banks:
        bank.flags.writeable = False
    return banks


def _level(low: torch.Tensor, j: int) -> torch.Tensor:
    """One DT-CWT level: ``(B, 4, H, W)`` trees' low-passes (or ``(B, 1, H, W)`` image at j = 1)
    → ``(B, t_y, t_x, b_x, b_y, H/2, W/2)`` (a view: trees, then x and y bands)."""
    B = low.shape[0]
    bank_x, bank_y = _level_bank(j)
    if j == 1:  # one input, both trees' filters at once
        y = _stage(_stage(low, bank_x, -1), bank_y, -3)  # (B, (tx, bx), (ty, by), h, w)
        return y.view(B, 2, 2, 2, 2, *y.shape[-2:]).permute(0, 3, 1, 2, 4, 5, 6)
    y = _stage(_stage(low, bank_x, -1), bank_y, -3)  # (B, (tree, bx), by, h, w)
    return y.view(B, 2, 2, 2, 2, *y.shape[-2:])


def _unlevel(r: torch.Tensor, j: int) -> torch.Tensor:
    """Inverse of :func:`_level` (before the sum over the trees at j = 1); ``r`` from :func:`_trees`."""
    B, h, w = r.shape[0], r.shape[-2], r.shape[-1]
    bank_x, bank_y = _level_bank(j)
    if j == 1:
        r = r.permute(0, 2, 3, 1, 4, 5, 6).reshape(B, 4, 4, h, w)  # a view: _trees stored it so
        y = _unstage(r, bank_y, -2)  # (B, (tx, bx), H, w)
        return _unstage(y.view(B, 1, 4, 2 * h, w), bank_x, -1)  # (B, 1, H, W)
    y = _unstage(r.reshape(B, 8, 2, h, w), bank_y, -2)  # (B, (tree, bx), H, w)
    return _unstage(y.view(B, 4, 2, 2 * h, w), bank_x, -1)  # (B, 4, H, W)


@functools.lru_cache(maxsize=64)
def _sign_grids(j: int, dtype: torch.dtype, device: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``s_y``, ``s_x`` and ``s_y s_x`` of the level-j analytic filters on the ``(b_y, b_x)`` grid, ``(2, 2, 1, 1)``."""
    s = torch.tensor(_analytic_signs(j)[:2], dtype=dtype, device=device)  # bands 0 and 1 of level j
    sy, sx = s.view(2, 1, 1, 1).expand(2, 2, 1, 1), s.view(1, 2, 1, 1).expand(2, 2, 1, 1)
    return sy.contiguous(), sx.contiguous(), sy * sx


_LARGE_PLANE = 8192  # sub-band maps of at least this many samples are combined one sub-band at a time


def _highs(r: torch.Tensor, j: int) -> torch.Tensor:
    """Complex sub-bands (B.6) of one level, ``(B, t_y, t_x, b_x, b_y, h, w)`` → ``(B, 6, h, w)``.

    Sub-band ``(b_y, b_x)`` has ``Re = aa ∓ s_y s_x bb`` and ``Im = s_y ba ± s_x ab``
    (orientations ↗, ↘). Small maps are combined on the whole ``(b_y, b_x)`` grid at once (four
    products with the signs; the ``(0, 0)`` cell, the low-pass, is computed and dropped): fewer
    operations. Large maps are combined one sub-band at a time with signed sums (unit-stride
    loops, no sign products): less time per sample. Both give the same numbers.
    """
    B, h, w = r.shape[0], r.shape[-2], r.shape[-1]
    if h * w >= _LARGE_PLANE:
        re = torch.empty(B, 3, 2, h, w, dtype=r.dtype, device=r.device)  # (sub-band, orientation)
        im = torch.empty_like(re)
        s = _analytic_signs(j)
        for i, (by, bx) in enumerate(_SUBBANDS):
            sy, sx = s[by], s[bx]
            aa, ab, ba, bb = r[:, 0, 0, bx, by], r[:, 0, 1, bx, by], r[:, 1, 0, bx, by], r[:, 1, 1, bx, by]
            _signed_sum(aa, 1, bb, -sy * sx, re[:, i, 0])
            _signed_sum(aa, 1, bb, sy * sx, re[:, i, 1])
            _signed_sum(ba, sy, ab, sx, im[:, i, 0])
            _signed_sum(ba, sy, ab, -sx, im[:, i, 1])
        return torch.complex(re, im).flatten(1, 2)
    re = torch.empty(B, 2, 2, 2, h, w, dtype=r.dtype, device=r.device)  # (b_y, b_x, orientation)
    im = torch.empty_like(re)
    sy, sx, sxy = _sign_grids(j, r.dtype, str(r.device))
    t = r.transpose(3, 4)  # (B, t_y, t_x, b_y, b_x, h, w)
    aa, ab, ba, bb = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    torch.addcmul(aa, bb, sxy, value=-1, out=re[:, :, :, 0])
    torch.addcmul(aa, bb, sxy, out=re[:, :, :, 1])
    sba = ba * sy
    torch.addcmul(sba, ab, sx, out=im[:, :, :, 0])
    torch.addcmul(sba, ab, sx, value=-1, out=im[:, :, :, 1])
    # (b_y, b_x) = (0, 1), (1, 0), (1, 1): LH, HL, HH
    return torch.complex(re, im).view(B, 4, 2, h, w)[:, 1:].flatten(1, 2)


def _signed_sum(a: torch.Tensor, sa: float, b: torch.Tensor, sb: float, out: torch.Tensor) -> torch.Tensor:
    """``out ← sa·a + sb·b`` for signs ``sa, sb`` ∈ {±1}, in one pass where possible."""
    if sa > 0:
        return torch.add(a, b, alpha=sb, out=out)
    if sb > 0:
        return torch.sub(b, a, out=out)
    return torch.add(a, b, out=out).neg_()


@functools.lru_cache(maxsize=64)
def _tree_signs(j: int, dtype: torch.dtype, device: str) -> torch.Tensor:
    """``(t_y, t_x, sub-band, 1, 1)`` signs that turn ``(P, iQ)`` into the four trees (see :func:`_trees`)."""
    s = _analytic_signs(j)
    sy = torch.tensor([s[by] for by, _ in _SUBBANDS], dtype=dtype, device=device)
    sx = torch.tensor([s[bx] for _, bx in _SUBBANDS], dtype=dtype, device=device)
    return torch.stack([torch.stack([torch.ones_like(sy), -sx]), torch.stack([sy, -sy * sx])]).view(2, 2, 3, 1, 1)


def _trees(low: torch.Tensor, high: torch.Tensor, j: int) -> torch.Tensor:
    """Inverse of :func:`_highs` with the low-passes, times 2: the ``(B, t_y, t_x, b_x, b_y, h, w)``
    real trees, stored in the order :func:`_unlevel` reads (``(t_x, b_x, t_y, b_y)`` at j = 1).

    With ``P = ↗ + ↘`` and ``Q = ↗ − ↘`` per sub-band: ``aa = Re P``, ``ba = s_y Im P``,
    ``ab = −s_x Re(iQ)``, ``bb = −s_y s_x Im(iQ)``. Large maps take these one sub-band at a time
    as signed sums; small maps all at once: the real and imaginary parts of ``(P, iQ)`` are
    ``(t_y, t_x)`` laid out, so all four trees of all sub-bands take one product with the signs
    (two, because the sub-bands' ``(b_x, b_y)`` cells are not evenly spaced). Both give the same
    numbers. ``low`` is the trees' low-pass times 2 as well (the factor is divided out once, at the end).
    """
    B, h, w = high.shape[0], high.shape[-2], high.shape[-1]
    store = torch.empty(B, 2, 2, 2, 2, h, w, dtype=low.dtype, device=low.device)
    r = store.permute(0, 3, 1, 2, 4, 5, 6) if j == 1 else store
    r[:, :, :, 0, 0] = low.view(B, 2, 2, h, w)
    if h * w >= _LARGE_PLANE:
        z = torch.view_as_real(high.view(B, 3, 2, h, w))
        s = _analytic_signs(j)
        for i, (by, bx) in enumerate(_SUBBANDS):
            sy, sx = s[by], s[bx]
            ne_re, ne_im, se_re, se_im = z[:, i, 0, ..., 0], z[:, i, 0, ..., 1], z[:, i, 1, ..., 0], z[:, i, 1, ..., 1]
            torch.add(ne_re, se_re, out=r[:, 0, 0, bx, by])
            _signed_sum(se_re, sy * sx, ne_re, -sy * sx, r[:, 1, 1, bx, by])
            _signed_sum(ne_im, sy, se_im, sy, r[:, 1, 0, bx, by])
            _signed_sum(ne_im, sx, se_im, -sx, r[:, 0, 1, bx, by])
        return r
    ne, se = high.view(B, 3, 2, h, w).unbind(2)
    pq = torch.empty(B, 2, 3, h, w, dtype=high.dtype, device=high.device)  # (t_x, sub-band): P, iQ
    torch.add(ne, se, out=pq[:, 0])
    torch.sub(ne, se, out=pq[:, 1]).mul_(1j)
    v = torch.view_as_real(pq).permute(0, 5, 1, 2, 3, 4)  # (B, t_y, t_x, sub-band, h, w)
    signs = _tree_signs(j, low.dtype, str(low.device))
    torch.mul(v[:, :, :, 0], signs[:, :, 0], out=r[:, :, :, 1, 0])  # LH: (b_x, b_y) = (1, 0)
    torch.mul(v[:, :, :, 1:], signs[:, :, 1:], out=r[:, :, :, :, 1])  # HL, HH: (0, 1), (1, 1)
    return r


def dtcwt2(x: torch.Tensor, J: int) -> DtcwtPyramid:
    """2-D dual-tree complex wavelet transform with the paper's filters, J levels, periodic.

    Only the low-pass node is split at each level (Kingsbury's DT-CWT); each level gives six
    complex oriented sub-bands, products of 1-D complex scaling functions and wavelets (B.6).
    ``x`` is ``(B, H, W)`` float of any size (extended symmetrically to multiples of ``2^J``,
    cropped back by :func:`idtcwt2`). Each level is two batched matrix products that compute
    only the kept samples, both trees at once (:mod:`cnnmath.shift.polyphase`).

    Examples
    --------
    >>> p = dtcwt2(torch.randn(2, 32, 32), J=3)
    >>> tuple(p.lowpass.shape), [tuple(h.shape) for h in p.highpasses]
    ((2, 4, 4, 4), [(2, 6, 16, 16), (2, 6, 8, 8), (2, 6, 4, 4)])
    """
    _check_levels(J)
    _check_input(x)
    xp = _pad_to(x, 2**J)
    size = (x.shape[-2], x.shape[-1])
    c = _chunk(xp.shape[-2] * xp.shape[-1])
    if c < len(xp):  # a few images at a time: the working set stays in cache
        parts = [_dtcwt2(xp[i : i + c], J) for i in range(0, len(xp), c)]
        highs = tuple(torch.cat([p[1][j] for p in parts]) for j in range(J))
        return DtcwtPyramid(torch.cat([p[0] for p in parts]), highs, size)
    low, highs = _dtcwt2(xp, J)
    return DtcwtPyramid(low, tuple(h.contiguous() for h in highs), size)  # a copy only for 2 images


_CHUNK_PIXELS = 2 * 256 * 256


def _chunk(pixels: int) -> int:
    """Images of ``pixels`` pixels per call: about :data:`_CHUNK_PIXELS` pixels (at least one image)."""
    return max(1, _CHUNK_PIXELS // pixels)


def _dtcwt2(x: torch.Tensor, J: int) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    low = x.unsqueeze(1)
    highs = []
    for j in range(1, J + 1):
        r = _level(low, j)
        highs.append(_highs(r, j))
        low = r[:, :, :, 0, 0].reshape(r.shape[0], 4, *r.shape[-2:])
    return low, tuple(highs)


def idtcwt2(pyramid: DtcwtPyramid) -> torch.Tensor:
    """Inverse of :func:`dtcwt2`: ``idtcwt2(dtcwt2(x, J)) == x`` (tight frame, exact), at ``pyramid.size``."""
    J = len(pyramid.highpasses)
    _check_levels(J, "len(pyramid.highpasses)")
    rows, cols = pyramid.highpasses[0].shape[-2:]
    c = _chunk(4 * rows * cols)  # the level-1 sub-bands are a quarter of the image
    B = pyramid.lowpass.shape[0]
    parts = [_idtcwt2(pyramid.lowpass[i : i + c], [h[i : i + c] for h in pyramid.highpasses]) for i in range(0, B, c)]
    return _crop(parts[0] if len(parts) == 1 else torch.cat(parts), pyramid.size)


def _idtcwt2(lowpass: torch.Tensor, highpasses: list[torch.Tensor]) -> torch.Tensor:
    low = 2 * lowpass  # every tree coefficient is carried times 2 (see _trees)
    for j in range(len(highpasses), 0, -1):
        low = _unlevel(_trees(low, highpasses[j - 1], j), j)
    return low[:, 0] / 8
