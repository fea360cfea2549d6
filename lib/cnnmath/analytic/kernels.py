"""Analytic convolution kernels (ACKs): the families, their closed forms and their AKPs.

Cui, Tao, Tao, Liu, Cheng, "Analytic Convolutional Layer: A Step to Analytic Neural Network",
arXiv 2407.06087 (2024). The paper's body could not be read; what is known of it, with its
evidence level, is on the chapter page. Third-party summaries name three ACK families —
**Gabor**, **Laplacian of Gaussian** (one parameter) and **TGD**, the "Tao General Difference"
operators of the same group (Tao, Liu, Tao, Xia, Ma, Cheng, Cui, "A Theory of General
Difference in Continuous and Discrete Domain", arXiv 2305.08098) — and static "mean" kernels
used in ablations. The closed forms below are **our reconstruction** of those families (the
paper's own parametrisation is unknown), plus documented extensions (Gaussian, first and second
Gaussian derivatives, difference of Gaussians).

Conventions (our reconstruction; see the chapter page)
------------------------------------------------------
A ``kh × kw`` kernel is sampled on the centred grid ``u_j = j - (k - 1)/2``; the row index is
``y`` (downwards), the column index ``x``. An orientation ``θ`` rotates the coordinates,
``x' = x cos θ + y sin θ``, ``y' = -x sin θ + y cos θ``; with this convention
``gabor(θ + π/2) = rot90(gabor(θ), k=-1)`` exactly.

Each family is a :class:`Family`: a closed form ``fn(x, y, *akps)`` and its AKPs, registered
in ``FAMILIES``. :func:`analytic_kernel` evaluates a family on the grid.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "AKP",
    "FAMILIES",
    "Family",
    "analytic_kernel",
    "compose_weight",
    "dog",
    "gabor",
    "gaussian",
    "gaussian_derivative_1",
    "gaussian_derivative_2",
    "get_family",
    "grid",
    "laplacian_of_gaussian",
    "mean_kernel",
    "normalize_kernel",
    "rotate",
    "tgd_first_order",
    "tgd_second_order",
]


# ----------------------------------------------------------------------------------------------
# grid and closed forms
# ----------------------------------------------------------------------------------------------
def grid(
    size: tuple[int, int], dtype: torch.dtype = torch.float32, device: torch.device | str = "cpu"
) -> tuple[Tensor, Tensor]:
    """The centred sampling grid of a ``kh × kw`` kernel.

    Parameters
    ----------
    size : (int, int)
        ``(kh, kw)``, both ≥ 1.

    Returns
    -------
    x, y : Tensor, each ``(kh, kw)``
        ``x[i, j] = j - (kw - 1)/2`` (columns), ``y[i, j] = i - (kh - 1)/2`` (rows, downwards).

    Examples
    --------
    >>> x, y = grid((3, 3), torch.float64)
    >>> x[0].tolist(), y[:, 0].tolist()
    ([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0])
    """
    kh, kw = size
    if kh < 1 or kw < 1:
        raise ValueError(f"kernel size must be positive, got {size!r}")
    ys = torch.arange(kh, dtype=dtype, device=device) - (kh - 1) / 2
    xs = torch.arange(kw, dtype=dtype, device=device) - (kw - 1) / 2
    y, x = torch.meshgrid(ys, xs, indexing="ij")
    return x, y


def rotate(x: Tensor, y: Tensor, theta: Tensor) -> tuple[Tensor, Tensor]:
    """Rotated coordinates ``x' = x cos θ + y sin θ``, ``y' = -x sin θ + y cos θ``.

    ``x, y`` are ``(kh, kw)``; ``theta`` is ``(n,)``; the results are ``(n, kh, kw)``.
    """
    c, s = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    return x * c + y * s, -x * s + y * c


def _b(t: Tensor) -> Tensor:
    """An AKP vector ``(n,)`` broadcast against ``(n, kh, kw)``."""
    return t[:, None, None]


def gabor(
    x: Tensor, y: Tensor, theta: Tensor, lam: Tensor, psi: Tensor, sigma: Tensor, gamma: Tensor
) -> Tensor:
    r"""Real Gabor kernels, ``(n, kh, kw)``.

    .. math:: \varphi = \exp\!\Big(-\frac{x'^2 + \gamma^2 y'^2}{2\sigma^2}\Big)
              \cos\!\Big(\frac{2\pi x'}{\lambda} + \psi\Big)

    AKPs (each ``(n,)``): orientation ``theta``, wavelength ``lam`` > 0, phase ``psi``,
    envelope width ``sigma`` > 0, aspect ratio ``gamma`` > 0.
    """
    xr, yr = rotate(x, y, theta)
    envelope = torch.exp(-(xr**2 + _b(gamma) ** 2 * yr**2) / (2 * _b(sigma) ** 2))
    return envelope * torch.cos(2 * math.pi * xr / _b(lam) + _b(psi))


def gaussian(x: Tensor, y: Tensor, theta: Tensor, sigma: Tensor, gamma: Tensor) -> Tensor:
    r"""Oriented anisotropic Gaussians (low-pass blobs), ``(n, kh, kw)``.

    .. math:: \varphi = \exp\!\Big(-\frac{x'^2 + \gamma^2 y'^2}{2\sigma^2}\Big)
    """
    xr, yr = rotate(x, y, theta)
    return torch.exp(-(xr**2 + _b(gamma) ** 2 * yr**2) / (2 * _b(sigma) ** 2))


def _anisotropic(x: Tensor, y: Tensor, theta: Tensor, sx: Tensor, sy: Tensor) -> tuple[Tensor, Tensor]:
    xr, yr = rotate(x, y, theta)
    return xr, torch.exp(-(xr**2) / (2 * _b(sx) ** 2) - yr**2 / (2 * _b(sy) ** 2))


def gaussian_derivative_1(
    x: Tensor, y: Tensor, theta: Tensor, sigma_x: Tensor, sigma_y: Tensor
) -> Tensor:
    r"""First derivative along ``x'`` of an anisotropic Gaussian (edge detector), ``(n, kh, kw)``.

    .. math:: \varphi = -\frac{x'}{\sigma_x^2}\,
              \exp\!\Big(-\frac{x'^2}{2\sigma_x^2} - \frac{y'^2}{2\sigma_y^2}\Big)

    (the Gaussian's ``1/(2πσ_xσ_y)`` is dropped: the layer normalises every ACK).
    """
    xr, g = _anisotropic(x, y, theta, sigma_x, sigma_y)
    return -xr / _b(sigma_x) ** 2 * g


def gaussian_derivative_2(
    x: Tensor, y: Tensor, theta: Tensor, sigma_x: Tensor, sigma_y: Tensor
) -> Tensor:
    r"""Second derivative along ``x'`` of an anisotropic Gaussian (bar detector), ``(n, kh, kw)``.

    .. math:: \varphi = \Big(\frac{x'^2}{\sigma_x^4} - \frac{1}{\sigma_x^2}\Big)
              \exp\!\Big(-\frac{x'^2}{2\sigma_x^2} - \frac{y'^2}{2\sigma_y^2}\Big)
    """
    xr, g = _anisotropic(x, y, theta, sigma_x, sigma_y)
    sx2 = _b(sigma_x) ** 2
    return (xr**2 / sx2**2 - 1 / sx2) * g


def laplacian_of_gaussian(x: Tensor, y: Tensor, sigma: Tensor) -> Tensor:
    r"""Laplacian of Gaussian (centre–surround), ``(n, kh, kw)``.

    .. math:: \varphi = \frac{r^2 - 2\sigma^2}{\sigma^4}\exp\!\Big(-\frac{r^2}{2\sigma^2}\Big),
              \quad r^2 = x^2 + y^2
    """
    r2 = x**2 + y**2
    s2 = _b(sigma) ** 2
    return (r2 - 2 * s2) / s2**2 * torch.exp(-r2 / (2 * s2))


def dog(x: Tensor, y: Tensor, sigma1: Tensor, sigma2: Tensor, kappa: Tensor) -> Tensor:
    r"""Difference of normalised Gaussians (centre–surround), ``(n, kh, kw)``.

    .. math:: \varphi = \frac{e^{-r^2/(2\sigma_1^2)}}{2\pi\sigma_1^2}
              - \kappa\,\frac{e^{-r^2/(2\sigma_2^2)}}{2\pi\sigma_2^2}
    """
    r2 = x**2 + y**2
    s1, s2 = _b(sigma1) ** 2, _b(sigma2) ** 2
    return torch.exp(-r2 / (2 * s1)) / (2 * math.pi * s1) - _b(kappa) * torch.exp(
        -r2 / (2 * s2)
    ) / (2 * math.pi * s2)


def _cos_to_axis(x: Tensor, y: Tensor, theta: Tensor) -> tuple[Tensor, Tensor]:
    """``(cos(α - θ), r)`` with ``α`` the polar angle of ``(x, y)``; the cosine is 0 at ``r = 0``."""
    xr, _ = rotate(x, y, theta)
    r = torch.sqrt(x**2 + y**2)
    safe = torch.where(r > 0, r, torch.ones_like(r))
    return torch.where(r > 0, xr / safe, torch.zeros_like(xr)), r


def tgd_first_order(x: Tensor, y: Tensor, theta: Tensor, sigma: Tensor) -> Tensor:
    r"""First-order TGD operator along ``θ``, rotational construction (our reconstruction), ``(n, kh, kw)``.

    Tao et al., arXiv 2305.08098: a first-order general-difference operator ``T`` is a 1-D
    kernel that is odd (``T(-t) = -T(t)``), one-signed on each side (a positive and a negative
    segment) and weighted by a decreasing kernel function ``k``; the rotational construction
    builds the 2-D operator by sweeping the 1-D one over the directions around ``θ`` with a
    rotation weight. With the Gaussian kernel function and the weight ``cos(α - θ)``:

    .. math:: \varphi(r, \alpha) = k_\sigma(r)\cos(\alpha - \theta)
              = e^{-r^2/(2\sigma^2)}\,\frac{x'}{r}, \qquad \varphi(0) = 0 .

    Along the ``θ`` axis it is the 1-D operator ``sign(t) k_σ(|t|)``; it is odd under a half
    turn, sums to 0, and is steerable: ``φ_θ = cos θ φ_0 + sin θ φ_{π/2}``. The paper's exact
    weights and normalisation constant ``C_1`` could not be read (the layer normalises anyway).
    AKPs: orientation ``theta``, width ``sigma`` > 0.
    """
    c, r = _cos_to_axis(x, y, theta)
    return torch.exp(-(r**2) / (2 * _b(sigma) ** 2)) * c


def tgd_second_order(x: Tensor, y: Tensor, theta: Tensor, sigma: Tensor) -> Tensor:
    r"""Second-order TGD operator along ``θ``, rotational construction (our reconstruction), ``(n, kh, kw)``.

    Tao et al., arXiv 2305.08098: the second-order operator ``R`` is an even 1-D kernel with a
    negative centre segment and positive outer segments weighted by the kernel function, with
    zero response to constants (and, being even, to linear functions). Rotational construction
    with the weight ``cos²(α - θ)``:

    .. math:: \varphi(r, \alpha) = e^{-r^2/(2\sigma^2)}\cos^2(\alpha - \theta)\ (r > 0), \qquad
              \varphi(0) = -\sum_{r > 0}\varphi ,

    so the discrete kernel sums to 0 (a ridge/bar detector across ``θ``). It is even under a
    half turn and ``π``-periodic in ``θ``. AKPs: orientation ``theta``, width ``sigma`` > 0.
    """
    c, r = _cos_to_axis(x, y, theta)
    outer = torch.exp(-(r**2) / (2 * _b(sigma) ** 2)) * c**2
    centre = (r == 0).to(outer.dtype)
    return outer - centre * outer.sum(dim=(-2, -1), keepdim=True)


def mean_kernel(x: Tensor, y: Tensor) -> Tensor:
    r"""The static mean (box) kernel ``φ = 1`` on the grid, ``(kh, kw)``: no AKP.

    The static kernel of the ablation ("mean" kernels); only its channel amplitudes learn.
    """
    return torch.ones_like(x)


# ----------------------------------------------------------------------------------------------
# families: AKP names, constraints, initial banks and random starts
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AKP:
    """One analytic kernel parameter.

    ``kind`` is ``"orientation"`` (an angle in ``[0, π)``; bank: 8 evenly spaced),
    ``"phase"`` (an angle in ``[-π, π)``; bank: 0, π/2 alternately) or ``"scale"`` (> 0, stored
    as its logarithm; bank: a geometric ladder over ``[lo, hi]``). ``lo, hi`` of a scale are
    ``lo + lo_k · k`` and ``hi + hi_k · k`` with ``k = max(kh, kw)``.
    """

    name: str
    kind: str
    lo: float = 0.0
    hi: float = 0.0
    lo_k: float = 0.0
    hi_k: float = 0.0

    def bounds(self, k: int) -> tuple[float, float]:
        """Sampling range for a ``k``-wide kernel."""
        if self.kind == "orientation":
            return 0.0, math.pi
        if self.kind == "phase":
            return -math.pi, math.pi
        return self.lo + self.lo_k * k, self.hi + self.hi_k * k


@dataclass(frozen=True)
class Family:
    """An ACK family: its closed form ``fn(x, y, *akps)`` and its AKPs."""

    name: str
    akps: tuple[AKP, ...]
    fn: Callable[..., Tensor]
    formula: str

    @property
    def n_akp(self) -> int:
        """Number of AKPs of one kernel of this family."""
        return len(self.akps)

    @property
    def names(self) -> tuple[str, ...]:
        """The AKP names, in the order of ``fn``'s arguments."""
        return tuple(p.name for p in self.akps)

    def _positive(self, like: Tensor) -> Tensor:
        return torch.tensor([p.kind == "scale" for p in self.akps], dtype=torch.bool, device=like.device)

    def to_natural(self, raw: Tensor) -> Tensor:
        """``(..., n_akp)`` raw parameters (log of every scale) → natural AKPs."""
        return torch.where(self._positive(raw), torch.exp(raw), raw)

    def to_raw(self, natural: Tensor) -> Tensor:
        """Natural AKPs ``(..., n_akp)`` → raw parameters (scales must be > 0)."""
        positive = self._positive(natural)
        if bool((natural[..., positive] <= 0).any()):
            raise ValueError(f"{self.name}: scale AKPs {self._scale_names()} must be > 0")
        return torch.where(positive, torch.log(natural.abs()), natural)

    def _scale_names(self) -> list[str]:
        return [p.name for p in self.akps if p.kind == "scale"]

    def bank(self, n: int, k: int, dtype: torch.dtype = torch.float32) -> Tensor:
        """A deterministic bank of ``n`` natural AKP vectors ``(n, n_akp)``.

        Kernel ``i`` gets orientation ``π (i mod 8)/8``, phase ``(π/2)(i mod 2)`` and every
        scale at level ``⌊i/8⌋`` of a geometric ladder of ``⌈n/8⌉`` levels over its range.

        >>> get_family("log").bank(2, 7, torch.float64).shape
        torch.Size([2, 1])
        """
        if not self.akps:
            return torch.zeros(n, 0, dtype=dtype)
        i = torch.arange(n, dtype=dtype)
        levels = max(1, math.ceil(n / 8))
        cols = []
        for p in self.akps:
            if p.kind == "orientation":
                cols.append(math.pi * (i % 8) / 8)
            elif p.kind == "phase":
                cols.append(math.pi / 2 * (i % 2))
            else:
                lo, hi = p.bounds(k)
                cols.append(lo * (hi / lo) ** ((torch.div(i, 8, rounding_mode="floor") + 0.5) / levels))
        return torch.stack(cols, dim=-1)

    def sample(self, n: int, k: int, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> Tensor:
        """``n`` random natural AKP vectors ``(n, n_akp)``: angles uniform, scales log-uniform."""
        u = torch.rand(n, self.n_akp, generator=generator, dtype=dtype)
        if not self.akps:
            return u
        cols = []
        for j, p in enumerate(self.akps):
            lo, hi = p.bounds(k)
            if p.kind == "scale":
                cols.append(lo * (hi / lo) ** u[:, j])
            else:
                cols.append(lo + (hi - lo) * u[:, j])
        return torch.stack(cols, dim=-1)


_THETA = AKP("theta", "orientation")
_PSI = AKP("psi", "phase")
_SIGMA = AKP("sigma", "scale", lo=0.5, hi_k=0.5)

FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            "gabor",
            (_THETA, AKP("lam", "scale", lo=2.0, hi_k=1.0), _PSI, _SIGMA, AKP("gamma", "scale", 0.5, 2.0)),
            gabor,
            "exp(-(x'^2 + γ^2 y'^2)/(2σ^2)) cos(2π x'/λ + ψ)",
        ),
        Family(
            "gaussian",
            (_THETA, _SIGMA, AKP("gamma", "scale", 0.5, 2.0)),
            gaussian,
            "exp(-(x'^2 + γ^2 y'^2)/(2σ^2))",
        ),
        Family(
            "gauss_d1",
            (_THETA, AKP("sigma_x", "scale", lo=0.5, hi_k=0.5), AKP("sigma_y", "scale", lo=0.5, hi_k=0.5)),
            gaussian_derivative_1,
            "-(x'/σx^2) exp(-x'^2/(2σx^2) - y'^2/(2σy^2))",
        ),
        Family(
            "gauss_d2",
            (_THETA, AKP("sigma_x", "scale", lo=0.5, hi_k=0.5), AKP("sigma_y", "scale", lo=0.5, hi_k=0.5)),
            gaussian_derivative_2,
            "(x'^2/σx^4 - 1/σx^2) exp(-x'^2/(2σx^2) - y'^2/(2σy^2))",
        ),
        Family(
            "tgd1",
            (_THETA, _SIGMA),
            tgd_first_order,
            "exp(-r^2/(2σ^2)) x'/r  (TGD, first order)",
        ),
        Family(
            "tgd2",
            (_THETA, _SIGMA),
            tgd_second_order,
            "exp(-r^2/(2σ^2)) x'^2/r^2, centre = -sum  (TGD, second order)",
        ),
        Family("mean", (), mean_kernel, "1  (static box mean)"),
        Family(
            "log",
            (AKP("sigma", "scale", lo=0.5, hi_k=0.25),),
            laplacian_of_gaussian,
            "(r^2 - 2σ^2)/σ^4 exp(-r^2/(2σ^2))",
        ),
        Family(
            "dog",
            (
                AKP("sigma1", "scale", lo=0.5, hi_k=0.25),
                AKP("sigma2", "scale", lo=1.0, hi_k=0.5),
                AKP("kappa", "scale", 0.25, 1.0),
            ),
            dog,
            "exp(-r^2/(2σ1^2))/(2πσ1^2) - κ exp(-r^2/(2σ2^2))/(2πσ2^2)",
        ),
    )
}


def get_family(name: str) -> Family:
    """The family called ``name``; the error lists the allowed names.

    >>> get_family("gabor").names
    ('theta', 'lam', 'psi', 'sigma', 'gamma')
    """
    if name not in FAMILIES:
        raise ValueError(f"unknown ACK family {name!r}; allowed: {', '.join(FAMILIES)}")
    return FAMILIES[name]


def analytic_kernel(family: str | Family, akp: Tensor, size: tuple[int, int]) -> Tensor:
    """Evaluate a family's closed form on the grid: ``(n, n_akp)`` natural AKPs → ``(n, kh, kw)``.

    Differentiable in ``akp``; dtype and device follow ``akp``.

    >>> analytic_kernel("log", torch.tensor([[1.0]], dtype=torch.float64), (5, 5)).shape
    torch.Size([1, 5, 5])
    """
    fam = family if isinstance(family, Family) else get_family(family)
    if akp.ndim != 2 or akp.shape[1] != fam.n_akp:
        raise ValueError(
            f"akp for family {fam.name!r} must be (n, {fam.n_akp}) [{', '.join(fam.names)}],"
            f" got {tuple(akp.shape)}"
        )
    x, y = grid(size, akp.dtype, akp.device)
    return fam.fn(x, y, *akp.unbind(dim=1)).expand(akp.shape[0], *size)


def normalize_kernel(phi: Tensor, eps: float = 1e-12) -> Tensor:
    """``φ / ‖φ‖_F`` over the last two axes (``‖φ‖`` clamped below at ``eps``)."""
    norm = phi.pow(2).sum(dim=(-2, -1), keepdim=True).sqrt()
    return phi / norm.clamp_min(eps)


def compose_weight(phi_hat: Tensor, amplitude: Tensor) -> Tensor:
    """ACK weights ``W[o, c] = a[o, c] · φ̂_o``.

    ``phi_hat`` ``(n, kh, kw)``, ``amplitude`` ``(n, C)`` → ``(n, C, kh, kw)``.
    """
    return amplitude[:, :, None, None] * phi_hat[:, None]
