"""The Fernando chapter's checks can fail: each injected fault is caught by a named claim.

Every fault is a small, plausible error in what the chapter checks, injected by
monkeypatching the library in a first cell (never by a switch inside the library). To keep
the runs short the injected cell also stops figures from being drawn and saved: figures
carry no claim, and the claims that must catch the faults do not depend on them.
"""

import pytest
from falsification import Fault, run_with_fault, scaled

NOTEBOOK = "notebooks/fernando.ipynb"

NO_FIGURES = """
import firesales.figures.fernando as _figs
for _name in _figs.__all__:
    setattr(_figs, _name, lambda *a, **k: None)
"""

FAULTS = [
    Fault(
        name="price0-relative-1e-6",
        description="price0() (eq. 6) returns P0 off by a relative 1e-6",
        inject=NO_FIGURES + scaled("fernando", "price0", "1 + 1e-6"),
        caught_by=("fernando.lemma2.numeric",),
    ),
    Fault(
        name="expected-volume-wrong-constant",
        description="expected_volume() (eq. 10) divides by pi instead of 2 pi under the root",
        inject=NO_FIGURES + """
import math
import firesales.fernando as m
def _volume(a, sigma_v, sigma_eps, lam, M):
    return math.sqrt(M * (M - 1) / math.pi) * sigma_eps / (a * sigma_v**2 + 2 * lam)
m.expected_volume = _volume
""",
        caught_by=("fernando.lemma3.monte-carlo",),
    ),
    Fault(
        name="clientele-sign-flip",
        description="clientele_equilibrium() (eq. 16) has (1 + phi) where (1 - phi) belongs",
        inject=NO_FIGURES + """
import firesales.fernando as m
def _clientele(vbar, a, sigma_v, sigma_delta, sigma_eps, phi):
    S2 = sigma_v**2 + sigma_eps**2
    S1 = S2 + sigma_delta**2
    mu = phi * S2 / (S2 + (1 + phi) * sigma_delta**2)
    return mu, vbar - a * S1 * S2 / (phi * S2 + (1 - phi) * S1)
m.clientele_equilibrium = _clientele
""",
        caught_by=("fernando.lemma7.numeric",),
    ),
    Fault(
        name="liquid-equilibrium-sign-flip",
        description="liquid_equilibrium() (corrected Lemma 5) adds the hedging term instead of subtracting it",
        inject=NO_FIGURES + """
import dataclasses
import numpy as np
import firesales.fernando as m
_orig = m.liquid_equilibrium
def _liquid(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights):
    r = _orig(vbar, a, sigma_v, sigma_delta, sigma_eps, gammas, weights)
    g = np.asarray(gammas, float)
    d = g - np.dot(weights, g)
    shift = 2 * d * sigma_v**2 / (np.dot(weights, g) * (sigma_v**2 + sigma_eps**2))
    return dataclasses.replace(r, holdings=tuple(np.add(r.holdings, shift)))
m.liquid_equilibrium = _liquid
""",
        caught_by=("fernando.eq13.holdings",),
    ),
    Fault(
        name="priced-share-relative-1e-6",
        description="priced_idiosyncratic_share() (eq. 7's idiosyncratic part) is off by a relative 1e-6",
        inject=NO_FIGURES + scaled("fernando", "priced_idiosyncratic_share", "1 + 1e-6"),
        caught_by=("fernando.sec4.idiosyncratic-priced", "fernando.synthesis.priced-share"),
    ),
    Fault(
        name="multi-security-price0-relative-1e-6",
        description="multi_security_equilibrium() returns time-0 prices off by a relative 1e-6",
        inject=NO_FIGURES + scaled("fernando", "multi_security_equilibrium", "1 + 1e-6", field="price0"),
        caught_by=("fernando.sec4.price0-exact",),
    ),
]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_is_caught_by_a_named_claim(fault):
    assert run_with_fault(NOTEBOOK, fault) in fault.caught_by
