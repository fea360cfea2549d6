"""Small networks built of analytic convolutional layers, their training and their evaluation.

The experiments of the analytic chapter (notes ``acl.md`` §2, A3–A6): a small CNN whose conv
layers are :class:`cnnmath.analytic.layer.AnalyticConv2d` with mosaic ratios ``ρ_l`` per layer
(``ρ = 0`` everywhere is the plain CNN, exactly; ``ρ = 1`` everywhere is an "AnaNN"), trained on
MNIST-like data and compared on accuracy, parameter count and robustness to input noise. The
architecture and training settings are ours: the paper's could not be read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from cnnmath.analytic.layer import AnalyticConv2d, akp_parameters, parameter_count
from cnnmath.data import Split

__all__ = [
    "Data",
    "RunResult",
    "SmallCNN",
    "accuracy",
    "as_tensors",
    "reference_kernels",
    "run",
    "summarize",
    "train_classifier",
]


class SmallCNN(nn.Module):
    """``[ACL → ReLU → maxpool 2] × L`` (no pool after the last) → average pool to
    ``pool_to × pool_to`` → linear.

    Parameters
    ----------
    channels, kernel_sizes : sequences of int, length L
        Output channels and (odd) kernel sizes of the conv layers; padding keeps the size.
    ratios : sequence of float, length L
        Mosaic ratio ``ρ_l`` of each layer (0 = ordinary conv layer).
    families : sequence of str
        ACK families of every ACL.
    pool_to : int
        Side of the adaptive average pool before the linear classifier (1 = global pooling).

    Input ``(B, 1, H, W)`` → logits ``(B, n_classes)``.

    Examples
    --------
    >>> SmallCNN(ratios=(0.0, 0.0, 0.0))(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        channels: Sequence[int] = (8, 16, 32),
        kernel_sizes: Sequence[int] = (7, 5, 3),
        ratios: Sequence[float] = (0.0, 0.0, 0.0),
        families: Sequence[str] = ("gabor", "log"),
        n_classes: int = 10,
        in_channels: int = 1,
        pool_to: int = 3,
    ) -> None:
        super().__init__()
        if pool_to < 1:
            raise ValueError(f"pool_to must be ≥ 1, got {pool_to}")
        if not len(channels) == len(kernel_sizes) == len(ratios):
            raise ValueError(
                f"channels, kernel_sizes and ratios must have equal lengths, got"
                f" {len(channels)}, {len(kernel_sizes)}, {len(ratios)}"
            )
        cins = [in_channels, *channels[:-1]]
        self.convs = nn.ModuleList(
            AnalyticConv2d(ci, co, k, padding=k // 2, ratio=r, families=families)
            for ci, co, k, r in zip(cins, channels, kernel_sizes, ratios)
        )
        self.pool_to = pool_to
        self.fc = nn.Linear(channels[-1] * pool_to**2, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(x))
            if i < len(self.convs) - 1:
                x = F.max_pool2d(x, 2)
        return self.fc(F.adaptive_avg_pool2d(x, self.pool_to).flatten(1))


@dataclass(frozen=True)
class Data:
    """Train/test tensors ``(N, 1, 28, 28)`` float32 and labels ``(N,)`` int64."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    source: str

    def __str__(self) -> str:
        return f"{self.source}: {len(self.y_train)} train / {len(self.y_test)} test images used"


def as_tensors(split: Split, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Data:
    """A seeded random subset of a :class:`cnnmath.data.Split` as tensors (``None`` = all).

    The images are in random order (the split itself is sorted by class), so the first ``n``
    training images of the result are a random, roughly class-balanced subset.
    """
    rng = np.random.default_rng(seed)

    def pick(x: np.ndarray, y: np.ndarray, n: int | None) -> tuple[Tensor, Tensor]:
        if n is not None and not 0 < n <= len(y):
            raise ValueError(f"subset size must be in [1, {len(y)}], got {n}")
        idx = rng.permutation(len(y))[:n]
        return torch.from_numpy(x[idx][:, None].copy()), torch.from_numpy(y[idx].copy())

    xtr, ytr = pick(split.x_train, split.y_train, n_train)
    xte, yte = pick(split.x_test, split.y_test, n_test)
    return Data(xtr, ytr, xte, yte, split.source)


def train_classifier(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    *,
    epochs: int,
    batch_size: int = 64,
    lr: float = 1e-2,
    akp_lr: float = 3e-2,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = False,
) -> list[float]:
    """Adam on cross-entropy; AKPs get their own learning rate ``akp_lr`` (note §3).

    Returns the mean training loss of each epoch. The batch order is seeded by ``seed``.
    """
    model.to(device).train()
    akps = {id(p) for p in akp_parameters(model)}
    groups = [{"params": [p for p in model.parameters() if id(p) not in akps], "lr": lr}]
    if akps:
        groups.append({"params": akp_parameters(model), "lr": akp_lr})
    opt = torch.optim.Adam(groups)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False):
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / len(y))
    return losses


@torch.no_grad()
def accuracy(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    noise_std: float = 0.0,
    seed: int = 0,
    device: str | torch.device = "cpu",
    batch_size: int = 1000,
) -> float:
    """Test accuracy on ``x + noise_std · N(0, 1)`` (seeded noise; ``noise_std = 0``: clean)."""
    model.to(device).eval()
    gen = torch.Generator().manual_seed(seed)
    correct = 0
    for start in range(0, len(y), batch_size):
        xb = x[start : start + batch_size]
        if noise_std:
            xb = xb + noise_std * torch.randn(xb.shape, generator=gen)
        correct += int((model(xb.to(device)).argmax(1).cpu() == y[start : start + batch_size]).sum())
    return correct / len(y)


@dataclass
class RunResult:
    """One trained network: its ratios, seed, training-set size, parameter count and accuracies."""

    ratios: tuple[float, ...]
    seed: int
    n_train: int
    n_params: int
    accuracy: float
    noisy: dict[float, float] = field(default_factory=dict)
    model: nn.Module | None = None


def run(
    data: Data,
    ratios: Sequence[float],
    *,
    seed: int,
    epochs: int,
    noise_stds: Sequence[float] = (),
    channels: Sequence[int] = (8, 16, 32),
    kernel_sizes: Sequence[int] = (7, 5, 3),
    families: Sequence[str] = ("gabor", "log"),
    n_train: int | None = None,
    lr: float = 1e-2,
    akp_lr: float = 3e-2,
    device: str | torch.device = "cpu",
    keep_model: bool = False,
) -> RunResult:
    """Build a :class:`SmallCNN` with ``ratios`` (seeded), train it on the first ``n_train``
    training images, and measure its clean and noisy test accuracy (noise seeded by ``seed``)."""
    n = len(data.y_train) if n_train is None else n_train
    if not 0 < n <= len(data.y_train):
        raise ValueError(f"n_train must be in [1, {len(data.y_train)}], got {n_train}")
    torch.manual_seed(seed)
    model = SmallCNN(channels, kernel_sizes, ratios, families)
    train_classifier(model, data.x_train[:n], data.y_train[:n], epochs=epochs, lr=lr, akp_lr=akp_lr,
                     seed=seed, device=device)
    noisy = {s: accuracy(model, data.x_test, data.y_test, s, seed, device) for s in noise_stds}
    return RunResult(
        tuple(float(r) for r in ratios), seed, n, parameter_count(model),
        accuracy(model, data.x_test, data.y_test, device=device), noisy, model if keep_model else None,
    )


def summarize(results: Sequence[RunResult]) -> dict[tuple[tuple[float, ...], int], dict[str, float]]:
    """Per (ratios, n_train) setting: size, mean and std over seeds of the clean accuracy, and the
    mean and std of each noisy accuracy (keys ``"noise <std>"`` and ``"noise <std> sd"``)."""
    table: dict[tuple[tuple[float, ...], int], dict[str, float]] = {}
    for key in dict.fromkeys((r.ratios, r.n_train) for r in results):
        rs = [r for r in results if (r.ratios, r.n_train) == key]
        acc = np.array([r.accuracy for r in rs])
        row = {"n_params": rs[0].n_params, "mean": float(acc.mean()), "std": float(acc.std()), "n": len(rs)}
        for s in rs[0].noisy:
            noisy = np.array([r.noisy[s] for r in rs])
            row[f"noise {s:g}"], row[f"noise {s:g} sd"] = float(noisy.mean()), float(noisy.std())
        table[key] = row
    return table


def reference_kernels(
    data: Data,
    *,
    seed: int,
    epochs: int,
    channels: Sequence[int] = (16, 16, 32),
    kernel_sizes: Sequence[int] = (7, 5, 3),
    init_scale: float = 0.1,
    device: str | torch.device = "cpu",
) -> tuple[Tensor, Tensor, float]:
    """Train a plain :class:`SmallCNN` and return its first-layer kernels before and after training.

    The stand-in for Fig. 1's "pretrained" kernels. The first layer's ordinary kernels start at
    ``init_scale`` × their ``Conv2d`` initialisation, so that after a short training the kernels
    show what training wrote into them rather than the initial noise (an ImageNet-trained
    AlexNet gets there by training long). Returns ``(W0, W, test accuracy)``, kernels
    ``(C_out, 1, k, k)`` float64.
    """
    if init_scale <= 0:
        raise ValueError(f"init_scale must be > 0, got {init_scale}")
    torch.manual_seed(seed)
    model = SmallCNN(channels, kernel_sizes, (0.0,) * len(channels))
    with torch.no_grad():
        model.convs[0].plain_weight.mul_(init_scale)
    w0 = model.convs[0].weight.detach().double().clone()
    train_classifier(model, data.x_train, data.y_train, epochs=epochs, seed=seed, device=device)
    w = model.convs[0].weight.detach().double().cpu()
    return w0.cpu(), w, accuracy(model, data.x_test, data.y_test, device=device)
