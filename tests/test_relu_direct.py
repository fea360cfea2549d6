"""Layer-3 boundaries fitted on the direct features ``D = [|û|, ReLU(h), 1]`` when a layer-2 neuron
is missing from the known layers (active on every region seen), over several seeds."""

import numpy as np
import pytest
from cnnmath.relu import Oracle
from cnnmath.relu.layer3 import (
    DirectNeuron,
    KnownLayers,
    direct_features,
    fit_direct,
    fit_neuron,
    trace_neuron,
)
from cnnmath.relu.nets import ReLUNet, random_relu_net
from cnnmath.relu.oracle import ScalarView

SEEDS = range(4)
MISSING = 0  # the layer-2 neuron left out of the known layers


def _net(seed: int, quantile: float, sizes=(6, 8, 5, 8, 1)) -> ReLUNet:
    """A random network whose layer-2 neuron ``MISSING`` is inactive on the ``quantile`` of
    ``N(0, 9 I)`` inputs with the lowest pre-activation (its bias shifted; 0: active on all of them)."""
    rng = np.random.default_rng(seed)
    net = random_relu_net(sizes, rng)
    x = 3 * rng.normal(size=(20_000, sizes[0]))
    u = net.preactivations(x)[1][:, MISSING] - net.biases[1][MISSING]
    b2 = net.biases[1].copy()
    b2[MISSING] = -np.quantile(u, quantile) + (1.0 if quantile == 0 else 0.0)
    return ReLUNet(net.weights, (net.biases[0], b2, *net.biases[2:]))


def _known(net: ReLUNet, rng: np.random.Generator) -> KnownLayers:
    """Layer 1 (unit rows, signs right) and layer 2 without ``MISSING``, up to factors ``κ_z`` of either sign."""
    w, b = net.weights, net.biases
    norm = np.linalg.norm(w[0], axis=1)
    rest = np.arange(len(b[1])) != MISSING
    kappa = rng.uniform(0.5, 2.0, rest.sum()) * rng.choice([-1.0, 1.0], rest.sum())
    return KnownLayers(w[0] / norm[:, None], b[0] / norm, kappa[:, None] * w[1][rest] * norm, kappa * b[1][rest])


def _boundary_points(net: ReLUNet, layer: int, t: int, rng: np.random.Generator, n: int) -> np.ndarray | None:
    """``n`` exact points of the boundary of neuron ``t`` of hidden layer ``layer`` (0-based; white
    box): Gaussian pairs (scales 3 and 10) with opposite pre-activations, bisected; None when the neuron
    has one sign on all 20 000 of them."""
    x = rng.choice([3.0, 10.0], size=(20_000, 1)) * rng.normal(size=(20_000, net.sizes[0]))
    v = net.preactivations(x)[layer][:, t]
    neg, pos = x[v < 0], x[v > 0]
    if not len(neg) or not len(pos):
        return None
    a, b = neg[rng.integers(len(neg), size=n)], pos[rng.integers(len(pos), size=n)]
    for _ in range(80):
        mid = (a + b) / 2
        below = net.preactivations(mid)[layer][:, t] < 0
        a, b = np.where(below[:, None], mid, a), np.where(below[:, None], b, mid)
    return (a + b) / 2


def _active(net: ReLUNet, x: np.ndarray) -> np.ndarray:
    """Where the missing layer-2 neuron is active (white box)."""
    return net.preactivations(x)[1][:, MISSING] > 0


def _direct_fits(net: ReLUNet, known: KnownLayers, rng: np.random.Generator) -> list[DirectNeuron]:
    """:func:`fit_direct` of every layer-3 neuron with a boundary on 300 exact points of it where the
    missing neuron is active, with the neuron's index."""
    fits = []
    for t in range(net.sizes[3]):
        pts = _boundary_points(net, 2, t, rng, 400)
        if pts is None:
            continue
        pts = pts[_active(net, pts)][:300]
        theta, side, why = fit_direct(known, list(pts))
        assert theta is not None, why
        fits.append((t, DirectNeuron(points=list(pts), theta=theta, side=side)))
    assert len(fits) >= 2
    return fits


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_direct_recovers_a_layer3_preactivation_with_a_missing_layer2_neuron(seed):
    """``v_t = Σ_z Q_z |û_z| + R·ReLU(h) + c`` wherever the missing neuron is active: the null vector of
    ``D`` over exact points of ``B_t`` gives ``v_t`` up to one factor, to 1e-9 relative, on its points
    and on fresh inputs where the fit is exact (its signs hold) — though no ``θ`` on ``[|û|, û, 1]``
    fits those points (the known features lack ``u_m``)."""
    rng = np.random.default_rng(seed)
    net = _net(seed, 0.0)
    known = _known(net, rng)
    for t, fit in _direct_fits(net, known, rng):
        pts = np.array(fit.points)
        assert fit_neuron(known, fit.points)[0] is None
        assert np.max(np.abs(fit.values(known, pts))) <= 1e-9 * np.max(np.abs(fit.theta[np.isfinite(fit.theta)]))
        x = 3 * rng.normal(size=(5000, net.sizes[0]))
        x = x[fit.valid(known, x) & _active(net, x)]
        assert len(x) > 200
        v = net.preactivations(x)[2][:, t]
        vhat = fit.values(known, x)
        lam = (vhat @ v) / (v @ v)
        assert np.max(np.abs(vhat / lam - v)) <= 1e-9 * np.max(np.abs(v))
        grad = fit.gradient(known, x[0]) / lam  # ∇v_t at a point, by central differences
        e = np.eye(net.sizes[0]) * 1e-6
        fd = (net.preactivations(x[0] + e)[2][:, t] - net.preactivations(x[0] - e)[2][:, t]) / 2e-6
        assert np.allclose(grad, fd, rtol=1e-6, atol=1e-6 * np.linalg.norm(fd))


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_direct_on_the_missing_boundary_has_no_layer2_part(seed):
    """The boundary of the missing neuron itself, ``u_m = V·ReLU(h) + b``, fits with ``Q = 0``."""
    rng = np.random.default_rng(seed)
    net = _net(seed, 0.2)
    known = _known(net, rng)
    pts = _boundary_points(net, 1, MISSING, rng, 200)
    theta, side, why = fit_direct(known, list(pts))
    assert theta is not None, why
    k = len(known.c)
    assert np.max(np.abs(np.nan_to_num(theta[:k]))) <= 1e-9
    x = 3 * rng.normal(size=(2000, net.sizes[0]))
    fit = DirectNeuron(theta=theta, side=side)
    x = x[fit.valid(known, x)]
    u = net.preactivations(x)[1][:, MISSING]
    vhat = fit.values(known, x)
    lam = (vhat @ u) / (u @ u)
    assert np.max(np.abs(vhat / lam - u)) <= 1e-9 * np.max(np.abs(u))


@pytest.mark.parametrize("seed", SEEDS)
def test_sign_free_design_explains_the_output_exactly_where_the_missing_neuron_is_active(seed):
    """``N = Σ_t a_t ReLU(v_t) + d`` lies in the span of ``[|v_t|, |û|, ReLU(h), 1]`` (``ReLU(v) =
    (v + |v|)/2``, no sign needed; ``v_t`` is what the direct fits give, up to a factor, test above)
    where the missing neuron is active: the least squares over such inputs leaves 1e-9 relative;
    where it is inactive, ``v_t`` loses ``W_tm u_m`` and the same fit misses."""
    rng = np.random.default_rng(seed)
    net = _net(seed, 0.1)
    known = _known(net, rng)
    x = 3 * rng.normal(size=(6000, net.sizes[0]))
    design = np.column_stack([np.abs(net.preactivations(x)[2]), direct_features(known, x)])
    y = net(x)[:, 0]
    on = _active(net, x)
    coef = np.linalg.lstsq(design[on], y[on], rcond=None)[0]
    miss = np.abs(design @ coef - y) / np.max(np.abs(y))
    assert np.max(miss[on]) <= 1e-9
    assert np.mean(miss[~on] > 1e-6) >= 0.5


@pytest.mark.parametrize("seed", range(2))
def test_trace_neuron_direct_follows_a_layer3_boundary_through_a_missing_neuron(seed):
    """From one exact point, with queries only: :func:`trace_neuron` with ``direct=True`` follows
    ``B_t`` across regions of the known layers and its fit is ``v_t`` up to one factor, to 1e-9."""
    rng = np.random.default_rng(seed)
    net = _net(seed, 0.0)
    known = _known(net, rng)
    g = ScalarView(Oracle(net, net.sizes[0]), rng)
    t = next(t for t in range(net.sizes[3]) if _boundary_points(net, 2, t, rng, 1) is not None)
    p = _boundary_points(net, 2, t, rng, 1)[0]
    z = trace_neuron(g, known, p, rng, direct=True)
    assert isinstance(z, DirectNeuron) and z.determined, getattr(z, "status", "no boundary at p")
    x = 3 * rng.normal(size=(5000, net.sizes[0]))
    x = x[z.valid(known, x) & _active(net, x)]
    v = net.preactivations(x)[2][:, t]
    vhat = z.values(known, x)
    lam = (vhat @ v) / (v @ v)
    assert np.max(np.abs(vhat / lam - v)) <= 1e-9 * np.max(np.abs(v))


def test_fit_direct_with_no_feature_but_the_constant_says_so():
    """Points where no layer-1 neuron is active and no layer-2 boundary is crossed leave only the
    constant column: no fit, with its reason (not an index error)."""
    from cnnmath.relu.layer3 import KnownLayers, fit_direct

    known = KnownLayers(np.eye(2), np.full(2, -100.0), np.ones((1, 2)), np.array([1.0]))
    theta, _, why = fit_direct(known, [np.array([0.1 * i, 0.2]) for i in range(6)])
    assert theta is None and "constant" in why
