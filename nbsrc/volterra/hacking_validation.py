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
# # Hacking-network validation — computed vs inferred order-0/1 proxy kernels
#
# *Paper figure number not confirmed* (no readable source numbers it): the paper validates its
# hacking network ("we build a network and compute its order-zero and order-one proxy kernels
# manually. Then, we train a hacking network to infer these kernels and compare whether they are
# the same"); this mirrors the authors' `oconv_rank.py` runs saved as
# `oconv-conv-approximate-{two,three}-layer-net-w1-{computed,estimated}`. Two 1-D networks with kernels $h, g, f \in \mathbb{R}^9$ drawn from $N(0,1)$ and scaled
# to unit norm (the authors' code):
#
# $$ F_2(x) = g * \sigma(h * x), \qquad P_0 = \tfrac12 \textstyle\sum g, \quad P_1 = \tfrac14\, g \circledast h \ (17 \text{ taps}), $$
# $$ F_3(x) = f * \sigma(g * \sigma(h * x)), \qquad P_0 = \textstyle\sum f\, \sigma(u), \quad
#    P_1 = \tfrac14 \sigma'(u)\, f \circledast g \circledast h \ (25 \text{ taps}), \quad u = \tfrac12 \textstyle\sum g . $$
#
# The hacking network is one convolution with bias, $b + w * x$, trained on the network with the
# authors' recipe: Adam (lr $10^{-2}$), MSE, batches of 16 fresh unit-norm Gaussian signals of
# length 512, at most 1000 steps, stop once the batch MSE $< 10^{-8}$. Its bias estimates $P_0$
# and its weight $P_1$. Convolutions are cross-correlations (torch's convention), so $P_1$ is
# compared in that orientation. Setting: the paper's; `n_seeds` independent draws; one torch
# thread (`threads`: the problem is too small to gain from two).
#
# **Scale.** The authors run one draw per network; the book profile runs `n_seeds` = 5 draws, the `paper` profile 50 (the recipe and sizes as the authors').

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
n_seeds = 5
kernel_size = 9
signal_length = 512
batch = 16
max_steps = 1000
lr = 0.01
tol = 1e-08
n_heldout = 256
n_lstsq = 64

# %%
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import torch

from cnnmath import plotting, runtime

from cnnmath.volterra import proxy
from cnnmath.book.claims import claim

plotting.use_style()
runtime.seed_everything(seed, threads=threads)
dev = runtime.resolve_device(device)


# %%
def networks(draw_seed: int):
    """The two networks of one draw as ConvLayer stacks, with their closed-form (P_0,
    P_1)."""
    gen = torch.Generator().manual_seed(draw_seed)
    h, g, f = (
        v / v.norm()
        for v in torch.randn(3, kernel_size, generator=gen, dtype=torch.float64).to(dev)
    )
    layer = lambda k, act: proxy.ConvLayer(k[None, None], None, 1, act)  # noqa: E731
    two = [layer(h, "sigmoid"), layer(g, None)]
    three = [layer(h, "sigmoid"), layer(g, "sigmoid"), layer(f, None)]
    return {
        "two-layer": (two, proxy.two_layer_proxy(g, h)),
        "three-layer": (three, proxy.three_layer_proxy(f, g, h)),
    }


# %% [markdown]
# First the closed forms themselves: they must equal the Taylor coefficients of the networks at
# $x = 0$ (network output and Jacobian by autograd, float64), and they agree with the general
# layer-by-layer recursion `proxy.proxy_kernels`.

# %%
closed_form_error = 0.0
for s in range(n_seeds):
    for layers, (p0, p1) in networks(seed + s).values():
        size = p1.numel()
        r0, r1 = proxy.autograd_proxy_kernels(
            lambda v: proxy.apply_layers(layers, v[None])[0, :, 0], (1, size), 1, dev
        )
        q0, q1 = proxy.proxy_kernels(layers, order=1)
        closed_form_error = max(
            closed_form_error,
            (p0 - r0[0]).abs().item(),
            (p1 - r1[0, 0]).abs().max().item(),
            (p0 - q0[0]).abs().item(),
            (p1 - q1[0, 0]).abs().max().item(),
        )
print(
    f"max |closed form - autograd/recursion| over {n_seeds} draws: "
    f"{closed_form_error:.1e}"
)

# %% [markdown]
# Now the hacking network, once per draw and network. After training, a held-out set of
# `n_heldout` fresh signals measures the hacked model's MSE $M$; `proxy.hack_errors` derives two
# bounds from it. The bias does not aim at $P_0$ exactly: the order-2 proxy kernel has a non-zero
# mean over unit-norm signals, $E[P_2 * x^2] = \operatorname{tr}(P_2)/L$, which the best affine
# model absorbs into its bias. For the two-layer network $P_2 = 0$ ($\sigma''(0) = 0$); for the
# three-layer one $P_2$ comes in closed form from `proxy.proxy_kernels(layers, 2)`.

# %%
runs = []
for s in range(n_seeds):
    gen = torch.Generator().manual_seed(1000 + seed + s)
    for name, (layers, (p0, p1)) in networks(seed + s).items():
        net = lambda v, layers=layers: proxy.apply_layers(layers, v)  # noqa: E731
        b, w, steps = proxy.hack_conv1d(
            net, p1.numel(), gen, max_steps, batch, signal_length, lr, tol, dev
        )
        errors = proxy.hack_errors(
            net,
            proxy.proxy_kernels(layers, 2),
            b,
            w,
            gen,
            n_heldout,
            signal_length,
            dev,
        )
        lsq_b, lsq_w = proxy.fit_affine_lstsq(
            net, p1.numel(), gen, n_lstsq, signal_length, dev
        )
        runs.append(
            dict(
                seed=seed + s,
                net=name,
                steps=steps,
                p1=p1.cpu(),
                w=w.cpu(),
                norm1=p1.norm().item(),
                lsq_rel1=((lsq_w - p1).norm() / p1.norm()).item(),
                **errors,
            )
        )
for r in runs:
    print(
        f"{r['net']:>11} seed {r['seed']}: {r['steps']:4d} steps, |b-P0| "
        f"{r['err0']:.1e}, shift tr(P2)/L {r['shift']:+.1e}, "
        f"|b-P0-shift| {r['err0_shifted']:.1e} (≤ √M = {r['bound0']:.1e}), "
        f"rel. P1 error {r['rel1']:.2%}, lstsq {r['lsq_rel1']:.2e}"
    )

# %% [markdown]
# The figure: computed $P_1$ (closed form) against the kernel the hacking network inferred, for
# the first draw, as in the paper; right, the relative errors of every run.

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Hacking-network validation: the order-1 proxy kernel $P_1$ in closed form against the kernel a hacking network infers, for the two-layer (a) and three-layer (b) networks of the first draw, and the relative error of $P_1$ for every draw, hacking network and least-squares fit (c).", "name": "fig-volterra-hacking-validation"}, "image": {"alt": "Three stacked plots. The top two plot kernel value against tap index: the computed kernel as dots and the inferred kernel as a line passing through them. The bottom one plots relative error on a log scale against the draw's seed: filled markers for the hacking network between about a tenth of a percent and a few percent, hollow markers for the least-squares fit lower and nearly constant, two marker shapes for the two networks."}}
fig, axes = plotting.subplots(3, 1, aspect=0.4)
for ax, r, panel in zip(axes, runs[:2], "ab"):
    ax.plot(r["p1"], "o", ms=5, label="computed $P_1$ (closed form)")
    ax.plot(r["w"], "-", lw=1.2, label="inferred by the hacking network")
    ax.set(
        xlabel="tap", ylabel="$P_1$", title=f"({panel}) {r['net']}, seed {r['seed']}"
    )
    ax.legend()
for name, marker in (("two-layer", "o"), ("three-layer", "s")):
    sel = [r for r in runs if r["net"] == name]
    seeds = [r["seed"] for r in sel]
    axes[2].semilogy(
        seeds, [r["rel1"] for r in sel], marker, label=f"{name}, hacking net"
    )
    axes[2].semilogy(
        seeds, [r["lsq_rel1"] for r in sel], marker, mfc="none", label=f"{name}, lstsq"
    )
axes[2].set(
    xlabel="draw (seed)", ylabel="relative error of $P_1$", title="(c) all runs"
)
axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
axes[2].legend(ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.3))
plt.show()

# %% [markdown]
# **Bounds, and why.** (i) Closed forms are exact: rounding-level agreement, $\le 10^{-12}$.
# (ii) Bias: a pure bias error $\delta$ costs $\delta^2$ of MSE, so the stop rule (batch MSE
# $< 10^{-8}$) leaves $|\delta| \approx \sqrt{10^{-8}} = 10^{-4}$; the stop is tested on a single
# batch of 16 signals whose MSE scatters around the true one (held-out $M$ up to $2 \times 10^{-8}$
# in development runs), and an independent re-implementation saw up to $2 \times 10^{-4}$
# over 10 seeds, so we claim $|b - P_0| \le 3 \times 10^{-4}$. The printed ratio
# $|b - P_0 - \operatorname{tr}(P_2)/L| / \sqrt{M} \approx 1$ shows that at the stop nearly all the
# remaining error is in the bias (a mean square is at least its squared mean).
# (iii) Kernel: the stop rule ends the training at batch MSE $< \mathrm{tol} = 10^{-8}$, and a
# kernel error $e$ costs $\|e\|^2/L$ of MSE (unit-norm signals of length $L = 512$), so the
# recipe guarantees $\|e\| \lesssim \sqrt{L \cdot \mathrm{tol}} = 2.3 \times 10^{-3}$ for every
# draw and both networks. Relative to $\|P_1\|$ this allowance varies a lot between draws (about
# 1% for the two-layer network, 2–10% for the three-layer one, whose $P_1$ is smaller), so we
# state it in its own unit: for every draw $\|w - P_1\| / \sqrt{L \cdot \mathrm{tol}} \le 1$.
# Rerun with `n_seeds = 300` (draws 0–299): the largest ratio was 0.96, the median 0.4.
# (iv) The least-squares fit of the same affine model has no
# optimiser noise: its error is the bias of the cubic Taylor term,
# $3|a_3/a_1| \operatorname{Var}(h*x) = 3 \cdot \tfrac1{12} \cdot \tfrac1L = 1/(4L) = 4.9 \times 10^{-4}$
# for the two-layer network, which it must match to 10%.

# %%
two = [r for r in runs if r["net"] == "two-layer"]
three = [r for r in runs if r["net"] == "three-layer"]
bias_error = float(np.median([r["err0"] for r in runs]))
allowance = (signal_length * tol) ** 0.5  # what the stop rule guarantees for ||w - P1||
ratio_two, ratio_three = (
    max(r["rel1"] * r["norm1"] / allowance for r in net) for net in (two, three)
)
lsq_dev = max(abs(r["lsq_rel1"] * 4 * signal_length - 1) for r in two)
print(
    "max |b - P0 - tr(P2)/L| / sqrt(M): "
    f"{max(r['err0_shifted'] / r['bound0'] for r in runs):.3f}"
)
print(
    "largest stop-rule allowance sqrt(L tol)/|P1|: two-layer "
    f"{max(allowance / r['norm1'] for r in two):.1%}, "
    f"three-layer {max(allowance / r['norm1'] for r in three):.1%}"
)

# %% tags=["nbval-check-output"]
claim(
    "volterra.hacking_validation.closed_form",
    kind="check",
    ours="< 1e-12" if closed_form_error < 1e-12 else closed_form_error,
    paper=None,
    holds=closed_form_error < 1e-12,
    condition="≤ 1e-12",
    note="closed-form P0, P1 vs autograd and the recursion",
)
claim(
    "volterra.hacking_validation.bias",
    kind="check",
    ours=bias_error,
    paper=None,
    holds=bias_error <= 3e-4,
    condition="≤ 3e-04",
    fmt=".0e",
    note=f"median |b - P0| of the inferred order-0 kernel over {len(runs)} hacking "
    "runs",
)
claim(
    "volterra.hacking_validation.kernel_two_layer",
    kind="check",
    ours=ratio_two,
    paper=None,
    holds=ratio_two <= 1,
    condition="≤ 1",
    fmt=".2f",
    note="max over draws of ||w - P1|| / sqrt(L tol), the stop rule's guarantee, "
    f"two-layer net, {len(two)} draws",
)
claim(
    "volterra.hacking_validation.kernel_three_layer",
    kind="check",
    ours=ratio_three,
    paper=None,
    holds=ratio_three <= 1,
    condition="≤ 1",
    fmt=".2f",
    note="max over draws of ||w - P1|| / sqrt(L tol), the stop rule's guarantee, "
    f"three-layer net, {len(three)} draws",
)
claim(
    "volterra.hacking_validation.lstsq_bias",
    kind="check",
    ours=lsq_dev,
    paper=None,
    holds=lsq_dev <= 0.1,
    condition="≤ 10%",
    fmt=".0%",
    note="least-squares P1 error vs the predicted cubic-term bias 1/(4L), max "
    "relative deviation",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The closed-form order-0/1 proxy kernels are the networks' exact Taylor coefficients at 0, and a
# single trained convolution recovers them: the inferred and computed kernels are visually the
# same (the paper's statement; it gives no number), with relative errors of about a percent for
# two layers and a few percent for three. The hacking network's residual error is set by its
# stopping rule, not by the theory: a least-squares fit of the same model lands within
# $5 \times 10^{-4}$ of the closed form, and that remaining gap is exactly the predicted bias of
# the cubic Taylor term. Differences: the paper's figure uses the Taylor-truncated
# (order-5) closed forms for the three-layer network; we use the exact ones (they differ by
# $\sim 10^{-6}$, see the unit tests). We use the correlation orientation (the authors' code
# flips the learned weight to compare in the convolution orientation — the same comparison), fix
# seeds, train in float64 and run `n_seeds` draws instead of one; the uniform-draw variant of the
# authors' code is not repeated.
