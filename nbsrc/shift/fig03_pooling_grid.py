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
# # Fig. 3 — what the max-pooling grid sees of an oscillating feature map
#
# Near a point $x_n$, the feature map of a Gabor-like filter oscillates as
# $U^{\rm mod}X[n]\, G_X(x_n, h)$, $G_X(x, h) = \cos(\langle\nu, h\rangle - H_X(x))$ (3.16). Max pooling
# over the grid $h_p = msp$, $\|p\|_\infty \le q$, returns $U^{\rm mod}X[n]\max_p G_X(x_n, h_p)$: close to
# the modulus when some grid point lands near a ridge, far from it when the grid misses the
# ridges. In units of the grid step, the phases are $\langle m\theta, p\rangle - H$. Three
# reconstructed examples (the paper's exact values are not given): (a) a generic frequency,
# (b) $m\theta = (0, 2\pi)$ with phase $\pi$ (every grid point in a trough), (c) a low frequency
# with the grid inside a trough.

# %% tags=["parameters"]
seed = 0
device = "cpu"
q = 1

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import plotting, runtime

from cnnmath.shift import pooling
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed)
runtime.resolve_device(device)  # numpy only

# %%
cases = {
    "(a) generic": ((0.9, 2.1), 0.4),
    "(b) mθ = (0, 2π), H = π": ((0.0, 2 * np.pi), np.pi),
    "(c) low frequency, H = π": ((0.35, 0.25), np.pi),
}
h = np.linspace(-1.6, 1.6, 161)
hy, hx = np.meshgrid(h, h, indexing="ij")
grid_p = np.array([(a, b) for a in range(-q, q + 1) for b in range(-q, q + 1)])
g_max = {
    k: np.cos(pooling.pooling_phases(np.array(om), q) - H).max()
    for k, (om, H) in cases.items()
}
gammas = {k: float(pooling.gamma_sq(np.array(om), q)) for k, (om, _) in cases.items()}
print(
    {k: round(v, 3) for k, v in g_max.items()},
    {k: round(v, 3) for k, v in gammas.items()},
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The max-pooling grid over an oscillating feature map (the paper's Fig. 3): (a) a generic frequency, where one of the nine points lies near a crest and the max is close to the modulus; (b) a pathological frequency and (c) a low one, where all points share nearly one phase.", "name": "fig-shift-fig03"}, "image": {"alt": "Three square maps of a cosine wave in red and blue with a 3 by 3 grid of black dots; in the first the dots fall on different phases, in the second and third they all sit in the blue troughs."}}
fig, axes = plotting.subplots(1, 3, aspect=1.25)
for ax, (k, (om, H)) in zip(axes, cases.items()):
    im = ax.imshow(
        np.cos(om[0] * hy + om[1] * hx - H),
        origin="lower",
        extent=(h[0], h[-1], h[0], h[-1]),
        cmap="RdBu_r",
        vmin=-1,
        vmax=1,
    )
    ax.scatter(grid_p[:, 1], grid_p[:, 0], c="k", s=18)
    ax.set(
        title=f"{k[:3]}\nmax over grid {g_max[k]:.2f}",
        xlabel="$h_x / ms$",
        ylabel="$h_y / ms$",
    )
    ax.grid(False)
fig.colorbar(im, ax=axes, shrink=0.8, label=r"$G_X(x, h)$")
plt.show()

# %% tags=["nbval-check-output"]
ga, gb, gc = g_max.values()
claim(
    "shift.fig03.generic",
    kind="check",
    ours=ga,
    paper=None,
    holds=ga >= 0.9,
    condition="≥ 0.9",
    note="max of G over the grid, generic frequency: RMax ≈ CMod",
    fmt=".2f",
)
claim(
    "shift.fig03.pathological",
    kind="check",
    ours=gb,
    paper=None,
    holds=gb <= -0.99,
    condition="≤ −0.99",
    note="max of G over the grid when every point sits in a trough",
    fmt=".2f",
)
claim(
    "shift.fig03.low_frequency",
    kind="check",
    ours=gc,
    paper=None,
    holds=gc <= 0,
    condition="≤ 0",
    note="max of G over the grid for a low frequency in a trough",
    fmt=".2f",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# For a generic frequency the nine points spread over the ridges and troughs, so one of them is
# near a crest and max pooling recovers the modulus; when $m\theta \in 2\pi\mathbb{Z}^2$ or $\theta$ is
# small, all points share nearly one phase and the max can even be negative. The figure has the
# same content as the paper's; the three frequencies and phases are ours.
