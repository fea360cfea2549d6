"""Claims: the printed line, its parsing, and reading claims back from a notebook."""

import nbformat
import numpy as np
import pytest

from cnnmath.book.claims import claim, format_value, parse_claim_line, read_claims, verdict_table


def test_claim_prints_one_stable_line(capsys) -> None:
    result = claim("volterra.fig06.error", kind="paper", ours=3.14159e-7, paper=5.64877e-07, holds=True,
                   condition="in [1e-07, 1e-06]", note="L2 error")
    line = capsys.readouterr().out.strip()
    assert line == "PASS paper volterra.fig06.error: ours 3.14e-07 · paper 5.65e-07 · in [1e-07, 1e-06] — L2 error"
    assert result.line == line and result.passed


def test_failing_claim_prints_fail_and_numpy_bools_are_accepted(capsys) -> None:
    claim("a.b.c", kind="check", ours=2.0, paper=None, holds=np.float64(2.0) < 1.0, condition="< 1")
    assert capsys.readouterr().out.strip() == "FAIL check a.b.c: ours 2 · paper — · < 1"


def test_a_claim_out_of_reach_with_a_reason_is_a_gap(capsys) -> None:
    result = claim("a.b.c", kind="paper", ours=0.9, paper=0.98, holds=False, condition="in [0.97, 0.99]",
                   note="accuracy", gap="10k digits instead of 60k")
    line = capsys.readouterr().out.strip()
    assert line == ("GAP paper a.b.c: ours 0.9 · paper 0.98 · in [0.97, 0.99] — accuracy;"
                    " gap: 10k digits instead of 60k")
    assert result.status == "GAP" and not result.passed and parse_claim_line(line) == result
    assert claim("a.b.d", kind="paper", ours=1, paper=1, holds=True, condition="= 1", gap="unused").status == "PASS"
    with pytest.raises(ValueError, match="gap must be one line"):
        claim("a.b.e", kind="paper", ours=1, paper=1, holds=False, condition="= 1", gap="a · b")


def test_a_finding_names_its_seeds_and_needs_five(capsys) -> None:
    result = claim("a.b.f", kind="finding", ours="0.3 ± 0.1", holds=True, condition="mean > 0", n=7)
    assert result.condition == "mean > 0 (n = 7 seeds)" and result.kind == "finding"
    assert parse_claim_line(capsys.readouterr().out.strip()) == result
    for n in (None, 0, 2.5, True):
        with pytest.raises(ValueError, match="needs n = the number of seeds"):
            claim("a.b.g", kind="finding", ours=1, holds=True, condition="> 0", n=n)
    few = claim("a.b.g", kind="finding", ours=1, holds=True, condition="> 0", n=4)
    assert few.status == "FAIL" and few.condition == "> 0 (n = 4 seeds, fewer than the 5 a finding needs)"
    with pytest.raises(ValueError, match="only for kind 'finding'"):
        claim("a.b.h", kind="check", ours=1, holds=True, condition="> 0", n=5)


@pytest.mark.parametrize("value,fmt,text", [(-1e-9, ".2f", "0.00"), (0.98281, ".2%", "98.28%"),
                                            (float("nan"), ".3g", "nan"), ("n/a", ".3g", "n/a")])
def test_format_value_rounds_and_never_prints_negative_zero(value, fmt, text) -> None:
    assert format_value(value, fmt) == text


@pytest.mark.parametrize("kwargs,match", [
    ({"id": "Volterra.Fig6"}, "claim id 'Volterra.Fig6' must be dotted lower-case"),
    ({"id": "nodots"}, "must be dotted lower-case"),
    ({"holds": 1}, "holds must be a bool, got int"),
    ({"condition": ""}, "condition must be non-empty"),
    ({"condition": "a · b"}, "without '·'"),
    ({"note": "measured — 3"}, "note must be one line"),
    ({"kind": "claim"}, "kind must be one of paper, check, finding, got 'claim'"),
    ({"kind": "paper", "paper": None}, "needs the paper's value"),
])
def test_bad_claims_are_refused(kwargs, match) -> None:
    args = {"id": "a.b", "kind": "check", "ours": 1.0, "paper": 2.0, "holds": True, "condition": "≤ 3"} | kwargs
    claim_id = args.pop("id")
    with pytest.raises((ValueError, TypeError), match=match):
        claim(claim_id, **args)


def test_parse_round_trips_and_ignores_other_lines() -> None:
    line = "FAIL paper relu.fig02.error: ours 1.2e-05 · paper 1e-08 · in [0, 1e-08] — layer 1 · max"
    parsed = parse_claim_line(line)
    assert parsed is not None and parsed.line == line and not parsed.passed
    assert parse_claim_line("PASS but not a claim") is None
    assert parse_claim_line("accuracy 0.98") is None
    assert parse_claim_line("PASS a.b: ours 1 · paper 2 · ≤ 3") is None, "a line without its kind"


def test_read_claims_finds_lines_in_stdout_only(tmp_path) -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("claim(...)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="hello\nPASS check a.b: ours 1 · paper 2 · ≤ 3\n"),
        nbformat.v4.new_output("stream", name="stderr", text="PASS check c.d: ours 1 · paper 2 · ≤ 3\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("PASS check e.f: ours 1 · paper 2 · ≤ 3"), cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert [c.id for c in read_claims(path)] == ["a.b"]


def test_a_claim_ending_a_cell_displays_nothing_but_its_line(capsys) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    result = shell.run_cell(
        "from cnnmath.book.claims import claim\n"
        "claim('a.b.c', kind='paper', ours=1.0, paper=1.0, holds=True, condition='= 1')"
    )
    assert result.success and result.result is not None
    assert capsys.readouterr().out.startswith("PASS paper a.b.c: ours 1 · paper 1 · = 1\n")
    assert shell.display_formatter.format(result.result) == ({}, {}), "a kernel would show the Claim's repr"


def test_the_checked_line_masks_only_the_measured_value() -> None:
    """tests/nbval_sanitize.cfg: on another CPU only `ours` may differ; id, kind, verdict, condition,
    paper and note are compared."""
    import configparser
    import re
    from pathlib import Path

    config = configparser.ConfigParser()
    config.read(Path(__file__).with_name("nbval_sanitize.cfg"))
    rule = config["claim-measured-value"]
    text = ("a log line\nPASS paper a.b: ours 3.1e-07 · paper 5.65e-07 · in [1e-07, 1e-06] — n\n"
            "FAIL check c.d: ours < 1e-14 · x · paper — · ≤ 1e-12\n")
    masked = re.sub(rule["regex"], rule["replace"], text)
    assert masked == ("a log line\nPASS paper a.b: ours … · paper 5.65e-07 · in [1e-07, 1e-06] — n\n"
                      "FAIL check c.d: ours … · paper — · ≤ 1e-12\n")
    other_cpu = text.replace("3.1e-07", "3.2e-07")
    assert re.sub(rule["regex"], rule["replace"], other_cpu) == masked
    for changed in (text.replace("PASS paper", "FAIL paper"), text.replace("5.65e-07", "5.66e-07"),
                    text.replace("in [1e-07", "in [2e-07")):
        assert re.sub(rule["regex"], rule["replace"], changed) != masked


def test_verdict_table_shows_every_claim_and_escapes_html() -> None:
    claims = [parse_claim_line("PASS paper a.b: ours 1 · paper 1 · = 1 — <b>x</b>"),
              parse_claim_line("FAIL finding a.c: ours 2 ± 1 · paper — · > 3 (n = 5 seeds)")]
    text = verdict_table(claims)
    assert "a.b" in text and "a.c" in text and "1 PASS, 1 FAIL" in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text and "<b>x</b>" not in text
    assert "no claims" in verdict_table([])
