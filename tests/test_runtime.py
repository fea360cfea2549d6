"""The notebooks' run-time set-up: seeds and thread counts, including the thread override."""

import numpy as np
import pytest
import torch

from cnnmath import runtime


def test_seed_everything_is_reproducible_and_sets_threads(monkeypatch) -> None:
    monkeypatch.delenv("CNNMATH_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        a = runtime.seed_everything(7, threads=1).normal(size=3)
        assert torch.get_num_threads() == 1
        b = runtime.seed_everything(7, threads=1).normal(size=3)
        assert np.array_equal(a, b)
    finally:
        torch.set_num_threads(before)


def test_the_environment_overrides_the_thread_count(monkeypatch) -> None:
    before = torch.get_num_threads()
    monkeypatch.setenv("CNNMATH_THREADS", "1")
    try:
        runtime.seed_everything(0, threads=2)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_bad_thread_override_is_named(monkeypatch, value) -> None:
    monkeypatch.setenv("CNNMATH_THREADS", value)
    with pytest.raises(ValueError, match="CNNMATH_THREADS must be a positive integer"):
        runtime.seed_everything(0)


def test_bad_seeds_and_threads_are_named(monkeypatch) -> None:
    monkeypatch.delenv("CNNMATH_THREADS", raising=False)
    with pytest.raises(ValueError, match="seed must be"):
        runtime.seed_everything(-1)
    with pytest.raises(ValueError, match="threads must be"):
        runtime.seed_everything(0, threads=0)
