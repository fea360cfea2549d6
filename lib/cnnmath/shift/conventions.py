"""How our DT-CWPT maps correspond to the authors' code (``wcnn``) and to the peers: phase and sign.

Our transform (:mod:`cnnmath.shift.dtcwpt`) is periodic; map ``n`` of a J-stage packet reads
``x[2^J n + u - o_J]`` against the equivalent kernel ``V[u]`` of Lemma B.1, with the offset
``o_J = 6 + Σ_{j=1}^{J-1} 5·2^j`` (16 for J = 2, 36 for J = 3). The authors' ``wcnn`` module pads the
input with ``P`` zeros (its ``get_padding``: ``⌊Σ_j (Π_{i<j} s_i)(k_j - s_j + 1) / 2⌋`` for kernel
sizes ``k_j`` and strides ``s_j``) and correlates "valid", so its map ``n`` reads
``x[2^J n + u - P]``: away from the border, **our map equals wcnn's computed on the input shifted
by** ``o_J - P`` **pixels** along each axis (:func:`wcnn_shift`): 2 px at J = 2, 4 px for the
decimated (CMod) branch at J = 3 and 2 px for its RMax branch (last stage undecimated, larger
pad) — so wcnn's two branches are 2 px apart at J = 3, ours are aligned exactly.

Signs: both use Kingsbury's ``qshift_a``, tree a low-pass ``h0b`` and tree b ``h0a``; wcnn takes the
high-pass of tree a as ``h1b`` of the ``dtcwt`` package, we take its orthonormal QMF partner
``g[n] = (-1)^n h[L-1-n]``, which is ``-h1b``. A packet's 1-D kernel therefore differs by
``(-1)^(number of tree-a high-pass filters on its path)`` (:func:`wcnn_signs`); wcnn further
conjugates the maps of a hard-coded list (``NEG_FOURIER_SUPPORT``) so that their spectra sit in
``θ_x ≥ 0``, where we choose the sign of ``v_b`` that makes each 1-D packet analytic.

``pytorch_wavelets``: its separable DWT (mode ``periodization``) given our filters with one zero
tap appended returns our real trees exactly (its grid sits one sample after ours otherwise);
``dtcwt``: its ``qshift_a`` is ours (``h1b = -g1``), its level 1 is undecimated with symmetric
extension and pairs the trees its own way (``benchmarks/wavelets.py`` checks both).
"""

from __future__ import annotations

import numpy as np

from cnnmath.shift import dtcwpt

__all__ = ["our_offset", "wcnn_padding", "wcnn_shift", "wcnn_signs"]

# our filters that are the negatives of wcnn's: the tree-a q-shift high-pass (ours -h1b, wcnn h1b)
# and both first-stage high-passes (ours [-h1b, 0, 0] and [0, h1b, 0], wcnn [h1b, 0, 0] and [0, -h1b, 0])
_FLIPPED = ("g1", "g1fs", "g2fs")


def our_offset(J: int) -> int:
    """``o_J``: map ``n`` of :func:`cnnmath.shift.dtcwpt.dtcwpt2` reads ``x[2^J n + u - o_J]`` (Lemma B.1 kernel ``V[u]``)."""
    return dtcwpt.packet_filters_1d(J)[3]


def wcnn_padding(J: int, last_stride: int = 2) -> int:
    """Zero padding ``P`` of wcnn's J-stage tree: first-stage kernels of 12 taps, then 10, strides 2
    (the last one ``last_stride``), ``⌊Σ_j (Π_{i<j} s_i)(k_j - s_j + 1) / 2⌋``."""
    if last_stride not in (1, 2):
        raise ValueError(f"last_stride must be 1 or 2, got {last_stride!r}")
    strides = [2] * (J - 1) + [last_stride]
    kernels = [12] + [10] * (J - 1)
    total, prod = 0, 1
    for s, k in zip(strides, kernels):
        total += prod * (k - s + 1)
        prod *= s
    return total // 2


def wcnn_shift(J: int, last_stride: int = 2) -> int:
    """Pixels by which wcnn's input must be shifted (``x'[m] = x[m - s]``) to give our maps: ``o_J - P``."""
    return our_offset(J) - wcnn_padding(J, last_stride)


def wcnn_signs(J: int) -> tuple[np.ndarray, np.ndarray]:
    """``(2^J,)`` signs per band (sorted as :func:`cnnmath.shift.dtcwpt.packet_filters_1d`) of trees a and b:
    our 1-D packet kernel = sign × wcnn's, ``(-1)`` to the number of negated filters on the path."""
    out = []
    for tree in (1, 2):
        paths = dtcwpt._packet_paths(J, tree)
        signs = np.array([(-1.0) ** sum(name in _FLIPPED for name in path) for path in paths])
        out.append(signs[np.argsort(dtcwpt.band_order(J))])
    return out[0], out[1]
