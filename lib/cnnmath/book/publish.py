"""Configure the book for publishing: the repository it comes from and its launch buttons.

The repository's address is configured in one place, this module's ``--repository``: it becomes
the repository button, the Binder launch button and the ``{{ repository }}`` text of the
landing page's "How to cite" (``parse.myst_substitutions.repository`` in ``_config.yml``).

Binder builds ``environment.yml`` (torch's CPU build, the pins and this package) and opens a
notebook from the repository. There is no Colab button: Colab runs a notebook in its own
environment, where ``import cnnmath`` fails. The buttons exist only where the repository's address
is known: in the publishing workflow
(``.github/workflows/pages.yml``), which runs
``python -m cnnmath.book.publish --repository OWNER/NAME --branch BRANCH`` before building. A local
build has no launch buttons rather than buttons that point elsewhere.

The API reference, one page per chapter subpackage (``book/api/<chapter>.md``), is written by
``python -m cnnmath.book.publish --api-pages`` from the catalogue and the package's modules;
Sphinx's autodoc fills each page from the docstrings when the book is built. A test regenerates
the pages and compares, so a new module cannot go undocumented.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import re
from pathlib import Path
from typing import Any

import yaml

from cnnmath.book.catalog import load_catalog, repo_root
from cnnmath.io import write_text_atomic

__all__ = ["BINDER", "api_pages", "main", "with_launch_buttons"]

BINDER = "https://mybinder.org"
_REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$")


def with_launch_buttons(config: dict[str, Any], repository: str, branch: str,
                        server: str = "https://github.com") -> dict[str, Any]:
    """A copy of the Jupyter Book ``config`` with the repository (button and ``{{ repository }}`` link)
    and a Binder button.

    Examples
    --------
    >>> out = with_launch_buttons({}, "someone/cnn-book", "main")
    >>> out["parse"]["myst_substitutions"]["repository"]
    '[someone/cnn-book](https://github.com/someone/cnn-book)'
    """
    if not _REPOSITORY.match(repository):
        raise ValueError(f"repository must be 'owner/name', got {repository!r}")
    if not branch or any(c.isspace() for c in branch):
        raise ValueError(f"branch must be a non-empty name without spaces, got {branch!r}")
    out = dict(config)
    url = f"{server.rstrip('/')}/{repository}"
    out["repository"] = {"url": url, "branch": branch}
    parse = dict(config.get("parse", {}))
    parse["myst_substitutions"] = {**parse.get("myst_substitutions", {}), "repository": f"[{repository}]({url})"}
    out["parse"] = parse
    # Binder only: it builds environment.yml (this package included); Colab would open a notebook
    # in its own environment, where `import cnnmath` fails
    out["launch_buttons"] = {"notebook_interface": "classic", "binderhub_url": BINDER}
    out["html"] = {**config.get("html", {}), "use_repository_button": True, "use_issues_button": True}
    return out


def api_pages(root: Path | None = None) -> dict[str, str]:
    """The API reference: ``{"book/api/<chapter>.md": text}`` for each chapter of the catalogue, and
    ``book/api/index.md``; each page holds one ``automodule`` per module of ``cnnmath.<chapter>``."""
    root = Path(root or repo_root())
    pages: dict[str, str] = {}
    index = [
        "# API reference", "",
        "The `cnnmath` package, one page per chapter, generated from the docstrings when the book is",
        "built, so it always matches the code the notebooks ran: formulas, the paper's equations,",
        "shapes and dtypes. Shared helpers: `cnnmath.data` (datasets, checksummed), `cnnmath.plotting`",
        "(the figure style), `cnnmath.runtime`.", "",
    ]
    for paper in load_catalog(root):
        package = importlib.import_module(f"cnnmath.{paper.name}")
        modules = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
        lines = [
            f"# `cnnmath.{paper.name}`", "",
            f"The code of the chapter [{paper.title}](../{paper.name}/index.md), from its docstrings.", "",
            "```{eval-rst}", f".. automodule:: cnnmath.{paper.name}", "   :no-members:", "",
        ]
        for module in modules:
            lines += [f".. automodule:: cnnmath.{paper.name}.{module}", ""]
        lines[-1] = "```"
        pages[f"book/api/{paper.name}.md"] = "\n".join(lines) + "\n"
        index.append(f"- [`cnnmath.{paper.name}`]({paper.name}.md): {paper.title}")
    pages["book/api/index.md"] = "\n".join(index) + "\n"
    return pages


def main(argv: list[str] | None = None) -> int:
    """Command line: rewrite ``_config.yml`` (atomically) for the published book, or write the API pages."""
    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.publish", description=__doc__.splitlines()[0])
    parser.add_argument("--api-pages", action="store_true", help="write book/api/*.md and stop")
    parser.add_argument("--repository", help="OWNER/NAME on GitHub")
    parser.add_argument("--branch", help="the branch the book is built from")
    parser.add_argument("--server", default="https://github.com", help="the GitHub server's address")
    args = parser.parse_args(argv)
    if args.api_pages:
        for rel, text in api_pages().items():
            write_text_atomic(Path(repo_root()) / rel, text)
            print(f"wrote {rel}")
        return 0
    if not args.repository or not args.branch:
        parser.error("--repository OWNER/NAME and --branch BRANCH are required (or --api-pages)")
    path = Path(repo_root()) / "_config.yml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        config = with_launch_buttons(config, args.repository, args.branch, args.server)
    except ValueError as err:
        parser.error(str(err))
    write_text_atomic(path, yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    print(f"{path}: launch buttons for {config['repository']['url']} ({args.branch})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
