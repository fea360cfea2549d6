"""Refinement of a recovered ReLU network on the oracle's answers: the Jacobian against finite
differences, the last digits recovered, and never a worse fit."""

import numpy as np
import pytest
from cnnmath.relu.align import parameter_error
from cnnmath.relu.nets import ReLUNet, random_relu_net
from cnnmath.relu.refine import gauss_newton, jacobian, refine

SEEDS = range(5)


def _perturbed(net: ReLUNet, rng: np.random.Generator, size: float) -> ReLUNet:
    return ReLUNet(tuple(w + size * rng.normal(size=w.shape) for w in net.weights),
                   tuple(b + size * rng.normal(size=b.shape) for b in net.biases))


@pytest.mark.parametrize("seed", SEEDS)
def test_jacobian_equals_central_differences(seed):
    """Each column of :func:`jacobian` equals ``(N(θ + h e) − N(θ − h e)) / 2h`` (the network is
    polynomial in ``θ`` at a fixed pattern, so central differences are exact up to rounding)."""
    rng = np.random.default_rng(seed)
    net = random_relu_net((4, 6, 5, 2), rng)
    x = rng.normal(size=(7, 4))
    jac = jacobian(net, x)
    theta = np.concatenate([np.concatenate([w.ravel(), b]) for w, b in zip(net.weights, net.biases)])
    assert jac.shape == (2 * 7, len(theta))
    from cnnmath.relu.refine import _unflat

    h = 1e-6
    for i in range(len(theta)):
        e = np.zeros_like(theta)
        e[i] = h
        diff = (_unflat(net, theta + e)(x) - _unflat(net, theta - e)(x)) / (2 * h)
        assert np.allclose(jac[:, i], diff.T.ravel(), rtol=0, atol=1e-8), i


def test_a_gauss_newton_step_recovers_the_last_digits_of_a_slightly_wrong_network():
    """Parameters off by ``~1e-9`` (about 30 bits) come back to ``≤ 1e-12`` (40 bits) in one
    :func:`gauss_newton` step on the answers to Gaussian inputs, for two and three hidden layers,
    wherever those answers determine them (the Jacobian has rank ``n_params − n_hidden``: only the
    positive rescaling of each hidden neuron is free); :func:`refine`, which fits a random half of
    the answers, fits fresh inputs better than the rough network in every case."""
    determined = 0
    for seed in range(8):
        rng = np.random.default_rng(seed)
        for sizes in [(10, 12, 10, 1), (10, 12, 10, 8, 2)]:
            net = random_relu_net(sizes, rng)
            x = 3 * rng.normal(size=(8000, sizes[0]))
            rough = _perturbed(net, rng, 1e-9)
            assert parameter_error(net, rough) > 1e-10
            fresh = 3 * rng.normal(size=(2000, sizes[0]))
            fine = refine(rough, x, net(x), rng)
            assert np.abs(fine(fresh) - net(fresh)).max() < np.abs(rough(fresh) - net(fresh)).max()
            jac = jacobian(net, x)
            scale = np.linalg.norm(jac, axis=0)
            if np.linalg.matrix_rank(jac / np.where(scale > 0, scale, 1.0)) == jac.shape[1] - sum(sizes[1:-1]):
                step = gauss_newton(rough, x, net(x))
                assert parameter_error(net, step) <= 1e-12, (seed, sizes, parameter_error(net, step))
                determined += 1
    assert determined >= 6, determined


@pytest.mark.parametrize("seed", SEEDS)
def test_refine_never_fits_the_answers_worse(seed):
    """Against answers of another network (nothing to converge to) the result fits them at least
    as well as the start; a step with fewer usable inputs than parameters is refused (None)."""
    rng = np.random.default_rng(seed)
    net, other = random_relu_net((5, 8, 6, 1), rng), random_relu_net((5, 8, 6, 1), rng)
    x = rng.normal(size=(300, 5))
    out = refine(net, x, other(x), rng)
    assert np.abs(out(x) - other(x)).max() <= np.abs(net(x) - other(x)).max()
    assert gauss_newton(net, x[:10], other(x[:10])) is None
