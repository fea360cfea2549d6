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
# # Rank of an outer convolution with signals a filter annihilates
#
# *Paper figure number not confirmed* (no readable source numbers it): the authors' code saves it as `oconv-rank-zero-convolution`. An
# order-2 kernel $g \in \mathbb{R}^{9 \times 9}$ of rank $r$ is outer-convolved with two signals
# $h_1, h_2 \in \mathbb{R}^{27}$, where $h_i$ is killed by the all-ones filter of length
# $T_i + 1$: the authors' generator (`zero_conv_signal_1d` in their `conv_zero.py`, credited;
# `conv.annihilated_signal`): $T_i$ Gaussian samples, each next one solved so that every window of
# $T_i + 1$ samples sums to zero — a zero-sum, $(T_i+1)$-periodic signal; such signals span a
# space of dimension $T_i$. In the interior (rows and columns 9..25 of the $35 \times 35$
# result, where every term of the sum is inside $h_i$'s support) the matrix is
# $A(h_1)\, g\, A(h_2)^\top$ with $\operatorname{rank} A(h_i) = \min(T_i, 9)$, so its rank is
# $\min(r, T_1, T_2)$ — the legend of the authors' figure. The authors' seven $(r, T_1, T_2)$
# cases, `n_trials` Gaussian draws each (the code's uniform variant is not repeated).
#
# **Scale.** The authors draw one kernel per case; the book profile draws `n_trials` = 50 per case, the `paper` profile 1000 (sizes as the authors').

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
kernel_size = 9
signal_length = 27
cases = "3-1-1,3-3-2,3-3-5,7-5-3,7-5-5,7-5-9,7-7-7"
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
rng = runtime.seed_everything(seed, threads=threads)
dev = runtime.resolve_device(device)
case_list = [tuple(int(v) for v in c.split("-")) for c in cases.split(",")]
print(
    f"data: synthetic; g Gaussian {kernel_size}x{kernel_size} of rank r, annihilated "
    f"signals of length {signal_length}; (r, T1, T2) = {case_list}"
)


def gaussian(*shape: int) -> torch.Tensor:
    return torch.tensor(rng.standard_normal(shape), dtype=torch.float64, device=dev)


def interior(r: int, t1: int, t2: int) -> torch.Tensor:
    """Crop [9:-9, 9:-9] of g ⊛ (h1, h2), g of rank r, h_i annihilated by
    ones(T_i + 1)."""
    g = gaussian(kernel_size, r) @ gaussian(r, kernel_size)
    hs = [
        torch.tensor(
            conv.annihilated_signal(np.ones(t + 1), signal_length, rng), device=dev
        )
        for t in (t1, t2)
    ]
    full = conv.outer_conv(g / g.norm(), [h / h.norm() for h in hs])
    return full[kernel_size:-kernel_size, kernel_size:-kernel_size]


# %%
found, singular, predicted = {}, {}, {c: min(*c, kernel_size) for c in case_list}
for c in case_list:
    mats = [interior(*c).cpu().numpy() for _ in range(n_trials)]
    found[c] = [conv.numerical_rank(m, rtol) for m in mats]
    singular[c] = (lambda s: s / s[0])(np.linalg.svd(mats[0], compute_uv=False))
    print(
        f"(r, T1, T2) = {c}: predicted {predicted[c]}, found {sorted(set(found[c]))}, "
        f"interior shape {mats[0].shape}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Singular values of the interior of $g \\circledast (h_1, h_2)$ when each $h_i$ is a signal the all-ones filter of length $T_i + 1$ annihilates (the authors' zero-convolution rank figure), first draw of each of the authors' seven cases: each curve drops to rounding level after $\\min(r, T_1, T_2)$ values.", "name": "fig-volterra-rank-zero-conv"}, "image": {"alt": "Seven curves of normalised singular values on a log scale against their index, one per case r, T1, T2; each keeps its first few values near the top, then falls below a dashed horizontal threshold line, for some cases by more than a hundred decades."}}
fig, ax = plotting.subplots(aspect=0.6)
for c in case_list:
    ax.semilogy(
        np.arange(1, len(singular[c]) + 1),
        singular[c] + 1e-300,
        "o-",
        ms=4,
        label=f"r, T1, T2 = {c}",
    )
ax.axhline(rtol, color="gray", ls="--", lw=1, label="rank threshold")
ax.set(
    xlabel="index",
    ylabel=r"$\sigma_i / \sigma_{\max}$",
    title="interior of g ⊛ (h1, h2), annihilated h_i, first draw",
)
ax.legend(ncol=2)
plt.show()

# %% tags=["nbval-check-output"]
hits = sum(v == predicted[c] for c in case_list for v in found[c])
claim(
    "volterra.rank_zero_conv.rank",
    kind="check",
    ours=f"{hits}/{len(case_list) * n_trials}",
    paper=None,
    holds=hits == len(case_list) * n_trials,
    condition="numerical rank = min(r, T1, T2) in every draw",
    note=f"{len(case_list)} cases of the authors' legend, {n_trials} draws each",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# When the inputs of a layer live in the null space of a filter (here, zero-sum periodic
# signals), the composed kernel loses rank: its interior has exactly $\min(r, T_1, T_2)$ non-zero
# singular values in every draw, the others are rounding noise. Differences: we count ranks over `n_trials` draws and plot the
# first; Gaussian draws only; paper figure number not confirmed.
