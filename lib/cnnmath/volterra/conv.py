r"""Volterra convolutions (Li, Zhou, Qiu, Zhao, JMLR 2022).

Conventions (those of the authors' code): the order-:math:`n` convolution is a "valid"
cross-correlation with one kernel axis per factor,

.. math:: (H * x^n)[t] = \sum_{i_1..i_n=0}^{K-1} H[i_1,\dots,i_n] \prod_{k=1}^{n} x[s t + i_k],

:math:`n = 1` being what ``torch.conv1d`` computes, and a Volterra convolution is
:math:`F(x) = \sum_{n=0}^{N} H_n * x^n` with :math:`H_0` a scalar.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.polynomial import Polynomial

from cnnmath.volterra.lags import lag_conv1d
from cnnmath.volterra.windows import WORK_ELEMENTS, _Forms, column_forms

__all__ = [
    "ACTIVATIONS",
    "annihilated_signal",
    "compose_volterra",
    "conv_activation_kernels",
    "numerical_rank",
    "order_n_conv1d",
    "order_n_conv2d",
    "outer_conv",
    "outer_conv_diag",
    "perturbation_expectation",
    "taylor_coefficients",
    "term_counts",
    "volterra_conv1d",
]

ACTIVATIONS = ("sigmoid", "tanh", "softplus")


def order_n_conv1d(kernel: torch.Tensor, x: torch.Tensor, stride: int = 1) -> torch.Tensor:
    r"""Order-:math:`n` convolution :math:`(H * x^n)[t]` of the paper (Definition of order-n conv).

    Parameters
    ----------
    kernel : Tensor, shape ``(K,) * n``
        The order-``n`` kernel :math:`H` (``n = kernel.ndim``, all axes of equal length ``K``).
    x : Tensor, shape ``(..., L)``
        Signals, any batch shape.
    stride : int
        Step :math:`s` between output positions.

    Returns
    -------
    Tensor, shape ``(..., T)`` with ``T = (L - K) // stride + 1``.

    At stride 1 and order ``n >= 2``, computed by :func:`cnnmath.volterra.lags.lag_conv1d`: the
    products of ``n − 1`` samples are formed once per sample and shared by the ``K`` windows that
    contain them. Otherwise by :func:`cnnmath.volterra.windows.column_forms`, on the windows as a
    strided view of the signals (``Tensor.unfold``, ``(K, signals, T)``, no copy; none straddles
    two signals). Both work in blocks, so the memory beyond input, output and kernel stays bounded.

    Examples
    --------
    >>> h, x = torch.tensor([1.0, 2.0]), torch.tensor([1.0, 0.0, 3.0])
    >>> order_n_conv1d(h, x).tolist()
    [1.0, 6.0]
    """
    if kernel.ndim < 1 or len(set(kernel.shape)) != 1:
        raise ValueError(f"kernel must have n >= 1 axes of equal length, got shape {tuple(kernel.shape)}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    size, order, length = kernel.shape[0], kernel.ndim, x.shape[-1]
    if length < size:
        raise ValueError(f"signal length {length} is shorter than the kernel length {size}")
    signals = x.reshape(-1, length)
    if len(signals) == 0:
        return x.new_empty(*x.shape[:-1], (length - size) // stride + 1)
    if stride == 1 and order > 1:
        return lag_conv1d(kernel, signals).reshape(*x.shape[:-1], -1)
    columns = signals.unfold(-1, size, stride).permute(2, 0, 1)  # (K, signals, T): a view
    return column_forms(columns, kernel[None], order)[0].reshape(*x.shape[:-1], -1)


def volterra_conv1d(kernels: Sequence[torch.Tensor | float], x: torch.Tensor) -> torch.Tensor:
    r"""Volterra convolution :math:`\sum_{n=0}^{N} H_n * x^n` (stride 1).

    ``kernels[0]`` is the order-0 term (a scalar), ``kernels[n]`` an order-``n`` kernel; all
    kernels of order ``n >= 1`` must have the same length so that the outputs align. ``None``
    entries (orders absent from the series) are skipped.
    """
    sizes = {k.shape[0] for k in kernels[1:] if k is not None}
    if len(sizes) != 1:
        raise ValueError(f"kernels of order >= 1 must share one length, got lengths {sorted(sizes)}")
    out = sum(order_n_conv1d(k, x) for k in kernels[1:] if k is not None)
    return out + torch.as_tensor(kernels[0], dtype=x.dtype)


def taylor_coefficients(activation: str, order: int, at: float = 0.0) -> np.ndarray:
    r"""Taylor coefficients :math:`a_k = \sigma^{(k)}(b)/k!`, :math:`k = 0..` ``order``, at :math:`b` = ``at``.

    Derivatives come from exact polynomial recurrences: for the sigmoid
    :math:`\sigma' = \sigma(1-\sigma)`, so :math:`\sigma^{(k)} = P_k(\sigma)` with
    :math:`P_{k+1}(s) = P_k'(s)\, s(1-s)`; for tanh :math:`P_{k+1}(t) = P_k'(t)(1-t^2)`; softplus'
    derivatives are the sigmoid's shifted by one. At 0 the sigmoid gives
    :math:`1/2, 1/4, 0, -1/48, 0, 1/480, \dots` (the expansion behind the paper's Fig. 6).

    >>> np.round(taylor_coefficients("sigmoid", 5) * 480, 12).tolist()
    [240.0, 120.0, 0.0, -10.0, 0.0, 1.0]
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation {activation!r} unknown; allowed: {', '.join(ACTIVATIONS)}")
    if not isinstance(order, int) or order < 0:
        raise ValueError(f"order must be a non-negative int, got {order!r}")
    if activation == "tanh":
        value, flow = math.tanh(at), Polynomial([1.0, 0.0, -1.0])
        count = order
    else:  # sigmoid and softplus share the sigmoid's polynomials
        value, flow = 1.0 / (1.0 + math.exp(-at)), Polynomial([0.0, 1.0, -1.0])
        count = order if activation == "sigmoid" else max(order - 1, 0)
    poly, derivs = Polynomial([0.0, 1.0]), []
    for _ in range(count + 1):
        derivs.append(poly(value))
        poly = poly.deriv() * flow
    if activation == "softplus":
        derivs = [math.log1p(math.exp(at))] + derivs[: order]
    return np.array([d / math.factorial(k) for k, d in enumerate(derivs[: order + 1])])


def outer_conv_diag(g: torch.Tensor, h: torch.Tensor, copies: int, stride: int = 1) -> torch.Tensor:
    r"""Outer convolution of a diagonal kernel with ``copies`` order-1 kernels (composition rule).

    .. math:: (\operatorname{diag}(g) \circledast h^{\otimes m})[o_1..o_m]
              = \sum_k g[k] \prod_{j=1}^{m} h[o_j - s k],

    so that :math:`g * (h *_s x)^m = (\operatorname{diag}(g) \circledast h^{\otimes m}) * x^m`
    (the paper's rule for a convolution after a power; ``s`` is the inner stride).

    Returns a tensor of shape ``(L,) * copies`` with ``L = len(h) + stride * (len(g) - 1)``.
    """
    if g.ndim != 1 or h.ndim != 1:
        raise ValueError(f"g and h must be 1-D, got shapes {tuple(g.shape)} and {tuple(h.shape)}")
    if not isinstance(copies, int) or copies < 1:
        raise ValueError(f"copies must be a positive int, got {copies!r}")
    length = h.shape[0] + stride * (g.shape[0] - 1)
    shifted = h.new_zeros(g.shape[0], length)  # shifted[k, o] = h[o - s k]
    for k in range(g.shape[0]):
        shifted[k, stride * k : stride * k + h.shape[0]] = h
    out = g.to(h.dtype).reshape(-1, *([1] * copies))
    for j in range(copies):
        view = [g.shape[0]] + [1] * copies
        view[j + 1] = length
        out = out * shifted.reshape(view)
    return out.sum(0)


def conv_activation_kernels(
    g: torch.Tensor, h: torch.Tensor, activation: str, order: int, bias: float = 0.0
) -> list[torch.Tensor | None]:
    r"""Volterra kernels of :math:`g * \sigma(h * x + b)`, truncated at ``order`` (truncated Lemma 12).

    .. math:: g * \sigma(h * x + b) = \sum_k a_k\, (\operatorname{diag}(g) \circledast h^{\otimes k}) * x^k,
              \qquad a_k = \sigma^{(k)}(b)/k!,

    with the order-0 term :math:`a_0 \sum g`. Orders whose coefficient is exactly zero are ``None``.
    """
    coeffs = taylor_coefficients(activation, order, bias)
    kernels: list[torch.Tensor | None] = [torch.as_tensor(coeffs[0] * g.sum().item(), dtype=h.dtype)]
    for k in range(1, order + 1):
        kernels.append(None if coeffs[k] == 0.0 else coeffs[k] * outer_conv_diag(g, h, k))
    return kernels


def order_n_conv2d(
    kernel: torch.Tensor, x: torch.Tensor, order: int, stride: int = 1, padding: int = 0
) -> torch.Tensor:
    r"""Order-:math:`n` convolution of multi-channel images (the 2-D form of the paper's Definition).

    .. math:: (H * x^n)[o, t_1, t_2] = \sum H[o, (c_1, i_1, j_1), \dots, (c_n, i_n, j_n)]
              \prod_{k=1}^{n} x[c_k,\, s t_1 + i_k - p,\, s t_2 + j_k - p],

    one (channel, row, column) block of kernel axes per factor; ``order = 1`` is ``torch.conv2d``.

    Parameters
    ----------
    kernel : Tensor, shape ``(C_out,) + (C_in, K1, K2) * order``
    x : Tensor, shape ``(B, C_in, H, W)``
    order : int
        ``n >= 1``.
    stride, padding : int
        As in ``torch.conv2d`` (zero padding ``p`` on every side).

    Returns
    -------
    Tensor, shape ``(B, C_out, T1, T2)``, ``T = (H + 2p - K) // s + 1``.

    Examples
    --------
    >>> h = torch.ones(1, 1, 1, 2, 1, 1, 2)          # order 2, 1x2 windows
    >>> order_n_conv2d(h, torch.tensor([[[[1.0, 2.0]]]]), 2).item()   # (1 + 2)^2
    9.0
    """
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"order must be a positive int, got {order!r}")
    if kernel.ndim != 1 + 3 * order:
        raise ValueError(f"kernel of order {order} must have {1 + 3 * order} axes, got shape {tuple(kernel.shape)}")
    block = tuple(kernel.shape[1:4])
    if tuple(kernel.shape[1:]) != block * order or x.ndim != 4 or x.shape[1] != block[0]:
        raise ValueError(f"kernel shape {tuple(kernel.shape)} does not fit images of shape {tuple(x.shape)}")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    rows = (x.shape[2] + 2 * padding - block[1]) // stride + 1
    cols = (x.shape[3] + 2 * padding - block[2]) // stride + 1
    size = math.prod(block)  # C_in*K1*K2, ordered (channel, row, column) like a kernel block
    per_image = max(1, WORK_ELEMENTS // (size * rows * cols))  # images unfolded at a time
    out = x.new_empty(x.shape[0], kernel.shape[0], rows, cols)
    forms_of = _Forms(kernel.reshape(kernel.shape[0], *(size,) * order).to(x.dtype), size, order)  # once for all images
    for b in range(0, x.shape[0], per_image):
        patches = torch.nn.functional.unfold(x[b : b + per_image], block[1:], padding=padding, stride=stride)
        forms = forms_of(patches.transpose(0, 1))  # (C_out, images, T); the windows are not copied
        out[b : b + per_image] = forms.reshape(kernel.shape[0], -1, rows, cols).transpose(0, 1)
    return out


def _shift_embed(h: torch.Tensor | float, copies: int, stride: int) -> torch.Tensor:
    """``S[i, o] = h[o - s i (1, .., 1)]`` for ``i < copies``: each axis of h padded by ``s (copies - 1)``."""
    h = torch.as_tensor(h)
    if h.ndim == 0:
        return h.expand(copies)
    out = h.new_zeros((copies,) + tuple(n + stride * (copies - 1) for n in h.shape))
    for i in range(copies):
        out[(i,) + tuple(slice(stride * i, stride * i + n) for n in h.shape)] = h
    return out


def outer_conv(g: torch.Tensor, hs: Sequence[torch.Tensor | float], stride: int = 1) -> torch.Tensor:
    r"""Outer convolution :math:`G \circledast (H_1, \dots, H_m)` (the paper's composition operator).

    .. math:: (G \circledast (H_1..H_m))[o_1..o_m] = \sum_{i_1..i_m} G[i_1..i_m]
              \prod_{k} H_k[o_k - s\, i_k (1,\dots,1)],

    :math:`o_k` being the multi-index over :math:`H_k`'s axes. It realises the rule
    :math:`G * (H_1 * x^{n_1}, \dots, H_m * x^{n_m}) = (G \circledast (H_1..H_m)) * x^{n_1+\dots+n_m}`
    (with the inner stride ``s`` and the outer one multiplied). An order-0 factor (a scalar
    :math:`h_0`) contributes :math:`h_0` and sums :math:`G` over its axis. The kernels may have any
    shapes (e.g. 2-D image kernels, as in the paper's rank and support figures); the composition
    rule for :func:`order_n_conv1d` needs them cubic with one common length.

    Parameters
    ----------
    g : Tensor with m axes, shape ``(K_1, .., K_m)``
    hs : m kernels, each a scalar or a tensor of any shape
    stride : int
        Stride ``s`` of the inner convolutions.

    Returns
    -------
    Tensor with the axes of all ``H_k`` in turn, axis ``a`` of block ``k`` of length
    ``H_k.shape[a] + s (K_k - 1)`` (a 0-d tensor if every ``H_k`` is a scalar).

    Examples
    --------
    >>> outer_conv(torch.tensor([1.0, 2.0]), [torch.tensor([1.0, 1.0])]).tolist()  # np.convolve
    [1.0, 3.0, 2.0]
    """
    if g.ndim != len(hs):
        raise ValueError(f"g has {g.ndim} axes but {len(hs)} kernels were given; they must match")
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f"stride must be a positive int, got {stride!r}")
    out = g
    for k, h in enumerate(hs):  # contract G's leading axis with S[i, ...]; new axes are appended at the end
        embedded = _shift_embed(h, g.shape[k], stride).to(g.dtype)
        out = torch.tensordot(out, embedded, dims=([0], [0]))
    return out


def compose_volterra(
    outer: Sequence[torch.Tensor | float | None], inner: Sequence[torch.Tensor | float | None]
) -> list[torch.Tensor | None]:
    r"""Kernels of a Volterra convolution of a Volterra convolution (the paper's Lemma 13, truncated).

    With :math:`y = \sum_{n=0}^{N} H_n * x^n` and :math:`z = \sum_{m=0}^{M} G_m * y^m` (stride 1),

    .. math:: z = \sum_{m} \sum_{(n_1..n_m)} (G_m \circledast (H_{n_1}, \dots, H_{n_m})) * x^{n_1+\dots+n_m},

    so the order-:math:`k` kernel collects every tuple with :math:`\sum n_j = k`; the result is
    exact up to order :math:`N M`. For :math:`N = M = 2` it gives the five kernels
    :math:`f_0..f_4` written out in the authors' validation code.

    Parameters
    ----------
    outer, inner : kernels ``[G_0, G_1, ..]`` and ``[H_0, H_1, ..]``; index = order, entry 0 a
        scalar, ``None`` for an absent order. All inner kernels of order >= 1 share one length.

    Returns
    -------
    list of length ``N M + 1``: order-``k`` kernel (``(K_H + K_G - 1,) * k``) or ``None``.
    """
    n_max, m_max = len(inner) - 1, len(outer) - 1
    result: list[torch.Tensor | None] = [None] * (n_max * m_max + 1)

    def add(order: int, term: torch.Tensor) -> None:
        result[order] = term if result[order] is None else result[order] + term

    if outer[0] is not None:
        add(0, torch.as_tensor(outer[0]))
    for m in range(1, m_max + 1):
        if outer[m] is None:
            continue
        for degrees in itertools.product(range(n_max + 1), repeat=m):
            if any(inner[d] is None for d in degrees):
                continue
            add(sum(degrees), outer_conv(outer[m], [inner[d] for d in degrees]))
    return result


def term_counts(inner_order: int, outer_order: int) -> list[int]:
    r"""Number of outer-convolution terms per output order when composing Volterra convolutions.

    Counts the tuples :math:`(d_1..d_i)`, :math:`i = 0..M`, :math:`d_j \in \{0..N\}` of
    :func:`compose_volterra` by :math:`\sum d_j`: the coefficients of
    :math:`\sum_{i=0}^{M} (1 + t + \dots + t^{N})^i` (``multinomial_factors_sum`` in the authors' code).

    >>> term_counts(2, 2)
    [3, 3, 4, 2, 1]
    """
    for name, value in (("inner_order", inner_order), ("outer_order", outer_order)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    base, total, power = Polynomial([1] * (inner_order + 1)), Polynomial([0]), Polynomial([1])
    for _ in range(outer_order + 1):
        total, power = total + power, power * base
    return [int(round(c)) for c in total.coef]


def perturbation_expectation(x: torch.Tensor, y: torch.Tensor, order: int, size: int) -> float:
    r"""Exact :math:`E\|H * x^n - H * y^n\|^2` for :math:`H` uniform on the unit sphere of :math:`\mathbb{R}^{K^n}`.

    With :math:`p_t(\cdot)` the length-:math:`K` window at :math:`t`, :math:`E[H H^T] = I / K^n` gives

    .. math:: K^{-n} \sum_t \big(\|p_t(y)\|^{2n} + \|p_t(x)\|^{2n} - 2\,(p_t(x) \cdot p_t(y))^n\big).

    Parameters
    ----------
    x, y : Tensor, shape ``(L,)``
    order, size : int
        ``n`` and ``K``.
    """
    px, py = x.unfold(-1, size, 1), y.unfold(-1, size, 1)
    nx, ny, cross = (px * px).sum(-1), (py * py).sum(-1), (px * py).sum(-1)
    return float((ny**order + nx**order - 2 * cross**order).sum() / size**order)


def annihilated_signal(kernel: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    r"""A random signal whose valid correlation with ``kernel`` vanishes: :math:`\sum_i k[i]\, x[t+i] = 0`.

    The generator of the authors' ``conv_zero.zero_conv_signal_1d`` (credited; re-implemented): the
    first ``K − 1`` samples are drawn from :math:`N(0, 1)`, each next one is solved from the equation
    :math:`x[t+K-1] = -\sum_{i<K-1} k[i]\, x[t+i] / k[K-1]`. For the all-ones filter of length
    ``K`` this gives a zero-sum, ``K``-periodic signal; such signals span a space of dimension
    ``K − 1`` (used for the rank-after-convolution figure).
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.ndim != 1 or len(kernel) < 2 or kernel[-1] == 0:
        raise ValueError(f"kernel must be 1-D, of length >= 2, with a non-zero last tap; got {kernel!r}")
    if length < len(kernel):
        raise ValueError(f"length must be >= the kernel length {len(kernel)}, got {length!r}")
    x = np.zeros(length)
    x[: len(kernel) - 1] = rng.standard_normal(len(kernel) - 1)
    for t in range(length - len(kernel) + 1):
        x[t + len(kernel) - 1] = -(kernel[:-1] @ x[t : t + len(kernel) - 1]) / kernel[-1]
    return x


def numerical_rank(matrix: np.ndarray | torch.Tensor, rtol: float = 1e-10) -> int:
    """Number of singular values above ``rtol`` times the largest one."""
    s = np.linalg.svd(np.asarray(matrix, dtype=np.float64), compute_uv=False)
    return int((s > rtol * s[0]).sum()) if s[0] > 0 else 0
