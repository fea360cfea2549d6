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
# # Table 91 (ours) — parameters of an ACL against the conv layer it replaces
#
# The paper's first claim is that ACLs have "a remarkable capacity for feature representation
# with a reduced number of parameters". Its parameter table could not be read (only the abstract
# and Fig. 1's caption are public), so this table is **a reconstruction**: the parameter count
# of our ACL (chapter page, eq. (2)),
#
# $$ P_{\text{ACL}} = \sum_f n_f\,(|\text{AKP}_f| + C_\text{in}) + (C_\text{out} - n_a)\,C_\text{in}\,k_h k_w
#    + C_\text{out}\,[\text{bias}], \qquad n_a = \operatorname{round}(\rho\, C_\text{out}), $$
#
# for the first layers of AlexNet and ResNet-50 (the layers of the paper's Fig. 1) and for the
# three layers of the small network of Table 92 and Figs. 93–94, at mosaic ratios $\rho$ from
# 0 to 1, with the paper's families (Gabor, LoG, TGD of first and second order) split evenly. Each count is computed twice: by the formula and
# by counting the learnable tensors of a built layer. Nothing is scaled down (no training).

# %% tags=["parameters"]
seed = 0
device = "cpu"

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import plotting, runtime

from cnnmath.analytic import layer as A
from cnnmath.analytic.nets import PAPER_FAMILIES
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)

# %%
layers = {  # name: (C_in, C_out, k, bias)
    "AlexNet conv1": (3, 64, 11, True),
    "ResNet-50 conv1": (3, 64, 7, False),
    "small CNN conv1": (1, 8, 7, True),
    "small CNN conv2": (8, 16, 5, True),
    "small CNN conv3": (16, 32, 3, True),
}
ratios = [0.0, 0.25, 0.5, 0.75, 1.0]
formula, counted = {}, {}
for name, (cin, cout, k, bias) in layers.items():
    for rho in ratios:
        n_a = round(rho * cout)
        formula[name, rho] = A.acl_parameter_count(
            cin, cout, k, n_a, PAPER_FAMILIES, bias=bias
        )
        layer = A.AnalyticConv2d(
            cin, cout, k, bias=bias, n_analytic=n_a, families=PAPER_FAMILIES, device=dev
        )
        counted[name, rho] = A.parameter_count(layer)

# %%
print(
    f"{'layer':18s}"
    + "".join(f"{'ρ = ' + format(r, 'g'):>10s}" for r in ratios)
    + "   ρ=1 / ρ=0"
)
for name in layers:
    row = [formula[name, r] for r in ratios]
    print(
        f"{name:18s}" + "".join(f"{v:10d}" for v in row) + f"   {row[-1] / row[0]:.4f}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Learnable parameters of one analytic convolutional layer against the mosaic ratio ρ, the fraction of analytic kernels, for the layers of the network (log scale).", "name": "fig-analytic-tab91"}, "image": {"alt": "Falling lines on a log scale, one per layer: the parameter count drops as the share of analytic kernels grows."}}
fig, ax = plotting.subplots(1, 1, aspect=0.65)
for name in layers:
    ax.semilogy(ratios, [formula[name, r] for r in ratios], "o-", label=name)
ax.set(
    xlabel="mosaic ratio ρ (fraction of analytic kernels)",
    ylabel="learnable parameters",
    title="Parameters of one ACL (Gabor, LoG, TGD kernels)",
)
ax.legend()
plt.show()

# %% [markdown]
# The counts are arithmetic, so they are no evidence for the paper's claim; the one line below is
# a consistency **check** (counted apart from reproduction): formula (2) equals the count of the
# built layer for every entry of this table.

# %% tags=["nbval-check-output"]
mismatch = max(abs(formula[key] - counted[key]) for key in formula)
claim(
    "analytic.tab91.formula_exact",
    kind="check",
    ours=mismatch,
    paper=None,
    holds=mismatch == 0,
    condition="= 0",
    note="max |formula − counted| over the 5 layers × 5 ratios of the table",
    fmt=".0f",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# An ACK replaces $C_\text{in} k^2$ free weights by a handful of AKPs plus $C_\text{in}$ channel
# amplitudes, so the saving grows with the kernel area: about 50× for AlexNet's 11 × 11 first
# layer, about 25× for ResNet-50's 7 × 7 one, much less for a 3 × 3 layer. The counting rule is
# ours (the paper's table could not be read), so the paper's counts may differ — e.g. if its
# ACKs carry one AKP set per input channel. No number of the paper is quoted.
