"""Side-by-side throughput of cnnmath's DT-CWT against ``pytorch_wavelets`` and ``dtcwt``.

Not part of ``make test``. The peers are optional (a ``bench`` extra), pinned as measured:

    .venv/bin/pip install pytorch-wavelets==1.3.0 PyWavelets==1.9.0 setuptools==80.9.0
    .venv/bin/pip install --no-deps dtcwt==0.14.0 six==1.17.0

(``pytorch_wavelets`` 1.3.0 imports ``pkg_resources``, hence setuptools < 81; ``dtcwt`` 0.14.0
declares ``numpy<2`` but only uses two aliases that NumPy 2 removed, restored below, so it is
installed without its dependencies.) Run:

    .venv/bin/python benchmarks/wavelets.py --batch 16 --size 256 --levels 3

All transforms get the same float32 batch (``dtcwt``, a NumPy library, gets it image by image in
float64) and the same number of levels, on ``--threads`` CPU threads. The three DT-CWTs do not
use the same filters (ours: the paper's q-shift ``qshift_a`` everywhere with a one-sample-delay
first stage; the peers: ``near_sym_b`` then ``qshift_b``), so their outputs differ by design;
where they coincide the script checks agreement: (1) our q-shift filters are ``dtcwt``'s
``qshift_a`` set, (2) each real tree's low-pass chain equals ``pytorch_wavelets``' separable DWT
(periodization mode) run with that tree's filters, level by level.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import torch

from cnnmath.book import bench

from cnnmath.shift import dtcwpt
def _numpy2_aliases() -> None:
    """Restore the two NumPy 1 aliases that ``dtcwt`` 0.14 calls (removed in NumPy 2.0)."""
    if not hasattr(np, "asfarray"):
        np.asfarray = lambda a, dtype=np.float64: np.asarray(a, dtype=dtype)
    if not hasattr(np, "issubsctype"):
        np.issubsctype = lambda a, b: np.issubdtype(np.result_type(a), b)


def throughput(x: torch.Tensor, levels: int, repeat: int) -> list[tuple[str, float, float]]:
    """(name, forward s, inverse s) per implementation on the batch ``x`` ``(B, H, W)`` float32."""
    from pytorch_wavelets import DTCWTForward, DTCWTInverse

    rows = []
    pyr = dtcwpt.dtcwt2(x, levels)
    rows.append(("cnnmath dtcwt2 (torch)", bench.best_time(lambda: dtcwpt.dtcwt2(x, levels), repeat),
                 bench.best_time(lambda: dtcwpt.idtcwt2(pyr), repeat)))
    fwd = DTCWTForward(J=levels, biort="near_sym_b", qshift="qshift_b")
    inv = DTCWTInverse(biort="near_sym_b", qshift="qshift_b")
    x4 = x[:, None]
    with torch.no_grad():
        coeffs = fwd(x4)
        rows.append(("pytorch_wavelets DTCWT", bench.best_time(lambda: fwd(x4), repeat),
                     bench.best_time(lambda: inv(coeffs), repeat)))
    _numpy2_aliases()
    import dtcwt

    tr = dtcwt.Transform2d(biort="near_sym_b", qshift="qshift_b")
    images = x.double().numpy()
    pyramids = [tr.forward(im, nlevels=levels) for im in images]
    rows.append(("dtcwt Transform2d (numpy)", bench.best_time(lambda: [tr.forward(im, nlevels=levels) for im in images], repeat),
                 bench.best_time(lambda: [tr.inverse(p) for p in pyramids], repeat)))
    z = dtcwpt.dtcwpt2(x, levels)
    rows.append(("cnnmath dtcwpt2, packets (no peer)", bench.best_time(lambda: dtcwpt.dtcwpt2(x, levels), repeat),
                 bench.best_time(lambda: dtcwpt.idtcwpt2(z, levels), repeat)))
    return rows


def agreement(levels: int) -> dict[str, float]:
    """Max deviations where the transforms coincide (float64 input)."""
    from pytorch_wavelets import DWTForward

    _numpy2_aliases()
    from dtcwt.coeffs import qshift

    h0a, h0b, _, _, h1a, h1b, _, _ = (c.ravel() for c in qshift("qshift_a"))
    f = dtcwpt._filters()
    out = {"filters vs dtcwt qshift_a": max(np.abs(f["h1"] - h0b).max(), np.abs(f["h2"] - h0a).max(),
                                            np.abs(f["g1"] + h1b).max(), np.abs(f["g2"] - h1a).max())}
    x = torch.randn(2, 128, 128, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for tree, idx, first, rest in (("aa", 0, "1fs", "1"), ("bb", 3, "2fs", "2")):  # lowpass index: aa, ab, ba, bb
        ref, worst = x, 0.0
        ours = [dtcwpt.dtcwt2(x, j).lowpass[:, idx] for j in range(1, levels + 1)]
        for j in range(levels):
            lo, hi = (f[("h" if k == 0 else "g") + (first if j == 0 else rest)][::-1].copy() for k in (0, 1))
            dwt = DWTForward(J=1, wave=(lo, hi), mode="periodization").double()
            # the two codes place the decimation grid differently: align by a circular shift
            cands = [dwt(torch.roll(ref, (s, s), (-2, -1))[:, None])[0][:, 0] for s in range(-12, 13)]
            err = [float((c - ours[j]).abs().max()) for c in cands]
            worst = max(worst, min(err))
            ref = ours[j]
        out[f"tree {tree} low-pass chain vs pytorch_wavelets DWT"] = worst
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--levels", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    x = torch.rand(args.batch, args.size, args.size, generator=torch.Generator().manual_seed(0))
    print(f"batch {args.batch}×{args.size}×{args.size} float32, J = {args.levels}, {args.threads} threads, "
          f"torch {torch.__version__}, best of {args.repeat}")
    rows = throughput(x, args.levels, args.repeat)
    ours = rows[0]
    table = [[name, 1e3 * fwd, 1e3 * inv, args.batch / fwd, args.batch / inv, fwd / ours[1], inv / ours[2]]
             for name, fwd, inv in rows]
    agree = agreement(args.levels)
    pw = rows[1]
    summary = (f"On {args.batch} images of {args.size}², J = {args.levels}, cnnmath's DT-CWT (torch, float32) is "
               f"{pw[1] / ours[1]:.2f}× as fast as pytorch_wavelets forward and {pw[2] / ours[2]:.2f}× inverse, and "
               f"{rows[2][1] / ours[1]:.2f}× / {rows[2][2] / ours[2]:.2f}× as fast as the NumPy `dtcwt` package "
               f"(image by image, float64).")
    notes = ("Peers: pytorch-wavelets==1.3.0 (with PyWavelets==1.9.0, setuptools==80.9.0 for its `pkg_resources`), "
             "dtcwt==0.14.0 (installed with --no-deps: it declares numpy<2; two NumPy-1 aliases are restored in the "
             "script). The transforms use different filters (ours: the paper's q-shift `qshift_a` with a "
             "one-sample-delay first stage; the peers: `near_sym_b` + `qshift_b`), so they are compared for speed; "
             "agreement is checked where they coincide: " + "; ".join(f"{k}: max deviation {v:.1e}" for k, v in agree.items())
             + " (pytorch_wavelets keeps its filters in float32).")
    bench.record("wavelets", "DT-CWT forward / inverse: cnnmath vs pytorch_wavelets vs dtcwt",
                 ["implementation", "forward (ms)", "inverse (ms)", "forward (images/s)", "inverse (images/s)",
                  "ours faster, forward (×)", "ours faster, inverse (×)"], table, summary, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
