"""Tests of the block (polyphase) filter banks (cnnmath.shift.polyphase): definition, adjoint, layouts."""

import numpy as np
import pytest
import torch

from cnnmath.shift import polyphase as pp


def _direct(x: np.ndarray, bank: np.ndarray, offset: int, delays: tuple[int, ...]) -> np.ndarray:
    """``y[b, g, k, r, i] = Σ_t x[b, g, r, (2i + t - o + d_k) mod n] f[g, k, t]`` (last axis), float64."""
    n = x.shape[-1]
    G, K, L = bank.shape
    out = np.zeros((*x.shape[:2], K, x.shape[2], n // 2))
    for k in range(K):
        for i in range(n // 2):
            idx = (2 * i + np.arange(L) - offset + delays[k]) % n
            out[:, :, k, :, i] = np.einsum("bgrt,gt->bgr", x[..., idx], bank[:, k])
    return out


@pytest.mark.parametrize("n", [256, 96, 16, 4, 2])
@pytest.mark.parametrize("L, offset", [(10, 5), (12, 6), (4, 1)])
@pytest.mark.parametrize("axis", [-1, -2])
def test_analysis_definition_and_adjoint(n, L, offset, axis):
    rng = np.random.default_rng(n + L + axis)
    bank = rng.normal(size=(3, 4, L))
    delays = (0, 1, 0, 1)
    shape = (2, 3, 5, n) if axis == -1 else (2, 3, n, 5)
    x = torch.as_tensor(rng.normal(size=shape))
    y = pp.analyse(x, bank, offset, axis, delays)
    ref = _direct(np.moveaxis(x.numpy(), axis, -1), bank, offset, delays)
    got = y.numpy() if axis == -1 else np.swapaxes(y.numpy(), -1, -2)
    assert np.abs(got - ref).max() <= 1e-12
    z = torch.as_tensor(rng.normal(size=tuple(y.shape)))
    xt = pp.synthesise(z, bank, offset, axis, delays)
    assert xt.shape == x.shape
    assert abs(float((y * z).sum() - (x * xt).sum())) <= 1e-11 * float(y.abs().sum() * z.abs().max())


def test_blocked_output_feeds_the_row_stage():
    """A blocked x-stage read by an axis = -3 y-stage equals the plain two-stage result."""
    rng = np.random.default_rng(0)
    bx, by = rng.normal(size=(2, 2, 10)), rng.normal(size=(4, 2, 10))
    x = torch.as_tensor(rng.normal(size=(2, 2, 64, 64)))
    blocked = pp.analyse(x, bx, 5, -1, blocked=True)
    assert blocked.dim() == 6
    plain = pp.analyse(pp.analyse(x, bx, 5, -1).flatten(1, 2), by, 5, -2)
    assert torch.equal(pp.analyse(blocked, by, 5, -3), plain)


def test_orthonormal_bank_is_inverted_by_its_adjoint():
    h = np.array([0.0511304052838317, -0.0139753702468888, -0.109836051665971, 0.263839561058938,
                  0.766628467793037, 0.563655710127052, 0.000873622695217097, -0.100231219507476,
                  -0.00168968127252815, -0.00618188189211644])
    g = (-1.0) ** np.arange(10) * h[::-1]
    bank = np.stack([h, g])[None]
    x = torch.randn(3, 1, 7, 128, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert (pp.synthesise(pp.analyse(x, bank, 5, -1), bank, 5, -1) - x).abs().max() <= 1e-13
