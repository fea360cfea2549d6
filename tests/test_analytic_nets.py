"""Tests of cnnmath.analytic.nets: the small ACL networks, their data subsets and training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from cnnmath.analytic import layer as L
from cnnmath.analytic import nets as N
from cnnmath.data import Split


def _split(n_train: int = 60, n_test: int = 20) -> Split:
    rng = np.random.default_rng(0)
    x = rng.random((n_train + n_test, 28, 28), dtype=np.float32)
    y = np.sort(np.arange(n_train + n_test) % 10)  # class-sorted, like the real splits
    return Split(x[:n_train], y[:n_train], x[n_train:], y[n_train:], "synthetic")


def test_plain_small_cnn_is_the_plain_conv_network():
    """ρ = 0 everywhere: the forward pass equals the same network written with F.conv2d."""
    torch.manual_seed(0)
    net = N.SmallCNN(ratios=(0.0, 0.0, 0.0)).double()
    x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
    h = x
    for i, conv in enumerate(net.convs):
        h = F.relu(F.conv2d(h, conv.plain_weight, conv.bias, padding=conv.kernel_size[0] // 2))
        h = F.max_pool2d(h, 2) if i < 2 else h
    ref = net.fc(F.adaptive_avg_pool2d(h, 3).flatten(1))
    assert (net(x) - ref).abs().max() <= 1e-12


@pytest.mark.parametrize("ratios", [(0.0, 0.0, 0.0), (1.0, 0.5, 0.5), (1.0, 1.0, 1.0)])
def test_small_cnn_parameter_count_is_the_sum_of_the_layer_formulas(ratios):
    net = N.SmallCNN(ratios=ratios)
    expected = sum(
        L.acl_parameter_count(ci, co, k, round(r * co))
        for ci, co, k, r in zip((1, 8, 16), (8, 16, 32), (7, 5, 3), ratios)
    ) + 32 * 9 * 10 + 10
    assert L.parameter_count(net) == expected


def test_as_tensors_is_a_shuffled_seeded_subset():
    split = _split()
    d = N.as_tensors(split, n_train=30, n_test=10, seed=3)
    assert d.x_train.shape == (30, 1, 28, 28) and d.y_test.shape == (10,)
    assert len(set(d.y_train[:10].tolist())) > 1  # not the class-sorted order of the split
    again = N.as_tensors(split, n_train=30, n_test=10, seed=3)
    assert torch.equal(d.x_train, again.x_train) and torch.equal(d.y_train, again.y_train)
    # each image keeps its label
    i = int(np.flatnonzero((split.x_train == d.x_train[0, 0].numpy()).all(axis=(1, 2)))[0])
    assert split.y_train[i] == d.y_train[0]


def test_training_is_deterministic_and_lowers_the_loss():
    d = N.as_tensors(_split(), seed=0)
    out = []
    for _ in range(2):
        torch.manual_seed(0)
        net = N.SmallCNN(ratios=(1.0, 0.5, 0.0))
        out.append(N.train_classifier(net, d.x_train, d.y_train, epochs=3, batch_size=20, seed=1))
    assert out[0] == out[1]
    assert out[0][-1] < out[0][0]


def test_run_measures_clean_and_noisy_accuracy():
    d = N.as_tensors(_split(), seed=0)
    rs = [N.run(d, (1.0, 0.0, 0.0), seed=s, epochs=1, noise_stds=(0.0, 0.5), n_train=40) for s in (0, 1)]
    assert all(r.noisy[0.0] == r.accuracy for r in rs)  # zero noise = the clean accuracy
    assert rs[0].n_params == L.parameter_count(N.SmallCNN(ratios=(1.0, 0.0, 0.0)))


def test_validation_split_is_disjoint_from_training():
    split = _split(60, 20)
    d = N.as_tensors(split, n_train=30, n_val=20, seed=1)
    assert len(d.y_train) == 30 and len(d.y_val) == 20
    tr = {d.x_train[i].numpy().tobytes() for i in range(30)}
    assert not tr & {d.x_val[i].numpy().tobytes() for i in range(20)}
    with pytest.raises(ValueError, match=r"n_train \+ n_val must be ≤ 60"):
        N.as_tensors(split, n_train=50, n_val=20)


def test_early_stopping_keeps_the_best_validation_epoch():
    d = N.as_tensors(_split(60, 20), n_train=40, n_val=20, seed=0)
    torch.manual_seed(0)
    net = N.SmallCNN(channels=(4, 4, 4), ratios=(1.0, 0.0, 0.0))
    curve = N.train_early_stopping(net, d.x_train, d.y_train, d.x_val, d.y_val, max_epochs=12, patience=3,
                                   batch_size=20, seed=0)
    best = max(curve.val_accuracy)
    assert curve.val_accuracy[curve.best_epoch - 1] == best
    assert curve.val_accuracy.index(best) == curve.best_epoch - 1  # the earliest of ties
    assert len(curve.loss) == 12 or len(curve.loss) == curve.best_epoch + 3  # stopped by patience
    assert N.accuracy(net, d.x_val, d.y_val) == best  # the best weights are restored


def test_frozen_akps_do_not_move_and_are_not_counted():
    d = N.as_tensors(_split(), seed=0)
    torch.manual_seed(0)
    net = N.freeze_akps(N.SmallCNN(ratios=(1.0, 1.0, 0.0), families=N.PAPER_FAMILIES))
    before = [p.clone() for p in L.akp_parameters(net)]
    N.train_classifier(net, d.x_train, d.y_train, epochs=2, batch_size=20)
    assert all(torch.equal(a, b) for a, b in zip(before, L.akp_parameters(net)))
    n_akp = sum(p.numel() for p in before)
    assert L.parameter_count(net) == L.parameter_count(N.SmallCNN(ratios=(1.0, 1.0, 0.0), families=N.PAPER_FAMILIES)) - n_akp


@pytest.mark.parametrize("target", [1000, 3734, 11146, 40000])
def test_matched_plain_channels_is_the_closest_plain_size(target):
    chans = N.matched_plain_channels(target)
    count = lambda c: L.parameter_count(N.SmallCNN(channels=(c, 2 * c, 4 * c)))  # noqa: E731
    c = chans[0]
    assert chans == (c, 2 * c, 4 * c)
    assert abs(count(c) - target) <= min(abs(count(c + 1) - target), abs(count(max(c - 1, 1)) - target))


def test_reference_kernels_scale_the_initial_first_layer():
    d = N.as_tensors(_split(), seed=0)
    w0, w, acc = N.reference_kernels(d, seed=0, epochs=1, channels=(4, 4, 4), init_scale=0.1)
    torch.manual_seed(0)
    default = N.SmallCNN((4, 4, 4), ratios=(0.0,) * 3).convs[0].weight.detach().double()
    assert torch.allclose(w0, 0.1 * default, rtol=0, atol=1e-7)
    assert w.shape == (4, 1, 7, 7) and 0.0 <= acc <= 1.0


def test_bad_inputs_raise_value_errors():
    d = N.as_tensors(_split(), seed=0)
    with pytest.raises(ValueError, match="equal lengths"):
        N.SmallCNN(channels=(8, 16), ratios=(0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="pool_to must be"):
        N.SmallCNN(pool_to=0)
    with pytest.raises(ValueError, match=r"n_train \+ n_val must be ≤ 60, got 61 \+ 0"):
        N.as_tensors(_split(), n_train=61)
    with pytest.raises(ValueError, match=r"subset size must be in \[1, 20\]"):
        N.as_tensors(_split(), n_test=21)
    with pytest.raises(ValueError, match="early stopping needs a validation split"):
        N.run(d, (0.0, 0.0, 0.0), seed=0, epochs=1, patience=2)
    with pytest.raises(ValueError, match=r"n_train must be in \[1, 60\]"):
        N.run(d, (0.0, 0.0, 0.0), seed=0, epochs=1, n_train=0)
    with pytest.raises(ValueError, match="init_scale must be > 0"):
        N.reference_kernels(d, seed=0, epochs=1, init_scale=0.0)
