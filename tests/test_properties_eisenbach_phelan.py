"""Property suite for firesales.eisenbach_phelan: every public function over its documented
valid range, inputs weighted to the edges, each call under a CPU-time limit.

Each property checks an identity computed independently of the function: the appendix's
formulas rewritten from their definitions ((B1), (B3)-(B5), (B7)), the CRRA closed forms of
the corner conditions' roots, the first-order conditions against differenced payoffs, market
clearing and best responses by direct optimisation, and invariance to the number of agents
where the model has it (Walrasian choices, symmetric sums).
"""

import math

import numpy as np
import pytest
from contract import call, close, coverage, in_range, log_uniform, public_functions
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import optimize

from firesales import eisenbach_phelan as ep

FAST = settings(derandomize=True, deadline=None, max_examples=25)
SLOW = settings(derandomize=True, deadline=None, max_examples=8)

B1 = dict(alpha=0.85, a=0.93, n=1.0, mean_A=1.05, r=1.02, A_bad=0.99)
BETA, R = 0.96, 1.03 / 0.96
gammas = st.one_of(log_uniform(1e-3, 1e3), st.floats(0.2, 5.0))
counts = st.one_of(st.integers(1, 6), st.sampled_from([10**6, 10**12]))


COVERED, covers = coverage()


def test_every_public_function_has_a_property():
    assert set(public_functions(ep)) <= COVERED, sorted(set(public_functions(ep)) - COVERED)


# ---------------------------------------------------------------- Appendix A
@covers("marginal_utility")
@FAST
@given(log_uniform(1e-6, 1e6), gammas, log_uniform(1e-3, 1e3))
def test_marginal_utility_is_homogeneous(c, gamma, lam):
    assume(abs(gamma * math.log(c * lam)) < 600 and abs(gamma * math.log(c)) < 600)
    u = call(ep.marginal_utility, c, gamma)
    assert close(u, math.exp(-gamma * math.log(c)), 1e-12)
    assert close(call(ep.marginal_utility, lam * c, gamma) / u, lam**-gamma, 1e-11)  # u'(lam c) = lam^-g u'(c)


@covers("corner_condition_good", "corner_condition_lucky", "corner_condition_unlucky", "theta_lower_bounds")
@FAST
@given(gammas, in_range(0.0, 1.0, 1e-6), in_range(0.0, 1.0, 1e-6), in_range(0.0, 1.0, 1e-6),
       st.floats(0.0, 0.5), st.floats(0.0, 0.5), in_range(0.5, 1.0), st.floats(0.01, 0.99))
def test_corner_conditions_change_sign_at_the_crra_closed_forms(gamma, ell, k, p, dl, dh, beta, t):
    """u'(t) = c u'(b(t)) with CRRA u' and b linear in t: each root in closed form, any gamma."""
    b = call(ep.theta_lower_bounds, ell, k, p, dl, dh, beta, R, gamma)
    top = ell + R * k
    assert close(b.theta_bar, top / (1 + beta ** (1 / gamma)), 1e-9)
    c = (beta * R / p) ** (1 / gamma)
    for theta, d in ((b.theta_L, dh), (b.theta_H, dl)):
        assert close(theta, R * (p * k + ell + d * k) / (p * c + R), 1e-9)
    # each condition is positive below its root and negative above (or refuses beyond float range)
    x = t * top
    late = ell - x + R * k
    sign = math.copysign(1, -gamma * math.log(x) - math.log(beta) + gamma * math.log(late))
    got = call(ep.corner_condition_good, x, ell, k, beta, R, gamma, refusals=ep.BeyondFloatRange)
    assert got == 0 or math.copysign(1, got) == sign
    if abs(gamma * math.log(x)) < 300 and abs(gamma * math.log(late)) < 300:
        assert close(got, x**-gamma - beta * late**-gamma, 1e-9) or abs(got) < 1e-9 * x**-gamma
    top_l = ell + dh * k + p * k
    y = t * top_l
    got_l = call(ep.corner_condition_lucky, y, ell, k, p, dh, beta, R, gamma, refusals=ep.BeyondFloatRange)
    assert (got_l > 0) == (y < b.theta_L) or abs(y / b.theta_L - 1) < 1e-9
    top_h = ell + dl * k + p * k
    z = t * top_h
    got_h = call(ep.corner_condition_unlucky, z, ell, k, p, dl, beta, R, gamma, refusals=ep.BeyondFloatRange)
    assert (got_h > 0) == (z < b.theta_H) or abs(z / b.theta_H - 1) < 1e-9


# ---------------------------------------------------------------- Appendix B1
@covers("capital_price", "strategic_sales", "b4_threshold")
@FAST
@given(counts, in_range(0.0, 1.0), log_uniform(1e-6, 1e3), log_uniform(1e-6, 1e3), log_uniform(1e-6, 10.0),
       st.floats(0.1, 0.95), st.integers(1, 6))
def test_b1_clears_and_strategic_sales_are_its_fixed_point(N, a, s, f, excess, low, n_sellers):
    p = call(ep.capital_price, s, f, N, a)
    assert close(p * (2 * N + N * s), 2 * N * a + N * f, 1e-12)  # (B1): cash in = price times capital out
    assert close(call(ep.capital_price, s, f, 2 * N if N < 10**12 else N, a), p, 1e-12)  # replication
    thr = call(ep.b4_threshold, f, N, a)
    assert abs((1 - thr) - f / (N * (2 * a + f))) <= 1e-12  # (B3) at the (B4) threshold: elasticity = 1 - p
    r, n, N = 1.02, 1.0, n_sellers
    A_L = low * r
    k_i = r * n / (r - A_L) * (1 + excess)  # a shortfall D = (r - A_L) k_i - r n > 0
    debt = (r - A_L) * k_i - r * n
    funds = [f + 1.01 * debt / N] * N  # enough cash to cover it
    others = [0.3 * s] * (N - 1)
    s_i = call(ep.strategic_sales, k_i, others if N > 1 else 0.0, funds, N, a, r, A_L, n)
    assert close(ep.capital_price([s_i, *others], funds, N, a) * s_i, debt, 1e-10)  # p(s_i) s_i = r b - A_L k


# ---------------------------------------------------------------- Appendix B2 / D
@covers("asset_price", "b7_threshold", "liquidity_price")
@FAST
@given(counts, in_range(0.0, 1.0, 1e-9), st.one_of(st.just(0.0), log_uniform(1e-6, 1.0)), st.floats(1.0001, 3.0))
def test_b5_and_b7_from_their_definitions(N, ell, phi, R_):
    phi = min(phi, R_ * (1 - 1e-9))
    p = call(ep.asset_price, ell, N, phi)
    assert close(p * (1 - ell), phi + ell, 1e-14)  # (B5): outside and inside cash buy the assets sold
    assert close(call(ep.liquidity_price, ell, phi, R_), min(p, R_), 1e-15)
    thr = call(ep.b7_threshold, ell, N, phi, R_)
    assert close(thr, R_ * (1 - ell / (N * phi + N * ell)), 1e-12) and thr <= R_


# ---------------------------------------------------------------- Section III rebuilt
@covers("liquidity_foc", "liquidity_payoff")
@FAST
@given(st.floats(0.0, 0.99), st.floats(0.8, 0.99), st.floats(1.01, 1.5), st.integers(1, 6),
       st.one_of(st.just(0.0), st.floats(0.01, 0.9)), st.sampled_from(ep.REGIMES), st.floats(0.05, 0.95))
def test_liquidity_condition_is_the_slope_of_the_payoff(alpha, beta, R_, N, phi, regime, t):
    top = (R_ - phi) / (1 + R_)  # the kink p = R
    ell = max(t * top, 1e-3)
    foc = call(ep.liquidity_foc, ell, alpha, beta, R_, N, phi, regime)
    h = 1e-6 * ell
    pay = lambda x: ep.liquidity_payoff(x, ell, alpha, beta, R_, N, phi, regime)  # noqa: E731
    slope = (pay(ell + h) - pay(ell - h)) / (2 * h)
    assert abs(slope - foc) <= 1e-5 * (1 + abs(foc))
    # the symmetric payoff from the primitives: consumption in each state, log utility
    p = min((phi + ell) / (1 - ell), R_)
    c_g, c_s, c_b = ell + R_ * (1 - ell), ell + p * (1 - ell), R_ * (1 - ell) + R_ * ell / p
    expected = alpha * beta * math.log(c_g) + (1 - alpha) / 2 * (math.log(c_s) + beta * math.log(c_b))
    assert close(call(ep.liquidity_payoff, ell, ell, alpha, beta, R_, N, phi, regime), expected, 1e-12)


@covers("liquidity_equilibrium", "liquidity_best_response", "price_curve", "liquidity_curve",
        "normalised_price_curve")
@SLOW
@given(st.floats(0.0, 0.995), st.floats(0.8, 0.99), st.floats(1.01, 1.5), st.integers(1, 6),
       st.one_of(st.just(0.0), st.floats(0.01, 0.9)), st.sampled_from(ep.REGIMES))
def test_liquidity_equilibrium_is_a_best_response_and_walras_ignores_N(alpha, beta, R_, N, phi, regime):
    e = call(ep.liquidity_equilibrium, alpha, beta, R_, N, phi, regime, refusals=ep.OutsideValidRegion)
    assert close(e.price, min((phi + e.liquidity) / (1 - e.liquidity), R_), 1e-12)
    br = call(ep.liquidity_best_response, e.liquidity, alpha, beta, R_, N, phi, regime)
    assert br.gain <= 1e-12  # no deviation pays (the payoff can be flat: any choice then does as well)
    if regime == "walras":  # price takers: the number of banks does not matter
        other = call(ep.liquidity_equilibrium, alpha, beta, R_, N + 1, phi, regime)
        assert close(other.liquidity, e.liquidity, 1e-12)
    alphas = [alpha, min(alpha + 0.001, 0.999)]
    prices = call(ep.price_curve, alphas, beta, R_, N, phi, regime, refusals=ep.OutsideValidRegion)
    assert close(prices[0], e.price, 1e-15)
    assert np.allclose(call(ep.normalised_price_curve, alphas, beta, R_, N, phi, regime),
                       prices / ep.NO_FRICTION_PRICE, rtol=1e-15, atol=0)
    assert close(call(ep.liquidity_curve, alphas, beta, R_, N, phi, regime)[0], e.liquidity, 1e-15)


# ---------------------------------------------------------------- Section II rebuilt
spreads = st.one_of(st.floats(0.03, 1.0), log_uniform(0.03, 1.9))


@covers("productivity_foc", "productivity_payoff")
@FAST
@given(spreads, st.integers(1, 4), st.sampled_from(ep.REGIMES), st.floats(0.3, 0.95))
def test_productivity_condition_is_the_slope_of_the_payoff(spread, N, regime, t):
    q = ep._prod_params(spread, **B1)
    k = t * ep._solvent_top(q)
    foc = call(ep.productivity_foc, k, spread, N, regime, **B1)
    h = 1e-6 * k
    try:
        up, down = (ep.productivity_payoff(x, k, spread, N, regime, **B1) for x in (k + h, k - h))
    except ep.OutsideValidRegion:
        assume(False)  # k at the edge of the deviation set
    assert abs((up - down) / (2 * h) - foc) <= 1e-5 * (1 + abs(foc))
    # the payoff at the symmetric point, from the primitives: net cash, (B1), t = 2 wealth, log utility
    A_G = (B1["mean_A"] - (1 - B1["alpha"]) * B1["A_bad"]) / B1["alpha"]
    x = {name: (A - B1["r"]) * k + B1["r"] * B1["n"] for name, A in
         (("L", B1["A_bad"] - spread / 2), ("H", B1["A_bad"] + spread / 2), ("G", A_G))}
    p = B1["a"] + (x["L"] + x["H"]) / 2
    assume(x["H"] >= 0 and k + x["L"] / p > 0)
    expected = (B1["alpha"] * math.log(k + x["G"])
                + (1 - B1["alpha"]) / 2 * (math.log(k + x["L"] / p) + math.log(k + x["H"] / p)))
    assert close(call(ep.productivity_payoff, k, k, spread, N, regime, **B1), expected, 1e-12)


@covers("productivity_equilibrium", "productivity_best_response", "productivity_literal_equilibrium")
@SLOW
@given(spreads, st.integers(1, 4), st.sampled_from(ep.REGIMES), log_uniform(0.5, 2.0))
def test_productivity_equilibrium_clears_is_a_best_response_and_prices_at_most_one(spread, N, regime, n):
    par = dict(B1, n=n)
    e = call(ep.productivity_equilibrium, spread, N, regime, **par, refusals=ep.OutsideValidRegion)
    assert e.price <= 1 and e.f >= 0 and e.s > 0  # the valid region: buyers spend, sellers sell
    assert close(ep.capital_price(e.s, e.f, N, par["a"]), e.price, 1e-12)  # (B1) clears
    assert close(e.leverage, e.k / n, 1e-15)
    br = call(ep.productivity_best_response, e.k, spread, N, regime, **par)
    assert br.gain <= 1e-12 * (1 + abs(br.payoff)) and abs(br.choice / e.k - 1) < 1e-7
    if regime == "walras":  # price takers: N does not matter, and it is the literal reading
        lit = call(ep.productivity_literal_equilibrium, spread, **par)
        assert close(lit.k, e.k, 1e-12)


@covers("productivity_min_spread", "productivity_price_bound", "capital_crossing")
@settings(derandomize=True, deadline=None, max_examples=4)
@given(st.integers(1, 3), st.sampled_from(ep.REGIMES), st.floats(0.8, 0.9))
def test_min_spread_is_where_funds_vanish_and_crossings_equalise_capital(N, regime, alpha):
    par = dict(B1, alpha=alpha)
    s_min = call(ep.productivity_min_spread, N, regime, **par, refusals=ep.OutsideValidRegion)
    above = call(ep.productivity_equilibrium, s_min * (1 + 1e-6), N, regime, **par)
    assert 0 <= above.f < 1e-4 * par["r"] * par["n"]
    s_max = call(ep.productivity_price_bound, N, regime, **par, refusals=ep.OutsideValidRegion)
    if s_max is not None:  # the price reaches 1 there: valid just below, refused just above
        below = ep.productivity_equilibrium(s_max * (1 - 1e-7), N, regime, **par)
        assert 1 - 1e-6 < below.price <= 1
        # the symmetric price from the primitives: a + (x_L + x_H)/2 = a + r n - (r - A_bad) k
        assert close(below.price, par["a"] + par["r"] * par["n"] - (par["r"] - par["A_bad"]) * below.k, 1e-12)
        with pytest.raises(ep.OutsideValidRegion, match="exceeds 1"):
            ep.productivity_equilibrium(s_max * (1 + 1e-7), N, regime, **par)
    else:  # the price stays below 1 up to the end of the valid range
        assert ep.productivity_equilibrium(2 * par["A_bad"] * (1 - 1e-6), N, regime, **par).price <= 1
    cross = call(ep.capital_crossing, N, [0.03, 0.1, 0.2, 0.3], **par, refusals=ep.OutsideValidRegion)
    if cross is not None:
        kc = ep.productivity_equilibrium(cross, N, "cournot", **par).k
        kp = ep.productivity_equilibrium(cross, 1, "planner", **par).k
        assert close(kc, kp, 1e-9)


def _b4_margin(spread, N, regime, par):
    """The equilibrium price minus the (B4) threshold (2Na + (N - 1) f)/(2Na + Nf), from its definition."""
    e = ep.productivity_equilibrium(spread, N if regime == "cournot" else 1, regime, **par)
    a = par["a"]
    return e.price - (2 * N * a + (N - 1) * e.f) / (2 * N * a + N * e.f)


@covers("b4_crossing")
@settings(derandomize=True, deadline=None, max_examples=6)
@given(st.integers(1, 4), st.sampled_from(["walras", "cournot"]), st.floats(0.8, 0.9))
def test_b4_crossing_is_where_the_price_meets_the_threshold(N, regime, alpha):
    """The margin price - (B4) threshold is ~0 at the crossing, negative below it and positive above."""
    par = dict(B1, alpha=alpha)
    c = call(ep.b4_crossing, N, regime, **par, refusals=ep.OutsideValidRegion)
    if c is None:  # (B4) holds throughout: the margin is negative where the valid region starts
        lo = ep.productivity_min_spread(N if regime == "cournot" else 1, regime, **par)
        assert _b4_margin(lo * (1 + 1e-6), N, regime, par) < 0
        return
    assert abs(_b4_margin(c, N, regime, par)) < 1e-10
    assert _b4_margin(c * (1 - 1e-5), N, regime, par) < 0
    try:
        above = _b4_margin(c * (1 + 1e-5), N, regime, par)
    except ep.OutsideValidRegion:  # the crossing is where the price reaches 1 (the threshold is below 1)
        return
    assert above > 0


# ---------------------------------------------------------------- Appendix D: where Cournot banks under-provide
@covers("underprovision_phi_bound")
@FAST
@given(in_range(0.0, 1.0, 1e-9))
def test_underprovision_phi_bound_is_the_tangency(beta):
    """(sqrt(1 + beta) - 1)/2 (written with expm1/log1p), where (phi + l)^2 = beta l (1 - l) has a double root."""
    phi = call(ep.underprovision_phi_bound, beta)
    assert close(phi, math.expm1(0.5 * math.log1p(beta)) / 2, 1e-14)
    b = 2 * phi - beta
    assert abs(b * b - 4 * (1 + beta) * phi * phi) <= 1e-13 * beta * beta  # zero discriminant


def _liquidity_gap(alpha, beta, R_, N, phi):
    """(Cournot minus Walrasian equilibrium liquidity, the Walrasian liquidity), each from its own solver."""
    walras = ep.liquidity_equilibrium(alpha, beta, R_, N, phi, "walras").liquidity
    return ep.liquidity_equilibrium(alpha, beta, R_, N, phi, "cournot").liquidity - walras, walras


@covers("underprovision_band")
@SLOW
@given(st.floats(0.5, 0.99), st.one_of(log_uniform(1.001, 3.0), st.floats(1.01, 1.5)), counts,
       st.one_of(st.just(0.0), st.floats(0.0, 0.999), in_range(0.0, 1.0, 1e-6)))
def test_underprovision_band_ends_equalise_the_regimes(beta, R_, N, t):
    """At the band's ends the two solvers' liquidity agree; inside Cournot banks hold less, just
    outside not less (more where the Walrasian choice is interior); at or above the phi bound
    there is no band. (phi = 0: the band reaches alpha = 1, where l = 0.)"""
    bound = ep.underprovision_phi_bound(beta)
    phi = t * bound
    band = call(ep.underprovision_band, beta, R_, phi)
    assert band is not None and 0 < band[0] < band[1] <= 1 and (band[1] < 1 or phi == 0)
    lo, hi = band
    for end in band:
        if end < 1:
            gap, _ = call(_liquidity_gap, end, beta, R_, N, phi, refusals=ep.OutsideValidRegion)
            assert abs(gap) < 1e-9
    assert _liquidity_gap((lo + hi) / 2, beta, R_, N, phi)[0] < 0
    width = hi - lo
    for alpha in (lo - 0.1 * width, hi + 0.1 * width):
        if 0 <= alpha < 0.995:
            gap, walras = _liquidity_gap(alpha, beta, R_, N, phi)
            assert gap > 0 or (gap == 0 and walras == 0)  # both at the corner l = 0
    assert call(ep.underprovision_band, beta, R_, bound * (1 + 1e-9)) is None


@covers("productivity_default_payoff")
@FAST
@given(spreads, st.integers(1, 4), st.floats(0.3, 0.999), st.lists(st.floats(0.0, 1.6), min_size=1, max_size=6))
def test_default_payoff_from_the_primitives(spread, N, t, shares):
    """A Cournot firm's payoff when the other sellers who cannot repay sell everything: the buyers'
    price by bisection on (B1) with each of the N sellers selling min(D/p, k); equal to
    productivity_payoff wherever nobody defaults."""
    r, n, a, al = B1["r"], B1["n"], B1["a"], B1["alpha"]
    A_L, A_H = B1["A_bad"] - spread / 2, B1["A_bad"] + spread / 2
    A_G = (B1["mean_A"] - (1 - al) * B1["A_bad"]) / al
    x = lambda A, k: (A - r) * k + r * n  # noqa: E731 - net cash at t = 1
    k = t * ep._solvent_top(ep._prod_params(spread, **B1))
    k_is = [s * k for s in shares]
    got = call(ep.productivity_default_payoff, k_is, k, spread, N, **B1)
    D = -x(A_L, k)  # what each other low type owes beyond its output
    for k_i, u in zip(k_is, np.atleast_1d(got)):
        cash = 2 * N * a + (N - 1) * x(A_H, k) + x(A_H, k_i)  # households' and buyers' funds
        clear = lambda p: 2 * N * p + N * min(D, p * k) - cash  # noqa: E731, B023 - rises in p
        p_h = optimize.brentq(clear, 1e-300, cash / (2 * N) + abs(D) / 2 + 1.0, xtol=1e-16, rtol=1e-15) \
            if clear(1e-300) < 0 else -1.0
        p_l = (2 * N * a + N * x(A_H, k) + (N - 1) * x(A_L, k) + x(A_L, k_i)) / (2 * N)  # own sales repay
        w = (k_i + x(A_G, k_i), k_i + x(A_L, k_i) / p_l, k_i + x(A_H, k_i) / p_h)
        ok = x(A_H, k_i) >= 0 and min(p_l, p_h, *w) > 0 and k - D / p_l > 0
        if not ok:
            assert u == -np.inf
            continue
        ref = al * math.log(w[0]) + (1 - al) / 2 * (math.log(w[1]) + math.log(w[2]))
        assert abs(u - ref) <= 1e-11 * (1 + abs(ref))
        if k - D / p_h > 0:  # nobody defaults: the payoff of the deviation set
            try:
                plain = ep.productivity_payoff(k_i, k, spread, N, "cournot", **B1)
            except ep.OutsideValidRegion:
                continue
            assert abs(plain - u) <= 1e-12 * (1 + abs(u))
