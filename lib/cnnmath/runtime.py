"""Run-time set-up shared by every notebook: seeds, threads and devices, passed in explicitly."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

__all__ = ["resolve_device", "seed_everything"]


def seed_everything(seed: int, threads: int = 2) -> np.random.Generator:
    """Seed Python, NumPy and torch, fix torch's CPU thread count, return a NumPy generator.

    The thread count is fixed because torch's CPU reductions give different low bits for
    different thread counts; 2 matches the project's machines and CI. ``$CNNMATH_THREADS``, when
    set, replaces ``threads`` for the whole run: it exists to check that no checked output depends
    on the thread count (the notebooks' verdicts are re-derived with another one).
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    env = os.environ.get("CNNMATH_THREADS")
    if env is not None:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"CNNMATH_THREADS must be a positive integer, got {env!r}")
        threads = int(env)
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    return np.random.default_rng(seed)


def resolve_device(device: str) -> torch.device:
    """``torch.device(device)``, with a clear error when that device is not available here.

    >>> resolve_device("cpu")
    device(type='cpu')
    """
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available; use device='cpu'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {device!r} requested but MPS is not available; use device='cpu'")
    return dev
