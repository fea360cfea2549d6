"""The reproduction scorecard: every claim of every executed notebook, in one table.

``python -m cnnmath.book.scorecard`` reads the claim lines of ``book/<paper>/<name>.ipynb`` (see
:mod:`cnnmath.book.claims`) in catalogue order, writes ``book/scorecard.md`` and the per-paper
summary table ``book/scorecard_summary.md`` (included by the landing page), and prints a summary;
``--check`` only verifies that the committed pages are up to date (exit 1 if not).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cnnmath.book.catalog import Paper, load_catalog, repo_root
from cnnmath.book.claims import Claim, read_claims
from cnnmath.io import write_text_atomic

__all__ = ["collect", "render", "render_summary", "summary", "main"]


def collect(papers: list[Paper], root: Path) -> list[tuple[Paper, str, list[Claim]]]:
    """``(paper, notebook name, claims)`` for every catalogued notebook that has been executed."""
    rows = []
    for paper in papers:
        for entry in paper.entries:
            path = entry.executed(root)
            rows.append((paper, entry.name, read_claims(path) if path.exists() else []))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(rows: list[tuple[Paper, str, list[Claim]]]) -> str:
    """The Markdown (MyST) text of the scorecard page."""
    claims = [c for _, _, cs in rows for c in cs]
    failed = [c for c in claims if c.status == "FAIL"]
    gaps = [c for c in claims if c.status == "GAP"]
    lines = [
        "# Scorecard",
        "",
        "Every number this book reproduces, beside the paper's, as the notebooks printed it when they",
        "were executed (the page is generated from them by `python -m cnnmath.book.scorecard`; `make test`",
        "re-executes every notebook and compares these lines). A claim that fails is listed as failing.",
        "",
        f"**{len(claims)} claims in {sum(1 for _, _, cs in rows if cs)} notebooks: "
        f"{len(claims) - len(failed) - len(gaps)} pass, {len(gaps)} known gaps, {len(failed)} fail.**",
        "",
        "A *gap* is a number of the paper this book does not reach, with the reason in its row.",
        "",
    ]
    titles = {p.name: p.title for p, _, _ in rows}
    for paper_name, title in titles.items():
        lines += [f"## {title}", ""]
        lines += ["| Claim | Notebook | Paper | Ours | Condition | Status |", "| --- | --- | --- | --- | --- | --- |"]
        for p, name, cs in rows:
            if p.name != paper_name:
                continue
            if not cs:
                lines.append(f"| — | [{name}]({p.name}/{name}.ipynb) | | | not executed | ❌ MISSING |")
            for c in cs:
                status = {"PASS": "✅ PASS", "GAP": "⚠️ GAP", "FAIL": "❌ FAIL"}[c.status]
                label = f"`{c.id}`" + (f"<br>{_cell(c.note)}" if c.note else "")
                lines.append(
                    f"| {label} | [{name}]({p.name}/{name}.ipynb) | {_cell(c.paper)} | {_cell(c.ours)}"
                    f" | {_cell(c.condition)} | {status} |"
                )
        lines.append("")
    if not rows:
        lines.append("No notebook has been executed yet.")
    return "\n".join(lines).rstrip() + "\n"


def render_summary(papers: list[Paper], rows: list[tuple[Paper, str, list[Claim]]]) -> str:
    """A Markdown table for the landing page: per paper, notebooks, claims passing and failing."""
    lines = [
        "| Chapter | Notebooks | Claims | Pass | Gap | Fail |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for paper in papers:
        mine = [cs for p, _, cs in rows if p.name == paper.name]
        claims = [c for cs in mine for c in cs]
        count = {s: sum(c.status == s for c in claims) for s in ("PASS", "GAP", "FAIL")}
        lines.append(
            f"| [{_cell(paper.title)}]({paper.name}/index.md) | {len(mine)} | {len(claims)}"
            f" | {count['PASS']} | {count['GAP']} | {count['FAIL']} |"
        )
    return "\n".join(lines) + "\n"


def summary(rows: list[tuple[Paper, str, list[Claim]]]) -> str:
    """A plain-text summary for the terminal: one line per claim and the totals."""
    claims = [c for _, _, cs in rows for c in cs]
    missing = [f"{p.name}/{n}" for p, n, cs in rows if not cs]
    out = [c.line for c in claims]
    out.append(
        f"scorecard: {len(claims)} claims, {sum(c.status == 'PASS' for c in claims)} pass,"
        f" {sum(c.status == 'GAP' for c in claims)} gaps, {sum(c.status == 'FAIL' for c in claims)} fail,"
        f" {len(missing)} notebooks without claims"
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) ``book/scorecard.md`` and ``book/scorecard_summary.md``; print the summary."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.scorecard")
    parser.add_argument("--check", action="store_true", help="fail if book/scorecard.md is stale")
    args = parser.parse_args(argv)
    root = repo_root()
    papers = load_catalog(root)
    rows = collect(papers, root)
    pages = {
        root / "book" / "scorecard.md": render(rows),
        root / "book" / "scorecard_summary.md": render_summary(papers, rows),
    }
    if args.check:
        stale = [p for p, text in pages.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        for page in stale:
            print(f"{page} is stale: run `python -m cnnmath.book.scorecard`", file=sys.stderr)
        return 1 if stale else 0
    for page, text in pages.items():
        write_text_atomic(page, text)
    print(summary(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
