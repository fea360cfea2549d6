"""The analytic convolutional layer (ACL): a mosaic of ACKs and ordinary kernels.

Cui et al., arXiv 2407.06087: an ACL is "a mosaic of analytical convolution kernels (ACKs) and
traditional convolution kernels", each ACK "characterized by mathematical functions governed by
analytic kernel parameters (AKPs) learned in training". How an ACK spans the input channels,
the mosaic layout and the initialisation are **our reconstruction** (the chapter page lists what is known and what is reconstructed):
one ACK spans all input channels of its group as ``W[o, c] = a[o, c] · φ̂_o`` with
``φ̂_o = φ(·; AKP_o) / ‖φ(·; AKP_o)‖_F`` (families in :mod:`cnnmath.analytic.kernels`); it costs
``|AKP| + C_in/groups`` parameters instead of ``C_in/groups · kh · kw``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnmath.analytic.kernels import (
    analytic_kernel,
    compose_weight,
    get_family,
    normalize_kernel,
)

__all__ = ["AnalyticConv2d", "acl_parameter_count", "akp_parameters", "parameter_count", "replace_conv"]


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
    """Exact number of learnable parameters of an :class:`AnalyticConv2d`.

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
    """Analytic convolutional layer: a drop-in for :class:`torch.nn.Conv2d`.

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
        ACK families, keys of ``FAMILIES``.

    Notes
    -----
    Initialisation: ordinary kernels and bias as in ``Conv2d`` (so ``ratio=0``
    draws exactly what ``Conv2d`` draws from the same seed); AKPs from each family's
    deterministic ``Family.bank``; amplitudes ``a ~ N(0, 1/(C_in/groups))``.

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
