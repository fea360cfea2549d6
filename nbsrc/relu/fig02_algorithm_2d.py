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
# # Fig. 2 — the two algorithms, run on a real two-dimensional network
#
# The paper's Fig. 2 is a schematic: (left) Algorithm 1 finds boundary points on lines, infers
# the local hyperplane at each, and keeps it if `TestHyperplane` finds it again far away
# (✓ straight, ✗ bent); (right) Algorithm 2 starts from an unused boundary point $p_1$ and follows
# the bent boundary from region to region ($p_2, p_3, \dots$), reading a weight at each bend.
# Instead of a drawing we run `cnnmath.relu.extract` on the 2-5-5-1 network of the Fig. 1
# notebook and draw what it did: the searched segments, the boundary points, the recovered
# hyperplanes, the points sent to $P_2$, and the points where each walk found its boundary again.

# %% tags=["parameters"]
seed = 2
device = "cpu"
n_lines = 12
radius = 4.0

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import plotting, runtime
from cnnmath.relu import align as ra
from cnnmath.relu import extract
from cnnmath.book.claims import claim
from cnnmath.relu.nets import random_relu_net
from cnnmath.relu.oracle import Oracle

plotting.use_style()
runtime.seed_everything(seed)
runtime.resolve_device(device)  # numpy only
net = random_relu_net((2, 5, 5, 1), np.random.default_rng(seed))
oracle = Oracle(net, 2)
ex = extract(oracle, np.random.default_rng(seed + 1), n_lines=n_lines, radius=radius)
print(
    "network",
    net.sizes,
    "| data: none | inferred architecture",
    ex.architecture,
    "| queries",
    oracle.n_queries,
)

# %%
s1 = ra.score_first_layer(net, ex.first.weights, ex.first.biases, up_to_sign=True)
rows = np.array([z.m for z in ex.neurons]).reshape(-1, len(ex.first.biases))
s2 = ra.score_second_layer(net, s1, rows)
path = np.array([q for z in ex.neurons for q in [z.p1, *z.path]])
dist = np.min(
    np.abs(net.preactivations(path)[1]) / np.linalg.norm(net.weights[1], axis=1), axis=1
)
print(
    f"layer 1: {s1.recovered(1e-8)}/5 exact; layer 2: {len(ex.neurons)} neurons found, "
    f"{s2.recovered(1e-6)} rows exact, weights known {s2.weights_known:.2f}"
)
print(
    f"walk points: {len(path)}, max distance to a true layer-2 boundary "
    f"{dist.max():.1e}"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The paper's Fig. 2 as a run of Algorithm 1 on the 2-5-5-1 network of Fig. 1: the searched segments (grey), the hyperplanes that passed TestHyperplane (blue) and the kinks that failed it, the set $P_2$ (red crosses).", "name": "fig-relu-fig02"}, "image": {"alt": "A square plot of the input plane from minus 4 to 4 in both coordinates, crossed by thin grey search segments and five straight blue lines; red crosses mark points off the blue lines, where bent boundaries were met."}}
fig, ax0 = plotting.subplots(aspect=1.0, width=0.75)
t = np.linspace(-2 * radius, 2 * radius, 2)
for a, b in ex.first.lines:
    ax0.plot([a[0], b[0]], [a[1], b[1]], color="0.8", lw=0.8)
for w, b in zip(ex.first.weights, ex.first.biases):
    ax0.plot(-b * w[0] - t * w[1], -b * w[1] + t * w[0], color="tab:blue", lw=1.5)
p2 = np.array(ex.first.deeper_points).reshape(-1, 2)
ax0.plot(*p2.T, "x", color="tab:red", ms=6, label="failed TestHyperplane ($P_2$)")
ax0.plot([], [], color="tab:blue", label="recovered hyperplanes (✓)")
ax0.plot([], [], color="0.8", label="searched segments")
ax0.set(
    xlim=(-radius, radius),
    ylim=(-radius, radius),
    aspect="equal",
    title="(a) Algorithm 1",
)
ax0.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08))
plt.show()

# %%
u = np.linspace(-radius, radius, 400)
xx, yy = np.meshgrid(u, u)
z2 = net.preactivations(np.column_stack([xx.ravel(), yy.ravel()]))[1].reshape(
    *xx.shape, -1
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The paper's Fig. 2, Algorithm 2 on the same network: from each starting point $p_1$ (black dots) the walk follows a bent layer-2 boundary (grey, the true ones) across the recovered layer-1 lines (blue); the coloured points are the boundary points each neuron's fit used: those of the walk and those found far away to test and refit it.", "name": "fig-relu-fig02-b"}, "image": {"alt": "A square plot of the input plane with the five blue lines, grey bent boundaries, large black starting points, and small coloured dots, one colour per walk, lying on the grey boundaries, clustered where they cross blue lines."}}
fig, ax1 = plotting.subplots(aspect=1.0, width=0.75)
for k in range(5):
    ax1.contour(xx, yy, z2[..., k], levels=[0], colors="0.75", linewidths=1)
for w, b in zip(ex.first.weights, ex.first.biases):
    ax1.plot(-b * w[0] - t * w[1], -b * w[1] + t * w[0], color="tab:blue", lw=0.8)
for z in ex.neurons:
    ax1.plot(*np.array([z.p1, *z.path]).T, ".", ms=4)
    ax1.plot(*z.p1, "ko", ms=5)
ax1.set(
    xlim=(-radius, radius),
    ylim=(-radius, radius),
    aspect="equal",
    title="(b) Algorithm 2: walks from $p_1$ (black dots)",
)
plt.show()

# %% [markdown]
# Bounds: a walk point is a kink located by line intersection in float64, so it lies on the true
# boundary to about $10^{-12}$; $10^{-8}$ leaves room for the fit tolerances while still failing a
# walk that slid onto another boundary. In the plane, `TestHyperplane` can only test along the
# line itself, on both sides: a stretch of a layer-2 boundary that stays straight over the tested
# distances passes it (about half of the seeds of this 2-5-5-1 family keep one or two such lines).
# What must hold on every seed is that such a run is not called complete.

# %% tags=["nbval-check-output"]
kept_exact = s1.recovered(1e-8) == s1.n_hat
dist_any = np.minimum(
    dist,
    np.min(
        np.abs(net.preactivations(path)[0]) / np.linalg.norm(net.weights[0], axis=1),
        axis=1,
    ),
)
claim(
    "relu.fig02.layer1_kept_exact",
    kind="check",
    ours=f"{s1.recovered(1e-8)}/{s1.n_hat}",
    holds=bool(s1.n_hat > 0 and (kept_exact or not ex.complete)),
    condition="every kept hyperplane exact to 1e-8, or the run flagged incomplete",
    note="exact / kept by TestHyperplane",
)
claim(
    "relu.fig02.walks_on_boundaries",
    kind="check",
    ours=f"{int(np.sum(dist_any < 1e-8))}/{len(path)}",
    holds=bool(len(path) > 0 and np.all(dist_any < 1e-8)),
    condition="all within 1e-08 of a true boundary",
    note="every point of every walk is a kink of the network (layer 2, or a layer-1 "
    "line the test missed)",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The schematic's steps, on a real network: every segment's kinks are found, the five straight
# boundaries pass `TestHyperplane` (with, on some seeds, a straight stretch of a bent one that the
# test in the plane cannot tell apart), the bent ones fail and seed the walks, and the walks stay on
# layer-2 boundaries from region to region. In two dimensions, though, a layer-2 boundary meets
# few layer-1 lines inside the region the walk can reach, so several of its weights stay unknown
# and some walks misread a bend (the printed row count); Theorem 3's condition (iv) is rarely met
# in $\mathbb{R}^2$. At 10 inputs (Fig. 4 notebook) the second layer is recovered. The paper's
# figure is a drawing and has no numbers.
