"""Fernando (2002): closed forms vs independent numerical solutions, limits, signs, bad input."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesales import fernando as F

BASE = dict(vbar=1.5, a=2.0, sigma_v=0.3, sigma_delta=0.2, sigma_eps=0.4)
NO_VBAR = {k: v for k, v in BASE.items() if k != "vbar"}


# ---------------------------------------------------------------- Lemma 1
def test_time1_market_clears_and_matches_demands():
    rng = np.random.default_rng(1)
    M = 7
    gamma, eps, X0 = rng.uniform(0, 2, M), rng.normal(0, 0.4, M), rng.uniform(0, 2, M)
    X0 = X0 * M / X0.sum()  # supply of one unit per investor
    delta, lam = 0.3, 0.2
    P1 = F.time1_price(1.5, 2.0, 0.3, delta, eps, gamma)
    X1 = F.time1_holdings(1.5, 2.0, 0.3, lam, delta, eps, gamma, X0)
    assert X1.sum() == pytest.approx(M, abs=1e-12)
    # each X1i satisfies the investor's FOC vbar + theta_i - P1 - 2 lam (X1 - X0) - a sigma_v^2 X1 = 0
    foc = 1.5 + gamma * delta + eps - P1 - 2 * lam * (X1 - X0) - 2.0 * 0.09 * X1
    assert np.max(np.abs(foc)) < 1e-12


# ---------------------------------------------------------------- Lemma 2
@pytest.mark.parametrize("lam,M", [(0.0, 10), (0.05, 10), (0.5, 3), (0.05, 1), (2.0, 50)])
def test_price0_matches_numerical_time0_solution(lam, M):
    closed = F.price0(**BASE, lam=lam, M=M)
    numeric = F.price0_numeric(**BASE, lam=lam, M=M)
    assert abs(closed - numeric) < 1e-8


@settings(max_examples=15, deadline=None)
@given(
    a=st.floats(0.5, 4),
    sv=st.floats(0.1, 0.6),
    sd=st.floats(0, 0.5),
    se=st.floats(0.01, 0.6),
    lam=st.floats(0, 2),
    M=st.integers(1, 60),
)
def test_price0_matches_quadrature_over_parameters(a, sv, sd, se, lam, M):
    assert abs(F.price0(1.0, a, sv, sd, se, lam, M) - F.price0_numeric(1.0, a, sv, sd, se, lam, M)) < 1e-8


def test_endowment_is_optimal_at_closed_form_price():
    p = F.price0(**BASE, lam=0.1, M=5)
    assert F.demand0_numeric(p, **BASE, lam=0.1, M=5) == pytest.approx(1.0, abs=1e-8)
    # demand slopes down
    assert F.demand0_numeric(p + 0.01, **BASE, lam=0.1, M=5) < 1 < F.demand0_numeric(p - 0.01, **BASE, lam=0.1, M=5)


def test_prop1_limits():
    a, sv, sd, se = 2.0, 0.3, 0.2, 0.4
    parts = F.discount_components(a, sv, sd, se, 0.0, 10**9)
    assert parts.systematic == pytest.approx(a * sd**2)
    assert parts.idiosyncratic < 1e-8  # lam = 0, M -> infinity: idiosyncratic risk unpriced
    for lam, M in [(1e9, 20), (0.3, 1)]:  # perfectly illiquid: fully priced
        assert F.illiquidity_discount(a, sv, sd, se, lam, M) == pytest.approx(a * (sd**2 + se**2), rel=1e-7)
    # the systematic part does not depend on lam or M
    assert {F.discount_components(a, sv, sd, se, lam, M).systematic for lam in (0, 1, 5) for M in (1, 7)} == {a * sd**2}


def test_benchmarks_and_normalised_price():
    b = F.price0_benchmarks(**BASE, M=10)
    assert b.perfectly_illiquid < F.price0(**BASE, lam=0.3, M=10) < b.frictionless < b.perfectly_liquid
    assert F.normalised_price0(**BASE, lam=0.0, M=10) == 1.0
    assert F.normalised_price0(**BASE, lam=0.3, M=10) < 1.0
    with pytest.raises(ValueError, match="frictionless"):
        F.normalised_price0(0.1, 2.0, 0.3, 0.2, 0.4, 0.1, 10)


@settings(max_examples=50, deadline=None)
@given(
    lam=st.floats(0, 5),
    dlam=st.floats(1e-3, 5),
    M=st.integers(2, 200),
    a=st.floats(0.1, 5),
    se=st.floats(0.01, 1),
    sd=st.floats(0, 1),
)
def test_price0_falls_with_lam_and_stays_between_limits(lam, dlam, M, a, se, sd):
    p_lo = F.price0(1.0, a, 0.3, sd, se, lam, M)
    p_hi = F.price0(1.0, a, 0.3, sd, se, lam + dlam, M)
    assert p_hi < p_lo
    phi = F.illiquidity_discount(a, 0.3, sd, se, lam, M)
    assert a * sd**2 + a * se**2 / M - 1e-12 <= phi <= a * (sd**2 + se**2) + 1e-12


# ---------------------------------------------------------------- Lemmas 3-4
def test_monte_carlo_volume_and_volatility():
    lam, M, n = 0.05, 8, 20000
    sim = F.simulate_market(**BASE, lam=lam, M=M, n=n, seed=7)
    assert sim.max_clearing_error < 1e-10
    q, se = sim.volume.mean(), sim.volume.std(ddof=1) / math.sqrt(n)
    assert abs(q - F.expected_volume(2.0, 0.3, 0.4, lam, M)) < 3 * se
    var = sim.P1.var(ddof=1)
    dev2 = (sim.P1 - sim.P1.mean()) ** 2
    assert abs(var - F.price_variance(0.2, 0.4, M)) < 3 * dev2.std(ddof=1) / math.sqrt(n)
    per = np.abs(sim.trades).mean(axis=1)
    assert abs(per.mean() - F.expected_trade_size(2.0, 0.3, 0.4, lam, M)) < 3 * per.std(ddof=1) / math.sqrt(n)


def test_volume_properties():
    assert F.expected_volume(2.0, 0.3, 0.4, 0.1, 1) == 0.0  # one investor cannot trade
    assert F.expected_volume(2.0, 0.3, 0.5, 0.1, 10) > F.expected_volume(2.0, 0.3, 0.4, 0.1, 10)
    assert F.expected_volume(2.0, 0.3, 0.4, 0.2, 10) < F.expected_volume(2.0, 0.3, 0.4, 0.1, 10)
    assert F.expected_volume(2.0, 0.3, 0.4, 0.1, 10) == pytest.approx(5 * F.expected_trade_size(2.0, 0.3, 0.4, 0.1, 10))
    assert F.price_variance(0.2, 0.4, 10) > F.price_variance(0.2, 0.4, 20)


# ---------------------------------------------------------------- Lemmas 5-7
@settings(max_examples=50, deadline=None)
@given(phi=st.floats(0.01, 0.99), sd=st.floats(0.01, 1), se=st.floats(0, 1), sv=st.floats(0.05, 1))
def test_clientele_equilibrium_properties(phi, sd, se, sv):
    mu, p = F.clientele_equilibrium(1.0, 2.0, sv, sd, se, phi)
    p1, p2 = F.clientele_valuations(1.0, 2.0, sv, sd, se)
    assert 0 < mu <= phi
    assert p1 - 1e-12 <= p <= p2 + 1e-12
    # both clienteles' FOCs (12) hold at the equilibrium holdings
    assert F.illiquid_holding(p, 1.0, 2.0, sv, sd, se, 1.0) == pytest.approx(mu / phi, rel=1e-9)
    assert F.illiquid_holding(p, 1.0, 2.0, sv, sd, se, 0.0) == pytest.approx((1 - mu) / (1 - phi), rel=1e-9)


def test_clientele_equilibrium_numeric_agrees():
    for phi in (0.1, 0.5, 0.9):
        mu, p = F.clientele_equilibrium(**BASE, phi=phi)
        mu_n, p_n = F.clientele_equilibrium_numeric(**BASE, phi=phi)
        assert abs(mu - mu_n) < 1e-10 and abs(p - p_n) < 1e-10


def test_liquid_equilibrium_closed_form_vs_quadrature():
    for phi in (0.2, 0.6):
        eq = F.liquid_equilibrium(**BASE, gammas=[1.0, 0.0], weights=[phi, 1 - phi])
        num = F.liquid_equilibrium_numeric(**BASE, gammas=[1.0, 0.0], weights=[phi, 1 - phi])
        assert abs(eq.P0 - num.P0) < 1e-8
        assert np.allclose(eq.holdings, num.holdings, atol=1e-8)
        assert phi * eq.holdings[0] + (1 - phi) * eq.holdings[1] == pytest.approx(1.0)
        # the high-exposure clientele sells at time 0: the printed X0i = 1 does not hold
        assert eq.holdings[0] < 1 < eq.holdings[1]


def test_liquid_equilibrium_three_types():
    g, w = [0.0, 0.8, 1.5], [0.3, 0.5, 0.2]
    eq = F.liquid_equilibrium(**BASE, gammas=g, weights=w)
    num = F.liquid_equilibrium_numeric(**BASE, gammas=g, weights=w)
    assert abs(eq.P0 - num.P0) < 1e-8 and np.allclose(eq.holdings, num.holdings, atol=1e-8)
    assert np.dot(w, eq.holdings) == pytest.approx(1.0)
    # holdings fall with exposure: the more exposed hedge the common shock at time 0
    assert eq.holdings[0] > eq.holdings[1] > eq.holdings[2]


def test_liquid_equilibrium_homogeneous_reduces_to_lemma2():
    eq = F.liquid_equilibrium(**BASE, gammas=[1.0], weights=[1.0])
    assert eq.holdings[0] == pytest.approx(1.0, abs=1e-12)
    assert eq.P0 == pytest.approx(F.price0_benchmarks(**BASE, M=1).perfectly_liquid, abs=1e-12)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(a=0.0), "a must"),
        (dict(a=-1.0), "a must"),
        (dict(sigma_v=-0.1), "sigma_v"),
        (dict(sigma_delta=-0.1), "sigma_delta"),
        (dict(sigma_eps=-0.1), "sigma_eps"),
        (dict(lam=-0.01), "lam"),
        (dict(lam=float("nan")), "lam"),
        (dict(M=0), "M must"),
        (dict(M=2.5), "M must"),
        (dict(M="3"), "M must"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = dict(NO_VBAR, lam=0.1, M=5) | kwargs
    with pytest.raises(ValueError, match=match):
        F.illiquidity_discount(**args)
    with pytest.raises(ValueError, match=match):
        F.price0(vbar=1.5, **args)
    vol_args = {k: v for k, v in args.items() if k != "sigma_delta"}
    if "sigma_delta" not in kwargs:
        with pytest.raises(ValueError, match=match):
            F.expected_volume(**vol_args)


@pytest.mark.parametrize("phi", [0.0, 1.0, -0.2, 1.5, float("inf")])
def test_bad_phi_raises(phi):
    with pytest.raises(ValueError, match="phi"):
        F.clientele_equilibrium(**BASE, phi=phi)


def test_bad_vbar_and_types():
    with pytest.raises(ValueError, match="vbar"):
        F.price0(float("inf"), 2.0, 0.3, 0.2, 0.4, 0.1, 5)
    with pytest.raises(ValueError, match="weights"):
        F.liquid_equilibrium(**BASE, gammas=[1.0, 0.0], weights=[0.5, 0.6])
