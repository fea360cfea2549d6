"""Complete extraction of networks with two hidden layers, over many seeds, and its honest failures."""

import numpy as np
import pytest
import torch

from cnnmath.relu import Oracle, OracleError, extract
from cnnmath.relu import align as ra
from cnnmath.relu.nets import ReLUNet, random_relu_net

SEEDS = range(4)


def _net(sizes, seed):
    return random_relu_net(sizes, np.random.default_rng(seed))


def _exact(net, ex):
    """Architecture equal, max|f − f̂|/max|f| ≤ 1e-9 on 10⁴ Gaussian inputs."""
    if ex.net is None or ex.net.sizes != net.sizes:
        return False
    x = np.random.default_rng(99).normal(size=(10_000, net.sizes[0]))
    return ra.fidelity(net, ex.net, x)["max_rel"] <= 1e-9


@pytest.fixture(scope="module")
def runs():
    """One extraction per seed of an untrained 10-12-10-1 and of an expansive 10-8-14-2 network."""
    out = []
    for sizes in ((10, 12, 10, 1), (10, 8, 14, 2)):
        for seed in SEEDS:
            net = _net(sizes, seed)
            out.append((net, extract(Oracle(net, 10), np.random.default_rng(100 + seed))))
    return out


def test_a_complete_extraction_is_never_wrong(runs):
    """Whatever the seed, an extraction that calls itself complete is exact (no silent wrong answer)."""
    for net, ex in runs:
        assert ex.complete == (not ex.problems)
        if ex.complete:
            assert _exact(net, ex), (net.sizes, ex.architecture)


def test_most_seeds_are_complete_and_exact(runs):
    done = [_exact(net, ex) for net, ex in runs if ex.complete]
    assert len(done) >= 0.5 * len(runs)


def test_complete_extractions_have_precise_parameters(runs):
    """Every weight and bias, after alignment, to ≤ 2^-25 (canonical form, unit rows)."""
    for net, ex in runs:
        if ex.complete:
            assert ra.parameter_error(net, ex.net) <= 2.0 ** -25


def test_an_incomplete_extraction_says_which_layer_and_why(runs):
    for net, ex in runs:
        if not ex.complete:
            assert ex.problems and all(p.split(":")[0] in ("layer 2", "output", "stopped early")
                                       for p in ex.problems)


def test_sealed_oracle_only_calls_reach_the_target():
    """The target is a closure behind an object that refuses every attribute but being called."""
    net = _net((10, 10, 8, 1), 0)
    rows = []

    class Sealed:
        __slots__ = ()

        def __getattribute__(self, name):
            if name == "__class__":
                return Sealed
            raise AssertionError(f"the extraction looked at {name!r} of the target")

        def __call__(self, x):
            rows.append(len(x))
            return net(x)

    oracle = Oracle(Sealed(), 10)
    ex = extract(oracle, np.random.default_rng(3))
    assert ex.queries["total"] == oracle.n_queries == sum(rows)
    assert ex.complete and _exact(net, ex)


def test_torch_module_target():
    """A float64 torch nn.Module of Linear/ReLU layers goes through the same oracle."""
    net = _net((10, 10, 8, 1), 0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 10), torch.nn.ReLU(), torch.nn.Linear(10, 8),
                                torch.nn.ReLU(), torch.nn.Linear(8, 1)).double()
    with torch.no_grad():
        for m, w, b in zip([m for m in model if isinstance(m, torch.nn.Linear)], net.weights, net.biases):
            m.weight.copy_(torch.from_numpy(w))
            m.bias.copy_(torch.from_numpy(b))
    ex = extract(Oracle(model, 10), np.random.default_rng(3))
    assert ex.complete and _exact(net, ex)


def test_query_budget_stops_with_a_flagged_partial_result():
    net = _net((10, 12, 10, 1), 0)
    oracle = Oracle(net, 10, budget=30_000)
    ex = extract(oracle, np.random.default_rng(0))
    assert not ex.complete and oracle.n_queries <= 30_000
    assert any(p.startswith("stopped early: query budget of 30000") for p in ex.problems)


def test_sigmoid_network_is_refused():
    net = _net((6, 8, 1), 0)
    sig = lambda x: 1 / (1 + np.exp(-(x @ net.weights[0].T + net.biases[0]))) @ net.weights[1].T  # noqa: E731
    with pytest.raises(OracleError, match="not piecewise linear"):
        extract(Oracle(sig, 6), np.random.default_rng(0))


def test_three_hidden_layers_are_flagged_not_misread():
    """A third hidden layer is not extracted: the result must say so, never claim completeness."""
    net = _net((6, 8, 8, 8, 1), 0)
    ex = extract(Oracle(net, 6), np.random.default_rng(0), extra_rounds=0)
    assert not ex.complete and ex.problems


def test_parameter_error_is_invariant_to_the_symmetries():
    net = _net((5, 7, 6, 2), 0)
    rng = np.random.default_rng(1)
    p1, p2 = rng.permutation(7), rng.permutation(6)
    c1, c2 = rng.uniform(0.2, 5, size=7), rng.uniform(0.2, 5, size=6)
    w = (net.weights[0][p1] * c1[:, None], net.weights[1][p2][:, p1] / c1 * c2[:, None], net.weights[2][:, p2] / c2)
    b = (net.biases[0][p1] * c1, net.biases[1][p2] * c2, net.biases[2])
    assert ra.parameter_error(net, ReLUNet(w, b)) < 1e-13
    w2 = (w[0], w[1], w[2] + 1e-6)
    assert 1e-7 < ra.parameter_error(net, ReLUNet(w2, b)) < 1e-5
