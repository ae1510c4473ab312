"""Tests for firesales.eisenbach_phelan: appendix formulas, the rebuilt liquidity model, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesales import eisenbach_phelan as ep

BETA, R = 0.96, 1.03 / 0.96


# ---------------------------------------------------------------- Appendix A
def test_theta_bounds_match_log_closed_forms():
    ell, k, p, dl, dh = 0.3, 0.5, 0.8, 0.0, 0.1
    b = ep.theta_lower_bounds(ell, k, p, dl, dh, BETA, R)
    assert b.theta_bar == pytest.approx((ell + R * k) / (1 + BETA), rel=1e-10)
    assert b.theta_L == pytest.approx((ell + dh * k + p * k) / (1 + BETA), rel=1e-10)
    assert b.theta_H == pytest.approx((ell + dl * k + p * k) / (1 + BETA), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    gamma=st.floats(0.3, 5.0),
    dl=st.floats(0.0, 0.5),
    gap=st.floats(0.01, 0.5),
    p=st.floats(0.2, 1.0),
)
def test_theta_L_bound_exceeds_theta_H_bound_when_delta_H_exceeds_delta_L(gamma, dl, gap, p):
    b = ep.theta_lower_bounds(0.3, 0.5, p, dl, dl + gap, BETA, R, gamma)
    assert b.theta_L > b.theta_H
    # the conditions hold just above their bounds and fail just below
    assert ep.corner_condition_lucky(b.theta_L * 1.01, 0.3, 0.5, p, dl + gap, BETA, R, gamma) < 0
    assert ep.corner_condition_lucky(b.theta_L * 0.99, 0.3, 0.5, p, dl + gap, BETA, R, gamma) > 0


# ---------------------------------------------------------------- Appendix B
def test_strategic_sales_is_a_fixed_point_and_increases_in_k():
    N, a, r, A_L, n = 2, 0.93, 1.02, 0.6, 1.0
    f = [3.0, 2.5]
    s1 = ep.strategic_sales(5.0, 1.2, f, N, a, r, A_L, n)
    price = ep.capital_price([s1, 1.2], f, N, a)
    assert price * s1 == pytest.approx(r * (5.0 - n) - A_L * 5.0, rel=1e-12)
    assert ep.strategic_sales(5.5, 1.2, f, N, a, r, A_L, n) > s1


def test_b4_threshold_below_one_and_rising_in_N():
    thr = [ep.b4_threshold(2.0, N, 0.93) for N in (1, 2, 3)]
    assert all(t < 1 for t in thr) and thr[0] < thr[1] < thr[2]
    assert ep.b4_threshold(0.0, 1, 0.93) == pytest.approx(1.0)


def test_b7_threshold_formula_and_limits():
    assert ep.b7_threshold(0.4, 2, 0.0, R) == pytest.approx(R / 2)
    assert ep.b7_threshold(0.4, 2, 0.1, R) == pytest.approx((0.2 + 0.4) / (0.2 + 0.8) * R)
    assert ep.b7_threshold(0.0, 3, 0.2, R) == pytest.approx(R)
    # more outside liquidity raises the threshold
    assert ep.b7_threshold(0.3, 2, 0.2, R) > ep.b7_threshold(0.3, 2, 0.1, R)


# ---------------------------------------------------------------- the rebuilt model
@pytest.mark.parametrize("phi", [0.0, 0.1, 0.4])
def test_walras_alpha0_price_one_and_closed_form_liquidity(phi):
    e = ep.liquidity_equilibrium(0.0, BETA, R, 2, phi, "walras")
    assert e.price == pytest.approx(1.0, abs=1e-10)
    assert e.liquidity == pytest.approx((1 - phi) / 2, abs=1e-10)


def test_planner_alpha0_is_diamond_dybvig():
    e = ep.liquidity_equilibrium(0.0, BETA, R, 2, 0.0, "planner")
    assert e.liquidity == pytest.approx(1 / (1 + BETA), abs=1e-10)
    assert 1 / e.c_seller == pytest.approx(BETA * R / e.c_buyer, rel=1e-9)


def test_cournot_alpha0_closed_form():
    for N in (1, 2, 3):
        e = ep.liquidity_equilibrium(0.0, BETA, R, N, 0.0, "cournot")
        assert e.price == pytest.approx((1 + BETA - BETA / N) / (1 + BETA - 1 / N), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.001, 0.995), phi=st.floats(0.0, 0.5), N=st.integers(1, 6))
def test_walras_price_below_one_and_solves_foc(alpha, phi, N):
    e = ep.liquidity_equilibrium(alpha, BETA, R, N, phi, "walras")
    assert 0 < e.price < 1
    if e.corner:
        assert e.liquidity == 0 and e.foc <= 0
    else:
        assert abs(e.foc) < 1e-9
        assert e.price == pytest.approx((phi + e.liquidity) / (1 - e.liquidity), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.0, 0.995), N=st.integers(1, 6))
def test_cournot_below_walras_iff_walras_price_below_beta(alpha, N):
    w = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "walras")
    c = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "cournot")
    p_ = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "planner")
    if abs(w.price - BETA) > 1e-6:
        assert (c.liquidity < w.liquidity) == (w.price < BETA)
    assert p_.liquidity > w.liquidity  # the planner always holds more liquidity (phi = 0)
    assert c.price <= R and p_.price <= R


def test_cournot_symmetric_point_is_a_best_response():
    for alpha in (0.0, 0.6, 0.95):
        e = ep.liquidity_equilibrium(alpha, BETA, R, 2, 0.0, "cournot")
        top = 2 * R * (1 - e.liquidity) - e.liquidity  # deviations with p_H <= R
        grid = np.linspace(0.01, min(top, 0.99), 891)
        vals = [ep.cournot_payoff(x, e.liquidity, alpha, BETA, R, 2) for x in grid]
        best = ep.cournot_payoff(e.liquidity, e.liquidity, alpha, BETA, R, 2)
        assert max(vals) <= best + 1e-12


def test_outside_region_is_refused():
    with pytest.raises(ValueError, match="valid region"):
        ep.liquidity_equilibrium(0.0, BETA, R, 2, 0.3, "planner")
    with pytest.raises(ValueError, match="valid region"):
        ep.liquidity_equilibrium(0.0, BETA, R, 1, 0.1, "cournot")
    with pytest.raises(ValueError, match="valid region"):
        ep.liquidity_equilibrium(0.5, BETA, R, 2, 1.5, "walras")


def test_curves_for_synthesis():
    alphas = np.array([0.0, 0.5, 0.9])
    p = ep.price_curve(alphas)
    assert p[0] == pytest.approx(ep.NO_FRICTION_PRICE) and np.all(np.diff(p) < 0)
    assert np.allclose(ep.normalised_price_curve(alphas), p / ep.NO_FRICTION_PRICE)
    assert ep.liquidity_curve(alphas).shape == (3,)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(alpha=1.0), "alpha"),
        (dict(alpha=-0.1), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(N=0), "N"),
        (dict(N=1.5), "N"),
        (dict(N=True), "N"),
        (dict(phi=-0.1), "phi"),
        (dict(beta=1.0), "beta"),
        (dict(beta=0.0), "beta"),
        (dict(R=1.0), "R"),
        (dict(R=0.5), "R"),
        (dict(regime="bertrand"), "regime"),
    ],
)
def test_bad_input_raises(kwargs, name):
    args = dict(alpha=0.5, beta=BETA, R=R, N=2, phi=0.0, regime="walras")
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ep.liquidity_equilibrium(**args)


def test_b7_bad_input():
    for kwargs, name in [
        (dict(liquidity=1.0), "liquidity"),
        (dict(liquidity=0.0, phi=0.0), "liquidity"),
        (dict(N=0), "N"),
        (dict(phi=-1.0), "phi"),
        (dict(R=0.9), "R"),
    ]:
        args = dict(liquidity=0.4, N=2, phi=0.1, R=R)
        args.update(kwargs)
        with pytest.raises(ValueError, match=name):
            ep.b7_threshold(**args)


def test_productivity_literal_reading_matches_notes_and_fails_b4_for_N1():
    eq = ep.productivity_literal_equilibrium(1.0)
    assert 35 < eq.leverage < 60 and eq.wealth_low < 0.2
    assert eq.price == pytest.approx(0.93 + 1.02 - 0.03 * eq.k, rel=1e-12)
    assert eq.price > eq.b4(1)
    assert math.isfinite(eq.price)
    with pytest.raises(ValueError, match="spread"):
        ep.productivity_literal_equilibrium(-0.1)


@settings(max_examples=60, deadline=None)
@given(
    alpha=st.floats(0.0, 0.999),
    phi=st.floats(0.0, 1.2),
    N=st.integers(1, 6),
    regime=st.sampled_from(ep.REGIMES),
    beta=st.floats(0.8, 0.99),
    R=st.floats(1.01, 1.5),
)
def test_solver_returns_a_valid_equilibrium_or_refuses(alpha, phi, N, regime, beta, R):
    try:
        e = ep.liquidity_equilibrium(alpha, beta, R, N, phi, regime)
    except ValueError as exc:
        assert "valid region" in str(exc)
        return
    assert 0 <= e.liquidity < 1 and 0 < e.price <= R * (1 + 1e-12)
    assert e.price == pytest.approx((phi + e.liquidity) / (1 - e.liquidity), rel=1e-12)
    if e.corner:
        assert e.liquidity == 0 and e.foc <= 0
    else:
        assert abs(e.foc) < 1e-8


def test_corner_conditions_are_the_printed_expressions():
    ell, k, p, d, th = 0.3, 0.5, 0.8, 0.1, 0.35
    late = R * (k + (ell + d * k - th) / p)
    assert ep.corner_condition_lucky(th, ell, k, p, d, BETA, R) == pytest.approx(1 / th - BETA * R / p / late)
    late_h = R * (k - (th - ell - d * k) / p)
    assert ep.corner_condition_unlucky(th, ell, k, p, d, BETA, R, 2.0) == pytest.approx(
        th**-2 - BETA * R / p * late_h**-2)
    assert ep.corner_condition_good(th, ell, k, BETA, R) == pytest.approx(1 / th - BETA / (ell - th + R * k))
    with pytest.raises(ValueError, match="p"):
        ep.corner_condition_lucky(th, ell, k, 1.5, d, BETA, R)
    with pytest.raises(ValueError, match="theta_bar"):
        ep.corner_condition_good(2.0, ell, k, BETA, R)


def test_asset_price_is_b5_at_symmetric_choices():
    assert ep.asset_price(0.5, 2, 0.0) == pytest.approx(1.0)
    assert ep.asset_price(0.4, 3, 0.2) == pytest.approx((3 * 0.2 + 3 * 0.4) / (3 * 0.6))
    with pytest.raises(ValueError, match="liquidity"):
        ep.asset_price(0.0, 2, 0.0)
