"""The scorecard page shows every claim, failing ones as failing, and unexecuted notebooks as missing."""

import nbformat

from cnnmath.book.catalog import load_catalog
from cnnmath.book.scorecard import collect, render, render_summary, summary


def write_executed(root, name: str, lines: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("claim(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    nb.cells = [cell]
    (root / "book" / "toy").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(root / "book" / "toy" / f"{name}.ipynb"))


def test_failing_and_missing_claims_are_shown(project) -> None:
    tmp_path = project
    write_executed(tmp_path, "fig01_value", [
        "PASS toy.fig01.a: ours 1 · paper 1 · = 1 — first | piped",
        "FAIL toy.fig01.b: ours 3 · paper 1 · ≤ 2",
        "GAP toy.fig01.c: ours 0.9 · paper 0.98 · ≥ 0.98 — accuracy; gap: 10k digits, not 60k",
    ])
    rows = collect(load_catalog(tmp_path), tmp_path)
    page = render(rows)
    assert "**3 claims in 1 notebooks: 1 pass, 1 known gaps, 1 fail.**" in page
    assert "accuracy; gap: 10k digits, not 60k | [fig01_value](toy/fig01_value.ipynb) | 0.98 | 0.9 | ≥ 0.98 | ⚠️ GAP |" in page
    assert "| `toy.fig01.b` | [fig01_value](toy/fig01_value.ipynb) | 1 | 3 | ≤ 2 | ❌ FAIL |" in page
    assert "first \\| piped" in page
    assert "| — | [fig02_other](toy/fig02_other.ipynb) | | | not executed | ❌ MISSING |" in page
    assert summary(rows).endswith("3 claims, 1 pass, 1 gaps, 1 fail, 1 notebooks without claims")
    table = render_summary(load_catalog(tmp_path), rows)
    assert "| [A toy chapter](toy/index.md) | 2 | 3 | 1 | 1 | 1 |" in table
