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
gap_j3 = (
    "our mean rounds to 0.94, not 0.95; it is stable under the frequency grid "
    "(128², 256², 512²) and with the low-pass filters included; the paper's window "
    "search or filter set is not recoverable from the text"
)
for J, (pm, ps) in ((2, (0.98, 0.00)), (3, (0.95, 0.02))):
    r = rows[J]
    claim(
        f"shift.tab01.mean_j{J}",
        kind="paper",
        ours=r.mean(),
        paper=pm,
        holds=round(r.mean(), 2) == pm,
        condition="equal at the paper's two decimals",
        note=f"mean energy fraction in the κ_J window, J = {J}",
        fmt=".3f",
        gap=gap_j3 if J == 3 else "",
    )
    claim(
        f"shift.tab01.std_j{J}",
        kind="paper",
        ours=r.std(),
        paper=ps,
        holds=round(r.std(), 2) == ps,
        condition="equal at the paper's two decimals",
        note=f"standard deviation over the filters, J = {J}",
        fmt=".3f",
    )

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The DT-CWPT filters keep about 98 % (J = 2) and 95 % (J = 3) of their energy in a window of
# size $\kappa_J$, as in the paper's Table 1. Three of the four numbers agree at the paper's two
# decimals; the J = 3 mean rounds to 0.94 where the paper prints 0.95, a GAP of about 0.001 below
# the rounding interval. It does not move with the frequency grid (128², 256² and 512² give the
# same mean to three decimals) nor when the two low-pass filters are included, and the paper does
# not say how it searched the window, so the cause is not recoverable from the text.
