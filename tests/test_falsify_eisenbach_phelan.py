"""The Eisenbach & Phelan chapter's checks can fail: each injected fault is caught by a named claim."""

import pytest
from falsification import Fault, run_with_fault, scaled

NOTEBOOK = "notebooks/eisenbach_phelan.ipynb"

FAULTS = [
    Fault(
        name="liquidity-equilibrium-1e-6",
        description="liquidity_equilibrium() returns the liquidity l off by a relative 1e-6",
        inject=scaled("eisenbach_phelan", "liquidity_equilibrium", "1 + 1e-6", field="liquidity"),
        caught_by=("eisenbach_phelan.rebuilt.alpha0", "eisenbach_phelan.rebuilt.best_response"),
    ),
    Fault(
        name="productivity-equilibrium-1e-6",
        description="productivity_equilibrium() returns the capital k off by a relative 1e-6",
        inject=scaled("eisenbach_phelan", "productivity_equilibrium", "1 + 1e-6", field="k"),
        caught_by=("eisenbach_phelan.rebuilt.productivity_best_response",),
    ),
    Fault(
        name="b7-threshold-sign",
        description="(B7) implemented with (N phi - (N - 1) f) in the numerator",
        inject='''
import firesales.eisenbach_phelan as m
def _faulty(liquidity, N, phi, R):
    return (N * phi - (N - 1) * liquidity) / (N * phi + N * liquidity) * R
m.b7_threshold = _faulty
''',
        caught_by=("eisenbach_phelan.B7.symmetric",),
    ),
    Fault(
        name="b4-threshold-constant",
        description="(B4) implemented with N a instead of 2 N a (the households' cash halved)",
        inject='''
import firesales.eisenbach_phelan as m
def _faulty(f, N, a):
    return (N * a + (N - 1) * f) / (N * a + N * f)
m.b4_threshold = _faulty
''',
        caught_by=("eisenbach_phelan.B4.symmetric",),
    ),
    Fault(
        name="underprovision-band-1e-6",
        description="underprovision_band() returns the band's ends off by a relative 1e-6",
        inject='''
import firesales.eisenbach_phelan as m
_original = m.underprovision_band
def _faulty(*args, **kwargs):
    band = _original(*args, **kwargs)
    return band and tuple(x * (1 + 1e-6) for x in band)
m.underprovision_band = _faulty
''',
        caught_by=("eisenbach_phelan.D.attenuation",),
    ),
    Fault(
        name="underprovision-bound-sign",
        description="the outside-liquidity bound written beta/(2(1 - sqrt(1 + beta))) in absolute value",
        inject='''
import math
import firesales.eisenbach_phelan as m
m.underprovision_phi_bound = lambda beta: abs(beta / (2 * (1 - math.sqrt(1 + beta))))
''',
        caught_by=("eisenbach_phelan.D.attenuation",),
    ),
    Fault(
        name="b4-crossing-1e-6",
        description="b4_crossing() returns the spread where (B4) starts to fail off by a relative 1e-6",
        inject=scaled("eisenbach_phelan", "b4_crossing", "1 + 1e-6"),
        caught_by=("eisenbach_phelan.figB1.b4_cournot",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_a_named_claim(fault):
    assert run_with_fault(NOTEBOOK, fault) in fault.caught_by
