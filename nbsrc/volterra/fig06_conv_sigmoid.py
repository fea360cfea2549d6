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
# # Fig. 6 — conv + sigmoid against its order-5 Volterra approximation, and a composed Volterra convolution
#
# A two-layer network $z = g * \sigma(h * x)$ with a random signal $x \in \mathbb{R}^{64}$ and
# random kernels $h \in \mathbb{R}^{9}$, $g \in \mathbb{R}^{5}$ (each drawn from $N(0, 1)$, or from
# $U[0, 1)$, and scaled to unit norm: the authors' code runs both laws, `--rand g` and `--rand u`) is a Volterra convolution once the sigmoid is
# replaced by its Taylor series (the paper's truncated Lemma 12):
#
# $$ g * \sigma(h * x) \approx \sum_{k=0}^{5} a_k \,(\operatorname{diag}(g) \circledast h^{\otimes k}) * x^k,
#    \qquad a_k = \frac{\sigma^{(k)}(0)}{k!} = \tfrac12, \tfrac14, 0, -\tfrac1{48}, 0, \tfrac1{480}. $$
#
# The kernels are built explicitly (the order-5 kernel has $13^5 = 371\,293$ entries) and the
# Volterra convolution is evaluated from them. The paper reports an $L_2$ reconstruction error
# of $5.64877 \times 10^{-7}$ for one random draw; its seed and law are unknown, so we show our
# draw and the distributions over `n_seeds` draws of each law, and place the paper's value as a
# percentile of each. Setting: the paper's; the `paper` profile draws 1000 per law. One torch thread (`threads`): these
# small tensors gain nothing from a second one.

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
order = 5
signal_length = 64
inner_length = 9
outer_length = 5
n_seeds = 200
max_taylor_order = 11
composition_kernel = 5

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from cnnmath import plotting, runtime

from cnnmath.volterra import conv
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed, threads=threads)
dev = runtime.resolve_device(device)


LAWS = ("gaussian", "uniform")


def draw(
    draw_seed: int, law: str = "gaussian"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x, h, g drawn from N(0, 1) or U[0, 1) (numpy generator (`draw_seed`, law)), each
    scaled to unit norm."""
    rng = np.random.default_rng([draw_seed, LAWS.index(law)])
    sample = rng.standard_normal if law == "gaussian" else rng.random
    unit = lambda n: torch.tensor(  # noqa: E731
        sample(n), dtype=torch.float64, device=dev
    )
    return tuple(
        v / v.norm()
        for v in (unit(signal_length), unit(inner_length), unit(outer_length))
    )


def network(x, h, g):
    """The two-layer network g * sigmoid(h * x) (valid cross-correlations, as torch
    computes)."""
    return torch.conv1d(
        torch.sigmoid(torch.conv1d(x[None, None], h[None, None])), g[None, None]
    )[0, 0]


# %% [markdown]
# Our draw: the network's output, its order-5 Volterra approximation, and the difference.

# %%
x, h, g = draw(seed)
z = network(x, h, g)
kernels = conv.conv_activation_kernels(g, h, "sigmoid", order)
z_volterra = conv.volterra_conv1d(kernels, x)
error = (z - z_volterra).norm().item()
print(
    f"outputs: {z.numel()}, kernel shapes: "
    f"{[tuple(k.shape) for k in kernels[1:] if k is not None]}"
)
print(f"L2 error of the order-{order} approximation (seed {seed}): {error:.6e}")

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The paper's Fig. 6a/6b, one draw: the two-layer network $g * \\sigma(h * x)$ and its order-5 Volterra convolution (a), and their difference (b), which is of the size of the first dropped Taylor term.", "name": "fig-volterra-fig06"}, "image": {"alt": "Two stacked plots against the output index. Top: the network's outputs as dots and the order-5 Volterra approximation as a line through them; the two coincide. Bottom: their difference, an oscillating curve far below the outputs' scale."}}
fig, (ax0, ax1) = plotting.subplots(2, 1, aspect=0.42, sharex=True)
t = np.arange(z.numel())
ax0.plot(t, z.cpu(), "o", ms=4, label=r"network $g*\sigma(h*x)$")
ax0.plot(t, z_volterra.cpu(), "-", lw=1.2, label=f"order-{order} Volterra")
ax0.set(ylabel="output", title="(a) network and its Volterra convolution")
ax0.legend()
ax1.plot(t, (z - z_volterra).cpu(), ".-", lw=0.8)
ax1.set(
    xlabel="output index t",
    ylabel="difference",
    title=f"(b) difference, L2 = {error:.2e}",
)
plt.show()

# %% [markdown]
# The error over many draws, and what is missing: the next non-zero Taylor term is of order 7
# with $a_7 = -17/80640$, so the residual should be almost exactly
# $a_7\, g * (h * x)^7$. The order-$k$ term is also evaluated directly as
# $a_k\, g * (h*x)^k$ (no kernels) to check the kernels and to extend the error curve to order 11.
# Draws `seed·n_seeds` … `(seed+1)·n_seeds − 1` of each law; the kernels are checked on the Gaussian ones.

# %%
PAPER_ERROR = 5.64877e-07
errors, residual_mismatch, kernel_mismatch = {law: [] for law in LAWS}, [], []
a = conv.taylor_coefficients("sigmoid", max_taylor_order)
for law in LAWS:
    for s in range(seed * n_seeds, (seed + 1) * n_seeds):
        xs, hs, gs = draw(s, law)
        zs, hx = network(xs, hs, gs), torch.conv1d(xs[None, None], hs[None, None])[0, 0]
        taylor = sum(
            a[k] * torch.conv1d((hx**k)[None, None], gs[None, None])[0, 0]
            for k in range(order + 1)
        )
        predicted = a[7] * torch.conv1d((hx**7)[None, None], gs[None, None])[0, 0]
        errors[law].append((zs - taylor).norm().item())
        if law == "gaussian":
            residual_mismatch.append(
                ((zs - taylor) - predicted).norm().item() / predicted.norm().item()
            )
            kernels_s = conv.conv_activation_kernels(gs, hs, "sigmoid", order)
            kernel_mismatch.append(
                (conv.volterra_conv1d(kernels_s, xs) - taylor).abs().max().item()
            )
errors = {law: np.array(e) for law, e in errors.items()}
percentile = {law: 100 * np.mean(e <= PAPER_ERROR) for law, e in errors.items()}
pooled = np.concatenate(list(errors.values()))
band = np.quantile(pooled, [0.05, 0.95])
for law, e in errors.items():
    print(
        f"{law}, {n_seeds} draws: median {np.median(e):.2e}, 5%–95% "
        f"[{np.quantile(e, 0.05):.2e}, {np.quantile(e, 0.95):.2e}];"
        f" the paper's value is at percentile {percentile[law]:.0f}"
    )
print(
    f"pooled (both laws): central 90% band [{band[0]:.2e}, {band[1]:.2e}], paper at "
    f"percentile {100 * np.mean(pooled <= PAPER_ERROR):.0f}"
)

# %%
orders = np.arange(1, max_taylor_order + 1)
hx = torch.conv1d(x[None, None], h[None, None])[0, 0]
partial = [
    sum(
        a[k] * torch.conv1d((hx**k)[None, None], g[None, None])[0, 0]
        for k in range(n + 1)
    )
    for n in orders
]
curve = [(z - p).norm().item() for p in partial]

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The error of the truncated series (the paper's Fig. 6 reports one value at order 5, dashed): (c) against the truncation order for our draw, each odd order lowering it by more than a decade; (d) its distribution at order 5 over random draws of each law.", "name": "fig-volterra-fig06-b"}, "image": {"alt": "Left: L2 error on a log scale against truncation orders 1 to 11, falling in steps at each odd order, with a dashed horizontal line at the paper's value. Right: two overlapping histograms of the base-10 log error at order 5, Gaussian draws to the left of uniform ones, with a dashed vertical line at the paper's value between them."}}
fig, (ax0, ax1) = plotting.subplots(1, 2, aspect=1.0)
ax0.semilogy(orders, curve, "o-")
ax0.axhline(5.64877e-07, color="gray", ls="--", lw=1, label="paper, order 5")
ax0.set(xlabel="truncation order N", ylabel="L2 error", title=f"(c) seed {seed}")
ax0.legend()
for law, e in errors.items():
    ax1.hist(
        np.log10(e),
        bins=30,
        alpha=0.6,
        label=f"{law}\n(paper at pct {percentile[law]:.0f})",
    )
ax1.axvline(np.log10(PAPER_ERROR), color="gray", ls="--", lw=1, label="paper")
ax1.set(
    xlabel="log10 L2 error (order 5)",
    ylabel="draws",
    title=f"(d) {n_seeds} draws per law",
)
ax1.set_ylim(top=1.7 * ax1.get_ylim()[1])  # headroom for the legend
ax1.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## The second structure: a Volterra convolution of a Volterra convolution (truncated Lemma 13)
#
# The paper validates two structures; the second composes two order-2 Volterra convolutions,
# $y = h_0 + H_1 * x + H_2 * x^2$ and $z = g_0 + G_1 * y + G_2 * y^2$ (kernels of size 5 per axis,
# unit norm; $h_0, g_0 \sim N(0,1)$, as in the authors' code). The composition rule gives an
# order-4 Volterra convolution $z = \sum_{k=0}^{4} F_k * x^k$ with, e.g.,
# $F_0 = g_0 + h_0 \sum G_1 + h_0^2 \sum G_2$ and $F_4 = G_2 \circledast (H_2, H_2)$
# (`conv.compose_volterra`). Nothing is truncated here, so $z$ is reproduced to rounding.


# %%
def draw_volterra22(draw_seed: int):
    """[h0, H1, H2], [g0, G1, G2] and x: N(0, 1) draws (numpy generator), kernels and x
    scaled to unit norm."""
    rng = np.random.default_rng(10_000 + draw_seed)
    tensor = lambda shape: torch.tensor(  # noqa: E731
        rng.standard_normal(shape), dtype=torch.float64, device=dev
    )
    unit = lambda shape: (lambda t: t / t.norm())(tensor(shape))  # noqa: E731
    k = composition_kernel
    return (
        [tensor(()), unit(k), unit((k, k))],
        [tensor(()), unit(k), unit((k, k))],
        unit(signal_length),
    )


def direct_volterra22(inner, outer, x):
    """z = g0 + G1 * y + G2 * y^2 with y = h0 + H1 * x + H2 * x^2, evaluated layer by
    layer."""
    y = conv.volterra_conv1d(inner, x)
    return conv.volterra_conv1d(outer, y)


# %%
composition_errors = []
for s in range(n_seeds):
    inner, outer, xs = draw_volterra22(seed + s)
    zs = direct_volterra22(inner, outer, xs)
    composition_errors.append(
        (
            (zs - conv.volterra_conv1d(conv.compose_volterra(outer, inner), xs)).norm()
            / zs.norm()
        ).item()
    )
inner, outer, x22 = draw_volterra22(seed)
z22, f22 = direct_volterra22(inner, outer, x22), conv.compose_volterra(outer, inner)
print(f"composed kernel shapes: {[tuple(k.shape) for k in f22]}")
print(
    f"relative L2 error, seed {seed}: {composition_errors[0]:.1e}; max over {n_seeds} "
    f"draws: {max(composition_errors):.1e}"
)

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The second structure of the paper's Fig. 6 (truncated Lemma 13): (e) two stacked order-2 Volterra convolutions evaluated layer by layer and through their composed order-4 kernels; (f) the relative error of the composition over random draws, at rounding level.", "name": "fig-volterra-fig06-c"}, "image": {"alt": "Two stacked plots. Top: outputs against the output index, the layer-by-layer values as dots and the composed order-4 Volterra convolution as a line through every dot. Bottom: relative L2 error against the draw number on a log scale, all points scattered around ten to the minus sixteen."}}
fig, (ax0, ax1) = plotting.subplots(2, 1, aspect=0.42)
t22 = np.arange(z22.numel())
ax0.plot(t22, z22.cpu(), "o", ms=4, label="layer by layer")
ax0.plot(
    t22,
    conv.volterra_conv1d(f22, x22).cpu(),
    "-",
    lw=1.2,
    label="order-4 Volterra, composed kernels",
)
ax0.set(xlabel="output index t", ylabel="output", title="(e) Volterra-2 of Volterra-2")
ax0.legend()
ax1.semilogy(np.arange(n_seeds), composition_errors, ".")
ax1.set(
    xlabel="draw",
    ylabel="relative L2 error",
    title=f"(f) {n_seeds} draws: rounding only",
)
plt.show()

# %% tags=["nbval-check-output"]
claim(
    "volterra.fig06.error_band",
    kind="paper",
    ours=f"[{band[0]:.1e}, {band[1]:.1e}]",
    paper=PAPER_ERROR,
    holds=bool(band[0] <= PAPER_ERROR <= band[1]),
    condition="paper's draw inside our central 90% band",
    note=f"order-{order} L2 error, {n_seeds} Gaussian + {n_seeds} uniform draws "
    "pooled (the paper's law is unknown)",
)
gauss_q90 = np.quantile(errors["gaussian"], 0.9)
claim(
    "volterra.fig06.gaussian_q90",
    kind="check",
    ours=gauss_q90,
    paper=None,
    holds=bool(gauss_q90 <= 1e-6),
    fmt=".1g",
    condition="90% quantile of the Gaussian draws ≤ 1e-06",
    note="order-5 L2 error over Gaussian draws",
)
claim(
    "volterra.fig06.kernels",
    kind="check",
    ours="< 1e-14" if max(kernel_mismatch) < 1e-14 else max(kernel_mismatch),
    paper=None,
    holds=max(kernel_mismatch) < 1e-12,
    condition="≤ 1e-12",
    note="explicit Volterra kernels vs direct Taylor polynomial, max abs difference",
)
claim(
    "volterra.fig06.residual",
    kind="check",
    ours=max(residual_mismatch),
    paper=None,
    holds=max(residual_mismatch) <= 0.05,
    condition="≤ 0.05",
    fmt=".1g",
    note="residual vs the order-7 term a₇ g*(h*x)⁷, relative, max over the Gaussian "
    "draws",
)
claim(
    "volterra.fig06.composition",
    kind="check",
    ours="< 1e-12" if max(composition_errors) < 1e-12 else max(composition_errors),
    paper=None,
    holds=max(composition_errors) < 1e-12,
    condition="≤ 1e-12",
    note="Volterra-2 of Volterra-2 vs its composed order-4 kernels (Lemma 13), "
    f"relative, max over {n_seeds} draws",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The order-5 Volterra convolution reproduces the network to about $10^{-7}$ (Gaussian draws) or
# $10^{-6}$ (uniform draws: all entries positive, so $h * x$ is larger). The paper's
# $5.65 \times 10^{-7}$ is a single draw of unknown seed and law: it sits in the upper tail of our
# Gaussian draws and in the lower tail of our uniform ones (percentiles printed above), and in the
# middle of the two pooled. The residual is, to a few percent, the
# first dropped Taylor term $a_7\, g*(h*x)^7$, which is the sharpest evidence that the kernels are
# right: each added odd order lowers the error by more than an order of magnitude (panel c).
# The second structure (truncated Lemma 13) is exact algebra: composing the kernels reproduces the
# two stacked order-2 Volterra convolutions to rounding ($\sim 10^{-16}$ relative), for every draw.
# Which panels of the paper's Fig. 6 show
# the second structure is inferred from the authors' code (the text we could read names 6a/6b only).
