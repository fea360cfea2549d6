r"""Proxy kernels of a whole network, in closed form and by a hacking network (Li et al., JMLR 2022).

A network of convolutions, biases and analytic activations equals, after truncating the Taylor
series of its activations, a Volterra convolution :math:`F(x) = \sum_n P_n * x^n`; :math:`P_n` is
the network's order-:math:`n` *proxy kernel* (the paper's Section on proxy kernels). With the
order-2 kernel symmetrised, the kernels are the Taylor coefficients of :math:`F` at :math:`x = 0`:

- :math:`P_0 = F(0)` (per output channel, at an interior output position);
- :math:`P_1[c, i] = \partial F[t] / \partial x[c, S t + i]` (correlation orientation, ``S`` the
  product of the strides);
- :math:`P_2 = \tfrac12 \partial^2 F[t] / \partial x \partial x` on the receptive field.

:func:`proxy_kernels` propagates orders 0..2 layer by layer with the composition rules
(outer convolution for a convolution, Taylor coefficients at the layer's value at 0 for an
activation). :func:`hack_conv` infers the order-0/1 kernels of a black box by training a single
convolution on it (the paper's *hacking network*). Results hold for output positions whose
receptive field sees no zero padding.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from cnnmath.volterra.conv import ACTIVATIONS, outer_conv, taylor_coefficients

__all__ = [
    "ConvLayer",
    "HackConv1d",
    "apply_layers",
    "autograd_proxy_kernels",
    "conv1d_unfold",
    "fit_affine_lstsq",
    "hack_conv",
    "hack_conv1d",
    "hack_errors",
    "proxy_kernels",
    "three_layer_proxy",
    "two_layer_proxy",
    "unit_signals",
]


@dataclass(frozen=True)
class ConvLayer:
    """One layer ``activation(conv(x, weight, stride) + bias)`` of a 1-D or 2-D network.

    ``weight`` has shape ``(C_out, C_in, *K)`` (``len(K)`` = 1 or 2), ``bias`` ``(C_out,)`` or
    ``None``, ``activation`` one of ``cnnmath.volterra.conv.ACTIVATIONS`` or ``None`` (linear).
    Padding is not represented: proxy kernels describe interior outputs.
    """

    weight: torch.Tensor
    bias: torch.Tensor | None = None
    stride: int = 1
    activation: str | None = "sigmoid"


_ACTIVATIONS = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "softplus": torch.nn.functional.softplus,
    None: lambda t: t,
}


def conv1d_unfold(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride: int = 1
) -> torch.Tensor:
    """``torch.conv1d(x, weight, bias, stride)`` (no padding) as unfold + matmul.

    The same numbers (up to rounding), several times faster than torch's float64 CPU ``conv1d``
    for the small kernels used here. ``x`` ``(B, C_in, L)``, ``weight`` ``(C_out, C_in, K)``.
    """
    patches = x.unfold(-1, weight.shape[-1], stride).transpose(1, 2)  # (B, T, C_in, K)
    out = (patches.flatten(2) @ weight.flatten(1).T).transpose(1, 2)  # (B, C_out, T)
    return out if bias is None else out + bias[:, None]


class HackConv1d(torch.nn.Conv1d):
    """The 1-D hacking network: an ``nn.Conv1d`` (weight and bias) evaluated by :func:`conv1d_unfold`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv1d_unfold(x, self.weight, self.bias, self.stride[0])


def apply_layers(layers: Sequence[ConvLayer], x: torch.Tensor) -> torch.Tensor:
    """Run the network ``layers`` on a batch ``x`` of shape ``(B, C_in, L)`` or ``(B, C_in, H, W)`` (no padding)."""
    for layer in layers:
        conv = conv1d_unfold if layer.weight.ndim == 3 else torch.conv2d
        x = _ACTIVATIONS[layer.activation](conv(x, layer.weight, layer.bias, stride=layer.stride))
    return x


def _taylor012(activation: str, z: torch.Tensor) -> torch.Tensor:
    r"""Taylor coefficients :math:`\sigma(z), \sigma'(z), \sigma''(z)/2` per entry of ``z``, shape ``(C, 3)``.

    The closed forms behind :func:`cnnmath.volterra.conv.taylor_coefficients` up to order 2, vectorised.
    """
    if activation == "sigmoid":
        s = torch.sigmoid(z)
        return torch.stack([s, s * (1 - s), s * (1 - s) * (1 - 2 * s) / 2], -1)
    if activation == "tanh":
        t = torch.tanh(z)
        return torch.stack([t, 1 - t * t, -t * (1 - t * t)], -1)
    if activation == "softplus":
        s = torch.sigmoid(z)
        return torch.stack([torch.nn.functional.softplus(z), s, s * (1 - s) / 2], -1)
    raise ValueError(f"activation {activation!r} unknown; allowed: {', '.join(ACTIVATIONS)}")


def _conv_taps(weight: torch.Tensor, kernel: torch.Tensor, step: int, order: int) -> torch.Tensor:
    r"""``out[o, B_1..B_n] = Σ_{c,i} w[o, c, i] P[c, B_1 - step·i, .., B_n - step·i]`` (a conv on every factor).

    ``kernel`` has shape ``(C, (C0, *R) * order)``; each factor block is shifted by ``step·i``.
    """
    dims = weight.ndim - 2
    taps, field = weight.shape[2:], kernel.shape[2 : 2 + dims]
    grown = tuple(r + step * (k - 1) for r, k in zip(field, taps))
    block = (kernel.shape[1], *grown)
    out = kernel.new_zeros((weight.shape[0],) + block * order)
    for tap in itertools.product(*(range(k) for k in taps)):
        where = (slice(None),) + tuple(slice(step * i, step * i + r) for i, r in zip(tap, field))
        out[(slice(None),) + where * order] += torch.tensordot(weight[(..., *tap)], kernel, dims=1)
    return out


def proxy_kernels(layers: Sequence[ConvLayer], order: int = 2) -> list[torch.Tensor]:
    r"""Order-0..``order`` proxy kernels (``order`` ≤ 2) of a stack of conv layers, in closed form.

    Layer by layer, with :math:`P^{(l)}_n` the kernels of layer :math:`l`'s output and
    :math:`S` the product of the earlier strides:

    - convolution :math:`w`, bias :math:`b`: :math:`P_0 \leftarrow \sum_{c,i} w[:, c, i] P_0[c] + b`,
      :math:`P_n \leftarrow w \circledast_S P_n` (outer convolution, each factor shifted by
      :math:`S i`);
    - activation with :math:`a_k = \sigma^{(k)}(P_0)/k!` per channel: :math:`P_0 \leftarrow
      \sigma(P_0)`, :math:`P_1 \leftarrow a_1 P_1`, :math:`P_2 \leftarrow a_1 P_2 + a_2\, P_1 \otimes P_1`

    (the paper's composition lemmas truncated at order 2; exact Taylor coefficients at 0).

    Parameters
    ----------
    layers : the network, first layer first; all with the same number of spatial dims ``d``.
    order : int
        0, 1 or 2.

    Returns
    -------
    list ``[P_0, .., P_order]``: ``P_0`` shape ``(C_out,)``, ``P_1`` ``(C_out, C_in, *R)``,
    ``P_2`` ``(C_out, C_in, *R, C_in, *R)``, ``R`` the receptive field
    (``R = 1 + Σ_l S_l (K_l - 1)``).

    Examples
    --------
    >>> w = torch.ones(1, 1, 2, dtype=torch.float64)
    >>> [p.tolist() for p in proxy_kernels([ConvLayer(w, activation=None)] * 2, order=1)]
    [[0.0], [[[1.0, 2.0, 1.0]]]]
    """
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
    if not layers:
        raise ValueError("layers must hold at least one ConvLayer")
    first = layers[0].weight
    channels, dims = first.shape[1], first.ndim - 2
    eye = torch.eye(channels, dtype=first.dtype, device=first.device).reshape((channels, channels) + (1,) * dims)
    kernels = [first.new_zeros(channels), eye, first.new_zeros((channels,) + ((channels,) + (1,) * dims) * 2)]
    step = 1
    for layer in layers:
        w = layer.weight
        if w.ndim - 2 != dims or w.shape[1] != kernels[0].shape[0]:
            raise ValueError(f"layer weight of shape {tuple(w.shape)} does not follow the previous layer")
        p0 = w.sum(dim=tuple(range(2, w.ndim))) @ kernels[0]
        kernels = [p0 if layer.bias is None else p0 + layer.bias] + [
            _conv_taps(w, kernels[n], step, n) for n in (1, 2)[:order]
        ]
        step *= layer.stride
        if layer.activation is not None:
            a = _taylor012(layer.activation, kernels[0])  # (C, 3)
            scale = lambda t, k: a[:, k].reshape((-1,) + (1,) * (t.ndim - 1)) * t  # noqa: E731
            new = [a[:, 0]] + ([scale(kernels[1], 1)] if order >= 1 else [])
            if order == 2:
                p1 = kernels[1].flatten(1)
                square = (p1[:, :, None] * p1[:, None, :]).reshape(kernels[2].shape)
                new.append(scale(kernels[2], 1) + scale(square, 2))
            kernels = new
    return kernels[: order + 1]


def two_layer_proxy(g: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Closed-form :math:`P_0 = \tfrac12 \sum g`, :math:`P_1 = \tfrac14\, g \circledast h` of :math:`g * \sigma(h * x)`."""
    return g.sum() / 2, outer_conv(g, [h]) / 4


def three_layer_proxy(
    f: torch.Tensor, g: torch.Tensor, h: torch.Tensor, taylor_order: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Order-0/1 proxy kernels of :math:`f * \sigma(g * \sigma(h * x))` (1-D, no biases).

    Exact: :math:`P_0 = \sum f\, \sigma(u)`, :math:`P_1 = \tfrac14 \sigma'(u)\, f \circledast g \circledast h`
    with :math:`u = \tfrac12\sum g`. With ``taylor_order`` = 5 the sigmoid and its derivative are
    replaced by their order-5 Taylor polynomials at 0, as in the authors' code
    (:math:`\alpha = \tfrac14 - \tfrac{3}{48} u^2 + \tfrac{5}{480} u^4`).
    """
    u = float(g.sum()) / 2
    if taylor_order is None:
        value, slope = 1 / (1 + np.exp(-u)), taylor_coefficients("sigmoid", 1, u)[1]
    else:
        a = taylor_coefficients("sigmoid", taylor_order)
        value = sum(a[k] * u**k for k in range(taylor_order + 1))
        slope = sum(k * a[k] * u ** (k - 1) for k in range(1, taylor_order + 1))
    return f.sum() * value, slope / 4 * outer_conv(f, [outer_conv(g, [h])])


def autograd_proxy_kernels(
    network: Callable[[torch.Tensor], torch.Tensor],
    input_shape: Sequence[int],
    order: int = 2,
    device: torch.device | str = "cpu",
) -> list[torch.Tensor]:
    r"""Baseline: the Taylor coefficients of ``network`` at 0 by autograd (``order`` ≤ 2).

    ``network`` maps one input of shape ``input_shape`` (``(C_in, *R)``, exactly the receptive
    field) to ``(C_out,)``. Returns ``F(0)``, the Jacobian ``(C_out, *input_shape)`` and half the
    Hessian ``(C_out, *input_shape, *input_shape)``.
    """
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
    zero = torch.zeros(tuple(input_shape), dtype=torch.float64, device=device)
    out = [network(zero).detach()]
    if order >= 1:
        out.append(torch.autograd.functional.jacobian(network, zero))
    if order >= 2:
        hess = [torch.autograd.functional.hessian(lambda v, c=c: network(v)[c], zero) for c in range(out[0].numel())]
        out.append(torch.stack(hess) / 2)
    return out


def hack_conv(
    target: Callable[[torch.Tensor], torch.Tensor],
    inputs: Callable[[int], torch.Tensor],
    conv: torch.nn.Module,
    steps: int,
    lr: float = 1e-2,
    tol: float = 0.0,
) -> list[float]:
    r"""Train ``conv`` (a hacking network: one ``Conv1d``/``Conv2d`` with bias) to mimic ``target``.

    Minimises the mean squared error between ``conv(x)`` and ``target(x)`` with Adam over
    ``steps`` batches ``x = inputs(step)``, stopping once the loss falls below ``tol``. Its bias
    then estimates the order-0 proxy kernel and its weight the order-1 one (the paper's
    Section "hacking network"). Returns the loss per step.
    """
    optimiser = torch.optim.Adam(conv.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        x = inputs(step)
        with torch.no_grad():
            y = target(x)
        loss = torch.nn.functional.mse_loss(conv(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
        if loss.item() < tol:
            break
    return losses


def unit_signals(batch: int, length: int, generator: torch.Generator, device: torch.device | str) -> torch.Tensor:
    """``batch`` signals ``(batch, 1, length)`` from N(0, 1) (drawn on the CPU generator), unit L2 norm each."""
    x = torch.randn(batch, 1, length, generator=generator, dtype=torch.float64).to(device)
    return x / x.norm(dim=-1, keepdim=True)


def hack_conv1d(
    network: Callable[[torch.Tensor], torch.Tensor],
    kernel_size: int,
    generator: torch.Generator,
    steps: int = 1000,
    batch: int = 16,
    length: int = 512,
    lr: float = 1e-2,
    tol: float = 1e-8,
    device: torch.device | str = "cpu",
) -> tuple[float, torch.Tensor, int]:
    r"""The authors' 1-D recipe: a ``Conv1d(1, 1, K)`` trained on fresh unit-norm Gaussian signals.

    Each step draws ``batch`` signals of ``length`` samples from :math:`N(0, 1)` scaled to unit
    norm; Adam (``lr``), MSE, at most ``steps`` steps, early stop at MSE < ``tol``; float64.

    Returns
    -------
    (bias, weight of shape ``(K,)`` in correlation orientation, number of steps taken)
    """
    conv = HackConv1d(1, 1, kernel_size, dtype=torch.float64)
    with torch.no_grad():  # torch's default initialisation, drawn from our generator
        bound = 1 / kernel_size**0.5
        conv.weight.uniform_(-bound, bound, generator=generator)
        conv.bias.uniform_(-bound, bound, generator=generator)
    conv = conv.to(device)
    losses = hack_conv(network, lambda _: unit_signals(batch, length, generator, device), conv, steps, lr, tol)
    return conv.bias.item(), conv.weight.detach()[0, 0], len(losses)


def hack_errors(
    network: Callable[[torch.Tensor], torch.Tensor],
    kernels: Sequence[torch.Tensor],
    bias: float,
    weight: torch.Tensor,
    generator: torch.Generator,
    n_signals: int = 256,
    length: int = 512,
    device: torch.device | str = "cpu",
) -> dict[str, float]:
    r"""Errors of a hacked affine model ``bias + weight * x`` against the true proxy kernels, with bounds.

    ``kernels`` are the closed-form ``[P_0, P_1, P_2]`` of a 1-D single-channel ``network``
    (``P_1`` of shape ``(K,)``, ``P_2`` ``(K, K)``). On ``n_signals`` fresh unit-norm Gaussian
    signals of length :math:`L` the hacked model's mean squared error :math:`M` is measured.
    Its error is :math:`\delta - c + e \cdot p + z` with :math:`\delta = b - P_0`, the kernel
    error :math:`e` on the window :math:`p`, and the higher-order terms split into their mean
    :math:`c` and a zero-mean rest :math:`z`. With :math:`E[p p^T] = I/L` (uniform on the
    sphere) the order-2 term has mean :math:`c = \operatorname{tr}(P_2)/L` (orders 4, 6, .. add
    :math:`O(L^{-2})`), so :math:`M \ge (\delta - c)^2`: ``bound0`` :math:`= \sqrt{M}` bounds
    ``err0_shifted`` :math:`= |b - P_0 - c|`. The kernel term alone has mean square
    :math:`\|e\|^2/L`, so ``bound1`` :math:`= \sqrt{L M}/\|P_1\|` is the relative kernel error
    that :math:`M` allows when the other terms are negligible.

    Returns
    -------
    dict with ``err0`` (:math:`|b - P_0|`), ``shift`` (:math:`c`), ``err0_shifted``, ``rel1``
    (:math:`\|w - P_1\| / \|P_1\|`), ``mse``, ``bound0``, ``bound1``.
    """
    p0, p1, p2 = (torch.as_tensor(k).squeeze() for k in kernels[:3])
    x = unit_signals(n_signals, length, generator, device)
    mse = torch.mean((conv1d_unfold(x, weight.reshape(1, 1, -1).to(x)) + bias - network(x)) ** 2).item()
    shift = p2.diagonal().sum().item() / length
    return {
        "err0": abs(bias - p0.item()),
        "shift": shift,
        "err0_shifted": abs(bias - p0.item() - shift),
        "rel1": ((weight - p1).norm() / p1.norm()).item(),
        "mse": mse,
        "bound0": mse**0.5,
        "bound1": (length * mse) ** 0.5 / p1.norm().item(),
    }


def fit_affine_lstsq(
    network: Callable[[torch.Tensor], torch.Tensor],
    kernel_size: int,
    generator: torch.Generator,
    n_signals: int = 64,
    length: int = 512,
    device: torch.device | str = "cpu",
) -> tuple[float, torch.Tensor]:
    r"""Least-squares fit of ``b + w * x`` to ``network`` on unit-norm Gaussian signals.

    The optimum the hacking network aims at, without optimiser noise. Its order-1 estimate is
    biased by the odd higher-order terms: for :math:`g * \sigma(h * x)` the cubic term shifts
    :math:`w` by a relative :math:`3 |a_3 / a_1| \operatorname{Var}(h * x) = 3 \cdot \tfrac1{12}
    \cdot \tfrac1{L}` for unit-norm signals of length :math:`L`.
    """
    x = unit_signals(n_signals, length, generator, device)
    y = network(x)[:, 0]  # (N, T)
    patches = x[:, 0].unfold(-1, kernel_size, 1)  # (N, T, K)
    design = torch.cat([torch.ones_like(patches[..., :1]), patches], -1).reshape(-1, kernel_size + 1)
    sol = torch.linalg.lstsq(design, y.reshape(-1, 1)).solution[:, 0]
    return sol[0].item(), sol[1:]
