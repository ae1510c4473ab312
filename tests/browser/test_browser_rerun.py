"""The page `make rerun` renders (``firesales.rerun.render_html``), in headless Chromium.

The fixture notebook ``tests/fixtures/rerun_demo.ipynb``, rendered as a re-run renders it
(Jupyter Book, one page, the book's configuration, MathJax shipped with it), must load with
no request leaving the machine, show its ledger blocks and its figure, typeset its
mathematics and scroll nothing sideways. A real re-run's page opens with the banner (the
chapter, what was changed, when and from which commit, the claims' counts) and its ledger
blocks link into the claims report at its end, never into a build folder.
"""

from __future__ import annotations

import re
from pathlib import Path

import sitecheck

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "tests" / "fixtures" / "rerun_demo.ipynb"


def test_rerun_page_renders_offline_fits_and_has_its_banner(tmp_path, browser_ready):
    """One real re-run of the fixture (a failing cell, failing claims), rendered and checked."""
    from firesales import offline, rerun

    report = rerun.rerun(DEMO, {"LAM": 0.85}, runs=tmp_path, quiet=True)
    page, note = report.html, report.html_note
    assert page is not None, note
    html = page.parent
    text = page.read_text(encoding="utf-8")
    assert "synthesis.demo.bound" in text and "ledger-record" in text, "no ledger block on the page"
    assert ("firesales-saved" in text or "fs-figure" in text) and "<img" in text, "the figure is missing"
    assert offline.is_offline(html) and not note, f"MathJax is not shipped with the page: {note}"
    # the banner: chapter, what changed, when and from which commit, the counts; at the top
    for words in ("A re-run at your parameters", "LAM = 0.85 (default 0.5)", "from commit",
                  report.counts().split(",")[0]):
        assert words in text, f"the banner lacks {words!r}"
    assert text.index("A re-run at your parameters") < text.index("synthesis.demo.bound"), "banner not at the top"
    # the ledger blocks link into the report at the page's end, never into a build folder
    links = re.findall(r'href="([^"]*#claim-[a-z0-9-]+)"', text)
    assert links and all(link.startswith("#claim-") for link in links), links
    assert all(f'id="{link[1:]}"' in text for link in links), "a claim link has no target on the page"
    assert "_build" not in text
    site = sitecheck.check_site(html)
    problems = [str(p) for p in site.problems if p.page == page.name]
    assert not problems, site.summary()
    assert site.math_pages >= 1, "the page's mathematics was not typeset"
