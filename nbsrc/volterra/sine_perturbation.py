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
# # An order-8 Volterra convolution of a perturbed sine
#
# *Paper figure number not confirmed* (no readable source numbers it): the authors' code saves it as `perturbation-order-8-noisy-30-eng-{0.1,0.2}`.
# The signal is a sine, $x = \sin(\text{linspace}(0, 8\pi, 500))$; 30 log-spaced indices
# (`logspace(0, log10(499), 30)` cast to integers; duplicates collapse, leaving 26) are raised by
# $\varepsilon \in \{0.1, 0.2\}$ to give $y$. The system is
# $F(x) = \sum_{n=1}^{8} H_n * x^n$ with $H_n \in \mathbb{R}^{5^n}$ drawn from $N(0, I)$ and scaled
# to unit norm (one draw, as in the authors' code; our seed). The code prints the relative change
# of the output against that of the input; the exact mean-square prediction for random unit
# kernels (`conv.perturbation_expectation`, independent orders add up) is shown beside it.
# Setting: the paper's.
#
# **Scale.** Nothing is scaled down: the book profile runs the authors' setting (500 samples, 30 perturbed indices, orders 1–8); only the draw (our seed) differs.

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
signal_length = 500
n_perturbed = 30
epsilons = "0.1,0.2"
kernel_size = 5
max_order = 8
chunk = 60

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
gen = torch.Generator(device=dev).manual_seed(seed)
eps_list = [float(e) for e in epsilons.split(",")]
x = torch.sin(
    torch.linspace(0, 8 * np.pi, signal_length, dtype=torch.float64, device=dev)
)
perturbed = np.unique(
    np.logspace(0, np.log10(signal_length - 1), n_perturbed).astype(int)
)
ys = [x.clone() for _ in eps_list]
for y, eps in zip(ys, eps_list):
    y[perturbed] += eps
print(
    f"data: x = sin(linspace(0, 8π, {signal_length})); {len(perturbed)} perturbed "
    f"indices {perturbed.tolist()}; ε = {eps_list}"
)


# %%
def unit_kernel(order: int) -> torch.Tensor:
    h = torch.randn(kernel_size**order, generator=gen, dtype=torch.float64, device=dev)
    return (h / h.norm()).reshape((kernel_size,) * order)


def volterra_chunked(kernels: list[torch.Tensor], signal: torch.Tensor) -> torch.Tensor:
    """Σ_n H_n * x^n, evaluated on blocks of `chunk` outputs to bound the memory of the
    order-8 term."""
    outputs = signal.shape[0] - kernel_size + 1
    blocks = [
        signal[a : min(a + chunk, outputs) + kernel_size - 1]
        for a in range(0, outputs, chunk)
    ]
    return sum(torch.cat([conv.order_n_conv1d(h, b) for b in blocks]) for h in kernels)


kernels = [unit_kernel(n) for n in range(1, max_order + 1)]
fx, fys = volterra_chunked(kernels, x), [volterra_chunked(kernels, y) for y in ys]

# %%
rel_in = [((y - x).norm() / x.norm()).item() for y in ys]
rel_out = [((fy - fx).norm() / fx.norm()).item() for fy in fys]
orders = range(1, max_order + 1)
mean_sq_out = sum(
    conv.perturbation_expectation(x, torch.zeros_like(x), n, kernel_size)
    for n in orders
)
rms_rel_out = [
    np.sqrt(
        sum(conv.perturbation_expectation(x, y, n, kernel_size) for n in orders)
        / mean_sq_out
    )
    for y in ys
]
for eps, a, b, c in zip(eps_list, rel_in, rel_out, rms_rel_out):
    print(
        f"ε = {eps}: relative input change {a:.4f}, relative output change {b:.4f} "
        f"(this draw), {c:.4f} (RMS over random kernels)"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "An order-8 Volterra convolution of a perturbed sine (the authors' perturbed-sine figure), one column per $\\varepsilon$: top, the sine $x$ and the samples raised by $\\varepsilon$ (red dots); bottom, the outputs $F(x)$ and $F(y)$, which differ only near the perturbed samples. Titles give the relative input and output changes.", "name": "fig-volterra-sine-perturbation"}, "image": {"alt": "A two by two grid. Top row: four periods of a sine over about 500 samples, with red dots above it at the perturbed samples, dense near the start and sparser further on. Bottom row: the two output curves, which coincide except for sharp spikes near the perturbed samples, larger for the larger epsilon in the right column."}}
fig, axes = plotting.subplots(2, len(eps_list), aspect=0.85, sharex=True)
for e, eps in enumerate(eps_list):
    axes[0, e].plot(x.cpu(), lw=1, label="x (sine)")
    axes[0, e].plot(
        perturbed, ys[e][perturbed].cpu(), "r.", ms=5, label=f"perturbed (+{eps})"
    )
    axes[0, e].set(ylabel="input", title=f"ε = {eps}: input change {rel_in[e]:.1%}")
    axes[1, e].plot(fx.cpu(), lw=1, label="F(x)")
    axes[1, e].plot(fys[e].cpu(), lw=1, alpha=0.8, label="F(y)")
    axes[1, e].set(
        xlabel="index",
        ylabel="output",
        title=f"order {max_order}: output change {rel_out[e]:.1%}",
    )
for ax in axes.flat:
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.5 * (hi - lo))  # headroom for the legend
    ax.legend(loc="upper right", ncol=2 if ax in axes[1] else 1)
plt.show()

# %% [markdown]
# Which outputs can change: output $t$ reads the window $x[t..t+4]$, so exactly the outputs whose
# window contains a perturbed index may differ; all others must be bit-identical.

# %% tags=["nbval-check-output"]
touched = np.zeros(fx.shape[0], dtype=bool)
for i in perturbed:
    touched[max(0, i - kernel_size + 1) : i + 1] = True
changed = [(fy != fx).cpu().numpy() for fy in fys]
exact_support = all(np.array_equal(c, touched) for c in changed)
claim(
    "volterra.sine_perturbation.support",
    kind="check",
    ours=f"{int(changed[0].sum())} outputs",
    paper=None,
    holds=exact_support,
    condition="changed outputs = those whose window holds a perturbed sample",
    note="the rest are bit-identical",
)
amplification = [c / a for c, a in zip(rms_rel_out, rel_in)]
claim(
    "volterra.sine_perturbation.amplification",
    kind="check",
    ours=" ".join(f"{v:.2f}" for v in amplification),
    paper=None,
    holds=all(v > 1 for v in amplification),
    condition="> 1 for every ε",
    note="exact RMS relative output change / relative input change (sine windows "
    "reach the norm √5)",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# A perturbation of about 3% (6%) of the sine's norm changes the output of the order-8 Volterra
# convolution by more, relatively: the sine's windows have norms up to $\sqrt 5$, the threshold
# above which the order-$n$ response grows with $n$ (see the perturbation notebook), so the high orders do not damp
# the perturbation. The exact RMS prediction and this draw agree in direction; a single draw
# fluctuates around the RMS value (here by about a factor 2), which is why we claim the exact
# amplification and not the draw's. Only outputs whose window touches a perturbed sample change.
# Differences: our seed; the authors print the two relative changes for their draw, which we do
# not know; the figure number is inferred.
