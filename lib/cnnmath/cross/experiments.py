r"""Experiments that join the four papers (the book's chapter "Across the papers").

- :class:`ACLTemplateNet` and :func:`template_proxy_kernels`: a network whose first layer is an
  analytic convolutional layer (Cui et al., 2024) followed by a sigmoid and a convolution that
  covers the whole image is, by the Volterra view (Li et al., JMLR 2022, truncated Lemmas 12-13),
  a Volterra convolution whose order-:math:`n` proxy kernels are, per class :math:`k`,

  .. math::

     P_0^k = b^k + \sum_c \sum_s g^k_c[s]\, \sigma(b_c), \quad
     P_1^k[u] = \sum_c a_{1,c} \sum_s g^k_c[s]\, \varphi_c[u - s], \quad
     P_2^k[u, v] = \sum_c a_{2,c} \sum_s g^k_c[s]\, \varphi_c[u - s]\, \varphi_c[v - s],

  with :math:`a_{n,c} = \sigma^{(n)}(b_c)/n!` and :math:`\varphi_c` the analytic kernels.
- :class:`HeadCNN` and :func:`head_network`: a CNN whose classifier is a dense ReLU network, the
  object of Rolnick & Kording's extraction (ICML 2020) when its features can be queried.
- :func:`bank_shift_ratios`: the shift instability of max pooling after any real filter bank
  (Leterme et al.'s ratio (6.10)), to compare learned first layers with the DT-CWPT.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnmath.analytic.layer import AnalyticConv2d
from cnnmath.relu.nets import ReLUNet
from cnnmath.shift.pooling import max_pool_centred, relative_distance
from cnnmath.volterra.conv import taylor_coefficients

__all__ = [
    "ACLTemplateNet",
    "HeadCNN",
    "bank_shift_ratios",
    "head_network",
    "template_proxy_kernels",
]


class ACLTemplateNet(nn.Module):
    """``ACL(1 → C, k) → σ → Conv2d(C → n_classes, size − k + 1)``: one logit per class.

    The second convolution covers the whole ``(size − k + 1)²`` feature map, so each logit is a
    function of the whole ``size × size`` image whose order-1 proxy kernel is a ``size × size``
    template (:func:`template_proxy_kernels`).
    """

    def __init__(self, channels: int = 8, kernel_size: int = 7, size: int = 28, n_classes: int = 10,
                 families: tuple[str, ...] = ("gabor",), ratio: float = 1.0) -> None:
        super().__init__()
        if not 1 <= kernel_size <= size:
            raise ValueError(f"kernel_size must be in [1, size={size}], got {kernel_size}")
        self.acl = AnalyticConv2d(1, channels, kernel_size, ratio=ratio, families=families)
        self.out = nn.Conv2d(channels, n_classes, size - kernel_size + 1)
        self.size = size

    def forward(self, x: Tensor) -> Tensor:
        return self.out(torch.sigmoid(self.acl(x))).flatten(1)


def template_proxy_kernels(net: ACLTemplateNet, order: int = 2) -> list[Tensor]:
    r"""Closed-form proxy kernels :math:`P_0, …, P_{order}` of :class:`ACLTemplateNet` (module docstring).

    Returns ``P_0`` of shape ``(n_classes,)``, ``P_1`` of shape ``(n_classes, size, size)`` and,
    for ``order = 2``, ``P_2`` of shape ``(n_classes, size², size²)`` (symmetric), in the dtype
    of the network's parameters. ``P_n`` is the ``n``-th Taylor term at ``x = 0``: ``P_1`` is the
    Jacobian and ``P_2`` half the Hessian of the logits.
    """
    if order not in (0, 1, 2):
        raise ValueError(f"order must be 0, 1 or 2, got {order!r}")
    phi = net.acl.weight[:, 0]                       # (C, k, k), correlation kernels
    b = net.acl.bias
    g, b_out = net.out.weight, net.out.bias           # (K, C, m, m), (K,)
    n_classes, channels, m, _ = g.shape
    k, size = phi.shape[-1], net.size
    coeffs = torch.stack([
        torch.as_tensor(taylor_coefficients("sigmoid", order, float(bc)), dtype=phi.dtype)
        for bc in b.detach()
    ])                                                # (C, order + 1), a_{n,c}
    kernels = [b_out + (g.sum(dim=(2, 3)) * coeffs[:, 0]).sum(1)]
    if order == 0:
        return kernels
    # P_1^k = Σ_c a_1c (g^k_c ⋆ φ_c), the full convolution of the two correlation kernels
    p1 = F.conv_transpose2d(g * coeffs[:, 1].view(1, -1, 1, 1), phi.unsqueeze(1))
    kernels.append(p1.squeeze(1))
    if order == 2:
        # P_2^k[u, v] = Σ_c a_2c Σ_s g^k_c[s] φ_c[u − s] φ_c[v − s]: outer products of shifted φ_c
        shifted = torch.zeros(channels, m * m, size * size, dtype=phi.dtype)
        for s in range(m * m):
            i, j = divmod(s, m)
            canvas = torch.zeros(channels, size, size, dtype=phi.dtype)
            canvas[:, i:i + k, j:j + k] = phi
            shifted[:, s] = canvas.flatten(1)
        weights = g.flatten(2) * coeffs[:, 2].view(1, -1, 1)          # (K, C, m²)
        p2 = torch.einsum("kcs,csu,csv->kuv", weights, shifted, shifted)
        kernels.append(p2)
    return kernels


class HeadCNN(nn.Module):
    """``conv(1 → c1, 5) → ReLU → pool 2 → conv(c1 → c2, 3) → ReLU → pool 2 → avg-pool to 4×4``
    ``→ Linear(16 c2 → hidden) → ReLU → Linear(hidden → n_classes)``: the last two layers are the
    dense ReLU *head* that :func:`head_network` exposes."""

    def __init__(self, c1: int = 8, c2: int = 16, hidden: int = 32, n_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.hidden = nn.Linear(16 * c2, hidden)
        self.logits = nn.Linear(hidden, n_classes)

    def features(self, x: Tensor) -> Tensor:
        """The ``16 c2`` features the head reads."""
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.adaptive_avg_pool2d(x, 4).flatten(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.logits(F.relu(self.hidden(self.features(x))))


def head_network(model: HeadCNN) -> ReLUNet:
    """The dense ReLU head of ``model`` as a float64 :class:`~cnnmath.relu.nets.ReLUNet`."""
    to64 = lambda t: t.detach().cpu().double().numpy()  # noqa: E731
    return ReLUNet(
        (to64(model.hidden.weight), to64(model.logits.weight)),
        (to64(model.hidden.bias), to64(model.logits.bias)),
    )


def bank_shift_ratios(x: Tensor, x_shifted: Tensor, kernels: Tensor, m: int = 2, q: int = 1,
                      border: int = 2) -> Tensor:
    r"""Shift instability of RMax with a real filter bank, per filter: mean over images of

    .. math:: \|U(x') - U(x)\|_2 / \|U(x)\|_2, \qquad U(x) = \mathrm{MaxPool}_q\big((x \star w) \downarrow m\big),

    Leterme et al.'s ratio (6.10) with each map's own norm, for any learned first layer.
    ``x``, ``x_shifted``: ``(N, H, W)`` images and the same crops shifted; ``kernels``:
    ``(K, k, k)`` with odd ``k``. The correlation is zero-padded by ``k // 2`` (the output keeps the
    input's size, a multiple of ``2m``); ``border`` pooled outputs are dropped on each side, where
    the padding or the periodic pooling of :func:`cnnmath.shift.pooling.max_pool_centred` reach.
    """
    if x.shape != x_shifted.shape or x.dim() != 3:
        raise ValueError(f"x and x_shifted must both be (N, H, W), got {tuple(x.shape)} and {tuple(x_shifted.shape)}")
    k = kernels.shape[-1]
    if kernels.dim() != 3 or k % 2 == 0 or x.shape[-1] % (2 * m) or x.shape[-2] % (2 * m):
        raise ValueError(f"kernels must be (K, k, k) with odd k and images multiples of 2m={2 * m},"
                         f" got kernels {tuple(kernels.shape)} and images {tuple(x.shape)}")
    w = kernels.to(x.dtype).unsqueeze(1)
    maps = [max_pool_centred(F.conv2d(v.unsqueeze(1), w, stride=m, padding=k // 2), q) for v in (x, x_shifted)]
    if border:
        maps = [u[..., border:-border, border:-border] for u in maps]
    return relative_distance(maps[1], maps[0], maps[0]).mean(0)
