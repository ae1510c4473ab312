"""Cheng & Robatto (2022), *Financial Intermediation and Fire Sales with Liquidity-Risk Pricing*.

Solvers for the paper's general framework (Sec. 2), the bank-run application (Sec. 3,
Appendices A-B) and the OTC application (Sec. 4). Equation numbers refer to the
November 2022 working paper. Throughout, ``R = 1/beta`` (the paper's normalisation), so
the no-friction price of the long-term asset is ``beta * R = 1`` (eqs. (8), (18)).

Every closed form has an independent numerical counterpart that solves each agent's
problem by direct maximisation (of the agent's objective, never of the first-order
condition the closed form was derived from) and clears the market by bracketing:

========================================  ==================================================
closed form                               independent solver
========================================  ==================================================
:func:`run_price` (19)                    :func:`run_price_numeric`
:func:`limited_participation_price` (21)  :func:`limited_participation_price_numeric`
:func:`otc_price` (24), (26)              :func:`otc_equilibrium_numeric`
:func:`worked_economy` (lognormal)        quadrature inside :func:`worked_economy`
(7)-(8) in a two-shock economy            :func:`framework_equilibrium` (direct clearing)
========================================  ==================================================

Valid ranges: shares (theta, gamma, p, alpha) in the documented intervals with the patient
share 1 - theta - gamma >= 1e-6 (capital and t = 3 consumption are differences of
order-one quantities below it), beta in [1e-300, 1) (R = 1/beta a finite float). Solvers
work to relative precision however small a share is: objectives are maximised without
their choice-independent constants, maximisers found in log x, prices cleared in log q
where they can be tiny. A result that would not be a finite float raises a ``ValueError``
naming the parameter; a user's callable that fails raises :class:`CallableFailed`.

Public API used by the synthesis chapter: :func:`distress_price` (default: the *consistent*
limited-participation price; the printed eq. (21) only with ``variant="printed"``),
:func:`otc_price`, :func:`run_price`, :func:`benchmark_price`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real

import numpy as np
from scipy import special

from . import numerics

__all__ = [
    "benchmark_price",
    "mu",
    # Sec. 2.1 general framework
    "FrameworkEquilibrium",
    "framework_equilibrium",
    "framework_assumptions",
    "framework_example",
    "WorkedEconomy",
    "worked_economy",
    "crra_threshold",
    # Sec. 3 bank runs
    "PlannerAllocation",
    "planner_allocation",
    "GoodEquilibrium",
    "good_equilibrium",
    "bank_trading_choice",
    "run_quadratic",
    "run_price",
    "run_price_numeric",
    "run_choices",
    "RunEquilibrium",
    "run_equilibrium",
    "run_welfare",
    "limited_participation_price",
    "limited_participation_price_numeric",
    "new_bank_contract",
    # Sec. 2.2 in the bank-run economy (book's construction)
    "BankRunExAnte",
    "bank_run_prices",
    "bank_run_welfare",
    "bank_run_ex_ante",
    # Sec. 4 OTC
    "otc_price",
    "OTCEquilibrium",
    "otc_equilibrium_numeric",
    "otc_state_values",
    "otc_t1_price",
    "otc_ex_ante_foc",
    "otc_price_taking_s0",
    "otc_planner_s0",
    "otc_welfare",
    "otc_indirect_utility",
    # chapter checks
    "log_example_constrained",
    "run_price_literal",
    # synthesis
    "distress_price",
]

VARIANTS = ("consistent", "printed")
REGIMES = ("no intermediation", "insured")
RUN_MODELS = ("self-insurance", "new banks")


# ---------------------------------------------------------------- validation
def _beta(beta) -> float:
    beta = numerics.check_interval("beta", beta, 0.0, 1.0)
    if beta < 1e-300:
        raise ValueError(f"beta must lie in [1e-300, 1) (R = 1/beta must be a finite number), got {beta:g}")
    return beta


def _unit(name, value) -> float:
    return numerics.check_interval(name, value, 0.0, 1.0)


def _theta_gamma(theta, gamma) -> tuple[float, float]:
    theta, gamma = _unit("theta", theta), _unit("gamma", gamma)
    if theta + gamma >= 1.0:
        raise ValueError(
            f"theta + gamma must lie in (0, 1) (a positive mass of patient agents), got "
            f"theta = {theta:g}, gamma = {gamma:g}, theta + gamma = {theta + gamma:g}"
        )
    if 1.0 - theta - gamma < 1e-6:
        raise ValueError(
            f"theta + gamma must be at most 1 - 1e-6 (patient share 1 - theta - gamma >= 1e-6: capital and "
            f"t = 3 consumption are differences of quantities of order one and lose their precision "
            f"below it), got theta = {theta:g}, gamma = {gamma:g}"
        )
    return theta, gamma


def _p(p) -> float:
    return numerics.check_interval("p", p, 0.0, 1.0, lo_closed=True, hi_closed=True)


def _choice(name: str, value, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _callable(name: str, value) -> Callable:
    if not callable(value):
        raise ValueError(f"{name} must be a callable, got {value!r}")
    return value


class CallableFailed(ValueError):
    """A callable the user passed (a utility, a marginal utility) raised or returned a non-number."""


def _call(name: str, func: Callable, c: float, e: float) -> float:
    """``float(func(c, e))``, with any failure of the user's callable reported as such."""
    try:
        value = float(func(c, e))
    except Exception as error:  # noqa: BLE001 - whatever the user's callable raised
        raise CallableFailed(
            f"{name}(c, eps) failed at c = {c:.6g}, eps = {e:.6g}: {type(error).__name__}: {error}"
        ) from error
    if not math.isfinite(value):
        raise CallableFailed(f"{name}(c, eps) is not finite at c = {c:.6g}, eps = {e:.6g} (got {value!r})")
    return value


def _finite_result(values, param: str, value: float, what: str):
    """``values`` if every one is a finite float, else a ValueError naming the parameter to change."""
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{what} exceeds the largest float at {param} = {value:g}: take a larger {param}")
    return values


def _alpha01(alpha) -> int:
    """alpha in {0, 1} (the ex-ante OTC extension has the dealer market shut or open)."""
    try:
        value = numerics.check_finite("alpha", alpha)
    except ValueError:
        raise ValueError(f"alpha must be 0 or 1 here, got {alpha!r}") from None
    if value not in (0.0, 1.0):
        raise ValueError(f"alpha must be 0 or 1 here, got {alpha!r}")
    return int(value)


# ---------------------------------------------------------------- one-dimensional maximisation
def _slope(f: Callable[[float], float], x: float, lo: float, hi: float, kinks=(), floor=0.0) -> float:
    """Derivative of ``f`` at ``x`` from values inside [lo, hi] only.

    Fourth-order differences with a step near 1e-3 |x| (relative, so that a problem in
    other units is differenced alike), so that truncation and rounding errors both stay
    near 1e-12 relative for the smooth objectives here: central where the stencil fits,
    one-sided (towards the wider side) near an end of the interval. ``kinks``: points
    where ``f`` is only once differentiable (a constraint starts to bind); the stencil
    stays on one smooth piece (the derivative is continuous across them). ``floor``: the
    smallest step (a tenth of the lower end of a choice set that starts near 0: there a
    step of 1e-3 x would be lost in the rounding of f when x lies far below f's own scale).
    """
    for kink in kinks:
        if lo < kink < x:
            lo = kink
        elif x < kink < hi:
            hi = kink
    d = max(1e-3 * abs(x), floor) or 1e-3 * (hi - lo)
    room = min(x - lo, hi - x) / 2.0
    if room >= 0.1 * d:
        d = min(d, room)
        return (8.0 * (f(x + d) - f(x - d)) - (f(x + 2 * d) - f(x - 2 * d))) / (12.0 * d)
    side = 1.0 if hi - x >= x - lo else -1.0
    d = min(d, (hi - x if side > 0 else x - lo) / 4.0)
    v = [f(x + side * k * d) for k in range(5)]
    return side * (-25.0 * v[0] + 48.0 * v[1] - 36.0 * v[2] + 16.0 * v[3] - 3.0 * v[4]) / (12.0 * d)


def _maximise(f: Callable[[float], float], lo: float, hi: float, *, name: str, kinks=()) -> float:
    """Maximiser of a concave ``f`` on [lo, hi], corners included.

    Only values of ``f`` are used (its slope is differenced numerically), so the result is
    independent of any first-order condition derived by hand. With ``lo > 0`` the root of
    the slope is found in log x, so the maximiser has the same relative precision (about
    1e-15) however small it is. Callers pass ``f`` up to an additive constant that does not
    depend on the choice, so that its differences are not lost in the rounding of a large
    constant.
    """
    if not hi > lo:
        raise ValueError(f"{name}: empty choice set [{lo:g}, {hi:g}]")
    floor = 0.1 * lo if 0.0 < lo < 1e-6 * hi else 0.0  # a choice set that starts near 0
    if _slope(f, hi, lo, hi, kinks, floor) >= 0.0:
        return hi
    if _slope(f, lo, lo, hi, kinks, floor) <= 0.0:
        return lo
    if lo > 0.0:
        y_lo, y_hi = math.log(lo), math.log(hi)

        def slope_log(y):  # the ends exactly as checked above, so the bracket holds
            x = lo if y <= y_lo else hi if y >= y_hi else min(max(math.exp(y), lo), hi)
            return _slope(f, x, lo, hi, kinks, floor)

        y = numerics.find_root(slope_log, y_lo, y_hi, name=name, xtol=1e-15)
        return min(max(math.exp(y), lo), hi)
    return numerics.find_root(lambda x: _slope(f, x, lo, hi, kinks), lo, hi, name=name, xtol=1e-15 * (hi - lo))


def _maximise_open(f: Callable[[float], float], *, name: str) -> float:
    """Maximiser of a concave ``f`` on (0, inf): the ends are found by doubling and halving."""
    hi = 1.0
    for _ in range(990):
        if _slope(f, hi, 0.0, 2 * hi) < 0.0:
            break
        hi *= 2.0
    else:
        raise ValueError(f"{name}: no maximum below {hi:g}")  # pragma: no cover
    lo = hi / 2
    for _ in range(990):
        if _slope(f, lo, 0.0, 2 * lo) > 0.0:
            return _maximise(f, lo, hi, name=name)
        hi, lo = lo, lo / 2
    raise ValueError(f"{name}: no maximum above {lo:g}")  # pragma: no cover


# ---------------------------------------------------------------- benchmark
def benchmark_price(beta=0.9) -> float:
    """No-friction price of the long-term asset, q = beta R with R = 1/beta (eqs. (8), (18)).

    Computed in exact rational arithmetic (``beta`` as the binary fraction it is), so the
    normalisation beta R = 1 holds exactly rather than to floating-point rounding.
    """
    b = Fraction(_beta(beta))
    return float(b * (1 / b))


def mu(theta, gamma) -> float:
    """mu = (1 - theta - gamma) / (1 - theta): probability that a non-impatient agent is patient."""
    theta, gamma = _theta_gamma(theta, gamma)
    return (1.0 - theta - gamma) / (1.0 - theta)


# ================================================================ Sec. 2.1: the general framework
@dataclass(frozen=True)
class FrameworkEquilibrium:
    """A Sec. 2.1 economy with two preference shocks, solved by direct market clearing.

    Each investor holds the fixed supply ``s_bar`` of liquidity and one unit of the long
    asset (R = 1/beta). ``s_bar`` is the first-best consumption E c*(eps), u'(c*; eps) = 1,
    so that marginal utilities are one when intermediaries insure (the paper's normalisation).
    """

    regime: str
    beta: float
    s_bar: float
    c_first_best: tuple[float, float]  # (low shock, high shock)
    q: float  # price at which the investor's own optimal liquidity equals s_bar
    c: tuple[float, float]  # t+1 consumption at the equilibrium
    mu: tuple[float, float]  # u'(c; eps) at the equilibrium consumption
    mean_mu: float  # E[u'(c(eps); eps)], the denominator of the SDF (5)
    mean_c: float
    q_eq7: float  # beta R / mean_mu: the pricing equation (7) at the allocation
    residual: float  # |optimal liquidity at q - s_bar|


def _framework_args(utility, marginal_utility, shocks, prob_high, beta, regime):
    utility = _callable("utility", utility)
    marginal_utility = _callable("marginal_utility", marginal_utility)
    if isinstance(shocks, (str, bytes)) or not isinstance(shocks, (Sequence, np.ndarray)):
        raise ValueError(f"shocks must be a pair (eps_low, eps_high) of numbers, got {shocks!r}")
    if len(shocks) != 2:
        raise ValueError(f"shocks must be a pair (eps_low, eps_high), got {len(shocks)} values")
    lo, hi = (numerics.check_finite("shocks", e) for e in shocks)
    if not lo < hi:
        raise ValueError(f"shocks must be increasing (eps_low < eps_high), got {shocks!r}")
    prob_high = _unit("prob_high", prob_high)
    return utility, marginal_utility, (lo, hi), prob_high, _beta(beta), _choice("regime", regime, REGIMES)


def framework_equilibrium(utility, marginal_utility, shocks, prob_high, beta, *, regime="no intermediation"):
    """Price of the long asset in a Sec. 2.1 economy, by direct market clearing.

    ``utility(c, eps)`` is the t+1 utility, ``marginal_utility(c, eps)`` its derivative,
    ``shocks = (eps_low, eps_high)`` with P(eps_high) = ``prob_high``. t+2 utility is
    beta c (eq. (2)), R = 1/beta, and the supplies of liquidity and of the asset are fixed.

    ``regime="no intermediation"`` (the paper's assumption (ii)): an investor with
    liquidity s chooses c(eps) <= s and stores the rest to t+2.
    ``regime="insured"``: an intermediary pools liquidity and allocates all of it across
    shocks (the normal-times benchmark of eq. (8)).

    Each problem is solved by maximising the *utility* numerically. The price is the one at
    which holding the supply is optimal (the slope of the investor's maximised objective at
    s_bar is zero; the maximised value has kinks where storing starts, at the consumption
    c_free(eps) maximising u(c; eps) - beta c, and its slope is differenced on one smooth
    side of them). It is checked twice, and the solver raises if either check fails: by
    maximising her portfolio at that price (her choice must equal s_bar within 1e-8
    s_bar, ``residual``), and against the envelope theorem, the slope
    sum_eps P(eps) max(beta, du/dc(s_bar; eps)) with du/dc differenced from the utility
    (relative agreement 1e-7). ``marginal_utility`` is used only to report u'(c; eps) and
    the pricing equation (7), so that (7)-(10) can be compared with an equilibrium computed
    without them. A failure of either callable raises :class:`CallableFailed`.
    """
    u, du, (e_lo, e_hi), ph, beta, regime = _framework_args(
        utility, marginal_utility, shocks, prob_high, beta, regime
    )
    R = 1.0 / beta
    probs, eps = (1.0 - ph, ph), (e_lo, e_hi)

    def u_at(c, e):
        return _call("utility", u, c, e)

    c_star = tuple(_maximise_open(lambda c, e=e: u_at(c, e) - c, name=f"first best at eps = {e:g}") for e in eps)
    s_bar = probs[0] * c_star[0] + probs[1] * c_star[1]
    kinks = []  # liquidity at which an investor with shock eps starts to store (u' = beta)
    if regime == "no intermediation":
        for e in eps:
            try:
                kinks.append(_maximise_open(lambda c, e=e: u_at(c, e) - beta * c, name="unconstrained consumption"))
            except numerics.NoRootError:  # pragma: no cover - u' > beta everywhere: she never stores
                pass

    def allocation(s):
        if regime == "no intermediation":  # u(c) + beta (s - c), up to the constant beta s
            return tuple(
                _maximise(lambda c, e=e: u_at(c, e) - beta * c, 1e-12 * s, s, name="t+1 consumption")
                for e in eps
            )
        # insured: all liquidity consumed, split across shocks
        c_hi = _maximise(
            lambda x: probs[1] * u_at(x, e_hi) + probs[0] * u_at((s - probs[1] * x) / probs[0], e_lo),
            1e-12 * s, (1 - 1e-12) * s / probs[1], name="insured allocation",
        )
        return ((s - probs[1] * c_hi) / probs[0], c_hi)

    def value(s):  # expected t+1 value of liquidity s, including storage to t+2
        c = allocation(s)
        return sum(pr * (u_at(ci, e) + beta * (s - ci)) for pr, ci, e in zip(probs, c, eps))

    def demand(q):  # the investor's optimal liquidity at price q, endowment (s_bar, 1)
        wealth = s_bar + q  # objective value(s) + beta R (wealth - s) / q, up to a constant
        return _maximise(lambda s: value(s) - beta * R * s / q, 1e-9 * wealth, wealth, name="portfolio",
                         kinks=kinks)

    # The market clears where holding s_bar is optimal: the investor's objective is concave in
    # s, so that is where its slope at s_bar, beta R / q against the marginal value of
    # liquidity (differenced from the maximised value), is zero. Then check it directly:
    # maximise her portfolio at that price and compare her choice with the supply.
    slope = _slope(value, s_bar, 0.5 * s_bar, 1.5 * s_bar, kinks)
    q = beta * R / slope
    residual = abs(demand(q) - s_bar)
    if not (math.isfinite(q) and q > 0) or residual > 1e-8 * s_bar:
        raise ValueError(f"liquidity market does not clear: residual {residual:.3g}")  # pragma: no cover
    c = allocation(s_bar)
    # second check, by another route: the envelope theorem with du/dc differenced from the
    # utility (smooth) at the allocation, against the slope differenced from the maximised value
    du_dc = [_slope(lambda x, e=e: u_at(x, e), ci, 0.5 * ci, 1.5 * ci) for ci, e in zip(c, eps)]
    if regime == "no intermediation":
        envelope = sum(pr * max(beta, d) for pr, d in zip(probs, du_dc))
    else:
        envelope = sum(pr * d for pr, d in zip(probs, du_dc))
    if not abs(envelope / slope - 1.0) <= 1e-7:
        raise ValueError(  # pragma: no cover - a defect of the solver, not of the input
            f"liquidity market: the marginal value of liquidity differenced from the value "
            f"({slope:.12g}) and from the envelope theorem ({envelope:.12g}) disagree"
        )
    mus = tuple(_call("marginal_utility", du, ci, e) for ci, e in zip(c, eps))
    if not all(math.isfinite(m) and m > 0 for m in mus):
        raise ValueError(f"marginal_utility must be positive and finite at the allocation, got {mus}")
    if regime == "insured" and min(mus) < beta:
        raise ValueError("insured regime: an investor would rather store liquidity (u' < beta)")
    mean_mu = probs[0] * mus[0] + probs[1] * mus[1]
    mean_c = probs[0] * c[0] + probs[1] * c[1]
    return FrameworkEquilibrium(regime, beta, s_bar, c_star, q, c, mus, mean_mu, mean_c, beta * R / mean_mu, residual)


def framework_assumptions(marginal_utility, shocks, c_max=3.0) -> dict[str, bool]:
    """Sec. 2.1's assumptions on a grid of 400 consumption levels in (0, c_max].

    Returns whether u' is positive and strictly decreasing (strict concavity), convex in c,
    and higher for the high shock at every c (marginal utility increasing in eps).
    """
    du = _callable("marginal_utility", marginal_utility)
    if isinstance(shocks, (str, bytes)) or not isinstance(shocks, (Sequence, np.ndarray)) or len(shocks) != 2:
        raise ValueError(f"shocks must be a pair (eps_low, eps_high) of numbers, got {shocks!r}")
    e_lo, e_hi = (numerics.check_finite("shocks", e) for e in shocks)
    if not e_lo < e_hi:
        raise ValueError(f"shocks must be increasing (eps_low < eps_high), got {shocks!r}")
    c_max = numerics.check_interval("c_max", c_max, 0.0)
    grid = np.linspace(c_max / 400, c_max, 400)
    lo = np.array([_call("marginal_utility", du, float(c), e_lo) for c in grid])
    hi = np.array([_call("marginal_utility", du, float(c), e_hi) for c in grid])
    out = {"decreasing": True, "convex": True}
    for values in (lo, hi):
        out["decreasing"] &= bool(np.all(values > 0) and np.all(np.diff(values) < 0))
        out["convex"] &= bool(np.all(np.diff(values, 2) >= -1e-13 * np.abs(values[1:-1])))
    out["increasing_in_eps"] = bool(np.all(hi > lo))
    return out


def framework_example(name) -> dict:
    """Two-shock economies that satisfy Sec. 2.1's assumptions, as keyword arguments for
    :func:`framework_equilibrium` (all but ``beta``); each shock has probability 1/2.

    ``"exponential"`` (the audit's first counterexample to (10), issue 13):
    u_H'(c) = exp(0.1 (1 - c)), u_L'(c) = 1.05 exp(-100 c) (shock labels 1 and 0);
    ``"power"`` (its second): u(c; eps) = eps ((1 + c)^0.9 - 1)/0.9, eps in {1.2^0.1, 2.8^0.1};
    ``"crra"``: u(c; eps) = -eps / c (relative risk aversion 2), eps in {0.5, 1.5}.
    """
    name = _choice("name", name, ("exponential", "power", "crra"))
    if name == "exponential":
        def utility(c, e):
            return -10.0 * math.exp(0.1 * (1.0 - c)) if e == 1 else -0.0105 * math.exp(-100.0 * c)

        def marginal_utility(c, e):
            return math.exp(0.1 * (1.0 - c)) if e == 1 else 1.05 * math.exp(-100.0 * c)

        shocks = (0.0, 1.0)
    elif name == "power":
        def utility(c, e):
            return e * ((1.0 + c) ** 0.9 - 1.0) / 0.9

        def marginal_utility(c, e):
            return e * (1.0 + c) ** -0.1

        shocks = (1.2**0.1, 2.8**0.1)
    else:
        def utility(c, e):
            return -e / c

        def marginal_utility(c, e):
            return e / c**2

        shocks = (0.5, 1.5)
    return dict(utility=utility, marginal_utility=marginal_utility, shocks=shocks, prob_high=0.5)


# ---------------------------------------------------------------- CRRA utility, lognormal shock
@dataclass(frozen=True)
class WorkedEconomy:
    """U = eps c^(1-rho)/(1-rho) + beta c_{t+2} (log c at rho = 1), log eps ~ N(-sigma^2/2, sigma^2).

    The liquidity supply is the first-best consumption s_bar = E[eps^(1/rho)] (marginal
    utility one for everybody in normal times), R = 1/beta. With no intermediation at t+1
    each investor holds s_bar and consumes c(eps) = min(s_bar, (eps/beta)^(1/rho)); her
    marginal utility is max(beta, x) with x = eps s_bar^(-rho), log x ~ N(-sigma^2/(2 rho), sigma^2).
    """

    beta: float
    sigma: float
    rho: float
    log_s_bar: float
    mean_mu: float  # E[MU] in closed form
    excess_mu: float  # E[MU] - 1 in closed form, without cancellation
    mean_mu_quad: float  # E[MU] by quadrature (independent check)
    consumed_share: float  # E[c] / s_bar (1 in normal times)
    consumed_share_quad: float
    share_slack: float  # P(x < beta): investors who store liquidity, eq. (9)
    q: float  # beta R / E[MU], eq. (7), relative to the benchmark beta R = 1


def _crra_moments(beta, sigma, rho):
    m = -sigma**2 / (2 * rho)  # mean of log x
    z = (math.log(beta) - m) / sigma
    mean_x_minus_1 = math.expm1(sigma**2 * (rho - 1) / (2 * rho))
    put = beta * special.ndtr(z) - (1 + mean_x_minus_1) * special.ndtr(z - sigma)  # E[(beta - x)^+]
    return m, z, mean_x_minus_1 + put


def worked_economy(beta, sigma, rho=1.0) -> WorkedEconomy:
    """The Sec. 2.1 economy with CRRA utility and a lognormal shock: E[MU] and q in closed form.

    E[MU] = E max(beta, x) = E[x] + E[(beta - x)^+] with E[x] = exp(sigma^2 (rho-1)/(2 rho)).
    The closed form is checked against Gauss-Kronrod quadrature over the normal density of
    log x; a disagreement above 1e-10 raises.
    """
    beta = _beta(beta)
    sigma = numerics.check_interval("sigma", sigma, 0.0, 3.0, hi_closed=True)
    rho = numerics.check_interval("rho", rho, 0.0, 10.0, hi_closed=True)
    if rho < 0.05:
        raise ValueError(f"rho must lie in [0.05, 10] (s_bar overflows below), got {rho:g}")
    m, z, excess = _crra_moments(beta, sigma, rho)
    mean_mu = 1.0 + excess
    log_2pi = 0.5 * math.log(2 * math.pi)

    def weighted(log_g):  # g(t) times the standard normal density, in one exponential
        return lambda t: math.exp(log_g(t) - 0.5 * t * t - log_2pi)

    # the integrands carry the normal density: beyond |t - sigma| = 40 they are below 1e-300
    lo_t, hi_t = -40.0, 40.0 + sigma
    zc = min(max(z, lo_t), hi_t)

    def piece(log_g, a, b, name):
        inner = [x for x in (0.0, sigma) if a < x < b]
        return numerics.quad(weighted(log_g), a, b, name=name, points=inner or None) if b > a else 0.0

    below = piece(lambda t: math.log(beta), lo_t, zc, "E[MU], slack investors")
    above = piece(lambda t: m + sigma * t, zc, hi_t, "E[MU], constrained investors")
    mean_mu_quad = below + above
    if abs(mean_mu_quad - mean_mu) > 1e-10 * mean_mu:
        raise ValueError(f"E[MU]: closed form {mean_mu!r} and quadrature {mean_mu_quad!r} disagree")
    # consumed share E[c]/s_bar = P(x >= beta) + beta^(-1/rho) E[x^(1/rho) 1{x < beta}]
    a = 1.0 / rho
    consumed = special.ndtr(-z) + beta ** (-a) * math.exp(a * m + 0.5 * (a * sigma) ** 2) * special.ndtr(z - a * sigma)
    consumed_quad = piece(lambda t: a * (m + sigma * t - math.log(beta)), lo_t, zc, "E[c], slack") + piece(
        lambda t: 0.0, zc, hi_t, "E[c], constrained"
    )
    if abs(consumed_quad - consumed) > 1e-10:
        raise ValueError(f"E[c]: closed form {consumed!r} and quadrature {consumed_quad!r} disagree")
    log_s_bar = sigma**2 * (1 - rho) / (2 * rho**2)
    return WorkedEconomy(
        beta, sigma, rho, log_s_bar, mean_mu, excess, mean_mu_quad, float(consumed), float(consumed_quad),
        float(special.ndtr(z)), 1.0 / mean_mu,
    )


def crra_threshold(beta, sigma) -> float:
    """Relative risk aversion rho* at which q = beta R in :func:`worked_economy`.

    E[MU] - 1 rises in rho, is positive at rho = 1 (so (10) holds for every rho >= 1) and
    tends to beta - 1 < 0 as rho -> 0: (10) holds exactly for rho > rho*, with rho* < 1
    (rho* -> 1 as sigma -> 0; it is 1.0 in floating point once no investor is slack to
    float precision). The root is found for (E[MU] - 1) / sigma^2, which stays of order one
    however small sigma is (E[MU] - 1 itself underflows to 0 for sigma below about 1e-154).
    """
    beta = _beta(beta)
    sigma = numerics.check_interval("sigma", sigma, 0.0, 3.0, hi_closed=True)

    def scaled_excess(r):  # (E[MU] - 1) / sigma^2 = (E[x] - 1) / sigma^2 + E[(beta - x)^+] / sigma^2
        x = (r - 1) / (2 * r)
        y = sigma * (sigma * x)  # log E[x]
        mean_part = x * (math.expm1(y) / y if y != 0.0 else 1.0)
        z = (math.log(beta) + sigma * (sigma / (2 * r))) / sigma
        put = beta * special.ndtr(z) - math.exp(y) * special.ndtr(z - sigma)
        return mean_part + put / sigma / sigma

    return numerics.find_root(scaled_excess, 1e-4, 1.0, name="E[MU] = 1 in rho", scan=60)


# ================================================================ Sec. 3: bank runs
@dataclass(frozen=True)
class PlannerAllocation:
    s0: float
    c1: float
    c2: float
    c3: float
    R: float


def planner_allocation(theta, gamma, beta) -> PlannerAllocation:
    """Pareto-optimal allocation of Prop. 3.1, from the planner problem read consistently.

    max theta log c1 + gamma log c2 + (1 - theta - gamma) beta c3
    s.t. theta c1 + gamma c2 <= s0, (1 - theta - gamma) c3 <= (1 - s0) R,
    solved by direct maximisation over s0 (given s0, c1 = c2 = s0/(theta + gamma)).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    R = 1.0 / beta
    m = 1.0 - theta - gamma

    def welfare(s0):  # up to the constant beta R
        c = s0 / (theta + gamma)
        return (theta + gamma) * math.log(c) - beta * R * s0

    def welfare_k(k):  # the same in the capital share k = 1 - s0, up to a constant
        return (theta + gamma) * math.log1p(-k) + beta * R * k

    if theta + gamma <= 0.5:  # the smaller of s0 and 1 - s0 is the choice, so both keep their precision
        s0 = _maximise(welfare, 1e-9 * (theta + gamma), 1.0, name="planner's storage")
        k = 1.0 - s0
    else:
        k = _maximise(welfare_k, 1e-9 * m, 1.0 - 1e-9 * (theta + gamma), name="planner's investment")
        s0 = 1.0 - k
    c = s0 / (theta + gamma)
    return PlannerAllocation(s0, c, c, k * R / m, R)


@dataclass(frozen=True)
class GoodEquilibrium:
    q1: float
    s0: float
    s1: float  # bank's storage after trading at t = 1
    k1: float  # bank's capital after trading
    c1: float  # impatient agents' consumption (out of their withdrawal c1* = 1)
    c2: float
    c3: float
    residual: float  # storage market clearing residual


def bank_trading_choice(theta, gamma, beta, q1) -> tuple[float, float]:
    """Bank's t = 1 portfolio (s1, k1) solving problem (16) at price q1, by direct maximisation.

    Objective (times 1 - theta): gamma log(s1/gamma) + beta R k1, budget (16) with
    s0 = theta + gamma and c1* = 1 paid to the impatient.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    q1 = numerics.check_interval("q1", q1, 0.0)
    R = 1.0 / beta
    wealth = gamma + q1 * (1.0 - theta - gamma)  # s0 - theta + q1 (1 - s0), s0 = theta + gamma
    s1 = _maximise(  # (16) up to the constant beta R wealth / q1; choices from far below gamma q1
        lambda s: gamma * math.log(s / gamma) - beta * R * s / q1, 1e-9 * gamma * min(q1, 1.0), wealth,
        name="bank (16)",
    )
    return s1, (wealth - s1) / q1


def good_equilibrium(theta, gamma, beta) -> GoodEquilibrium:
    """Prop. 3.2: the good equilibrium, with the t = 1 price found by clearing the market.

    At a price q1, impatient agents who withdrew c1* = 1 choose consumption c by
    maximising log c + beta R (1 - c)/q1 (Lemma A.1); the bank chooses its storage s1 by
    maximising (16). Storage clears when theta c + s1 = s0; the root is compared with
    beta R in the chapter (eq. (18)).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    plan = planner_allocation(theta, gamma, beta)
    R = 1.0 / beta

    def impatient(q):
        return _maximise(lambda c: math.log(c) - beta * R * c / q, 1e-12 * plan.c1, plan.c1, name="Lemma A.1")

    def excess(q):  # theta c + s1 - s0, written with s0 = theta c1 + gamma c1 (c1 = c2 in the plan)
        return theta * (impatient(q) - plan.c1) + (bank_trading_choice(theta, gamma, beta, q)[0] - gamma * plan.c1)

    q1 = numerics.find_root(excess, 1e-3, 10.0, name="storage market clearing at t = 1", scan=20)
    residual = abs(excess(q1))
    if residual > 1e-10 * plan.s0:
        raise ValueError(f"good equilibrium: storage market does not clear (residual {residual:.3g})")  # pragma: no cover
    s1, k1 = bank_trading_choice(theta, gamma, beta, q1)
    return GoodEquilibrium(q1, plan.s0, s1, k1, impatient(q1), s1 / gamma, R * k1 / (1 - theta - gamma), residual)


# ---------------------------------------------------------------- Sec. 3.3.2 bad equilibrium
def run_quadratic(theta, gamma, beta) -> tuple[float, float, float]:
    """Coefficients (a, b, c) of a q^2 - b q + c = 0, market clearing (19) times (1 - beta mu q).

    a = theta beta mu, b = (theta + gamma)(1 + beta mu), c = theta + gamma.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    m = (1.0 - theta - gamma) / (1.0 - theta)
    return theta * beta * m, (theta + gamma) * (1.0 + beta * m), theta + gamma


def _run_root(theta, gamma, beta) -> float:
    """Smaller root of (19) from the quadratic divided by theta + gamma (no underflow of b^2)."""
    m = (1.0 - theta - gamma) / (1.0 - theta)
    a, b = theta / (theta + gamma) * beta * m, 1.0 + beta * m
    # b^2 - 4a = (1 - beta mu)^2 + 4 beta mu gamma/(theta + gamma), with 1 - beta mu = 1 - beta
    # + beta (1 - mu): a sum of positive terms, without cancellation as mu, beta -> 1
    disc = ((1.0 - beta) + beta * gamma / (1.0 - theta)) ** 2 + 4.0 * beta * m * gamma / (theta + gamma)
    if not disc > 0:  # pragma: no cover - disc > 0 is proved in the chapter
        raise ValueError(f"market clearing (19) has no real root (discriminant {disc:g})")
    return 2.0 / (b + math.sqrt(disc))


def run_price(theta, gamma, beta) -> float:
    """q1 in the bad (run) equilibrium, Prop. 3.3 / eq. (19), in closed form.

    Market clearing theta q + gamma / (1/q - beta mu) = theta + gamma is the quadratic
    a q^2 - b q + c = 0 (:func:`run_quadratic`). Its smaller root is the only one in
    (0, 1); the larger root exceeds 1/(beta mu), where the non-impatient agents' storage
    would be negative. The smaller root is computed as 2c / (b + sqrt(b^2 - 4ac)), with
    the coefficients divided by c = theta + gamma.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    return _run_root(theta, gamma, _beta(beta))


def run_choices(theta, gamma, beta, q) -> tuple[float, float, float]:
    """(w, c_i, s_n) at price q in a run: the withdrawal w(q) = s0 + (1 - s0) q, the
    impatient agent's consumption and the non-impatient agent's storage, each found by
    maximising the agent's expected utility (Sec. 3.3.2) numerically (no closed form).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    q = numerics.check_interval("q", q, 0.0, 1.0 / beta)
    return _run_demands(theta, gamma, beta, q)


def _run_demands(theta, gamma, beta, q):
    R = 1.0 / beta
    m = (1.0 - theta - gamma) / (1.0 - theta)
    m_c = gamma / (1.0 - theta)  # 1 - mu, without cancellation
    w = theta + gamma + (1.0 - theta - gamma) * q
    # each objective up to the constant beta R w / q (her wealth in capital)
    c_i = _maximise(lambda c: math.log(c) - beta * R * c / q, 1e-12 * w, w, name="impatient agent")
    s_n = _maximise(
        lambda s: m_c * (math.log(s) - beta * R * s / q) + m * beta * (s - R * s / q),
        1e-9 * m_c * min(q, 1.0), w, name="non-impatient agent",
    )
    return w, c_i, s_n


def run_price_numeric(theta, gamma, beta) -> float:
    """q1 of Prop. 3.3 from the agents' problems: each agent's storage is found by
    maximising her expected utility at the price q (Sec. 3.3.2), and the storage market
    theta c_i + (1 - theta) s_n = s0 is cleared by bracketing on (0, 1].
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)

    def excess(q):  # per unit of theta + gamma
        _, c_i, s_n = _run_demands(theta, gamma, beta, q)
        return (theta * c_i + (1.0 - theta) * s_n) / (theta + gamma) - 1.0

    # the root lies in (0, 1) and tends to 1 as gamma / (theta + gamma) -> 0; the bracket ends
    # just above 1 so that the demands' last digits cannot hide it (the other root exceeds 1/(beta mu))
    try:
        return numerics.find_root(excess, 1e-9, 1.0 + 1e-9, name="storage market clearing (19)")
    except numerics.NoRootError:
        if abs(excess(1.0)) <= 1e-9:  # a double root at 1 to within 1e-9: beta mu = 1 - O(1e-9)
            return 1.0
        raise


@dataclass(frozen=True)
class RunEquilibrium:
    q1: float
    w: float  # withdrawal per depositor, w(q1) = s0 + (1 - s0) q1
    c_i: float  # impatient consumption
    s_n: float  # storage carried by a non-impatient agent
    k_i: float  # capital bought by an impatient agent
    k_n: float  # capital bought by a non-impatient agent
    mu: float


def run_equilibrium(theta, gamma, beta) -> RunEquilibrium:
    """Allocation of the bad equilibrium (Sec. 3.3.2): c_i* = q1, s_n* = (1 - mu)/(1/q1 - beta mu)."""
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    q = _run_root(theta, gamma, beta)
    m = (1.0 - theta - gamma) / (1.0 - theta)
    s0 = theta + gamma
    w = s0 + (1.0 - s0) * q
    c_i = q
    s_n = gamma / (1.0 - theta) / (1.0 / q - beta * m)  # (1 - mu) / (1/q - beta mu)
    if s_n > w * (1 + 1e-12) or c_i > w * (1 + 1e-12):
        raise ValueError("run equilibrium infeasible: an agent would need to sell capital short")  # pragma: no cover
    return RunEquilibrium(q, w, c_i, s_n, (w - c_i) / q, (w - s_n) / q, m)


def run_welfare(theta, gamma, beta) -> dict[str, float]:
    """Expected utility (per agent, ex ante) and consumption by type, good vs run equilibrium.

    Good: c1 = c2 = 1, c3 = R. Run: the impatient consume q and get R per unit of capital
    bought; a normal agent consumes s_n at t = 2 and her capital at t = 3; a patient agent
    consumes everything at t = 3. Returns welfare and expected consumption per date.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    R = 1.0 / beta
    e = run_equilibrium(theta, gamma, beta)
    pat = 1.0 - theta - gamma
    good = {"welfare": pat * beta * R, "c1": theta, "c2": gamma, "c3": pat * R}
    run = {
        "welfare": theta * (math.log(e.c_i) + beta * R * e.k_i)
        + gamma * (math.log(e.s_n) + beta * R * e.k_n)
        + pat * beta * (e.s_n + R * e.k_n),
        "c1": theta * e.c_i,
        "c2": gamma * e.s_n,
        "c3": (theta * e.k_i + (1 - theta) * e.k_n) * R + pat * e.s_n,
    }
    return {f"{k}_{name}": v for name, d in (("good", good), ("run", run)) for k, v in d.items()}


# ---------------------------------------------------------------- Sec. 3.4 limited participation
def limited_participation_price(theta, gamma, p, *, variant="consistent") -> float:
    """Run price with limited market participation, Sec. 3.4, in closed form.

    ``variant="consistent"`` (default): the book's re-derivation (see the chapter's
    erratum): the new bank buys capital at price q, so its first-order condition gives
    c2' = q and its storage demand is p gamma q; market clearing
    p theta q + p gamma q + (1 - p)(s0 + (1 - s0) q) = s0 gives
    q = p s0 / (p s0 + (1 - p)(1 - s0)).

    ``variant="printed"``: eq. (21) as printed (new-bank demand p gamma),
    q = p theta / (p theta + (1 - p)(1 - theta - gamma)).

    p = 0 (nobody can trade) returns the limit 0; both variants give 1 at p = 1 (App. B).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    p = _p(p)
    variant = _choice("variant", variant, VARIANTS)
    s0 = theta + gamma
    num = p * s0 if variant == "consistent" else p * theta
    return num / (num + (1.0 - p) * (1.0 - s0))


def limited_participation_price_numeric(theta, gamma, p, beta=0.9, *, variant="consistent") -> float:
    """Root of the t = 1 storage market of Sec. 3.4, built from agents' maximised choices.

    Participating impatient agents choose consumption by maximising
    log c + beta R (w - c)/q; autarky agents (1 - p) keep their withdrawal w(q) in goods
    (whatever they consume or store); the new bank of participating non-impatient agents
    chooses its storage by maximising gamma log c2' + beta (1 - theta - gamma) c3' with
    capital bought at q (``"consistent"``), or stores gamma as printed (``"printed"``).
    The market is cleared in log q, so the price keeps its relative precision however small
    p makes it; p below about 1e-290 (a price below 1e-300) is refused.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    p = _p(p)
    beta = _beta(beta)
    variant = _choice("variant", variant, VARIANTS)
    R = 1.0 / beta
    s0 = theta + gamma
    if p == 0.0:
        return 0.0

    def excess(q):
        w = s0 + (1 - s0) * q
        # objectives up to the constant beta R w / q (wealth in capital)
        c_i = _maximise(lambda c: math.log(c) - beta * R * c / q, 1e-6 * min(q, w), w,
                        name="impatient agent")
        deposits = (1 - theta) * w  # per unit of participating population
        if variant == "consistent":
            bank = _maximise(
                lambda s: gamma * math.log(s / gamma) - beta * R * s / q,
                1e-6 * min(gamma * q, deposits), deposits, name="new bank",
            )
        else:
            bank = gamma
        # p theta c_i + p bank + (1 - p) w(q) - s0, with (1 - p) w - s0 expanded and s0 split
        # into theta + gamma, so that neither a small p nor a small theta is lost against s0
        return p * (theta * (c_i - 1) + (bank - gamma)) + (1 - p) * (1 - s0) * q

    q_lo = 1e-3  # small participation gives a small price: step down until demand falls short
    while excess(q_lo) > 0 and q_lo > 1e-297:
        q_lo *= 1e-3
    if excess(q_lo) > 0:
        raise ValueError(f"p = {p:g} is too small: the price would lie below 1e-300 (use p = 0 or p >= 1e-290)")
    # in log q, so that the price has full relative precision however small it is
    y = numerics.find_root(lambda y: excess(math.exp(y)), math.log(q_lo), math.log(2.0),
                           name="storage market clearing (21)")
    return math.exp(y)


def new_bank_contract(theta, gamma, beta, p, *, variant="consistent") -> tuple[float, float]:
    """(c2', c3') paid by the new bank of Sec. 3.4 at the run price of ``variant``.

    The bank collects (1 - theta) w(q) per participating agent, stores gamma c2' and buys
    capital at q with the rest: (1 - theta - gamma) c3' = R ((1 - theta) w - gamma c2')/q.
    ``"printed"``: storage gamma (c2' = 1) at the printed price; ``"consistent"``: c2' = q.
    Computed without cancellation (theta -> 0 or p -> 1); c3' grows like 1/p, and a p so
    small that it would exceed the largest float is refused.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    p = numerics.check_interval("p", p, 0.0, 1.0, hi_closed=True)
    variant = _choice("variant", variant, VARIANTS)
    q = limited_participation_price(theta, gamma, p, variant=variant)
    s0 = theta + gamma
    # (1 - s0) c3' = R ((1 - theta) w - gamma c2') / q with w = s0 + (1 - s0) q, written
    # without cancellation: (1 - theta) s0 - gamma c2' = theta (1 - s0) + gamma (1 - c2')
    if variant == "printed":
        c2 = 1.0
        theta_over_q = theta + (1 - p) * (1 - s0) / p  # theta / q at the printed price
        c3 = ((1 - theta) + theta_over_q) / beta
    else:
        c2 = q
        one_minus_q = (1 - p) * (1 - s0) / (p * s0 + (1 - p) * (1 - s0))
        c3 = ((1 - theta) + (theta * (1 - s0) + gamma * one_minus_q) / (q * (1 - s0))) / beta
    _finite_result((c3,), "p", p, "the new bank's c3' (of order 1/p)")
    return c2, c3


# ================================================================ Sec. 2.2 in the bank-run economy
# Book's construction. At t = 0 banks store S per depositor and invest 1 - S. At t = 1 the
# state is calm (probability 1 - pi_run) or a run (pi_run). In the calm state the bank,
# which can trade, re-optimises for all its depositors: it pays c1 = c2 = q and buys
# capital with the rest (the first-order conditions of problem (16) extended to c1); at
# S = theta + gamma this is the good equilibrium (q = 1). In the run every depositor
# withdraws w = S + (1 - S) q; a share p trades (impatient consume q; the non-impatient
# self-insure as in Sec. 3.3.2, or pool into a new bank as in Sec. 3.4), the other 1 - p
# keep w in goods (autarky, Sec. 3.4).
def _bank_args(theta, gamma, beta, p, pi_run, run):
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    p = numerics.check_interval("p", p, 0.0, 1.0, hi_closed=True)
    pi_run = numerics.check_interval("pi_run", pi_run, 0.0, 1.0, hi_closed=True)
    run = _choice("run", run, RUN_MODELS)
    return theta, gamma, beta, p, pi_run, run


def _group_values(theta, gamma, beta, p, run, q, w):
    """Per-capita t = 1 values of the run state's groups at price q and wealth w each."""
    m = (1.0 - theta - gamma) / (1.0 - theta)
    m_c = gamma / (1.0 - theta)  # 1 - mu, without cancellation
    if run == "self-insurance":
        s_n = m_c / (1 / q - beta * m)
        non_imp = (1 - theta) * (m_c * (math.log(s_n) + (w - s_n) / q) + m * (beta * s_n + (w - s_n) / q))
        k_non = (1 - theta) * (w - s_n) / q
    else:
        non_imp = gamma * math.log(q) + ((1 - theta) * w - gamma * q) / q
        k_non = ((1 - theta) * w - gamma * q) / q
    traders = theta * (math.log(q) + (w - q) / q) + non_imp
    c = min(w, 1 / beta)  # autarky: consume at most 1/beta, store the rest
    autarky = theta * (math.log(c) + beta * (w - c)) + (1 - theta) * (
        m_c * (math.log(c) + beta * (w - c)) + m * beta * w
    )
    return {"traders": traders, "autarky": autarky, "k_traders": theta * (w - q) / q + k_non}


def bank_run_prices(S, theta, gamma, beta, p, *, run="self-insurance") -> tuple[float, float]:
    """(q_calm, q_run): t = 1 prices when banks stored S at t = 0 (book's construction).

    Calm: storage demand (theta + gamma) q = S. Run: p theta q + p (new-bank or
    self-insurance storage) + (1 - p) w(q) = S, solved by bracketing.
    """
    S = _unit("S", S)
    theta, gamma, beta, p, _, run = _bank_args(theta, gamma, beta, p, 0.5, run)
    m = (1.0 - theta - gamma) / (1.0 - theta)

    def excess(q):
        w = S + (1 - S) * q
        storage = gamma / (1 / q - beta * m) if run == "self-insurance" else gamma * q
        return p * (theta * q + storage) + (1 - p) * w - S

    hi = 1.0 / (beta * m) * (1 - 1e-12) if run == "self-insurance" else 1e3
    q_run = numerics.find_root(excess, 1e-12, min(hi, 1e3), name="run-state storage market", scan=50)
    return S / (theta + gamma), q_run


def _welfare_at(S, theta, gamma, beta, p, pi_run, run, q_calm, q_run) -> float:
    w_calm = S + (1 - S) * q_calm
    calm = (theta + gamma) * math.log(q_calm) + (w_calm - (theta + gamma) * q_calm) / q_calm
    w_run = S + (1 - S) * q_run
    g = _group_values(theta, gamma, beta, p, run, q_run, w_run)
    return (1 - pi_run) * calm + pi_run * (p * g["traders"] + (1 - p) * g["autarky"])


def bank_run_welfare(S, theta, gamma, beta, p, pi_run, *, run="self-insurance") -> float:
    """Ex-ante expected utility per depositor when banks store S (book's construction),
    with the t = 1 prices responding to S (:func:`bank_run_prices`): the planner's objective.
    """
    S = _unit("S", S)
    theta, gamma, beta, p, pi_run, run = _bank_args(theta, gamma, beta, p, pi_run, run)
    q_calm, q_run = bank_run_prices(S, theta, gamma, beta, p, run=run)
    return _welfare_at(S, theta, gamma, beta, p, pi_run, run, q_calm, q_run)


@dataclass(frozen=True)
class BankRunExAnte:
    S_price_taking: float  # root of the price-taking bank's marginal value of S (prices fixed)
    S_planner: float  # maximiser of welfare with prices responding to S
    q_calm: float  # prices at S_price_taking
    q_run: float
    welfare_price_taking: float
    welfare_planner: float
    k_before: float  # capital per depositor before the run-state market opens, 1 - S
    k_impatient: float  # capital an impatient trader holds after trading in the run
    k_non_impatient: float  # ... a non-impatient trader (her new bank's, per depositor)
    lam_traders: float  # marginal value of wealth of those who trade in the run (all: 1/q)
    lam_autarky: float  # ... of depositors cut off from the market (average over types)
    price_term: float  # pi_run * dq_run/dS * sum_j mass_j lambda_j (k_{t-1} - k_j): 2nd term of (12)


def bank_run_ex_ante(theta, gamma, beta, p, pi_run, *, run="self-insurance") -> BankRunExAnte:
    """Prop. 2.1 in the bank-run economy: price-taking S against the planner's S.

    The price-taking choice is the S at which a bank's marginal value of storing more,
    with prices held fixed, is zero (a root in S); the planner maximises welfare with
    q_calm(S), q_run(S) responding. Both use only the groups' utility values; they agree
    when every trader has the same marginal value of wealth (p = 1) and differ otherwise.
    """
    theta, gamma, beta, p, pi_run, run = _bank_args(theta, gamma, beta, p, pi_run, run)
    args = (theta, gamma, beta, p)

    def own(S):  # a price-taker's marginal value of S, with the prices S induces held fixed
        prices = bank_run_prices(S, *args, run=run)
        return _slope(lambda x: _welfare_at(x, *args, pi_run, run, *prices), S, 1e-9, 1 - 1e-9)

    lo, hi = 0.5 * (theta + gamma), 1.0 - 1e-6
    S_pt = numerics.find_root(own, lo, hi, name="price-taking choice of S", scan=40)
    S_pl = _maximise(lambda x: bank_run_welfare(x, *args, pi_run, run=run), lo, hi, name="planner's S")
    if not lo < S_pl < hi:
        raise ValueError(f"planner's S at the edge of [{lo:g}, {hi:g}]")  # pragma: no cover
    q_calm, q_run = bank_run_prices(S_pt, *args, run=run)
    w = S_pt + (1 - S_pt) * q_run
    lam_t = _slope(lambda x: _group_values(*args, run, q_run, x)["traders"], w, 0.5 * w, 2 * w)
    lam_a = _slope(lambda x: _group_values(*args, run, q_run, x)["autarky"], w, 0.5 * w, 2 * w)
    k_traders = _group_values(*args, run, q_run, w)["k_traders"]
    k0 = 1.0 - S_pt
    k_imp = (w - q_run) / q_run
    k_non = (k_traders - theta * k_imp) / (1 - theta)
    # sum over groups of mass * lambda * (k_{t-1} - k_t): autarky agents' banks sell all of k0
    term = p * lam_t * (k0 - k_traders) + (1 - p) * lam_a * k0
    dq = numerics.derivative(lambda x: bank_run_prices(x, *args, run=run)[1], S_pt, order=2)
    return BankRunExAnte(
        S_pt, S_pl, q_calm, q_run,
        bank_run_welfare(S_pt, *args, pi_run, run=run), bank_run_welfare(S_pl, *args, pi_run, run=run),
        k0, k_imp, k_non, lam_t, lam_a, pi_run * dq * term,
    )


# ================================================================ Sec. 4: OTC markets
def _otc_args(theta, beta, alpha) -> tuple[float, float, float]:
    theta = _unit("theta", theta)
    beta = _beta(beta)
    alpha = numerics.check_interval("alpha", alpha, 0.0, 1.0, lo_closed=True, hi_closed=True)
    return theta, beta, alpha


def otc_price(theta, beta, alpha) -> float:
    """q1 of the OTC application (Sec. 4), endowment s = theta, R = 1/beta, log utility.

    alpha = 1: q1 = q2 = 1 (eq. (24)); alpha = 0: q1 = 1 / ((1 - theta) beta + 1) (eq. (26)).
    0 < alpha < 1 is the book's own extension (the paper solves only the extremes): an
    investor meets a dealer with probability alpha independently of her shock, so the
    matched population has the shocks' population shares and q2 = 1; then
    q1 = 1 / (1 + (1 - alpha)(1 - theta) beta), equal to both closed forms at the ends.
    Requires the asset endowment k >= 1 - theta (see :func:`otc_equilibrium_numeric`).
    """
    theta, beta, alpha = _otc_args(theta, beta, alpha)
    if alpha == 1.0:
        return 1.0  # eq. (24)
    if alpha == 0.0:
        return 1.0 / ((1.0 - theta) * beta + 1.0)  # eq. (26)
    return 1.0 / (1.0 + (1.0 - alpha) * (1.0 - theta) * beta)


@dataclass(frozen=True)
class OTCEquilibrium:
    q1: float
    q2: float  # interdealer price (nan if alpha = 0)
    c2_matched: float  # t = 2 consumption of a matched investor with epsilon = 1
    c2_unmatched: float  # ... of an unmatched investor with epsilon = 1
    s1: float
    k1: float
    residual: float  # marginal value of liquidity at s1 = theta, net of its cost (0 at q1)


def otc_equilibrium_numeric(theta, beta, alpha, k=1.0) -> OTCEquilibrium:
    """The OTC economy solved from investors' problems and market clearing (no closed form).

    t = 2: a matched investor trades at the interdealer price q2 (she makes a
    take-it-or-leave-it offer): with epsilon = 1 she maximises log c2 + beta R k2 over c2,
    with epsilon = 0 she puts all her wealth in capital; q2 clears the matched investors'
    liquidity (theta c2 = s1). Unmatched investors live on their own portfolio:
    epsilon = 1 maximises log c + beta (s1 - c) + beta R k1 over c <= s1.
    t = 1: the investor values a portfolio s1 (k1 = (s + q1 k - s1)/q1) by her expected
    t = 2 value at prices (q1, q2); q1 clears the market: it makes holding the endowment
    s1 = s = theta optimal (the slope of that value in s1, differenced numerically, is zero).
    Valid for theta in [1e-300, 1): the values are written without the terms that do not
    depend on s1, so a tiny theta keeps its relative precision (q1 to about 1e-10).
    """
    theta, beta, alpha = _otc_args(theta, beta, alpha)
    k = numerics.check_interval("k", k, 0.0, 100.0)
    if theta < 1e-300:
        raise ValueError(f"theta must lie in [1e-300, 1) here (the investors' liquidity is differenced on its own "
                         f"scale), got {theta:g}")
    if k < 1.0 - theta:
        raise ValueError(
            f"k must be >= 1 - theta = {1 - theta:g} so matched investors can afford c2 = q2 "
            f"(the paper's q2 = 1 at alpha = 1 needs it), got k = {k:g}"
        )
    R = 1.0 / beta

    def matched_c2(s1, k1, q2):  # shocked matched investor's consumption
        wealth = s1 + q2 * k1  # objective log c + beta R (wealth - c)/q2, up to a constant
        return _maximise(lambda c: math.log(c) - beta * R * c / q2, 1e-12 * wealth, wealth, name="c2")

    q2 = math.nan
    if alpha > 0:  # matched shocked investors' demand theta c2 = the liquidity s1 = theta, over theta
        q2 = numerics.find_root(
            lambda x: matched_c2(theta, k, x) - 1.0, 1e-6, R, name="interdealer market clearing"
        )

    def value(s1, q1):
        # the investor's expected t = 2 utility up to terms that do not depend on s1: capital
        # k1 = k0 - s1 / q1 with k0 = (theta + q1 k) / q1, and beta R k0 (times 1, or times
        # q2 / q2 for the matched) dropped, so that a small theta is not lost against it
        c_u = _maximise(lambda c: math.log(c) - beta * c, 1e-12 * s1, s1, name="unmatched consumption")
        v = (1 - alpha) * (theta * (math.log(c_u) + beta * (s1 - c_u)) + (1 - theta) * beta * s1 - beta * R * s1 / q1)
        if alpha > 0:
            k1 = (theta + q1 * k - s1) / q1
            c2 = matched_c2(s1, k1, q2)
            gain = beta * R * s1 * (1 / q2 - 1 / q1)  # beta R (wealth - q2 k0) / q2
            v += alpha * (theta * (math.log(c2) - beta * R * c2 / q2) + gain)
        return v

    def slope_at_endowment(q1):
        # marginal value of liquidity at the market-clearing portfolio s1 = theta, differenced
        # from the value function: zero exactly when holding the endowment is optimal (the
        # problem is concave in s1; at alpha = 1 it is linear and q1 makes it flat)
        return _slope(lambda s: value(s, q1), theta, 0.5 * theta, 1.5 * theta)

    q1 = numerics.find_root(slope_at_endowment, 0.05, 20.0, name="t = 1 market clearing", scan=20)
    residual = abs(slope_at_endowment(q1))
    if residual > 1e-7 * beta * R / q1:  # relative to the marginal value of capital bought
        raise ValueError(f"OTC t = 1 market does not clear (slope {residual:.3g})")  # pragma: no cover
    c2_m = matched_c2(theta, k, q2) if alpha > 0 else math.nan
    c_u = _maximise(lambda c: math.log(c) - beta * c, 1e-12 * theta, theta, name="unmatched consumption")
    return OTCEquilibrium(q1, q2, c2_m, c_u, theta, k, residual)


# ---------------------------------------------------------------- Sec. 2.2, OTC with a t = 0 choice
# Book's extension of Sec. 4 for Prop. 2.1: investors hold one unit at t = 0 and store S
# (capital 1 - S, one for one). At t = 1 a state j is revealed: a share theta_j of
# investors will be hit by the liquidity shock and the OTC market has alpha_j in {0, 1};
# the centralised market opens at price q1_j. ``states`` is a sequence of
# (probability, theta_j, alpha_j).
def _states(states) -> list[tuple[float, float, int]]:
    bad = ValueError(
        f"states must be a sequence of (probability, theta, alpha) triples with probabilities "
        f"summing to 1, theta in (0, 1) and alpha in {{0, 1}}, got {states!r}"
    )
    if isinstance(states, (str, bytes)) or not isinstance(states, (Sequence, np.ndarray)) or len(states) == 0:
        raise bad
    out, total = [], 0.0
    for state in states:
        if isinstance(state, (str, bytes)) or not isinstance(state, (Sequence, np.ndarray)) or len(state) != 3:
            raise bad
        if not all(isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x) for x in state):
            raise bad
        prob, theta, alpha = (float(x) for x in state)
        if not (0.0 <= prob <= 1.0 and 0.0 < theta < 1.0 and alpha in (0.0, 1.0)):
            raise bad
        out.append((prob, theta, int(alpha)))
        total += prob
    if abs(total - 1.0) > 1e-12:
        raise bad
    return out


def _s_max(theta, beta, alpha) -> float:
    """Largest storage S at which the alpha = 1 interdealer price stays <= R."""
    return 1.0 if alpha == 0 else theta / (theta + (1 - theta) * beta)


def otc_state_values(S, theta, beta, alpha) -> tuple[float, float, float]:
    """(v_s, v_k, q2): expected marginal values at t = 1 of a unit of liquidity and of capital.

    alpha = 0 (OTC shut): v_s = theta / S + (1 - theta) beta, v_k = beta R = 1.
    alpha = 1: interdealer clearing theta c2 = S with c2 = min(q2, S + q2 (1 - S)) gives
    q2 = S / theta (S <= theta) or S (1 - theta) / (theta (1 - S)) (S > theta, shocked
    investors constrained); v_k = q2 v_s. q1 = v_k / v_s.
    """
    S = _unit("S", S)
    theta = _unit("theta", theta)
    beta = _beta(beta)
    alpha = _alpha01(alpha)
    R = 1.0 / beta
    if alpha == 0:
        return _finite_result((theta / S + (1 - theta) * beta, beta * R), "S", S, "v_s = theta / S + ...") + (math.nan,)
    if S >= _s_max(theta, beta, 1):
        raise ValueError(f"S = {S:g} too large: the interdealer price would exceed R (S must be < "
                         f"{_s_max(theta, beta, 1):.6g})")
    q2 = S / theta if S <= theta else S * (1 - theta) / (theta * (1 - S))
    c2 = min(q2, S + q2 * (1 - S))
    v_s = theta / c2 + (1 - theta) / q2
    return _finite_result((v_s, q2 * v_s, q2), "S", S, "the marginal value of liquidity v_s")


def otc_t1_price(S, theta, beta, alpha) -> float:
    """q1 = v_k / v_s at aggregate storage S (the t = 1 market-clearing price)."""
    v_s, v_k, _ = otc_state_values(S, theta, beta, alpha)
    return v_k / v_s


def _check_S_states(S, beta, sts) -> float:
    S = _unit("S", S)
    limit = min(_s_max(theta, beta, alpha) for prob, theta, alpha in sts if prob > 0)
    if S >= limit:
        raise ValueError(f"S must lie below {limit:.6g} (the interdealer price would exceed R), got {S:g}")
    return S


def otc_ex_ante_foc(S, beta, states) -> float:
    """Price-taker's first-order condition of (11): E_{t-1}[lambda_1 (1 - q1)] = E[v_s - v_k]."""
    beta = _beta(beta)
    sts = _states(states)
    S = _check_S_states(S, beta, sts)
    total = 0.0
    for prob, theta, alpha in sts:
        if prob > 0:
            v_s, v_k, _ = otc_state_values(S, theta, beta, alpha)
            total += prob * (v_s - v_k)
    return total


def otc_price_taking_s0(beta, states) -> float:
    """Price-taking choice of storage at t = 0: root of :func:`otc_ex_ante_foc` in (0, 1)."""
    beta = _beta(beta)
    sts = _states(states)
    hi = min(_s_max(theta, beta, alpha) for prob, theta, alpha in sts if prob > 0) * (1 - 1e-9)
    return numerics.find_root(lambda S: otc_ex_ante_foc(S, beta, sts), 1e-6, hi, name="ex-ante FOC (11)", scan=50)


def otc_welfare(S, beta, states) -> float:
    """Ex-ante welfare when everyone stores S (all prices, q1 and q2, respond to S).

    alpha = 0: theta log S + (1 - theta) beta S + beta R (1 - S);
    alpha = 1: theta log(S / theta) + beta R (1 - S) (shocked investors consume all liquidity).
    """
    beta = _beta(beta)
    sts = _states(states)
    S = _check_S_states(S, beta, sts)
    R = 1.0 / beta
    total = 0.0
    for prob, theta, alpha in sts:
        if alpha == 0:
            total += prob * (theta * math.log(S) + (1 - theta) * beta * S + beta * R * (1 - S))
        else:
            total += prob * (theta * math.log(S / theta) + beta * R * (1 - S))
    return total


def otc_planner_s0(beta, states) -> float:
    """Storage that maximises :func:`otc_welfare` (a planner internalising q1 and q2)."""
    beta = _beta(beta)
    sts = _states(states)
    hi = min(_s_max(theta, beta, alpha) for prob, theta, alpha in sts if prob > 0) * (1 - 1e-9)
    return _maximise(lambda S: otc_welfare(S, beta, sts), 1e-6, hi, name="planner's storage")


def otc_indirect_utility(s, q1, theta, beta) -> float:
    """V_1(s; q1) with the OTC market shut (alpha = 0): an investor who stored s at t = 0
    and faces q1 at t = 1 re-optimises her portfolio by direct maximisation.
    """
    s = _unit("s", s)
    q1 = numerics.check_interval("q1", q1, 0.0, 100.0)
    theta = _unit("theta", theta)
    beta = _beta(beta)
    R = 1.0 / beta
    wealth = s + q1 * (1 - s)

    def u(s1):
        c = min(s1, 1 / beta)
        return theta * (math.log(c) + beta * (s1 - c)) + (1 - theta) * beta * s1 + beta * R * (wealth - s1) / q1

    return u(_maximise(u, 1e-12 * wealth, wealth, name="t = 1 portfolio"))


# ---------------------------------------------------------------- chapter checks (added for the chapter)
def log_example_constrained(beta, sigma) -> tuple[float, float, float]:
    """Who consumes what in the log example of Sec. 2.1 without intermediation (book's check).

    u = eps log c, log eps ~ N(-sigma^2/2, sigma^2), so the first best is c* = eps and the
    liquidity supply s_bar = E eps = 1. An investor is constrained when eps >= beta s_bar
    and then consumes s_bar. Returns, per capita and by quadrature over the normal density
    of log eps (independently of :func:`worked_economy`'s closed forms):
    (consumption of the constrained investors, their first-best consumption, the share of
    investors who are constrained *and* consume more than their first best, beta <= eps < 1).
    """
    beta = _beta(beta)
    sigma = numerics.check_interval("sigma", sigma, 0.0, 3.0, hi_closed=True)
    m, norm = -0.5 * sigma**2, sigma * math.sqrt(2.0 * math.pi)

    def density(t):
        return math.exp(-0.5 * ((t - m) / sigma) ** 2) / norm

    # the density (and e^t times it, whose mode m + sigma^2 lies within 9 sigma of m) is below
    # 1e-340 of its peak beyond 40 sigma of m: integrate over that window only, so that a narrow
    # shock is not lost between QUADPACK's nodes on a long interval
    lo, hi = max(math.log(beta), m - 40.0 * sigma), m + 40.0 * sigma
    pts = {"points": [x for x in (m, m + sigma**2) if lo < x < hi] or None}
    consumption = numerics.quad(density, lo, hi, name="mass of constrained investors", **pts)
    first_best = numerics.quad(lambda t: math.exp(t) * density(t), lo, hi,
                               name="their first-best consumption", **pts)
    above = 0.0
    if lo < 0.0:
        top = min(0.0, hi)
        above = numerics.quad(density, lo, top, name="constrained above first best",
                              points=[m] if lo < m < top else None)
    return consumption, first_best, above


def run_price_literal(theta, gamma, beta) -> float:
    """Run price of Sec. 3.3.2 with Sec. 3.1's impatient agents read literally (book's check).

    Sec. 3.1 says impatient agents enjoy only t = 1 consumption: in a run they consume their
    whole withdrawal w(q) = s0 + (1 - s0) q. Non-impatient agents store as in Sec. 3.3.2 (by
    direct maximisation, :func:`run_choices`). The storage market
    theta w(q) + (1 - theta) s_n(q) = s0 is cleared by bracketing on (0, 1]: the excess is
    negative near 0 and equals gamma (1/(1 - beta mu) - 1) > 0 at q = 1, so the root lies
    within O(beta) below 1 when beta is small (there 1.0 is returned, its rounding).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)

    def excess(q):
        w, _, s_n = _run_demands(theta, gamma, beta, q)
        return theta * w + (1.0 - theta) * s_n - (theta + gamma)

    # the root tends to 1 as beta -> 0 (the excess at q = 1 is of order beta): the bracket ends
    # just above 1 so that the demands' last digits cannot hide it, and starts where R/q is finite
    q = numerics.find_root(excess, max(1e-9, 1e-305 / beta), 1.0 + 1e-9,
                           name="storage market, Sec. 3.1 read literally")
    return min(q, 1.0)  # the root lies below 1 (the excess at 1 is positive): 1.0 is its rounding


# ---------------------------------------------------------------- for the synthesis chapter
def distress_price(d, *, model, theta=0.3, gamma=0.3, beta=0.9, variant="consistent") -> float:
    """Price of the long-term asset against a distress index d in [0, 1]; d = 0 is no friction.

    ``model="participation"``: d = 1 - p, the share of *agents* without access to the t = 1
    market (Sec. 3.4), q = :func:`limited_participation_price` -- by default the book's
    consistent re-derivation; ``variant="printed"`` gives eq. (21) as printed, for
    comparison only. ``model="otc"``: d = 1 - alpha, q = :func:`otc_price` (0 < d < 1 is the
    book's extension). The no-friction benchmark is :func:`benchmark_price` = beta R = 1, so
    q is already normalised by it.
    """
    d = numerics.check_interval("d", d, 0.0, 1.0, lo_closed=True, hi_closed=True)
    model = _choice("model", model, ("participation", "otc"))
    variant = _choice("variant", variant, VARIANTS)
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    if model == "participation":
        return limited_participation_price(theta, gamma, 1.0 - d, variant=variant)
    return otc_price(theta, beta, 1.0 - d)
