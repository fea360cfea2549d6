"""Volterra convolutions: order-n conv (1-D, 2-D) vs brute force, Taylor coefficients, composition rules."""

import itertools
import math

import numpy as np
import pytest
import torch

from cnnmath.volterra import conv
pytestmark = pytest.mark.usefixtures("float64_default")


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
    ours = conv.order_n_conv1d(torch.tensor(kernel), torch.tensor(x), stride).numpy()
    np.testing.assert_allclose(ours, brute_order_n(kernel, x, stride), rtol=1e-12, atol=1e-13)


def test_order_n_conv_is_batched_and_order1_is_torch_conv1d() -> None:
    gen = torch.Generator().manual_seed(0)
    h, x = torch.randn(5, generator=gen), torch.randn(2, 3, 20, generator=gen)
    ours = conv.order_n_conv1d(h, x, stride=2)
    ref = torch.conv1d(x.reshape(6, 1, 20), h[None, None], stride=2).reshape(2, 3, -1)
    torch.testing.assert_close(ours, ref, rtol=1e-13, atol=1e-13)


def test_taylor_coefficients_of_sigmoid_are_the_exact_rationals() -> None:
    exact = [1 / 2, 1 / 4, 0, -1 / 48, 0, 1 / 480, 0, -17 / 80640, 0, 31 / 1451520, 0, -691 / 319334400]
    np.testing.assert_allclose(conv.taylor_coefficients("sigmoid", 11), exact, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize("activation", conv.ACTIVATIONS)
@pytest.mark.parametrize("at", [0.0, 0.7, -1.3])
def test_taylor_coefficients_match_autograd_derivatives(activation: str, at: float) -> None:
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "softplus": torch.nn.functional.softplus}[activation]
    u = torch.tensor(at, requires_grad=True)
    value, derivs = fn(u), []
    for k in range(5):
        derivs.append(value.item() / math.factorial(k))
        (value,) = torch.autograd.grad(value, u, create_graph=True)
    np.testing.assert_allclose(conv.taylor_coefficients(activation, 4, at), derivs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("copies", [1, 2, 3])
def test_outer_conv_diag_composes_a_conv_after_a_power(stride: int, copies: int) -> None:
    """g * (h *_s x)^m == (diag(g) ⊛_s h^{⊗m}) *_s x^m (the paper's composition rule)."""
    gen = torch.Generator().manual_seed(stride * 7 + copies)
    g, h, x = torch.randn(3, generator=gen), torch.randn(4, generator=gen), torch.randn(40, generator=gen)
    inner = torch.conv1d(x[None, None], h[None, None], stride=stride)[0, 0]
    direct = torch.conv1d((inner**copies)[None, None], g[None, None])[0, 0]
    kernel = conv.outer_conv_diag(g, h, copies, stride)
    torch.testing.assert_close(conv.order_n_conv1d(kernel, x, stride), direct, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("activation", conv.ACTIVATIONS)
def test_volterra_kernels_equal_the_taylor_polynomial(activation: str) -> None:
    """Sum_k K_k * x^k equals g * sum_k a_k (h*x + b)^k-expansion evaluated directly, to 1e-12."""
    gen = torch.Generator().manual_seed(3)
    x, h, g = torch.randn(30, generator=gen), torch.randn(5, generator=gen), torch.randn(4, generator=gen)
    x, h, g, bias, order = x / x.norm(), h / h.norm(), g / g.norm(), 0.3, 5
    a = conv.taylor_coefficients(activation, order, bias)
    hx = torch.conv1d(x[None, None], h[None, None])[0, 0]
    direct = sum(a[k] * torch.conv1d((hx**k)[None, None], g[None, None])[0, 0] for k in range(order + 1))
    kernels = conv.conv_activation_kernels(g, h, activation, order, bias)
    torch.testing.assert_close(conv.volterra_conv1d(kernels, x), direct, rtol=1e-12, atol=1e-12)


def test_order5_approximation_error_of_conv_sigmoid_is_the_papers_order() -> None:
    """Fig. 6 setting: the order-5 error is ~1e-7 and the residual is the order-7 Taylor term."""
    rng = np.random.default_rng(0)
    x, h, g = (torch.tensor(v / np.linalg.norm(v)) for v in (rng.standard_normal(n) for n in (64, 9, 5)))
    hx = torch.conv1d(x[None, None], h[None, None])[0, 0]
    z = torch.conv1d(torch.sigmoid(hx)[None, None], g[None, None])[0, 0]
    residual = z - conv.volterra_conv1d(conv.conv_activation_kernels(g, h, "sigmoid", 5), x)
    seventh = -17 / 80640 * torch.conv1d((hx**7)[None, None], g[None, None])[0, 0]
    assert residual.norm() < 1e-6
    assert (residual - seventh).norm() / seventh.norm() < 0.05


def brute_order_n_2d(kernel: np.ndarray, x: np.ndarray, order: int, stride: int, pad: int) -> np.ndarray:
    """(H * x^n)[o, t1, t2] by explicit loops over every (channel, row, column) tuple of the n factors."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    block = kernel.shape[1:4]
    rows = (xp.shape[2] - block[1]) // stride + 1
    cols = (xp.shape[3] - block[2]) // stride + 1
    out = np.zeros((x.shape[0], kernel.shape[0], rows, cols))
    taps = list(itertools.product(*(range(k) for k in block)))
    for b, o, t1, t2 in itertools.product(range(x.shape[0]), range(kernel.shape[0]), range(rows), range(cols)):
        for combo in itertools.product(taps, repeat=order):
            factors = (xp[b, c, stride * t1 + i, stride * t2 + j] for c, i, j in combo)
            out[b, o, t1, t2] += kernel[(o, *sum(combo, ()))] * math.prod(factors)
    return out


@pytest.mark.parametrize("order,stride,pad", [(1, 1, 0), (2, 2, 1), (3, 1, 0)])
def test_order_n_conv2d_equals_brute_force(order: int, stride: int, pad: int) -> None:
    rng = np.random.default_rng(order + 5 * stride)
    kernel, x = rng.standard_normal((2,) + (2, 2, 3) * order), rng.standard_normal((2, 2, 5, 5))
    ours = conv.order_n_conv2d(torch.tensor(kernel), torch.tensor(x), order, stride, pad).numpy()
    np.testing.assert_allclose(ours, brute_order_n_2d(kernel, x, order, stride, pad), rtol=1e-12, atol=1e-12)


def test_order1_conv2d_is_torch_conv2d() -> None:
    gen = torch.Generator().manual_seed(1)
    w, x = torch.randn(4, 3, 3, 3, generator=gen), torch.randn(2, 3, 11, 11, generator=gen)
    ref = torch.conv2d(x, w, stride=2, padding=1)
    torch.testing.assert_close(conv.order_n_conv2d(w, x, 1, 2, 1), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_order_n_conv2d_on_separable_input_is_a_product_of_1d_convs(order: int) -> None:
    """H = A (rows) ⊗ B (cols), x = u vᵀ  ⇒  (H * x^n)[t1, t2] = (A * u^n)[t1] · (B * v^n)[t2]."""
    gen = torch.Generator().manual_seed(order)
    a, b = torch.randn((3,) * order, generator=gen), torch.randn((4,) * order, generator=gen)
    u, v = torch.randn(9, generator=gen), torch.randn(8, generator=gen)
    kernel = torch.einsum(a, list(range(order)), b, list(range(order, 2 * order)), list(range(2 * order)))
    perm = [ax for k in range(order) for ax in (k, order + k)]  # interleave (row, col) per factor
    kernel = kernel.permute(perm).reshape((1,) + (1, 3, 4) * order)
    ours = conv.order_n_conv2d(kernel, torch.outer(u, v)[None, None], order)[0, 0]
    ref = torch.outer(conv.order_n_conv1d(a, u), conv.order_n_conv1d(b, v))
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 4])
def test_order_n_conv2d_on_one_row_is_the_1d_conv(order: int) -> None:
    gen = torch.Generator().manual_seed(10 + order)
    h, x = torch.randn((3,) * order, generator=gen), torch.randn(12, generator=gen)
    kernel = h.reshape(sum(((1, 1, 3) for _ in range(order)), (1,)))
    ours = conv.order_n_conv2d(kernel, x.reshape(1, 1, 1, -1), order).flatten()
    torch.testing.assert_close(ours, conv.order_n_conv1d(h, x), rtol=1e-12, atol=1e-12)


def multi_input_conv(g: torch.Tensor, ys: list[torch.Tensor], stride: int) -> torch.Tensor:
    """G * (y_1..y_m)[t] = Σ_i G[i_1..i_m] Π_k y_k[s t + i_k], by a loop over the kernel's entries."""
    size, length = g.shape[0], min(len(y) for y in ys)
    count = (length - size) // stride + 1
    out = torch.zeros(count)
    for idx in itertools.product(range(size), repeat=g.ndim):
        out += g[idx] * math.prod(y[i : i + stride * (count - 1) + 1 : stride] for y, i in zip(ys, idx))
    return out


@pytest.mark.parametrize("orders,s1,s2", [((1, 2), 1, 1), ((2, 1), 2, 3), ((0, 2), 2, 1), ((1, 1, 1), 3, 2)])
def test_outer_conv_is_the_composition_rule(orders: tuple[int, ...], s1: int, s2: int) -> None:
    """G *_{s2} (H_1 *_{s1} x^{n_1}, ..) == (G ⊛_{s1} (H_1, ..)) *_{s1 s2} x^{Σ n_k}, order-0 factors included."""
    gen = torch.Generator().manual_seed(sum(orders) + 7 * s1 + s2)
    g, x = torch.randn((3,) * len(orders), generator=gen), torch.randn(60, generator=gen)
    hs = [torch.randn((4,) * n, generator=gen) if n else torch.randn((), generator=gen) for n in orders]
    inner = [conv.order_n_conv1d(h, x, s1) if n else h.expand(60) for h, n in zip(hs, orders)]
    direct = multi_input_conv(g, inner, s2)
    composite = conv.order_n_conv1d(conv.outer_conv(g, hs, s1), x, s1 * s2)
    torch.testing.assert_close(composite, direct[: len(composite)], rtol=1e-12, atol=1e-12)


def test_outer_conv_of_three_strided_layers() -> None:
    """u *_{s3} (g *_{s2} (h *_{s1} x)) == (u ⊛_{s1 s2} (g ⊛_{s1} h)) *_{s1 s2 s3} x (the authors' stride test)."""
    gen = torch.Generator().manual_seed(24)
    u, g, h, x = (torch.randn(n, generator=gen) for n in (3, 4, 5, 200))
    conv1d = lambda k, y, s: torch.conv1d(y[None, None], k[None, None], stride=s)[0, 0]  # noqa: E731
    direct = conv1d(u, conv1d(g, conv1d(h, x, 2), 3), 4)
    kernel = conv.outer_conv(u, [conv.outer_conv(g, [h], 2)], 6)
    torch.testing.assert_close(conv1d(kernel, x, 24), direct, rtol=1e-12, atol=1e-12)


def test_outer_conv_flip_identity_and_diag_form() -> None:
    """g ⊛ (h1, h2) = flip(flip(g) ⊛ (flip h1, flip h2)); diag(g) ⊛ (h, h) = outer_conv_diag(g, h, 2)."""
    gen = torch.Generator().manual_seed(8)
    g, h1, h2 = torch.randn(8, 8, generator=gen), torch.randn(5, generator=gen), torch.randn(5, generator=gen)
    flipped = conv.outer_conv(g.flip(0, 1), [h1.flip(0), h2.flip(0)]).flip(0, 1)
    torch.testing.assert_close(conv.outer_conv(g, [h1, h2]), flipped, rtol=1e-13, atol=1e-13)
    d = torch.randn(6, generator=gen)
    torch.testing.assert_close(conv.outer_conv(torch.diag(d), [h1, h1], 2), conv.outer_conv_diag(d, h1, 2, 2))


@pytest.mark.parametrize("n_inner,n_outer", [(2, 2), (3, 2), (1, 3)])
def test_compose_volterra_equals_direct_evaluation(n_inner: int, n_outer: int) -> None:
    """z = Σ_m G_m * (Σ_n H_n * x^n)^m evaluated directly vs its composed kernels (Lemma 13), all orders kept."""
    gen = torch.Generator().manual_seed(n_inner * 3 + n_outer)
    unit = lambda *shape: (lambda t: t / t.norm())(torch.randn(shape, generator=gen))  # noqa: E731
    hs = [torch.randn((), generator=gen)] + [unit(*(5,) * n) for n in range(1, n_inner + 1)]
    gs = [torch.randn((), generator=gen)] + [unit(*(4,) * m) for m in range(1, n_outer + 1)]
    x = unit(64)
    y = conv.volterra_conv1d(hs, x)
    direct = gs[0] + sum(multi_input_conv(gs[m], [y] * m, 1) for m in range(1, n_outer + 1))
    kernels = conv.compose_volterra(gs, hs)
    assert len(kernels) == n_inner * n_outer + 1
    torch.testing.assert_close(conv.volterra_conv1d(kernels, x), direct, rtol=1e-12, atol=1e-13)


def test_compose_volterra_22_matches_the_written_out_kernels() -> None:
    """f0 = g0 + h0 Σg1 + h0² Σg2 and f3 = g2 ⊛ (h1, h2) + g2 ⊛ (h2, h1) (the authors' N = M = 2 case)."""
    gen = torch.Generator().manual_seed(22)
    h0, h1, h2 = torch.randn((), generator=gen), torch.randn(5, generator=gen), torch.randn(5, 5, generator=gen)
    g0, g1, g2 = torch.randn((), generator=gen), torch.randn(5, generator=gen), torch.randn(5, 5, generator=gen)
    f = conv.compose_volterra([g0, g1, g2], [h0, h1, h2])
    torch.testing.assert_close(f[0], g0 + h0 * g1.sum() + h0**2 * g2.sum())
    torch.testing.assert_close(f[3], conv.outer_conv(g2, [h1, h2]) + conv.outer_conv(g2, [h2, h1]))
    torch.testing.assert_close(f[4], conv.outer_conv(g2, [h2, h2]))


@pytest.mark.parametrize("n_inner,n_outer", [(2, 2), (3, 2), (2, 4), (3, 4)])
def test_term_counts_count_the_tuples(n_inner: int, n_outer: int) -> None:
    counts = [0] * (n_inner * n_outer + 1)
    for m in range(n_outer + 1):
        for degrees in itertools.product(range(n_inner + 1), repeat=m):
            counts[sum(degrees)] += 1
    assert conv.term_counts(n_inner, n_outer) == counts


def test_outer_conv_of_kernels_of_any_shape_equals_brute_force() -> None:
    """(G ⊛ (H_1, H_2))[o_1, o_2] = Σ_i G[i] H_1[o_1 - s i_1 (1,..)] H_2[o_2 - s i_2 (1,..)] for non-cubic kernels."""
    gen = torch.Generator().manual_seed(31)
    g, h1, h2 = torch.randn(2, 3, generator=gen), torch.randn(2, 4, generator=gen), torch.randn(3, generator=gen)
    s = 2
    ref = np.zeros((2 + s, 4 + s, 3 + 2 * s))
    for (i1, i2), (a, b), c in itertools.product(np.ndindex(2, 3), np.ndindex(2, 4), range(3)):
        ref[a + s * i1, b + s * i1, c + s * i2] += (g[i1, i2] * h1[a, b] * h2[c]).item()
    torch.testing.assert_close(conv.outer_conv(g, [h1, h2], s), torch.from_numpy(ref), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("order,size", [(1, 3), (2, 3), (3, 2)])
def test_perturbation_expectation_is_the_trace_of_the_linear_map(order: int, size: int) -> None:
    """E‖H*x^n - H*y^n‖² = tr(AᵀA)/K^n for H uniform on the unit sphere, A the matrix of H ↦ H*x^n - H*y^n."""
    gen = torch.Generator().manual_seed(order * 10 + size)
    x = torch.randn(9, generator=gen)
    y = x.clone()
    y[4] += 0.7
    basis = torch.eye(size**order).reshape(-1, *(size,) * order)
    columns = torch.stack([conv.order_n_conv1d(b, x) - conv.order_n_conv1d(b, y) for b in basis])
    expected = (columns**2).sum().item() / size**order
    assert conv.perturbation_expectation(x, y, order, size) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("period", [2, 4, 7])
def test_annihilated_signal_is_killed_by_the_ones_filter_and_spans_period_minus_one(period: int) -> None:
    x = conv.annihilated_signal(np.ones(period), 40, np.random.default_rng(period))
    assert np.abs(np.convolve(x, np.ones(period), "valid")).max() < 1e-12
    assert np.allclose(x[period:], x[:-period]) and abs(x[:period].sum()) < 1e-12
    windows = np.lib.stride_tricks.sliding_window_view(x, 12)
    assert conv.numerical_rank(windows) == period - 1
    assert conv.numerical_rank(np.zeros((3, 3))) == 0


@pytest.mark.parametrize("seed", range(5))
def test_annihilated_signal_of_any_kernel_has_zero_correlation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    kernel = rng.uniform(0.5, 1.5, 5) * rng.choice([-1, 1], 5)
    x = conv.annihilated_signal(kernel, 30, rng)
    assert np.abs(np.correlate(x, kernel, "valid")).max() < 1e-9 * np.abs(x).max()


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: conv.taylor_coefficients("relu", 3), "activation 'relu' unknown; allowed: sigmoid"),
        (lambda: conv.taylor_coefficients("tanh", -1), "order must be a non-negative int"),
        (lambda: conv.order_n_conv1d(torch.ones(2, 3), torch.ones(9)), "equal length"),
        (lambda: conv.order_n_conv1d(torch.ones(3), torch.ones(9), 0), "stride must be a positive int"),
        (lambda: conv.order_n_conv1d(torch.ones(5), torch.ones(3)), "shorter than the kernel"),
        (lambda: conv.outer_conv_diag(torch.ones(2), torch.ones(3), 0), "copies must be a positive int"),
        (lambda: conv.order_n_conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 4, 4), 0), "order must be"),
        (lambda: conv.order_n_conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 2, 4, 4), 1), "does not fit"),
        (lambda: conv.outer_conv(torch.ones(2, 2), [torch.ones(3)]), "2 axes but 1 kernels"),
        (lambda: conv.outer_conv(torch.ones(2), [torch.ones(3)], 0), "stride must be a positive int"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
