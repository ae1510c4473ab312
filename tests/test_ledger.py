"""The ledger asserts every claim and prints records that parse back exactly."""

import numpy as np
import pytest
import sympy as sp

from firesales import ledger


def test_check_prints_a_record_that_parses_back(capsys):
    rec = ledger.check("kurlat.demo", True, place="eq. (18)", claim="market clears", method="numeric",
                       detail="residual 1e-13 < 1e-10")
    text = capsys.readouterr().out
    assert text.startswith("✓ kurlat.demo · verified · numeric · eq. (18)\n")
    (parsed,) = ledger.parse_records(text)
    assert (parsed.id, parsed.status, parsed.method, parsed.place, parsed.claim, parsed.check) == (
        rec.id, rec.status, rec.method, rec.place, rec.claim, rec.check)
    assert parsed.paper == "Kurlat"


def test_failed_claim_raises_with_its_id():
    with pytest.raises(AssertionError, match="fernando.lemma1"):
        ledger.check("fernando.lemma1", False, place="Lemma 1", claim="x", method="symbolic")


def test_condition_must_be_decided():
    x = sp.Symbol("x")
    with pytest.raises(TypeError, match="decided"):
        ledger.check("kurlat.demo", sp.Eq(x, 1), place="p", claim="c", method="symbolic")
    with pytest.raises(TypeError):
        ledger.check("kurlat.demo", 1, place="p", claim="c", method="symbolic")
    ledger.check("kurlat.demo", sp.simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) == 0, place="p", claim="c",
                 method="symbolic")
    ledger.check("kurlat.demo", np.bool_(True), place="p", claim="c", method="numeric")
    ledger.check("kurlat.demo", sp.true, place="p", claim="c", method="symbolic")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(claim_id="nopaper"), "claim id"),
        (dict(claim_id="unknown.x"), "claim id"),
        (dict(method="guess"), "method"),
        (dict(status="fine"), "status"),
        (dict(place="a · b"), "place"),
        (dict(claim="  "), "claim"),
    ],
)
def test_malformed_records_are_refused(kwargs, message):
    args = dict(claim_id="kurlat.x", place="eq. (1)", claim="c", method="numeric")
    args.update(kwargs)
    claim_id = args.pop("claim_id")
    with pytest.raises(ValueError, match=message):
        ledger.check(claim_id, True, **args)


def test_reconstruction_defaults_to_reconstructed(capsys):
    rec = ledger.check("eisenbach_phelan.x", True, place="Sec. III", claim="c", method="reconstruction")
    assert rec.status == "reconstructed"


def test_erratum_records_printed_and_derived(capsys):
    ledger.erratum("cheng_robatto.planner", True, place="Sec. 3.2", printed="masses θ and 1−θ",
                   derived="conditional masses", claim="the printed problem is inconsistent")
    (parsed,) = ledger.parse_records(capsys.readouterr().out)
    assert parsed.status == "erratum"
    assert parsed.printed == "masses θ and 1−θ" and parsed.derived == "conditional masses"


def test_parse_ignores_other_output():
    text = "some output\n✓ fernando.a · verified · numeric · eq. (5)\n    claim: c\nother\n    claim: stray\n"
    (rec,) = ledger.parse_records(text)
    assert rec.claim == "c"
