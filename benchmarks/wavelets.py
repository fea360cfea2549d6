"""Fair side-by-side timing of cnnmath's DT-CWT against ``pytorch_wavelets`` and ``dtcwt``, same filters.

Not part of ``make test``; ``make bench`` installs the peers (the ``bench`` extra, and
``dtcwt==0.14.0`` without its ``numpy<2`` pin: the script restores the two NumPy-1 aliases it
calls). What is compared, and how:

- **Same transform.** Every implementation computes the J = 3 DT-CWT with the paper's filters
  (Kingsbury's ``qshift_a``, one-sample-delay first stage). ``pytorch_wavelets`` has no DT-CWT with
  a q-shift first stage, so its peer is the DT-CWT built from its own separable DWT
  (``DWTForward``/``DWTInverse``, mode ``periodization``): one call per tree and level with that
  tree's filters, then the complex combination (B.6) in torch. The script checks that its
  output equals ours on **every** sub-band and the low-passes, and that its inverse reconstructs. ``dtcwt`` (NumPy) gets
  the same q-shift filters (checked equal to its ``qshift_a``) and the first-stage filters as its
  level-1 ("biort") pair: the same amount of work, though its undecimated, symmetrically extended
  level 1 pairs the trees its own way, so its sub-bands are not ours (its reconstruction is
  checked in the interior).
- **Same conditions.** Same input batch, same dtype (float32 and float64 rows; ``dtcwt`` always
  computes in float64 and is fed image by image), same torch thread count (1 and 2; ``dtcwt`` is
  single-threaded NumPy), wall-clock and process CPU time, repetitions interleaved across the
  implementations in a shuffled order, batch 1 and 16, sizes 256² and 1024², forward and inverse.
  A repetition is a run of consecutive calls lasting about 50 ms (at least one call), timed as a
  whole and divided by the number of calls, as :mod:`timeit` does: a single call of a few
  milliseconds measures the state the previous implementation left the caches in as much as the
  code.
- **Spread.** The whole table is measured ``--runs`` times; each row reports the median over the
  runs of each run's median time, and the range of the speed-up over the runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import warnings

import numpy as np
import torch

from cnnmath.book import bench
from cnnmath.shift import dtcwpt, dtcwt

J = 3
_TREES = ((0, 0), (0, 1), (1, 0), (1, 1))  # (rows tree, columns tree): aa, ab, ba, bb


def _numpy2_aliases() -> None:
    """Restore the two NumPy 1 aliases that ``dtcwt`` 0.14 calls (removed in NumPy 2.0)."""
    if not hasattr(np, "asfarray"):
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)
    if not hasattr(np, "issubsctype"):
        np.issubsctype = lambda a, b: np.issubdtype(np.result_type(a), b)


# --- pytorch_wavelets: the DT-CWT from four separable DWTs --------------------------------------


class PytorchWaveletsDtcwt:
    """The paper's DT-CWT built from ``pytorch_wavelets``' ``DWTForward``/``DWTInverse`` (periodization).

    Level ``j`` of tree ``(t_y, t_x)`` is one ``DWTForward(J=1)`` with that tree's (low, high)
    filters on the columns and rows; the six complex sub-bands are formed with (B.6) as ours.
    ``pytorch_wavelets`` convolves (it reverses the filters it is given), so it is given our
    cross-correlation filters reversed, each with one zero tap appended (without it, its
    periodization grid sits one sample after ours and the trees come out swapped); its synthesis
    gets them with two zero taps appended, which its periodization aligns with the analysis.
    """

    def __init__(self, dtype: torch.dtype) -> None:
        from pytorch_wavelets import DWTForward, DWTInverse

        f = dtcwpt._filters()
        names = {0: (("h1fs", "g1fs"), ("h1", "g1")), 1: (("h2fs", "g2fs"), ("h2", "g2"))}
        self.fwd, self.inv = [], []
        default = torch.get_default_dtype()
        torch.set_default_dtype(dtype)  # pytorch_wavelets stores its filters in the default dtype
        for j in range(J):
            fw, iv = [], []
            for ty, tx in _TREES:
                # one trailing zero tap puts its periodization grid on ours: then every map is equal
                col = [np.append(f[n], 0.0)[::-1].copy() for n in names[tx][min(j, 1)]]  # its "col" filters run along x
                row = [np.append(f[n], 0.0)[::-1].copy() for n in names[ty][min(j, 1)]]
                fw.append(DWTForward(J=1, wave=(*col, *row), mode="periodization").to(dtype))
                # synthesis (orthonormal banks: the adjoint): our filters with two zero taps appended,
                # which its periodization synthesis aligns with the analysis above
                syn = [np.append(f[n], [0.0, 0.0]) for k in (tx, ty) for n in names[k][min(j, 1)]]
                iv.append(DWTInverse(wave=tuple(syn), mode="periodization").to(dtype))
            self.fwd.append(fw)
            self.inv.append(iv)
        torch.set_default_dtype(default)
        self.signs = [dtcwt._signs_wavelet(j + 1, torch.zeros(1)) for j in range(J)]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        lows = [x[:, None]] * 4
        highs = []
        for j in range(J):
            outs = [self.fwd[j][t](lows[t]) for t in range(4)]
            lows = [o[0] for o in outs]
            hp = [o[1][0][:, 0] for o in outs]  # (B, 3, h, w)
            highs.append(self._combine(hp, j))
        return torch.cat(lows, 1), highs

    def _combine(self, hp: list[torch.Tensor], j: int) -> torch.Tensor:
        aa, ab, ba, bb = hp
        sy, sx, sxy = (torch.as_tensor(s, dtype=aa.dtype)[:, None, None] for s in self.signs[j])
        order = [1, 0, 2]  # its three bands ↔ ours (LH, HL, HH)
        aa, ab, ba, bb = (t[:, order] for t in (aa, ab, ba, bb))
        ne = torch.complex(aa - sxy * bb, sy * ba + sx * ab)
        se = torch.complex(aa + sxy * bb, sy * ba - sx * ab)
        return torch.stack([ne, se], 2).flatten(1, 2)

    def inverse(self, low: torch.Tensor, highs: list[torch.Tensor]) -> torch.Tensor:
        lows = list(low.unbind(1))
        for j in reversed(range(J)):
            z = highs[j].unflatten(1, (3, 2))
            ne, se = z[:, :, 0], z[:, :, 1]
            sy, sx, sxy = (torch.as_tensor(s, dtype=low.dtype)[:, None, None] for s in self.signs[j])
            trees = [(ne.real + se.real) / 2, sx * (ne.imag - se.imag) / 2, sy * (ne.imag + se.imag) / 2,
                     sxy * (se.real - ne.real) / 2]
            order = [1, 0, 2]
            lows = [self.inv[j][t]((lows[t][:, None], [trees[t][:, order][:, None]]))[:, 0] for t in range(4)]
        return sum(lows) / 4


# --- dtcwt: the NumPy DT-CWT with the paper's filters --------------------------------------------


def dtcwt_transform():
    """``dtcwt.Transform2d`` with ``qshift_a`` and the first-stage pair (odd-length, zero-padded) at level 1."""
    _numpy2_aliases()
    import dtcwt
    from dtcwt.coeffs import qshift

    f = dtcwpt._filters()
    h0o, h1o = np.append(f["h1"], 0.0), np.append(f["g1"], 0.0)
    biort = tuple(c[:, None] for c in (h0o, h0o[::-1] / 2, h1o, h1o[::-1] / 2))
    return dtcwt.Transform2d(biort=biort, qshift=qshift("qshift_a"))


# --- agreement ---------------------------------------------------------------------------------


def agreement_pytorch_wavelets(dtype: torch.dtype) -> float:
    """Max deviation from ours over all sub-bands, the low-passes and the reconstruction, relative to the largest value."""
    x = torch.randn(2, 64, 64, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)
    ours = dtcwt.dtcwt2(x, J)
    peer = PytorchWaveletsDtcwt(dtype)
    low, highs = peer.forward(x)
    pairs = [*zip(ours.highpasses, highs), (ours.lowpass, low), (x, peer.inverse(low, highs))]
    return max(float((a - b).abs().max() / a.abs().max()) for a, b in pairs)


def agreement_dtcwt() -> tuple[float, float]:
    """Our q-shift filters vs ``dtcwt``'s ``qshift_a`` (sign convention ``g1 = -h1b``), and its interior reconstruction."""
    _numpy2_aliases()
    from dtcwt.coeffs import qshift

    h0a, h0b, _, _, h1a, h1b, _, _ = (c.ravel() for c in qshift("qshift_a"))
    f = dtcwpt._filters()
    filters = max(np.abs(f["h1"] - h0b).max(), np.abs(f["h2"] - h0a).max(), np.abs(f["g1"] + h1b).max(),
                  np.abs(f["g2"] - h1a).max())
    x = np.random.default_rng(1).normal(size=(128, 128))
    tr = dtcwt_transform()
    rec = tr.inverse(tr.forward(x, nlevels=J))
    return float(filters), float(np.abs(rec - x)[32:-32, 32:-32].max())


# --- timing ------------------------------------------------------------------------------------


def measure(batch: int, size: int, dtype: torch.dtype, threads: int, repeat: int, rng: random.Random) -> dict:
    """Median wall and CPU seconds per implementation and direction, repetitions interleaved."""
    torch.set_num_threads(threads)
    x = torch.rand(batch, size, size, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(dtype)
    images = x.numpy()
    pw, tr = PytorchWaveletsDtcwt(dtype), dtcwt_transform()
    ours_p = dtcwt.dtcwt2(x, J)
    with torch.no_grad():
        pw_p = pw.forward(x)
    dt_p = [tr.forward(im, nlevels=J) for im in images]
    calls = {
        ("ours", "forward"): lambda: dtcwt.dtcwt2(x, J),
        ("ours", "inverse"): lambda: dtcwt.idtcwt2(ours_p),
        ("pytorch_wavelets", "forward"): lambda: pw.forward(x),
        ("pytorch_wavelets", "inverse"): lambda: pw.inverse(*pw_p),
        ("dtcwt", "forward"): lambda: [tr.forward(im, nlevels=J) for im in images],
        ("dtcwt", "inverse"): lambda: [tr.inverse(p) for p in dt_p],
    }
    times = {k: [] for k in calls}
    with torch.no_grad():
        count = {k: bench.calls_per_repetition(calls[k]) for k in calls}  # also the warm-up
        for _ in range(repeat):
            order = list(calls)
            rng.shuffle(order)
            for k in order:
                times[k].append(bench.per_call(calls[k], count[k]))
    return {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}


def _record(runs: list[dict], configs: list[tuple], args: argparse.Namespace, agree: dict, agree_dt: tuple) -> None:
    """Write the table of the runs measured so far with :func:`cnnmath.book.bench.record`."""
    rows = []
    worst = float("inf")
    for t, dt, b, s in configs:
        for d in ("forward", "inverse"):
            med = {impl: [statistics.median(run[(t, dt, b, s)][(impl, d)][i] for run in runs) for i in (0, 1)]
                   for impl in ("ours", "pytorch_wavelets", "dtcwt")}
            speed = [min(run[(t, dt, b, s)][(p, d)][0] for p in ("pytorch_wavelets", "dtcwt"))
                     / run[(t, dt, b, s)][("ours", d)][0] for run in runs]
            speed_cpu = [min(run[(t, dt, b, s)][(p, d)][1] for p in ("pytorch_wavelets", "dtcwt"))
                         / run[(t, dt, b, s)][("ours", d)][1] for run in runs]
            worst = min(worst, min(speed))
            rows.append([t, str(dt).removeprefix("torch."), b, f"{s}²", d,
                         *(1e3 * med[i][0] for i in med), *(1e3 * med[i][1] for i in med),
                         statistics.median(speed), f"{min(speed):.2f}–{max(speed):.2f}", statistics.median(speed_cpu)])
    columns = ["threads", "dtype", "batch", "size", "direction",
               "ours wall (ms)", "pytorch_wavelets wall (ms)", "dtcwt wall (ms)",
               "ours CPU (ms)", "pytorch_wavelets CPU (ms)", "dtcwt CPU (ms)",
               "ours faster than the fastest peer, wall (×)", f"range over {len(runs)} runs (×)",
               "ours faster, CPU time (×)"]
    summary = (f"The J = {J} DT-CWT with the paper's filters, {len(rows)} rows (threads × dtype × size × batch × "
               f"direction), {len(runs)} run(s): the fastest peer's wall time over ours is at least {worst:.2f} "
               f"(slowest run of the worst row) and its median over the rows "
               f"{statistics.median(row[11] for row in rows):.2f}; ratios above 1 mean ours is faster.")
    notes = ("Same output: pytorch_wavelets' DT-CWT (its DWTForward/DWTInverse, mode 'periodization', one call per "
             "tree and level, with the paper's filters, and the complex combination (B.6)) equals ours on all "
             f"sub-bands and low-passes, and its inverse reconstructs the input, to {agree['float32']:.1e} (float32) / "
             f"{agree['float64']:.1e} (float64) relative (it is given each filter with one zero tap appended: without "
             "it, its periodization grid sits one sample after ours and the trees come out swapped). dtcwt is given the "
             f"same filters (its qshift_a equals ours to {agree_dt[0]:.0e}, with g1 = -h1b) and the first-stage pair as "
             "its level-1 filters; it computes the same amount of DT-CWT, but its undecimated level 1 with symmetric "
             "extension pairs the trees its own way (its sub-bands are not ours) and is exact only for symmetric "
             f"level-1 filters, so with the paper's it reconstructs the interior only (to {agree_dt[1]:.0e}). dtcwt computes in float64 whatever the input "
             "and is single-threaded; the thread count applies to torch. Times per call: median of "
             f"{args.repeat} interleaved repetitions ({args.repeat_large} at 16×1024²) per run, each a run of consecutive calls "
             f"lasting about {bench.REPETITION_S * 1e3:.0f} ms (at least one call) timed as a whole, as timeit does; then median over {len(runs)} runs; "
             "CPU = process time (all threads). Peers: pytorch-wavelets==1.3.0 (PyWavelets==1.9.0, "
             "setuptools==80.9.0), dtcwt==0.14.0 (--no-deps; two NumPy-1 aliases restored).")
    bench.record("wavelets", "DT-CWT (J = 3, paper's filters) forward / inverse: cnnmath vs pytorch_wavelets vs dtcwt",
                 columns, rows, summary, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="interleaved repetitions per run")
    parser.add_argument("--repeat-large", type=int, default=2, help="the same at 16×1024²")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 1024])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--max-pixels", type=int, default=16 * 1024**2, help="skip batches larger than this")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    agree = {str(dt).removeprefix("torch."): agreement_pytorch_wavelets(dt) for dt in (torch.float32, torch.float64)}
    tol = {"float32": 1e-5, "float64": 1e-12}
    for name, err in agree.items():
        if err > tol[name]:
            raise SystemExit(f"pytorch_wavelets' DT-CWT differs from ours by {err:.1e} ({name}): not the same transform")
    agree_dt = agreement_dtcwt()
    if max(agree_dt) > 1e-12:
        raise SystemExit(f"dtcwt's filters or interior reconstruction are off by {max(agree_dt):.1e}")
    configs = [(t, dt, b, s) for t in args.threads for dt in (torch.float32, torch.float64)
               for s in args.sizes for b in args.batches if b * s * s <= args.max_pixels]
    rng = random.Random(0)
    runs = []
    for r in range(args.runs):
        res = {}
        for t, dt, b, s in configs:
            rep = args.repeat if b * s * s < 16 * 1024**2 else args.repeat_large
            res[(t, dt, b, s)] = measure(b, s, dt, t, rep, rng)
            print(f"run {r + 1}: {t} thread(s), {dt}, {b}×{s}² done", flush=True)
        runs.append(res)
        _record(runs, configs, args, agree, agree_dt)  # after every run: an interrupted session keeps its runs
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
