"""The argument in view, the plumbing out of the way (issue 16): visible code on the
committed notebooks.

Visible = code cells not tagged ``hide-input``, ``hide-cell``, ``remove-input`` or
``remove-cell`` (what the book shows unfolded). Targets:

- at most 1,450 visible code lines over the five notebooks (about half of the 2,921 the
  issue counted), and at most 330 in each chapter (the chapter engineers' budget);
- no visible code cell over 25 lines;
- no visible code line over 88 characters (what fits a code block at a 1280-px window:
  the browser test checks that on the built page).

Every line of a cell's source counts, blank ones included (the reader scrolls past them).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from firesales import book

HIDDEN = {"hide-input", "hide-cell", "remove-input", "remove-cell"}
BOOK_BUDGET = 1450
CHAPTER_BUDGET = 330
MAX_CELL_LINES = 25
MAX_LINE_CHARS = 88

NOTEBOOKS = book.notebook_paths()


def visible_cells(path: Path) -> list[tuple[int, list[str]]]:
    """(cell number, source lines) of every visible code cell, cells numbered from 1."""
    nb = nbformat.read(path, as_version=4)
    cells = []
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code" or HIDDEN & set(cell.metadata.get("tags", [])):
            continue
        lines = cell.source.rstrip("\n").splitlines()
        if lines:
            cells.append((number, lines))
    return cells


CHAPTERS = [pytest.param(p, id=p.name) for p in NOTEBOOKS]


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_visible_code_within_budget(path):
    total = sum(len(lines) for _, lines in visible_cells(path))
    assert total <= CHAPTER_BUDGET, f"{path.name}: {total} visible code lines > {CHAPTER_BUDGET}"


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_visible_cell_over_25_lines(path):
    long = [f"cell {n}: {len(lines)} lines, begins {lines[0][:60]!r}"
            for n, lines in visible_cells(path) if len(lines) > MAX_CELL_LINES]
    assert not long, f"{path.name}: {len(long)} visible cells over {MAX_CELL_LINES} lines:\n  " + "\n  ".join(long)


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_visible_line_over_88_characters(path):
    wide = [f"cell {n}, line {i}: {len(line)} chars: {line[:70]!r}"
            for n, lines in visible_cells(path) for i, line in enumerate(lines, 1) if len(line) > MAX_LINE_CHARS]
    assert not wide, (f"{path.name}: {len(wide)} visible lines over {MAX_LINE_CHARS} characters:\n  "
                      + "\n  ".join(wide[:40]) + ("\n  ..." if len(wide) > 40 else ""))


def test_book_visible_code_within_budget():
    per = {p.stem: sum(len(lines) for _, lines in visible_cells(p)) for p in NOTEBOOKS}
    assert len(per) == 5, f"expected the five notebooks, found {sorted(per)}"
    assert sum(per.values()) <= BOOK_BUDGET, f"{sum(per.values())} visible code lines > {BOOK_BUDGET}: {per}"


# ---- the counter itself must be able to fail

def test_counter_sees_visible_cells_and_skips_folded_ones(tmp_path):
    cells = [
        nbformat.v4.new_markdown_cell("# T"),
        nbformat.v4.new_code_cell("a = 1\n\nb = 2\n"),
        nbformat.v4.new_code_cell("plot()\n" * 40),
        nbformat.v4.new_code_cell("x" * 100),
    ]
    cells[2].metadata["tags"] = ["hide-input"]
    path = tmp_path / "probe.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert visible_cells(path) == [(2, ["a = 1", "", "b = 2"]), (4, ["x" * 100])]
    with pytest.raises(AssertionError, match="cell 4, line 1: 100 chars"):
        test_no_visible_line_over_88_characters(path)
    cells[2].metadata["tags"] = []
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    with pytest.raises(AssertionError, match="cell 3: 40 lines"):
        test_no_visible_cell_over_25_lines(path)
