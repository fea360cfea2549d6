r"""The small all-sigmoid MNIST classifier of Li et al. (JMLR 2022) and its proxy-kernel experiments.

Architecture (authors' ``mnist_module.py``, 2,940 parameters)::

    Conv2d(1,10,3,s2,p1) → σ → Conv2d(10,10,3,s2,p1) → σ → Conv2d(10,10,3,s2) → σ
    → Conv2d(10,10,3) → mean over H, W → σ → Linear(10,10)         28 → 14 → 7 → 3 → 1

Its first three layers (up to the third sigmoid) compose to one ``Conv2d(1, 10, 15, stride 8,
padding 3)`` at order 1: the geometry of the paper's MNIST hacking network.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnmath.volterra.proxy import ConvLayer, hack_conv

__all__ = [
    "SigmoidClassifier",
    "accuracy",
    "hack_layer3",
    "kernel_patch",
    "patch_predictions",
    "pick_correct",
    "train_classifier",
]


class SigmoidClassifier(nn.Module):
    """The authors' MNIST classifier; ``features(x, k)`` is the output after the ``k``-th sigmoid."""

    def __init__(self) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            [
                nn.Conv2d(1, 10, 3, stride=2, padding=1),
                nn.Conv2d(10, 10, 3, stride=2, padding=1),
                nn.Conv2d(10, 10, 3, stride=2),
                nn.Conv2d(10, 10, 3),
            ]
        )
        self.linear = nn.Linear(10, 10)

    def features(self, x: torch.Tensor, k: int = 3) -> torch.Tensor:
        """``(B, 1, 28, 28)`` → output after layer ``k`` and its sigmoid, ``k`` in 1..3."""
        for conv in self.convs[:k]:
            x = torch.sigmoid(conv(x))
        return x

    def rest(self, y: torch.Tensor, k: int = 3) -> torch.Tensor:
        """Layers after ``k``: the remaining convs, spatial mean, sigmoid, linear → logits ``(B, 10)``."""
        for conv in self.convs[k:-1]:
            y = torch.sigmoid(conv(y))
        return self.linear(torch.sigmoid(self.convs[-1](y).mean(dim=(2, 3))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, 10)`` of images ``(B, 1, 28, 28)`` in [0, 1]."""
        return self.rest(self.features(x, 3), 3)

    def proxy_layers(self, k: int = 3) -> list[ConvLayer]:
        """The first ``k`` layers as :class:`cnnmath.volterra.proxy.ConvLayer` (float64, padding dropped)."""
        return [
            ConvLayer(c.weight.detach().double(), c.bias.detach().double(), c.stride[0], "sigmoid")
            for c in self.convs[:k]
        ]


def train_classifier(
    model: SigmoidClassifier,
    images: torch.Tensor,
    labels: torch.Tensor,
    epochs: int,
    generator: torch.Generator,
    batch: int = 128,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    noise: float = 0.2,
    schedule: str = "constant",
) -> list[float]:
    """The authors' recipe (``mnist_train.py``): Adam, cross-entropy, noise augmentation.

    Per batch, with probability 0.1 Gaussian noise ``N(0, noise²)`` is added, with probability
    0.1 uniform noise ``U[0, noise)``, otherwise the batch is clean. ``images`` ``(N, 1, 28, 28)``
    in [0, 1]. ``schedule``: ``"constant"`` (the authors') or ``"cosine"`` (the step size decays
    per batch as ``lr · (1 + cos(π·step/steps))/2`` to 0 at the last batch). Returns the mean
    training loss per epoch.
    """
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got {schedule!r}")
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * -(-len(labels) // batch)
    decay = (lambda step: 0.5 * (1 + np.cos(np.pi * step / steps))) if schedule == "cosine" else (lambda step: 1.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, decay)
    history = []
    for _ in range(epochs):
        order, total = torch.randperm(len(labels), generator=generator), 0.0
        for start in range(0, len(labels), batch):
            idx = order[start : start + batch]
            x, draw = images[idx], torch.rand((), generator=generator).item()
            if draw < 0.1:
                x = x + noise * torch.randn(x.shape, generator=generator).to(x)
            elif draw < 0.2:
                x = x + noise * torch.rand(x.shape, generator=generator).to(x)
            loss = nn.functional.cross_entropy(model(x), labels[idx])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            scheduler.step()
            total += loss.item() * len(idx)
        history.append(total / len(labels))
    return history


@torch.no_grad()
def accuracy(predict, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Fraction of ``images`` whose arg-max of ``predict(images)`` equals ``labels``."""
    return (predict(images).argmax(1) == labels).double().mean().item()


def hack_layer3(
    model: SigmoidClassifier,
    images: torch.Tensor,
    epochs: int,
    generator: torch.Generator,
    batch: int = 64,
    lr: float = 1e-2,
) -> nn.Conv2d:
    """The paper's MNIST hacking network: ``Conv2d(1, 10, 15, 8, 3)`` fitted to ``model.features(x, 3)``.

    Trained with MSE and Adam on the (shuffled) training images, as ``mnist_hack.py`` does; its
    weight ``(10, 1, 15, 15)`` estimates the order-1 proxy kernels of layer 3, its bias the order-0.
    """
    hacker = nn.Conv2d(1, 10, 15, stride=8, padding=3).to(next(model.parameters()))
    per_epoch = -(-len(images) // batch)
    orders = [torch.randperm(len(images), generator=generator) for _ in range(epochs)]
    batches = lambda step: images[orders[step // per_epoch][(step % per_epoch) * batch :][:batch]]  # noqa: E731
    hack_conv(lambda x: model.features(x, 3), batches, hacker, epochs * per_epoch, lr)
    return hacker


def kernel_patch(image: torch.Tensor, kernel: torch.Tensor, energy: float = 0.5) -> torch.Tensor:
    r"""The paper's proxy-kernel patch: ``image + energy · minmax(pad(kernel) − image)``.

    ``pad`` places the ``(15, 15)`` kernel at the top-left corner of a 28×28 zero image (the
    authors compute it as ``ifft2(fft2(K, s=28×28) − fft2(x))``, the same thing), and ``minmax``
    rescales to [0, 1]. ``image`` ``(28, 28)``.
    """
    padded = image.new_zeros(image.shape)
    padded[: kernel.shape[0], : kernel.shape[1]] = kernel
    diff = padded - image
    return image + energy * (diff - diff.min()) / (diff.max() - diff.min())


def pick_correct(predicted: np.ndarray, labels: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` indices drawn at random, without replacement, among correctly classified items."""
    return rng.choice(np.flatnonzero(predicted == labels), size=count, replace=False)



@torch.no_grad()
def patch_predictions(
    model: SigmoidClassifier, images: torch.Tensor, patches: torch.Tensor, energy: float = 0.5
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Image ``i`` patched with ``patches[i]`` (:func:`kernel_patch`); top-2 predictions before and after.

    The paper's proxy-kernel patch table: for each image, the classifier's two largest logits and
    their labels on the clean image (C) and on the patched one (P).

    Parameters
    ----------
    images : Tensor ``(N, 28, 28)``
    patches : Tensor ``(N, 15, 15)``

    Returns
    -------
    patched ``(N, 28, 28)``, clean labels ``(N, 2)``, patched labels ``(N, 2)``, logits
    ``(N, 2, 2)`` (``[:, 0]`` clean, ``[:, 1]`` patched).
    """
    patched = torch.stack([kernel_patch(x, k.to(x), energy) for x, k in zip(images, patches)])
    clean_top = model(images[:, None]).topk(2, dim=1)
    patched_top = model(patched[:, None]).topk(2, dim=1)
    return patched, clean_top.indices, patched_top.indices, torch.stack([clean_top.values, patched_top.values], 1)
