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
# # Fig. 4 — recovering the second layer (Algorithm 2) and the whole network
#
# The paper's §6 also recovers the second layer of networks with two hidden layers: starting
# from a boundary point that failed `TestHyperplane`, Algorithm 2 follows the bent boundary
# $B_z$ of a layer-2 neuron $z$ across layer-1 hyperplanes $B_i$; at each crossing the local
# normal changes by a multiple of $w_i$, $n' = \lambda n + \mu \hat w_i$, and $\mu/\lambda$ gives
# the weight $V_{zi}$ up to the neuron's scale (Theorem 3). A weight is known only if $B_z$ was
# seen crossing $B_i$ (condition (iv)), so the paper reports the error of the recovered weights
# and how many were recovered. We then go on to a full extraction: the signs of layer 1 from the
# bends, the output layer by least squares, and the fidelity of the extracted network.
# Targets: 10-$w$-$w$-2 untrained ($w = 10, …,$ `max_width`) and the memorization net
# 10-20-20-2 trained (Adam, full batch, `lr`: the paper gives no schedule). Scaled down: few
# widths, one seed each.

# %% tags=["parameters"]
seed = 0
device = "cpu"
max_width = 20
mem_epochs = 1000
batch_size = 1000
lr = 1e-2
n_test = 10000

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from cnnmath import plotting, runtime
from cnnmath.relu import align as ra
from cnnmath.relu import extract
from cnnmath.book.claims import claim
from cnnmath.relu.nets import memorization_data, random_relu_net, train_relu_net
from cnnmath.relu.oracle import Oracle

plotting.use_style()
runtime.seed_everything(seed)
rng = np.random.default_rng(seed)

# %%
x_mem, y_mem = memorization_data(rng)
targets = {
    f"10-{w}-{w}-2 untrained": random_relu_net((10, w, w, 2), rng)
    for w in range(10, max_width + 1, 10)
}
mem, acc = train_relu_net(
    random_relu_net((10, 20, 20, 2), rng),
    x_mem,
    y_mem,
    epochs=mem_epochs,
    seed=seed,
    lr=lr,
    batch_size=batch_size,
    device=device,
)
targets["10-20-20-2 memorization"] = mem
# three hidden layers: extracted by Algorithm 2 once more, or flagged; four: flagged
deep = random_relu_net((10, 10, 10, 10, 2), rng)
deep4 = random_relu_net((10, 10, 10, 10, 10, 2), rng)
print(
    f"data: memorization task, 1000 Gaussian points in R^10, train accuracy {acc:.3f}"
)

# %%
x_test = np.random.default_rng(seed + 7).normal(size=(n_test, 10))
results = {}
for name, net in targets.items():
    oracle = Oracle(net, 10)
    ex = extract(oracle, np.random.default_rng(seed + 1))
    if not ex.complete:
        print(f"{name}: incomplete — " + "; ".join(ex.problems))
    s1 = ra.score_first_layer(net, ex.first.weights, ex.first.biases, up_to_sign=True)
    rows = np.array([z.m for z in ex.neurons]).reshape(-1, len(ex.first.biases))
    s2 = ra.score_second_layer(net, s1, rows)
    complete = np.array([ex.neurons[h].complete for h in s2.hat_index], dtype=bool)
    fid = (
        ra.fidelity(net, ex.net, x_test)
        if ex.net is not None
        else {"max_rel": np.inf, "argmax": 0.0}
    )
    fid["bits"] = (
        -np.log2(ra.parameter_error(net, ex.net)) if ex.net is not None else -np.inf
    )
    results[name] = dict(
        s2=s2,
        complete=complete,
        fid=fid,
        ex=ex,
        signs=(
            ra.score_first_layer(
                net, ex.net.weights[0], ex.net.biases[0]
            ).recovered(1e-8)
            if ex.net is not None
            else 0
        ),
    )

# %%
for name, r in results.items():
    s2, ex = r["s2"], r["ex"]
    print(
        f"{name:25s} arch {ex.architecture}: "
        f"layer-2 rows exact(≤1e-6) {s2.recovered(1e-6)}/{s2.n_true}"
        f" (found {s2.n_hat}, complete {int(r['complete'].sum())}),"
        f" weights known {s2.weights_known:.3f},"
        f" layer-1 signs right {r['signs']}/{ex.architecture[1]},"
        f" max|f-f̂|/max|f| {r['fid']['max_rel']:.1e},"
        f" argmax {r['fid']['argmax']:.4f}, bits {r['fid']['bits']:.1f},"
        f" queries 2^{np.log2(ex.queries['total']):.1f}"
    )

# %%
ex_deep = extract(Oracle(deep, 10), np.random.default_rng(seed + 1))
wide = 10 * np.random.default_rng(seed + 8).normal(size=(100_000, 10))
seen = ra.visible_sizes(deep, wide)  # less neurons never active: no query sees them
fid3 = ra.fidelity(deep, ex_deep.net, x_test)["max_rel"] if ex_deep.net else np.inf
print(
    f"10-10-10-10-2 (active somewhere: {seen}): architecture {ex_deep.architecture},"
    f" complete {ex_deep.complete}, max|f-f̂|/max|f| {fid3:.1e},"
    f" queries 2^{np.log2(ex_deep.queries['total']):.1f}; "
    + "; ".join(ex_deep.problems)
)
ex_deep4 = extract(Oracle(deep4, 10), np.random.default_rng(seed + 1), extra_rounds=0)
print(f"10-10-10-10-10-2: complete {ex_deep4.complete}; " + "; ".join(ex_deep4.problems))

# %% tags=["hide-input"] mystnb={"figure": {"caption": "Second-layer recovery (the paper's Fig. 4) for the untrained 10-w-w-2 networks and the trained memorization network: (a) the error of every recovered layer-2 row, matched to the true one (log scale); (b) the fraction of layer-2 weights recovered.", "name": "fig-relu-fig04"}, "image": {"alt": "Top: dots of log10 row error per network, all far below −6. Bottom: bars of the fraction of layer-2 weights recovered per network, all at or near 1."}}
fig, (ax0, ax1) = plotting.subplots(2, 1, aspect=0.4)
for k, (name, r) in enumerate(results.items()):
    e = np.log10(np.maximum(r["s2"].errors, 1e-17))
    ax0.plot(np.full(len(e), k), e, "o", alpha=0.6)
ax0.set(
    xticks=range(len(results)),
    xticklabels=[n.replace(" ", "\n") for n in results],
    ylabel="log10 row error",
    title="(a) layer-2 rows",
)
ax1.bar(range(len(results)), [r["s2"].weights_known for r in results.values()])
ax1.set(
    xticks=range(len(results)),
    xticklabels=[n.replace(" ", "\n") for n in results],
    ylabel="fraction",
    ylim=(0, 1.05),
    title="(b) layer-2 weights recovered",
)
plt.show()

# %% [markdown]
# Bounds. A layer-2 weight is read from exactly located kinks, so a correctly recovered row is
# exact far below $10^{-6}$; a wrong row (a bend misread) is off by order one, so $10^{-6}$ separates
# the two cleanly. Only rows of *complete* neurons count as recovered. The extractor flags its
# own result: a net it calls complete must be exact (the extractor validates to $10^{-9}$ on its own
# fresh inputs; on $10^4$ other Gaussian inputs we allow a factor 10, $\le 10^{-8}$, since a maximum
# over more points is larger). A net with three hidden layers flagged complete must be exact
# too, with the architecture less only neurons active on none of $10^5$ inputs
# $N(0, 10^2 I)$ (no query can see those); a net with a fourth hidden layer must be flagged.
# How often extraction is complete is measured over many seeds in `benchmarks/relu_sweep.py`
# (the performance page: 60 seeds of two-hidden-layer networks, 30 of three), not on one seed here.

# %% tags=["nbval-check-output"]
frac = min(
    np.sum(r["s2"].errors[r["complete"]] <= 1e-6) / r["s2"].n_true
    for r in results.values()
)
worst = max(r["s2"].errors[r["complete"]].max(initial=0) for r in results.values())
flagged = [r for r in results.values() if r["ex"].complete]
exact = all(
    r["fid"]["max_rel"] <= 1e-8 and r["ex"].net.sizes == n.sizes
    for r, n in zip(results.values(), targets.values())
    if r["ex"].complete
)
claim(
    "relu.fig04.layer2_fraction",
    kind="check",
    ours=frac,
    paper=None,
    holds=frac >= 0.9,
    fmt=".2f",
    condition="≥ 0.9",
    note=(
        "worst fraction of layer-2 neurons recovered complete and exact "
        "(row error ≤ 1e-6)"
    ),
)
claim(
    "relu.fig04.layer2_error",
    kind="check",
    ours="≤ 1e-06" if worst <= 1e-6 else worst,
    paper=None,
    holds=worst <= 1e-6,
    condition="≤ 1e-06",
    note="max error of complete recovered layer-2 rows (unit-normalised)",
)
claim(
    "relu.fig04.fidelity",
    kind="check",
    ours=f"{len(flagged)}/{len(results)} flagged complete",
    paper=None,
    holds=exact,
    condition=(
        "every net flagged complete is exact (rel error ≤ 1e-8, architecture equal)"
    ),
    note=(
        "max|f - f̂| / max|f| over 1e4 Gaussian inputs; "
        "incomplete nets are flagged with their reason"
    ),
)
exact3 = fid3 <= 1e-8 and ex_deep.net.sizes == seen if ex_deep.complete else True
claim(
    "relu.fig04.three_layers_exact",
    kind="check",
    ours="complete" if ex_deep.complete else "flagged incomplete",
    paper=None,
    holds=exact3,
    condition=(
        "flagged complete only if exact (rel error ≤ 1e-8, architecture equal"
        " less never-active neurons)"
    ),
    note="10-10-10-10-2 through Algorithm 2 on layers 1, 2 and 3",
)
claim(
    "relu.fig04.deeper_flagged",
    kind="check",
    ours=str(not ex_deep4.complete),
    paper=None,
    holds=not ex_deep4.complete,
    condition="flagged incomplete",
    note="10-10-10-10-10-2: a fourth hidden layer is reported, not extracted",
)
# the rate over seeds is the sweep's record (`benchmarks/relu_sweep.py --cls three`), read here
root = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "benchmarks" / "results").is_dir())
sweep = json.loads((root / "benchmarks" / "results" / "relu_sweep_three.json").read_text())
n_exact3 = sum(bool(row[sweep["columns"].index("exact")]) for row in sweep["rows"])
claim(
    "relu.fig04.three_layers",
    kind="check",
    ours=f"{n_exact3}/{len(sweep['rows'])} seeds",
    paper=None,
    holds=len(sweep["rows"]) >= 30 and n_exact3 >= 0.8 * len(sweep["rows"]),
    condition="three hidden layers complete and exact on ≥ 80 % of ≥ 30 seeds",
    note="record relu_sweep_three: architecture equal and fidelity ≤ 1e-9, white-box check after each run",
    gap=(
        "layer 3 is extracted on some seeds only: a neuron that rarely switches, or a layer-3"
        " boundary that never meets where a layer-2 neuron it reads is active, stays incomplete (flagged)"
    ),
)

# %% [markdown]
# ## What this shows / what differs from the paper
#
# Algorithm 2 reads every layer-2 weight it can reach exactly, and the layer-1 signs come out of
# the same bends for free; walking on the known part of a boundary (no queries) reaches almost
# every crossing Theorem 3's condition (iv) asks for; where a walk cannot reach a crossing, the
# least-squares residual points to the missing neuron and the slope at a known point gives the
# weight. What can still fail is coverage: a layer-2 neuron active on a tiny fraction of the
# inputs may be crossed by no line at all, and no query-based check is sure to notice it (the
# sweep on the performance page names such a case). A third hidden layer is extracted by the
# same algorithm run on the features of the known layers 1 and 2: on exact boundary points a
# layer-3 neuron is a linear combination of $|\hat u_z|$, $\hat u_z$ and 1, whose coefficients
# also give the signs of layer 2. On the sweep's networks of widths 10–20 whole runs complete
# and exact on most seeds (the claim above compares the record's count with the 80 % aimed at),
# and the rest are flagged. A complete network is finally refined as a whole on the answers the
# oracle kept (Gauss–Newton, no new queries), which takes its parameters to the precision of
# the answers wherever those answers determine them (the records' bits). A fourth hidden layer is reported, not extracted. The paper reports the
# same kind of partial recovery for the second layer (its numbers could not be read here; none
# are quoted). Differences: one seed
# per width, small widths, our own formula for reading weights off a bend and for the signs
# (the paper's `GetParams` is not spelled out), full-batch Adam.
