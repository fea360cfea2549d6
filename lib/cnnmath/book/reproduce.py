"""Execute the book's notebooks from their sources, with a parameter profile.

Usage::

    python -m cnnmath.book.reproduce [NOTEBOOK ...] [--profile smoke|book|paper] [-p NAME VALUE]...

``NOTEBOOK`` is ``<paper>/<name>``, a unique prefix of it (``volterra/fig06``) or a paper's name
(every notebook of that chapter); none means every notebook. Each source
``nbsrc/<paper>/<name>.py`` is converted with jupytext and executed by papermill with the
profile's parameters, then ``-p`` overrides (values are read as YAML: ``-p order 7``,
``-p device cuda``). The ``book`` profile writes into ``book/`` (the committed notebooks);
other profiles write into ``_runs/<profile>/`` unless ``--output-dir`` says otherwise.

Everything is checked before anything runs: unknown notebooks, profiles and parameters and
values of the wrong type are refused with a message naming them. Each notebook is written
atomically: an interrupted or failing run leaves the previous notebook untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from cnnmath.book.catalog import PROFILES, CatalogError, Entry, load_catalog, repo_root
from cnnmath.io import atomic_path

__all__ = ["Job", "ReproduceError", "clean_notebook", "execute", "main", "plan"]

_VOLATILE_METADATA = ("papermill", "execution", "widgets")


class ReproduceError(CatalogError):
    """A request the runner refuses; the message names the offending input."""


@dataclass(frozen=True)
class Job:
    """One notebook to execute: its entry, the parameters to inject and where to write it."""

    entry: Entry
    parameters: dict[str, Any]
    output: Path


def _select(entries: list[Entry], names: list[str]) -> list[Entry]:
    if not names:
        return entries
    chosen: list[Entry] = []
    for name in names:
        matches = [
            e for e in entries if e.key == name or e.paper == name.rstrip("/") or e.key.startswith(name)
        ]
        exact = [e for e in matches if e.key == name]
        matches = exact or matches
        papers = {e.paper for e in matches}
        if not matches:
            raise ReproduceError(
                f"unknown notebook {name!r}; known: {', '.join(e.key for e in entries) or 'none'}"
            )
        if len(matches) > 1 and papers != {name.rstrip("/")}:
            raise ReproduceError(
                f"notebook {name!r} is ambiguous: it matches {', '.join(e.key for e in matches)}"
            )
        chosen += [e for e in matches if e not in chosen]
    return chosen


def _parse_overrides(pairs: list[list[str]]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, text in pairs:
        if name in overrides:
            raise ReproduceError(f"parameter {name!r} given twice with -p")
        try:
            overrides[name] = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ReproduceError(f"parameter {name!r}: cannot read value {text!r} ({err})") from None
    return overrides


def plan(
    names: list[str],
    profile: str = "book",
    overrides: dict[str, Any] | None = None,
    output_dir: Path | None = None,
    root: Path | None = None,
) -> list[Job]:
    """Resolve and validate a request into jobs; raises before anything runs."""
    if profile not in PROFILES:
        raise ReproduceError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
    root = root or repo_root()
    entries = [e for paper in load_catalog(root) for e in paper.entries]
    selected = _select(entries, names)
    if not selected:
        raise ReproduceError("there are no notebooks in the catalogue yet")
    if output_dir is None:
        output_dir = root / "book" if profile == "book" else root / "_runs" / profile
    return [
        Job(e, e.resolve(profile, overrides), output_dir / e.paper / f"{e.name}.ipynb")
        for e in selected
    ]


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run-dependent metadata (timestamps, durations, random cell ids): reruns give small diffs."""
    for key in _VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
    return nb


def execute(job: Job, root: Path) -> float:
    """Execute one job with papermill and write its notebook atomically; return the seconds taken."""
    import papermill

    nb = jupytext.read(job.entry.source(root))
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    start = time.perf_counter()
    with atomic_path(job.output) as tmp:
        try:
            papermill.execute_notebook(
                nb,
                str(tmp),
                parameters=job.parameters,
                kernel_name="python3",
                progress_bar=False,
                cwd=str(root),
            )
        except papermill.PapermillExecutionError as err:
            raise ReproduceError(
                f"{job.entry.key} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
            ) from None
        executed = clean_notebook(nbformat.read(str(tmp), as_version=4))
        nbformat.write(executed, str(tmp))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnmath.book.reproduce",
        description="Execute the book's notebooks from nbsrc/ with a parameter profile.",
    )
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                        help="<paper>/<name>, a unique prefix, or a paper (default: all)")
    parser.add_argument("--profile", default="book",
                        help=f"parameter profile: {', '.join(PROFILES)} (default: book)")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                        metavar=("NAME", "VALUE"), help="override a parameter (value read as YAML)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help="where to write (default: book/ for the book profile, else _runs/<profile>/)")
    parser.add_argument("--list", action="store_true", help="list the selected notebooks and parameters, run nothing")
    args = parser.parse_args(argv)
    try:
        root = repo_root()
        jobs = plan(args.notebooks, args.profile, _parse_overrides(args.parameter), args.output_dir, root)
        if args.list:
            for job in jobs:
                print(f"{job.entry.key}: {job.parameters or '(defaults)'} -> {job.output}")
            return 0
        for i, job in enumerate(jobs, 1):
            print(f"[{i}/{len(jobs)}] {job.entry.key} {job.parameters or ''}", flush=True)
            seconds = execute(job, root)
            print(f"      wrote {job.output.relative_to(root) if job.output.is_relative_to(root) else job.output}"
                  f" in {seconds:.1f} s", flush=True)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
