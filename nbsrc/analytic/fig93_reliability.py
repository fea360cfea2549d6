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
# # Fig. 93 (ours) — reliability at convergence: accuracy on noisy test images
#
# The paper claims ACLs "attain increased reliability through the analytical formulation of
# ACKs"; how it measured reliability could not be read. **Reconstructed and scaled down**: one
# reading of "reliability" — accuracy when the test images carry additive Gaussian noise of
# standard deviation $s$ (pixels in [0, 1], not clipped) — for networks trained **to
# convergence** (early stopping on a validation split, as in Table 92) on `n_train` images of
# MNIST and Fashion-MNIST: the all-analytic network (AnaNN; Gabor, LoG, TGD), the plain CNN, and
# the plain CNN of the AnaNN's size. The reliability of a network is its accuracy averaged over
# the noise levels; differences over `n_seeds` seeds are given by Welch's test and by the
# Hodges–Lehmann shift with its exact distribution-free interval (why, see Table 92).

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
noise_max = 0.5
n_noise = 6

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import data, plotting, runtime

from cnnmath.analytic import nets, stats
from cnnmath.analytic.layer import parameter_count
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
splits = {"MNIST": data.mnist("full"), "Fashion-MNIST": data.fashion_mnist()}
noise_stds = np.linspace(0.0, noise_max, n_noise).round(3).tolist()
P = nets.PAPER_FAMILIES
equal = nets.matched_plain_channels(
    parameter_count(nets.SmallCNN(ratios=(1.0, 1.0, 1.0), families=P))
)
settings = {
    "plain CNN": {"ratios": (0.0, 0.0, 0.0)},
    "plain CNN, AnaNN's size": {"ratios": (0.0, 0.0, 0.0), "channels": equal},
    "AnaNN": {"ratios": (1.0, 1.0, 1.0), "families": P},
}

# %%
curves = {}
for ds, split in splits.items():
    for s in range(n_seeds):
        d = nets.as_tensors(
            split, n_train=n_train, n_val=n_val, n_test=n_test, seed=seed + s
        )
        for name, kw in settings.items():
            r = nets.run(
                d,
                seed=seed + s,
                epochs=max_epochs,
                patience=patience,
                batch_size=batch_size,
                noise_stds=noise_stds,
                device=dev,
                **kw,
            )
            curves[ds, name, s] = [100 * r.noisy[x] for x in noise_stds]
reliab = {
    (ds, name): [float(np.mean(curves[ds, name, s])) for s in range(n_seeds)]
    for ds in splits
    for name in settings
}
for (ds, name), v in reliab.items():
    print(
        f"{ds:14s} {name:24s} accuracy averaged over s ∈ [0, {noise_max:g}]: "
        f"{stats.summarize(v)} %"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Test accuracy under additive Gaussian noise of growing standard deviation s (the paper's Fig. 9.3), mean ± sd over seeds, for the analytic-layer network and the plain CNNs, one panel per data set.", "name": "fig-analytic-fig93"}, "image": {"alt": "Line plots with error bars, accuracy falling as the noise level grows, one line per network, one panel per data set."}}
fig, axes = plotting.subplots(1, len(splits), aspect=1.0, sharey=True)
for ax, ds in zip(axes, splits):
    for name in settings:
        c = np.array([curves[ds, name, s] for s in range(n_seeds)])
        ax.errorbar(
            noise_stds, c.mean(0), c.std(0, ddof=1), marker="o", capsize=3, label=name
        )
    ax.set(
        title=f"{ds}, {n_train} training images",
        xlabel="test noise standard deviation $s$",
    )
axes[0].set(ylabel="test accuracy (%), mean ± sd over seeds")
axes[0].legend()
plt.show()

# %%
tests = {
    (ds, other): stats.welch(reliab[ds, "AnaNN"], reliab[ds, other])
    for ds in splits
    for other in ("plain CNN", "plain CNN, AnaNN's size")
}
for (ds, other), w in tests.items():
    print(
        f"{ds:14s} AnaNN − {other:24s}: {w.diff:+6.2f} points, t = {w.t:6.2f}, "
        f"dof = {w.dof:4.1f}, p = {w.p:.3g}"
    )

# %%
margin = 15.0
shifts = {
    (ds, other): stats.hodges_lehmann(reliab[ds, "AnaNN"], reliab[ds, other])
    for ds, other in tests
}
for (ds, other), h in shifts.items():
    print(
        f"{ds:14s} AnaNN − {other:24s}: Hodges–Lehmann {h.estimate:+6.2f} points, "
        f"95 % interval [{h.lo:+6.2f}, {h.hi:+6.2f}]"
    )

# %% [markdown]
# The claims (findings over `n_seeds` seeds) use the Hodges–Lehmann shift of the noise-averaged
# accuracy and its exact distribution-free interval (robust to a seed on which a network fails
# to train; see Table 92). Under noise every network's accuracy varies from seed to seed far
# more than its clean accuracy, and the plain nets fail outright on some seeds, so the margin —
# by the rule of Table 92, about three times the seed-to-seed sd of the compared quantity — is
# wide: per data set, the AnaNN is **not less reliable than the plain CNN, or the plain CNN of
# its size, by more than `margin` points** (the lower end of the interval lies above
# −`margin`). That is all 5 seeds resolve: measured over many more seeds the AnaNN's
# noise-averaged accuracy tends to be the higher, but a 5-seed interval excludes 0 on under
# half of the seed sets, so **the difference itself is unresolved at this scale**; neither
# "as reliable within a few points" nor "more reliable" is claimed. Deciding it needs more
# seeds (the `paper` profile) or more training data.

# %% tags=["nbval-check-output"]
for (ds, other), h in shifts.items():
    tag = "equal_size" if "size" in other else "plain"
    claim(
        f"analytic.fig93.{ds.lower().replace('-', '_')}_noise_vs_{tag}",
        kind="finding",
        ours=h.estimate,
        paper=None,
        n=n_seeds,
        holds=bool(h.lo > -margin),
        fmt=".1f",
        condition=f"lower end of the 95 % Hodges–Lehmann interval > −{margin:g} points",
        note=(
            f"AnaNN − {other}, Hodges–Lehmann shift of the accuracy averaged over test "
            f"noise s ∈ [0, {noise_max:g}] (points), {ds}"
        ),
    )
