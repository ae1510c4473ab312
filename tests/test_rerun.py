"""`make rerun`: a chapter re-run at the reader's parameters, with a claims report.

The end-to-end test runs the fixture notebook ``tests/fixtures/rerun_demo.ipynb`` (a
chapter in miniature; ``tests/fixtures/make_rerun_demo.py`` writes it) through papermill;
its one-page render is checked in a browser by ``tests/browser/test_browser_rerun.py``.
The error cases stop before any kernel starts. A
real chapter is re-run too (without the render): Kurlat at LAM = 0.4 once its notebook
has its ``parameters`` cell, until then the first chapter that has one; and every chapter
with a parameters cell must read and validate its own defaults.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from firesales import rerun

ROOT = rerun.ROOT
DEMO = ROOT / "tests" / "fixtures" / "rerun_demo.ipynb"
KURLAT = ROOT / "notebooks" / "kurlat.ipynb"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------- reading NAME=value
def test_assignments_are_python_literals_separated_by_spaces():
    got = rerun.parse_assignments('LAM=0.4 GAP=(0.6, 0.7)  N=5 LABEL="a b" REGIME=cournot XS=[1, 2.5]')
    assert got == {"LAM": 0.4, "GAP": (0.6, 0.7), "N": 5, "LABEL": "a b", "REGIME": "cournot", "XS": [1, 2.5]}
    assert rerun.parse_assignments(["LAM=0.4", "MU = 1e-3"]) == {"LAM": 0.4, "MU": 0.001}
    assert rerun.parse_assignments("") == {}


@pytest.mark.parametrize("text, message", [
    ("LAM=0.4 LAM=0.5", "given twice"),
    ("LAM=", "has no value"),
    ("0.4", "expected NAME=value"),
    ("LAM=0.4 oops", "expected NAME=value"),
    ("LAM= MU=0.3", "LAM= has no value"),
])
def test_malformed_assignments_are_refused(text, message):
    with pytest.raises(rerun.RerunError, match=message):
        rerun.parse_assignments(text)


# ---------------------------------------------------------------- the parameters cell
def test_parameters_cell_defaults_are_read_without_running_it():
    params = rerun.read_parameters('LAM = 0.5\nN = 3  # count\nA, B = 1.0, "x"\nGAP = (0.6, 0.75)\n')
    assert {k: p.default for k, p in params.items()} == {"LAM": 0.5, "N": 3, "A": 1.0, "B": "x", "GAP": (0.6, 0.75)}


@pytest.mark.parametrize("source, message", [
    ("import numpy as np\nLAM = 0.5", "not a single assignment"),
    ("LAM = np.linspace(0, 1)", "not a literal"),
    ("lam = 0.5", "not an UPPER_CASE name"),
    ("def f():\n    pass", "not a single assignment"),
    ("A, B = 1, 2, 3", "do not pair up"),
    ("# nothing", "sets no parameter"),
])
def test_a_parameters_cell_with_anything_but_literals_is_refused(source, message):
    with pytest.raises(rerun.RerunError, match=message):
        rerun.read_parameters(source)


# ---------------------------------------------------------------- types against the defaults
@pytest.mark.parametrize("value, default, expected", [
    (1, 0.5, 1.0), (0.4, 0.5, 0.4), (3, 2, 3), (True, False, True), ("b", "a", "b"),
    ([0.6, 0.7], (0.5, 0.8), (0.6, 0.7)), ((1, 2, 3), [0.1], [1.0, 2.0, 3.0]),
    ((0.1, 0.2), (0.0, 0.1, 0.2, 0.3), (0.1, 0.2)), ((0.4, "otc"), (0.5, "walras"), (0.4, "otc")),
])
def test_values_take_the_type_of_the_default(value, default, expected):
    got = rerun.coerce("X", value, default)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value, default, message", [
    ("0.4", 0.5, "must be a number"), (True, 0.5, "must be a number"), (2.5, 3, "must be an integer"),
    (1, True, "True or False"), (0.4, "a", "must be a string"), ((0.6,), (0.6, "a"), "tuple of 2"),
    ([0.1, "x"], [0.5], r"X\[1\] must be a number"), ([], [0.5], "non-empty list"),
    ((), (0.6, 0.75), "non-empty tuple"), (0.5, (0.6, 0.75), r"must be a tuple of 2 like"),
    (("a", 0.3), (0.6, 0.75), r"X\[0\] must be a number"),
])
def test_values_of_the_wrong_type_are_refused(value, default, message):
    with pytest.raises(rerun.RerunError, match=message):
        rerun.coerce("X", value, default)


# ---------------------------------------------------------------- errors before anything runs
@pytest.mark.parametrize("params, message", [
    ({"MU": 0.3}, r"no parameter 'MU'.*its parameters are: LAM=0.5, N=3"),
    ({"lam": 0.4}, "did you mean LAM"),
    ({"LAM": "0.4"}, "LAM must be a number"),
    ({"N": 2.5}, "N must be an integer"),
    ({"LAM": 1.5}, r"ValueError: LAM must lie in \(0, 1\), got 1.5"),
    ({"N": 0}, "N must be"),
    ({"GAP": (0.6, 1.5)}, r"GAP\[1\]"),
])
def test_bad_parameters_stop_before_anything_runs(tmp_path, params, message):
    before = _sha(DEMO)
    with pytest.raises(rerun.RerunError, match=message):
        rerun.rerun(DEMO, params, runs=tmp_path, quiet=True)
    assert list(tmp_path.iterdir()) == [], "a run folder was made for refused parameters"
    assert _sha(DEMO) == before


def test_a_notebook_without_a_parameters_cell_cannot_be_rerun(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("LAM = 0.5")])
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(rerun.RerunError, match="no code cell tagged 'parameters'"):
        rerun.rerun(path, {"LAM": 0.4}, runs=tmp_path / "runs", quiet=True)
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    with pytest.raises(rerun.RerunError, match="no code cell tagged 'validate-parameters'"):
        rerun.rerun(path, {"LAM": 0.4}, runs=tmp_path / "runs", quiet=True)


def test_unknown_notebook_names_the_chapters():
    with pytest.raises(rerun.RerunError, match="the chapters are: .*kurlat"):
        rerun.find_notebook("kurlatt")


def test_make_rerun_refuses_an_out_of_range_value_and_runs_nothing(tmp_path):
    """Through the Makefile: P reaches the parser unsplit (brackets, spaces, quotes)."""
    result = subprocess.run(
        ["make", "--no-print-directory", "rerun", f"NB={DEMO.relative_to(ROOT)}", "P=LAM=0.4 GAP=(0.6, 1.5)"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert "GAP[1] must lie in (0, 1), got 1.5" in result.stderr, result.stdout + result.stderr
    assert "nothing was run" in result.stderr


def test_injected_values_reach_the_kernel_as_the_same_literals():
    """Papermill alone writes a tuple as a string; the re-run's translator keeps it a tuple."""
    import ast

    translator = rerun._literal_translator()
    values = {"GAP": (0.6, 0.75), "ONE": (0.5,), "XS": [1, 2.5], "N": 3, "LAM": 0.1 + 0.2, "S": 'a "b"',
              "NESTED": [(1, 2)], "FLAG": True}
    for name, value in values.items():
        got = ast.literal_eval(translator.translate(value))
        assert got == value and type(got) is type(value), (name, translator.translate(value))


def test_same_parameters_same_folder():
    a = rerun.run_folder(Path("runs"), "kurlat", {"LAM": 0.4, "MU": 0.3})
    assert a == rerun.run_folder(Path("runs"), "kurlat", {"MU": 0.3, "LAM": 0.4})
    assert a != rerun.run_folder(Path("runs"), "kurlat", {"LAM": 0.41, "MU": 0.3})
    assert a.name.startswith("kurlat-LAM=0.4-MU=0.3-")


# ---------------------------------------------------------------- end to end
def test_rerun_reports_holding_failing_tied_and_unrun_claims(tmp_path):
    before = _sha(DEMO)
    # the page is rendered and checked in a browser by tests/browser/test_browser_rerun.py
    report = rerun.rerun(DEMO, {"LAM": 0.85, "GAP": (0.5, 0.8)}, runs=tmp_path, html=False, quiet=True)
    assert _sha(DEMO) == before, "the committed notebook was touched"
    assert [r.id for r in report.expected] == [
        "synthesis.demo.bound", "synthesis.demo.printed", "synthesis.demo.small", "synthesis.demo.price",
        "synthesis.demo.after"]
    assert [r.id for r in report.rechecked] == ["synthesis.demo.bound"]
    assert [(r.id, r.paper_numbers) for r in report.failed] == [
        ("synthesis.demo.printed", True), ("synthesis.demo.small", False)]
    assert [r.id for r in report.not_run] == ["synthesis.demo.price"]
    # the cell that raised, and the later cell that failed only because of it
    roots = [f for f in report.failures if f.root is None]
    assert len(roots) == 1 and roots[0].ename == "ValueError" and "LAM > 0.8 (got 0.85)" in roots[0].evalue
    assert roots[0].first_line == "def demo_price(lam):" and roots[0].section == "Claims"
    assert [f.ename for f in report.failures] == ["ValueError", "NameError"]
    assert report.failures[1].root == roots[0].cell and report.cause("synthesis.demo.price") is roots[0]
    # the re-run went on past the failure: the independent section after it ran
    assert "synthesis.demo.after" in [r.id for r in report.unchanged]
    text = report.text()
    assert ("1 hold at new numbers, 1 hold unchanged, 2 fail (1 tied to the paper's printed numbers), "
            "0 not applicable, 1 did not run") in text
    assert "claims that therefore did not run: synthesis.demo.price" in text
    assert "✗ synthesis.demo.printed · extension · demo table  [tied to the paper's printed numbers]" in text
    assert "LAM = 0.85 (default 0.5)" in text
    # the run's own folder: executed copy with the injected values, figures, report, page
    folder = report.folder
    assert folder.parent == tmp_path.resolve() and folder.name.startswith("rerun_demo-GAP=_0.5_0.8_-LAM=0.85-")
    executed = nbformat.read(folder / "rerun_demo.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and "LAM = 0.85" in injected[0].source
    assert "GAP = (0.5, 0.8)" in injected[0].source  # a tuple, not the string "(0.5, 0.8)"
    assert (folder / "figures" / "rerun-demo.png").stat().st_size > 1000
    assert (folder / "report.md").read_text().startswith("== claims report")
    assert report.html is None and not (folder / "html").exists()


def test_claims_whose_record_did_not_move_are_not_counted_as_rechecked(tmp_path):
    """N enters one record's numbers only: that claim is re-checked, the others hold unchanged."""
    report = rerun.rerun(DEMO, {"N": 4}, runs=tmp_path, html=False, quiet=True)
    assert [r.id for r in report.rechecked] == ["synthesis.demo.price", "synthesis.demo.after"]
    assert [r.id for r in report.unchanged] == [
        "synthesis.demo.bound", "synthesis.demo.printed", "synthesis.demo.small"]
    assert not report.failures and not report.not_run and not report.failed


def test_not_applicable_records_are_reported_apart(tmp_path):
    from firesales import ledger

    ok = ledger.Record("synthesis.demo.x", "extension", "exact", "demo", "a claim", "x = 1")
    na = ledger.Record("synthesis.demo.y", "extension", "exact", "demo", "a claim", "x = 2",
                       not_applicable="needs x < 1, here x = 2")
    report = rerun.Report("demo.ipynb", {"X": 2}, tmp_path, records=[ok, na], expected=[ok, na])
    assert report.not_applicable == [na] and report.held == [ok] and report.unchanged == [ok]
    assert "0 hold at new numbers, 1 hold unchanged, 0 fail, 1 not applicable, 0 did not run" in report.text()
    assert "needs x < 1, here x = 2" in report.text()


def test_list_prints_each_parameter_with_its_meaning_and_valid_range():
    result = subprocess.run([sys.executable, "-m", "firesales.rerun", str(DEMO), "--list"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LAM = 0.5" in result.stdout and "the demo share; valid: (0, 1)" in result.stdout
    assert "GAP = (0.6, 0.75)" in result.stdout and "valid: increasing, inside (0, 1)" in result.stdout
    params = rerun.read_parameters(nbformat.read(DEMO, as_version=4).cells[2].source)
    assert params["LAM"].interval() == (0.0, 1.0, False, False) and params["GAP"].interval() is None


def _tagged(path: Path) -> bool:
    return any("parameters" in c.metadata.get("tags", []) for c in nbformat.read(path, as_version=4).cells)


# The chapter the real end-to-end test re-runs: Kurlat at LAM = 0.4 (the README's example)
# once its notebook has a parameters cell, until then the first landed chapter that has one.
CANDIDATES = [("kurlat", {"LAM": 0.4}), ("cheng_robatto", {"THETA": 0.2}),
              ("eisenbach_phelan", {"N_B2": 3}), ("fernando", {"LAM": 0.1})]
REAL = next(((nb, p) for nb, p in CANDIDATES if _tagged(ROOT / "notebooks" / f"{nb}.ipynb")), None)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_each_chapter_declares_and_validates_its_parameters(path):
    """The parameters cell reads without running, and its defaults pass its own validation."""
    if not _tagged(path):
        pytest.skip(f"{path.name} has no parameters cell yet")
    nb = nbformat.read(path, as_version=4)
    assert rerun.validate(nb, path, {}) == {}
    params = rerun.read_parameters(nb.cells[rerun._cells(nb, path)[0]].source)
    name, first = next(iter(params.items()))
    assert rerun.validate(nb, path, {name: first.default}) == {name: first.default}


@pytest.mark.sweep  # a whole chapter: with the sweep (make test-rerun), not in make test
@pytest.mark.skipif(REAL is None, reason="no chapter has a `parameters` cell yet")
def test_rerun_a_real_chapter(tmp_path):
    """A real chapter at other parameters: every claim of the committed notebook is accounted for."""
    name, params = REAL
    path = ROOT / "notebooks" / f"{name}.ipynb"
    before = _sha(path)
    report = rerun.rerun(name, params, runs=tmp_path, html=False, quiet=True)
    assert _sha(path) == before, "the committed notebook was touched"
    assert report.records, report.text()
    accounted = {r.id for r in report.records} | {r.id for r in report.not_run}
    assert {r.id for r in report.expected} <= accounted, report.text()
    if report.failure is None:
        assert not report.not_run, report.text()  # nothing raised: every claim ran
    assert report.folder.parent == tmp_path.resolve()
    assert list((report.folder / "figures").glob("*.png")), "the run's figures are not in its folder"


# ---------------------------------------------------------------- the cases a replicator met
@pytest.mark.parametrize("value", [(0.9, 0.1), (0.02,), (0.5, 0.5)])
def test_kurlat_refuses_a_mu_range_that_is_not_an_increasing_pair_before_running(value):
    path = ROOT / "notebooks" / "kurlat.ipynb"
    nb = nbformat.read(path, as_version=4)
    with pytest.raises(rerun.RerunError, match="MU_RANGE must be an increasing sequence"):
        rerun.validate(nb, path, {"MU_RANGE": value})
