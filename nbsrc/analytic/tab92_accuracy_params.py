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
# # Table 92 (ours) — accuracy and parameters at convergence: analytic networks, plain CNNs, static kernels
#
# The paper reports classification with ACLs on Oxford Flowers, MNIST, Food-101 and CIFAR-10
# (per a third-party summary; its tables could not be read), claiming "a remarkable capacity for
# feature representation with a reduced number of parameters", and (per another summary) uses
# static "mean" kernels in ablations. **Reconstructed and scaled down**: MNIST and Fashion-MNIST
# (the only two of these data sets, or their kind, available offline), a three-layer CNN of ours
# (7×7, 5×5, 3×3 convolutions, max-pooling, 3×3 average pooling, linear classifier), `n_train`
# training images, `n_seeds` seeds. Every network trains **to convergence**: Adam, validation
# accuracy on `n_val` held-out training images after each epoch, stop after `patience` epochs
# without improvement, best weights restored. Compared, with their learnable parameters:
#
# - the plain CNN (8, 16, 32 channels) and a **plain CNN of the analytic network's size**
#   (channels scaled down to the closest parameter count) — the fair comparison;
# - the all-analytic network ("AnaNN": every kernel of every layer an ACK of the paper's families
#   Gabor, LoG and TGD of both orders, split evenly);
# - the **static-kernel ablations**: the AnaNN with its AKPs frozen at the initial bank, and with
#   every ACK replaced by the static mean (box) kernel — only the channel amplitudes learn;
# - (`paper` profile) the mosaic $\rho = 1, \tfrac12, \tfrac12$.

# %% tags=["parameters"]
seed = 0
device = "cpu"
n_seeds = 5
n_train = 300
n_val = 300
n_test = 1000
max_epochs = 40
patience = 4
batch_size = 32
with_mosaic = False

# %%
import matplotlib.pyplot as plt

from cnnmath import data, plotting, runtime

from cnnmath.analytic import nets, stats
from cnnmath.analytic.layer import parameter_count
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
splits = {"MNIST": data.mnist("full"), "Fashion-MNIST": data.fashion_mnist()}
P = nets.PAPER_FAMILIES
equal = nets.matched_plain_channels(
    parameter_count(nets.SmallCNN(ratios=(1.0, 1.0, 1.0), families=P))
)
settings = {
    "plain CNN": {"ratios": (0.0, 0.0, 0.0)},
    f"plain CNN {equal}": {"ratios": (0.0, 0.0, 0.0), "channels": equal},
    "AnaNN": {"ratios": (1.0, 1.0, 1.0), "families": P},
    "AnaNN, frozen AKPs": {"ratios": (1.0, 1.0, 1.0), "families": P, "frozen": True},
    "AnaNN, mean kernels": {"ratios": (1.0, 1.0, 1.0), "families": ("mean",)},
} | (
    {"mosaic (1, ½, ½)": {"ratios": (1.0, 0.5, 0.5), "families": P}}
    if with_mosaic
    else {}
)

# %%
results = {}
for ds, split in splits.items():
    for s in range(n_seeds):
        d = nets.as_tensors(
            split, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed + s
        )
        for name, kw in settings.items():
            results[ds, name, s] = nets.run(
                d,
                seed=seed + s,
                epochs=max_epochs,
                patience=patience,
                batch_size=batch_size,
                device=dev,
                **kw,
            )
acc = {
    (ds, name): [100 * results[ds, name, s].accuracy for s in range(n_seeds)]
    for ds in splits
    for name in settings
}
size = {name: results[ds, name, 0].n_params for ds in splits for name in settings}

# %%
print(
    f"{'network':28s} {'params':>7s}" + "".join(f"{ds + ' (%)':>26s}" for ds in splits)
)
for name in settings:
    row = "".join(f"{str(stats.summarize(acc[ds, name])):>26s}" for ds in splits)
    print(f"{name:28s} {size[name]:7d}{row}")
epochs = [results[k].curve.best_epoch for k in results]
print(
    f"best epoch: {min(epochs)}–{max(epochs)} (of at most {max_epochs}); "
    "mean ± sd (ddof = 1), n = seeds"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test accuracy against learnable parameters at convergence (the paper's Table 9.2 as a plot): each seed as a faint dot, mean with its 95% interval as a bar, one colour per network, one panel per data set.", "name": "fig-analytic-tab92"}, "image": {"alt": "Two scatter plots on a logarithmic parameter axis; the analytic-layer network sits at the left with accuracy close to the plain CNNs on the right."}}
fig, axes = plotting.subplots(len(splits), 1, aspect=0.5, sharex=True)
for ax, ds in zip(axes, splits):
    for i, name in enumerate(settings):
        m = stats.summarize(acc[ds, name])
        ax.scatter(
            [size[name]] * n_seeds, acc[ds, name], s=10, alpha=0.4, color=f"C{i}"
        )
        ax.errorbar(
            size[name],
            m.mean,
            [[m.mean - m.lo], [m.hi - m.mean]],
            fmt="o",
            capsize=4,
            color=f"C{i}",
            label=name,
        )
    ax.set(
        xscale="log",
        ylabel="test accuracy (%)",
        title=f"{ds}: {n_train} training images, at convergence",
    )
axes[-1].set_xlabel("learnable parameters")
axes[0].legend(ncol=2, loc="lower right")
plt.show()

# %% [markdown]
# Welch's tests (two-sided, unequal variances) between the AnaNN and each other network, per
# data set: the difference of mean accuracies (points), $t$, and $p$.

# %%
tests = {
    (ds, other): stats.welch(acc[ds, "AnaNN"], acc[ds, other])
    for ds in splits
    for other in settings
    if other != "AnaNN"
}
for (ds, other), w in tests.items():
    print(
        f"{ds:14s} AnaNN − {other:24s}: {w.diff:+6.2f} points, "
        f"t = {w.t:6.2f}, p = {w.p:.3g}"
    )

# %% [markdown]
# The claims (findings over `n_seeds` seeds; the paper's numbers are unknown) use the
# **Hodges–Lehmann shift** — the median of the $n^2$ pairwise differences AnaNN − other over
# seeds — with its exact distribution-free 95 % interval, the $k$-th smallest to $k$-th largest
# pairwise difference, $k$ from the Mann–Whitney null distribution (`stats.hodges_lehmann`).
# Seed outcomes here are bimodal: now and then a network fails to train (the equal-size plain
# CNN on MNIST, the mean-kernel network), and one such seed widens the Welch interval above on
# both sides, while it moves only the end of the Hodges–Lehmann interval it
# lies towards. Per data set: (1) the AnaNN is **not worse than the plain CNN by more than
# `margin` points** — the lower end of the interval lies above −`margin` — at under 40 % of its
# parameters; (2) the same against the plain CNN of the AnaNN's size; (3) the analytic shapes
# matter: replacing every ACK by the static mean kernel costs accuracy (the interval lies above
# 0). The margin is the resolution of `n_seeds` seeds at this scale, about three times the
# networks' seed-to-seed sd of accuracy on MNIST: measured over many more seeds, the lower end
# of a 5-seed interval falls more than `margin` points below 0 on under 5 % of seed sets when
# the networks are on par. "Better" than a plain CNN is claimed nowhere — at this scale the
# intervals reach below 0 on most seed sets.

# %%
margin = 7.0
shifts = {
    (ds, other): stats.hodges_lehmann(acc[ds, "AnaNN"], acc[ds, other])
    for ds in splits
    for other in settings
    if other != "AnaNN"
}
for (ds, other), h in shifts.items():
    print(
        f"{ds:14s} AnaNN − {other:24s}: {h.estimate:+6.2f} points, "
        f"95 % interval [{h.lo:+6.2f}, {h.hi:+6.2f}] (k = {h.k})"
    )

# %% tags=["nbval-check-output"]
for ds in splits:
    key = ds.lower().replace("-", "_")
    frac = size["AnaNN"] / size["plain CNN"]
    for other, tag in (("plain CNN", "plain"), (f"plain CNN {equal}", "equal_size")):
        h = shifts[ds, other]
        claim(
            f"analytic.tab92.{key}_ananet_vs_{tag}",
            kind="finding",
            ours=h.estimate,
            paper=None,
            n=n_seeds,
            holds=bool(h.lo > -margin and frac < 0.4),
            fmt=".1f",
            condition=(
                f"lower end of the 95 % Hodges–Lehmann interval > −{margin:g} points, "
                "parameters < 0.4 × plain"
            ),
            note=(
                f"AnaNN − {other}, Hodges–Lehmann shift of test accuracy (points), {ds}, "
                f"{n_train} training images, at convergence"
            ),
        )
    h = shifts[ds, "AnaNN, mean kernels"]
    claim(
        f"analytic.tab92.{key}_analytic_beats_mean_kernels",
        kind="finding",
        ours=h.estimate,
        paper=None,
        n=n_seeds,
        holds=bool(h.lo > 0),
        fmt=".1f",
        condition="lower end of the 95 % Hodges–Lehmann interval > 0",
        note=f"AnaNN − AnaNN with static mean kernels, Hodges–Lehmann shift (points), {ds}",
    )
