"""The book is in sync with its sources: notebooks, catalogue, table of contents, scorecard."""

import re

import jupytext
import nbformat
import pytest
from cnnmath.book.catalog import load_catalog, repo_root, toc
from cnnmath.book.claims import read_claims
from cnnmath.book.scorecard import collect, provenance_box, render, render_summary

ROOT = repo_root()
PAPERS = load_catalog(ROOT)
ENTRIES = [e for paper in PAPERS for e in paper.entries]
IDS = [e.key for e in ENTRIES]


def code_cells(nb: nbformat.NotebookNode) -> list[str]:
    return [
        c.source.strip()
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_executed_notebook_matches_its_source(entry) -> None:
    executed = entry.executed(ROOT)
    assert executed.exists(), f"{executed.relative_to(ROOT)} missing: run `python -m cnnmath.book.reproduce {entry.key}`"
    ours = code_cells(nbformat.read(str(executed), as_version=4))
    source = code_cells(jupytext.read(entry.source(ROOT)))
    assert ours == source, f"{executed.relative_to(ROOT)} is stale: re-execute it from its source"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_notebook_ends_in_checked_claims_that_pass(entry) -> None:
    nb = nbformat.read(str(entry.executed(ROOT)), as_version=4)
    checked = [c for c in nb.cells if "nbval-check-output" in c.metadata.get("tags", [])]
    assert checked and all("claim(" in c.source for c in checked), "no nbval-checked claims cell"
    claims = read_claims(entry.executed(ROOT))
    assert claims, "the notebook printed no claim"
    assert all(c.id.startswith(f"{entry.paper}.") for c in claims)
    failed = [c.line for c in claims if c.status == "FAIL"]
    assert not failed, "failing claims:\n" + "\n".join(failed)
    assert all("; gap: " in c.note or c.note.startswith("gap: ") for c in claims if c.status == "GAP")


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_notebook_opens_with_its_title_then_its_parameters(entry) -> None:
    nb = nbformat.read(str(entry.executed(ROOT)), as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "first cell: the title"
    assert "parameters" in nb.cells[1].metadata.get("tags", []), "second cell: the parameters"


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_notebook_has_parameters_cell_with_seed_and_device(entry) -> None:
    assert {"seed", "device"} <= set(entry.parameters)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_chapter_page_links_the_notebook(entry) -> None:
    page = (ROOT / "book" / entry.paper / "index.md").read_text(encoding="utf-8")
    assert f"({entry.name}.ipynb)" in page, f"book/{entry.paper}/index.md does not list {entry.name}"


def test_every_source_and_every_executed_notebook_is_catalogued() -> None:
    sources = {p.relative_to(ROOT / "nbsrc").with_suffix("").as_posix() for p in (ROOT / "nbsrc").rglob("*.py")}
    executed = {
        p.relative_to(ROOT / "book").with_suffix("").as_posix()
        for p in (ROOT / "book").rglob("*.ipynb")
        if "_build" not in p.parts and ".ipynb_checkpoints" not in p.parts and not p.name.startswith(".")
    }
    assert sources == set(IDS), f"uncatalogued sources: {sorted(sources - set(IDS))}"
    assert executed == set(IDS), f"executed notebooks without a catalogue entry: {sorted(executed - set(IDS))}"


def test_no_temporary_file_is_left_in_the_book() -> None:
    """The runner writes through hidden temporary files (``.<name>.<pid>.<random>.tmp``) that never
    outlive it; one left behind is debris from a killed run (``cnnmath.io.remove_stale_temps``)."""
    debris = [p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob(".*")
              if p.is_file() and ".tmp" in p.name and "_build" not in p.parts]
    assert not debris, f"temporary files left by a killed run: {debris}"


def test_names_follow_the_figure_table_convention() -> None:
    """``figNN_<what>``/``tabNN_<what>`` where the paper's number is confirmed, else a descriptive
    ``<what>`` that claims no number (CONTRIBUTING.md); lower-case words joined by underscores."""
    for entry in ENTRIES:
        assert re.fullmatch(r"((fig|tab)\d\d_)?[a-z0-9]+(_[a-z0-9]+)*", entry.name), entry.key
        if entry.name[:3] not in ("fig", "tab"):
            assert "Figure" not in entry.reproduces.split("(")[0] or "not confirmed" in entry.reproduces, entry.key


def test_toc_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "_toc.yml").read_text(encoding="utf-8") == toc(PAPERS), "run `make toc`"
    for paper in PAPERS:
        assert (ROOT / "book" / paper.name / "index.md").exists()


def test_scorecard_page_is_up_to_date() -> None:
    page = (ROOT / "book" / "scorecard.md").read_text(encoding="utf-8")
    assert page == render(collect(PAPERS, ROOT), provenance_box(PAPERS, ROOT)), "run `make scorecard`"
    summary = (ROOT / "book" / "scorecard_summary.md").read_text(encoding="utf-8")
    assert summary == render_summary(PAPERS, collect(PAPERS, ROOT)), "run `make scorecard`"
