"""Tests of RMax / CMod and the shift-invariance measures (cnnmath.shift.pooling)."""

import numpy as np
import pytest
import torch

from cnnmath.shift import pooling as sh
from cnnmath.shift import dtcwpt as wv
@pytest.fixture
def noise():
    return torch.randn(12, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize(
    "omega, expected",
    [((0.3, 1.1), 0.1776), ((np.pi / 2, 0.0), 0.1222), ((2 * np.pi, 0.0), 1.5), ((np.pi, np.pi), 0.2268), ((2.0, -0.7), 8.3e-4)],
)
def test_gamma_closed_form_matches_monte_carlo(omega, expected):
    rng = np.random.default_rng(0)
    closed = float(sh.gamma_sq(np.array(omega)))
    assert abs(closed - sh.gamma_sq_monte_carlo(np.array(omega), 1, 200_000, rng)) < 5e-3
    assert abs(closed - expected) < 1e-4 * max(1, expected * 10)


def test_gamma_extremes_and_symmetry():
    rng = np.random.default_rng(1)
    omega = rng.uniform(-np.pi, np.pi, (500, 2))
    g = sh.gamma_sq(omega)
    assert np.allclose(g, sh.gamma_sq(-omega), atol=1e-12)  # γ(-ω) = γ(ω)
    assert np.allclose(g, sh.gamma_sq(omega + 2 * np.pi * np.array([1, -3])), atol=1e-12)  # 2π-periodic
    assert g.max() <= 1.5 + 1e-12 and g.min() >= 7.3e-4 - 1e-6
    # nine evenly spaced phases (ω = (2π/9)(1, 3)) give the minimum 7.3e-4
    assert abs(float(sh.gamma_sq(2 * np.pi / 9 * np.array([1.0, 3.0]))) - 7.3e-4) < 1e-5


def test_correlate_matches_direct_sum(noise):
    rng = np.random.default_rng(2)
    w = np.zeros((64, 64), complex)
    w[:3, :3] = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    y = sh.correlate(noise[:1], w)[0]
    x = noise[0].numpy()
    direct = sum(w[a, b] * np.roll(x, (-a, -b), axis=(0, 1)) for a in range(3) for b in range(3))
    assert np.abs(y.numpy() - direct).max() < 1e-12


def test_max_pool_centred_definition():
    y = torch.arange(36.0).reshape(1, 6, 6) % 7
    out = sh.max_pool_centred(y, 1)
    for n1 in range(3):
        for n2 in range(3):
            window = [y[0, (2 * n1 + a) % 6, (2 * n2 + b) % 6] for a in (-1, 0, 1) for b in (-1, 0, 1)]
            assert out[0, n1, n2] == max(window)


def test_fractional_shift_integer_is_roll_and_composes(noise):
    assert (sh.fractional_shift(noise, (2.0, -3.0)) - torch.roll(noise, (2, -3), (-2, -1))).abs().max() < 1e-12
    # without content at the Nyquist frequency, sub-pixel shifts compose exactly
    spec = torch.fft.fft2(noise)
    spec[..., 32, :] = 0
    spec[..., :, 32] = 0
    x = torch.fft.ifft2(spec).real
    twice = sh.fractional_shift(sh.fractional_shift(x, (0.5, 0.25)), (0.5, 0.75))
    assert (twice - torch.roll(x, (1, 1), (-2, -1))).abs().max() < 1e-12


def test_analytic_companion_real_part_and_half_plane():
    n = 31
    uy, ux = np.meshgrid(np.arange(n) - n // 2, np.arange(n) - n // 2, indexing="ij")
    theta = np.array([1.2, 0.7])
    v = np.fft.ifftshift(np.exp(-(uy**2 + ux**2) / (2 * 2.5**2)) * np.cos(theta[0] * uy + theta[1] * ux))
    w = sh.analytic_companion(v, theta / np.linalg.norm(theta))
    assert np.abs(w.real - v).max() < 1e-12
    wy, wx = np.meshgrid(*(2 * [np.fft.fftfreq(n) * 2 * np.pi]), indexing="ij")
    assert np.abs(np.fft.fft2(w)[wy * theta[0] + wx * theta[1] < 0]).max() < 1e-12


def test_cmod_norm_invariant_and_theorem_2_9(noise):
    """Prop 2.10 (exact norm) and Thm 2.9 (‖ΔU^mod‖ ≤ κ‖u‖₁/2 ‖U^mod‖) for W ∈ J(θ, π/m).

    The box B∞(θ, κ/2) is kept inside ]-π, π[² (no wrap-around of the Shannon interpolant)."""
    rng = np.random.default_rng(3)
    m = 2
    for _ in range(4):
        theta = rng.uniform(-np.pi + np.pi / 4, np.pi - np.pi / 4, 2)
        u = tuple(rng.uniform(-2, 2, 2))
        w = sh.ideal_band_filter(theta, np.pi / m, 64)
        a, b = sh.cmod(noise, w, m), sh.cmod(sh.fractional_shift(noise, u), w, m)
        na, nb = (torch.linalg.vector_norm(t, dim=(-2, -1)) for t in (a, b))
        assert ((na - nb).abs() / na).max() < 1e-10
        assert sh.relative_distance(b, a, a).max() <= sh.alpha(np.pi / m * np.array(u))


def test_rmax_cmod_alignment(noise):
    """Re((X * W̄)↓2m)[n] = ((X * Re W̄)↓m)[2n], and for the DT-CWPT trees (Fig. 7)."""
    w = sh.gabor_filter(np.array([1.0, -2.0]), 2.0, 64)
    full = sh.correlate(noise, w)
    assert (full[..., ::4, ::4].real - sh.correlate(noise, w.real)[..., ::2, ::2][..., ::2, ::2]).abs().max() < 1e-12
    J = 3
    z = wv.dtcwpt2(noise, J)
    kernels, _ = wv.dtcwpt_filters(J)
    off, K = wv.packet_filters_1d(J)[3], kernels.shape[-1]
    idx = (2 ** (J - 1) * np.arange(64 // 2 ** (J - 1))[:, None] + np.arange(K) - off) % 64
    patches = noise[0].numpy()[idx[:, None, :, None], idx[None, :, None, :]]
    pre_pool = np.einsum("hwuv,oyxuv->oyxhw", patches, kernels.real)  # (X * Re W̄)↓2^{J-1}, direct
    assert np.abs(pre_pool[..., ::2, ::2] - z[0].real.numpy()).max() < 1e-12
    ymax, ymod = sh.dtcwpt_rmax_cmod(noise[:1], J)
    assert np.abs(ymax[0].numpy() - sh.max_pool_centred(torch.as_tensor(pre_pool)).numpy()).max() < 1e-12
    assert torch.allclose(ymod, z[:1].abs())


def test_rmax_vs_cmod_bounds_and_gamma_correlation():
    """Thms 3.11 and 4.2 hold on white noise for narrow-band filters over a frequency grid, and
    the empirical E[P̃²] follows γ²(mθ): Pearson r > 0.95 (0.995 when written)."""
    x = torch.randn(8, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    m, kappa = 2, np.pi / 16
    thetas = np.array([(ty, tx) for ty in np.linspace(0.3, 2.8, 5) for tx in np.linspace(-2.8, 2.8, 9)])
    p_sq, r = [], []
    for theta in thetas:
        w = sh.ideal_band_filter(theta, kappa, 64)
        umod, umax = sh.cmod(x, w, m), sh.rmax(x, w, m)
        umax_shift = sh.rmax(sh.fractional_shift(x, (0.0, 1.0)), w, m)
        p_sq.append(float((sh.relative_distance(umod, umax, umod) ** 2).mean()))
        r.append(float(sh.relative_distance(umax_shift, umax, umod).mean()))
    p_sq, r = np.array(p_sq), np.array(r)
    assert np.all(p_sq <= sh.bound_rmax_cmod(1, m, kappa, thetas))
    assert np.all(r <= sh.bound_shift(1, m, kappa, thetas, np.array([0.0, 1.0])))
    assert np.corrcoef(p_sq, sh.gamma_sq(m * thetas))[0, 1] > 0.95


def test_gamma_predicts_rmax_cmod_gap_for_gabor_filters():
    """Synthetic Gabor filters (σ = 4, spectrum std 1/4) over a 5 × 9 frequency/orientation grid:
    the empirical E[P̃²] on white noise follows γ²(mθ) with Pearson r > 0.95 (0.975 when written),
    although Gabor filters are only approximately in J(θ, κ)."""
    x = torch.randn(8, 64, 64, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    m = 2
    thetas = np.array([(ty, tx) for ty in np.linspace(0.3, 2.8, 5) for tx in np.linspace(-2.8, 2.8, 9)])
    p_sq = []
    for theta in thetas:
        w = sh.gabor_filter(theta, 4.0, 64)
        umod = sh.cmod(x, w, m)
        p_sq.append(float((sh.relative_distance(umod, sh.rmax(x, w, m), umod) ** 2).mean()))
    assert np.corrcoef(p_sq, sh.gamma_sq(m * thetas))[0, 1] > 0.95


def test_modulus_stable_max_pooling_not(noise):
    """A sub-pixel shift moves CMod far less than RMax for a Gabor filter at a bad frequency."""
    w = sh.gabor_filter(np.array([np.pi / 2, np.pi / 2]), 3.0, 64)  # mθ = (π, π): γ² = 0.23
    xs = sh.fractional_shift(noise, (0.5, 0.5))
    umod, umax = sh.cmod(noise, w, 2), sh.rmax(noise, w, 2)
    d_mod = sh.relative_distance(sh.cmod(xs, w, 2), umod, umod).mean()
    d_max = sh.relative_distance(sh.rmax(xs, w, 2), umax, umod).mean()
    assert d_mod < 0.5 * d_max


def test_fill_frequency_plane_symmetry():
    vals = np.arange(2 * 4 * 4, dtype=float).reshape(2, 4, 4)
    plane = sh.fill_frequency_plane(vals)
    assert np.array_equal(plane, plane[::-1, ::-1])
    assert plane[4 + 1, 4 + 2] == vals[0, 1, 2] and plane[4 + 1, 3 - 2] == vals[1, 1, 2]


def test_errors_name_the_parameter():
    with pytest.raises(ValueError, match="q must be an int ≥ 1"):
        sh.gamma_sq(np.zeros(2), q=0)
    with pytest.raises(ValueError, match="kappa must be in"):
        sh.ideal_band_filter(np.zeros(2), 0.0, 8)
    with pytest.raises(ValueError, match="odd size"):
        sh.analytic_companion(np.zeros((8, 8)), np.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="x_shifted must have x's shape"):
        sh.dtcwpt_shift_study(np.zeros((1, 32, 32)), np.zeros((1, 16, 16)), 3)
    with pytest.raises(ValueError, match="too small"):
        sh.interior_range(64, 3)


@pytest.mark.parametrize("J", [2, 3])
def test_interior_range_is_free_of_wrap_around(J):
    """Inside interior_range, the periodic maps of a crop equal the maps of the whole image."""
    big = torch.randn(1, 160, 160, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    c = 32  # crop offset, a multiple of 2^J
    crop = big[:, c : c + 96, c : c + 96]
    a, b = sh.interior_range(96, J)
    o = c // 2**J
    (max_crop, mod_crop), (max_big, mod_big) = sh.dtcwpt_rmax_cmod(crop, J), sh.dtcwpt_rmax_cmod(big, J)
    for y_crop, y_big in ((max_crop, max_big), (mod_crop, mod_big)):
        assert (y_crop[..., a:b, a:b] - y_big[..., o + a : o + b, o + a : o + b]).abs().max() < 1e-12
    # one more RMax row on either side reads across the border: the range is tight
    for row in (a - 1, b):
        assert (max_crop[..., row, a:b] - max_big[..., o + row, o + a : o + b]).abs().max() > 1e-6


def test_natural_crops_integer_and_fractional_shifts():
    """Integer shifts cut a new crop; the Shannon path moves a wider strip and agrees for integer u."""
    x, xs = sh.natural_crops(64, 2, 3, np.random.default_rng(0), names=("camera",))
    assert x.shape == xs.shape == (2, 64, 64)
    assert np.array_equal(x[:, :, 3:], xs[:, :, :-3])
    img = sh.data.natural_image("camera")
    strip = torch.as_tensor(img[None, 100:164, 68:196])  # crop at column 100 with pad 32
    moved = sh.fractional_shift(strip, (0.0, -3.0))[0, :, 32:96].numpy()
    assert np.abs(moved - img[100:164, 103:167]).max() < 1e-12
    x_half, half = sh.natural_crops(64, 1, 0.5, np.random.default_rng(0), names=("camera",))
    x_quarter, quarter = sh.natural_crops(64, 1, 0.25, np.random.default_rng(0), names=("camera",))
    assert np.array_equal(x_half, x_quarter) and half.shape == (1, 64, 64)
    assert 0 < np.linalg.norm(quarter - x_half) < np.linalg.norm(half - x_half)  # a smaller move


def test_shift_study_rmax_offset():
    """An RMax offset of s px moves only the RMax branch; zero offset is the aligned study."""
    x = np.random.default_rng(3).normal(size=(2, 96, 96))
    aligned = sh.dtcwpt_shift_study(x, None, 2, rmax_shift=0)
    offset = sh.dtcwpt_shift_study(x, None, 2, rmax_shift=2)
    assert aligned.valid[0] + 1 == offset.valid[0] and not np.allclose(aligned.rho_sq, offset.rho_sq)
    with pytest.raises(ValueError, match="rmax_shift must be an int in"):
        sh.dtcwpt_shift_study(x, None, 2, rmax_shift=4)


def test_shift_study_per_image_values():
    """The study keeps one value per image; each image alone gives its own row; means are ρ̃ (6.9)."""
    rng = np.random.default_rng(5)
    x, xs = rng.normal(size=(3, 64, 64)), rng.normal(size=(3, 64, 64))
    both = sh.dtcwpt_shift_study(x, xs, 2, batch=2)
    assert both.rho_sq_each.shape == (3, 2, 4, 4) and both.rho_mod_each.shape == (3, 2, 4, 4)
    for i in range(3):
        one = sh.dtcwpt_shift_study(x[i : i + 1], xs[i : i + 1], 2)
        assert np.allclose(one.rho_sq_each[0], both.rho_sq_each[i], rtol=1e-6)
        assert np.allclose(one.rho_max_each[0], both.rho_max_each[i], rtol=1e-6)
    assert np.array_equal(both.rho_sq, both.rho_sq_each.mean(0))
    assert np.isnan(sh.dtcwpt_shift_study(x, None, 2).rho_mod).all()


@pytest.mark.parametrize("seed", range(5))
def test_bootstrap_interval_of_a_mean(seed):
    """For the mean of n normal draws the 95% bootstrap interval is close to mean ± 1.96 s/√n."""
    v = np.random.default_rng(seed).normal(size=400)
    lo, hi = sh.bootstrap_interval(lambda i: v[i].mean(), v.size, np.random.default_rng(seed), n_boot=2000)
    half = 1.96 * v.std(ddof=1) / np.sqrt(v.size)
    assert lo < v.mean() < hi
    assert abs((hi - lo) / 2 - half) < 0.1 * half
    with pytest.raises(ValueError, match="level must be in"):
        sh.bootstrap_interval(lambda i: 0.0, 4, np.random.default_rng(0), level=1.0)
    with pytest.raises(ValueError, match="n must be >= 2"):
        sh.bootstrap_interval(lambda i: 0.0, 1, np.random.default_rng(0))


def test_fig7_shapes_of_rmax_and_cmod():
    """The paper's Fig. 7 for a 224² input, J = 3: 128 RMax maps 56×56 before pooling, 28×28 after,
    and 128 CMod maps 28×28; the RMax pre-pool maps at even positions are Re of the CMod maps."""
    x = torch.as_tensor(np.random.default_rng(0).normal(size=(1, 224, 224)))
    pre = wv.dtcwpt2(x, 3, last_stride=1)
    dec = wv.dtcwpt2(x, 3)
    ymax, ymod = sh.dtcwpt_rmax_cmod(x, 3)
    assert pre[0].numel() // (56 * 56) == 128 and pre.shape[-2:] == (56, 56)
    assert ymax[0].numel() // (28 * 28) == 128 and ymax.shape[-2:] == (28, 28) and ymod.shape == ymax.shape
    assert (pre.real[..., ::2, ::2] - dec.real).abs().max() <= 1e-12
