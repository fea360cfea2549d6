"""Algorithm 2 of Rolnick & Kording (ICML 2020) for the second hidden layer: follow a bent boundary.

Each boundary point off layer 1 that no recovered neuron explains starts a neuron
(:func:`start_neuron`: its local normal; the model ``ẑ`` is in :mod:`cnnmath.relu.neuron`), whose
bend weights are read where ``B_z`` crosses layer-1 hyperplanes (:mod:`cnnmath.relu.crossings`).
A complete neuron is then refitted by least squares over all its exact boundary points
(:func:`refit`) and tested far away from where it was found (:func:`test_far`, the layer-2
``TestHyperplane``, whose exact far points join the refit), which rejects spurious neurons and
boundaries of deeper layers. :func:`second_layer` runs it all over a set of points.
"""

from __future__ import annotations

import numpy as np

from cnnmath.relu.crossings import far_kinks, read_weight, seek_crossing, walk_to_unknown
from cnnmath.relu.hyperplanes import fit_hyperplane, gradient_jump
from cnnmath.relu.layer1 import FirstLayer
from cnnmath.relu.linesearch import points_on_line
from cnnmath.relu.neuron import Layer2Neuron, merge_neurons, on_boundary
from cnnmath.relu.oracle import ScalarView

__all__ = ["cover_sides", "fill_from_slope", "refit", "second_layer", "start_neuron", "test_far"]


def _local_normal(g: ScalarView, y: np.ndarray, d: np.ndarray, room: float,
                  rng: np.random.Generator) -> np.ndarray | None:
    """Unit normal of the boundary through ``y`` (gradient jump, then :func:`fit_hyperplane`)."""
    eps = min(1e-4, room / 8)
    fit = fit_hyperplane(g, y, gradient_jump(g, y, d, eps), min(1e-3, room / 4), rng)
    return None if fit is None else fit[0]


def start_neuron(g: ScalarView, p1: np.ndarray, w1: np.ndarray, b1: np.ndarray,
                 rng: np.random.Generator) -> Layer2Neuron | None:
    """A new neuron from a point ``p1 ∈ P_2``: its local normal, no weight read yet.

    None when ``p1`` is too close to a layer-1 hyperplane, is not a single boundary crossing, or
    its normal is that of a layer-1 hyperplane."""
    room = np.min(np.abs(w1 @ p1 + b1))
    if room < 1e-3:
        return None
    d0 = rng.normal(size=len(p1))
    d0 /= np.linalg.norm(d0)
    ts = points_on_line(g, p1 - room / 2 * d0, p1 + room / 2 * d0)
    if len(ts) != 1 or abs(ts[0] - 0.5) > 1e-6:
        return None
    p1 = p1 + (ts[0] - 0.5) * room * d0
    n0 = _local_normal(g, p1, d0, room, rng)
    if n0 is None or np.max(np.abs(w1 @ n0)) > 1 - 1e-6:
        return None
    return Layer2Neuron(p1, n0, np.where(w1 @ p1 + b1 >= 0, 1.0, -1.0), np.full(len(b1), np.nan), path=[p1])


def refit(z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray) -> float:
    """Least-squares refit of a complete neuron over its exact boundary points.

    ``ẑ(x) = A·x + a0 + Σ_i β_i |h_i(x)|`` vanishes at every point of ``z.path``: a homogeneous
    linear system in ``(A, a0, β)``, solved by the SVD's last right singular vector, each equation
    weighted by ``1/(|∇ẑ(p)| (1 + |p|))`` (a kink is located to ``~eps (1 + |p|)`` along the normal,
    so its equation misses by ``|∇ẑ|`` times that). A hyperplane
    ``B_i`` with every point on one side makes ``|h_i|`` affine there: its column is left out (its
    term is then inside ``A``, and its ``m_i`` is kept). While ``σ_{-1}/σ_{-2} > 10⁻¹⁰``, the point
    whose omission cuts it most is left out if that cuts it tenfold (a kink blurred by a close one;
    up to three points).
    Used only when the system determines the
    neuron (``σ_{-2} > 10⁶ σ_{-1}``); then ``m_i = 2β_i`` and ``g0`` (the slope at ``p1``) follow,
    scaled to the old ``g0``, and ``p1`` moves along ``g0`` onto the fitted boundary (the offset of
    ``ẑ``, hence the layer-2 bias, is then that of the fit over every point, not of one kink). Returns the ratio ``σ_{-1}/σ_{-2}`` (inf when not refitted).
    """
    pts = np.array(z.path)
    h = pts @ w1.T + b1
    crossed = np.any(h > 0, axis=0) & np.any(h < 0, axis=0)
    n = w1.shape[1]
    if len(pts) < n + int(crossed.sum()) + 2:
        return float("inf")
    design = np.column_stack([pts, np.ones(len(pts)), np.abs(h[:, crossed])])
    # a kink is located to ~eps·(1 + |x|) along the normal, so its equation misses by ~|∇ẑ|·that
    grads = np.array([np.linalg.norm(z.value(p, w1, b1)[1]) for p in pts])
    design = design / (grads * (1 + np.linalg.norm(pts, axis=1)))[:, None]
    scale = np.linalg.norm(design, axis=0) + 1e-300
    keep = np.ones(len(pts), dtype=bool)
    _, sv, vt = np.linalg.svd(design / scale, full_matrices=False)
    for _ in range(3):  # a point blurred by a close kink spoils the fit: leave it out, if that helps
        if sv[-1] / sv[-2] < 1e-10 or keep.sum() <= n + int(crossed.sum()) + 2:
            break
        best = None
        for i in np.flatnonzero(keep):
            trial = keep.copy()
            trial[i] = False
            fit = np.linalg.svd(design[trial] / scale, full_matrices=False)
            if best is None or fit[1][-1] / fit[1][-2] < best[1][1][-1] / best[1][1][-2]:
                best = (trial, fit)
        if not best[1][1][-1] / best[1][1][-2] < 0.1 * sv[-1] / sv[-2]:
            break
        keep, (_, sv, vt) = best
    ratio = sv[-1] / sv[-2]
    if not ratio < 1e-6:
        return float("inf")
    theta = vt[-1] / scale
    a, beta = theta[:n], theta[n + 1:]
    g0 = a + (beta * z.e0[crossed]) @ w1[crossed]
    c = (g0 @ z.g0) / (g0 @ g0)
    m = z.m[crossed]
    if not np.max(np.abs(c * 2 * beta - m), initial=0.0) <= 1e-6 * np.max(np.abs(m), initial=0.0):
        return float("inf")
    # p1 onto the fitted boundary (ẑ's offset, and the layer-2 bias with it, then rest on every
    # point, not on the one kink p1 was found at); the shift is of the kinks' precision
    val = theta[:n] @ z.p1 + theta[n] + beta @ np.abs(w1[crossed] @ z.p1 + b1[crossed])
    if abs(val) <= 1e-8 * np.linalg.norm(g0) * (1 + np.linalg.norm(z.p1)):
        z.p1 = z.p1 - val / (g0 @ g0) * g0
    z.g0 = c * g0
    z.m[crossed] = c * 2 * beta
    return float(ratio)


def cover_sides(g: ScalarView, z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray,
                rng: np.random.Generator, *, min_side: int = 4, depth: float = 0.1,
                tol: float = 1e-6) -> int:
    """Exact points of ``B_z`` deep on both sides of each layer-1 hyperplane, for :func:`refit`.

    In the refit, ``β_i`` is read from how ``B_z`` bends between the two sides of ``B_i``: with
    few points on one side, or only points close to ``B_i`` (a crossing read once, within ``δ``),
    that weight, and the bias through it, carries their kinks' error amplified; with none (``B_z``
    not seen beyond ``B_i``) the refit cannot use ``β_i`` at all. For each ``B_i`` with fewer than
    ``min_side`` points of ``z.path`` at distance ≥ ``depth`` on one side, inputs around the
    points of ``z.path`` on that side (around all of them when there are none; at scales 0.1,
    0.3, 1 and 3, and stepped into the side along ``ŵ_i`` with a spread across ``B_z``), and
    ``N(0, s² I)`` inputs (``s`` = 1, 3, 10), all zero queries, on that side at that depth are
    bisected to predicted points of ``B_z`` (``z`` is complete, so ``ẑ`` is known everywhere) and a
    kink is sought at each along the predicted normal (:func:`~cnnmath.relu.crossings.far_kinks`,
    7 queries a point, at most ``2 + hits/4`` misses and ``4 + hits`` blanks per side); hits
    join ``z.path``; so do up to ``min_side`` points bisected from ``N(0, I)`` inputs when fewer lie
    within ``√n_in`` of the origin (the bias is the offset of ``ẑ`` near the origin, read best
    without the lever arm of far points). Returns the number of points added.
    """
    n = w1.shape[1]
    before = len(z.path)

    def normal(y: np.ndarray) -> tuple[np.ndarray, float]:
        return z.value(y, w1, b1)[1], float(np.min(np.abs(w1 @ y + b1)))

    for i in range(len(b1)):
        pts = np.array(z.path)
        h = pts @ w1[i] + b1[i]
        for thin in (1.0, -1.0):
            count = int(np.sum(thin * h >= depth))
            if count >= min_side:
                continue
            near = pts[thin * h > 0] if np.any(thin * h > 0) else pts  # around the side's points
            a = near[rng.integers(len(near), size=300)]
            normals = np.array([z.value(q, w1, b1)[1] for q in a])
            normals /= np.linalg.norm(normals, axis=1, keepdims=True)
            x = np.concatenate([a + s * rng.normal(size=a.shape) for s in (0.1, 0.3, 1.0, 3.0)]
                               # into the side from them, across B_z
                               + [a + t * (thin * w1[i] + rng.normal(size=(len(a), 1)) * normals)
                                  for t in (0.2, 0.5, 1.0, 3.0)]
                               + [s * rng.normal(size=(300, n)) for s in (1.0, 3.0, 10.0)])
            x = x[thin * (x @ w1[i] + b1[i]) >= depth]
            if len(x) < 2:
                continue
            far_kinks(g, lambda v: z.values(v, w1, b1)[0], x, normal, z.path, rng,
                      n_points=min_side - count, tol=tol)
    # and near the origin, where the offset of ẑ (the layer-2 bias) is read without a lever arm
    count = int(np.sum(np.linalg.norm(np.array(z.path), axis=1) <= np.sqrt(n)))
    if count < min_side:
        far_kinks(g, lambda v: z.values(v, w1, b1)[0], rng.normal(size=(2000, n)), normal, z.path, rng,
                  n_points=min_side - count, tol=tol)
    return len(z.path) - before


def test_far(g: ScalarView, z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray,
             rng: np.random.Generator, *, radius: float, n_points: int = 3, tol: float = 1e-6) -> bool:
    """Layer-2 ``TestHyperplane``: ``B_z`` predicted by the complete ``ẑ`` must be a boundary far away.

    Pairs of ``N(0, s² I)`` points (``s = radius/3`` and ``radius``) where ``ẑ`` has opposite signs
    are bisected to a predicted point of ``B_z`` (no queries, :func:`~cnnmath.relu.crossings.far_kinks`); along the local normal there a kink must sit at the
    prediction (7 queries each). Every kink found there is an exact point of ``B_z`` far from the
    walk and joins ``z.path`` (the spread that makes :func:`refit` well conditioned). The test stops
    after ``n_points`` hits and fails after ``2 + hits/4`` misses (a kink off the prediction) or
    ``4 + hits`` blanks (no kink in the window): a spurious neuron or a deeper boundary (which
    bends at layer-2 boundaries too) misses or is absent at once; an occasional miss is a kink of a
    neuron with a small output weight hidden next to a larger one, an occasional blank one hidden
    where every neuron downstream is inactive.
    """
    n = w1.shape[1]
    x = np.concatenate([s * rng.normal(size=(max(2000, 40 * n_points), n)) for s in (radius / 3, radius)])

    def normal(y: np.ndarray) -> tuple[np.ndarray, float]:
        return z.value(y, w1, b1)[1], float(np.min(np.abs(w1 @ y + b1)))

    return far_kinks(g, lambda v: z.values(v, w1, b1)[0], x, normal, z.path, rng, n_points=n_points, tol=tol)


test_far.__test__ = False  # not a pytest test


def _complete(g: ScalarView, z: Layer2Neuron, w1: np.ndarray, b1: np.ndarray,
              rng: np.random.Generator, max_failures: int) -> None:
    """Read every weight of ``z`` (alternating :func:`walk_to_unknown` and :func:`read_weight`)."""
    failures = np.zeros(len(b1), dtype=int)
    mismatches = 0
    for _ in range(4 * max_failures * len(b1)):
        if z.complete:
            return
        todo = np.flatnonzero(~np.isfinite(z.m) & (failures < max_failures))
        if not len(todo):
            z.status = "some weights could not be reached"
            return
        q = z.path[rng.integers(len(z.path))] if rng.random() < 0.5 else z.path[-1]
        _, grad, known = z.value(q, w1, b1)
        if not known:
            continue
        h = w1 @ q + b1
        unit = grad / np.linalg.norm(grad)
        along = np.linalg.norm(w1[todo] - np.outer(w1[todo] @ unit, unit), axis=1)
        reach = np.abs(h[todo]) / np.maximum(along, 1e-12)
        j = int(rng.choice(todo[np.argsort(reach)[:3]]))
        hit = walk_to_unknown(z, q, j, w1, b1)
        if hit is None and failures[j] >= 1:
            x = seek_crossing(z, j, w1, b1, rng)
            hit = None if x is None else (x, j)
        if hit is None:
            failures[j] += 1
            continue
        x, k = hit
        verdict = read_weight(g, z, x, k, w1, b1)
        if verdict == "mismatch":
            mismatches += 1
            if mismatches >= 2:
                z.status = "its boundary bends off the layer-2 prediction (a deeper layer)"
                return
        elif verdict.startswith("fail"):
            failures[[j, k]] += 1
    if not z.complete:
        z.status = "some weights could not be reached"


def second_layer(
    g: ScalarView,
    first: FirstLayer,
    rng: np.random.Generator,
    *,
    radius: float = 10.0,
    max_points: int | None = None,
    max_failures: int = 4,
    points: list[np.ndarray] | None = None,
    neurons: list[Layer2Neuron] | None = None,
    rejected: list[Layer2Neuron] | None = None,
) -> tuple[list[Layer2Neuron], list[np.ndarray]]:
    """Algorithm 2 for the second hidden layer: one neuron per unexplained boundary point.

    Each point of ``P_2`` (default: ``first.deeper_points``, at most ``max_points``) that lies on no
    accepted neuron (zero queries) starts a neuron (:func:`start_neuron`), which is completed, refitted
    (:func:`refit`) and tested far away (:func:`test_far`). A complete neuron equal to an accepted
    one (proportional ``m``) is dropped as a duplicate. ``neurons`` (extended in place) lets
    :func:`~cnnmath.relu.extract.extract` add points from more lines; ``rejected`` (extended in place)
    collects the boundaries that are not layer-2 neurons: they bend off the layer-2 prediction
    (:func:`~cnnmath.relu.crossings.read_weight`'s mismatch) or are not where predicted far away;
    their points are skipped in later rounds.

    Returns
    -------
    neurons : list of Layer2Neuron
        Accepted neurons (complete and tested) and incomplete ones (``status`` says why).
    unexplained : list of ndarray
        Points of ``P_2`` on no accepted neuron: boundary points of deeper layers, or of neurons
        that could not be completed.
    """
    w1, b1 = first.weights, first.biases
    neurons = [] if neurons is None else neurons
    points = first.deeper_points[:max_points] if points is None else points
    unexplained = []
    rejected = [] if rejected is None else rejected
    for p in points:
        if any(on_boundary(p, z, w1, b1) for z in neurons + rejected):
            continue
        z = start_neuron(g, p, w1, b1, rng)
        if z is None:
            unexplained.append(p)
            continue
        _complete(g, z, w1, b1, rng, max_failures)
        twin = next((old for old in neurons if merge_neurons(old, z)), None)
        if twin is not None:
            if twin.complete and twin.status == "":
                continue
            neurons.remove(twin)
            z = twin
            z.status = ""
            _complete(g, z, w1, b1, rng, max_failures)
        if z.complete:
            refit(z, w1, b1)
            if test_far(g, z, w1, b1, rng, radius=radius, n_points=len(b1) + w1.shape[1]):
                refit(z, w1, b1)
                if cover_sides(g, z, w1, b1, rng):
                    refit(z, w1, b1)
            else:
                z.status = "complete, but its predicted boundary is not there far away"
        if z.status.startswith(("complete", "its boundary")):
            rejected.append(z)
            unexplained.append(p)
            continue
        neurons.append(z)
        if not z.complete:
            unexplained.append(p)
    return neurons, unexplained


def fill_from_slope(g: ScalarView, first: FirstLayer, neurons: list[Layer2Neuron],
                    rng: np.random.Generator, *, radius: float, tol: float = 1e-7) -> int:
    """Weights no walk can read, from the slope at ``p1`` (zero queries to find them).

    A boundary ``B_z`` that never meets ``B_j`` gives no crossing to read ``m_j`` at. But when
    layer-1 neuron ``j`` is active at ``p1`` its term is inside the local normal:
    ``g0 = Σ_{i active at p1} σ_i m_i ŵ_i`` (``σ`` from the complete neurons,
    :func:`~cnnmath.relu.output.resolve_signs`), so the unknown ``m_J`` follow by least squares from
    ``g0`` and the known ``m_i``, when that fit leaves a relative residual ≤ ``tol``. A neuron so
    completed must pass :func:`test_far` (its exact far points then refit it); otherwise its
    weights go back to unknown. Returns the number of neurons completed.
    """
    from cnnmath.relu.output import resolve_signs

    if not any(z.complete for z in neurons):
        return 0
    w1, b1 = first.weights, first.biases
    sigma = resolve_signs(first, neurons)
    n_done = 0
    for z in neurons:
        unknown = ~np.isfinite(z.m)
        active = sigma == z.e0
        if z.complete or not np.all(active[unknown]):
            continue
        known = active & ~unknown
        rest = z.g0 - (sigma[known] * z.m[known]) @ w1[known]
        coef, *_ = np.linalg.lstsq(w1[unknown].T, rest, rcond=None)
        if np.linalg.norm(w1[unknown].T @ coef - rest) > tol * np.linalg.norm(z.g0):
            continue
        z.m[unknown] = sigma[unknown] * coef
        if test_far(g, z, w1, b1, rng, radius=radius, n_points=len(b1) + w1.shape[1]):
            cover_sides(g, z, w1, b1, rng)
            if np.isfinite(refit(z, w1, b1)):  # the refitted slope gives m_J again, to its precision
                rest = z.g0 - (sigma[known] * z.m[known]) @ w1[known]
                z.m[unknown] = sigma[unknown] * np.linalg.lstsq(w1[unknown].T, rest, rcond=None)[0]
            z.status = ""
            n_done += 1
        else:
            z.m[unknown] = np.nan
    return n_done
