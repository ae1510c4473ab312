"""Eisenbach & Phelan, *Cournot Fire Sales*: the online appendix, and the two rebuilt main-text models.

Only the online appendix of the paper is available to this project; the main text (FRBNY
Staff Report 837, February 2018, revised February 2020 as *Cournot Fire Sales in Real and
Financial Markets*) is not. The appendix's own formulas are implemented as printed:

* Appendix A: the three corner conditions of the unified model (``corner_condition_*``)
  and the lower bounds on the liquidity shocks they imply (:func:`theta_lower_bounds`).
* Appendix B1: the price of capital (B1), a strategic seller's fixed-point sales and the
  buyer's condition (B4) (:func:`capital_price`, :func:`strategic_sales`,
  :func:`b4_threshold`).
* Appendix B2 / D: the asset price (B5) and the buyer's condition (B7)
  (:func:`asset_price`, :func:`b7_threshold`).

Two main-text models are **reconstructions**, rebuilt from what the appendix says about
them (see the chapter; every result computed in them is labelled so in the ledger):

* The liquidity-shock model (Section III; :func:`liquidity_equilibrium`). 2N banks with
  one unit each hold liquidity ``l`` (storage) and ``1 - l`` of an asset paying ``R`` at
  t = 2. With probability ``alpha`` (the good state) nobody is hit and a bank consumes
  ``c_G = l + R(1 - l)`` at t = 2; otherwise N banks are hit and sell all their assets at
  ``p`` (consume ``c_S = l + p(1 - l)`` at t = 1) and N buy with their liquidity (consume
  ``c_B = R(1 - l) + R l / p`` at t = 2), with N outside buyers bringing ``phi`` each
  (Appendix D). A bank maximises ``alpha beta u(c_G) + (1 - alpha)/2 [u(c_S) + beta u(c_B)]``
  (log utility). Buyers — inside and outside — buy only while the asset returns at least
  what storage does, ``p <= R``: the price is ``min((phi + l)/(1 - l), R)``, and at
  ``p = R`` buyers are indifferent and spend just what clears the market. (Without that
  participation rule the planner and Cournot banks would want ``p > R``; this is the
  consistent extension the chapter discusses.)
* The productivity-shock model (Section II; :func:`productivity_equilibrium`), in the
  *literal reading* of the appendix: firms with equity ``n`` borrow ``b = k - n`` at ``r``;
  with probability ``alpha`` all draw ``A_G`` (``alpha A_G + (1 - alpha) A_bad = mean_A``),
  otherwise half draw ``A_L = A_bad - spread/2`` and half ``A_H = A_bad + spread/2``. At
  t = 1 a firm with net cash ``x = A k - r b`` buys capital with it (``x > 0``) or sells
  ``-x / p`` of it (``x < 0``); 2N households with technology ``a log(1 + k)`` demand
  ``a/p - 1``; capital yields 1 per unit at t = 2; firms have log utility over t = 2 wealth.

Every solver validates its input (numbers only, finite, in range; ``ValueError`` naming the
parameter), checks its own result, and raises :class:`OutsideValidRegion` (a ``ValueError``)
when the allocation it would return leaves the model's valid region (in the productivity
model: negative funds below :func:`productivity_min_spread`, a price of capital above 1
beyond :func:`productivity_price_bound`), and :class:`BeyondFloatRange` where the value it
would return is beyond floating point (a CRRA marginal utility at a large ``gamma``).
Counts ``N`` are integers in [1, 10^12]; the productivity model's ``n``, ``r`` and ``mean_A``
lie in [1e-100, 1e100] and ``alpha`` in [1e-12, 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from . import numerics

__all__ = [
    "REGIMES",
    "NO_FRICTION_PRICE",
    "CAPTION_B2",
    "CAPTION_B1",
    "OutsideValidRegion",
    "marginal_utility",
    "corner_condition_good",
    "corner_condition_lucky",
    "corner_condition_unlucky",
    "ThetaBounds",
    "theta_lower_bounds",
    "capital_price",
    "strategic_sales",
    "b4_threshold",
    "asset_price",
    "b7_threshold",
    "BestResponse",
    "LiquidityEquilibrium",
    "liquidity_price",
    "liquidity_foc",
    "liquidity_equilibrium",
    "liquidity_payoff",
    "liquidity_best_response",
    "price_curve",
    "liquidity_curve",
    "normalised_price_curve",
    "ProductivityEquilibrium",
    "productivity_foc",
    "productivity_equilibrium",
    "productivity_payoff",
    "productivity_best_response",
    "productivity_min_spread",
    "productivity_literal_equilibrium",
    "productivity_price_bound",
    "b4_crossing",
    "underprovision_phi_bound",
    "underprovision_band",
    "productivity_default_payoff",
    "capital_crossing",
]

#: The three equilibrium notions of both rebuilt models.
REGIMES = ("walras", "cournot", "planner")
#: Price without a fire sale: the Walrasian price at alpha = 0 (any phi), the benchmark
#: the synthesis chapter normalises by.
NO_FRICTION_PRICE = 1.0
#: Parameters of Figure B2's caption (log utility, beta = 0.96, R = 1.03 / beta, N = 2).
CAPTION_B2 = {"beta": 0.96, "R": 1.03 / 0.96, "N": 2}
#: Parameters of Figure B1's caption (relative risk aversion 1; N in {1, 2, 3}).
CAPTION_B1 = {"alpha": 0.85, "a": 0.93, "n": 1.0, "mean_A": 1.05, "r": 1.02, "A_bad": 0.99, "N": (1, 2, 3)}
#: Search grids on [0, 1], scaled to each problem: uniform, and dense near the upper end
#: (the kink p = R in the liquidity model, the insolvency point in the productivity model).
_LIQ_GRID = np.unique(np.concatenate([np.linspace(0, 1, 201)[:-1], 1 - np.logspace(-12, -1.3, 40), [1.0]]))
_PROD_GRID = np.unique(np.concatenate([np.linspace(0, 1, 400)[:-1], 1 - np.logspace(-13, -0.3, 300)]))


class OutsideValidRegion(ValueError):
    """A rebuilt model's solver refuses: the allocation would leave the model's valid region."""


class BeyondFloatRange(ValueError):
    """A value the function would return lies beyond floating point (it would be inf, or 0 with its sign lost)."""


# ====================================================================== input helpers
def _leaves(value):
    """``value`` with every number replaced by a float; ``None`` if any leaf is not a real number.

    Leaves are real numbers as :func:`numerics.check_finite` accepts them (ints, floats,
    ``Fraction``, NumPy real scalars, SymPy reals); bools, strings, ``None`` and complex
    numbers inside a sequence are refused as they are on their own.
    """
    if isinstance(value, np.ndarray):
        return value.astype(float).tolist() if value.dtype.kind in "fiu" else None
    if isinstance(value, (list, tuple)):
        items = [_leaves(item) for item in value]
        return None if any(item is None for item in items) else items
    return numerics._real(value)


def _numbers(name: str, value, lo: float = -math.inf, *, lo_closed: bool = True) -> np.ndarray:
    """A number or a (nested) sequence of numbers as a float array; anything else is refused by name."""
    def bad(what):
        return ValueError(f"{name} must be a finite real number or a sequence of them (>= {lo:g}), {what}")

    leaves = _leaves(value)
    if leaves is None:
        raise bad(f"got {value!r}")
    try:
        arr = np.asarray(leaves, dtype=float)
    except (TypeError, ValueError):  # ragged nesting
        raise bad(f"got {value!r}") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise bad(f"got {value!r}")
    if np.any(arr < lo) or (not lo_closed and np.any(arr == lo)):
        raise bad(f"got a value below the bound: {value!r}")
    return arr


def _count(N) -> int:
    """N, the number of agents per side: an integer in [1, 10^12] (sums over agents stay exact)."""
    N = numerics.check_positive_int("N", N)
    if N > 10**12:
        raise ValueError(f"N must be an integer in [1, 10^12], got {N}")
    return N


def _choice(name: str, value, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


# ====================================================================== Appendix A
def marginal_utility(c, gamma: float = 1.0):
    """CRRA marginal utility ``u'(c) = c**(-gamma)`` (``gamma = 1``: log utility)."""
    gamma = numerics.check_interval("gamma", gamma, 0.0)
    c = _numbers("c", c, 0.0, lo_closed=False)
    with np.errstate(over="ignore"):
        out = c ** (-gamma)
    if not np.all(np.isfinite(out)):
        raise BeyondFloatRange(f"u'(c) = c^(-gamma) exceeds the largest float at gamma = {gamma:g}, "
                               f"c = {float(np.min(c)):g}: take larger c or smaller gamma")
    return float(out) if out.ndim == 0 else out


def _log_gap(a, coef, b, gamma):
    """log u'(a) - log(coef u'(b)) for CRRA u': its sign is the sign of u'(a) - coef u'(b)."""
    return -gamma * math.log(a) - math.log(coef) + gamma * math.log(b)


def _mu_gap(a, coef, b, gamma):
    """``u'(a) - coef u'(b)`` (CRRA), or :class:`BeyondFloatRange` when it cannot be represented."""
    log_a, log_b = -gamma * math.log(a), math.log(coef) - gamma * math.log(b)
    if max(log_a, log_b) < 709.0:
        out = math.exp(log_a) - math.exp(log_b)
        if out != 0.0 or log_a == log_b or max(log_a, log_b) > -700.0:
            return out
    sign = "positive" if log_a > log_b else "negative"
    raise BeyondFloatRange(
        f"the condition u'(theta) - (coefficient) u'(late wealth) is beyond floating point at gamma = {gamma:g} "
        f"(log of its terms {log_a:.6g} and {log_b:.6g}); its sign is {sign}: take a smaller gamma, "
        f"or use theta_lower_bounds, which works with the logarithms"
    )


def _check_common(beta, R, gamma):
    beta = numerics.check_interval("beta", beta, 0.0, 1.0, hi_closed=True)
    R = numerics.check_interval("R", R, 1.0)
    gamma = numerics.check_interval("gamma", gamma, 0.0)
    return beta, R, gamma


def corner_condition_good(theta_bar, ell, k, beta, R, gamma: float = 1.0) -> float:
    """Appendix A, good state: ``u'(theta_bar) - beta u'(l - theta_bar + R k)``.

    ``e_1 = 0`` (no extra consumption at t = 1) requires this to be ``<= 0``.
    """
    beta, R, gamma = _check_common(beta, R, gamma)
    ell = numerics.check_interval("ell", ell, 0.0, lo_closed=True)
    k = numerics.check_interval("k", k, 0.0, lo_closed=True)
    theta_bar = numerics.check_interval("theta_bar", theta_bar, 0.0, ell + R * k)
    return _mu_gap(theta_bar, beta, ell - theta_bar + R * k, gamma)


def _late_wealth(theta, ell, k, p, delta, R):
    """t = 2 consumption ``R (k + (l + delta k - theta) / p)`` after all t = 1 trade."""
    return R * (k + (ell + delta * k - theta) / p)


def _corner_shocked(theta, ell, k, p, delta, beta, R, gamma, name, delta_name):
    beta, R, gamma = _check_common(beta, R, gamma)
    ell = numerics.check_interval("ell", ell, 0.0, lo_closed=True)
    k = numerics.check_interval("k", k, 0.0, lo_closed=True)
    p = numerics.check_interval("p", p, 0.0, 1.0, hi_closed=True)
    delta = numerics.check_interval(delta_name, delta, 0.0, lo_closed=True)
    top = ell + delta * k + p * k
    theta = numerics.check_interval(name, theta, 0.0, top)
    return _mu_gap(theta, beta * R / p, _late_wealth(theta, ell, k, p, delta, R), gamma)


def corner_condition_lucky(theta_L, ell, k, p, delta_H, beta, R, gamma: float = 1.0) -> float:
    """Appendix A, lucky agent (bad state): ``u'(theta_L) - beta R/p u'(R(k + (l + delta_H k - theta_L)/p))``.

    ``e_1 = 0`` requires this to be ``< 0``.
    """
    return _corner_shocked(theta_L, ell, k, p, delta_H, beta, R, gamma, "theta_L", "delta_H")


def corner_condition_unlucky(theta_H, ell, k, p, delta_L, beta, R, gamma: float = 1.0) -> float:
    """Appendix A, unlucky agent (partial liquidation): ``u'(theta_H) - beta R/p u'(R(k - (theta_H - l - delta_L k)/p))``.

    ``e_1 = 0`` requires this to be ``< 0``.
    """
    return _corner_shocked(theta_H, ell, k, p, delta_L, beta, R, gamma, "theta_H", "delta_L")


@dataclass(frozen=True)
class ThetaBounds:
    """Lower bounds on the liquidity shocks implied by the corner conditions of Appendix A."""

    theta_bar: float
    theta_L: float
    theta_H: float


def theta_lower_bounds(ell, k, p, delta_L, delta_H, beta, R, gamma: float = 1.0) -> ThetaBounds:
    """Roots of the three corner conditions of Appendix A (each condition holds above its root).

    Each condition is ``u'(theta)`` (falling in theta) minus a term that rises in theta, so
    each root is unique; it is found by bracketing on the whole admissible interval, on the
    difference of the two terms' logarithms (same sign, no overflow however large gamma).
    """
    beta, R, gamma = _check_common(beta, R, gamma)
    ell = numerics.check_interval("ell", ell, 0.0, lo_closed=True)
    k = numerics.check_interval("k", k, 0.0, lo_closed=True)
    if ell + k <= 0:
        raise ValueError("ell + k must be positive (the agent must own something)")
    p = numerics.check_interval("p", p, 0.0, 1.0, hi_closed=True)
    delta_L = numerics.check_interval("delta_L", delta_L, 0.0, lo_closed=True)
    delta_H = numerics.check_interval("delta_H", delta_H, 0.0, lo_closed=True)
    top = ell + R * k

    def root(gap, top, name):  # in log theta: the root can lie many decades below top
        y = numerics.find_root(lambda y: gap(math.exp(y)), math.log(top) - 690.0, math.log(top * (1 - 1e-12)),
                               name=name)
        return math.exp(y)

    bar = root(lambda t: _log_gap(t, beta, ell - t + R * k, gamma), top, "the good-state corner condition")

    def shocked(delta, name, delta_name):
        return root(lambda t: _log_gap(t, beta * R / p, _late_wealth(t, ell, k, p, delta, R), gamma),
                    ell + delta * k + p * k, f"the corner condition for {name}")

    return ThetaBounds(bar, shocked(delta_H, "theta_L", "delta_H"), shocked(delta_L, "theta_H", "delta_L"))


# ====================================================================== Appendix B1
def _per_agent(name, x, N) -> float:
    """The total over N agents of ``x``: a scalar (every agent alike, N x) or N entries."""
    x = np.atleast_1d(_numbers(name, x, 0.0))
    if x.ndim != 1:
        raise ValueError(f"{name} must be a scalar or a flat sequence, got shape {x.shape}")
    if x.size == 1:
        return N * float(x[0])
    if x.size != N:
        raise ValueError(f"{name} must be a scalar or have N = {N} entries, got {x.size}")
    return float(x.sum())


def capital_price(s, f, N, a):
    """(B1): ``p = (2 N a + sum f) / (2 N + sum s)`` with N sellers selling ``s`` and N buyers spending ``f``.

    ``s`` and ``f`` are scalars (symmetric choices) or length-N sequences, all ``>= 0``.
    """
    N = _count(N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    s, f = _per_agent("s", s, N), _per_agent("f", f, N)
    return float((2 * N * a + f) / (2 * N + s))


def strategic_sales(k_i, others_s, f, N, a, r, A_L, n):
    """Appendix B1: a strategic low type's sales, the fixed point of ``p(s_i, s_-i, f) s_i = r b_i - A_L k_i``.

    ``s_i = (2N + sum_{j != i} s_j) D / (2 N a + sum f - D)`` with debt shortfall
    ``D = (r - A_L) k_i - r n`` (``b_i = k_i - n``). ``others_s``: the N - 1 other sellers'
    sales (scalar = symmetric). Raises if the shortfall is negative or cannot be covered.
    """
    N = _count(N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    r = numerics.check_interval("r", r, 0.0)
    A_L = numerics.check_interval("A_L", A_L, 0.0, r)
    n = numerics.check_interval("n", n, 0.0, lo_closed=True)
    k_i = numerics.check_interval("k_i", k_i, n, lo_closed=True)
    others = _per_agent("others_s", others_s, N - 1) if N > 1 else 0.0
    if N == 1:
        _numbers("others_s", others_s, 0.0)
    f = _per_agent("f", f, N)
    debt = (r - A_L) * k_i - r * n
    if debt < 0:
        raise ValueError(f"the low type needs no sales: (r - A_L) k_i - r n = {debt:.6g} < 0")
    cash = 2 * N * a + f
    if cash <= debt:
        raise ValueError(f"no price clears the debt: 2 N a + sum f = {cash:.6g} <= shortfall {debt:.6g}")
    return float((2 * N + others) * debt / (cash - debt))


def b4_threshold(f, N, a):
    """Right-hand side of (B4): ``(2 N a + (N - 1) f) / (2 N a + N f)`` (vectorised in ``f >= 0``)."""
    N = _count(N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    f_arr = _numbers("f", f, 0.0)
    out = (2 * N * a + (N - 1) * f_arr) / (2 * N * a + N * f_arr)
    return float(out) if out.ndim == 0 else out


# ====================================================================== Appendix B2 / D
def asset_price(liquidity, N, phi=0.0):
    """(B5) / Appendix D at symmetric choices: ``p = (N phi + N l) / (N (1 - l)) = (phi + l) / (1 - l)``."""
    N = _count(N)
    phi = numerics.check_interval("phi", phi, 0.0, lo_closed=True)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0 (no cash, no price)")
    return (N * phi + N * ell) / (N * (1 - ell))


def b7_threshold(liquidity, N, phi, R):
    """Right-hand side of (B7): ``(N phi + (N - 1) f) / (N phi + N f) R`` with buyers' funds ``f = liquidity``.

    A strategic buyer spends all its funds iff the price lies below this threshold.
    """
    N = _count(N)
    phi = numerics.check_interval("phi", phi, 0.0, lo_closed=True)
    R = numerics.check_interval("R", R, 1.0)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0: (B7) is 0/0 without any cash")
    return (N * phi + (N - 1) * ell) / (N * phi + N * ell) * R


# ====================================================================== direct optimisation
@dataclass(frozen=True)
class BestResponse:
    """A deviating agent's best choice, found by direct optimisation of its payoff."""

    choice: float  #: the payoff-maximising choice (own l or own k; the common one for the planner)
    payoff: float  #: the payoff there
    gain: float  #: payoff at ``choice`` minus payoff at the candidate equilibrium (<= 0: no gain)
    lo: float  #: the deviation set searched, [lo, hi]
    hi: float


def _maximise(payoff, lo, hi, points, *, extra=()):
    """Global maximum of a scalar ``payoff`` (vectorised, -inf outside its domain) on [lo, hi].

    A grid locates the best point; then the derivative of the payoff itself (central
    differences) is solved by Brent's method between the neighbours, or, where the payoff
    has a kink there, a bounded golden-section search refines it.
    """
    grid = np.unique(np.concatenate([np.linspace(lo, hi, points), np.asarray(extra, dtype=float)]))
    grid = grid[(grid >= lo) & (grid <= hi)]
    values = payoff(grid)
    if not np.any(np.isfinite(values)):
        raise ValueError("the payoff is not finite anywhere on the deviation set")
    i = int(np.nanargmax(np.where(np.isfinite(values), values, -np.inf)))
    a, b = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, grid.size - 1)])
    h = np.finfo(float).eps ** (1 / 3) * max(1.0, abs(float(grid[i])))

    def slope(x):
        pair = payoff(np.array([x + h, x - h]))
        return float((pair[0] - pair[1]) / (2 * h))

    best_x, best_v = float(grid[i]), float(values[i])
    if b - a > 2 * h:
        s_a, s_b = slope(a), slope(b)
        if np.isfinite(s_a) and np.isfinite(s_b) and s_a > 0 > s_b:  # smooth interior maximum
            x = optimize.brentq(slope, a, b, xtol=1e-15, rtol=1e-15)
            v = float(payoff(np.array([x]))[0])
            if np.isfinite(v) and v >= best_v - 1e-13 * max(1.0, abs(best_v)):
                return float(x), max(v, best_v)
    res = optimize.minimize_scalar(lambda x: -payoff(np.array([x]))[0], bounds=(a, b), method="bounded",
                                   options={"xatol": 1e-14 * max(1.0, abs(b))})
    v = float(payoff(np.array([res.x]))[0])
    if np.isfinite(v) and v >= best_v:
        best_x, best_v = float(res.x), v
    return best_x, best_v


# ====================================================================== Section III rebuilt
@dataclass(frozen=True)
class LiquidityEquilibrium:
    """Symmetric equilibrium of the rebuilt liquidity-shock model (a reconstruction)."""

    alpha: float
    beta: float
    R: float
    N: int
    phi: float
    regime: str
    liquidity: float  #: l, the share of each bank's unit held as liquidity
    price: float  #: p, the t = 1 asset price in the bad state, min((phi + l)/(1 - l), R)
    c_good: float  #: t = 2 consumption in the good state, l + R (1 - l)
    c_seller: float  #: t = 1 consumption of a hit bank, l + p (1 - l)
    c_buyer: float  #: t = 2 consumption of a buying bank, R (1 - l) + R l / p
    corner: bool  #: True if l = 0 (outside liquidity makes inside liquidity worthless)
    kink: bool  #: True if p = R: buyers are indifferent and the regime sits at the kink l = (R - phi)/(1 + R)
    b7: float  #: the (B7) threshold at this allocation (buyers' funds f = l)
    foc: float  #: the regime's first-order condition at l (0 inside; >= 0 from the left at the kink; <= 0 at the corner)

    @property
    def b7_margin(self) -> float:
        """Price minus the (B7) threshold (negative: interim price taking is w.l.o.g.)."""
        return self.price - self.b7


def _check_model(alpha, beta, R, N, phi, regime):
    alpha = numerics.check_interval("alpha", alpha, 0.0, 1.0, lo_closed=True)
    beta = numerics.check_interval("beta", beta, 0.0, 1.0)
    R = numerics.check_interval("R", R, 1.0)
    N = _count(N)
    phi = numerics.check_interval("phi", phi, 0.0, R, lo_closed=True)
    regime = _choice("regime", regime, REGIMES)
    return alpha, beta, R, N, phi, regime


def _kink(phi, R):
    """The liquidity at which the symmetric price (phi + l)/(1 - l) reaches R."""
    return (R - phi) / (1 + R)


def _foc_vec(ell, alpha, beta, R, N, phi, regime):
    """The regime's first-order condition on p <= R (log utility; l a float or an array)."""
    p = (phi + ell) / (1 - ell)
    c_g = ell + R * (1 - ell)
    c_s = ell + p * (1 - ell)
    c_b = R * (1 - ell) + R * ell / p
    if regime == "walras":
        d_s = d_b = 0.0
    elif regime == "planner":
        d_s = d_b = (phi + 1) / (1 - ell) ** 2
    else:
        d_s, d_b = (phi + ell) / (N * (1 - ell) ** 2), 1 / (N * (1 - ell))
    buyer = beta * R * (1 / p - 1 - ell * d_b / p**2) / c_b
    return alpha * beta * (1 - R) / c_g + (1 - alpha) / 2 * ((1 - p + (1 - ell) * d_s) / c_s + buyer)


def liquidity_price(liquidity, phi, R):
    """The rebuilt model's bad-state price at a symmetric l: ``min((phi + l)/(1 - l), R)``.

    (B5) as long as buyers spend all their cash; at ``p = R`` buyers (inside and outside) are
    indifferent between the asset and storage and spend just what clears the market.
    """
    R = numerics.check_interval("R", R, 1.0)
    phi = numerics.check_interval("phi", phi, 0.0, R, lo_closed=True)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0 (no cash, no price)")
    return min((phi + ell) / (1 - ell), R)


def liquidity_foc(liquidity, alpha, beta, R, N, phi=0.0, regime="walras") -> float:
    """The regime's first-order condition at a symmetric liquidity choice with ``p <= R`` (log utility).

    ``alpha beta (1 - R)/c_G + (1 - alpha)/2 [(1 - p + (1 - l) dp_S)/c_S + beta R (1/p - 1 - l dp_B / p^2)/c_B]``
    with price impacts ``dp_S = dp_B = 0`` (Walras), ``(1 + phi)/(1 - l)^2`` (planner) and
    ``dp_S = (phi + l)/(N (1 - l)^2)``, ``dp_B = 1/(N (1 - l))`` (Cournot). Defined for
    ``l <= (R - phi)/(1 + R)``, where ``p <= R``; beyond it ``p = R`` and every consumption
    falls in ``l``.
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, _kink(phi, R), lo_closed=True, hi_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0")
    return float(_foc_vec(ell, alpha, beta, R, N, phi, regime))


def _welfare(ell, alpha, beta, R, phi):
    """Symmetric expected utility at a common l (log utility), with p = min((phi + l)/(1 - l), R)."""
    ell = np.asarray(ell, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.minimum((phi + ell) / (1 - ell), R)
        c_b = np.where(ell > 0, R * (1 - ell) + R * ell / p, R)
        out = alpha * beta * np.log(ell + R * (1 - ell)) + (1 - alpha) / 2 * (
            np.log(ell + p * (1 - ell)) + beta * np.log(c_b))
    return np.where(np.isfinite(out), out, -np.inf)


def _liq_payoff_vec(ell_i, ell, alpha, beta, R, N, phi, regime):
    """A bank's expected utility choosing ``ell_i`` (vectorised) while the others choose ``ell``."""
    ell_i = np.asarray(ell_i, dtype=float)
    if regime == "planner":
        return _welfare(ell_i, alpha, beta, R, phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        if regime == "walras":
            p_l = p_h = np.full_like(ell_i, min((phi + ell) / (1 - ell), R))
        else:
            p_l = np.minimum(N * (phi + ell) / ((1 - ell_i) + (N - 1) * (1 - ell)), R)
            p_h = np.minimum((N * phi + ell_i + (N - 1) * ell) / (N * (1 - ell)), R)
        c_g = ell_i + R * (1 - ell_i)
        c_s = ell_i + p_l * (1 - ell_i)
        c_b = np.where(ell_i > 0, R * (1 - ell_i) + R * ell_i / p_h, R)
        out = alpha * beta * np.log(c_g) + (1 - alpha) / 2 * (np.log(c_s) + beta * np.log(c_b))
    return np.where(np.isfinite(out) & (ell_i >= 0) & (ell_i < 1), out, -np.inf)


def liquidity_payoff(ell_i, ell, alpha, beta, R, N, phi=0.0, regime="cournot") -> float:
    """Expected log utility of a bank choosing ``ell_i`` while the other 2N - 1 banks choose ``ell``.

    Computed from the primitives, not from any first-order condition (reconstruction):

    * ``"cournot"``: as a seller the bank faces ``p_L = N(phi + l)/((1 - l_i) + (N - 1)(1 - l))``,
      as a buyer ``p_H = (N phi + l_i + (N - 1) l)/(N (1 - l))`` (both (B5)), each capped at R;
    * ``"walras"``: the bank takes the market price ``min((phi + l)/(1 - l), R)`` as given;
    * ``"planner"``: the common choice is ``ell_i`` (``ell`` is ignored) and the price follows it.
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    ell_i = numerics.check_interval("ell_i", ell_i, 0.0, 1.0, lo_closed=True)
    ell = numerics.check_interval("ell", ell, 0.0, 1.0, lo_closed=phi > 0)
    out = float(_liq_payoff_vec(np.array([ell_i]), ell, alpha, beta, R, N, phi, regime)[0])
    if not math.isfinite(out):
        raise OutsideValidRegion(f"the payoff is not defined at ell_i = {ell_i:g} (no cash at all in the market)")
    return out


def liquidity_best_response(ell, alpha, beta, R, N, phi=0.0, regime="cournot") -> BestResponse:
    """Direct optimisation of :func:`liquidity_payoff` over the bank's own l_i in [0, 1).

    Grid of 2001 points plus a local refinement; for the planner the common l is chosen.
    ``gain`` compares the maximum with the payoff at ``ell`` (the candidate equilibrium).
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    ell = numerics.check_interval("ell", ell, 0.0, 1.0, lo_closed=phi > 0)

    def payoff(x):
        return _liq_payoff_vec(x, ell, alpha, beta, R, N, phi, regime)

    hi = 1 - 1e-9
    x, v = _maximise(payoff, 0.0, hi, 2001, extra=(ell, _kink(phi, R)))
    base = float(payoff(np.array([ell]))[0])
    return BestResponse(x, v, v - base, 0.0, hi)


def liquidity_equilibrium(alpha, beta, R, N, phi=0.0, regime="walras") -> LiquidityEquilibrium:
    """Symmetric equilibrium of the rebuilt liquidity-shock model (Section III; a reconstruction).

    Parameters
    ----------
    alpha : probability of the good state (no bank hit), in [0, 1).
    beta : discount factor, in (0, 1). R : return of the asset, > 1.
    N : banks per side in the bad state (integer >= 1). phi : outside liquidity per
    outside buyer (Appendix D), in [0, R). regime : "walras", "cournot" or "planner".

    The regime's first-order condition is solved where buyers spend all their cash,
    ``l <= (R - phi)/(1 + R)`` (``p <= R``). Beyond that point ``p = R`` and every
    consumption falls in l, so if the condition is still positive there the solution is the
    kink ``p = R`` (``kink=True``; possible for the planner and Cournot banks). With outside
    liquidity the solution can be the corner ``l = 0``. Every sign change of the condition
    on a 241-point grid is solved; more than one candidate is refused.
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    top = _kink(phi, R)
    lo = 0.0 if phi >= 1e-9 else top * 1e-12

    def f(x):
        return float(_foc_vec(x, alpha, beta, R, N, phi, regime))

    grid = lo + (top - lo) * _LIQ_GRID
    vals = _foc_vec(grid, alpha, beta, R, N, phi, regime)
    if not np.all(np.isfinite(vals)):
        raise OutsideValidRegion(f"the {regime} first-order condition is not finite on the valid region")
    down = np.nonzero((vals[:-1] > 0) & (vals[1:] <= 0))[0]  # local maxima of the payoff
    up = np.nonzero((vals[:-1] < 0) & (vals[1:] >= 0))[0]
    candidates = []
    if phi > 0 and vals[0] <= 0:
        candidates.append((0.0, "corner"))
    for i in down:
        if vals[i + 1] == 0:
            root = float(grid[i + 1])
        else:
            root = numerics.find_root(f, float(grid[i]), float(grid[i + 1]), name=f"the {regime} first-order condition")
        candidates.append((root, "interior"))
    if vals[-1] > 0:
        candidates.append((top, "kink"))
    if len(candidates) != 1:
        where = ", ".join(f"l = {x:.6g} ({kind})" for x, kind in candidates) or "none"
        raise OutsideValidRegion(
            f"the {regime} regime has {len(candidates)} candidate equilibria in the valid region "
            f"(alpha={alpha:g}, N={N}, phi={phi:g}): {where}; refusing to pick one"
            + (f" ({len(up)} sign change(s) upwards)" if len(up) else "")
        )
    ell, kind = candidates[0]
    p = min((phi + ell) / (1 - ell), R)
    c_b = R * (1 - ell) + R * ell / p
    b7 = b7_threshold(ell, N, phi, R)
    foc = f(ell)
    if kind == "interior" and abs(foc) > 1e-9:
        raise OutsideValidRegion(f"the {regime} first-order condition did not converge (residual {foc:.3g})")
    return LiquidityEquilibrium(
        alpha, beta, R, N, phi, regime, float(ell), float(p), float(ell + R * (1 - ell)),
        float(ell + p * (1 - ell)), float(c_b), kind == "corner", kind == "kink", float(b7), float(foc),
    )


def _alphas(alphas):
    arr = np.atleast_1d(_numbers("alphas", alphas, 0.0))
    if arr.ndim != 1 or np.any(arr >= 1):
        raise ValueError(f"alphas must be a flat sequence of numbers in [0, 1), got {alphas!r}")
    return arr


def price_curve(alphas, beta=CAPTION_B2["beta"], R=CAPTION_B2["R"], N=CAPTION_B2["N"], phi=0.0, regime="walras"):
    """Equilibrium price against alpha (probability of the good state), as a NumPy array.

    Defaults: Figure B2's caption. Divide by :data:`NO_FRICTION_PRICE` (= 1, the price at
    alpha = 0 in the Walrasian equilibrium) for a normalised curve.
    """
    alphas = _alphas(alphas)
    return np.array([liquidity_equilibrium(a, beta, R, N, phi, regime).price for a in alphas])


def liquidity_curve(alphas, beta=CAPTION_B2["beta"], R=CAPTION_B2["R"], N=CAPTION_B2["N"], phi=0.0, regime="walras"):
    """Equilibrium liquidity ``l`` against alpha, as a NumPy array (defaults: Figure B2's caption)."""
    alphas = _alphas(alphas)
    return np.array([liquidity_equilibrium(a, beta, R, N, phi, regime).liquidity for a in alphas])


def normalised_price_curve(alphas, beta=CAPTION_B2["beta"], R=CAPTION_B2["R"], N=CAPTION_B2["N"], phi=0.0,
                           regime="walras"):
    """``price_curve(...) / NO_FRICTION_PRICE``: 1 means no fire-sale discount."""
    return price_curve(alphas, beta, R, N, phi, regime) / NO_FRICTION_PRICE


# ====================================================================== Section II rebuilt (literal reading)
@dataclass(frozen=True)
class ProductivityEquilibrium:
    """Symmetric equilibrium of the rebuilt productivity-shock model (literal reading; a reconstruction)."""

    spread: float  #: A_H - A_L
    N: int  #: firms per type in the bad state
    regime: str
    k: float  #: capital per firm
    price: float  #: bad-state price of capital, (B1)
    f: float  #: a high type's funds A_H k - r b (>= 0: it buys)
    s: float  #: a low type's sales (r b - A_L k)/p
    wealth_good: float  #: t = 2 wealth in the good state
    wealth_low: float  #: low type's t = 2 wealth k - s
    wealth_high: float  #: high type's t = 2 wealth k + f / p
    leverage: float  #: k / n
    a: float  #: households' productivity
    roots: tuple  #: every root of the first-order condition on the solvent region (one)

    @property
    def b4(self) -> float:
        """The (B4) threshold for this N at this allocation."""
        return b4_threshold(self.f, self.N, self.a)

    @property
    def b4_margin(self) -> float:
        """Price minus the (B4) threshold (negative: interim price taking is w.l.o.g.)."""
        return self.price - self.b4


def _prod_params(spread, alpha, a, n, mean_A, r, A_bad):
    alpha = numerics.check_interval("alpha", alpha, 1e-12, 1.0, lo_closed=True)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    n = numerics.check_interval("n", n, 1e-100, 1e100, lo_closed=True, hi_closed=True)
    r = numerics.check_interval("r", r, 1e-100, 1e100, lo_closed=True, hi_closed=True)
    A_bad = numerics.check_interval("A_bad", A_bad, 0.0, r)
    mean_A = numerics.check_interval("mean_A", mean_A, r, 1e100, hi_closed=True)
    spread = numerics.check_interval("spread", spread, 0.0, 2 * A_bad, lo_closed=True)
    A_G = (mean_A - (1 - alpha) * A_bad) / alpha
    return dict(alpha=alpha, a=a, n=n, r=r, A_bad=A_bad, A_G=A_G, A_L=A_bad - spread / 2, A_H=A_bad + spread / 2)


def _x(A, k, q):
    """Net cash at t = 1 of a firm with productivity A and capital k: A k - r (k - n)."""
    return (A - q["r"]) * k + q["r"] * q["n"]


def _sym_price(k, q):
    return q["a"] + (_x(q["A_L"], k, q) + _x(q["A_H"], k, q)) / 2


def _impacts(N, regime, q):
    """(dp/dk as a seller, dp/dk as a buyer) perceived by a firm in each regime."""
    if regime == "walras":
        return 0.0, 0.0
    if regime == "planner":
        d = q["A_bad"] - q["r"]
        return d, d
    return (q["A_L"] - q["r"]) / (2 * N), (q["A_H"] - q["r"]) / (2 * N)


def _prod_foc_vec(k, N, regime, q):
    p = _sym_price(k, q)  # k: a float or an array
    x_l, x_h, x_g = _x(q["A_L"], k, q), _x(q["A_H"], k, q), _x(q["A_G"], k, q)
    d_l, d_h = _impacts(N, regime, q)
    w_l, w_h = k + x_l / p, k + x_h / p
    r = q["r"]
    return (q["alpha"] * (1 + q["A_G"] - r) / (k + x_g)
            + (1 - q["alpha"]) / 2 * ((1 + (q["A_L"] - r) / p - x_l * d_l / p**2) / w_l
                                      + (1 + (q["A_H"] - r) / p - x_h * d_h / p**2) / w_h))


def _solvent_top(q):
    """Largest k with the low type solvent (k p(k) + x_L(k) > 0) and p(k) > 0, at symmetric choices."""
    c = q["r"] - q["A_bad"]
    B = q["a"] + q["r"] * q["n"] + q["A_L"] - q["r"]
    k_solvent = (B + math.sqrt(B * B + 4 * c * q["r"] * q["n"])) / (2 * c)
    return min(k_solvent, (q["a"] + q["r"] * q["n"]) / c)


def productivity_foc(k, spread, N=1, regime="walras", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                     A_bad=0.99) -> float:
    """The regime's first-order condition in k at a symmetric allocation (literal reading; log utility).

    ``alpha (1 + A_G - r)/W_G + (1 - alpha)/2 [W_L'/W_L + W_H'/W_H]`` with
    ``W_j' = 1 + (A_j - r)/p - x_j dp_j / p^2`` and the price impact ``dp_j`` the firm
    perceives: none (Walras), ``A_bad - r`` (planner, as seller and buyer), and its own
    ``(A_L - r)/(2N)`` as a seller and ``(A_H - r)/(2N)`` as a buyer (Cournot).
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    q = _prod_params(spread, alpha, a, n, mean_A, r, A_bad)
    k = numerics.check_interval("k", k, 0.0, _solvent_top(q), lo_closed=True)
    return float(_prod_foc_vec(k, N, regime, q))


def _productivity_roots(q, N, regime):
    """Every root of the regime's condition in k on the solvent region (grid dense near insolvency)."""
    top = _solvent_top(q)
    grid = top * _PROD_GRID
    with np.errstate(divide="ignore", invalid="ignore"):
        vals = _prod_foc_vec(grid, N, regime, q)
    ok = np.isfinite(vals)
    grid, vals = grid[ok], vals[ok]
    changes = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]

    def foc(x):
        return float(_prod_foc_vec(x, N, regime, q))

    return tuple(numerics.find_root(foc, float(grid[i]), float(grid[i + 1]), name=f"the {regime} condition in k")
                 for i in changes)


def productivity_equilibrium(spread, N=1, regime="walras", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                             A_bad=0.99) -> ProductivityEquilibrium:
    """Symmetric equilibrium of the rebuilt productivity-shock model (Section II, literal reading).

    Defaults: Figure B1's caption. ``regime``: ``"walras"`` (price takers), ``"cournot"``
    (each firm internalises its own impact on the bad-state price as a seller and as a
    buyer) or ``"planner"`` (internalises dp/dk of the common k). Every root of the
    regime's first-order condition on the solvent region is found (a grid of 700 points,
    dense near the insolvency point, then Brent's method in each sign change); if there is
    not exactly one, the solver refuses and lists them. It also refuses (with
    :class:`OutsideValidRegion`) an allocation where the high type's funds are negative
    (it would have to sell too: (B1)-(B4) assume it buys), and one where the price of
    capital exceeds 1, its t = 2 value (buyers would not spend their funds and (B2) fails
    for sellers); the refusal gives the spread at which the price reaches 1 (with Figure
    B1's caption: about 1.067, 1.331 and 1.475 for Cournot N = 1, 2, 3, and 1.868 for the
    planner; the Walrasian price stays below 1 on the whole range).
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    q = _prod_params(spread, alpha, a, n, mean_A, r, A_bad)
    spread = float(spread)
    roots = _productivity_roots(q, N, regime)
    if len(roots) != 1:
        raise OutsideValidRegion(
            f"the {regime} first-order condition in k has {len(roots)} roots on the solvent region "
            f"(spread={spread:g}, N={N}): " + (", ".join(f"{x:.8g}" for x in roots) or "none")
            + "; refusing to pick one"
        )

    def foc(x):
        return float(_prod_foc_vec(x, N, regime, q))

    k = roots[0]
    p = float(_sym_price(k, q))
    f = float(_x(q["A_H"], k, q))
    s = float(-_x(q["A_L"], k, q) / p)
    w_g, w_l, w_h = k + float(_x(q["A_G"], k, q)), k - s, k + f / p
    if f < 0:
        raise OutsideValidRegion(
            f"outside the valid region: the high type's funds f = {f:.4g} < 0 (spread={spread:g}, N={N}, "
            f"{regime}): it would have to sell capital too, while (B1)-(B4) assume it buys"
        )
    if s < 0 or min(w_g, w_l, w_h, p) <= 0:
        raise OutsideValidRegion(f"outside the valid region at k = {k:.6g}: sales {s:.3g}, wealth "
                                 f"({w_g:.3g}, {w_l:.3g}, {w_h:.3g}), price {p:.3g}")
    if p > 1.0:
        params = dict(alpha=alpha, a=a, n=n, mean_A=mean_A, r=r, A_bad=A_bad)
        raise OutsideValidRegion(
            f"outside the valid region: the {regime} price p = {p:.6g} exceeds 1, the t = 2 value of a "
            f"unit of capital (spread={spread:g}, N={N}): buyers would not spend their funds and (B2) "
            f"fails for sellers. {_price_bound_sentence(N, regime, params)}"
        )
    clearing = p * (2 * N + N * s) - (2 * N * q["a"] + N * f)
    if abs(clearing) > 1e-9 * (2 * N * q["a"] + N * f) or abs(foc(k)) > 1e-8 * (1 + abs(foc(0.0))):
        raise ValueError(f"the {regime} solution fails its own checks: clearing {clearing:.3g}, condition {foc(k):.3g}")
    return ProductivityEquilibrium(spread, N, regime, float(k), p, f, s, float(w_g), float(w_l), float(w_h),
                                   float(k / q["n"]), q["a"], roots)


def _prod_payoff_vec(k_i, k, N, regime, q, p_bar):
    """A firm's expected log utility choosing ``k_i`` (vectorised), others at ``k``; -inf off the deviation set.

    The deviation set: every firm solvent in every state (positive wealth; the other low
    types still able to repay), the deviator's funds as a high type >= 0, the price positive.
    """
    k_i = np.asarray(k_i, dtype=float)
    x_l, x_h = _x(q["A_L"], k_i, q), _x(q["A_H"], k_i, q)
    if regime == "walras":
        p_l = p_h = np.full_like(k_i, p_bar)
    elif regime == "planner":
        p_l = p_h = _sym_price(k_i, q)
    else:
        X_l, X_h = _x(q["A_L"], k, q), _x(q["A_H"], k, q)
        p_l = q["a"] + (N * X_h + (N - 1) * X_l + x_l) / (2 * N)
        p_h = q["a"] + ((N - 1) * X_h + x_h + N * X_l) / (2 * N)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_g = k_i + _x(q["A_G"], k_i, q)
        w_l, w_h = k_i + x_l / p_l, k_i + x_h / p_h
        ok = (k_i >= 0) & (p_l > 0) & (p_h > 0) & (w_g > 0) & (w_l > 0) & (w_h > 0) & (x_h >= 0)
        if regime == "cournot":  # the other low types must still be able to repay
            X_l = _x(q["A_L"], k, q)
            ok &= (k + X_l / p_l > 0) & (k + X_l / p_h > 0)
        u = q["alpha"] * np.log(w_g) + (1 - q["alpha"]) / 2 * (np.log(w_l) + np.log(w_h))
    return np.where(ok & np.isfinite(u), u, -np.inf)


def productivity_payoff(k_i, k, spread, N=1, regime="walras", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                        A_bad=0.99) -> float:
    """Expected log utility of a firm holding ``k_i`` while all others hold ``k`` (from the primitives).

    Walras: the firm takes the price of capital at the others' allocation as given. Cournot:
    the bad-state price moves with its own net cash as a seller, ``p_L = a + (N x_H(k) +
    (N - 1) x_L(k) + x_L(k_i))/(2N)``, and as a buyer, ``p_H = a + ((N - 1) x_H(k) + x_H(k_i)
    + N x_L(k))/(2N)`` ((B1) with every firm trading its net cash). Planner: the common
    capital is ``k_i`` (``k`` ignored). Outside the deviation set (see
    :func:`productivity_best_response`) it raises :class:`OutsideValidRegion`.
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    q = _prod_params(spread, alpha, a, n, mean_A, r, A_bad)
    k_i = numerics.check_interval("k_i", k_i, 0.0, lo_closed=True)
    k = numerics.check_interval("k", k, 0.0, _solvent_top(q), lo_closed=True)
    out = float(_prod_payoff_vec(np.array([k_i]), k, N, regime, q, float(_sym_price(k, q)))[0])
    if not math.isfinite(out):
        raise OutsideValidRegion(f"k_i = {k_i:g} is outside the deviation set (someone insolvent or f < 0)")
    return out


def productivity_best_response(k, spread, N=1, regime="walras", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                               A_bad=0.99) -> BestResponse:
    """Direct optimisation of :func:`productivity_payoff` over the firm's own k_i (others at ``k``).

    The **deviation set** is every k_i >= 0 at which all firms stay solvent in every state
    (positive wealth, the other low types still able to repay their debt), the deviator's
    funds as a high type are >= 0 and the price is positive. Without it a Cournot buyer
    could cut its own funds until the other sellers cannot repay and the price it pays
    goes to 0, an unbounded payoff. The set is located on a grid of 4001 points over
    [0, 2 k_max] (k_max: the symmetric insolvency point), its ends refined on finer grids,
    and the payoff maximised on 4001 points inside it (dense near both ends) and refined.
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    q = _prod_params(spread, alpha, a, n, mean_A, r, A_bad)
    top = _solvent_top(q)
    k = numerics.check_interval("k", k, 0.0, top, lo_closed=True)
    p_bar = float(_sym_price(k, q))

    def payoff(x):
        return _prod_payoff_vec(x, k, N, regime, q, p_bar)

    coarse = np.linspace(0.0, 2 * top, 4001)
    feasible = np.isfinite(payoff(coarse))
    if not feasible.any():
        raise OutsideValidRegion("the deviation set is empty")
    idx = np.nonzero(feasible)[0]

    def edge(inside, outside):
        for _ in range(4):  # four levels of 101 points: the end to (grid step) / 100^4
            xs = np.linspace(inside, outside, 101)
            good = np.isfinite(payoff(xs))
            j = int(np.argmin(good)) if not good.all() else xs.size - 1
            inside, outside = xs[max(j - 1, 0)], xs[j]
        return float(inside)

    lo = coarse[idx[0]] if idx[0] == 0 else edge(coarse[idx[0]], coarse[idx[0] - 1])
    hi = coarse[idx[-1]] if idx[-1] == coarse.size - 1 else edge(coarse[idx[-1]], coarse[idx[-1] + 1])
    width = hi - lo
    near = width * np.logspace(-12, -1, 200)
    x, v = _maximise(payoff, lo, hi, 4001, extra=np.concatenate([lo + near, hi - near, [k]]))
    base = float(payoff(np.array([k]))[0])
    if not math.isfinite(base):
        raise OutsideValidRegion(f"k = {k:g} itself is outside the deviation set (someone insolvent or the high "
                                 f"type's funds negative there): no gain can be measured against it")
    return BestResponse(x, v, v - base, float(lo), float(hi))


def productivity_min_spread(N=1, regime="walras", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                            A_bad=0.99) -> float:
    """The smallest A_H - A_L at which the regime's equilibrium is valid: the high type's funds reach 0.

    Below it the high type's funds ``f = (A_H - r) k + r n`` at the solution of the regime's
    condition are negative and :func:`productivity_equilibrium` refuses. Found by Brent's
    method on ``f`` as a function of the spread (the condition must have one root throughout).
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    _prod_params(0.0, alpha, a, n, mean_A, r, A_bad)

    params = dict(alpha=alpha, a=a, n=n, mean_A=mean_A, r=r, A_bad=A_bad)

    def funds(spread):
        return _prod_price_at(spread, N, regime, params)[1]

    top = 2 * (r - A_bad)  # at this spread A_H = r and f = r n > 0
    return numerics.find_root(funds, 0.0, top, name="the high type's funds as a function of A_H - A_L")


def productivity_literal_equilibrium(spread, alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                                     A_bad=0.99) -> ProductivityEquilibrium:
    """The Walrasian equilibrium of the literal reading: ``productivity_equilibrium(spread, 1, "walras", ...)``.

    Kept for compatibility; it now finds every root of the condition and refuses negative
    funds, as :func:`productivity_equilibrium` does.
    """
    return productivity_equilibrium(spread, 1, "walras", alpha, a, n, mean_A, r, A_bad)


# ====================================================================== thresholds the chapter states (solved)
def _prod_price_at(spread, N, regime, params):
    """The regime's symmetric bad-state price at ``spread`` from its unique root (no validity filter)."""
    q = _prod_params(spread, **params)
    roots = _productivity_roots(q, N, regime)
    if len(roots) != 1:
        raise OutsideValidRegion(f"the {regime} condition has {len(roots)} roots at spread {spread:g}")
    return float(_sym_price(roots[0], q)), float(_x(q["A_H"], roots[0], q))


def productivity_price_bound(N=1, regime="cournot", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02,
                             A_bad=0.99):
    """The largest A_H - A_L at which the regime's equilibrium is valid: its bad-state price of
    capital reaches 1 (rebuilt model).

    Above it the price exceeds 1, the t = 2 value of a unit of capital: high types would
    rather keep their funds than buy, and (B2) fails for sellers, so (B1)-(B4) no longer
    describe the market and :func:`productivity_equilibrium` refuses. The price is scanned on
    60 spreads from just above :func:`productivity_min_spread` (where the valid region
    starts) to just below ``2 A_bad`` and the first crossing of 1 refined by Brent's method
    (to 1e-13 in the spread). Returns ``None`` if the price stays below 1 on the whole range
    (with Figure B1's caption: the Walrasian price); raises :class:`OutsideValidRegion` if
    it is already at least 1 where the valid region starts.
    """
    N = _count(N)
    regime = _choice("regime", regime, REGIMES)
    params = dict(alpha=alpha, a=a, n=n, mean_A=mean_A, r=r, A_bad=A_bad)
    q = _prod_params(0.0, **params)
    lo = productivity_min_spread(N, regime, **params) * (1 + 1e-9)
    hi = 2 * q["A_bad"] * (1 - 1e-9)

    def excess(spread):
        return _prod_price_at(spread, N, regime, params)[0] - 1.0

    grid = np.linspace(lo, hi, 60)
    values = [excess(float(s)) for s in grid]
    if values[0] >= 0:
        raise OutsideValidRegion(f"the {regime} price is already {values[0] + 1:.6g} >= 1 where the valid "
                                 f"region starts (spread {lo:g}, the high type's funds 0)")
    up = [i for i in range(len(grid) - 1) if values[i] < 0 <= values[i + 1]]
    if not up:
        return None
    i = up[0]
    return numerics.find_root(excess, float(grid[i]), float(grid[i + 1]), xtol=1e-13,
                              name=f"the {regime} price of capital = 1")


def _price_bound_sentence(N, regime, params) -> str:
    """Where the regime's price reaches 1 (:func:`productivity_price_bound`), as a sentence for a refusal."""
    try:
        bound = productivity_price_bound(N, regime, **params)
    except ValueError as error:
        return f"No valid spread with a price below 1 was found ({error})."
    if bound is None:
        return "The price stays below 1 on the scan of the valid range: the spread is near a second crossing."
    return f"The price reaches 1 at spread = {bound:.6g}: take a spread below it."


def b4_crossing(N=1, regime="cournot", alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99):
    """The A_H - A_L from which (B4) fails: the price (Cournot with N firms per type, or the
    Walrasian price) minus the (B4) threshold for N changes sign from - to + (rebuilt model).

    Searched between the smallest valid spread (:func:`productivity_min_spread`) and the
    spread where the price reaches 1 (:func:`productivity_price_bound`; there the margin is
    positive, since the threshold is below 1), on 80 points, then refined by Brent's method.
    The crossing must be the only sign change on the scan (it is checked); ``None`` if
    (B4) holds on the whole valid range.
    """
    N = _count(N)
    regime = _choice("regime", regime, ("walras", "cournot"))
    params = dict(alpha=alpha, a=a, n=n, mean_A=mean_A, r=r, A_bad=A_bad)
    q = _prod_params(0.0, **params)
    n_price = N if regime == "cournot" else 1
    lo = productivity_min_spread(n_price, regime, **params) * (1 + 1e-9)
    top = productivity_price_bound(n_price, regime, **params)
    hi = 2 * q["A_bad"] * (1 - 1e-9) if top is None else top

    def margin(spread):
        p, f = _prod_price_at(spread, n_price, regime, params)
        return p - b4_threshold(max(f, 0.0), N, q["a"])

    grid = np.linspace(lo, hi, 80)
    values = np.array([margin(float(s)) for s in grid])
    signs = np.sign(values)
    changes = np.nonzero(signs[:-1] != signs[1:])[0]
    if changes.size == 0 and values[0] < 0:
        return None
    if values[0] >= 0 or changes.size != 1:
        raise OutsideValidRegion(f"(B4) at the {regime} price (N = {N}) does not change sign once from "
                                 f"- to + on the valid range ({changes.size} sign changes)")
    i = int(changes[0])
    return numerics.find_root(margin, float(grid[i]), float(grid[i + 1]), xtol=1e-13,
                              name=f"price = (B4) threshold ({regime}, N = {N})")


def _walras_alpha(ell, beta, R, phi):
    """The alpha at which the Walrasian condition holds at liquidity ``ell`` (log utility; closed form).

    The condition is ``-alpha A + (1 - alpha) B = 0`` with ``A = beta (R - 1)/c_G`` and
    ``B = (1 + beta)(1 - 2 l - phi)/(2 (1 - l)(phi + 2 l))``; ``alpha = B/(A + B)`` falls
    strictly in ``l`` on ``(0, (1 - phi)/2)``. ``ell = 0`` (with ``phi = 0``) gives 1.
    """
    if ell == 0 and phi == 0:
        return 1.0
    A = beta * (R - 1) / (ell + R * (1 - ell))
    B = (1 + beta) * (1 - 2 * ell - phi) / (2 * (1 - ell) * (phi + 2 * ell))
    return B / (A + B)


def underprovision_phi_bound(beta):
    """The outside liquidity below which Cournot banks under-provide somewhere: ``beta/(2(1 + sqrt(1 + beta)))``.

    Cournot banks hold less liquidity than Walrasian ones iff ``(phi + l)^2 < beta l (1 - l)``
    at the Walrasian l (rebuilt model, log utility, any alpha, R, N); that set of l is
    non-empty iff phi is below this bound (0.2 at beta = 0.96).
    """
    beta = numerics.check_interval("beta", beta, 0.0, 1.0)
    return beta / (2 * (1 + math.sqrt(1 + beta)))


def underprovision_band(beta, R, phi=0.0):
    """The alphas at which Cournot banks hold strictly less liquidity than Walrasian ones (closed form).

    Rebuilt liquidity model, log utility. The Cournot condition minus the Walrasian one at a
    common l is ``(1 - alpha)/(2N) [(phi + l)^2 - beta l (1 - l)] / ((1 - l)(phi + l)(phi + 2 l))``,
    so Cournot banks hold less exactly when ``(phi + l)^2 < beta l (1 - l)`` at the Walrasian
    l: between the roots ``l_1 < l_2`` of ``(1 + beta) l^2 + (2 phi - beta) l + phi^2 = 0``.
    The Walrasian l falls strictly in alpha (:func:`_walras_alpha` is its inverse), so the
    set is the open band ``(alpha_W(l_2), alpha_W(l_1))``, the same for every N. Returns
    ``(lo, hi)``, or ``None`` when ``phi >= underprovision_phi_bound(beta)`` (no such l; at
    the bound the two regimes only touch, at one alpha).
    """
    beta = numerics.check_interval("beta", beta, 0.0, 1.0)
    R = numerics.check_interval("R", R, 1.0)
    phi = numerics.check_interval("phi", phi, 0.0, R, lo_closed=True)
    b = 2 * phi - beta
    disc = b * b - 4 * (1 + beta) * phi * phi  # > 0 with b < 0 iff phi < the bound
    if b >= 0 or disc <= 0:
        return None
    root = math.sqrt(disc)
    l_2 = (-b + root) / (2 * (1 + beta))
    l_1 = phi * phi / ((1 + beta) * l_2)  # the product of the roots: no cancellation
    for ell in (l_1, l_2):
        res = (phi + ell) ** 2 - beta * ell * (1 - ell)
        if abs(res) > 1e-12 * max(beta * ell, phi * phi, 1e-300) or not 0 <= ell < (1 - phi) / 2:
            raise ValueError(f"the band's end l = {ell:.6g} fails its own check (residual {res:.3g})")
    return _walras_alpha(l_2, beta, R, phi), _walras_alpha(l_1, beta, R, phi)


def productivity_default_payoff(k_i, k, spread, N=1, alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99):
    """A Cournot firm's expected log utility holding ``k_i`` (others at ``k``) when sellers who cannot
    repay sell all their capital and default (rebuilt model; the book's deviation rule).

    As a buyer the firm spends ``f_i = (A_H - r) k_i + r n`` (it must be >= 0); each of the N
    other low types sells ``min(D/p, k)`` with ``D = (r - A_L) k - r n``: what repays its debt,
    or everything if that is not enough (then it defaults). The price solves (B1),
    ``2N p + N min(D, p k) = 2Na + F`` with ``F`` the buyers' funds, which rises in p and
    has one root. As a seller the firm repays at the price its own sales produce, as in
    :func:`productivity_payoff`. Where the firm itself could not stay solvent the payoff is
    ``-inf`` (a firm cannot default on its own choice). Vectorised in ``k_i``.
    """
    N = _count(N)
    q = _prod_params(spread, alpha, a, n, mean_A, r, A_bad)
    k_i = _numbers("k_i", k_i, 0.0)
    k = numerics.check_interval("k", k, 0.0, _solvent_top(q), lo_closed=True)
    X_l, X_h = float(_x(q["A_L"], k, q)), float(_x(q["A_H"], k, q))
    x_l, x_h, x_g = _x(q["A_L"], k_i, q), _x(q["A_H"], k_i, q), _x(q["A_G"], k_i, q)
    funds = 2 * N * q["a"] + (N - 1) * X_h + x_h  # households' cash and every buyer's funds
    p_h = (funds + N * X_l) / (2 * N)  # the others repay: p s = D for each
    default = p_h * k + X_l < 0  # ... unless that needs more than all their capital
    p_h = np.where(default, funds / (2 * N + N * k), p_h)
    p_l = q["a"] + (N * X_h + (N - 1) * X_l + x_l) / (2 * N)
    with np.errstate(divide="ignore", invalid="ignore"):
        w_g, w_l, w_h = k_i + x_g, k_i + x_l / p_l, k_i + x_h / p_h
        ok = (x_h >= 0) & (p_l > 0) & (p_h > 0) & (w_g > 0) & (w_l > 0) & (w_h > 0) & (k + X_l / p_l > 0)
        u = q["alpha"] * np.log(w_g) + (1 - q["alpha"]) / 2 * (np.log(w_l) + np.log(w_h))
    out = np.where(ok & np.isfinite(u), u, -np.inf)
    return float(out) if out.ndim == 0 else out


# ====================================================================== sweeps used by the chapter
def capital_crossing(N, spreads, alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99):
    """The A_H - A_L at which Cournot capital (N firms per type) equals the planner's (rebuilt model).

    Scans ``spreads`` for the first sign change of ``k_cournot - k_planner`` from positive to
    negative and refines it by Brent's method; ``None`` if there is none on the grid.
    """
    N = _count(N)
    spreads = np.atleast_1d(_numbers("spreads", spreads, 0.0))
    params = dict(alpha=alpha, a=a, n=n, mean_A=mean_A, r=r, A_bad=A_bad)

    def gap(s):
        return productivity_equilibrium(s, N, "cournot", **params).k - productivity_equilibrium(s, 1, "planner",
                                                                                              **params).k

    values = np.array([gap(s) for s in spreads])
    down = np.nonzero((values[:-1] > 0) & (values[1:] <= 0))[0]
    if down.size == 0:
        return None
    i = int(down[0])
    return numerics.find_root(gap, float(spreads[i]), float(spreads[i + 1]), name="k_cournot = k_planner")
