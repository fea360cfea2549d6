"""Reverse-engineering a ReLU network from queries (Rolnick & Kording, ICML 2020): the whole pipeline.

Everything works through an :class:`~cnnmath.relu.oracle.Oracle` (``x ↦ N(x)``, counted); nothing
reads weights. The stages, one module each:

- :mod:`cnnmath.relu.oracle` — the counting oracle, the projection ``g = r·N`` and the
  piecewise-linearity check;
- :mod:`cnnmath.relu.linesearch` — ``PointsOnLine`` (Algorithm 1): kinks along a segment;
- :mod:`cnnmath.relu.hyperplanes` — ``InferHyperplane`` and ``TestHyperplane``;
- :mod:`cnnmath.relu.layer1` — Algorithm 1, the first layer;
- :mod:`cnnmath.relu.layer2` — Algorithm 2 for the second layer (following bent boundaries; the
  neuron model in :mod:`cnnmath.relu.neuron`, the weight reading in :mod:`cnnmath.relu.crossings`);
- :mod:`cnnmath.relu.layer3` — Algorithm 2 once more for a third hidden layer (on the features of
  the known layers 1 and 2; it also gives the signs of layer 2);
- :mod:`cnnmath.relu.output` — signs and the output layer by least squares;
- :mod:`cnnmath.relu.refine` — a complete network refined as a whole by Gauss–Newton steps on the
  answers the oracle kept (no queries): the last digits of every parameter;
- :func:`extract` (here) — all of it, with the architecture read off on the way, and an honest
  verdict: :attr:`Extraction.complete` is True only when every neuron found was completed and the
  recovered network explains the outputs at three input scales; otherwise
  :attr:`Extraction.problems` says which layer, how many neurons and why.

Neurons whose boundary random lines seldom cross are sought where the recovered neurons fail to
explain the outputs (``_misfit``, a trimmed least squares that needs no sign, and
``_answered_misfit``, the oracle's own answers that the recovered network misfits): lines from an
input they miss to the nearest one they explain cross the missing boundary (``_aimed_points``).

A layer-2 neuron active on nearly every input leaves no layer-3 boundary that the known layers can
fit; the layer-3 boundaries are then followed on the direct features ``[|û|, ReLU(h), 1]`` and the
inputs where those fits fail aim the lines at it (``_complete_missing``).

Conventions: recovered layer-1 rows are unit vectors ``ŵ_i`` with bias ``b̂_i`` (the positive
scale is free); ``h_i(x) = ŵ_i·x + b̂_i`` is then the signed distance to ``B_i``. Float64 throughout.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from cnnmath.relu.layer1 import FirstLayer, deeper_points, first_layer
from cnnmath.relu.layer2 import fill_from_slope, second_layer
from cnnmath.relu.layer3 import (
    DirectNeuron,
    KnownLayers,
    Layer3Neuron,
    cross_weight,
    densify,
    direct_features,
    direct_layer,
    direct_misses,
    fit_neuron,
    layer2_like,
    layer2_signs,
    on_boundary3,
    refit_signed,
    seek_weight,
    third_layer,
)
from cnnmath.relu.linesearch import kink_near, points_on_line
from cnnmath.relu.nets import ReLUNet
from cnnmath.relu.neuron import Layer2Neuron, on_boundary
from cnnmath.relu.oracle import (
    Oracle,
    OracleError,
    QueryBudgetExceeded,
    ScalarView,
    check_piecewise_linear,
)
from cnnmath.relu.output import final_layer, final_layer_affine, resolve_signs
from cnnmath.relu.refine import refine

__all__ = ["Extraction", "extract"]


@dataclass
class Extraction:
    """What :func:`extract` recovered, what it cost, and whether it is complete.

    Attributes
    ----------
    net : ReLUNet or None
        The recovered network (from the complete neurons only when ``complete`` is False; None
        when not even that could be built); when complete, refined as a whole on the answers the
        oracle kept (:func:`~cnnmath.relu.refine.refine`, no queries).
    first : FirstLayer or None
    neurons : list of Layer2Neuron
        Accepted layer-2 neurons; incomplete ones have ``complete == False`` and a ``status``.
    architecture : tuple of int
        Inferred ``(n_in, n_1[, n_2[, n_3]], n_out)``; ``n_2``, ``n_3`` count complete neurons only.
    n_unexplained : int
        Boundary points explained by no recovered neuron (evidence of deeper layers or of neurons
        that could not be completed).
    n_rejected : int
        Boundaries followed as layer-2 neurons and rejected: they bent off the layer-2 prediction
        or were not where predicted far away (evidence of a deeper layer).
    queries : dict
        Queries per stage: ``layer1``, ``layer2`` (with the output-layer fits of a two-layer net),
        ``layer3`` (three hidden layers, with their output-layer fits), ``output`` (one-hidden-layer
        nets), ``total`` (including the piecewise-linearity check and the output width).
    output_residual : float
        The larger of the final least squares' relative residual, the relative error of the
        recovered network on 1000 fresh inputs at each of three scales (10 000 with three hidden
        layers, whose neurons can be active on a sliver of the inputs) and its relative error on
        the answers the oracle kept of the run's own queries where that exceeds ``ANSWERED_TOL``
        (no new queries; a missing neuron); ≈ 0 when complete.
    complete : bool
        True only when nothing below went wrong.
    problems : list of str
        One line per reason the extraction is not complete (layer, how many neurons, why).
    neurons3 : list of Layer3Neuron
        Accepted layer-3 neurons (three hidden layers); incomplete ones have ``complete == False``.
    always_active : int
        Layer-3 neurons of ``net`` never seen inactive, so never seen as a boundary: placed up to
        functional equivalence (``_assemble3`` with ``fold``; their parameters, their number
        beyond one per output direction and the layer-3 signs are then not identifiable from the
        queries). Counted in ``architecture``; 0 when there are none.
    """

    net: ReLUNet | None
    first: FirstLayer | None
    neurons: list[Layer2Neuron]
    architecture: tuple[int, ...]
    n_unexplained: int
    n_rejected: int = 0
    queries: dict[str, int] = field(default_factory=dict)
    output_residual: float = float("nan")
    complete: bool = False
    problems: list[str] = field(default_factory=list)
    neurons3: list[Layer3Neuron] = field(default_factory=list)
    always_active: int = 0


def extract(
    oracle: Oracle,
    rng: np.random.Generator,
    *,
    n_lines: int | None = None,
    radius: float = 10.0,
    layers: int = 3,
    max_points: int | None = None,
    extra_rounds: int = 3,
    out_tol: float = 1e-9,
    progress: bool = False,
) -> Extraction:
    """Reverse-engineer a ReLU network with one, two or three hidden layers from queries.

    Algorithm 1 gives layer 1. If every boundary point lies on a layer-1 hyperplane the network
    has one hidden layer; otherwise (and if ``layers ≥ 2``) Algorithm 2 gives layer 2, the bends
    give the layer-1 signs, and :func:`~cnnmath.relu.output.final_layer` the rest. Boundaries
    that bend where no layer-2 neuron can are rejected as layer-2 neurons; when the layer-2
    network does not explain the outputs (and ``layers = 3``), Algorithm 2 runs once more on the
    features of the known layers (:func:`~cnnmath.relu.layer3.third_layer`), which also gives the
    signs of layer 2, and :func:`~cnnmath.relu.output.final_layer` fits the output on layer 3.
    Lines aimed where the recovered network misfits the oracle's own answers find neurons active on
    a sliver of the inputs; the points of those lines that no layer-3 neuron explains are tried as
    layer-2 points, and layer 3 runs again when a layer-2 neuron is so completed (up to twice, and
    not more often than ``extra_rounds``). A
    layer-3 neuron never inactive on the inputs seen has no boundary to follow: it is placed up to
    functional equivalence from the part of the output linear in the layer-2 activations, and
    counted in :attr:`Extraction.always_active`.
    Whatever stays unexplained (a neuron not completed, a fourth layer) is reported in
    ``problems`` and the result is flagged incomplete. A
    :class:`~cnnmath.relu.oracle.QueryBudgetExceeded` of the oracle stops the run with the partial
    result, flagged.

    Parameters
    ----------
    oracle : Oracle
    rng : numpy Generator
    n_lines : int, optional
        Lines for Algorithm 1; default ``8 + 2·⌈log₂ n_in⌉``.
    radius : float
        Half-length of the lines (input scale).
    layers : {1, 2, 3}
        The deepest hidden layer sought (``1``: only the first layer and, for one hidden layer, the
        output).
    max_points : int, optional
        Cap on the ``P_2`` points used by Algorithm 2 in its first round.
    extra_rounds : int
        Rounds of ``n_lines`` further random lines, and up to ``n_lines`` lines aimed where the
        recovered neurons miss the outputs, searched for layer-2 boundary points while some neuron
        is incomplete or the recovered network does not explain the outputs.
    out_tol : float
        The outputs are explained when the final least squares has relative residual ≤ this.
    progress : bool
        Print one line per stage (queries so far) to stderr.

    Examples
    --------
    >>> from cnnmath.relu.nets import random_relu_net
    >>> net = random_relu_net((4, 6, 2), np.random.default_rng(1))
    >>> ex = extract(Oracle(net, 4), np.random.default_rng(0))
    >>> ex.architecture, ex.complete
    ((4, 6, 2), True)
    """
    if layers not in (1, 2, 3):
        raise ValueError(f"layers must be 1, 2 or 3, got {layers!r}")
    if radius <= 0:
        raise ValueError(f"radius must be > 0, got {radius!r}")
    if n_lines is not None and n_lines < 1:
        raise ValueError(f"n_lines must be a positive int or None, got {n_lines!r}")

    def say(stage: str) -> None:
        if progress:
            print(f"extract: {stage} ({oracle.n_queries} queries)", file=sys.stderr, flush=True)

    g = ScalarView(oracle, rng)
    check_piecewise_linear(g, rng)
    n_lines = n_lines or 8 + 2 * int(np.ceil(np.log2(oracle.n_in)))
    n_out = g.r.shape[0]
    ex = Extraction(None, None, [], (oracle.n_in, 0, n_out), 0)
    try:
        _run(ex, oracle, g, rng, n_lines, radius, layers, max_points, extra_rounds, out_tol, say)
    except QueryBudgetExceeded as err:
        ex.problems.append(f"stopped early: {err}; the result is partial")
    ex.queries["total"] = oracle.n_queries
    ex.complete = not ex.problems and ex.net is not None
    if ex.complete:  # the last digits, from the answers already kept (no queries)
        ex.net = refine(ex.net, *oracle.answered(), rng)
    say("done" if ex.complete else "incomplete: " + "; ".join(ex.problems))
    return ex


def _run(ex: Extraction, oracle: Oracle, g: ScalarView, rng: np.random.Generator, n_lines: int,
         radius: float, layers: int, max_points: int | None, extra_rounds: int, out_tol: float,
         say) -> None:
    """The stages of :func:`extract`, filling ``ex`` as they go (so a stopped run keeps its part)."""
    start = oracle.n_queries
    first = first_layer(g, rng, n_lines=n_lines, radius=radius)
    if len(first.biases) == 0:
        raise OracleError(f"no boundary found on {n_lines} lines of half-length {radius}:"
                          " the oracle looks affine there; try a larger radius")
    ex.first = first
    ex.queries["layer1"] = oracle.n_queries - start
    w1, b1 = first.weights, first.biases
    n_out = g.r.shape[0]
    ex.architecture = (oracle.n_in, len(b1), n_out)
    say(f"layer 1: {len(b1)} neurons, {len(first.deeper_points)} deeper boundary points")
    if first.deeper_points and layers == 1:
        ex.n_unexplained = len(first.deeper_points)
        ex.problems.append(f"{ex.n_unexplained} boundary points are on deeper layers, which"
                           " layers=1 does not extract")
        return
    if not first.deeper_points:
        q0 = oracle.n_queries
        out = final_layer_affine(oracle, w1, b1, rng, scale=radius / 3)
        ex.queries["output"] = oracle.n_queries - q0
        if out is None:
            ex.problems.append(f"output layer: {len(b1)} hidden neurons > n_in · n_out ="
                               f" {oracle.n_in * n_out}, too wide for the least-squares signs")
            return
        signs, a, d, res = out
        ex.net = ReLUNet((signs[:, None] * w1, a), (signs * b1, d))
        res = max(res, _answered_error(oracle, ex.net))
        ex.output_residual = res
        if res > out_tol:
            ex.problems.append(f"output layer: relative residual {res:.1e} > {out_tol:g}; the"
                               " function is not a one-hidden-layer ReLU network on the found hyperplanes")
        return
    q0 = oracle.n_queries
    neurons: list[Layer2Neuron] = []
    ex.neurons = neurons
    unexplained: list[np.ndarray] = []
    points = first.deeper_points[:max_points]
    res = float("inf")
    aimed: list[np.ndarray] = []
    rejected: list[Layer2Neuron] = []
    for round_ in range(extra_rounds + 1):
        if round_:  # the points left unexplained are tried again, with those of aimed and fresh lines
            points = unexplained + aimed + deeper_points(g, first, rng, n_lines=n_lines, radius=radius)
            unexplained = []
        neurons, more = second_layer(g, first, rng, radius=radius, points=points, neurons=neurons,
                                     rejected=rejected)
        fill_from_slope(g, first, neurons, rng, radius=radius)
        # a neuron started before its twin was completed: its p1 lies on the twin's boundary
        done = [z for z in neurons if z.complete]
        neurons[:] = [z for z in neurons
                      if z.complete or not any(on_boundary(z.p1, c, w1, b1) for c in done)]
        unexplained += more
        ex.neurons = neurons
        ex.net, res = _assemble(oracle, first, neurons, rng, radius)
        if ex.net is not None:
            res = max(res, _validate(oracle, ex.net, rng, radius))
        aimed = []
        if res > out_tol and round_ < extra_rounds:
            x, outlier = _misfit(oracle, _layer2_design(first, neurons), rng, radius)
            aimed = _aimed_points(g, x, outlier, n_lines,
                                  lambda q: np.min(np.abs(w1 @ q + b1)) > 1e-8 * (1 + np.linalg.norm(q)))
        ex.output_residual = res
        unexplained = [p for p in unexplained if np.min(np.abs(w1 @ p + b1)) > 1e-8 * (1 + np.linalg.norm(p))
                       and not any(on_boundary(p, z, w1, b1) for z in neurons)
                       and not _explained_nearby(g, p, first, neurons)]
        ex.queries["layer2"] = oracle.n_queries - q0
        done = [z for z in neurons if z.complete]
        say(f"layer 2, round {round_}: {len(done)} complete neurons, residual {res:.1e}")
        if done and len(done) == len(neurons) and res <= out_tol and not unexplained:
            break
    ex.architecture = (oracle.n_in, len(b1), sum(z.complete for z in neurons), n_out)
    ex.n_rejected = len(rejected)
    if res > out_tol and layers == 3 and any(z.complete for z in neurons):
        starts = unexplained + [z.p1 for z in neurons + rejected if not z.complete or z.status]
        net2 = ex.net
        passes = 1 + min(2, extra_rounds)
        direct = True  # once: no layer-3 neuron at all may mean a layer-2 neuron never inactive near lines
        for pass_ in range(passes):
            problems = list(ex.problems)
            found, left = _run3(ex, oracle, g, rng, first, neurons, starts, n_lines, radius, extra_rounds,
                                out_tol, say)
            if not found and direct and pass_ < passes - 1:  # layer 3 must run again on what it gives
                direct = False
                n_done = sum(z.complete for z in neurons)
                neurons = _complete_missing(oracle, g, rng, first, neurons, rejected, starts + left, n_lines,
                                            radius)
                ex.neurons, ex.n_rejected = neurons, len(rejected)
                if sum(z.complete for z in neurons) > n_done:
                    say(f"layer 2 from the direct fits: {sum(z.complete for z in neurons)} complete neurons")
                    ex.problems = problems
                    continue
            if not found:
                break
            if not ex.problems or pass_ == passes - 1:
                return
            # the points no layer-3 neuron explains (lines aimed where the network misfits its answers)
            # may lie on a layer-2 neuron active on a sliver of the inputs: Algorithm 2 for layer 2
            # on them, and layer 3 once more on the known layers with each one completed
            n_done = sum(z.complete for z in neurons)
            neurons, _ = second_layer(g, first, rng, radius=radius, points=left, neurons=neurons, rejected=rejected)
            fill_from_slope(g, first, neurons, rng, radius=radius)
            done = [z for z in neurons if z.complete]
            neurons[:] = [z for z in neurons
                          if z.complete or not any(on_boundary(z.p1, c, w1, b1) for c in done)]
            ex.neurons = neurons
            ex.n_rejected = len(rejected)
            if len(done) == n_done:
                return
            say(f"layer 2 again: {len(done)} complete neurons")
            ex.problems = problems
            starts = left + starts
        else:
            return
        ex.net, ex.output_residual, ex.neurons3, ex.always_active = net2, res, [], 0  # no layer 3: report layer 2
    ex.n_unexplained = len(unexplained)
    ex.problems += _layer2_problems(neurons, res, out_tol)
    if unexplained:
        ex.problems.append(f"layer 2: {len(unexplained)} boundary points lie on no recovered neuron"
                           " (a neuron that could not be completed, or a deeper layer)")
    if rejected and ex.problems:  # when the rest is explained, a rejected boundary was a misread
        ex.problems.append(f"layer 3: {len(rejected)} boundaries bend where no layer-2 neuron can"
                           " (off the layer-2 prediction near a crossing, or not where predicted far"
                           " away): a deeper layer, which is not extracted")


def _complete_missing(oracle: Oracle, g: ScalarView, rng: np.random.Generator, first: FirstLayer,
                      neurons: list[Layer2Neuron], rejected: list[Layer2Neuron], starts: list[np.ndarray],
                      n_lines: int, radius: float, coverage: tuple[float, ...] = (0.5, 0.2)
                      ) -> list[Layer2Neuron]:
    """Layer-2 neurons missing from the known layers, found through layer 3 (when :func:`_run3` finds
    no layer-3 neuron: every boundary it follows depends on a missing ``u_m``).

    A layer-2 neuron active on nearly every input (its boundary far out, so no random line meets
    it) is linear in the layer-1 activations wherever it is active, ``u_m = V·ReLU(h) + b``: the
    layer-3 boundaries are followed with fits on ``D = [|û|, ReLU(h), 1]``
    (:func:`~cnnmath.relu.layer3.direct_layer`). Since ``ReLU(v) = (v + |v|)/2``, the output
    ``N = Σ_t a_t ReLU(v_t) + d`` then lies in the span of ``[|v̂_t|, D]`` (no sign needed) wherever
    every missing neuron is in its usual state, and :func:`_misfit` finds the inputs where it does
    not. A fit with unknown entries is exact only where the signs its points saw hold
    (:meth:`~cnnmath.relu.layer3.DirectNeuron.valid`), and a boundary left out of the design spoils
    the fit wherever it is crossed: for each ``c`` in ``coverage`` the fits are taken most often exact
    first while the inputs where every one taken is exact remain at least a fraction ``c`` of a
    Gaussian pool (zero queries), and the misfit is fitted on such inputs alone (``1000/c`` per scale).
    Each fit is also tested far out on its own (:func:`~cnnmath.relu.layer3.direct_misses`): a
    predicted point of ``B_t`` with no kink is one where a missing neuron is not in its usual state,
    which needs only that fit to be exact there. Lines from the outliers and the missed predictions
    to the nearest explained input (or kept prediction) cross the missing boundaries
    (:func:`_aimed_points`, ``8 n_lines`` of each; kinks on a known boundary or on a followed
    layer-3 boundary dropped). A layer-3 boundary no walk had followed can look like a layer-2 one
    where it is hit, so the kinks are followed with the direct fit first and those on a fit with a
    ``|û_z|`` part are dropped (:func:`~cnnmath.relu.layer3.layer2_like`; the missing neuron's own
    boundary fits with none); Algorithm 2 for layer 2 (:func:`~cnnmath.relu.layer2.second_layer`,
    :func:`~cnnmath.relu.layer2.fill_from_slope`) follows the rest. Returns the layer-2 neurons
    (``neurons`` extended)."""
    known = _known_layers(first, neurons)
    w1, b1 = first.weights, first.biases
    off_known = lambda q: known.distance(q) > 1e-8 * (1 + np.linalg.norm(q))  # noqa: E731
    fits = direct_layer(g, known, [p for p in starts if off_known(p)], rng, radius=radius)
    pool = np.concatenate([s * rng.normal(size=(2000, oracle.n_in)) for s in (1.0, radius / 3, radius)])
    masks = [y.valid(known, pool) for y in fits]
    order = np.argsort([-m.mean() for m in masks], kind="stable")
    aimed: list[np.ndarray] = []
    for c in coverage:
        kept: list[DirectNeuron] = []
        exact = np.ones(len(pool), dtype=bool)
        for i in order:
            if (exact & masks[i]).mean() >= c:
                kept.append(fits[i])
                exact &= masks[i]
        if not kept:
            continue
        design = lambda x, kept=kept: np.column_stack([np.abs(y.values(known, x)) for y in kept]  # noqa: E731
                                                      + [direct_features(known, x)])
        x, outlier = _misfit(oracle, design, rng, radius, size=int(1000 / c),
                             rows=lambda x, kept=kept: np.all([y.valid(known, x) for y in kept], axis=0))
        aimed += _aimed_points(g, x, outlier, 8 * n_lines,
                               lambda q: off_known(q) and not any(on_boundary3(known, y, q) for y in fits))
    # the fits' own predictions far out: where one has no kink the missing neuron is inactive
    y, bad = direct_misses(g, known, fits, rng, radius=radius)
    aimed += _aimed_points(g, y, bad, 8 * n_lines,
                           lambda q: off_known(q) and not any(on_boundary3(known, y, q) for y in fits))
    # a layer-3 boundary that no walk followed may look like a layer-2 one where it was hit: followed
    # with the direct fit first, the points on a fit with a |û_z| part are left out
    direct_layer(g, known, aimed, rng, radius=radius, found=fits)
    third = [y for y in fits if not layer2_like(y, len(known.c))]
    aimed = [q for q in aimed if not any(on_boundary3(known, y, q) for y in third)]
    if not aimed:
        return neurons
    neurons, _ = second_layer(g, first, rng, radius=radius, points=aimed, neurons=neurons, rejected=rejected)
    fill_from_slope(g, first, neurons, rng, radius=radius)
    done = [z for z in neurons if z.complete]
    neurons[:] = [z for z in neurons if z.complete or not any(on_boundary(z.p1, c, w1, b1) for c in done)]
    return neurons


def _layer2_problems(neurons: list[Layer2Neuron], res: float, out_tol: float) -> list[str]:
    """Why a two-layer extraction is not complete, one line per reason."""
    out = []
    todo = [z for z in neurons if not z.complete]
    if todo:
        unknown = sum(int(np.sum(~np.isfinite(z.m))) for z in todo)
        reasons = sorted({z.status or "not finished" for z in todo})
        out.append(f"layer 2: {len(todo)} neurons incomplete ({unknown} weights unknown): "
                   + "; ".join(reasons))
    if not any(z.complete for z in neurons):
        out.append("layer 2: no complete neuron, so no network could be assembled")
    elif res > out_tol:
        out.append(f"output: the recovered layers leave a relative residual {res:.1e} > {out_tol:g}"
                   " (neurons missing, or a deeper layer that is not extracted)")
    return out


def _explained_nearby(g: ScalarView, p: np.ndarray, first: FirstLayer, neurons: list[Layer2Neuron],
                      reach: float = 1e-3) -> bool:
    """Whether ``p``, on no recovered boundary, is a blurred kink of one that is.

    Two boundaries closer than the precision of ``points_on_line`` can give a point between them.
    The recovered boundary that passes nearest (within ``reach``; a layer-1 hyperplane ``B_i`` or a
    layer-2 ``B_z``) gives a short segment through ``p`` along its normal, twice as long as the
    distance; True when ``points_on_line`` finds kinks on it and every one lies on a layer-1
    hyperplane or a recovered ``B_z``, or when ``kink_near`` finds a single kink there (window
    ``4·dist``; a second kink, such as one at ``p`` itself, gives none) on one of them.
    """
    w1, b1 = first.weights, first.biases
    near = list(zip(np.abs(w1 @ p + b1), w1))
    for z in neurons:
        val, grad, known = z.value(p, w1, b1)
        if known:
            near.append((abs(val) / np.linalg.norm(grad), grad / np.linalg.norm(grad)))
    if not near or min(near, key=lambda t: t[0])[0] > reach:
        return False
    dist, unit = min(near, key=lambda t: t[0])
    known = lambda q: (np.min(np.abs(w1 @ q + b1)) <= 1e-8 * (1 + np.linalg.norm(q))  # noqa: E731
                       or any(on_boundary(q, z, w1, b1) for z in neurons))
    a, b = p - (2 * dist + 1e-9) * unit, p + (2 * dist + 1e-9) * unit
    kinks = a + points_on_line(g, a, b)[:, None] * (b - a)
    if len(kinks) > 0 and all(known(q) for q in kinks):
        return True
    # on so short a segment the search may place a kink a little off (its noise floor scales with
    # |p|/length): the single kink within 2·dist of p, located exactly, on a recovered boundary
    s = kink_near(g, p[None, :], unit[None, :], 4 * dist + 1e-9)[0]
    return bool(np.isfinite(s) and known(p + s * unit))


def _validate(oracle: Oracle, net: ReLUNet, rng: np.random.Generator, radius: float,
              n: int = 1000) -> float:
    """``max |N − N̂| / max |N|`` on ``n`` fresh ``N(0, s² I)`` inputs at each scale
    ``s ∈ {1, radius/3, radius}`` (queries counted; each scale relative to its own ``max |N|``): a
    neuron active only where the output fit had no point shows here. The larger of that and
    :func:`_answered_error`."""
    x, y = _sample(oracle, rng, radius, n)
    err = np.max(np.abs(net(x) - y), axis=1) / _scale_of(y, n)
    return max(float(err.max()), _answered_error(oracle, net))


ANSWERED_TOL = 1e-6  # misfit on the run's own answers that reveals a missing neuron (see _answered_error)


def _answered_error(oracle: Oracle, net: ReLUNet) -> float:
    """``max |N − N̂| / max |N|`` over the answers the oracle kept (:meth:`Oracle.answered`, every
    query of the run or a uniform sample of them), ``max |N|`` taken per octave of ``‖x‖``; 0 when
    it is at most :data:`ANSWERED_TOL`.

    No new queries: a neuron active on a sliver of the inputs that the fresh inputs missed is often
    crossed by the search lines, whose answers the recovered network must reproduce too. A missing
    neuron misfits them by its whole contribution (10⁻⁵ and more where seen); misfits below
    ``ANSWERED_TOL`` are the recovered parameters' rounding (about 10⁻⁹ at 27 bits), which the
    fresh inputs already judge.
    """
    rel = _answered_relative_errors(oracle, net)[1]
    if len(rel) == 0:
        return 0.0
    err = float(rel.max())
    return err if err > ANSWERED_TOL else 0.0


def _answered_relative_errors(oracle: Oracle, net: ReLUNet) -> tuple[np.ndarray, np.ndarray]:
    """The answers the oracle kept (:meth:`Oracle.answered`) and, per answer,
    ``max |N − N̂| / max |N|``, ``max |N|`` taken per octave of ``‖x‖``."""
    x, y = oracle.answered()
    if len(x) == 0:
        return x, np.zeros(0)
    octave = np.floor(np.log2(np.linalg.norm(x, axis=1) + 1e-300))
    _, group = np.unique(octave, return_inverse=True)
    peak = np.zeros(group.max() + 1)
    np.maximum.at(peak, group, np.abs(y).max(axis=1))
    return x, np.abs(net(x) - y).max(axis=1) / (peak[group] + 1e-300)


def _answered_misfit(oracle: Oracle, net: ReLUNet, rng: np.random.Generator, n_max: int = 20_000
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The answers the oracle kept (:meth:`Oracle.answered`, no new queries) and a mask of those
    ``net`` misfits by more than :data:`ANSWERED_TOL` (:func:`_answered_relative_errors`): a neuron
    active on a sliver of the inputs that fresh inputs miss changes state between such an answer
    and a fitted one. At most ``n_max`` rows, every misfit kept first."""
    x, rel = _answered_relative_errors(oracle, net)
    if len(x) == 0:
        return x, np.zeros(0, dtype=bool)
    bad = rel > ANSWERED_TOL
    keep = np.concatenate([np.flatnonzero(bad)[:n_max // 2],
                           rng.permutation(np.flatnonzero(~bad))[:n_max // 2]])
    return x[keep], bad[keep]


def _sample(oracle: Oracle, rng: np.random.Generator, radius: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` inputs ``N(0, s² I)`` at each scale ``s ∈ {1, radius/3, radius}`` and their outputs."""
    x = np.concatenate([s * rng.normal(size=(n, oracle.n_in)) for s in (1.0, radius / 3, radius)])
    return x, oracle(x)


def _scale_of(y: np.ndarray, n: int) -> np.ndarray:
    """Per input, ``max |N|`` over its block of ``n`` inputs of one scale (see :func:`_sample`)."""
    block = np.abs(y).max(axis=1).reshape(-1, n).max(axis=1)
    return np.repeat(block, n) + 1e-300


def _layer2_design(first: FirstLayer, neurons: list[Layer2Neuron]) -> Callable[[np.ndarray], np.ndarray]:
    """The columns ``[|û_z| (complete z), x, |h|, 1]`` of :func:`_misfit` for layer 2."""
    w1, b1 = first.weights, first.biases
    done = [z for z in neurons if z.complete]
    return lambda x: np.column_stack([np.abs(z.values(x, w1, b1)[0]) for z in done]
                                     + [x, np.abs(x @ w1.T + b1), np.ones(len(x))])


def _misfit(oracle: Oracle, design_of: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator,
            radius: float, *, tol: float = 1e-8, rows: Callable[[np.ndarray], np.ndarray] | None = None,
            size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Inputs where the recovered neurons cannot explain ``N``, found without any sign.

    ``N = Σ_z Q_z |û_z| + F·λ`` (:func:`~cnnmath.relu.output.final_layer`; the columns from
    ``design_of``: for layer 2 ``[|û_z|, x, |h|, 1]``, :func:`_layer2_design`; for layer 3
    ``[|v̂_t|, ReLU(σ û), 1]``) holds exactly wherever every missing neuron of the last hidden
    layer is in the state it has on most inputs (inactive: its term is 0; active: its term is in
    the span of ``F``). Which state that is may differ with
    the scale, so the least squares is fitted on fresh inputs (:func:`_sample`) of each scale alone
    and on all of them, each trimmed (the worst fifth dropped and refitted, up to three times); the
    fit that explains the most inputs to ``tol`` (relative to their scale) is refitted twice on those. Returns the inputs and a mask of the others, the outliers (none
    when no fit explains enough inputs to be determined); a missing neuron changes state between
    an outlier and an inlier. With ``rows``, only the inputs where ``rows(x)`` is True are fitted
    and returned (where the design is known to be exact); ``size`` inputs per scale at least.
    """
    p = design_of(np.zeros((1, oracle.n_in))).shape[1]
    n = max(size, 3 * p)
    x, y = _sample(oracle, rng, radius, n)
    design = design_of(x)
    scale = _scale_of(y, n)
    design, target = design / scale[:, None], y / scale[:, None]
    blocks = np.arange(len(x)) // n
    if rows is not None:
        m = rows(x)
        x, design, target, blocks = x[m], design[m], target[m], blocks[m]

    def inliers(rows: np.ndarray) -> np.ndarray:
        for _ in range(4):  # a few outliers spoil a least squares: drop the worst fifth, refit
            coef = np.linalg.lstsq(design[rows], target[rows], rcond=None)[0]
            r = np.max(np.abs(design @ coef - target), axis=1)
            if np.all(r[rows] <= tol):
                break
            rows = rows & (r <= np.quantile(r[rows], 0.8))
        return r <= tol

    fits = [inliers(np.ones(len(x), dtype=bool))] + [inliers(blocks == k) for k in range(3)]
    keep = max(fits, key=lambda m: int(m.sum()))
    for _ in range(2):
        if keep.sum() < p:
            return x, np.zeros(len(x), dtype=bool)
        keep = inliers(keep)
    return x, ~keep


def _aimed_points(g: ScalarView, x: np.ndarray, outlier: np.ndarray, n_lines: int,
                  off_known: Callable[[np.ndarray], bool]) -> list[np.ndarray]:
    """Boundary points off layer 1 on lines aimed by the misfit of the recovered neurons.

    A missing neuron changes state between an ``outlier`` input (``_misfit``) and an inlier:
    up to ``n_lines`` outliers, spread over the list, are each joined to their nearest inlier (zero
    queries to choose them), and ``points_on_line`` finds the kinks on those segments, 10 % longer
    on each side; kinks on a known boundary (``off_known`` False) are dropped.
    """
    bad, good = np.flatnonzero(outlier), np.flatnonzero(~outlier)
    if not len(bad) or not len(good):
        return []
    out = []
    for i in bad[np.linspace(0, len(bad) - 1, min(n_lines, len(bad))).astype(int)]:
        j = good[np.argmin(np.linalg.norm(x[good] - x[i], axis=1))]
        a, b = x[i] + 0.1 * (x[i] - x[j]), x[j] + 0.1 * (x[j] - x[i])
        out += [q for q in a + points_on_line(g, a, b)[:, None] * (b - a) if off_known(q)]
    return out


def _assemble(oracle: Oracle, first: FirstLayer, neurons: list[Layer2Neuron],
              rng: np.random.Generator, radius: float) -> tuple[ReLUNet | None, float]:
    """Signs of layer 1 (:func:`resolve_signs`), then :func:`final_layer` on the complete
    layer-2 neurons: the recovered network and the relative residual of its output fit. The
    output layer is then refitted over every answer the oracle kept (:meth:`Oracle.answered`)."""
    done = [z for z in neurons if z.complete]
    if not done:
        return None, float("inf")
    known = _known_layers(first, neurons)
    w1s, b1s, v, c = known.w1, known.b1, known.v, known.c
    hidden = lambda x: np.maximum(x @ w1s.T + b1s, 0.0) @ v.T + c  # noqa: E731
    # each û_z must take both signs by a wide margin in the fit, or P_z and Q_z are confounded:
    # from a pool of points (zero queries) take, per neuron, the three deepest on its rarer side
    pool = radius / 3 * rng.normal(size=(20_000, oracle.n_in))
    u = hidden(pool)
    rare = np.where((u > 0).mean(axis=0) < 0.5, 1.0, -1.0)
    deepest = np.argsort(-(u * rare), axis=0)[:3].ravel()
    # and points on both sides of B_z, 0.05 along the normal from up to four of its exact points
    foot = -first.biases[:, None] * first.weights  # and both sides of every layer-1 hyperplane
    straddle = [pool[deepest], foot + 0.1 * first.weights, foot - 0.1 * first.weights]
    for z in done:
        for q in z.path[:: max(1, len(z.path) // 4)][:4]:
            grad = z.value(q, first.weights, first.biases)[1]
            straddle += [q + s * 0.05 * grad / np.linalg.norm(grad) for s in (-1.0, 1.0)]
    # û_z = Σ_i m_zi (σ_i h_i + |h_i|)/2 + c_z in the basis F = [x, |h|, 1]
    features = lambda x: np.column_stack([x, np.abs(x @ w1s.T + b1s), np.ones(len(x))])  # noqa: E731
    coords = np.column_stack([v @ w1s / 2, v / 2, c + v @ b1s / 2])
    try:
        signs, a, d, res = final_layer(oracle, hidden, features, coords, np.vstack(straddle), rng,
                                       scale=radius / 3)
    except ValueError:  # the signs of layer 2 are not determined: no network is returned
        return None, float("inf")
    return _refit_output(oracle, ReLUNet((w1s, signs[:, None] * v, a), (b1s, signs * c, d))), res


def _refit_output(oracle: Oracle, net: ReLUNet) -> ReLUNet:
    """The output layer of ``net`` once more, by least squares over every answer the oracle kept
    (:meth:`Oracle.answered`; no new queries: the few hundred of
    :func:`~cnnmath.relu.output.final_layer` leave the recovered layers' errors unaveraged), kept
    when it fits those answers at least as well (max abs error) and misfits no more of them by
    over :data:`ANSWERED_TOL` (:func:`_answered_relative_errors`). A network that lacks a neuron
    misfits the answers where that neuron changes state; a least squares over all answers would
    spread that misfit over every answer and hide where it is (:func:`_answered_misfit`)."""
    x, y = oracle.answered()
    if len(x) <= 4 * (net.sizes[-2] + 1):
        return net
    act = np.column_stack([np.maximum(net.preactivations(x)[-1], 0.0), np.ones(len(x))])
    coef = np.linalg.lstsq(act, y, rcond=None)[0]
    if np.max(np.abs(act @ coef - y)) > np.max(np.abs(net(x) - y)):
        return net
    refit = ReLUNet((*net.weights[:-1], coef[:-1].T), (*net.biases[:-1], coef[-1]))
    n_bad = lambda n: int(np.sum(_answered_relative_errors(oracle, n)[1] > ANSWERED_TOL))  # noqa: E731
    return net if n_bad(refit) > n_bad(net) else refit


def _known_layers(first: FirstLayer, neurons: list[Layer2Neuron]) -> KnownLayers:
    """Layer 1 with its signs (:func:`resolve_signs`) and the complete layer-2 neurons as
    ``û_z = m_z · ReLU(h) + c_z`` with ``c_z = −m_z · ReLU(h(p1))`` (``û_z(p1) = 0``)."""
    done = [z for z in neurons if z.complete]
    sigma = resolve_signs(first, neurons)
    w1s, b1s = sigma[:, None] * first.weights, sigma * first.biases
    v = np.array([z.m for z in done])
    c = np.array([-z.m @ np.maximum(w1s @ z.p1 + b1s, 0.0) for z in done])
    return KnownLayers(w1s, b1s, v, c)


def _run3(ex: Extraction, oracle: Oracle, g: ScalarView, rng: np.random.Generator, first: FirstLayer,
          neurons: list[Layer2Neuron], starts: list[np.ndarray], n_lines: int, radius: float,
          extra_rounds: int, out_tol: float, say) -> tuple[bool, list[np.ndarray]]:
    """Layer 3 of :func:`extract`: :func:`third_layer` on the points no known layer explains (and
    on fresh lines), the layer-2 signs from its fits (:func:`layer2_signs`), then the output layer.
    An incomplete neuron has its missing layer-2 crossings computed and crossed
    (:func:`cross_weight`, else :func:`seek_weight`); every neuron is refitted with the signs
    imposed over points deep on both sides of each ``B_z`` (:func:`densify`, :func:`refit_signed`).

    An incomplete layer-2 candidate whose starting point lies on an accepted layer-3 neuron was a
    layer-3 boundary followed as a layer-2 one: it is dropped; other incomplete candidates stay
    in ``problems``. Returns False (and reports nothing) when no layer-3 neuron was found: the
    network is then read as one with two hidden layers; and the points that no known layer
    explained (:func:`extract` tries them as layer-2 points: a layer-2 neuron active on a sliver
    of the inputs shows only there)."""
    q0 = oracle.n_queries
    known = _known_layers(first, neurons)
    k2 = len(known.c)
    n_check = 10_000  # per scale: a layer-3 neuron active on a sliver of the inputs must show
    neurons3: list[Layer3Neuron] = []
    ex.neurons3 = neurons3
    res = float("inf")
    points = starts
    sigma = np.zeros(k2)
    off_known = lambda q: known.distance(q) > 1e-8 * (1 + np.linalg.norm(q))  # noqa: E731
    aimed: list[np.ndarray] = []
    left: list[np.ndarray] = []
    for round_ in range(extra_rounds + 1):
        if round_:  # fresh lines, and lines aimed where the layer-3 neurons miss the outputs
            points = aimed + [p for p in deeper_points(g, first, rng, n_lines=n_lines, radius=radius)
                              if off_known(p)]
        unexplained = third_layer(g, known, points, rng, radius=radius, neurons=neurons3)[1]
        ex.n_unexplained = len(unexplained)
        left += unexplained
        sigma, clash = layer2_signs(neurons3, k2)
        # a boundary first followed from a stretch that did not cross every B_z may be found
        # again: a partial copy of a complete neuron is dropped, two partial ones are merged
        neurons3[:] = _distinct(known, neurons3)
        _merge_partial(known, neurons3, sigma)
        for y in neurons3:
            if not y.complete and not y.fill(sigma):
                for j in np.flatnonzero(~np.isfinite(y.theta[:k2])):
                    if not np.isfinite(y.theta[j]) and not cross_weight(g, known, y, int(j), rng):
                        seek_weight(g, known, y, int(j), rng, radius=radius)
                y.fill(sigma)
                y.status = "" if y.complete else y.status
        for y in neurons3:  # the precision: points deep on both sides of each B_z, the signs imposed
            densify(g, known, y, sigma, rng, radius=radius, min_points=2 * oracle.n_in)
            refit_signed(known, y, sigma)
        ex.net, res, _ = _assemble3(oracle, known, neurons3, sigma, rng, radius)
        ex.always_active = 0
        if ex.net is not None:
            res = max(res, _validate(oracle, ex.net, rng, radius, n=n_check))
        if res > out_tol and any(_unseen_inactive(y, sigma) for y in neurons3):
            # B_t absent where B_j's neuron is active: if v_t < 0 there, W_tj never shows (0 is
            # as good as any value); the validation on fresh inputs decides
            trial = [_zero_unseen(y, sigma) for y in neurons3]
            net, r, _ = _assemble3(oracle, known, trial, sigma, rng, radius)
            if net is not None:
                r = max(r, _validate(oracle, net, rng, radius, n=n_check))
                if r <= out_tol:
                    neurons3[:] = trial
                    ex.net, res = net, r
        unique = _distinct(known, neurons3)
        if len(unique) < len(neurons3):  # a boundary completed twice, or a partial copy: once
            neurons3[:] = unique
            ex.net, res, _ = _assemble3(oracle, known, neurons3, sigma, rng, radius)
            if ex.net is not None:
                res = max(res, _validate(oracle, ex.net, rng, radius, n=n_check))
        probe = ex.net  # the network whose misfit of the answers aims the next lines
        if res > out_tol and any(y.complete for y in neurons3):
            # what the found neurons leave may be linear in the layer-2 activations on every input
            # seen: a layer-3 neuron that is never inactive, placed up to functional equivalence
            # (with incomplete neurons left, only to aim the next lines)
            net, r, n_fold = _assemble3(oracle, known, neurons3, sigma, rng, radius, fold=True)
            if net is not None and n_fold:
                r = max(r, _validate(oracle, net, rng, radius, n=n_check))
                probe = net
                if r <= out_tol and all(y.complete for y in neurons3):
                    ex.net, res, ex.always_active = net, r, n_fold
        ex.output_residual = res
        ex.queries["layer3"] = oracle.n_queries - q0
        done = [y for y in neurons3 if y.complete]
        say(f"layer 3, round {round_}: {len(done)} complete neurons of {len(neurons3)}, residual {res:.1e}")
        if done and len(done) == len(neurons3) and res <= out_tol or not neurons3:
            break
        aimed = []
        if done and round_ < extra_rounds and np.all(sigma != 0):
            x, outlier = _misfit(oracle, _layer3_design(known, done, sigma), rng, radius)
            aimed = _aimed_points(g, x, outlier, n_lines, off_known)
        if probe is not None and round_ < extra_rounds:  # a neuron active on a sliver: the answers show it
            x, outlier = _answered_misfit(oracle, probe, rng)
            aimed += _aimed_points(g, x, outlier, n_lines, off_known)
    if not neurons3:
        return False, left
    n1 = len(first.biases)
    ex.architecture = (oracle.n_in, n1, k2, sum(y.complete for y in neurons3) + ex.always_active,
                       ex.architecture[-1])
    todo2 = [z for z in neurons if not z.complete
             and not any(on_boundary3(known, y, z.p1) for y in neurons3 if y.complete)]
    if todo2:
        ex.problems.append(f"layer 2: {len(todo2)} boundaries followed as layer-2 neurons were neither"
                           " completed nor found on a layer-3 neuron")
    todo3 = [y for y in neurons3 if not y.complete]
    if todo3:
        reasons = sorted({y.status or "a layer-2 boundary it depends on was never crossed" for y in todo3})
        ex.problems.append(f"layer 3: {len(todo3)} neurons incomplete: " + "; ".join(reasons))
    if clash:
        ex.problems.append(f"layer 3: the signs of {clash} layer-2 neurons disagree between layer-3 neurons")
    if not any(y.complete for y in neurons3):
        ex.problems.append("layer 3: no complete neuron, so no network could be assembled")
    elif res > out_tol:
        ex.problems.append(f"output: the recovered layers leave a relative residual {res:.1e} > {out_tol:g}"
                           " (neurons missing, or a fourth layer that is not extracted)")
    return True, left


def _assemble3(oracle: Oracle, known: KnownLayers, neurons3: list[Layer3Neuron], sigma: np.ndarray,
               rng: np.random.Generator, radius: float, *, fold: bool = False
               ) -> tuple[ReLUNet | None, float, int]:
    """The output layer on the complete layer-3 neurons (:func:`final_layer`): with
    ``v̂_t = Σ_z 2Q_tz ReLU(σ_z û_z) + c_t`` the features are ``[ReLU(σ û), 1]``. None when a needed
    layer-2 sign is unknown or the signs of layer 3 are not determined.

    With ``fold``, the part of the output that is linear in ``ReLU(σ û)`` and that the found neurons
    do not explain (``S`` of :func:`final_layer`) is a layer-3 neuron active on every input seen:
    its boundary was never crossed, so it is placed up to functional equivalence, one neuron per
    independent output direction of ``S`` (rows ``S``'s singular vectors; several such neurons are
    one linear term and cannot be told apart), with the bias that keeps it active on every answer
    the oracle kept and on ``N(0, radius² I)`` inputs, by the width of its range there. The layer-3
    signs are then not determined (:func:`final_layer`). The points beside each ``B_t`` are then
    taken within ``radius·√n_in`` of the origin (the norm of those inputs): far beyond, where the
    walks may have gone, the neuron may be inactive after all, and the answers there show it
    (:func:`_answered_misfit` aims lines at it). Returns the network, the residual of the
    fit and the number of neurons so placed."""
    done = [y for y in neurons3 if y.complete]
    k = len(known.c)
    if not done:
        return None, float("inf"), 0
    q = np.array([y.theta[:k] for y in done])
    if np.any((sigma == 0) & np.any(q != 0, axis=0)) or (fold and np.any(sigma == 0)):
        return None, float("inf"), 0
    c3 = np.array([y.theta[-1] for y in done])
    w2s, b2s = sigma[:, None] * known.v, sigma * known.c
    act2 = lambda x: np.maximum(np.maximum(x @ known.w1.T + known.b1, 0.0) @ w2s.T + b2s, 0.0)  # noqa: E731
    hidden = lambda x: act2(x) @ (2 * q).T + c3  # noqa: E731
    features = lambda x: np.column_stack([act2(x), np.ones(len(x))])  # noqa: E731
    coords = np.column_stack([2 * q, c3])
    pool = radius / 3 * rng.normal(size=(20_000, oracle.n_in))
    u = hidden(pool)
    rare = np.where((u > 0).mean(axis=0) < 0.5, 1.0, -1.0)
    straddle = [pool[np.argsort(-(u * rare), axis=0)[:3].ravel()]]
    reach = radius * np.sqrt(oracle.n_in)  # with fold: points of B_t where the inputs are drawn
    for y in done:
        pts = [p for p in y.points if not fold or np.linalg.norm(p) <= reach]
        for p in pts[:: max(1, len(pts) // 4)][:4]:
            grad = y.gradient(known, p)
            straddle += [p + s * 0.05 * grad / np.linalg.norm(grad) for s in (-1.0, 1.0)]
    try:
        out = final_layer(oracle, hidden, features, coords, np.vstack(straddle), rng, scale=radius / 3,
                          linear=fold)
    except ValueError:
        return None, float("inf"), 0
    signs, a, d, res = out[:4]
    w3, b3 = signs[:, None] * 2 * q, signs * c3
    n_fold = 0
    if fold:
        left, sv, right = np.linalg.svd(out[4], full_matrices=False)  # S: (n_2, n_out)
        n_fold = int(np.sum(sv > 1e-6 * np.linalg.norm(a)))
        if n_fold:
            rows = (left[:, :n_fold] * sv[:n_fold]).T
            seen = np.concatenate([oracle.answered()[0], radius * rng.normal(size=(10_000, oracle.n_in))])
            t = act2(seen) @ rows.T
            bias = t.max(axis=0) - 2 * t.min(axis=0)  # active on all of it, by the width of its range
            w3, b3 = np.vstack([w3, rows]), np.concatenate([b3, bias])
            a = np.column_stack([a, right[:n_fold].T])
            d = d - right[:n_fold].T @ bias
    return _refit_output(oracle, ReLUNet((known.w1, w2s, w3, a), (known.b1, b2s, b3, d))), res, n_fold


def _merge_partial(known: KnownLayers, neurons3: list[Layer3Neuron], sigma: np.ndarray) -> None:
    """Merge incomplete layer-3 neurons that are one boundary seen from two stretches: the points
    of one lie on the other wherever that one is exact (≥ 3 of them). The union is refitted
    (:func:`~cnnmath.relu.layer3.fit_neuron`) and filled with the layer-2 signs; in place."""
    i = 0
    while i < len(neurons3):
        a = neurons3[i]
        for b in neurons3[i + 1:]:
            if a.complete or b.complete:
                continue
            pts = np.array(a.points)
            ok = b.valid(known, pts)
            if ok.sum() < 3 or not all(on_boundary3(known, b, p) for p in pts[ok]):
                continue
            theta, side, _ = fit_neuron(known, a.points + b.points)
            if theta is None:
                continue
            b.points += a.points
            b.theta, b.side = theta, side
            b.fill(sigma)
            neurons3.pop(i)
            break
        else:
            i += 1


def _layer3_design(known: KnownLayers, done: list[Layer3Neuron], sigma: np.ndarray
                   ) -> Callable[[np.ndarray], np.ndarray]:
    """The columns ``[|v̂_t| (complete t), ReLU(σ û), 1]`` of :func:`_misfit` for layer 3."""
    def design(x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.abs(y.values(known, x)) for y in done]
                               + [np.maximum(sigma * known.pre2(x), 0.0), np.ones(len(x))])
    return design


def _unseen_inactive(y: Layer3Neuron, sigma: np.ndarray) -> bool:
    """Whether ``y`` lacks only weights of layer-2 neurons whose boundary it was seen on the
    inactive side of alone (``s_z = −σ_z``, so ``A_z = P_z + Q_z s_z = 0``)."""
    k = len(sigma)
    miss = ~np.isfinite(y.theta[:k])
    return bool(miss.any() and np.all(sigma[miss] != 0) and np.all(y.side[miss] == -sigma[miss]))


def _zero_unseen(y: Layer3Neuron, sigma: np.ndarray) -> Layer3Neuron:
    """A copy of ``y`` with ``W_tz = 0`` for the weights :func:`_unseen_inactive` lacks."""
    if not _unseen_inactive(y, sigma):
        return y
    k = len(sigma)
    theta = y.theta.copy()
    miss = ~np.isfinite(theta[:k])
    theta[:k][miss] = 0.0
    theta[k:2 * k][miss] = 0.0
    return Layer3Neuron(points=y.points, theta=theta, side=np.where(miss, 0.0, y.side))


def _distinct(known: KnownLayers, neurons3: list[Layer3Neuron]) -> list[Layer3Neuron]:
    """The complete neurons with no twin among those kept before them (each one's first point on
    the other's boundary: one boundary completed from two stretches), the one with more points
    kept, and the incomplete neurons that are no partial copy of a complete one."""
    out: list[Layer3Neuron] = []
    for y in sorted(neurons3, key=lambda y: -len(y.points)):
        if y.complete and any(c.complete and on_boundary3(known, c, y.points[0])
                              and on_boundary3(known, y, c.points[0]) for c in out):
            continue
        out.append(y)
    done = [c for c in out if c.complete]
    return [y for y in out if y.complete or not any(on_boundary3(known, c, y.points[0]) for c in done)]
