"""Proxy kernels in closed form vs the autograd baseline, for the paper's networks (Li et al., JMLR 2022).

Times ``cnnmath.volterra.proxy.proxy_kernels`` (the composition rules, layer by layer) against
``cnnmath.volterra.proxy.autograd_proxy_kernels`` (network output, Jacobian and Hessian / 2 at x = 0 by
``torch.autograd.functional``) for the order-1 and order-2 proxy kernels of

- the 1-D two-layer network ``g * σ(h * x)`` and three-layer ``f * σ(g * σ(h * x))`` (kernels of 9),
- the MNIST classifier's layers 1-3 (10 channels, 15×15 receptive field),

checks that both give the same kernels (float64) and prints the time ratio. Run:
``.venv/bin/python benchmarks/volterra.py [--repeats N] [--threads T]``.
"""

from __future__ import annotations

import argparse
import torch

from cnnmath.volterra import proxy, nets
from cnnmath.book.bench import best_time, record


def networks() -> dict[str, tuple[list[proxy.ConvLayer], tuple[int, ...]]]:
    """The benchmarked networks as ConvLayer stacks with their receptive-field input shape."""
    gen = torch.Generator().manual_seed(0)
    h, g, f = (v / v.norm() for v in torch.randn(3, 9, generator=gen, dtype=torch.float64))
    layer = lambda k, act: proxy.ConvLayer(k[None, None], None, 1, act)  # noqa: E731
    torch.manual_seed(0)
    mnist = nets.SigmoidClassifier().double().proxy_layers(3)
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
    rows = []
    for name, (layers, shape) in networks().items():
        net = lambda v, layers=layers: proxy.apply_layers(layers, v[None])[0].flatten(1)[:, 0]  # noqa: E731
        for order in (1, 2):
            closed = proxy.proxy_kernels(layers, order)
            auto = proxy.autograd_proxy_kernels(net, shape, order)
            diff = max((a - b.reshape(a.shape)).abs().max().item() for a, b in zip(closed, auto))
            t_closed = best_time(lambda: proxy.proxy_kernels(layers, order), args.repeats)
            t_auto = best_time(lambda: proxy.autograd_proxy_kernels(net, shape, order), args.repeats)
            rows.append([name, order, t_closed * 1e3, t_auto * 1e3, t_auto / t_closed, f"{diff:.1e}"])
    record(
        "volterra", "Volterra: proxy kernels in closed form vs autograd",
        ["network", "order", "closed form (ms)", "autograd (ms)", "speed-up", "max abs diff"], rows,
        summary="The composition rules (`proxy.proxy_kernels`) against the network's Jacobian and"
                " Hessian/2 at 0 by `torch.autograd.functional` (`proxy.autograd_proxy_kernels`), same"
                f" kernels; best of {args.repeats}, {args.threads} torch threads.",
    )

if __name__ == "__main__":
    main()
