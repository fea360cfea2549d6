r"""The book's catalogue: every figure and table of each paper, its notebook and its profiles.

One YAML file per paper, ``lib/cnnmath/book/profiles/<paper>.yaml``::

    paper: volterra
    title: CNNs as Volterra convolutions
    part: Papers                    # optional: the book part the chapter goes in (default Papers)
    notebooks:
      fig06_conv_sigmoid:
        reproduces: Figure 6
        status: reproduced          # reproduced | scaled-down | not-reproducible | new
        parameters:                 # optional: valid ranges, where the inferred ones are not enough
          order: {min: 1, max: 11}  # min/max inclusive, above/below exclusive, or choices: [...]
          pairs: {pattern: '\d+-\d+(,\d+-\d+)*'}  # a str: a regular expression it must match
        profiles:                   # parameter overrides of the notebook's parameters cell
          smoke: {n_seeds: 5}
          book: {}
          paper: {n_seeds: 1000}

A notebook's parameters and their types come from the first code cell of its source
``nbsrc/<paper>/<name>.py`` (tagged ``parameters``), which must hold only ``name = literal``
assignments. Everything is validated when loaded, so a bad profile fails before anything runs.

Every parameter has a valid range (:class:`Range`): declared under ``parameters`` or inferred
from its name and default (:func:`infer_range`): counts, sizes, epochs, orders and threads are
ints ≥ 1, seeds ints ≥ 0, learning rates and tolerances floats > 0, ``device`` a torch device,
an MNIST ``source`` one of the data module's sources. A value outside it is refused with one line
naming the parameter and its allowed values, before any kernel starts.
"""

from __future__ import annotations

import ast
import math
import re
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
    "Range",
    "check_value",
    "infer_range",
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


@dataclass(frozen=True)
class Range:
    """The values a parameter may take: its type, inclusive (``min``/``max``) or exclusive
    (``above``/``below``) bounds, a list of ``choices``, or for a str a regular expression
    ``pattern`` the whole value must match."""

    kind: type
    min: float | None = None
    max: float | None = None
    above: float | None = None
    below: float | None = None
    choices: tuple[Any, ...] | None = None
    pattern: str | None = None

    def allows(self, value: Any) -> bool:
        """Whether ``value`` (already of the right type) lies in the range."""
        if self.choices is not None and value not in self.choices:
            return False
        if self.kind is str and self.choices is None and not value:
            return False
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            return False
        return not (
            (self.min is not None and value < self.min)
            or (self.max is not None and value > self.max)
            or (self.above is not None and value <= self.above)
            or (self.below is not None and value >= self.below)
        )

    def describe(self) -> str:
        """In words, e.g. ``"an int ≥ 1"``, ``"a float in [0, 1]"``, ``"one of 'npm-10k', 'full'"``."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.pattern is not None:
            return f"a str matching {self.pattern!r}"
        article = "an" if self.kind is int else "a"
        name = f"{article} {_TYPES[self.kind]}" if self.kind is not str else "a non-empty str"
        low = (f"[{self.min:g}" if self.min is not None else f"({self.above:g}") if (
            self.min is not None or self.above is not None) else None
        high = (f"{self.max:g}]" if self.max is not None else f"{self.below:g})") if (
            self.max is not None or self.below is not None) else None
        if low and high:
            return f"{name} in {low}, {high}"
        if low:
            return f"{name} {'≥' if self.min is not None else '>'} {low[1:]}"
        if high:
            return f"{name} {'≤' if self.max is not None else '<'} {high[:-1]}"
        return f"a finite {_TYPES[self.kind]}" if self.kind is float else name


# Names of ints that count or size something: 0 (or less) is degenerate.
_COUNT = re.compile(
    r"^(n|num|max|min)_|_(epochs|steps|iters|size|length|width|batch|classes|trials|draws|samples|"
    r"seeds|images|starts|order|kernel|image)$|^(epochs|steps|threads|order|batch|size|grid|chunk|"
    r"channels|hidden|passes|crop|J)$|^per_image"
)
# Names of floats that must be positive: step sizes, tolerances, widths.
_POSITIVE = re.compile(r"^(lr|tol|rtol|atol|sigma|radius)$|_(lr|tol)$")
# Names of floats that must not be negative.
_NONNEGATIVE = re.compile(r"^weight_decay$")


def infer_range(name: str, default: Any) -> Range:
    """The range of a parameter that declares none, from its name and default.

    >>> infer_range("n_seeds", 200).describe(), infer_range("seed", 0).describe()
    ('an int ≥ 1', 'an int ≥ 0')
    >>> infer_range("lr", 0.01).describe(), infer_range("flag", False).describe()
    ('a float > 0', 'one of False, True')
    """
    kind = type(default)
    if kind is bool:
        return Range(bool, choices=(False, True))
    if kind is int:
        if name == "seed" or name.endswith("_seed"):
            return Range(int, min=0)
        if _COUNT.search(name) and default >= 1:
            return Range(int, min=1)
        return Range(int, min=0) if default >= 0 else Range(int, below=0)
    if kind is float:
        if _POSITIVE.search(name) and default > 0:
            return Range(float, above=0.0)
        if _NONNEGATIVE.search(name) and default >= 0:
            return Range(float, min=0.0)
        return Range(float)
    if name in ("source", "mnist_source"):
        from cnnmath.data import (
            MNIST_SOURCES,  # shared module: the sources the data loader knows
        )

        if default in MNIST_SOURCES:
            return Range(str, choices=tuple(MNIST_SOURCES))
    return Range(str)


def _declared_range(where: str, name: str, default: Any, spec: Any) -> Range:
    """A range declared in a profile YAML (``{min: 1, max: 11}``, ``{choices: [a, b]}``), checked."""
    kind = type(default)
    keys = {"min", "max", "above", "below", "choices", "pattern"}
    if not isinstance(spec, dict) or not spec or set(spec) - keys:
        raise CatalogError(f"{where}: range of {name!r} must be a mapping of {', '.join(sorted(keys))}")
    bounds = {k: v for k, v in spec.items() if k not in ("choices", "pattern")}
    if kind in (bool, str) and bounds:
        raise CatalogError(f"{where}: {name!r} is {_TYPES[kind]}; only 'choices' or 'pattern' applies")
    pattern = spec.get("pattern")
    if pattern is not None:
        if kind is not str or not isinstance(pattern, str):
            raise CatalogError(f"{where}: range of {name!r}: a pattern applies to a str parameter only")
        try:
            re.compile(pattern)
        except re.error as err:
            raise CatalogError(f"{where}: range of {name!r}: pattern {pattern!r} is not a regex ({err})") from None
    for key, value in bounds.items():
        if type(value) not in (int, float) or not math.isfinite(value):
            raise CatalogError(f"{where}: range of {name!r}: {key} must be a number, got {value!r}")
    choices = spec.get("choices")
    if choices is not None and (not isinstance(choices, list) or not choices
                                or any(type(c) is not kind for c in choices)):
        raise CatalogError(f"{where}: range of {name!r}: choices must be a list of {_TYPES[kind]}")
    rng = Range(kind, **bounds, choices=tuple(choices) if choices else None, pattern=pattern)
    if not rng.allows(default):
        raise CatalogError(f"{where}: {name!r} default {default!r} is not {rng.describe()}")
    return rng


def check_value(where: str, name: str, value: Any, default: Any, allowed: Range | None = None) -> Any:
    """Check ``value`` for a parameter whose default is ``default``; return it (ints widen to float).

    ``allowed`` is the parameter's range (inferred from its name and default when ``None``).
    Raises :class:`CatalogError` naming the parameter, the value and the allowed values.
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
    if name == "device" and not (value in ("cpu", "cuda", "mps") or re.fullmatch(r"cuda:\d+", value)):
        raise CatalogError(
            f"{where}: parameter 'device' must be 'cpu', 'cuda', 'cuda:N' or 'mps', got {value!r}"
        )
    allowed = allowed or infer_range(name, default)
    if not allowed.allows(value):
        raise CatalogError(
            f"{where}: parameter {name!r} must be {allowed.describe()} (default {default!r}), got {value!r}"
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
    ranges: dict[str, Range] = field(default_factory=dict)

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
            params[name] = check_value(self.key, name, value, self.parameters[name], self.range(name))
        return params

    def range(self, name: str) -> Range:
        """The valid range of parameter ``name``: declared in the YAML, else inferred."""
        return self.ranges.get(name) or infer_range(name, self.parameters[name])


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
        if not isinstance(spec, dict) or not (
            {"reproduces", "status", "profiles"} <= set(spec) <= {"reproduces", "status", "profiles", "parameters"}
        ):
            raise CatalogError(
                f"{where} needs exactly the keys reproduces, status, profiles (and optionally parameters)"
            )
        if spec["status"] not in STATUSES:
            raise CatalogError(
                f"{where}: status {spec['status']!r}; allowed: {', '.join(STATUSES)}"
            )
        source = root / "nbsrc" / paper.name / f"{name}.py"
        if not source.is_file():
            raise CatalogError(f"{where}: its source {source.relative_to(root)} does not exist")
        parameters = notebook_parameters(source)
        declared = spec.get("parameters") or {}
        if not isinstance(declared, dict) or set(declared) - set(parameters):
            raise CatalogError(
                f"{where}: 'parameters' declares ranges of unknown parameter(s)"
                f" {sorted(set(declared) - set(parameters)) if isinstance(declared, dict) else declared!r};"
                f" allowed: {', '.join(parameters)}"
            )
        ranges = {n: _declared_range(where, n, parameters[n], r) for n, r in declared.items()}
        for pname, default in parameters.items():
            rng = ranges.get(pname) or infer_range(pname, default)
            if not rng.allows(default):
                raise CatalogError(
                    f"{where}: default {pname} = {default!r} is not {rng.describe()};"
                    " declare its range under 'parameters'"
                )
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
                    f"{where}, profile {profile!r}", pname, value, parameters[pname], ranges.get(pname)
                )
        paper.entries.append(
            Entry(paper.name, name, str(spec["reproduces"]), spec["status"], checked, parameters, ranges)
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
        "  - caption: Reference",
        "    chapters:",
        "      - file: book/references",
        "      - file: book/api/index",
        "        sections:",
        *[f"          - file: book/api/{paper.name}" for paper in papers],
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m cnnmath.book.catalog toc``: write ``_toc.yml`` at the project root."""
    import argparse

    from cnnmath.io import write_text_atomic

    parser = argparse.ArgumentParser(prog="python -m cnnmath.book.catalog")
    parser.add_argument("command", choices=["toc", "list", "ranges"])
    args = parser.parse_args(argv)
    root = repo_root()
    papers = load_catalog(root)
    if args.command == "toc":
        write_text_atomic(root / "_toc.yml", toc(papers))
    elif args.command == "ranges":
        for paper in papers:
            for e in paper.entries:
                for pname, default in e.parameters.items():
                    how = "declared" if pname in e.ranges else "inferred"
                    print(f"{e.key:40s} {pname:20s} {default!r:>12}  {e.range(pname).describe()} ({how})")
    else:
        for paper in papers:
            for e in paper.entries:
                print(f"{e.key:45s} {e.reproduces:20s} {e.status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
