"""Benchmark records round-trip into the performance page, which is kept up to date."""

import json

import pytest

from cnnmath.book import bench
from cnnmath.book.catalog import repo_root


def test_a_record_renders_as_a_table_with_its_machine(tmp_path, capsys) -> None:
    path = bench.record("toy", "A toy benchmark", ["size", "ours (s)", "ratio"], [[8, 0.00123456, 2.5]],
                        summary="ours is faster", notes="a note", root=tmp_path)
    assert path == tmp_path / "benchmarks" / "results" / "toy.json"
    assert json.loads(path.read_text())["machine"]["cpus"] >= 1
    assert "| 8 | 0.00123 | 2.5 |" in capsys.readouterr().out
    page = bench.render(bench.load_records(tmp_path))
    assert "## A toy benchmark\n\nours is faster\n\n| size | ours (s) | ratio |" in page
    assert "`benchmarks/toy.py`" in page and page.rstrip().endswith("a note")


def test_bad_records_are_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="every row must have 2 cells"):
        bench.record("toy", "t", ["a", "b"], [[1, 2, 3]], root=tmp_path)
    with pytest.raises(ValueError, match="name must be an identifier"):
        bench.record("make book", "t", ["a"], [[1]], root=tmp_path)
    with pytest.raises(ValueError, match="repeat and number must be ≥ 1"):
        bench.best_time(lambda: None, repeat=0)
    assert not (tmp_path / "benchmarks" / "results").exists() or not list((tmp_path / "benchmarks" / "results").iterdir())


def test_best_time_is_the_fastest_round_per_call() -> None:
    assert 0.0 <= bench.best_time(lambda: sum(range(100)), repeat=3, number=10) < 1.0


def test_a_repetition_makes_the_calls_it_was_given_and_times_them_per_call() -> None:
    made = []
    assert bench.calls_per_repetition(lambda: made.append(1), seconds=0.0) == 1 and len(made) == 1
    wall, cpu = bench.per_call(lambda: made.append(1), 5)
    assert len(made) == 6 and wall >= 0.0 and cpu >= 0.0


def test_performance_page_is_up_to_date() -> None:
    root = repo_root()
    page = (root / "book" / "performance.md").read_text(encoding="utf-8")
    assert page == bench.render(bench.load_records(root)), "run `python -m cnnmath.book.bench`"


def test_a_record_names_the_script_that_wrote_it() -> None:
    """One script may write a record per class (``relu_sweep`` → ``relu_sweep_two``)."""
    from cnnmath.book.bench import script_of

    assert script_of("relu_sweep_two") == "relu_sweep"
    assert script_of("wavelets") == "wavelets"
    assert script_of("no_such_benchmark") == "no_such_benchmark"
