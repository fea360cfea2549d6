"""Execute the book's notebooks from their sources, with a parameter profile.

Usage::

    python -m cnnmath.book.reproduce [NOTEBOOK ...] [--profile smoke|book|paper] [-p NAME VALUE]...
                                     [--record | --output-dir DIR] [--list]
    python -m cnnmath.book.reproduce --seeds [NOTEBOOK ...] [--seed-values 1009,2003]

``NOTEBOOK`` is ``<paper>/<name>``, a unique prefix of it (``volterra/fig06``) or a paper's name
(every notebook of that chapter); none means every notebook. Each source
``nbsrc/<paper>/<name>.py`` is converted with jupytext and executed by papermill with the
profile's parameters, then ``-p`` overrides (values are read as YAML: ``-p order 7``,
``-p device cuda``). Notebooks are written into ``_runs/<profile>/<paper>/`` (git-ignored) unless
``--output-dir`` says otherwise; ``--record`` rewrites the committed record ``book/`` (book
profile only): a reader's run never touches the tree.

Everything is checked before any kernel starts: unknown notebooks, profiles and parameters,
values of the wrong type or outside their range (:class:`cnnmath.book.catalog.Range`), an output
folder that is a file or not writable, ``$CNNMATH_DATA`` pointing at a file; each is refused with
one line (exit status 2). Each notebook is written atomically with mode 0644, and carries its
provenance in its metadata (:mod:`cnnmath.book.provenance`). After each notebook the runner prints
its claim counts and every failing claim; the exit status is 1 when a notebook fails or a claim
fails (except under the ``smoke`` profile, whose sizes only test the pipeline and whose claims are
not expected to hold). Ctrl-C and SIGTERM stop the run with one line (status 130 / 143), leaving
every notebook as it was and no temporary file.

``--seeds`` re-executes the notebooks with other values of every seed-like parameter and lists
every claim whose verdict differs from the committed book's (:mod:`cnnmath.book.seeds`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import yaml

from cnnmath.book import provenance
from cnnmath.book.catalog import PROFILES, CatalogError, Entry, load_catalog, repo_root
from cnnmath.book.claims import Claim, read_claims
from cnnmath.io import atomic_path, remove_stale_temps

__all__ = [
    "Interrupted",
    "Job",
    "ReproduceError",
    "Result",
    "check_environment",
    "check_outputs",
    "clean_notebook",
    "execute",
    "main",
    "plan",
]

_VOLATILE_METADATA = ("papermill", "execution", "widgets")
SMOKE_NOTE = ("profile smoke: sizes that only test the pipeline; its claims are not expected to hold,"
              " so a FAIL does not change the exit status")


class ReproduceError(CatalogError):
    """A request the runner refuses; the message names the offending input."""


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@dataclass(frozen=True)
class Job:
    """One notebook to execute: its entry, the parameters to inject and where to write it."""

    entry: Entry
    parameters: dict[str, Any]
    output: Path
    profile: str = "book"


@dataclass(frozen=True)
class Result:
    """What one execution gave: its seconds and the claims the notebook printed."""

    seconds: float
    claims: list[Claim] = field(default_factory=list)

    def counts(self) -> str:
        """``"5 PASS · 1 GAP · 0 FAIL"``."""
        return " · ".join(f"{sum(c.status == s for c in self.claims)} {s}" for s in ("PASS", "GAP", "FAIL"))

    @property
    def failed(self) -> list[Claim]:
        """The claims whose verdict is FAIL."""
        return [c for c in self.claims if c.status == "FAIL"]


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
        except yaml.YAMLError:
            raise ReproduceError(f"parameter {name!r}: cannot read value {text!r} as YAML") from None
    return overrides


def _nearest_existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_folder(folder: Path, what: str) -> None:
    """Refuse a folder that cannot be created or written: a file on its path, or no permission."""
    if folder.exists() and not folder.is_dir():
        raise ReproduceError(f"{what} {folder} is a file, not a folder")
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        raise ReproduceError(f"{what} {folder} cannot be created: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ReproduceError(f"{what} {folder} is not writable: permission denied on {existing}")


def check_outputs(jobs: list[Job]) -> None:
    """Refuse outputs that cannot be written, before anything runs."""
    for folder in dict.fromkeys(job.output.parent for job in jobs):
        _check_folder(folder, "output folder")
    for job in jobs:
        if job.output.is_dir():
            raise ReproduceError(f"output {job.output} is a folder, not a notebook file")


def check_environment(env: dict[str, str] | None = None) -> None:
    """Refuse a ``$CNNMATH_DATA`` (the data cache) that is a file or cannot be created."""
    env = os.environ if env is None else env
    if env.get("CNNMATH_DATA"):
        _check_folder(Path(env["CNNMATH_DATA"]).expanduser(), "CNNMATH_DATA (the data cache folder)")


def plan(
    names: list[str],
    profile: str = "book",
    overrides: dict[str, Any] | None = None,
    output_dir: Path | None = None,
    root: Path | None = None,
) -> list[Job]:
    """Resolve and validate a request into jobs; raises before anything runs.

    Without ``output_dir`` the notebooks go to ``_runs/<profile>/``; the committed record is
    ``output_dir=root / "book"`` (``--record``).
    """
    if profile not in PROFILES:
        raise ReproduceError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
    root = root or repo_root()
    entries = [e for paper in load_catalog(root) for e in paper.entries]
    selected = _select(entries, names)
    if not selected:
        raise ReproduceError("there are no notebooks in the catalogue yet")
    output_dir = (root / "_runs" / profile) if output_dir is None else Path(output_dir)
    return [
        Job(e, e.resolve(profile, overrides), output_dir / e.paper / f"{e.name}.ipynb", profile)
        for e in selected
    ]


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop run-dependent metadata (timestamps, durations, random cell ids): reruns give small diffs.

    The run's provenance is recorded apart, under ``metadata["cnnmath"]``.
    """
    for key in _VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
    return nb


def _die_with_parent() -> None:
    """In the kernel's process, before it starts (Linux): be sent SIGTERM when the runner dies,
    even by SIGKILL, so that no kernel outlives its runner."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _kernel_manager(log: Path) -> type:
    """A kernel manager whose kernels write their own stderr (start-up warnings, the traceback of
    a kernel that is shut down mid-cell) to ``log`` instead of the runner's terminal (what a cell
    prints is captured in the notebook either way), and end when the runner does."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            log.parent.mkdir(parents=True, exist_ok=True)
            with open(log, "ab") as stream:
                kw["stderr"] = stream
                if sys.platform == "linux":
                    kw["preexec_fn"] = _die_with_parent
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return LoggedKernelManager


def execute(job: Job, root: Path) -> Result:
    """Execute one job with papermill and write its notebook atomically (mode 0644).

    The notebook is executed in memory; only a complete notebook is written, through a temporary
    file beside the target that never outlives an exception. Returns the seconds and claims.
    """
    import papermill

    nb = jupytext.read(job.entry.source(root))
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    start = time.perf_counter()
    try:
        executed = papermill.execute_notebook(
            nb,
            None,
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(root),
            kernel_manager_class=_kernel_manager(root / "_runs" / "kernels.log"),
        )
    except papermill.PapermillExecutionError as err:
        raise ReproduceError(
            f"{job.entry.key} failed in cell {err.exec_count}: {err.ename}: {err.evalue}"
        ) from None
    except Exception as err:  # the kernel died, did not start, or timed out
        first = (str(err).strip().splitlines() or [""])[0]
        raise ReproduceError(f"{job.entry.key}: the kernel failed: {type(err).__name__}: {first}"
                             " (its own messages: _runs/kernels.log)") from None
    seconds = time.perf_counter() - start
    executed = clean_notebook(executed)
    provenance.record(executed, root, job.profile, job.parameters, job.entry.parameters, seconds,
                      job.entry.source(root))
    with atomic_path(job.output) as tmp:
        nbformat.write(executed, str(tmp))
    return Result(seconds, read_claims(executed))


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _raise_interrupted(signum: int, frame: object) -> None:
    logging.disable(logging.CRITICAL)  # the kernel's shutdown is expected: no log lines about it
    raise Interrupted(signum)


def run_jobs(jobs: list[Job], root: Path, expect_claims: bool = True) -> int:
    """Execute ``jobs`` in order, printing each notebook's claim counts; return the exit status.

    A notebook that fails to execute is reported and the others still run. Status 1 when a
    notebook failed, or a claim failed and ``expect_claims``; else 0.
    """
    failed_runs: list[str] = []
    failed_claims: list[str] = []
    total = Result(0.0)
    for folder in dict.fromkeys(job.output.parent for job in jobs):
        remove_stale_temps(folder)
    for i, job in enumerate(jobs, 1):
        print(f"[{i}/{len(jobs)}] {job.entry.key} {job.parameters or ''}", flush=True)
        try:
            result = execute(job, root)
        except ReproduceError as err:
            print(f"      error: {err}", flush=True)
            failed_runs.append(job.entry.key)
            continue
        total = Result(total.seconds + result.seconds, total.claims + result.claims)
        print(f"      wrote {_shown(job.output, root)} in {result.seconds:.1f} s;"
              f" claims: {result.counts()}", flush=True)
        for c in result.failed:
            print(f"      {c.line}", flush=True)
        failed_claims += [c.id for c in result.failed]
    print(f"{len(jobs) - len(failed_runs)}/{len(jobs)} notebooks executed in {total.seconds:.0f} s;"
          f" claims: {total.counts()}" + ("" if expect_claims or not total.failed else
                                         " (smoke profile: not expected to hold)"), flush=True)
    if failed_runs:
        print(f"error: {len(failed_runs)} notebook(s) failed: {', '.join(failed_runs)}", file=sys.stderr)
    if failed_claims and expect_claims:
        print(f"error: {len(failed_claims)} claim(s) fail: {', '.join(failed_claims)}", file=sys.stderr)
    return 1 if failed_runs or (failed_claims and expect_claims) else 0


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
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--output-dir", type=Path, default=None,
                       help="where to write (default: _runs/<profile>/)")
    where.add_argument("--record", action="store_true",
                       help="rewrite the committed record book/ (book profile, no -p)")
    parser.add_argument("--list", action="store_true", help="list the selected notebooks and parameters, run nothing")
    parser.add_argument("--seeds", action="store_true",
                        help="seed robustness: rerun with seeds the book does not use, list verdict flips")
    parser.add_argument("--seed-values", default=None, metavar="V1,V2,...",
                        help="candidate seed values for --seeds (default: 1009,2003)")
    args = parser.parse_args(argv)
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupted)}
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:  # nohup'd runs keep ignoring Ctrl-C
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _raise_interrupted)
    try:
        root = repo_root()
        if args.record and (args.profile != "book" or args.parameter):
            raise ReproduceError("--record writes the committed book: only with --profile book and no -p")
        output_dir = root / "book" if args.record else args.output_dir
        if args.seeds:
            from cnnmath.book import seeds

            if args.record or args.output_dir:
                raise ReproduceError("--seeds writes into _runs/seeds/; --record and --output-dir do not apply")
            return seeds.main(args.notebooks, args.profile, _parse_overrides(args.parameter),
                              args.seed_values, root, listing=args.list)
        jobs = plan(args.notebooks, args.profile, _parse_overrides(args.parameter), output_dir, root)
        if args.list:
            for job in jobs:
                print(f"{job.entry.key}: {job.parameters or '(defaults)'} -> {_shown(job.output, root)}")
            return 0
        check_outputs(jobs)
        check_environment()
        if args.profile == "smoke":
            print(SMOKE_NOTE, flush=True)
        return run_jobs(jobs, root, expect_claims=args.profile != "smoke")
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f" {err.filename}" if err.filename else ""
        print(f"error: cannot write{where}: {err.strerror or err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        signum = err.signum if isinstance(err, Interrupted) else signal.SIGINT
        print(f"\ninterrupted ({signal.Signals(signum).name}): the notebooks not yet written are as they"
              " were; no temporary file is left", file=sys.stderr)
        return 128 + int(signum)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    raise SystemExit(main())
