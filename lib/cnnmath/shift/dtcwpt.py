"""Dual-tree complex wavelet (DT-CWT) and wavelet-packet (DT-CWPT) transforms in 2-D, in torch.

The filter banks are those of Leterme et al., "On the shift invariance of max pooling feature
maps in CNNs" (arXiv 2209.11740, v2), Appendix B, as implemented in the authors' ``wcnn`` code:

- Kingsbury's length-10 orthogonal q-shift filters ``qshift_a`` (Kingsbury, ICIP 2003); tree a
  uses the time-reversed low-pass ``h0b``, tree b uses ``h0a`` (a quarter-sample delay each way).
- A first stage of "one-sample delay" filters: the same q-shift pair in both trees, zero-padded
  to 12 taps so that tree b is delayed by one input sample (not the biorthogonal ``near_sym``
  first stage of the classical DT-CWT).
- The packet rule of Bayram and Selesnick: below the first high-pass the two trees swap their
  q-shift filters once, and deeper packet nodes use identical filters in both trees.

Every stage is an orthonormal two-channel filter bank applied with periodic boundaries, so each
of the four real separable trees is an orthonormal transform; the complex combination (B.6)
doubles the energy and the whole transform is a tight frame of bound 8 (Parseval: the sum of
squared moduli of all coefficients is ``8 ‖X‖²``), inverted exactly by :func:`idtcwpt2` and
:func:`cnnmath.shift.dtcwt.idtcwt2`.

Complex maps are returned as ``torch.complex`` tensors ``(B, 2, P, P, h, w)`` (DT-CWPT) where the
orientation axis holds ``0``: the filters whose spectrum lies in ``θ_y > 0, θ_x > 0`` ("↗") and
``1``: ``θ_y > 0, θ_x < 0`` ("↘"); the packet axes are sorted by frequency band, so the filter
``(o, k_y, k_x)`` is centred at ``θ = ((k_y+½)π/P, ±(k_x+½)π/P)`` (Prop. B.4), ``P = 2^J``.
Used by the ``shift`` chapter (Figs. 6-9, Table 1).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from cnnmath.shift import polyphase

__all__ = [
    "QSHIFT_A_H0A",
    "band_order",
    "centre_frequencies",
    "dtcwpt2",
    "dtcwpt_filters",
    "energy_concentration",
    "idtcwpt2",
    "packet_filters_1d",
]

# Kingsbury's q-shift analysis low-pass filter "h0a" of the set ``qshift_a`` (10 taps, sum √2,
# unit norm): N. Kingsbury, "Design of q-shift complex wavelets for image processing using
# frequency domain energy minimization", ICIP 2003. Values as distributed in the ``dtcwt`` Python
# package (file ``qshift_a.npz``) and reproduced to 15 digits in LTFAT's ``wfilt_qshifta.m``.
QSHIFT_A_H0A = (
    0.0511304052838317,
    -0.0139753702468888,
    -0.109836051665971,
    0.263839561058938,
    0.766628467793037,
    0.563655710127052,
    0.000873622695217097,
    -0.100231219507476,
    -0.00168968127252815,
    -0.00618188189211644,
)

_DTYPES = (torch.float32, torch.float64)


def _highpass(h: np.ndarray) -> np.ndarray:
    """Orthonormal QMF partner ``g[n] = (-1)^n h[L-1-n]`` of an even-length low-pass ``h``."""
    return ((-1.0) ** np.arange(len(h))) * h[::-1]


@functools.lru_cache(maxsize=None)
def _filters() -> dict[str, np.ndarray]:
    """The 1-D filters by name: first stage ``*fs`` (12 taps) and q-shift stages (10 taps).

    ``1`` is tree a (``h1 = h0b`` of qshift_a), ``2`` tree b (``h2 = h0a``); cross-correlation
    kernels, as wcnn applies them.
    """
    h0a = np.asarray(QSHIFT_A_H0A, dtype=np.float64)
    h1, h2 = h0a[::-1].copy(), h0a.copy()
    g1, g2 = _highpass(h1), _highpass(h2)
    z = np.zeros(1)
    return {
        "h1fs": np.concatenate([z, z, h1]),
        "g1fs": np.concatenate([g1, z, z]),
        "h2fs": np.concatenate([z, h1, z]),
        "g2fs": np.concatenate([z, -g1, z]),
        "h1": h1,
        "g1": g1,
        "h2": h2,
        "g2": g2,
    }


# children's (low, high) filters as a function of the filter that produced a node (wcnn CMF_MAP)
_CHILDREN = {
    "root1": ("h1fs", "g1fs"),
    "root2": ("h2fs", "g2fs"),
    "h1fs": ("h1", "g1"),
    "g1fs": ("h2", "g2"),
    "h2fs": ("h2", "g2"),
    "g2fs": ("h1", "g1"),
    "h1": ("h1", "g1"),
    "h2": ("h2", "g2"),
    "g1": ("h1", "g1"),
    "g2": ("h1", "g1"),
}


def _check_levels(J: int, name: str = "J") -> None:
    if not isinstance(J, int) or J < 1:
        raise ValueError(f"{name} must be an int ≥ 1, got {J!r}")


def _check_input(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        raise ValueError(f"x must be a tensor (B, H, W), got {getattr(x, 'shape', type(x))}")
    if x.dtype not in _DTYPES:
        raise ValueError(f"x.dtype must be float32 or float64, got {x.dtype}")
    if min(x.shape[-2:]) < 1:
        raise ValueError(f"x's height and width must be ≥ 1, got {tuple(x.shape)}")


def _pad_to(x: torch.Tensor, multiple: int) -> torch.Tensor:
    """Extend ``(B, H, W)`` at the bottom and right to multiples of ``multiple``, symmetrically.

    Half-sample symmetric extension (``x[H + k] = x[H - 1 - k]``, repeated as needed), as the
    peers do for sizes their decimation cannot split; the inverses crop it away.
    """
    H, W = x.shape[-2:]
    ph, pw = -H % multiple, -W % multiple
    if ph == 0 and pw == 0:
        return x

    def sym(n: int, pad: int) -> torch.Tensor:
        k = torch.arange(n + pad, device=x.device) % (2 * n)
        return torch.where(k < n, k, 2 * n - 1 - k)

    return x.index_select(-2, sym(H, ph)).index_select(-1, sym(W, pw))


def _bank(labels: list[str], repeat: int = 1) -> np.ndarray:
    """``(len(labels)·repeat, 2, L)`` (low, high) filters of the children of each labelled node."""
    f = _filters()
    bank = np.stack([[f[lo], f[hi]] for lo, hi in (_CHILDREN[label] for label in labels)])
    return np.repeat(bank, repeat, axis=0)


def _children(labels: list[str]) -> list[str]:
    return [child for label in labels for child in _CHILDREN[label]]


# The first stage of both trees filters the same input: one bank of four filters
# (low a, high a, low b, high b) applied once, trees stacked as channels.
_ROOTS = ["root1", "root2"]


def _root_bank(groups: int) -> np.ndarray:
    """``(groups, 4, 12)``: the first-stage filters of trees a and b, for each group."""
    return np.repeat(_bank(_ROOTS).reshape(1, 4, -1), groups, axis=0)


def _stage(x: torch.Tensor, bank: np.ndarray, axis: int, undecimated: bool = False) -> torch.Tensor:
    """One analysis stage along ``axis`` (:func:`polyphase.analyse`), decimated or not.

    Decimated x-stages return the blocked view that the following y-stage (``axis = -3``) reads
    without a copy. Undecimated, both polyphase components are computed (delays 0 and 1) and
    interleaved.
    """
    offset = bank.shape[-1] // 2
    if not undecimated:
        return polyphase.analyse(x, bank, offset, axis, blocked=axis == -1)
    K = bank.shape[1]
    y = polyphase.analyse(x, np.repeat(bank, 2, axis=1), offset, axis, (0, 1) * K)  # (B, G, (k, phase), ·, ·)
    B, G, _, a, c = y.shape
    y = y.view(B, G, K, 2, a, c)
    if axis == -1:
        return y.permute(0, 1, 2, 4, 5, 3).reshape(B, G, K, a, 2 * c)
    return y.transpose(3, 4).reshape(B, G, K, 2 * a, c)


def _unstage(y: torch.Tensor, bank: np.ndarray, axis: int) -> torch.Tensor:
    """Adjoint (= inverse for an orthonormal bank) of a decimated :func:`_stage`."""
    return polyphase.synthesise(y, bank, bank.shape[-1] // 2, axis)


def band_order(J: int) -> np.ndarray:
    """Frequency band of each packet of a J-level QMF packet tree, in natural (Paley) order.

    Because a high-pass branch followed by decimation mirrors the spectrum, the band of child
    ``2l + k`` is ``2 b(l) + (k XOR (b(l) mod 2))`` (the Gray code).

    >>> band_order(2).tolist()
    [0, 1, 3, 2]
    """
    _check_levels(J)
    bands = np.array([0])
    for _ in range(J):
        bands = np.stack([2 * bands + (bands % 2), 2 * bands + 1 - (bands % 2)], axis=1).ravel()
    return bands


def _packet_paths(J: int, tree: int) -> list[list[str]]:
    """Filter names along each path of the full J-level 1-D packet tree, natural order."""
    paths: list[list[str]] = [[f"root{tree}"]]
    for _ in range(J):
        paths = [p + [c] for p in paths for c in _CHILDREN[p[-1]]]
    return [p[1:] for p in paths]


def packet_filters_1d(J: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Equivalent 1-D filters of the two packet trees (Lemma B.1), sorted by band.

    ``V^{(j+1)} = V^{(j)} * (G ↑ 2^j)``: the packet coefficient ``p`` of tree ``t`` is
    ``y[k] = Σ_u x[(2^J k + u - offset) mod n] V_t[p, u]``.

    Returns
    -------
    va, vb : ndarray, ``(2^J, K)`` float64
        Real equivalent filters of trees a and b.
    signs : ndarray, ``(2^J,)`` of ±1
        Sign making ``va + i·sign·vb`` analytic (spectrum mostly on positive frequencies).
    offset : int
        Common offset of all equivalent filters.
    """
    _check_levels(J)
    f = _filters()
    out = []
    for tree in (1, 2):
        kernels = []
        for path in _packet_paths(J, tree):
            v = f[path[0]]
            for j, name in enumerate(path[1:], start=1):
                up = np.zeros((len(f[name]) - 1) * 2**j + 1)
                up[:: 2**j] = f[name]
                v = np.convolve(v, up)
            kernels.append(v)
        out.append(np.stack(kernels)[np.argsort(band_order(J))])
    va, vb = out
    offset = 6 + sum(5 * 2**j for j in range(1, J))
    spec = np.fft.fft(va + 1j * vb, n=512, axis=-1)
    pos = (np.abs(spec[:, 1:256]) ** 2).sum(-1)
    neg = (np.abs(spec[:, 257:]) ** 2).sum(-1)
    signs = np.where(pos >= neg, 1.0, -1.0)
    return va, vb, signs, offset


def _combine(d: dict[str, torch.Tensor], sy: torch.Tensor, sx: torch.Tensor) -> torch.Tensor:
    """Complex combination (B.6) of the four real trees ``d['yx']``, ``(..., Py, Px, h, w)``.

    ``c_y c_x`` and ``c_y c̄_x`` with analytic 1-D packets ``c = v_a + i s v_b``; result
    ``(..., 2, Py, Px, h, w)``.
    """
    sy = sy[:, None, None, None]
    sx = sx[None, :, None, None]
    aa = d["aa"]
    out = torch.empty(*aa.shape[:-4], 2, *aa.shape[-4:], 2, dtype=aa.dtype, device=aa.device)
    re, im = out[..., 0], out[..., 1]  # written in place: no complex temporaries
    sbb, sba, sab = sy * sx * d["bb"], sy * d["ba"], sx * d["ab"]
    torch.sub(aa, sbb, out=re.select(-5, 0))
    torch.add(aa, sbb, out=re.select(-5, 1))
    torch.add(sba, sab, out=im.select(-5, 0))
    torch.sub(sba, sab, out=im.select(-5, 1))
    return torch.view_as_complex(out)


def _split(z: torch.Tensor, sy: torch.Tensor, sx: torch.Tensor) -> dict[str, torch.Tensor]:
    """Inverse of :func:`_combine`: the four real trees from ``(..., 2, Py, Px, h, w)``."""
    sy = sy[:, None, None, None]
    sx = sx[None, :, None, None]
    ne, se = z.select(-5, 0), z.select(-5, 1)
    return {
        "aa": (ne.real + se.real) / 2,
        "bb": sy * sx * (se.real - ne.real) / 2,
        "ba": sy * (ne.imag + se.imag) / 2,
        "ab": sx * (ne.imag - se.imag) / 2,
    }


@functools.lru_cache(maxsize=None)
def _analytic_signs(J: int) -> tuple[float, ...]:
    return tuple(packet_filters_1d(J)[2].tolist())


def _signs(J: int, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(_analytic_signs(J), dtype=like.real.dtype, device=like.device)


def _packet_banks(J: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per stage, the (x, y) banks of the alternating packet tree: x-stage then y-stage.

    Stage 1 applies both trees' first-stage filters to one input (four channels per axis); a
    later stage splits every channel ``(…, x_j, y_j)`` with the children of its node's filter.
    """
    banks = [(_root_bank(1), _root_bank(4))]
    first = _children(_ROOTS)
    gx = [label for label in first for _ in first]  # groups (x1, y1): x leaf, then y leaf
    gy = [label for _ in first for label in first]
    for _ in range(1, J):
        banks.append((_bank(gx), _bank(gy, repeat=2)))
        gx, gy = _children(gx), [label for label in gy for _ in range(2)]  # groups (…, x_j)
        gx, gy = [label for label in gx for _ in range(2)], _children(gy)  # groups (…, x_j, y_j)
    return banks


def _interleaved_to_trees(J: int) -> list[int]:
    """Axis permutation from ``(B, x1, y1, x2, y2, …, xJ, yJ, h, w)`` (``x1 = (t_x, b_x1)``, sizes
    2, 2, 2, 2, then 2 per later stage) to ``(B, t_x, b_x1 … b_xJ, t_y, b_y1 … b_yJ, h, w)``."""
    later = range(2, J + 1)
    xs = [5 + 2 * (j - 2) for j in later]
    ys = [6 + 2 * (j - 2) for j in later]
    n = 5 + 2 * (J - 1)
    return [0, 1, 2, *xs, 3, 4, *ys, n, n + 1]


def dtcwpt2(x: torch.Tensor, J: int, last_stride: int = 2) -> torch.Tensor:
    """2-D dual-tree complex wavelet packet transform (App. B, (B.5)-(B.6)), periodic boundary.

    Parameters
    ----------
    x : Tensor, ``(B, H, W)`` float32/float64
        Images of any size: sizes that are not multiples of ``2^J`` are extended symmetrically at
        the bottom and right to the next multiple (:func:`idtcwpt2` crops it away).
    J : int
        Number of stages (the paper uses J = 2 and 3).
    last_stride : {2, 1}
        ``1`` leaves the last stage undecimated (the RMax branch of Fig. 7): then
        ``dtcwpt2(x, J, 1)[..., ::2, ::2] == dtcwpt2(x, J)`` exactly.

    Returns
    -------
    Tensor, ``(B, 2, 2^J, 2^J, H', W')`` complex
        Axis 1: orientation (0: ``θ_x > 0`` "↗", 1: ``θ_x < 0`` "↘"); axes 2-3: bands
        ``(k_y, k_x)``; ``H' = ⌈H / 2^J⌉`` (twice that when ``last_stride = 1``).

    Notes
    -----
    The x and y stages alternate (the packet trees of the two axes commute), each one
    batched matrix product that computes only the kept samples (:mod:`cnnmath.shift.polyphase`).

    Examples
    --------
    >>> z = dtcwpt2(torch.randn(1, 16, 16, dtype=torch.float64), J=2)
    >>> tuple(z.shape), z.dtype
    ((1, 2, 4, 4, 4, 4), torch.complex128)
    """
    _check_levels(J)
    if last_stride not in (1, 2):
        raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
    _check_input(x)
    P, B = 2**J, x.shape[0]
    y = _pad_to(x, P).unsqueeze(1)  # (B, G, H, W)
    for j, (bx, by) in enumerate(_packet_banks(J), start=1):
        last = last_stride == 1 and j == J
        y = _stage(y, bx, -1, last)  # (B, G, Kx, H, w), or blocked (B, G, Kx, H, ·, ·)
        y = _stage(y, by, -3 if y.dim() == 6 else -2, last)  # (B, G·Kx, Ky, h, w)
        y = y.flatten(1, 2)
    h, w = y.shape[-2:]
    t = y.reshape(B, *[2] * (2 + 2 * J), h, w).permute(_interleaved_to_trees(J)).reshape(B, 2, P, 2, P, h, w)
    band = torch.as_tensor(np.argsort(band_order(J)), device=x.device)
    t = t.index_select(2, band).index_select(4, band)
    d = {"ab"[ty] + "ab"[tx]: t[:, tx, :, ty].transpose(1, 2) for tx in (0, 1) for ty in (0, 1)}
    s = _signs(J, x)
    return _combine(d, s, s)


def idtcwpt2(z: torch.Tensor, J: int, size: tuple[int, int] | None = None) -> torch.Tensor:
    """Inverse of :func:`dtcwpt2` (decimated): ``idtcwpt2(dtcwpt2(x, J), J, x.shape[-2:]) == x``.

    Since the frame is tight with bound 8, this is also ``Aᵀ z / 8`` on the range of ``A``.
    ``z`` is ``(B, 2, 2^J, 2^J, h, w)`` complex; returns ``(B, 2^J h, 2^J w)``, cropped to
    ``size = (H, W)`` when given (the original size of an image :func:`dtcwpt2` extended).
    """
    _check_levels(J)
    P = 2**J
    if z.dim() != 6 or tuple(z.shape[1:4]) != (2, P, P) or not z.is_complex():
        raise ValueError(f"z must be complex (B, 2, {P}, {P}, h, w), got {tuple(z.shape)} {z.dtype}")
    s = _signs(J, z)
    d = _split(z, s, s)
    # (B, tx, px, ty, py, h, w), packets back in natural order
    t = torch.stack([torch.stack([d["ab"[ty] + "ab"[tx]].transpose(1, 2) for ty in (0, 1)], 2) for tx in (0, 1)], 1)
    nat = torch.as_tensor(band_order(J), device=z.device)
    t = t.index_select(2, nat).index_select(4, nat)
    B, h, w = z.shape[0], z.shape[-2], z.shape[-1]
    perm = _interleaved_to_trees(J)
    y = t.reshape(B, *[2] * (2 + 2 * J), h, w).permute(np.argsort(perm).tolist()).reshape(B, -1, h, w)
    for bx, by in reversed(_packet_banks(J)):
        Ky, Kx = by.shape[1], bx.shape[1]
        y = _unstage(y.view(B, -1, Ky, *y.shape[-2:]), by, -2)  # (B, G·Kx, H, w)
        y = _unstage(y.view(B, -1, Kx, *y.shape[-2:]), bx, -1)  # (B, G, H, W)
    x = y[:, 0] / 4
    return x if size is None else _crop(x, size)


def _crop(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    H, W = size
    if H > x.shape[-2] or W > x.shape[-1]:
        raise ValueError(f"size must fit in the reconstruction {tuple(x.shape[-2:])}, got {size}")
    return x[..., :H, :W]


def dtcwpt_filters(J: int) -> tuple[np.ndarray, np.ndarray]:
    """Equivalent complex 2-D kernels of :func:`dtcwpt2` (Lemma B.1, (B.12)) and their frequencies.

    ``dtcwpt2(x, J)[b, o, ky, kx, n1, n2] = Σ_u x[b, 2^J n + u - offset] W[o, ky, kx, u]``
    (periodic indices; ``offset`` = :func:`packet_filters_1d`'s, on both axes).

    Returns
    -------
    kernels : ndarray, ``(2, 2^J, 2^J, K, K)`` complex128
        ``K = 30`` for J = 2, ``66`` for J = 3.
    theta : ndarray, ``(2, 2^J, 2^J, 2)`` float64
        Cell centres ``(θ_y, θ_x) = ((k_y+½)π/2^J, ±(k_x+½)π/2^J)`` (Prop. B.4).
    """
    va, vb, s, _ = packet_filters_1d(J)
    c = va + 1j * s[:, None] * vb
    ne = np.einsum("iu,jv->ijuv", c, c)
    se = np.einsum("iu,jv->ijuv", c, c.conj())
    P = 2**J
    k = (np.arange(P) + 0.5) * np.pi / P
    ty, tx = np.meshgrid(k, k, indexing="ij")
    theta = np.stack([np.stack([ty, tx], -1), np.stack([ty, -tx], -1)])
    return np.stack([ne, se]), theta


def centre_frequencies(kernels: np.ndarray, n_fft: int = 256) -> np.ndarray:
    """Frequency ``θ = (θ_y, θ_x)`` of the peak of ``|Ŵ|`` for each kernel ``(..., K, K)``.

    The DTFT convention is the paper's ``Ŵ(θ) = Σ W[n] e^{-i⟨θ, n⟩}``; returns ``(..., 2)`` in
    ``[-π, π)``; the orientation is ``atan2(θ_y, θ_x)``.
    """
    spec = np.abs(np.fft.fft2(kernels, s=(n_fft, n_fft))) ** 2
    flat = spec.reshape(*spec.shape[:-2], -1).argmax(-1)
    iy, ix = np.unravel_index(flat, (n_fft, n_fft))
    freq = np.fft.fftfreq(n_fft) * 2 * np.pi
    return np.stack([freq[iy], freq[ix]], axis=-1)


def energy_concentration(kernels: np.ndarray, kappa: float, n_fft: int = 256) -> np.ndarray:
    """Table 1 metric (B.22): ``max_θ ‖1_{B∞(θ, κ/2)} Ŵ‖² / ‖Ŵ‖²`` for kernels ``(..., K, K)``.

    The window is a periodic ``κ × κ`` square searched over all positions of an ``n_fft²`` grid.
    """
    if not 0 < kappa <= 2 * np.pi:
        raise ValueError(f"kappa must be in (0, 2π], got {kappa!r}")
    spec = np.abs(np.fft.fft2(kernels, s=(n_fft, n_fft))) ** 2
    w = int(round(kappa * n_fft / (2 * np.pi)))
    box = np.zeros((n_fft, n_fft))
    box[:w, :w] = 1.0
    sums = np.fft.ifft2(np.fft.fft2(spec) * np.fft.fft2(box).conj()).real
    return sums.reshape(*sums.shape[:-2], -1).max(-1) / spec.sum((-2, -1))
