"""Cheng & Robatto (2022), *Financial Intermediation and Fire Sales with Liquidity-Risk Pricing*.

Solvers for the paper's general framework (Sec. 2), the bank-run application (Sec. 3,
Appendices A-B) and the OTC application (Sec. 4). Equation numbers refer to the
November 2022 working paper. Throughout, ``R = 1/beta`` (the paper's normalisation), so
the no-friction benchmark price of the long-term asset is ``beta * R = 1``
(eqs. (8), (18)); :func:`benchmark_price` returns it.

Public API used outside the chapter:

* :func:`run_price` -- q1 of the bad (run) equilibrium, Prop. 3.3 / eq. (19);
* :func:`limited_participation_price` -- eq. (21) (``variant="paper"``, default) or the
  book's consistent re-derivation (``variant="consistent"``; see the chapter's errata);
* :func:`otc_price` -- q1 of Sec. 4 for alpha in [0, 1]; closed forms (24) at alpha = 1 and
  (26) at alpha = 0, and the book's **reconstruction** for 0 < alpha < 1;
* :func:`distress_price` -- the price against a distress index d in [0, 1] (d = 0 is the
  no-friction benchmark), for the synthesis chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize

from . import numerics

__all__ = [
    "benchmark_price",
    "mu",
    "PlannerAllocation",
    "planner_allocation",
    "GoodEquilibrium",
    "good_equilibrium",
    "bank_trading_choice",
    "run_quadratic",
    "run_price",
    "run_price_numeric",
    "RunEquilibrium",
    "run_equilibrium",
    "limited_participation_price",
    "limited_participation_price_numeric",
    "otc_price",
    "otc_equilibrium_numeric",
    "OTCEquilibrium",
    "distress_price",
    "WorkedEconomy",
    "worked_economy",
    "otc_state_values",
    "otc_ex_ante_foc",
    "otc_price_taking_s0",
    "otc_indirect_utility",
    "otc_t1_price",
    "otc_welfare",
]


# ---------------------------------------------------------------- validation
def _beta(beta) -> float:
    return numerics.check_interval("beta", beta, 0.0, 1.0)


def _theta_gamma(theta, gamma) -> tuple[float, float]:
    theta = numerics.check_interval("theta", theta, 0.0, 1.0)
    gamma = numerics.check_interval("gamma", gamma, 0.0, 1.0)
    if theta + gamma >= 1.0:
        raise ValueError(
            f"theta + gamma must lie in (0, 1) (a positive mass of patient agents), got "
            f"theta = {theta:g}, gamma = {gamma:g}, theta + gamma = {theta + gamma:g}"
        )
    return theta, gamma


def benchmark_price(beta=0.9) -> float:
    """No-friction price of the long-term asset, q = beta * R with R = 1/beta (eqs. (8), (18)).

    Equals 1 for every admissible beta; ``beta`` is validated so that callers pass the
    same parameter they pass to the fire-sale prices.
    """
    beta = _beta(beta)
    R = 1.0 / beta
    return round(beta * R, 12)


def mu(theta, gamma) -> float:
    """mu = (1 - theta - gamma) / (1 - theta): probability that a non-impatient agent is patient."""
    theta, gamma = _theta_gamma(theta, gamma)
    return (1.0 - theta - gamma) / (1.0 - theta)


# ---------------------------------------------------------------- Sec. 3.2 planner
@dataclass(frozen=True)
class PlannerAllocation:
    s0: float
    c1: float
    c2: float
    c3: float
    R: float


def planner_allocation(theta, gamma, beta) -> PlannerAllocation:
    """Pareto-optimal allocation of Prop. 3.1 from the *consistent* planner problem.

    max  theta log c1 + gamma log c2 + (1 - theta - gamma) beta c3
    s.t. theta c1 + gamma c2 <= s0,  (1 - theta - gamma) c3 <= (1 - s0) R
    (unconditional masses in objective and constraints; the printed problem mixes them).
    First-order conditions: 1/c1 = 1/c2 = lambda1 = beta R = 1.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    R = 1.0 / beta
    lam1 = beta * R
    c1 = c2 = 1.0 / lam1
    s0 = theta * c1 + gamma * c2
    c3 = (1.0 - s0) * R / (1.0 - theta - gamma)
    return PlannerAllocation(s0, c1, c2, c3, R)


# ---------------------------------------------------------------- Sec. 3.3.1 good equilibrium
@dataclass(frozen=True)
class GoodEquilibrium:
    q1: float
    s0: float
    s1: float
    k1: float
    c1: float
    c2: float
    c3: float


def bank_trading_choice(theta, gamma, beta, q1) -> tuple[float, float]:
    """Bank's t = 1 portfolio (s1, k1) solving problem (16) at price q1 (log utility).

    FOC: gamma / s1 = beta R / q1, so s1 = gamma q1 / (beta R); k1 from budget (16) with
    s0 = theta + gamma and c1 = 1 paid to the impatient.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    q1 = numerics.check_interval("q1", q1, 0.0)
    R = 1.0 / beta
    s0 = theta + gamma
    wealth = s0 - theta + q1 * (1.0 - s0)
    s1 = gamma * q1 / (beta * R)
    if s1 > wealth:
        raise ValueError(f"at q1 = {q1:g} the bank's desired storage exceeds its t = 1 wealth (16)")
    k1 = (wealth - s1) / q1
    return s1, k1


def good_equilibrium(theta, gamma, beta) -> GoodEquilibrium:
    """Prop. 3.2: the good equilibrium. The t = 1 price is the one at which banks do not trade.

    Solved (not assumed): q1 is the root of s1(q1) - gamma = 0 (banks keep their
    storage), which the chapter compares with beta R = 1 (eq. (18)).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    plan = planner_allocation(theta, gamma, beta)
    R = 1.0 / beta
    # bank's storage demand from the FOC of (16), gamma q / (beta R), minus its storage after
    # paying the impatient, s0 - theta c1: zero at the no-trade price
    q1 = numerics.find_root(
        lambda q: gamma * q / (beta * R) - (plan.s0 - theta * plan.c1),
        1e-6,
        10.0,
        name="bank no-trade condition (16)",
    )
    s1, k1 = bank_trading_choice(theta, gamma, beta, q1)
    return GoodEquilibrium(q1, plan.s0, s1, k1, plan.c1, s1 / gamma, plan.R * k1 / (1 - theta - gamma))


# ---------------------------------------------------------------- Sec. 3.3.2 bad equilibrium
def run_quadratic(theta, gamma, beta) -> tuple[float, float, float]:
    """Coefficients (a, b, c) of a q^2 - b q + c = 0, market clearing (19) times (1 - beta mu q).

    a = theta beta mu, b = (theta + gamma)(1 + beta mu), c = theta + gamma.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    m = (1.0 - theta - gamma) / (1.0 - theta)
    return theta * beta * m, (theta + gamma) * (1.0 + beta * m), theta + gamma


def run_price(theta, gamma, beta) -> float:
    """q1 in the bad (run) equilibrium, Prop. 3.3 / eq. (19), in closed form.

    Market clearing theta q + gamma / (1/q - beta mu) = theta + gamma is the quadratic
    a q^2 - b q + c = 0 (:func:`run_quadratic`). Its smaller root is the only one in
    (0, 1); the larger root exceeds 1/(beta mu), where the non-impatient agents' storage
    s_n would be negative. The smaller root is computed as 2c / (b + sqrt(b^2 - 4ac))
    (no cancellation).
    """
    a, b, c = run_quadratic(theta, gamma, beta)
    disc = b * b - 4.0 * a * c
    if not disc > 0:  # pragma: no cover - disc > 0 is proved in the chapter
        raise ValueError(f"market clearing (19) has no real root (discriminant {disc:g})")
    return 2.0 * c / (b + math.sqrt(disc))


def run_price_numeric(theta, gamma, beta) -> float:
    """q1 of Prop. 3.3 by bracketing the excess demand for storage in (19) on (0, 1)."""
    theta, gamma = _theta_gamma(theta, gamma)
    beta = _beta(beta)
    m = (1.0 - theta - gamma) / (1.0 - theta)

    def excess(q):
        return theta * q + gamma / (1.0 / q - beta * m) - (theta + gamma)

    return numerics.find_root(excess, 1e-12, 1.0, name="storage market clearing (19)")


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
    q = run_price(theta, gamma, beta)
    theta, gamma = float(theta), float(gamma)
    beta = float(beta)
    m = (1.0 - theta - gamma) / (1.0 - theta)
    s0 = theta + gamma
    w = s0 + (1.0 - s0) * q
    c_i = q
    s_n = (1.0 - m) / (1.0 / q - beta * m)
    if s_n > w or c_i > w:
        raise ValueError("run equilibrium infeasible: an agent would need to sell capital short")
    return RunEquilibrium(q, w, c_i, s_n, (w - c_i) / q, (w - s_n) / q, m)


# ---------------------------------------------------------------- Sec. 3.4 limited participation
def limited_participation_price(theta, gamma, p, *, variant: str = "paper") -> float:
    """Run price with limited market participation, Sec. 3.4.

    ``variant="paper"`` (default): eq. (21) as printed,
    p theta q + p gamma + (1 - p)(s0 + (1 - s0) q) = theta + gamma with s0 = theta + gamma,
    so q = p theta / (p theta + (1 - p)(1 - theta - gamma)).

    ``variant="consistent"``: the book's re-derivation (see the chapter's erratum): a new
    bank that buys capital at price q chooses c2' = q (FOC 1/c2' = beta R / q), so its
    storage demand is p gamma q and q = p s0 / (p s0 + (1 - p)(1 - s0)).

    p = 0 (nobody can trade) returns the limit 0; both variants give 1 at p = 1 (App. B).
    """
    theta, gamma = _theta_gamma(theta, gamma)
    p = numerics.check_interval("p", p, 0.0, 1.0, lo_closed=True, hi_closed=True)
    s0 = theta + gamma
    if variant == "paper":
        num = p * theta
    elif variant == "consistent":
        num = p * s0
    else:
        raise ValueError(f"variant must be 'paper' or 'consistent', got {variant!r}")
    return num / (num + (1.0 - p) * (1.0 - s0))


def limited_participation_price_numeric(theta, gamma, p, beta=0.9, *, variant: str = "paper") -> float:
    """Root of the t = 1 storage market clearing of Sec. 3.4, built from agents' choices.

    Impatient participants consume c_i = q (FOC of log c + beta R (w - c)/q); autarky agents
    withdraw w(q) and carry it (c^a = w(q) <= 1 <= 1/beta, the corner); the new bank of
    participating non-impatient agents stores gamma (``"paper"``) or gamma q
    (``"consistent"``: its FOC with capital bought at q) per unit of population mass.
    """
    theta, gamma = _theta_gamma(theta, gamma)
    p = numerics.check_interval("p", p, 0.0, 1.0, lo_closed=True, hi_closed=True)
    beta = _beta(beta)
    R = 1.0 / beta
    s0 = theta + gamma
    if variant not in ("paper", "consistent"):
        raise ValueError(f"variant must be 'paper' or 'consistent', got {variant!r}")

    def excess(q):
        w = s0 + (1 - s0) * q
        c_i = min(q / (beta * R), w)
        # autarky agents consume min(1/beta, w) = w (corner) or carry it: all of w stays in goods
        bank = gamma if variant == "paper" else gamma * q / (beta * R)
        return p * theta * c_i + p * bank + (1 - p) * w - s0

    if p == 0.0:
        return 0.0
    return numerics.find_root(excess, 0.0, 1.0, name="storage market clearing (21)")


# ---------------------------------------------------------------- Sec. 4 OTC
def _otc_args(theta, beta, alpha) -> tuple[float, float, float]:
    theta = numerics.check_interval("theta", theta, 0.0, 1.0)
    beta = _beta(beta)
    alpha = numerics.check_interval("alpha", alpha, 0.0, 1.0, lo_closed=True, hi_closed=True)
    return theta, beta, alpha


def otc_price(theta, beta, alpha) -> float:
    """q1 of the OTC application (Sec. 4), endowment s = theta, R = 1/beta, log utility.

    alpha = 1: q1 = q2 = 1 (eq. (24)); alpha = 0: q1 = 1 / ((1 - theta) beta + 1) (eq. (26)).
    0 < alpha < 1 is the book's **reconstruction** (the paper solves only the extremes):
    an investor meets a dealer with probability alpha independently of her shock, so the
    matched population has the shocks' population shares and the interdealer price is
    q2 = 1; matched investors value a unit of liquidity and a unit of capital at 1 each,
    unmatched ones at (theta / s1 + (1 - theta) beta) and 1. With s1 = theta,
    q1 = 1 / (1 + (1 - alpha)(1 - theta) beta), which equals both closed forms at the ends.
    Requires the asset endowment k >= 1 - theta (so matched investors can afford c2 = 1;
    the paper's q2 = 1 at alpha = 1 needs it too); see :func:`otc_equilibrium_numeric`.
    """
    theta, beta, alpha = _otc_args(theta, beta, alpha)
    if alpha == 1.0:
        return 1.0  # eq. (24)
    if alpha == 0.0:
        return 1.0 / ((1.0 - theta) * beta + theta * (1.0 / theta))  # eq. (26)
    return 1.0 / (1.0 + (1.0 - alpha) * (1.0 - theta) * beta)  # reconstruction


@dataclass(frozen=True)
class OTCEquilibrium:
    q1: float
    q2: float
    c2_matched: float  # consumption of a matched investor with epsilon = 1
    c2_unmatched: float  # consumption of an unmatched investor with epsilon = 1
    s1: float
    k1: float


def otc_equilibrium_numeric(theta, beta, alpha, k=1.0) -> OTCEquilibrium:
    """The OTC economy solved numerically from investors' problems (book's reconstruction).

    t = 2: interdealer price q2 from market clearing among matched investors (epsilon = 1
    investors consume min(q2, s1 + q2 k1), epsilon = 0 investors sell all liquidity for
    capital when q2 < R). t = 1: q1 from the investor's first-order condition
    E[value of capital] = q1 E[value of liquidity] at the market-clearing portfolio
    (s1, k1) = (theta, k). Both prices are found by bracketing (no closed form used).
    """
    theta, beta, alpha = _otc_args(theta, beta, alpha)
    k = numerics.check_interval("k", k, 0.0)
    if k < 1.0 - theta:
        raise ValueError(
            f"k must be >= 1 - theta = {1 - theta:g} so matched investors can afford c2 = q2 "
            f"(the paper's q2 = 1 at alpha = 1 needs it), got k = {k:g}"
        )
    R = 1.0 / beta
    s1, k1 = theta, k
    q2 = math.nan
    if alpha > 0:
        def liquidity_excess(q2_):
            c2 = min(q2_ / (beta * R), s1 + q2_ * k1)  # FOC 1/c2 = beta R / q2, budget cap
            return theta * c2 - s1  # matched epsilon = 1 consume all matched liquidity

        q2 = numerics.find_root(liquidity_excess, 1e-9, R, name="interdealer liquidity clearing")
    c2_m = min(q2 / (beta * R), s1 + q2 * k1) if alpha > 0 else math.nan

    def foc(q1):
        # marginal values of one unit of liquidity (v_s) and one unit of capital (v_k)
        v_s = (1 - alpha) * (theta / min(s1, 1 / beta) + (1 - theta) * beta)
        v_k = (1 - alpha) * beta * R
        if alpha > 0:
            lam2 = 1.0 / c2_m  # = beta R / q2 for both shock types when c2 is interior
            v_s += alpha * lam2
            v_k += alpha * lam2 * q2
        return v_k - q1 * v_s

    q1 = numerics.find_root(foc, 1e-9, 10.0, name="t = 1 pricing condition (25)")
    return OTCEquilibrium(q1, q2 if alpha > 0 else float("nan"), c2_m, min(s1, 1 / beta), s1, k1)


# ---------------------------------------------------------------- for the synthesis chapter
def distress_price(d, *, model: str, theta=0.3, gamma=0.3, beta=0.9, variant: str = "paper") -> float:
    """Price of the long-term asset against a distress index d in [0, 1]; d = 0 is no friction.

    ``model="participation"``: d = 1 - p, q = :func:`limited_participation_price` (eq. (21));
    ``model="otc"``: d = 1 - alpha, q = :func:`otc_price` (d in (0,1) is a reconstruction).
    The no-friction benchmark is :func:`benchmark_price` = beta R = 1, so q is already
    normalised by it.
    """
    d = numerics.check_interval("d", d, 0.0, 1.0, lo_closed=True, hi_closed=True)
    if model == "participation":
        return limited_participation_price(theta, gamma, 1.0 - d, variant=variant)
    if model == "otc":
        return otc_price(theta, beta, 1.0 - d)
    raise ValueError(f"model must be 'participation' or 'otc', got {model!r}")


# ---------------------------------------------------------------- Sec. 2.1 worked economy
@dataclass(frozen=True)
class WorkedEconomy:
    """A Sec. 2.1 economy: U = eps log c_{t+1} + beta c_{t+2}, log eps ~ N(-sigma^2/2, sigma^2).

    Liquidity supply s_bar = E[eps] = 1 (so the first best c(eps) = eps has marginal
    utility 1), R = 1/beta. With no intermediation at t+1 (assumption (ii)) everyone holds
    s_bar and consumes c(eps) = min(s_bar, eps / beta).
    """

    beta: float
    sigma: float
    mean_mu: float  # E[eps / c(eps)], the denominator of the SDF (5)
    mean_mu_closed: float  # same, lognormal closed form
    mean_c: float  # E[c(eps)]
    share_unconstrained: float  # P(eps < beta s_bar)
    q: float  # beta R / E[MU], eq. (7)


def worked_economy(beta, sigma) -> WorkedEconomy:
    from scipy import stats

    beta = _beta(beta)
    sigma = numerics.check_interval("sigma", sigma, 0.0, 3.0)
    s_bar = 1.0
    m = -0.5 * sigma**2
    dist = stats.lognorm(s=sigma, scale=math.exp(m))

    def mu_of(eps):
        return max(beta, eps / s_bar)

    def c_of(eps):
        return min(s_bar, eps / beta)

    lo, hi = dist.ppf(1e-14), dist.ppf(1 - 1e-14)
    kink = beta * s_bar
    mean_mu = numerics.quad(lambda e: mu_of(e) * dist.pdf(e), lo, kink, name="E[MU] below kink") + numerics.quad(
        lambda e: mu_of(e) * dist.pdf(e), kink, hi, name="E[MU] above kink"
    )
    mean_c = numerics.quad(lambda e: c_of(e) * dist.pdf(e), lo, kink, name="E[c] below kink") + numerics.quad(
        lambda e: c_of(e) * dist.pdf(e), kink, hi, name="E[c] above kink"
    )
    # closed form: E[max(beta, eps)] = beta F(beta) + E[eps 1{eps > beta}]
    z = (math.log(kink) - m) / sigma
    closed = beta * stats.norm.cdf(z) + math.exp(m + sigma**2 / 2) * stats.norm.sf(z - sigma)
    R = 1.0 / beta
    return WorkedEconomy(beta, sigma, mean_mu, float(closed), mean_c, float(dist.cdf(kink)), beta * R / mean_mu)


# ---------------------------------------------------------------- Sec. 2.2 efficiency, OTC with t = 0 choice
# Book's extension of Sec. 4 for Prop. 2.1: investors hold one unit at t = 0 and choose
# storage S (capital 1 - S, 1:1 technology). At t = 1 the state is revealed: a share theta_j
# of investors will be hit by the liquidity shock and the OTC market has alpha_j in {0, 1};
# the centralised market opens at price q1_j. ``states`` is a sequence of
# (probability, theta_j, alpha_j). Portfolios after t = 1 clearing are (S, 1 - S).
def _states(states):
    out = []
    total = 0.0
    for prob, theta, alpha in states:
        prob = numerics.check_interval("probability", prob, 0.0, 1.0, lo_closed=True, hi_closed=True)
        theta = numerics.check_interval("theta", theta, 0.0, 1.0)
        if alpha not in (0, 1):
            raise ValueError(f"alpha must be 0 or 1 in the ex-ante extension, got {alpha!r}")
        out.append((prob, theta, int(alpha)))
        total += prob
    if abs(total - 1.0) > 1e-12:
        raise ValueError(f"state probabilities must sum to 1, got {total:g}")
    return out


def otc_state_values(S, theta, beta, alpha) -> tuple[float, float, float]:
    """(v_s, v_k, q2): expected marginal values at t = 1 of a unit of liquidity and of capital.

    alpha = 0 (OTC shut): v_s = theta / S + (1 - theta) beta, v_k = beta R = 1.
    alpha = 1: interdealer clearing theta c2 = S with c2 = min(q2, S + q2 (1 - S)) gives
    q2 = S / theta (S <= theta) or S (1 - theta) / (theta (1 - S)) (S > theta, shocked
    investors constrained); v_k = q2 v_s. q1 = v_k / v_s.
    """
    S = numerics.check_interval("S", S, 0.0, 1.0)
    theta = numerics.check_interval("theta", theta, 0.0, 1.0)
    beta = _beta(beta)
    R = 1.0 / beta
    if alpha == 0:
        return theta / min(S, 1 / beta) + (1 - theta) * beta, beta * R, math.nan
    if alpha != 1:
        raise ValueError(f"alpha must be 0 or 1 here, got {alpha!r}")
    q2 = S / theta if S <= theta else S * (1 - theta) / (theta * (1 - S))
    if q2 > R:
        raise ValueError(f"S = {S:g} too large: the interdealer price would exceed R")
    c2 = min(q2, S + q2 * (1 - S))
    v_s = theta / c2 + (1 - theta) / q2
    return v_s, q2 * v_s, q2


def otc_t1_price(S, theta, beta, alpha) -> float:
    """q1 = v_k / v_s at aggregate storage S (the t = 1 market-clearing price)."""
    v_s, v_k, _ = otc_state_values(S, theta, beta, alpha)
    return v_k / v_s


def otc_ex_ante_foc(S, beta, states) -> float:
    """Price-taker's FOC of (11): E_{t-1}[lambda_1 (1 - q1)] = E[v_s - v_k]."""
    return sum(prob * (v[0] - v[1]) for prob, theta, alpha in _states(states)
               for v in [otc_state_values(S, theta, beta, alpha)] if prob > 0)


def otc_price_taking_s0(beta, states) -> float:
    """Price-taking choice of storage at t = 0: root of :func:`otc_ex_ante_foc` in (0, 1)."""
    beta = _beta(beta)
    sts = _states(states)
    hi = 1.0 - 1e-9
    for _, theta, alpha in sts:
        if alpha == 1:
            hi = min(hi, theta / (theta + (1 - theta) * beta) * (1 - 1e-9))  # keeps q2 <= R
    return numerics.find_root(lambda S: otc_ex_ante_foc(S, beta, sts), 1e-6, hi, name="ex-ante FOC (11)", scan=50)


def otc_welfare(S, beta, states) -> float:
    """Ex-ante welfare when everyone stores S (all prices, q1 and q2, respond to S).

    alpha = 0: theta log S + (1 - theta) beta S + beta R (1 - S);
    alpha = 1: theta log(S / theta) + beta R (1 - S) (shocked investors consume all liquidity).
    """
    beta = _beta(beta)
    R = 1.0 / beta
    total = 0.0
    for prob, theta, alpha in _states(states):
        if alpha == 0:
            total += prob * (theta * math.log(S) + (1 - theta) * beta * S + beta * R * (1 - S))
        else:
            total += prob * (theta * math.log(S / theta) + beta * R * (1 - S))
    return total


def otc_indirect_utility(s, q1, theta, beta) -> float:
    """V_1(s; q1) with the OTC market shut (alpha = 0): an investor who stored s at t = 0
    and faces q1 at t = 1 re-optimises her portfolio numerically (bounded scalar search).
    """
    theta = numerics.check_interval("theta", theta, 0.0, 1.0)
    beta = _beta(beta)
    R = 1.0 / beta
    wealth = s + q1 * (1 - s)

    def u(s1):
        k1 = (wealth - s1) / q1
        return theta * math.log(min(s1, 1 / beta)) + beta * max(s1 - 1 / beta, 0.0) * theta + (
            1 - theta) * beta * s1 + beta * R * k1

    res = optimize.minimize_scalar(
        lambda x: -u(x), bounds=(1e-9, wealth - 1e-12), method="bounded", options={"xatol": 1e-13}
    )
    if not res.success:  # pragma: no cover
        raise ValueError(f"t = 1 portfolio problem did not converge ({res.message})")
    return float(-res.fun)
