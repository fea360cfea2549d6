"""The book's one figure style, used by every notebook, sized for the page so text stays legible
from a 390 px phone to a desktop.

A figure's text shrinks with the figure: the book scales every image to the width of its text
column, so a label of ``s`` points in a figure ``w`` inches wide renders at

.. math::

    h_{px} = \\frac{s}{72} \\cdot \\frac{P}{w},

where ``P`` is the column's width in CSS pixels (342 px on a 390 px phone, measured in the
book). Text stays at or above :data:`MIN_TEXT_PX` (7 px) on a phone only if figures are at most
:data:`TEXT_WIDTH` inches wide with the font sizes below (9 pt is the smallest), which is why
:func:`subplots` takes its width from the page, not from the caller. Images are drawn at
:data:`DPI` logical dots per inch and stored at twice that ("retina" PNG), so they are sharp on
high-density screens, and displayed at their logical size in Jupyter.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = [
    "DPI",
    "MIN_TEXT_PX",
    "PHONE_COLUMN_PX",
    "STYLE",
    "TEXT_WIDTH",
    "min_text_px",
    "subplots",
    "use_style",
]

TEXT_WIDTH = 6.0
"""Width (inches) of a full-width figure: the book's text column at 100 logical dpi (600 px)."""
DPI = 100
"""Logical dots per inch; the stored PNG has twice as many ("retina")."""
PHONE_COLUMN_PX = 342
"""Width (CSS px) of the text column on a 390 px wide phone."""
MIN_TEXT_PX = 7.0
"""Smallest rendered text height (CSS px) the book accepts on that phone."""

STYLE = {
    "figure.dpi": DPI,
    "savefig.dpi": 2 * DPI,
    "figure.figsize": (TEXT_WIDTH, 3.6),
    "figure.constrained_layout.use": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # sizes for a TEXT_WIDTH-wide figure: 9 pt renders at 7.1 px in a 342 px phone column
    "font.size": 10,
    "axes.titlesize": 10.5,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "figure.titlesize": 11,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style, and retina PNG output where an IPython kernel runs.

    Examples
    --------
    >>> use_style()
    >>> plt.rcParams["xtick.labelsize"] >= 9
    True
    """
    mpl.rcParams.update(STYLE)
    plt.rcParams["axes.prop_cycle"] = mpl.cycler(color=plt.get_cmap("tab10").colors)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # no IPython: a script or a test
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def subplots(nrows: int = 1, ncols: int = 1, *, aspect: float | None = None, width: float = 1.0,
             **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` with the figure as wide as the text column (or a fraction ``width`` of it).

    The height is ``aspect`` times the width of one panel times ``nrows`` (default: square panels
    for grids of images, 0.6 for a single plot).

    Examples
    --------
    >>> fig, axes = subplots(1, 3)
    >>> bool(fig.get_size_inches()[0] == TEXT_WIDTH)
    True
    >>> plt.close(fig)
    """
    if not 0 < width <= 1:
        raise ValueError(f"width is the fraction of the text column, in (0, 1], got {width!r}")
    if "figsize" in kwargs:
        raise ValueError("figsize is chosen from the page width; pass width= or aspect= instead")
    fig_width = TEXT_WIDTH * width
    if aspect is None:
        aspect = 0.6 if nrows == ncols == 1 else 1.0
    height = fig_width / ncols * aspect * nrows
    return plt.subplots(nrows, ncols, figsize=(fig_width, height), **kwargs)


def min_text_px(fig: Figure, column_px: float = PHONE_COLUMN_PX) -> float:
    """Height (CSS px) of the smallest visible text of ``fig`` once scaled to a ``column_px`` column.

    :math:`\\min_t s_t / 72 \\cdot \\min(P, 100\\,w) / w` over the figure's texts (tick labels,
    labels, titles, legends, annotations), with ``s_t`` in points and ``w`` the width in inches; a
    figure narrower than the column is not enlarged past its logical size.

    Examples
    --------
    >>> fig, ax = subplots()
    >>> _ = ax.set_xlabel("x")
    >>> bool(min_text_px(fig) >= MIN_TEXT_PX)
    True
    >>> plt.close(fig)
    """
    fig.canvas.draw()  # creates the tick labels the figure will show
    width_in = fig.get_size_inches()[0]
    shown = min(column_px, DPI * width_in)
    sizes = [t.get_fontsize() for t in fig.findobj(mpl.text.Text) if t.get_visible() and t.get_text().strip()]
    if not sizes:
        return float("inf")
    return min(sizes) / 72 * shown / width_in
