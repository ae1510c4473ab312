"""Tests for firesales.cheng_robatto: closed forms vs solvers, the paper's limits and signs, bad input."""

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from firesales import cheng_robatto as cr

unit = st.floats(min_value=0.01, max_value=0.99)
betas = st.floats(min_value=0.01, max_value=0.99)
probs = st.floats(min_value=0.0, max_value=1.0)


def theta_gamma():
    return st.tuples(unit, unit).filter(lambda tg: tg[0] + tg[1] <= 0.98)


# ------------------------------------------------------------------ planner and good equilibrium
@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.1, 0.5, 0.5), (0.6, 0.2, 0.95)])
def test_planner_prop31(theta, gamma, beta):
    a = cr.planner_allocation(theta, gamma, beta)
    assert a.s0 == pytest.approx(theta + gamma, abs=1e-14)
    assert a.c1 == pytest.approx(1.0) and a.c2 == pytest.approx(1.0)
    assert a.c3 == pytest.approx(1.0 / beta, rel=1e-14)


@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.1, 0.5, 0.5)])
def test_good_equilibrium_prop32(theta, gamma, beta):
    g = cr.good_equilibrium(theta, gamma, beta)
    assert g.q1 == pytest.approx(cr.benchmark_price(beta), abs=1e-12)
    assert g.s1 == pytest.approx(gamma, abs=1e-12)
    assert g.k1 == pytest.approx(1 - (theta + gamma), abs=1e-12)
    assert g.c3 == pytest.approx(1 / beta, rel=1e-12)


def test_bank_trades_away_from_q_equal_one():
    # at q1 < 1 the bank keeps less storage than gamma (buys cheap capital)
    s1, _ = cr.bank_trading_choice(0.3, 0.3, 0.9, 0.8)
    assert s1 < 0.3


# ------------------------------------------------------------------ run price
@pytest.mark.parametrize("theta,gamma,beta", [(0.3, 0.3, 0.9), (0.05, 0.9, 0.99), (0.9, 0.05, 0.1)])
def test_run_price_closed_form_matches_root(theta, gamma, beta):
    assert cr.run_price(theta, gamma, beta) == pytest.approx(cr.run_price_numeric(theta, gamma, beta), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(theta_gamma(), betas)
def test_run_price_in_unit_interval_and_clears(tg, beta):
    theta, gamma = tg
    q = cr.run_price(theta, gamma, beta)
    assert 0 < q < 1  # Prop. 3.3
    m = cr.mu(theta, gamma)
    residual = theta * q + gamma / (1 / q - beta * m) - (theta + gamma)
    assert abs(residual) < 1e-12
    eq = cr.run_equilibrium(theta, gamma, beta)
    assert eq.k_i >= 0 and eq.k_n >= 0  # nobody sells capital short


@settings(max_examples=50, deadline=None)
@given(theta_gamma(), betas, betas)
def test_run_price_falls_with_beta(tg, b1, b2):
    assume(abs(b1 - b2) > 1e-3)
    lo, hi = sorted((b1, b2))
    assert cr.run_price(*tg, lo) > cr.run_price(*tg, hi)


@settings(max_examples=50, deadline=None)
@given(unit, unit, unit, betas)
def test_run_price_rises_with_theta(t1, t2, gamma, beta):
    lo, hi = sorted((t1, t2))
    assume(hi - lo > 1e-3 and hi + gamma < 0.99)
    assert cr.run_price(lo, gamma, beta) < cr.run_price(hi, gamma, beta)


def test_run_price_nonmonotone_in_gamma():
    qs = [cr.run_price(0.3, g, 0.9) for g in (0.05, 0.2, 0.6)]
    assert qs[1] < qs[0] and qs[1] < qs[2]


def test_run_price_limits_in_beta():
    assert cr.run_price(0.3, 0.3, 1e-9) == pytest.approx(1.0, abs=1e-8)


# ------------------------------------------------------------------ limited participation
@settings(max_examples=50, deadline=None)
@given(theta_gamma(), probs)
def test_limited_participation_closed_form_and_root(tg, p):
    theta, gamma = tg
    for variant in ("paper", "consistent"):
        q = cr.limited_participation_price(theta, gamma, p, variant=variant)
        assert 0 <= q <= 1
        assert q == pytest.approx(cr.limited_participation_price_numeric(theta, gamma, p, variant=variant), abs=1e-10)
    q = cr.limited_participation_price(theta, gamma, p)
    assert q == pytest.approx(p * theta / (p * theta + (1 - p) * (1 - theta - gamma)), abs=1e-14)
    if p < 1:
        assert q < 1  # Prop. 3.5


def test_limited_participation_full_participation_is_benchmark():
    for variant in ("paper", "consistent"):
        assert cr.limited_participation_price(0.3, 0.3, 1.0, variant=variant) == 1.0


@settings(max_examples=50, deadline=None)
@given(theta_gamma(), probs, probs)
def test_limited_participation_rises_with_p(tg, p1, p2):
    assume(abs(p1 - p2) > 1e-6)
    lo, hi = sorted((p1, p2))
    assert cr.limited_participation_price(*tg, lo) < cr.limited_participation_price(*tg, hi)
    # the consistent variant lies above the printed one
    assert cr.limited_participation_price(*tg, lo, variant="consistent") >= cr.limited_participation_price(*tg, lo)


# ------------------------------------------------------------------ OTC
@settings(max_examples=50, deadline=None)
@given(unit, betas, probs)
def test_otc_price_properties(theta, beta, alpha):
    q = cr.otc_price(theta, beta, alpha)
    assert 0 < q <= 1
    assert q == pytest.approx(cr.otc_equilibrium_numeric(theta, beta, alpha).q1, abs=1e-10)
    if alpha < 1:
        assert q < 1


def test_otc_extremes():
    theta, beta = 0.3, 0.9
    assert cr.otc_price(theta, beta, 1.0) == 1.0  # eq. (24)
    assert cr.otc_price(theta, beta, 0.0) == pytest.approx(1 / ((1 - theta) * beta + 1), abs=1e-15)  # eq. (26)
    # the reconstruction is continuous at both ends
    assert cr.otc_price(theta, beta, 1e-9) == pytest.approx(cr.otc_price(theta, beta, 0.0), abs=1e-8)
    assert cr.otc_price(theta, beta, 1 - 1e-9) == pytest.approx(1.0, abs=1e-8)


@settings(max_examples=40, deadline=None)
@given(unit, betas, probs, probs)
def test_otc_price_rises_with_alpha(theta, beta, a1, a2):
    assume(abs(a1 - a2) > 1e-6)
    lo, hi = sorted((a1, a2))
    assert cr.otc_price(theta, beta, lo) < cr.otc_price(theta, beta, hi)


def test_otc_needs_enough_capital():
    with pytest.raises(ValueError, match="k must be"):
        cr.otc_equilibrium_numeric(0.3, 0.9, 0.5, k=0.5)


def test_distress_price_and_benchmark():
    assert cr.distress_price(0.0, model="otc") == cr.benchmark_price(0.9) == 1.0
    assert cr.distress_price(0.0, model="participation") == 1.0
    assert cr.distress_price(0.5, model="otc", theta=0.3, beta=0.9) == cr.otc_price(0.3, 0.9, 0.5)
    assert cr.distress_price(0.4, model="participation", theta=0.3, gamma=0.3) == cr.limited_participation_price(
        0.3, 0.3, 0.6
    )
    with pytest.raises(ValueError, match="model"):
        cr.distress_price(0.1, model="runs")


# ------------------------------------------------------------------ general framework and efficiency
def test_worked_economy_fire_sale():
    e = cr.worked_economy(0.9, 0.5)
    assert e.mean_mu == pytest.approx(e.mean_mu_closed, abs=1e-10)
    assert e.mean_mu > 1 and e.q < 1 and e.mean_c < 1


def test_ex_ante_choice_equals_planner_when_otc_shut():
    # Prop. 2.1 in the book's extension: every state has the OTC market shut (assumption (ii))
    from scipy import optimize

    beta, states = 0.8, [(0.5, 0.2, 0), (0.5, 0.4, 0)]
    S = cr.otc_price_taking_s0(beta, states)
    res = optimize.minimize_scalar(lambda x: -cr.otc_welfare(x, beta, states), bounds=(0.01, 0.99),
                                   method="bounded", options={"xatol": 1e-12})
    assert S == pytest.approx(res.x, abs=1e-6)
    prices = [cr.otc_t1_price(S, t, beta, a) for _, t, a in states]
    assert min(prices) < 1 < max(prices)  # a fire sale in the high-need state


def test_pecuniary_term_vanishes():
    beta, S = 0.8, 0.6
    for theta in (0.2, 0.4):
        q1 = cr.otc_t1_price(S, theta, beta, 0)
        h = 1e-3
        dv = (cr.otc_indirect_utility(S, q1 + h, theta, beta) - cr.otc_indirect_utility(S, q1 - h, theta, beta)) / (2 * h)
        assert abs(dv) < 1e-6
        # away from the market-clearing price the individual trades and the term is not zero
        dv_off = (cr.otc_indirect_utility(S, 1.2 * q1 + h, theta, beta)
                  - cr.otc_indirect_utility(S, 1.2 * q1 - h, theta, beta)) / (2 * h)
        assert abs(dv_off) > 1e-3


def test_planner_internalising_q2_differs_when_otc_open_and_constrained():
    from scipy import optimize

    beta, states = 0.8, [(0.2, 0.3, 0), (0.8, 0.3, 1)]
    S = cr.otc_price_taking_s0(beta, states)
    res = optimize.minimize_scalar(lambda x: -cr.otc_welfare(x, beta, states), bounds=(0.01, 0.6),
                                   method="bounded", options={"xatol": 1e-12})
    assert res.x == pytest.approx(0.3 / (1 - 0.2 * 0.7 * 0.8), rel=1e-7)
    assert S < res.x - 1e-3


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "args,match",
    [
        ((0.0, 0.3, 0.9), "theta"),
        ((-0.1, 0.3, 0.9), "theta"),
        ((0.3, 0.0, 0.9), "gamma"),
        ((0.5, 0.5, 0.9), "theta \\+ gamma"),
        ((0.6, 0.5, 0.9), "theta \\+ gamma"),
        ((0.3, 0.3, 0.0), "beta"),
        ((0.3, 0.3, 1.0), "beta"),
        ((0.3, 0.3, math.nan), "beta"),
    ],
)
def test_run_price_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        cr.run_price(*args)


@pytest.mark.parametrize("p", [-0.1, 1.1, math.inf])
def test_limited_participation_bad_p(p):
    with pytest.raises(ValueError, match="p must"):
        cr.limited_participation_price(0.3, 0.3, p)


def test_limited_participation_bad_theta_gamma_and_variant():
    with pytest.raises(ValueError, match="theta \\+ gamma"):
        cr.limited_participation_price(0.7, 0.4, 0.5)
    with pytest.raises(ValueError, match="variant"):
        cr.limited_participation_price(0.3, 0.3, 0.5, variant="other")


@pytest.mark.parametrize(
    "args,match",
    [((0.3, 0.9, -0.01), "alpha"), ((0.3, 0.9, 1.5), "alpha"), ((0.0, 0.9, 0.5), "theta"),
     ((1.0, 0.9, 0.5), "theta"), ((0.3, 1.2, 0.5), "beta"), ((0.3, 0.0, 0.5), "beta")],
)
def test_otc_price_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        cr.otc_price(*args)
