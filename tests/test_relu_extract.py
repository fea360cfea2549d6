"""Maths of the ReLU-extraction chapter (Rolnick & Kording, ICML 2020): exact recovery in float64."""

import importlib
from pathlib import Path

import numpy as np
import pytest

from cnnmath.relu import align as ra
from cnnmath.relu import extract
from cnnmath.relu.layer1 import first_layer
from cnnmath.relu.linesearch import points_on_line
from cnnmath.relu.nets import ReLUNet, random_relu_net
from cnnmath.relu.oracle import Oracle, OracleError, ScalarView


def _net(sizes, seed):
    return random_relu_net(sizes, np.random.default_rng(seed))


@pytest.fixture(scope="module")
def extraction_10_20_20():
    """Full extraction of an untrained 10-20-20-1 network (seed chosen once, not tuned per test)."""
    net = _net((10, 20, 20, 1), 3)
    oracle = Oracle(net, 10)
    return net, oracle, extract(oracle, np.random.default_rng(103))


def test_oracle_counts_every_row_and_only_rows():
    net = _net((5, 7, 3), 0)
    oracle = Oracle(net, 5)
    for m in (1, 4, 17):
        oracle(np.zeros((m, 5)))
    assert oracle.n_queries == 22
    with pytest.raises(ValueError, match="shape"):
        oracle(np.zeros((3, 4)))


def test_extraction_query_count_is_exact():
    """The reported query total equals the number of rows the network was evaluated on."""
    net = _net((6, 8, 2), 1)
    rows = []
    oracle = Oracle(lambda x: (rows.append(len(x)), net(x))[1], 6)
    ex = extract(oracle, np.random.default_rng(0))
    assert ex.queries["total"] == oracle.n_queries == sum(rows)
    assert sum(v for k, v in ex.queries.items() if k != "total") < ex.queries["total"]


def test_nan_oracle_is_refused():
    net = _net((4, 6, 1), 0)
    oracle = Oracle(lambda x: np.where(x[:, :1] > 3.0, np.nan, net(x)), 4)
    with pytest.raises(OracleError, match="non-finite"):
        extract(oracle, np.random.default_rng(0))


def test_smooth_oracle_is_refused():
    """A tanh network is not piecewise linear: a clear error, not a wrong network."""
    net = _net((4, 6, 1), 0)
    tanh_net = lambda x: np.tanh(x @ net.weights[0].T + net.biases[0]) @ net.weights[1].T  # noqa: E731
    with pytest.raises(OracleError, match="not piecewise linear"):
        extract(Oracle(tanh_net, 4), np.random.default_rng(0))


def test_points_on_line_finds_every_kink_exactly():
    """Kinks of a 1-D restriction = crossings of every neuron's boundary (white-box truth)."""
    net = _net((10, 20, 20, 1), 3)
    g = ScalarView(Oracle(net, 10), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=10) * 3, rng.normal(size=10) * 3
    t = points_on_line(g, a, b)
    grid = np.linspace(0, 1, 200_001)
    z = np.concatenate(net.preactivations(a + grid[:, None] * (b - a)), axis=1)
    n_true = int(np.sum(np.diff(np.sign(z), axis=0) != 0))
    # every found kink is a true zero of some pre-activation
    at = np.concatenate(net.preactivations(a + t[:, None] * (b - a)), axis=1)
    assert len(t) >= n_true - 1 and len(t) <= n_true  # a masked kink (dead downstream) may be missed
    assert np.all(np.min(np.abs(at), axis=1) < 1e-9)


def test_points_on_line_kink_at_bisection_point():
    g = ScalarView(Oracle(lambda x: np.abs(x[:, 0]), 1), np.random.default_rng(0))
    t = points_on_line(g, np.array([-1.0]), np.array([1.0]), n_init=8)
    assert t.tolist() == [0.5]


@pytest.mark.parametrize("seed", [0, 1])
def test_first_layer_exact_10_20_20_1(seed):
    net = _net((10, 20, 20, 1), seed)
    g = ScalarView(Oracle(net, 10), np.random.default_rng(seed))
    first = first_layer(g, np.random.default_rng(10 + seed), n_lines=16)
    score = ra.score_first_layer(net, first.weights, first.biases, up_to_sign=True)
    assert len(first.biases) == 20  # no spurious hyperplane
    assert score.recovered(1e-8) == 20
    assert score.max_error <= 1e-8


def test_first_layer_exact_784_64_10():
    """MNIST-sized input: every one of the 64 first-layer neurons is recovered to 1e-8, none spurious.

    Two lines of half-length 200 cross all 64 hyperplanes (a few seconds)."""
    net = _net((784, 64, 10), 0)
    g = ScalarView(Oracle(net, 784), np.random.default_rng(1))
    first = first_layer(g, np.random.default_rng(2), n_lines=2, radius=200.0)
    score = ra.score_first_layer(net, first.weights, first.biases, up_to_sign=True)
    assert score.n_hat == score.recovered(1e-8) == 64


def test_deeper_layer_boundaries_are_sent_to_layer_two(extraction_10_20_20):
    """Every point that failed TestHyperplane is on a layer-2 boundary (Theorem 1)."""
    net, _, ex = extraction_10_20_20
    pts = np.array(ex.first.deeper_points)
    z1, z2 = net.preactivations(pts)
    scale = np.linalg.norm(net.weights[1], axis=1)
    assert np.all(np.min(np.abs(z2) / scale, axis=1) < 1e-6)
    assert np.all(np.min(np.abs(z1), axis=1) > 1e-6)


def test_second_layer_and_signs_10_20_20_1(extraction_10_20_20):
    net, _, ex = extraction_10_20_20
    s1 = ra.score_first_layer(net, ex.first.weights, ex.first.biases, up_to_sign=True)
    rows = np.array([z.m for z in ex.neurons])
    s2 = ra.score_second_layer(net, s1, rows)
    assert s2.recovered(1e-6) >= 18 and s2.n_hat <= 20  # rows found are exact; none spurious
    # layer-1 signs, resolved from the bends, are all right
    signed = ra.score_first_layer(net, ex.net.weights[0], ex.net.biases[0])
    assert signed.recovered(1e-8) == 20


def test_full_extraction_is_functionally_exact(extraction_10_20_20):
    net, _, ex = extraction_10_20_20
    fid = ra.fidelity(net, ex.net, np.random.default_rng(5).normal(size=(10_000, 10)))
    assert fid["max_rel"] <= 1e-8 and fid["argmax"] == 1.0


def test_one_hidden_layer_full_extraction():
    net = _net((10, 15, 3), 4)
    ex = extract(Oracle(net, 10), np.random.default_rng(0))
    assert ex.architecture == (10, 15, 3)
    s = ra.score_first_layer(net, ex.net.weights[0], ex.net.biases[0])
    assert s.recovered(1e-8) == 15
    fid = ra.fidelity(net, ex.net, np.random.default_rng(1).normal(size=(10_000, 10)))
    assert fid["max_rel"] <= 1e-9


def test_align_is_invariant_to_the_symmetries():
    """A permuted, positively rescaled copy computes the same function and aligns with zero error."""
    net = _net((6, 9, 2), 0)
    rng = np.random.default_rng(1)
    perm, c = rng.permutation(9), rng.uniform(0.1, 10, size=9)
    w1, b1 = net.weights[0][perm] * c[:, None], net.biases[0][perm] * c
    copy = ReLUNet((w1, net.weights[1][:, perm] / c), (b1, net.biases[1]))
    x = rng.normal(size=(1000, 6))
    assert np.max(np.abs(copy(x) - net(x))) < 1e-12
    s = ra.score_first_layer(net, ra.canonical(copy).weights[0], ra.canonical(copy).biases[0])
    assert s.recovered(1e-14) == 9 and np.array_equal(perm[s.hat_index], s.true_index)


def test_align_detects_a_sign_flip():
    net = _net((6, 9, 2), 0)
    c = ra.canonical(net)
    w = c.weights[0].copy()
    w[3] *= -1
    assert ra.score_first_layer(net, w, c.biases[0]).recovered(1e-6) == 8
    assert ra.score_first_layer(net, w, c.biases[0] * np.where(np.arange(9) == 3, -1, 1),
                                up_to_sign=True).recovered(1e-14) == 9


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="sizes"):
        random_relu_net((10, 1), np.random.default_rng(0))
    with pytest.raises(ValueError, match="n_in"):
        Oracle(lambda x: x, 0)
    with pytest.raises(ValueError, match="layers"):
        extract(Oracle(_net((3, 4, 1), 0), 3), np.random.default_rng(0), layers=4)


def test_oracle_keeps_every_answer_while_it_fits_then_a_uniform_sample(monkeypatch):
    """Reservoir sampling: each kept row is a real (query, answer) pair; once full, the kept rows
    are spread over the whole run (algorithm R keeps row i with probability capacity / n)."""
    from cnnmath.relu import oracle as oracle_module

    oracle = Oracle(lambda x: 2 * x, 1)
    for start in range(0, 500, 37):
        oracle(np.arange(start, min(start + 37, 500), dtype=float)[:, None])
    x, y = oracle.answered()
    np.testing.assert_array_equal(x[:, 0], np.arange(500.0))
    np.testing.assert_array_equal(y, 2 * x)
    monkeypatch.setattr(oracle_module, "_KEPT_NUMBERS", 200)  # 100 rows of (x, y)
    oracle = Oracle(lambda x: 2 * x, 1)
    for start in range(0, 10_000, 37):
        oracle(np.arange(start, min(start + 37, 10_000), dtype=float)[:, None])
    x, y = oracle.answered()
    assert len(x) == 100 and len(np.unique(x)) == 100
    np.testing.assert_array_equal(y, 2 * x)
    assert 30 <= int((x < 5000).sum()) <= 70  # binomial(100, 1/2): four standard deviations


def _memorized_net() -> ReLUNet:
    """A 10-10-10-1 network trained to memorise 20 random points with binary targets (Carlini et al.'s
    recipe: N(0, 1/fan_out) weights, zero biases, squared loss, Adam 3e-4, batch 4, 100 epochs; seed 2).
    One of its layer-2 neurons is active on 0.045 % of N(0, I) inputs."""
    arrays = np.load(Path(__file__).parent / "data" / "relu_memorized_10_10_10_1.npz")
    return ReLUNet(tuple(arrays[f"w{k}"] for k in range(3)), tuple(arrays[f"b{k}"] for k in range(3)))


def test_a_rarely_active_neuron_is_not_missed_silently():
    """The extraction is complete and exact, rare neuron included. The check on the run's own
    answers is what would catch its absence: the recovered network without that neuron (its output
    weight set to 0) misfits the answers the oracle kept, while the full one fits them to round-off."""
    extract_module = importlib.import_module("cnnmath.relu.extract")  # the module, not the function

    net = _memorized_net()
    oracle = Oracle(net, 10)
    ex = extract(oracle, np.random.default_rng(10_002))
    fid = ra.fidelity(net, ex.net, np.random.default_rng(0).normal(size=(10_000, 10)))["max_rel"]
    assert ex.complete and ex.architecture == net.sizes and fid <= 1e-9
    x = np.random.default_rng(1).normal(size=(100_000, 10))
    h2 = np.maximum(np.maximum(x @ ex.net.weights[0].T + ex.net.biases[0], 0.0) @ ex.net.weights[1].T
                    + ex.net.biases[1], 0.0)
    rare = int(np.argmin((h2 > 0).mean(axis=0)))
    assert (h2[:, rare] > 0).mean() < 1e-2  # the neuron of the docstring of _memorized_net
    out = ex.net.weights[2].copy()
    out[:, rare] = 0.0
    lacking = ReLUNet((*ex.net.weights[:2], out), ex.net.biases)
    assert extract_module._answered_error(oracle, ex.net) == 0.0
    assert extract_module._answered_error(oracle, lacking) > extract_module.ANSWERED_TOL
