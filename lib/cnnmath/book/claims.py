"""Claims: one checked line per reproduced number, compared with the paper's.

A notebook ends with calls such as::

    claim("volterra.fig06.error", ours=err, paper=5.64877e-07, holds=err <= 1e-6,
          condition="≤ 1e-06", note="L2 error of the order-5 Volterra approximation")

which print one stable line,
``PASS volterra.fig06.error: ours 3.1e-07 · paper 5.65e-07 · ≤ 1e-06 — L2 error …``.
A claim whose condition fails is ``FAIL`` (and ``make test`` fails), unless the notebook states
why the paper's value is out of reach here (``gap="…"``): then it is a ``GAP``, shown as such on
the scorecard with its reason, the honest record of a known difference.
The line is the claim's only record: nbval compares it on every test run (the claims cell is
tagged ``nbval-check-output``) and :func:`read_claims` parses it back out of the executed
notebook for the scorecard page. Numbers are rounded by ``fmt`` so that the line does not
change between machines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

__all__ = ["Claim", "claim", "format_value", "parse_claim_line", "read_claims"]

_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_SEP = " · "
_LINE = re.compile(
    r"^(?P<status>PASS|FAIL|GAP) (?P<id>[a-z0-9_.]+): ours (?P<ours>.+?) · paper (?P<paper>.+?)"
    r" · (?P<condition>.+?)(?: — (?P<note>.+))?$"
)


@dataclass(frozen=True)
class Claim:
    """A reproduced number: its id, our value and the paper's (both already formatted)."""

    id: str
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
        """The one stable line printed for this claim."""
        text = f"{self.status} {self.id}: ours {self.ours}{_SEP}paper {self.paper}{_SEP}{self.condition}"
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
    ours: Any,
    paper: Any,
    holds: bool,
    condition: str,
    note: str = "",
    fmt: str = ".3g",
    gap: str = "",
) -> Claim:
    """Print and return one claim line.

    Parameters
    ----------
    id : str
        Dotted, lower-case, stable identifier ``<paper>.<notebook>.<what>``.
    ours, paper : number or str or None
        Our value and the paper's (``None`` when the paper gives no number).
    holds : bool
        Whether the claim's condition holds; decides PASS or FAIL.
    condition : str
        The condition in words or symbols, e.g. ``"≤ 1e-06"``.
    note : str
        What the number is, in a few words.
    fmt : str
        Format spec used to round both numbers so the line is stable across machines.
    gap : str
        Why the condition cannot hold here (e.g. the paper's scale does not fit the book's CPU):
        a claim that does not hold is then a ``GAP``, not a ``FAIL``. Ignored when it holds.
    """
    if not isinstance(id, str) or not _ID.match(id):
        raise ValueError(
            f"claim id {id!r} must be dotted lower-case words, e.g. 'volterra.fig06.error'"
        )
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(f"claim {id}: holds must be a bool, got {type(holds).__name__}")
    if not condition or "·" in condition or "—" in condition:
        raise ValueError(f"claim {id}: condition must be non-empty and contain no '·' or '—'")
    if "·" in gap or "\n" in gap:
        raise ValueError(f"claim {id}: gap must be one line without '·'")
    status = "PASS" if holds else ("GAP" if gap else "FAIL")
    if status == "GAP":
        note = f"{note}; gap: {gap}" if note else f"gap: {gap}"
    result = Claim(
        id=id,
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

    >>> parse_claim_line("PASS a.b: ours 1 · paper 2 · ≤ 3 — note").ours
    '1'
    """
    match = _LINE.match(line.strip())
    if match is None:
        return None
    return Claim(
        id=match["id"],
        status=match["status"],
        ours=match["ours"],
        paper=match["paper"],
        condition=match["condition"],
        note=match["note"] or "",
    )


def read_claims(notebook: Path | str) -> list[Claim]:
    """Every claim line printed in the stdout of an executed notebook, in order."""
    nb = nbformat.read(str(notebook), as_version=4)
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
