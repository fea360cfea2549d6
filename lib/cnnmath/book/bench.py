"""Benchmark records and the book's performance page.

Each script in ``benchmarks/`` times our code against a peer in one run and calls
:func:`record`, which writes ``benchmarks/results/<name>.json`` (atomically) with the machine it
ran on. ``python -m cnnmath.book.bench`` renders every record into ``book/performance.md``;
``--check`` only verifies that the page is up to date. ``make bench`` does both.
Timings never enter the tests: they are measured here, on purpose, and read by a person.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cnnmath.book.catalog import repo_root
from cnnmath.io import write_text_atomic

__all__ = ["REPETITION_S", "Record", "best_time", "calls_per_repetition", "load_records", "machine", "per_call",
           "record", "render", "main"]


@dataclass
class Record:
    """One benchmark: a table (``columns``, ``rows``) and what it means."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    summary: str = ""
    notes: str = ""
    machine: dict[str, Any] = field(default_factory=dict)


def best_time(fn: Callable[[], object], repeat: int = 5, number: int = 1) -> float:
    """Seconds per call of ``fn``: the minimum over ``repeat`` rounds of ``number`` calls (timeit)."""
    if repeat < 1 or number < 1:
        raise ValueError(f"repeat and number must be ≥ 1, got repeat={repeat}, number={number}")
    return min(timeit.Timer(fn).repeat(repeat=repeat, number=number)) / number


REPETITION_S = 0.05  # one repetition of an interleaved comparison: consecutive calls for about this long


def calls_per_repetition(fn: Callable[[], object], seconds: float = REPETITION_S) -> int:
    """Calls that make one repetition last about ``seconds`` (at least one), from one timed call (also a warm-up)."""
    start = time.perf_counter()
    fn()
    return max(1, math.ceil(seconds / max(time.perf_counter() - start, 1e-9)))


def per_call(fn: Callable[[], object], calls: int) -> tuple[float, float]:
    """(wall, CPU) seconds per call over ``calls`` consecutive calls, timed as a whole (as :mod:`timeit` does)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - wall) / calls, (time.process_time() - cpu) / calls


def machine() -> dict[str, Any]:
    """Where a benchmark ran: CPU count, load average, torch threads and version, Python, date (UTC).

    The one-minute load average at the time of recording tells a reader whether the machine was
    quiet: timings from a machine busy with other work are not comparable.
    """
    import torch

    return {
        "load": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d"),
    }


def results_dir(root: Path | None = None) -> Path:
    """``benchmarks/results/`` of the project."""
    return Path(root or repo_root()) / "benchmarks" / "results"


def record(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           summary: str = "", notes: str = "", root: Path | None = None) -> Path:
    """Write the benchmark ``name`` to ``benchmarks/results/<name>.json`` and print its table."""
    if not name.isidentifier():
        raise ValueError(f"name must be an identifier (it names the file), got {name!r}")
    if any(len(row) != len(columns) for row in rows):
        raise ValueError(f"every row must have {len(columns)} cells, one per column {list(columns)}")
    rec = Record(name, title, list(columns), [list(r) for r in rows], summary, notes, machine())
    path = results_dir(root) / f"{name}.json"
    write_text_atomic(path, json.dumps(asdict(rec), indent=1, ensure_ascii=False) + "\n")
    print(_table(rec))
    if summary:
        print(summary)
    return path


def load_records(root: Path | None = None) -> list[Record]:
    """Every record in ``benchmarks/results/``, by name."""
    folder = results_dir(root)
    return [Record(**json.loads(p.read_text(encoding="utf-8"))) for p in sorted(folder.glob("*.json"))]


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "\\|")


def _table(rec: Record) -> str:
    lines = ["| " + " | ".join(rec.columns) + " |", "|" + " --- |" * len(rec.columns)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rec.rows]
    return "\n".join(lines)


def script_of(name: str, root: Path | None = None) -> str:
    """The script of the record ``name``: the longest ``_``-prefix of it that names a file of
    ``benchmarks/`` (``relu_sweep_two`` → ``relu_sweep``, one script, one record per class), else
    ``name`` itself."""
    folder = results_dir(root).parent
    parts = name.split("_")
    for k in range(len(parts), 0, -1):
        if (folder / f"{'_'.join(parts[:k])}.py").is_file():
            return "_".join(parts[:k])
    return name


def render(records: list[Record]) -> str:
    """The Markdown text of ``book/performance.md``."""
    lines = [
        "# Performance",
        "",
        "Side-by-side timings of the book's algorithms against peer implementations or straightforward",
        "baselines, each measured in one run on the same inputs (`make bench`, not part of `make test`;",
        "the page is generated from `benchmarks/results/` by `python -m cnnmath.book.bench`). Times are",
        "best-of-several wall-clock seconds; ratios above 1 mean ours is faster. Each table says when",
        "and where it was measured, with the machine's load average when it was recorded: a load",
        "above the number of CPUs means other work shared the machine, and such timings are only",
        "indicative (rerun `make bench` on a quiet machine).",
        "",
    ]
    if not records:
        lines.append("No benchmark has been recorded yet: run `make bench`.")
    for rec in records:
        m = rec.machine
        lines += [f"## {rec.title}", ""]
        if rec.summary:
            lines += [rec.summary, ""]
        lines += [_table(rec), ""]
        lines.append(
            f"*Measured {m.get('date', '?')} on {m.get('cpus', '?')} CPUs ({m.get('processor', '?')}"
            + (f", load average {m['load']}" if "load" in m else ", load not recorded") + "),"
            f" torch {m.get('torch', '?')} with {m.get('torch_threads', '?')} threads,"
            f" Python {m.get('python', '?')}; `benchmarks/{script_of(rec.name)}.py`.*"
        )
        if rec.notes:
            lines += ["", rec.notes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: write (or ``--check``) ``book/performance.md`` from the records."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if book/performance.md is stale")
    args = parser.parse_args(argv)
    root = repo_root()
    page, text = root / "book" / "performance.md", render(load_records(root))
    if args.check:
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            print(f"{page} is stale: run `python -m cnnmath.book.bench`", file=sys.stderr)
            return 1
        return 0
    write_text_atomic(page, text)
    print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
