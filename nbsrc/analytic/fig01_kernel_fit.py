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
# # Fig. 1 — first-layer kernels and the analytic kernels that model them, against null baselines
#
# The paper's Fig. 1 shows the first-layer kernels of ImageNet-pretrained AlexNet and
# ResNet-50 beside "the corresponding analytical kernels": trained kernels "exhibit discernible
# patterns, which … can be analytically modeled using mathematically-defined kernels".
# **Scaled down**: pretrained ImageNet weights cannot be obtained offline. Stand-ins:
#
# - **natural-image kernels**: `n_natural` 7×7 kernels learned without labels from the natural
#   images bundled with scikit-image — the basis functions of an independent component analysis
#   of whitened patches (`cnnmath.natural`), the textbook match to the oriented, band-pass first
#   layers of ImageNet-trained CNNs;
# - **MNIST kernels**: the sixteen 7×7 first-layer kernels of a small plain CNN trained on MNIST.
#
# Each kernel $T$ is modelled by one ACK $a\,\hat\varphi(\text{AKP})$ of the best of the paper's
# families (Gabor, LoG, TGD first and second order; chapter page), by minimising
# $\|T - a\,\hat\varphi\|_F$ (multi-start Adam, then Levenberg–Marquardt). A median fit error
# means little alone — any smooth kernel is fitted fairly well by a smooth family — so each set
# is compared with two **null baselines** of its own, each drawn `n_null` times: the same kernels
# with their Fourier phase randomised (amplitude spectrum kept exactly, spatial arrangement
# destroyed) and Gaussian-smoothed white noise of the same mean roughness
# $\sum\|\nabla T\|^2 / \sum T^2$.

# %% tags=["parameters"]
seed = 0
device = "cpu"
n_natural = 24
n_patches = 20000
n_train = 4000
epochs = 4
n_starts = 8
steps = 100
refine_iters = 20
n_null = 5

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cnnmath import data, natural, plotting, runtime

from cnnmath.analytic import fit as fitting
from cnnmath.analytic import nets, nulls, stats
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
families = nets.PAPER_FAMILIES
ica = natural.ica_filters(7, n_components=n_natural, n_patches=n_patches, seed=seed)
print(
    f"ICA: {n_patches} patches, {ica.n_iter} FastICA iterations, "
    f"converged: {ica.converged}"
)
d = nets.as_tensors(data.mnist("full"), n_train=n_train, seed=seed)
_, w_mnist, acc = nets.reference_kernels(d, seed=seed, epochs=epochs, device=dev)
print(f"MNIST plain CNN test accuracy {100 * acc:.1f} %")

# %%
gen = torch.Generator().manual_seed(seed)
sets = {"natural": torch.from_numpy(ica.filters)[:, None], "MNIST": w_mnist}
for name in list(sets):
    k = sets[name]
    sets[f"{name}: phase-randomised"] = nulls.phase_randomize(
        k.repeat(n_null, 1, 1, 1), gen
    )
    sigma = nulls.matched_sigma(k[:, 0], gen)
    sets[f"{name}: smooth noise"] = nulls.smooth_noise(
        n_null * len(k), 7, sigma, gen
    )[:, None]
    print(f"{name}: smoothness-matched noise has σ = {sigma:.2f} px")
fits = {
    name: fitting.fit_kernels(
        k,
        families,
        n_starts=n_starts,
        steps=steps,
        refine_iters=refine_iters,
        seed=seed,
    )
    for name, k in sets.items()
}
err = {name: f.rel_error.numpy() for name, f in fits.items()}
null_medians = {
    name: np.median(e.reshape(n_null, -1), axis=1)
    for name, e in err.items()
    if ":" in name
}
for name, e in err.items():
    extra = (
        f"; over {n_null} draws {stats.summarize(null_medians[name])}"
        if name in null_medians
        else ""
    )
    print(
        f"{name:26s} median fit error {np.median(e):.3f}{extra}; "
        f"best families {sorted(set(fits[name].family))}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The six best-fitted kernels of each set (the paper's Fig. 1, scaled down): a learned first-layer kernel (upper row) and the analytic kernel fitted to it (lower row), natural-image (ICA) kernels on top and MNIST kernels below; each title gives the fitted family and the relative fit error.", "name": "fig-analytic-fig01"}, "image": {"alt": "Four rows of six small red-and-blue kernel images; each pair of rows shows learned kernels above and their analytic fits below, which look alike: oriented edges for the natural-image set, blob and stroke shapes for MNIST."}}
fig, axes = plotting.subplots(4, 6, aspect=1.0)
for block, name in enumerate(("natural", "MNIST")):
    w, f = sets[name], fits[name]
    order = torch.argsort(f.rel_error)[:6].tolist()
    for col, i in enumerate(order):
        lim = float(w[i].abs().max())
        for row, img in enumerate((w[i, 0], f.fitted[i, 0])):
            ax = axes[2 * block + row, col]
            im = ax.imshow(img.numpy() / lim, cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[2 * block, col].set_title(f"{f.family[i]}\n{f.rel_error[i]:.2f}")
    axes[2 * block, 0].set_ylabel(name)
    axes[2 * block + 1, 0].set_ylabel("ACK fit")
fig.colorbar(im, ax=axes, shrink=0.6, label="kernel / its max |·|")
plt.show()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Relative error of the best analytic kernel fitted to each learned kernel, per kernel set, against the random-kernel baseline.", "name": "fig-analytic-fig01-b"}, "image": {"alt": "Horizontal box plots of the relative fit error, one per kernel set; the learned sets sit well to the left of the random baseline."}}
fig, ax = plotting.subplots(1, 1, aspect=0.55)
ax.boxplot(list(err.values()), vert=False)
ax.set_yticks(range(1, len(err) + 1), list(err))
ax.set(
    xlabel="relative fit error ‖T − ACK‖/‖T‖",
    title="Fit error of the best ACK per kernel",
)
plt.show()

# %% [markdown]
# The claims (findings; the paper's figure is visual and gives no number): the median fit error
# of the natural-image kernels lies below the 95 % t-interval of the median of each null
# baseline over its `n_null` draws. The MNIST kernels are reported, not claimed. The fit itself
# is exact on true ACKs (`tests/test_analytic.py`), so the errors measure the kernels, not the
# optimiser.

# %% tags=["nbval-check-output"]
nat = float(np.median(err["natural"]))
for null in ("phase-randomised", "smooth noise"):
    ci = stats.summarize(null_medians[f"natural: {null}"])
    claim(
        f"analytic.fig01.natural_below_{null.split()[0].split('-')[0]}_null",
        kind="finding",
        ours=nat - ci.mean,
        paper=None,
        holds=bool(nat < ci.lo),
        n=n_null,
        fmt=".2f",
        condition=(
            f"natural-image median below the 95 % interval of the {null} null's median"
        ),
        note=(
            f"median fit error of {n_natural} natural-image kernels "
            "minus the null's mean median"
        ),
    )

# %% [markdown]
# ## What this shows / what differs from the paper
#
# Kernels learned from natural images are oriented edges and bars, and the paper's families
# model them better than kernels with the same spectrum but random phase, and better than
# smooth noise of the same roughness: the analytic families capture the *arrangement* of
# natural first-layer kernels, not only their smoothness — the paper's Fig. 1 point, tested
# against nulls. The MNIST kernels (printed above beside their own nulls) are fitted about as
# well and also beat their nulls, but they are blob- and stroke-like, not the oriented kernels
# of the paper's figure; only the natural-image set is the claim's stand-in. What
# differs from the paper: no ImageNet network — the natural-image kernels come from ICA on
# scikit-image's images (grey-level, 7×7), not from AlexNet (64 × 3 × 11 × 11) or ResNet-50
# (64 × 3 × 7 × 7); the families' parametrisation, the channel-separable form and the fitting
# procedure are ours; the paper's figure is visual and gives no number.
