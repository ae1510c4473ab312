"""Properties of every public function of firesales.fernando over its documented valid range.

Parameters are drawn log-uniformly over many orders of magnitude (down to the bounds, with the
ends drawn often), and every model is also solved in other money units (payoffs, prices and
standard deviations × c, risk aversion / c, transaction cost × c), which must give the same
answer in those units. Every call runs under a CPU-time limit and may only raise a
``ValueError`` (a refusal that says why); anything else fails the test. The identities are
computed without the function under test: each closed form against its quadrature or
Monte Carlo twin, investors' first-order conditions and market clearing recomputed here,
and the bounds the paper states (Prop. 1's limits, Lemma 7's bracket).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from firesales import fernando as F
from contract import call_or_refusal as call  # a refusal is returned, anything else fails

FAST = settings(derandomize=True, deadline=None, max_examples=25, database=None)




def ok(value):
    assert not isinstance(value, ValueError), f"refused inside its valid range: {value}"
    return value


def loguniform(lo: float, hi: float):
    inner = st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)
    return st.one_of(st.sampled_from([lo, hi]), inner, inner, inner)


def sd_or_zero(lo: float, hi: float):
    return st.one_of(st.just(0.0), loguniform(lo, hi))


@st.composite
def markets(draw, sd_lo=1e-3):
    """(vbar, a, sigma_v, sigma_delta, sigma_eps, lam, M) in unit money, and a unit scale c."""
    return dict(
        vbar=draw(st.floats(-5, 5)),
        a=draw(loguniform(1e-2, 50.0)),
        sigma_v=draw(loguniform(1e-2, 3.0)),
        sigma_delta=draw(sd_or_zero(sd_lo, 2.0)),
        sigma_eps=draw(sd_or_zero(sd_lo, 3.0)),
    ), draw(st.one_of(st.just(0.0), loguniform(1e-6, 1e3))), draw(st.one_of(st.sampled_from([1, 2]), st.integers(1, 10**6))), draw(loguniform(1e-6, 1e6))


def in_units(p: dict, c: float) -> dict:
    """The same model with money in units scaled by c."""
    out = {k: v * c for k, v in p.items() if k in ("vbar", "sigma_v", "sigma_delta", "sigma_eps")}
    return {**out, "a": p["a"] / c}


def price_scale(p: dict) -> float:
    return abs(p["vbar"]) + p["a"] * (p["sigma_v"] ** 2 + p["sigma_delta"] ** 2 + p["sigma_eps"] ** 2)


# ------------------------------------------------------------------ Lemma 2 and Prop. 1
@FAST
@given(markets())
def test_price0_closed_form_quadrature_units_and_limits(m):
    """price0 (6) against price0_numeric (quadrature with numerical time-1 maximisation), the same in
    other units; Φ's parts add up; Prop. 1's limits bracket P0 and P0 falls with lam; the priced
    share lies in [1/M, 1]; price0_curve and normalised_price0 agree with price0."""
    p, lam, M, c = m
    P0 = ok(call(F.price0, **p, lam=lam, M=M))
    scale = price_scale(p)
    parts = ok(call(F.discount_components, **{k: v for k, v in p.items() if k != "vbar"}, lam=lam, M=M))
    assert parts.systematic == pytest.approx(p["a"] * p["sigma_delta"] ** 2, rel=1e-14)
    assert abs(parts.systematic + parts.idiosyncratic - parts.total) <= 1e-15 * scale
    assert call(F.illiquidity_discount, **{k: v for k, v in p.items() if k != "vbar"}, lam=lam, M=M) == parts.total
    assert abs(P0 - (p["vbar"] - p["a"] * p["sigma_v"] ** 2 - parts.total)) <= 1e-14 * scale
    num = call(F.price0_numeric, **p, lam=lam, M=M)
    event("price0_numeric " + ("refused" if isinstance(num, ValueError) else "solved"))
    if not isinstance(num, ValueError):
        assert abs(num - P0) <= 1e-9 * scale
    assert ok(call(F.price0, **in_units(p, c), lam=lam * c, M=M)) / c == pytest.approx(P0, abs=1e-12 * scale)
    b = ok(call(F.price0_benchmarks, **p, M=M))
    assert b.perfectly_illiquid - 1e-14 * scale <= P0 <= b.frictionless + 1e-14 * scale
    assert b.frictionless <= b.perfectly_liquid + 1e-14 * scale
    # Prop. 1's limits from price0 itself: lam = 0 is frictionless; with one investor nobody can
    # trade (perfectly illiquid, any lam); lam = 0 and M -> infinity is perfectly liquid
    assert b.frictionless == pytest.approx(ok(call(F.price0, **p, lam=0.0, M=M)), abs=1e-14 * scale)
    assert b.perfectly_illiquid == pytest.approx(ok(call(F.price0, **p, lam=lam, M=1)), abs=1e-14 * scale)
    assert b.perfectly_liquid == pytest.approx(ok(call(F.price0, **p, lam=0.0, M=10**15)), abs=1e-12 * scale)
    curve = ok(call(F.price0_curve, **p, lams=[lam, 2 * lam + 1e-3], M=M))
    assert curve[0] == P0 and curve[1] <= P0 + 1e-14 * scale
    if p["sigma_eps"] > 0:
        share = ok(call(F.priced_idiosyncratic_share, p["a"], p["sigma_v"], p["sigma_eps"], lam, M))
        assert 1 / M - 1e-12 <= share <= 1 + 1e-12
        assert share == pytest.approx(parts.idiosyncratic / (p["a"] * p["sigma_eps"] ** 2), rel=1e-12)
    norm = call(F.normalised_price0, **p, lam=lam, M=M)
    if b.frictionless > 0:
        assert norm == pytest.approx(P0 / b.frictionless, rel=1e-14)
    else:
        assert isinstance(norm, ValueError)


@settings(derandomize=True, deadline=None, max_examples=8, database=None)
@given(markets(sd_lo=1e-2))
def test_time0_first_order_condition_holds_at_the_endowment(m):
    """At the price of (6) the numerically integrated time-0 FOC vanishes at X0 = 1, is decreasing in
    X0, and demand0_numeric returns the endowment."""
    p, lam, M, _ = m
    P0 = ok(call(F.price0, **p, lam=lam, M=M))
    scale = price_scale(p)
    foc = call(F.time0_foc, 1.0, P0, **p, lam=lam, M=M)
    if isinstance(foc, ValueError):
        event("quadrature refused")
        return
    assert abs(foc) <= 1e-9 * scale
    slope = ok(call(F.time0_foc, 1.5, P0, **p, lam=lam, M=M)) - foc
    assert slope <= 1e-12 * scale and (slope < 0 or p["sigma_delta"] == 0)  # concave; flat without common risk
    demand = call(F.demand0_numeric, P0, **p, lam=lam, M=M)
    if slope < 0:  # a flat FOC makes every holding optimal: a refusal is right there
        assert ok(demand) == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------ Lemmas 1, 3, 4 by simulation and FOCs
@FAST
@given(markets(), st.integers(0, 10**6))
def test_time1_market_and_monte_carlo_of_eqs_8_to_10(m, seed):
    """time1_holdings solve each investor's FOC and clear the market at time1_price; simulate_market's
    trades have the variance of eq. (8), mean size (9), volume (10) and price variance (Lemma 4)
    within 6 standard errors, and the same draws in other units give the same trades."""
    p, lam, M, c = m
    M = min(M, 40)
    rng = np.random.default_rng(seed)
    eps, gamma = rng.standard_normal(M) * p["sigma_eps"], rng.uniform(0, 2, M)
    X0 = rng.uniform(0.2, 2.0, M)
    X0 = X0 * M / X0.sum()
    delta = 0.7 * p["sigma_delta"]
    P1 = ok(call(F.time1_price, p["vbar"], p["a"], p["sigma_v"], delta, eps, gamma, X0))
    X1 = ok(call(F.time1_holdings, p["vbar"], p["a"], p["sigma_v"], lam, delta, eps, gamma, X0))
    foc = p["vbar"] + gamma * delta + eps - P1 - 2 * lam * (X1 - X0) - p["a"] * p["sigma_v"] ** 2 * X1
    assert np.max(np.abs(foc)) <= 1e-9 * (price_scale(p) + lam * np.max(np.abs(X1 - X0)) + 1e-300)
    assert abs(X1.sum() - M) <= 1e-9 * M * max(1.0, np.max(np.abs(X1)))
    n = 400
    sim = ok(call(F.simulate_market, **p, lam=lam, M=M, n=n, seed=seed))
    assert np.max(np.abs(sim.trades.sum(axis=1))) <= 1e-9 * M * max(1.0, np.max(np.abs(sim.trades)))
    sd = ok(call(F.trade_size_sd, p["a"], p["sigma_v"], p["sigma_eps"], lam, M))
    if M > 1 and p["sigma_eps"] > 0:
        k = n * (M - 1)  # independent deviations per simulation (trades sum to 0 in each market)
        var = float(np.mean(sim.trades**2))  # E[dX^2] = (M - 1)/M sigma_eps^2 / D^2 is the variance of (8)
        assert abs(var / sd**2 - 1) <= 6 * math.sqrt(2 / k)
        size = ok(call(F.expected_trade_size, p["a"], p["sigma_v"], p["sigma_eps"], lam, M))
        assert abs(float(np.mean(np.abs(sim.trades))) / size - 1) <= 6 * math.sqrt(0.58 / k)
        vol = ok(call(F.expected_volume, p["a"], p["sigma_v"], p["sigma_eps"], lam, M))
        assert vol == pytest.approx(M / 2 * size, rel=1e-14)
        assert abs(float(np.mean(sim.volume)) / vol - 1) <= 6 * math.sqrt(0.58 / n)
    else:
        assert sd == 0.0 and np.max(np.abs(sim.trades)) <= 1e-9  # M = 1 or no idiosyncratic shock: no trade
    pv = ok(call(F.price_variance, p["sigma_delta"], p["sigma_eps"], M))
    if pv > 0:
        assert abs(float(np.var(sim.P1, ddof=1)) / pv - 1) <= 6 * math.sqrt(2 / n)
    other = ok(call(F.simulate_market, **in_units(p, c), lam=lam * c, M=M, n=n, seed=seed))
    # holdings are in units of the endowment: 1e-9 of it (the clearing check's own tolerance)
    assert np.allclose(other.trades, sim.trades, rtol=1e-9, atol=1e-9 * max(1.0, np.max(np.abs(sim.trades))))
    assert np.allclose(other.P1 / c, sim.P1, rtol=1e-9, atol=1e-9 * price_scale(p))


# ------------------------------------------------------------------ Lemmas 5-7
@FAST
@given(markets(sd_lo=1e-2), loguniform(1e-3, 0.999), loguniform(1e-6, 1e6))
def test_clientele_equilibrium_quadrature_clearing_bracket_and_units(m, phi, c):
    """(16) against direct optimisation by quadrature (or a refusal only where a·σ < 1e-6); the two
    clienteles' one-period demands (12) at P0 clear the market and give mu; mu ≤ phi; Lemma 7's
    bracket P0^1 ≤ P0 ≤ P0^2 with clientele_valuations; the same in other units."""
    p, _, _, _ = m
    mu, P0 = ok(call(F.clientele_equilibrium, **p, phi=phi))
    scale = price_scale(p)
    x1 = ok(call(F.illiquid_holding, P0, **p, gamma=1.0))
    x2 = ok(call(F.illiquid_holding, P0, **p, gamma=0.0))
    # (12) takes P0: vbar − P0 carries a relative rounding error eps (|vbar| + |P0|) / |vbar − P0|
    cond = 4 * np.finfo(float).eps * (abs(p["vbar"]) + abs(P0)) / abs(p["vbar"] - P0)
    assert abs(phi * x1 + (1 - phi) * x2 - 1) <= (1e-12 + cond) * max(1.0, abs(phi * x1) + abs((1 - phi) * x2))
    assert abs(phi * x1 - mu) <= (1e-12 + cond) * max(1.0, abs(phi * x1))
    assert 0 < mu <= phi * (1 + 1e-15)
    P01, P02 = ok(call(F.clientele_valuations, **p))
    assert P01 - 1e-14 * scale <= P0 <= P02 + 1e-14 * scale
    num = call(F.clientele_equilibrium_numeric, **p, phi=phi)
    risk = p["a"] * math.sqrt(p["sigma_v"] ** 2 + p["sigma_delta"] ** 2 + p["sigma_eps"] ** 2)
    if isinstance(num, ValueError):
        assert risk < F.MIN_RISK
    else:
        assert num[0] == pytest.approx(mu, rel=1e-8, abs=1e-12) and abs(num[1] - P0) <= 1e-9 * scale
    mu_c, P0_c = ok(call(F.clientele_equilibrium, **in_units(p, c), phi=phi))
    assert mu_c == pytest.approx(mu, rel=1e-12) and P0_c / c == pytest.approx(P0, abs=1e-12 * scale)


@FAST
@given(markets(sd_lo=1e-2), st.lists(st.tuples(st.one_of(st.just(0.0), loguniform(1e-2, 3.0)), st.floats(0.05, 1)),
                                      min_size=1, max_size=3))
def test_liquid_equilibrium_quadrature_clearing_and_units(m, types):
    """Lemma 5 re-derived against quadrature with numerical time-1 maximisation and Newton; holdings
    clear, exposures add up to gamma_A (the common shock is borne in full), the derived price is
    at least the printed one; the same in other units."""
    p, _, _, c = m
    g = [t[0] for t in types]
    w = np.array([t[1] for t in types])
    w = list(w / w.sum())
    if p["sigma_delta"] == 0:  # the quadrature twin needs sigma_delta > 0: use the edge of the range instead
        p = {**p, "sigma_delta": 1e-2}
    if np.dot(w, g) <= 1e-3:  # Lemma 5 needs gamma_A > 0
        assert isinstance(call(F.liquid_equilibrium, **p, gammas=g, weights=w), ValueError) or np.dot(w, g) > 0
        return
    eq = ok(call(F.liquid_equilibrium, **p, gammas=g, weights=w))
    scale = price_scale(p)
    assert abs(np.dot(w, eq.holdings) - 1) <= 1e-12 * max(1.0, np.dot(w, np.abs(eq.holdings)))
    assert abs(np.dot(w, eq.exposures) - np.dot(w, g)) <= 1e-12 * max(1.0, np.dot(w, np.abs(eq.exposures)))
    assert eq.P0 >= eq.printed_P0 - 1e-14 * scale
    one = ok(call(F.liquid_equilibrium, **p, gammas=[g[0] + 0.5], weights=[1.0]))  # one type: X0 = 1
    assert one.holdings == pytest.approx((1.0,), abs=1e-14) and one.P0 == pytest.approx(one.printed_P0, abs=1e-14 * scale)
    num = call(F.liquid_equilibrium_numeric, **p, gammas=g, weights=w, nodes=8)
    event("liquid numeric " + (f"refused: {str(num)[:60]}" if isinstance(num, ValueError) else "solved"))
    if not isinstance(num, ValueError):
        assert abs(num.P0 - eq.P0) <= 1e-8 * scale
    other = ok(call(F.liquid_equilibrium, **in_units(p, c), gammas=g, weights=w))
    assert other.P0 / c == pytest.approx(eq.P0, abs=1e-12 * scale)
    assert np.allclose(other.holdings, eq.holdings, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ Section 4
@st.composite
def multi_markets(draw):
    K = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 10**6))
    rng = np.random.default_rng(seed)

    def cov(size):
        A = rng.standard_normal((K, K)) * size
        return A @ A.T

    return dict(
        vbar=list(rng.uniform(-2, 2, K)), a=draw(loguniform(1e-2, 20.0)),
        cov_v=cov(draw(loguniform(1e-2, 2.0))) + np.eye(K) * 1e-3, cov_delta=cov(draw(loguniform(1e-3, 1.0))),
        cov_eps=cov(draw(loguniform(1e-3, 2.0))), lam=list(rng.uniform(0, 1, K) * draw(loguniform(1e-4, 1e2))),
        M=draw(st.one_of(st.just(1), st.integers(2, 10**4))),
    ), draw(loguniform(1e-6, 1e6)), seed


def multi_in_units(p: dict, c: float) -> dict:
    return {**p, "vbar": [v * c for v in p["vbar"]], "a": p["a"] / c, "cov_v": p["cov_v"] * c**2,
            "cov_delta": p["cov_delta"] * c**2, "cov_eps": p["cov_eps"] * c**2, "lam": [x * c for x in p["lam"]]}


@settings(derandomize=True, deadline=None, max_examples=15, database=None)
@given(multi_markets())
def test_multi_security_closed_form_quadrature_clearing_and_units(m):
    """Section 4 rebuilt: the closed form against quadrature with a linear solve at every node; each
    investor's K first-order conditions and clearing at multi_security_time1's prices; simulated
    trades clear and their volume matches the closed form within 6 standard errors; K = 1 is the
    one-security model; the same in other units."""
    p, c, seed = m
    K = len(p["vbar"])
    eq = ok(call(F.multi_security_equilibrium, **p))
    scale = float(np.max(np.abs(p["vbar"]))) + p["a"] * float(np.max(np.abs(p["cov_v"]) + np.abs(p["cov_delta"]) + np.abs(p["cov_eps"])))
    num = call(F.multi_security_price0_numeric, **p)
    event("multi quadrature " + ("refused" if isinstance(num, ValueError) else "solved"))
    if not isinstance(num, ValueError):
        assert np.max(np.abs(num - eq.price0)) <= 1e-9 * scale
    other = ok(call(F.multi_security_equilibrium, **multi_in_units(p, c)))
    assert np.allclose(other.price0 / c, eq.price0, rtol=0, atol=1e-11 * scale)
    assert np.allclose(other.expected_volume, eq.expected_volume, rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(seed)
    M = min(p["M"], 30)
    eps = rng.standard_normal((M, K)) @ np.linalg.cholesky(p["cov_eps"] + 1e-12 * np.eye(K)).T
    delta = rng.standard_normal(K) @ np.linalg.cholesky(p["cov_delta"] + 1e-12 * np.eye(K)).T
    P1, X1 = ok(call(F.multi_security_time1, p["vbar"], p["a"], p["cov_v"], p["lam"], delta, eps))
    foc = np.array(p["vbar"]) + delta + eps - P1 - 2 * np.array(p["lam"]) * (X1 - 1) - p["a"] * X1 @ p["cov_v"]
    assert np.max(np.abs(foc)) <= 1e-8 * scale * max(1.0, float(np.max(np.abs(X1))))
    assert np.max(np.abs(X1.sum(axis=0) - M)) <= 1e-9 * M * max(1.0, float(np.max(np.abs(X1))))
    if p["M"] <= 200:
        n = 300
        sim = ok(call(F.simulate_multi_market, **p, n=n, seed=seed))
        assert np.max(np.abs(sim.trades.sum(axis=1))) <= 1e-9 * p["M"] * max(1.0, float(np.max(np.abs(sim.trades))))
        if p["M"] > 1:
            rel = np.abs(sim.volume.mean(axis=0) / eq.expected_volume - 1)
            assert np.all(rel <= 6 * math.sqrt(0.58 / n) + 6 * math.sqrt(1 / (n * (p["M"] - 1))))
    if K == 1:
        one = ok(call(F.price0, p["vbar"][0], p["a"], math.sqrt(p["cov_v"][0, 0]), math.sqrt(p["cov_delta"][0, 0]),
                      math.sqrt(p["cov_eps"][0, 0]), p["lam"][0], p["M"]))
        assert abs(one - eq.price0[0]) <= 1e-12 * scale


@settings(derandomize=True, deadline=None, max_examples=len(F.GARBLED) + 4, database=None)
@given(st.one_of(st.sampled_from(sorted(F.GARBLED)), st.text(max_size=6)))
def test_symbol_tally_counts_glyphs(key):
    """For every garbled equation: counts are positive integers of the tallied symbols, the fragment's
    counts are what its text shows (σ counted in the text itself here), and unknown keys are refused."""
    result = call(F.symbol_tally, key)
    if key not in F.GARBLED:
        assert isinstance(result, ValueError)
        return
    frag, read = result
    for tally in (frag, read):
        assert all(sym in F.TALLIED and isinstance(n, int) and n > 0 for sym, n in tally.items())
    assert frag.get("σ", 0) == F.GARBLED[key].fragment.count("σ")
