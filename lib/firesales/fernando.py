"""Fernando (2002), *Commonality in Liquidity*: closed forms and numerical checks.

The model (Section 2 of the paper). ``M`` investors with CARA utility ``-exp(-a W2)``
each hold one unit of a risky asset paying ``v ~ N(vbar, sigma_v**2)`` at time 2. At
time 1 investor ``i`` learns a liquidity shock ``theta_i = gamma_i * delta + eps_i``
(eq. 1) that adds to his valuation of each unit held, with ``delta ~ N(0,
sigma_delta**2)`` common to all and ``eps_i ~ N(0, sigma_eps**2)`` i.i.d. He can then
trade in a batch market at ``P1 + lam * dX`` per unit (eq. 2), i.e. a transaction cost
``lam * dX**2``, and solves the recursive problem (3)-(4).

The text we have is a web preview whose mathematics is garbled, and the appendix with
the proofs is missing, so **every closed form below is a reconstruction derived from
these primitives** (the notebook derives each one with sympy and checks it against an
independent numerical solution). All ``sigma_*`` arguments are standard deviations.

Closed forms (gamma_i = 1 unless stated):

* Lemma 1, eq. (5): ``P1 = vbar + gamma_A*delta + eps_A - a sigma_v^2`` and
  ``X1i = ((gamma_i - gamma_A) delta + eps_i - eps_A + a sigma_v^2 + 2 lam X0i) / (a sigma_v^2 + 2 lam)``.
* Lemma 2, eqs. (6)-(7): ``P0 = vbar - a sigma_v^2 - Phi`` with
  ``Phi = a sigma_delta^2 + a sigma_eps^2 / M + 2 lam k / (a sigma_v^2 + 2 lam + k)``,
  ``k = a sigma_eps^2 (M - 1) / M``.
* Eq. (8): ``dX1i = (eps_i - eps_A) / (a sigma_v^2 + 2 lam)``; Lemma 3, eqs. (9)-(10):
  ``E|dX1i| = sqrt(2 (M-1) / (pi M)) sigma_eps / (a sigma_v^2 + 2 lam)`` and
  ``Q1 = (M/2) E|dX1i| = sqrt(M (M-1) / (2 pi)) sigma_eps / (a sigma_v^2 + 2 lam)``.
* Lemma 4: ``Var(P1) = sigma_delta^2 + sigma_eps^2 / M``.
* Lemmas 6-7, eqs. (12)-(16): the perfectly illiquid two-clientele equilibrium.
* Lemma 5, eqs. (11), (13): the perfectly liquid (lam = 0, M -> infinity) equilibrium with
  heterogeneous exposures. Here the derivation does **not** give the printed holdings
  ``X0i = 1``; :func:`liquid_equilibrium` returns what problem (3)-(4) gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import numerics

__all__ = [
    "Discount",
    "Benchmarks",
    "MarketSimulation",
    "LiquidEquilibrium",
    "time1_price",
    "time1_holdings",
    "discount_components",
    "illiquidity_discount",
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
]


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


# ------------------------------------------------------------------ Lemma 1
def time1_price(vbar, a, sigma_v, delta, eps, gamma=None):
    """Time-1 market-clearing price, Lemma 1 eq. (5) (reconstruction).

    ``eps`` (and ``gamma``, default all ones) are the realised idiosyncratic shocks and
    exposures of the ``M`` investors along the last axis; ``delta`` the common shock.
    Assumes aggregate holdings ``sum_i X0i = M`` (one unit per investor).
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    eps = np.asarray(eps, dtype=float)
    gamma = np.ones_like(eps) if gamma is None else np.broadcast_to(np.asarray(gamma, float), eps.shape)
    delta = np.asarray(delta, dtype=float)
    return vbar + gamma.mean(axis=-1) * delta + eps.mean(axis=-1) - a * sigma_v**2


def time1_holdings(vbar, a, sigma_v, lam, delta, eps, gamma=None, X0=None):
    """Time-1 holdings ``X1i`` of Lemma 1, eq. (5) (reconstruction); ``X0`` defaults to 1."""
    vbar, a, sigma_v, lam = _vbar(vbar), _a(a), _sigma_v(sigma_v), _lam(lam)
    eps = np.asarray(eps, dtype=float)
    gamma = np.ones_like(eps) if gamma is None else np.broadcast_to(np.asarray(gamma, float), eps.shape)
    X0 = np.ones_like(eps) if X0 is None else np.broadcast_to(np.asarray(X0, float), eps.shape)
    delta = np.asarray(delta, dtype=float)[..., None]
    D = a * sigma_v**2 + 2 * lam
    theta_dev = (gamma - gamma.mean(axis=-1, keepdims=True)) * delta + eps - eps.mean(axis=-1, keepdims=True)
    return (theta_dev + a * sigma_v**2 + 2 * lam * X0) / D


# ------------------------------------------------------------------ Lemma 2
@dataclass(frozen=True)
class Discount:
    """The illiquidity discount of eq. (7) and its two parts."""

    systematic: float  # a sigma_delta^2: priced whatever the market's liquidity
    idiosyncratic: float  # a sigma_eps^2/M + 2 lam k/(a sigma_v^2 + 2 lam + k)
    total: float


def discount_components(a, sigma_v, sigma_delta, sigma_eps, lam, M) -> Discount:
    """Systematic and idiosyncratic parts of the illiquidity discount Phi, eq. (7).

    Reconstruction from the time-0 problem (4) with gamma_i = 1:
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


def illiquidity_discount(a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """Phi of eq. (7): the discount for time-1 liquidity risk in the time-0 price."""
    return discount_components(a, sigma_v, sigma_delta, sigma_eps, lam, M).total


def price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """Time-0 equilibrium price of Lemma 2, eq. (6): ``vbar - a sigma_v^2 - Phi``."""
    vbar = _vbar(vbar)
    return float(vbar - _a(a) * _sigma_v(sigma_v) ** 2 - illiquidity_discount(a, sigma_v, sigma_delta, sigma_eps, lam, M))


def price0_curve(vbar, a, sigma_v, sigma_delta, sigma_eps, lams, M) -> np.ndarray:
    """P0 of eq. (6) on an array of transaction-cost parameters ``lams`` (for figures)."""
    return np.array([price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) for lam in np.ravel(lams)])


@dataclass(frozen=True)
class Benchmarks:
    """Time-0 prices at the ends of the liquidity continuum (gamma_i = 1)."""

    frictionless: float  # lam = 0, the same M
    perfectly_liquid: float  # lam = 0 and M -> infinity: vbar - a(sigma_v^2 + sigma_delta^2)
    perfectly_illiquid: float  # lam -> infinity (or M = 1): vbar - a(sigma_v^2 + sigma_delta^2 + sigma_eps^2)


def price0_benchmarks(vbar, a, sigma_v, sigma_delta, sigma_eps, M) -> Benchmarks:
    """No-friction and perfectly illiquid benchmarks for P0 (Prop. 1's limits)."""
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps, M = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _M(M)
    return Benchmarks(
        frictionless=price0(vbar, a, sigma_v, sigma_delta, sigma_eps, 0.0, M),
        perfectly_liquid=float(vbar - a * (sigma_v**2 + sigma_delta**2)),
        perfectly_illiquid=float(vbar - a * (sigma_v**2 + sigma_delta**2 + sigma_eps**2)),
    )


def normalised_price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) -> float:
    """``P0(lam) / P0(lam = 0)``: the time-0 price relative to its no-friction benchmark.

    Raises ``ValueError`` when the frictionless price is not positive (the ratio would
    then not measure a discount).
    """
    p_free = price0(vbar, a, sigma_v, sigma_delta, sigma_eps, 0.0, M)
    if p_free <= 0:
        raise ValueError(
            f"the frictionless price P0(lam=0) = {p_free:.6g} is not positive; raise vbar "
            "or lower a or the variances to normalise by it"
        )
    return price0(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) / p_free


# ------------------------------------------------------------------ numerical time-0 solution
def _gh(nodes: int):
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    return x, w / math.sqrt(2 * math.pi)


def _time0_grid(sigma_delta, sigma_eps, M, nodes, u_nodes):
    """Quadrature grid for the time-0 expectation -> delta, eps_i, eps_A, weights.

    Integrates over three independent normals: delta, w = eps_A (variance sigma_eps^2/M)
    and u = eps_i - eps_A (variance sigma_eps^2 (M-1)/M), which are uncorrelated, hence
    independent. The gain from time-1 trading is a sharp Gaussian in u when
    a sigma_eps^2 is large relative to a sigma_v^2 + 2 lam, so u gets a finer rule.
    """
    x, w = _gh(nodes)
    if M == 1:  # eps_i = eps_A: no u
        d, ww = np.meshgrid(sigma_delta * x, sigma_eps * x, indexing="ij")
        wt = np.outer(w, w)
        return d.ravel(), ww.ravel(), ww.ravel(), wt.ravel()
    xu, wu = _gh(u_nodes)
    d, ww, uu = np.meshgrid(sigma_delta * x, sigma_eps / math.sqrt(M) * x, sigma_eps * math.sqrt((M - 1) / M) * xu, indexing="ij")
    wt = w[:, None, None] * w[None, :, None] * wu[None, None, :]
    return d.ravel(), (uu + ww).ravel(), ww.ravel(), wt.ravel()


def _time0_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes, u_nodes=160):
    """Precompute the quadrature grid and return ``foc(x0, P0)`` (see :func:`time0_foc`)."""
    vbar, a, sigma_v, lam, M = _vbar(vbar), _a(a), _sigma_v(sigma_v), _lam(lam), _M(M)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    nodes = numerics.check_positive_int("nodes", nodes, 2)
    d, e, eA, wt = _time0_grid(sigma_delta, sigma_eps, M, nodes, numerics.check_positive_int("u_nodes", u_nodes, 2))
    P1 = vbar + d + eA - a * sigma_v**2  # Lemma 1 price function (price taking)
    own = vbar + d + e - P1  # investor's valuation minus the price
    D = a * sigma_v**2 + 2 * lam

    def foc(x0, P0):
        x0, P0 = numerics.check_finite("x0", x0), numerics.check_finite("P0", P0)
        X1 = (own + 2 * lam * x0) / D  # inner maximiser of the concave quadratic
        h = x0 * P1 + X1 * own - lam * (X1 - x0) ** 2 - 0.5 * a * sigma_v**2 * X1**2
        dh = P1 + 2 * lam * (X1 - x0)  # envelope theorem
        z = -a * h
        ew = wt * np.exp(z - z.max())
        value = float(np.dot(ew, dh) / ew.sum() - P0)
        if not math.isfinite(value):
            raise ValueError("time0_foc: the quadrature is not finite; reduce a or the variances")
        return value

    return foc


def time0_foc(x0, P0, vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = 20) -> float:
    """Marginal time-0 expected utility of holding ``x0`` at price ``P0`` (scaled), by quadrature.

    With ``h(x0) = x0 P1 + max_X1 [X1 (vbar + delta + eps_i - P1) - lam (X1 - x0)^2 - a sigma_v^2 X1^2 / 2]``
    (the time-1 certainty equivalent, the inner problem of (4)), the investor maximises
    ``-exp(-a(W0 - x0 P0)) E[exp(-a h(x0))]``; the returned value is
    ``E[h'(x0) exp(-a h)] / E[exp(-a h)] - P0``, zero at the optimum and decreasing in x0.
    ``P1`` is the time-1 equilibrium price function of Lemma 1 (price taking). The
    expectation is a tensor Gauss-Hermite rule over the independent normals delta,
    eps_A and eps_i - eps_A, with ``nodes`` points on the first two and 160 on the last.
    """
    return _time0_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes)(x0, P0)


def _demand(foc, P0) -> float:
    f = lambda x: foc(x, P0)  # noqa: E731
    lo, hi = 0.0, 2.0
    for _ in range(30):
        if f(lo) > 0 > f(hi):
            return numerics.find_root(f, lo, hi, name="the time-0 first-order condition in X0")
        lo, hi = lo - (hi - lo), hi + (hi - lo)
    raise ValueError(f"no time-0 demand at P0 = {P0:.6g}: the first-order condition has no sign change")


def demand0_numeric(P0, vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = 20) -> float:
    """An investor's optimal time-0 holding at price ``P0``: the root of :func:`time0_foc`."""
    P0 = numerics.check_finite("P0", P0)
    return _demand(_time0_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes), P0)


def price0_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, *, nodes: int = 20) -> float:
    """Time-0 price solved numerically from the quadrature first-order condition.

    Independent of the closed form (6): the expected utility is integrated by Gauss-Hermite
    quadrature over (delta, eps_A, eps_i - eps_A) with the inner time-1 maximisation done at
    every node. Investors are identical, so market clearing means each holds his unit; the
    price is the root in P0 of the first-order condition at X0 = 1 (the objective is concave
    in X0, so that is the optimum; :func:`demand0_numeric` traces the demand curve around it).
    """
    foc = _time0_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, nodes)
    vbar, a, sigma_v = float(vbar), float(a), float(sigma_v)
    S = sigma_v**2 + float(sigma_delta) ** 2 + float(sigma_eps) ** 2
    g = lambda p: foc(1.0, p)  # noqa: E731
    return numerics.find_root(g, vbar - 10 * a * S - 1.0, vbar + 1.0, name="the time-0 first-order condition at X0 = 1")


# ------------------------------------------------------------------ Lemmas 3-4
def trade_size_sd(a, sigma_v, sigma_eps, lam, M) -> float:
    """Standard deviation of the time-1 trade ``dX1i`` of eq. (8): ``sqrt((M-1)/M) sigma_eps / (a sigma_v^2 + 2 lam)``."""
    a, sigma_v, sigma_eps, lam, M = _a(a), _sigma_v(sigma_v), _sd("sigma_eps", sigma_eps), _lam(lam), _M(M)
    return float(math.sqrt((M - 1) / M) * sigma_eps / (a * sigma_v**2 + 2 * lam))


def expected_trade_size(a, sigma_v, sigma_eps, lam, M) -> float:
    """Lemma 3, eq. (9): ``E|dX1i| = sqrt(2/pi) * sd(dX1i)``."""
    return float(math.sqrt(2 / math.pi) * trade_size_sd(a, sigma_v, sigma_eps, lam, M))


def expected_volume(a, sigma_v, sigma_eps, lam, M) -> float:
    """Lemma 3, eq. (10): expected total volume ``Q1 = (M/2) E|dX1i| = sqrt(M(M-1)/(2 pi)) sigma_eps/(a sigma_v^2 + 2 lam)``."""
    M = _M(M)
    return float(M / 2 * expected_trade_size(a, sigma_v, sigma_eps, lam, M))


def price_variance(sigma_delta, sigma_eps, M) -> float:
    """Lemma 4: time-1 price variance ``sigma_P^2 = sigma_delta^2 + sigma_eps^2 / M``."""
    sigma_delta, sigma_eps, M = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _M(M)
    return float(sigma_delta**2 + sigma_eps**2 / M)


@dataclass(frozen=True)
class MarketSimulation:
    """Monte Carlo of ``n`` independent time-1 markets with ``M`` investors each."""

    P1: np.ndarray  # (n,) clearing prices
    trades: np.ndarray  # (n, M) trades dX1i
    volume: np.ndarray  # (n,) total volume, half the sum of |dX1i|
    max_clearing_error: float  # max |sum_i X1i - M| over markets


def simulate_market(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M, n, seed) -> MarketSimulation:
    """Draw shocks, form each investor's time-1 demand from his FOC and clear the market.

    Demands ``X1i(P) = (vbar + delta + eps_i - P + 2 lam) / (a sigma_v^2 + 2 lam)`` (X0i = 1)
    are aggregated and the clearing price solves ``sum_i X1i(P) = M``; nothing of eqs.
    (8)-(10) or Lemma 4 is used, so the draws test those formulas.
    """
    vbar, a, sigma_v, lam, M = _vbar(vbar), _a(a), _sigma_v(sigma_v), _lam(lam), _M(M)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    n = numerics.check_positive_int("n", n, 2)
    rng = np.random.default_rng(seed)
    delta = sigma_delta * rng.standard_normal(n)
    eps = sigma_eps * rng.standard_normal((n, M))
    D = a * sigma_v**2 + 2 * lam
    intercept = (vbar + delta[:, None] + eps + 2 * lam) / D  # X1i(P) = intercept - P / D
    # aggregate demand sum(intercept) - M P / D = M  (linear in P)
    P1 = (intercept.sum(axis=1) - M) * D / M
    X1 = intercept - P1[:, None] / D
    trades = X1 - 1.0
    err = float(np.max(np.abs(X1.sum(axis=1) - M)))
    return MarketSimulation(P1, trades, 0.5 * np.abs(trades).sum(axis=1), err)


# ------------------------------------------------------------------ Lemmas 6-7 (illiquid market)
def illiquid_holding(P0, vbar, a, sigma_v, sigma_delta, sigma_eps, gamma) -> float:
    """Demand from the one-period FOC (12): ``X0 = (vbar - P0) / (a (sigma_v^2 + gamma^2 sigma_delta^2 + sigma_eps^2))``."""
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps)
    gamma = numerics.check_interval("gamma", gamma, 0.0, lo_closed=True)
    P0 = numerics.check_finite("P0", P0)
    return float((vbar - P0) / (a * (sigma_v**2 + gamma**2 * sigma_delta**2 + sigma_eps**2)))


def clientele_equilibrium(vbar, a, sigma_v, sigma_delta, sigma_eps, phi) -> tuple[float, float]:
    """Lemma 7, eq. (16): (mu, P0) in the perfectly illiquid market with two clienteles.

    A fraction ``phi`` of investors has gamma = 1, the rest gamma = 0; ``mu`` is the share of
    the asset held by the gamma = 1 clientele. With ``S2 = sigma_v^2 + sigma_eps^2`` and
    ``S1 = S2 + sigma_delta^2``: ``mu = phi S2 / (S2 + (1 - phi) sigma_delta^2)`` and
    ``P0 = vbar - a S1 S2 / (phi S2 + (1 - phi) S1)`` (reconstruction).
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta, sigma_eps, phi = _sd("sigma_delta", sigma_delta), _sd("sigma_eps", sigma_eps), _phi(phi)
    S2 = sigma_v**2 + sigma_eps**2
    S1 = S2 + sigma_delta**2
    mu = phi * S2 / (S2 + (1 - phi) * sigma_delta**2)
    P0 = vbar - a * S1 * S2 / (phi * S2 + (1 - phi) * S1)
    return float(mu), float(P0)


def clientele_equilibrium_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, phi) -> tuple[float, float]:
    """(mu, P0) of the illiquid two-clientele market by root-finding on market clearing.

    Each clientele's demand comes from FOC (12); P0 solves
    ``phi X0(type 1) + (1 - phi) X0(type 2) = 1``; then ``mu = phi X0(type 1)``.
    """
    phi = _phi(phi)
    excess = lambda p: (  # noqa: E731
        phi * illiquid_holding(p, vbar, a, sigma_v, sigma_delta, sigma_eps, 1.0)
        + (1 - phi) * illiquid_holding(p, vbar, a, sigma_v, sigma_delta, sigma_eps, 0.0)
        - 1.0
    )
    total = sigma_v**2 + sigma_delta**2 + sigma_eps**2
    P0 = numerics.find_root(excess, vbar - 2 * a * total - 1.0, vbar + 1.0, name="illiquid time-0 market clearing")
    return phi * illiquid_holding(P0, vbar, a, sigma_v, sigma_delta, sigma_eps, 1.0), P0


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
    printed_P0: float  # vbar - a sigma_v^2 - a gamma_A^2 sigma_delta^2, as eqs. (11)/(13) read


def _types(gammas, weights):
    g = np.atleast_1d(np.asarray(gammas, dtype=float))
    w = np.atleast_1d(np.asarray(weights, dtype=float))
    if g.ndim != 1 or g.shape != w.shape or g.size == 0:
        raise ValueError("gammas and weights must be 1-d arrays of the same non-zero length")
    if np.any(~np.isfinite(g)) or np.any(g < 0):
        raise ValueError(f"gammas must be finite and >= 0, got {g.tolist()}")
    if np.any(~np.isfinite(w)) or np.any(w <= 0) or abs(w.sum() - 1) > 1e-12:
        raise ValueError(f"weights must be positive and sum to 1, got {w.tolist()}")
    gA = float(np.dot(w, g))
    if gA <= 0:
        raise ValueError("the average exposure gamma_A must be positive")
    return g, w, gA


def liquid_equilibrium(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights) -> LiquidEquilibrium:
    """Lemma 5 re-derived: lam = 0, M -> infinity, investors of exposures ``gammas`` in proportions ``weights``.

    With ``b = a sigma_v^2`` and ``d = gamma - gamma_A`` the time-1 certainty equivalent is
    ``x0 (P1 - P0) + s^2 / (2b)``, ``s = d delta + eps_i + b``, ``P1 = vbar - b + gamma_A delta``.
    Its Gaussian expectation gives the demand
    ``X0 = (vbar - b - P0 - a gamma_A C) / (a gamma_A^2 V)`` with the tilted moments
    ``V = sigma_delta^2 - d^2 sigma_delta^4 / (sigma_v^2 + q)``, ``C = d sigma_delta^2 sigma_v^2 / (sigma_v^2 + q)``,
    ``q = d^2 sigma_delta^2 + sigma_eps^2``; market clearing ``sum w X0 = 1`` gives P0.
    (Reconstruction; the printed Lemma 5 states X0i = 1 for all i, which this does not give.)
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta = numerics.check_interval("sigma_delta", sigma_delta, 0.0)
    sigma_eps = _sd("sigma_eps", sigma_eps)
    g, w, gA = _types(gammas, weights)
    b = a * sigma_v**2
    d = g - gA
    q = d**2 * sigma_delta**2 + sigma_eps**2
    V = sigma_delta**2 - d**2 * sigma_delta**4 / (sigma_v**2 + q)
    C = d * sigma_delta**2 * sigma_v**2 / (sigma_v**2 + q)
    r = 1.0 / (a * gA**2 * V)
    m = a * gA * C
    P0 = vbar - b - (1.0 + np.dot(w, r * m)) / np.dot(w, r)
    X0 = r * (vbar - b - P0 - m)
    printed = vbar - b - a * gA**2 * sigma_delta**2
    return LiquidEquilibrium(float(P0), tuple(float(x) for x in X0), float(printed))


def _liquid_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, gamma, gA, nodes):
    x, w = _gh(nodes)
    dl, e = np.meshgrid(sigma_delta * x, sigma_eps * x, indexing="ij")
    wt = np.outer(w, w).ravel()
    dl, e = dl.ravel(), e.ravel()
    b = a * sigma_v**2
    P1 = vbar - b + gA * dl  # Lemma 1 with M -> infinity (eps_A = 0)
    s = vbar + gamma * dl + e - P1
    surplus = s * s / (2 * b)  # lam = 0: max_X1 [X1 s - b X1^2 / 2], independent of x0

    def foc(x0, P0):
        z = -a * (x0 * P1 + surplus)
        ew = wt * np.exp(z - z.max())
        return float(np.dot(ew, P1) / ew.sum() - P0)

    return foc


def liquid_equilibrium_numeric(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights, *, nodes: int = 60) -> LiquidEquilibrium:
    """:func:`liquid_equilibrium` solved by Gauss-Hermite quadrature and root-finding (independent check).

    Each type's expected utility ``E[-exp(-a(W0 - x0 P0 + x0 P1 + max_X1 ...))]`` is integrated
    over (delta, eps_i) on a tensor Gauss-Hermite grid; demands solve the first-order
    conditions and P0 clears ``sum w X0 = 1``.
    """
    vbar, a, sigma_v = _vbar(vbar), _a(a), _sigma_v(sigma_v)
    sigma_delta = numerics.check_interval("sigma_delta", sigma_delta, 0.0)
    sigma_eps = _sd("sigma_eps", sigma_eps)
    g, w, gA = _types(gammas, weights)
    focs = [_liquid_foc_factory(vbar, a, sigma_v, sigma_delta, sigma_eps, gi, gA, nodes) for gi in g]
    excess = lambda p: sum(wi * _demand(f, p) for f, wi in zip(focs, w)) - 1.0  # noqa: E731
    S = sigma_v**2 + float(np.max(g)) ** 2 * sigma_delta**2 + sigma_eps**2
    P0 = numerics.find_root(excess, vbar - a * S - a * S / 4, vbar - a * sigma_v**2 + a * S / 4, name="time-0 clearing, liquid market")
    X0 = tuple(_demand(f, P0) for f in focs)
    printed = vbar - a * sigma_v**2 - a * gA**2 * sigma_delta**2
    return LiquidEquilibrium(float(P0), X0, float(printed))
