"""The scorecard page shows every claim, failing ones as failing, and unexecuted notebooks as missing."""

import nbformat

from cnnmath.book.catalog import load_catalog
from cnnmath.book.claims import badge
from cnnmath.book.scorecard import collect, render, render_summary, summary


def write_executed(root, name: str, lines: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("claim(...)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    nb.cells = [cell]
    (root / "book" / "toy").mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(root / "book" / "toy" / f"{name}.ipynb"))


def test_failing_and_missing_claims_are_shown_and_kinds_counted_apart(project) -> None:
    tmp_path = project
    write_executed(tmp_path, "fig01_value", [
        "PASS paper toy.fig01.a: ours 1 · paper 1 · = 1 — first | piped",
        "FAIL check toy.fig01.b: ours 3 · paper — · ≤ 2",
        "GAP paper toy.fig01.c: ours 0.9 · paper 0.98 · in [0.97, 0.99] — accuracy; gap: 10k digits, not 60k",
        "PASS finding toy.fig01.d: ours 2 ± 1 · paper — · > 0 (n = 5 seeds)",
    ])
    rows = collect(load_catalog(tmp_path), tmp_path)
    page = render(rows)
    totals = "2 numbers from the papers: 1 reproduced, 1 gap, 0 failing · 1 check (1 failing) · 1 finding"
    assert f"**{totals}** (1 notebook)." in page
    assert page.index("### Numbers from the paper") < page.index("### Checks") < page.index("### Findings")
    assert (f"| {badge('GAP')} | `toy.fig01.c` ([fig01_value](toy/fig01_value.ipynb))<br>accuracy; gap: 10k digits,"
            " not 60k | 0.9 · 0.98 · in [0.97, 0.99] |") in page
    assert f"| {badge('FAIL')} | `toy.fig01.b` ([fig01_value](toy/fig01_value.ipynb)) | 3 · — · ≤ 2 |" in page
    assert "first \\| piped" in page
    assert f"{badge('FAIL')} MISSING: not executed or without claims: [fig02_other](toy/fig02_other.ipynb)." in page
    assert summary(rows).endswith(f"scorecard: {totals}; 1 notebooks without claims")
    table = render_summary(load_catalog(tmp_path), rows)
    assert "| [A toy chapter](toy/index.md) | 2: 1 / 1 / 0 | 1 (1 failing) | 1 |" in table
