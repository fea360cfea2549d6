"""ReLU extraction: queries spent only where a step needs them, and the precision of the refits."""

import numpy as np
import pytest

from cnnmath.relu import Oracle, extract
from cnnmath.relu import align as ra
from cnnmath.relu.hyperplanes import fit_hyperplane, test_hyperplane
from cnnmath.relu.nets import random_relu_net
from cnnmath.relu.oracle import ScalarView


def _view(fn, n_in):
    oracle = Oracle(fn, n_in)
    return oracle, ScalarView(oracle, np.random.default_rng(0))


def test_fit_off_a_boundary_stops_after_the_line_through_the_point():
    """``|x_0|`` has its only boundary at ``x_0 = 0``: a fit at ``x_0 = 3`` finds no crossing on the
    line through the point (its 4-point grid, no candidate to verify) and asks nothing more."""
    oracle, g = _view(lambda x: np.abs(x[:, 0]), 5)
    p, d = np.array([3.0, 0.5, -1.0, 0.2, 0.0]), np.eye(5)[0]
    start = oracle.n_queries
    assert fit_hyperplane(g, p, d, 1e-2, np.random.default_rng(1)) is None
    assert oracle.n_queries - start == 4


def test_fit_on_a_boundary_is_exact():
    """On the boundary ``x_0 = 0`` of ``|x_0|`` the fit returns that hyperplane to round-off."""
    _, g = _view(lambda x: np.abs(x[:, 0]), 5)
    w, b = fit_hyperplane(g, np.array([0.0, 0.5, -1.0, 0.2, 0.0]), np.eye(5)[0] + 1e-6,
                          1e-2, np.random.default_rng(1))
    assert np.max(np.abs(np.abs(w) - np.eye(5)[0])) < 1e-12 and abs(b) < 1e-12


def test_hyperplane_test_stops_at_the_first_miss():
    """A hyperplane that is no boundary (``x_1 = 0`` for ``|x_0|``) fails at its first test point:
    one line, at most 4 + 3 queries; the true boundary passes all four."""
    oracle, g = _view(lambda x: np.abs(x[:, 0]), 5)
    p = np.zeros(5)
    start = oracle.n_queries
    assert not test_hyperplane(g, np.eye(5)[1], 0.0, p, np.random.default_rng(2), distance=5.0)
    assert oracle.n_queries - start <= 7
    assert test_hyperplane(g, np.eye(5)[0], 0.0, p, np.random.default_rng(2), distance=5.0)


@pytest.mark.parametrize("sizes", [(10, 10, 10, 1), (10, 15, 15, 1)])
@pytest.mark.parametrize("seed", range(3))
def test_two_hidden_layers_exact_to_2_pow_minus_32(sizes, seed):
    """He-initialised networks of the side-by-side benchmark: complete, exact, and every weight and
    bias (canonical form, after alignment) within 2^-32. Boundary points are located to
    ~eps·(1 + |x|) ≈ 1e-14 … 1e-13; each layer-2 row is refitted over points on both sides of
    every layer-1 hyperplane, deep ones included, which keeps the amplification by the
    conditioning of the refit, and by the output fit after it, below ~10³."""
    net = random_relu_net(sizes, np.random.default_rng(seed))
    ex = extract(Oracle(net, sizes[0]), np.random.default_rng(10_000 + seed))
    assert ex.complete and ex.architecture == sizes, ex.problems
    x = np.random.default_rng(99).normal(size=(10_000, sizes[0]))
    assert ra.fidelity(net, ex.net, x)["max_rel"] <= 1e-9
    assert ra.parameter_error(net, ex.net) <= 2.0 ** -32
