"""Tests for firesales.kurlat: clearing algorithms (14)-(17), Table 1, the fire-sale
equilibrium (18)-(19), dp*/dµ (34) and Proposition 3, bad input."""

from __future__ import annotations

import timeit
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # asset 2 has zero supply and is accepted by a rule with positive demand -> η = 1;
    # asset 3 has zero supply and is accepted only by a rule with zero demand -> η = 0
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


@st.composite
def monotone_markets(draw):
    n_assets = draw(st.integers(2, 5))
    n_rules = draw(st.integers(1, 4))
    n_rounds = draw(st.integers(1, 4))
    supply = [F(draw(st.integers(1, 6)), 2) for _ in range(n_assets)]
    # monotone rules χ(i) ≤ χ(j) for i < j: accept every asset above a threshold (Lemma 1)
    rules = []
    for _ in range(n_rules):
        k = draw(st.integers(0, n_assets - 1))
        rules.append([0] * k + [1] * (n_assets - k))
    weights = [[draw(st.integers(0, 3)) for _ in range(n_rounds)] for _ in range(n_rules)]
    omega = []
    for row in weights:
        if sum(row) == 0:
            row = [1] + [0] * (n_rounds - 1)
        omega.append([F(x, sum(row)) for x in row])
    total = sum(supply)  # some draws over-demand an asset: those must be refused (Definition 6)
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
    # sold = supplied - residual, asset by asset (eqs. 15-17)
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
        (dict(supply=[1, float("nan")], rules=[[1, 1]], demand=[1], omega=[[1]]), "supply"),
        (dict(supply=[[1, 1]], rules=[[1, 1]], demand=[1], omega=[[1]]), "supply"),
    ],
)
def test_clearing_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        kurlat.clear_market(**kwargs)


# ------------------------------------------------------------------ equilibrium (18)-(19)
def _residuals(wealth, eq):
    lam, mu, th, p = eq.lam, eq.mu, eq.cutoff, eq.price
    f = lambda t: float(wealth(np.array(t))) / (lam * (1 - t) + mu * (1 - lam))
    r18 = numerics.quad(f, th, 1.0, name="(18)", tol=1e-12) / p - 1.0
    r19 = p - mu * (1 - lam) / (lam * (1 - th) + mu * (1 - lam))
    return abs(r18), abs(r19)


@pytest.mark.parametrize("wealth", [wealth_const, wealth_inc, wealth_dec])
@pytest.mark.parametrize("mu", [0.05, 0.3, 0.7])
def test_equilibrium_residuals_independent_quadrature(wealth, mu):
    eq = kurlat.equilibrium(wealth, 0.5, mu)
    assert 0 < eq.cutoff < 1 and 0 < eq.price < 1
    r18, r19 = _residuals(wealth, eq)
    assert r18 < 1e-10 and r19 < 1e-10


def test_discontinuous_wealth_gap():
    gap = lambda t: np.where((t > 0.6) & (t < 0.75), 0.0, 0.9)
    eq = kurlat.equilibrium(gap, 0.5, 0.55)
    eq_bp = kurlat.equilibrium(gap, 0.5, 0.55, breakpoints=[0.6, 0.75])
    assert abs(eq.price - eq_bp.price) < 1e-11
    assert 0.6 < eq.cutoff < 0.75  # the cutoff sits in the gap for this µ
    assert kurlat.price_slope(gap, 0.5, 0.55) < 0  # Prop. 3 case 2: a fire sale


def test_constant_wealth_closed_form_and_mu_independence():
    p0 = kurlat.constant_wealth_price(0.5, 0.5)
    assert abs(p0 - 0.5 / 0.5 * np.log(1 / p0)) < 1e-14
    for mu in (0.1, 0.4, 0.7):
        assert abs(kurlat.equilibrium(wealth_const, 0.5, mu).price - p0) < 1e-12
        assert abs(kurlat.price_slope(wealth_const, 0.5, mu)) < 1e-12


@settings(max_examples=25, deadline=None)
@given(
    lam=st.floats(0.2, 0.8),
    mu=st.floats(0.05, 0.6),
    a=st.floats(0.3, 2.0),
    b=st.floats(-0.25, 1.5),
)
def test_slope_matches_finite_differences(lam, mu, a, b):
    wealth = lambda t: a * (1.0 + b * (t - 0.5))  # positive linear density
    try:
        d = kurlat.slope_decomposition(wealth, lam, mu)
    except numerics.NoRootError:
        return  # no interior cutoff for these parameters
    h = 1e-4
    try:
        fd = (kurlat.equilibrium(wealth, lam, mu + h).price - kurlat.equilibrium(wealth, lam, mu - h).price) / (2 * h)
    except numerics.NoRootError:
        return
    assert abs(d.slope - fd) < 1e-6 * max(1.0, abs(d.slope))
    assert abs(d.selection + d.threshold - d.slope) < 1e-12 * max(1.0, abs(d.selection))
    assert d.selection > 0 and d.cutoff_slope < 0


def test_prop3_case1_limit_large_wealth_at_cutoff():
    # a spike of wealth at the cutoff: dp*/dµ → λ p*² (1−θ*)/(µ²(1−λ)) as w(θ*) → ∞
    lam, mu = 0.5, 0.3
    base = kurlat.equilibrium(wealth_inc, lam, mu)
    lim = lam * base.price**2 * (1 - base.cutoff) / (mu**2 * (1 - lam))
    gaps = []
    for spike in (1e2, 1e4, 1e6):
        # same equilibrium, larger wealth density at θ* (wealth is added only in a shrinking
        # window just below the cutoff, so (18) is unchanged)
        th = base.cutoff
        wealth = lambda t, s=spike: np.where((t > th - 1e-9) & (t <= th), s, 1.2 * t)
        d = kurlat.slope_decomposition(wealth, lam, mu, breakpoints=[th - 1e-9, th])
        gaps.append(abs(d.slope - lim))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 1e-4 * lim


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
        ((wealth_const, float("nan"), 0.5), "lam"),
        ((lambda t: -1.0 + 0 * t, 0.5, 0.5), "nonnegative"),
        ((lambda t: np.where(t > 0.5, np.inf, 1.0), 0.5, 0.5), "finite"),
        ((lambda t: np.where(t > 0.5, np.nan, 1.0), 0.5, 0.5), "finite"),
        ((3.0, 0.5, 0.5), "callable"),
    ],
)
def test_equilibrium_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        kurlat.equilibrium(*args)
    with pytest.raises(ValueError, match=match):
        kurlat.price_slope(*args)


def test_uniqueness_excess_demand_ratio():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_inc, lam, mu)
    assert abs(kurlat.excess_demand_ratio(wealth_inc, eq.price, lam, mu) - 1) < 1e-10
    ps = np.linspace(0.3, 0.95, 30)
    H = [kurlat.excess_demand_ratio(wealth_inc, p, lam, mu) for p in ps]
    assert all(np.diff(H) < 0)


def test_selling_probability_eq29_continuous_at_lambda():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_dec, lam, mu)
    eta = kurlat.selling_probability([lam * eq.cutoff, lam - 1e-12, lam, lam + 1e-12], eq, wealth_dec)
    assert eta[0] == 0.0
    assert abs(eta[1] - 1) < 1e-9 and abs(eta[2] - 1) < 1e-9 and eta[3] == 1.0


def test_discretised_market_converges_to_eq29():
    lam, mu = 0.5, 0.4
    eq = kurlat.equilibrium(wealth_inc, lam, mu)
    errs = []
    for na, nb in ((200, 80), (400, 160)):
        S, R, d, i_mid, _ = kurlat.discretised_market(wealth_inc, eq, na, nb)
        c = kurlat.clear_market_rationed(S, R, d)
        errs.append(np.max(np.abs(c.eta - kurlat.selling_probability(i_mid, eq, wealth_inc))))
        assert np.all(c.eta[i_mid > lam] > 1 - 1e-12)
        assert np.all(c.eta[i_mid < lam * eq.cutoff] == 0)
    assert errs[1] < 0.6 * errs[0] < 0.01


def test_limit_price_mu_to_zero():
    lam = 0.5
    p_small = kurlat.equilibrium(wealth_inc, lam, 1e-6).price
    assert abs(p_small - kurlat.limit_price(1.2, lam)) < 1e-3


def test_price_curve_for_synthesis():
    out = kurlat.price_curve(wealth_inc, 0.5, [0.1, 0.5])
    assert out["price"].shape == (2,) and np.all(np.diff(out["price"]) < 0)
    assert np.all(out["price_over_full_information"] <= 1.0)


# ------------------------------------------------------------------ performance targets
def test_performance_targets():
    one = min(timeit.repeat(lambda: kurlat.equilibrium(wealth_inc, 0.5, 0.3), number=20, repeat=3)) / 20
    mus = np.linspace(0.05, 0.9, 200)
    curve = min(timeit.repeat(lambda: kurlat.price_curve(wealth_inc, 0.5, mus), number=1, repeat=2))
    assert one < 5e-3, f"single solve {one * 1e3:.2f} ms"
    assert curve < 1.0, f"200-point curve {curve:.2f} s"


@settings(max_examples=50, deadline=None)
@given(c=st.floats(1e-2, 1e5), lam=st.floats(0.05, 0.95), mu=st.floats(1e-6, 0.99))
def test_constant_wealth_matches_lambert_w_over_wide_range(c, lam, mu):
    p = kurlat.constant_wealth_price(c, lam)
    gap = mu * (1 - lam) * (1 - p) / (lam * p)  # 1 − θ* from (19)
    wealth = lambda t: c + 0.0 * np.asarray(t)
    if gap >= 1 - 1e-9:  # the cutoff would be at or below θ = 0
        if gap > 1 + 1e-9:
            with pytest.raises(ValueError, match="no interior cutoff"):
                kurlat.equilibrium(wealth, lam, mu)
        return
    eq = kurlat.equilibrium(wealth, lam, mu)
    assert abs(eq.price - p) < 1e-12
    # the reference 1 − θ* loses digits through 1 − p when p is close to 1: allow for that
    assert abs(eq.expertise_gap - gap) < 1e-10 * gap + 1e-15 * mu * (1 - lam) / (lam * p)
    assert abs(eq.residual18) < 1e-10 and abs(eq.residual19) < 1e-12


def test_price_curve_bad_input():
    with pytest.raises(ValueError, match="mu"):
        kurlat.price_curve(wealth_inc, 0.5, [0.2, 1.2])
    with pytest.raises(ValueError, match="lam"):
        kurlat.price_curve(wealth_inc, 1.5, [0.2])
    with pytest.raises(ValueError, match="mu"):
        kurlat.full_information_price(wealth_inc, 0.5, 0.0)


def test_full_information_price_cash_in_the_market():
    # total wealth 0.6; µ(1−λ) = 0.45 good assets: price 1; with µ(1−λ) = 0.9 > 0.6: 0.6/0.9
    assert kurlat.full_information_price(wealth_inc, 0.5, 0.9) == 1.0
    assert abs(kurlat.full_information_price(wealth_inc, 0.1, 0.9 / 0.9 * 0.999) - 0.6 / (0.999 * 0.9)) < 1e-12
