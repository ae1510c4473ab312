"""Every chapter re-run at parameter points drawn from its own declared valid region.

Slow (one kernel and one full chapter per point), so not part of `make test`: `make
test-rerun` runs it, and `.ci/run` calls that after `make test`.

Each chapter's ``parameters`` cell declares, for every scalar, its valid range in the line's
comment (``LAM = 0.5  # share of lemons; valid: (0, 1)``). For each chapter, three points are
drawn (seeded): two of its scalar parameters at a time, uniformly inside their declared
ranges; a point the chapter's own validation refuses (a joint constraint) is drawn again. At
every point the re-run must go through without a cell raising, every claim of the committed
notebook must run, and every claim must hold, be "not applicable here" with its reason, or
fail only if it is tied to the paper's printed numbers. The numbers the prose states are
glued from the cells: across the three points, some glued number must move.
"""

from __future__ import annotations

import math
import os
import random

import nbformat
import pytest

from firesales import rerun

pytestmark = pytest.mark.sweep

SEED = int(os.environ.get("FIRESALES_SWEEP_SEED", "20261206"))  # another seed: other points
POINTS = int(os.environ.get("FIRESALES_SWEEP_POINTS", "3"))
CHAPTERS = ["kurlat", "cheng_robatto", "eisenbach_phelan", "fernando", "synthesis"]


def _scalars(path):
    nb = nbformat.read(path, as_version=4)
    params = rerun.read_parameters(nb.cells[rerun._cells(nb, path)[0]].source)
    out = []
    for p in params.values():
        if isinstance(p.default, bool) or not isinstance(p.default, (int, float)) or p.interval() is None:
            continue
        out.append(p)
    return nb, out


def _draw(p, rng: random.Random):
    lo, hi, lo_closed, hi_closed = p.interval()
    if isinstance(p.default, int):
        top = int(hi) if math.isfinite(hi) else max(2 * p.default, int(lo) + 2)
        return rng.randint(int(math.ceil(lo)) + (0 if lo_closed else 1), top - (0 if hi_closed else 1))
    if not math.isfinite(hi):
        hi = max(2 * abs(p.default), lo + 1.0)
    if not math.isfinite(lo):
        lo = min(-2 * abs(p.default), hi - 1.0)
    x = lo + (hi - lo) * (0.05 + 0.9 * rng.random())  # inside, off the very ends
    return float(f"{x:.4g}")


def _points(name: str):
    path = rerun.find_notebook(name)
    nb, scalars = _scalars(path)
    rng = random.Random(f"{SEED}-{name}")
    points = []
    for _ in range(200):
        if len(points) == POINTS or not scalars:
            break
        chosen = rng.sample(scalars, min(2, len(scalars)))
        values = {p.name: _draw(p, rng) for p in chosen}
        try:
            rerun.validate(nb, path, values)
        except rerun.RerunError:
            continue
        points.append(values)
    return points


def _glued(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            scrap = o.get("metadata", {}).get("scrapbook", {})  # myst-nb's glue(..., display=False)
            if scrap.get("name"):
                out[scrap["name"]] = o.get("data", {}).get(scrap.get("mime_prefix", "") + "text/plain", "")
    return out


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_rerun_at_points_of_its_valid_region(name, tmp_path):
    points = _points(name)
    assert len(points) == POINTS, f"{name}: could not draw {POINTS} valid points (declared ranges: see --list)"
    committed = _glued(nbformat.read(rerun.find_notebook(name), as_version=4))
    moved = False
    for values in points:
        report = rerun.rerun(name, values, runs=tmp_path, html=False, quiet=True)
        text = report.text()
        assert not report.failures, f"{name} at {values}: a cell raised\n{text}"
        assert not report.not_run, f"{name} at {values}: claims did not run\n{text}"
        wrong = [r.id for r in report.failed if not r.paper_numbers]
        assert not wrong, f"{name} at {values}: {wrong} fail\n{text}"
        glued = _glued(nbformat.read(report.folder / f"{name}.ipynb", as_version=4))
        assert set(committed) <= set(glued), f"{name} at {values}: glued numbers missing: {set(committed) - set(glued)}"
        moved |= any(glued[k] != v for k, v in committed.items())
    assert moved or not committed, f"{name}: no glued number moved at {points}: the prose does not follow the parameters"


@pytest.mark.parametrize("name, values", [
    ("eisenbach_phelan", {"BETA": 0.9, "N_B2": 4}),  # Figure B2's claim, general in the parameters
    ("kurlat", {"LAM": 0.4}),  # the README's example
])
def test_reported_cases_rerun_cleanly(name, values, tmp_path):
    report = rerun.rerun(name, values, runs=tmp_path, html=False, quiet=True)
    text = report.text()
    assert not report.failures and not report.not_run, text
    assert not [r.id for r in report.failed if not r.paper_numbers], text


def test_kurlat_at_a_tiny_share_of_lemons_runs_through_or_is_refused_up_front(tmp_path):
    """LAM = 1e-9 once stopped every cell after one solver error: now either the validation
    refuses it with the valid range, or every claim runs."""
    try:
        report = rerun.rerun("kurlat", {"LAM": 1e-9}, runs=tmp_path, html=False, quiet=True)
    except rerun.RerunError as exc:
        assert "LAM" in str(exc)
        return
    assert not report.failures and not report.not_run, report.text()
