"""Tests of cnnmath.analytic (kernels, layer, fit): the ACK closed forms and their gradients, the TGD
operators' defining properties, the ACL as a Conv2d, and fitting ACKs to kernels.

The ACL is reconstructed (the paper's body was not readable), so these tests pin the
reconstruction of ``shared/papers/notes/acl.md`` §1 and its acceptance checks §4.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from cnnmath.analytic import fit as Fit
from cnnmath.analytic import kernels as K
from cnnmath.analytic import layer as L
from torch import nn

TOL = 1e3 * torch.finfo(torch.float64).eps  # ≈ 2e-13


# ---------------------------------------------------------------- independent numpy closed forms
def _np_grid(k: int) -> tuple[np.ndarray, np.ndarray]:
    u = np.arange(k) - (k - 1) / 2
    return u[None, :].repeat(k, 0), u[:, None].repeat(k, 1)  # x = column, y = row


def _np_rot(x, y, theta):
    return x * math.cos(theta) + y * math.sin(theta), -x * math.sin(theta) + y * math.cos(theta)


def _np_kernel(family: str, p: list[float], k: int) -> np.ndarray:
    x, y = _np_grid(k)
    r2 = x**2 + y**2
    if family == "gabor":
        th, lam, psi, s, g = p
        xr, yr = _np_rot(x, y, th)
        return np.exp(-(xr**2 + g**2 * yr**2) / (2 * s**2)) * np.cos(2 * np.pi * xr / lam + psi)
    if family == "gaussian":
        th, s, g = p
        xr, yr = _np_rot(x, y, th)
        return np.exp(-(xr**2 + g**2 * yr**2) / (2 * s**2))
    if family in ("gauss_d1", "gauss_d2"):
        th, sx, sy = p
        xr, yr = _np_rot(x, y, th)
        g = np.exp(-(xr**2) / (2 * sx**2) - yr**2 / (2 * sy**2))
        return -xr / sx**2 * g if family == "gauss_d1" else (xr**2 / sx**4 - 1 / sx**2) * g
    if family in ("tgd1", "tgd2"):
        th, s = p
        r = np.sqrt(r2)
        cos = np.divide(x * math.cos(th) + y * math.sin(th), r, out=np.zeros_like(r), where=r > 0)
        k = np.exp(-r2 / (2 * s**2))
        if family == "tgd1":
            return k * cos
        out = k * cos**2
        out[r == 0] = 0.0
        out[r == 0] = -out.sum()
        return out
    if family == "mean":
        return np.ones_like(x)
    if family == "log":
        (s,) = p
        return (r2 - 2 * s**2) / s**4 * np.exp(-r2 / (2 * s**2))
    s1, s2, kappa = p
    return np.exp(-r2 / (2 * s1**2)) / (2 * np.pi * s1**2) - kappa * np.exp(-r2 / (2 * s2**2)) / (
        2 * np.pi * s2**2
    )


AKP_EXAMPLES = {
    "gabor": [0.7, 3.1, 0.4, 1.6, 0.8],
    "gaussian": [1.1, 1.3, 1.7],
    "gauss_d1": [2.0, 1.2, 2.1],
    "gauss_d2": [0.3, 0.9, 1.5],
    "tgd1": [0.9, 1.7],
    "tgd2": [2.3, 1.1],
    "mean": [],
    "log": [1.4],
    "dog": [0.8, 1.9, 0.6],
}


def test_every_family_has_an_example():
    assert set(AKP_EXAMPLES) == set(K.FAMILIES)


@pytest.mark.parametrize("family", list(AKP_EXAMPLES))
@pytest.mark.parametrize("k", [1, 4, 7])
def test_ack_equals_closed_form(family, k):
    akp = torch.tensor([AKP_EXAMPLES[family]], dtype=torch.float64)
    ours = K.analytic_kernel(family, akp, (k, k))[0].numpy()
    np.testing.assert_allclose(ours, _np_kernel(family, AKP_EXAMPLES[family], k), rtol=0, atol=TOL)


def test_rectangular_grid_orientation():
    x, y = K.grid((3, 5), torch.float64)
    assert x.shape == (3, 5)
    assert x[0].tolist() == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert y[:, 0].tolist() == [-1.0, 0.0, 1.0]


@pytest.mark.parametrize("family", [f for f in AKP_EXAMPLES if AKP_EXAMPLES[f]])
def test_ack_gradcheck(family):
    """Normalised ACK vs its AKPs (through the log-parametrisation), finite differences."""
    fam = K.get_family(family)
    raw = fam.to_raw(torch.tensor([AKP_EXAMPLES[family]], dtype=torch.float64)).requires_grad_(True)
    fn = lambda r: K.normalize_kernel(K.analytic_kernel(fam, fam.to_natural(r), (5, 5)))
    assert torch.autograd.gradcheck(fn, (raw,), eps=1e-6, atol=1e-8)


def test_layer_gradcheck_reaches_akps_and_amplitudes():
    """The layer output vs every parameter, float64: the AKP gradient is non-zero and correct."""
    torch.manual_seed(0)
    layer = L.AnalyticConv2d(2, 4, 3, padding=1, n_analytic=3, families=("gabor", "log", "gauss_d1"),
                             dtype=torch.float64)
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64)
    names, params = zip(*layer.named_parameters())

    def out(*ps):
        return torch.func.functional_call(layer, dict(zip(names, ps)), (x,))

    assert torch.autograd.gradcheck(out, params, eps=1e-6, atol=1e-8)
    out(*params).pow(2).sum().backward()
    for raw in layer.akp_raw.values():
        assert raw.grad is not None and raw.grad.abs().sum() > 0


# ---------------------------------------------------------------- symmetries (note §1.7)
def test_gabor_half_turn_flips_phase():
    p = AKP_EXAMPLES["gabor"]
    a = K.analytic_kernel("gabor", torch.tensor([[p[0] + math.pi, p[1], p[2], p[3], p[4]]], dtype=torch.float64), (7, 7))
    b = K.analytic_kernel("gabor", torch.tensor([[p[0], p[1], -p[2], p[3], p[4]]], dtype=torch.float64), (7, 7))
    assert (a - b).abs().max() <= TOL


def test_gabor_quarter_turn_is_clockwise_rot90():
    p = AKP_EXAMPLES["gabor"]
    a = K.analytic_kernel("gabor", torch.tensor([[p[0] + math.pi / 2, *p[1:]]], dtype=torch.float64), (7, 7))[0]
    b = K.analytic_kernel("gabor", torch.tensor([p], dtype=torch.float64), (7, 7))[0]
    assert (a - torch.rot90(b, k=-1)).abs().max() <= TOL
    assert (a - torch.rot90(b, k=1)).abs().max() > 0.1  # the other direction does not hold


def test_log_is_rot90_invariant():
    a = K.analytic_kernel("log", torch.tensor([[1.5]], dtype=torch.float64), (11, 11))[0]
    assert (a - torch.rot90(a)).abs().max() <= TOL


# ---------------------------------------------------------------- TGD (arXiv 2305.08098), defining properties
THETAS = torch.linspace(0, 2 * math.pi, 13, dtype=torch.float64)[:-1]
SIGMAS = torch.tensor([0.6, 1.0, 1.7, 3.0], dtype=torch.float64)


def _tgd(family: str, k: int = 7) -> torch.Tensor:
    th, s = torch.meshgrid(THETAS, SIGMAS, indexing="ij")
    return K.analytic_kernel(family, torch.stack([th.flatten(), s.flatten()], 1), (k, k))


@pytest.mark.parametrize("k", [5, 7, 11])
def test_tgd1_is_odd_zero_sum_and_one_signed_on_each_side(k):
    phi = _tgd("tgd1", k)
    assert (phi + torch.flip(phi, dims=(-2, -1))).abs().max() <= TOL  # φ(-x, -y) = -φ(x, y)
    assert phi.sum(dim=(-2, -1)).abs().max() <= TOL
    x, y = K.grid((k, k), torch.float64)
    th = torch.meshgrid(THETAS, SIGMAS, indexing="ij")[0].flatten()
    xr, _ = K.rotate(x, y, th)
    assert bool((phi[xr > 1e-9] > 0).all()) and bool((phi[xr < -1e-9] < 0).all())  # + and − segments


def test_tgd1_on_its_axis_is_the_1d_operator():
    """θ = 0, middle row: sign(t) exp(-t²/(2σ²)) — the 1-D first-order operator."""
    phi = K.analytic_kernel("tgd1", torch.tensor([[0.0, 1.3]], dtype=torch.float64), (9, 9))[0]
    t = torch.arange(9, dtype=torch.float64) - 4
    assert (phi[4] - torch.sign(t) * torch.exp(-(t**2) / (2 * 1.3**2))).abs().max() <= TOL


@pytest.mark.parametrize("k", [5, 7, 11])
def test_tgd1_is_a_steerable_directional_difference(k):
    """φ_θ = cos θ φ_0 + sin θ φ_{π/2}; its response to a ramp g·(x, y) is ∝ g·(cos θ, sin θ)."""
    for s in SIGMAS.tolist():
        akp = torch.stack([THETAS, torch.full_like(THETAS, s)], 1)
        phi = K.analytic_kernel("tgd1", akp, (k, k))
        base = K.analytic_kernel("tgd1", torch.tensor([[0.0, s], [math.pi / 2, s]], dtype=torch.float64), (k, k))
        steered = torch.cos(THETAS)[:, None, None] * base[0] + torch.sin(THETAS)[:, None, None] * base[1]
        assert (phi - steered).abs().max() <= TOL
        x, y = K.grid((k, k), torch.float64)
        resp = torch.stack([(phi * x).sum((-2, -1)), (phi * y).sum((-2, -1))], 1)  # responses to ramps x, y
        c = (base[0] * x).sum()
        assert c > 0
        assert (resp - c * torch.stack([torch.cos(THETAS), torch.sin(THETAS)], 1)).abs().max() <= TOL * k


@pytest.mark.parametrize("k", [5, 7, 11])
def test_tgd2_is_even_zero_sum_and_blind_to_linear_functions(k):
    phi = _tgd("tgd2", k)
    assert (phi - torch.flip(phi, dims=(-2, -1))).abs().max() <= TOL
    assert phi.sum(dim=(-2, -1)).abs().max() <= TOL * k
    x, y = K.grid((k, k), torch.float64)
    for ramp in (x, y, 2 * x - 3 * y):
        assert (phi * ramp).sum((-2, -1)).abs().max() <= TOL * k
    c = (k * k) // 2
    assert bool((phi.flatten(1)[:, c] < 0).all())  # negative centre segment
    assert bool((torch.cat([phi.flatten(1)[:, :c], phi.flatten(1)[:, c + 1 :]], 1) >= 0).all())


def test_tgd_half_turn_of_theta():
    """θ → θ + π flips the first-order operator and leaves the second-order one unchanged."""
    a = torch.tensor([[0.7, 1.4]], dtype=torch.float64)
    b = a + torch.tensor([[math.pi, 0.0]], dtype=torch.float64)
    assert (K.analytic_kernel("tgd1", a, (7, 7)) + K.analytic_kernel("tgd1", b, (7, 7))).abs().max() <= TOL
    assert (K.analytic_kernel("tgd2", a, (7, 7)) - K.analytic_kernel("tgd2", b, (7, 7))).abs().max() <= TOL


def test_mean_family_has_no_akp_and_is_static():
    acl = L.AnalyticConv2d(2, 4, 3, n_analytic=4, families=("mean",), dtype=torch.float64)
    assert L.parameter_count(acl) == 4 * 2 + 4 == L.acl_parameter_count(2, 4, 3, 4, ("mean",))
    w = acl.weight.detach()
    assert (w - w[..., :1, :1]).abs().max() == 0  # every channel is a constant 3×3 kernel


# ---------------------------------------------------------------- the layer as a Conv2d
def test_zero_ratio_equals_conv2d_same_weights():
    torch.manual_seed(1)
    conv = nn.Conv2d(3, 6, 3, stride=2, padding=1, dilation=1, groups=3, dtype=torch.float64)
    acl = L.AnalyticConv2d(3, 6, 3, stride=2, padding=1, groups=3, ratio=0.0, dtype=torch.float64)
    with torch.no_grad():
        acl.plain_weight.copy_(conv.weight)
        acl.bias.copy_(conv.bias)
    x = torch.randn(2, 3, 9, 8, dtype=torch.float64)
    assert (acl(x) - conv(x)).abs().max() <= 1e-12


def test_zero_ratio_draws_the_same_initial_weights_as_conv2d():
    torch.manual_seed(5)
    conv = nn.Conv2d(4, 8, 5)
    torch.manual_seed(5)
    acl = L.AnalyticConv2d(4, 8, 5, ratio=0.0)
    assert torch.equal(acl.weight, conv.weight) and torch.equal(acl.bias, conv.bias)


def test_analytic_channels_are_amplitude_times_unit_ack():
    torch.manual_seed(2)
    acl = L.AnalyticConv2d(2, 5, 5, n_analytic=4, families=("gabor", "log"), dtype=torch.float64)
    w = acl.weight.detach().numpy()
    akps, amps = acl.akps(), {f: a.detach().numpy() for f, a in acl.amplitude.items()}
    o = 0
    for fam in ("gabor", "log"):
        names = K.get_family(fam).names
        for i in range(2):
            phi = _np_kernel(fam, [akps[fam][n][i].item() for n in names], 5)
            phi /= np.linalg.norm(phi)
            np.testing.assert_allclose(w[o], amps[fam][i][:, None, None] * phi[None], atol=TOL)
            o += 1
    assert acl.channel_families() == ["gabor", "gabor", "log", "log", "plain"]


def test_readback_returns_the_initial_bank():
    acl = L.AnalyticConv2d(1, 16, 7, ratio=1.0, families=("gabor",), dtype=torch.float64)
    bank = K.get_family("gabor").bank(16, 7, torch.float64)
    got = torch.stack(list(acl.akps()["gabor"].values()), dim=1)
    assert (got - bank).abs().max() <= TOL
    assert torch.allclose(got[:8, 0], torch.arange(8, dtype=torch.float64) * math.pi / 8)


CONFIGS = [
    dict(in_channels=3, out_channels=64, kernel_size=11, n_analytic=0, families=("gabor",), bias=True),
    dict(in_channels=3, out_channels=64, kernel_size=11, n_analytic=64, families=("gabor",), bias=False),
    dict(in_channels=16, out_channels=32, kernel_size=5, n_analytic=13, families=("gabor", "log", "dog"), bias=True),
    dict(in_channels=8, out_channels=12, kernel_size=(3, 5), n_analytic=7, families=tuple(K.FAMILIES), groups=4, bias=True),
]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_parameter_count_formula_is_exact(cfg):
    layer = L.AnalyticConv2d(**cfg)
    assert L.acl_parameter_count(**cfg) == L.parameter_count(layer)


def test_parameter_count_by_hand():
    # 13 ACKs over (gabor, log, dog) = 5, 4, 4 kernels; 19 plain 16×5×5 kernels; 32 biases
    assert L.acl_parameter_count(16, 32, 5, 13, ("gabor", "log", "dog")) == (
        5 * (5 + 16) + 4 * (1 + 16) + 4 * (3 + 16) + 19 * 16 * 25 + 32
    )
    assert L.acl_parameter_count(3, 64, 7, 0, bias=False) == 9408  # ResNet-50 conv1


@pytest.mark.parametrize(
    "stride,padding,dilation", list(itertools.product([1, 2, 3], [0, 1, 2, (1, 2)], [1, 2]))
)
def test_output_shape_matches_conv2d(stride, padding, dilation):
    x = torch.zeros(1, 2, 11, 10)
    conv = nn.Conv2d(2, 4, (3, 4), stride, padding, dilation)
    acl = L.AnalyticConv2d(2, 4, (3, 4), stride, padding, dilation, ratio=0.5)
    assert acl(x).shape == conv(x).shape


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_padding_modes_equal_conv2d(padding, padding_mode):
    torch.manual_seed(3)
    conv = nn.Conv2d(2, 3, 4, padding=padding, dilation=2, padding_mode=padding_mode, dtype=torch.float64)
    acl = L.AnalyticConv2d(2, 3, 4, padding=padding, dilation=2, padding_mode=padding_mode, ratio=0.0,
                           dtype=torch.float64)
    with torch.no_grad():
        acl.plain_weight.copy_(conv.weight)
        acl.bias.copy_(conv.bias)
    x = torch.randn(1, 2, 9, 10, dtype=torch.float64)
    assert (acl(x) - conv(x)).abs().max() <= 1e-12


def test_replace_conv_keeps_function_at_zero_ratio_and_shrinks_at_one():
    torch.manual_seed(4)
    net = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.Conv2d(8, 8, 3)).double()
    x = torch.randn(2, 1, 12, 12, dtype=torch.float64)
    before = net(x)
    plain_count = L.parameter_count(net)
    L.replace_conv(net, 0.0)
    assert all(isinstance(m, L.AnalyticConv2d) for m in (net[0], net[2]))
    assert (net(x) - before).abs().max() <= 1e-12
    net2 = L.replace_conv(nn.Sequential(nn.Conv2d(1, 8, 5), nn.Conv2d(8, 8, 3)), [1.0, 0.5])
    assert L.parameter_count(net2) < plain_count
    assert L.parameter_count(net2) == L.acl_parameter_count(1, 8, 5, 8) + L.acl_parameter_count(8, 8, 3, 4)


# ---------------------------------------------------------------- fitting (note §1.6, check 5)
@pytest.mark.parametrize("family", ["gabor", "gauss_d1", "tgd1", "tgd2", "log"])
def test_fit_recovers_noise_free_acks(family):
    fam = K.get_family(family)
    gen = torch.Generator().manual_seed(7)
    akp = fam.sample(3, 7, gen)
    amp = torch.randn(3, 2, generator=gen, dtype=torch.float64)
    targets = K.compose_weight(K.normalize_kernel(K.analytic_kernel(fam, akp, (7, 7))), amp)
    fit = Fit.fit_kernels(targets, [family], n_starts=6, steps=80, refine_iters=20, seed=0)
    assert fit.rel_error.max() <= 1e-6
    assert fit.family == [family] * 3
    assert (fit.fitted - targets).abs().max() <= 1e-6 * targets.abs().max()
    assert fit.n_params.tolist() == [fam.n_akp + 2] * 3


def test_fit_of_random_kernels_is_poor():
    """A family of a few AKPs cannot model white noise (the fit is not trivially perfect)."""
    targets = torch.randn(4, 1, 7, 7, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    fit = Fit.fit_kernels(targets, ["gabor", "log"], n_starts=4, steps=100, refine_iters=20)
    assert fit.rel_error.min() > 0.5


# ---------------------------------------------------------------- errors name the parameter
def test_errors_name_the_bad_parameter():
    with pytest.raises(ValueError, match="unknown ACK family 'sobel'; allowed: gabor"):
        L.AnalyticConv2d(1, 4, 3, families=("sobel",))
    with pytest.raises(ValueError, match=r"ratio must be in \[0, 1\], got 1.5"):
        L.AnalyticConv2d(1, 4, 3, ratio=1.5)
    with pytest.raises(ValueError, match="n_analytic must be in"):
        L.AnalyticConv2d(1, 4, 3, n_analytic=5)
    with pytest.raises(ValueError, match="padding_mode 'mirror'; allowed: zeros"):
        L.AnalyticConv2d(1, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match=r"akp for family 'log' must be \(n, 1\)"):
        K.analytic_kernel("log", torch.ones(2, 3), (3, 3))
    with pytest.raises(ValueError, match="groups=2 must"):
        L.AnalyticConv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding 'full'; allowed: 'same', 'valid'"):
        L.AnalyticConv2d(1, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        L.AnalyticConv2d(1, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="stride must be an int or a pair"):
        L.AnalyticConv2d(1, 4, 3, stride=(1, 2, 3))
    with pytest.raises(ValueError, match="kernel size must be positive"):
        K.grid((0, 3))
    with pytest.raises(ValueError, match=r"gabor: scale AKPs \['lam', 'sigma', 'gamma'\] must be > 0"):
        K.get_family("gabor").to_raw(torch.tensor([[0.0, -1.0, 0.0, 1.0, 1.0]]))
    with pytest.raises(ValueError, match=r"targets must be \(N, C, kh, kw\)"):
        Fit.fit_kernels(torch.ones(3, 3))
    with pytest.raises(ValueError, match="ratio has 1 entries but the module has 2 Conv2d layers"):
        L.replace_conv(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Conv2d(2, 2, 3)), [0.5])
