"""Side by side: our extraction and Carlini, Jagielski & Mironov's code (CRYPTO 2020) on the same networks.

Networks: ``10-10-10-1`` and ``10-15-15-1``, of two kinds, ``--seeds`` seeds each: He-initialised
(weights ``N(0, 2/fan_in)``, biases ``N(0, 1)``, the paper of this chapter's targets) and trained
by their own ``train_models.py`` (it memorises 20 random points with Adam; run in the temporary
copy, so that only a checkout of theirs can make these networks). For each network and method:
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
EXACT = 1e-9  # largest max|f − f̂| / max|f| of an exact extraction
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
    name, work = "-".join(map(str, net.sizes)), _their_copy(checkout)
    try:
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


def _their_copy(checkout: Path) -> Path:
    """A temporary copy of their checkout (no ``.git``), with the ``sitecustomize`` shim and ``models/``."""
    work = Path(tempfile.mkdtemp(prefix="carlini-"))
    shutil.copytree(checkout, work / "code", ignore=shutil.ignore_patterns(".git"))
    (work / "code" / "sitecustomize.py").write_text(SHIM)
    (work / "code" / "models").mkdir(exist_ok=True)
    return work


def their_trained(sizes: tuple[int, ...], seed: int, checkout: Path, python: str) -> ReLUNet:
    """The network their ``train_models.py <sizes> <seed>`` trains, read back as ours (weights transposed)."""
    name, work = "-".join(map(str, sizes)), _their_copy(checkout)
    try:
        env = dict(os.environ, PYTHONPATH=str(work / "code"), OMP_NUM_THREADS="1")
        subprocess.run([python, "train_models.py", name, str(seed)], cwd=work / "code", env=env, check=True,
                       capture_output=True, text=True, timeout=1800)
        # their pickled [weights, biases], turned into plain arrays by their own numpy and jax
        subprocess.run([python, "-c", f"import numpy as np; m = np.load('models/{seed}_{name}.npy', allow_pickle=True);"
                        " np.savez('../plain.npz', **{'w%d' % k: np.asarray(a) for k, a in enumerate(m[0])},"
                        " **{'b%d' % k: np.asarray(b) for k, b in enumerate(m[1])})"],
                       cwd=work / "code", env=env, check=True)
        arrays, layers = np.load(work / "plain.npz"), len(sizes) - 1
        return ReLUNet(tuple(np.asarray(arrays[f"w{k}"], dtype=np.float64).T for k in range(layers)),
                       tuple(np.asarray(arrays[f"b{k}"], dtype=np.float64).ravel() for k in range(layers)))
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
    kinds = ["He-initialised"] + (["trained (their recipe)"] if args.peer is not None else [])
    for kind in kinds:
        for sizes in SIZES:
            for seed in range(args.seeds):
                if kind == "He-initialised":
                    net = random_relu_net(sizes, np.random.default_rng(seed))
                else:
                    net = their_trained(sizes, seed, args.peer, args.peer_python)
                runs = [ours(net, seed)]
                if args.peer is not None:
                    runs.append(peer(net, seed, args.peer, args.peer_python, args.timeout))
                for r in runs:
                    rows.append(["-".join(map(str, sizes)), kind, seed, r[0], r[1], bool(r[1] and r[4] <= EXACT),
                                 round(float(r[2]), 2), round(float(r[3]), 1), f"{r[4]:.1e}", round(r[5], 1)])
                    print(rows[-1], flush=True)
    absent = "" if args.peer is not None else (" The peer's checkout was not given: only our rows on He-initialised"
                                               " networks are recorded (peer absent; the trained networks come from"
                                               " its training script).")
    write(rows, absent)


def tallies(rows: list) -> str:
    """Per method: exact runs out of all, median log2 queries and bits over its exact runs, and over
    the networks both extracted exactly, how often ours used no more queries."""
    out = []
    for method in dict.fromkeys(r[3].split(" — ")[0] for r in rows):
        mine = [r for r in rows if r[3].split(" — ")[0] == method]
        exact = [r for r in mine if r[5]]
        med = (lambda col: f"{np.median([r[col] for r in exact]):.1f}") if exact else (lambda col: "n/a")
        out.append(f"{method}: {len(exact)}/{len(mine)} exact, median log2 queries {med(6)}, median bits {med(7)}"
                   f" over them, ≥ 36 bits on {sum(r[7] >= 36 for r in exact)}")
    pairs = [(a, b) for a, b in zip(rows[::2], rows[1::2])
             if a[3].startswith("ours") and b[3].startswith("Carlini") and a[5] and b[5]]
    if pairs:
        out.append(f"on the {len(pairs)} networks both extracted exactly, ours used no more queries on"
                   f" {sum(a[6] <= b[6] for a, b in pairs)} (median difference of log2 queries"
                   f" {np.median([a[6] - b[6] for a, b in pairs]):+.2f})")
    return "; ".join(out)


def write(rows: list, absent: str) -> None:
    record("relu_vs_carlini", "ReLU extraction side by side with Carlini, Jagielski & Mironov's code",
           ["network", "kind", "seed", "method", "complete", "exact", "log2 queries", "bits", "max rel error",
            "wall s"], rows,
           summary="Same networks for both: He-initialised (N(0, 2/fan_in) weights, N(0, 1) biases) and trained by"
                   " their train_models.py; 'complete': the method returned a network of the true architecture;"
                   f" 'exact': complete and max|f − f̂|/max|f| ≤ {EXACT:g} on 10⁴ Gaussian inputs; bits = −log2 max"
                   " canonical parameter error. " + tallies(rows) + "." + absent,
           notes=__doc__.split("\n\n")[2])


if __name__ == "__main__":
    main()
