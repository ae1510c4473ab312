"""Tests for firesales.eisenbach_phelan: appendix formulas, the two rebuilt models, bad input."""

import math

import numpy as np
import pytest
from contract import contract_tests
from hypothesis import given, settings
from hypothesis import strategies as st

from firesales import eisenbach_phelan as ep

BETA, R = 0.96, 1.03 / 0.96
B1 = dict(alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99)

# ---------------------------------------------------------------- the input contract
CONTRACT = {
    "marginal_utility": dict(c=1.5, gamma=2.0),
    "corner_condition_good": dict(theta_bar=0.35, ell=0.3, k=0.5, beta=BETA, R=R, gamma=1.0),
    "corner_condition_lucky": dict(theta_L=0.35, ell=0.3, k=0.5, p=0.8, delta_H=0.1, beta=BETA, R=R, gamma=1.0),
    "corner_condition_unlucky": dict(theta_H=0.35, ell=0.3, k=0.5, p=0.8, delta_L=0.0, beta=BETA, R=R,
                                     gamma=1.0),
    "theta_lower_bounds": dict(ell=0.3, k=0.5, p=0.8, delta_L=0.0, delta_H=0.1, beta=BETA, R=R, gamma=1.0),
    "capital_price": dict(s=[1.0, 2.0], f=[3.0, 4.0], N=2, a=0.93),
    "strategic_sales": dict(k_i=50.0, others_s=30.0, f=[4.0, 5.0], N=2, a=0.93, r=1.02, A_L=0.9, n=1.0),
    "b4_threshold": dict(f=2.0, N=2, a=0.93),
    "asset_price": dict(liquidity=0.4, N=2, phi=0.1),
    "b7_threshold": dict(liquidity=0.4, N=2, phi=0.1, R=R),
    "liquidity_price": dict(liquidity=0.4, phi=0.1, R=R),
    "liquidity_foc": dict(liquidity=0.3, alpha=0.5, beta=BETA, R=R, N=2, phi=0.1, regime="cournot"),
    "liquidity_equilibrium": dict(alpha=0.5, beta=BETA, R=R, N=2, phi=0.1, regime="planner"),
    "liquidity_payoff": dict(ell_i=0.3, ell=0.35, alpha=0.5, beta=BETA, R=R, N=2, phi=0.1, regime="cournot"),
    "liquidity_best_response": dict(ell=0.35, alpha=0.5, beta=BETA, R=R, N=2, phi=0.1, regime="cournot"),
    "price_curve": dict(alphas=[0.1, 0.5], beta=BETA, R=R, N=2, phi=0.0, regime="walras"),
    "liquidity_curve": dict(alphas=[0.1, 0.5], beta=BETA, R=R, N=2, phi=0.0, regime="cournot"),
    "normalised_price_curve": dict(alphas=[0.1, 0.5], beta=BETA, R=R, N=2, phi=0.0, regime="planner"),
    "productivity_foc": dict(k=50.0, spread=0.3, N=2, regime="cournot", **B1),
    "productivity_equilibrium": dict(spread=0.3, N=2, regime="cournot", **B1),
    "productivity_payoff": dict(k_i=55.0, k=55.4, spread=0.3, N=2, regime="cournot", **B1),
    "productivity_best_response": dict(k=55.4, spread=0.3, N=2, regime="cournot", **B1),
    "productivity_min_spread": dict(N=2, regime="cournot", **B1),
    "productivity_literal_equilibrium": dict(spread=0.3, **B1),
    "capital_crossing": dict(N=3, spreads=[0.15, 0.25], **B1),
    "productivity_price_bound": dict(N=2, regime="cournot", **B1),
    "b4_crossing": dict(N=2, regime="cournot", **B1),
    "underprovision_phi_bound": dict(beta=BETA),
    "underprovision_band": dict(beta=BETA, R=R, phi=0.1),
    "productivity_default_payoff": dict(k_i=55.0, k=55.4, spread=0.3, N=2, **B1),
}


test_contract_table_covers_every_public_function, test_bad_input_is_rejected = (
    contract_tests(ep, CONTRACT, sizes=("N",)))


# ---------------------------------------------------------------- Appendix A
def test_theta_bounds_match_log_closed_forms():
    ell, k, p, dl, dh = 0.3, 0.5, 0.8, 0.0, 0.1
    b = ep.theta_lower_bounds(ell, k, p, dl, dh, BETA, R)
    assert b.theta_bar == pytest.approx((ell + R * k) / (1 + BETA), rel=1e-10)
    assert b.theta_L == pytest.approx((ell + dh * k + p * k) / (1 + BETA), rel=1e-10)
    assert b.theta_H == pytest.approx((ell + dl * k + p * k) / (1 + BETA), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(gamma=st.floats(0.3, 5.0), dl=st.floats(0.0, 0.5), gap=st.floats(0.01, 0.5), p=st.floats(0.2, 1.0))
def test_theta_L_bound_exceeds_theta_H_bound_when_delta_H_exceeds_delta_L(gamma, dl, gap, p):
    b = ep.theta_lower_bounds(0.3, 0.5, p, dl, dl + gap, BETA, R, gamma)
    assert b.theta_L > b.theta_H
    # the conditions hold just above their bounds and fail just below
    assert ep.corner_condition_lucky(b.theta_L * 1.01, 0.3, 0.5, p, dl + gap, BETA, R, gamma) < 0
    assert ep.corner_condition_lucky(b.theta_L * 0.99, 0.3, 0.5, p, dl + gap, BETA, R, gamma) > 0


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
    # (B3) at the threshold: the elasticity f/(2Na + Nf) equals 1 - p
    f, N, a = 3.0, 2, 0.93
    assert 1 - ep.b4_threshold(f, N, a) == pytest.approx(f / (2 * N * a + N * f))


def test_b7_threshold_formula_and_limits():
    assert ep.b7_threshold(0.4, 2, 0.0, R) == pytest.approx(R / 2)
    assert ep.b7_threshold(0.4, 2, 0.1, R) == pytest.approx((0.2 + 0.4) / (0.2 + 0.8) * R)
    assert ep.b7_threshold(0.0, 3, 0.2, R) == pytest.approx(R)
    assert ep.b7_threshold(0.3, 2, 0.2, R) > ep.b7_threshold(0.3, 2, 0.1, R)
    with pytest.raises(ValueError, match="liquidity"):
        ep.b7_threshold(0.0, 2, 0.0, R)


def test_asset_price_is_b5_at_symmetric_choices():
    assert ep.asset_price(0.5, 2, 0.0) == pytest.approx(1.0)
    assert ep.asset_price(0.4, 3, 0.2) == pytest.approx((3 * 0.2 + 3 * 0.4) / (3 * 0.6))
    with pytest.raises(ValueError, match="liquidity"):
        ep.asset_price(0.0, 2, 0.0)


# ---------------------------------------------------------------- the rebuilt liquidity model
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


def test_price_is_capped_at_R_by_buyers_participation():
    assert ep.liquidity_price(0.3, 0.0, R) == pytest.approx(0.3 / 0.7)
    assert ep.liquidity_price(0.6, 0.0, R) == R  # (B5) would give 1.5 > R
    assert ep.liquidity_price(0.45, 0.3, R) == R


@pytest.mark.parametrize("regime, N, phi, alpha", [("planner", 2, 0.1, 0.0), ("planner", 2, 0.3, 0.2),
                                                    ("cournot", 1, 0.1, 0.0), ("cournot", 1, 0.2, 0.3)])
def test_kink_solutions_maximise_the_payoff(regime, N, phi, alpha):
    # cases the previous version refused: the regime's condition is still positive at p = R
    e = ep.liquidity_equilibrium(alpha, BETA, R, N, phi, regime)
    assert e.kink and e.price == pytest.approx(R, rel=1e-12) and e.foc > 0
    assert e.liquidity == pytest.approx((R - phi) / (1 + R), rel=1e-12)
    br = ep.liquidity_best_response(e.liquidity, alpha, BETA, R, N, phi, regime)
    assert abs(br.choice - e.liquidity) < 1e-7 and br.gain <= 1e-12
    # beyond the kink every consumption falls in l: the payoff is lower there
    assert ep.liquidity_payoff(e.liquidity + 0.01, e.liquidity, alpha, BETA, R, N, phi, regime) < br.payoff


@settings(max_examples=60, deadline=None)
@given(
    alpha=st.one_of(st.just(0.0), st.floats(0.0, 0.999)),
    phi=st.one_of(st.just(0.0), st.floats(0.0, 0.9)),
    N=st.integers(1, 6),
    regime=st.sampled_from(ep.REGIMES),
    beta=st.floats(0.8, 0.99),
    R=st.floats(1.01, 1.5),
)
def test_solver_returns_an_equilibrium_on_the_valid_region(alpha, phi, N, regime, beta, R):
    """On phi < 0.9 < R every regime has an equilibrium (interior, kink or corner): no refusal."""
    e = ep.liquidity_equilibrium(alpha, beta, R, N, phi, regime)
    assert 0 <= e.liquidity < 1 and 0 < e.price <= R * (1 + 1e-12)
    assert e.price == pytest.approx(min((phi + e.liquidity) / (1 - e.liquidity), R), rel=1e-12)
    if e.corner:
        assert e.liquidity == 0 and e.foc <= 0
    elif e.kink:
        assert e.price == pytest.approx(R) and e.foc >= 0 and regime != "walras"
    else:
        assert abs(e.foc) < 1e-8
    if regime == "walras" and alpha > 0:
        # p = 1 - O(alpha): strictly below 1 once 1 - O(alpha) is a different float from 1
        assert e.price <= 1 and (e.price < 1 or alpha < 1e-12)


@settings(max_examples=15, deadline=None)
@given(alpha=st.floats(0.05, 0.99), phi=st.sampled_from([0.0, 0.05, 0.3]), N=st.integers(1, 4),
       regime=st.sampled_from(ep.REGIMES))
def test_equilibrium_is_the_best_response(alpha, phi, N, regime):
    e = ep.liquidity_equilibrium(alpha, BETA, R, N, phi, regime)
    br = ep.liquidity_best_response(e.liquidity, alpha, BETA, R, N, phi, regime)
    assert br.gain <= 1e-12
    assert abs(br.choice - e.liquidity) < 1e-7


@settings(max_examples=40, deadline=None)
@given(alpha=st.floats(0.0, 0.995), N=st.integers(1, 6))
def test_cournot_below_walras_iff_walras_price_below_beta(alpha, N):
    w = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "walras")
    c = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "cournot")
    p_ = ep.liquidity_equilibrium(alpha, BETA, R, N, 0.0, "planner")
    if abs(w.price - BETA) > 1e-6:
        assert (c.liquidity < w.liquidity) == (w.price < BETA)
    assert p_.liquidity > w.liquidity  # the planner always holds more liquidity (phi = 0)


def test_outside_liquidity_beyond_R_is_refused():
    with pytest.raises(ValueError, match="phi"):
        ep.liquidity_equilibrium(0.5, BETA, R, 2, 1.5, "walras")


def test_curves_for_synthesis():
    alphas = np.array([0.0, 0.5, 0.9])
    p = ep.price_curve(alphas)
    assert p[0] == pytest.approx(ep.NO_FRICTION_PRICE) and np.all(np.diff(p) < 0)
    assert np.allclose(ep.normalised_price_curve(alphas), p / ep.NO_FRICTION_PRICE)
    assert ep.liquidity_curve(alphas).shape == (3,)
    with pytest.raises(ValueError, match="alphas"):
        ep.price_curve([0.5, 1.0])


# ---------------------------------------------------------------- the rebuilt productivity model
@pytest.mark.parametrize("spread", [0.03, 0.1, 0.3, 1.0])
@pytest.mark.parametrize("regime, N", [("walras", 1), ("planner", 1), ("cournot", 1), ("cournot", 3)])
def test_productivity_equilibrium_is_valid_and_a_best_response(spread, regime, N):
    e = ep.productivity_equilibrium(spread, N, regime, **B1)
    assert len(e.roots) == 1 and e.f >= 0 and e.wealth_low > 0 and e.s > 0
    assert e.price == pytest.approx(B1["a"] + B1["r"] * B1["n"] - (B1["r"] - B1["A_bad"]) * e.k, rel=1e-12)
    assert ep.capital_price(e.s, e.f, N, B1["a"]) == pytest.approx(e.price, rel=1e-12)  # (B1) clears
    br = ep.productivity_best_response(e.k, spread, N, regime, **B1)
    assert abs(br.choice / e.k - 1) < 1e-8 and br.gain <= 1e-12
    assert br.lo <= e.k <= br.hi


def test_productivity_foc_is_the_slope_of_the_payoff():
    for regime in ep.REGIMES:
        for spread, N, k in ((0.1, 1, 55.0), (0.3, 2, 50.0), (1.0, 3, 40.0)):
            h = 1e-5
            slope = (ep.productivity_payoff(k + h, k, spread, N, regime, **B1)
                     - ep.productivity_payoff(k - h, k, spread, N, regime, **B1)) / (2 * h)
            assert slope == pytest.approx(ep.productivity_foc(k, spread, N, regime, **B1), abs=1e-7)


def test_negative_funds_are_refused_not_returned():
    s_min = ep.productivity_min_spread(1, "walras", **B1)
    assert 0.027 < s_min < 0.029
    with pytest.raises(ep.OutsideValidRegion, match="funds"):
        ep.productivity_literal_equilibrium(0.9 * s_min, **B1)
    e = ep.productivity_literal_equilibrium(1.02 * s_min, **B1)
    assert 0 <= e.f < 0.1
    # the literal Walrasian equilibrium is the regime "walras" for every N
    lit = ep.productivity_literal_equilibrium(0.5, **B1).k
    for N in (1, 2, 3):
        assert ep.productivity_equilibrium(0.5, N, "walras", **B1).k == pytest.approx(lit, rel=1e-12)


def test_unrestricted_deviations_would_be_unbounded():
    """Outside the deviation set a Cournot buyer's payoff explodes: the set must exclude it."""
    e = ep.productivity_equilibrium(0.1, 1, "cournot", **B1)
    br = ep.productivity_best_response(e.k, 0.1, 1, "cournot", **B1)
    assert br.lo > 0  # cutting k below lo would make the other low type insolvent
    with pytest.raises(ep.OutsideValidRegion, match="deviation set"):
        ep.productivity_payoff(br.lo * 0.99, e.k, 0.1, 1, "cournot", **B1)


def test_literal_reading_odd_features():
    e = ep.productivity_literal_equilibrium(1.0, **B1)
    assert 35 < e.leverage < 60 and e.wealth_low < 0.2  # the notes' leverage 35-60, wealth near 0
    assert e.price > e.b4  # (B4) fails for N = 1 at A_H - A_L = 1 (Walrasian price)


def test_capital_orderings_and_crossings():
    spreads = np.round(np.arange(0.03, 0.305, 0.01), 10)
    cross = [ep.capital_crossing(N, spreads, **B1) for N in (1, 2, 3)]
    assert cross == sorted(cross) and all(0.03 < c < 0.3 for c in cross)
    assert cross[0] == pytest.approx(0.0457, abs=1e-3) and cross[2] == pytest.approx(0.2009, abs=1e-3)
    for s in (0.05, 0.2, 0.3):
        w, p = (ep.productivity_equilibrium(s, 1, reg, **B1).k for reg in ("walras", "planner"))
        assert w > p
    assert ep.capital_crossing(1, [0.2, 0.3], **B1) is None  # no sign change on that grid


def test_productivity_input_ranges():
    with pytest.raises(ValueError, match="spread"):
        ep.productivity_equilibrium(-0.1)
    with pytest.raises(ValueError, match="A_bad"):
        ep.productivity_equilibrium(0.1, A_bad=1.05)
    with pytest.raises(ValueError, match="regime"):
        ep.productivity_equilibrium(0.1, 1, "bertrand")
    assert math.isfinite(ep.productivity_equilibrium(0.1).k)


def test_cournot_underprovision_vanishes_at_phi_02():
    """Appendix D's attenuation: Cournot banks under-provide on a band of alphas that shrinks
    as phi rises and closes at phi = (sqrt(1 + beta) - 1)/2 = 0.2 (beta = 0.96), where the two
    regimes only touch. The band's ends are checked against the two solvers' liquidity."""
    assert ep.underprovision_phi_bound(BETA) == pytest.approx(0.2, abs=1e-15)
    assert ep.underprovision_band(BETA, R, 0.2) is None

    def gap(alpha, phi):
        return (ep.liquidity_equilibrium(alpha, BETA, R, 2, phi, "cournot").liquidity
                - ep.liquidity_equilibrium(alpha, BETA, R, 2, phi, "walras").liquidity)

    lo, hi = ep.underprovision_band(BETA, R, 0.1)
    assert lo == pytest.approx(0.807127, abs=1e-6) and hi == pytest.approx(0.990506, abs=1e-6)
    assert abs(gap(lo, 0.1)) < 1e-9 and abs(gap(hi, 0.1)) < 1e-9  # the solvers agree at both ends
    assert gap((lo + hi) / 2, 0.1) < 0  # inside: Cournot banks hold less
    assert gap(lo - 1e-3, 0.1) > 0 and gap(hi + 1e-3, 0.1) > 0  # just outside: more
    # at phi = 0 the regimes cross exactly where the Walrasian price equals beta
    assert gap(0.37, 0.0) > 0 > gap(0.375, 0.0)


# ---------------------------------------------------------------- issue 23: refusals and independent checks
@pytest.mark.parametrize("N, boundary", [(1, 1.0673), (2, 1.3315), (3, 1.4754)])
def test_cournot_price_above_one_is_refused_with_the_boundary(N, boundary):
    # was p = 1.4375 at spread 1.9, N = 1: buyers would not spend their funds at p > 1
    with pytest.raises(ep.OutsideValidRegion, match=r"exceeds 1.*reaches 1 at spread = " + str(boundary)[:5]):
        ep.productivity_equilibrium(1.9, N, "cournot", **B1)
    below = ep.productivity_equilibrium(boundary - 1e-4, N, "cournot", **B1)
    assert 0.999 < below.price <= 1  # the price just below the boundary, from the primitives
    assert below.price == pytest.approx(B1["a"] + B1["r"] * B1["n"] - (B1["r"] - B1["A_bad"]) * below.k, rel=1e-12)
    with pytest.raises(ep.OutsideValidRegion, match="exceeds 1"):
        ep.productivity_equilibrium(boundary + 1e-4, N, "cournot", **B1)


def test_best_response_refuses_a_candidate_outside_the_deviation_set():
    # was gain = inf where productivity_payoff refuses the same k
    with pytest.raises(ep.OutsideValidRegion, match="deviation set"):
        ep.productivity_best_response(55.4, 0.0, N=2, regime="cournot", **B1)


def test_solvent_top_is_where_the_low_type_or_the_price_hits_zero():
    """The largest symmetric k: k p(k) + x_L(k) = 0 or p(k) = 0, from the primitives by Brent's method."""
    from scipy import optimize

    for spread, n in ((0.3, 1.0), (1.0, 2.5), (0.05, 0.4)):
        par = dict(B1, n=n)
        a, r, A_bad = par["a"], par["r"], par["A_bad"]
        A_L = A_bad - spread / 2
        price = lambda k: a + r * n - (r - A_bad) * k  # noqa: E731 - (B1) with both types trading net cash
        k_zero_price = (a + r * n) / (r - A_bad)
        low = lambda k: k * price(k) + (A_L - r) * k + r * n  # noqa: E731
        k_solvent = optimize.brentq(low, 1e-9, k_zero_price, xtol=1e-14) if low(k_zero_price) < 0 else k_zero_price
        top = min(k_solvent, k_zero_price)
        assert ep._solvent_top(ep._prod_params(spread, **{**par})) == pytest.approx(top, rel=1e-12)
        ep.productivity_foc(top * (1 - 1e-12), spread, 1, "walras", **par)  # inside the domain
        with pytest.raises(ValueError, match="k"):
            ep.productivity_foc(top * (1 + 1e-9), spread, 1, "walras", **par)


@pytest.mark.parametrize("n", [0.5, 2.0])
def test_reported_fields_from_the_allocation(n):
    par = dict(B1, n=n)
    e = ep.productivity_equilibrium(0.3, 2, "cournot", **par)
    assert e.leverage == pytest.approx(e.k / n, rel=1e-15)
    x_low = (B1["A_bad"] - 0.15 - B1["r"]) * e.k + B1["r"] * n  # net cash of a low type
    x_high = (B1["A_bad"] + 0.15 - B1["r"]) * e.k + B1["r"] * n
    assert e.s == pytest.approx(-x_low / e.price, rel=1e-12) and e.f == pytest.approx(x_high, rel=1e-12)
    assert e.wealth_low == pytest.approx(e.k - e.s, rel=1e-12) and e.wealth_high == pytest.approx(e.k + e.f / e.price)


@pytest.mark.parametrize("gamma", [0.5, 1.0, 7.0, 1000.0])
def test_theta_bounds_match_crra_closed_forms(gamma):
    """u'(t) = c u'(b(t)) with u' = x^-gamma is linear in t: the roots in closed form for every gamma."""
    ell, k, p, dl, dh = 0.3, 0.5, 0.8, 0.0, 0.1
    b = ep.theta_lower_bounds(ell, k, p, dl, dh, BETA, R, gamma)
    assert b.theta_bar == pytest.approx((ell + R * k) / (1 + BETA ** (1 / gamma)), rel=1e-10)
    c = (BETA * R / p) ** (1 / gamma)
    for theta, d in ((b.theta_L, dh), (b.theta_H, dl)):
        assert theta == pytest.approx(R * (p * k + ell + d * k) / (p * c + R), rel=1e-10)


def test_corner_conditions_beyond_floating_point_are_refused_not_nan():
    with pytest.raises(ValueError, match="beyond floating point.*positive"):  # was nan
        ep.corner_condition_good(0.35, 0.3, 0.5, BETA, R, gamma=1000)
    with pytest.raises(ValueError, match="gamma"):
        ep.marginal_utility(1e-200, 2.0)  # was inf
    assert ep.corner_condition_good(0.35, 0.3, 0.5, BETA, R, gamma=60) > 0  # still a number where it is one


def test_bools_and_complex_numbers_inside_sequences_are_refused():
    for bad in ([True, 2.0], [1.0, 2.0 + 0j], [[1.0, False]]):
        with pytest.raises(ValueError, match="s"):
            ep.capital_price(bad, [3.0, 4.0], 2, 0.93)
    from fractions import Fraction
    assert ep.capital_price([Fraction(1), 2.0], [3.0, 4.0], 2, 0.93) == ep.capital_price([1.0, 2.0], [3.0, 4.0], 2,
                                                                                          0.93)


def test_many_agents_without_allocating_one_entry_each():
    # was a MemoryError (an array of N entries) at N = 1e9
    assert ep.capital_price(1.0, 3.0, 10**9, 0.93) == pytest.approx((2 * 0.93 + 3.0) / (2 + 1.0), rel=1e-15)
    assert ep.strategic_sales(50.0, 30.0, 4.0, 10**9, 0.93, 1.02, 0.9, 1.0) > 0
    with pytest.raises(ValueError, match="N"):
        ep.capital_price(1.0, 3.0, 10**13, 0.93)


def test_productivity_defaults_are_figure_b1s_caption():
    """Every function of the productivity model defaults to Figure B1's caption (the docstrings say so)."""
    import inspect

    caption = {k: v for k, v in ep.CAPTION_B1.items() if k != "N"}
    assert caption == {"alpha": 0.85, "a": 0.93, "n": 1.0, "mean_A": 1.05, "r": 1.02, "A_bad": 0.99}
    checked = 0
    for name in ep.__all__:
        func = getattr(ep, name)
        if not inspect.isfunction(func) or "A_bad" not in inspect.signature(func).parameters:
            continue
        params = inspect.signature(func).parameters
        assert {k: params[k].default for k in caption} == caption, name
        checked += 1
    assert checked >= 10
