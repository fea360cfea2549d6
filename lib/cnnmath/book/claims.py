"""Claims: one checked line per statement a notebook makes, of one of three kinds.

A notebook ends with calls such as::

    claim("volterra.fig06.error", kind="paper", ours=err, paper=5.64877e-07,
          holds=q05 <= 5.64877e-07 <= q95, condition="paper's draw inside our 5-95% band",
          note="L2 error of the order-5 approximation")

which print one line,
``PASS paper volterra.fig06.error: ours 3.1e-07 · paper 5.65e-07 · paper's draw … — L2 error …``.

The three kinds are counted apart everywhere (scorecard, landing page) and never added together:

``paper``
    A number the paper printed, compared **two-sided** (within a stated tolerance of the paper's
    value, or the paper's value inside our measured band). Only these count as reproduction.
    Out of reach for a stated reason (``gap="…"``): a ``GAP``, not a ``FAIL``.
``check``
    An internal identity or consistency test (a closed form equals enumeration): useful to a
    reader, never counted as reproduction.
``finding``
    Something the book shows beyond the paper: a statement over ``n ≥ 5`` seeds with its spread
    (sample standard deviation, ddof = 1) or a stated test.

A claim whose condition fails is ``FAIL`` (and ``make test`` fails). The line is the claim's only
record: nbval compares it on every test run (the claims cell is tagged ``nbval-check-output``)
with **the measured value masked** (``tests/nbval_sanitize.cfg``): the id, kind, verdict,
condition and the paper's value must hold on any machine, while ``ours`` may differ in its last
digits between CPUs. Conditions and notes therefore carry parameters, never measured numbers.
:func:`read_claims` parses the lines back out of an executed notebook for the scorecard, and
:func:`verdict_table` renders them for a page.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

__all__ = [
    "KINDS",
    "STATUSES",
    "Claim",
    "badge",
    "claim",
    "format_value",
    "parse_claim_line",
    "read_claims",
    "verdict_table",
]

KINDS = ("paper", "check", "finding")
STATUSES = ("PASS", "GAP", "FAIL")
MIN_FINDING_SEEDS = 5

_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_SEP = " · "
_LINE = re.compile(
    r"^(?P<status>PASS|FAIL|GAP) (?P<kind>paper|check|finding) (?P<id>[a-z0-9_.]+): "
    r"ours (?P<ours>.+?) · paper (?P<paper>.+?) · (?P<condition>.+?)(?: — (?P<note>.+))?$"
)


@dataclass(frozen=True)
class Claim:
    """One statement of a notebook: id, kind, verdict, our value and the paper's (formatted)."""

    id: str
    kind: str
    status: str
    ours: str
    paper: str
    condition: str
    note: str = ""

    @property
    def passed(self) -> bool:
        """Whether the claim's condition held."""
        return self.status == "PASS"

    @property
    def line(self) -> str:
        """The one line printed for this claim."""
        text = (f"{self.status} {self.kind} {self.id}: ours {self.ours}{_SEP}paper {self.paper}"
                f"{_SEP}{self.condition}")
        return f"{text} — {self.note}" if self.note else text

    def _ipython_display_(self) -> None:
        """Show nothing when a notebook cell ends with ``claim(...)``: the printed line is the display."""


def format_value(value: Any, fmt: str = ".3g") -> str:
    """Format a number (or a string) for a claim line; ``-0`` is printed as ``0``.

    >>> format_value(5.64877e-07), format_value(-1e-20, ".2f"), format_value("n/a")
    ('5.65e-07', '0.00', 'n/a')
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    number = float(value)
    if math.isnan(number):
        return "nan"
    text = format(number, fmt)
    # rounding a tiny negative number gives "-0.00": print it as "0.00"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def claim(
    id: str,
    *,
    kind: str,
    ours: Any,
    paper: Any = None,
    holds: bool,
    condition: str,
    note: str = "",
    fmt: str = ".3g",
    gap: str = "",
    n: int | None = None,
) -> Claim:
    """Print and return one claim line.

    Parameters
    ----------
    id : str
        Dotted, lower-case, stable identifier ``<paper>.<notebook>.<what>``.
    kind : {'paper', 'check', 'finding'}
        What the claim is (module docstring). ``paper`` needs the paper's value; ``finding``
        needs ``n``, the number of seeds it rests on: with fewer than 5 it is never a PASS.
    ours, paper : number or str or None
        Our value and the paper's (``None`` when the paper gives no number).
    holds : bool
        Whether the claim's condition holds; decides PASS or FAIL.
    condition : str
        The condition in words or symbols, e.g. ``"in [0.97, 0.99]"``; parameters only, no
        measured numbers (the line must read the same on every machine but for ``ours``).
    note : str
        What the number is, in a few words; like ``condition``, no measured numbers.
    fmt : str
        Format spec used to round both numbers.
    gap : str
        Why the condition cannot hold here (e.g. the paper's scale does not fit the book's CPU):
        a claim that does not hold is then a ``GAP``, not a ``FAIL``. Ignored when it holds.
    n : int, optional
        Seeds behind a ``finding``; printed with its condition.
    """
    if not isinstance(id, str) or not _ID.match(id):
        raise ValueError(
            f"claim id {id!r} must be dotted lower-case words, e.g. 'volterra.fig06.error'"
        )
    if kind not in KINDS:
        raise ValueError(f"claim {id}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "paper" and paper is None:
        raise ValueError(f"claim {id}: a 'paper' claim needs the paper's value (paper=...)")
    if kind == "finding":
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
            raise ValueError(f"claim {id}: a 'finding' needs n = the number of seeds (an int ≥ 1), got {n!r}")
    elif n is not None:
        raise ValueError(f"claim {id}: n (seeds) is only for kind 'finding'")
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"claim {id}: holds must be a bool, got {type(holds).__name__}")
    for name, text in (("condition", condition), ("note", note)):
        if (name == "condition" and not text) or "·" in text or "—" in text or "\n" in text:
            required = "non-empty, " if name == "condition" else ""
            raise ValueError(f"claim {id}: {name} must be {required}one line, without '·' or '—'")
    if "·" in gap or "\n" in gap:
        raise ValueError(f"claim {id}: gap must be one line without '·'")
    too_few = kind == "finding" and n < MIN_FINDING_SEEDS  # e.g. a smoke run: never a PASS
    status = "PASS" if holds and not too_few else ("GAP" if gap else "FAIL")
    if status == "GAP":
        note = f"{note}; gap: {gap}" if note else f"gap: {gap}"
    if kind == "finding":
        least = f", fewer than the {MIN_FINDING_SEEDS} a finding needs" if too_few else ""
        condition = f"{condition} (n = {int(n)} seeds{least})"
    result = Claim(
        id=id,
        kind=kind,
        status=status,
        ours=format_value(ours, fmt),
        paper=format_value(paper, fmt),
        condition=condition,
        note=note,
    )
    print(result.line)
    return result


def parse_claim_line(line: str) -> Claim | None:
    """Parse a printed claim line back into a :class:`Claim` (``None`` if it is not one).

    >>> parse_claim_line("PASS check a.b: ours 1 · paper 2 · ≤ 3 — note").ours
    '1'
    """
    match = _LINE.match(line.strip())
    if match is None:
        return None
    return Claim(
        id=match["id"],
        kind=match["kind"],
        status=match["status"],
        ours=match["ours"],
        paper=match["paper"],
        condition=match["condition"],
        note=match["note"] or "",
    )


def read_claims(notebook: Path | str | nbformat.NotebookNode) -> list[Claim]:
    """Every claim line printed in the stdout of an executed notebook (path or node), in order."""
    if isinstance(notebook, (str, Path)):
        nb = nbformat.read(str(notebook), as_version=4)
    else:
        nb = notebook
    found: list[Claim] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                for line in output.get("text", "").splitlines():
                    parsed = parse_claim_line(line)
                    if parsed is not None:
                        found.append(parsed)
    return found


_BADGE = {
    "PASS": ("PASS", "#1a7f37"),
    "GAP": ("GAP", "#9a6700"),
    "FAIL": ("FAIL", "#cf222e"),
}
_KIND_LABEL = {"paper": "paper's number", "check": "check", "finding": "finding"}


def badge(status: str) -> str:
    """The verdict as an inline HTML badge: the word on its colour (no emoji: fonts without them
    show boxes).

    >>> badge("GAP")
    '<span style="background:#9a6700;color:#fff;border-radius:3px;padding:0 .4em;font-weight:600;font-size:.85em">GAP</span>'
    """
    word, colour = _BADGE[status]
    return (f'<span style="background:{colour};color:#fff;border-radius:3px;padding:0 .4em;'
            f'font-weight:600;font-size:.85em">{word}</span>')


def verdict_table(claims: list[Claim]) -> str:
    """An HTML block listing ``claims`` for a page: verdict badge, kind, what, ours, paper, condition.

    One compact card per claim (no fixed column widths), so that it fits a 390 px phone and a
    1400 px page without sideways scrolling; colours carry meaning only beside the word.

    >>> html_text = verdict_table([parse_claim_line("GAP paper a.b: ours 1 · paper 2 · = 2 — n")])
    >>> "GAP" in html_text and "a.b" in html_text
    True
    """
    if not claims:
        return '<div class="cnnmath-verdicts"><p>This notebook states no claims.</p></div>'
    counts = ", ".join(
        f"{sum(c.status == s for c in claims)} {s}" for s in STATUSES if any(c.status == s for c in claims)
    )
    rows = []
    for c in claims:
        note = f'<div style="opacity:.8">{html.escape(c.note)}</div>' if c.note else ""
        rows.append(
            '<li style="margin:.35em 0;list-style:none;overflow-wrap:anywhere">'
            f'{badge(c.status)} <em>{_KIND_LABEL[c.kind]}</em> <code>{html.escape(c.id)}</code>{note}'
            f'<div>ours <strong>{html.escape(c.ours)}</strong> · paper {html.escape(c.paper)}'
            f' · {html.escape(c.condition)}</div></li>'
        )
    return (
        '<div class="cnnmath-verdicts" style="max-width:100%">'
        f"<p><strong>Verdicts</strong> ({counts}):</p>"
        f'<ul style="padding-left:0">{"".join(rows)}</ul></div>'
    )
