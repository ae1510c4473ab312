"""Fernando (2002), *Commonality in Liquidity*: closed forms, independent solvers, Section 4.

The model (Section 2 of the paper). ``M`` investors with CARA utility ``-exp(-a W2)``
each hold one unit of a risky asset paying ``v ~ N(vbar, sigma_v**2)`` at time 2. At
time 1 investor ``i`` learns a liquidity shock ``theta_i = gamma_i * delta + eps_i``
(eq. 1) that adds to his valuation of each unit he holds, with ``delta ~ N(0,
sigma_delta**2)`` common to all and ``eps_i ~ N(0, sigma_eps**2)`` i.i.d. He can then
trade in a batch market at ``P1 + lam * dX`` per unit (eq. 2), i.e. a transaction cost
``lam * dX**2``, and solves the recursive problem (3)-(4). Investors take prices as given
(the paper's batch market), whatever ``M``.

Our copy of the paper is a web preview whose mathematics is garbled and which stops after
eq. (17): the appendix with the proofs and Section 4 (many securities) are missing. Every
closed form here is derived from the primitives (the notebook derives each with sympy),
and each has an independent solver beside it:

* Lemma 1, eq. (5): :func:`time1_price`, :func:`time1_holdings`; Monte Carlo of the
  time-1 market from each investor's own demand: :func:`simulate_market`.
* Lemma 2, eqs. (6)-(7): :func:`price0`, :func:`discount_components`; the time-0 problem
  integrated by Gauss-Hermite quadrature placed on the tilted Gaussian, with the time-1
  problem maximised numerically at every node: :func:`price0_numeric`,
  :func:`demand0_numeric`, :func:`time0_foc`.
* Eq. (8), Lemmas 3-4: :func:`trade_size_sd`, :func:`expected_trade_size`,
  :func:`expected_volume`, :func:`price_variance`.
* Lemma 5, eqs. (11), (13): :func:`liquid_equilibrium` (what problem (3)-(4) gives, which is
  *not* the printed ``X0i = 1``) and :func:`liquid_equilibrium_numeric` (quadrature).
* Lemmas 6-7, eqs. (12)-(17): :func:`clientele_equilibrium` and, by direct optimisation
  of each clientele's expected utility, :func:`clientele_equilibrium_numeric`.
* Section 4, rebuilt: :func:`multi_security_equilibrium` (K securities, payoff covariance,
  security-specific ``lam_k``, common and idiosyncratic shocks), checked by
  :func:`multi_security_price0_numeric` (quadrature) and :func:`simulate_multi_market`
  (Monte Carlo).
* For the synthesis: :func:`priced_idiosyncratic_share`, the share of idiosyncratic
  liquidity risk priced at time 0 (free of the arbitrary mean payoff ``vbar``).

All ``sigma_*`` arguments are standard deviations; ``cov_*`` arguments covariance matrices.

Every tolerance is relative to the model's own scale (a covariance's largest entry, a price's
size ``|vbar| + a sigma^2``, a linear system's ``|A||x|``), so the model in other money units
(payoffs, prices and standard deviations times c, ``a`` over c, ``lam`` times c) gives the
same answer in those units. Parameters whose computation leaves double precision (a standard
deviation near 1e154 squares to infinity) raise :class:`firesales.numerics.OutOfRangeError`;
grids and simulations too large for memory are refused by name (``MAX_GRID``, ``MAX_DRAWS``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import numerics

__all__ = [
    "Discount",
    "Benchmarks",
    "MarketSimulation",
    "LiquidEquilibrium",
    "MultiSecurityEquilibrium",
    "MultiMarketSimulation",
    "Garbled",
    "GARBLED",
    "time1_price",
    "time1_holdings",
    "discount_components",
    "illiquidity_discount",
    "priced_idiosyncratic_share",
    "price0",
    "price0_curve",
    "price0_benchmarks",
    "normalised_price0",
    "time0_foc",
    "demand0_numeric",
    "price0_numeric",
    "trade_size_sd",
    "expected_trade_size",
    "expected_volume",
    "price_variance",
    "simulate_market",
    "illiquid_holding",
    "clientele_equilibrium",
    "clientele_equilibrium_numeric",
    "clientele_valuations",
    "liquid_equilibrium",
    "liquid_equilibrium_numeric",
    "multi_security_equilibrium",
    "multi_security_time1",
    "multi_security_price0_numeric",
    "simulate_multi_market",
    "symbol_tally",
]

#: Nodes per axis of the Gauss-Hermite rules; each integral is also done with twice as many.
NODES = 8
#: Largest node count accepted (numpy's hermegauss overflows near 400 nodes).
MAX_NODES = 64
#: Largest tensor grid (points of the finer rule) in :func:`multi_security_price0_numeric` (0.25 s at K = 4).
MAX_GRID = 2**16
#: Largest number of simulated investor draws (n·M, times K for many securities) held in memory at once.
MAX_DRAWS = 10**7


# ------------------------------------------------------------------ input checks
def _a(a) -> float:
    return numerics.check_interval("a", a, 0.0)


def _sigma_v(sigma_v) -> float:
    return numerics.check_interval("sigma_v", sigma_v, 0.0)


def _sd(name: str, value) -> float:
    return numerics.check_interval(name, value, 0.0, lo_closed=True)


def _lam(lam) -> float:
    return numerics.check_interval("lam", lam, 0.0, lo_closed=True)


def _M(M) -> int:
    return numerics.check_positive_int("M", M, 1)


def _phi(phi) -> float:
    return numerics.check_interval("phi", phi, 0.0, 1.0)


def _vbar(vbar) -> float:
    return numerics.check_finite("vbar", vbar)


def _nodes(nodes) -> int:
    n = numerics.check_positive_int("nodes", nodes, 2)
    if n > MAX_NODES:
        raise ValueError(f"nodes must be an integer in [2, {MAX_NODES}], got {n}")
    return n


def _array(name: str, value, *, ndim: int | None = None) -> np.ndarray:
    """Numbers only (nested sequences or real arrays), all finite, as a float array."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{name} must be a finite real number or an array of them, got {value!r}")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise ValueError(f"{name} must hold finite real numbers, got an array of dtype {value.dtype}")
        out = value.astype(float)
    elif isinstance(value, (list, tuple)):
        out = np.array([_array(f"{name}[{i}]", v) for i, v in enumerate(value)], dtype=float) if value else np.zeros(0)
    else:
        out = np.asarray(numerics.check_finite(name, value), dtype=float)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold finite real numbers, got {value!r}")
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array of numbers, got shape {out.shape}")
    return out


def _vector(name: str, value, K: int, *, lo: float | None = None) -> np.ndarray:
    """A length-K vector of finite numbers (a scalar is broadcast), each >= lo if given."""
    out = _array(name, value)
    if out.ndim == 0:
        out = np.full(K, float(out))
    if out.shape != (K,):
        raise ValueError(f"{name} must be a number or a sequence of {K} numbers, got shape {out.shape}")
    if lo is not None and np.any(out < lo):
        raise ValueError(f"{name} must have every entry in [{lo:g}, inf), got {out.tolist()}")
    return out


def _cov(name: str, value, K: int | None = None) -> np.ndarray:
    """A symmetric positive semi-definite K x K covariance matrix."""
    out = _array(name, value)
    if out.ndim == 0 and K is None:
        out = out.reshape(1, 1)
    if out.ndim != 2 or out.shape[0] != out.shape[1] or (K is not None and out.shape[0] != K):
        size = "K x K" if K is None else f"{K} x {K}"
        raise ValueError(f"{name} must be a {size} covariance matrix (nested sequence of numbers), got shape {out.shape}")
    size = float(np.max(np.abs(out))) if out.size else 0.0  # tolerances relative to the matrix's own scale
    if np.max(np.abs(out - out.T)) > 1e-12 * size:
        raise ValueError(f"{name} must be symmetric")
    out = 0.5 * (out + out.T)
    if np.min(np.linalg.eigvalsh(out)) < -1e-12 * size:
        raise ValueError(f"{name} must be positive semi-definite (a covariance matrix)")
    return out


def _factor(cov: np.ndarray) -> np.ndarray:
    """L with cov = L L^T and as many columns as cov has (numerically) non-zero eigenvalues."""
    w, V = np.linalg.eigh(cov)
    keep = w > 1e-13 * float(np.max(np.abs(w)))  # relative: a model in other units keeps its factors
    return V[:, keep] * np.sqrt(w[keep])


# ------------------------------------------------------------------ quadrature on the tilted Gaussian
@lru_cache(maxsize=None)
def _gh(n: int):
    x, w = np.polynomial.hermite_e.hermegauss(n)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(w))):  # pragma: no cover - guarded by MAX_NODES
        raise ValueError(f"Gauss-Hermite rule with {n} nodes is not finite")
    return x, w / w.sum()


@lru_cache(maxsize=None)
def _tensor(n: int, dim: int):
    x, w = _gh(n)
    grids = np.meshgrid(*([x] * dim), indexing="ij")
    weights = np.ones([n] * dim)
    for axis in range(dim):
        shape = [1] * dim
        shape[axis] = n
        weights = weights * w.reshape(shape)
    return np.stack([g.ravel() for g in grids], axis=1), weights.ravel()


def _fit(evaluate, m, C, what):
    """Fit log[phi(z) e^{L(z)}] by a quadratic in y (z = m + C y) and return the Gaussian it defines."""
    dim = len(m)
    E = np.eye(dim)
    pts = [np.zeros(dim)] + [s * E[i] for i in range(dim) for s in (1, -1)]
    pairs = [(i, j) for i in range(dim) for j in range(i + 1, dim)]
    pts += [si * E[i] + sj * E[j] for i, j in pairs for si in (1, -1) for sj in (1, -1)]
    y = np.array(pts)
    z = m + y @ C.T
    ell = evaluate(z)[0] - 0.5 * np.sum(z * z, axis=1)
    if not np.all(np.isfinite(ell)):
        raise ValueError(f"{what}: the integrand is not finite")
    f0 = ell[0]
    fp, fm = ell[1 : 2 * dim + 1 : 2], ell[2 : 2 * dim + 1 : 2]
    g = (fp - fm) / 2
    H = np.diag(fp + fm - 2 * f0)
    for k, (i, j) in enumerate(pairs):
        a, b, c, d = ell[2 * dim + 1 + 4 * k : 2 * dim + 5 + 4 * k]
        H[i, j] = H[j, i] = (a - b - c + d) / 4
    Q = -H
    try:
        R = np.linalg.cholesky(Q)
    except np.linalg.LinAlgError:
        raise ValueError(f"{what}: the expected utility does not exist (the integrand is not log-concave)") from None
    shift = np.linalg.solve(Q, g)
    Rinv = np.linalg.solve(R, np.eye(dim))  # Q^{-1} = Rinv^T Rinv
    return m + C @ shift, C @ Rinv.T


class _TiltedRule:
    """Gauss-Hermite rules (``nodes`` and ``2 * nodes`` per axis) placed on a tilted Gaussian.

    For ``z ~ N(0, I_dim)`` and ``evaluate(z) -> (L, F)``, the rules integrate against the
    weight ``phi(z) e^{L(z)}``: their nodes sit on the Gaussian that matches the mode and
    curvature of that weight (fitted twice), so a sharply tilted integrand is resolved
    whatever its width. :meth:`expect` returns ``E[F e^{L + extra}] / E[e^{L + extra}]`` from
    both rules and raises a ``ValueError`` if they disagree.
    """

    def __init__(self, evaluate, dim: int, nodes: int, what: str):
        self.what, self.nodes = what, nodes
        if dim == 0:
            L, F = evaluate(np.zeros((1, 0)))
            self.grids = [(np.zeros(1), np.asarray(F, dtype=float).reshape(1, -1))] * 2
            return
        m, C = np.zeros(dim), np.eye(dim)
        for _ in range(2):
            m, C = _fit(evaluate, m, C, what)
        self.grids = []
        for n in (nodes, 2 * nodes):
            y, wy = _tensor(n, dim)
            z = m + y @ C.T
            L, F = evaluate(z)
            base = np.log(wy) + L - 0.5 * np.sum(z * z, axis=1) + 0.5 * np.sum(y * y, axis=1)
            self.grids.append((base, np.asarray(F, dtype=float).reshape(len(base), -1)))

    def expect(self, extra=None, rtol: float = 1e-11, floor: float = 0.0) -> np.ndarray:
        results, spread = [], 0.0
        for base, F in self.grids:
            logr = base if extra is None else base + extra(F)
            r = np.exp(logr - np.max(logr))
            results.append(r @ F / r.sum())
            spread = float(np.max(r @ np.abs(F) / r.sum()))  # size of F under the weight (fine rule)
        coarse, fine = results
        # relative to the integrand's own size, or to ``floor`` (the size of the quantity it is added
        # to, in the model's units) when the integrand is only rounding noise around zero
        scale = max(float(np.max(np.abs(fine))), spread, floor)
        gap = float(np.max(np.abs(coarse - fine)))
        if not np.all(np.isfinite(fine)) or not gap <= rtol * scale:
            raise ValueError(
                f"{self.what}: Gauss-Hermite rules with {self.nodes} and {2 * self.nodes} nodes per axis disagree "
                f"by {gap:.2e}; the quadrature cannot vouch for the result"
            )
        return fine


def _tilted_expectation(evaluate, dim: int, nodes: int, *, what: str, floor: float = 0.0) -> np.ndarray:
    """``E[F(z) e^{L(z)}] / E[e^{L(z)}]`` for ``z ~ N(0, I_dim)``, ``evaluate(z) -> (L, F)`` (see :class:`_TiltedRule`)."""
    return _TiltedRule(evaluate, dim, nodes, what).expect(floor=floor)


def _maximise_time1(own, x0, b, lam, *, trade: bool = False):
    """argmax over X1 of ``X1 own - lam (X1 - x0)^2 - b X1^2 / 2`` at every node, by bisection.

    Bisection on the marginal objective ``own - 2 lam d - b (x0 + d)`` in the trade
    ``d = X1 - x0`` (decreasing in d), from a bracket widened until it holds the sign change:
    Lemma 1's holdings formula is not used. The trade is found to a relative 4 eps (exactly
    when the marginal objective vanishes), so ``2 lam d`` is accurate even when lam is large
    and the trade small. Returns X1, or d with ``trade=True``.
    """
    own = np.asarray(own, dtype=float)
    x0 = np.broadcast_to(np.asarray(x0, dtype=float), own.shape)
    slope = lambda d: own - 2 * lam * d - b * (x0 + d)  # noqa: E731
    lo, hi = -np.ones_like(own), np.ones_like(own)
    width = np.ones_like(own)
    for _ in range(2100):
        bad_lo, bad_hi = slope(lo) < 0, slope(hi) > 0
        if not (bad_lo.any() or bad_hi.any()):
            break
        lo, hi = np.where(bad_lo, lo - width, lo), np.where(bad_hi, hi + width, hi)
        width = width * 2
    else:  # pragma: no cover
        raise ValueError("time-1 problem: no bracket for the optimal holding")
    for _ in range(2200):
        mid = 0.5 * (lo + hi)
        g = slope(mid)
        up, hit = g > 0, g == 0
        lo, hi = np.where(up | hit, mid, lo), np.where(up & ~hit, hi, mid)
        if np.all(hi - lo <= 4 * np.finfo(float).eps * np.maximum(np.abs(lo), np.abs(hi))):
            break
    d = 0.5 * (lo + hi)
    return d if trade else x0 + d


# ------------------------------------------------------------------ Lemma 1
def _investors(name, value, shape):
    out = _array(name, value)
    try:
        return np.broadcast_to(out, shape)
    except ValueError:
        raise ValueError(f"{name} must have one entry per investor (shape {shape}), got shape {out.shape}") from None


def _supply_check(X0, M):
    total = X0.sum(axis=-1)
    if np.max(np.abs(total - M)) > 1e-9 * M:
        raise ValueError(
            f"X0 must sum to M = {M} over investors (one unit each, the supply Lemma 1 assumes); "
            f"got sums {np.round(np.ravel(total)[:3], 9).tolist()}"
        )


@numerics.guard
def time1_price(vbar, a, sigma_v, delta, eps, gamma=1.0, X0=1.0):
    """Time-1 market-clearing price, Lemma 1 eq. (5): ``vbar + gamma_A delta + eps_A - a sigma_v^2``.

    ``eps`` (and ``gamma`` and the time-0 holdings ``X0``, numbers or one per investor,
    default 1) run over the ``M`` investors along the last axis; ``delta`` is the common shock.
    The formula assumes aggregate holdings ``sum_i X0i = M``: other holdings are refused.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    eps = _array("eps", eps)
    if eps.ndim == 0:
        eps = eps.reshape(1)
    delta = _array("delta", delta)
    gamma = _investors("gamma", gamma, eps.shape)
    X0 = _investors("X0", X0, eps.shape)
    _supply_check(X0, eps.shape[-1])
    return vbar + gamma.mean(axis=-1) * delta + eps.mean(axis=-1) - a * sigma_v**2


@numerics.guard
def time1_holdings(vbar, a, sigma_v, lam, delta, eps, gamma=1.0, X0=1.0):
    """Time-1 holdings ``X1i`` of Lemma 1, eq. (5); checks that they clear the market.

    ``X1i = ((gamma_i - gamma_A) delta + eps_i - eps_A + a sigma_v^2 + 2 lam X0i) / (a sigma_v^2 + 2 lam)``.
    """
    vbar, a, sigma_v, lam = _vbar(vbar), _a(a), _sigma_v(sigma_v), _lam(lam)
    eps = _array("eps", eps)
    if eps.ndim == 0:
        eps = eps.reshape(1)
    gamma = _investors("gamma", gamma, eps.shape)
    X0 = _investors("X0", X0, eps.shape)
    _supply_check(X0, eps.shape[-1])
    delta = _array("delta", delta)[..., None]
    D = a * sigma_v**2 + 2 * lam
    theta_dev = (gamma - gamma.mean(axis=-1, keepdims=True)) * delta + eps - eps.mean(axis=-1, keepdims=True)
    X1 = (theta_dev + a * sigma_v**2 + 2 * lam * X0) / D
    gap = np.max(np.abs(X1.sum(axis=-1) - X0.sum(axis=-1)))
    if not gap <= 1e-9 * max(float(np.max(np.abs(X1).sum(axis=-1))), float(np.max(np.abs(X0).sum(axis=-1)))):
        raise ValueError(f"time-1 holdings do not clear the market (gap {gap:.2e}); the inputs are too extreme")
    return X1


# ------------------------------------------------------------------ Lemma 2
@dataclass(frozen=True)
class Discount:
    """The illiquidity discount of eq. (7) and its two parts."""

    systematic: float  # a sigma_delta^2: priced whatever the market's liquidity
    idiosyncratic: float  # a sigma_eps^2/M + 2 lam k/(a sigma_v^2 + 2 lam + k)
    total: float


@numerics.guard
def discount_components(a, sigma_v, sigma_delta, sigma_eps, lam, M) -> Discount:
    """Systematic and idiosyncratic parts of the illiquidity discount Phi, eq. (7).

    Derived from the time-0 problem (4) with gamma_i = 1:
    ``Phi = a sigma_delta^2 + a sigma_eps^2/M + 2 lam k / (a sigma_v^2 + 2 lam + k)``
    with ``k = a sigma_eps^2 (M-1)/M``.
    """
    a, sigma_v = _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    lam, M = _lam(lam), _M(M)
    k = a * sigma_eps**2 * (M - 1) / M
    systematic = a * sigma_delta**2
    idio = a * sigma_eps**2 / M + 2 * lam * k / (a * sigma_v**2 + 2 * lam + k)
    return Discount(float(systematic), float(idio), float(systematic + idio))


@numerics.guard
def illiquidity_discount(a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """Phi of eq. (7): the discount for time-1 liquidity risk in the time-0 price."""
    return discount_components(a, sigma_v, sigma_delta, sigma_eps, lam, M).total


@numerics.guard
def priced_idiosyncratic_share(a, sigma_v, sigma_eps, lam, M) -> float:
    """Share of idiosyncratic liquidity risk priced at time 0: ``Phi_idio / (a sigma_eps^2)``.

    ``1/M`` in a frictionless market, rising to 1 (fully priced) as ``lam -> infinity`` or
    with ``M = 1``; it depends neither on the mean payoff ``vbar`` nor on ``sigma_delta``,
    so it measures the illiquidity the transaction cost creates without the arbitrary
    level of the price (unlike :func:`normalised_price0`). Needs ``sigma_eps > 0``.
    """
    sigma_eps = numerics.check_interval("sigma_eps", sigma_eps, 0.0)
    a = _a(a)
    parts = discount_components(a, sigma_v, 0.0, sigma_eps, lam, M)
    return float(parts.idiosyncratic / (a * sigma_eps**2))


@numerics.guard
def price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """Time-0 equilibrium price of Lemma 2, eq. (6): ``vbar - a sigma_v^2 - Phi``."""
    vbar = _vbar(vbar)
    return float(vbar - _a(a) * _sigma_v(sigma_v) ** 2 - illiquidity_discount(a, sigma_v, sigma_delta, sigma_eps, lam, M))


@numerics.guard
def price0_curve(vbar, a, sigma_v, sigma_delta, sigma_eps, lams, M) -> np.ndarray:
    """P0 of eq. (6) on an array of transaction-cost parameters ``lams`` (for figures)."""
    lams = _array("lams", lams)
    return np.array([price0(vbar, a, sigma_v, sigma_delta, sigma_eps, float(lam), M) for lam in np.ravel(lams)])


@dataclass(frozen=True)
class Benchmarks:
    """Time-0 prices at the ends of the liquidity continuum (gamma_i = 1)."""

    frictionless: float  # lam = 0, the same M
    perfectly_liquid: float  # lam = 0 and M -> infinity: vbar - a(sigma_v^2 + sigma_delta^2)
    perfectly_illiquid: float  # lam -> infinity (or M = 1): vbar - a(sigma_v^2 + sigma_delta^2 + sigma_eps^2)


@numerics.guard
def price0_benchmarks(vbar, a, sigma_v, sigma_delta, sigma_eps, M) -> Benchmarks:
    """No-friction and perfectly illiquid benchmarks for P0 (Prop. 1's limits)."""
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps, M = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _M(M)
    return Benchmarks(
        frictionless=price0(vbar, a, sigma_v, sigma_delta, sigma_eps, 0.0, M),
        perfectly_liquid=float(vbar - a * (sigma_v**2 + sigma_delta**2)),
        perfectly_illiquid=float(vbar - a * (sigma_v**2 + sigma_delta**2 + sigma_eps**2)),
    )


@numerics.guard
def normalised_price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """``P0(lam) / P0(lam = 0)``: the time-0 price relative to its no-friction benchmark.

    The ratio depends on the arbitrary mean payoff ``vbar`` (a larger ``vbar`` pulls it
    towards 1); :func:`priced_idiosyncratic_share` is the ``vbar``-free measure. Raises
    ``ValueError`` when the frictionless price is not positive.
    """
    p_free = price0(vbar, a, sigma_v, sigma_delta, sigma_eps, 0.0, M)
    if p_free <= 0:
        raise ValueError(
            f"vbar too low: the frictionless price P0(lam=0) = {p_free:.6g} is not positive; raise vbar "
            "or lower a or the variances to normalise by it"
        )
    return price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) / p_free


# ------------------------------------------------------------------ numerical time-0 solution
def _time0_marginal(x0, vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes) -> float:
    """E~[h'(x0)]: the tilted expectation of the marginal time-1 value of holding x0 at time 0.

    ``h(x0) = x0 P1 + max_X1 [X1 (u + a sigma_v^2) - lam (X1 - x0)^2 - a sigma_v^2 X1^2 / 2]``
    with ``P1 = vbar - a sigma_v^2 + delta + w`` (Lemma 1's price), ``w = eps_A`` and
    ``u = eps_i - eps_A``: the investor's valuation less the price is ``u + a sigma_v^2``.
    The weight ``exp(-a h)`` factorises over the independent normals delta, w and u, so the
    expectation is a sum of three one-dimensional tilted expectations, each by quadrature.
    """
    b = a * sigma_v**2
    out = vbar - b
    for name, sd in (("delta", sigma_delta), ("eps_A", sigma_eps / math.sqrt(M))):
        if sd > 0:
            lin = lambda z, sd=sd: (-a * x0 * sd * z[:, 0], sd * z[:, :1])  # noqa: E731
            out += float(_tilted_expectation(lin, 1, nodes, what=f"time-0 expectation over {name}")[0])
    sd_u = sigma_eps * math.sqrt((M - 1) / M)
    if lam > 0:

        def gain(z):
            u = sd_u * z[:, 0] if z.shape[1] else np.zeros(len(z))
            dX = _maximise_time1(u + b, x0, b, lam, trade=True)
            X1 = x0 + dX
            value = X1 * (u + b) - lam * dX**2 - 0.5 * b * X1**2
            return -a * value, (2 * lam * dX)[:, None]

        size = abs(vbar - b) + a * (sigma_v**2 + sigma_delta**2 + sigma_eps**2)  # the price's scale
        out += float(_tilted_expectation(gain, 1 if sd_u > 0 else 0, nodes, what="time-0 expectation over eps_i - eps_A",
                                         floor=size)[0])
    return out


def _time0_args(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes):
    return (
        _vbar(vbar),
        _a(a),
        _sigma_v(sigma_v),
        _sd("sigma_delta", sigma_delta),
        _sd("sigma_eps", sigma_eps),
        _lam(lam),
        _M(M),
        _nodes(nodes),
    )


@numerics.guard
def time0_foc(x0, P0, vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = NODES) -> float:
    """Marginal time-0 expected utility of holding ``x0`` at price ``P0`` (scaled), by quadrature.

    With ``h(x0)`` the time-1 certainty equivalent (the inner problem of (4), maximised
    numerically over X1 at each node), the investor maximises
    ``-exp(-a(W0 - x0 P0)) E[exp(-a h(x0))]``; the returned value is
    ``E[h'(x0) exp(-a h)] / E[exp(-a h)] - P0``: zero at the optimum, decreasing in x0.
    """
    x0, P0 = numerics.check_finite("x0", x0), numerics.check_finite("P0", P0)
    args = _time0_args(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes)
    return _time0_marginal(x0, *args) - P0


@numerics.guard
def demand0_numeric(P0, vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = NODES) -> float:
    """An investor's optimal time-0 holding at price ``P0``: the root in x0 of :func:`time0_foc`."""
    P0 = numerics.check_finite("P0", P0)
    args = _time0_args(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes)
    f = lambda x: _time0_marginal(x, *args) - P0  # noqa: E731
    lo, hi = 0.0, 2.0
    for _ in range(40):
        if f(lo) > 0 > f(hi):
            return numerics.find_root(f, lo, hi, name="the time-0 first-order condition in X0", xtol=1e-13)
        lo, hi = lo - (hi - lo), hi + (hi - lo)
    raise ValueError(f"no time-0 demand at P0 = {P0:.6g}: the first-order condition has no sign change")


@numerics.guard
def price0_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = NODES) -> float:
    """Time-0 price from the numerically integrated time-0 problem (independent of eq. (6)).

    Investors are identical, so market clearing means each holds his unit; the price is
    the one at which the first-order condition holds at X0 = 1, i.e. the tilted
    expectation of the marginal value ``h'(1)``. The expectation is over the independent
    normals delta, eps_A and eps_i - eps_A, by Gauss-Hermite rules placed on the tilted
    Gaussian (its mode and width fitted numerically), with the time-1 holding maximised by
    bisection at every node. Every integral is done with ``nodes`` and ``2 * nodes`` points
    and a ``ValueError`` is raised if the two disagree by more than 1e-11 (relative). The
    time-0 objective is concave in X0 (the notebook proves it), so the FOC gives the optimum.

    Range checked: on 3,000 random points with ``a`` in [0.1, 20], ``sigma_v`` in [0.01, 2],
    ``sigma_delta`` in [0, 2], ``sigma_eps`` in [0, 5], ``lam`` in [0, 10] (down to 1e-8)
    and ``M`` up to 10,000 it agrees with eq. (6) to 1e-13; the tests cover that range
    with Hypothesis and the audit's corners. Outside it the comparison of the two rules
    still guards the quadrature (a disagreement raises), but agreement with (6) to 1e-8
    has not been tested there.
    """
    return _time0_marginal(1.0, *_time0_args(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes))


# ------------------------------------------------------------------ Lemmas 3-4
@numerics.guard
def trade_size_sd(a, sigma_v, sigma_eps, lam, M) -> float:
    """Standard deviation of the time-1 trade ``dX1i`` of eq. (8): ``sqrt((M-1)/M) sigma_eps / (a sigma_v^2 + 2 lam)``."""
    a, sigma_v, sigma_eps, lam, M = _a(a), _sigma_v(sigma_v), _sd("sigma_eps", sigma_eps), _lam(lam), _M(M)
    return float(math.sqrt((M - 1) / M) * sigma_eps / (a * sigma_v**2 + 2 * lam))


@numerics.guard
def expected_trade_size(a, sigma_v, sigma_eps, lam, M) -> float:
    """Lemma 3, eq. (9): ``E|dX1i| = sqrt(2/pi) * sd(dX1i)``."""
    return float(math.sqrt(2 / math.pi) * trade_size_sd(a, sigma_v, sigma_eps, lam, M))


@numerics.guard
def expected_volume(a, sigma_v, sigma_eps, lam, M) -> float:
    """Lemma 3, eq. (10): expected volume ``Q1 = (M/2) E|dX1i| = sqrt(M(M-1)/(2 pi)) sigma_eps/(a sigma_v^2 + 2 lam)``."""
    M = _M(M)
    return float(M / 2 * expected_trade_size(a, sigma_v, sigma_eps, lam, M))


@numerics.guard
def price_variance(sigma_delta, sigma_eps, M) -> float:
    """Lemma 4: time-1 price variance ``sigma_P^2 = sigma_delta^2 + sigma_eps^2 / M``."""
    sigma_delta, sigma_eps, M = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _M(M)
    return float(sigma_delta**2 + sigma_eps**2 / M)


def _draws(n: int, M: int, K: int) -> None:
    if n * M * K > MAX_DRAWS:
        raise ValueError(
            f"n and M: n·M{'·K' if K > 1 else ''} = {n * M * K:,} simulated draws exceed the {MAX_DRAWS:,} held in "
            "memory at once (several arrays of that size); "
            + (f"simulate in batches of n <= {MAX_DRAWS // (M * K):,}" if 2 * M * K <= MAX_DRAWS
               else f"M <= {MAX_DRAWS // (2 * K):,} investors per market fit")
        )


@dataclass(frozen=True)
class MarketSimulation:
    """Monte Carlo of ``n`` independent time-1 markets with ``M`` investors each."""

    P1: np.ndarray  # (n,) clearing prices
    trades: np.ndarray  # (n, M) trades dX1i
    volume: np.ndarray  # (n,) total volume, half the sum of |dX1i|
    max_clearing_error: float  # max |sum_i X1i - M| over markets


@numerics.guard
def simulate_market(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, n, seed) -> MarketSimulation:
    """Draw shocks, form each investor's time-1 demand from his FOC and clear the market.

    Demands ``X1i(P) = (vbar + delta + eps_i - P + 2 lam) / (a sigma_v^2 + 2 lam)`` (X0i = 1)
    are aggregated and the clearing price solves ``sum_i X1i(P) = M``; nothing of eqs.
    (8)-(10) or Lemma 4 is used, so the draws test those formulas. Raises if a market
    fails to clear to 1e-9, and refuses ``n·M > MAX_DRAWS`` = 1e7 draws (simulate in batches).
    """
    vbar, a, sigma_v, lam, M = _vbar(vbar), _a(a), _sigma_v(sigma_v), _lam(lam), _M(M)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    n = numerics.check_positive_int("n", n, 2)
    seed = numerics.check_positive_int("seed", seed, 0)
    _draws(n, M, 1)
    rng = np.random.default_rng(seed)
    delta = sigma_delta * rng.standard_normal(n)
    eps = sigma_eps * rng.standard_normal((n, M))
    D = a * sigma_v**2 + 2 * lam
    intercept = (vbar + delta[:, None] + eps + 2 * lam) / D  # X1i(P) = intercept - P / D
    P1 = (intercept.sum(axis=1) - M) * D / M  # aggregate demand sum(intercept) - M P / D = M
    X1 = intercept - P1[:, None] / D
    trades = X1 - 1.0
    err = float(np.max(np.abs(X1.sum(axis=1) - M)))
    if not err <= 1e-9 * max(1.0, float(np.max(np.abs(X1)))) * M:  # holdings are in units of the endowment (1)
        raise ValueError(f"simulated markets do not clear (error {err:.2e})")
    return MarketSimulation(P1, trades, 0.5 * np.abs(trades).sum(axis=1), err)


# ------------------------------------------------------------------ Lemmas 6-7 (illiquid market)
@numerics.guard
def illiquid_holding(P0, vbar, a, sigma_v, sigma_delta, sigma_eps, gamma) -> float:
    """Demand from the one-period FOC (12): ``X0 = (vbar - P0) / (a (sigma_v^2 + gamma^2 sigma_delta^2 + sigma_eps^2))``."""
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    gamma = numerics.check_interval("gamma", gamma, 0.0, lo_closed=True)
    P0 = numerics.check_finite("P0", P0)
    return float((vbar - P0) / (a * (sigma_v**2 + gamma**2 * sigma_delta**2 + sigma_eps**2)))


@numerics.guard
def clientele_equilibrium(vbar, a, sigma_v, sigma_delta, sigma_eps, phi) -> tuple[float, float]:
    """Lemma 7, eq. (16): (mu, P0) in the perfectly illiquid market with two clienteles.

    A fraction ``phi`` of investors has gamma = 1, the rest gamma = 0; ``mu`` is the share of
    the asset held by the gamma = 1 clientele. With ``S2 = sigma_v^2 + sigma_eps^2`` and
    ``S1 = S2 + sigma_delta^2``: ``mu = phi S2 / (S2 + (1 - phi) sigma_delta^2)`` and
    ``P0 = vbar - a S1 S2 / (phi S2 + (1 - phi) S1)``.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps, phi = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _phi(phi)
    S2 = sigma_v**2 + sigma_eps**2
    S1 = S2 + sigma_delta**2
    mu = phi * S2 / (S2 + (1 - phi) * sigma_delta**2)
    P0 = vbar - a * S1 * S2 / (phi * S2 + (1 - phi) * S1)
    return float(mu), float(P0)


def _illiquid_reservation(x, vbar, a, sds, nodes) -> float:
    """Marginal valuation of holding x to time 2 with no trade at time 1, by quadrature.

    The investor's wealth is ``x (v + gamma delta + eps - P0)``; the first-order condition of
    ``E[-exp(-a x (v + gamma delta + eps - P0))]`` is ``E~[v + gamma delta + eps] = P0`` with
    the expectation tilted by ``exp(-a x (...))``; each independent normal is integrated on
    its own tilted Gauss-Hermite rule.
    """
    out = vbar
    for k, sd in enumerate(sds):
        if sd > 0:
            lin = lambda z, sd=sd: (-a * x * sd * z[:, 0], sd * z[:, :1])  # noqa: E731
            out += float(_tilted_expectation(lin, 1, nodes, what=f"one-period expectation over shock {k}")[0])
    return out


@numerics.guard
def clientele_equilibrium_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, phi, *, nodes: int = NODES) -> tuple[float, float]:
    """(mu, P0) of the illiquid two-clientele market by direct optimisation and clearing.

    Each clientele's optimal holding maximises its one-period expected utility, integrated
    by quadrature over the payoff, the common and the idiosyncratic shock (not FOC (12));
    the type-1 holding ``x`` is found so that both clienteles' marginal valuations agree
    when the type-2 holding clears the market, ``phi x + (1 - phi) x2 = 1``.

    Valid while ``a sqrt(sigma_v^2 + sigma_delta^2 + sigma_eps^2) >= MIN_RISK`` = 1e-6 (a number
    free of units): below it the premia are lost in the quadrature's rounding and a
    ``ValueError`` says so.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps, phi = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _phi(phi)
    nodes = _nodes(nodes)
    risk = a * math.sqrt(sigma_v**2 + sigma_delta**2 + sigma_eps**2)
    if not risk >= MIN_RISK:
        raise numerics.OutOfRangeError(
            f"a: the risk premia a·sigma^2 that set mu are {risk:.2g} of the payoff's standard deviation, below "
            f"the {MIN_RISK:g} the quadrature resolves (its rounding is relative to sigma, so mu would be off by "
            f"about {3e-17 / max(risk, 1e-300):.1g}); clientele_equilibrium (exact) works at any a"
        )
    # reservation values less vbar: the gap is a difference of risk premia, never of prices near vbar
    r1 = lambda x: _illiquid_reservation(x, 0.0, a, (sigma_v, sigma_delta, sigma_eps), nodes)  # noqa: E731
    r2 = lambda x: _illiquid_reservation(x, 0.0, a, (sigma_v, 0.0, sigma_eps), nodes)  # noqa: E731
    gap = lambda x: r1(x) - r2((1 - phi * x) / (1 - phi))  # noqa: E731
    x1 = numerics.find_root(gap, -1.0 / phi, 1.0 / phi + 1.0, name="illiquid time-0 clearing", xtol=1e-14)
    return float(phi * x1), float(vbar + r1(x1))


#: Smallest a·sigma (unit-free) at which the clientele quadrature resolves the risk premia.
MIN_RISK = 1e-6


@numerics.guard
def clientele_valuations(vbar, a, sigma_v, sigma_delta, sigma_eps) -> tuple[float, float]:
    """(P0^1, P0^2) of (17): each clientele's valuation of its endowment in an illiquid market."""
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    return (
        float(vbar - a * (sigma_v**2 + sigma_delta**2 + sigma_eps**2)),
        float(vbar - a * (sigma_v**2 + sigma_eps**2)),
    )


# ------------------------------------------------------------------ Lemma 5 (perfectly liquid market)
@dataclass(frozen=True)
class LiquidEquilibrium:
    """Time-0 equilibrium with lam = 0 and M -> infinity for a discrete distribution of gamma."""

    P0: float
    holdings: tuple  # X0 for each exposure type
    exposures: tuple  # loading of each type's time-1 certainty equivalent on delta at its X0
    printed_P0: float  # vbar - a sigma_v^2 - a gamma_A^2 sigma_delta^2, as eqs. (11)/(13) read


def _types(gammas, weights):
    g = _array("gammas", gammas)
    w = _array("weights", weights)
    g, w = np.atleast_1d(g), np.atleast_1d(w)
    if g.ndim != 1 or g.shape != w.shape or g.size == 0:
        raise ValueError("gammas and weights must be 1-d sequences of numbers of the same non-zero length")
    if np.any(g < 0):
        raise ValueError(f"gammas must be >= 0, got {g.tolist()}")
    if np.any(w <= 0) or abs(w.sum() - 1) > 1e-12:
        raise ValueError(f"weights must be positive and sum to 1, got {w.tolist()}")
    gA = float(np.dot(w, g))
    if gA <= 0:
        raise ValueError("gammas: the average exposure gamma_A must be positive")
    return g, w, gA


@numerics.guard
def liquid_equilibrium(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights) -> LiquidEquilibrium:
    """Lemma 5 re-derived: lam = 0, M -> infinity, exposures ``gammas`` in proportions ``weights``.

    With ``S = sigma_v^2 + sigma_eps^2``, ``d_i = gamma_i - gamma_A``,
    ``rho_i = S + d_i^2 sigma_delta^2`` and ``rho_bar = sum_i w_i rho_i``:
    ``X0i = rho_i / rho_bar - d_i sigma_v^2 / (gamma_A S)`` and
    ``P0 = vbar - a sigma_v^2 - a gamma_A^2 sigma_delta^2 S / rho_bar``
    (the notebook derives this from problem (3)-(4)). No difference of nearly equal terms is
    formed, so it holds as ``sigma_delta -> 0``; holdings must clear ``sum_i w_i X0i = 1``
    to 1e-12 or a ``ValueError`` is raised. The printed Lemma 5 states ``X0i = 1``.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    g, w, gA = _types(gammas, weights)
    S = sigma_v**2 + sigma_eps**2
    d = g - gA
    rho = S + d**2 * sigma_delta**2
    rho_bar = float(np.dot(w, rho))
    X0 = rho / rho_bar - d * sigma_v**2 / (gA * S)
    total = float(np.dot(w, X0))
    if not abs(total - 1.0) <= 1e-12 * max(1.0, float(np.dot(w, np.abs(X0)))):
        raise ValueError(f"liquid_equilibrium: holdings clear to {total - 1:.2e}, not to 1e-12; inputs too extreme")
    P0 = vbar - a * sigma_v**2 - a * gA**2 * sigma_delta**2 * S / rho_bar
    exposures = g - gA * (1.0 - X0)
    printed = vbar - a * sigma_v**2 - a * gA**2 * sigma_delta**2
    return LiquidEquilibrium(float(P0), tuple(float(x) for x in X0), tuple(float(e) for e in exposures), float(printed))


def _liquid_reservation(vbar, a, sigma_v, sigma_delta, sigma_eps, gamma, gA, nodes, x_ref):
    """x -> (R(x), R'(x)): marginal valuation at time 0 of a gamma-type investor holding x.

    lam = 0 and M -> infinity. The time-1 price is ``P1 = vbar - b + gamma_A delta`` (Lemma 1
    with eps_A = 0); the investor's valuation less the price is
    ``s = (gamma - gamma_A) delta + eps + b`` and his time-1 problem ``max_X1 X1 s - b X1^2 / 2``
    is solved by bisection at each node. The marginal valuation is ``R(x) = E~[P1]`` under
    the weight ``exp(-a (x P1 + gain))`` and its slope ``R'(x) = -a Var~(P1)``; the rules are
    placed for ``x = x_ref`` and re-weighted for other x (both rules compared every time).
    """
    b = a * sigma_v**2
    centre = vbar - b

    def evaluate(z):
        dl = sigma_delta * z[:, 0]
        e = sigma_eps * z[:, 1] if z.shape[1] > 1 else np.zeros_like(dl)
        P1 = centre + gA * dl
        s = (gamma - gA) * dl + e + b
        X1 = _maximise_time1(s, 0.0, b, 0.0)
        gain = X1 * s - 0.5 * b * X1**2
        return -a * (x_ref * P1 + gain), np.stack([P1, (P1 - centre) ** 2], axis=1)

    dim, what = (2 if sigma_eps > 0 else 1), "time-0 expectation, liquid market"
    cache = {"x": x_ref, "rule": _TiltedRule(evaluate, dim, nodes, what)}

    def reservation(x):
        try:
            m1, m2 = cache["rule"].expect(lambda F: -a * (x - cache["x"]) * F[:, 0])
        except ValueError:  # x is far from where the rules sit: place them again at x
            shifted = lambda z: (lambda L, F: (L - a * (x - x_ref) * F[:, 0], F))(*evaluate(z))  # noqa: E731
            cache["x"], cache["rule"] = x, _TiltedRule(shifted, dim, nodes, what)
            m1, m2 = cache["rule"].expect()
        return float(m1), float(-a * (m2 - (m1 - centre) ** 2))

    return reservation


@numerics.guard
def liquid_equilibrium_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights, *, nodes: int = 16) -> LiquidEquilibrium:
    """:func:`liquid_equilibrium` by quadrature, numerical time-1 maximisation and Newton's method.

    Each type's marginal valuation ``R_i(x)`` of a time-0 holding (and its slope) is
    integrated over (delta, eps_i) on a Gauss-Hermite grid placed on the tilted Gaussian;
    Newton's method finds the demands ``R_i(x_i) = P0`` and the price that clears
    ``sum_i w_i x_i = 1``, starting from the printed price. The rules are placed at X0 = 1,
    the equilibrium solved, the rules placed again at the solution and the equilibrium
    solved again: the two solutions must agree to 1e-11 in units of price (a holding gap
    times the demand's slope), or a ``ValueError`` is raised. Holdings are as accurate as
    their conditioning allows: the demand slope is ``-1/(a gamma_A^2 Var)``, steep when
    ``sigma_delta`` is small. Needs ``sigma_delta > 0``.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta = numerics.check_interval("sigma_delta", sigma_delta, 0.0)
    sigma_eps = _sd("sigma_eps", sigma_eps)
    nodes = _nodes(nodes)
    g, w, gA = _types(gammas, weights)
    printed = vbar - a * sigma_v**2 - a * gA**2 * sigma_delta**2
    # the size of the prices the quadrature adds up (centre, common-shock spread, risk premium):
    # its rounding is relative to this, whatever the units
    size = abs(vbar - a * sigma_v**2) + gA * sigma_delta + a * (sigma_v**2 + sigma_delta**2 + sigma_eps**2)

    def solve(x_refs):
        reserve = [
            _liquid_reservation(vbar, a, sigma_v, sigma_delta, sigma_eps, gi, gA, nodes, xr) for gi, xr in zip(g, x_refs)
        ]
        x, p = np.array(x_refs, dtype=float), printed
        slopes = np.empty(len(g))
        for _ in range(60):
            for i, R in enumerate(reserve):
                for _ in range(60):  # Newton on R_i(x) = p
                    value, slopes[i] = R(x[i])
                    x[i] -= (value - p) / slopes[i]
                    if abs(value - p) <= 1e-13 * size:
                        break
                else:
                    raise ValueError(
                        f"liquid_equilibrium_numeric: the demand of type gamma = {g[i]:g} did not converge to "
                        f"1e-13 of the price scale {size:.3g}: with a·gamma_A·sigma_delta = {a * gA * sigma_delta:.3g} "
                        f"the tilted weight is too sharp for {nodes} nodes; more nodes, or liquid_equilibrium "
                        "(exact), work"
                    )
            if len(g) == 1:
                return reserve[0](1.0)[0], (1.0,), slopes
            step = (float(np.dot(w, x)) - 1.0) / float(np.dot(w, 1.0 / slopes))
            p -= step
            if abs(step) <= 1e-14 * size:
                return p, tuple(float(v) for v in x), slopes
        raise ValueError("liquid_equilibrium_numeric: market clearing did not converge")

    P0, X0, _s = solve([1.0] * len(g))
    P0b, X0b, slopes = solve(X0)
    # compare in units of price: a holding gap times the demand's slope is a price gap
    gap = max(abs(P0 - P0b), *(abs((x - y) * sl) for x, y, sl in zip(X0, X0b, slopes)))
    if not gap <= 1e-11 * size:  # in the model's units
        raise ValueError(f"liquid_equilibrium_numeric: the solution moves by {gap:.2e} (in price) when the rules are re-placed")
    exposures = tuple(float(gi - gA * (1 - x)) for gi, x in zip(g, X0b))
    return LiquidEquilibrium(float(P0b), tuple(float(x) for x in X0b), exposures, float(printed))


# ------------------------------------------------------------------ Section 4: many securities
@dataclass(frozen=True)
class MultiSecurityEquilibrium:
    """The K-security market with gamma_i = 1: time-1 trades and prices, time-0 prices.

    With ``B = a cov_v + 2 diag(lam)``, ``cov_u = cov_eps (M-1)/M``, ``K_u = a cov_u`` and
    per-capita supply ``s``: the time-1 price is ``P1 = vbar - a cov_v s + delta + eps_A``,
    investor i's trade is ``B^{-1} (eps_i - eps_A)``, and the time-0 price is
    ``P0 = vbar - a cov_v s - systematic - idiosyncratic`` with
    ``systematic = a cov_delta s`` and
    ``idiosyncratic = a cov_eps s / M + 2 diag(lam) (B + K_u)^{-1} K_u s``.
    """

    price0: np.ndarray  # (K,) time-0 prices
    systematic: np.ndarray  # (K,) a cov_delta s
    idiosyncratic: np.ndarray  # (K,) priced idiosyncratic liquidity risk
    price1_mean: np.ndarray  # (K,) E[P1] = vbar - a cov_v s
    price1_cov: np.ndarray  # (K, K) cov_delta + cov_eps / M
    trade_matrix: np.ndarray  # (K, K) B^{-1}: the trade is B^{-1}(eps_i - eps_A)
    trade_cov: np.ndarray  # (K, K) B^{-1} cov_u B^{-1}
    expected_volume: np.ndarray  # (K,) (M/2) sqrt(2/pi) sd of each security's trade
    full_idiosyncratic: np.ndarray  # (K,) a cov_eps s: the idiosyncratic risk priced in a closed market

    def priced_share(self) -> np.ndarray:
        """Idiosyncratic discount over ``a cov_eps s`` (its value in a closed market), per security."""
        if np.any(self.full_idiosyncratic <= 0):
            raise ValueError("priced_share needs a positive idiosyncratic risk a cov_eps s for every security")
        return self.idiosyncratic / self.full_idiosyncratic


def _multi_inputs(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply):
    cov_v = _cov("cov_v", cov_v)
    K = cov_v.shape[0]
    vbar = _vector("vbar", vbar, K)
    a = _a(a)
    cov_delta, cov_eps = _cov("cov_delta", cov_delta, K), _cov("cov_eps", cov_eps, K)
    lam = _vector("lam", lam, K, lo=0.0)
    M = _M(M)
    s = _vector("supply", supply, K)
    B = a * cov_v + 2 * np.diag(lam)
    if np.min(np.linalg.eigvalsh(B)) <= 1e-12 * float(np.max(np.abs(B))):
        raise ValueError(
            "cov_v and lam: a cov_v + 2 diag(lam) must be positive definite (securities whose payoffs are "
            "linearly dependent need a transaction cost on one of them, or the time-1 problem has no solution)"
        )
    return vbar, a, cov_v, cov_delta, cov_eps, lam, M, s, B


def _solve(A, b, what):
    x = np.linalg.solve(A, b)
    res = np.max(np.abs(A @ x - b))
    scale = max(float(np.max(np.abs(A))) * float(np.max(np.abs(x))), float(np.max(np.abs(b))))
    if not res <= 1e-10 * scale:  # relative to the system's own scale, whatever the units
        raise ValueError(f"{what}: the linear system is too ill-conditioned (residual {res:.2e})")
    return x


@numerics.guard
def multi_security_equilibrium(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply=1.0) -> MultiSecurityEquilibrium:
    """Section 4 rebuilt: K securities, common and idiosyncratic liquidity shocks (gamma_i = 1).

    Payoffs ``v ~ N(vbar, cov_v)``; investor i's liquidity shock on the K securities is
    ``theta_i = delta + eps_i`` with ``delta ~ N(0, cov_delta)`` common to all investors
    (systematic, possibly correlated across securities) and ``eps_i ~ N(0, cov_eps)`` i.i.d.
    across investors (idiosyncratic, possibly correlated across securities); trading
    security k at time 1 costs ``lam_k dX_k^2``; each investor is endowed with ``supply``
    (a number or one per security; default one unit of each). See :class:`MultiSecurityEquilibrium` for the
    closed forms; every linear solve is checked by its residual.
    """
    vbar, a, cov_v, cov_delta, cov_eps, lam, M, s, B = _multi_inputs(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply)
    K = len(s)
    cov_u = cov_eps * (M - 1) / M
    Ku = a * cov_u
    x = _solve(B + Ku, Ku @ s, "multi_security_equilibrium (time-0 price)")
    idio = a * cov_eps @ s / M + 2 * lam * x
    syst = a * cov_delta @ s
    mean1 = vbar - a * cov_v @ s
    T = _solve(B, np.eye(K), "multi_security_equilibrium (time-1 trades)")
    trade_cov = T @ cov_u @ T.T
    vol = M / 2 * math.sqrt(2 / math.pi) * np.sqrt(np.clip(np.diag(trade_cov), 0.0, None))
    return MultiSecurityEquilibrium(
        price0=mean1 - syst - idio,
        systematic=syst,
        idiosyncratic=idio,
        price1_mean=mean1,
        price1_cov=cov_delta + cov_eps / M,
        trade_matrix=T,
        trade_cov=trade_cov,
        expected_volume=vol,
        full_idiosyncratic=a * cov_eps @ s,
    )


@numerics.guard
def multi_security_time1(vbar, a, cov_v, lam, delta, eps, X0=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Time-1 clearing prices and holdings for realised shocks (K securities, M investors).

    ``delta`` is the common shock (K,), ``eps`` the idiosyncratic shocks (M, K), ``X0`` the
    time-0 holdings (a number or (M, K); default one unit of each). Each investor's demand solves his
    first-order condition ``vbar + theta_i - P1 - 2 diag(lam)(X1 - X0) - a cov_v X1 = 0``;
    the price clears ``sum_i X1i = sum_i X0i``. Returns ``(P1, X1)``; raises if the market
    does not clear to 1e-9.
    """
    cov_v = _cov("cov_v", cov_v)
    K = cov_v.shape[0]
    vbar, a, lam = _vector("vbar", vbar, K), _a(a), _vector("lam", lam, K, lo=0.0)
    delta = _vector("delta", delta, K)
    eps = _array("eps", eps, ndim=2)
    if eps.shape[1] != K:
        raise ValueError(f"eps must have shape (M, {K}), got {eps.shape}")
    M = eps.shape[0]
    X0 = _array("X0", X0)
    try:
        X0 = np.broadcast_to(X0, eps.shape)
    except ValueError:
        raise ValueError(f"X0 must be a number or have shape {eps.shape}, got {X0.shape}") from None
    B = a * cov_v + 2 * np.diag(lam)
    theta = delta + eps
    # sum_i B^{-1}(vbar + theta_i - P + 2 lam X0i) = sum_i X0i  =>  M (vbar - P) = B X0sum - sum theta - 2 lam X0sum
    X0sum = X0.sum(axis=0)
    P1 = vbar - (B @ X0sum - theta.sum(axis=0) - 2 * lam * X0sum) / M
    rhs = (vbar - P1) + theta + 2 * lam * X0
    X1 = _solve(B, rhs.T, "multi_security_time1 (demands)").T
    gap = float(np.max(np.abs(X1.sum(axis=0) - X0sum)))
    if not gap <= 1e-9 * M * max(float(np.max(np.abs(X1))), float(np.max(np.abs(X0)))):
        raise ValueError(f"multi_security_time1: the market does not clear (gap {gap:.2e})")
    return P1, X1


@numerics.guard
def multi_security_price0_numeric(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply=1.0, *, nodes: int = 6) -> np.ndarray:
    """Time-0 prices of the K-security market by quadrature (independent of the closed form).

    The first-order condition at the per-capita supply ``s`` sets ``P0 = E~[P1 + 2 diag(lam)
    (X1 - s)]`` with the expectation tilted by ``exp(-a h)``, ``h`` the time-1 certainty
    equivalent. ``P1 = vbar - a cov_v s + delta + eps_A``; the weight factorises over the
    independent normal vectors delta, eps_A and u = eps_i - eps_A, each integrated on a
    tensor Gauss-Hermite grid placed on its tilted Gaussian (``nodes`` and ``2 nodes`` per
    axis, compared). At every node the time-1 holding solves that node's first-order
    condition (a K x K linear system); the closed form of the time-0 price is not used.

    Valid for K <= 4 and ``(2 nodes)^K <= MAX_GRID`` = 65,536 (nodes up to 64 at K = 2, 20 at
    K = 3, 8 at K = 4); larger grids are refused, since time and memory grow as (2 nodes)^K.
    """
    vbar, a, cov_v, cov_delta, cov_eps, lam, M, s, B = _multi_inputs(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply)
    nodes = _nodes(nodes)
    K = len(s)
    if K > 4:
        raise ValueError(f"cov_v: quadrature is limited to K <= 4 securities, got K = {K}")
    if (2 * nodes) ** K > MAX_GRID:
        fit = int(MAX_GRID ** (1 / K) // 2)
        raise ValueError(
            f"nodes: the finer tensor grid has (2 nodes)^K = {(2 * nodes) ** K:,} points at nodes = {nodes}, "
            f"K = {K}, beyond the {MAX_GRID:,} this function evaluates (time and memory grow as (2 nodes)^K); "
            f"nodes <= {fit} works at K = {K}"
        )
    out = vbar - a * cov_v @ s
    for name, cov in (("delta", cov_delta), ("eps_A", cov_eps / M)):
        Lf = _factor(cov)
        if Lf.shape[1]:
            lin = lambda z, Lf=Lf: (-a * (z @ Lf.T) @ s, z @ Lf.T)  # noqa: E731
            out = out + _tilted_expectation(lin, Lf.shape[1], nodes, what=f"time-0 expectation over {name}")
    Lu = _factor(cov_eps * (M - 1) / M)
    if Lu.shape[1] and np.any(lam > 0):
        own0 = a * cov_v @ s

        def gain(z):
            u = z @ Lu.T
            own = u + own0  # valuation less price, per security
            X1 = _solve(B, (own + 2 * lam * s).T, "time-1 problem at a quadrature node").T
            dX = X1 - s
            value = np.sum(X1 * own, axis=1) - np.sum(lam * dX**2, axis=1) - 0.5 * a * np.einsum("nk,kl,nl->n", X1, cov_v, X1)
            return -a * value, 2 * lam * dX

        size = float(np.max(np.abs(vbar - a * cov_v @ s))) + a * float(np.max(np.abs(cov_v) + np.abs(cov_eps)))
        out = out + _tilted_expectation(gain, Lu.shape[1], nodes, what="time-0 expectation over eps_i - eps_A", floor=size)
    return np.asarray(out, dtype=float)


@dataclass(frozen=True)
class MultiMarketSimulation:
    """Monte Carlo of ``n`` independent K-security time-1 markets with ``M`` investors each."""

    P1: np.ndarray  # (n, K) clearing prices
    trades: np.ndarray  # (n, M, K) trades X1 - X0
    volume: np.ndarray  # (n, K) volume per security: half the sum of |trades|
    max_clearing_error: float


@numerics.guard
def simulate_multi_market(vbar, a, cov_v, cov_delta, cov_eps, lam, M, n, seed, supply=1.0) -> MultiMarketSimulation:
    """Draw shocks, form each investor's demand from his own FOC and clear each of ``n`` markets.

    The common shock is drawn once per market and the idiosyncratic shocks once per investor;
    the clearing price solves aggregate demand = supply (a K x K linear system) and the
    trades are each investor's demand less his endowment. The closed forms of
    :func:`multi_security_equilibrium` are not used. Raises if a market fails to clear, and
    refuses ``n·M·K > MAX_DRAWS`` = 1e7 draws (simulate in batches).
    """
    vbar, a, cov_v, cov_delta, cov_eps, lam, M, s, B = _multi_inputs(vbar, a, cov_v, cov_delta, cov_eps, lam, M, supply)
    n = numerics.check_positive_int("n", n, 2)
    seed = numerics.check_positive_int("seed", seed, 0)
    K = len(s)
    _draws(n, M, K)
    rng = np.random.default_rng(seed)
    Ld, Le = _factor(cov_delta), _factor(cov_eps)
    eps = rng.standard_normal((n, M, Le.shape[1])) @ Le.T
    delta = rng.standard_normal((n, Ld.shape[1])) @ Ld.T
    theta = delta[:, None, :] + eps  # (n, M, K)
    # investor demand: B X1 = vbar + theta - P + 2 lam s ; aggregate: B (M s) = M (vbar - P) + sum theta + 2 lam M s
    P1 = vbar + theta.mean(axis=1) + 2 * lam * s - B @ s
    rhs = vbar + theta - P1[:, None, :] + 2 * lam * s
    X1 = _solve(B, rhs.reshape(-1, K).T, "simulate_multi_market (demands)").T.reshape(n, M, K)
    err = float(np.max(np.abs(X1.sum(axis=1) - M * s)))
    if not err <= 1e-9 * M * max(float(np.max(np.abs(X1))), float(np.max(np.abs(s)))):
        raise ValueError(f"simulated markets do not clear (error {err:.2e})")
    trades = X1 - s
    return MultiMarketSimulation(P1, trades, 0.5 * np.abs(trades).sum(axis=1), err)


# ------------------------------------------------------------------ our copy's garbled equations
@dataclass(frozen=True)
class Garbled:
    """A display equation as our copy shows it, and the book's reading of it.

    ``fragment`` is verbatim from our copy (the equation's lines joined, pieces of one
    equation separated by ``|``, private-use bracket glyphs dropped); ``reading`` is the
    book's reading in plain notation; ``exprs`` the reading's right-hand sides in sympy
    syntax, for the notebook to compare with its derivation; ``agrees_with`` says which
    derivation the notebook compares the reading with.
    """

    place: str
    fragment: str
    reading: str
    exprs: dict
    agrees_with: str = ""


#: The garbled display equations of our copy (Sections 2-3), with the book's readings.
GARBLED = {
    "eq2": Garbled(
        "eq. (2)",
        "ii XPP 111 + = λ",
        "P1i = P1 + lam*dX1i",
        {},
        'paying P1 + lam dX per unit costs lam dX^2 over P1: the TC = lam (Delta X1i)^2 legible after (3)',
    ),
    "eq4": Garbled(
        "eq. (4)",
        "{ } 01 2 01 00101 110 max max exp ( ) ( ) ( ) ii ii i i ii XX EE aWXPPXvPXX θλ −− + −+ +−− −",
        "max_X0 E max_X1 E -exp(-a*(W0 + X0*(P1 - P0) + X1*(v + theta - P1) - lam*(X1 - X0)**2))",
        {"W2": "W0 + X0*(P1 - P0) + X1*(v + theta - P1) - lam*(X1 - X0)**2"},
        "the reading's wealth is the terminal wealth of the budget constraints (3)",
    ),
    "eq5": Garbled(
        "Lemma 1, eq. (5)",
        "2 1 2 0 1 2 ˆ ˆ ˆ ˆˆ ()() 2 2 AA v iA iA v i i v P v a aX X a γδ ε σ γγδεε σ λ σλ =+ + − −+−++ = +",
        "P1 = vbar + gamma_A*delta + eps_A - a*sigma_v**2; "
        "X1i = ((gamma_i - gamma_A)*delta + eps_i - eps_A + a*sigma_v**2 + 2*lam*X0i)/(a*sigma_v**2 + 2*lam)",
        {
            "P1": "vbar + gamma_A*delta + eps_A - a*sigma_v**2",
            "X1i": "((gamma_i - gamma_A)*delta + eps_i - eps_A + a*sigma_v**2 + 2*lam*X0i)/(a*sigma_v**2 + 2*lam)",
        },
        'the reading is the equilibrium of three investors with arbitrary exposures and holdings',
    ),
    "eq6": Garbled(
        "Lemma 2, eq. (6)",
        "2 22 0 22 1 2 1 2 v v M a M P v a a M M aa M ε ε δ ε λσ σ σσ σλσ =−−−− ++",
        "P0 = vbar - a*sigma_v**2 - a*sigma_delta**2 - a*sigma_eps**2/M"
        " - 2*lam*a*sigma_eps**2*(M - 1)/M/(a*(sigma_v**2 + sigma_eps**2*(M - 1)/M) + 2*lam)",
        {
            "P0": "vbar - a*sigma_v**2 - a*sigma_delta**2 - a*sigma_eps**2/M"
            " - 2*lam*a*sigma_eps**2*(M - 1)/M/(a*(sigma_v**2 + sigma_eps**2*(M - 1)/M) + 2*lam)"
        },
        'the reading equals the P0 derived from the time-0 first-order condition',
    ),
    "eq7": Garbled(
        "eq. (7)",
        "2 2 2 22 1 2 1 2 v M a M a M M aa M ε ε δ ε λσ σ σ σλσ Φ= + + ++",
        "Phi = a*sigma_delta**2 + a*sigma_eps**2/M"
        " + 2*lam*a*sigma_eps**2*(M - 1)/M/(a*(sigma_v**2 + sigma_eps**2*(M - 1)/M) + 2*lam)",
        {
            "Phi": "a*sigma_delta**2 + a*sigma_eps**2/M"
            " + 2*lam*a*sigma_eps**2*(M - 1)/M/(a*(sigma_v**2 + sigma_eps**2*(M - 1)/M) + 2*lam)"
        },
        'the reading equals vbar - a sigma_v^2 - P0 with the derived P0',
    ),
    "eq8": Garbled(
        "eq. (8)",
        "1 2 ˆˆ () 2 iA i v X a ε ε σ λ ∆= +",
        "dX1i = (eps_i - eps_A)/(a*sigma_v**2 + 2*lam)",
        {"dX1i": "(eps_i - eps_A)/(a*sigma_v**2 + 2*lam)"},
        'the reading is the trade of Lemma 1 at X0 = 1',
    ),
    "eq8-variance": Garbled(
        "Sec. 3.2, after eq. (8)",
        "2 2 22 1 (2) X v M M = a ε σ σ σ λ",
        "sigma_X**2 = (M - 1)/M*sigma_eps**2/(a*sigma_v**2 + 2*lam)**2",
        {"sigma_X2": "(M - 1)/M*sigma_eps**2/(a*sigma_v**2 + 2*lam)**2"},
        'the reading is the variance of the derived trade',
    ),
    "eq9": Garbled(
        "Lemma 3, eq. (9)",
        "[] 01 2 21 2 i v M E| X | aM ε σ σλπ ∆= +",
        "E|dX1i| = sigma_eps/(a*sigma_v**2 + 2*lam)*sqrt(2*(M - 1)/(pi*M))",
        {"E_abs": "sigma_eps/(a*sigma_v**2 + 2*lam)*sqrt(2*(M - 1)/(pi*M))"},
        "the reading is sqrt(2/pi) times the derived trade's standard deviation",
    ),
    "eq10": Garbled(
        "Lemma 3, eq. (10)",
        "[] 101 2 (1) 222 i v MMM QE| X| a ε σ σλ π =∆= +",
        "Q1 = M/2*E|dX1i| = sigma_eps/(a*sigma_v**2 + 2*lam)*sqrt(M*(M - 1)/(2*pi))",
        {"Q1": "sigma_eps/(a*sigma_v**2 + 2*lam)*sqrt(M*(M - 1)/(2*pi))"},
        'the reading is M/2 times the derived expected trade size',
    ),
    "lemma4": Garbled(
        "Lemma 4",
        "2 22 P M ε δ σ σσ =+.",
        "sigma_P**2 = sigma_delta**2 + sigma_eps**2/M",
        {"sigma_P2": "sigma_delta**2 + sigma_eps**2/M"},
        "the reading is the variance of Lemma 1's price with gamma_i = 1",
    ),
    "eq12": Garbled(
        "Lemma 6, eq. (12)",
        "222 2 00 ()0 vi i vPa X δε σγσσ −− + + =",
        "vbar - P0 - a*X0i*(sigma_v**2 + gamma_i**2*sigma_delta**2 + sigma_eps**2) = 0",
        {"foc": "vbar - P0 - a*X0i*(sigma_v**2 + gamma_i**2*sigma_delta**2 + sigma_eps**2)"},
        'the reading is the first-order condition of the integrated one-period problem',
    ),
    "eq14-15": Garbled(
        "eqs. (14)-(15)",
        "222 0 () v a Pv δ ε µ σ σσ φ =− + + | 22 0 (1 ) () (1 ) v a Pv ε µ σ σ φ =− +",
        "P0 = vbar - a*mu/phi*(sigma_v**2 + sigma_delta**2 + sigma_eps**2); "
        "P0 = vbar - a*(1 - mu)/(1 - phi)*(sigma_v**2 + sigma_eps**2)",
        {
            "P0_14": "vbar - a*mu/phi*(sigma_v**2 + sigma_delta**2 + sigma_eps**2)",
            "P0_15": "vbar - a*(1 - mu)/(1 - phi)*(sigma_v**2 + sigma_eps**2)",
        },
        "the readings are the two clienteles' FOCs at holdings mu/phi and (1-mu)/(1-phi)",
    ),
    "eq16": Garbled(
        "Lemma 7, eq. (16)",
        "222 22 22 * 222 0 22 222 (1 ) () ()(1)( ) v v v v vv 1 Pva δε ε ε δε εδε µφ φ σσσ φφ σσ σσ σσσ φσσ "
        "φσσσ =≤ ++ +− + + =− + + ++− ++",
        "mu = phi*(sigma_v**2 + sigma_eps**2)/(sigma_v**2 + sigma_eps**2 + (1 - phi)*sigma_delta**2) <= phi; "
        "P0 = vbar - a*(sigma_v**2 + sigma_eps**2)*(sigma_v**2 + sigma_delta**2 + sigma_eps**2)"
        "/(phi*(sigma_v**2 + sigma_eps**2) + (1 - phi)*(sigma_v**2 + sigma_delta**2 + sigma_eps**2))",
        {
            "mu": "phi*(sigma_v**2 + sigma_eps**2)/(sigma_v**2 + sigma_eps**2 + (1 - phi)*sigma_delta**2)",
            "P0": "vbar - a*(sigma_v**2 + sigma_eps**2)*(sigma_v**2 + sigma_delta**2 + sigma_eps**2)"
            "/(phi*(sigma_v**2 + sigma_eps**2) + (1 - phi)*(sigma_v**2 + sigma_delta**2 + sigma_eps**2))",
        },
        'the reading solves (14) = (15)',
    ),
    "eq17": Garbled(
        "eq. (17)",
        "1222 0 () v Pva δ ε σ σσ =− + + | 222 0 () v Pva ε σ σ =− + | 1*2 000 PPP ≤",
        "P01 = vbar - a*(sigma_v**2 + sigma_delta**2 + sigma_eps**2); P02 = vbar - a*(sigma_v**2 + sigma_eps**2); "
        "P01 <= P0s <= P02",
        {"P01": "vbar - a*(sigma_v**2 + sigma_delta**2 + sigma_eps**2)", "P02": "vbar - a*(sigma_v**2 + sigma_eps**2)"},
        'P0^1 and P0^2 are (14) and (15) at mu = phi, and they bracket the derived P0*',
    ),
}

#: The symbols counted in a fragment and in a reading.
TALLIED = "σλπφµγδεθΦaMPXv"
_GLYPHS = {
    "vbar": "v", "v": "v", "a": "a", "M": "M", "lam": "λ", "pi": "π", "phi": "φ", "mu": "µ",
    "theta": "θ", "Phi": "Φ", "sigma_v": "σv", "sigma_delta": "σδ", "sigma_eps": "σε", "sigma_X": "σX",
    "sigma_P": "σP", "gamma_i": "γ", "gamma_A": "γ", "delta": "δ", "eps_i": "ε", "eps_A": "ε",
    "P0": "P", "P1": "P", "P1i": "P", "P01": "P", "P02": "P", "P0s": "P", "X0": "X", "X1": "X",
    "X0i": "X", "X1i": "X", "dX1i": "X", "max_X0": "X", "max_X1": "X",
}  # fmt: skip


@numerics.guard
def symbol_tally(key) -> tuple[dict, dict]:
    """Counts of the symbols in :data:`TALLIED` in the fragment and in the reading of ``GARBLED[key]``.

    The fragment's own function words (``max``, ``exp``) are not counted; in the reading
    each identifier counts as the glyphs it prints as (``sigma_eps`` is a sigma and an
    epsilon, ``vbar`` a v; ``E``, ``sqrt``, ``exp`` and ``W0`` count nothing).
    """
    if not isinstance(key, str) or key not in GARBLED:
        raise ValueError(f"key must be one of {sorted(GARBLED)}, got {key!r}")
    item = GARBLED[key]
    text = re.sub(r"\b(max|exp)\b", " ", item.fragment)
    frag = {c: text.count(c) for c in TALLIED if text.count(c)}
    glyphs = "".join(_GLYPHS.get(tok, "") for tok in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", item.reading))
    read = {c: glyphs.count(c) for c in TALLIED if glyphs.count(c)}
    return frag, read
