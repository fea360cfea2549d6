"""Stage the book for the HTML build: its pages plus a set of executed notebooks, in a build folder.

``python -m cnnmath.book.stage [--notebooks DIR] [--dest DIR] [--build OUT]``

The HTML is never built from the working tree itself. A stage (default ``_runs/stage/``,
git-ignored) mirrors the project's layout: ``_config.yml``, ``_assets/``, the pages of ``book/``
(Markdown, images, bibliography; not ``book/_build``), ``_toc.yml`` generated from the catalogue,
and each notebook taken from ``--notebooks`` (``_runs/book/`` after a reader's ``make book``,
``book/`` for the committed record), in which a cell is inserted right after the title with the
notebook's verdicts (:func:`cnnmath.book.claims.verdict_table`) and its provenance box
(:func:`cnnmath.book.provenance.box`). The committed notebooks are never changed. The scorecard
pages of the stage are generated from the staged notebooks, so the HTML shows the notebooks as
that run executed them. ``--build OUT`` then runs ``jupyter-book build`` on the stage with
``--path-output OUT`` (the HTML in ``OUT/_build/html``) and prints the scorecard summary.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import nbformat
import yaml

from cnnmath.book import provenance
from cnnmath.book.catalog import CatalogError, Paper, load_catalog, repo_root, toc
from cnnmath.book.claims import read_claims, verdict_table
from cnnmath.io import FILE_MODE, write_text_atomic

__all__ = ["STAGED_TAG", "BuildError", "StageError", "build", "stage", "stage_notebook"]

STAGED_TAG = "cnnmath-staged"
_MARKER = ".cnnmath-stage"
# Top-level entries of the project that are not book sources.
_SKIP = {".git", ".github", ".ci", ".venv", "_runs", "lib", "nbsrc", "tests", "benchmarks", "node_modules",
         ".pytest_cache", ".ruff_cache", "__pycache__", "_build", "_toc.yml"}


class StageError(CatalogError):
    """A stage that cannot be made; the message says what is missing or in the way."""


class BuildError(RuntimeError):
    """The Jupyter Book build of a stage failed; the message holds its last lines."""


def stage_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` with a cell right after its title: the verdict table and the provenance box.

    The cell is Markdown holding HTML, tagged ``cnnmath-staged``; staging twice replaces it.
    """
    cells = [c for c in nb.cells if STAGED_TAG not in c.metadata.get("tags", [])]
    html = verdict_table(read_claims(nb)) + "\n\n" + provenance.box(provenance.read(nb))
    cell = nbformat.v4.new_markdown_cell(html, metadata={"tags": [STAGED_TAG]})
    cell.id = "cnnmath-staged"
    titles = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("# ")]
    after = titles[0] + 1 if titles else 0
    nb.cells = cells[:after] + [cell] + cells[after:]
    return nb


def _copy_pages(root: Path, dest: Path) -> None:
    for item in sorted(root.iterdir()):
        if item.name in _SKIP or item.name.endswith(".egg-info") or item.name == dest.name:
            continue
        target = dest / item.name
        if item.is_dir():
            ignore = shutil.ignore_patterns("_build", "*.ipynb", ".*") if item.name == "book" else None
            shutil.copytree(item, target, ignore=ignore, symlinks=False)
        elif item.is_file():
            shutil.copy2(item, target)


def stage(root: Path, notebooks: Path, dest: Path, papers: list[Paper] | None = None) -> Path:
    """Fill ``dest`` (emptied first; only a former stage is ever removed) and return it."""
    papers = papers if papers is not None else load_catalog(root)
    notebooks = Path(notebooks)
    entries = [e for p in papers for e in p.entries]
    missing = [e.key for e in entries if not (notebooks / e.paper / f"{e.name}.ipynb").is_file()]
    if missing:
        raise StageError(f"{notebooks} lacks executed notebooks: {', '.join(missing)};"
                         " run `python -m cnnmath.book.reproduce` first")
    if dest.exists():
        if not (dest / _MARKER).exists():
            raise StageError(f"{dest} exists and is not a stage; remove it or choose another --dest")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / _MARKER).write_text(f"a stage of {root}, notebooks from {notebooks}\n", encoding="utf-8")
    _copy_pages(root, dest)
    (dest / "_toc.yml").write_text(toc(papers), encoding="utf-8")
    for e in entries:
        nb = nbformat.read(str(notebooks / e.paper / f"{e.name}.ipynb"), as_version=4)
        target = dest / "book" / e.paper / f"{e.name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(stage_notebook(nb), str(target))
        target.chmod(FILE_MODE)
    _scorecard(papers, dest)
    return dest


def _scorecard(papers: list[Paper], dest: Path) -> None:
    """The stage's scorecard pages, from the staged notebooks (same text as ``make scorecard``'s)."""
    from cnnmath.book import scorecard

    rows = scorecard.collect(papers, dest)
    (dest / "book" / "scorecard.md").write_text(
        scorecard.render(rows, scorecard.provenance_box(papers, dest)), encoding="utf-8")
    (dest / "book" / "scorecard_summary.md").write_text(scorecard.render_summary(papers, rows), encoding="utf-8")


# The site's root page. Jupyter Book writes a bare meta-refresh there (no title, no icon, so the
# browser's own /favicon.ico request fails); this one redirects the same way, names the book,
# declares an empty icon (no request at all: the redirect would cancel one), and keeps a link for
# readers whose browser does not follow the refresh.
ROOT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="data:,">
<meta http-equiv="Refresh" content="0; url=book/intro.html">
</head>
<body><p><a href="book/intro.html">The book starts here.</a></p></body>
</html>
"""


def build(root: Path, notebooks: Path, out: Path, dest: Path | None = None) -> Path:
    """Stage ``notebooks`` and build the HTML with Jupyter Book into ``out/_build/html``; return it.

    Warnings are errors (``-W -n``); raises :class:`StageError` with the build's last lines.
    """
    dest = dest or root / "_runs" / "stage"
    stage(root, notebooks, dest)
    jb = Path(sys.executable).with_name("jupyter-book")
    done = subprocess.run(
        [str(jb), "build", str(dest), "--path-output", str(out), "-W", "-n", "--keep-going"],
        capture_output=True, text=True, timeout=1200, check=False,
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
        raise BuildError(f"jupyter-book build of {dest} failed:\n{tail}")
    html = Path(out) / "_build" / "html"
    title = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["title"]
    write_text_atomic(html / "index.html", ROOT_PAGE.format(title=html_escape(title)))
    return html


def main(argv: list[str] | None = None) -> int:
    """Command line: stage (and with ``--build``, build) the book; print the scorecard summary."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.stage", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=Path, default=Path("_runs/book"),
                        help="the executed notebooks (default _runs/book; book for the committed record)")
    parser.add_argument("--dest", type=Path, default=Path("_runs/stage"), help="the stage (default _runs/stage)")
    parser.add_argument("--build", type=Path, default=None, metavar="OUT",
                        help="then build the HTML into OUT/_build/html")
    args = parser.parse_args(argv)
    root = repo_root()
    notebooks, dest = (p if p.is_absolute() else root / p for p in (args.notebooks, args.dest))
    try:
        if args.build is None:
            stage(root, notebooks, dest)
            print(f"staged {notebooks} into {dest}")
            return 0
        out = args.build if args.build.is_absolute() else root / args.build
        html = build(root, notebooks, out, dest)
    except CatalogError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: {err.filename or ''}: {err.strerror or err}", file=sys.stderr)
        return 1
    from cnnmath.book import scorecard

    print(scorecard.summary(scorecard.collect(load_catalog(root), dest)).splitlines()[-1])
    print(f"The book is at {html / 'index.html'} (notebooks from {notebooks})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
