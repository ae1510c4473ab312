"""The ledger asserts every claim, refuses records that break the status rules, and prints
records that parse back exactly; the falsification and contract harnesses can fail."""

import sys
import types

import nbformat
import numpy as np
import pytest
import sympy as sp

from firesales import book, ledger

sys.path.insert(0, str(book.ROOT / "tests"))
from contract import assert_rejects, assert_table_complete, bad_values, contract_cases  # noqa: E402
from falsification import Fault, run_with_fault  # noqa: E402

OK = dict(place="eq. (18)", claim="market clears", method="numeric", status="verified",
          detail="residual 1e-13 < 1e-10 against quadrature")


def test_check_prints_a_record_that_parses_back(capsys):
    rec = ledger.check("kurlat.demo", True, **OK)
    text = capsys.readouterr().out
    assert text.startswith("✓ kurlat.demo · verified · numeric · eq. (18)\n")
    (parsed,) = ledger.parse_records(text)
    for key in ("id", "status", "method", "place", "claim", "check", "printed", "derived", "paper_numbers", "passed"):
        assert getattr(parsed, key) == getattr(rec, key), key
    assert parsed.paper == "Kurlat"


def test_every_field_round_trips(capsys):
    rec = ledger.check("fernando.eq6", True, place="eq. (6)", claim="the printed price is garbled",
                       method="symbolic", status="illegible", detail="six σ and two λ fit the reading",
                       printed="P0 = v − a σ ... λ", derived="P0 = v̄ − a(σ_v² + ...)", paper_numbers=True)
    (parsed,) = ledger.parse_records(capsys.readouterr().out)
    assert (parsed.printed, parsed.derived, parsed.paper_numbers) == (rec.printed, rec.derived, True)
    assert "tied to: the paper's printed numbers" in rec.render()


def test_failed_claim_raises_with_its_id():
    with pytest.raises(AssertionError, match=r"^claim fernando.lemma1 \(Lemma 1\) failed"):
        ledger.check("fernando.lemma1", False, **{**OK, "place": "Lemma 1"})


def test_report_mode_shows_a_failed_record_and_goes_on(capsys, monkeypatch):
    monkeypatch.setenv("FIRESALES_LEDGER", "report")
    rec = ledger.check("fernando.lemma1", False, **OK)
    assert not rec.passed
    (parsed,) = ledger.parse_records(capsys.readouterr().out)
    assert parsed.id == "fernando.lemma1" and not parsed.passed and parsed.failed


def test_condition_must_be_decided():
    x = sp.Symbol("x")
    with pytest.raises(TypeError, match="decided"):
        ledger.check("kurlat.demo", sp.Eq(x, 1), **OK)
    with pytest.raises(TypeError):
        ledger.check("kurlat.demo", 1, **OK)
    ledger.check("kurlat.demo", sp.simplify(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1) == 0, **OK)
    ledger.check("kurlat.demo", np.bool_(True), **OK)
    ledger.check("kurlat.demo", sp.true, **OK)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(claim_id="nopaper"), "claim id"),
        (dict(claim_id="unknown.x"), "claim id"),
        (dict(method="guess"), "method"),
        (dict(method="reconstruction"), "method"),
        (dict(status="fine"), "status"),
        (dict(place="a · b"), "place"),
        (dict(claim="  "), "claim"),
        (dict(detail=""), "detail"),
        (dict(claim_id="synthesis.x"), "nothing in it can be 'verified'"),
        (dict(status="erratum", printed="p", derived="d", detail="no numbers"), "numbers"),
        (dict(status="conflict", detail="fails"), "numbers"),
        (dict(status="erratum", derived="d", detail="q = 1.02"), "printed"),
        (dict(status="illegible", printed="garbled", detail="fits"), "derived"),
    ],
)
def test_records_that_break_the_status_rules_are_refused(changes, message):
    args = {**OK, **changes}
    claim_id = args.pop("claim_id", "kurlat.x")
    with pytest.raises(ValueError, match=message):
        ledger.check(claim_id, True, **args)


def test_status_is_required():
    args = {k: v for k, v in OK.items() if k != "status"}
    with pytest.raises(TypeError, match="status"):
        ledger.check("kurlat.x", True, **args)


def test_extension_is_allowed_in_the_synthesis(capsys):
    assert ledger.check("synthesis.x", True, **{**OK, "status": "extension"}).status == "extension"


def test_parse_ignores_other_output():
    text = "some output\n✓ fernando.a · verified · numeric · eq. (5)\n    claim: c\nother\n    claim: stray\n"
    (rec,) = ledger.parse_records(text)
    assert rec.claim == "c"


def test_anchor_is_a_sphinx_label():
    assert ledger.anchor("kurlat.prop3.case2") == "claim-kurlat-prop3-case2"
    assert ledger.anchor("cheng_robatto.eq12-13.envelope") == "claim-cheng-robatto-eq12-13-envelope"


def test_html_form_links_to_the_ledger_and_escapes(capsys):
    rec = ledger.check("kurlat.demo", True, **{**OK, "claim": "p < 1 & q > 0"})
    block = rec.render_html()
    assert 'href="../book/claims.html#claim-kurlat-demo"' in block
    assert "p &lt; 1 &amp; q &gt; 0" in block and "white-space:normal" in block


def test_generated_pages_keep_the_statuses_apart():
    recs = []
    for i, status in enumerate(ledger.STATUSES):
        r = ledger.Record(f"kurlat.c{i}", status, "numeric", f"eq. ({i})", "c", "x = 1.5",
                          printed="p" if status in ("erratum", "illegible") else "",
                          derived="d" if status in ("erratum", "illegible") else "")
        r.extra = {"notebook": "notebooks/kurlat.ipynb", "section": "S", "anchor": "s"}
        recs.append(r)
    counts = book.status_counts(recs)
    assert "| Kurlat | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 6 | 7 |" in counts  # extension not among the paper's
    errata = book.errata_page(recs)
    papers_part, copies_part = errata.split("## Defects of our copies")
    assert "`kurlat.c5`" in papers_part.split("## Errors in the papers")[1] and "`kurlat.c4`" not in papers_part
    assert "`kurlat.c4`" in copies_part.split("## Where a reconstruction")[0]
    assert "(claim-kurlat-c0)=" in book.claims_page(recs)


# ---- the contract harness must be able to fail


def _module(**functions):
    mod = types.ModuleType("probe")
    mod.__all__ = list(functions)
    for name, func in functions.items():
        func.__name__ = name
        setattr(mod, name, func)
    return mod


def test_contract_harness_catches_a_function_that_takes_strings():
    from firesales import numerics

    def good(lam=0.5):
        return numerics.check_interval("lam", lam, 0.0, 1.0)

    def sloppy(lam=0.5):
        return float(lam)

    mod = _module(good=good, sloppy=sloppy)
    table = {"good": dict(lam=0.5), "sloppy": dict(lam=0.5)}
    assert_table_complete(mod, table)
    failures = {}
    for case in contract_cases(mod, table):
        func, kwargs, param, bad = case.values
        try:
            assert_rejects(func, kwargs, param, bad)
        except AssertionError as error:
            failures[case.id] = str(error)
    assert all(key.startswith("sloppy-") for key in failures) and "sloppy-lam-a numeric string" in failures
    with pytest.raises(AssertionError, match="missing"):
        assert_table_complete(mod, {"good": dict(lam=0.5)})


def test_bad_values_follow_the_kind_of_the_valid_value():
    assert ("a non-integer", 2.5) in bad_values(3)
    labels = [label for label, _ in bad_values(0.5)]
    assert {"a numeric string", "None", "a bool", "NaN", "+inf", "-inf"} <= set(labels)
    assert "a non-integer" not in labels
    seq = dict(bad_values([[0.0, 1.0], [2.0]]))
    assert seq["a sequence holding a numeric string"] == [["0.4", 1.0], [2.0]]
    assert bad_values({"a": 1}) == []


# ---- the falsification harness must be able to fail


def _probe(tmp_path, body):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Probe"), nbformat.v4.new_code_cell(body)])
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    return str(path)


CLAIM = ("from firesales import ledger\nimport math\n"
         "ledger.check('kurlat.probe', abs(math.pi - 3.14159265) < 1e-8, place='eq. (0)', claim='pi', "
         "method='numeric', status='extension', detail='math.pi against 3.14159265')")


def test_falsification_harness_names_the_catching_claim_and_refuses_unnoticed_faults(tmp_path):
    nb = _probe(tmp_path, CLAIM)
    caught = Fault("pi", "pi off by 1e-6", "import math\nmath.pi *= 1 + 1e-6", ("kurlat.probe",))
    assert run_with_fault(nb, caught) == "kurlat.probe"
    harmless = Fault("e", "e changed", "import math\nmath.e = 3.0", ("kurlat.probe",))
    with pytest.raises(AssertionError, match="went unnoticed"):
        run_with_fault(nb, harmless)
    crash = Fault("crash", "math broken", "import math\ndel math.pi", ("kurlat.probe",))
    with pytest.raises(AssertionError, match="no claim raised"):
        run_with_fault(nb, crash)


def test_record_text_marks_math_and_verbatim_and_nothing_else():
    text = "reads $N^{*2}\\{1-\\theta^*\\}$ where our copy has `N*² {1−θ*`; sigma_v**2 <b> [x](y) costs $5"
    assert ledger.segments(text) == [
        ("text", "reads "), ("math", "N^{*2}\\{1-\\theta^*\\}"), ("text", " where our copy has "),
        ("code", "N*² {1−θ*"), ("text", "; sigma_v**2 <b> [x](y) costs $5"),
    ]
    html = ledger.to_html(text)
    assert '<span class="math notranslate nohighlight">\\(N^{*2}\\{1-\\theta^*\\}\\)</span>' in html
    assert '<code class="docutils literal notranslate">N*² {1−θ*</code>' in html
    assert "sigma_v**2 &lt;b&gt; [x](y) costs $5" in html
    md = ledger.to_markdown(text)
    assert "sigma\\_v\\*\\*2 \\<b\\> \\[x\\](y) costs \\$5" in md and "`N*² {1−θ*`" in md


def test_html_record_carries_each_field_for_the_page_test(capsys):
    rec = ledger.check("kurlat.demo", True, **{**OK, "claim": "$p^*$ falls in `µ`", "status": "extension"})
    block = rec.render_html()
    assert 'data-claim="kurlat.demo"' in block and 'class="ledger-record fs-record fs-extension fs-pass"' in block
    assert '<span class="fs-field" data-field="claim"><span class="math notranslate nohighlight">\\(p^*\\)</span>' in block
    assert '<span class="fs-field" data-field="place">eq. (18)</span>' in block


def test_not_applicable_record_shows_the_reason(capsys):
    rec = ledger.check("kurlat.demo", False, **OK, applies=False, why_not="needs $\\mu > 1/2$, here 0.4")
    assert rec.render().startswith("– kurlat.demo") and "not applicable: needs" in rec.render()
    assert 'data-field="not_applicable"' in rec.render_html() and "fs-na" in rec.render_html()
    (parsed,) = ledger.parse_records(rec.render())
    assert parsed.not_applicable == "needs $\\mu > 1/2$, here 0.4"


# ---------------------------------------------------------------- one error, one erratum
def _erratum(cid, root=""):
    return ledger.Record(cid, "erratum", "symbolic", "eq. (1)", "false as printed", "a = 2 against 1",
                         "p = 1", "p = 2", consequence_of=root)


def test_a_consequence_names_its_root_and_survives_the_text_form():
    r = _erratum("fernando.b", "fernando.a")
    back = ledger.parse_records(r.render())[0]
    assert back.consequence_of == "fernando.a" and back.render() == r.render()
    assert 'href="../book/claims.html#claim-fernando-a"' in r.render_html()


@pytest.mark.parametrize("status, root", [("conflict", "fernando.a"), ("erratum", "not an id"),
                                          ("erratum", "fernando.b")])
def test_only_an_erratum_can_be_a_consequence_of_another(status, root):
    with pytest.raises(ValueError, match="consequence_of"):
        ledger.check("fernando.b", False, status=status, method="symbolic", place="eq. (1)", claim="c",
                     detail="a = 2 against 1", printed="p = 1", derived="p = 2", consequence_of=root)


def test_errata_count_errors_once_and_their_consequences_apart():
    from firesales import book

    records = [_erratum("fernando.a"), _erratum("fernando.b", "fernando.a"), _erratum("fernando.c", "fernando.a")]
    book.check_consequences(records)
    row = next(line for line in book.status_counts(records).splitlines() if line.startswith("| Fernando"))
    assert "| 1 (+2) |" in row and row.endswith("| 3 | 3 |")
    with pytest.raises(ValueError, match="not a root erratum"):
        book.check_consequences([_erratum("fernando.b", "fernando.a")])
    with pytest.raises(ValueError, match="not a root erratum"):
        book.check_consequences(records + [_erratum("fernando.d", "fernando.b")])
