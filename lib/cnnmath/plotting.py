"""The book's one figure style, used by every notebook."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt

__all__ = ["STYLE", "use_style"]

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.figsize": (6.4, 3.6),
    "figure.constrained_layout.use": True,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "font.size": 10,
}


def use_style() -> None:
    """Apply the book's matplotlib style (inline backend untouched, so figures show in the book)."""
    mpl.rcParams.update(STYLE)
    plt.rcParams["axes.prop_cycle"] = mpl.cycler(color=plt.get_cmap("tab10").colors)
