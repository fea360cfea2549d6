"""Proxy kernels (closed form vs autograd Taylor coefficients), hacking network, MNIST classifier helpers."""

import math

import numpy as np
import pytest
import torch

from cnnmath.volterra import proxy, conv, nets
pytestmark = pytest.mark.usefixtures("float64_default")


def forward(layers: list[proxy.ConvLayer], x: torch.Tensor) -> torch.Tensor:
    """The network of ``layers`` applied to one input ``(C_in, *R)`` → ``(C_out,)`` (one output position)."""
    y = proxy.apply_layers(layers, x[None])
    assert y[0, 0].numel() == 1, "the input must be exactly the receptive field"
    return y[0].reshape(-1)


def random_layers(spec, dims: int, seed: int) -> list[proxy.ConvLayer]:
    """``spec``: (C_in, C_out, K, stride, activation, with_bias) per layer."""
    gen = torch.Generator().manual_seed(seed)
    layers = []
    for c_in, c_out, k, stride, act, with_bias in spec:
        w = 0.6 * torch.randn((c_out, c_in) + (k,) * dims, generator=gen) / math.sqrt(c_in * k**dims)
        b = 0.5 * torch.randn(c_out, generator=gen) if with_bias else None
        layers.append(proxy.ConvLayer(w, b, stride, act))
    return layers


def field(layers: list[proxy.ConvLayer]) -> int:
    size, step = 1, 1
    for layer in layers:
        size, step = size + step * (layer.weight.shape[-1] - 1), step * layer.stride
    return size


NETS_1D = [
    [(1, 1, 9, 1, "sigmoid", False), (1, 1, 9, 1, None, False)],
    [(2, 3, 3, 2, "sigmoid", True), (3, 4, 2, 1, "tanh", True), (4, 2, 3, 3, "softplus", False)],
    [(1, 3, 4, 3, "tanh", True), (3, 3, 3, 2, "sigmoid", True), (3, 1, 2, 1, "sigmoid", True)],
]


@pytest.mark.parametrize("net", range(len(NETS_1D)))
def test_closed_form_proxy_kernels_equal_autograd_taylor_coefficients_1d(net: int) -> None:
    """P_0 = F(0), P_1 = Jacobian, P_2 = Hessian / 2 at x = 0, float64, to 1e-10 (strides, channels, biases)."""
    layers = random_layers(NETS_1D[net], 1, seed=net)
    ours = proxy.proxy_kernels(layers, order=2)
    ref = proxy.autograd_proxy_kernels(lambda x: forward(layers, x), (layers[0].weight.shape[1], field(layers)))
    for n, (p, r) in enumerate(zip(ours, ref)):
        assert p.shape == r.shape, f"order {n}"
        torch.testing.assert_close(p, r, rtol=0, atol=1e-10 * max(1.0, r.abs().max().item()))
    # the paper's g * σ(h * x) has P_2 = 0 (σ''(0) = 0); with biases the order-2 check is not vacuous
    assert (ours[2].abs().max() > 1e-4) == (net > 0)


def test_closed_form_proxy_kernels_equal_autograd_taylor_coefficients_2d() -> None:
    layers = random_layers([(2, 3, 3, 2, "sigmoid", True), (3, 2, 2, 1, "tanh", True)], 2, seed=5)
    ours = proxy.proxy_kernels(layers, order=2)
    ref = proxy.autograd_proxy_kernels(lambda x: forward(layers, x), (2, field(layers), field(layers)))
    for p, r in zip(ours, ref):
        torch.testing.assert_close(p, r, rtol=0, atol=1e-10)


def test_lower_orders_do_not_depend_on_the_requested_order() -> None:
    layers = random_layers(NETS_1D[1], 1, seed=1)
    full = proxy.proxy_kernels(layers, order=2)
    for order in (0, 1):
        assert all(torch.equal(a, b) for a, b in zip(proxy.proxy_kernels(layers, order), full[: order + 1]))


def test_mnist_classifier_layer3_kernel_is_the_interior_jacobian() -> None:
    """The order-0/1 proxy kernels of layers 1..3 equal F(0) and the Jacobian of the interior output (1, 1):
    non-zero only on the 15×15 window at rows/cols 5..19, where padding is never read."""
    torch.manual_seed(0)
    model = nets.SigmoidClassifier().double()
    p0, p1 = proxy.proxy_kernels(model.proxy_layers(3), order=1)
    assert p1.shape == (10, 1, 15, 15)
    zero = torch.zeros(1, 1, 28, 28)
    jac = torch.autograd.functional.jacobian(lambda x: model.features(x, 3)[0, :, 1, 1], zero)[:, 0, 0]
    torch.testing.assert_close(jac[:, 5:20, 5:20], p1[:, 0], rtol=0, atol=1e-12)
    jac[:, 5:20, 5:20] = 0
    assert jac.abs().max() == 0
    torch.testing.assert_close(model.features(zero, 3)[0, :, 1, 1], p0, rtol=0, atol=1e-12)


def unit(n: int, gen: torch.Generator) -> torch.Tensor:
    v = torch.randn(n, generator=gen)
    return v / v.norm()


def test_two_layer_closed_form() -> None:
    """g * σ(h * x): P_0 = Σg / 2, P_1 = g ⊛ h / 4, the general recursion and autograd agree."""
    gen = torch.Generator().manual_seed(2)
    g, h = unit(9, gen), unit(9, gen)
    p0, p1 = proxy.two_layer_proxy(g, h)
    layers = [proxy.ConvLayer(h[None, None], None, 1, "sigmoid"), proxy.ConvLayer(g[None, None], None, 1, None)]
    q0, q1 = proxy.proxy_kernels(layers, order=1)
    torch.testing.assert_close(q0[0], p0, rtol=0, atol=1e-15)
    torch.testing.assert_close(q1[0, 0], p1, rtol=0, atol=1e-15)


def test_three_layer_closed_form_and_its_taylor_truncation() -> None:
    """Exact P_0 = Σf σ(Σg/2), P_1 = σ'(Σg/2) f⊛g⊛h / 4 to 1e-12; the authors' order-5 truncation misses
    them by about the first dropped terms, (17/80640)|Σf||u|^7 and 7 (17/80640) u^6 ‖P_1‖ / σ'(u)."""
    gen = torch.Generator().manual_seed(3)
    f, g, h = unit(9, gen), unit(9, gen), unit(9, gen)
    g = g - (g.sum() + 1.1) / 9  # Σg = -1.1 as in the note's check: truncation error well above rounding
    spec = [(h, "sigmoid"), (g, "sigmoid"), (f, None)]
    layers = [proxy.ConvLayer(k[None, None], None, 1, a) for k, a in spec]
    r0, r1 = proxy.autograd_proxy_kernels(lambda x: forward(layers, x), (1, 25), order=1)
    p0, p1 = proxy.three_layer_proxy(f, g, h)
    torch.testing.assert_close(p0, r0[0], rtol=0, atol=1e-12)
    torch.testing.assert_close(p1, r1[0, 0], rtol=0, atol=1e-12)
    t0, t1 = proxy.three_layer_proxy(f, g, h, taylor_order=5)
    u, a7 = g.sum().item() / 2, 17 / 80640
    slope = conv.taylor_coefficients("sigmoid", 1, u)[1]
    assert abs(t0 - p0).item() == pytest.approx(a7 * abs(f.sum().item()) * abs(u) ** 7, rel=0.1)
    assert (t1 - p1).norm().item() == pytest.approx(7 * a7 * u**6 * p1.norm().item() / slope, rel=0.1)


def test_least_squares_affine_fit_bias_is_the_cubic_term() -> None:
    """On unit-norm length-L signals the fitted order-1 kernel of g * σ(h * x) is off by a relative
    3 |a_3/a_1| Var(h * x) = 1/(4L) (the cubic Taylor term), so the error is predicted to within 10%."""
    gen = torch.Generator().manual_seed(4)
    g, h = unit(9, gen), unit(9, gen)
    layers = [proxy.ConvLayer(h[None, None], None, 1, "sigmoid"), proxy.ConvLayer(g[None, None], None, 1, None)]
    net = lambda x: proxy.apply_layers(layers, x)  # noqa: E731
    bias, weight = proxy.fit_affine_lstsq(net, 17, gen, n_signals=64, length=512)
    p0, p1 = proxy.two_layer_proxy(g, h)
    assert abs(bias - p0.item()) < 1e-5
    assert ((weight - p1).norm() / p1.norm()).item() == pytest.approx(1 / (4 * 512), rel=0.1)


def test_hacking_network_recovers_the_two_layer_kernels() -> None:
    """The authors' 1-D recipe (Adam, fresh unit-norm signals, early stop at MSE 1e-8) gets P_1 within 3 %."""
    gen = torch.Generator().manual_seed(6)
    g, h = unit(9, gen), unit(9, gen)
    layers = [proxy.ConvLayer(h[None, None], None, 1, "sigmoid"), proxy.ConvLayer(g[None, None], None, 1, None)]
    bias, weight, steps = proxy.hack_conv1d(lambda x: proxy.apply_layers(layers, x), 17, gen)
    p0, p1 = proxy.two_layer_proxy(g, h)
    assert steps < 1000 and abs(bias - p0.item()) < 1e-3
    assert (weight - p1).norm() / p1.norm() < 0.03


def test_hack_errors_mean_shift_is_the_trace_of_the_order2_kernel() -> None:
    """For the three-layer net the best affine fit's bias is P_0 + tr(P_2)/L, not P_0 (even order-2 term)."""
    gen = torch.Generator().manual_seed(9)
    f, g, h = unit(9, gen), unit(9, gen), unit(9, gen)
    g = g - (g.sum() - 2.0) / 9  # Σg = 2: σ''(1) makes the order-2 kernel, and the shift, large
    layers = [proxy.ConvLayer(k[None, None], None, 1, a) for k, a in ((h, "sigmoid"), (g, "sigmoid"), (f, None))]
    net = lambda x: proxy.apply_layers(layers, x)  # noqa: E731
    kernels = proxy.proxy_kernels(layers, order=2)
    bias, weight = proxy.fit_affine_lstsq(net, 25, gen, n_signals=256, length=64)
    errors = proxy.hack_errors(net, kernels, bias, weight, gen, n_signals=256, length=64)
    assert abs(errors["shift"]) > 1e-4
    assert errors["err0_shifted"] < 0.05 * abs(errors["shift"]) and errors["err0"] > 0.9 * abs(errors["shift"])


def test_classifier_has_the_papers_parameter_count_and_shapes() -> None:
    model = nets.SigmoidClassifier()
    assert sum(p.numel() for p in model.parameters()) == 2940
    x = torch.rand(3, 1, 28, 28)
    assert model.features(x, 3).shape == (3, 10, 3, 3) and model(x).shape == (3, 10)
    torch.testing.assert_close(model.rest(model.features(x, 2), 2), model(x))


def test_kernel_patch_equals_the_authors_fourier_form() -> None:
    """pad(K) − x is what ifft2(fft2(K, s=28×28) − fft2(x)).real computes; then min-max and energy 0.5."""
    gen = torch.Generator().manual_seed(7)
    image, kernel = torch.rand(28, 28, generator=gen), torch.randn(15, 15, generator=gen)
    diff = torch.fft.ifft2(torch.fft.fft2(kernel, s=(28, 28)) - torch.fft.fft2(image)).real
    ref = image + 0.5 * (diff - diff.min()) / (diff.max() - diff.min())
    torch.testing.assert_close(nets.kernel_patch(image, kernel), ref, rtol=0, atol=1e-12)


def test_hacker_geometry_matches_the_first_three_layers_and_training_lowers_its_error() -> None:
    """Conv2d(1, 10, 15, stride 8, padding 3) maps 28×28 to the 10×3×3 layer-3 output; fitting lowers the MSE."""
    torch.manual_seed(1)
    model = nets.SigmoidClassifier()
    images = torch.rand(128, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    torch.manual_seed(3)
    untrained = torch.nn.Conv2d(1, 10, 15, stride=8, padding=3)
    torch.manual_seed(3)  # the same initial weights as `untrained`
    hacker = nets.hack_layer3(model, images, 5, torch.Generator().manual_seed(4), batch=16)
    target = model.features(images, 3).detach()
    assert hacker(images).shape == target.shape == (128, 10, 3, 3)
    mse = lambda conv: ((conv(images) - target) ** 2).mean().item()  # noqa: E731
    assert mse(hacker) < 0.1 * mse(untrained)


def test_patch_predictions_patch_each_image_with_its_kernel() -> None:
    torch.manual_seed(5)
    model = nets.SigmoidClassifier()
    gen = torch.Generator().manual_seed(6)
    images, patches = torch.rand(3, 28, 28, generator=gen), torch.randn(3, 15, 15, generator=gen)
    patched, clean, after, logits = nets.patch_predictions(model, images, patches, 0.5)
    for i in range(3):
        torch.testing.assert_close(patched[i], nets.kernel_patch(images[i], patches[i], 0.5))
    torch.testing.assert_close(clean[:, 0], model(images[:, None]).argmax(1))
    torch.testing.assert_close(logits[:, 1], model(patched[:, None]).topk(2, dim=1).values)
    assert after.shape == (3, 2)


def test_pick_correct_only_picks_correct_items() -> None:
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 200)
    predicted = np.where(rng.random(200) < 0.7, labels, (labels + 1) % 10)
    picked = nets.pick_correct(predicted, labels, 12, rng)
    assert len(set(picked.tolist())) == 12 and (predicted[picked] == labels[picked]).all()


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: proxy.proxy_kernels([], 1), "at least one ConvLayer"),
        (lambda: proxy.proxy_kernels(random_layers(NETS_1D[0], 1, 0), 3), "order must be 0, 1 or 2"),
        (lambda: proxy.proxy_kernels([proxy.ConvLayer(torch.ones(2, 1, 3)), proxy.ConvLayer(torch.ones(1, 3, 3))]),
         "does not follow the previous layer"),
        (lambda: proxy.proxy_kernels([proxy.ConvLayer(torch.ones(1, 1, 3), activation="relu")]),
         "activation 'relu' unknown; allowed: sigmoid"),
        (lambda: proxy.autograd_proxy_kernels(lambda v: v.sum(0), (1, 3), 3), "order must be 0, 1 or 2"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
