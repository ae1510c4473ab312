"""The safety net itself: nbval must catch an edited output, execution a broken claim.

These run the real tools (nbval through pytest, the notebook executor the book build uses)
on a tiny notebook in a temporary folder, so the guarantee "breaking a cell or editing a
committed output fails `make test`" is itself tested, not assumed.
"""

import subprocess
import sys

import nbformat
import pytest

from firesales import book

CLAIM = "from firesales import ledger\nledger.check('kurlat.probe', 1 + 1 == {value}, place='eq. (0)', claim='arithmetic', method='exact', status='extension', detail='1 + 1 in Python')"


def _notebook(path, value):
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Probe"), nbformat.v4.new_code_cell(CLAIM.format(value=value))]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def _nbval(*paths):
    """Run nbval once over the notebooks; return {file name: passed?}."""
    (paths[0].parent / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA", "--rootdir", str(paths[0].parent),
         "-c", str(paths[0].parent / "pytest.ini"), "--nbval", "--nbval-current-env",
         "--nbval-sanitize-with", str(book.ROOT / "tests" / "nbval_sanitize.cfg"), *map(str, paths)],
        capture_output=True, text=True, cwd=paths[0].parent, timeout=180,
    )
    verdict = {}
    for line in result.stdout.splitlines():
        for word in ("PASSED", "FAILED"):
            if line.startswith(word + " "):
                name = line.split()[1].split("::")[0].rsplit("/", 1)[-1]
                verdict[name] = verdict.get(name, True) and word == "PASSED"
    return verdict, result.stdout


def test_nbval_passes_the_committed_outputs_and_catches_edits_and_broken_claims(tmp_path):
    good = _notebook(tmp_path / "good.ipynb", 2)
    book.execute([good], quiet=True)
    assert book.lint_notebook(good) == []
    edited = tmp_path / "edited.ipynb"
    edited.write_text(good.read_text().replace("claim: arithmetic", "claim: arithmetics"))
    assert edited.read_text() != good.read_text()
    broken = tmp_path / "broken.ipynb"
    broken.write_text(good.read_text().replace("1 + 1 == 2", "1 + 1 == 3"))
    assert broken.read_text() != good.read_text()
    verdict, out = _nbval(good, edited, broken)
    assert verdict == {"good.ipynb": True, "edited.ipynb": False, "broken.ipynb": False}, out[-3000:]
    assert "Cell outputs differ" in out


def test_a_broken_claim_fails_execution(tmp_path):
    from nbclient.exceptions import CellExecutionError

    broken = _notebook(tmp_path / "broken.ipynb", 3)
    with pytest.raises(CellExecutionError, match="kurlat.probe"):
        book.execute([broken], quiet=True)
