"""The Cheng & Robatto chapter's checks can fail: each injected fault is caught by a named claim.

Seven faults, chosen to stay fast (each run stops at the claim that catches it): the three
applications' prices (`run_price`, `otc_price`, `limited_participation_price`), the general
framework's market-clearing price, the CRRA threshold of eq. (10), the log example's
split between constrained and slack investors (eq. (9)) and the run price with Sec. 3.1's
impatient agents. Faults in
`good_equilibrium`, `bank_run_ex_ante` and `distress_price` were also tried (caught by
prop3-2, prop2-1.bankrun and distress.benchmark) but are left out for time; the unit tests
cover them.
"""

import pytest
from falsification import Fault, run_with_fault, scaled

NOTEBOOK = "notebooks/cheng_robatto.ipynb"


FAULTS = [
    Fault(
        name="run-price-1e-6",
        description="run_price() returns the run price of Prop. 3.3 off by a relative 1e-6",
        inject=scaled("cheng_robatto", "run_price", "1 + 1e-6"),
        caught_by=("cheng_robatto.prop3-3",),
    ),
    Fault(
        name="otc-price-sign",
        description="otc_price() flips the sign of (1 - alpha)(1 - theta) beta in (26) and between",
        inject="""
import firesales.cheng_robatto as m
_orig = m.otc_price
def _faulty(theta, beta, alpha):
    if alpha == 1:
        return _orig(theta, beta, alpha)
    return 1.0 / (1.0 - (1.0 - alpha) * (1.0 - theta) * beta)
m.otc_price = _faulty
""",
        caught_by=("cheng_robatto.eq26",),
    ),
    Fault(
        name="participation-constant",
        description="limited_participation_price() uses p theta for p (theta + gamma) in the consistent price",
        inject="""
import firesales.cheng_robatto as m
_orig = m.limited_participation_price
def _faulty(theta, gamma, p, *, variant="consistent"):
    if variant != "consistent":
        return _orig(theta, gamma, p, variant=variant)
    return p * theta / (p * theta + (1 - p) * (1 - theta - gamma))
m.limited_participation_price = _faulty
""",
        caught_by=("cheng_robatto.prop3-5",),
    ),
    Fault(
        name="framework-price-1e-6",
        description="framework_equilibrium() returns the market-clearing price off by a relative 1e-6",
        inject=scaled("cheng_robatto", "framework_equilibrium", "1 + 1e-6", field="q"),
        caught_by=("cheng_robatto.eq7.pricing",),
    ),
    Fault(
        name="crra-threshold-1e-6",
        description="crra_threshold() returns rho* off by a relative 1e-6",
        inject=scaled("cheng_robatto", "crra_threshold", "1 + 1e-6"),
        caught_by=("cheng_robatto.eq10.crra-region",),
    ),
    Fault(
        name="log-example-constrained-1e-6",
        description="log_example_constrained() returns the constrained investors' consumption "
        "off by a relative 1e-6",
        inject="""
import firesales.cheng_robatto as m
_orig = m.log_example_constrained
def _faulty(beta, sigma):
    c, fb, above = _orig(beta, sigma)
    return c * (1 + 1e-6), fb, above
m.log_example_constrained = _faulty
""",
        caught_by=("cheng_robatto.eq9.slack",),
    ),
    Fault(
        name="run-price-literal-1e-6",
        description="run_price_literal() returns the Sec. 3.1 run price off by a relative 1e-6",
        inject=scaled("cheng_robatto", "run_price_literal", "1 + 1e-6"),
        caught_by=("cheng_robatto.sec3-1.impatient",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_a_named_claim(fault):
    assert run_with_fault(NOTEBOOK, fault) in fault.caught_by
