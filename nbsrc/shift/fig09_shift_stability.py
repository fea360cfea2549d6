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
# # Fig. 9 — shift stability of RMax and CMod per DT-CWPT filter, on natural images
#
# Each image $X_n$ is compared with a second crop $X'_n$ of the same picture moved by one pixel
# along $x$ (new content enters, as in the paper). For every DT-CWPT filter the paper plots
# the means over images of (6.10) and (6.11),
#
# $$ \tilde\rho^{\max}_l = \operatorname{mean}_n\frac{\|Y'^{\max}_{nl} - Y^{\max}_{nl}\|_2}{\|Y^{\rm mod}_{nl}\|_2}, \qquad
#    \tilde\rho^{\rm mod}_l = \operatorname{mean}_n\frac{\|Y'^{\rm mod}_{nl} - Y^{\rm mod}_{nl}\|_2}{\|Y^{\rm mod}_{nl}\|_2}. $$
#
# Theorem 2.9 bounds CMod's ratio by $\alpha(\kappa_J u) = \kappa_J\|u\|_1/2$ ($\kappa_J = \pi/2^{J-1}$,
# $u = (0, 1)$); Theorem 4.2 says RMax is stable only where RMax ≈ CMod (Fig. 8).
# **Substitute data** as in Fig. 8: `per_image` random 224² grey crops of each of 32 natural images
# (scikit-image's 9 and, with `photographs = True`, the 23 photographs of Debian's desktop-background
# packages, `data.PHOTOGRAPHS`) instead of ImageNet's 50 000 validation images; periodic transform,
# interior outputs only.

# %% tags=["parameters"]
seed = 0
device = "cpu"
size = 224
per_image = 3
photographs = True
shift_px = 1
subpixel = 0.5
per_image_subpixel = 3
batch = 8
n_noise = 24

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy import stats

from cnnmath import data, plotting, runtime

from cnnmath.shift import pooling
from cnnmath.book.claims import claim

plotting.use_style()
rng = runtime.seed_everything(seed)
dev = runtime.resolve_device(device)

# %%
images = data.NATURAL_IMAGES + (data.PHOTOGRAPHS if photographs else ())
x, x_shifted = pooling.natural_crops(size, per_image, shift_px, rng, names=images)
print(
    f"data: {len(x)} pairs of random {size}×{size} grey crops shifted by {shift_px} px "
    f"along x, {per_image} from each of {len(images)} images (substitute for ImageNet val): "
    f"scikit-image's {', '.join(data.NATURAL_IMAGES)}"
    + (f"; Debian's photographs {', '.join(data.PHOTOGRAPHS)}" if photographs else "")
)
studies = {J: pooling.dtcwpt_shift_study(x, x_shifted, J, batch, dev) for J in (2, 3)}
masks = {J: np.ones(s.rho_sq.shape, bool) for J, s in studies.items()}
for mask in masks.values():
    mask[:, 0, 0] = False  # the two low-pass filters (excluded, as in the paper)
bound = {
    J: float(pooling.alpha(np.pi / 2 ** (J - 1) * np.array([0.0, shift_px])))
    for J in (2, 3)
}

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Shift stability under a one-pixel shift per DT-CWPT filter (the paper's Fig. 9): (a) RMax's ρ̃^max, (b) CMod's ρ̃^mod, J = 2 and 3. CMod is far more stable; RMax is stable only on the θ_x ≈ 0 column.", "name": "fig-shift-fig09"}, "image": {"alt": "Four grey maps of the frequency plane in cells. The top row (RMax) is mostly mid to dark grey with a light vertical band at the centre; the bottom row (CMod) is uniformly light."}}
fig, axes = plotting.subplots(2, 2, aspect=1.0)
cmap = plt.get_cmap("bone_r").copy()
cmap.set_bad("white")
for col, J in enumerate((2, 3)):
    for row, (vals, name) in enumerate(
        (
            (studies[J].rho_max, r"(a) $\tilde\rho^{\max}_l$ (RMax)"),
            (studies[J].rho_mod, r"(b) $\tilde\rho^{\rm mod}_l$ (CMod)"),
        )
    ):
        im = axes[row, col].imshow(
            pooling.fill_frequency_plane(np.where(masks[J], vals, np.nan)),
            origin="lower",
            cmap=cmap,
            vmin=0,
            vmax=1,
            extent=(-np.pi, np.pi, -np.pi, np.pi),
        )
        axes[row, col].set(
            title=f"{name}, J = {J}", xlabel=r"$\theta_x$", ylabel=r"$\theta_y$"
        )
        axes[row, col].grid(False)
fig.colorbar(im, ax=axes, shrink=0.6)
plt.show()


# %%
def ratios(J, idx=slice(None)):
    """Mean ρ̃^max / mean ρ̃^mod, ρ̃^max on the θ_x ≈ 0 column / elsewhere, and Pearson
    r of ρ̃² and ρ̃^max off that column, over the band-pass filters, from the crops
    `idx`."""
    s, m, col = studies[J], masks[J], np.zeros_like(masks[J])
    # θ_x = ±π/2^{J+1}: filters oriented horizontally, low-pass along x
    col[:, :, 0] = True
    rmax, rmod, rsq = (
        v[idx].mean(0) for v in (s.rho_max_each, s.rho_mod_each, s.rho_sq_each)
    )
    return dict(
        ratio=rmax[m].mean() / rmod[m].mean(),
        band=rmax[m & col].mean() / rmax[m & ~col].mean(),
        corr=stats.pearsonr(rsq[m & ~col], rmax[m & ~col]).statistic,
    )


summary, ci = {}, {}
for J, s in studies.items():
    m = masks[J]
    boot = {
        k: pooling.bootstrap_interval(lambda i, J=J, k=k: ratios(J, i)[k], len(x), rng)
        for k in ("ratio", "band", "corr")
    }
    summary[J] = dict(
        ratios(J),
        mod_max=s.rho_mod[m].max(),
        max_mean=s.rho_max[m].mean(),
        mod_mean=s.rho_mod[m].mean(),
        argmax=np.unravel_index(np.argmax(np.where(m, s.rho_max, -1)), m.shape),
    )
    ci[J] = boot
    print(
        f"J = {J}: mean ρ̃^max {summary[J]['max_mean']:.3f}, "
        f"mean ρ̃^mod {summary[J]['mod_mean']:.3f}, "
        f"max ρ̃^mod {summary[J]['mod_max']:.3f} (Thm 2.9 bound {bound[J]:.3f}); "
        f"largest ρ̃^max at θ = {s.theta[summary[J]['argmax']]}"
    )
    for k, name in (
        ("ratio", "ρ̃^max / ρ̃^mod"),
        ("band", "θ_x ≈ 0 band / rest"),
        ("corr", "r(ρ̃², ρ̃^max)"),
    ):
        print(
            f"    {name}: {summary[J][k]:.3f}, "
            f"95% bootstrap interval [{boot[k][0]:.3f}, {boot[k][1]:.3f}]"
        )

# %% [markdown]
# ## A sub-pixel shift
# The theory covers fractional shifts $T_u$ defined by Shannon interpolation (2.34). We repeat the
# study with $u = (0, 1/2)$ on `per_image_subpixel` crops per image: each crop's strip, widened by
# 32 px on each side, is moved by an FFT phase ramp and cropped back. Theorem 2.9 then bounds CMod's
# ratio by $\kappa_J/4$, provided the filter's support lies inside the band $]-\pi, \pi[$ along the shift:
# for the last column of cells ($|\theta_x| = (2^J - \frac12)\pi/2^J$) the window $\kappa_J$ straddles
# $\pm\pi$, where the half-pixel phase $e^{-i\omega/2}$ is discontinuous, so those filters are outside the
# theorem and are reported separately.

# %%
xh, xh_shifted = pooling.natural_crops(size, per_image_subpixel, subpixel, rng, names=images)
half = {J: pooling.dtcwpt_shift_study(xh, xh_shifted, J, batch, dev) for J in (2, 3)}
sub = {}
for J, s in half.items():
    inner = masks[J].copy()
    inner[:, :, -1] = False  # x-band straddling ±π
    sub[J] = dict(
        mod_max=s.rho_mod[inner].max(),
        edge=s.rho_mod[masks[J] & ~inner].mean(),
        ratio=s.rho_max[masks[J]].mean() / s.rho_mod[masks[J]].mean(),
        ratio_ci=pooling.bootstrap_interval(
            lambda i, s=s, m=masks[J]: (
                s.rho_max_each[i].mean(0)[m].mean()
                / s.rho_mod_each[i].mean(0)[m].mean()
            ),
            len(xh),
            rng,
        ),
        bound=float(pooling.alpha(np.pi / 2 ** (J - 1) * np.array([0.0, subpixel]))),
    )
    print(
        f"J = {J}, u = (0, {subpixel}), {len(xh)} crops: "
        f"max ρ̃^mod {sub[J]['mod_max']:.3f} inside the band "
        f"(bound {sub[J]['bound']:.3f}), mean {sub[J]['edge']:.3f} on the ±π column; "
        f"mean ρ̃^max / ρ̃^mod {sub[J]['ratio']:.2f}"
    )

# %% [markdown]
# Theorem 2.9 bounds every crop's ratio, but the DT-CWPT filters are only approximately in
# $\mathcal{J}(\theta, \kappa_J)$ (Table 1): single crops exceed $\kappa_J/4$, most often at $J = 3$ next to
# the $\pm\pi$ column, and most on the photographs, whose spectra fall more steeply (out-of-focus
# backgrounds). Per image set, $J = 3$, filters inside the band:
# %%
n_sk_h = len(data.NATURAL_IMAGES) * per_image_subpixel
inner3 = masks[3].copy()
inner3[:, :, -1] = False
for name, idx in {"scikit-image's": slice(0, n_sk_h), "the photographs'": slice(n_sk_h, None)}.items():
    each = half[3].rho_mod_each[idx]
    if len(each) == 0:
        continue
    means = np.where(inner3, each.mean(0), -1)
    cell = tuple(int(i) for i in np.unravel_index(np.argmax(means), means.shape))
    over = (each[:, inner3] > sub[3]["bound"]).any(1).mean()
    print(f"{name} {len(each)} crops: largest mean ρ̃^mod {means.max():.3f} at (k_y, k_x) = {cell[1:]} "
          f"{'↗↘'[cell[0]]} (bound {sub[3]['bound']:.3f}); crops above it at some filter: {over:.0%}")

# %% [markdown]
# ## Fig. 9b's level: a white-noise control
# Our CMod ratios sit above the grey levels of the paper's Fig. 9b. Texture is not the cause: on
# white noise (`n_noise` fields of i.i.d. normal pixels, the second crop one column further, as for
# the images) the ratio is as large. (6.11) normalises by $\|Y^{\rm mod}\|_2$ and is not squared; for a
# filter of bandwidth $\kappa_J$ along $x$ a 1-px shift moves its complex map by a phase that varies over
# the band, so the ratio is fixed mostly by $\kappa_J$ (Thm 2.9's $\kappa_J/2$), not by the content.
# %%
field = rng.standard_normal((n_noise, size, size + shift_px))
noise = {
    J: pooling.dtcwpt_shift_study(
        field[..., :size], field[..., shift_px:], J, batch, dev
    )
    for J in (2, 3)
}
for J in (2, 3):
    print(
        f"J = {J}: mean ρ̃^mod on white noise "
        f"{noise[J].rho_mod[masks[J]].mean():.3f}, "
        f"on the images {summary[J]['mod_mean']:.3f}; "
        f"squared means {np.mean(noise[J].rho_mod[masks[J]] ** 2):.3f} / "
        f"{np.mean(studies[J].rho_mod[masks[J]] ** 2):.3f}"
    )

# %% [markdown]
# ## Fig. 9a's darkest cell depends on the images
# The paper's darkest $J = 2$ cell is $(\theta_y, \theta_x) = (\pi/8, -7\pi/8)$, ↘. Ours are the two ↘
# corner cells $(k_y, k_x) = (0, 3)$ and $(3, 3)$ (θ_x = −7π/8), both far above every other cell; which
# one leads depends on the pictures. The difference of their $\tilde\rho^{\max}$ over the crops of each set:
# %%
s2 = studies[2]
order = np.argsort(-np.where(masks[2], s2.rho_max, -1), axis=None)
top = [tuple(int(i) for i in np.unravel_index(k, s2.rho_max.shape)) for k in order[:3]]
n_sk = len(data.NATURAL_IMAGES) * per_image
sets = {"scikit-image's": np.arange(n_sk), "the photographs'": np.arange(n_sk, len(x))}
for name, idx in sets.items():
    if len(idx) < 2:
        continue
    lead = lambda i, idx=idx: (s2.rho_max_each[idx[i]][:, 1, 0, 3] - s2.rho_max_each[idx[i]][:, 1, 3, 3]).mean()
    lo, hi = pooling.bootstrap_interval(lead, len(idx), rng)
    print(f"{name} {len(idx)} crops: ρ̃^max (0, 3)↘ − (3, 3)↘ = {lead(np.arange(len(idx))):+.3f}, "
          f"95% bootstrap interval [{lo:+.3f}, {hi:+.3f}]")
print("largest ρ̃^max, J = 2:", ", ".join(f"{c[1:]} {'↗↘'[c[0]]} {s2.rho_max[c]:.2f}" for c in top))

# %% tags=["nbval-check-output"]
for J, sm in summary.items():
    claim(
        f"shift.fig09.cmod_bound_j{J}",
        kind="check",
        ours=sm["mod_max"],
        paper=None,
        holds=sm["mod_max"] <= bound[J],
        condition=f"≤ α(κ_J u) = {bound[J]:.3f} (Thm 2.9)",
        note=f"largest ρ̃^mod over the band-pass filters, J = {J}",
        fmt=".3f",
    )
    lo_hi = ci[J]
    claim(
        f"shift.fig09.rmax_over_cmod_j{J}",
        kind="check",
        ours=sm["ratio"],
        paper=None,
        holds=lo_hi["ratio"][0] > 1,
        condition="95% bootstrap interval above 1",
        note=f"mean ρ̃^max / mean ρ̃^mod, J = {J}: Fig. 9a darker than 9b",
        fmt=".2f",
    )
    claim(
        f"shift.fig09.horizontal_band_j{J}",
        kind="check",
        ours=sm["band"],
        paper=None,
        holds=lo_hi["band"][1] < 1,
        condition="95% bootstrap interval below 1",
        note=(
            f"mean ρ̃^max on the θ_x ≈ 0 column / elsewhere, J = {J}: "
            "Fig. 9a's light band"
        ),
        fmt=".2f",
    )
    claim(
        f"shift.fig09.corr_fig08_j{J}",
        kind="check",
        ours=sm["corr"],
        paper=None,
        holds=lo_hi["corr"][0] > 0.5,
        condition="95% bootstrap interval above 0.5 (a strong correlation)",
        note=(
            f"Pearson r of ρ̃² and ρ̃^max off the θ_x ≈ 0 column, J = {J}: "
            "Fig. 9a follows Fig. 8"
        ),
        fmt=".2f",
    )
for J, sb in sub.items():
    claim(
        f"shift.fig09.subpixel_cmod_bound_j{J}",
        kind="check",
        ours=sb["mod_max"],
        paper=None,
        holds=sb["mod_max"] <= sb["bound"],
        condition=f"≤ α(κ_J u) = {sb['bound']:.3f} (Thm 2.9)",
        note=f"u = (0, {subpixel}): largest ρ̃^mod, filters inside the band, J = {J}",
        fmt=".3f",
    )
    claim(
        f"shift.fig09.subpixel_rmax_over_cmod_j{J}",
        kind="check",
        ours=sb["ratio"],
        paper=None,
        holds=sb["ratio_ci"][0] > 1,
        condition="95% bootstrap interval above 1",
        note=f"u = (0, {subpixel}): mean ρ̃^max / mean ρ̃^mod, J = {J}",
        fmt=".2f",
    )
for J in (2, 3):
    level = summary[J]["mod_mean"]
    claim(
        f"shift.fig09.cmod_level_j{J}",
        kind="paper",
        ours=level,
        paper="≈ 0.05–0.2 (grey levels of Fig. 9b)",
        holds=0.05 <= level <= 0.2,
        condition="in [0.05, 0.2]",
        note=f"mean ρ̃^mod over the band-pass filters, J = {J}",
        gap=(
            "white noise gives the same level, so the substitute images are not the "
            "cause; the paper's normalisation or display of Fig. 9b is not recoverable "
            "from the text"
        ),
        fmt=".3f",
    )
claim(
    "shift.fig09.darkest_rmax_j2",
    kind="paper",
    ours=" then ".join(f"({c[1]}, {c[2]}) {'↗↘'[c[0]]}" for c in top[:2]),
    paper="(0, 3) ↘",
    holds=(1, 0, 3) in top[:2],
    condition="the paper's darkest cell is one of our two largest",
    note=(
        "cells (k_y, k_x) of the two largest ρ̃^max, J = 2; (θ_y, θ_x) = (π/8, −7π/8) in "
        "the paper; which of the two ↘ corner cells leads depends on the images"
    ),
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# CMod is far more stable than RMax under a one-pixel shift, and stays within Theorem 2.9's
# bound $\kappa_J/2$ for every filter even though the DT-CWPT filters are only approximately in
# $\mathcal{J}(\theta, \kappa_J)$ (Table 1) and new content enters the shifted crop. RMax is unstable
# except on the $\theta_x \approx 0$ column, whose filters are low-pass along $x$, the shift direction
# (the paper's first effect); off that column RMax's instability follows the RMax-CMod gap of
# Fig. 8 (the paper's second effect), and its largest values sit in the two ↘ corner cells, one of them
# the paper's darkest (which of the two leads depends on the pictures: scikit-image's favour the paper's,
# the photographs the other).
# The ratio and band claims test the paper's qualitative reading of Fig. 9 (no numbers are given).
#
# Differences: 32 natural images (scikit-image's 9 and 23 photographs of Debian's desktop-background
# packages) instead of ImageNet (our CMod ratios, ≈ 0.17–0.25 on average, are somewhat above the
# paper's ≈ 0.05–0.2 read off its figure; our RMax ratios, ≈ 0.5 on average and up to ≈ 1.1, match its
# ≈ 0.3–0.6 and ≈ 0.9–1.0); periodic boundaries with interior outputs only. The half-pixel study is
# ours (the paper's experiment uses a one-pixel shift); on average over the crops it stays within
# Theorem 2.9's bound for sub-pixel shifts, except for the filters whose band straddles $\pm\pi$ along
# the shift, which the theorem does not cover (their CMod ratio is ≈ 0.47, well above the bound). It
# holds on average only: single crops exceed $\kappa_J/4$, the photographs most, because the DT-CWPT
# filters are only approximately in $\mathcal{J}(\theta, \kappa_J)$; at $J = 3$ the mean over the crops
# comes within a few hundredths of the bound.
