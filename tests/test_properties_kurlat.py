"""Properties of every public function of firesales.kurlat over its documented valid range.

Inputs are drawn log-uniformly down to the bounds (λ and µ near 0 and near 1, wealth over many
orders of magnitude), every call runs under a CPU-time limit, and the only exception a call may
raise is a ``ValueError`` (the module's refusals); anything else fails the test. Each property
checks an identity computed without the function under test: the closed form of (18) for
piecewise-constant wealth (logarithms, Brent), a 30-digit closed form of dp*/dµ for linear
wealth, QUADPACK-free formulas for η of (29), the fractional-knapsack optimum of the sellers'
program, exact rational clearing against floating point, and the paper's signs and bounds.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st
from scipy import optimize

from firesales import kurlat, numerics
from contract import call_or_refusal as call  # a refusal is returned, anything else fails

FAST = settings(derandomize=True, deadline=None, max_examples=25, database=None)




def loguniform(lo: float, hi: float):
    """Log-uniform on [lo, hi], with the two ends drawn often."""
    inner = st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)
    return st.one_of(st.sampled_from([lo, hi]), inner, inner, inner)


def unit_share(lo: float = 1e-9):
    """A share in (0, 1) weighted to both ends: x or 1 − x with x log-uniform in [lo, 1/2]."""
    return st.one_of(loguniform(lo, 0.5), loguniform(lo, 0.5).map(lambda x: 1.0 - x))


# ------------------------------------------------------------------ closed forms, independent of the solver
def step_density(edges, levels):
    edges, levels = np.asarray(edges, float), np.asarray(levels, float)

    def w(t):
        t = np.asarray(t, dtype=float)
        return levels[np.clip(np.searchsorted(edges, t, side="left") - 1, 0, len(levels) - 1)]

    return w


def step_head(edges, levels, lam, mu, s, power=1):
    """∫_{1−s}^1 w/N^power dθ for piecewise-constant w, in closed form (power 0 or 1), N = λ(1−θ) + µ(1−λ)."""
    eps = mu * (1 - lam)
    total = 0.0
    for a, b, c in zip(edges[:-1], edges[1:], levels):
        lo, hi = 1.0 - b, min(1.0 - a, s)
        if lo < hi:
            total += c * (hi - lo) if power == 0 else c / lam * math.log1p(lam * (hi - lo) / (lam * lo + eps))
    return total


def step_equilibrium(edges, levels, lam, mu):
    """(p*, 1 − θ*) from (18)-(19) by Brent on the closed form, or None without an interior cutoff."""
    eps = mu * (1 - lam)
    G = lambda s: (lam * s + eps) * step_head(edges, levels, lam, mu, s) - eps  # noqa: E731
    if not G(1.0) > 0:
        return None
    s = optimize.brentq(G, 0.0, 1.0, xtol=1e-300, rtol=1e-15, maxiter=4000)
    return eps / (lam * s + eps), s


@st.composite
def step_markets(draw):
    k = draw(st.integers(1, 4))
    inner = sorted(set(draw(st.lists(st.floats(0.01, 0.99), min_size=k - 1, max_size=k - 1))))
    edges = [0.0, *inner, 1.0]
    levels = [draw(loguniform(1e-3, 1e3)) for _ in range(len(edges) - 1)]
    return edges, levels, draw(unit_share(1e-6)), draw(unit_share(1e-9))


# ------------------------------------------------------------------ the equilibrium and its relatives
@FAST
@given(step_markets())
def test_equilibrium_matches_the_closed_form_of_eq18(market):
    """equilibrium = Brent on the log closed form; excess_demand_ratio(p*) = 1 and H(p) against the
    closed form; full_information_price = min(1, ∫w/(µ(1−λ))); terms_of_trade(θ*; p*) = 1."""
    edges, levels, lam, mu = market
    w, bps = step_density(edges, levels), edges[1:-1]
    ref = step_equilibrium(edges, levels, lam, mu)
    eq = call(kurlat.equilibrium, w, lam, mu, breakpoints=bps)
    if ref is None:
        assert isinstance(eq, numerics.NoRootError)
        return
    if isinstance(eq, ValueError):  # only where the cutoff is within rounding of a step (G flat there)
        pytest.fail(f"refused an interior equilibrium: {eq}")
    p, s = ref
    assert abs(eq.price - p) <= 1e-9 * p
    assert abs(eq.expertise_gap - s) <= 1e-9 * s + 1e-15
    assert 0 < eq.price < 1 and 0 <= eq.cutoff < 1
    # H(p*) = 1 is (18); p* near 1 carries a relative rounding error eps/(1 − p*) in 1 − p*, and H with it
    cond = 4 * np.finfo(float).eps / (1 - eq.price)
    assert abs(call(kurlat.excess_demand_ratio, w, eq.price, lam, mu, breakpoints=bps) - 1) < 1e-9 + cond
    q = min(1.0 - 1e-12, 0.5 * (eq.price + 1.0))  # a price above p*: first-round demand below supply
    s_q = min(mu * (1 - lam) * ((1 - q) / q) / lam, 1.0)
    H = call(kurlat.excess_demand_ratio, w, q, lam, mu, breakpoints=bps)
    assert abs(H - step_head(edges, levels, lam, mu, s_q) / q) <= 1e-9 * max(H, 1e-300)
    assert H <= 1 + 1e-9
    total = step_head(edges, levels, lam, mu, 1.0, power=0)
    fi = call(kurlat.full_information_price, w, lam, mu, breakpoints=bps)
    assert abs(fi - min(1.0, total / (mu * (1 - lam)))) <= 1e-12 * fi
    assert eq.price <= fi + 1e-12  # the friction never raises the price of a high-quality asset
    tau = call(kurlat.terms_of_trade, [eq.cutoff, 1.0], eq.price, lam, mu)
    # τ takes θ: 1 − θ* near the top carries a relative rounding error eps/(1 − θ*)
    assert abs(tau[0] - 1) < 1e-9 + 4 * np.finfo(float).eps / (1 - eq.cutoff) and tau[1] >= tau[0]


@settings(derandomize=True, deadline=None, max_examples=20, database=None)
@given(lam=unit_share(1e-4), mu=loguniform(1e-12, 0.999), a=loguniform(1e-2, 1e2),
       b=st.floats(-1.9, 1.9))
def test_slope_against_the_closed_form_or_refused(lam, mu, a, b):
    """price_slope, slope_decomposition and price_curve for linear wealth a(1 + b(θ − ½)) against
    dp*/dµ of the closed form at 30 digits, to SLOPE_RTOL of |dp*/dµ| + p*(1 − p*), or a
    SlopeAccuracyError (only as µ(1 − λ) → 0); selection = p*(1 − p*)/µ; Prop. 3's sign."""
    import mpmath as mp

    w = lambda t: a * (1.0 + b * (np.asarray(t, float) - 0.5))  # noqa: E731
    d = call(kurlat.slope_decomposition, w, lam, mu)
    event(type(d).__name__)
    if isinstance(d, numerics.NoRootError):  # wealth too small for an interior cutoff: G(θ = 0) ≤ 0
        assert call(kurlat.excess_demand_ratio, w, mu * (1 - lam) / (lam + mu * (1 - lam)), lam, mu) <= 1 + 1e-12
        return
    if isinstance(d, kurlat.SlopeAccuracyError):
        assert mu * (1 - lam) < 1e-6
        return
    assert not isinstance(d, ValueError), d
    with mp.workdps(30):
        A, B, L = mp.mpf(a), mp.mpf(b), mp.mpf(lam)

        def price(m):  # ∫_0^s w(1 − u)/(Lu + e) du in closed form, w(1 − u) = A(1 + B/2) − ABu
            e = m * (1 - L)
            c0, c1 = A * (1 + B / 2), -A * B
            head = lambda s: (c0 - c1 * e / L) / L * mp.log1p(L * s / e) + c1 * s / L  # noqa: E731
            G = lambda s: (L * s + e) * head(s) - e  # noqa: E731
            s = mp.findroot(G, (mp.mpf(0) + e * mp.mpf("1e-12"), mp.mpf(1)), solver="anderson")
            return e / (L * s + e)

        ref = float(mp.diff(price, mp.mpf(mu)))
    p = d.price
    assert abs(d.slope - ref) <= kurlat.SLOPE_RTOL * (abs(ref) + p * (1 - p))
    assert abs(d.selection - p * (1 - p) / mu) <= 1e-9 * d.selection
    assert abs(d.selection + d.threshold - d.slope) <= 1e-12 * max(d.selection, abs(d.slope))
    assert d.cutoff_slope <= 0  # more distressed sellers: the cutoff falls
    if abs(d.slope) > 10 * kurlat.SLOPE_RTOL * (abs(d.slope) + p * (1 - p)):
        assert np.sign(d.slope) == -np.sign(b)  # w rising in θ: w(θ*) < w̄, the price falls
    assert call(kurlat.price_slope, w, lam, mu) == d.slope
    curve = call(kurlat.price_curve, w, lam, [mu])
    assert curve["slope"][0] == d.slope and curve["price"][0] == d.price
    assert curve["full_information"][0] == pytest.approx(min(1.0, a / (mu * (1 - lam))), rel=1e-12)
    # the friction's discount: p* over the full-information price min(1, ∫w / (µ(1 − λ))), ∫w = a
    assert curve["price_over_full_information"][0] == pytest.approx(d.price / min(1.0, a / (mu * (1 - lam))),
                                                                    rel=1e-12)
    assert curve["limit_price"] == pytest.approx(call(kurlat.limit_price, a * (1 + b / 2), lam), rel=1e-15)


@FAST
@given(w=loguniform(1e-12, 1e12), lam=unit_share(1e-12))
def test_constant_wealth_price_solves_its_equation(w, lam):
    """p = exp(−W₀(λ/w)) solves λp = w log(1/p) (checked with log1p where p is near 1); it lies in
    (0, 1], rises with w, and limit_price is the same function of w(1)."""
    p = call(kurlat.constant_wealth_price, w, lam)
    if isinstance(p, ValueError):
        assert lam / w > 1e300
        return
    assert 0 < p <= 1
    assert call(kurlat.limit_price, w, lam) == p
    if p < 1 - 1e-6:
        # log p of the rounded p carries eps/(1 − p) relative: 4 eps·w absolute
        assert abs(lam * p - w * -math.log(p)) <= 1e-12 * lam * p + 4 * np.finfo(float).eps * w
    else:  # p = 1 − x with x ≈ λ/w: λ(1 − x) = w x(1 + x/2 + ...)
        x = lam / w  # 1 − p = x − 3x²/2 + O(x³): within 2x² of x
        assert abs((1 - p) - x) <= 2 * x * x + 4e-16
    p2 = call(kurlat.constant_wealth_price, w * 1.5, lam)
    assert p2 >= p


@FAST
@given(step_markets(), st.lists(st.floats(0, 1), min_size=1, max_size=6))
def test_selling_probability_matches_eq29_in_closed_form(market, points):
    """η(i) of (29): 0 below λθ*, ∫_{θ*}^{i/λ} w/(N p*) (closed form) on [λθ*, λ], 1 above λ."""
    edges, levels, lam, mu = market
    assume(step_equilibrium(edges, levels, lam, mu) is not None)
    w, bps = step_density(edges, levels), edges[1:-1]
    eq = call(kurlat.equilibrium, w, lam, mu, breakpoints=bps)
    assume(not isinstance(eq, ValueError))
    i = np.array(points)
    eta = call(kurlat.selling_probability, i, eq, w, breakpoints=bps)
    s_star = eq.expertise_gap
    for ik, ek in zip(i, eta):
        if ik > lam:
            assert ek == 1.0
        elif ik < lam * eq.cutoff:
            assert ek == 0.0
        else:
            s_i = 1.0 - min(ik / lam, 1.0)
            part = step_head(edges, levels, lam, mu, s_star) - step_head(edges, levels, lam, mu, s_i)
            assert abs(ek - min(max(part / eq.price, 0.0), 1.0)) <= 1e-8
    order = np.argsort(i)
    assert np.all(np.diff(eta[order]) >= -1e-12)


@st.composite
def small_markets(draw):
    """A market in exact rationals: 1-4 assets, 1-3 acceptance rules."""
    n_assets, n_rules = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    frac = st.fractions(min_value=0, max_value=3, max_denominator=20)
    supply = [draw(frac) for _ in range(n_assets)]
    rules = [[draw(st.integers(0, 1)) for _ in range(n_assets)] for _ in range(n_rules)]
    demand = [draw(frac) for _ in range(n_rules)]
    return supply, rules, demand


@FAST
@given(small_markets())
def test_clearing_exact_and_float_agree_and_conserve(market):
    """clear_market_rationed in exact arithmetic conserves every asset exactly (supply = residual +
    sold), keeps residuals ≥ 0 and η ∈ [0, 1]; the float run agrees to 1e-12; clear_market with the
    rationed ω reproduces the allocation."""
    supply, rules, demand = market
    exact = call(kurlat.clear_market_rationed, supply, rules, demand)
    assert not isinstance(exact, ValueError), exact
    sold = [sum(Fraction(d) * a for d, a in zip(demand, col)) for col in exact.allocation.T]
    assert [s - r for s, r in zip(supply, exact.residual)] == sold
    assert all(r >= 0 for r in exact.residual) and all(0 <= e <= 1 for e in exact.eta)
    assert all(sum(row) == 1 for row in exact.omega) or exact.omega.shape[1] == 0 or not any(demand)
    floats = call(kurlat.clear_market_rationed, [float(x) for x in supply], rules, [float(x) for x in demand])
    assert np.allclose(floats.allocation.astype(float), exact.allocation.astype(float), atol=1e-12)
    if exact.omega.shape[1]:
        again = call(kurlat.clear_market, supply, rules, demand, exact.omega)
        assert (again.allocation == exact.allocation).all()


@FAST
@given(step_markets(), st.integers(2, 40), st.floats(0.5, 1.5))
def test_discretised_market_demand_and_supply(market, n_cells, factor):
    """discretised_market at p: lemon cells sum to λ, the good cell is µ(1−λ), demand sums to
    ∫_{θ(p)}^1 w/p (closed form), buyer cells accept the lemons above their own signal cutoff."""
    edges, levels, lam, mu = market
    ref = step_equilibrium(edges, levels, lam, mu)
    assume(ref is not None)
    p = min(ref[0] * factor, 1 - 1e-9)
    w, bps = step_density(edges, levels), edges[1:-1]
    mk = call(kurlat.discretised_market, w, lam, mu, p, n_cells, breakpoints=bps)
    assert not isinstance(mk, ValueError), mk
    assert abs(mk.supply[:-1].sum() - lam) <= 1e-12 and mk.supply[-1] == pytest.approx(mu * (1 - lam), rel=1e-15)
    s_p = min(mu * (1 - lam) * ((1 - p) / p) / lam, 1.0)
    total = step_head(edges, levels, lam, mu, s_p, power=0) / p
    assert abs(mk.demand.sum() - total) <= 1e-9 * max(total, 1e-300)
    assert np.all(mk.rules[:, -1] == 1) and np.all(np.diag(mk.rules[:, :-1]) == 1)
    assert mk.cutoff == pytest.approx(1 - s_p, abs=1e-12) if s_p < 1 else mk.cutoff == 0.0


@FAST
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_seller_supply_attains_the_fractional_knapsack_optimum(n_assets, n_markets, data):
    """(1)-(5) asset by asset is a fractional knapsack: fill the markets with the largest gain
    p(m) − βq(i) first, each up to η(i, m) of the one unit; the LP must reach that value."""
    prices = [data.draw(loguniform(1e-3, 10.0)) for _ in range(n_markets)]
    eta = [[data.draw(st.floats(0.01, 1.0)) for _ in range(n_markets)] for _ in range(n_assets)]
    quality = [data.draw(loguniform(1e-3, 10.0)) for _ in range(n_assets)]
    beta = data.draw(st.floats(0, 1))
    s = call(kurlat.seller_supply, prices, eta, quality, beta)
    assert not isinstance(s, ValueError), s
    for i in range(n_assets):
        gains = [(prices[m] - beta * quality[i], eta[i][m]) for m in range(n_markets)]
        left, best = 1.0, 0.0
        for g, e in sorted(gains, reverse=True):
            if g <= 0 or left <= 0:
                break
            take = min(e, left)
            best, left = best + take * g, left - take
        got = sum(s[i, m] * eta[i][m] * gains[m][0] for m in range(n_markets))
        assert got >= best - 1e-6 * max(1.0, best)
        assert np.all((s[i] >= 0) & (s[i] <= 1)) and s[i] @ np.array(eta[i]) <= 1 + 1e-7


@FAST
@given(lam=unit_share(1e-12), mu=unit_share(1e-12))
def test_pooled_price_is_the_mean_quality(lam, mu):
    """Uhlig's benchmark by the clearing algorithm equals the mean quality µ(1−λ)/(λ + µ(1−λ)) and
    rises with µ."""
    p = call(kurlat.pooled_price, lam, mu)
    eps = mu * (1 - lam)
    assert abs(p - eps / (lam + eps)) <= 1e-12 * p
    if mu < 0.5:
        assert call(kurlat.pooled_price, lam, 2 * mu) >= p


@settings(derandomize=True, deadline=None, max_examples=8, database=None)
@given(step_markets())
def test_max_distress_is_where_the_interior_cutoff_ends(market):
    """µ̄ solves (λ + e)/e ∫_0^1 w/(λ(1−θ) + e) dθ = 1, e = µ(1−λ), with the integral in closed form
    (Brent on µ); the equilibrium of (18)-(19) exists at µ̄(1 − 1e-7) and not at µ̄(1 + 1e-7)."""
    edges, levels, lam, _ = market
    w, bps = step_density(edges, levels), edges[1:-1]
    F = lambda mu: (lam + mu * (1 - lam)) / (mu * (1 - lam)) * step_head(edges, levels, lam, mu, 1.0) - 1  # noqa: E731
    got = call(kurlat.max_distress, w, lam, breakpoints=bps)
    assert not isinstance(got, ValueError), got
    if F(1.0) > 0:
        assert got == 1.0
        assert step_equilibrium(edges, levels, lam, 1 - 1e-9) is not None
        return
    ref = optimize.brentq(F, 1e-9, 1.0, xtol=1e-300, rtol=1e-15)
    assert abs(got - ref) <= 1e-10 * ref
    assert step_equilibrium(edges, levels, lam, got * (1 - 1e-7)) is not None
    assert step_equilibrium(edges, levels, lam, got * (1 + 1e-7)) is None
    eq = call(kurlat.equilibrium, w, lam, got * (1 - 1e-7), breakpoints=bps)
    assert not isinstance(eq, ValueError), eq
    assert isinstance(call(kurlat.equilibrium, w, lam, got * (1 + 1e-7), breakpoints=bps), numerics.NoRootError)
