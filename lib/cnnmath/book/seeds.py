"""Seed robustness: rerun the notebooks with seeds the book does not use and list verdict flips.

``python -m cnnmath.book.reproduce --seeds [NOTEBOOK ...] [--seed-values 1009,2003]``

A notebook's seed-like parameters are ``seed`` and every int parameter named ``*_seed``. For
each notebook the runner takes, for every seed-like parameter, the first two candidate values
(default 1009 and 2003) that differ from the value the book uses, and executes the notebook once
per position, all seed-like parameters changed together: run *k* sets each of them to its *k*-th
value. The candidates sit far above the book's seeds and the ranges notebooks derive from them
(``seed + i`` for ``i < n_seeds``). Every claim's verdict is compared with the committed notebook
``book/<paper>/<name>.ipynb`` (the book profile's record); a **flip** is a claim whose verdict
differs, a claim missing from the rerun, or a rerun that fails. The flips are printed, written to
``_runs/seeds/flips.md``, and any flip makes the exit status 1. The reruns are kept in
``_runs/seeds/<assignment>/<paper>/<name>.ipynb`` (git-ignored).

A verdict that flips with the seed is a defect of the claim: its bound sits inside the noise.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import nbformat

from cnnmath.book.catalog import Entry
from cnnmath.book.claims import Claim
from cnnmath.io import write_text_atomic

__all__ = ["DEFAULT_VALUES", "Flip", "Verdict", "assignments", "compare", "main", "report", "seed_parameters",
           "verdicts"]

DEFAULT_VALUES = (1009, 2003)
RUNS_PER_NOTEBOOK = 2
_SEED_LIKE = re.compile(r"^(seed|[a-z0-9_]+_seed)$")
# A claim line's verdict and id, with or without its kind (lines printed before claims had kinds).
_VERDICT = re.compile(r"^(?P<status>PASS|FAIL|GAP) (?:(?:paper|check|finding) )?(?P<id>[a-z0-9_]+(?:\.[a-z0-9_]+)+): ")


class Verdict(NamedTuple):
    """A claim's id and verdict, all the comparison needs."""

    id: str
    status: str


def verdicts(notebook: Path | nbformat.NotebookNode) -> list[Verdict]:
    """Every claim verdict printed in an executed notebook's stdout, in order.

    Reads the claim lines of :mod:`cnnmath.book.claims` and also those printed before claims had
    a kind (``PASS volterra.fig06.error: …``), so that a record made then can still be compared.
    """
    nb = nbformat.read(str(notebook), as_version=4) if isinstance(notebook, Path) else notebook
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                found += [Verdict(m["id"], m["status"]) for m in map(_VERDICT.match, output.get("text", "").splitlines())
                          if m]
    return found


@dataclass(frozen=True)
class Flip:
    """A claim whose verdict at other seeds differs from the book's."""

    notebook: str
    claim: str
    book: str
    seeds: str
    verdict: str

    @property
    def row(self) -> str:
        """One Markdown table row."""
        return f"| {self.notebook} | `{self.claim}` | {self.book} | {self.seeds} | {self.verdict} |"


def seed_parameters(entry: Entry) -> list[str]:
    """The notebook's seed-like parameters: ``seed`` and ``*_seed`` of type int."""
    return [n for n, v in entry.parameters.items() if _SEED_LIKE.match(n) and type(v) is int]


def assignments(entry: Entry, candidates: tuple[int, ...] = DEFAULT_VALUES,
                runs: int = RUNS_PER_NOTEBOOK) -> list[dict[str, int]]:
    """The seed assignments to run: ``runs`` of them, each seed-like parameter at a value the
    book (profile ``book``) does not use.

    >>> from cnnmath.book.catalog import Entry
    >>> e = Entry("p", "fig01_x", "Figure 1", "new", {"book": {"seed": 1009}}, {"seed": 0, "data_seed": 2, "n": 3})
    >>> assignments(e, (1009, 2003, 3001))
    [{'seed': 2003, 'data_seed': 1009}, {'seed': 3001, 'data_seed': 2003}]
    """
    book = {**entry.parameters, **entry.profiles.get("book", {})}
    out: list[dict[str, int]] = [{} for _ in range(runs)]
    for name in seed_parameters(entry):
        unused = [v for v in candidates if v != book[name]]
        if len(unused) < runs:
            raise ValueError(f"{entry.key}: need {runs} seed values other than the book's {book[name]}"
                             f" for {name!r}, got {list(candidates)}")
        for k in range(runs):
            out[k][name] = unused[k]
    return [a for a in out if a]


def _label(assignment: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in assignment.items())


def compare(notebook: str, book: list[Claim] | list[Verdict], rerun: list[Claim] | list[Verdict] | None, seeds: str,
            error: str = "") -> list[Flip]:
    """The flips between the book's claims and a rerun's (``None`` with ``error``: the rerun failed)."""
    if rerun is None:
        return [Flip(notebook, "(notebook)", "executes", seeds, f"error: {error}")]
    found = {c.id: c.status for c in rerun}
    flips = [Flip(notebook, c.id, c.status, seeds, found.get(c.id, "missing"))
             for c in book if found.get(c.id) != c.status]
    known = {c.id for c in book}
    flips += [Flip(notebook, c.id, "absent", seeds, c.status) for c in rerun if c.id not in known]
    return flips


def report(flips: list[Flip], runs: int, notebooks: int) -> str:
    """The Markdown report: a header line, then the table of flips (if any)."""
    head = (f"Seed robustness: {notebooks} notebooks, {runs} reruns at seeds the book does not use:"
            f" {len(flips)} verdict flip{'' if len(flips) == 1 else 's'}.")
    if not flips:
        return head + "\n"
    table = ["| Notebook | Claim | Book | Seeds | Verdict at those seeds |", "| --- | --- | --- | --- | --- |"]
    return "\n".join([head, "", *table, *(f.row for f in flips)]) + "\n"


def main(names: list[str], profile: str, overrides: dict[str, Any], values: str | None,
         root: Path, listing: bool = False) -> int:
    """Run the seed sweep (called by ``reproduce --seeds``); return the exit status."""
    from cnnmath.book.reproduce import (
        Job,
        ReproduceError,
        _shown,
        check_environment,
        check_outputs,
        execute,
        plan,
    )

    if profile != "book" or overrides:
        raise ReproduceError("--seeds compares with the committed book: only with --profile book and no -p")
    try:
        candidates = tuple(int(v) for v in (values.split(",") if values else DEFAULT_VALUES))
    except ValueError:
        raise ReproduceError(f"--seed-values must be comma-separated ints ≥ 0, got {values!r}") from None
    if any(v < 0 for v in candidates) or len(set(candidates)) != len(candidates):
        raise ReproduceError(f"--seed-values must be distinct ints ≥ 0, got {values!r}")
    out_dir = root / "_runs" / "seeds"
    jobs: list[tuple[Job, str]] = []
    for base in plan(names, "book", None, out_dir, root):
        try:
            sets = assignments(base.entry, candidates)
        except ValueError as err:
            raise ReproduceError(str(err)) from None
        if not sets:
            raise ReproduceError(f"{base.entry.key} has no seed-like parameter (seed or *_seed)")
        if not base.entry.executed(root).exists():
            raise ReproduceError(f"{base.entry.key}: the committed {_shown(base.entry.executed(root), root)}"
                                 " is missing; record it first (--record)")
        for s in sets:
            folder = out_dir / _label(s).replace("=", "-").replace(",", "_")
            job = Job(base.entry, {**base.parameters, **s}, folder / base.entry.paper / f"{base.entry.name}.ipynb",
                      "book")
            jobs.append((job, _label(s)))
    if listing:
        for job, label in jobs:
            print(f"{job.entry.key}: {label} -> {_shown(job.output, root)}")
        return 0
    check_outputs([job for job, _ in jobs])
    check_environment()
    flips: list[Flip] = []
    for i, (job, label) in enumerate(jobs, 1):
        book = verdicts(job.entry.executed(root))
        print(f"[{i}/{len(jobs)}] {job.entry.key} {label}", flush=True)
        if not book:
            flips.append(Flip(job.entry.key, "(notebook)", "no claim line readable", label, "not compared"))
            print("      not compared: the committed notebook prints no claim line; re-record it", flush=True)
            continue
        try:
            result = execute(job, root)
        except ReproduceError as err:
            found = compare(job.entry.key, book, None, label, str(err))
        else:
            found = compare(job.entry.key, book, result.claims, label)
            print(f"      {result.seconds:.1f} s; claims: {result.counts()}", flush=True)
        for flip in found:
            print(f"      FLIP {flip.claim}: book {flip.book}, at {label} {flip.verdict}", flush=True)
        flips += found
    text = report(flips, len(jobs), len({job.entry.key for job, _ in jobs}))
    write_text_atomic(out_dir / "flips.md", text)
    print(text, end="")
    print(f"(written to {_shown(out_dir / 'flips.md', root)})")
    if flips:
        print(f"error: {len(flips)} verdict flip(s) at seeds the book does not use", file=sys.stderr)
    return 1 if flips else 0
