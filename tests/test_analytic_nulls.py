"""Tests of cnnmath.analytic.nulls: what each null baseline keeps and what it destroys."""

from __future__ import annotations

import math

import pytest
import torch
from cnnmath.analytic import kernels as K
from cnnmath.analytic import nulls


@pytest.mark.parametrize("seed", range(10))
def test_phase_randomisation_keeps_the_amplitude_spectrum_exactly(seed):
    gen = torch.Generator().manual_seed(seed)
    k = torch.randn(6, 2, 7, 7, generator=gen, dtype=torch.float64)
    r = nulls.phase_randomize(k, gen)
    assert r.dtype == torch.float64 and r.shape == k.shape
    assert (torch.fft.fft2(r).abs() - torch.fft.fft2(k).abs()).abs().max() <= 1e-12
    assert (r.pow(2).sum((-2, -1)) - k.pow(2).sum((-2, -1))).abs().max() <= 1e-12  # Parseval: same norm
    assert (r - k).abs().max() > 0.1  # the arrangement changed


def test_phase_randomisation_destroys_localisation():
    """A centred Gabor is concentrated in the middle; its phase-randomised copies are not (on average)."""
    g = K.analytic_kernel("gabor", torch.tensor([[0.3, 4.0, 0.0, 1.2, 1.0]], dtype=torch.float64), (9, 9))
    centre = torch.zeros(9, 9, dtype=torch.float64)
    centre[2:7, 2:7] = 1
    frac = lambda k: float((k.pow(2) * centre).sum() / k.pow(2).sum())
    r = nulls.phase_randomize(g.repeat(200, 1, 1), torch.Generator().manual_seed(0))
    assert frac(g[0]) > 0.95
    assert sum(frac(x) for x in r) / 200 < 0.6


def test_roughness_of_known_kernels():
    assert float(nulls.roughness(torch.ones(1, 5, 5, dtype=torch.float64))) == 0.0
    checker = (-1.0) ** (torch.arange(4)[:, None] + torch.arange(4)[None, :]).double()
    # each of the 2·4·3 neighbouring pairs differs by 2: Σ(∇)² = 24 · 4, Σ T² = 16
    assert float(nulls.roughness(checker[None])) == pytest.approx(96 / 16, abs=1e-12)


def test_smooth_noise_gets_smoother_with_sigma_and_matching_hits_the_target():
    gen = lambda: torch.Generator().manual_seed(1)
    r = [float(nulls.roughness(nulls.smooth_noise(500, 7, s, gen())).mean()) for s in (0.0, 0.5, 1.0, 2.0)]
    assert r == sorted(r, reverse=True)
    target = nulls.smooth_noise(300, 7, 1.3, torch.Generator().manual_seed(5))
    sigma = nulls.matched_sigma(target, torch.Generator().manual_seed(2))
    assert math.isclose(sigma, 1.3, rel_tol=0.1)


def test_smooth_noise_rejects_bad_input():
    with pytest.raises(ValueError, match="need sigma ≥ 0"):
        nulls.smooth_noise(3, 7, -1.0, torch.Generator())
