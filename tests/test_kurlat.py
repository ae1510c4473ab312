"""Tests for firesales.kurlat: clearing algorithms (14)-(17), Table 1, the fire-sale
equilibrium (18)-(19), dp*/dµ, Proposition 3, the sellers' program, and the input contract.

The solver is checked against references that do not share its quadrature: closed forms
(Lambert W for constant wealth, logarithms for piecewise-constant wealth), QUADPACK, and
finite differences; the hard cases of the second audit (narrow concentrations, a jump or a
breakpoint exactly at θ*) each have a test."""

from __future__ import annotations

import math
import time
from fractions import Fraction as F

import numpy as np
import pytest
from contract import contract_tests
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize

from firesales import kurlat, numerics

HALF3 = F(3, 2)
TABLE1 = dict(supply=[HALF3, HALF3, HALF3], rules=[[0, 1, 1], [0, 0, 1]], demand=[1, 1])
THETA1_FIRST = [[1, 0], [0, 1]]  # eq. (12)
THETA2_FIRST = [[0, 1], [1, 0]]  # eq. (13)


def wealth_const(t):
    return 0.5 + 0.0 * t


def wealth_inc(t):
    return 1.2 * t


def wealth_dec(t):
    return 1.2 * (1.0 - t) + 0.05


def step_wealth(edges, levels):
    """Piecewise-constant wealth: levels[j] on (edges[j], edges[j+1]]."""
    edges, levels = np.asarray(edges, float), np.asarray(levels, float)

    def w(t):
        t = np.asarray(t, dtype=float)
        k = np.clip(np.searchsorted(edges, t, side="left") - 1, 0, len(levels) - 1)
        return levels[k]

    return w


def step_reference(edges, levels, lam, mu):
    """p* and θ* for piecewise-constant wealth from the closed form of (18), in s = 1 − θ
    (full relative precision for cutoffs near 1): ∫_{1−s}^1 w/N = Σ_j c_j/λ · log(N(hi_j)/N(lo_j))
    over the part [lo_j, hi_j] of each piece below s, N = λs + µ(1−λ); then Brent on G(s)."""
    eps = mu * (1 - lam)
    N = lambda s: lam * s + eps

    def head(s):
        total = 0.0
        for a, b, c in zip(edges[:-1], edges[1:], levels):
            lo, hi = 1.0 - b, min(1.0 - a, s)
            if lo < hi:
                total += c / lam * math.log(N(hi) / N(lo))
        return total

    G = lambda s: N(s) * head(s) - eps
    s = optimize.brentq(G, 1e-300, 1.0, xtol=1e-300, rtol=1e-15, maxiter=2000)
    return eps / N(s), 1.0 - s


# ------------------------------------------------------------------ the input contract
_EQ = kurlat.equilibrium(wealth_inc, 0.5, 0.4, breakpoints=[0.6, 0.75])
CONTRACT = {
    "clear_market": dict(supply=[1.5, 1.5, 1.5], rules=[[0, 1, 1], [0, 0, 1]], demand=[1.0, 1.0],
                         omega=[[1, 0], [0, 1]]),
    "clear_market_rationed": dict(supply=[1.5, 1.5, 1.5], rules=[[0, 1, 1], [0, 0, 1]], demand=[1.0, 0.5]),
    "equilibrium": dict(wealth=wealth_inc, lam=0.5, mu=0.4, breakpoints=[0.6, 0.75]),
    "price_slope": dict(wealth=wealth_inc, lam=0.5, mu=0.4, breakpoints=[0.6, 0.75]),
    "slope_decomposition": dict(wealth=wealth_inc, lam=0.5, mu=0.4, breakpoints=[0.6, 0.75]),
    "price_curve": dict(wealth=wealth_inc, lam=0.5, mus=[0.2, 0.5], breakpoints=[0.6, 0.75]),
    "excess_demand_ratio": dict(wealth=wealth_inc, price=0.6, lam=0.5, mu=0.4, breakpoints=[0.6, 0.75]),
    "selling_probability": dict(i=[0.1, 0.45, 0.8], eq=_EQ, wealth=wealth_inc, breakpoints=[0.6, 0.75]),
    "terms_of_trade": dict(theta=[0.2, 0.8], price=0.6, lam=0.5, mu=0.4),
    "constant_wealth_price": dict(w=0.5, lam=0.5),
    "limit_price": dict(w1=1.2, lam=0.5),
    "full_information_price": dict(wealth=wealth_inc, lam=0.5, mu=0.4, breakpoints=[0.6, 0.75]),
    "discretised_market": dict(wealth=wealth_inc, lam=0.5, mu=0.4, price=0.7, n_cells=20,
                               breakpoints=[0.6, 0.75]),
    "seller_supply": dict(prices=[0.3, 0.5], eta=[[0.5, 0.0], [1.0, 0.0]], quality=[0.0, 1.0], beta=0.0),
    "pooled_price": dict(lam=0.5, mu=0.4),
    "max_distress": dict(wealth=wealth_inc, lam=0.5, breakpoints=[0.6, 0.75]),
}


test_contract_table_covers_every_public_function, test_bad_input_is_rejected = (
    contract_tests(kurlat, CONTRACT))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_max_rounds_is_validated(bad):
    with pytest.raises(ValueError, match="max_rounds"):
        kurlat.clear_market_rationed([1.0, 1.0], [[1, 1]], [0.5], max_rounds=bad)


@pytest.mark.parametrize(
    "breakpoints", ["0.6", 0.6, [0.6, 1.5], [-0.1], [float("nan")], [[0.6, 0.7]], {0.6: 1}]
)
def test_breakpoints_are_validated(breakpoints):
    with pytest.raises(ValueError, match="breakpoints"):
        kurlat.equilibrium(wealth_inc, 0.5, 0.4, breakpoints=breakpoints)


def test_floats_in_exact_clearing_follow_the_stated_rule():
    # a whole-number float converts exactly; 0.1 (binary 0.1000000000000000055...) is refused
    r = kurlat.clear_market([F(3, 2), 1.0], [[1, 1]], [F(1, 2)], [[1]])
    assert r.exact and r.eta.tolist() == [F(1, 5), F(1, 5)]
    with pytest.raises(ValueError, match="demand mixes the float 0.1"):
        kurlat.clear_market([F(3, 2), F(1)], [[1, 1]], [0.1], [[1]])
    with pytest.raises(ValueError, match="omega"):
        kurlat.clear_market([F(1), F(1)], [[1, 1]], [F(1, 2)], [[0.5, 0.5]])


def test_selling_probability_needs_an_equilibrium():
    with pytest.raises(ValueError, match="eq must be an Equilibrium"):
        kurlat.selling_probability([0.3], (0.5, 0.7), wealth_inc)
    other = kurlat.equilibrium(wealth_dec, 0.5, 0.4)
    with pytest.raises(ValueError, match="eq is not the equilibrium of this wealth density"):
        kurlat.selling_probability([0.3], other, wealth_inc)


# ------------------------------------------------------------------ clearing algorithms
def test_table1_theta1_first_exact():
    r = kurlat.clear_market(omega=THETA1_FIRST, **TABLE1)
    assert r.exact
    assert r.allocation.tolist() == [[0, F(1, 2), F(1, 2)], [0, 0, 1]]
    assert r.eta.tolist() == [0, F(1, 3), 1]
    assert r.residual.tolist() == [HALF3, 1, 0]


def test_table1_theta2_first_exact():
    r = kurlat.clear_market(omega=THETA2_FIRST, **TABLE1)
    assert r.allocation.tolist() == [[0, F(3, 4), F(1, 4)], [0, 0, 1]]
    assert r.eta.tolist() == [0, F(1, 2), F(5, 6)]
    assert all(isinstance(x, F) for x in r.eta)


def test_table1_floats_agree_with_exact():
    r = kurlat.clear_market([1.5, 1.5, 1.5], TABLE1["rules"], [1.0, 1.0], THETA2_FIRST)
    assert not r.exact
    np.testing.assert_allclose(r.eta, [0, 0.5, 5 / 6], rtol=0, atol=1e-15)


def test_sympy_rationals_are_exact():
    import sympy as sp

    r = kurlat.clear_market([sp.Rational(3, 2)] * 3, TABLE1["rules"], [1, 1], THETA1_FIRST)
    assert r.eta.tolist() == [0, F(1, 3), 1]


def test_infeasible_example_detected():
    with pytest.raises(kurlat.InfeasibleClearingError, match="Definition 6") as info:
        kurlat.clear_market(TABLE1["supply"], TABLE1["rules"], [1, 2], THETA1_FIRST)
    assert info.value.round_number == 2
    assert info.value.residual[2] == -1  # 1.5 - 0.5 - 2
    assert isinstance(info.value, ValueError)


def test_zero_supply_cases_of_eq17():
    r = kurlat.clear_market([F(1), F(0), F(0)], [[1, 1, 0], [0, 0, 1]], [F(1, 2), F(0)], [[1], [1]])
    assert r.eta.tolist() == [F(1, 2), 1, 0]


def test_rationed_algorithm_clears_everyone_in_round1_when_feasible():
    r = kurlat.clear_market_rationed(TABLE1["supply"], TABLE1["rules"], [F(1), F(1, 2)])
    assert r.omega.shape[1] == 1
    assert r.omega[:, 0].tolist() == [1, 1]


def test_rationed_algorithm_rations_proportionally():
    r = kurlat.clear_market_rationed(TABLE1["supply"], TABLE1["rules"], [1, 2])
    assert r.omega.shape[1] >= 2
    assert r.omega[0].tolist() == r.omega[1].tolist()  # same share for every rule
    assert all(x >= 0 for x in r.residual)
    assert r.residual[2] == 0  # the good asset is exhausted


def test_rationed_float_and_exact_agree():
    ex = kurlat.clear_market_rationed(TABLE1["supply"], TABLE1["rules"], [F(1), F(2)])
    fl = kurlat.clear_market_rationed([1.5, 1.5, 1.5], np.array(TABLE1["rules"], float), np.array([1.0, 2.0]))
    np.testing.assert_allclose(fl.eta, [float(x) for x in ex.eta], rtol=0, atol=1e-14)
    np.testing.assert_allclose(fl.omega, np.array(ex.omega, dtype=float), rtol=0, atol=1e-14)


@st.composite
def monotone_markets(draw):
    n_assets = draw(st.integers(2, 5))
    n_rules = draw(st.integers(1, 4))
    n_rounds = draw(st.integers(1, 4))
    supply = [F(draw(st.integers(0, 6)), 2) for _ in range(n_assets)]  # zero supply included
    rules = []
    for _ in range(n_rules):  # monotone rules χ(i) ≤ χ(j) for i < j (Lemma 1)
        k = draw(st.integers(0, n_assets))
        rules.append([0] * k + [1] * (n_assets - k))
    weights = [[draw(st.integers(0, 3)) for _ in range(n_rounds)] for _ in range(n_rules)]
    omega = []
    for row in weights:
        if sum(row) == 0:
            row = [1] + [0] * (n_rounds - 1)
        omega.append([F(x, sum(row)) for x in row])
    total = sum(supply) + 1
    demand = [F(draw(st.integers(0, 4)), 4) * total / (2 * n_rules) for _ in range(n_rules)]
    return supply, rules, demand, omega


@settings(max_examples=60, deadline=None)
@given(monotone_markets())
def test_lemma1_and_feasibility(market):
    supply, rules, demand, omega = market
    try:
        r = kurlat.clear_market(supply, rules, demand, omega)
    except kurlat.InfeasibleClearingError as err:
        assert any(x < 0 for x in err.residual)
        return
    path = r.residual_path
    for n in range(1, path.shape[0]):
        for i in range(path.shape[1]):
            for j in range(i + 1, path.shape[1]):
                if path[n, i] > 0 and path[n - 1, i] > 0 and path[n - 1, j] > 0:
                    assert path[n, j] / path[n, i] <= path[n - 1, j] / path[n - 1, i]
    assert all(x >= 0 for x in r.residual)
    sold = np.array(demand, dtype=object).dot(r.allocation)
    for i in range(len(supply)):
        assert sold[i] == supply[i] - r.residual[i]
        assert 0 <= r.eta[i] <= 1


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(supply=[1, 1], rules=[[1, 1, 0]], demand=[1], omega=[[1]]), "rules"),
        (dict(supply=[1, -1], rules=[[1, 1]], demand=[1], omega=[[1]]), "supply"),
        (dict(supply=[1, 1], rules=[[1, 2]], demand=[1], omega=[[1]]), "rules"),
        (dict(supply=[1, 1], rules=[[1, 1]], demand=[-1], omega=[[1]]), "demand"),
        (dict(supply=[1, 1], rules=[[1, 1]], demand=[1, 1], omega=[[1]]), "demand"),
        (dict(supply=[1, 1], rules=[[1, 1]], demand=[1], omega=[[0.5, 0.4]]), "omega"),
        (dict(supply=[1, 1], rules=[[1, 1]], demand=[1], omega=[[1.5, -0.5]]), "omega"),
        (dict(supply=[[1, 1]], rules=[[1, 1]], demand=[1], omega=[[1]]), "supply"),
        (dict(supply=np.array([1.0, np.inf]), rules=[[1, 1]], demand=[1], omega=[[1]]), "supply"),
        (dict(supply=[1, 1], rules=[[1, 1]], demand=[True], omega=[[1]]), "demand"),
    ],
)
def test_clearing_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kurlat.clear_market(**kwargs)


# ------------------------------------------------------------------ equilibrium (18)-(19)
def _quadpack_residuals(wealth, eq, points=None):
    lam, mu, th, p = eq.lam, eq.mu, eq.cutoff, eq.price
    f = lambda t: float(wealth(np.array(t))) / (lam * (1 - t) + mu * (1 - lam))
    pts = [x for x in (points or []) if th < x < 1] or None
    r18 = numerics.quad(f, th, 1.0, name="(18)", tol=1e-12, points=pts) / p - 1.0
    r19 = p - mu * (1 - lam) / (lam * (1 - th) + mu * (1 - lam))
    return abs(r18), abs(r19)


@pytest.mark.parametrize("wealth", [wealth_const, wealth_inc, wealth_dec])
@pytest.mark.parametrize("mu", [0.05, 0.3, 0.7])
def test_equilibrium_residuals_independent_quadrature(wealth, mu):
    eq = kurlat.equilibrium(wealth, 0.5, mu)
    assert 0 < eq.cutoff < 1 and 0 < eq.price < 1
    r18, r19 = _quadpack_residuals(wealth, eq)
    assert r18 < 1e-10 and r19 < 1e-12


@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.01, 0.99),
    mu=st.sampled_from([1e-6, 1e-3]) | st.floats(0.01, 0.999),
    cut=st.floats(0.05, 0.95),
    width=st.sampled_from([1e-4, 1e-3]) | st.floats(0.01, 0.3),
    levels=st.tuples(st.floats(0.0, 3.0), st.floats(1e-3, 3.0), st.floats(0.0, 3000.0)),
)
def test_piecewise_constant_wealth_matches_the_log_closed_form(lam, mu, cut, width, levels):
    """Three levels with a window of width ≥ 1e-4 (three probe points at least), no breakpoints
    given: the solver must find every edge itself, at every corner of (λ, µ)."""
    hi = min(cut + width, 1.0)
    edges, lv = [0.0, cut, hi, 1.0], [levels[0], levels[2], levels[1]]
    if hi >= 1.0:
        edges, lv = [0.0, cut, 1.0], [levels[0], levels[2]]
    w = step_wealth(edges, lv)
    try:
        p_ref, th_ref = step_reference(edges, lv, lam, mu)
    except ValueError:  # no sign change: no interior cutoff
        with pytest.raises(ValueError, match="no interior cutoff"):
            kurlat.equilibrium(w, lam, mu)
        return
    eq = kurlat.equilibrium(w, lam, mu)
    assert abs(eq.price - p_ref) < 1e-11 * max(1.0, p_ref)
    assert abs(eq.cutoff - th_ref) < 1e-9


def test_narrow_concentration_is_found_without_breakpoints():
    # the second audit's example: 0.3 + 2000 on (0.79995, 0.80005), λ = 0.5, µ = 0.4
    lo, hi = 0.79995, 0.80005
    w = lambda t: 0.3 + np.where((t > lo) & (t < hi), 2000.0, 0.0)
    eq = kurlat.equilibrium(w, 0.5, 0.4)
    with_bp = kurlat.equilibrium(w, 0.5, 0.4, breakpoints=[lo, hi])
    assert abs(eq.price - with_bp.price) < 1e-12
    assert abs(eq.price - 0.66665) < 1e-5  # not the 0.46257 that ignores the window
    r18, r19 = _quadpack_residuals(w, eq, points=[lo, hi])
    assert r18 < 1e-10 and r19 < 1e-12


def test_concentration_seen_by_one_probe_point_raises_unless_declared():
    h = 1.0 / kurlat.PROBE_CELLS
    c = round(0.8 / h) * h  # a probe point
    w = lambda t: 0.3 + np.where(np.abs(t - c) < 0.3 * h, 2000.0, 0.0)
    with pytest.raises(kurlat.WealthResolutionError, match="single probe point"):
        kurlat.equilibrium(w, 0.5, 0.4)
    eq = kurlat.equilibrium(w, 0.5, 0.4, breakpoints=[c - 0.3 * h, c + 0.3 * h])
    r18, _ = _quadpack_residuals(w, eq, points=[c - 0.3 * h, c + 0.3 * h])
    assert r18 < 1e-10
    assert isinstance(kurlat.WealthResolutionError("x"), ValueError)


def test_concentration_between_probe_points_is_found_with_breakpoints():
    lo, hi = 0.8, 0.8000001  # narrower than the probe spacing: only a declaration can find it
    w = lambda t: 0.3 + np.where((t > lo) & (t < hi), 2e6, 0.0)
    eq = kurlat.equilibrium(w, 0.5, 0.3, breakpoints=[lo, hi])
    p_ref, th_ref = step_reference([0.0, lo, hi, 1.0], [0.3, 2e6 + 0.3, 0.3], 0.5, 0.3)
    assert abs(eq.price - p_ref) < 1e-11


def test_two_quadratures_disagree_is_reported():
    # wealth that the adaptive rule sees between probe points and the probe does not: a
    # spike exactly between two probe points, wide enough for Gauss nodes, narrower than h
    h = 1.0 / kurlat.PROBE_CELLS
    c = (round(0.8 / h) + 0.5) * h
    w = lambda t: 0.5 + np.where(np.abs(t - c) < 0.45 * h, 1e4, 0.0)
    try:
        eq = kurlat.equilibrium(w, 0.5, 0.4)
    except kurlat.WealthResolutionError as err:
        assert "breakpoints" in str(err)
        return
    # if neither rule saw it the result is that of the density without the spike
    base = kurlat.equilibrium(lambda t: 0.5 + 0.0 * t, 0.5, 0.4)
    assert abs(eq.price - base.price) < 1e-12


@pytest.mark.parametrize("wealth", [wealth_const, wealth_inc, wealth_dec])
@pytest.mark.parametrize("mu", [0.1, 0.4, 0.8])
def test_breakpoint_exactly_at_the_cutoff(wealth, mu):
    eq = kurlat.equilibrium(wealth, 0.5, mu)
    again = kurlat.equilibrium(wealth, 0.5, mu, breakpoints=[eq.cutoff])
    assert abs(again.price - eq.price) < 1e-14 and abs(again.cutoff - eq.cutoff) < 1e-12
    # and a jump of the density exactly at the cutoff (wealth added just below it)
    jump = lambda t: np.where((t > eq.cutoff - 0.02) & (t <= eq.cutoff), 10.0, wealth(t))
    for bps in ([], [eq.cutoff - 0.02], [eq.cutoff - 0.02, eq.cutoff]):
        e = kurlat.equilibrium(jump, 0.5, mu, breakpoints=bps)
        assert abs(e.price - eq.price) < 1e-13


def test_discontinuous_wealth_gap():
    gap = lambda t: np.where((t > 0.6) & (t < 0.75), 0.0, 0.9)
    eq = kurlat.equilibrium(gap, 0.5, 0.55)
    eq_bp = kurlat.equilibrium(gap, 0.5, 0.55, breakpoints=[0.6, 0.75])
    assert abs(eq.price - eq_bp.price) < 1e-13
    assert 0.6 < eq.cutoff < 0.75
    p_ref, _ = step_reference([0, 0.6, 0.75, 1], [0.9, 0.0, 0.9], 0.5, 0.55)
    assert abs(eq.price - p_ref) < 1e-12
    assert kurlat.price_slope(gap, 0.5, 0.55) < 0  # Prop. 3 case 2: a fire sale


def test_no_interior_cutoff_raises():
    with pytest.raises(ValueError, match="no interior cutoff"):
        kurlat.equilibrium(lambda t: 0.01 + 0 * t, 0.5, 0.9)
    with pytest.raises(ValueError, match="no interior cutoff"):
        kurlat.equilibrium(lambda t: 0 * t, 0.5, 0.5)


@pytest.mark.parametrize(
    "args, match",
    [
        ((wealth_const, 0.0, 0.5), "lam"),
        ((wealth_const, 1.0, 0.5), "lam"),
        ((wealth_const, 0.5, 1.0), "mu"),
        ((wealth_const, 0.5, -0.1), "mu"),
        ((lambda t: -1.0 + 0 * t, 0.5, 0.5), "nonnegative"),
        ((lambda t: np.where(t > 0.5, np.inf, 1.0), 0.5, 0.5), "finite"),
        ((lambda t: np.where(t > 0.5, np.nan, 1.0), 0.5, 0.5), "finite"),
        ((lambda t: 1 / 0, 0.5, 0.5), "raised ZeroDivisionError"),
        ((lambda t: "x", 0.5, 0.5), "real array"),
    ],
)
def test_equilibrium_bad_wealth(args, match):
    with pytest.raises(ValueError, match=match):
        kurlat.equilibrium(*args)
    with pytest.raises(ValueError, match=match):
        kurlat.price_slope(*args)


@settings(max_examples=50, deadline=None)
@given(c=st.floats(1e-2, 1e5), lam=st.floats(0.01, 0.99), mu=st.floats(1e-6, 0.999))
def test_constant_wealth_matches_lambert_w_over_wide_range(c, lam, mu):
    p = kurlat.constant_wealth_price(c, lam)
    gap = mu * (1 - lam) * (1 - p) / (lam * p)  # 1 − θ* from (19)
    wealth = lambda t: c + 0.0 * np.asarray(t)
    if gap >= 1 - 1e-9:
        if gap > 1 + 1e-9:
            with pytest.raises(ValueError, match="no interior cutoff"):
                kurlat.equilibrium(wealth, lam, mu)
        return
    eq = kurlat.equilibrium(wealth, lam, mu)
    assert abs(eq.price - p) < 1e-12
    assert abs(eq.expertise_gap - gap) < 1e-10 * gap + 1e-15 * mu * (1 - lam) / (lam * p)
    assert abs(eq.residual18) < 1e-10 and abs(eq.residual19) < 1e-12


# ------------------------------------------------------------------ dp*/dµ
def test_eq34_reading_equals_the_solver_derivative():
    """The book's reading of (34) at decreasing wealth, µ = 0.2: 0.468652582782 (the audit),
    against −0.2205 for the first edition's parse, and finite differences of the solver."""
    lam, mu = 0.5, 0.2
    eq = kurlat.equilibrium(wealth_dec, lam, mu)
    p, s = eq.price, eq.expertise_gap
    N = lam * s + mu * (1 - lam)
    J = numerics.quad(lambda t: float(wealth_dec(t)) / (lam * (1 - t) + mu * (1 - lam)) ** 2,
                      eq.cutoff, 1, name="J", tol=1e-12)
    w = float(wealth_dec(eq.cutoff))
    num = lam * s * p / (mu**2 * (1 - lam)) + (1 - lam) * J / p
    reading = lam * (1 - lam) / N**2 * (s - mu * num / (lam * p / (mu * (1 - lam)) + w / (p * N)))
    misparse = lam * (1 - lam) / N**2 * (s - mu * num / (w / (lam * p) + mu * (1 - lam) / (p * N)))
    fd = numerics.derivative(lambda m: kurlat.equilibrium(wealth_dec, lam, m).price, mu, h=1e-3)
    assert abs(reading - 0.468652582782) < 1e-11
    assert abs(misparse - (-0.2205)) < 1e-4
    assert abs(kurlat.price_slope(wealth_dec, lam, mu) - reading) < 1e-11
    assert abs(fd - reading) < 1e-9


@settings(max_examples=25, deadline=None)
@given(lam=st.floats(0.05, 0.95), mu=st.floats(0.02, 0.9), a=st.floats(0.3, 2.0), b=st.floats(-0.9, 1.5))
def test_slope_matches_finite_differences(lam, mu, a, b):
    wealth = lambda t: a * (1.0 + b * (t - 0.5))  # positive linear density
    try:
        d = kurlat.slope_decomposition(wealth, lam, mu)
        lo, hi = (kurlat.equilibrium(wealth, lam, mu + h) for h in (-1e-5, 1e-5))
    except numerics.NoRootError:
        return
    fd = (hi.price - lo.price) / 2e-5
    assert abs(d.slope - fd) < 1e-6 * max(1.0, abs(d.slope))
    assert abs(d.selection + d.threshold - d.slope) < 1e-12 * max(1.0, abs(d.selection))
    assert abs(d.cutoff_slope - (hi.cutoff - lo.cutoff) / 2e-5) < 1e-5 * max(1.0, abs(d.cutoff_slope))
    assert d.selection > 0 and d.cutoff_slope < 0
    # the sign test: dp*/dµ has the sign of w(θ*) − w̄; w̄ − w(θ*) has the sign of b
    assert np.sign(d.slope) == np.sign(d.wealth_at_cutoff - d.mean_wealth) == -np.sign(b) or abs(b) < 1e-12


def test_price_slope_uses_the_left_limit_at_a_jump():
    """A window of height 10 on (θ* − 0.02, θ*] (equilibrium unchanged): the slope as µ rises
    is the one-sided difference, 0.59119 at decreasing wealth, µ = 0.4; the first edition gave
    0.26019, the slope without the window."""
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_dec, lam, mu)
    th = eq.cutoff
    jump = lambda t: np.where((t > th - 0.02) & (t <= th), 10.0, wealth_dec(t))
    d1, d2 = ((kurlat.equilibrium(jump, lam, mu + h).price - eq.price) / h for h in (2e-6, 1e-6))
    right = 2 * d2 - d1
    for bps in ([], [th - 0.02], [th - 0.02, th]):
        s = kurlat.slope_decomposition(jump, lam, mu, breakpoints=bps)
        assert s.wealth_at_cutoff == 10.0
        assert abs(s.slope - right) < 1e-6
    assert abs(right - 0.59119) < 1e-5
    assert abs(kurlat.price_slope(wealth_dec, lam, mu) - 0.26019) < 1e-5
    # left derivative (µ falling, θ* rising into the base density): the window does not count
    d1, d2 = ((eq.price - kurlat.equilibrium(jump, lam, mu - h).price) / h for h in (2e-6, 1e-6))
    assert abs(2 * d2 - d1 - kurlat.price_slope(wealth_dec, lam, mu)) < 1e-6


def test_prop3_case1_limit_large_wealth_at_cutoff():
    lam, mu = 0.5, 0.3
    base = kurlat.equilibrium(wealth_inc, lam, mu)
    lim = lam * base.price**2 * (1 - base.cutoff) / (mu**2 * (1 - lam))
    th = base.cutoff
    gaps = []
    for spike in (1e2, 1e4, 1e6):
        wealth = lambda t, s=spike: np.where((t > th - 1e-3) & (t <= th), s, 1.2 * t)
        gaps.append(abs(kurlat.price_slope(wealth, lam, mu) - lim))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-5 * lim


def test_constant_wealth_closed_form_and_mu_independence():
    p0 = kurlat.constant_wealth_price(0.5, 0.5)
    assert abs(p0 - 0.5 / 0.5 * np.log(1 / p0)) < 1e-14
    for mu in (0.1, 0.4, 0.7):
        assert abs(kurlat.equilibrium(wealth_const, 0.5, mu).price - p0) < 1e-12
        assert abs(kurlat.price_slope(wealth_const, 0.5, mu)) < 1e-12


# ------------------------------------------------------------------ selling probabilities, markets
def test_selling_probability_eq29_continuous_at_lambda():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_dec, lam, mu)
    eta = kurlat.selling_probability([lam * eq.cutoff, lam - 1e-12, lam, lam + 1e-12], eq, wealth_dec)
    assert eta[0] == 0.0
    assert abs(eta[1] - 1) < 1e-9 and abs(eta[2] - 1) < 1e-9 and eta[3] == 1.0


def test_selling_probability_with_a_concentration():
    # the audit's η(λ) = 0.5757 case: a concentrated density needs the same quadrature as the solver
    lo, hi = 0.79995, 0.80005
    w = lambda t: 0.3 + np.where((t > lo) & (t < hi), 2000.0, 0.0)
    eq = kurlat.equilibrium(w, 0.5, 0.4)
    for bps in ([], [lo, hi]):
        eta = kurlat.selling_probability([0.5 * eq.cutoff, 0.5 * 0.8, 0.5], eq, w, breakpoints=bps)
        assert eta[0] == 0.0 and abs(eta[2] - 1.0) < 1e-9
    # η at i = λ·0.8 counts the wealth of (θ*, 0.8], all inside the window (θ* > 0.79995)
    assert lo < eq.cutoff < 0.8
    N = lambda t: 0.5 * (1 - t) + 0.4 * 0.5
    inside = 2000.3 / 0.5 * math.log(N(eq.cutoff) / N(0.8)) / eq.price
    assert abs(kurlat.selling_probability([0.5 * 0.8], eq, w)[0] - inside) < 1e-10


def test_discretised_market_converges_to_eq29():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_inc, lam, mu)
    errs = []
    for n in (100, 200):
        mk = kurlat.discretised_market(wealth_inc, lam, mu, eq.price, n)
        c = kurlat.clear_market_rationed(mk.supply, mk.rules, mk.demand)
        i_mid = (np.arange(n) + 0.5) * lam / n
        errs.append(np.max(np.abs(c.eta[:-1] - kurlat.selling_probability(i_mid, eq, wealth_inc))))
        assert np.all(c.eta[:-1][i_mid < lam * eq.cutoff - lam / n] == 0)
        assert abs(mk.demand.sum() * eq.price - numerics.quad(lambda t: 1.2 * t, eq.cutoff, 1, name="w"))< 1e-12
    assert errs[1] < 0.6 * errs[0] < 0.05


def test_discretised_market_at_other_prices_rations_or_leaves_goods_unsold():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_dec, lam, mu)
    low = kurlat.discretised_market(wealth_dec, lam, mu, 0.95 * eq.price, 100)
    high = kurlat.discretised_market(wealth_dec, lam, mu, 1.05 * eq.price, 100)
    r_low = kurlat.clear_market_rationed(low.supply, low.rules, low.demand)
    r_high = kurlat.clear_market_rationed(high.supply, high.rules, high.demand)
    assert r_low.omega[:, 0].max() < 1 and r_low.eta[-1] > 1 - 1e-12
    assert r_high.omega.shape[1] == 1 and r_high.eta[-1] < 0.9


def test_seller_supply_reproduces_eq21_in_the_robust_limit():
    prices = np.array([0.3, 0.5, 0.8, 1.2])  # p* = 0.5 is market 1
    eta = np.zeros((3, 4))
    eta[:, 1] = [0.0, 0.4, 1.0]  # a lemon never sold, a lemon sold sometimes, a good asset
    q = np.array([0.0, 0.0, 1.0])
    for beta, good in ((0.0, prices >= 0.5), (1.0, prices >= 1.0)):
        s = kurlat.seller_supply(prices, np.maximum(eta, 1e-7), q, beta)
        np.testing.assert_allclose(s, np.array([[1] * 4, [1] * 4, good], float), atol=1e-6)
    # a patient seller never sells a good asset below 1, even if it always sells
    s = kurlat.seller_supply([0.9], [[1.0]], [1.0], 1.0)
    assert s[0, 0] == 0.0


def test_seller_supply_bad_shapes():
    with pytest.raises(ValueError, match="eta must have shape"):
        kurlat.seller_supply([0.5, 0.6], [[0.5]], [1.0], 0.0)
    with pytest.raises(ValueError, match="prices must be positive"):
        kurlat.seller_supply([0.0], [[0.5]], [1.0], 0.0)


def test_pooled_price_is_the_mean_quality_and_rises():
    prices = [kurlat.pooled_price(0.5, m) for m in (0.1, 0.4, 0.9)]
    assert prices == sorted(prices)
    assert abs(prices[1] - 0.2 / 0.7) < 1e-15


def test_limit_price_mu_to_zero():
    lam = 0.5
    p_small = kurlat.equilibrium(wealth_inc, lam, 1e-6).price
    assert abs(p_small - kurlat.limit_price(1.2, lam)) < 1e-3


def test_price_curve_for_synthesis():
    out = kurlat.price_curve(wealth_inc, 0.5, [0.1, 0.5])
    assert out["price"].shape == (2,) and np.all(np.diff(out["price"]) < 0)
    assert np.all(out["price_over_full_information"] <= 1.0)
    for k, mu in enumerate((0.1, 0.5)):
        eq = kurlat.equilibrium(wealth_inc, 0.5, mu)
        assert out["price"][k] == eq.price and out["cutoff"][k] == eq.cutoff
        assert out["slope"][k] == kurlat.price_slope(wealth_inc, 0.5, mu)
    assert abs(out["limit_price"] - kurlat.limit_price(1.2, 0.5)) < 1e-9


def test_price_curve_bad_input():
    with pytest.raises(ValueError, match="mu"):
        kurlat.price_curve(wealth_inc, 0.5, [0.2, 1.2])
    with pytest.raises(ValueError, match="lam"):
        kurlat.price_curve(wealth_inc, 1.5, [0.2])
    with pytest.raises(ValueError, match="mu"):
        kurlat.full_information_price(wealth_inc, 0.5, 0.0)


def test_full_information_price_cash_in_the_market():
    assert kurlat.full_information_price(wealth_inc, 0.5, 0.9) == 1.0
    assert abs(kurlat.full_information_price(wealth_inc, 0.1, 0.999) - 0.6 / (0.999 * 0.9)) < 1e-12


def test_excess_demand_ratio_is_one_at_the_equilibrium_and_decreasing():
    eq = kurlat.equilibrium(wealth_dec, 0.5, 0.4)
    assert abs(kurlat.excess_demand_ratio(wealth_dec, eq.price, 0.5, 0.4) - 1) < 1e-12
    H = [kurlat.excess_demand_ratio(wealth_dec, p, 0.5, 0.4) for p in (0.3, 0.45, 0.6)]
    assert H[0] > H[1] > H[2]


# ------------------------------------------------------------------ performance targets
def _cpu_seconds(f, number, repeat):
    """Least CPU time per call over `repeat` runs of `number` calls (robust on a shared machine)."""
    best = math.inf
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(number):
            f()
        best = min(best, (time.process_time() - start) / number)
    return best


def test_performance_targets():
    one = _cpu_seconds(lambda: kurlat.equilibrium(wealth_inc, 0.5, 0.3), number=10, repeat=5)
    mus = np.linspace(0.05, 0.9, 200)
    curve = _cpu_seconds(lambda: kurlat.price_curve(wealth_inc, 0.5, mus), number=1, repeat=2)
    assert one < 5e-3, f"single solve {one * 1e3:.2f} ms of CPU"
    assert curve < 2.0, f"200-point curve {curve:.2f} s of CPU"


# ------------------------------------------------------------------ every function right or refusing (issue 23)
def _linear_reference_slope(c, lam, mu):
    """dp*/dµ for w(θ) = cθ from the closed form of (18) in s = 1 − θ, at 40 digits (mpmath):
    ∫_0^s c(1 − u)/(λu + ε) du = c[(1 + ε/λ)/λ · log(N/ε) − s/λ], N = λs + ε, ε = µ(1 − λ)."""
    import mpmath as mp

    with mp.workdps(40):
        c, lam = mp.mpf(c), mp.mpf(lam)

        def price(m):
            e = m * (1 - lam)
            G = lambda s: (lam * s + e) * c * ((1 + e / lam) / lam * mp.log((lam * s + e) / e) - s / lam) - e
            s = mp.findroot(G, (e * mp.mpf("1e-3"), mp.mpf(1)), solver="anderson")
            return e / (lam * s + e)

        return float(mp.diff(price, mp.mpf(mu)))


QUANTISED = {"float32": lambda t: (1.2 * t).astype(np.float32), "rounded to 1e-7": lambda t: np.round(1.2 * t, 7)}
WEALTH_CALLS = {
    "equilibrium": lambda w: kurlat.equilibrium(w, 0.5, 0.4),
    "price_slope": lambda w: kurlat.price_slope(w, 0.5, 0.4),
    "slope_decomposition": lambda w: kurlat.slope_decomposition(w, 0.5, 0.4),
    "price_curve": lambda w: kurlat.price_curve(w, 0.5, [0.3, 0.4]),
    "excess_demand_ratio": lambda w: kurlat.excess_demand_ratio(w, 0.6, 0.5, 0.4),
    "selling_probability": lambda w: kurlat.selling_probability([0.3], _EQ, w),
    "full_information_price": lambda w: kurlat.full_information_price(w, 0.5, 0.4),
    "discretised_market": lambda w: kurlat.discretised_market(w, 0.5, 0.4, 0.7, 10),
}


@pytest.mark.parametrize("density", list(QUANTISED))
@pytest.mark.parametrize("name", list(WEALTH_CALLS))
def test_quantised_density_is_refused_within_a_second(name, density):
    """Issue 23: a density quantised near 1e-7 (float32, rounded data) made the adaptive panels
    double every pass (7-27 s, then MemoryError). Now a WealthResolutionError in well under 1 s."""
    start = time.process_time()
    with pytest.raises(kurlat.WealthResolutionError, match="float32|rounded"):
        WEALTH_CALLS[name](QUANTISED[density])
    assert time.process_time() - start < 1.0


def test_slope_is_right_or_refused_as_mu_vanishes():
    """Issue 23: as µ(1 − λ) → 0, w̄ − w(θ*−) cancels; µ = 1e-15 gave −0.0275 and µ = 1e-17 +2.75 for
    −0.0294 (w = 1.2θ, λ = 0.5), constant wealth at µ = 1e-18 gave −34.78 for 0. Now the slope
    agrees with the 40-digit closed form to its stated precision, or SlopeAccuracyError."""
    w = lambda t: 1.2 * t
    for mu in (0.4, 1e-3, 1e-6, 1e-8):
        d = kurlat.slope_decomposition(w, 0.5, mu)
        ref = _linear_reference_slope("1.2", "0.5", mu)
        assert abs(d.slope - ref) <= kurlat.SLOPE_RTOL * (abs(ref) + d.price * (1 - d.price))
    for mu in (1e-12, 1e-15, 1e-17):
        for call in (kurlat.price_slope, kurlat.slope_decomposition):
            with pytest.raises(kurlat.SlopeAccuracyError, match="µ above about"):
                call(w, 0.5, mu)
        with pytest.raises(kurlat.SlopeAccuracyError):
            kurlat.price_curve(w, 0.5, [0.4, mu])
    with pytest.raises(kurlat.SlopeAccuracyError):
        kurlat.price_slope(wealth_const, 0.5, 1e-18)
    assert kurlat.price_slope(wealth_const, 0.5, 1e-6) == 0.0  # the difference is integrated, not formed


@pytest.mark.parametrize("offset", [5e-11, 1.2e-10, 1e-13])
def test_jump_just_below_the_cutoff_is_not_read_as_the_left_limit(offset):
    """Issue 23: a jump within 1.5e-10 below θ* was ignored (w(θ*−) read below it: slope −0.6195
    for −0.0371). The equilibrium is that of 1.2θ (the jump is below θ*), and so is the slope."""
    base = kurlat.slope_decomposition(wealth_inc, 0.5, 0.4)
    J = base.cutoff - offset
    w = lambda t: np.where(t > J, 1.2 * np.asarray(t, float), 0.3)
    d = kurlat.slope_decomposition(w, 0.5, 0.4)
    assert d.cutoff == base.cutoff
    assert abs(d.wealth_at_cutoff - 1.2 * base.cutoff) < 1e-9
    assert abs(d.slope - base.slope) < 1e-9


def test_excess_demand_ratio_against_quadpack():
    """H(p) = ∫_{θ(p)}^1 w/(pN) dθ with θ(p) = max(0, 1 − µ(1−λ)(1/p − 1)/λ), by QUADPACK (issue 23:
    no test checked the formula). Includes prices where every buyer demands (θ(p) = 0)."""
    lam, mu = 0.5, 0.4
    N = lambda t: lam * (1 - t) + mu * (1 - lam)
    for wealth in (wealth_inc, wealth_dec):
        for p in (0.05, 0.2, 0.45, 0.7, 0.95):
            cut = max(0.0, 1 - mu * (1 - lam) * (1 / p - 1) / lam)
            ref = numerics.quad(lambda t: float(wealth(t)) / (p * N(t)), cut, 1.0, name="H", tol=1e-12)
            assert abs(kurlat.excess_demand_ratio(wealth, p, lam, mu) - ref) < 1e-11 * max(1.0, ref)


def test_wealth_callable_failures_are_reported_as_such():
    """Issue 23: a failing callable is a WealthFunctionError (a ValueError); a complex density had its
    imaginary part dropped."""
    def broken(t):
        raise TypeError("boom")

    for bad in (broken, lambda t: (1.2 + 0.1j) * t, lambda t: ["x"] * len(t)):
        with pytest.raises(kurlat.WealthFunctionError):
            kurlat.equilibrium(bad, 0.5, 0.4)


def test_sizes_and_extremes_give_value_errors():
    """Issue 23: MemoryError for huge n_cells, ZeroDivisionError / OverflowError / NaN at extreme
    parameters. Now a ValueError (n_cells) or numerics.OutOfRangeError, or the right number."""
    with pytest.raises(ValueError, match="n_cells"):
        kurlat.discretised_market(wealth_inc, 0.5, 0.4, 0.7, 10**6)
    with pytest.raises(ValueError):
        kurlat.slope_decomposition(wealth_inc, 0.5, 1e-300)  # was ZeroDivisionError
    with pytest.raises(numerics.OutOfRangeError, match="overflow"):
        kurlat.equilibrium(wealth_inc, 1e-300, 1e-300)  # was a misleading error about the density
    assert kurlat.equilibrium(lambda t: 1e300 * t, 0.5, 0.4).price == 1.0  # right to double precision
    with pytest.raises(ValueError):
        kurlat.terms_of_trade([0.0, 1.0], 1e-300, 0.5, 1e-300)  # was inf
    # λ/w underflows to 0: p = exp(−W₀(λ/w)) → 1 (was NaN); and the Lambert-W identity holds
    assert kurlat.constant_wealth_price(1e200, 1e-300) == 1.0
    p = kurlat.constant_wealth_price(1e-3, 0.9)
    assert abs(p - 1e-3 / 0.9 * math.log(1 / p)) < 1e-15


@pytest.mark.parametrize("lam,mu", [(1.0, 0.4), (1.005, 0.4), (0.0, 0.4), (0.5, 1.0), (0.5, 1.005), (0.5, 0.0)])
def test_parameters_just_outside_the_open_unit_interval_are_refused(lam, mu):
    """λ, µ ∈ (0, 1) everywhere, including price_curve's own check of λ (a bound widened by 1%
    went unnoticed by mutation testing)."""
    name = "lam" if not 0 < lam < 1 else "mu"
    for f in (lambda: kurlat.price_curve(wealth_inc, lam, [mu]), lambda: kurlat.equilibrium(wealth_inc, lam, mu),
              lambda: kurlat.pooled_price(lam, mu)):
        with pytest.raises(ValueError, match=name):
            f()


@pytest.mark.parametrize("lam", [0.3, 0.3528, 0.5])
def test_a_jump_exactly_at_the_cutoff_is_read_from_below(lam):
    """Wealth 10 on (θ* − 0.02, θ*), 1.2θ elsewhere: w(θ*−) = 10, and dp*/dµ is the solver's
    one-sided difference (the probe brackets the jump between two edges a few ulps apart;
    the left limit must step over both, not read the value inside the bracket; at λ = 0.3528
    the cutoff lands one ulp of θ above the window's end)."""
    mu = 0.4
    cutoff = kurlat.equilibrium(lambda t: 1.2 * t, lam, mu).cutoff
    jump = lambda t: np.where((t > cutoff - 0.02) & (t < cutoff), 10.0, 1.2 * t)  # noqa: E731
    d = kurlat.slope_decomposition(jump, lam, mu)
    h = 1e-6
    fd = (kurlat.equilibrium(jump, lam, mu + h).price - kurlat.equilibrium(jump, lam, mu).price) / h
    assert d.wealth_at_cutoff == 10.0
    assert d.slope == pytest.approx(fd, abs=1e-5) and d.slope > 0.3  # a fire sale reversed


@pytest.mark.parametrize("bad", [-0.005, 1.005])
def test_seller_supply_refuses_probabilities_outside_the_unit_interval(bad):
    with pytest.raises(ValueError, match="eta"):
        kurlat.seller_supply([0.5, 0.7], [[bad, 0.5], [1.0, 0.2]], [0.0, 1.0], 0.9)


def test_price_over_full_information_where_buyers_cannot_buy_everything():
    """Constant wealth w = 0.2, λ = µ = 0.5: p* solves λp = w ln(1/p) (Brent), the full-information
    price is w/(µ(1 − λ)) = 0.8 < 1, and the discount p*/0.8 is what price_curve reports."""
    from scipy import optimize

    w, lam, mu = 0.2, 0.5, 0.5
    p = optimize.brentq(lambda x: lam * x - w * np.log(1 / x), 1e-9, 1 - 1e-12, xtol=1e-15)
    out = kurlat.price_curve(lambda t: np.full_like(np.asarray(t, float), w), lam, [mu])
    assert out["full_information"][0] == pytest.approx(0.8, rel=1e-12)
    assert out["price"][0] == pytest.approx(p, rel=1e-9)
    assert out["price_over_full_information"][0] == pytest.approx(p / 0.8, rel=1e-9)
