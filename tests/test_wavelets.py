"""Tests of the DT-CWT / DT-CWPT (cnnmath.shift.dtcwpt): exactness, tight frame, analyticity, kernels."""

import numpy as np
import pytest
import torch

from cnnmath.shift import dtcwpt as wv
from cnnmath.shift import dtcwt
F64_TOL = 1e-12


@pytest.fixture
def images():
    gen = torch.Generator().manual_seed(0)
    return torch.randn(2, 64, 64, dtype=torch.float64, generator=gen)


def test_qshift_a_is_an_orthonormal_lowpass():
    h = np.asarray(wv.QSHIFT_A_H0A)
    assert abs(h.sum() - np.sqrt(2)) < 1e-12
    # orthonormal to its even shifts: Σ h[n] h[n - 2k] = δ_k
    auto = np.correlate(h, h, mode="full")[len(h) - 1 :: 2]
    assert np.allclose(auto, np.eye(1, len(auto)).ravel(), atol=1e-13)


@pytest.mark.parametrize("J", [1, 2, 3])
def test_dtcwpt_perfect_reconstruction_and_tight_frame(images, J):
    z = wv.dtcwpt2(images, J)
    assert z.shape == (2, 2, 2**J, 2**J, 64 // 2**J, 64 // 2**J)
    assert torch.allclose((z.abs() ** 2).sum() / (images**2).sum(), torch.tensor(8.0, dtype=torch.float64), rtol=1e-13, atol=0)
    assert (wv.idtcwpt2(z, J) - images).abs().max() <= F64_TOL


@pytest.mark.parametrize("J", [1, 2, 3])
def test_dtcwt_perfect_reconstruction_and_tight_frame(images, J):
    p = dtcwt.dtcwt2(images, J)
    energy = 2 * (p.lowpass**2).sum() + sum((h.abs() ** 2).sum() for h in p.highpasses)
    assert abs(float(energy / (images**2).sum()) - 8.0) < 1e-12
    assert (dtcwt.idtcwt2(p) - images).abs().max() <= F64_TOL


def test_inverse_is_the_scaled_adjoint(images):
    """⟨A x, z⟩ = ⟨x, 8 A⁻¹ z⟩ for any z in the range: the frame is tight with bound 8."""
    J = 2
    x2 = torch.randn(images.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    z2 = wv.dtcwpt2(x2, J)
    lhs = (wv.dtcwpt2(images, J).conj() * z2).sum().real
    rhs = 8 * (images * wv.idtcwpt2(z2, J)).sum()
    assert abs(float(lhs - rhs)) <= 1e-10


@pytest.mark.parametrize("J", [2, 3])
def test_tree_equals_equivalent_kernels(images, J):
    """Strided separable tree == one correlation with the Lemma B.1 kernel, at stride 2^J."""
    z = wv.dtcwpt2(images, J)
    kernels, _ = wv.dtcwpt_filters(J)
    off = wv.packet_filters_1d(J)[3]
    n, P, K = images.shape[-1], 2**J, kernels.shape[-1]
    idx = (P * np.arange(n // P)[:, None] + np.arange(K)[None, :] - off) % n  # (n/P, K)
    patches = images[0].numpy()[idx[:, None, :, None], idx[None, :, None, :]]  # (h, w, K, K)
    direct = np.einsum("hwuv,oyxuv->oyxhw", patches, kernels)
    assert np.abs(direct - z[0].numpy()).max() <= F64_TOL
    assert K == {2: 30, 3: 66}[J]


def test_undecimated_last_stage_aligns(images):
    z = wv.dtcwpt2(images, 3)
    zu = wv.dtcwpt2(images, 3, last_stride=1)
    assert zu.shape[-1] == 2 * z.shape[-1]
    assert torch.equal(zu[..., ::2, ::2], z)


@pytest.mark.parametrize("J", [2, 3])
def test_packets_are_analytic(J):
    """1-D complex packets c = v_a + i s v_b: little energy at negative frequencies.

    The lowest band (the scaling packet) and the highest band (whose spectrum touches ±π)
    are excluded; the others keep < 1 % of their energy on ω < 0.
    """
    va, vb, s, _ = wv.packet_filters_1d(J)
    spec = np.abs(np.fft.fft(va + 1j * s[:, None] * vb, n=1024, axis=-1)) ** 2
    neg = spec[:, 513:].sum(-1) / spec.sum(-1)
    assert neg[1:-1].max() < 0.01
    # 2-D: filters whose y-packet is analytic keep < 1 % of their energy on θ_y < 0
    kernels, theta = wv.dtcwpt_filters(J)
    spec2 = np.abs(np.fft.fft2(kernels, s=(128, 128))) ** 2
    wy = np.fft.fftfreq(128)[:, None]
    frac_wrong = (spec2 * (wy < 0)).sum((-2, -1)) / spec2.sum((-2, -1))
    assert frac_wrong[:, 1:-1].max() < 0.01


@pytest.mark.parametrize("J", [2, 3])
def test_band_order_matches_spectral_peak(J):
    va, vb, s, _ = wv.packet_filters_1d(J)
    spec = np.abs(np.fft.fft(va + 1j * s[:, None] * vb, n=1024, axis=-1))[:, :512] ** 2
    bands = spec.reshape(2**J, 2**J, -1).sum(-1).argmax(-1)
    assert bands.tolist() == list(range(2**J))


def test_centre_frequencies_in_their_cells():
    J = 3
    kernels, theta = wv.dtcwpt_filters(J)
    peak = wv.centre_frequencies(kernels)
    inside = np.all(np.abs(peak - theta) <= np.pi / 2**J, axis=-1)  # within the enlarged cell
    assert inside[:, 1:, :].all() and inside[:, :, 1:].all()


def test_energy_concentration_table1():
    """Table 1: J = 2 mean 0.98, J = 3 mean 0.95 ± 0.02 (low-pass filters excluded)."""
    for J, paper in ((2, 0.98), (3, 0.95)):
        kernels, _ = wv.dtcwpt_filters(J)
        rho = wv.energy_concentration(kernels, np.pi / 2 ** (J - 1))
        keep = np.ones(rho.shape, bool)
        keep[:, 0, 0] = False
        assert abs(rho[keep].mean() - paper) <= 0.01


def test_energy_concentration_of_a_box_is_one():
    kernels = np.zeros((16, 16))
    kernels[0, 0] = 1.0  # flat spectrum: a κ-box holds (κ/2π)² of the energy
    assert abs(float(wv.energy_concentration(kernels, np.pi, n_fft=64)) - 0.25) < 1e-12


def test_float32_and_dtype_errors():
    x = torch.randn(1, 32, 32, generator=torch.Generator().manual_seed(0))
    z = wv.dtcwpt2(x, 2)
    assert z.dtype == torch.complex64
    # float32 round-off: a few hundred operations of relative error 6e-8 each
    assert (wv.idtcwpt2(z, 2) - x).abs().max() < 1e-5 * x.abs().max()
    with pytest.raises(ValueError, match="float32 or float64"):
        wv.dtcwpt2(torch.zeros(1, 8, 8, dtype=torch.int64), 1)
    with pytest.raises(ValueError, match="last_stride must be 1 or 2"):
        wv.dtcwpt2(x, 2, last_stride=3)
    with pytest.raises(ValueError, match="J must be an int ≥ 1"):
        wv.dtcwpt2(x, 0)


def test_band_order_gray_code():
    assert wv.band_order(3).tolist() == [0, 1, 3, 2, 7, 6, 4, 5]


@pytest.mark.parametrize("shape", [(257, 255), (20, 20), (5, 3), (1, 1)])
@pytest.mark.parametrize("J", [1, 3])
def test_any_size_perfect_reconstruction(shape, J):
    """Sizes that are not multiples of 2^J are extended symmetrically and cropped back exactly."""
    x = torch.randn(3, *shape, dtype=torch.float64, generator=torch.Generator().manual_seed(sum(shape) + J))
    p = dtcwt.dtcwt2(x, J)
    assert p.size == shape and p.highpasses[0].shape[-2:] == tuple(-(-n // 2**J) * 2 ** (J - 1) for n in shape)
    assert (dtcwt.idtcwt2(p) - x).abs().max() <= F64_TOL
    z = wv.dtcwpt2(x, J)
    assert (wv.idtcwpt2(z, J, shape) - x).abs().max() <= F64_TOL
    with pytest.raises(ValueError, match="size must fit"):
        wv.idtcwpt2(z, J, (shape[0] + 2**J, shape[1]))


def test_padding_is_symmetric_extension():
    x = torch.arange(15.0, dtype=torch.float64).reshape(1, 3, 5)
    y = wv._pad_to(x, 8)
    assert y.shape == (1, 8, 8)
    assert y[0, :3, 5:].tolist() == [[4, 3, 2], [9, 8, 7], [14, 13, 12]]
    assert y[0, 3:6, :5].tolist() == x[0].flip(0).tolist()  # rows 3, 4, 5 mirror rows 2, 1, 0


@pytest.mark.parametrize("seed", range(4))
def test_batches_are_split_without_changing_the_result(seed):
    """Large batches are transformed a few images at a time: same coefficients as one by one."""
    x = torch.randn(5, 256, 256, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    whole = dtcwt.dtcwt2(x, 2)
    single = dtcwt.dtcwt2(x[3:4], 2)
    assert torch.equal(whole.highpasses[1][3:4], single.highpasses[1]) and torch.equal(whole.lowpass[3:4], single.lowpass)
    assert (dtcwt.idtcwt2(whole) - x).abs().max() <= F64_TOL


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("seed", range(3))
def test_both_sub_band_combinations_give_the_same_numbers(monkeypatch, dtype, seed):
    """Small maps are combined on the whole band grid at once, large ones sub-band by sub-band: same
    bits, forward and inverse."""
    x = torch.randn(2, 64, 48, generator=torch.Generator().manual_seed(seed)).to(dtype)
    monkeypatch.setattr(dtcwt, "_LARGE_PLANE", 0)
    per_band = dtcwt.dtcwt2(x, 3)
    monkeypatch.setattr(dtcwt, "_LARGE_PLANE", 1 << 40)
    grid = dtcwt.dtcwt2(x, 3)
    assert all(torch.equal(a, b) for a, b in zip(per_band.highpasses, grid.highpasses, strict=True))
    assert all(h.is_contiguous() for h in grid.highpasses)
    monkeypatch.setattr(dtcwt, "_LARGE_PLANE", 0)
    assert torch.equal(dtcwt.idtcwt2(grid), inverse := dtcwt.idtcwt2(per_band))
    monkeypatch.setattr(dtcwt, "_LARGE_PLANE", 1 << 40)
    assert torch.equal(dtcwt.idtcwt2(grid), inverse)
