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
# # Rank of a low-rank kernel convolved with a low-rank image
#
# *Paper figure number not confirmed* (no readable source numbers it): the authors' code saves it as `oconv-rank-conv-kernel-image`. A
# $7 \times 7$ kernel of rank $k$, $K = \sum_{j \le k} c_j d_j^\top$, convolved ("valid", as
# `torch.conv2d` does) with a $32 \times 32$ image of rank $r$, $X = \sum_{i \le r} a_i b_i^\top$,
# gives the $26 \times 26$ map $\sum_{i,j} (a_i * c_j)(b_i * d_j)^\top$: a sum of $k r$ outer
# products, of rank $k r$ for generic factors (the 2-D case of the outer-convolution rank rule).
# The authors' six $(k, r)$ pairs, `n_trials` draws each, Gaussian factors (the code's uniform
# variant is not repeated).
#
# **Scale.** The authors draw one kernel and image per pair; the book profile draws `n_trials` = 50 per pair, the `paper` profile 1000 (sizes as the authors').

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
kernel_size = 7
image_size = 32
cases = "1-1,1-2,2-2,3-1,2-3,3-4"
n_trials = 50
rtol = 1e-10

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cnnmath import plotting, runtime

from cnnmath.volterra import conv
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed, threads=threads)
dev = runtime.resolve_device(device)
gen = torch.Generator(device=dev).manual_seed(seed)
case_list = [tuple(int(v) for v in c.split("-")) for c in cases.split(",")]
print(
    f"data: synthetic Gaussian factors; kernel {kernel_size}x{kernel_size} of rank k, "
    f"image {image_size}x{image_size} of rank r; (k, r) = {case_list}"
)


def low_rank(size: int, rank: int) -> torch.Tensor:
    u, v = (
        torch.randn(size, rank, generator=gen, dtype=torch.float64, device=dev)
        for _ in range(2)
    )
    m = u @ v.T
    return m / m.norm()


# %%
found, singular = {}, {}
for k, r in case_list:
    maps = [
        torch.conv2d(
            low_rank(image_size, r)[None, None], low_rank(kernel_size, k)[None, None]
        )[0, 0]
        .cpu()
        .numpy()
        for _ in range(n_trials)
    ]
    found[(k, r)] = [conv.numerical_rank(m, rtol) for m in maps]
    singular[(k, r)] = (lambda s: s / s[0])(np.linalg.svd(maps[0], compute_uv=False))
    print(
        f"(k, r) = {(k, r)}: predicted {k * r}, found {sorted(set(found[(k, r)]))}, "
        f"map shape {maps[0].shape}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Singular values of a rank-$k$ kernel convolved with a rank-$r$ image (the authors' kernel-image rank figure), first draw of each of the authors' six $(k, r)$ pairs: each curve drops to rounding level after $k r$ values.", "name": "fig-volterra-rank-kernel-image"}, "image": {"alt": "Six curves of normalised singular values on a log scale against their index, one per pair k, r; each stays within a few decades of one for its first k times r values, then falls to rounding noise below a dashed horizontal threshold line."}}
fig, ax = plotting.subplots(aspect=0.6)
for c in case_list:
    ax.semilogy(
        np.arange(1, len(singular[c]) + 1),
        singular[c] + 1e-300,
        "o-",
        ms=3,
        label=f"k, r = {c}",
    )
ax.axhline(rtol, color="gray", ls="--", lw=1, label="rank threshold")
ax.set(
    xlabel="index",
    ylabel=r"$\sigma_i / \sigma_{\max}$",
    title="rank-k kernel * rank-r image, first draw",
)
ax.legend(ncol=2)
plt.show()

# %% tags=["nbval-check-output"]
hits = sum(
    v == min(k * r, image_size - kernel_size + 1)
    for k, r in case_list
    for v in found[(k, r)]
)
claim(
    "volterra.rank_kernel_image.rank",
    kind="check",
    ours=f"{hits}/{len(case_list) * n_trials}",
    paper=None,
    holds=hits == len(case_list) * n_trials,
    condition="numerical rank = k r in every draw",
    note=f"{len(case_list)} (k, r) pairs of the authors' legend, {n_trials} draws each",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# Convolving a rank-$r$ image with a rank-$k$ kernel gives a map of rank exactly $k r$ (every
# draw; the remaining singular values are rounding noise): low-rank kernels and low-rank inputs
# keep a convolutional layer's output low-rank, the 2-D face of the outer-convolution rank rule.
# Differences: ranks counted over `n_trials` draws instead of one plotted draw; Gaussian factors
# only; paper figure number not confirmed.
