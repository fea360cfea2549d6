"""The book's notebooks on a CUDA device: their verdicts against the committed CPU record.

How the input was produced: on a lent machine with one NVIDIA H200 (16 CPUs, Python 3.12,
torch 2.11 with CUDA), from a copy of the working tree, every notebook that puts tensors on its
``device`` was executed by the book's own runner,
``python -m cnnmath.book.reproduce <notebook> --profile book -p device cuda`` (papermill,
jupytext and ipykernel installed there from wheels, the data cache unpacked into
``$CNNMATH_DATA``), seven notebooks at a time with two CPU threads each. Notebooks whose
``device`` is unused (``# numpy only``) were left out. Each run folder holds ``summary.json`` (per
notebook: the runner's seconds, every claim line with its verdict), ``errors.txt`` (the log tail
of each notebook that failed, with its traceback) and ``run.log``. A second run applied the
proposed fixes to the machine's copy of the tree first (its ``run.log`` names each patched file),
re-ran the notebooks that had failed, and ran a paper-profile notebook with ``-p epochs`` cut; a
third run, on the committed fixes, re-ran the notebooks they touch.
The CPU verdicts and seconds are read here from the committed record ``book/``.

Usage: ``python benchmarks/gpu_paths.py RUN_DIR [RUN_DIR ...]``
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
from cnnmath.book import bench
from cnnmath.book.catalog import load_catalog, repo_root
from cnnmath.book.claims import STATUSES, read_claims
from cnnmath.io import write_text_atomic

DEVICE_CPUS = 16  # the lent machine's CPU count, as described by its lender


def counts(verdicts: dict[str, str]) -> str:
    """``"5 PASS · 1 GAP · 0 FAIL"``."""
    return " · ".join(f"{list(verdicts.values()).count(s)} {s}" for s in STATUSES)


def rows_of(run: Path, root: Path) -> tuple[list[list], list[dict], dict]:
    """One row per job of ``run``; the jobs themselves; the run's environment."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    fixed = "patched " in (run / "run.log").read_text(encoding="utf-8")
    errors = dict(re.findall(r"error: (\S+) failed in (cell \d+: \w+)", (run / "errors.txt").read_text()))
    rows = []
    for job in summary["jobs"]:
        nb = nbformat.read(root / "book" / f"{job['notebook']}.ipynb", as_version=4)
        cpu = {c.id: c.status for c in read_claims(nb)}
        book = job["profile"] == "book" and not job["overrides"]
        profile = job["profile"] + (f", {job['overrides'].replace('-p ', '')}" if job["overrides"] else "")
        profile += ", fixes applied" if fixed and book else ""
        ok = job["rc"] == "0" or job["verdicts"]
        rows.append([job["notebook"], profile, job["device"], job["runner_s"] if ok else "—",
                     counts(job["verdicts"]) if ok else f"error in {errors.get(job['notebook'], '?')}",
                     counts(cpu) if book else "—",
                     ("yes" if job["verdicts"] == cpu else "no") if book else "—",
                     nb.metadata["cnnmath"]["provenance"]["seconds"] if book else "—"])
    return rows, summary["jobs"], summary["env"]


def paper_estimate(jobs: list[dict], root: Path) -> str:
    """Seconds of a paper-profile run, from two runs that differ only in ``epochs``:
    ``t(E) = t(e1) + (E − e1) (t(e2) − t(e1)) / (e2 − e1)``."""
    entries = {e.key: e for paper in load_catalog(root) for e in paper.entries}
    done = {}
    for job in jobs:
        m = re.fullmatch(r"-p epochs (\d+)", job["overrides"])
        if job["profile"] == "paper" and m and job["rc"] == "0":
            done.setdefault(job["notebook"], []).append((int(m.group(1)), job["runner_s"]))
    lines = []
    for key, runs in done.items():
        if len(runs) < 2:
            continue
        (e1, t1), (e2, t2) = sorted(runs)[:2]
        per_epoch, full = (t2 - t1) / (e2 - e1), entries[key].resolve("paper", {})["epochs"]
        lines.append(f"{key}, paper profile: {per_epoch:.1f} s per epoch on the GPU, so about"
                     f" {t1 + (full - e1) * per_epoch:.0f} s for its {full} epochs (runs with {e1} and {e2} epochs).")
    return " ".join(lines)


def main(runs: list[str]) -> int:
    """Write ``benchmarks/results/gpu_paths.json`` from the run folders ``runs``, in order."""
    if not runs:  # `make bench` runs every script here without arguments: nothing to read, keep the record
        print("gpu_paths: no run folders given (they come from a GPU machine); the record is left as it is")
        return 0
    root = repo_root()
    latest, jobs, env, failed_first = {}, [], {}, set()
    for run in runs:  # a later run of a notebook under the same profile replaces the earlier row
        r, j, env = rows_of(Path(run), root)
        for row in r:
            if row[1] == "book" and row[4].startswith("error"):
                failed_first.add(row[0])
            latest[(row[0], row[1].removesuffix(", fixes applied"))] = row
        jobs += j
    rows = list(latest.values())
    book = [r for r in rows if r[1] in ("book", "book, fixes applied")]
    summary = (f"{len(book)} notebooks that use their `device` were run with `-p device cuda`:"
               f" {sum(r[6] == 'yes' for r in book)} gave every claim the verdict of the CPU record"
               f" (not: {', '.join(r[0] for r in book if r[6] != 'yes') or 'none'}). A first run stopped"
               f" on {len(failed_first)} of them ({', '.join(sorted(failed_first)) or 'none'}); their rows"
               " are the re-runs after the fixes. " + paper_estimate(jobs, root))
    notes = ("Seconds are the runner's, with up to seven notebooks sharing the GPU and the CPUs: indicative,"
             " not a speed comparison with the CPU record's seconds (a quiet 2-core CPU). Where a notebook"
             " ran more than once, its row is the last run. Rows marked 'fixes applied' ran on a copy of"
             " the tree with the proposed fixes before they were committed; the others on the committed"
             " code. Rows with cut epochs only time the paper profile: their verdicts are not expected to hold"
             " (the error of cross/fig03 at 2 epochs, an extraction that returned no network, is handled"
             " since: such a seed is counted as failed).")
    path = bench.record("gpu_paths", "The notebooks on a GPU (CUDA) against the CPU record",
                        ["notebook", "profile", "device", "seconds", "verdicts on cuda",
                         "verdicts in the CPU record", "same?", "CPU record (s)"],
                        rows, summary=summary, notes=notes, root=root)
    # bench.record describes the machine that writes the record; the timings come from the device
    rec = json.loads(path.read_text(encoding="utf-8"))
    rec["machine"] = {"cpus": DEVICE_CPUS, "torch_threads": 2, "torch": env["torch"], "python": env["python"],
                      "processor": f"x86_64 with an {env['gpu']}, CUDA {env['cuda']}",
                      "date": rec["machine"]["date"]}
    write_text_atomic(path, json.dumps(rec, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
