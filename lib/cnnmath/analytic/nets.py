"""Small networks built of analytic convolutional layers, their training and their evaluation.

The experiments of the analytic chapter (the chapter page describes them): a small CNN whose conv
layers are :class:`cnnmath.analytic.layer.AnalyticConv2d` with mosaic ratios ``ρ_l`` per layer
(``ρ = 0`` everywhere is the plain CNN, exactly; ``ρ = 1`` everywhere is an "AnaNN"), trained on
MNIST-like data and compared on accuracy, parameter count and robustness to input noise.
Training runs to convergence: Adam, evaluated on a held-out validation split after every epoch,
stopped after ``patience`` epochs without improvement, best-validation weights restored
(:func:`train_early_stopping`). The architecture and training settings are ours: the paper's
could not be read. Summaries over seeds are in :mod:`cnnmath.analytic.stats`.
"""

from __future__ import annotations

import copy
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
    "PAPER_FAMILIES",
    "Curve",
    "Data",
    "RunResult",
    "SmallCNN",
    "accuracy",
    "as_tensors",
    "freeze_akps",
    "matched_plain_channels",
    "reference_kernels",
    "run",
    "train_classifier",
    "train_early_stopping",
]

# the three families third-party summaries attribute to the paper (Gabor, LoG, TGD of both orders)
PAPER_FAMILIES: tuple[str, ...] = ("gabor", "log", "tgd1", "tgd2")


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

    Notes
    -----
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
    """Train/validation/test tensors ``(N, 1, 28, 28)`` float32 and labels ``(N,)`` int64.

    The validation images are training images held out (disjoint from ``x_train``); empty when
    none were asked for.
    """

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    source: str
    x_val: Tensor = field(default_factory=lambda: torch.zeros(0, 1, 28, 28))
    y_val: Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.int64))

    def __str__(self) -> str:
        val = f"{len(self.y_val)} validation / " if len(self.y_val) else ""
        return f"{self.source}: {len(self.y_train)} train / {val}{len(self.y_test)} test images used"


def as_tensors(
    split: Split, n_train: int | None = None, n_test: int | None = None, seed: int = 0, n_val: int = 0
) -> Data:
    """A seeded random subset of a :class:`cnnmath.data.Split` as tensors (``None`` = all).

    The images are in random order (the split itself is sorted by class), so the first ``n``
    training images of the result are a random, roughly class-balanced subset. ``n_val``
    further training images (disjoint from those) form the validation split.
    """
    rng = np.random.default_rng(seed)
    if n_val < 0 or (n_train or 0) + n_val > len(split.y_train):
        raise ValueError(f"n_train + n_val must be ≤ {len(split.y_train)}, got {n_train} + {n_val}")

    def pick(x: np.ndarray, y: np.ndarray, n: int | None, extra: int = 0) -> tuple[Tensor, ...]:
        if n is not None and not 0 < n <= len(y):
            raise ValueError(f"subset size must be in [1, {len(y)}], got {n}")
        perm = rng.permutation(len(y))
        idx, rest = (perm[:n], perm[n : n + extra]) if n is not None else (perm[: len(y) - extra], perm[len(y) - extra :])
        t = lambda i: (torch.from_numpy(x[i][:, None].copy()), torch.from_numpy(y[i].copy()))
        return (*t(idx), *t(rest))

    xtr, ytr, xva, yva = pick(split.x_train, split.y_train, n_train, n_val)
    xte, yte, _, _ = pick(split.x_test, split.y_test, n_test)
    return Data(xtr, ytr, xte, yte, split.source, xva, yva)


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
    """Adam on cross-entropy; AKPs get their own learning rate ``akp_lr``.

    Returns the mean training loss of each epoch. The batch order is seeded by ``seed``.
    """
    opt, gen = _optimizer(model, lr, akp_lr, device), torch.Generator().manual_seed(seed)
    return [
        _epoch(model, opt, x, y, batch_size, gen, device)
        for _ in tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    ]


def _optimizer(model: nn.Module, lr: float, akp_lr: float, device: str | torch.device) -> torch.optim.Optimizer:
    """Adam with the AKPs in their own group (learning rate ``akp_lr``); frozen tensors are left out."""
    model.to(device)
    akps = {id(p) for p in akp_parameters(model)}
    groups = [{"params": [p for p in model.parameters() if id(p) not in akps and p.requires_grad], "lr": lr}]
    learned = [p for p in akp_parameters(model) if p.requires_grad and p.numel()]
    if learned:
        groups.append({"params": learned, "lr": akp_lr})
    return torch.optim.Adam(groups)


def _epoch(
    model: nn.Module, opt: torch.optim.Optimizer, x: Tensor, y: Tensor, batch_size: int,
    gen: torch.Generator, device: str | torch.device,
) -> float:
    """One pass over ``(x, y)`` in the seeded order of ``gen``; returns the mean training loss."""
    model.train()
    order = torch.randperm(len(y), generator=gen)
    total = 0.0
    for start in range(0, len(y), batch_size):
        idx = order[start : start + batch_size]
        loss = F.cross_entropy(model(x[idx].to(device)), y[idx].to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(y)


@dataclass
class Curve:
    """Training loss and validation accuracy after each epoch, and the epoch kept (1-based)."""

    loss: list[float]
    val_accuracy: list[float]
    best_epoch: int


def train_early_stopping(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    x_val: Tensor,
    y_val: Tensor,
    *,
    max_epochs: int,
    patience: int,
    batch_size: int = 64,
    lr: float = 1e-2,
    akp_lr: float = 3e-2,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> Curve:
    """Adam until the validation accuracy has not improved for ``patience`` epochs (or ``max_epochs``).

    The weights of the best validation epoch are restored into ``model`` (ties: the earliest).
    """
    if len(y_val) == 0:
        raise ValueError("early stopping needs a validation split: pass n_val > 0 to as_tensors")
    if max_epochs < 1 or patience < 1:
        raise ValueError(f"max_epochs and patience must be ≥ 1, got {max_epochs}, {patience}")
    opt, gen = _optimizer(model, lr, akp_lr, device), torch.Generator().manual_seed(seed)
    curve = Curve([], [], 0)
    best_state = copy.deepcopy(model.state_dict())
    for epoch in range(1, max_epochs + 1):
        curve.loss.append(_epoch(model, opt, x, y, batch_size, gen, device))
        curve.val_accuracy.append(accuracy(model, x_val, y_val, device=device))
        if curve.val_accuracy[-1] > max(curve.val_accuracy[:-1], default=-1.0):
            curve.best_epoch, best_state = epoch, copy.deepcopy(model.state_dict())
        elif epoch - curve.best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    return curve


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
    curve: Curve | None = None
    name: str = ""


def freeze_akps(model: nn.Module) -> nn.Module:
    """Stop learning the AKPs of every ACL in ``model`` (the static-kernel ablation); returns it."""
    for p in akp_parameters(model):
        p.requires_grad_(False)
    return model


def matched_plain_channels(n_params: int, kernel_sizes: Sequence[int] = (7, 5, 3), widths: Sequence[int] = (1, 2, 4),
                           pool_to: int = 3, n_classes: int = 10) -> tuple[int, ...]:
    """Channels ``(c·w_1, c·w_2, …)`` of the plain :class:`SmallCNN` whose parameter count is closest
    to ``n_params`` (the equal-size baseline of an ACL network).

    >>> matched_plain_channels(3734)
    (4, 8, 16)
    """
    def count(c: int) -> int:
        chans = [c * w for w in widths]
        cins = [1, *chans[:-1]]
        conv = sum(co * ci * k * k + co for ci, co, k in zip(cins, chans, kernel_sizes))
        return conv + chans[-1] * pool_to**2 * n_classes + n_classes

    best = min(range(1, 257), key=lambda c: abs(count(c) - n_params))
    return tuple(best * w for w in widths)


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
    patience: int | None = None,
    frozen: bool = False,
    batch_size: int = 64,
    name: str = "",
) -> RunResult:
    """Build a :class:`SmallCNN` with ``ratios`` (seeded), train it on the first ``n_train``
    training images, and measure its clean and noisy test accuracy (noise seeded by ``seed``).

    With ``patience`` the training stops early on ``data``'s validation split (``epochs`` is then
    the maximum) and keeps the best validation weights; ``frozen`` keeps the AKPs at their
    initial bank (static analytic kernels; not counted as learnable parameters).
    """
    n = len(data.y_train) if n_train is None else n_train
    if not 0 < n <= len(data.y_train):
        raise ValueError(f"n_train must be in [1, {len(data.y_train)}], got {n_train}")
    torch.manual_seed(seed)
    model = SmallCNN(channels, kernel_sizes, ratios, families)
    if frozen:
        freeze_akps(model)
    kw = {"lr": lr, "akp_lr": akp_lr, "seed": seed, "device": device, "batch_size": batch_size}
    curve = None
    if patience is None:
        train_classifier(model, data.x_train[:n], data.y_train[:n], epochs=epochs, **kw)
    else:
        curve = train_early_stopping(model, data.x_train[:n], data.y_train[:n], data.x_val, data.y_val,
                                     max_epochs=epochs, patience=patience, **kw)
    noisy = {s: accuracy(model, data.x_test, data.y_test, s, seed, device) for s in noise_stds}
    return RunResult(
        tuple(float(r) for r in ratios), seed, n, parameter_count(model),
        accuracy(model, data.x_test, data.y_test, device=device), noisy, model if keep_model else None,
        curve, name,
    )


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
