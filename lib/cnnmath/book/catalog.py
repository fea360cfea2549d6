"""The book's catalogue: every figure and table of each paper, its notebook and its profiles.

One YAML file per paper, ``lib/cnnmath/book/profiles/<paper>.yaml``::

    paper: volterra
    title: CNNs as Volterra convolutions
    part: Papers                    # optional: the book part the chapter goes in (default Papers)
    notebooks:
      fig06_conv_sigmoid:
        reproduces: Figure 6
        status: reproduced          # reproduced | scaled-down | not-reproducible | new
        profiles:                   # parameter overrides of the notebook's parameters cell
          smoke: {n_seeds: 5}
          book: {}
          paper: {n_seeds: 1000}

A notebook's parameters and their types come from the first code cell of its source
``nbsrc/<paper>/<name>.py`` (tagged ``parameters``), which must hold only ``name = literal``
assignments. Everything is validated when loaded, so a bad profile fails before anything runs.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jupytext
import yaml

__all__ = [
    "PROFILES",
    "STATUSES",
    "CatalogError",
    "Entry",
    "Paper",
    "check_value",
    "load_catalog",
    "notebook_parameters",
    "repo_root",
    "toc",
]

PROFILES = ("smoke", "book", "paper")
STATUSES = ("reproduced", "scaled-down", "not-reproducible", "new")  # new: no figure of a paper
_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


class CatalogError(ValueError):
    """A catalogue, profile or parameter that is not valid; the message says what and where."""


def repo_root() -> Path:
    """The project's root: the folder holding ``nbsrc/`` above this package (editable install)."""
    here = Path(__file__).resolve().parents[3]
    if (here / "nbsrc").is_dir():
        return here
    cwd = Path.cwd().resolve()
    for candidate in (cwd, *cwd.parents):
        if (candidate / "nbsrc").is_dir():
            return candidate
    raise CatalogError("cannot find the project root (a folder with nbsrc/); run from the repository")


def notebook_parameters(source: Path) -> dict[str, Any]:
    """The parameters cell of a jupytext source as ``{name: default}``.

    The first code cell must be tagged ``parameters`` and contain only assignments of
    literals (``seed = 0``, ``device = "cpu"``), so that types can be checked before a run.
    """
    nb = jupytext.read(source)
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or "parameters" not in code[0].metadata.get("tags", []):
        raise CatalogError(f"{source}: the first code cell must be tagged 'parameters'")
    params: dict[str, Any] = {}
    for node in ast.parse(code[0].source).body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise CatalogError(
                f"{source}: parameters cell line {node.lineno} is not 'name = literal'"
            )
        try:
            value = ast.literal_eval(node.value)
        except ValueError as err:
            raise CatalogError(
                f"{source}: parameter {node.targets[0].id!r} is not a literal ({err})"
            ) from None
        if type(value) not in _TYPES:
            raise CatalogError(
                f"{source}: parameter {node.targets[0].id!r} has type {type(value).__name__};"
                f" allowed: {', '.join(_TYPES.values())}"
            )
        params[node.targets[0].id] = value
    return params


def check_value(where: str, name: str, value: Any, default: Any) -> Any:
    """Check ``value`` for a parameter whose default is ``default``; return it (ints widen to float).

    Raises :class:`CatalogError` naming the parameter, the value and the allowed type.
    """
    kind = type(default)
    if kind is float and type(value) is int:
        value = float(value)
    if type(value) is not kind:
        raise CatalogError(
            f"{where}: parameter {name!r} must be {_TYPES[kind]} (default {default!r}),"
            f" got {type(value).__name__} {value!r}"
        )
    if kind is float and not math.isfinite(value):
        raise CatalogError(f"{where}: parameter {name!r} must be a finite float, got {value!r}")
    if kind is int and (value < 0) != (default < 0):
        raise CatalogError(
            f"{where}: parameter {name!r} must have the sign of its default {default!r}, got {value!r}"
        )
    if name == "device" and not (value in ("cpu", "cuda", "mps") or value.startswith("cuda:")):
        raise CatalogError(
            f"{where}: parameter 'device' must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {value!r}"
        )
    return value


@dataclass(frozen=True)
class Entry:
    """One notebook: the figure or table it rebuilds, its status and its profiles."""

    paper: str
    name: str
    reproduces: str
    status: str
    profiles: dict[str, dict[str, Any]]
    parameters: dict[str, Any]

    @property
    def key(self) -> str:
        """``<paper>/<name>``, the name the runner and the book use."""
        return f"{self.paper}/{self.name}"

    def source(self, root: Path) -> Path:
        """The jupytext source ``nbsrc/<paper>/<name>.py``."""
        return root / "nbsrc" / self.paper / f"{self.name}.py"

    def executed(self, root: Path) -> Path:
        """The executed notebook in the book, ``book/<paper>/<name>.ipynb``."""
        return root / "book" / self.paper / f"{self.name}.ipynb"

    def resolve(self, profile: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """The parameters passed to papermill: the profile's overrides, then ``overrides``."""
        if profile not in PROFILES:
            raise CatalogError(f"unknown profile {profile!r}; allowed: {', '.join(PROFILES)}")
        params = dict(self.profiles.get(profile, {}))
        for name, value in (overrides or {}).items():
            if name not in self.parameters:
                raise CatalogError(
                    f"{self.key}: unknown parameter {name!r}; allowed: {', '.join(self.parameters)}"
                )
            params[name] = check_value(self.key, name, value, self.parameters[name])
        return params


@dataclass(frozen=True)
class Paper:
    """A paper's chapter: its title and its notebooks in book order."""

    name: str
    title: str
    part: str = "Papers"
    entries: list[Entry] = field(default_factory=list)


def _load_paper(path: Path, root: Path) -> Paper:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not {"paper", "title", "notebooks"} <= set(data) <= {
        "paper", "title", "part", "notebooks"
    }:
        raise CatalogError(f"{path}: needs the keys paper, title, notebooks (and optionally part)")
    if data["paper"] != path.stem:
        raise CatalogError(f"{path}: 'paper' is {data['paper']!r}, expected the file's name {path.stem!r}")
    paper = Paper(name=data["paper"], title=str(data["title"]), part=str(data.get("part", "Papers")))
    for name, spec in (data["notebooks"] or {}).items():
        where = f"{path.name}: notebook {name!r}"
        if not isinstance(spec, dict) or set(spec) != {"reproduces", "status", "profiles"}:
            raise CatalogError(f"{where} needs exactly the keys reproduces, status, profiles")
        if spec["status"] not in STATUSES:
            raise CatalogError(
                f"{where}: status {spec['status']!r}; allowed: {', '.join(STATUSES)}"
            )
        source = root / "nbsrc" / paper.name / f"{name}.py"
        if not source.is_file():
            raise CatalogError(f"{where}: its source {source.relative_to(root)} does not exist")
        parameters = notebook_parameters(source)
        profiles = spec["profiles"] or {}
        if set(profiles) - set(PROFILES):
            raise CatalogError(
                f"{where}: unknown profile(s) {sorted(set(profiles) - set(PROFILES))};"
                f" allowed: {', '.join(PROFILES)}"
            )
        checked: dict[str, dict[str, Any]] = {}
        for profile, overrides in profiles.items():
            checked[profile] = {}
            for pname, value in (overrides or {}).items():
                if pname not in parameters:
                    raise CatalogError(
                        f"{where}, profile {profile!r}: unknown parameter {pname!r};"
                        f" allowed: {', '.join(parameters)}"
                    )
                checked[profile][pname] = check_value(
                    f"{where}, profile {profile!r}", pname, value, parameters[pname]
                )
        paper.entries.append(
            Entry(paper.name, name, str(spec["reproduces"]), spec["status"], checked, parameters)
        )
    return paper


def load_catalog(root: Path | None = None) -> list[Paper]:
    """Every paper's chapter, in the order of ``lib/cnnmath/book/profiles/order.txt``, validated."""
    root = root or repo_root()
    folder = root / "lib" / "cnnmath" / "book" / "profiles"
    order = (folder / "order.txt").read_text(encoding="utf-8").split()
    files = {p.stem: p for p in folder.glob("*.yaml")}
    if set(order) != set(files):
        raise CatalogError(
            f"profiles/order.txt lists {sorted(order)} but the YAML files are {sorted(files)}"
        )
    return [_load_paper(files[name], root) for name in order]


def toc(papers: list[Paper]) -> str:
    """The text of ``_toc.yml``: landing page, one chapter per paper with its notebooks, scorecard,
    performance."""
    lines = [
        "# Generated by `python -m cnnmath.book.catalog toc` from lib/cnnmath/book/profiles; do not edit.",
        "format: jb-book",
        "root: book/intro",
        "parts:",
    ]
    part = None
    for paper in papers:
        if paper.part != part:
            part = paper.part
            lines += [f"  - caption: {part}", "    chapters:"]
        lines.append(f"      - file: book/{paper.name}/index")
        if paper.entries:
            lines.append("        sections:")
            lines += [f"          - file: book/{e.key}" for e in paper.entries]
    lines += [
        "  - caption: Results",
        "    chapters:",
        "      - file: book/scorecard",
        "      - file: book/performance",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnmath.book.catalog toc``: write ``_toc.yml`` at the project root."""
    import argparse

    from cnnmath.io import write_text_atomic

    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.catalog")
    parser.add_argument("command", choices=["toc", "list"])
    args = parser.parse_args(argv)
    root = repo_root()
    papers = load_catalog(root)
    if args.command == "toc":
        write_text_atomic(root / "_toc.yml", toc(papers))
    else:
        for paper in papers:
            for e in paper.entries:
                print(f"{e.key:45s} {e.reproduces:20s} {e.status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
