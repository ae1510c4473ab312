"""The committed notebooks: executed in order, listed in the book, feeding up-to-date pages.

nbval (run separately by `make test`) proves each committed output is what the code
produces; these tests make sure nbval cannot pass vacuously (an unexecuted notebook has
nothing to compare) and that every generated page says what the outputs say.
"""

import re
from pathlib import Path

import nbformat
import pytest
import yaml

from firesales import book, ledger

ROOT = book.ROOT
NOTEBOOKS = book.notebook_paths()


@pytest.fixture(scope="module")
def outputs():
    """Ledger records and saved figures/tables of the committed notebooks, read once."""
    return book.collect()


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def test_toc_and_notebooks_agree():
    listed = {f for f in _toc_files() if f.startswith("notebooks/")}
    present = {p.relative_to(ROOT).with_suffix("").as_posix() for p in NOTEBOOKS}
    assert present == listed, f"in _toc.yml but missing: {listed - present}; not in _toc.yml: {present - listed}"
    for f in _toc_files():
        assert (ROOT / f"{f}.md").exists() or (ROOT / f"{f}.ipynb").exists(), f


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_in_order_with_clean_outputs(path):
    assert book.lint_notebook(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_checks_claims(path, outputs):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "first cell: a # title"
    records, _ = outputs
    assert any(r.extra["notebook"] == path.relative_to(ROOT).as_posix() for r in records), "no ledger.check output"


def test_claim_ids_unique_and_prefixed_by_their_notebook(outputs):
    records, artifacts = outputs
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    for r in records:
        assert r.id.split(".", 1)[0] == Path(r.extra["notebook"]).stem, r.id
    names = [a.name for a in artifacts]
    assert len(names) == len(set(names)), "two outputs share a file name"


def test_every_claim_on_the_ledger_page_is_checked_in_the_outputs(outputs):
    listed = set(re.findall(r"^\(claim-([a-z0-9-]+)\)=$", (ROOT / "book" / "claims.md").read_text(), flags=re.M))
    checked = {ledger.anchor(r.id)[len("claim-"):] for r in outputs[0]}
    assert len(checked) == len(outputs[0]), "two claim ids share a ledger label"
    assert listed == checked, f"on the page but not checked: {listed - checked}; checked but not listed: {checked - listed}"


def test_records_follow_the_status_rules(outputs):
    """Every committed record passed, and carries what its status requires."""
    for r in outputs[0]:
        assert r.passed, f"{r.id} shows a failed (report-mode) record in a committed notebook"
        assert r.status in ledger.STATUSES and r.method in ledger.METHODS, r.id
        assert r.check, f"{r.id}: no detail of what was compared"
        if r.status in ("erratum", "illegible"):
            assert r.printed and r.derived, f"{r.id}: an {r.status} needs the printed text and the derived reading"
        if r.status in ("erratum", "conflict"):
            assert re.search(r"\d", r.check), f"{r.id}: an {r.status} must show its numbers"
        if r.id.split(".", 1)[0] in ledger.BOOK_ONLY:
            assert r.status != "verified", f"{r.id}: the synthesis states no paper's claim"


def test_every_paper_chapter_confirms_something(outputs):
    for prefix in ledger.PAPERS:
        if prefix in ledger.BOOK_ONLY:
            continue
        statuses = {r.status for r in outputs[0] if r.id.startswith(prefix + ".")}
        assert statuses & {"verified", "reconstructed"}, f"{prefix}: no claim of the paper confirmed"


def test_generated_pages_are_up_to_date():
    stale = [p.relative_to(ROOT).as_posix() for p, text in book.generated_files().items() if p.read_text() != text]
    assert not stale, f"stale generated text in {stale}: run `make pages`"


# ---- the checks above must be able to fail: exercise the lint on broken notebooks

def _lint(tmp_path, nb):
    path = tmp_path / "probe.ipynb"
    nbformat.write(nb, path)
    # lint_notebook reports paths relative to the repository; give it a path inside a fake root
    original = book.ROOT
    book.ROOT = tmp_path
    try:
        return book.lint_notebook(path)
    finally:
        book.ROOT = original


def _code(source, count, outputs=()):
    cell = nbformat.v4.new_code_cell(source, execution_count=count)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=t) for t in outputs]
    return cell


def test_lint_flags_unexecuted_and_out_of_order_notebooks(tmp_path):
    title = nbformat.v4.new_markdown_cell("# T")
    assert _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, _code("1", 1), _code("2", 2)])) == []
    assert "never executed" in _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, _code("1", None)]))[0]
    assert "not 1..2" in _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, _code("1", 2), _code("2", 1)]))[0]
    assert "no code cells" in _lint(tmp_path, nbformat.v4.new_notebook(cells=[title]))[0]


def test_lint_flags_machine_noise(tmp_path):
    title = nbformat.v4.new_markdown_cell("# T")
    for text, problem in [("<object at 0x7f3a2b1c>", "memory address"), ("np.float64(0.5)", "NumPy scalar"),
                          ("/home/me/x.png", "path of this machine")]:
        problems = _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, _code("x", 1, [text])]))
        assert problem in problems[0]


def test_collect_reads_records_and_sections(tmp_path, monkeypatch, capsys):
    ledger.check("kurlat.probe", True, place="eq. (1)", claim="c", method="numeric", status="extension",
                 detail="d")
    printed = capsys.readouterr().out
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title\n\n## The section"),
                                         _code("x", 1, [printed + "Figure k-f: output/figures/k-f.{pdf,png,csv}\n"
                                                        "    caption: Cap.\n"])])
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "kurlat.ipynb")
    monkeypatch.setattr(book, "ROOT", tmp_path)
    monkeypatch.setattr(book, "NOTEBOOKS", tmp_path / "notebooks")
    records, artifacts = book.collect()
    assert [(r.id, r.extra["section"]) for r in records] == [("kurlat.probe", "The section")]
    assert [(a.name, a.caption, a.section) for a in artifacts] == [("k-f", "Cap.", "The section")]
    assert "kurlat.ipynb#the-section" in book.claims_page(records)


def test_collect_reads_display_data_records(tmp_path, monkeypatch):
    rec = ledger.Record("kurlat.probe", "extension", "numeric", "eq. (1)", "c", "d")
    cell = _code("x", 1)
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": rec.render(),
                                                                  "text/html": rec.render_html()})]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title"), cell])
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "kurlat.ipynb")
    monkeypatch.setattr(book, "ROOT", tmp_path)
    monkeypatch.setattr(book, "NOTEBOOKS", tmp_path / "notebooks")
    records, _ = book.collect()
    assert [(r.id, r.claim, r.check) for r in records] == [("kurlat.probe", "c", "d")]


def test_lint_flags_semicolon_endings_and_matplotlib_reprs(tmp_path):
    title = nbformat.v4.new_markdown_cell("# T")
    problems = _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, _code("ax.plot([0, 1]);", 1)]))
    assert "ends with ';'" in problems[0]
    cell = _code("ax.plot([0, 1])", 1)
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "[<matplotlib.lines.Line2D>]"},
                                           execution_count=1)]
    problems = _lint(tmp_path, nbformat.v4.new_notebook(cells=[title, cell]))
    assert "matplotlib object repr" in problems[0]
