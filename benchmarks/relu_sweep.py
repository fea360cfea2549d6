"""Success rate of the complete ReLU extraction over many seeds, per class of network.

Classes (each network and each extraction seeded by the seed):

- ``two``: untrained He-initialised networks ``n_in-w1-w2-1`` with two hidden layers,
  ``n_in`` ∈ [10, 20], ``w1, w2`` ∈ [10, 40];
- ``three``: untrained ``10-w1-w2-w3-1`` with three hidden layers, widths ∈ [10, 20];
- ``memo``: ``10-w-w-2`` (``w`` ∈ [10, 20]) trained on the paper's memorization task (Adam, softmax
  cross-entropy, 1000 epochs, batch 100, lr 1e-3).

A run *succeeds* when :func:`cnnmath.relu.extract` says the extraction is complete, the inferred
architecture equals the true one, and ``max|f − f̂| / max|f| ≤ 1e-9`` on 10⁴ ``N(0, I)`` inputs
(white-box check after the run). "Rarely active" counts the true hidden neurons active on at most
0.1 % of 10⁵ ``N(0, 10² I)`` inputs (:func:`cnnmath.relu.align.visible_sizes`): queries see them
only by luck, and the network without them is the same function on all but that fraction, so a
complete run whose architecture lacks only such neurons and meets the fidelity bound is counted
*exact up to rarely-active neurons*, apart. A layer-3 neuron never inactive on the inputs the
extraction saw has no boundary to follow; the extraction places it up to functional equivalence
(``Extraction.always_active``: its parameters and the layer-3 signs are then not identifiable, and
several such neurons are one linear term, so their number is not either): a complete run with
such neurons that meets the fidelity bound, whose layers 1 and 2 have the visible widths and whose
layer 3 has between the visible width less the true neurons active on at least 99.9 % of the wide
inputs (plus one) and the visible width, is counted *exact up to never-inactive neurons*, apart
(its bits are those of that placement, not of the true parameters, and stay out of the bits over
exact runs). A run the
extractor calls complete that is none of these is a *silent wrong answer* and is counted apart. "Rejected boundaries" counts those followed as layer-2
neurons and rejected as bending where no layer-2 neuron can (evidence of a deeper layer, which
layer 3 then extracts). Bits = ``−log2`` of the largest canonical parameter
error (:func:`cnnmath.relu.align.parameter_error`). One thread. Networks of class ``two`` and seeds
0–29 are those of ``relu_sweep_two_before`` (the record of the extraction before its layer-2
completion), so the two records compare seed by seed.

Usage: ``python benchmarks/relu_sweep.py --cls two --seeds 60 [--jobs 2]``
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np
import torch

from cnnmath.book.bench import record
from cnnmath.relu import Oracle, extract
from cnnmath.relu import align as ra
from cnnmath.relu.nets import memorization_data, random_relu_net, train_relu_net

CLASSES = ("two", "three", "memo")


def network(cls: str, seed: int):
    """The network of class ``cls`` for ``seed`` (and a note: the train accuracy of ``memo``)."""
    rng = np.random.default_rng(seed)
    if cls == "two":
        sizes = (int(rng.integers(10, 21)), *map(int, rng.integers(10, 41, size=2)), 1)
        return random_relu_net(sizes, rng), ""
    if cls == "three":
        return random_relu_net((10, *map(int, rng.integers(10, 21, size=3)), 1), rng), ""
    w = int(rng.integers(10, 21))
    x, y = memorization_data(rng)
    net, acc = train_relu_net(random_relu_net((10, w, w, 2), rng), x, y, epochs=1000, seed=seed)
    return net, f"train acc {acc:.3f}"


def run(cls: str, seed: int) -> list:
    net, note = network(cls, seed)
    oracle = Oracle(net, net.sizes[0])
    start = time.process_time()
    ex = extract(oracle, np.random.default_rng(10_000 + seed))
    seconds = time.process_time() - start
    x = np.random.default_rng(20_000 + seed).normal(size=(10_000, net.sizes[0]))
    fid = ra.fidelity(net, ex.net, x)["max_rel"] if ex.net is not None else float("inf")
    err = ra.parameter_error(net, ex.net) if ex.net is not None else float("inf")
    folded = ex.always_active > 0
    exact = ex.net is not None and ex.net.sizes == net.sizes and fid <= 1e-9 and not folded
    wide = 10 * np.random.default_rng(30_000 + seed).normal(size=(100_000, net.sizes[0]))
    visible = ra.visible_sizes(net, wide, min_frac=1e-3)
    up_to = not exact and not folded and ex.net is not None and ex.net.sizes == visible and fid <= 1e-9
    n_always = int(np.sum(np.mean(net.preactivations(wide)[-1] > 0, axis=0) >= 1 - 1e-3))
    up_to_never = (folded and ex.net is not None and fid <= 1e-9 and len(ex.net.sizes) == len(visible)
                   and ex.net.sizes[:-2] == visible[:-2] and ex.net.sizes[-1] == visible[-1]
                   and visible[-2] - max(n_always - 1, 0) <= ex.net.sizes[-2] <= visible[-2])
    fine = exact or up_to or up_to_never
    arch = "-".join(map(str, ex.architecture))
    return ["-".join(map(str, net.sizes)), seed, arch, sum(net.sizes) - sum(visible), ex.n_rejected, ex.complete,
            bool(ex.complete and exact), bool(ex.complete and up_to), bool(ex.complete and not fine),
            f"{fid:.1e}", round(float(-np.log2(err)), 1) if err > 0 else 52.0,
            round(float(np.log2(oracle.n_queries)), 2), round(seconds, 1),
            "; ".join(ex.problems)[:200] + (f" ({note})" if note else ""),
            ex.always_active, bool(ex.complete and up_to_never)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cls", choices=CLASSES, required=True)
    parser.add_argument("--seeds", type=int, default=30, help="seeds 0 … seeds-1")
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at once, each in its own process on one thread")
    args = parser.parse_args()
    if args.seeds < 1 or args.jobs < 1:
        raise SystemExit(f"--seeds and --jobs must be positive ints, got {args.seeds} and {args.jobs}")
    torch.set_num_threads(1)
    rows = []
    with ProcessPoolExecutor(args.jobs, initializer=torch.set_num_threads, initargs=(1,)) as pool:
        for row in pool.map(partial(run, args.cls), range(args.seeds)):  # in seed order
            rows.append(row)
            write(args.cls, args.seeds, rows)  # rewritten after every seed (long sweeps)


def write(cls: str, seeds: int, rows: list) -> None:
    """Record the rows so far with their summary."""
    ok = [r for r in rows if r[6]]
    up_to = sum(r[7] for r in rows)
    never = sum(r[15] for r in rows)
    silent = sum(r[8] for r in rows)
    def spread(col: int, fmt: str, runs: list) -> str:
        v = np.array([float(r[col]) for r in runs])
        return f"median {np.median(v):{fmt}} (range {v.min():{fmt}}–{v.max():{fmt}})" if len(v) else "n/a"
    fine = [r for r in rows if r[6] or r[7] or r[15]]
    summary = (f"{len(ok)}/{len(rows)} complete and exact; {up_to} complete and exact up to rarely-active neurons;"
               f" {never} complete and exact up to never-inactive layer-3 neurons placed by functional equivalence;"
               f" {len(rows) - len(ok) - up_to - never - silent} flagged incomplete; {silent} silent wrong answers"
               f" (complete claimed, check failed). Over the exact runs: fidelity {spread(9, '.1e', ok)},"
               f" bits {spread(10, '.1f', ok)}, log2 queries {spread(11, '.2f', ok)}, CPU s {spread(12, '.0f', ok)}."
               f" Over all runs: log2 queries {spread(11, '.2f', rows)}, CPU s {spread(12, '.0f', rows)}"
               f" (exact, or exact up to rarely-active or never-inactive neurons: {len(fine)}/{len(rows)}).")
    record(f"relu_sweep_{cls}", f"ReLU extraction success rate, class '{cls}' ({len(rows)} of {seeds} seeds)",
           ["network", "seed", "inferred", "rarely active", "rejected boundaries", "complete", "exact",
            "exact up to rarely-active", "silent wrong", "max rel error",
            "bits", "log2 queries", "CPU s", "problems reported", "never-inactive placed",
            "exact up to never-inactive"], rows, summary=summary,
           notes=__doc__.split("\n\n", 1)[1].split("\n\nUsage")[0])


if __name__ == "__main__":
    main()
