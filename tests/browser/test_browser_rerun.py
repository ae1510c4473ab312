"""The page `make rerun` renders (``firesales.rerun.render_html``), in headless Chromium.

The fixture notebook ``tests/fixtures/rerun_demo.ipynb``, rendered as a re-run renders it
(Jupyter Book, one page, the book's configuration, MathJax shipped with it), must load with
no request leaving the machine, show its ledger blocks and its figure, typeset its
mathematics and scroll nothing sideways.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sitecheck

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "rerun_demo.ipynb"


def test_rerun_page_renders_offline_and_fits(tmp_path, browser_ready):
    from firesales import offline, rerun

    shutil.copy(DEMO, tmp_path / DEMO.name)
    page, note = rerun.render_html(tmp_path / DEMO.name, tmp_path)
    assert page is not None, note
    html = page.parent
    text = page.read_text(encoding="utf-8")
    assert "synthesis.demo.bound" in text and "ledger-record" in text, "no ledger block on the page"
    assert ("firesales-saved" in text or "fs-figure" in text) and "<img" in text, "the figure is missing"
    assert offline.is_offline(html) and not note, f"MathJax is not shipped with the page: {note}"
    report = sitecheck.check_site(html)
    problems = [str(p) for p in report.problems if p.page == page.name and p.kind != "broken link"]
    assert not problems, report.summary()
    assert report.math_pages >= 1, "the page's mathematics was not typeset"
