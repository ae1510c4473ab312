"""Fernando (2002): closed forms against independent solvers, limits, signs, Section 4, bad input."""

import math

import numpy as np
import pytest
import sympy as sp
from contract import contract_tests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from firesales import fernando as F
from firesales.fernando import _TiltedRule

BASE = dict(vbar=1.5, a=2.0, sigma_v=0.4, sigma_delta=0.2, sigma_eps=0.15)
NO_VBAR = {k: v for k, v in BASE.items() if k != "vbar"}
COV2 = [[0.16, 0.1], [0.1, 0.16]]
MULTI = dict(vbar=[1.5, 1.5], a=2.0, cov_v=COV2, cov_delta=[[0.04, 0.02], [0.02, 0.04]],
             cov_eps=[[0.0225, 0.02], [0.02, 0.0225]], lam=[1.0, 0.05], M=10)

# ---------------------------------------------------------------- input contract
CONTRACT = {
    "time1_price": dict(vbar=1.5, a=2.0, sigma_v=0.4, delta=0.1, eps=[0.1, -0.2, 0.05],
                        gamma=[1.0, 0.5, 1.5], X0=[1.0, 1.0, 1.0]),
    "time1_holdings": dict(vbar=1.5, a=2.0, sigma_v=0.4, lam=0.1, delta=0.1, eps=[0.1, -0.2, 0.05],
                           gamma=[1.0, 0.5, 1.5], X0=[0.5, 1.5, 1.0]),
    "discount_components": dict(NO_VBAR, lam=0.1, M=5),
    "illiquidity_discount": dict(NO_VBAR, lam=0.1, M=5),
    "priced_idiosyncratic_share": dict(a=2.0, sigma_v=0.4, sigma_eps=0.15, lam=0.1, M=5),
    "price0": dict(BASE, lam=0.1, M=5),
    "price0_curve": dict(BASE, lams=[0.0, 0.1, 1.0], M=5),
    "price0_benchmarks": dict(BASE, M=5),
    "normalised_price0": dict(BASE, lam=0.1, M=5),
    "time0_foc": dict(BASE, x0=1.0, P0=1.0, lam=0.1, M=5, nodes=8),
    "demand0_numeric": dict(BASE, P0=1.0, lam=0.1, M=5, nodes=8),
    "price0_numeric": dict(BASE, lam=0.1, M=5, nodes=8),
    "trade_size_sd": dict(a=2.0, sigma_v=0.4, sigma_eps=0.15, lam=0.1, M=5),
    "expected_trade_size": dict(a=2.0, sigma_v=0.4, sigma_eps=0.15, lam=0.1, M=5),
    "expected_volume": dict(a=2.0, sigma_v=0.4, sigma_eps=0.15, lam=0.1, M=5),
    "price_variance": dict(sigma_delta=0.2, sigma_eps=0.15, M=5),
    "simulate_market": dict(BASE, lam=0.1, M=5, n=10, seed=1),
    "illiquid_holding": dict(BASE, P0=1.0, gamma=1.0),
    "clientele_equilibrium": dict(BASE, phi=0.4),
    "clientele_equilibrium_numeric": dict(BASE, phi=0.4, nodes=8),
    "clientele_valuations": dict(BASE),
    "liquid_equilibrium": dict(BASE, gammas=[1.0, 0.0], weights=[0.4, 0.6]),
    "liquid_equilibrium_numeric": dict(BASE, gammas=[1.0, 0.0], weights=[0.4, 0.6], nodes=8),
    "multi_security_equilibrium": dict(MULTI, supply=[1.0, 1.0]),
    "multi_security_time1": dict(vbar=[1.5, 1.5], a=2.0, cov_v=COV2, lam=[1.0, 0.05], delta=[0.1, -0.1],
                                 eps=[[0.1, 0.0], [-0.1, 0.2], [0.0, -0.2]], X0=[[1, 1], [1, 1], [1, 1]]),
    "multi_security_price0_numeric": dict(MULTI, supply=[1.0, 1.0], nodes=4),
    "simulate_multi_market": dict(MULTI, n=5, seed=3, supply=[1.0, 1.0]),
    "symbol_tally": dict(key="eq6"),
}


test_contract_table_covers_every_public_function, test_bad_input_is_rejected = (
    contract_tests(F, CONTRACT))


@pytest.mark.parametrize(
    "kwargs,match",
    [(dict(a=0.0), "a must"), (dict(sigma_v=0.0), "sigma_v"), (dict(sigma_delta=-0.1), "sigma_delta"),
     (dict(sigma_eps=-0.1), "sigma_eps"), (dict(lam=-0.01), "lam"), (dict(M=0), "M must")],
)
def test_out_of_range_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        F.price0(**(dict(BASE, lam=0.1, M=5) | kwargs))
    with pytest.raises(ValueError, match=match):
        F.price0_numeric(**(dict(BASE, lam=0.1, M=5) | kwargs))


def test_nodes_are_bounded_below_the_overflow_of_hermegauss():
    with np.errstate(all="ignore"):
        x, w = np.polynomial.hermite_e.hermegauss(400)
    assert not np.all(np.isfinite(w))  # why more nodes is not the answer
    with pytest.raises(ValueError, match="nodes"):
        F.price0_numeric(**BASE, lam=0.1, M=5, nodes=400)


# ---------------------------------------------------------------- Lemma 1
def test_time1_market_clears_and_matches_demands():
    rng = np.random.default_rng(1)
    M = 7
    gamma, eps, X0 = rng.uniform(0, 2, M), rng.normal(0, 0.4, M), rng.uniform(0, 2, M)
    X0 = X0 * M / X0.sum()
    delta, lam = 0.3, 0.2
    P1 = F.time1_price(1.5, 2.0, 0.3, delta, eps, gamma, X0)
    X1 = F.time1_holdings(1.5, 2.0, 0.3, lam, delta, eps, gamma, X0)
    assert X1.sum() == pytest.approx(M, abs=1e-12)
    foc = 1.5 + gamma * delta + eps - P1 - 2 * lam * (X1 - X0) - 2.0 * 0.09 * X1
    assert np.max(np.abs(foc)) < 1e-12


def test_time1_price_refuses_holdings_that_do_not_sum_to_M():
    with pytest.raises(ValueError, match="X0 must sum to M"):
        F.time1_price(1.5, 2.0, 0.3, 0.1, [0.1, -0.1, 0.0], X0=[1.0, 1.0, 0.5])
    with pytest.raises(ValueError, match="X0 must sum to M"):
        F.time1_holdings(1.5, 2.0, 0.3, 0.1, 0.1, [0.1, -0.1, 0.0], X0=[2.0, 2.0, 2.0])


# ---------------------------------------------------------------- Lemma 2: price0_numeric never drifts
AUDIT_CORNERS = [(2, 0.05, 0.2, 1, 1e-3, 10), (5, 0.05, 0.5, 2, 1e-3, 50), (4, 0.1, 0.5, 0.6, 1e-3, 60)]


@pytest.mark.parametrize("a,sv,sd,se,lam,M", AUDIT_CORNERS)
def test_price0_numeric_at_the_audit_corners(a, sv, sd, se, lam, M):
    # the previous rule was off by -5.8e-3, -2.65e-2 and 3.9e-6 here, with no warning
    assert abs(F.price0(1.0, a, sv, sd, se, lam, M) - F.price0_numeric(1.0, a, sv, sd, se, lam, M)) < 1e-8


@settings(max_examples=60)
@given(
    a=st.floats(-1, math.log10(20)).map(lambda e: 10**e),
    sv=st.floats(-2, math.log10(2)).map(lambda e: 10**e),
    sd=st.floats(0, 2),
    se=st.one_of(st.just(0.0), st.floats(-3, math.log10(5)).map(lambda e: 10**e)),
    lam=st.one_of(st.just(0.0), st.floats(-8, 1).map(lambda e: 10**e)),
    M=st.integers(1, 10_000),
)
@example(a=20.0, sv=0.01, sd=2.0, se=5.0, lam=1e-8, M=10_000)  # the sharpest tilt of the range
@example(a=0.1, sv=2.0, sd=0.0, se=5.0, lam=10.0, M=1)
@example(a=4.0, sv=0.1, sd=0.5, se=0.6, lam=1e-3, M=60)
def test_price0_numeric_agrees_with_eq6_over_its_range(a, sv, sd, se, lam, M):
    assert abs(F.price0(1.0, a, sv, sd, se, lam, M) - F.price0_numeric(1.0, a, sv, sd, se, lam, M)) < 1e-8


def test_tilted_rule_raises_when_its_two_rules_disagree():
    # a weight far from Gaussian: 3 and 6 nodes cannot agree to 1e-11
    evaluate = lambda z: (-np.abs(z[:, 0]) ** 3 + 2 * np.cos(3 * z[:, 0]), z[:, :1] ** 2)  # noqa: E731
    with pytest.raises(ValueError, match="cannot vouch"):
        _TiltedRule(evaluate, 1, 3, "probe").expect()


def test_endowment_is_optimal_at_closed_form_price():
    p = F.price0(**BASE, lam=0.1, M=5)
    assert F.demand0_numeric(p, **BASE, lam=0.1, M=5) == pytest.approx(1.0, abs=1e-10)
    assert F.demand0_numeric(p + 0.01, **BASE, lam=0.1, M=5) < 1 < F.demand0_numeric(p - 0.01, **BASE, lam=0.1, M=5)
    assert F.time0_foc(1.0, p, **BASE, lam=0.1, M=5) == pytest.approx(0.0, abs=1e-12)


def test_prop1_limits_and_priced_share():
    a, sv, sd, se = 2.0, 0.3, 0.2, 0.4
    parts = F.discount_components(a, sv, sd, se, 0.0, 10**9)
    assert parts.systematic == pytest.approx(a * sd**2) and parts.idiosyncratic < 1e-8
    for lam, M in [(1e9, 20), (0.3, 1)]:
        assert F.illiquidity_discount(a, sv, sd, se, lam, M) == pytest.approx(a * (sd**2 + se**2), rel=1e-7)
    assert F.priced_idiosyncratic_share(a, sv, se, 0.0, 10) == pytest.approx(0.1)
    assert F.priced_idiosyncratic_share(a, sv, se, 1e9, 10) == pytest.approx(1.0, abs=1e-8)
    with pytest.raises(ValueError, match="sigma_eps"):
        F.priced_idiosyncratic_share(a, sv, 0.0, 0.1, 10)


def test_normalised_price_depends_on_vbar_but_the_priced_share_does_not():
    ratios = [F.normalised_price0(vb, 2, 0.3, 0.2, 0.4, 5, 10) for vb in (1.5, 3, 10)]
    assert [round(r, 3) for r in ratios] == [0.772, 0.898, 0.972]  # the audit's numbers
    with pytest.raises(ValueError, match="vbar"):
        F.normalised_price0(0.1, 2.0, 0.3, 0.2, 0.4, 0.1, 10)


@settings(max_examples=50)
@given(lam=st.floats(0, 5), dlam=st.floats(1e-3, 5), M=st.integers(2, 200), a=st.floats(0.1, 5),
       se=st.floats(0.01, 1), sd=st.floats(0, 1))
def test_price0_falls_with_lam_and_stays_between_limits(lam, dlam, M, a, se, sd):
    assert F.price0(1.0, a, 0.3, sd, se, lam + dlam, M) < F.price0(1.0, a, 0.3, sd, se, lam, M)
    phi = F.illiquidity_discount(a, 0.3, sd, se, lam, M)
    assert a * sd**2 + a * se**2 / M - 1e-12 <= phi <= a * (sd**2 + se**2) + 1e-12


# ---------------------------------------------------------------- Lemmas 3-4
def test_monte_carlo_volume_and_volatility():
    lam, M, n = 0.05, 8, 20000
    sim = F.simulate_market(**BASE, lam=lam, M=M, n=n, seed=7)
    assert sim.max_clearing_error < 1e-10
    z = lambda d, x: abs(d.mean() - x) / (d.std(ddof=1) / math.sqrt(len(d)))  # noqa: E731
    assert z(sim.volume, F.expected_volume(2.0, 0.4, 0.15, lam, M)) < 3
    assert z((sim.P1 - 1.5 + 2.0 * 0.16) ** 2, F.price_variance(0.2, 0.15, M)) < 3
    assert z(np.abs(sim.trades).mean(axis=1), F.expected_trade_size(2.0, 0.4, 0.15, lam, M)) < 3


def test_volume_properties():
    assert F.expected_volume(2.0, 0.3, 0.4, 0.1, 1) == 0.0
    assert F.expected_volume(2.0, 0.3, 0.5, 0.1, 10) > F.expected_volume(2.0, 0.3, 0.4, 0.1, 10)
    assert F.expected_volume(2.0, 0.3, 0.4, 0.2, 10) < F.expected_volume(2.0, 0.3, 0.4, 0.1, 10)
    assert F.price_variance(0.2, 0.4, 10) > F.price_variance(0.2, 0.4, 20)


# ---------------------------------------------------------------- Lemmas 5-7
@settings(max_examples=40)
@given(phi=st.floats(0.01, 0.99), sd=st.floats(0.01, 1), se=st.floats(0, 1), sv=st.floats(0.05, 1))
def test_clientele_closed_form_is_the_optimised_equilibrium(phi, sd, se, sv):
    mu, p = F.clientele_equilibrium(1.0, 2.0, sv, sd, se, phi)
    mu_n, p_n = F.clientele_equilibrium_numeric(1.0, 2.0, sv, sd, se, phi)
    assert abs(mu - mu_n) < 1e-9 and abs(p - p_n) < 1e-9
    p1, p2 = F.clientele_valuations(1.0, 2.0, sv, sd, se)
    assert 0 < mu <= phi and p1 - 1e-12 <= p <= p2 + 1e-12


@pytest.mark.parametrize("sd", [1e-2, 1e-4, 1e-6, 1e-8, 0.0])
def test_liquid_equilibrium_clears_without_cancellation(sd):
    # previously: 1.05e-4 off clearing at 1e-6, holdings summing to 0 at 1e-8, no error
    eq = F.liquid_equilibrium(1.5, 2.0, 0.3, sd, 0.4, [1.0, 0.0], [0.4, 0.6])
    assert abs(0.4 * eq.holdings[0] + 0.6 * eq.holdings[1] - 1) < 1e-14
    S = 0.09 + 0.16
    limit = [1 - (g - 0.4) / 0.4 * 0.09 / S for g in (1.0, 0.0)]  # sigma_delta -> 0
    assert np.allclose(eq.holdings, limit, atol=2 * sd**2 + 1e-14)


def test_liquid_equilibrium_closed_form_vs_quadrature():
    for g, w in (([1.0, 0.0], [0.2, 0.8]), ([1.0, 0.0], [0.6, 0.4]), ([0.0, 0.8, 1.5], [0.3, 0.5, 0.2])):
        eq = F.liquid_equilibrium(**BASE, gammas=g, weights=w)
        num = F.liquid_equilibrium_numeric(**BASE, gammas=g, weights=w)
        assert abs(eq.P0 - num.P0) < 1e-10 and np.allclose(eq.holdings, num.holdings, atol=1e-8)
        assert np.dot(w, eq.holdings) == pytest.approx(1.0, abs=1e-13)
        assert np.dot(w, eq.exposures) == pytest.approx(np.dot(w, g))  # the common shock is borne in full
    two = F.liquid_equilibrium(**BASE, gammas=[1.0, 0.0], weights=[0.5, 0.5])
    mu = F.clientele_equilibrium(**BASE, phi=0.5)[0]
    assert two.holdings[0] < mu / 0.5 < 1 < two.holdings[1]  # Lemma 5's X0 = 1 fails, and hedging is larger


def test_liquid_equilibrium_one_type_is_the_printed_price():
    for g in (1.0, 0.7):
        eq = F.liquid_equilibrium_numeric(**BASE, gammas=[g], weights=[1.0])
        assert eq.holdings == (1.0,) and abs(eq.P0 - eq.printed_P0) < 1e-10


def test_bad_types():
    with pytest.raises(ValueError, match="weights"):
        F.liquid_equilibrium(**BASE, gammas=[1.0, 0.0], weights=[0.5, 0.6])
    with pytest.raises(ValueError, match="gammas"):
        F.liquid_equilibrium(**BASE, gammas=[0.0, 0.0], weights=[0.5, 0.5])


# ---------------------------------------------------------------- Section 4
def test_one_security_market_is_the_single_security_model():
    e = F.multi_security_equilibrium(1.5, 2.0, [[0.16]], [[0.04]], [[0.0225]], 0.05, 10)
    assert e.price0[0] == pytest.approx(F.price0(**BASE, lam=0.05, M=10), abs=1e-14)
    assert e.expected_volume[0] == pytest.approx(F.expected_volume(2.0, 0.4, 0.15, 0.05, 10), abs=1e-14)
    assert e.price1_cov[0, 0] == pytest.approx(F.price_variance(0.2, 0.15, 10))


@settings(max_examples=25)
@given(seed=st.integers(0, 10**6), K=st.integers(1, 3), M=st.integers(1, 200))
def test_multi_security_closed_form_vs_quadrature(seed, K, M):
    rng = np.random.default_rng(seed)

    def cov(scale):
        L = rng.normal(size=(K, K)) * scale
        return L @ L.T

    lam = 10 ** rng.uniform(-4, 1, K) * (rng.random(K) < 0.8)
    args = dict(vbar=1.0, a=float(10 ** rng.uniform(-1, 1)), cov_v=cov(0.3) + 1e-3 * np.eye(K),
                cov_delta=cov(0.2), cov_eps=cov(0.3), lam=lam, M=M)
    gap = F.multi_security_equilibrium(**args).price0 - F.multi_security_price0_numeric(**args)
    assert np.max(np.abs(gap)) < 1e-9


def test_multi_security_monte_carlo():
    e = F.multi_security_equilibrium(**MULTI)
    sim = F.simulate_multi_market(**MULTI, n=8000, seed=11)
    assert np.allclose(sim.trades.sum(axis=1), 0.0, atol=1e-10)  # trades net out
    se_vol = sim.volume.std(axis=0, ddof=1) / math.sqrt(8000)
    assert np.all(np.abs(sim.volume.mean(axis=0) - e.expected_volume) < 3 * se_vol)
    assert np.allclose(np.cov(sim.P1.T), e.price1_cov, atol=4e-3)


def test_time1_clears_and_common_shock_creates_no_trade():
    eps = np.array([[0.1, 0.0], [-0.1, 0.2], [0.0, -0.2]])
    P1a, X1a = F.multi_security_time1([1.5, 1.5], 2.0, COV2, [1.0, 0.05], [0.0, 0.0], eps)
    P1b, X1b = F.multi_security_time1([1.5, 1.5], 2.0, COV2, [1.0, 0.05], [0.3, -0.2], eps)
    assert np.allclose(X1a.sum(axis=0), 3.0) and np.allclose(X1a, X1b, atol=1e-13)
    assert np.allclose(P1b - P1a, [0.3, -0.2])


def test_identical_liquid_twin_removes_the_illiquidity_discount():
    ones = np.ones((2, 2))
    args = dict(vbar=1.5, a=2.0, cov_v=0.16 * ones, cov_delta=0.04 * ones, cov_eps=0.0225 * ones, M=10)
    twin = F.multi_security_equilibrium(**args, lam=[5.0, 0.0])
    frictionless = 1.5 - 2.0 * (0.16 + 0.04 + 0.0225 / 10) * 2
    assert np.allclose(twin.price0, frictionless, atol=1e-12)
    with pytest.raises(ValueError, match="positive definite"):
        F.multi_security_equilibrium(**args, lam=[0.0, 0.0])


def test_uncorrelated_payoffs_no_transmission_but_correlated_shocks_do():
    base = dict(vbar=1.5, a=2.0, cov_v=0.16 * np.eye(2), cov_delta=[[0.04, 0.03], [0.03, 0.04]],
                cov_eps=0.0225 * np.eye(2), M=10)
    p = [F.multi_security_equilibrium(**base, lam=[0.05, l2]).price0[0] for l2 in (0.0, 1.0, 100.0)]
    assert np.ptp(p) < 1e-14
    corr = base | dict(cov_eps=[[0.0225, 0.02], [0.02, 0.0225]])
    q = [F.multi_security_equilibrium(**corr, lam=[0.05, l2]).price0[0] for l2 in (0.0, 100.0)]
    assert q[1] < q[0] - 1e-4


def test_priced_share_refuses_securities_without_idiosyncratic_risk():
    e = F.multi_security_equilibrium(**MULTI | dict(cov_eps=[[0.0225, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="priced_share"):
        e.priced_share()


def test_shape_mismatches_are_refused():
    with pytest.raises(ValueError, match="cov_delta"):
        F.multi_security_equilibrium(**MULTI | dict(cov_delta=[[0.04]]))
    with pytest.raises(ValueError, match="lam"):
        F.multi_security_equilibrium(**MULTI | dict(lam=[0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match="cov_v"):
        F.multi_security_equilibrium(**MULTI | dict(cov_v=[[0.16, 0.2], [0.1, 0.16]]))


# ---------------------------------------------------------------- our copy's garbled equations
def test_readings_fit_the_fragments():
    for key in F.GARBLED:
        frag, read = F.symbol_tally(key)
        assert set(frag) == set(read), key
        off = {c for c in frag if frag[c] != read[c]}
        assert off == ({"φ"} if key == "eq16" else set()), (key, frag, read)


def test_readings_parse_and_eq6_is_the_closed_form():
    names = "vbar a sigma_v sigma_delta sigma_eps M lam phi mu X0 X1 P0 P1 theta W0 v delta eps_i eps_A gamma_i gamma_A X0i"
    sym = {n: sp.Symbol(n) for n in names.split()}
    for key, g in F.GARBLED.items():
        for expr in g.exprs.values():
            assert isinstance(sp.sympify(expr, locals=sym), sp.Expr), key
    p0 = sp.lambdify([sym[n] for n in "vbar a sigma_v sigma_delta sigma_eps lam M".split()],
                     sp.sympify(F.GARBLED["eq6"].exprs["P0"], locals=sym))
    assert p0(1.5, 2.0, 0.4, 0.2, 0.15, 0.05, 10) == pytest.approx(F.price0(**BASE, lam=0.05, M=10), abs=1e-14)


# ---------------------------------------------------------------- every function right or refusing (issue 23)
def _scaled(c):
    """MULTI in money units scaled by c: payoffs and prices × c, covariances × c², a / c, lam × c."""
    return dict(vbar=[1.5 * c, 1.5 * c], a=2.0 / c, cov_v=np.array(COV2) * c**2,
                cov_delta=np.array(MULTI["cov_delta"]) * c**2, cov_eps=np.array(MULTI["cov_eps"]) * c**2,
                lam=np.array(MULTI["lam"]) * c, M=10)


@pytest.mark.parametrize("c", [1e-6, 1e6])
def test_a_model_in_other_units_gives_the_same_answer_in_those_units(c):
    """Issue 23: absolute thresholds dropped variances below 1e-13: at c = 1e-6 the quadrature gave
    1.08/1.22 for 0.947/1.109 (per unit) and the simulated volume 1.1e-15 for 1.1."""
    base, scaled = _scaled(1.0), _scaled(c)
    eq, eq_c = F.multi_security_equilibrium(**base), F.multi_security_equilibrium(**scaled)
    assert np.allclose(eq_c.price0 / c, eq.price0, rtol=1e-12)
    assert np.allclose(F.multi_security_price0_numeric(**scaled) / c, eq.price0, rtol=1e-10)
    sim, sim_c = F.simulate_multi_market(**base, n=50, seed=1), F.simulate_multi_market(**scaled, n=50, seed=1)
    assert np.allclose(sim_c.volume, sim.volume, rtol=1e-9)  # holdings do not change with money units
    assert np.allclose(sim_c.P1 / c, sim.P1, rtol=1e-9)
    one = dict(vbar=1.5 * c, a=2.0 / c, sigma_v=0.4 * c, sigma_delta=0.2 * c, sigma_eps=0.15 * c)
    assert F.price0_numeric(**one, lam=0.1 * c, M=5) / c == pytest.approx(F.price0(**BASE, lam=0.1, M=5), rel=1e-12)
    liq = F.liquid_equilibrium_numeric(**one, gammas=[1.0, 0.0], weights=[0.4, 0.6], nodes=8)
    ref = F.liquid_equilibrium(**BASE, gammas=[1.0, 0.0], weights=[0.4, 0.6])
    assert liq.P0 / c == pytest.approx(ref.P0, rel=1e-10)
    assert F.clientele_equilibrium_numeric(**one, phi=0.4)[0] == pytest.approx(
        F.clientele_equilibrium(**BASE, phi=0.4)[0], rel=1e-10)
    # a "covariance" with correlation 3 is refused at every scale
    for name in ("cov_v", "cov_delta", "cov_eps"):
        with pytest.raises(ValueError, match=name):
            F.multi_security_equilibrium(**{**scaled, name: np.array([[1.0, 3.0], [3.0, 1.0]]) * c**2})


def test_multi_security_quadrature_refuses_grids_it_cannot_hold():
    """Issue 23: K = 4 at nodes = 16 took seconds (the referee: 5.7 s), 32 and 64 ran out of memory."""
    import time

    C = np.eye(4) * 0.1 + 0.02
    args = (1.5, 2.0, C, C * 0.5, C, [0.1] * 4, 5)
    for nodes in (16, 32, 64):
        start = time.process_time()
        with pytest.raises(ValueError, match="nodes <= 8"):
            F.multi_security_price0_numeric(*args, nodes=nodes)
        assert time.process_time() - start < 1.0
    closed = F.multi_security_equilibrium(*args).price0
    assert np.allclose(F.multi_security_price0_numeric(*args, nodes=6), closed, rtol=1e-10)


def test_clientele_quadrature_is_right_or_refuses_at_tiny_risk_aversion():
    """Issue 23: a = 1e-15 gave mu = 0.406 for 0.354; the premia were lost next to vbar."""
    for a in (1e-5, 1e-3, 1.0, 50.0):
        num = F.clientele_equilibrium_numeric(1.5, a, 0.4, 0.2, 0.15, 0.4)
        ref = F.clientele_equilibrium(1.5, a, 0.4, 0.2, 0.15, 0.4)
        assert num[0] == pytest.approx(ref[0], rel=1e-9) and num[1] == pytest.approx(ref[1], rel=1e-12)
    with pytest.raises(ValueError, match="clientele_equilibrium"):
        F.clientele_equilibrium_numeric(1.5, 1e-15, 0.4, 0.2, 0.15, 0.4)


def test_extreme_parameters_raise_value_errors():
    """Issue 23: OverflowError at sigma >= 1.4e154, price0 = -inf at 1e154, ZeroDivisionError,
    MemoryError for huge simulations."""
    for s in (1e154, 1.4e154, 1e200):
        with pytest.raises(ValueError, match="double precision|not finite"):
            F.price0(1.5, 2.0, s, 0.2, 0.15, 0.1, 5)
        with pytest.raises(ValueError, match="double precision|not finite"):
            F.price0(1.5, 2.0, 0.4, s, 0.15, 0.1, 5)
    with pytest.raises(ValueError, match="double precision"):
        F.trade_size_sd(1e-200, 1e-200, 0.1, 0.0, 5)
    with pytest.raises(ValueError, match="draws"):
        F.simulate_market(**BASE, lam=0.1, M=10**7, n=1000, seed=1)
    with pytest.raises(ValueError, match="draws"):
        F.simulate_multi_market(**MULTI, n=10**7, seed=1)


def test_clientele_valuations_by_direct_quadrature():
    """(17) independently: the price at which holding the endowment (one unit) is optimal in the
    one-period CARA problem, P = E[Y e^{-aY}] / E[e^{-aY}] with Y = v + gamma delta + eps, by a
    3-d tensor Gauss-Hermite rule over the three shocks (no variance formula used)."""
    x, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    for vbar, a, sv, sd, se in ((1.5, 2.0, 0.4, 0.2, 0.15), (0.0, 0.5, 1.0, 0.7, 0.0), (3.0, 7.0, 0.1, 0.3, 0.2)):
        refs = []
        for gamma in (1.0, 0.0):
            Y = vbar + sv * x[:, None, None] + gamma * sd * x[None, :, None] + se * x[None, None, :]
            W = w[:, None, None] * w[None, :, None] * w[None, None, :] * np.exp(-a * (Y - vbar))
            refs.append(float((W * Y).sum() / W.sum()))
        assert np.allclose(F.clientele_valuations(vbar, a, sv, sd, se), refs, rtol=1e-12, atol=1e-12)


def test_liquid_exposures_are_the_loadings_of_the_certainty_equivalent():
    """The exposures of liquid_equilibrium, independently: the time-1 certainty equivalent of a
    type holding X0, X0 P1 + max_X1 [X1 s - b X1^2 / 2] with P1 = vbar - b + gamma_A delta and
    s = (gamma - gamma_A) delta + eps + b (lam = 0, M -> infinity), maximised numerically and
    differentiated in delta at delta = eps = 0."""
    from scipy import optimize

    vbar, a, sv, sd, se = 1.5, 2.0, 0.4, 0.2, 0.15
    b = a * sv**2
    for g, wts in (([1.0, 0.0], [0.4, 0.6]), ([0.0, 0.8, 1.5], [0.3, 0.5, 0.2])):
        eq = F.liquid_equilibrium(vbar, a, sv, sd, se, g, wts)
        gA = float(np.dot(g, wts))
        for gamma, X0, exposure in zip(g, eq.holdings, eq.exposures):
            def ce(delta):
                s = (gamma - gA) * delta + b
                best = optimize.minimize_scalar(lambda X1: -(X1 * s - b * X1**2 / 2), bracket=(0.0, 2.0), tol=1e-12)
                return X0 * (vbar - b + gA * delta) - best.fun
            h = 1e-4
            assert (ce(h) - ce(-h)) / (2 * h) == pytest.approx(exposure, abs=1e-7)


def test_price0_numeric_with_a_transaction_cost_far_above_the_risk_premium():
    """The marginal value 2 lam dX multiplies the time-1 trade by lam: the trade is now bisected
    itself (relative precision), not the holding. Before: 8.9e-7 of the price's scale off at
    lam = 1000, a sigma_v^2 = 1e-6, M = 1 (-1.00000089e-6 for -1e-6) and 1.8e-9 at M = 5."""
    for args in [(0.0, 0.01, 0.01, 0.0, 0.0, 1000.0, 1), (0.0, 0.01, 0.01, 0.0, 0.15, 1000.0, 5)]:
        scale = args[1] * (args[2] ** 2 + args[3] ** 2 + args[4] ** 2)
        assert abs(F.price0_numeric(*args) - F.price0(*args)) <= 1e-12 * scale


@pytest.mark.parametrize("phi", [0.0, 1.0, 1.005, -0.005])
def test_clientele_share_outside_the_open_unit_interval_is_refused(phi):
    """phi in (0, 1) (a 1% widened bound survived mutation testing)."""
    for f in (F.clientele_equilibrium, F.clientele_equilibrium_numeric):
        with pytest.raises(ValueError, match="phi"):
            f(**BASE, phi=phi)
