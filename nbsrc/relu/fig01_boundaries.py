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
# # Fig. 1 — linear regions and boundaries of a 2-5-5-1 ReLU network
#
# A random network $N:\mathbb{R}^2\to\mathbb{R}$ with two hidden layers of width 5 (He-normal
# weights, variance $2/\text{fan-in}$, $N(0,1)$ biases, as in the paper's §6). Left: $N$ itself,
# piecewise linear. Right: the boundaries $B_z=\{x: z(x)=0\}$ of every hidden neuron $z$ —
# layer 1 in blue (straight lines), layer 2 in red (bent where they meet a blue line).
# This is the observation behind Theorem 1: a boundary bends exactly where it crosses a
# boundary of an *earlier* layer, so the layers can be read off the geometry.
#
# We add what the paper's figure only shows by eye: Algorithm 1 run on the black box
# (queries only) finds the five blue lines exactly and sends every boundary point it cannot
# explain by a straight line to the set $P_2$ — and all of those lie on red boundaries.
# Setting: the paper's (random weights). The seed is ours and was picked for a clean picture;
# how often Algorithm 1 gets a 2-D network exactly right is measured below over `n_nets` seeds.

# %% tags=["parameters"]
seed = 2
device = "cpu"
grid_size = 500
n_lines = 12
radius = 4.0
n_nets = 8

# %%
import matplotlib.pyplot as plt
import numpy as np

from cnnmath import plotting, runtime
from cnnmath.relu import align as ra
from cnnmath.relu.layer1 import first_layer
from cnnmath.relu.oracle import Oracle, ScalarView
from cnnmath.book.claims import claim
from cnnmath.relu.nets import random_relu_net

plotting.use_style()
runtime.seed_everything(seed)
runtime.resolve_device(device)  # numpy only
net = random_relu_net((2, 5, 5, 1), np.random.default_rng(seed))
print("network sizes:", net.sizes, "| data: none (random network, inputs on a grid)")

# %%
u = np.linspace(-radius, radius, grid_size)
xx, yy = np.meshgrid(u, u)
grid = np.column_stack([xx.ravel(), yy.ravel()])
values = net(grid)[:, 0].reshape(xx.shape)
z1, z2 = (z.reshape(*xx.shape, -1) for z in net.preactivations(grid))

# %% [markdown]
# Algorithm 1 on the black box: points on `n_lines` random segments, hyperplanes fitted and
# tested far away; the failures form $P_2$.

# %%
oracle = Oracle(net, 2)
g = ScalarView(oracle, np.random.default_rng(seed + 1))
first = first_layer(g, np.random.default_rng(seed + 2), n_lines=n_lines, radius=radius)
score = ra.score_first_layer(net, first.weights, first.biases, up_to_sign=True)
p2 = np.array(first.deeper_points).reshape(-1, 2)
on_red = np.min(
    np.abs(net.preactivations(p2)[1]) / np.linalg.norm(net.weights[1], axis=1), axis=1
)
print(
    f"layer-1 lines found: {len(first.biases)} (true 5), max error "
    f"{score.max_error:.1e}, "
    f"P2 points: {len(p2)}, queries: {oracle.n_queries}"
)

# %% [markdown]
# In two dimensions Algorithm 1 is fragile: a layer-1 kink is invisible wherever all five
# layer-2 units are off (so a true line can fail the test), and a layer-2 boundary can be
# straight between the test points. The same run over `n_nets` random networks:

# %%
exact = []
for s in range(seed, seed + n_nets):
    other = random_relu_net((2, 5, 5, 1), np.random.default_rng(s))
    fl = first_layer(
        ScalarView(Oracle(other, 2), np.random.default_rng(s + 1)),
        np.random.default_rng(s + 2),
        n_lines=n_lines,
        radius=radius,
    )
    sc = ra.score_first_layer(other, fl.weights, fl.biases, up_to_sign=True)
    exact.append(sc.recovered(1e-8) == 5 == sc.n_hat)
    print(f"seed {s}: {len(fl.biases)} lines found, {sc.recovered(1e-8)} exact")
print(f"all five lines exact, none spurious: {sum(exact)}/{n_nets} networks")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The paper's Fig. 1 on a random 2-5-5-1 ReLU network: (a) the piecewise-linear function $N$; (b) the boundaries $B_z$ of its hidden neurons, layer 1 straight (blue), layer 2 bent where they meet a layer-1 line (red), and the points $P_2$ that Algorithm 1, run on the black box, could not explain by a straight line (black), all on red boundaries.", "name": "fig-relu-fig01"}, "image": {"alt": "Left: a heat map of N over the square from minus 4 to 4 in both inputs, with a colour bar; bright in the upper part, darker toward the lower left, with visible creases. Right: the same square with five straight blue lines and five red polygonal lines that change direction where they cross a blue line; black dots lie on the red lines."}}
fig, (ax0, ax1) = plotting.subplots(1, 2, aspect=1.2)
im = ax0.imshow(
    values, extent=(-radius, radius, -radius, radius), origin="lower", cmap="viridis"
)
fig.colorbar(im, ax=ax0, label="N(x)", shrink=0.8)
ax0.set(xlabel="$x_1$", ylabel="$x_2$", title="(a) the function N")
ax0.grid(False)
for k in range(5):
    ax1.contour(xx, yy, z1[..., k], levels=[0], colors="tab:blue", linewidths=1.5)
    ax1.contour(xx, yy, z2[..., k], levels=[0], colors="tab:red", linewidths=1.5)
ax1.plot(*p2.T, "k.", ms=5, label="$P_2$ (failed TestHyperplane)")
ax1.plot([], [], color="tab:blue", label="layer 1 (straight)")
ax1.plot([], [], color="tab:red", label="layer 2 (bent)")
ax1.set(
    xlabel="$x_1$",
    ylabel="$x_2$",
    title="(b) boundaries $B_z$",
    aspect="equal",
    xlim=(-radius, radius),
    ylim=(-radius, radius),
)
fig.legend(*ax1.get_legend_handles_labels(), loc="outside lower center", ncol=2)
plt.show()


# %% tags=["nbval-check-output"]
def wilson_upper(k: int, n: int, z: float = 1.96) -> float:
    """Upper end of the 95% Wilson score interval of a rate k/n."""
    p = k / n
    return (p + z**2 / (2 * n) + z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))) / (
        1 + z**2 / n
    )


z_all = np.concatenate(
    [
        np.abs(z) / np.linalg.norm(w, axis=1)
        for z, w in zip(net.preactivations(p2)[:2], net.weights[:2])
    ],
    axis=1,
)
on_boundary = np.min(z_all, axis=1)
claim(
    "relu.fig01.layer1_rate",
    kind="finding",
    ours=f"{sum(exact)}/{n_nets}",
    holds=bool(wilson_upper(sum(exact), n_nets) < 1),
    condition="95% Wilson interval of the rate below 1",
    n=n_nets,
    note="2-D networks whose five lines Algorithm 1 finds exactly, none spurious: "
    "fragile in 2-D",
)
claim(
    "relu.fig01.p2_on_boundaries",
    kind="check",
    ours=f"{int(np.sum(on_boundary < 1e-8))}/{len(p2)}",
    holds=bool(len(p2) > 0 and np.all(on_boundary < 1e-8)),
    condition="all P2 points within 1e-08 of a true boundary",
    note="every point Algorithm 1 cannot explain by a kept line is a kink of the "
    "network",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The paper's Fig. 1 draws the same three views for one random 2-5-5-1 network (the 3-D graph
# is shown here as a colour map). Our seed is ours, picked for a clean picture. The extra panel
# content — the black-box run of Algorithm 1 — makes Theorem 1 visible: at this seed every
# straight boundary is recovered to round-off and every boundary point rejected by
# `TestHyperplane` sits on a layer-2 boundary. That picture does not generalise in two
# dimensions: over `n_nets` random networks (seeds `seed` … `seed + n_nets − 1`) Algorithm 1
# finds all five lines exactly, with none spurious, only for some (the finding above; over 40
# networks the rate is a little under one half). A layer-1 kink is invisible wherever all
# layer-2 units are off, so a true line can fail the test and its points join $P_2$; a layer-2
# boundary can be straight between the test points and pass it. What always holds (the check)
# is that every point sent to $P_2$ is a true kink of the network, of layer 1 or 2. In 10 and
# 784 input dimensions (Fig. 3 notebook) layer 1 is recovered.
