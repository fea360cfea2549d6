"""First-layer kernels learned from natural images available offline (independent component analysis).

The first layers of ImageNet-trained CNNs (AlexNet, ResNet-50) hold oriented, localised,
band-pass kernels — edge and grating detectors. Their pretrained weights cannot be obtained
offline, but the same kind of kernel is learned without labels from natural-image patches:
the **independent components of natural scenes are edge filters** (Bell & Sejnowski, Vision
Research 37 (1997); van Hateren & van der Schaaf, Proc. R. Soc. B 265 (1998); Hyvärinen, Hurri &
Hoyer, *Natural Image Statistics*, Springer 2009, ch. 7). This module learns such a bank from the
grey-level natural images bundled with scikit-image (:func:`cnnmath.data.natural_image`):

1. ``n_patches`` random ``k × k`` patches, each with its mean removed (the DC component);
2. PCA whitening onto the ``n_components`` leading principal components (``V = D^{-1/2} Eᵀ``;
   dropping the trailing ones is the usual low-pass step against aliasing at the grid's
   Nyquist corners);
3. symmetric FastICA with ``g = tanh`` (Hyvärinen, IEEE Trans. Neural Netw. 10 (1999), eq. (8)):
   ``W ← E[g(W z) zᵀ] - diag(E[g'(W z)]) W``, then ``W ← (W Wᵀ)^{-1/2} W``, until
   ``max |diag(W_new W_oldᵀ)| > 1 - tol``;
4. the kernels in pixel space: ``kind="basis"`` (default) gives the ICA basis functions, the
   columns of the mixing matrix ``A = V⁺ Wᵀ`` — the image features the model composes patches
   from, smooth oriented edges and bars like the pictures of trained CNN first layers;
   ``kind="filters"`` gives the rows of ``W V``, their whitened duals (what recovers the
   components from a patch; sharper, higher in frequency). Each is scaled to unit Frobenius
   norm, its largest-magnitude entry made positive, and the bank is sorted by spatial frequency
   (low first).

Why ICA: it is deterministic given the seed, needs no labels and no training loop, runs in
seconds on a CPU, and its result is the textbook match to the oriented first-layer kernels of
trained CNNs. A shared helper: it imports no chapter code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cnnmath import data

__all__ = ["DEFAULT_IMAGES", "KINDS", "IcaResult", "ica_filters", "patches", "whiten"]

KINDS = ("basis", "filters")

DEFAULT_IMAGES: tuple[str, ...] = tuple(data.NATURAL_IMAGES)


def patches(
    size: int = 7, n_patches: int = 50_000, images: Sequence[str] = DEFAULT_IMAGES, seed: int = 0
) -> np.ndarray:
    """``n_patches`` random ``size × size`` patches ``(n, size, size)`` float64, each with zero mean.

    Patches are drawn evenly from ``images`` (names of :data:`cnnmath.data.NATURAL_IMAGES`), at
    uniformly random positions (seeded).
    """
    if size < 2:
        raise ValueError(f"size must be ≥ 2, got {size}")
    if n_patches < size * size:
        raise ValueError(f"n_patches must be ≥ size² = {size * size}, got {n_patches}")
    if not images:
        raise ValueError(f"images must name at least one of {', '.join(data.NATURAL_IMAGES)}")
    rng = np.random.default_rng(seed)
    counts = [n_patches // len(images) + (i < n_patches % len(images)) for i in range(len(images))]
    out = []
    for name, n in zip(images, counts):
        img = data.natural_image(name)
        r = rng.integers(0, img.shape[0] - size + 1, n)
        c = rng.integers(0, img.shape[1] - size + 1, n)
        idx = np.arange(size)
        out.append(img[r[:, None, None] + idx[None, :, None], c[:, None, None] + idx[None, None, :]])
    p = np.concatenate(out)
    return p - p.mean(axis=(1, 2), keepdims=True)


def whiten(x: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray]:
    """PCA whitening of rows ``x`` ``(n, d)``: returns ``(z, V)`` with ``z = x V^T``, ``cov(z) = I``.

    ``V = D^{-1/2} Eᵀ`` on the ``n_components`` leading eigenpairs ``(D, E)`` of the covariance.
    """
    if not 1 <= n_components <= x.shape[1]:
        raise ValueError(f"n_components must be in [1, {x.shape[1]}], got {n_components}")
    cov = x.T @ x / len(x)
    evals, evecs = np.linalg.eigh(cov)
    order = np.argsort(evals)[::-1][:n_components]
    if evals[order[-1]] <= 1e-12 * evals[order[0]]:
        raise ValueError(f"n_components={n_components} reaches a null direction of the patch covariance")
    v = evecs[:, order].T / np.sqrt(evals[order])[:, None]
    return x @ v.T, v


class IcaResult:
    """Filters ``(n, k, k)`` (unit norm), the unmixing matrix in whitened space, iterations used."""

    def __init__(self, filters: np.ndarray, unmixing: np.ndarray, n_iter: int, converged: bool) -> None:
        self.filters, self.unmixing, self.n_iter, self.converged = filters, unmixing, n_iter, converged


def _sym_decorrelate(w: np.ndarray) -> np.ndarray:
    """``(W Wᵀ)^{-1/2} W``."""
    s, u = np.linalg.eigh(w @ w.T)
    return (u / np.sqrt(s)) @ u.T @ w


def ica_filters(
    size: int = 7,
    n_components: int | None = None,
    n_patches: int = 20_000,
    images: Sequence[str] = DEFAULT_IMAGES,
    seed: int = 0,
    max_iter: int = 500,
    tol: float = 1e-5,
    kind: str = "basis",
) -> IcaResult:
    """A bank of ``n_components`` first-layer kernels learned by FastICA on natural-image patches.

    Parameters
    ----------
    size : int
        Kernel side ``k``.
    n_components : int, optional
        Principal components kept by the whitening = number of filters; default ``k² // 2``.
    n_patches, images, seed
        The patch sample (:func:`patches`); ``seed`` also draws the initial unmixing matrix.
    max_iter, tol
        FastICA stopping rule (module docstring, step 3).
    kind : {"basis", "filters"}
        Basis functions (columns of the mixing matrix) or filters (rows of the unmixing matrix).

    Returns
    -------
    IcaResult
        ``filters`` ``(n_components, size, size)`` float64, unit Frobenius norm.

    Examples
    --------
    >>> res = ica_filters(5, n_components=6, n_patches=2000)
    >>> res.filters.shape, bool(np.allclose((res.filters**2).sum(axis=(1, 2)), 1))
    ((6, 5, 5), True)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    n_components = size * size // 2 if n_components is None else n_components
    x = patches(size, n_patches, images, seed).reshape(n_patches, -1)
    z, v = whiten(x, n_components)
    rng = np.random.default_rng(seed + 1)
    w = _sym_decorrelate(rng.standard_normal((n_components, n_components)))
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        y = np.tanh(z @ w.T)  # (n, c)
        w_new = _sym_decorrelate(y.T @ z / len(z) - np.diag((1 - y**2).mean(axis=0)) @ w)
        change = np.max(np.abs(1 - np.abs(np.einsum("ij,ij->i", w_new, w))))
        w = w_new
        if change < tol:
            converged = True
            break
    f = (w @ v if kind == "filters" else w @ np.linalg.pinv(v).T).reshape(n_components, size, size)
    f /= np.sqrt((f**2).sum(axis=(1, 2), keepdims=True))
    flat = f.reshape(n_components, -1)
    f *= np.sign(flat[np.arange(n_components), np.abs(flat).argmax(axis=1)])[:, None, None]
    freq = np.fft.fftfreq(size)
    radius = np.sqrt(freq[:, None] ** 2 + freq[None, :] ** 2)
    power = np.abs(np.fft.fft2(f)) ** 2
    centroid = (power * radius).sum(axis=(1, 2)) / power.sum(axis=(1, 2))
    order = np.argsort(centroid, kind="stable")
    return IcaResult(f[order], w[order], it, converged)
