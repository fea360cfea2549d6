"""Tests of cnnmath.natural: patch sampling, whitening, FastICA (recovers known sources), the kernels."""

from __future__ import annotations

import numpy as np
import pytest
from cnnmath import natural


def test_patches_are_zero_mean_and_seeded():
    p = natural.patches(5, 300, images=("camera", "moon"), seed=3)
    assert p.shape == (300, 5, 5)
    assert np.abs(p.mean(axis=(1, 2))).max() <= 1e-15
    assert np.array_equal(p, natural.patches(5, 300, images=("camera", "moon"), seed=3))
    assert not np.array_equal(p, natural.patches(5, 300, images=("camera", "moon"), seed=4))


@pytest.mark.parametrize("seed", range(5))
def test_whitening_gives_identity_covariance(seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4000, 6)) @ rng.standard_normal((6, 6))
    z, v = natural.whiten(x, 4)
    np.testing.assert_allclose(z.T @ z / len(z), np.eye(4), atol=1e-10)
    np.testing.assert_allclose(z, x @ v.T, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_fastica_recovers_independent_laplacian_sources(seed, monkeypatch):
    """Mixtures of 4 super-Gaussian sources: the unmixing recovers each up to sign and order."""
    rng = np.random.default_rng(seed)
    sources = rng.laplace(size=(20000, 4))
    mixing = rng.standard_normal((4, 4))
    x = sources @ mixing.T
    monkeypatch.setattr(natural, "patches", lambda size, n, images, seed: x.reshape(-1, 2, 2))
    res = natural.ica_filters(2, n_components=4, n_patches=20000, seed=seed, kind="filters", tol=1e-9)
    assert res.converged
    z, _ = natural.whiten(x, 4)
    est = z @ res.unmixing.T
    corr = np.abs(np.corrcoef(est.T, sources.T)[:4, 4:])
    assert np.all(corr.max(axis=1) > 0.99) and sorted(corr.argmax(axis=1)) == [0, 1, 2, 3]


def test_natural_kernels_are_unit_norm_sorted_and_deterministic():
    a = natural.ica_filters(5, n_components=8, n_patches=3000, seed=1)
    b = natural.ica_filters(5, n_components=8, n_patches=3000, seed=1)
    assert np.array_equal(a.filters, b.filters)
    np.testing.assert_allclose((a.filters**2).sum(axis=(1, 2)), 1.0, atol=1e-12)
    flat = a.filters.reshape(8, -1)
    assert np.all(flat[np.arange(8), np.abs(flat).argmax(1)] > 0)


def test_bad_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="kind must be one of basis, filters"):
        natural.ica_filters(5, kind="atoms")
    with pytest.raises(ValueError, match="n_patches must be ≥ size²"):
        natural.patches(7, 10)
    with pytest.raises(ValueError, match=r"n_components must be in \[1, 3\]"):
        natural.whiten(np.ones((10, 3)), 4)
