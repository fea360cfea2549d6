"""The order-n convolution engines (windows, lag products): exact against the direct sum, bounded in memory."""

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from cnnmath.volterra import conv, lags, windows


def direct_sum(kernel: np.ndarray, x: np.ndarray, stride: int) -> np.ndarray:
    """Σ_{i_1..i_n} H[i_1..i_n] Π_k x[s t + i_k], by einsum over the n copies of the windows (float64)."""
    order, size = kernel.ndim, kernel.shape[0]
    patches = np.lib.stride_tricks.sliding_window_view(x, size, axis=-1)[..., ::stride, :]
    operands = [kernel, list(range(order))]
    for axis in range(order):
        operands += [patches, [..., order, axis]]
    return np.einsum(*operands, [..., order])


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("order", [1, 2, 3, 4, 5])
def test_order_n_conv1d_equals_the_direct_sum(seed: int, order: int) -> None:
    rng = np.random.default_rng(100 * order + seed)
    size, stride = int(rng.integers(2, 7)), int(rng.integers(1, 4))
    kernel = rng.standard_normal((size,) * order)  # not symmetric: the engine symmetrises
    x = rng.standard_normal((3, 2, int(rng.integers(size, 40))))
    ours = conv.order_n_conv1d(torch.tensor(kernel), torch.tensor(x), stride).numpy()
    ref = direct_sum(kernel, x, stride)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def window_forms(kernel: np.ndarray, x: np.ndarray, stride: int) -> np.ndarray:
    """The window engine alone (at stride 1 ``order_n_conv1d`` takes the lag products)."""
    size = kernel.shape[0]
    columns = torch.tensor(x).unfold(-1, size, stride).permute(2, 0, 1)
    return windows.column_forms(columns, torch.tensor(kernel)[None], kernel.ndim)[0].numpy()


@pytest.mark.parametrize("work, final", [(1, True), (64, True), (64, False), (1 << 18, False)])
def test_every_blocking_and_last_level_gives_the_direct_sum(monkeypatch, work: int, final: bool) -> None:
    """Blocks of one window, blocks across signals and strides, the per-index last level (no padded matrix)."""
    monkeypatch.setattr(windows, "WORK_ELEMENTS", work)
    if not final:
        monkeypatch.setattr(windows, "_FINAL_MATRIX", 0)
    rng = np.random.default_rng(work)
    for order, length, stride in ((2, 7, 1), (3, 9, 1), (4, 30, 2), (3, 31, 3)):
        kernel, x = rng.standard_normal((5,) * order), rng.standard_normal((4, length))
        ref = direct_sum(kernel, x, stride)
        np.testing.assert_allclose(window_forms(kernel, x, stride), ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("work", [1, 60, 400, 1 << 20])
@pytest.mark.parametrize("order", [2, 3, 4, 5])
def test_lag_products_in_any_blocking_give_the_direct_sum(monkeypatch, work: int, order: int) -> None:
    """Runs of a few samples of one signal, of one whole signal, of several signals laid end to end."""
    monkeypatch.setattr(lags, "LAG_ELEMENTS", work)
    rng = np.random.default_rng(10 * order + work)
    for size in (1, 2, 5, 7):
        for length in (size, size + 1, 23):
            kernel, x = rng.standard_normal((size,) * order), rng.standard_normal((5, length))
            ref = direct_sum(kernel, x, 1)
            ours = lags.lag_conv1d(torch.tensor(kernel), torch.tensor(x)).numpy()
            np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("work", [60, 1 << 20])
def test_a_nan_in_one_signal_reaches_no_other_signal(monkeypatch, work: int) -> None:
    """Signals laid end to end share blocks; no product that mixes two of them is read out."""
    monkeypatch.setattr(lags, "LAG_ELEMENTS", work)
    rng = np.random.default_rng(7)
    kernel, x = torch.tensor(rng.standard_normal((4, 4, 4))), torch.tensor(rng.standard_normal((6, 15)))
    clean = conv.order_n_conv1d(kernel, x)
    x[2, 0], x[3, -1] = float("nan"), float("inf")
    spoiled = conv.order_n_conv1d(kernel, x)
    others = [0, 1, 4, 5]
    torch.testing.assert_close(spoiled[others], clean[others], rtol=0, atol=0)
    assert spoiled[2, 0].isnan() and spoiled[2, 1:].isfinite().all() and not spoiled[3, -1].isfinite()


@pytest.mark.parametrize("shape", [(0, 12), (2, 0, 12)])
def test_an_empty_batch_gives_an_empty_output(shape: tuple[int, ...]) -> None:
    out = conv.order_n_conv1d(torch.ones(3, 3, 3, dtype=torch.float64), torch.ones(shape, dtype=torch.float64), 2)
    assert out.shape == shape[:-1] + (5,)


def test_large_kernels_are_symmetrised_in_chunks(monkeypatch) -> None:
    monkeypatch.setattr(windows, "_CACHED_MAP", 10)
    monkeypatch.setattr(windows, "_MAP_CHUNK", 7)
    rng = np.random.default_rng(3)
    kernel, x = rng.standard_normal((4, 4, 4)), rng.standard_normal((2, 20))
    ref = direct_sum(kernel, x, 1)
    np.testing.assert_allclose(conv.order_n_conv1d(torch.tensor(kernel), torch.tensor(x)).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(window_forms(kernel, x, 1), ref, rtol=1e-12)


def test_multiset_coefficients_sum_the_permutations() -> None:
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal((4, 4, 4))
    coeff = windows.symmetric_coefficients(torch.tensor(kernel)[None], 4, 3)[:, 0].numpy()
    assert coeff.shape == (math.comb(6, 3),)
    rank = lambda m: sum(math.comb(i + j, j + 1) for j, i in enumerate(sorted(m)))  # noqa: E731
    for multiset in ((0, 0, 0), (0, 1, 3), (2, 2, 3), (3, 3, 3)):
        perms = set(itertools.permutations(multiset))
        assert coeff[rank(multiset)] == pytest.approx(sum(kernel[p] for p in perms), rel=1e-14)
    assert coeff.sum() == pytest.approx(kernel.sum(), rel=1e-13)


def _rss(key: str) -> int:
    return int(re.search(rf"{key}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="peak-RSS reset needs Linux /proc")
@pytest.mark.parametrize("stride", [1, 2])  # lag products, windows
def test_memory_stays_bounded_where_the_direct_contraction_needs_gigabytes(stride: int) -> None:
    """Order 5, kernel 13, 64 signals of 1024: contracting one kernel axis at a time over all windows
    holds B·T·K⁴ numbers (14.8 GB in float64); the engine's peak resident growth stays under 256 MB.
    Measured by the kernel's peak-RSS counter, reset just before the call (allocation, not timing)."""
    gen = torch.Generator().manual_seed(0)
    kernel = torch.randn((13,) * 5, generator=gen, dtype=torch.float64)
    x = torch.randn(64, 1024, generator=gen, dtype=torch.float64)
    old_way = 64 * (1024 - 12) * 13**4 * 8
    assert old_way > 14e9
    Path("/proc/self/clear_refs").write_text("5")
    before = _rss("VmRSS")
    out = conv.order_n_conv1d(kernel, x, stride)
    peak_extra = _rss("VmHWM") - before
    assert out.shape == (64, 1012 // stride) and torch.isfinite(out).all()
    assert peak_extra < 256 * 2**20, f"peak extra {peak_extra / 2**20:.0f} MiB"
    # spot check against the direct sum on two outputs
    ref = direct_sum(kernel.numpy(), x[:1, : 13 + stride].numpy(), stride)
    np.testing.assert_allclose(out[0, :2].numpy(), ref[0], rtol=1e-12, atol=1e-12 * np.abs(ref).max())
