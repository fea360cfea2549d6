"""Our DT-CWPT against a float64 re-implementation of the authors' (wcnn) conventions: shift and sign.

The reference is built here from the q-shift coefficients alone, as wcnn builds it: tree a low-pass
``h0b``, high-pass ``h1b`` (the ``dtcwt`` sign), tree b ``h0a``/``h1a``; first stage ``[0, 0, h]``,
``[g, 0, 0]`` (tree a) and ``[0, h, 0]``, ``[0, -g, 0]`` (tree b) with ``h, g`` of tree a; packet rule
(Bayram-Selesnick); zero padding ``P`` and "valid" strided correlation. Peers are not needed.
"""

import numpy as np
import pytest
import torch

from cnnmath.shift import conventions, dtcwpt

H0A = np.asarray(dtcwpt.QSHIFT_A_H0A)
H0B = H0A[::-1]
H1A = (-1.0) ** np.arange(10) * H0B  # dtcwt's h1a = (-1)^n h0a[9 - n], our tree-b high-pass
H1B = -((-1.0) ** np.arange(10)) * H0A  # dtcwt's h1b, the negative of our tree-a high-pass


def _wcnn_kernels(J: int, tree: int) -> list[np.ndarray]:
    """wcnn's 1-D equivalent packet kernels of one tree, natural (Paley) order."""
    z = np.zeros(1)
    fs = {1: (np.concatenate([z, z, H0B]), np.concatenate([H1B, z, z])),
          2: (np.concatenate([z, H0B, z]), np.concatenate([z, -H1B, z]))}
    children = {"h1fs": "a", "h2fs": "b", "g1fs": "b", "g2fs": "a", "a": "a", "b": "b", "ga": "a", "gb": "a"}
    bank = {"a": (H0B, H1B), "b": (H0A, H1A)}
    lo, hi = fs[tree]
    nodes = [(lo, f"h{tree}fs"), (hi, f"g{tree}fs")]
    for j in range(1, J):
        new = []
        for v, name in nodes:
            key = children[name]
            for k, f in enumerate(bank[key]):
                up = np.zeros(9 * 2**j + 1)
                up[:: 2**j] = f
                new.append((np.convolve(v, up), key if k == 0 else "g" + key))
        nodes = new
    return [v for v, _ in nodes]


def test_dtcwt_high_pass_signs():
    """h1a, h1b as the dtcwt package defines them: g2 = h1a, g1 = -h1b (our QMF partner)."""
    f = dtcwpt._filters()
    assert np.allclose(f["g2"], H1A, atol=1e-15) and np.allclose(f["g1"], -H1B, atol=1e-15)


@pytest.mark.parametrize("J", [2, 3])
def test_one_dimensional_kernels_differ_by_the_stated_signs(J):
    va, vb, _, _ = dtcwpt.packet_filters_1d(J)
    order = np.argsort(dtcwpt.band_order(J))
    sa, sb = conventions.wcnn_signs(J)
    for ours, tree, signs in ((va, 1, sa), (vb, 2, sb)):
        ref = np.stack(_wcnn_kernels(J, tree))[order]
        assert np.abs(ours - signs[:, None] * ref).max() <= 1e-14


@pytest.mark.parametrize("J, last_stride, shift", [(2, 2, 2), (3, 2, 4), (3, 1, 2)])
@pytest.mark.parametrize("seed", [0, 1])
def test_maps_equal_wcnn_on_the_shifted_input(J, last_stride, shift, seed):
    """Real tree aa: ours(x)[n] = sign · wcnn(x shifted by o_J - P)[n], away from the border."""
    assert conventions.wcnn_shift(J, last_stride) == shift
    n = 192
    x = np.random.default_rng(seed).normal(size=(n, n))
    z = dtcwpt.dtcwpt2(torch.as_tensor(x[None]), J, last_stride)[0]
    aa = ((z[0].real + z[1].real) / 2).numpy()  # (P, P, h, w): tree aa, bands sorted
    P_pad = conventions.wcnn_padding(J, last_stride)
    stride = 2**J // (2 if last_stride == 1 else 1)
    xs = np.zeros_like(x)
    xs[shift:, shift:] = x[:-shift, :-shift]  # x'[m] = x[m - shift]
    xp = np.pad(xs, P_pad)
    kernels = np.stack(_wcnn_kernels(J, 1))[np.argsort(dtcwpt.band_order(J))]
    sa, _ = conventions.wcnn_signs(J)
    K = kernels.shape[-1]
    # interior: every input read lies in [shift, n) (no zero padding, no wrap-around)
    rows = [i for i in range(aa.shape[-1]) if stride * i >= P_pad + shift and stride * i + K - 1 - P_pad < n]
    assert len(rows) >= 3
    for ky, kx in [(1, 2), (3, 0), (2 ** J - 1, 2 ** J - 1)]:
        for i in rows:
            for k in (rows[0], rows[-1]):
                patch = xp[stride * i : stride * i + K, stride * k : stride * k + K]
                ref = kernels[ky] @ patch @ kernels[kx]
                assert abs(aa[ky, kx, i, k] - sa[ky] * sa[kx] * ref) <= 1e-12
