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
# # What an outer convolution of all-ones kernels looks like
#
# *Paper figure number not confirmed* (no readable source numbers it): the authors' code draws three pictures (`oconv-1d-2d`,
# `oconv-2d-1d-1d`, `oconv-2d-2d-2d`) illustrating the outer convolution
# $(G \circledast (H_1..H_m))[o_1..o_m] = \sum_i G[i] \prod_k H_k[o_k - i_k(1,..,1)]$ with
# all-ones kernels of size 8: (a) $\mathbf 1_8 \circledast \mathbf 1_{8\times 8}$ (an order-1 kernel
# applied after an order-2 one: a diagonal band), (b) $\mathbf 1_{8\times 8} \circledast (\mathbf 1_8, \mathbf 1_8)$
# (an order-2 kernel after two order-1 ones: a product of triangles), (c)
# $\mathbf 1_{8\times 8} \circledast (\mathbf 1_{8\times 8}, \mathbf 1_{8\times 8})$, a $15^4$ tensor shown
# as a $225 \times 225$ matrix. Each entry counts the index tuples that reach it, so the pictures
# are exact integers; we check them against a direct accumulation of the shifted kernels and
# against the closed-form support and total mass $\sum G \prod_k \sum H_k$. No randomness.
#
# **Scale.** Nothing is scaled down: the book profile draws the authors' three all-ones outer convolutions at their size.

# %% tags=["parameters"]
seed = 0
device = "cpu"
threads = 1
size = 8

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
ones = lambda *shape: torch.ones(*shape, dtype=torch.float64, device=dev)  # noqa: E731
cases = {
    "(a) 1-D ⊛ 2-D": (ones(size), [ones(size, size)]),
    "(b) 2-D ⊛ (1-D, 1-D)": (ones(size, size), [ones(size), ones(size)]),
    "(c) 2-D ⊛ (2-D, 2-D)": (ones(size, size), [ones(size, size), ones(size, size)]),
}
print(f"data: all-ones kernels of size {size}")


# %%
def accumulate(g: np.ndarray, hs: list[np.ndarray]) -> np.ndarray:
    """Direct sum over G's entries of G[i] times the outer product of the H_k shifted by
    i_k on every axis."""
    span = [
        h.shape[a] + g.shape[k] - 1 for k, h in enumerate(hs) for a in range(h.ndim)
    ]
    out = np.zeros(span)
    block = hs[0]
    for h in hs[1:]:
        block = np.multiply.outer(block, h)
    for i in np.ndindex(g.shape):
        shifts = [i[k] for k, h in enumerate(hs) for _ in range(h.ndim)]
        out[tuple(slice(s, s + n) for s, n in zip(shifts, block.shape))] += g[i] * block
    return out


results = {
    name: conv.outer_conv(g, hs).cpu().numpy() for name, (g, hs) in cases.items()
}
direct = {
    name: accumulate(g.cpu().numpy(), [h.cpu().numpy() for h in hs])
    for name, (g, hs) in cases.items()
}
for name, r in results.items():
    print(
        f"{name}: shape {r.shape}, max {r.max():.0f}, non-zeros {np.count_nonzero(r)}, "
        f"sum {r.sum():.0f}"
    )

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Outer convolutions of all-ones kernels of size 8, as the authors' code draws them: (a) $\\mathbf 1_8 \\circledast \\mathbf 1_{8\\times 8}$, a diagonal band; (b) $\\mathbf 1_{8\\times 8} \\circledast (\\mathbf 1_8, \\mathbf 1_8)$, a product of triangles; (c) $\\mathbf 1_{8\\times 8} \\circledast (\\mathbf 1_{8\\times 8}, \\mathbf 1_{8\\times 8})$, a $15^4$ tensor unfolded to a $225 \\times 225$ matrix. Colours count the index tuples reaching each entry.", "name": "fig-volterra-outer-conv-support"}, "image": {"alt": "Three heat maps in copper tones, each with a colour bar of counts. (a) A 15 by 15 square with a bright diagonal band fading toward the corners, zero outside the band. (b) A 15 by 15 square brightest in the centre, a pyramid. (c) A 225 by 225 matrix made of 15 by 15 blocks, the band pattern of (a) repeated inside a band of blocks."}}
fig, axes = plotting.subplots(2, 2, aspect=1.0)
for ax, (name, r) in zip(axes.flat, results.items()):
    side = int(np.sqrt(r.size))
    if r.ndim == 2:
        picture = r.reshape(side, side)
    else:
        picture = r.transpose(0, 2, 1, 3).reshape(side, side)
    im = ax.imshow(picture, cmap="copper")
    if r.ndim == 4:
        labels = ("second axes of both blocks", "first axes of both blocks")
    else:
        labels = ("o₂", "o₁")
    ax.set(title=name, xlabel=labels[0], ylabel=labels[1])
    ax.grid(False)
    fig.colorbar(im, ax=ax, shrink=0.8)
axes[1, 1].set_axis_off()
plt.show()

# %% [markdown]
# Closed forms. (a) entry $(o_1, o_2)$ counts the $i$ with $0 \le o_1 - i, o_2 - i < 8$: non-zero iff
# $|o_1 - o_2| \le 7$, i.e. $15^2 - 2 \cdot 28 = 169$ entries; (b) is the outer product of the
# triangle $\mathbf 1_8 * \mathbf 1_8$ with itself, non-zero everywhere (225); (c) is non-zero iff
# both blocks satisfy (a)'s condition: $169^2 = 28\,561$ entries. The total mass is
# $\sum G \prod_k \sum H_k$: $8 \cdot 64$, $64 \cdot 8 \cdot 8$ and $64 \cdot 64 \cdot 64$.

# %% tags=["nbval-check-output"]
band = (size - 1) * size // 2
expected_nnz = [
    (2 * size - 1) ** 2 - 2 * band,
    (2 * size - 1) ** 2,
    ((2 * size - 1) ** 2 - 2 * band) ** 2,
]
expected_sum = [size * size**2, size**2 * size * size, size**2 * size**2 * size**2]
same = all(np.array_equal(results[k], direct[k]) for k in cases)
claim(
    "volterra.outer_conv_support.direct",
    kind="check",
    ours="exact" if same else "differs",
    paper=None,
    holds=same,
    condition="outer_conv = direct accumulation, every entry",
    note="three all-ones outer convolutions (integers)",
)
nnz = [np.count_nonzero(r) for r in results.values()]
claim(
    "volterra.outer_conv_support.support",
    kind="check",
    ours=" ".join(map(str, nnz)),
    paper=None,
    holds=nnz == expected_nnz,
    condition=f"= {' '.join(map(str, expected_nnz))}",
    note="non-zero entries of (a), (b), (c)",
)
sums = [int(r.sum()) for r in results.values()]
claim(
    "volterra.outer_conv_support.mass",
    kind="check",
    ours=" ".join(map(str, sums)),
    paper=None,
    holds=sums == expected_sum,
    condition="= ΣG Π ΣH_k",
    note="total of (a), (b), (c)",
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# The outer convolution spreads each order-$n$ kernel along the diagonal directions in which the
# outer kernel shifts it: an order-1 kernel after an order-2 one produces a diagonal band, an
# order-2 kernel after order-1 ones a full square, and in (c) each $15 \times 15$ tile is a band
# weighted by the other block's band. The pictures are exact integer counts and match the direct
# accumulation and the closed-form supports. Differences: our layout of the $15^4$ tensor (rows
# $(o_{1a}, o_{2a})$, columns $(o_{1b}, o_{2b})$ of the two blocks' first and second axes) may differ
# from the authors' reshape; colour map as theirs ('copper'); paper figure number not confirmed.
