"""Property suite for firesales.cheng_robatto: every public function over its documented
valid range, inputs weighted to the edges, each call under a CPU-time limit.

Each property checks an identity computed independently of the function: the paper's
closed forms against the maximising solvers, market clearing in exact rational arithmetic,
welfare from aggregate resource constraints, envelope conditions by differencing another
function, bounds and signs the paper states.
"""

import math
from decimal import Decimal, localcontext
from fractions import Fraction as F

import pytest
from contract import call, close, coverage, in_range, log_uniform, public_functions
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate

from firesales import cheng_robatto as cr

FAST = settings(derandomize=True, deadline=None, max_examples=25)
SLOW = settings(derandomize=True, deadline=None, max_examples=8)

unit = in_range(0.0, 1.0)  # (0, 1), log-uniform towards both ends (to 1e-12)
betas = st.one_of(in_range(0.0, 1.0), log_uniform(1e-300, 1e-3))
moderate_betas = in_range(0.05, 0.99)


@st.composite
def masses(draw, edge=1e-12):
    """(theta, gamma) with theta + gamma < 1, each down to ``edge``."""
    theta = draw(in_range(0.0, 1.0, edge))
    gamma = draw(in_range(0.0, 1.0, edge).map(lambda g: g * (1 - theta)))
    assume(0 < gamma and 1 - theta - gamma >= 1e-6)  # the documented range: patient share >= 1e-6
    return theta, gamma


COVERED, covers = coverage()


def test_every_public_function_has_a_property():
    # the last test of the module collected: every function in __all__ is exercised below
    assert set(public_functions(cr)) <= COVERED, sorted(set(public_functions(cr)) - COVERED)


# ------------------------------------------------------------------ benchmark and mu
@covers("benchmark_price", "mu")
@FAST
@given(betas, masses())
def test_benchmark_is_one_and_mu_is_the_patient_share(beta, tg):
    assert call(cr.benchmark_price, beta) == 1.0
    theta, gamma = tg
    m = call(cr.mu, theta, gamma)
    assert 0 <= m < 1 and close(1 - m, gamma / (1 - theta), 1e-12) or close(m, (1 - theta - gamma) / (1 - theta), 1e-15)


# ------------------------------------------------------------------ Sec. 2.1
@st.composite
def crra_economies(draw):
    rho = draw(st.floats(0.5, 4.0))
    e_lo = draw(log_uniform(0.2, 2.0))
    e_hi = e_lo * draw(log_uniform(1.001, 5.0))
    ph = draw(st.floats(0.05, 0.95))

    def utility(c, e):
        return e * (math.log(c) if rho == 1 else c ** (1 - rho) / (1 - rho))

    def marginal_utility(c, e):
        return e * c**-rho

    return dict(utility=utility, marginal_utility=marginal_utility, shocks=(e_lo, e_hi), prob_high=ph), rho


@covers("framework_equilibrium")
@SLOW
@given(crra_economies(), moderate_betas)
def test_framework_price_is_the_closed_form_of_the_crra_economy(economy, beta):
    """u = eps c^(1-rho)/(1-rho): first best eps^(1/rho), consumption min(s_bar, (eps/beta)^(1/rho)), so
    q = 1 / E max(beta, eps s_bar^-rho) (no intermediation) and q = 1 when insured (eq. (8))."""
    kw, rho = economy
    (e_lo, e_hi), ph = kw["shocks"], kw["prob_high"]
    s_bar = (1 - ph) * e_lo ** (1 / rho) + ph * e_hi ** (1 / rho)
    mean_mu = (1 - ph) * max(beta, e_lo * s_bar**-rho) + ph * max(beta, e_hi * s_bar**-rho)
    e = call(cr.framework_equilibrium, **kw, beta=beta)
    assert close(e.q, 1 / mean_mu, 1e-8) and close(e.s_bar, s_bar, 1e-9)
    assert close(e.q, e.q_eq7, 1e-7)  # (7) with the user's marginal utility
    insured = call(cr.framework_equilibrium, **kw, beta=beta, regime="insured", refusals=ValueError)
    assert close(insured.q, 1.0, 1e-7)


@covers("framework_assumptions", "framework_example")
@FAST
@given(st.floats(0.5, 4.0), log_uniform(0.2, 2.0), log_uniform(1.001, 5.0), st.floats(0.05, 3.0),
       st.sampled_from(["exponential", "power", "crra"]), st.floats(0.05, 3.0))
def test_assumptions_are_read_off_correctly_and_examples_are_consistent(rho, e_lo, ratio, c_max, name, c):
    du = lambda x, e: e * x**-rho  # noqa: E731 - CRRA: decreasing, convex, increasing in eps
    assert all(call(cr.framework_assumptions, du, (e_lo, e_lo * ratio), c_max).values())
    concave = lambda x, e: e * (2 - (x / c_max) ** 2)  # noqa: E731 - positive, decreasing, concave
    out = call(cr.framework_assumptions, concave, (e_lo, e_lo * ratio), c_max)
    assert out["decreasing"] and not out["convex"] and out["increasing_in_eps"]
    ex = call(cr.framework_example, name)
    assert all(call(cr.framework_assumptions, ex["marginal_utility"], ex["shocks"]).values())
    for e in ex["shocks"]:  # the example's marginal utility is the derivative of its utility
        h = 1e-5 * c
        slope = (ex["utility"](c + h, e) - ex["utility"](c - h, e)) / (2 * h)
        assert close(slope, ex["marginal_utility"](c, e), 1e-6)


@covers("worked_economy", "crra_threshold")
@FAST
@given(moderate_betas, st.one_of(log_uniform(1e-3, 3.0), st.floats(0.05, 3.0)), log_uniform(0.05, 10.0))
def test_worked_economy_bounds_and_the_threshold_crossing(beta, sigma, rho):
    e = call(cr.worked_economy, beta, sigma, rho)
    mean_x = math.exp(sigma**2 * (rho - 1) / (2 * rho))
    assert e.mean_mu >= max(beta, mean_x) * (1 - 1e-12)  # E max(beta, x) >= max(beta, E x)
    assert close(e.q * e.mean_mu, 1.0, 1e-14) and 0 <= e.share_slack <= 1 and e.consumed_share <= 1 + 1e-12
    if rho >= 1:
        assert e.q <= 1  # (10)
    # investors with x >= beta consume all their liquidity, the others (x/beta)^(1/rho) of it:
    # E[c]/s_bar = E min(1, (x/beta)^(1/rho)), log x ~ N(-sigma^2/(2 rho), sigma^2) (so that E x is
    # exp(sigma^2 (rho - 1)/(2 rho))), by QUADPACK in log x; P(x < beta) by erfc
    m, lb = -sigma**2 / (2 * rho), math.log(beta)
    dens = lambda y: math.exp(-0.5 * ((y - m) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))  # noqa: E731
    lo, hi = m - 40 * sigma, m + 40 * sigma
    cut = min(max(lb, lo), hi)
    slack = integrate.quad(lambda y: math.exp((y - lb) / rho) * dens(y), lo, cut, epsabs=1e-13, epsrel=1e-12,
                           points=[m] if lo < m < cut else None, limit=200)[0] if cut > lo else 0.0
    assert abs(e.consumed_share - (_normal_cdf((m - lb) / sigma) + slack)) < 1e-9
    assert abs(e.share_slack - _normal_cdf((lb - m) / sigma)) < 1e-12
    r = call(cr.crra_threshold, beta, sigma)
    assert 0 < r <= 1
    if 0.06 < r < 0.95:  # the excess of E[MU] over 1 (quadrature inside worked_economy) changes sign at r
        assert call(cr.worked_economy, beta, sigma, r * 0.99).excess_mu < 0 < call(
            cr.worked_economy, beta, sigma, r * 1.01).excess_mu


# ------------------------------------------------------------------ Sec. 3: planner, good equilibrium
@covers("planner_allocation", "good_equilibrium")
@FAST
@given(masses(), betas)
def test_planner_and_good_equilibrium_are_prop_31_and_32(tg, beta):
    theta, gamma = tg
    a = call(cr.planner_allocation, theta, gamma, beta)
    assert close(a.s0, theta + gamma, 1e-9) and close(a.c1, 1, 1e-9) and close(a.c3, 1 / beta, 1e-9)
    g = call(cr.good_equilibrium, theta, gamma, beta)
    assert close(g.q1, 1.0, 1e-9) and close(g.c2, 1.0, 1e-8) and close(g.c1, 1.0, 1e-9)  # (18)
    assert close(theta * g.c1 + g.s1, g.s0, 1e-9)  # storage clears


@covers("bank_trading_choice")
@FAST
@given(masses(), moderate_betas, log_uniform(1e-3, 1e3))
def test_bank_choice_is_the_first_order_condition_of_16(tg, beta, q1):
    """max gamma log(s/gamma) + beta R (wealth - s)/q1: s = gamma q1 (beta R = 1) unless the budget binds."""
    theta, gamma = tg
    s1, k1 = call(cr.bank_trading_choice, theta, gamma, beta, q1)
    wealth = gamma + q1 * (1 - theta - gamma)
    assert close(s1, min(gamma * q1, wealth), 1e-8) and abs(q1 * k1 + s1 - wealth) <= 1e-12 * wealth


# ------------------------------------------------------------------ Sec. 3.3.2 run
def _run_root_decimal(theta, gamma, beta):
    """The smaller root of a q^2 - b q + c (19) with 400-digit decimals from the inputs' exact values."""
    with localcontext() as ctx:
        ctx.prec = 400
        th, ga, b = Decimal(theta), Decimal(gamma), Decimal(beta)
        m = (1 - th - ga) / (1 - th)
        A, B, C = th * b * m, (th + ga) * (1 + b * m), th + ga
        return 2 * C / (B + (B * B - 4 * A * C).sqrt())


def _clearing_19(theta, gamma, beta, q):
    th, ga, b, q = F(theta), F(gamma), F(beta), F(q)
    m = (1 - th - ga) / (1 - th)
    return float((th * q + ga / (1 / q - b * m)) / (th + ga)) - 1


@covers("run_quadratic", "run_price", "run_price_numeric")
@FAST
@given(masses(edge=1e-100), betas)
def test_run_price_clears_19_exactly_and_agrees_with_maximised_demands(tg, beta):
    theta, gamma = tg
    q = call(cr.run_price, theta, gamma, beta)
    exact = _run_root_decimal(theta, gamma, beta)
    assert 0 < exact < 1 and close(q, float(exact), 1e-14)  # Prop. 3.3: the root in (0, 1), to 400 digits
    assert abs(_clearing_19(theta, gamma, beta, q)) < 1e-13  # (19)
    a, b, c = call(cr.run_quadratic, theta, gamma, beta)
    assert abs(a * q * q - b * q + c) <= 1e-12 * (b * q + c)
    assert close(call(cr.run_price_numeric, theta, gamma, beta), q, 1e-8)


@covers("run_choices", "run_equilibrium", "run_welfare")
@FAST
@given(masses(edge=1e-100), moderate_betas)
def test_run_allocation_clears_both_markets_and_welfare_adds_up(tg, beta):
    theta, gamma = tg
    e = call(cr.run_equilibrium, theta, gamma, beta)
    s0, pat, R = theta + gamma, 1 - theta - gamma, 1 / beta
    w, c_i, s_n = call(cr.run_choices, theta, gamma, beta, e.q1)  # maximised at the price
    assert close(c_i, e.c_i, 1e-8) and close(s_n, e.s_n, 1e-8) and close(w, e.w, 1e-14)
    assert close(theta * e.c_i + (1 - theta) * e.s_n, s0, 1e-12)  # storage clears
    # capital clears (k = (w - c)/q: differences of order-one numbers, so to 1e-12 of w/q)
    assert abs(theta * e.k_i + (1 - theta) * e.k_n - (1 - s0)) <= 1e-12 * e.w / e.q1
    wel = call(cr.run_welfare, theta, gamma, beta)
    c3 = R * (1 - s0) + pat * e.s_n  # all capital pays R; the patient carry their storage
    assert close(wel["c3_run"], c3, 1e-12)
    assert close(wel["welfare_run"], theta * math.log(e.c_i) + gamma * math.log(e.s_n) + beta * c3, 1e-10)
    assert close(wel["welfare_good"], beta * pat * R, 1e-14)
    # a run costs welfare: O(theta + gamma), lost in the rounding of welfare ~ 1 when they are tiny or q rounds to 1
    assert wel["welfare_run"] < wel["welfare_good"] or e.q1 == 1.0 or s0 < 1e-12


# ------------------------------------------------------------------ Sec. 3.4
@covers("limited_participation_price", "limited_participation_price_numeric", "new_bank_contract")
@FAST
@given(masses(edge=1e-100), st.one_of(in_range(0.0, 1.0), log_uniform(1e-200, 1e-3)),
       st.sampled_from(["consistent", "printed"]), moderate_betas)
def test_limited_participation_clears_exactly_and_agrees_with_the_numeric_market(tg, p, variant, beta):
    theta, gamma = tg
    q = call(cr.limited_participation_price, theta, gamma, p, variant=variant)
    th, ga, pp, qq = F(theta), F(gamma), F(p), F(q)
    s0 = th + ga
    bank = ga * qq if variant == "consistent" else ga  # the new bank's storage
    clearing = pp * th * qq + pp * bank + (1 - pp) * (s0 + (1 - s0) * qq) - s0
    assert abs(float(clearing / (pp * s0))) < 1e-13 and 0 < q < 1  # Prop. 3.5
    assert close(call(cr.limited_participation_price_numeric, theta, gamma, p, beta, variant=variant), q, 1e-8)
    c2, c3 = call(cr.new_bank_contract, theta, gamma, beta, p, variant=variant)
    w = s0 + (1 - s0) * qq
    exact = ((1 - th) * w - ga * F(c2)) / qq / F(beta) / (1 - s0)  # the budget as written, exactly
    assert close(c3, float(exact), 1e-12)


# ------------------------------------------------------------------ Sec. 2.2 in the bank-run economy
@covers("bank_run_prices", "bank_run_welfare")
@FAST
@given(masses(edge=1e-6), moderate_betas, in_range(0.0, 1.0, 1e-6), in_range(0.0, 1.0, 1e-6), st.floats(0.0, 1.0))
def test_bank_run_prices_clear_and_welfare_adds_up(tg, beta, p, S, t):
    theta, gamma = tg
    S = max(S, 1e-6)
    q_calm, q_run = call(cr.bank_run_prices, S, theta, gamma, beta, p)
    assert close(q_calm * (theta + gamma), S, 1e-14)
    m = cr.mu(theta, gamma)
    s_n = gamma / (1 - theta) / (1 / q_run - beta * m)
    w = S + (1 - S) * q_run
    assert abs(p * (theta * q_run + (1 - theta) * s_n) + (1 - p) * w - S) <= 1e-10 * S  # run-state storage
    pi_run = max(t, 1e-3)
    pat = 1 - theta - gamma
    calm = (theta + gamma) * math.log(q_calm) + (1 - S)
    traders = theta * math.log(q_run) + gamma * math.log(s_n) + (1 - S) / p + pat * beta * s_n
    c = min(w, 1 / beta)
    autarky = (theta + gamma) * (math.log(c) + beta * (w - c)) + pat * beta * w
    expected = (1 - pi_run) * calm + pi_run * (p * traders + (1 - p) * autarky)
    got = call(cr.bank_run_welfare, S, theta, gamma, beta, p, pi_run)
    assert abs(got - expected) <= 1e-9 * (abs(expected) + abs(calm) + abs(traders) + abs(autarky))


@covers("bank_run_ex_ante")
@SLOW
@given(masses(edge=1e-2), in_range(0.3, 0.99), st.one_of(st.just(1.0), st.floats(0.2, 0.95)),
       st.floats(0.05, 0.95), st.sampled_from(["self-insurance", "new banks"]))
def test_prop21_price_takers_match_the_planner_iff_everyone_trades(tg, beta, p, pi_run, run):
    theta, gamma = tg
    r = call(cr.bank_run_ex_ante, theta, gamma, beta, p, pi_run, run=run, refusals=ValueError)
    W = lambda S: cr.bank_run_welfare(S, theta, gamma, beta, p, pi_run, run=run)  # noqa: E731
    h = 1e-4 * r.S_planner
    assert W(r.S_planner) >= max(W(r.S_planner - h), W(r.S_planner + h))  # the planner maximises welfare
    if p == 1.0:
        assert abs(r.S_price_taking - r.S_planner) < 1e-5 and abs(r.price_term) < 1e-8
    else:
        assert r.S_planner < r.S_price_taking and r.price_term < 0


# ------------------------------------------------------------------ Sec. 4 OTC
@covers("otc_price", "otc_equilibrium_numeric", "distress_price")
@SLOW
@given(st.one_of(in_range(0.0, 1.0), log_uniform(1e-300, 1e-3)), moderate_betas,
       st.one_of(st.sampled_from([0.0, 1.0]), unit))
def test_otc_closed_form_agrees_with_the_investors_problems(theta, beta, alpha):
    q = call(cr.otc_price, theta, beta, alpha)
    assert close(q, 1 / (1 + (1 - alpha) * (1 - theta) * beta), 1e-15) and 0 < q <= 1  # (24), (26)
    e = call(cr.otc_equilibrium_numeric, theta, beta, alpha)
    assert close(e.q1, q, 1e-8)
    # the size of the asset endowment does not matter (k >= 1 - theta): the same prices with twice as much
    assert close(call(cr.otc_equilibrium_numeric, theta, beta, alpha, k=2.0).q1, e.q1, 1e-8)
    if alpha > 0:  # interdealer clearing
        assert close(theta * e.c2_matched, e.s1, 1e-9) and close(e.q2, 1.0, 1e-9)
    d = call(cr.distress_price, 1 - alpha, model="otc", beta=beta)
    assert close(d, call(cr.otc_price, 0.3, beta, alpha), 1e-15) and d <= cr.benchmark_price(beta)


@covers("otc_state_values", "otc_t1_price", "otc_indirect_utility", "otc_welfare")
@FAST
@given(in_range(0.0, 1.0, 1e-9), in_range(0.0, 1.0, 1e-6), moderate_betas, st.sampled_from([0, 1]))
def test_otc_state_values_clear_the_dealer_market_and_welfare_is_the_indirect_utility(S, theta, beta, alpha):
    if alpha == 1:
        assume(S < theta / (theta + (1 - theta) * beta))
    v_s, v_k, q2 = call(cr.otc_state_values, S, theta, beta, alpha)
    q1 = call(cr.otc_t1_price, S, theta, beta, alpha)
    assert close(q1 * v_s, v_k, 1e-14)
    if alpha == 1:  # theta c2 = S with c2 = min(q2, S + q2 (1 - S))
        assert close(theta * min(q2, S + q2 * (1 - S)), S, 1e-12)
        return
    direct = call(cr.otc_indirect_utility, S, q1, theta, beta)  # an investor re-optimising at q1
    assert close(call(cr.otc_welfare, S, beta, [(1.0, theta, 0)]), direct, 1e-9)
    # at the market-clearing price trading is worth nothing: any other price gives her gains from trade
    for q in (q1 * (1 - 1e-3), q1 * (1 + 1e-3)):
        assert cr.otc_indirect_utility(S, q, theta, beta) >= direct - 1e-12 * (1 + abs(direct))


@covers("otc_ex_ante_foc", "otc_price_taking_s0", "otc_planner_s0")
@FAST
@given(in_range(0.05, 0.95), in_range(0.05, 0.95), st.floats(0.1, 0.9), moderate_betas)
def test_otc_ex_ante_choices(theta_a, theta_b, prob, beta):
    shut = [(prob, theta_a, 0), (1 - prob, theta_b, 0)]
    S = 0.5 * (theta_a + theta_b)
    # the price-taker's condition is the slope in s of her indirect utility, prices held fixed
    slope = 0.0
    for pr, th, _ in shut:
        q1 = cr.otc_t1_price(S, th, beta, 0)
        h = 1e-5 * S
        slope += pr * (cr.otc_indirect_utility(S + h, q1, th, beta) - cr.otc_indirect_utility(S - h, q1, th, beta)) / (2 * h)
    assert abs(call(cr.otc_ex_ante_foc, S, beta, shut) - slope) < 1e-6 * (1 + abs(slope))
    S_pt = call(cr.otc_price_taking_s0, beta, shut)
    assert abs(cr.otc_ex_ante_foc(S_pt, beta, shut)) < 1e-9
    # one theta in both states, the dealer market open in one: the planner's S in closed form
    opened = [(prob, theta_a, 0), (1 - prob, theta_a, 1)]
    S_pl = theta_a / (1 - prob * (1 - theta_a) * beta)
    assume(S_pl < theta_a / (theta_a + (1 - theta_a) * beta) * (1 - 1e-6))
    assert close(call(cr.otc_planner_s0, beta, opened), S_pl, 1e-7)


# ------------------------------------------------------------------ the chapter's own checks
def _normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@covers("log_example_constrained")
@FAST
@given(betas, st.one_of(log_uniform(1e-12, 3.0), st.floats(0.05, 3.0)))
def test_log_example_constrained_is_the_lognormal_tail(beta, sigma):
    """log eps ~ N(-sigma^2/2, sigma^2): P(eps >= beta), E[eps; eps >= beta] and P(beta <= eps < 1)
    from the normal distribution function (a narrow shock far above beta is all constrained)."""
    con, first_best, above = call(cr.log_example_constrained, beta, sigma)
    lb = math.log(beta)
    assert abs(con - _normal_cdf((-sigma**2 / 2 - lb) / sigma)) < 1e-12
    assert abs(first_best - _normal_cdf((sigma**2 / 2 - lb) / sigma)) < 1e-12  # E eps 1{eps >= b}, E eps = 1
    assert abs(above - (_normal_cdf(sigma / 2) - _normal_cdf((lb + sigma**2 / 2) / sigma))) < 1e-12


def _literal_root_decimal(theta, gamma, beta):
    """(19) with c_i = w(q) = s0 + (1 - s0) q and s_n = (1 - mu)/(1/q - beta mu), times (1 - beta mu q):
    theta (1 - s0) beta mu q^2 - (theta (1 - s0) + s0 (1 - theta) beta mu + gamma) q + s0 (1 - theta) = 0,
    its smaller root with 400-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 400
        th, ga, b = Decimal(theta), Decimal(gamma), Decimal(beta)
        s0, m = th + ga, (1 - th - ga) / (1 - th)
        A, B, C = th * (1 - s0) * b * m, th * (1 - s0) + s0 * (1 - th) * b * m + ga, s0 * (1 - th)
        return 2 * C / (B + (B * B - 4 * A * C).sqrt())


@covers("run_price_literal")
@settings(derandomize=True, deadline=None, max_examples=12)
@given(masses(edge=1e-100), betas)
def test_run_price_literal_is_the_root_of_its_quadratic(tg, beta):
    """Impatient agents consume their whole withdrawal: the market (19) with c_i = w(q) is a
    quadratic in q (above); its root in (0, 1) to 400 digits, and below Prop. 3.3's run price
    (the impatient consume more of the scarce good, which needs a lower price)."""
    theta, gamma = tg
    q = call(cr.run_price_literal, theta, gamma, beta)
    exact = _literal_root_decimal(theta, gamma, beta)
    assert 0 < exact < 1 and 0 < q <= 1 and close(q, float(exact), 1e-10)
    assert exact <= _run_root_decimal(theta, gamma, beta)  # c_i = w(q) >= q: more demand, a lower price
