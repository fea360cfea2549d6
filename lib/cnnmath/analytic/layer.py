"""Analytic convolution kernels (ACKs) and the analytic convolutional layer (ACL).

Cui, Tao, Tao, Liu, Cheng, "Analytic Convolutional Layer: A Step to Analytic Neural Network",
arXiv 2407.06087 (2024). Only the paper's abstract and the caption of its Fig. 1 could be read:
an ACL is "a mosaic of analytical convolution kernels (ACKs) and traditional convolution
kernels", each ACK "characterized by mathematical functions governed by analytic kernel
parameters (AKPs) learned in training". **Everything below — the kernel families, their AKPs,
how an ACK spans the input channels, the mosaic, the initialisation and the fitting — is a
reconstruction** (see ``shared/papers/notes/acl.md`` §1), not the paper's text.

Conventions (note §1.1)
-----------------------
A ``kh × kw`` kernel is sampled on the centred grid ``u_j = j - (k - 1)/2``; the row index is
``y`` (downwards), the column index ``x``. An orientation ``θ`` rotates the coordinates,
``x' = x cos θ + y sin θ``, ``y' = -x sin θ + y cos θ``; with this convention
``gabor(θ + π/2) = rot90(gabor(θ), k=-1)`` exactly.

One ACK spans all input channels of its group as ``W[o, c] = a[o, c] · φ̂_o`` (note §1.3), where
``φ̂_o = φ(·; AKP_o) / ‖φ(·; AKP_o)‖_F`` is a unit-norm spatial kernel; it costs
``|AKP| + C_in/groups`` parameters instead of ``C_in/groups · kh · kw``.

Used by the notebooks of ``book/analytic/`` (all of them).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "FAMILIES",
    "AKP",
    "AnalyticConv2d",
    "Family",
    "FitResult",
    "acl_parameter_count",
    "akp_parameters",
    "analytic_kernel",
    "compose_weight",
    "dog",
    "fit_kernels",
    "gabor",
    "gaussian",
    "gaussian_derivative_1",
    "gaussian_derivative_2",
    "get_family",
    "grid",
    "laplacian_of_gaussian",
    "normalize_kernel",
    "parameter_count",
    "replace_conv",
    "rotate",
]


# ----------------------------------------------------------------------------------------------
# grid and closed forms (note §1.1–1.2, Table "ACK families")
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
    r"""Real Gabor kernels (note §1.2), ``(n, kh, kw)``.

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


# ----------------------------------------------------------------------------------------------
# families: AKP names, constraints, initial banks and random starts (note §1.2, §1.5)
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
        return torch.tensor([p.kind == "scale" for p in self.akps], device=like.device)

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
        """A deterministic bank of ``n`` natural AKP vectors ``(n, n_akp)`` (note §1.5).

        Kernel ``i`` gets orientation ``π (i mod 8)/8``, phase ``(π/2)(i mod 2)`` and every
        scale at level ``⌊i/8⌋`` of a geometric ladder of ``⌈n/8⌉`` levels over its range.

        >>> get_family("log").bank(2, 7, torch.float64).shape
        torch.Size([2, 1])
        """
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
    return fam.fn(x, y, *akp.unbind(dim=1))


def normalize_kernel(phi: Tensor, eps: float = 1e-12) -> Tensor:
    """``φ / ‖φ‖_F`` over the last two axes (``‖φ‖`` clamped below at ``eps``)."""
    norm = phi.pow(2).sum(dim=(-2, -1), keepdim=True).sqrt()
    return phi / norm.clamp_min(eps)


def compose_weight(phi_hat: Tensor, amplitude: Tensor) -> Tensor:
    """ACK weights ``W[o, c] = a[o, c] · φ̂_o`` (note §1.3).

    ``phi_hat`` ``(n, kh, kw)``, ``amplitude`` ``(n, C)`` → ``(n, C, kh, kw)``.
    """
    return amplitude[:, :, None, None] * phi_hat[:, None]


# ----------------------------------------------------------------------------------------------
# the layer (note §1.4)
# ----------------------------------------------------------------------------------------------
_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _pair(v: int | Sequence[int], name: str) -> tuple[int, int]:
    if isinstance(v, int):
        return (v, v)
    t = tuple(int(a) for a in v)
    if len(t) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


def _split(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal counts, larger first."""
    return [n // parts + (i < n % parts) for i in range(parts)]


def acl_parameter_count(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    n_analytic: int,
    families: Sequence[str] = ("gabor", "log"),
    groups: int = 1,
    bias: bool = True,
) -> int:
    """Exact number of learnable parameters of an :class:`AnalyticConv2d` (note §1.4).

    ``Σ_f n_f (|AKP_f| + C_in/g) + (C_out - n_a) (C_in/g) kh kw + C_out·[bias]``, with the
    ``n_a`` ACKs split over ``families`` as :class:`AnalyticConv2d` does.

    >>> acl_parameter_count(3, 64, 11, 0, bias=False)  # AlexNet conv1 without bias
    23232
    >>> acl_parameter_count(3, 64, 11, 64, families=("gabor",), bias=False)
    512
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    cin = in_channels // groups
    analytic = sum(
        n * (get_family(f).n_akp + cin) for f, n in zip(families, _split(n_analytic, len(families)))
    )
    return analytic + (out_channels - n_analytic) * cin * kh * kw + (out_channels if bias else 0)


def parameter_count(module: nn.Module) -> int:
    """``Σ p.numel()`` over the learnable parameters of ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class AnalyticConv2d(nn.Module):
    """Analytic convolutional layer: a drop-in for :class:`torch.nn.Conv2d` (note §1.4).

    The first ``n_analytic`` output channels are ACKs (split over ``families`` in order,
    near-equally), the other ``out_channels - n_analytic`` are ordinary kernels. The full weight
    ``W = cat([W_analytic, W_plain])`` of shape ``(C_out, C_in/groups, kh, kw)`` is rebuilt
    from the AKPs at every forward pass, so gradients reach the AKPs.

    Parameters
    ----------
    in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode
        As in :class:`torch.nn.Conv2d`.
    ratio : float
        Mosaic ratio ``ρ = n_analytic / out_channels`` in ``[0, 1]`` (rounded to a count).
    n_analytic : int, optional
        The number of ACKs; overrides ``ratio``.
    families : sequence of str
        ACK families, keys of :data:`FAMILIES`.

    Initialisation (note §1.5): ordinary kernels and bias as in ``Conv2d`` (so ``ratio=0``
    draws exactly what ``Conv2d`` draws from the same seed); AKPs from each family's
    deterministic :meth:`Family.bank`; amplitudes ``a ~ N(0, 1/(C_in/groups))``.

    Examples
    --------
    >>> layer = AnalyticConv2d(3, 8, 5, padding=2, ratio=0.5)
    >>> layer(torch.zeros(1, 3, 16, 16)).shape, parameter_count(layer)
    (torch.Size([1, 8, 16, 16]), 332)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        ratio: float = 0.5,
        n_analytic: int | None = None,
        families: Sequence[str] = ("gabor", "log"),
    ) -> None:
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must be ≥ 1 and divide in_channels={in_channels} and"
                f" out_channels={out_channels}"
            )
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode {padding_mode!r}; allowed: {', '.join(_PADDING_MODES)}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"padding {padding!r}; allowed: 'same', 'valid' or ints")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: str | tuple[int, int] = padding
        else:
            self.padding = _pair(padding, "padding")
        self._pad_lrtb = self._explicit_padding()
        if n_analytic is None:
            if not 0.0 <= ratio <= 1.0:
                raise ValueError(f"ratio must be in [0, 1], got {ratio!r}")
            n_analytic = int(round(ratio * out_channels))
        if not 0 <= n_analytic <= out_channels:
            raise ValueError(f"n_analytic must be in [0, out_channels={out_channels}], got {n_analytic}")
        fams = [get_family(f) for f in families]
        if not fams:
            raise ValueError("families must name at least one ACK family")
        self.families = tuple(f.name for f in fams)
        self.n_analytic = n_analytic
        factory = {"device": device, "dtype": dtype}
        cin = in_channels // groups
        kh, kw = self.kernel_size
        self.plain_weight = nn.Parameter(torch.empty(out_channels - n_analytic, cin, kh, kw, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        self._reset_plain()
        self.akp_raw = nn.ParameterDict()
        self.amplitude = nn.ParameterDict()
        self.counts = dict(zip(self.families, _split(n_analytic, len(fams))))
        for fam in fams:
            n = self.counts[fam.name]
            if n == 0:
                continue
            bank = fam.bank(n, max(kh, kw), dtype=dtype or torch.get_default_dtype())
            self.akp_raw[fam.name] = nn.Parameter(fam.to_raw(bank).to(device))
            amp = torch.randn(n, cin, **factory) / math.sqrt(cin)
            self.amplitude[fam.name] = nn.Parameter(amp)

    def _reset_plain(self) -> None:
        """``Conv2d.reset_parameters`` on the ordinary kernels and the bias (same draws)."""
        if self.plain_weight.numel():
            nn.init.kaiming_uniform_(self.plain_weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.plain_weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(self.bias, -bound, bound)

    def _explicit_padding(self) -> tuple[int, int, int, int]:
        """``(left, right, top, bottom)`` padding for ``F.pad`` (used when padding_mode ≠ zeros)."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            out = []
            for d, k in zip(reversed(self.dilation), reversed(self.kernel_size)):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            return tuple(out)  # type: ignore[return-value]
        ph, pw = self.padding  # type: ignore[misc]
        return (pw, pw, ph, ph)

    def analytic_kernels(self) -> dict[str, Tensor]:
        """The unit-norm spatial ACKs ``φ̂`` of each family's channels, ``{family: (n_f, kh, kw)}``."""
        return {
            f: normalize_kernel(analytic_kernel(get_family(f), get_family(f).to_natural(raw), self.kernel_size))
            for f, raw in self.akp_raw.items()
        }

    @property
    def weight(self) -> Tensor:
        """The full kernel ``(C_out, C_in/groups, kh, kw)``: ACKs first, then ordinary kernels."""
        parts = [compose_weight(phi, self.amplitude[f]) for f, phi in self.analytic_kernels().items()]
        return torch.cat([*parts, self.plain_weight]) if parts else self.plain_weight

    def channel_families(self) -> list[str]:
        """The family of each output channel (``"plain"`` for ordinary kernels)."""
        out = [f for f, raw in self.akp_raw.items() for _ in range(raw.shape[0])]
        return out + ["plain"] * self.plain_weight.shape[0]

    def akps(self) -> dict[str, dict[str, Tensor]]:
        """The learned AKPs in natural units, ``{family: {akp name: (n_f,) tensor}}`` (detached)."""
        out = {}
        for f, raw in self.akp_raw.items():
            fam = get_family(f)
            nat = fam.to_natural(raw.detach())
            out[f] = {name: nat[:, j].clone() for j, name in enumerate(fam.names)}
        return out

    def forward(self, x: Tensor) -> Tensor:
        """``F.conv2d`` with the composed weight; ``x`` ``(B, C_in, H, W)`` → ``(B, C_out, H', W')``."""
        if self.padding_mode != "zeros":
            x = F.pad(x, self._pad_lrtb, mode=self.padding_mode)
            return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        counts = ", ".join(f"{f}={n}" for f, n in self.counts.items())
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size},"
            f" stride={self.stride}, padding={self.padding}, analytic: {counts},"
            f" plain={self.plain_weight.shape[0]}"
        )


def akp_parameters(module: nn.Module) -> list[nn.Parameter]:
    """The raw AKP tensors of every :class:`AnalyticConv2d` in ``module`` (for their own lr)."""
    return [p for m in module.modules() if isinstance(m, AnalyticConv2d) for p in m.akp_raw.values()]


def replace_conv(
    module: nn.Module,
    ratio: float | Sequence[float],
    families: Sequence[str] = ("gabor", "log"),
) -> nn.Module:
    """Replace every ``nn.Conv2d`` of ``module`` (in place, in ``modules()`` order) by an ACL.

    ``ratio`` is one mosaic ratio or one per conv layer. Each ACL keeps the conv's
    hyper-parameters; its ordinary kernels are copied from the conv's last
    ``C_out - n_analytic`` kernels and the bias is copied, so ``ratio=0`` leaves the
    network's function unchanged. Returns ``module``.
    """
    convs = [(parent, name, child) for parent in module.modules()
             for name, child in parent.named_children() if type(child) is nn.Conv2d]
    ratios = [float(ratio)] * len(convs) if isinstance(ratio, (int, float)) else list(ratio)
    if len(ratios) != len(convs):
        raise ValueError(f"ratio has {len(ratios)} entries but the module has {len(convs)} Conv2d layers")
    for (parent, name, conv), rho in zip(convs, ratios):
        acl = AnalyticConv2d(
            conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
            conv.dilation, conv.groups, conv.bias is not None, conv.padding_mode,
            device=conv.weight.device, dtype=conv.weight.dtype, ratio=rho, families=families,
        )
        with torch.no_grad():
            acl.plain_weight.copy_(conv.weight[acl.n_analytic:])
            if conv.bias is not None:
                acl.bias.copy_(conv.bias)
        setattr(parent, name, acl)
    return module


# ----------------------------------------------------------------------------------------------
# fitting ACKs to given kernels (note §1.6; Fig. 1)
# ----------------------------------------------------------------------------------------------
@dataclass
class FitResult:
    """Best ACK per target kernel.

    ``family``: list of N family names; ``akp``: list of N natural AKP tensors; ``amplitude``
    ``(N, C)``; ``fitted`` ``(N, C, kh, kw)``; ``rel_error`` ``(N,)`` =
    ``‖fitted - target‖_F / ‖target‖_F``; ``n_params`` ``(N,)`` = ``|AKP| + C``.
    """

    family: list[str]
    akp: list[Tensor]
    amplitude: Tensor
    fitted: Tensor
    rel_error: Tensor
    n_params: Tensor


def _fit_loss(fam: Family, raw: Tensor, targets: Tensor, size: tuple[int, int]) -> Tensor:
    """Residual ``‖T - a ⊗ φ̂‖²`` with ``a_c = ⟨T_c, φ̂⟩``, per (kernel, start), ``(N, S)``.

    ``raw`` is ``(N, S, n_akp)``. Computed as a difference of kernels, not as
    ``‖T‖² - Σ_c a_c²``, which would cancel to ~1e-8 relative error in float64.
    """
    n, s, _ = raw.shape
    phi = normalize_kernel(analytic_kernel(fam, fam.to_natural(raw.reshape(n * s, -1)), size))
    phi = phi.reshape(n, s, *size)
    proj = torch.einsum("nchw,nshw->nsc", targets, phi)
    resid = targets[:, None] - proj[..., None, None] * phi[:, :, None]
    return resid.pow(2).sum(dim=(2, 3, 4))


def _fit_family(
    fam: Family, targets: Tensor, n_starts: int, steps: int, lr: float, refine_iters: int, gen: torch.Generator
) -> Tensor:
    """Raw AKPs ``(N, n_akp)`` of the best start per kernel, after Adam then Levenberg–Marquardt."""
    n, _, kh, kw = targets.shape
    size = (kh, kw)
    start = fam.to_raw(fam.sample(n * n_starts, max(kh, kw), gen, targets.dtype)).to(targets.device)
    raw = start.reshape(n, n_starts, -1).clone().requires_grad_(True)
    opt = torch.optim.Adam([raw], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        _fit_loss(fam, raw, targets, size).sum().backward()
        opt.step()
    with torch.no_grad():
        best = _fit_loss(fam, raw, targets, size).argmin(dim=1)
    sel = raw.detach()[torch.arange(n), best]
    return _refine_lm(fam, sel, targets, refine_iters)


def _refine_lm(fam: Family, raw: Tensor, targets: Tensor, iters: int) -> Tensor:
    """Levenberg–Marquardt on each kernel's residual ``T - a ⊗ φ̂`` (batched); raw ``(N, n_akp)``."""
    size = tuple(targets.shape[-2:])

    def resid(r: Tensor, t: Tensor) -> Tensor:
        phi = normalize_kernel(analytic_kernel(fam, fam.to_natural(r[None]), size))[0]  # type: ignore[arg-type]
        return (t - torch.einsum("chw,hw->c", t, phi)[:, None, None] * phi).flatten()

    res_fn = torch.func.vmap(resid)
    jac_fn = torch.func.vmap(torch.func.jacfwd(resid))
    mu = torch.full((raw.shape[0],), 1e-3, dtype=raw.dtype, device=raw.device)
    eye = torch.eye(raw.shape[1], dtype=raw.dtype, device=raw.device)
    res = res_fn(raw, targets)
    loss = res.pow(2).sum(-1)
    for _ in range(iters):
        jac = jac_fn(raw, targets)  # (N, m, P)
        jtj = jac.transpose(1, 2) @ jac
        damp = mu[:, None, None] * (torch.diagonal(jtj, dim1=1, dim2=2)[:, :, None] * eye + 1e-12 * eye)
        step = torch.linalg.solve(jtj + damp, -(jac.transpose(1, 2) @ res[..., None]))[..., 0]
        cand = raw + step
        cand_res = res_fn(cand, targets)
        cand_loss = cand_res.pow(2).sum(-1)
        ok = torch.isfinite(cand_loss) & (cand_loss < loss)
        raw = torch.where(ok[:, None], cand, raw)
        res = torch.where(ok[:, None], cand_res, res)
        loss = torch.where(ok, cand_loss, loss)
        mu = torch.where(ok, mu / 3, mu * 4).clamp(1e-12, 1e12)
    return raw


def fit_kernels(
    targets: Tensor,
    families: Iterable[str] = tuple(FAMILIES),
    n_starts: int = 16,
    steps: int = 300,
    lr: float = 0.05,
    refine_iters: int = 30,
    seed: int = 0,
) -> FitResult:
    """Fit one ACK ``a ⊗ φ̂(AKP)`` to each target kernel, keeping the best family (note §1.6).

    Solves ``min_{family, AKP, a} ‖a ⊗ φ̂(AKP) - T‖_F²`` per kernel: for fixed AKPs the optimal
    amplitudes are ``a_c = ⟨T_c, φ̂⟩``, so only the AKPs are optimised — multi-start Adam
    (``n_starts`` random starts per kernel, all kernels in one batch), then
    ``refine_iters`` Levenberg–Marquardt steps from the best start.

    Parameters
    ----------
    targets : Tensor ``(N, C, kh, kw)``
        The kernels to model (float64 recommended).
    families : iterable of str
        Families tried for every kernel.

    Examples
    --------
    >>> t = analytic_kernel("log", torch.tensor([[1.3]], dtype=torch.float64), (7, 7))[:, None]
    >>> fit_kernels(t, ["log"], n_starts=4, steps=50).rel_error.item() < 1e-6
    True
    """
    if targets.ndim != 4:
        raise ValueError(f"targets must be (N, C, kh, kw), got shape {tuple(targets.shape)}")
    gen = torch.Generator().manual_seed(seed)
    size = tuple(targets.shape[-2:])
    n, c = targets.shape[:2]
    norms = targets.pow(2).sum(dim=(1, 2, 3)).sqrt()
    best_err = torch.full((n,), math.inf, dtype=targets.dtype, device=targets.device)
    best_fam: list[str] = [""] * n
    best_akp: list[Tensor] = [targets.new_zeros(0)] * n
    fitted = torch.zeros_like(targets)
    amplitude = targets.new_zeros(n, c)
    for name in families:
        fam = get_family(name)
        raw = _fit_family(fam, targets, n_starts, steps, lr, refine_iters, gen)
        with torch.no_grad():
            phi = normalize_kernel(analytic_kernel(fam, fam.to_natural(raw), size))  # type: ignore[arg-type]
            amp = torch.einsum("nchw,nhw->nc", targets, phi)
            fit = compose_weight(phi, amp)
            err = (fit - targets).pow(2).sum(dim=(1, 2, 3)).sqrt() / norms.clamp_min(1e-300)
        better = err < best_err
        for i in torch.nonzero(better).flatten().tolist():
            best_fam[i], best_akp[i] = fam.name, fam.to_natural(raw[i])
        best_err = torch.where(better, err, best_err)
        fitted[better], amplitude[better] = fit[better], amp[better]
    n_params = torch.tensor([get_family(f).n_akp + c for f in best_fam])
    return FitResult(best_fam, best_akp, amplitude, fitted, best_err, n_params)
