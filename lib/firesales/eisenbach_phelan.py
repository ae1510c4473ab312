"""Eisenbach & Phelan, *Cournot Fire Sales*: the online appendix, and a rebuilt main-text model.

Only the online appendix of the paper is available. Its Appendices A, B and D state
conditions and formulas that are reproduced here directly:

* Appendix A: the three corner conditions of the unified model (``corner_condition_*``)
  and the lower bounds on the liquidity shocks they imply (:func:`theta_lower_bounds`).
* Appendix B1: the price of capital (B1), the strategic seller's fixed-point sales and
  the buyer's condition (B4) (:func:`capital_price`, :func:`strategic_sales`,
  :func:`b4_threshold`).
* Appendix B2: the asset price (B5) and the buyer's condition (B7)
  (:func:`asset_price`, :func:`b7_threshold`).

The main-text liquidity-shock model (Section III) is **a reconstruction**: it is rebuilt
from what the appendix states about it (see the chapter), with log utility:
2N banks, each with one unit, choose liquidity ``l`` (storage, return 1) and ``1 - l`` of
an asset paying ``R`` at t = 2. With probability ``alpha`` (the good state) nobody is hit
and a bank consumes ``c_G = l + R(1 - l)`` at t = 2; with probability ``1 - alpha`` N banks
are hit (sell everything at price ``p`` and consume ``c_S = l + p(1 - l)`` at t = 1) and N
buy (spend all liquidity, consume ``c_B = R(1 - l) + R l / p`` at t = 2). A bank maximises
``alpha beta u(c_G) + (1 - alpha)/2 [u(c_S) + beta u(c_B)]``. Walrasian banks take ``p``
as given, the planner internalises ``dp/dl`` and a Cournot bank its own impact on ``p`` as
a seller and as a buyer (:func:`liquidity_equilibrium`).

The main-text productivity-shock model (Section II) cannot be recovered from the
appendix; :func:`productivity_literal_equilibrium` solves the *literal* reading spelled
out in the chapter, which is shown there to contradict the appendix (Figure B1 is not
reproducible).

For cross-paper comparisons: :func:`price_curve` gives the equilibrium price against
``alpha`` (the probability of the good state: a higher ``alpha`` means banks hoard less
liquidity and the bad state brings a deeper fire sale) and :data:`NO_FRICTION_PRICE`
(= 1, the Walrasian price at ``alpha = 0`` for every ``phi``) is the benchmark.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import numerics

__all__ = [
    "REGIMES",
    "NO_FRICTION_PRICE",
    "CAPTION_B2",
    "CAPTION_B1",
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
    "LiquidityEquilibrium",
    "liquidity_foc",
    "liquidity_equilibrium",
    "cournot_payoff",
    "price_curve",
    "liquidity_curve",
    "normalised_price_curve",
    "ProductivityEquilibrium",
    "productivity_literal_equilibrium",
]

#: The three equilibrium notions of the liquidity-shock model.
REGIMES = ("walras", "cournot", "planner")
#: Price without a fire sale: the Walrasian price at alpha = 0 (any phi), the benchmark
#: the synthesis chapter normalises by.
NO_FRICTION_PRICE = 1.0
#: Parameters of Figure B2's caption (log utility, beta = 0.96, R = 1.03 / beta, N = 2).
CAPTION_B2 = {"beta": 0.96, "R": 1.03 / 0.96, "N": 2}
#: Parameters of Figure B1's caption (relative risk aversion 1).
CAPTION_B1 = {"alpha": 0.85, "a": 0.93, "n": 1.0, "mean_A": 1.05, "r": 1.02, "A_bad": 0.99, "N": (1, 2, 3)}


# ====================================================================== Appendix A
def marginal_utility(c, gamma: float = 1.0):
    """CRRA marginal utility ``u'(c) = c**(-gamma)`` (``gamma = 1``: log utility)."""
    gamma = numerics.check_interval("gamma", gamma, 0.0)
    c = np.asarray(c, dtype=float)
    if np.any(~np.isfinite(c)) or np.any(c <= 0):
        raise ValueError("consumption must be positive for u'(c) to be defined")
    out = c ** (-gamma)
    return float(out) if out.ndim == 0 else out


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
    return marginal_utility(theta_bar, gamma) - beta * marginal_utility(ell - theta_bar + R * k, gamma)


def _late_wealth(theta, ell, k, p, delta, R):
    """t = 2 consumption ``R (k + (l + delta k - theta) / p)`` after all t = 1 trade."""
    return R * (k + (ell + delta * k - theta) / p)


def _corner_shocked(theta, ell, k, p, delta, beta, R, gamma, name):
    beta, R, gamma = _check_common(beta, R, gamma)
    ell = numerics.check_interval("ell", ell, 0.0, lo_closed=True)
    k = numerics.check_interval("k", k, 0.0, lo_closed=True)
    p = numerics.check_interval("p", p, 0.0, 1.0, hi_closed=True)
    delta = numerics.check_interval("delta", delta, 0.0, lo_closed=True)
    top = ell + delta * k + p * k
    theta = numerics.check_interval(name, theta, 0.0, top)
    return marginal_utility(theta, gamma) - beta * R / p * marginal_utility(
        _late_wealth(theta, ell, k, p, delta, R), gamma
    )


def corner_condition_lucky(theta_L, ell, k, p, delta_H, beta, R, gamma: float = 1.0) -> float:
    """Appendix A, lucky agent in the bad state: ``u'(theta_L) - beta R/p u'(R(k + (l + delta_H k - theta_L)/p))``.

    ``e_1 = 0`` requires this to be ``< 0``.
    """
    return _corner_shocked(theta_L, ell, k, p, delta_H, beta, R, gamma, "theta_L")


def corner_condition_unlucky(theta_H, ell, k, p, delta_L, beta, R, gamma: float = 1.0) -> float:
    """Appendix A, unlucky agent (partial liquidation): ``u'(theta_H) - beta R/p u'(R(k - (theta_H - l - delta_L k)/p))``.

    ``e_1 = 0`` requires this to be ``< 0``.
    """
    return _corner_shocked(theta_H, ell, k, p, delta_L, beta, R, gamma, "theta_H")


@dataclass(frozen=True)
class ThetaBounds:
    """Lower bounds on the liquidity shocks implied by the corner conditions of Appendix A."""

    theta_bar: float
    theta_L: float
    theta_H: float


def theta_lower_bounds(ell, k, p, delta_L, delta_H, beta, R, gamma: float = 1.0) -> ThetaBounds:
    """Roots of the three corner conditions of Appendix A (each condition holds above its root).

    Each condition is ``u'(theta)`` (falling in theta) minus a term that rises in theta, so
    each root is unique. For log utility the roots are ``(l + R k) / (1 + beta)`` and
    ``(l + delta k + p k) / (1 + beta)`` with ``delta = delta_H`` (theta_L) or ``delta_L``
    (theta_H).
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
    bar = numerics.find_root(
        lambda t: corner_condition_good(t, ell, k, beta, R, gamma), top * 1e-12, top * (1 - 1e-12),
        name="the good-state corner condition",
    )

    def shocked(delta, name):
        top = ell + delta * k + p * k
        return numerics.find_root(
            lambda t: _corner_shocked(t, ell, k, p, delta, beta, R, gamma, name),
            top * 1e-12, top * (1 - 1e-12), name=f"the corner condition for {name}",
        )

    return ThetaBounds(bar, shocked(delta_H, "theta_L"), shocked(delta_L, "theta_H"))


# ====================================================================== Appendix B1
def capital_price(s, f, N, a):
    """(B1): ``p = (2 N a + sum f) / (2 N + sum s)`` with N sellers selling ``s`` and N buyers spending ``f``.

    ``s`` and ``f`` are scalars (symmetric choices) or length-N sequences.
    """
    N = numerics.check_positive_int("N", N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    s, f = _per_agent("s", s, N), _per_agent("f", f, N)
    return float((2 * N * a + f.sum()) / (2 * N + s.sum()))


def _per_agent(name, x, N):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    if x.size == 1:
        x = np.full(N, float(x[0]))
    if x.size != N:
        raise ValueError(f"{name} must be a scalar or have N = {N} entries, got {x.size}")
    if np.any(~np.isfinite(x)) or np.any(x < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    return x


def strategic_sales(k_i, others_s, f, N, a, r, A_L, n):
    """Appendix B1: a strategic low type's sales, the fixed point of ``p(s_i, s_-i, f) s_i = r b_i - A_L k_i``.

    ``s_i = (2N + sum_{j != i} s_j) D / (2 N a + sum f - D)`` with debt shortfall
    ``D = (r - A_L) k_i - r n`` (``b_i = k_i - n``). ``others_s``: the N - 1 other sellers'
    sales (scalar = symmetric). Raises if the shortfall is negative or cannot be covered.
    """
    N = numerics.check_positive_int("N", N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    r = numerics.check_interval("r", r, 0.0)
    A_L = numerics.check_interval("A_L", A_L, 0.0, r)
    n = numerics.check_interval("n", n, 0.0, lo_closed=True)
    k_i = numerics.check_interval("k_i", k_i, n, lo_closed=True)
    others = _per_agent("others_s", others_s, N - 1) if N > 1 else np.zeros(0)
    f = _per_agent("f", f, N)
    debt = (r - A_L) * k_i - r * n
    if debt < 0:
        raise ValueError(f"the low type needs no sales: (r - A_L) k_i - r n = {debt:.6g} < 0")
    cash = 2 * N * a + f.sum()
    if cash <= debt:
        raise ValueError(f"no price clears the debt: 2 N a + sum f = {cash:.6g} <= shortfall {debt:.6g}")
    return float((2 * N + others.sum()) * debt / (cash - debt))


def b4_threshold(f, N, a):
    """Right-hand side of (B4): ``(2 N a + (N - 1) f) / (2 N a + N f)`` (vectorised in ``f``)."""
    N = numerics.check_positive_int("N", N)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    f_arr = np.asarray(f, dtype=float)
    if np.any(~np.isfinite(f_arr)) or np.any(f_arr < 0):
        raise ValueError("f (buyers' funds) must be finite and >= 0")
    out = (2 * N * a + (N - 1) * f_arr) / (2 * N * a + N * f_arr)
    return float(out) if out.ndim == 0 else out


# ====================================================================== Appendix B2 / D
def asset_price(liquidity, N, phi=0.0):
    """(B5) / Appendix D at symmetric choices: ``p = (N phi + N l) / (N (1 - l)) = (phi + l) / (1 - l)``."""
    N = numerics.check_positive_int("N", N)
    phi = numerics.check_interval("phi", phi, 0.0, lo_closed=True)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0 (no cash, no price)")
    return (phi + ell) / (1 - ell)


def b7_threshold(liquidity, N, phi, R):
    """Right-hand side of (B7): ``(N phi + (N - 1) f) / (N phi + N f) R`` with buyers' funds ``f = liquidity``.

    A strategic buyer spends all its funds iff the price lies below this threshold.
    """
    N = numerics.check_positive_int("N", N)
    phi = numerics.check_interval("phi", phi, 0.0, lo_closed=True)
    R = numerics.check_interval("R", R, 1.0)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0: (B7) is 0/0 without any cash")
    return (N * phi + (N - 1) * ell) / (N * phi + N * ell) * R


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
    price: float  #: p, the t = 1 asset price in the bad state, (B5)
    c_good: float  #: t = 2 consumption in the good state, l + R (1 - l)
    c_seller: float  #: t = 1 consumption of a hit bank, l + p (1 - l)
    c_buyer: float  #: t = 2 consumption of a buying bank, R (1 - l) + R l / p
    corner: bool  #: True if l = 0 (outside liquidity makes inside liquidity worthless)
    b7: float  #: the (B7) threshold at this allocation
    foc: float  #: first-order condition residual (0 inside; <= 0 at the corner)

    @property
    def b7_margin(self) -> float:
        """Price minus the (B7) threshold (negative: interim price taking is w.l.o.g.)."""
        return self.price - self.b7


def _check_model(alpha, beta, R, N, phi, regime):
    alpha = numerics.check_interval("alpha", alpha, 0.0, 1.0, lo_closed=True)
    beta = numerics.check_interval("beta", beta, 0.0, 1.0)
    R = numerics.check_interval("R", R, 1.0)
    N = numerics.check_positive_int("N", N)
    phi = numerics.check_interval("phi", phi, 0.0, lo_closed=True)
    if regime not in REGIMES:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    return alpha, beta, R, N, phi, regime


def _price_impacts(ell, N, phi, regime):
    """(dp/dl as seller, dp/dl as buyer) perceived in each regime (Appendix D)."""
    if regime == "walras":
        return 0.0, 0.0
    if regime == "planner":
        d = (phi + 1) / (1 - ell) ** 2
        return d, d
    return (phi + ell) / (N * (1 - ell) ** 2), 1 / (N * (1 - ell))


def _foc(ell, alpha, beta, R, N, phi, regime):
    p = (phi + ell) / (1 - ell)
    c_g = ell + R * (1 - ell)
    c_s = ell + p * (1 - ell)
    c_b = R * (1 - ell) + R * ell / p  # p > 0: either l > 0 or phi > 0
    d_s, d_b = _price_impacts(ell, N, phi, regime)
    impact = ell * d_b / p**2 if ell > 0 else 0.0
    buyer = beta * R * (1 / p - 1 - impact) / c_b
    return alpha * beta * (1 - R) / c_g + (1 - alpha) / 2 * ((1 - p + (1 - ell) * d_s) / c_s + buyer)


def liquidity_foc(liquidity, alpha, beta, R, N, phi=0.0, regime="walras") -> float:
    """The regime's first-order condition at a symmetric liquidity choice (log utility; reconstruction).

    ``alpha beta (1 - R)/c_G + (1 - alpha)/2 [(1 - p + (1 - l) dp_S)/c_S + beta R (1/p - 1 - l dp_B / p^2)/c_B]``
    with price impacts ``dp_S = dp_B = 0`` (Walras), ``(1 + phi)/(1 - l)^2`` (planner) and
    ``dp_S = (phi + l)/(N (1 - l)^2)``, ``dp_B = 1/(N (1 - l))`` (Cournot).
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    ell = numerics.check_interval("liquidity", liquidity, 0.0, 1.0, lo_closed=True)
    if ell == 0 and phi == 0:
        raise ValueError("liquidity must be positive when phi = 0")
    return float(_foc(ell, alpha, beta, R, N, phi, regime))


def liquidity_equilibrium(alpha, beta, R, N, phi=0.0, regime="walras") -> LiquidityEquilibrium:
    """Symmetric equilibrium of the rebuilt liquidity-shock model (Section III; a reconstruction).

    Parameters
    ----------
    alpha : probability of the good state (no bank hit), in [0, 1).
    beta : discount factor, in (0, 1). R : return of the asset, > 1.
    N : banks per side in the bad state (integer >= 1). phi : outside liquidity per
    outside buyer (Appendix D), >= 0. regime : "walras", "cournot" or "planner".

    The first-order condition is solved on the allocations where buyers spend all their
    liquidity, ``p <= R`` (i.e. ``l <= (R - phi)/(1 + R)``). If the regime's equilibrium
    would have ``p > R`` (possible for the planner and for Cournot banks with outside
    liquidity or few banks) a ``ValueError`` says the allocation leaves the model's valid
    region. With outside liquidity the solution can be the corner ``l = 0``.
    """
    alpha, beta, R, N, phi, regime = _check_model(alpha, beta, R, N, phi, regime)
    if phi >= R:
        raise ValueError(
            f"phi = {phi:g} >= R = {R:g}: outside cash alone prices the asset above R, so buyers "
            "would not spend all their liquidity; the model's valid region is empty"
        )
    top = (R - phi) / (1 + R)  # p(top) = R
    f = lambda x: _foc(x, alpha, beta, R, N, phi, regime)  # noqa: E731
    f_top = f(top)
    if f_top > 0:
        raise ValueError(
            f"the {regime} equilibrium leaves the model's valid region: its first-order condition "
            f"is still positive ({f_top:.3g}) at p = R (l = {top:.6g}), so it would need p > R, where "
            f"buyers no longer spend all their liquidity (alpha={alpha:g}, N={N}, phi={phi:g})"
        )
    # the corner l = 0 is possible only with outside liquidity; for phi ~ 0 the condition
    # at l = 0 is of order 1/phi > 0, so start just inside the interval instead
    lo = 0.0 if phi >= 1e-9 else top * 1e-12
    f_lo = f(lo)
    if lo == 0.0 and f_lo <= 0:
        ell, corner = 0.0, True
    else:
        grid = np.linspace(lo, top, 161)
        vals = np.array([f(float(x)) for x in grid])
        changes = np.nonzero(np.sign(vals[:-1]) != np.sign(vals[1:]))[0]
        if len(changes) != 1:
            raise ValueError(
                f"the {regime} first-order condition has {len(changes)} sign changes on the valid "
                f"region (alpha={alpha:g}, N={N}, phi={phi:g}); no unique equilibrium"
            )
        i = int(changes[0])
        ell = numerics.find_root(f, float(grid[i]), float(grid[i + 1]), name=f"the {regime} first-order condition")
        corner = False
    p = (phi + ell) / (1 - ell)
    c_b = R * (1 - ell) + R * ell / p
    b7 = b7_threshold(ell, N, phi, R)
    return LiquidityEquilibrium(
        alpha, beta, R, N, phi, regime, float(ell), float(p), float(ell + R * (1 - ell)),
        float(ell + p * (1 - ell)), float(c_b), corner, float(b7), float(f(ell)),
    )


def cournot_payoff(ell_i, ell, alpha, beta, R, N, phi=0.0) -> float:
    """Expected log utility of one bank choosing ``ell_i`` while the other 2N - 1 choose ``ell`` (reconstruction).

    As a seller (bad state, hit) it faces ``p_L = N(phi + l) / ((1 - l_i) + (N - 1)(1 - l))``,
    as a buyer ``p_H = (N phi + l_i + (N - 1) l) / (N (1 - l))`` (both from (B5)). Used to
    check that the symmetric Cournot first-order condition picks a best response.
    """
    alpha, beta, R, N, phi, _ = _check_model(alpha, beta, R, N, phi, "cournot")
    ell_i = numerics.check_interval("ell_i", ell_i, 0.0, 1.0, lo_closed=True)
    ell = numerics.check_interval("ell", ell, 0.0, 1.0)
    p_l = N * (phi + ell) / ((1 - ell_i) + (N - 1) * (1 - ell))
    p_h = (N * phi + ell_i + (N - 1) * ell) / (N * (1 - ell))
    if p_h > R:
        raise ValueError(f"p_H = {p_h:.6g} > R: buyers would not spend all their liquidity")
    c_g = ell_i + R * (1 - ell_i)
    c_s = ell_i + p_l * (1 - ell_i)
    c_b = R * (1 - ell_i) + R * ell_i / p_h
    return float(alpha * beta * math.log(c_g) + (1 - alpha) / 2 * (math.log(c_s) + beta * math.log(c_b)))


def price_curve(alphas, beta=CAPTION_B2["beta"], R=CAPTION_B2["R"], N=CAPTION_B2["N"], phi=0.0, regime="walras"):
    """Equilibrium price against alpha (probability of the good state), as a NumPy array.

    Defaults: Figure B2's caption. Divide by :data:`NO_FRICTION_PRICE` (= 1, the price at
    alpha = 0 in the Walrasian equilibrium) for a normalised curve; a point outside the
    model's valid region raises ``ValueError`` (see :func:`liquidity_equilibrium`).
    """
    return np.array([liquidity_equilibrium(a, beta, R, N, phi, regime).price for a in np.atleast_1d(alphas)])


def liquidity_curve(alphas, beta=CAPTION_B2["beta"], R=CAPTION_B2["R"], N=CAPTION_B2["N"], phi=0.0, regime="walras"):
    """Equilibrium liquidity ``l`` against alpha, as a NumPy array (defaults: Figure B2's caption)."""
    return np.array([liquidity_equilibrium(a, beta, R, N, phi, regime).liquidity for a in np.atleast_1d(alphas)])


def normalised_price_curve(alphas, **kwargs):
    """``price_curve(alphas, **kwargs) / NO_FRICTION_PRICE``: 1 means no fire-sale discount."""
    return price_curve(alphas, **kwargs) / NO_FRICTION_PRICE


# ====================================================================== Section II, literal reading
@dataclass(frozen=True)
class ProductivityEquilibrium:
    """Walrasian equilibrium of the *literal* reading of the productivity model (not the paper's)."""

    spread: float  #: A_H - A_L
    k: float  #: capital per firm
    price: float  #: bad-state price of capital, (B1)
    f: float  #: a high type's funds A_H k - r b
    s: float  #: a low type's sales
    wealth_low: float  #: low type's t = 2 wealth k - s
    leverage: float  #: k / n
    a: float  #: households' productivity

    def b4(self, N) -> float:
        """The (B4) threshold for N firms per side at this allocation."""
        return b4_threshold(self.f, N, self.a)


def productivity_literal_equilibrium(
    spread, alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99
) -> ProductivityEquilibrium:
    """Walrasian equilibrium of the literal reading of Section II (log utility over t = 2 wealth).

    Literal reading (an assumption, not the paper's model): with probability ``alpha`` all
    firms draw ``A_G`` with ``alpha A_G + (1 - alpha) A_bad = mean_A``; otherwise half draw
    ``A_L = A_bad - spread/2`` and half ``A_H = A_bad + spread/2``. Wealth at t = 2:
    ``(1 + A_G - r) k + r n`` (good), ``k - s`` with ``p s = r b - A_L k`` (low),
    ``k + f / p`` with ``f = A_H k - r b`` (high), ``b = k - n``. The symmetric (B1) price
    is ``p = a + r n - (r - A_bad) k`` for every N. The firm's first-order condition in k
    (taking p as given) is solved on the solvent region (low-type wealth > 0).
    """
    spread = numerics.check_interval("spread", spread, 0.0, 2 * A_bad)
    alpha = numerics.check_interval("alpha", alpha, 0.0, 1.0)
    a = numerics.check_interval("a", a, 0.0, 1.0)
    n = numerics.check_interval("n", n, 0.0)
    r = numerics.check_interval("r", r, 0.0)
    A_bad = numerics.check_interval("A_bad", A_bad, 0.0, r)
    mean_A = numerics.check_interval("mean_A", mean_A, r)
    A_G = (mean_A - (1 - alpha) * A_bad) / alpha
    A_L, A_H = A_bad - spread / 2, A_bad + spread / 2

    def parts(k):
        p = a + r * n - (r - A_bad) * k
        w_g = (1 + A_G - r) * k + r * n
        w_l = k - ((r - A_L) * k - r * n) / p
        w_h = k + (A_H * k - r * (k - n)) / p
        return p, w_g, w_l, w_h

    def foc(k):
        p, w_g, w_l, w_h = parts(k)
        return alpha * (1 + A_G - r) / w_g + (1 - alpha) / 2 * ((1 - (r - A_L) / p) / w_l + (1 + (A_H - r) / p) / w_h)

    # solvent region: p > 0 and w_l > 0, i.e. k below the first insolvency point k_max
    k_p0 = (a + r * n) / (r - A_bad)  # p(k_p0) = 0
    ks = np.linspace(n, k_p0, 4001)[:-1]
    solvent = np.array([parts(k)[2] > 0 for k in ks])
    if solvent.all():
        k_max = float(ks[-1])
    else:
        j = int(np.argmin(solvent))
        if j == 0:
            raise ValueError("the low type is insolvent even without leverage (k = n)")
        k_max = numerics.find_root(lambda k: parts(k)[2], float(ks[j - 1]), float(ks[j]), name="low-type wealth")
    k_star = numerics.find_root(foc, n, k_max - 1e-9 * k_max, name="the literal Walrasian first-order condition in k",
                                scan=400)
    p, w_g, w_l, w_h = parts(k_star)
    f = A_H * k_star - r * (k_star - n)
    s = ((r - A_L) * k_star - r * n) / p
    return ProductivityEquilibrium(spread, k_star, p, f, s, w_l, k_star / n, a)
