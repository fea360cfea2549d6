"""Algorithm 2 of Rolnick & Kording (ICML 2020) applied once more: the third hidden layer.

Once layers 1 and 2 are known (layer 1 with its signs, layer 2 up to a non-zero factor ``κ_z`` per
neuron: ``û_z = κ_z u_z``, :class:`KnownLayers`), every layer-1 and layer-2 boundary is known with
no query, and a layer-3 neuron ``t`` is a linear combination of known functions::

    v_t(x) = Σ_z W_tz ReLU(û_z/κ_z) + c_t = Σ_z (P_z û_z(x) + Q_z |û_z(x)|) + c_t,

``P_z = W_tz/(2κ_z)``, ``Q_z = W_tz/(2|κ_z|)`` (``ReLU(u) = (u + |u|)/2``). So every exact point of
its boundary ``B_t`` gives one homogeneous linear equation in ``θ = (Q, P, c)`` on the features
``G(x) = [|û(x)|, û(x), 1]`` (:meth:`KnownLayers.features`), and ``θ`` is the null vector of the
stacked equations once the points have seen every ``û_z`` on both sides (:func:`fit_neuron`).
The layer-2 signs come out of the same fit: ``P_z = sign(κ_z) Q_z`` (the layer-2 analogue of
Theorem 3's signs), and ``|P_z| = |Q_z|`` is a check no other kind of boundary passes.

The points are gathered by following ``B_t`` (:func:`trace_neuron`): inside one region of the
known layers ``B_t`` is a hyperplane (sampled exactly with ``kink_near``); the walk heads for a
layer-2 boundary ``B_z`` not yet crossed, steps over the first known boundary on its way, and finds
``B_t`` again on the far side, where the new plane must pass through the crossing point (``B_t`` is
continuous), which tells ``B_t`` from any other boundary there. A fitted neuron must then be a
boundary far away too (:func:`test_far3`, the layer-3 ``TestHyperplane``). :func:`third_layer`
runs it over a set of boundary points that no known layer explains.

When layer 2 is wider than layer 1 the ``û_z`` are linearly dependent and ``P`` is fixed by
``|P_z| = |Q_z|`` alone (:func:`fit_neuron`); so is the vector, where the points of a neuron active
on a small region span too few directions and leave several null vectors. A ``B_z`` that ``B_t`` was seen on one side of only is
crossed where the two meet, a point computed with no query by linear programs over the regions
of the known layers (:func:`cross_weight`). Once the layer-2 signs are known, each row is refitted
with ``P_z = σ_z Q_z`` imposed (:func:`refit_signed`) over points that include some deep on the
active side of every ``B_z`` (:func:`densify`): the precision of ``Q_z``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from cnnmath.relu.crossings import far_kinks
from cnnmath.relu.hyperplanes import gradient_jump
from cnnmath.relu.linesearch import kink_near, points_on_line
from cnnmath.relu.oracle import ScalarView

__all__ = ["DirectNeuron", "KnownLayers", "Layer3Neuron", "cross_weight", "direct_features", "direct_layer",
           "direct_misses", "fit_direct", "fit_neuron", "layer2_like", "layer2_signs", "on_boundary3",
           "densify", "refit_signed", "seek_weight", "test_far3", "third_layer", "trace_neuron"]


@dataclass(frozen=True)
class KnownLayers:
    """Layers 1 and 2 as recovered: ``h = w1 x + b1`` (signs resolved), ``û = v ReLU(h) + c``.

    ``û_z`` is the layer-2 pre-activation up to an unknown non-zero factor ``κ_z`` (any sign).
    """

    w1: np.ndarray  # (n_1, n_in)
    b1: np.ndarray  # (n_1,)
    v: np.ndarray  # (n_2, n_1)
    c: np.ndarray  # (n_2,)

    def pre2(self, x: np.ndarray) -> np.ndarray:
        """``û(x)`` for ``x`` of shape ``(m, n_in)``: ``(m, n_2)``."""
        return np.maximum(x @ self.w1.T + self.b1, 0.0) @ self.v.T + self.c

    def grad2(self, x: np.ndarray) -> np.ndarray:
        """``∇û_z(x) = Σ_i v_zi [h_i(x) > 0] w1_i`` at one point: ``(n_2, n_in)``."""
        return (self.v * (self.w1 @ x + self.b1 > 0)) @ self.w1

    def features(self, x: np.ndarray) -> np.ndarray:
        """``G(x) = [|û(x)|, û(x), 1]``: ``(m, 2 n_2 + 1)`` (module docstring)."""
        u = self.pre2(x)
        return np.column_stack([np.abs(u), u, np.ones(len(u))])

    def pattern(self, x: np.ndarray) -> np.ndarray:
        """Which side of every layer-1 and layer-2 boundary ``x`` (``(m, n_in)``) is on: ``(m, n_1 + n_2)``."""
        return np.column_stack([x @ self.w1.T + self.b1 > 0, self.pre2(x) > 0])

    def dependencies(self) -> tuple[np.ndarray, np.ndarray]:
        """Orthonormal bases ``B`` of the range of ``v`` and ``N`` of its left null space
        (``Nᵀv = 0``): ``Nᵀû`` is constant, non-empty when layer 2 is wider than layer 1 (identity and
        empty when ``v`` has full row rank)."""
        k = len(self.c)
        basis, sv, _ = np.linalg.svd(self.v, full_matrices=True)
        rank = int(np.sum(sv > 1e-9 * sv[0])) if len(sv) else 0
        if rank == k:
            return np.eye(k), np.zeros((k, 0))
        return basis[:, :rank], basis[:, rank:]

    def distance(self, x: np.ndarray, skip: int | None = None) -> float:
        """Distance from one point to the nearest known boundary, to first order
        (``|h_i|`` for the unit rows ``w1_i``, ``|û_z|/‖∇û_z‖`` for layer 2), leaving out the layer-2
        boundary ``skip``."""
        g = np.linalg.norm(self.grad2(x), axis=1)
        d2 = np.abs(self.pre2(x[None, :])[0]) / np.maximum(g, 1e-300)
        if skip is not None:
            d2[skip] = np.inf
        return float(min(np.min(np.abs(self.w1 @ x + self.b1)), np.min(d2, initial=np.inf)))


@dataclass(eq=False)
class Layer3Neuron:
    """A third-layer neuron: its exact boundary points and, once fitted, ``θ`` on ``G = [|û|, û, 1]``.

    Where ``B_t`` was never seen on both sides of ``B_z``, ``|û_z|`` is ``±û_z`` on all its points:
    ``Q_z`` is NaN and ``P_z`` holds ``A_z = P_z + Q_z s_z`` (``s_z``, in ``side``, the sign of ``û_z``
    seen) until :meth:`fill` resolves it with the sign of ``κ_z``.

    Attributes
    ----------
    points : list of ndarray      exact points of ``B_t``
    theta : ndarray or None       ``(Q, P, c)``, unit norm (sign free); None until determined
    side : ndarray                ``s_z`` for the layer-2 boundaries ``B_t`` was not seen crossing, else 0
    status : str                  "" while in progress or accepted; else why it was dropped
    """

    points: list[np.ndarray] = field(default_factory=list)
    theta: np.ndarray | None = None
    side: np.ndarray | None = None
    status: str = ""

    @property
    def determined(self) -> bool:
        """Whether the points determine ``θ`` (up to the unknown ``Q_z`` of uncrossed ``B_z``)."""
        return self.theta is not None

    @property
    def complete(self) -> bool:
        """Whether every entry of ``θ`` is known."""
        return self.theta is not None and bool(np.all(np.isfinite(self.theta)))

    def values(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """``v̂_t(x) = G(x)·θ`` for ``x`` of shape ``(m, n_in)`` (unknown ``Q_z`` read as 0: exact
        where every uncrossed ``û_z`` has its ``side``)."""
        return known.features(x) @ np.nan_to_num(self.theta)

    def valid(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """Where :meth:`values` is exact: every uncrossed ``û_z`` has its ``side`` (``(m,)`` bool)."""
        s = np.sign(known.pre2(x))
        return np.all((self.side == 0) | (s == self.side), axis=1)

    def gradient(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """``∇v̂_t(x) = Σ_z (P_z + Q_z sign û_z(x)) ∇û_z(x)`` at one point."""
        k = len(known.c)
        s = np.where(known.pre2(x[None, :])[0] >= 0, 1.0, -1.0)
        th = np.nan_to_num(self.theta)
        return (th[k:2 * k] + th[:k] * s) @ known.grad2(x)

    def signs(self) -> np.ndarray:
        """``sign κ_z = sign(P_z Q_z)`` where ``B_z`` was crossed, 0 elsewhere."""
        k = (len(self.theta) - 1) // 2
        return np.sign(np.nan_to_num(self.theta[:k] * self.theta[k:2 * k]))

    def fill(self, sigma: np.ndarray, rtol: float = 1e-7) -> bool:
        """Unknown ``Q_z`` from the signs ``σ_z = sign κ_z`` (0 = unknown): seen on its active side
        (``s_z = σ_z``) ``A_z = 2P_z``, so ``P_z = A_z/2``, ``Q_z = σ_z P_z``; seen only on its
        inactive side, ``A_z = 0`` and ``W_tz`` is not determined. True when complete."""
        k = len(sigma)
        scale = np.nanmax(np.abs(self.theta[:k]))
        for z in np.flatnonzero(~np.isfinite(self.theta[:k])):
            a = self.theta[k + z]
            if sigma[z] != 0 and self.side[z] == sigma[z]:
                self.theta[k + z] = a / 2
                self.theta[z] = sigma[z] * a / 2
                self.side[z] = 0
            elif sigma[z] != 0 and abs(a) > 1e-6 * scale:
                self.status = f"B_z of layer-2 neuron {z} seen only on its inactive side, with a slope"
        return self.complete


def fit_neuron(known: KnownLayers, points: list[np.ndarray], *, rtol: float = 1e-7, max_null: int = 6
               ) -> tuple[np.ndarray | None, np.ndarray, str]:
    """``θ = (Q, P, c)`` with ``G(p)·θ = 0`` on every exact point ``p`` of ``B_t`` (module docstring).

    The null vector of the column-scaled design by SVD, when it is unique
    (``σ_{-1} ≤ 10⁻⁶ σ_{-2}``) and ``|P_z| = |Q_z|`` to ``rtol · max|Q|`` on every crossed ``B_z``
    (the check of the layer-3 form); the ``|û_z|`` column of a ``B_z`` with all points on one side
    ``s_z`` is left out (``Q_z`` NaN, see :class:`Layer3Neuron`).

    When layer 2 is wider than layer 1 the ``û_z`` are linearly dependent: ``αᵀû = αᵀc`` for every
    ``α`` with ``αᵀv = 0`` (:meth:`KnownLayers.dependencies`), so ``P`` is determined only up to such
    an ``α``. ``P`` is then fitted in the range of ``v`` (``P = Bγ``, columns ``ûB``; the constant
    absorbs ``αᵀc``) and the ``α = Nβ`` is the unique one that gives ``|P_z| = |Q_z|`` on every
    crossed ``B_z``: ``d = dim β`` crossed rows with a well-conditioned ``N`` fix ``β`` for each of
    the ``2^d`` signs ``P_z = ±Q_z`` there, and exactly one choice must hold on the other crossed rows
    (the layer-2 analogue of :func:`~cnnmath.relu.output.integer_signs`, per neuron).

    Where the points of ``B_t`` span fewer directions than the features (a neuron active on a small
    region, whose points keep some layer-1 neurons in one state, so that the ``û_z`` there are
    linearly dependent) the null space has ``r > 1`` dimensions (at most ``max_null``):
    ``|P_z| = |Q_z|`` then picks the one vector of it (``_null_combination``). Returns
    ``(θ, side, "")`` or ``(None, side, why)``.
    """
    pts = np.array(points)
    u = known.pre2(pts)
    k = u.shape[1]
    crossed = np.any(u > 0, axis=0) & np.any(u < 0, axis=0)
    side = np.where(crossed, 0.0, np.sign(u[0]))
    span, null = known.dependencies()
    d = null.shape[1]
    design = np.column_stack([np.abs(u[:, crossed]), u @ span, np.ones(len(u))])
    if len(pts) < design.shape[1] + 2:
        return None, side, "too few points"
    scale = np.linalg.norm(design, axis=0) + 1e-300
    _, sv, vt = np.linalg.svd(design / scale, full_matrices=False)
    n_c = int(crossed.sum())
    q = np.full(k, np.nan)
    r = next((r for r in range(1, min(max_null, len(sv) - 1) + 1) if sv[-r] <= 1e-6 * sv[-r - 1]), 0)
    if r > 1:  # the points span too few directions: the layer-3 form picks the vector
        fit = _null_combination(vt[-r:].T / scale[:, None], crossed, span, null, known.c, rtol)
        if fit is None:
            return None, side, f"the points leave {r} null vectors and |P_z| = |Q_z| picks no one of them"
        q[crossed] = fit[:n_c]
        theta = np.concatenate([q, fit[n_c:]])
        theta /= np.linalg.norm(theta[np.isfinite(theta)])
        return theta, side, ""
    if r == 0:
        return None, side, "the points do not determine a layer-3 neuron"
    fit = vt[-1] / scale
    q[crossed] = fit[:n_c]
    p = span @ fit[n_c:-1]
    c = fit[-1]
    if d:
        beta = _dependent_part(q[crossed], p[crossed], null[crossed], rtol)
        if beta is None:
            return None, side, "P not fixed by |P_z| = |Q_z| (layer 2 wider than layer 1)"
        p = p + null @ beta
        c = c - beta @ (null.T @ known.c)
    theta = np.concatenate([q, p, [c]])
    theta /= np.linalg.norm(theta[np.isfinite(theta)])
    qc, pc = theta[:k][crossed], theta[k:2 * k][crossed]
    if np.max(np.abs(np.abs(pc) - np.abs(qc)), initial=0.0) > rtol * np.max(np.abs(qc), initial=1.0):
        return None, side, "not of the layer-3 form (|P_z| ≠ |Q_z|)"
    return theta, side, ""


def _null_combination(basis: np.ndarray, crossed: np.ndarray, span: np.ndarray, null: np.ndarray,
                      c2: np.ndarray, rtol: float, max_dim: int = 10) -> np.ndarray | None:
    """The one ``θ = (Q_crossed, P, c)`` of :func:`fit_neuron` with ``|P_z| = |Q_z|`` on every
    crossed row when its design leaves ``r`` null vectors (the columns of ``basis``, on the design's
    columns ``[|û_crossed|, ûB, 1]``) and, when layer 2 is wider than layer 1, ``P`` is free along
    the ``d`` columns of ``N`` too (``P = B·a_P + Nβ``, the constant ``c − βᵀNᵀc₂``), or None.

    Each crossed row gives ``P_z − s_z Q_z = 0``, linear in the ``r + d`` unknowns ``w = (a, β)`` for a
    sign ``s_z = ±1``; ``m = r + d − 1`` pivot rows (QR with column pivoting) fix ``w`` up to scale
    for each of the ``2^m`` signs there, and exactly one choice must hold on every other crossed row
    to ``rtol · max|Q|`` (None when ``m > max_dim``, when there are not ``m + 1`` crossed rows, or when
    no choice or more than one holds)."""
    from scipy.linalg import qr

    n_c, r, d = int(crossed.sum()), basis.shape[1], null.shape[1]
    m = r + d - 1
    if m > max_dim or n_c < m + 1:
        return None
    mq = np.column_stack([basis[:n_c], np.zeros((n_c, d))])  # Q_crossed = mq·w
    mp = np.column_stack([span @ basis[n_c:-1], null])  # P = mp·w (all k rows)
    mc = np.concatenate([basis[-1], -(null.T @ c2)])  # c = mc·w
    mpc = mp[crossed]
    _, _, piv = qr(np.column_stack([mpc, mq]).T, pivoting=True, mode="economic")
    rows = piv[:m]
    signs = 1.0 - 2.0 * ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1)
    system = mpc[rows][None] - signs[:, :, None] * mq[rows][None]  # (2^m, m, m + 1)
    _, sv, vt = np.linalg.svd(system)
    w = vt[:, -1]  # (2^m, m + 1)
    qs, ps = w @ mq.T, w @ mpc.T
    err = np.max(np.abs(np.abs(ps) - np.abs(qs)), axis=1) / (np.max(np.abs(qs), axis=1) + 1e-300)
    ok = np.flatnonzero((err <= rtol) & (sv[:, -1] > 1e-6 * sv[:, 0]))
    if len(ok) != 1:
        return None
    w = w[ok[0]]
    return np.concatenate([mq @ w, mp @ w, [mc @ w]])


def _dependent_part(q: np.ndarray, p: np.ndarray, null: np.ndarray, rtol: float,
                    max_dim: int = 14) -> np.ndarray | None:
    """The unique ``β`` with ``|p + Nβ| = |q|`` entrywise (rows: the crossed ``B_z``), or None.

    ``d`` pivot rows of ``N`` (QR with column pivoting on ``Nᵀ``) give ``β`` for each of the ``2^d``
    sign patterns ``p + Nβ = ±q`` there; the pattern must hold on every other row to
    ``rtol · max|q|``, and exactly one may (None when ``N`` has rank < ``d`` on these rows or
    ``d > max_dim``)."""
    from scipy.linalg import qr

    d = null.shape[1]
    if d > max_dim or len(q) < d:
        return None
    _, r, piv = qr(null.T, pivoting=True, mode="economic")
    if abs(r[d - 1, d - 1]) < 1e-6 * abs(r[0, 0]):
        return None
    rows = piv[:d]
    signs = 1.0 - 2.0 * ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1)
    beta = np.linalg.solve(null[rows], (signs * q[rows] - p[rows]).T).T  # (2^d, d)
    err = np.max(np.abs(np.abs(p + beta @ null.T) - np.abs(q)), axis=1)
    ok = np.flatnonzero(err <= rtol * np.max(np.abs(q)))
    return beta[ok[0]] if len(ok) == 1 else None


def _region_points(g: ScalarView, known: KnownLayers, p: np.ndarray, normal: np.ndarray,
                   rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """``n`` exact points of ``B_t`` in the region of ``p`` (``kink_near`` along ``normal`` at random
    tangent offsets that stay in the region; no kink verified, no point)."""
    room = known.distance(p)
    d = rng.normal(size=(n, len(p)))
    d -= np.outer(d @ normal, normal)
    d *= (room * rng.uniform(0.2, 0.6, size=n) / np.linalg.norm(d, axis=1))[:, None]
    y = p + d
    same = np.all(known.pattern(y) == known.pattern(p[None, :]), axis=1)
    y = y[same]
    if not len(y):
        return []
    a = min(room / 8, 1e-2)
    s = kink_near(g, y, np.broadcast_to(normal, y.shape), a)
    return list(y[np.isfinite(s)] + s[np.isfinite(s), None] * normal)


def _plane(points: list[np.ndarray]) -> tuple[np.ndarray, float, float]:
    """Least-squares plane ``n·x + b = 0`` (unit ``n``) through points; the max residual."""
    pts = np.array(points)
    centre = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
    n = vt[-1]
    res = np.abs((pts - centre) @ n)
    return n, float(-n @ centre), float(res.max())


def _first_switch(known: KnownLayers, x: np.ndarray, u: np.ndarray, length: float
                  ) -> tuple[float, float, int]:
    """Steps ``t₁ < t₂`` along ``x + t u`` (``t ≤ length``) where the known pattern first and then
    next changes (``t₁`` bisected to round-off; ``inf`` if none), and which boundary switches at
    ``t₁`` (index into :meth:`KnownLayers.pattern`)."""
    t = np.linspace(0.0, length, 401)
    pat = known.pattern(x + t[:, None] * u)
    change = np.flatnonzero(np.any(pat[1:] != pat[:-1], axis=1))
    if not len(change):
        return np.inf, np.inf, -1
    lo, hi = t[change[0]], t[change[0] + 1]
    ref = pat[change[0]]
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.all(known.pattern((x + mid * u)[None, :])[0] == ref):
            lo = mid
        else:
            hi = mid
    switched = np.flatnonzero(known.pattern((x + hi * u)[None, :])[0] != ref)
    nxt = t[change[1] + 1] if len(change) > 1 else np.inf
    return hi, nxt, int(switched[0]) if len(switched) == 1 else -1


def trace_neuron(g: ScalarView, known: KnownLayers, p: np.ndarray, rng: np.random.Generator, *,
                 max_regions: int | None = None, patience: int = 25, direct: bool = False
                 ) -> Layer3Neuron | None:
    """Follow ``B_t`` from its point ``p`` across regions of the known layers (module docstring).

    At ``p`` the local plane is sampled (``n_in + 3`` exact points); each step heads (inside the
    current plane) for a near layer-1 or layer-2 boundary whose two sides the points have not
    both seen (where a layer-1 neuron never switches, the ``û_z`` can be linearly dependent on
    the points), crosses the first known boundary on the way by a small step and finds ``B_t``
    there (``_far_side``); every fourth step without a new boundary it jumps to a computed
    point of ``B_t ∩ B_z`` for an uncrossed ``B_z`` (``_seek_crossing``). Stops once
    :func:`fit_neuron` determines ``θ`` and either every known boundary was seen on both sides or
    ``patience`` steps added none, or after ``max_regions`` (default
    ``12 n_2 + 20``) steps. A null space of several vectors (:func:`fit_neuron`, a search over sign
    patterns) is resolved only every fourth step that crossed no new boundary and at the end. None
    when ``p`` does not start a boundary. With ``direct`` the fit is
    :func:`fit_direct` (a :class:`DirectNeuron`, no jumps: a layer-2 neuron is missing).
    """
    def fit(points: list[np.ndarray], several: bool) -> tuple[np.ndarray | None, np.ndarray, str]:
        """The fit of the points; a null space of several vectors (a costly search) only if asked."""
        if direct:
            return fit_direct(known, points)
        return fit_neuron(known, points) if several else fit_neuron(known, points, max_null=1)

    n_in, k = len(p), len(known.c)
    max_regions = max_regions or 12 * k + 20
    room = known.distance(p)
    if room < 1e-3:
        return None
    d0 = rng.normal(size=n_in)
    d0 /= np.linalg.norm(d0)
    ts = points_on_line(g, p - room / 2 * d0, p + room / 2 * d0)
    if len(ts) != 1:
        return None
    p = p + (ts[0] - 0.5) * room * d0
    normal = gradient_jump(g, p, d0, min(1e-4, room / 8))
    pts = _region_points(g, known, p, normal, rng, n_in + 3)
    if len(pts) < n_in + 1:
        return None
    normal, _, res = _plane([p] + pts)
    if res > 1e-9 * (1 + np.linalg.norm(p)):
        return None
    z = (DirectNeuron if direct else Layer3Neuron)(points=[p] + pts)
    visited = {known.pattern(p[None, :])[0].tobytes()}
    misses = stale = 0
    n_crossed = 0
    why = ""
    for _ in range(max_regions):
        theta, side, why = fit(z.points, stale % 4 == 3)
        pat = known.pattern(np.array(z.points))
        seen = np.any(pat, axis=0) & np.any(~pat, axis=0)  # boundaries with points on both sides
        crossed = int(seen.sum())
        stale = 0 if crossed > n_crossed else stale + 1
        n_crossed = crossed
        if theta is not None and (seen.all() or stale >= patience):
            z.theta, z.side = theta, side
            return z
        todo = np.flatnonzero(~seen)
        todo2 = np.flatnonzero(side != 0)
        if not direct and theta is not None and len(todo2) and stale and stale % 4 == 0:  # jump to B_t ∩ B_z
            z.theta, z.side = theta, side
            jump = _seek_crossing(known, z, int(rng.choice(todo2)), rng)
            if jump is not None:
                xc, u, normal0, cross, room = jump
                found = _far_side(g, known, xc, xc + min(0.01, room / 2) * u, normal0, cross, rng)
                if found is not None:
                    normal, pts = found
                    z.points += pts
                    continue
        x = z.points[-1]
        step = _next_step(known, x, normal, todo, visited, rng, first=misses < 3)
        if step is None:
            misses += 1
            continue
        xc, q, which = step
        n1 = len(known.b1)
        cross = known.w1[which] if which < n1 else known.grad2(q)[which - n1]
        found = _far_side(g, known, xc, q, normal, cross, rng)
        if found is None:
            misses += 1
            continue
        normal, pts = found
        z.points += pts
        visited.add(known.pattern(pts[0][None, :])[0].tobytes())
        misses = 0
    if z.theta is None:
        theta, side, why = fit(z.points, True)
        if theta is not None:
            z.theta, z.side = theta, side
    z.status = why or "no new layer-2 boundary reached"
    return z


def _next_step(known: KnownLayers, x: np.ndarray, normal: np.ndarray, todo: np.ndarray, visited: set[bytes],
               rng: np.random.Generator, *, first: bool, tries: int = 6
               ) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The next step of :func:`trace_neuron` from ``x ∈ B_t`` inside its local plane (zero queries):
    towards one of the three nearest known boundaries whose two sides the points have not both
    seen (``todo``, indices of :meth:`KnownLayers.pattern`; when ``first``), else in random
    directions, taking the first direction whose first known boundary leads to a region not
    ``visited``. Returns the crossing point, a point ``min(0.05, half-way to the next boundary)``
    past it, and the index of the crossed boundary (:meth:`KnownLayers.pattern`), or None."""
    n_in = len(x)
    grad = np.vstack([known.w1, known.grad2(x)])
    val = np.concatenate([known.w1 @ x + known.b1, known.pre2(x[None, :])[0]])
    for k in range(tries):
        if first and len(todo) and k < 3:
            tang = grad[todo] - np.outer(grad[todo] @ normal, normal)
            dist = np.abs(val[todo]) / np.maximum(np.linalg.norm(tang, axis=1), 1e-12)
            j = todo[np.argsort(dist)[min(k, len(todo) - 1)]]
            u = -np.sign(val[j]) * grad[j]
        else:
            u = rng.normal(size=n_in)
        u = u - (u @ normal) * normal
        if np.linalg.norm(u) < 1e-9:
            continue
        u /= np.linalg.norm(u)
        t1, t2, which = _first_switch(known, x, u, 20.0)
        if which < 0:
            continue
        xc = x + t1 * u
        q = xc + (min(0.05, (t2 - t1) / 2) if np.isfinite(t2) else 0.05) * u
        if known.pattern(q[None, :])[0].tobytes() not in visited:
            return xc, q, which
    return None


def _seek_crossing(known: KnownLayers, z: Layer3Neuron, j: int, rng: np.random.Generator,
                   n_samples: int = 4000, n_climbs: int = 3, n_pairs: int = 6
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float] | None:
    """A point of ``B_t ∩ B_j`` computed with zero queries, where ``B_t`` was seen on one side of
    ``B_j`` only (the layer-3 analogue of :func:`~cnnmath.relu.crossings.seek_crossing`).

    On ``B_j`` the unknown term of ``j`` vanishes, so ``v̂_t`` is exact there wherever the other
    uncrossed ``û_z`` keep their sides. Gaussian pairs (scales 1, 3, 10) with opposite ``û_j`` are
    bisected onto ``B_j``; two such points with opposite ``v̂_t`` are joined by bisection along
    the segment, each midpoint pulled back onto ``B_j`` (Newton steps on ``û_j``). When every sample
    has one sign of ``v̂_t`` (``B_t`` meets ``B_j`` in a small patch), the ``n_climbs`` samples nearest
    the other sign climb towards it inside ``B_j`` (:func:`_climb`). Of the crossings of up to
    ``n_pairs`` pairs (from the samples nearest the origin) the one farthest from every other known
    boundary is kept. Returns the point, the unit step into ``B_j``'s unseen side inside ``B_t``, the
    normal of ``B_t`` there, ``∇û_j`` and the distance to the nearest known boundary other than ``B_j``.
    """
    n = known.w1.shape[1]
    x = np.concatenate([s * rng.normal(size=(n_samples // 3, n)) for s in (1.0, 3.0, 10.0)])
    u = known.pre2(x)[:, j]
    pos, neg = x[u > 0], x[u < 0]
    m = min(len(pos), len(neg), 400)
    if m == 0:
        return None
    a, b = neg[:m], pos[:m]
    for _ in range(60):
        mid = (a + b) / 2
        below = known.pre2(mid)[:, j] < 0
        a = np.where(below[:, None], mid, a)
        b = np.where(below[:, None], b, mid)
    on = (a + b) / 2
    side = z.side.copy()
    side[j] = 0
    on = on[np.all((side == 0) | (np.sign(known.pre2(on)) == side), axis=1)]
    if len(on) < 2:
        return None
    def onto(p: np.ndarray) -> np.ndarray:
        for _ in range(20):
            gr = known.grad2(p)[j]
            if not gr @ gr:  # flat: no projection (NaN, as the division by zero gave, without its warnings)
                return np.full_like(p, np.nan)
            step = known.pre2(p[None, :])[0, j] / (gr @ gr)
            p = p - step * gr
            if abs(step) * np.linalg.norm(gr) < 1e-15 * (1 + np.linalg.norm(p)):
                break
        return p

    def bisect(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        for _ in range(80):
            mid = onto((a + b) / 2)
            if not np.all((side == 0) | (np.sign(known.pre2(mid[None, :])[0]) == side)):
                return None
            if z.values(known, mid[None, :])[0] < 0:
                a = mid
            else:
                b = mid
        return onto((a + b) / 2)

    val = z.values(known, on)
    lo, hi = on[val < 0], on[val > 0]
    if len(lo) and len(hi):  # pairs from the samples nearest the origin
        a = lo[np.argsort(np.linalg.norm(lo, axis=1))[:n_pairs]]
        b = [hi[np.argmin(np.linalg.norm(hi, axis=1) + np.linalg.norm(hi - q, axis=1))] for q in a]
        pairs = list(zip(a, b))
    else:  # v̂_t of one sign on every sample of B_j: climb towards the other
        sign = 1.0 if not len(hi) else -1.0
        for i in np.argsort(-sign * val)[:n_climbs]:
            pair = _climb(known, z, j, side, on[i], sign)
            if pair is not None:
                break
        else:
            return None
        pairs = [pair if sign > 0 else pair[::-1]]
    # the crossing with the most room: a step past B_j must land well inside one region, with
    # room for the points of B_t there (a crossing next to another boundary gives none)
    found = [x for x in (bisect(a, b) for a, b in pairs) if x is not None and np.all(np.isfinite(x))]
    if not found:
        return None
    rooms = [known.distance(x, skip=j) for x in found]
    xc, room = found[int(np.argmax(rooms))], max(rooms)
    if room < 1e-3:  # at a corner: the deepest point of B_t ∩ B_j in a region next to it
        deep = _deep_crossing(known, z, j, side, xc, rng)
        if deep is not None and deep[1] > room:
            xc, room = deep
    cross = known.grad2(xc)[j]
    if np.linalg.norm(cross) == 0:  # B_j has no normal here (its layer-2 neuron is flat in this region)
        return None
    # B_t's normal on the seen side of B_j: the model's gradient just inside it
    inside = xc + z.side[j] * 1e-7 * cross / np.linalg.norm(cross)
    normal = z.gradient(known, inside)
    if np.linalg.norm(normal) == 0:
        return None
    normal /= np.linalg.norm(normal)
    step = -z.side[j] * cross
    step = step - (step @ normal) * normal
    if np.linalg.norm(step) < 1e-9:
        return None
    return xc, step / np.linalg.norm(step), normal, cross, room


def _deep_crossing(known: KnownLayers, z: Layer3Neuron, j: int, side: np.ndarray, xc: np.ndarray,
                   rng: np.random.Generator, n_dirs: int = 8, reach: float = 1.0, enough: float = 0.05
                   ) -> tuple[np.ndarray, float] | None:
    """A point of ``B_t ∩ B_j`` near ``xc ∈ B_t ∩ B_j`` and far from every other known boundary,
    in the regions of the known layers that meet ``xc`` (zero queries), and that distance.

    Inside a region ``û = A x + a`` and ``v̂_t`` are affine, so the deepest point is a linear
    program (a Chebyshev centre): maximise ``r`` with ``û_j = 0``, ``v̂_t = 0`` (``û_j``'s own term
    vanishes there), ``s_i h_i ≥ r`` (unit rows of layer 1), ``s_z û_z ≥ r ‖A_z‖`` for the other
    layer-2 neurons (``s`` the region's signs; uncrossed ``B_z`` on their ``side``),
    ``|x_i − xc_i| ≤ reach`` and ``r ≤ enough``. The regions are those of ``xc`` plus ``10⁻⁷`` along
    ``n_dirs`` random directions."""
    from scipy.optimize import linprog

    n1, k, n = len(known.b1), len(known.c), len(xc)
    th = np.nan_to_num(z.theta)
    dirs = rng.normal(size=(n_dirs, n))
    pats = {tuple(p) for p in known.pattern(xc + 1e-7 * dirs / np.linalg.norm(dirs, axis=1)[:, None])}
    best: tuple[np.ndarray, float] | None = None
    keep = np.arange(n1 + k) != n1 + j  # every boundary but B_j
    for pat in pats:
        s2 = np.where(np.array(pat[n1:]), 1.0, -1.0)
        if np.any((side != 0) & (s2 != side) & (np.arange(k) != j)):
            continue  # the model of v_t is not exact in this region
        rows, rhs, a2, c2 = _region_affine(known, np.array(pat))
        coef = th[k:2 * k] + th[:k] * s2
        coef[j] = 0.0
        room = np.concatenate([np.ones(n1), np.linalg.norm(a2, axis=1)])  # unit rows of layer 1
        rows = np.column_stack([rows, room])[keep]
        eq = np.vstack([np.append(a2[j], 0.0), np.append(coef @ a2, 0.0)])
        res = linprog(np.append(np.zeros(n), -1.0), A_ub=rows, b_ub=rhs[keep], A_eq=eq,
                      b_eq=[-c2[j], -(coef @ c2 + th[-1])],
                      bounds=[(a - reach, a + reach) for a in xc] + [(0.0, enough)],
                      method="highs")
        if res.status == 0 and (best is None or res.x[-1] > best[1]):
            best = res.x[:n], float(res.x[-1])
    return best


def _climb(known: KnownLayers, z: Layer3Neuron, j: int, side: np.ndarray, x: np.ndarray, sign: float,
           max_regions: int = 400, box: float = 100.0) -> tuple[np.ndarray, np.ndarray] | None:
    """Points ``(y, y')`` of ``B_j``, ``sign · v̂_t ≤ 0`` at ``y`` and ``> 0`` at ``y'``, both in the
    closure of one region of the known layers, found from ``x ∈ B_j`` (``sign · v̂_t(x) < 0``) with
    zero queries.

    Inside a region (fixed patterns of layers 1 and 2) ``û`` and ``v̂_t`` are affine, so the largest
    ``sign · v̂_t`` on ``B_j`` there is a linear program (``û_j = 0``, the pattern's inequalities, the
    other uncrossed ``B_z`` kept on their ``side``, ``|x_i| ≤ box``). Best first, the regions across
    the constraints tight at an optimum (a layer-1 hyperplane or a crossed ``B_z``) are tried next,
    from that optimum, up to ``max_regions`` programs. None when no optimum above zero is found."""
    import heapq

    from scipy.optimize import linprog

    w1, b1 = known.w1, known.b1
    k, n1 = len(known.c), len(b1)
    th = np.nan_to_num(z.theta)
    flippable = np.concatenate([np.ones(n1, dtype=bool), side == 0])
    flippable[n1 + j] = False
    keep = np.ones(n1 + k, dtype=bool)
    keep[n1 + j] = False

    def solve(pat: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
        rows, rhs, a2, c2 = _region_affine(known, pat)  # rows·x ≤ rhs: the pattern holds
        coef = th[k:2 * k] + th[:k] * np.where(pat[n1:], 1.0, -1.0)
        coef[j] = 0.0  # û_j = 0 on B_j
        g, g0 = sign * coef @ a2, sign * (coef @ c2 + th[-1])
        res = linprog(-g, A_ub=rows[keep], b_ub=rhs[keep], A_eq=a2[j][None, :], b_eq=[-c2[j]],
                      bounds=[(-box, box)] * len(x), method="highs")
        if res.status != 0:
            return None
        slack = np.where(keep, rhs - rows @ res.x, np.inf)
        return float(g @ res.x + g0), res.x, slack / (1.0 + np.abs(rhs))

    p0 = np.concatenate([w1 @ x + b1 > 0, known.pre2(x[None, :])[0] > 0])
    p0[n1 + j] = True
    seen = {p0.tobytes()}
    heap: list = [(0.0, 0, p0, x)]
    for count in range(max_regions):
        if not heap:
            break
        _, _, pat, parent = heapq.heappop(heap)
        out = solve(pat)
        if out is None:
            continue
        val, xo, slack = out
        if val > 0:
            return parent, xo
        for i in np.flatnonzero(flippable & (slack < 1e-9)):
            q = pat.copy()
            q[i] = ~q[i]
            if q.tobytes() not in seen:
                seen.add(q.tobytes())
                heapq.heappush(heap, (-val, len(seen), q, xo))
    return None


def _far_side(g: ScalarView, known: KnownLayers, xc: np.ndarray, q: np.ndarray, normal: np.ndarray,
              cross: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """``B_t`` in the region of ``q``, just past a known boundary (normal ``cross``) crossed at
    ``xc ∈ B_t``: its unit normal and exact points, or None.

    The new plane holds ``xc`` and the directions of the old plane inside the crossed boundary, so
    its normal lies near ``span(normal, cross)``, orthogonal to ``y − xc`` for the kink ``y`` of
    ``B_t`` on the line ``q + s·normal`` (kinks in that region, on no known boundary, nearest
    first). That predicts the plane; ``n_in + 2`` kinks near it (``kink_near``) fit it exactly, and
    the fit must hold every point to ``10⁻⁹`` and pass through ``xc`` to ``10⁻⁶`` (relative): a
    kink of another boundary does neither."""
    n_in = len(q)
    span = max(4 * np.linalg.norm(q - xc), 0.05)
    a, b = q - span * normal, q + span * normal
    here = known.pattern(q[None, :])[0]
    cands = [a + t * (b - a) for t in points_on_line(g, a, b)]
    cands = [y for y in cands if known.distance(y) > 1e-6 and np.all(known.pattern(y[None, :])[0] == here)]
    basis = np.linalg.qr(np.column_stack([normal, cross]))[0]
    for y in sorted(cands, key=lambda y: np.linalg.norm(y - q))[:3]:
        c = basis.T @ (y - xc)
        n_new = basis @ np.array([-c[1], c[0]]) / (np.linalg.norm(c) + 1e-300)
        pts = _region_points(g, known, y, n_new, rng, n_in + 2)
        if len(pts) < n_in:
            continue
        n_fit, b_fit, res = _plane([y] + pts)
        scale = 1 + np.linalg.norm(y)
        if res <= 1e-9 * scale and abs(n_fit @ xc + b_fit) <= 1e-6 * scale:
            return n_fit, [y] + pts
    return None


def test_far3(g: ScalarView, known: KnownLayers, z: Layer3Neuron, rng: np.random.Generator, *,
              radius: float, n_points: int, tol: float = 1e-6) -> bool:
    """Layer-3 ``TestHyperplane``: ``B_t`` predicted by ``v̂_t`` must be a boundary far away.

    As :func:`~cnnmath.relu.layer2.test_far` (both run :func:`~cnnmath.relu.crossings.far_kinks`): pairs of ``N(0, s² I)`` points (``s = radius/3``,
    ``radius``) where ``v̂_t`` has opposite signs are bisected to a predicted point (no queries), a
    kink must sit there along ``∇v̂_t``; passed points join ``z.points``. Stops after ``n_points``
    hits; fails after ``2 + hits/4`` misses or ``4 + hits`` blanks.
    """
    n = known.w1.shape[1]
    x = np.concatenate([s * rng.normal(size=(2000, n)) for s in (radius / 3, radius)])
    x = x[z.valid(known, x)]

    def normal(y: np.ndarray) -> tuple[np.ndarray, float] | None:
        if not z.valid(known, y[None, :])[0]:
            return None
        return z.gradient(known, y), known.distance(y)

    return far_kinks(g, lambda v: z.values(known, v), x, normal, z.points, rng, n_points=n_points, tol=tol)


test_far3.__test__ = False  # not a pytest test


def cross_weight(g: ScalarView, known: KnownLayers, z: Layer3Neuron, j: int, rng: np.random.Generator,
                 steps: tuple[float, ...] = (1e-2, 1e-3), tries: int = 3) -> bool:
    """``Q_j`` of a neuron whose boundary was seen on one side of ``B_j`` only, by crossing ``B_j``
    where ``B_t`` meets it: the crossing computed with zero queries (``_seek_crossing``, which climbs
    inside ``B_j`` when ``B_t`` meets it only in a small patch; up to ``tries`` times, from fresh
    samples), ``B_t`` found a step past it (``_far_side``; each step at most half the distance to
    the next known boundary; a shorter step when the first finds nothing), and the neuron
    refitted (:func:`fit_neuron`) on its points and the new ones. True when ``Q_j`` is then known."""
    return any(_cross_at(g, known, z, j, rng, steps) for _ in range(tries))


def _cross_at(g: ScalarView, known: KnownLayers, z: Layer3Neuron, j: int, rng: np.random.Generator,
              steps: tuple[float, ...]) -> bool:
    """One try of :func:`cross_weight`, at the crossing ``_seek_crossing`` computes."""
    jump = _seek_crossing(known, z, j, rng)
    if jump is None:
        return False
    xc, u, normal, cross, room = jump
    k = len(known.c)
    for step in steps:
        found = _far_side(g, known, xc, xc + min(step, room / 2) * u, normal, cross, rng)
        if found is None:
            continue
        theta, side, _ = fit_neuron(known, z.points + found[1])
        if theta is not None and np.isfinite(theta[j]):
            z.points += found[1]
            z.theta, z.side = theta, side
            return True
        # the new points alone, on the far side of B_j where only Q_j is unknown:
        # 0 = v̂_t(p) − 2 s_j Q_j û_j(p) (v̂_t with P_j = A_j), one unknown by least squares
        pts = np.array(found[1])
        uj = known.pre2(pts)[:, j]
        rest = z.values(known, pts)
        q_j = float(rest @ uj / (2 * z.side[j] * (uj @ uj)))
        resid = np.max(np.abs(rest - 2 * z.side[j] * q_j * uj)) / np.max(np.abs(rest))
        p_j = z.theta[k + j] - q_j * z.side[j]
        scale = np.nanmax(np.abs(z.theta[:k]), initial=abs(q_j))
        if resid <= 1e-6 and abs(abs(p_j) - abs(q_j)) <= 1e-6 * scale:
            z.theta[j], z.theta[k + j] = q_j, p_j
            z.side[j] = 0
            z.points += found[1]
            return True
    return False


def seek_weight(g: ScalarView, known: KnownLayers, z: Layer3Neuron, j: int, rng: np.random.Generator,
                *, radius: float, n_lines: int = 6, n_check: int = 3, tol: float = 1e-6) -> bool:
    """``Q_j`` of a neuron whose boundary was seen on one side of ``B_j`` only, where ``B_t`` does
    not meet ``B_j`` where it was followed (``_seek_crossing`` found nothing).

    On the unseen side of ``B_j`` (every other uncrossed ``B_z`` on its seen side)
    ``v_t = v̂_t + μ û_j`` with one unknown ``μ = −2 Q_j s_j``. Lines through Gaussian points of that
    region (scales ``radius/3``, ``radius``) give kinks; a kink ``y`` on no known boundary gives the
    candidate ``μ = −v̂_t(y)/û_j(y)``, accepted when it gives ``|P_j| = |Q_j|`` and ``n_check``
    predicted points of ``B_t`` (bisected between inputs of opposite sign, no query) carry a kink
    (``kink_near``). Fills
    ``θ`` and returns True on success."""
    k = len(known.c)
    n = known.w1.shape[1]
    others = z.side.copy()
    others[j] = 0
    x = np.concatenate([s * rng.normal(size=(3000, n)) for s in (radius / 3, radius)])
    sg = np.sign(known.pre2(x))
    region = np.all((others == 0) | (sg == others), axis=1) & (sg[:, j] == -z.side[j])
    pool = x[region]
    if len(pool) < 2:
        return False

    def model(mu: float, y: np.ndarray) -> np.ndarray:
        return z.values(known, y) + mu * known.pre2(y)[:, j]

    def inside(y: np.ndarray) -> np.ndarray:
        sy = np.sign(known.pre2(y))
        return np.all((others == 0) | (sy == others), axis=1) & (sy[:, j] == -z.side[j])

    for _ in range(n_lines):
        a, b = pool[rng.integers(len(pool), size=2)]
        for t in points_on_line(g, a, b):
            y = a + t * (b - a)
            if not inside(y[None, :])[0] or known.distance(y) < 1e-6:
                continue
            mu = -z.values(known, y[None, :])[0] / known.pre2(y[None, :])[0, j]
            val = model(mu, pool)
            lo, hi = pool[val < 0], pool[val > 0]
            if not len(lo) or not len(hi):
                continue
            lo, hi = lo[rng.integers(len(lo), size=4 * n_check)], hi[rng.integers(len(hi), size=4 * n_check)]
            for _ in range(100):
                mid = (lo + hi) / 2
                below = model(mu, mid) < 0
                lo, hi = np.where(below[:, None], mid, lo), np.where(below[:, None], hi, mid)
            ys = [q for q in (lo + hi) / 2 if inside(q[None, :])[0] and known.distance(q) > 1e-4][:n_check]
            if len(ys) < n_check:
                continue
            trial = np.nan_to_num(z.theta).copy()
            trial[k + j] += mu
            probe = Layer3Neuron(theta=trial, side=np.zeros(k))
            units = np.array([probe.gradient(known, q) for q in ys])
            units /= np.linalg.norm(units, axis=1, keepdims=True)
            rooms = np.array([min(known.distance(q), 0.1) / 2 for q in ys])
            s_k = kink_near(g, np.array(ys), units, rooms)
            q_j = -mu / (2 * z.side[j])
            p_j = z.theta[k + j] - q_j * z.side[j]
            if abs(abs(p_j) - abs(q_j)) > tol * np.nanmax(np.abs(z.theta[:k]), initial=abs(q_j)):
                continue  # not of the layer-3 form: another boundary's kink
            if np.all(np.abs(s_k) <= tol):  # NaN (no kink) fails too
                z.theta[j] = q_j
                z.theta[k + j] -= q_j * z.side[j]  # P_j = A_j − Q_j s_j
                z.side[j] = 0
                z.points += [q + s * u for q, s, u in zip(ys, s_k, units)]
                return True
    return False


def refit_signed(known: KnownLayers, z: Layer3Neuron, sigma: np.ndarray) -> bool:
    """Refit ``θ`` over all points of ``B_t`` with the layer-2 signs imposed (``P_z = σ_z Q_z``).

    With ``σ`` known, ``P_z û_z + Q_z |û_z| = 2Q_z ReLU(σ_z û_z)``: one column per crossed ``B_z``
    instead of the two nearly collinear ``|û_z|``, ``û_z`` of a boundary crossed by few points (and
    no dependency when layer 2 is wider than layer 1), so the null vector of
    ``[ReLU(σ_z û_z) (crossed), û_z (uncrossed, the A_z), 1]`` is better conditioned. Used when it is
    unique (``σ_{-1} ≤ 10⁻⁶ σ_{-2}``) and every crossed ``σ_z`` is known; ``θ`` keeps its orientation.
    Returns whether ``θ`` was refitted."""
    k = len(sigma)
    q = z.theta[:k]
    crossed = np.isfinite(q)
    if not np.all(sigma[crossed] != 0):
        return False
    pts = np.array(z.points)
    u = known.pre2(pts)
    design = np.column_stack([2 * np.maximum(sigma[crossed] * u[:, crossed], 0.0), u[:, ~crossed],
                              np.ones(len(u))])
    if len(pts) < design.shape[1] + 2:
        return False
    scale = np.linalg.norm(design, axis=0) + 1e-300
    _, sv, vt = np.linalg.svd(design / scale, full_matrices=False)
    if not sv[-1] <= 1e-6 * sv[-2]:
        return False
    coef = vt[-1] / scale
    n_c = int(crossed.sum())
    theta = np.full(2 * k + 1, np.nan)
    theta[:k][crossed] = coef[:n_c]
    theta[k:2 * k][crossed] = sigma[crossed] * coef[:n_c]
    theta[k:2 * k][~crossed] = coef[n_c:-1]
    theta[-1] = coef[-1]
    theta /= np.linalg.norm(theta[np.isfinite(theta)])
    old = np.nan_to_num(z.theta)
    if np.nan_to_num(theta) @ old < 0:
        theta = -theta
    if np.max(np.abs(np.nan_to_num(theta) - old)) > 1e-4:  # not the same neuron: keep the old fit
        return False
    z.theta = theta
    return True


def densify(g: ScalarView, known: KnownLayers, z: Layer3Neuron, sigma: np.ndarray, rng: np.random.Generator,
            *, radius: float, min_points: int) -> int:
    """More exact points of ``B_t`` deep on the active side of every crossed ``B_z`` that fewer than
    ``min_points`` of its points are deep on (``|û_z|`` above a hundredth of its median on inputs of
    scale ``radius/3``; ``Q_z`` then rests on points near ``B_z`` and is imprecise): predicted
    points of ``B_t`` bisected between Gaussian inputs of that side (scales ``radius/3``,
    ``radius``; no queries), each checked for a kink along ``∇v̂_t``
    (:func:`~cnnmath.relu.crossings.far_kinks`, 7 queries each); where ``B_t`` meets that side in
    a sliver those inputs miss, points followed deeper into it from its own (``_deeper_points``).
    The hits are added to ``z.points``. Returns the number of points added."""
    k = len(sigma)
    n = known.w1.shape[1]
    deep = 1e-2 * np.median(np.abs(known.pre2(radius / 3 * rng.normal(size=(1000, n)))), axis=0)
    before = len(z.points)
    for j in np.flatnonzero(np.isfinite(z.theta[:k]) & (sigma != 0)):
        def n_deep(j: int = j) -> int:
            return int(np.sum(sigma[j] * known.pre2(np.array(z.points))[:, j] > deep[j]))

        if n_deep() >= min_points:
            continue
        x = np.concatenate([s * rng.normal(size=(2000, n)) for s in (radius / 3, radius)])
        x = x[z.valid(known, x) & (sigma[j] * known.pre2(x)[:, j] > 0)]
        if len(x) >= 2:
            def normal(y: np.ndarray, j: int = j) -> tuple[np.ndarray, float] | None:
                if not z.valid(known, y[None, :])[0] or sigma[j] * known.pre2(y[None, :])[0, j] <= 0:
                    return None
                return z.gradient(known, y), known.distance(y)

            far_kinks(g, lambda v: z.values(known, v), x, normal, z.points, rng, n_points=min_points, tol=1e-6)
        if n_deep() < min_points:
            z.points += _deeper_points(g, known, z, j, sigma, reach=radius)
    return len(z.points) - before


def _deeper_points(g: ScalarView, known: KnownLayers, z: Layer3Neuron, j: int, sigma: np.ndarray, *,
                   reach: float, n_starts: int = 6, fractions: tuple[float, ...] = (0.3, 0.6, 0.9),
                   tol: float = 1e-6) -> list[np.ndarray]:
    """Exact points of ``B_t`` deep on the active side of ``B_j`` where its points there are all
    shallow (``B_t`` meets that side in a sliver the Gaussian inputs miss).

    From each of the ``n_starts`` deepest points ``p`` on that side, inside its region of the known
    layers (where ``û`` and ``v̂_t`` are affine, :func:`_region_affine`) the point of ``B_t`` farthest
    into that side within ``|x_i − p_i| ≤ reach`` is a linear program (zero queries); the region is
    convex, so the segment to it lies on ``B_t``: at ``fractions`` of it a kink must sit along
    ``∇v̂_t`` within ``tol`` (``kink_near``, 7 queries each). Returns the kinks found."""
    from scipy.optimize import linprog

    k = len(sigma)
    th = np.nan_to_num(z.theta)
    pts = np.array(z.points)
    depth = sigma[j] * known.pre2(pts)[:, j]
    out = []
    for i in np.argsort(-depth)[:n_starts]:
        if depth[i] <= 0:
            break
        p = pts[i]
        pat = known.pattern(p[None, :])[0]
        rows, rhs, a2, c2 = _region_affine(known, pat)
        s2 = np.where(pat[len(known.b1):], 1.0, -1.0)
        coef = th[k:2 * k] + th[:k] * s2
        res = linprog(-sigma[j] * a2[j], A_ub=rows, b_ub=rhs, A_eq=(coef @ a2)[None, :],
                      b_eq=[-(coef @ c2 + th[-1])], bounds=[(a - reach, a + reach) for a in p], method="highs")
        if res.status != 0:
            continue
        ys = np.array([p + f * (res.x - p) for f in fractions])
        rooms = np.array([known.distance(y) for y in ys])
        units = np.array([z.gradient(known, y) for y in ys])
        units /= np.maximum(np.linalg.norm(units, axis=1, keepdims=True), 1e-300)
        keep = rooms > 1e-4
        if not keep.any():
            continue
        s_k = kink_near(g, ys[keep], units[keep], np.minimum(rooms[keep], 0.1) / 2)
        good = np.abs(s_k) <= tol  # NaN (no kink) fails too
        out += list(ys[keep][good] + s_k[good, None] * units[keep][good])
    return out


def _region_affine(known: KnownLayers, pat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The region of the known layers with pattern ``pat`` (:meth:`KnownLayers.pattern`) as
    ``rows · x ≤ rhs``, and ``û = a2 x + c2`` inside it."""
    w1, b1, v, c = known.w1, known.b1, known.v, known.c
    p1, p2 = pat[:len(b1)], pat[len(b1):]
    s1, s2 = np.where(p1, 1.0, -1.0), np.where(p2, 1.0, -1.0)
    a2, c2 = (v * p1) @ w1, (v * p1) @ b1 + c
    rows = np.vstack([-s1[:, None] * w1, -s2[:, None] * a2])
    return rows, np.concatenate([s1 * b1, s2 * c2]), a2, c2


def layer2_signs(neurons: list[Layer3Neuron], k: int) -> tuple[np.ndarray, int]:
    """``σ_z = sign κ_z`` from every layer-3 neuron that crossed ``B_z`` (``P_z = σ_z Q_z``); 0 where
    none did. Returns the signs and the number of layer-2 neurons whose neurons disagree."""
    votes = np.array([y.signs() for y in neurons]).reshape(-1, k)
    pos, neg = np.any(votes > 0, axis=0), np.any(votes < 0, axis=0)
    return np.where(pos & ~neg, 1.0, np.where(neg & ~pos, -1.0, 0.0)), int(np.sum(pos & neg))


def on_boundary3(known: KnownLayers, z: Layer3Neuron, p: np.ndarray) -> bool:
    """Whether ``p`` lies on ``B_t`` (zero queries); ``z`` a :class:`Layer3Neuron` or a direct fit
    (:class:`DirectNeuron`, whose ``values``, ``valid`` and ``gradient`` are those of ``D·θ``)."""
    if not z.valid(known, p[None, :])[0]:
        return False
    grad = z.gradient(known, p)
    return abs(z.values(known, p[None, :])[0]) <= 1e-6 * np.linalg.norm(grad) * (1 + np.linalg.norm(p))


def third_layer(g: ScalarView, known: KnownLayers, points: list[np.ndarray], rng: np.random.Generator,
                *, radius: float, neurons: list[Layer3Neuron] | None = None,
                max_starts: int | None = None, max_barren: int = 12
                ) -> tuple[list[Layer3Neuron], list[np.ndarray]]:
    """Algorithm 2 for the third hidden layer: one neuron per boundary point no known layer explains.

    Each point off every known layer-1 and layer-2 boundary and on no accepted layer-3 neuron
    starts a neuron (:func:`trace_neuron`; at most ``max_starts``, default ``4 n_2 + 10``, and none
    after ``max_barren`` starts in a row gave no neuron: a layer-2 neuron is then missing and no
    walk can succeed), which must be determined and pass :func:`test_far3`; its far points join
    its fit. A point on an
    accepted neuron that has not crossed every ``B_z`` starts a second walk (once per neuron),
    whose points are merged into it. ``neurons`` is extended in place.

    Returns
    -------
    neurons : list of Layer3Neuron    accepted (determined, tested) neurons
    unexplained : list of ndarray     points on no known boundary and no accepted neuron
    """
    neurons = [] if neurons is None else neurons
    unexplained = []
    n = known.w1.shape[1]
    starts = max_starts or 4 * len(known.c) + 10
    retried: set[int] = set()
    barren = 0  # starts in a row that gave no neuron: the known layers may not be all there
    for p in points:
        if known.distance(p) <= 1e-8 * (1 + np.linalg.norm(p)):
            continue
        host = next((y for y in neurons if on_boundary3(known, y, p)), None)
        if host is not None and (np.all(host.side == 0) or id(host) in retried):
            continue
        if starts <= 0 or barren >= max_barren:
            unexplained.append(p)
            continue
        starts -= 1
        z = trace_neuron(g, known, p, rng)
        if host is not None:
            retried.add(id(host))
            if z is not None and z.points and on_boundary3(known, host, z.points[0]):
                theta, side, _ = fit_neuron(known, host.points + z.points)
                if theta is not None:
                    host.points += z.points
                    host.theta, host.side = theta, side
            continue
        barren += 1
        if z is None or not z.determined:
            unexplained.append(p)
            continue
        if not test_far3(g, known, z, rng, radius=radius, n_points=len(z.theta) // 2 + n):
            unexplained.append(p)
            continue
        barren = 0
        theta, side, _ = fit_neuron(known, z.points)
        if theta is not None:
            z.theta, z.side = theta, side
        if any(on_boundary3(known, y, z.points[0]) for y in neurons):
            continue
        neurons.append(z)
        if not on_boundary3(known, z, p):
            unexplained.append(p)
    return neurons, unexplained


def direct_features(known: KnownLayers, x: np.ndarray) -> np.ndarray:
    """``D(x) = [|û(x)|, ReLU(h(x)), 1]``: ``(m, n_2 + n_1 + 1)`` (:class:`DirectNeuron`)."""
    return np.column_stack([np.abs(known.pre2(x)), np.maximum(x @ known.w1.T + known.b1, 0.0),
                            np.ones(len(x))])


@dataclass(eq=False)
class DirectNeuron(Layer3Neuron):
    """A third-layer neuron fitted on the direct features ``D = [|û|, ReLU(h), 1]``
    (:func:`direct_features`, :func:`fit_direct`): ``v̂_t = D·θ``, ``θ = (Q, R, c)``.

    A layer-2 neuron missing from the known layers that is active on every region ``B_t`` was
    followed through is there linear in the layer-1 activations, ``u_m = V·ReLU(h) + b``, so::

        v_t = Σ_z (P_z û_z + Q_z |û_z|) + W_tm u_m + c_t = Σ_z Q_z |û_z| + R·ReLU(h) + c,

    ``R = Σ_z P_z v_z + W_tm V`` (``û_z = v_z·ReLU(h) + c_z``): ``θ`` is still the null vector of
    ``D`` over exact points of ``B_t``, with no layer-2 sign and no ``|P_z| = |Q_z|`` check (``P`` is
    mixed into ``R``). ``side`` has ``n_2 + n_1`` entries: ``s_z`` of a ``B_z`` not crossed by the
    points (its ``|û_z|`` is ``s_z û_z`` there, already in the span of ``ReLU(h)`` and 1, so ``Q_z``
    is NaN), then ``−1`` for a layer-1 neuron never active on the points (``R_i`` NaN), else 0;
    :meth:`values` is exact where every such sign holds and the missing neuron is active. It serves
    to find the missing neuron (:func:`direct_layer`, :func:`direct_misses`); with no layer-2 signs
    in ``θ``, :meth:`~Layer3Neuron.signs` and :meth:`~Layer3Neuron.fill` do not apply to it.
    """

    def values(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """``v̂_t(x) = D(x)·θ`` (unknown entries read as 0; exact where :meth:`valid`)."""
        return direct_features(known, x) @ np.nan_to_num(self.theta)

    def valid(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """Where every uncrossed ``û_z`` and every never-active ``h_i`` keeps its ``side``: ``(m,)``."""
        s = np.sign(np.column_stack([known.pre2(x), x @ known.w1.T + known.b1]))
        return np.all((self.side == 0) | (s == self.side), axis=1)

    def gradient(self, known: KnownLayers, x: np.ndarray) -> np.ndarray:
        """``∇v̂_t(x) = Σ_z Q_z sign(û_z(x)) ∇û_z(x) + Σ_i R_i [h_i(x) > 0] w1_i`` at one point."""
        k = len(known.c)
        th = np.nan_to_num(self.theta)
        s = np.where(known.pre2(x[None, :])[0] >= 0, 1.0, -1.0)
        active = known.w1 @ x + known.b1 > 0
        return (th[:k] * s) @ known.grad2(x) + (th[k:-1] * active) @ known.w1


def fit_direct(known: KnownLayers, points: list[np.ndarray]) -> tuple[np.ndarray | None, np.ndarray, str]:
    """``θ = (Q, R, c)`` with ``D(p)·θ = 0`` on every exact point ``p`` of ``B_t`` (:class:`DirectNeuron`).

    The columns ``|û_z|`` of the ``B_z`` the points cross (``û_z`` of both signs) and ``ReLU(h_i)`` of
    the layer-1 neurons active on some point, and 1; ``θ`` is the null vector of the column-scaled
    design by SVD when it is unique (``σ_{-1} ≤ 10⁻⁶ σ_{-2}``), unit norm. Returns ``(θ, side, "")`` or
    ``(None, side, why)`` (``side`` as in :class:`DirectNeuron`)."""
    pts = np.array(points)
    u = known.pre2(pts)
    h = pts @ known.w1.T + known.b1
    k, n1 = u.shape[1], h.shape[1]
    crossed = np.any(u > 0, axis=0) & np.any(u < 0, axis=0)
    live = np.any(h > 0, axis=0)
    side = np.concatenate([np.where(crossed, 0.0, np.sign(u[0])), np.where(live, 0.0, -1.0)])
    design = np.column_stack([np.abs(u[:, crossed]), np.maximum(h[:, live], 0.0), np.ones(len(pts))])
    if design.shape[1] < 2:
        return None, side, "no feature but the constant varies on the points"
    if len(pts) < design.shape[1] + 2:
        return None, side, "too few points"
    scale = np.linalg.norm(design, axis=0) + 1e-300
    _, sv, vt = np.linalg.svd(design / scale, full_matrices=False)
    if not sv[-1] <= 1e-6 * sv[-2]:
        return None, side, "the points do not determine a neuron on the direct features"
    fit = vt[-1] / scale
    theta = np.full(k + n1 + 1, np.nan)
    n_c = int(crossed.sum())
    theta[:k][crossed] = fit[:n_c]
    theta[k:k + n1][live] = fit[n_c:-1]
    theta[-1] = fit[-1]
    return theta / np.linalg.norm(fit), side, ""


def layer2_like(z: DirectNeuron, k: int, rtol: float = 1e-6) -> bool:
    """Whether a direct fit has no ``|û_z|`` part (``Q_z = 0`` on every crossed ``B_z``, to ``rtol``
    relative): the form of a layer-2 boundary, ``V·ReLU(h) + b = 0``, such as the missing neuron's own."""
    q = z.theta[:k][np.isfinite(z.theta[:k])]
    return bool(np.all(np.abs(q) <= rtol * np.max(np.abs(z.theta[np.isfinite(z.theta)]))))


def direct_layer(g: ScalarView, known: KnownLayers, points: list[np.ndarray], rng: np.random.Generator,
                 *, radius: float, max_starts: int | None = None, max_barren: int = 12,
                 found: list[DirectNeuron] | None = None) -> list[DirectNeuron]:
    """Layer-3 boundaries followed with the direct fit, for when a layer-2 neuron is missing.

    Each point off every known boundary and on no boundary found so far starts a walk
    (:func:`trace_neuron` with ``direct=True``: :func:`fit_direct` on ``D = [|û|, ReLU(h), 1]``); a
    determined fit must pass :func:`test_far3` (predicted far points carry a kink) and is refitted
    with its far points. At most ``max_starts`` (default ``4 n_2 + 10``) walks, none after
    ``max_barren`` in a row gave no boundary. A fit on the boundary of an earlier one (each exact on
    the other's points where it is valid) is merged into it. Returns the accepted fits (``found``
    extended in place)."""
    found = [] if found is None else found
    n = known.w1.shape[1]
    starts = max_starts or 4 * len(known.c) + 10
    barren = 0
    for p in points:
        if starts <= 0 or barren >= max_barren:
            break
        if known.distance(p) <= 1e-8 * (1 + np.linalg.norm(p)) or any(on_boundary3(known, y, p) for y in found):
            continue
        starts -= 1
        barren += 1
        z = trace_neuron(g, known, p, rng, direct=True)
        if z is None or not z.determined:
            continue
        if not test_far3(g, known, z, rng, radius=radius, n_points=len(z.theta) // 2 + n):
            continue
        theta, side, _ = fit_direct(known, z.points)
        if theta is None:
            continue
        z.theta, z.side = theta, side
        barren = 0
        if not any(_merge_direct(known, y, z) for y in found):
            found.append(z)
    return found


def direct_misses(g: ScalarView, known: KnownLayers, fits: list[DirectNeuron], rng: np.random.Generator, *,
                  radius: float, n_points: int = 200, tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray]:
    """Predicted points of each direct fit's boundary, and which carry no kink there.

    Per fit, ``n_points`` Gaussian pairs (scales ``radius/3``, ``radius``; where the fit is exact,
    :meth:`DirectNeuron.valid`) with opposite ``v̂_t`` are bisected to predicted points of ``B_t``
    (no queries), and a kink is sought along ``∇v̂_t`` in a window of half the distance to the
    nearest known boundary (at most 0.05; ``kink_near``, a few queries each). Where the missing
    neuron is inactive, ``v_t = v̂_t − W_tm u_m`` is not 0 at the prediction: no kink within ``tol``.
    Returns the predicted points ``(m, n_in)`` and the mask of those without their kink."""
    n = known.w1.shape[1]
    out, bad = [], []
    for z in fits:
        x = np.concatenate([s * rng.normal(size=(4 * n_points, n)) for s in (radius / 3, radius)])
        x = x[z.valid(known, x)]
        val = z.values(known, x)
        neg, pos = x[val < 0], x[val > 0]
        if not len(neg) or not len(pos):
            continue
        a, b = neg[rng.integers(len(neg), size=n_points)], pos[rng.integers(len(pos), size=n_points)]
        for _ in range(100):
            mid = (a + b) / 2
            below = z.values(known, mid) < 0
            a, b = np.where(below[:, None], mid, a), np.where(below[:, None], b, mid)
        y = (a + b) / 2
        room = np.array([known.distance(q) for q in y])
        y, room = y[(room > 1e-4) & z.valid(known, y)], room[(room > 1e-4) & z.valid(known, y)]
        if not len(y):
            continue
        units = np.array([z.gradient(known, q) for q in y])
        units /= np.linalg.norm(units, axis=1, keepdims=True)
        s = kink_near(g, y, units, np.minimum(room, 0.1) / 2)
        out.append(y)
        bad.append(~(np.abs(s) <= tol))
    if not out:
        return np.zeros((0, n)), np.zeros(0, dtype=bool)
    return np.concatenate(out), np.concatenate(bad)


def _merge_direct(known: KnownLayers, y: DirectNeuron, z: DirectNeuron) -> bool:
    """Whether ``z`` is the boundary of ``y`` followed through other regions: the points of each that
    the other's fit is exact at (:meth:`DirectNeuron.valid`, at least 3 of them) all lie on it. The
    union is then refitted into ``y`` (:func:`fit_direct`; kept as it was when that is not unique)."""
    shared = 0
    for a, b in ((y, z), (z, y)):
        pts = np.array(b.points)
        ok = a.valid(known, pts)
        if not all(on_boundary3(known, a, p) for p in pts[ok]):
            return False
        shared += int(ok.sum())
    if shared < 3:
        return False
    theta, side, _ = fit_direct(known, y.points + z.points)
    if theta is not None:
        y.points += z.points
        y.theta, y.side = theta, side
    return True
