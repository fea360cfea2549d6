"""Shared fixtures: a toy project (two notebook sources and their catalogue) in tmp_path, and the
HTML book built once per test session."""

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from cnnmath.book.assets import install_mathjax
from cnnmath.book.catalog import repo_root
from cnnmath.book.stage import build

TOY_SOURCE = '''# %% tags=["parameters"]
seed = 0
device = "cpu"
scale = 1.5
n = 3
label = "toy"
flag = False
fail = False

# %% [markdown]
# # Fig. 1 — a toy figure

# %%
from cnnmath.book.claims import claim
if fail:
    raise RuntimeError("the toy notebook was asked to fail")
value = scale * n

# %% tags=["nbval-check-output"]
claim("toy.fig01.value", kind="check", ours=value, paper=4.5, holds=value == 4.5, condition="= 4.5", note=label)
'''

TOY_YAML = '''paper: toy
title: A toy chapter
notebooks:
  fig01_value:
    reproduces: Figure 1
    status: reproduced
    profiles:
      smoke: {n: 1}
      book: {}
      paper: {n: 30, label: big}
  fig02_other:
    reproduces: Figure 2
    status: scaled-down
    profiles: {}
'''


def make_project(root: Path, yaml_replace: tuple[str, str] = ("", ""), first_cell: str | None = None) -> Path:
    """A minimal project in ``root``: two notebook sources and their catalogue.

    ``yaml_replace`` edits the catalogue text; ``first_cell`` replaces the parameters cell.
    """
    yaml_text = TOY_YAML.replace(*yaml_replace) if yaml_replace[0] else TOY_YAML
    source = TOY_SOURCE if first_cell is None else first_cell + TOY_SOURCE.split("\n\n", 1)[1]
    (root / "nbsrc" / "toy").mkdir(parents=True)
    (root / "nbsrc" / "toy" / "fig01_value.py").write_text(source)
    (root / "nbsrc" / "toy" / "fig02_other.py").write_text(source)
    profiles = root / "lib" / "cnnmath" / "book" / "profiles"
    profiles.mkdir(parents=True)
    (profiles / "order.txt").write_text("toy\n")
    (profiles / "toy.yaml").write_text(yaml_text)
    return root


@pytest.fixture
def make_toy() -> Callable[..., Path]:
    """The factory :func:`make_project`."""
    return make_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


@pytest.fixture(scope="session")
def html(tmp_path_factory) -> Path:
    """The committed book, staged (verdicts and provenance under each title) and built by Jupyter
    Book with warnings as errors (``-W -n``); its HTML folder."""
    root = repo_root()
    install_mathjax(root / "_assets" / "mathjax")
    tmp = tmp_path_factory.mktemp("book")
    return build(root, root / "book", tmp / "out", dest=tmp / "stage")


@pytest.fixture
def float64_default():
    """Float64 as torch's default dtype for one test, restored after it (no leak into other modules)."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)
