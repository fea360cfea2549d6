"""Order-n convolution: ours (``cnnmath.volterra.conv.order_n_conv1d``) against the authors' C++ (nnvolterra).

The authors' repository (``tenghuilee/nnvolterra``) ships a C++ order-n convolution exposed to
Python as the extension ``libnpxconv`` (``conv1d_order_n(out, kernel, signal, padleft, stride)``,
one signal per call; their ``npxconv.conv_ordern`` wraps it the same way). Build it yourself from
their repository and pass the folder that holds ``libnpxconv*.so``::

    .venv/bin/python benchmarks/volterra_vs_nnvolterra.py --nnvolterra PATH [--repeats 3] [--threads 2]

Grid: order ∈ {3, 5}, kernel ∈ {9, 13}, signal length ∈ {64, 1024}, 64 signals, float64, random
kernels and signals (same inputs for both). Per grid point the two run alternately (interleaved
repetitions); a repetition is a run of consecutive calls lasting about 50 ms (at least one call),
timed as a whole and divided by the number of calls (as :mod:`timeit` does: a single
sub-millisecond call measures the timer and the scheduler more than the code); wall and CPU time
per call are the best over the repetitions (on a loaded machine the CPU
ratio is the fairer one: waiting for a core inflates wall time); the outputs must agree to a
relative 1e-12 (checked, the script stops otherwise). Peak memory is the growth of the process's
peak resident set during one call (Linux ``/proc/self/clear_refs`` reset, then ``VmHWM``). The
C++ code has no threading: it runs on one thread, ours on ``--threads``. Without ``--nnvolterra``
the record holds our timings alone and says so.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import threading
from pathlib import Path

import numpy as np
import torch

from cnnmath.book.bench import REPETITION_S, calls_per_repetition, per_call, record
from cnnmath.volterra import conv

GRID = [(order, size, length) for order in (3, 5) for size in (9, 13) for length in (64, 1024)]
BATCH = 64


def _status(key: str) -> int:
    return int(re.search(rf"{key}:\s+(\d+) kB", Path("/proc/self/status").read_text()).group(1)) * 1024


def peak_extra_mib(fn) -> float:
    """Growth of the peak resident set (MiB) during ``fn()``; NaN where Linux's reset is unavailable."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        fn()
        return float("nan")
    before = _status("VmRSS")
    fn()
    return (_status("VmHWM") - before) / 2**20


def in_fresh_thread(fn) -> None:
    """Run ``fn`` in a new thread: the engine keeps one scratch buffer per thread, and a fresh
    thread has none, so the peak memory counts that buffer too."""
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def load_nnvolterra(path: str | None):
    """The authors' ``libnpxconv`` extension from the folder ``path``, or None."""
    if path is None:
        return None
    folder = Path(path).resolve()
    if not list(folder.glob("libnpxconv*.so")):
        raise SystemExit(f"--nnvolterra: no libnpxconv*.so in {folder}; pass the folder of the built extension")
    sys.path.insert(0, str(folder))
    return importlib.import_module("libnpxconv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nnvolterra", help="folder holding the built libnpxconv*.so (authors' C++)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.repeats < 1 or args.threads < 1:
        raise SystemExit(f"--repeats and --threads must be ≥ 1, got {args.repeats} and {args.threads}")
    lib = load_nnvolterra(args.nnvolterra)
    torch.set_num_threads(args.threads)
    rng, rows = np.random.default_rng(0), []
    for order, size, length in GRID:
        kernel, x = rng.standard_normal((size,) * order), rng.standard_normal((BATCH, length))
        kt, xt = torch.tensor(kernel), torch.tensor(x)
        ours_out = conv.order_n_conv1d(kt, xt)  # warm-up (rank maps are cached per size and order)
        theirs_out = np.zeros((BATCH, length - size + 1))

        def theirs() -> None:
            for b in range(BATCH):
                lib.conv1d_order_n(theirs_out[b], kernel, x[b], 0, 1)

        ours_calls = calls_per_repetition(lambda: conv.order_n_conv1d(kt, xt))
        theirs_calls = calls_per_repetition(theirs) if lib is not None else 0
        runs = {"ours": [], "theirs": []}
        for _ in range(args.repeats):  # interleaved
            runs["ours"].append(per_call(lambda: conv.order_n_conv1d(kt, xt), ours_calls))
            if lib is not None:
                runs["theirs"].append(per_call(theirs, theirs_calls))
        ours_wall, ours_cpu = (min(r[i] for r in runs["ours"]) for i in (0, 1))
        ours_mem = peak_extra_mib(lambda: in_fresh_thread(lambda: conv.order_n_conv1d(kt, xt)))
        row = [order, size, length, ours_wall * 1e3, ours_cpu * 1e3, ours_mem]
        if lib is not None:
            theirs_wall, theirs_cpu = (min(r[i] for r in runs["theirs"]) for i in (0, 1))
            theirs_mem = peak_extra_mib(theirs)
            diff = float(np.abs(theirs_out - ours_out.numpy()).max() / np.abs(theirs_out).max())
            if diff > 1e-12:
                raise SystemExit(f"outputs differ at order {order}, kernel {size}, length {length}: {diff:.1e}")
            row += [theirs_wall * 1e3, theirs_cpu * 1e3, theirs_mem, theirs_wall / ours_wall, theirs_cpu / ours_cpu,
                    f"{diff:.0e}"]
        rows.append(row)
        print(row, flush=True)
    columns = ["order", "kernel", "length", "ours wall (ms)", "ours CPU (ms)", "ours peak extra (MiB)"]
    if lib is not None:
        columns += ["C++ wall (ms)", "C++ CPU (ms)", "C++ peak extra (MiB)", "speed-up (wall)", "speed-up (CPU)", "max rel diff"]
        summary = (
            "Our order-n convolution (stride 1: products of n - 1 samples formed once per sample and shared by"
            f" the windows that hold them, in blocks; {args.threads} torch threads) against"
            " the authors' C++ `conv1d_order_n` from nnvolterra (one thread: their code has none), called per"
            f" signal as their `npxconv.conv_ordern` does; {BATCH} signals, float64. Time per call: best of"
            f" {args.repeats} interleaved repetitions, each a run of consecutive calls lasting about"
            f" {REPETITION_S * 1e3:.0f} ms (at least one call), as timeit does; outputs agree to the relative"
            " difference shown."
        )
    else:
        summary = (
            f"Ours alone ({args.threads} torch threads, {BATCH} signals, float64, best of {args.repeats} runs of"
            f" consecutive calls of about {REPETITION_S * 1e3:.0f} ms each): no build"
            " of the authors' nnvolterra was given (`--nnvolterra PATH`), so nothing was compared."
        )
    record("volterra_vs_nnvolterra", "Volterra: order-n convolution vs the authors' C++ (nnvolterra)",
           columns, rows, summary=summary,
           notes="Peak extra: growth of the process's peak resident memory during one call, 64 signals (ours in a"
                 " fresh thread, so that its scratch buffer is counted).")


if __name__ == "__main__":
    main()
