"""Volterra convolutions: order-n conv vs brute force, Taylor coefficients, conv+activation kernels."""

import itertools
import math

import numpy as np
import pytest
import torch

from cnnmath import volterra

torch.set_default_dtype(torch.float64)


def brute_order_n(kernel: np.ndarray, x: np.ndarray, stride: int) -> np.ndarray:
    """(H * x^n)[t] = sum over all index tuples of H[i] * prod x[s t + i_k], by explicit loops."""
    size, order = kernel.shape[0], kernel.ndim
    out = []
    for t in range((len(x) - size) // stride + 1):
        total = 0.0
        for idx in itertools.product(range(size), repeat=order):
            total += kernel[idx] * math.prod(x[stride * t + i] for i in idx)
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("order,stride", [(1, 1), (2, 1), (3, 2), (4, 3)])
def test_order_n_conv_equals_brute_force(order: int, stride: int) -> None:
    rng = np.random.default_rng(order * 10 + stride)
    kernel, x = rng.standard_normal((3,) * order), rng.standard_normal(11)
    ours = volterra.order_n_conv1d(torch.tensor(kernel), torch.tensor(x), stride).numpy()
    np.testing.assert_allclose(ours, brute_order_n(kernel, x, stride), rtol=1e-12, atol=1e-13)


def test_order_n_conv_is_batched_and_order1_is_torch_conv1d() -> None:
    gen = torch.Generator().manual_seed(0)
    h, x = torch.randn(5, generator=gen), torch.randn(2, 3, 20, generator=gen)
    ours = volterra.order_n_conv1d(h, x, stride=2)
    ref = torch.conv1d(x.reshape(6, 1, 20), h[None, None], stride=2).reshape(2, 3, -1)
    torch.testing.assert_close(ours, ref, rtol=1e-13, atol=1e-13)


def test_taylor_coefficients_of_sigmoid_are_the_exact_rationals() -> None:
    exact = [1 / 2, 1 / 4, 0, -1 / 48, 0, 1 / 480, 0, -17 / 80640, 0, 31 / 1451520, 0, -691 / 319334400]
    np.testing.assert_allclose(volterra.taylor_coefficients("sigmoid", 11), exact, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("activation", volterra.ACTIVATIONS)
@pytest.mark.parametrize("at", [0.0, 0.7, -1.3])
def test_taylor_coefficients_match_autograd_derivatives(activation: str, at: float) -> None:
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": torch.nn.functional.softplus}[activation]
    u = torch.tensor(at, requires_grad=True)
    value, derivs = fn(u), []
    for k in range(5):
        derivs.append(value.item() / math.factorial(k))
        (value,) = torch.autograd.grad(value, u, create_graph=True)
    np.testing.assert_allclose(volterra.taylor_coefficients(activation, 4, at), derivs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("copies", [1, 2, 3])
def test_outer_conv_diag_composes_a_conv_after_a_power(stride: int, copies: int) -> None:
    """g * (h *_s x)^m == (diag(g) ⊛_s h^{⊗m}) *_s x^m (the paper's composition rule)."""
    gen = torch.Generator().manual_seed(stride * 7 + copies)
    g, h, x = torch.randn(3, generator=gen), torch.randn(4, generator=gen), torch.randn(40, generator=gen)
    inner = torch.conv1d(x[None, None], h[None, None], stride=stride)[0, 0]
    direct = torch.conv1d((inner**copies)[None, None], g[None, None])[0, 0]
    kernel = volterra.outer_conv_diag(g, h, copies, stride)
    torch.testing.assert_close(volterra.order_n_conv1d(kernel, x, stride), direct, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("activation", volterra.ACTIVATIONS)
def test_volterra_kernels_equal_the_taylor_polynomial(activation: str) -> None:
    """Sum_k K_k * x^k equals g * sum_k a_k (h*x + b)^k-expansion evaluated directly, to 1e-12."""
    gen = torch.Generator().manual_seed(3)
    x, h, g = torch.randn(30, generator=gen), torch.randn(5, generator=gen), torch.randn(4, generator=gen)
    x, h, g, bias, order = x / x.norm(), h / h.norm(), g / g.norm(), 0.3, 5
    a = volterra.taylor_coefficients(activation, order, bias)
    hx = torch.conv1d(x[None, None], h[None, None])[0, 0]
    direct = sum(a[k] * torch.conv1d((hx**k)[None, None], g[None, None])[0, 0] for k in range(order + 1))
    kernels = volterra.conv_activation_kernels(g, h, activation, order, bias)
    torch.testing.assert_close(volterra.volterra_conv1d(kernels, x), direct, rtol=1e-12, atol=1e-12)


def test_order5_approximation_error_of_conv_sigmoid_is_the_papers_order() -> None:
    """Fig. 6 setting: the order-5 error is ~1e-7 and the residual is the order-7 Taylor term."""
    rng = np.random.default_rng(0)
    x, h, g = (torch.tensor(v / np.linalg.norm(v)) for v in (rng.standard_normal(n) for n in (64, 9, 5)))
    hx = torch.conv1d(x[None, None], h[None, None])[0, 0]
    z = torch.conv1d(torch.sigmoid(hx)[None, None], g[None, None])[0, 0]
    residual = z - volterra.volterra_conv1d(volterra.conv_activation_kernels(g, h, "sigmoid", 5), x)
    seventh = -17 / 80640 * torch.conv1d((hx**7)[None, None], g[None, None])[0, 0]
    assert residual.norm() < 1e-6
    assert (residual - seventh).norm() / seventh.norm() < 0.05


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: volterra.taylor_coefficients("relu", 3), "activation 'relu' unknown; allowed: sigmoid"),
        (lambda: volterra.taylor_coefficients("tanh", -1), "order must be a non-negative int"),
        (lambda: volterra.order_n_conv1d(torch.ones(2, 3), torch.ones(9)), "equal length"),
        (lambda: volterra.order_n_conv1d(torch.ones(3), torch.ones(9), 0), "stride must be a positive int"),
        (lambda: volterra.order_n_conv1d(torch.ones(5), torch.ones(3)), "shorter than the kernel"),
        (lambda: volterra.outer_conv_diag(torch.ones(2), torch.ones(3), 0), "copies must be a positive int"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
