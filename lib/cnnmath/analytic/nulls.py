"""Null baselines for "these kernels are analytic": kernels with the same spectrum or smoothness, no shape.

A median fit error says little alone: any smooth kernel is fitted fairly well by a smooth family.
Two nulls keep what a fit could exploit without the structure in question:

- :func:`phase_randomize` keeps each kernel's amplitude spectrum ``|F T|`` exactly (hence its norm,
  its smoothness and its orientation content) and draws a random phase (that of the FFT of white
  noise, so the result stays real), destroying the spatial arrangement (localisation, edges);
- :func:`smooth_noise` draws Gaussian-smoothed white noise whose mean roughness
  ``ρ = Σ‖∇T‖² / Σ T²`` (forward differences) equals that of the given kernels
  (:func:`matched_sigma`, bisection on the smoothing width).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["matched_sigma", "phase_randomize", "roughness", "smooth_noise"]


def phase_randomize(kernels: Tensor, generator: torch.Generator) -> Tensor:
    """Each ``(…, kh, kw)`` kernel with its 2-D amplitude spectrum kept and a random phase.

    ``ifft2(|F T| · e^{i arg F N})`` with ``N`` white noise of the same shape: real, with
    ``|F result| = |F T|`` exactly (up to rounding).
    """
    noise = torch.randn(kernels.shape, generator=generator, dtype=kernels.dtype)
    phase = torch.angle(torch.fft.fft2(noise))
    return torch.fft.ifft2(torch.fft.fft2(kernels).abs() * torch.exp(1j * phase)).real


def roughness(kernels: Tensor) -> Tensor:
    """``Σ (∂_x T)² + (∂_y T)² / Σ T²`` per kernel (forward differences inside the grid), ``(…)``."""
    dx = kernels[..., :, 1:] - kernels[..., :, :-1]
    dy = kernels[..., 1:, :] - kernels[..., :-1, :]
    return (dx.pow(2).sum((-2, -1)) + dy.pow(2).sum((-2, -1))) / kernels.pow(2).sum((-2, -1))


def smooth_noise(n: int, size: int, sigma: float, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> Tensor:
    """``n`` kernels ``(n, size, size)``: white noise smoothed by a Gaussian of width ``sigma`` px.

    The noise is drawn on a canvas ``size + 2⌈4σ⌉`` wide and the centre cropped, so there is no
    border effect; ``sigma = 0`` gives white noise.
    """
    if sigma < 0 or size < 1 or n < 1:
        raise ValueError(f"need sigma ≥ 0, size ≥ 1, n ≥ 1; got sigma={sigma}, size={size}, n={n}")
    pad = math.ceil(4 * sigma)
    canvas = torch.randn(n, 1, size + 2 * pad, size + 2 * pad, generator=generator, dtype=dtype)
    if sigma == 0:
        return canvas[:, 0]
    u = torch.arange(-pad, pad + 1, dtype=dtype)
    g = torch.exp(-(u**2) / (2 * sigma**2))
    g = g / g.sum()
    out = F.conv2d(F.conv2d(canvas, g.view(1, 1, 1, -1)), g.view(1, 1, -1, 1))
    return out[:, 0]


def matched_sigma(kernels: Tensor, generator: torch.Generator, n_draws: int = 2000, iters: int = 30) -> float:
    """The smoothing width whose :func:`smooth_noise` has the kernels' mean :func:`roughness`.

    Bisection on ``σ ∈ [0, size]`` with common random numbers (the same seed at every step), so
    the estimated roughness is monotone in ``σ``.
    """
    size = kernels.shape[-1]
    target = float(roughness(kernels).mean())
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
    lo, hi = 0.0, float(size)

    def rough(s: float) -> float:
        return float(roughness(smooth_noise(n_draws, size, s, torch.Generator().manual_seed(seed))).mean())

    if target >= rough(lo):
        return lo
    for _ in range(iters):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rough(mid) > target else (lo, mid)
    return (lo + hi) / 2
