"""Tests for firesales.cheng_robatto: closed forms against independent solvers (agents'
problems maximised, markets cleared, quadrature), the paper's limits and signs, the
audit's counterexamples to eq. (10), Prop. 2.1 where traders differ, and bad input."""

import math

import numpy as np
import pytest
from contract import contract_tests
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from firesales import cheng_robatto as cr

# ranges reach the corners where the numerics are hardest (a mass near 0, beta near 0 or 1)
unit = st.floats(min_value=0.001, max_value=0.999)
betas = st.floats(min_value=0.001, max_value=0.999)
probs = st.floats(min_value=0.0, max_value=1.0)


def theta_gamma():
    return st.tuples(unit, unit).filter(lambda tg: tg[0] + tg[1] <= 0.998)


# ------------------------------------------------------------------ input contract
SHUT = [(0.5, 0.2, 0), (0.5, 0.4, 0)]
OPEN = [(0.2, 0.3, 0), (0.8, 0.3, 1)]
CONTRACT = {
    "benchmark_price": dict(beta=0.9),
    "mu": dict(theta=0.3, gamma=0.3),
    "framework_equilibrium": dict(**cr.framework_example("crra"), beta=0.9, regime="insured"),
    "framework_assumptions": dict(marginal_utility=lambda c, e: e / c**2, shocks=(0.5, 1.5), c_max=3.0),
    "framework_example": dict(name="power"),
    "worked_economy": dict(beta=0.9, sigma=0.5, rho=2.0),
    "crra_threshold": dict(beta=0.9, sigma=0.5),
    "planner_allocation": dict(theta=0.3, gamma=0.3, beta=0.9),
    "good_equilibrium": dict(theta=0.3, gamma=0.3, beta=0.9),
    "bank_trading_choice": dict(theta=0.3, gamma=0.3, beta=0.9, q1=0.8),
    "run_quadratic": dict(theta=0.3, gamma=0.3, beta=0.9),
    "run_price": dict(theta=0.3, gamma=0.3, beta=0.9),
    "run_price_numeric": dict(theta=0.3, gamma=0.3, beta=0.9),
    "run_choices": dict(theta=0.3, gamma=0.3, beta=0.9, q=0.8),
    "run_equilibrium": dict(theta=0.3, gamma=0.3, beta=0.9),
    "run_welfare": dict(theta=0.3, gamma=0.3, beta=0.9),
    "limited_participation_price": dict(theta=0.3, gamma=0.3, p=0.5, variant="printed"),
    "limited_participation_price_numeric": dict(theta=0.3, gamma=0.3, p=0.5, beta=0.9, variant="consistent"),
    "new_bank_contract": dict(theta=0.3, gamma=0.3, beta=0.9, p=0.5, variant="printed"),
    "bank_run_prices": dict(S=0.7, theta=0.3, gamma=0.3, beta=0.9, p=0.5, run="new banks"),
    "bank_run_welfare": dict(S=0.7, theta=0.3, gamma=0.3, beta=0.9, p=0.5, pi_run=0.5, run="new banks"),
    "bank_run_ex_ante": dict(theta=0.3, gamma=0.3, beta=0.9, p=1.0, pi_run=0.5, run="self-insurance"),
    "otc_price": dict(theta=0.3, beta=0.9, alpha=0.5),
    "otc_equilibrium_numeric": dict(theta=0.3, beta=0.9, alpha=0.5, k=1.0),
    "otc_state_values": dict(S=0.32, theta=0.3, beta=0.8, alpha=1),
    "otc_t1_price": dict(S=0.6, theta=0.3, beta=0.8, alpha=0),
    "otc_ex_ante_foc": dict(S=0.6, beta=0.8, states=SHUT),
    "otc_price_taking_s0": dict(beta=0.8, states=OPEN),
    "otc_planner_s0": dict(beta=0.8, states=OPEN),
    "otc_welfare": dict(S=0.33, beta=0.8, states=OPEN),
    "otc_indirect_utility": dict(s=0.6, q1=0.9, theta=0.3, beta=0.8),
    "log_example_constrained": dict(beta=0.9, sigma=0.5),
    "run_price_literal": dict(theta=0.3, gamma=0.3, beta=0.9),
    "distress_price": dict(d=0.5, model="participation", theta=0.3, gamma=0.3, beta=0.9, variant="consistent"),
}


test_contract_table_covers_every_public_function, test_bad_input_is_rejected = (
    contract_tests(cr, CONTRACT))


@pytest.mark.parametrize(
    "func, kwargs, param",
    [
        (cr.otc_welfare, dict(S=0.0, beta=0.8, states=OPEN), "S"),  # was "math domain error"
        (cr.otc_welfare, dict(S=1.5, beta=0.8, states=OPEN), "S"),  # was a number
        (cr.otc_welfare, dict(S=0.9, beta=0.8, states=[(1.0, 0.3, 1)]), "S"),  # otc_t1_price refuses too
        (cr.otc_indirect_utility, dict(s=0.5, q1=0.0, theta=0.3, beta=0.8), "q1"),  # was inf
        (cr.otc_indirect_utility, dict(s=0.5, q1=-1.0, theta=0.3, beta=0.8), "q1"),  # was a SciPy message
        (cr.otc_indirect_utility, dict(s=1.5, q1=0.9, theta=0.3, beta=0.8), "s"),
        (cr.otc_state_values, dict(S=0.3, theta=0.3, beta=0.8, alpha=0.5), "alpha"),
        (cr.otc_ex_ante_foc, dict(S=0.6, beta=0.8, states=[(0.5, 0.3, 0), (0.6, 0.3, 0)]), "states"),
        (cr.worked_economy, dict(beta=0.9, sigma=0.0), "sigma"),
        (cr.worked_economy, dict(beta=0.9, sigma=3.5), "sigma"),
        (cr.worked_economy, dict(beta=0.9, sigma=0.5, rho=0.01), "rho"),
        (cr.run_price, dict(theta=0.5, gamma=0.5, beta=0.9), "theta + gamma"),
        (cr.bank_run_ex_ante, dict(theta=0.3, gamma=0.3, beta=0.9, p=0.0, pi_run=0.5), "p"),
        (cr.framework_equilibrium, dict(**cr.framework_example("power"), beta=0.9, regime="x"), "regime"),
        (cr.framework_assumptions, dict(marginal_utility=lambda c, e: 1 / c, shocks=(1.0, 0.5)), "shocks"),
        (cr.otc_equilibrium_numeric, dict(theta=0.3, beta=0.9, alpha=0.5, k=0.5), "k"),
    ],
)
def test_out_of_range_input_is_refused_by_name(func, kwargs, param):
    with pytest.raises(ValueError, match=param.replace("+", r"\+")):
        func(**kwargs)


def test_otc_welfare_and_t1_price_refuse_the_same_storage():
    limit = 0.3 / (0.3 + 0.7 * 0.8)  # interdealer price = R
    for S in (limit * 0.999, limit * 1.001):
        ok_price = ok_welfare = True
        try:
            cr.otc_t1_price(S, 0.3, 0.8, 1)
        except ValueError:
            ok_price = False
        try:
            cr.otc_welfare(S, 0.8, [(1.0, 0.3, 1)])
        except ValueError:
            ok_welfare = False
        assert ok_price == ok_welfare == (S < limit)


# ------------------------------------------------------------------ Sec. 2.1: (7), (8), (10)
@pytest.mark.parametrize("name, q_audit", [("exponential", 1.024986), ("power", 1.00785)])
def test_audit_counterexamples_to_eq10(name, q_audit):
    ex = cr.framework_example(name)
    assumptions = cr.framework_assumptions(ex["marginal_utility"], ex["shocks"])
    assert all(assumptions.values())  # strictly concave, convex u', increasing in eps
    e = cr.framework_equilibrium(**ex, beta=0.9)
    assert e.q == pytest.approx(q_audit, abs=5e-6)  # the audit's direct market clearing
    assert e.q > cr.benchmark_price(0.9) and e.mean_mu < 1  # (10) fails
    assert e.q == pytest.approx(e.q_eq7, abs=1e-7)  # (7) holds
    insured = cr.framework_equilibrium(**ex, beta=0.9, regime="insured")
    assert insured.q == pytest.approx(1.0, abs=1e-7)  # (8)


def test_exponential_counterexample_keeps_both_observations():
    e = cr.framework_equilibrium(**cr.framework_example("exponential"), beta=0.9)
    (c_lo, c_hi), (fb_lo, fb_hi) = e.c, e.c_first_best
    assert e.mu[0] == pytest.approx(0.9, abs=1e-6)  # eq. (9) for the slack investor
    assert c_lo > fb_lo and c_hi < fb_hi and e.mean_c < e.s_bar


@pytest.mark.parametrize("beta", [0.3, 0.9, 0.99])
def test_crra_two_shock_economy_satisfies_eq10(beta):
    e = cr.framework_equilibrium(**cr.framework_example("crra"), beta=beta)
    assert e.q < 1 and e.q == pytest.approx(e.q_eq7, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(betas, st.floats(min_value=0.001, max_value=3.0), st.floats(min_value=0.05, max_value=10.0))
def test_worked_economy_closed_form_equals_quadrature(beta, sigma, rho):
    e = cr.worked_economy(beta, sigma, rho)  # raises if closed form and quadrature disagree
    assert e.mean_mu_quad == pytest.approx(e.mean_mu, rel=1e-10)
    assert 0 < e.q and 0 <= e.share_slack <= 1 and 0 < e.consumed_share <= 1 + 1e-12
    if rho >= 1:
        assert e.excess_mu >= 0 and e.q <= 1  # (10) holds for rho >= 1


@pytest.mark.parametrize("sigma", [0.001, 0.01])
def test_worked_economy_tiny_dispersion_never_flips_the_discount(sigma):
    # the old truncated quadrature returned q = 1.000000000000019 at sigma = 0.01
    e = cr.worked_economy(0.9, sigma)
    assert e.excess_mu >= 0 and e.q <= 1.0


def test_worked_economy_large_dispersion():
    e = cr.worked_economy(0.9, 2.9)  # the old quadrature was off by 1e-6 here
    assert abs(e.mean_mu - e.mean_mu_quad) < 1e-10 * e.mean_mu


@pytest.mark.parametrize("beta, sigma", [(0.9, 0.01), (0.9, 0.5), (0.5, 1.0), (0.99, 3.0), (0.05, 0.2)])
def test_crra_threshold_is_the_crossing(beta, sigma):
    r = cr.crra_threshold(beta, sigma)
    assert 0 < r <= 1  # < 1 in exact arithmetic; 1.0 in floating point when no investor is slack
    assert cr.worked_economy(beta, sigma, max(r, 0.05)).q == pytest.approx(1.0, abs=1e-9) or r < 0.05
    if r * 0.9 >= 0.05:
        assert cr.worked_economy(beta, sigma, r * 0.9).q > 1  # (10) fails below
    assert cr.worked_economy(beta, sigma, min(r * 1.1, 10)).q < 1  # and holds above


@settings(max_examples=60, deadline=None)
@given(betas)
def test_benchmark_price_is_exactly_one(beta):
    assert cr.benchmark_price(beta) == 1.0


# ------------------------------------------------------------------ Sec. 3: planner, good equilibrium
@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.1, 0.5, 0.5), (0.6, 0.2, 0.95), (0.01, 0.98, 0.01)])
def test_planner_and_good_equilibrium(theta, gamma, beta):
    a = cr.planner_allocation(theta, gamma, beta)
    assert a.s0 == pytest.approx(theta + gamma, abs=1e-8)
    assert a.c1 == pytest.approx(1.0, abs=1e-8) and a.c3 == pytest.approx(1 / beta, rel=1e-8)
    g = cr.good_equilibrium(theta, gamma, beta)
    assert g.q1 == pytest.approx(cr.benchmark_price(beta), abs=1e-9)  # (18)
    assert g.s1 == pytest.approx(gamma, abs=1e-8) and g.k1 == pytest.approx(1 - theta - gamma, abs=1e-8)
    assert g.c1 == pytest.approx(1.0, abs=1e-8) and g.residual < 1e-10


def test_bank_trades_away_from_q_equal_one():
    s1, _ = cr.bank_trading_choice(0.3, 0.3, 0.9, 0.8)
    assert s1 == pytest.approx(0.3 * 0.8, abs=1e-9)  # FOC of (16): s1 = gamma q1 / (beta R)


# ------------------------------------------------------------------ run price
@settings(max_examples=60, deadline=None)
@given(theta_gamma(), betas)
def test_run_price_closed_form_equals_maximised_demands(tg, beta):
    theta, gamma = tg
    q = cr.run_price(theta, gamma, beta)
    assert 0 < q < 1  # Prop. 3.3
    assert q == pytest.approx(cr.run_price_numeric(theta, gamma, beta), abs=1e-9)
    e = cr.run_equilibrium(theta, gamma, beta)
    assert e.k_i >= 0 and e.k_n >= 0 and e.w < 1


@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.1, 0.6, 0.5)])
def test_run_choices_are_the_paper_closed_forms(theta, gamma, beta):
    q = cr.run_price(theta, gamma, beta)
    w, c_i, s_n = cr.run_choices(theta, gamma, beta, q)
    m = cr.mu(theta, gamma)
    assert c_i == pytest.approx(q, abs=1e-9) and s_n == pytest.approx((1 - m) / (1 / q - beta * m), abs=1e-9)


def test_audit_run_prices():
    assert cr.run_price(0.3, 0.3, 0.9) == pytest.approx(0.75792571, abs=1e-8)


@settings(max_examples=50, deadline=None)
@given(theta_gamma(), betas, betas)
def test_run_price_falls_with_beta(tg, b1, b2):
    assume(abs(b1 - b2) > 1e-3)
    lo, hi = sorted((b1, b2))
    assert cr.run_price(*tg, lo) > cr.run_price(*tg, hi)


def test_run_welfare_good_beats_run():
    w = cr.run_welfare(0.3, 0.3, 0.9)
    assert w["welfare_run"] < w["welfare_good"]
    # resources: run-time liquidity theta + gamma is consumed at t = 1, 2 or carried to t = 3
    e = cr.run_equilibrium(0.3, 0.3, 0.9)
    patient = 1 - 0.3 - 0.3
    assert w["c1_run"] + w["c2_run"] + patient * e.s_n == pytest.approx(0.6, abs=1e-12)


# ------------------------------------------------------------------ limited participation
@settings(max_examples=50, deadline=None)
@given(theta_gamma(), probs)
def test_limited_participation_closed_forms_equal_maximised_demands(tg, p):
    theta, gamma = tg
    for variant in ("consistent", "printed"):
        q = cr.limited_participation_price(theta, gamma, p, variant=variant)
        assert 0 <= q <= 1
        assert q == pytest.approx(cr.limited_participation_price_numeric(theta, gamma, p, variant=variant), abs=1e-9)
        if p < 1:
            assert q < 1  # Prop. 3.5
    assert cr.limited_participation_price(theta, gamma, p) >= cr.limited_participation_price(
        theta, gamma, p, variant="printed"
    )


def test_limited_participation_default_is_consistent():
    assert cr.limited_participation_price(0.3, 0.3, 0.5) == pytest.approx(0.6, abs=1e-15)
    assert cr.limited_participation_price(0.3, 0.3, 0.5, variant="printed") == pytest.approx(3 / 7, abs=1e-15)
    assert cr.distress_price(0.5, model="participation") == cr.limited_participation_price(0.3, 0.3, 0.5)


def test_printed_new_bank_contract_is_not_feasible():
    c2, c3 = cr.new_bank_contract(0.3, 0.3, 0.9, 0.5, variant="printed")
    q = cr.limited_participation_price(0.3, 0.3, 0.5, variant="printed")
    assert c2 == 1.0 and c3 * 0.9 == pytest.approx(0.3 / q + 0.7, abs=1e-12)  # = 1.4, not 1
    c2, c3 = cr.new_bank_contract(0.3, 0.3, 0.9, 0.5)
    assert c2 == pytest.approx(0.6)


# ------------------------------------------------------------------ OTC
@settings(max_examples=25, deadline=None)
@given(unit, st.floats(min_value=0.05, max_value=0.99), probs)
def test_otc_price_equals_maximised_choices(theta, beta, alpha):
    q = cr.otc_price(theta, beta, alpha)
    assert 0 < q <= 1
    e = cr.otc_equilibrium_numeric(theta, beta, alpha)
    assert q == pytest.approx(e.q1, abs=1e-8)
    if alpha > 0:
        assert e.q2 == pytest.approx(1.0, abs=1e-9)
    if alpha < 1:
        assert q < 1


def test_otc_extremes():
    assert cr.otc_price(0.3, 0.9, 1.0) == 1.0  # eq. (24)
    assert cr.otc_price(0.3, 0.9, 0.0) == pytest.approx(1 / (0.7 * 0.9 + 1), abs=1e-15)  # eq. (26)


# ------------------------------------------------------------------ Prop. 2.1
def test_prop21_holds_with_full_participation_and_fails_without():
    full = cr.bank_run_ex_ante(0.3, 0.3, 0.9, 1.0, 0.5)
    assert full.S_price_taking == pytest.approx(full.S_planner, abs=1e-6)
    assert abs(full.price_term) < 1e-9 and full.q_run < 1 < full.q_calm
    part = cr.bank_run_ex_ante(0.3, 0.3, 0.9, 0.5, 0.5, run="new banks")
    assert part.S_planner < part.S_price_taking - 1e-3 and part.price_term < 0
    # the planner's choice maximises welfare, the price takers' does not
    W = lambda S: cr.bank_run_welfare(S, 0.3, 0.3, 0.9, 0.5, 0.5, run="new banks")  # noqa: E731
    assert W(part.S_planner) > W(part.S_price_taking)
    assert W(part.S_planner) >= max(W(part.S_planner - 1e-3), W(part.S_planner + 1e-3))


@pytest.mark.parametrize("pi_run", [0.05, 0.5, 0.95])
def test_prop21_bank_run_across_run_probabilities(pi_run):
    r = cr.bank_run_ex_ante(0.2, 0.4, 0.8, 1.0, pi_run)
    assert r.S_price_taking == pytest.approx(r.S_planner, abs=1e-6)
    assert r.lam_traders * r.q_run == pytest.approx(1.0, abs=1e-7)


def test_new_bank_run_prices_closed_form():
    S, p = 0.7, 0.5
    q_calm, q_run = cr.bank_run_prices(S, 0.3, 0.3, 0.9, p, run="new banks")
    assert q_calm == pytest.approx(S / 0.6) and q_run == pytest.approx(p * S / (p * 0.6 + (1 - p) * (1 - S)), abs=1e-12)


def test_otc_ex_ante_shut_and_open():
    S = cr.otc_price_taking_s0(0.8, SHUT)
    assert S == pytest.approx(cr.otc_planner_s0(0.8, SHUT), abs=1e-6)
    prices = [cr.otc_t1_price(S, t, 0.8, a) for _, t, a in SHUT]
    assert min(prices) < 1 < max(prices)
    S_pt, S_pl = cr.otc_price_taking_s0(0.8, OPEN), cr.otc_planner_s0(0.8, OPEN)
    assert S_pl == pytest.approx(0.3 / (1 - 0.2 * 0.7 * 0.8), rel=1e-8)  # planner's FOC in closed form
    assert S_pt == pytest.approx(0.326996, abs=1e-6) and S_pt < S_pl - 1e-3


def test_pecuniary_term_vanishes_only_at_the_clearing_price():
    beta, S = 0.8, 0.6
    for theta in (0.2, 0.4):
        q1 = cr.otc_t1_price(S, theta, beta, 0)
        h = 1e-4
        dv = (cr.otc_indirect_utility(S, q1 + h, theta, beta) - cr.otc_indirect_utility(S, q1 - h, theta, beta)) / (2 * h)
        assert abs(dv) < 1e-6
        dv_off = (cr.otc_indirect_utility(S, 1.2 * q1 + h, theta, beta)
                  - cr.otc_indirect_utility(S, 1.2 * q1 - h, theta, beta)) / (2 * h)
        assert abs(dv_off) > 1e-3


def test_distress_price_extremes():
    assert cr.distress_price(0.0, model="otc") == cr.benchmark_price(0.9) == 1.0
    assert cr.distress_price(0.0, model="participation") == 1.0
    assert cr.distress_price(1.0, model="participation") == 0.0
    assert np.all(np.diff([cr.distress_price(d, model="otc") for d in np.linspace(0, 1, 11)]) < 0)
    assert math.isclose(cr.distress_price(0.5, model="otc"), cr.otc_price(0.3, 0.9, 0.5))


@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.1, 0.5, 0.5), (0.5, 0.2, 0.95)])
@pytest.mark.parametrize("run", ["new banks", "self-insurance"])
def test_limited_participation_planner_stores_less(theta, gamma, beta, run):
    # the sign the chapter reports for Sec. 3.4's economy, over p and the run probability
    for p in (0.2, 0.5, 0.9):
        for pi_run in (0.1, 0.5, 0.9):
            r = cr.bank_run_ex_ante(theta, gamma, beta, p, pi_run, run=run)
            assert r.S_planner < r.S_price_taking and r.price_term < 0 and r.lam_autarky < r.lam_traders


# ------------------------------------------------------------------ issue 23: relative precision at the edges
from fractions import Fraction as F  # noqa: E402


@pytest.mark.parametrize("theta", [1e-15, 1e-100])
@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_otc_numeric_keeps_its_precision_for_a_tiny_shocked_share(theta, alpha):
    # was q1 = 1.0 with residual 0.0 at theta = 1e-15, alpha = 0.5 (closed form 0.6897)
    e = cr.otc_equilibrium_numeric(theta, 0.9, alpha)
    assert e.q1 == pytest.approx(cr.otc_price(theta, 0.9, alpha), rel=1e-8, abs=0)
    if alpha > 0:  # interdealer clearing: matched shocked investors consume the liquidity they hold
        assert theta * e.c2_matched == pytest.approx(e.s1, rel=1e-9, abs=0) and e.q2 == pytest.approx(1.0, rel=1e-9, abs=0)


@pytest.mark.parametrize("p", [1e-15, 1e-200])
@pytest.mark.parametrize("variant", ["consistent", "printed"])
def test_limited_participation_numeric_at_tiny_participation(p, variant):
    # was the bracket's floor (1e-18 for 7.5e-16) or an absolute-tolerance answer
    q = cr.limited_participation_price_numeric(0.3, 0.3, p, variant=variant)
    assert q == pytest.approx(cr.limited_participation_price(0.3, 0.3, p, variant=variant), rel=1e-9, abs=0)


@pytest.mark.parametrize("gamma", [1e-13, 1e-200])
def test_good_equilibrium_with_a_tiny_normal_share(gamma):
    g = cr.good_equilibrium(0.3, gamma, 0.9)  # c2 was 7.0 at gamma = 1e-13 (should be 1)
    assert g.c2 == pytest.approx(1.0, rel=1e-8, abs=0) and g.q1 == pytest.approx(1.0, rel=1e-9, abs=0)
    assert cr.planner_allocation(1e-12, 1e-13, 0.9).s0 == pytest.approx(1.1e-12, rel=1e-9, abs=0)


def _new_bank_exact(theta, gamma, beta, p, variant):
    """c3' of the new bank in exact rational arithmetic, from the budget as the paper writes it."""
    theta, gamma, beta, p = F(theta), F(gamma), F(beta), F(p)
    s0 = theta + gamma
    num = p * s0 if variant == "consistent" else p * theta
    q = num / (num + (1 - p) * (1 - s0))
    w = s0 + (1 - s0) * q
    c2 = q if variant == "consistent" else F(1)
    return ((1 - theta) * w - gamma * c2) / q / beta / (1 - s0)


@pytest.mark.parametrize("theta, p", [(1e-16, 0.5), (1e-12, 0.5), (0.3, 1e-12), (1e-9, 1 - 1e-9), (0.3, 0.5)])
@pytest.mark.parametrize("variant", ["consistent", "printed"])
def test_new_bank_contract_without_cancellation(theta, p, variant):
    # printed, theta = 1e-16: was 1.8504 for 1.8889
    c2, c3 = cr.new_bank_contract(theta, 0.3, 0.9, p, variant=variant)
    assert c3 == pytest.approx(float(_new_bank_exact(theta, 0.3, 0.9, p, variant)), rel=1e-12, abs=0)


@pytest.mark.parametrize("tiny", [1e-8, 1e-12, 1e-100])
def test_run_price_numeric_at_tiny_masses(tiny):
    # was off by 1.6e-5 at theta = gamma = 1e-8
    assert cr.run_price_numeric(tiny, tiny, 0.9) == pytest.approx(cr.run_price(tiny, tiny, 0.9), rel=1e-9, abs=0)


@pytest.mark.parametrize("theta, gamma", [(1e-170, 1e-170), (1e-12, 0.5), (0.5, 1e-12), (0.3, 0.3)])
def test_run_price_clears_the_market_in_exact_arithmetic(theta, gamma):
    q = F(cr.run_price(theta, gamma, 0.9))
    th, ga, b = F(theta), F(gamma), F(0.9)
    m = (1 - th - ga) / (1 - th)
    clearing = th * q + ga / (1 / q - b * m)  # (19): theta q + gamma / (1/q - beta mu) = theta + gamma
    assert abs(float(clearing / (th + ga)) - 1) < 1e-14


def _kinked_economy(eps_high):
    return dict(utility=lambda c, e: -e / c, marginal_utility=lambda c, e: e / c**2, shocks=(1.0, eps_high),
                prob_high=0.5)


@pytest.mark.parametrize("offset", [-3e-3, -1e-5, 0.0, 1e-4, 3e-3])
def test_framework_price_when_a_storage_threshold_is_near_the_endowment(offset):
    # u = -eps/c: first best sqrt(eps); storage starts at c = sqrt(eps/beta). eps_high = base puts the low
    # shock's threshold exactly at s_bar; the old slope straddled it (q off by up to 1.5e-4)
    beta = 0.9
    eps_high = (2 / math.sqrt(beta) - 1) ** 2 * (1 + offset)
    e = cr.framework_equilibrium(**_kinked_economy(eps_high), beta=beta)
    s_bar = 0.5 * (1 + math.sqrt(eps_high))
    mean_mu = 0.5 * max(beta, 1 / s_bar**2) + 0.5 * max(beta, eps_high / s_bar**2)
    assert e.q == pytest.approx(1 / mean_mu, rel=1e-9, abs=0)


def test_framework_reports_a_failing_utility_as_such():
    def utility(c, e):
        raise TypeError("written for arrays")

    with pytest.raises(cr.CallableFailed, match="utility.*TypeError"):
        cr.framework_equilibrium(utility, lambda c, e: 1 / c, (1.0, 2.0), 0.5, 0.9)


@pytest.mark.parametrize("sigma", [1e-300, 1e-160, 1e-8])
def test_crra_threshold_tends_to_one_as_dispersion_vanishes(sigma):
    assert cr.crra_threshold(0.9, sigma) == 1.0  # was 1e-4 (the bracket's end) at sigma = 1e-300


def test_beta_so_small_that_R_overflows_is_refused():
    with pytest.raises(ValueError, match="beta"):
        cr.run_welfare(0.3, 0.3, 1e-310)  # was nan
    with pytest.raises(ValueError, match="p"):
        cr.new_bank_contract(0.3, 0.3, 0.9, 5e-324)  # was ZeroDivisionError


# ------------------------------------------------------------------ welfare from the resource constraints
@pytest.mark.parametrize("theta, gamma, beta", [(0.3, 0.3, 0.9), (0.1, 0.6, 0.5), (0.05, 0.05, 0.99)])
def test_run_welfare_from_aggregate_resources(theta, gamma, beta):
    """t = 3 utility is linear, so welfare = theta log c1 + gamma log c2 + beta C3, with C3 from clearing:
    every unit of capital (1 - s0) pays R, and the patient carry their storage s_n to t = 3."""
    w = cr.run_welfare(theta, gamma, beta)
    q = cr.run_price_numeric(theta, gamma, beta)  # from the agents' maximised demands
    _, c_i, s_n = cr.run_choices(theta, gamma, beta, q)
    s0, pat, R = theta + gamma, 1 - theta - gamma, 1 / beta
    c3 = R * (1 - s0) + pat * s_n
    assert w["c1_run"] == pytest.approx(theta * c_i, rel=1e-8, abs=0) and w["c2_run"] == pytest.approx(gamma * s_n, rel=1e-8, abs=0)
    assert w["c3_run"] == pytest.approx(c3, rel=1e-8, abs=0)
    assert w["welfare_run"] == pytest.approx(theta * math.log(c_i) + gamma * math.log(s_n) + beta * c3, rel=1e-8, abs=0)
    assert w["c1_good"] == theta and w["c2_good"] == gamma and w["c3_good"] == pytest.approx(pat * R, rel=1e-15, abs=0)
    assert w["welfare_good"] == pytest.approx(beta * pat * R, rel=1e-15, abs=0)


@pytest.mark.parametrize("S", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("p", [1.0, 0.4])
def test_bank_run_welfare_from_aggregate_resources(S, p):
    """Calm: c1 = c2 = S/(theta + gamma), all capital 1 - S pays R; run: the traders buy all 1 - S
    of capital, the cut-off depositors consume min(w, 1/beta) and store the rest."""
    theta, gamma, beta = 0.3, 0.3, 0.9
    run = cr.bank_run_welfare(S, theta, gamma, beta, p, 1.0)
    calm = 2 * cr.bank_run_welfare(S, theta, gamma, beta, p, 0.5) - run  # welfare is linear in pi_run
    assert calm == pytest.approx((theta + gamma) * math.log(S / (theta + gamma)) + (1 - S), rel=1e-12, abs=0)
    q = cr.bank_run_prices(S, theta, gamma, beta, p)[1]
    w = S + (1 - S) * q
    m = cr.mu(theta, gamma)
    s_n = (1 - m) / (1 / q - beta * m)
    pat = 1 - theta - gamma
    traders = theta * math.log(q) + gamma * math.log(s_n) + (1 - S) / p + pat * beta * s_n
    c = min(w, 1 / beta)
    autarky = (theta + gamma) * (math.log(c) + beta * (w - c)) + pat * beta * w
    assert run == pytest.approx(p * traders + (1 - p) * autarky, rel=1e-10, abs=0)


@pytest.mark.parametrize("theta", [0.2, 0.4])
@pytest.mark.parametrize("S", [0.3, 0.6, 0.95])
def test_otc_welfare_is_the_indirect_utility_at_the_clearing_price(theta, S):
    """With the OTC market shut, welfare at storage S is an investor's maximised value at q1(S)."""
    beta = 0.8
    q1 = cr.otc_t1_price(S, theta, beta, 0)
    direct = cr.otc_indirect_utility(S, q1, theta, beta)
    assert cr.otc_welfare(S, beta, [(1.0, theta, 0)]) == pytest.approx(direct, rel=1e-10, abs=0)
