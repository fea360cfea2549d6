"""Side by side: our extraction and Carlini, Jagielski & Mironov's code (CRYPTO 2020) on the same networks.

Networks: He-initialised ``10-10-10-1`` and ``10-15-15-1`` (weights ``N(0, 2/fan_in)``, biases
``N(0, 1)``, the paper of this chapter's targets), two seeds each. For each network and method:
queries, bits of precision (``−log2`` of the largest canonical parameter error,
:func:`cnnmath.relu.align.parameter_error`, which is their ``check_solution_svd`` measure),
``max|f − f̂| / max|f|`` on 10⁴ ``N(0, I)`` inputs, wall seconds (one thread each).

Their code is not part of this project and is never copied into it. Give the path of a local
checkout of ``google-research/cryptanalytic-model-extraction`` and the Python of an environment
where it runs (numpy, scipy, networkx, jax with 64-bit floats): each network is written where
their ``extract.py`` reads it (``models/<seed>_<sizes>.npy``, ``[weights (in, out), biases]``)
in a temporary copy of the checkout, their ``extract.py <sizes> <seed>`` is run there, and the
network it saves in ``/tmp/extracted-<sizes>.p`` is scored with our own code. Their code is told
the architecture; ours infers it. ``jax.experimental.optimizers`` (moved to
``jax.example_libraries`` in later jax) is aliased by a ``sitecustomize`` in the temporary copy,
which also makes their process pool (``cpu_count() // 4`` workers) one worker, as for ours.
Without ``--peer`` only our rows are recorded and the record says the peer was absent.

Usage: ``python benchmarks/relu_vs_carlini.py [--peer PATH --peer-python PATH] [--seeds 2]``
"""

from __future__ import annotations

import argparse
import os
import pickle
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from cnnmath.book.bench import record
from cnnmath.relu import Oracle, extract
from cnnmath.relu import align as ra
from cnnmath.relu.nets import ReLUNet, random_relu_net

SIZES = ((10, 10, 10, 1), (10, 15, 15, 1))
SHIM = ("import sys, multiprocessing\nmultiprocessing.cpu_count = lambda: 4  # their pool: cpu_count // 4 workers\ntry:\n    import jax.example_libraries.optimizers as _o\n"
        "    sys.modules.setdefault('jax.experimental.optimizers', _o)\n"
        "    import jax.experimental\n    jax.experimental.optimizers = _o\nexcept ImportError:\n    pass\n")


def score(net: ReLUNet, net_hat: ReLUNet | None, seed: int) -> tuple[float, float]:
    """(bits, max relative error on 10⁴ Gaussian inputs); (−inf, inf) without a network."""
    if net_hat is None:
        return float("-inf"), float("inf")
    x = np.random.default_rng(20_000 + seed).normal(size=(10_000, net.sizes[0]))
    err = ra.parameter_error(net, net_hat)
    bits = float(-np.log2(err)) if err > 0 else 52.0
    return bits, ra.fidelity(net, net_hat, x)["max_rel"]


def ours(net: ReLUNet, seed: int) -> list:
    oracle = Oracle(net, net.sizes[0])
    start = time.perf_counter()
    ex = extract(oracle, np.random.default_rng(10_000 + seed))
    seconds = time.perf_counter() - start
    bits, fid = score(net, ex.net, seed)
    return ["ours (architecture inferred)", ex.complete, np.log2(oracle.n_queries), bits, fid, seconds]


def peer(net: ReLUNet, seed: int, checkout: Path, python: str, timeout: float) -> list:
    name = "-".join(map(str, net.sizes))
    work = Path(tempfile.mkdtemp(prefix="carlini-"))
    try:
        shutil.copytree(checkout, work / "code", ignore=shutil.ignore_patterns(".git"))
        (work / "code" / "sitecustomize.py").write_text(SHIM)
        (work / "code" / "models").mkdir(exist_ok=True)
        # plain arrays here, the pickled [weights, biases] written by their own numpy (versions differ)
        flat = {f"w{k}": w.T for k, w in enumerate(net.weights)} | {f"b{k}": b for k, b in enumerate(net.biases)}
        np.savez(work / "plain.npz", **flat)
        n = len(net.weights)
        subprocess.run([python, "-c", "import numpy as np; d = np.load('../plain.npz'); m = np.empty(2, dtype=object);"
                        f" m[0] = [d['w%d' % k] for k in range({n})]; m[1] = [d['b%d' % k] for k in range({n})];"
                        f" np.save('models/{seed}_{name}.npy', m, allow_pickle=True)"],
                       cwd=work / "code", check=True)
        out = Path(f"/tmp/extracted-{name}.p")
        out.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=str(work / "code"), OMP_NUM_THREADS="1",
                   XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        start = time.perf_counter()
        try:
            run = subprocess.run([python, "extract.py", name, str(seed)], cwd=work / "code", env=env,
                                 capture_output=True, text=True, timeout=timeout)
            log = run.stdout + run.stderr
        except subprocess.TimeoutExpired as err:
            log = (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
            log += f"\ntimed out after {timeout:.0f} s"
        seconds = time.perf_counter() - start
        counts = re.findall(r"Total query count (\d+)", log)
        queries = float(np.log2(int(counts[-1]))) if counts else float("nan")
        net_hat = None
        if out.exists():
            a, b = pickle.load(open(out, "rb"))
            net_hat = ReLUNet(tuple(np.asarray(w, dtype=np.float64).T for w in a),
                              tuple(np.asarray(v, dtype=np.float64).ravel() for v in b))
        bits, fid = score(net, net_hat, seed)
        done = net_hat is not None and net_hat.sizes == net.sizes
        label = "Carlini et al. (architecture given)" + ("" if done else f" — failed: {log.strip().splitlines()[-1][:120] if log.strip() else 'no output'}")
        return [label, done, queries, bits, fid, seconds]
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, help="checkout of google-research/cryptanalytic-model-extraction")
    parser.add_argument("--peer-python", default="python3", help="Python of the peer's environment")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per peer run")
    args = parser.parse_args()
    if args.peer is not None and not (args.peer / "extract.py").exists():
        parser.error(f"--peer must be a checkout with extract.py, got {args.peer}")
    torch.set_num_threads(1)
    rows = []
    for sizes in SIZES:
        for seed in range(args.seeds):
            net = random_relu_net(sizes, np.random.default_rng(seed))
            runs = [ours(net, seed)]
            if args.peer is not None:
                runs.append(peer(net, seed, args.peer, args.peer_python, args.timeout))
            for r in runs:
                rows.append(["-".join(map(str, sizes)), seed, r[0], r[1], round(float(r[2]), 2),
                             round(float(r[3]), 1), f"{r[4]:.1e}", round(r[5], 1)])
                print(rows[-1], flush=True)
    absent = "" if args.peer is not None else " The peer's checkout was not given: only our rows are recorded (peer absent)."
    record("relu_vs_carlini", "ReLU extraction side by side with Carlini, Jagielski & Mironov's code",
           ["network", "seed", "method", "complete", "log2 queries", "bits", "max rel error", "wall s"], rows,
           summary="He-initialised networks (N(0, 2/fan_in) weights, N(0, 1) biases), same networks for"
                   " both; bits = −log2 max canonical parameter error." + absent,
           notes=__doc__.split("\n\n")[2])


if __name__ == "__main__":
    main()
