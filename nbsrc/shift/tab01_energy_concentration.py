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
# # Table 1 — how Gabor-like the DT-CWPT filters are
#
# Theorems 2.9-4.2 assume filters in the class $\mathcal{J}(\theta, \kappa)$ (spectrum inside a
# $\kappa \times \kappa$ square). For the DT-CWPT filters at depth $J$ the paper uses
# $\kappa_J = \pi / 2^{J-1}$ (B.21) and measures the energy fraction inside the best such window (B.22)
#
# $$ \rho_l = \max_{\theta} \frac{\|\mathbb{1}_{B_\infty(\theta, \kappa_J/2)}\hat W_l\|^2}{\|\hat W_l\|^2}, $$
#
# over the $\nearrow$ and $\searrow$ filters with the low-pass ones excluded (30 filters for
# $J = 2$, 126 for $J = 3$). The window is searched over an `n_fft`² frequency grid.
# Setting: the paper's (q-shift filters `qshift_a`, one-sample-delay first stage).

# %% tags=["parameters"]
seed = 0
device = "cpu"
n_fft = 256

# %%
import numpy as np

from cnnmath import runtime

from cnnmath.shift import dtcwpt
from cnnmath.book.claims import claim

runtime.seed_everything(seed)
runtime.resolve_device(device)  # numpy only

# %%
rows = {}
for J in (2, 3):
    kernels, _ = dtcwpt.dtcwpt_filters(J)
    rho = dtcwpt.energy_concentration(kernels, np.pi / 2 ** (J - 1), n_fft)
    keep = np.ones(rho.shape, bool)
    keep[:, 0, 0] = False  # the two low-pass filters
    rows[J] = rho[keep]
print(f"{'J':>2} {'filters':>8} {'mean':>6} {'std':>6} {'min':>6}   paper mean / std")
for J, paper in ((2, "0.98 / 0.00"), (3, "0.95 / 0.02")):
    r = rows[J]
    print(f"{J:>2} {r.size:>8} {r.mean():6.3f} {r.std():6.3f} {r.min():6.3f}   {paper}")

# %% tags=["nbval-check-output"]
for J, (pm, ps) in ((2, (0.98, 0.00)), (3, (0.95, 0.02))):
    r = rows[J]
    claim(f"shift.tab01.mean_j{J}", kind="paper", ours=r.mean(), paper=pm, holds=abs(r.mean() - pm) <= 0.01,
          condition="within 0.01", note=f"mean energy fraction in the κ_J window, J = {J}", fmt=".3f")
    claim(f"shift.tab01.std_j{J}", kind="paper", ours=r.std(), paper=ps, holds=abs(r.std() - ps) <= 0.01,
          condition="within 0.01", note=f"standard deviation, J = {J}", fmt=".3f")

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The DT-CWPT filters keep about 98 % (J = 2) and 95 % (J = 3) of their energy in a window of
# size $\kappa_J$, as in the paper's Table 1. Our J = 3 mean is slightly below the paper's
# rounded 0.95 (within the claim's tolerance); the paper does not say how finely it searched the
# window or whether the low-pass filters were included.
