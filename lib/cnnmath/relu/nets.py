"""ReLU networks: the paper's target networks and their training.

The networks of Rolnick & Kording (ICML 2020), §6: fully connected ReLU networks with i.i.d.
normal weights of variance ``2/fan_in`` and i.i.d. ``N(0, 1)`` biases, used untrained or trained
with Adam and softmax cross-entropy on MNIST (784 → … → 10) or on a memorization task (1000
Gaussian points in ℝ¹⁰ with random binary labels). The extractor (:mod:`cnnmath.relu.extract`)
sees a network only through a :class:`~cnnmath.relu.oracle.Oracle`.

Used by the notebooks of ``nbsrc/relu/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

__all__ = [
    "ReLUNet",
    "memorization_data",
    "random_relu_net",
    "train_relu_net",
]


@dataclass(frozen=True)
class ReLUNet:
    """A fully connected ReLU network ``N(x) = W_L ReLU(… ReLU(W_1 x + b_1) …) + b_L``.

    Parameters
    ----------
    weights : tuple of ndarray
        ``weights[k]`` has shape ``(n_{k+1}, n_k)``, float64; the last one is the linear output layer.
    biases : tuple of ndarray
        ``biases[k]`` has shape ``(n_{k+1},)``, float64.
    """

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("weights and biases must be non-empty and of equal length")
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"layer {k}: weight {w.shape} and bias {b.shape} do not fit")
            if k and w.shape[1] != self.weights[k - 1].shape[0]:
                raise ValueError(f"layer {k}: expects {w.shape[1]} inputs, previous layer has "
                                 f"{self.weights[k - 1].shape[0]} outputs")

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_in, n_1, …, n_out)``."""
        return (self.weights[0].shape[1],) + tuple(w.shape[0] for w in self.weights)

    def preactivations(self, x: np.ndarray) -> list[np.ndarray]:
        """Pre-activations ``z_k(x)`` of every hidden layer, each ``(m, n_k)`` (white box, for scoring).

        >>> net = random_relu_net((2, 3, 1), np.random.default_rng(0))
        >>> [z.shape for z in net.preactivations(np.zeros((4, 2)))]
        [(4, 3)]
        """
        h = np.atleast_2d(np.asarray(x, dtype=np.float64))
        out = []
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            z = h @ w.T + b
            out.append(z)
            h = np.maximum(z, 0.0)
        return out

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """``N(x)`` for ``x`` of shape ``(m, n_in)``; returns ``(m, n_out)`` float64."""
        h = np.atleast_2d(np.asarray(x, dtype=np.float64))
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = np.maximum(h @ w.T + b, 0.0)
        return h @ self.weights[-1].T + self.biases[-1]


def random_relu_net(sizes: Sequence[int], rng: np.random.Generator) -> ReLUNet:
    """He-initialised network of the paper (§6): ``W ~ N(0, 2/fan_in)``, ``b ~ N(0, 1)``.

    Parameters
    ----------
    sizes : sequence of int
        ``(n_in, n_1, …, n_out)``, at least one hidden layer.
    rng : numpy Generator

    >>> random_relu_net((10, 20, 20, 1), np.random.default_rng(0)).sizes
    (10, 20, 20, 1)
    """
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 3 or min(sizes) < 1:
        raise ValueError(f"sizes must be (n_in, n_1, ..., n_out) with ≥ 1 hidden layer, got {sizes}")
    weights = tuple(rng.normal(0.0, np.sqrt(2.0 / a), size=(b, a)) for a, b in zip(sizes, sizes[1:]))
    biases = tuple(rng.normal(0.0, 1.0, size=b) for b in sizes[1:])
    return ReLUNet(weights, biases)


def memorization_data(
    rng: np.random.Generator, n_points: int = 1000, n_in: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The paper's memorization task (§6): ``N(0, I)`` points in ℝ^n_in with random binary labels.

    Returns ``x`` of shape ``(n_points, n_in)`` float64 and labels ``(n_points,)`` int64 in {0, 1}.
    """
    return rng.normal(size=(n_points, n_in)), rng.integers(0, 2, size=n_points)


def train_relu_net(
    net: ReLUNet,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    seed: int,
    lr: float = 1e-3,
    batch_size: int = 100,
    device: str | torch.device = "cpu",
) -> tuple[ReLUNet, float]:
    """Train ``net`` with Adam and softmax cross-entropy (§6), in float64; return it and train accuracy.

    The paper gives neither learning rate nor batch size; Adam's default ``lr = 1e-3`` and
    mini-batches of 100 are our choice.

    Parameters
    ----------
    net : ReLUNet
        Initial network; its output width is the number of classes.
    x : ndarray, shape (N, n_in)
    y : ndarray, shape (N,), int labels
    epochs, seed, lr, batch_size : training schedule (the shuffling is seeded by ``seed``)
    device : torch device for the training only; the result is a float64 numpy network.
    """
    if epochs < 0:
        raise ValueError(f"epochs must be ≥ 0, got {epochs}")
    dev = torch.device(device)
    params = []
    for w, b in zip(net.weights, net.biases):
        params += [torch.tensor(w, dtype=torch.float64, device=dev, requires_grad=True),
                   torch.tensor(b, dtype=torch.float64, device=dev, requires_grad=True)]
    xt = torch.tensor(x, dtype=torch.float64, device=dev)
    yt = torch.tensor(y, dtype=torch.int64, device=dev)

    def forward(inp: torch.Tensor) -> torch.Tensor:
        h = inp
        for k in range(0, len(params) - 2, 2):
            h = torch.relu(h @ params[k].T + params[k + 1])
        return h @ params[-2].T + params[-1]

    opt = torch.optim.Adam(params, lr=lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(xt), generator=gen).split(batch_size):
            idx = idx.to(dev)
            opt.zero_grad()
            torch.nn.functional.cross_entropy(forward(xt[idx]), yt[idx]).backward()
            opt.step()
    with torch.no_grad():
        acc = float((forward(xt).argmax(1) == yt).double().mean())
    arrays = [p.detach().cpu().numpy().copy() for p in params]
    return ReLUNet(tuple(arrays[0::2]), tuple(arrays[1::2])), acc
