"""Queries and seconds per recovered first-layer neuron vs network width (Rolnick & Kording 2020).

The paper's query-complexity paragraph (after Theorem 3) expects layer 1 to need
``O(n_in · Σ n_i · log n_1)`` queries: linear in the number of neurons at fixed ``n_in``, up to
the ``log n_1`` lines. This script runs Algorithm 1 (:func:`cnnmath.relu.layer1.first_layer`)
on untrained 10-w-w-1 networks and fits ``log(queries)`` and ``log(seconds)`` against
``log(n_1 · lines)`` and ``log n_1``. Seconds are split into the time the simulated oracle
spends evaluating the target network (``∝ queries × n_1²`` here, not the attacker's cost) and
the extraction's own time. Wall-clock times depend on the machine and its load.

Usage: ``python benchmarks/relu_extract.py [--widths 10 20 40 80 160] [--seeds 2]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from cnnmath.relu import align as ra
from cnnmath.relu.layer1 import first_layer
from cnnmath.relu.oracle import Oracle, ScalarView
from cnnmath.book.bench import record
from cnnmath.relu.nets import random_relu_net


def run(width: int, seed: int, n_in: int = 10) -> tuple[int, int, int, float, float]:
    """(neurons recovered to 1e-8, lines, queries, extraction seconds, oracle seconds)."""
    net = random_relu_net((n_in, width, width, 1), np.random.default_rng(seed))
    inside = [0.0]

    def timed(x: np.ndarray) -> np.ndarray:
        t0 = time.perf_counter()
        y = net(x)
        inside[0] += time.perf_counter() - t0
        return y

    oracle = Oracle(timed, n_in)
    lines = int(np.ceil(4 * np.log2(width))) + 4
    start = time.perf_counter()
    first = first_layer(ScalarView(oracle, np.random.default_rng(seed + 1)),
                           np.random.default_rng(seed + 2), n_lines=lines)
    seconds = time.perf_counter() - start
    score = ra.score_first_layer(net, first.weights, first.biases, up_to_sign=True)
    return score.recovered(1e-8), lines, oracle.n_queries, seconds - inside[0], inside[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[10, 20, 40, 80, 160])
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args()
    rows, fit = [], []
    for w in args.widths:
        for s in range(args.seeds):
            found, lines, q, sec, sec_oracle = run(w, s)
            fit.append((w, lines, q, sec))
            rows.append([w, s, f"{found}/{w}", lines, q, round(q / max(found, 1)), sec,
                         1e3 * sec / max(found, 1), sec_oracle])
    w, lines, q, sec = (np.array(c, dtype=float) for c in zip(*fit))
    slopes = []
    for label, y in (("queries", q), ("extraction seconds", sec)):
        slope_l = np.polyfit(np.log(w * lines), np.log(y), 1)[0]
        slope_w = np.polyfit(np.log(w), np.log(y), 1)[0]
        slopes.append(f"{label}: log-log slope {slope_l:.2f} against neurons × lines, {slope_w:.2f} against neurons")
    record(
        "relu_extract", "ReLU extraction: queries and seconds per recovered neuron against width",
        ["width", "seed", "recovered (≤ 1e-8)", "lines", "queries", "queries / neuron", "extraction (s)",
         "ms / neuron", "oracle (s)"], rows,
        summary="Algorithm 1 on untrained 10-w-w-1 networks; the paper expects queries linear in the"
                " number of neurons (times the O(log n_1) lines). " + "; ".join(slopes) + " (1 = linear).",
        notes="No peer implementation is public; the oracle's own time (evaluating the simulated"
              " network) is reported apart from the extraction's.",
    )

if __name__ == "__main__":
    main()
