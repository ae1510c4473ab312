"""The Kurlat chapter's checks can fail: small, plausible faults injected into the library
(never switched on inside it) are each caught by a named claim of the notebook."""

import pytest
from falsification import Fault, run_with_fault, scaled

NOTEBOOK = "notebooks/kurlat.ipynb"

FAULTS = [
    Fault(
        name="equilibrium-price-1e-6",
        description="equilibrium() returns p* off by a relative 1e-6",
        inject=scaled("kurlat", "equilibrium", "1 + 1e-6", field="price"),
        caught_by=("kurlat.eq18-19.solver",),
    ),
    Fault(
        name="price-slope-sign",
        description="price_slope() returns dp*/dµ with the sign flipped (a closed form's sign)",
        inject='''
import firesales.kurlat as m
_orig = m.price_slope
m.price_slope = lambda *a, **k: -_orig(*a, **k)
''',
        caught_by=("kurlat.slope.finite-differences",),
    ),
    Fault(
        name="clear-market-ignores-order",
        description="clear_market() clears every rule in round 1, ignoring the clearing sequence",
        inject='''
import firesales.kurlat as m
_orig = m.clear_market
def _faulty(supply, rules, demand, omega):
    return _orig(supply, rules, demand, [[1] for _ in omega])
m.clear_market = _faulty
''',
        caught_by=("kurlat.table1.theta2-first",),
    ),
    Fault(
        name="terms-of-trade-constant",
        description="terms_of_trade() uses the supply of good assets 1 instead of µ (a wrong "
        "constant in the formula compared with the paper's τ(θ))",
        inject='''
import numpy as np
import firesales.kurlat as m
def _faulty(theta, price, lam, mu):
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    return (1 - lam) / (price * (lam * (1 - theta) + (1 - lam)))
m.terms_of_trade = _faulty
''',
        caught_by=("kurlat.prop1.buyers",),
    ),
    Fault(
        name="mean-wealth-1e-6",
        description="price_curve() reports the weighted mean wealth w̄ off by a relative 1e-6 (so the "
        "sign of w(θ*−) − w̄ is wrong where the two are equal, as for constant wealth)",
        inject='''
import firesales.kurlat as m
_orig = m.price_curve
def _faulty(*a, **k):
    out = _orig(*a, **k)
    out["mean_wealth"] = out["mean_wealth"] * (1 + 1e-6)
    return out
m.price_curve = _faulty
''',
        caught_by=("kurlat.fire-sales.signs",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_a_named_claim(fault):
    assert run_with_fault(NOTEBOOK, fault) in fault.caught_by
