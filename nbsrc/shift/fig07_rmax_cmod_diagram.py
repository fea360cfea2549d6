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
# # Fig. 7 — RMax and CMod operators on the DT-CWPT, with tensor shapes
#
# The paper's Fig. 7 is a block diagram. RMax (6.5) runs the J-stage dual-tree packet
# transform with its last stage undecimated, keeps the real parts (filter banks FB[0] and FB[3]
# of (B.6)) and max-pools 3×3 with stride 2; CMod (6.6) runs the fully decimated transform (all
# four filter banks) and takes the modulus. Here the diagram is rendered as a table of the
# shapes met by a 224×224 grey image for J = 3, asserted in code, and the alignment identity
# $\operatorname{Re}\,\mathrm{CMod}_{\mathbb{C}}[n] = \mathrm{RMax}_{\text{pre-pool}}[2n]$ is checked.
# Setting: the paper's.

# %% tags=["parameters"]
seed = 0
device = "cpu"
size = 224
J = 3

# %%
import matplotlib.pyplot as plt
import torch

from cnnmath import plotting, runtime

from cnnmath.shift import pooling, dtcwpt
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
dev = runtime.resolve_device(device)

# %%
x = torch.randn(1, size, size, dtype=torch.float64, device=dev)
P = 2**J
pre = dtcwpt.dtcwpt2(x, J, last_stride=1)  # (1, 2, P, P, H/2^(J-1), ...)
dec = dtcwpt.dtcwpt2(x, J)
y_max, y_mod = pooling.dtcwpt_rmax_cmod(x, J)
flat = lambda t: (2 * P * P, *t.shape[-2:])  # channels = 2 orientations × P² packets
rows = [
    ("input (grey)", "both", (1, size, size)),
    (f"{J - 1} decimated stages + 1 undecimated, Re", "RMax", flat(pre)),
    ("MaxPool 3×3, stride 2", "RMax", flat(y_max)),
    (f"{J} decimated stages", "CMod", flat(dec)),
    ("modulus", "CMod", flat(y_mod)),
]
for step, branch, shape in rows:
    print(f"{branch:>5} | {step:<40} | {shape}")
align = float((pre.real[..., ::2, ::2] - dec.real).abs().max())

# %% tags=["hide-input"] mystnb={"figure": {"caption": "RMax and CMod on the DT-CWPT with J = 3 for a 224×224 input (the paper's Fig. 7, drawn as a table): each branch's operations and the shapes of its maps.", "name": "fig-shift-fig07"}, "image": {"alt": "A table with columns branch, operation and shape: the input, then RMax's decimated stages, undecimated last stage and 3 by 3 max pooling, then CMod's decimated stages and modulus, with their tensor shapes."}}
fig, ax = plotting.subplots(1, 1, aspect=0.4)
ax.axis("off")
table = ax.table(
    cellText=[[b, s, "×".join(map(str, sh))] for s, b, sh in rows],
    colLabels=["branch", "operation", "shape (channels × H × W)"],
    loc="center",
    cellLoc="left",
    colWidths=[0.12, 0.55, 0.33],
)
table.auto_set_font_size(False)
table.set_fontsize(9)
table.scale(1, 1.4)
ax.set_title(f"RMax and CMod on the DT-CWPT, J = {J}, {size}×{size} input")
plt.show()

# %% tags=["nbval-check-output"]
claim(
    "shift.fig07.alignment",
    kind="check",
    ours=max(align, 1e-14),
    paper=None,
    holds=align <= 1e-12,
    condition="≤ 1e-12",
    note="max |Re CMod-complex[n] − RMax-pre-pool[2n]| (floored at 1e-14)",
    fmt=".0e",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The shapes are the paper's: 128 RMax maps of 56×56 pooled to 28×28, and 128 CMod maps of
# 28×28, so the two outputs can be compared map by map (the table above prints them; the test
# suite pins them, `test_fig7_shapes_of_rmax_and_cmod`, so they are not counted as claims). Our transform uses periodic boundaries,
# which makes the alignment exact (the authors' generic code pads with zeros and, for J = 3, would
# give 57×57 pre-pool maps; see the chapter page). The figure is a table rather than the
# paper's drawing.
