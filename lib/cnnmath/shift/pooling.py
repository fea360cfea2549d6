"""Max pooling vs complex modulus: RMax, CMod and the shift-invariance measures of Leterme et al.

Leterme, Polisano, Perrier, Alahari, "On the shift invariance of max pooling feature maps in
CNNs", arXiv 2209.11740 (v2 numbering). Images are periodic ``(B, N, N)`` tensors; filters are
given on the same ``N × N`` periodic grid (index 0 = origin), so that every operator is exact:

- RMax (1.1): ``U^max_{m,q}[W](X) = MaxPool_q((X * Re W̄) ↓ m)``, a max over the
  ``(2q+1)²`` grid centred at ``2n`` (stride 2, (1.4)).
- CMod (1.5): ``U^mod_m[W](X) = |(X * W̄) ↓ 2m|``. ``(X * W̄)[n] = Σ_u X[n+u] W[u]`` is the
  cross-correlation computed by ``torch.conv2d``; both outputs are subsampled by ``2m``.
- The shift-invariance measure ``γ_q(mθ)`` (closed form (3.63)), the bounds of Theorems 2.9,
  3.11 and 4.2, and the empirical ratios (6.9)-(6.11) on DT-CWPT feature maps (Figs. 8-9).

Used by the ``shift`` chapter (Figs. 2-5, 7-9).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnmath import data

from cnnmath.shift import dtcwpt
__all__ = [
    "ShiftStudy",
    "alpha",
    "analytic_companion",
    "beta",
    "bound_rmax_cmod",
    "bound_shift",
    "cmod",
    "correlate",
    "dtcwpt_rmax_cmod",
    "dtcwpt_shift_study",
    "fill_frequency_plane",
    "fractional_shift",
    "gabor_filter",
    "gamma_sq",
    "gamma_sq_monte_carlo",
    "ideal_band_filter",
    "interior_range",
    "max_pool_centred",
    "natural_crops",
    "pooling_phases",
    "relative_distance",
    "rmax",
]


# --- the theory: α, β, γ and the bounds -------------------------------------------------------


def alpha(tau: np.ndarray) -> np.ndarray:
    """``α(τ) = ‖τ‖₁ / 2`` (2.14), for ``τ`` of shape ``(..., 2)``."""
    return np.abs(np.asarray(tau, dtype=np.float64)).sum(-1) / 2


def beta(q: int, kappa_prime: float) -> float:
    """``β_q(κ') = q κ'`` (3.37): the deterministic part of the RMax-CMod gap, ``κ' = mκ``."""
    return q * kappa_prime


def pooling_phases(omega: np.ndarray, q: int = 1) -> np.ndarray:
    """Phases ``⟨ω, p⟩ mod 2π`` seen by the ``(2q+1)²`` pooling grid, ``(..., (2q+1)²)``."""
    if not isinstance(q, int) or q < 1:
        raise ValueError(f"q must be an int ≥ 1, got {q!r}")
    r = np.arange(-q, q + 1)
    py, px = np.meshgrid(r, r, indexing="ij")
    omega = np.asarray(omega, dtype=np.float64)
    return np.mod(omega[..., :1] * py.ravel() + omega[..., 1:] * px.ravel(), 2 * np.pi)


def gamma_sq(omega: np.ndarray, q: int = 1) -> np.ndarray:
    """Closed form (3.63) of ``γ_q(ω)² = E[(1 - max_p cos(φ - ⟨ω, p⟩))²]``, ``φ ~ U[0, 2π)``.

    ``γ_q(ω)² = 3/2 + (1/4π) Σ_i (sin δH_i - 8 sin(δH_i / 2))`` where ``δH_i`` are the arcs between
    the sorted phases :func:`pooling_phases` on the circle. Evaluate at ``ω = mθ``.

    Examples
    --------
    >>> float(gamma_sq(np.array([2 * np.pi, 0.0])))  # all nine phases equal: the worst case
    1.5
    """
    h = np.sort(pooling_phases(omega, q), axis=-1)
    d = np.diff(np.concatenate([h, h[..., :1] + 2 * np.pi], axis=-1), axis=-1)
    return 1.5 + (np.sin(d) - 8 * np.sin(d / 2)).sum(-1) / (4 * np.pi)


def gamma_sq_monte_carlo(omega: np.ndarray, q: int, n_samples: int, rng: np.random.Generator) -> float:
    """Monte Carlo estimate of ``γ_q(ω)²`` for one ``ω`` (shape ``(2,)``), ``n_samples`` phases."""
    phi = rng.uniform(0, 2 * np.pi, size=(n_samples, 1))
    g = np.cos(phi - pooling_phases(omega, q)[None, :]).max(-1)
    return float(np.mean((1 - g) ** 2))


def bound_rmax_cmod(q: int, m: int, kappa: float, theta: np.ndarray) -> np.ndarray:
    """Theorem 3.11: ``E[P̃²] ≤ (β_q(mκ) + γ_q(mθ))²`` with ``P̃ = ‖U^mod - U^max‖/‖U^mod‖``."""
    return (beta(q, m * kappa) + np.sqrt(gamma_sq(m * np.asarray(theta), q))) ** 2


def bound_shift(q: int, m: int, kappa: float, theta: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Theorem 4.2 (4.7): ``E[R̃] ≤ 2(β_q(mκ) + γ_q(mθ)) + α(κu)``, ``R̃`` as in (4.6)."""
    gamma = np.sqrt(gamma_sq(m * np.asarray(theta), q))
    return 2 * (beta(q, m * kappa) + gamma) + alpha(kappa * np.asarray(u, dtype=np.float64))


# --- filters on a periodic grid ----------------------------------------------------------------


def _freq_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    w = np.fft.fftfreq(n) * 2 * np.pi
    return np.meshgrid(w, w, indexing="ij")


def _centred_coords(n: int) -> tuple[np.ndarray, np.ndarray]:
    r = np.arange(n)
    r = np.where(r > n // 2, r - n, r)
    return np.meshgrid(r, r, indexing="ij")


def gabor_filter(theta: np.ndarray, sigma: float, n: int) -> np.ndarray:
    """Complex Gabor filter ``e^{i⟨θ, u⟩} e^{-‖u‖²/(2σ²)}`` on an ``n × n`` periodic grid, unit norm.

    Its spectrum is a Gaussian of standard deviation ``1/σ`` centred at ``θ = (θ_y, θ_x)``.
    """
    uy, ux = _centred_coords(n)
    w = np.exp(1j * (theta[0] * uy + theta[1] * ux) - (uy**2 + ux**2) / (2 * sigma**2))
    return w / np.linalg.norm(w)


def ideal_band_filter(theta: np.ndarray, kappa: float, n: int) -> np.ndarray:
    """Filter of the Gabor-like class ``J(θ, κ)`` (2.5): ``Ŵ = 1`` on the periodic box ``B∞(θ, κ/2)``.

    Returned on the ``n × n`` grid with unit norm; its DTFT (``Σ W[u] e^{-i⟨ω,u⟩}``) vanishes
    outside the box exactly.
    """
    if not 0 < kappa <= 2 * np.pi:
        raise ValueError(f"kappa must be in (0, 2π], got {kappa!r}")
    wy, wx = _freq_grid(n)
    dy = np.angle(np.exp(1j * (wy - theta[0])))
    dx = np.angle(np.exp(1j * (wx - theta[1])))
    mask = (np.abs(dy) < kappa / 2) & (np.abs(dx) < kappa / 2)
    w = np.fft.ifft2(mask.astype(np.complex128))
    return w / np.linalg.norm(w)


def analytic_companion(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Complex companion (2.6) of a real filter ``v`` ``(n, n)`` (n odd): ``Ŵ = (1 + sgn⟨ω, u⟩) V̂``.

    ``W = V + i H(V)`` with ``H`` the 2-D Hilbert transform along ``u`` ⟂ the filter's
    orientation, so ``Re W = V`` and ``Ŵ = 0`` on the half-plane ``⟨ω, u⟩ < 0``. An odd grid
    size avoids the Nyquist frequencies, where ``sgn`` would not be odd.
    """
    n = v.shape[-1]
    if v.shape != (n, n) or n % 2 == 0 or np.iscomplexobj(v):
        raise ValueError(f"v must be a real square array of odd size, got {v.shape} {v.dtype}")
    wy, wx = _freq_grid(n)
    mask = 1 + np.sign(wy * u[0] + wx * u[1])
    return np.fft.ifft2(np.fft.fft2(v) * mask)


# --- operators --------------------------------------------------------------------------------


def _as_tensor(w: np.ndarray | torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    w = torch.as_tensor(w, device=like.device)
    ctype = torch.complex128 if like.dtype == torch.float64 else torch.complex64
    return w.to(ctype if w.is_complex() else like.dtype)


def correlate(x: torch.Tensor, w: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Periodic ``(X * W̄)[n] = Σ_u X[n+u] W[u]`` for ``x`` ``(B, N, N)`` and ``w`` ``(N, N)``.

    Computed by FFT: ``Ŷ(ω) = X̂(ω) Ŵ(-ω)``. Real ``w`` gives a real result.
    """
    w = _as_tensor(w, x)
    w_rev = torch.roll(torch.flip(w, (-2, -1)), shifts=(1, 1), dims=(-2, -1))
    y = torch.fft.ifft2(torch.fft.fft2(x) * torch.fft.fft2(w_rev))
    return y if w.is_complex() else y.real


def max_pool_centred(y: torch.Tensor, q: int = 1) -> torch.Tensor:
    """``MaxPool_q(Y)[n] = max_{‖p‖∞ ≤ q} Y[2n + p]`` (1.4), periodic; ``(..., H, W)`` → ``(..., H/2, W/2)``."""
    if not isinstance(q, int) or q < 1:
        raise ValueError(f"q must be an int ≥ 1, got {q!r}")
    lead, (h, w) = y.shape[:-2], y.shape[-2:]
    iy = (torch.arange(-q, h + q, device=y.device)) % h
    ix = (torch.arange(-q, w + q, device=y.device)) % w
    padded = y.reshape(-1, 1, h, w)[..., iy[:, None], ix[None, :]]
    out = F.max_pool2d(padded, kernel_size=2 * q + 1, stride=2)
    return out.reshape(*lead, h // 2, w // 2)


def rmax(x: torch.Tensor, w: np.ndarray | torch.Tensor, m: int, q: int = 1) -> torch.Tensor:
    """RMax (1.1): ``MaxPool_q((X * Re W̄) ↓ m)``, ``(B, N, N)`` → ``(B, N/2m, N/2m)``."""
    w = torch.as_tensor(w)
    w_real = w.real if w.is_complex() else w
    return max_pool_centred(correlate(x, w_real)[..., ::m, ::m], q)


def cmod(x: torch.Tensor, w: np.ndarray | torch.Tensor, m: int) -> torch.Tensor:
    """CMod (1.5): ``|(X * W̄) ↓ 2m|``, ``(B, N, N)`` → ``(B, N/2m, N/2m)``."""
    return correlate(x, w)[..., :: 2 * m, :: 2 * m].abs()


def fractional_shift(x: torch.Tensor, u: tuple[float, float]) -> torch.Tensor:
    """Shannon-interpolated shift (2.34) of periodic images: ``T_u X[n] = F_X(n - u)``, ``u = (u_y, u_x)``.

    An FFT phase ramp ``e^{-i⟨ω, u⟩}``; for integer ``u`` it is ``torch.roll`` exactly.
    """
    n1, n2 = x.shape[-2:]
    wy = torch.fft.fftfreq(n1, device=x.device, dtype=x.dtype) * 2 * math.pi
    wx = torch.fft.fftfreq(n2, device=x.device, dtype=x.dtype) * 2 * math.pi
    ramp = torch.exp(-1j * (wy[:, None] * u[0] + wx[None, :] * u[1]))
    return torch.fft.ifft2(torch.fft.fft2(x) * ramp).real


def relative_distance(a: torch.Tensor, b: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """``‖a - b‖₂ / ‖ref‖₂`` over the last two axes, e.g. ``P̃`` (3.58), ``R̃`` (4.6), (6.9)-(6.11)."""
    num = torch.linalg.vector_norm(a - b, dim=(-2, -1))
    return num / torch.linalg.vector_norm(ref, dim=(-2, -1))


# --- DT-CWPT feature maps on natural images (Section 6, Figs. 7-9) ----------------------------


def dtcwpt_rmax_cmod(x: torch.Tensor, J: int, q: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """RMax and CMod feature maps (6.5)-(6.6) of the DT-CWPT filters (Fig. 7).

    RMax runs the J-stage tree with its last stage undecimated and max-pools the real parts
    (subsampling ``2^{J-1}`` then 2); CMod takes the modulus of the decimated maps. Both share
    the undecimated maps, so ``Re CMod-complex[n] == RMax-pre-pool[2n]`` holds exactly.

    Returns ``(y_max, y_mod)``, each ``(B, 2, 2^J, 2^J, H/2^J, W/2^J)`` real.
    """
    z = dtcwpt.dtcwpt2(x, J, last_stride=1)
    return max_pool_centred(z.real, q), z[..., ::2, ::2].abs()


def natural_crops(
    size: int, per_image: int, shift: float, rng: np.random.Generator, names: tuple[str, ...] = data.NATURAL_IMAGES,
    pad: int = 32,
) -> tuple[np.ndarray, np.ndarray]:
    """Random grey-level crops of natural images and the same crops moved by ``shift`` px along x.

    The substitute for ImageNet's validation set (offline): ``names`` are those that
    ``cnnmath.data.natural_image`` takes (scikit-image's pictures, or the photographs of
    ``cnnmath.data.PHOTOGRAPHS``). Integer ``shift``: the second crop is
    cut ``shift`` px to the right, ``X'[i, j] = image[r+i, c+j+shift]``, so new content enters, as
    in the paper's experiment (Section 6.3). Fractional ``shift``: a strip ``pad`` px wider on each
    side, extended by its mirror image (so that its periodisation is continuous), is moved by
    Shannon interpolation (2.34) (:func:`fractional_shift`) and cropped back,
    ``X'[i, j] ≈ F_image(r+i, c+j+shift)``; the strip's ends stay ``pad`` px away from the crop.

    Returns ``(x, x_shifted)``, each ``(len(names) * per_image, size, size)`` float64 in [0, 1].
    """
    integer = float(shift).is_integer()
    step = int(shift)
    xs, xs_shift = [], []
    for name in names:
        img = data.natural_image(name)
        h, w = img.shape
        if h < size or w < size + (shift if integer else 2 * pad):
            raise ValueError(f"image {name!r} {img.shape} is too small for size={size}, shift={shift}")
        for _ in range(per_image):
            r = int(rng.integers(0, h - size + 1))
            if integer:
                c = int(rng.integers(0, w - size - step + 1))
                xs.append(img[r : r + size, c : c + size])
                xs_shift.append(img[r : r + size, c + step : c + step + size])
            else:
                c = int(rng.integers(pad, w - size - pad + 1))
                strip = torch.as_tensor(img[None, r : r + size, c - pad : c + size + pad])
                strip = torch.cat([strip, strip.flip(-1)], dim=-1)  # mirrored: its periodisation has no jump
                xs.append(img[r : r + size, c : c + size])
                xs_shift.append(fractional_shift(strip, (0.0, -float(shift)))[0, :, pad : pad + size].numpy())
    return np.stack(xs), np.stack(xs_shift)


@dataclass(frozen=True)
class ShiftStudy:
    """Per-image ratios of every filter, each ``(N, 2, 2^J, 2^J)`` (image, orientation, k_y, k_x).

    ``rho_sq_each``: ``ρ²`` (6.9), RMax vs CMod; ``rho_max_each``: (6.10), RMax shift distance
    over the CMod norm; ``rho_mod_each``: (6.11) (both NaN without shifted images). Their means
    over the images (the paper's ``ρ̃``) are the properties ``rho_sq``, ``rho_max``, ``rho_mod``.
    ``theta``: cell centres ``(2, 2^J, 2^J, 2)``; ``valid``: the ``(start, stop)`` range of output
    indices kept on each axis.
    """

    rho_sq_each: np.ndarray
    rho_max_each: np.ndarray
    rho_mod_each: np.ndarray
    theta: np.ndarray
    valid: tuple[int, int]

    @property
    def rho_sq(self) -> np.ndarray:
        return self.rho_sq_each.mean(0)

    @property
    def rho_max(self) -> np.ndarray:
        return self.rho_max_each.mean(0)

    @property
    def rho_mod(self) -> np.ndarray:
        return self.rho_mod_each.mean(0)


def bootstrap_interval(
    stat: Callable[[np.ndarray], float], n: int, rng: np.random.Generator, n_boot: int = 1000,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(idx)`` over images resampled with replacement.

    ``stat`` receives an index array of length ``n`` (a resample of the images) and returns one
    number; the interval is the ``(1 − level)/2`` and ``(1 + level)/2`` quantiles over ``n_boot``
    resamples (Efron & Tibshirani 1993, ch. 13).
    """
    if n < 2:
        raise ValueError(f"n must be >= 2 images to resample, got {n!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    values = np.array([stat(rng.integers(0, n, n)) for _ in range(n_boot)])
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def interior_range(size: int, J: int, q: int = 1) -> tuple[int, int]:
    """Output indices ``[start, stop)`` of :func:`dtcwpt_rmax_cmod` unaffected by periodic wrap-around.

    Output ``n`` pools pre-pool samples ``2n + p`` (``|p| ≤ q``) at stride ``2^{J-1}``, each reading
    the input over the equivalent kernel's support ``[-offset, K - 1 - offset]`` (Lemma B.1); it
    is kept when all these input indices lie in ``[0, size)``. The CMod map at ``n`` reads a subset.
    """
    _, _, _, offset = dtcwpt.packet_filters_1d(J)
    K = dtcwpt.dtcwpt_filters(J)[0].shape[-1]
    n = np.arange(size // 2**J)
    lo = 2**J * n - q * 2 ** (J - 1) - offset
    hi = 2**J * n + q * 2 ** (J - 1) + K - 1 - offset
    ok = np.flatnonzero((lo >= 0) & (hi < size))
    if ok.size == 0:
        raise ValueError(f"size={size} is too small for J={J}: every output reads across the border")
    return int(ok[0]), int(ok[-1]) + 1


def dtcwpt_shift_study(
    x: np.ndarray, x_shifted: np.ndarray | None, J: int, batch: int = 8, device: str | torch.device = "cpu",
    rmax_shift: int = 0,
) -> ShiftStudy:
    """Empirical ρ², ρ^max and ρ^mod (6.9)-(6.11) of every DT-CWPT filter (Figs. 8-9).

    The transforms are periodic; only the :func:`interior_range` of every feature map enters the
    ratios, so that no output reads across the image border. ``x``, ``x_shifted``: ``(N, H, W)``
    (``x_shifted`` may be ``None``: then only ``rho_sq`` is computed). Float32 on ``device``;
    one value per image and filter (their means: the ``ρ̃`` of the paper). ``rmax_shift = s > 0`` computes RMax on the input moved by ``s`` px
    on both axes (``x'[m] = x[m - s]``): the authors' code reads its RMax branch ``s`` px before its
    CMod branch, ``s = wcnn_shift(J, 2) - wcnn_shift(J, 1)`` (:mod:`cnnmath.shift.conventions`); one more output is then dropped at each border.
    """
    if x_shifted is not None and x_shifted.shape != x.shape:
        raise ValueError(f"x_shifted must have x's shape {x.shape}, got {x_shifted.shape}")
    if not isinstance(rmax_shift, int) or not 0 <= rmax_shift < 2**J:
        raise ValueError(f"rmax_shift must be an int in [0, 2^J) = [0, {2**J}), got {rmax_shift!r}")
    a, b = interior_range(min(x.shape[-2:]), J)
    a, b = (a + 1, b - 1) if rmax_shift else (a, b)
    parts_of: dict[str, list[torch.Tensor]] = {"rho_sq": [], "rho_max": [], "rho_mod": []}
    for i in range(0, len(x), batch):
        parts = [x[i : i + batch]] + ([] if x_shifted is None else [x_shifted[i : i + batch]])
        pair = torch.as_tensor(np.concatenate(parts)).to(device=device, dtype=torch.float32)
        ymax, ymod = dtcwpt_rmax_cmod(pair, J)
        if rmax_shift:
            ymax = dtcwpt_rmax_cmod(torch.roll(pair, (rmax_shift, rmax_shift), (-2, -1)), J)[0]
        ymax, ymod = ymax[..., a:b, a:b], ymod[..., a:b, a:b]
        k = len(parts[0])
        parts_of["rho_sq"].append(relative_distance(ymod[:k], ymax[:k], ymod[:k]) ** 2)
        if x_shifted is not None:
            parts_of["rho_max"].append(relative_distance(ymax[k:], ymax[:k], ymod[:k]))
            parts_of["rho_mod"].append(relative_distance(ymod[k:], ymod[:k], ymod[:k]))
    each = {k: torch.cat(v).double().cpu().numpy() for k, v in parts_of.items() if v}
    nan = np.full(each["rho_sq"].shape, np.nan)
    return ShiftStudy(
        rho_sq_each=each["rho_sq"], rho_max_each=each.get("rho_max", nan), rho_mod_each=each.get("rho_mod", nan),
        theta=dtcwpt.dtcwpt_filters(J)[1], valid=(a, b),
    )


def fill_frequency_plane(values: np.ndarray) -> np.ndarray:
    """Arrange per-filter values ``(2, P, P)`` on the ``2P × 2P`` cells of ``[-π, π]²``.

    Row ``i`` is ``θ_y = (i + ½ - P)π/P`` (bottom to top with ``origin='lower'``), column ``j`` is
    ``θ_x = (j + ½ - P)π/P``. The half-plane ``θ_y < 0`` is filled by point symmetry: a real
    image's feature maps at ``-θ`` are the conjugates of those at ``θ``.
    """
    P = values.shape[-1]
    plane = np.zeros((2 * P, 2 * P))
    plane[P:, P:] = values[0]
    plane[P:, :P] = values[1][:, ::-1]
    plane[:P, :] = plane[P:, :][::-1, ::-1]
    return plane
