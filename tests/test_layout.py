"""The package mirrors the book: chapter code and the book's machinery stay apart.

Rules (README, "Layout"): a chapter subpackage (``volterra``, ``analytic``, ``relu``, ``shift``)
imports no other chapter and nothing of ``cnnmath.book`` except ``cnnmath.book.claims``; the
cross-paper chapter may import every chapter; ``cnnmath.book`` imports no chapter code; the shared
helpers import neither side; a notebook source imports its own chapter (the cross chapter: any).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lib" / "cnnmath"
CHAPTERS = ("volterra", "analytic", "relu", "shift", "cross")
SHARED = ("data", "runtime", "plotting", "io", "npm", "natural")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every ``cnnmath...`` module a file imports (``from cnnmath import x`` gives ``cnnmath.x``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("cnnmath")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cnnmath"):
            if node.module in ("cnnmath", "cnnmath.book") or node.module.rstrip(".").count(".") == 1 \
                    and node.module.split(".")[1] in CHAPTERS:
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def violation(owner: str, module: str) -> str | None:
    """Why ``owner`` (a chapter name, 'book' or 'shared') may not import ``module``, else None."""
    parts = module.split(".")
    target = parts[1] if len(parts) > 1 else ""
    if owner == "book":
        return "the book's machinery imports no chapter code" if target in CHAPTERS else None
    if owner == "shared":
        if target in CHAPTERS or target == "book":
            return "shared helpers import neither chapter code nor the book's machinery"
        return None
    if target == "book" and module != "cnnmath.book.claims":
        return "chapter code imports nothing of cnnmath.book but cnnmath.book.claims"
    if target in CHAPTERS and target != owner and owner != "cross":
        return f"chapter {owner!r} imports another chapter ({target!r}); only 'cross' may"
    return None


def owner_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    if rel.parts[0] == "nbsrc":
        return rel.parts[1]
    sub = path.relative_to(PACKAGE).parts
    if len(sub) == 1:
        return "shared" if path.stem in SHARED else "package"
    return sub[0]


def checked_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "nbsrc").rglob("*.py"))


def violations(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        owner = owner_of(path)
        if owner == "package":  # cnnmath/__init__.py: docstring and version only
            continue
        for line, module in imported_modules(path):
            why = violation(owner, module)
            if why:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}: {why}")
    return found


def test_import_rules() -> None:
    found = violations(checked_files())
    assert not found, "\n".join(found)


def test_every_chapter_has_its_subpackage() -> None:
    for chapter in CHAPTERS:
        assert (PACKAGE / chapter / "__init__.py").is_file(), chapter
        assert (ROOT / "nbsrc" / chapter).is_dir(), chapter


@pytest.mark.parametrize(
    ("owner", "module", "allowed"),
    [
        ("relu", "cnnmath.book.claims", True),
        ("relu", "cnnmath.book.catalog", False),
        ("relu", "cnnmath.shift.pooling", False),
        ("cross", "cnnmath.shift.pooling", True),
        ("book", "cnnmath.volterra.conv", False),
        ("book", "cnnmath.data", True),
        ("shared", "cnnmath.book.claims", False),
        ("volterra", "cnnmath.data", True),
    ],
)
def test_rule_table(owner: str, module: str, allowed: bool) -> None:
    assert (violation(owner, module) is None) is allowed


def test_a_forbidden_import_is_reported(tmp_path: Path) -> None:
    source = "from cnnmath.book.catalog import repo_root\nfrom cnnmath.shift import pooling\n"
    probe = tmp_path / "probe.py"
    probe.write_text(source)
    found = [violation("relu", m) for _, m in imported_modules(probe)]
    assert found[0] and "cnnmath.book.claims" in found[0]
    assert found[1] and "only 'cross' may" in found[1]
