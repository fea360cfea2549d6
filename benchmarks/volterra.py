"""Proxy kernels in closed form vs the autograd baseline, for the paper's networks (Li et al., JMLR 2022).

Times ``cnnmath.proxy.proxy_kernels`` (the composition rules, layer by layer) against
``cnnmath.proxy.autograd_proxy_kernels`` (network output, Jacobian and Hessian / 2 at x = 0 by
``torch.autograd.functional``) for the order-1 and order-2 proxy kernels of

- the 1-D two-layer network ``g * σ(h * x)`` and three-layer ``f * σ(g * σ(h * x))`` (kernels of 9),
- the MNIST classifier's layers 1-3 (10 channels, 15×15 receptive field),

checks that both give the same kernels (float64) and prints the time ratio. Run:
``.venv/bin/python benchmarks/volterra.py [--repeats N] [--threads T]``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from cnnmath import proxy, volterra_nets


def best_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    """Smallest wall time of ``repeats`` calls (seconds) and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def networks() -> dict[str, tuple[list[proxy.ConvLayer], tuple[int, ...]]]:
    """The benchmarked networks as ConvLayer stacks with their receptive-field input shape."""
    gen = torch.Generator().manual_seed(0)
    h, g, f = (v / v.norm() for v in torch.randn(3, 9, generator=gen, dtype=torch.float64))
    layer = lambda k, act: proxy.ConvLayer(k[None, None], None, 1, act)  # noqa: E731
    torch.manual_seed(0)
    mnist = volterra_nets.SigmoidClassifier().double().proxy_layers(3)
    return {
        "1-D two-layer": ([layer(h, "sigmoid"), layer(g, None)], (1, 17)),
        "1-D three-layer": ([layer(h, "sigmoid"), layer(g, "sigmoid"), layer(f, None)], (1, 25)),
        "MNIST layers 1-3": (mnist, (1, 15, 15)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, best of {args.repeats}")
    print(f"{'network':<18} {'order':>5} {'closed form':>12} {'autograd':>10} {'ratio':>8} {'max |diff|':>10}")
    for name, (layers, shape) in networks().items():
        net = lambda v, layers=layers: proxy.apply_layers(layers, v[None])[0].flatten(1)[:, 0]  # noqa: E731
        for order in (1, 2):
            t_closed, closed = best_time(lambda: proxy.proxy_kernels(layers, order), args.repeats)
            t_auto, auto = best_time(lambda: proxy.autograd_proxy_kernels(net, shape, order), args.repeats)
            diff = max((a - b.reshape(a.shape)).abs().max().item() for a, b in zip(closed, auto))
            print(f"{name:<18} {order:>5} {t_closed * 1e3:>10.2f}ms {t_auto * 1e3:>8.1f}ms "
                  f"{t_auto / t_closed:>7.1f}x {diff:>10.1e}")


if __name__ == "__main__":
    main()
