"""The notebook runner, end to end in a toy project (tmp_path), including its refusals."""

from pathlib import Path

import nbformat
import pytest

from cnnmath.book import reproduce
from cnnmath.book.catalog import CatalogError, load_catalog, toc
from cnnmath.book.claims import read_claims

def run(project: Path, *argv: str) -> list[reproduce.Job]:
    return reproduce.plan(list(argv), root=project)


def test_plan_resolves_prefixes_papers_and_profiles(project: Path) -> None:
    assert [j.entry.key for j in run(project)] == ["toy/fig01_value", "toy/fig02_other"]
    assert [j.entry.key for j in run(project, "toy")] == ["toy/fig01_value", "toy/fig02_other"]
    (job,) = reproduce.plan(["toy/fig01"], "paper", {"scale": 2}, root=project)
    assert job.parameters == {"n": 30, "label": "big", "scale": 2.0}
    assert job.output == project / "_runs" / "paper" / "toy" / "fig01_value.ipynb"
    (job,) = reproduce.plan(["toy/fig01_value"], "book", root=project)
    assert job.parameters == {} and job.output == project / "book" / "toy" / "fig01_value.ipynb"


@pytest.mark.parametrize("names,profile,overrides,match", [
    (["toy/fig09"], "book", {}, "unknown notebook 'toy/fig09'; known: toy/fig01_value, toy/fig02_other"),
    (["toy/fig0"], "book", {}, "notebook 'toy/fig0' is ambiguous: it matches toy/fig01_value, toy/fig02_other"),
    (["toy"], "papr", {}, "unknown profile 'papr'; allowed: smoke, book, paper"),
    (["toy/fig01"], "book", {"sclae": 1.0}, "unknown parameter 'sclae'; allowed: seed, device, scale"),
    (["toy/fig01"], "book", {"n": "three"}, "parameter 'n' must be int .* got str 'three'"),
    (["toy/fig01"], "book", {"n": 2.5}, "parameter 'n' must be int .* got float 2.5"),
    (["toy/fig01"], "book", {"n": True}, "parameter 'n' must be int .* got bool True"),
    (["toy/fig01"], "book", {"flag": 1}, "parameter 'flag' must be bool .* got int 1"),
    (["toy/fig01"], "book", {"label": 3}, "parameter 'label' must be str .* got int 3"),
    (["toy/fig01"], "book", {"scale": float("nan")}, "parameter 'scale' must be a finite float"),
    (["toy/fig01"], "book", {"seed": -1}, "parameter 'seed' must have the sign of its default"),
    (["toy/fig01"], "book", {"device": "gpu"}, "parameter 'device' must be 'cpu', 'cuda', 'cuda:N' or 'mps'"),
])
def test_bad_requests_are_refused_before_anything_runs(project, names, profile, overrides, match) -> None:
    with pytest.raises(CatalogError, match=match):
        reproduce.plan(names, profile, overrides, root=project)
    assert not (project / "book").exists() and not (project / "_runs").exists()


@pytest.mark.parametrize("old,new,match", [
    ("smoke: {n: 1}", "smoke: {m: 1}", "profile 'smoke': unknown parameter 'm'"),
    ("smoke: {n: 1}", "smoke: {n: one}", "profile 'smoke': parameter 'n' must be int"),
    ("smoke: {n: 1}", "quick: {n: 1}", r"unknown profile\(s\) \['quick'\]; allowed: smoke, book, paper"),
    ("status: reproduced", "status: done", "status 'done'; allowed: reproduced, scaled-down, not-reproducible, new"),
    ("title: A toy chapter", "title: A toy chapter\nchapter: 1", "needs the keys paper, title, notebooks"),
    ("fig02_other:", "fig03_missing:", "its source nbsrc/toy/fig03_missing.py does not exist"),
    ("paper: toy", "paper: other", "'paper' is 'other', expected the file's name 'toy'"),
])
def test_bad_catalogues_are_refused_with_the_file_and_key(tmp_path, make_toy, old, new, match) -> None:
    make_toy(tmp_path, yaml_replace=(old, new))
    with pytest.raises(CatalogError, match=match):
        load_catalog(tmp_path)


@pytest.mark.parametrize("first_cell,match", [
    ('# %%\nseed = 0\n', "first code cell must be tagged 'parameters'"),
    ('# %% tags=["parameters"]\nseed = 1 + 1\n', "parameter 'seed' is not a literal"),
    ('# %% tags=["parameters"]\nimport os\n', "line 1 is not 'name = literal'"),
    ('# %% tags=["parameters"]\nsizes = [1, 2]\n', "parameter 'sizes' has type list; allowed: bool, int"),
])
def test_parameters_cells_must_hold_only_literals(tmp_path, make_toy, first_cell, match) -> None:
    make_toy(tmp_path, first_cell=first_cell)
    with pytest.raises(CatalogError, match=match):
        load_catalog(tmp_path)


def test_cli_reports_errors_on_stderr_with_exit_status_2(project, monkeypatch, capsys) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setattr(reproduce, "repo_root", lambda: project)
    assert reproduce.main(["toy/fig01", "-p", "n", "1", "-p", "n", "2"]) == 2
    assert "parameter 'n' given twice" in capsys.readouterr().err
    assert reproduce.main(["toy/fig01", "-p", "label", "[unclosed"]) == 2
    assert "parameter 'label': cannot read value '[unclosed'" in capsys.readouterr().err
    assert reproduce.main(["toy/fig01", "--profile", "paper", "--list"]) == 0
    assert "toy/fig01_value: {'n': 30, 'label': 'big'}" in capsys.readouterr().out


def test_execution_writes_the_notebook_and_a_failure_leaves_the_old_one(project) -> None:
    (job,) = reproduce.plan(["toy/fig01"], "smoke", {"scale": 4.5}, root=project)
    reproduce.execute(job, project)
    (claim_,) = read_claims(job.output)
    assert claim_.line == "PASS toy.fig01.value: ours 4.5 · paper 4.5 · = 4.5 — toy"
    nb = nbformat.read(str(job.output), as_version=4)
    assert "papermill" not in nb.metadata and all("execution" not in c.metadata for c in nb.cells)
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    before = job.output.read_bytes()
    (bad,) = reproduce.plan(["toy/fig01"], "smoke", {"fail": True}, root=project)
    with pytest.raises(reproduce.ReproduceError, match="toy/fig01_value failed in cell .* asked to fail"):
        reproduce.execute(bad, project)
    assert job.output.read_bytes() == before
    assert sorted(p.name for p in job.output.parent.iterdir()) == ["fig01_value.ipynb"]


def test_toc_lists_every_chapter_and_notebook(project) -> None:
    text = toc(load_catalog(project))
    assert "- file: book/toy/index" in text and "- file: book/toy/fig02_other" in text
    assert text.rstrip().endswith("- file: book/scorecard\n      - file: book/performance")
    assert "  - caption: Papers\n    chapters:\n      - file: book/toy/index" in text


def test_a_chapter_can_go_in_its_own_part(tmp_path, make_toy) -> None:
    make_toy(tmp_path, yaml_replace=("title: A toy chapter", "title: A toy chapter\npart: Across the papers"))
    assert "  - caption: Across the papers\n    chapters:\n      - file: book/toy/index" in toc(load_catalog(tmp_path))
