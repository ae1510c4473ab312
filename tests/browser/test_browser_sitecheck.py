"""The browser checker must fail on a broken page: a tiny synthetic site, one good version
and one with a distinct defect on each page, checked in one browser session (a few seconds).

This is the standing proof that ``test_browser_book.py`` can fail: each defect the book test
guards against (missing image, missing stylesheet, broken link or anchor, console error, page
exception, untypeset or malformed mathematics, a figure shown as text, a request to a CDN) is
planted here and must be reported on exactly its page, and the intact pages must pass.
"""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import pytest

import sitecheck

# A stand-in for MathJax: typesets every Sphinx math element into an <mjx-container>, the way
# MathJax 3 does, and turns \frac with a missing argument into a MathJax error node.
FAKE_MATHJAX = """
window.MathJax = {startup: {promise: new Promise(resolve => {
  const run = () => {
    document.querySelectorAll('.math').forEach(el => {
      const tex = el.textContent;
      const c = document.createElement('mjx-container');
      if (/\\\\frac\\{[^}]*\\}(?!\\{)/.test(tex)) {
        const err = document.createElement('mjx-merror');
        err.setAttribute('data-mjx-error', 'Missing argument for \\\\frac');
        c.appendChild(err);
      } else { c.textContent = 'typeset'; }
      el.replaceChildren(c);
    });
    resolve();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run); else run();
})}};
"""


def png(width: int = 4, height: int = 3) -> bytes:
    """A valid RGB PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def page(title: str, body: str, *, depth: int = 0, head: str = "") -> str:
    up = "../" * depth
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{up}_static/style.css">
<script defer src="{up}_static/mathjax.js"></script>{head}</head>
<body><nav><a href="{up}index.html">Home</a> <a href="{up}chapters/one.html">One</a>
<a href="{up}chapters/two.html#results">Two, results</a></nav>
<h1 id="top">{title}</h1>{body}</body></html>"""


GOOD_BODY = """<div class="cell"><div class="cell_input"><pre style="overflow:auto">p = solve(mu)</pre></div>
<div class="cell_output"><pre style="overflow:auto">p = 0.5</pre></div></div>
<div class="pst-scrollable-table-container" style="overflow:auto"><table><tr><td>a</td><td>b</td></tr></table></div>
<p>Price <span class="math notranslate nohighlight">\\(p^* = \\frac{\\mu}{1+\\theta}\\)</span>.</p>
<div class="math notranslate nohighlight">\\[ p = \\int_0^1 v \\, dF \\]</div>
<img src="{up}_images/fig.png" alt="figure">
<pre><code>prices cost $5 and $x^2$ in code is fine</code></pre>"""


def body(up: str) -> str:
    return GOOD_BODY.replace("{up}", up)


def make_site(root: Path) -> Path:
    (root / "_static").mkdir(parents=True)
    (root / "_images").mkdir()
    (root / "chapters").mkdir()
    (root / "_static" / "style.css").write_text("body { font-family: sans-serif; }\n")
    (root / "_static" / "mathjax.js").write_text(FAKE_MATHJAX)
    (root / "_images" / "fig.png").write_bytes(png())
    (root / "index.html").write_text(page("Home", body("")))
    (root / "chapters" / "one.html").write_text(page("One", body("../"), depth=1))
    (root / "chapters" / "two.html").write_text(
        page("Two", body("../") + '<h2 id="results">Results</h2>', depth=1)
    )
    return root


# page name -> (markup added to the body, extra <head> markup, problem kinds it must raise)
DEFECTS = {
    "missing_image": ('<img src="../_images/gone.png" alt="deleted figure">', "", {"broken image", "failed request"}),
    "empty_image": ('<img src="../_images/empty.png" alt="zero bytes">', "", {"broken image"}),
    "missing_css": ("", '<link rel="stylesheet" href="../_static/gone.css">', {"failed request"}),
    "missing_script": ("", '<script src="../_static/gone.js"></script>', {"failed request"}),
    "broken_link": ('<a href="three.html">Three</a>', "", {"broken link"}),
    "broken_anchor": ('<a href="two.html#no-such-section">Two</a>', "", {"broken anchor"}),
    "console_error": ("<script>console.error('something failed')</script>", "", {"console error"}),
    "page_exception": ("<script>const a = 1; const a = 2;</script>", "", {"page exception"}),
    "raw_dollars": ("<p>The price is $p^* = \\frac{\\mu}{2}$ here.</p>", "", {"raw TeX"}),
    "math_error": ('<span class="math notranslate nohighlight">\\(\\frac{1}\\)</span>', "", {"math error"}),
    "figure_as_text": (
        '<div class="cell_output"><pre>&lt;Figure size 640x480 with 1 Axes&gt;</pre></div>',
        "",
        {"figure not rendered"},
    ),
    "cdn_script": ("", '<script src="https://cdn.example.org/lib.js"></script>', {"external request"}),
    # blocks that scroll sideways at 1280 px (the theme's pre and table containers scroll)
    "wide_code": (
        '<div class="cell"><div class="cell_input"><pre style="overflow:auto">' + "x = 1  # " + "y" * 300 + "</pre></div></div>",
        "",
        {"wide code"},
    ),
    "wide_output": ('<div class="cell_output"><pre style="overflow:auto">' + "z" * 300 + "</pre></div>", "", {"wide output"}),
    "wide_table": (
        '<div class="pst-scrollable-table-container" style="overflow:auto"><table><tr>'
        + "<td>" + "w" * 300 + "</td></tr></table></div>",
        "",
        {"wide table"},
    ),
    "wide_folded_code": (
        '<details><summary>show code</summary><pre style="overflow:auto">' + "v" * 300 + "</pre></details>",
        "",
        {"wide code"},
    ),
    "wide_page": ('<div style="width: 3000px">a banner wider than the window</div>', "", {"wide page", "wide at 390 px"}),
    # fits a 1280-px window, not a phone's 390 px (and scrolls in no box of its own)
    "narrow_only": ('<div style="width: 600px">a block that fits a desktop only</div>', "", {"wide at 390 px"}),
    # a table that lets words break mid-letter
    "word_break": ('<table><tr><td style="overflow-wrap:anywhere">question</td></tr></table>', "", {"word break"}),
    # a claim record whose text is too pale to read (contrast about 1.9:1 on white)
    "low_contrast": ('<div class="fs-record" style="color:#bbbbbb">a pale record</div>', "", {"low contrast"}),
}


@pytest.fixture(scope="module")
def sites(tmp_path_factory, browser_ready):
    good = make_site(tmp_path_factory.mktemp("good"))
    bad = make_site(tmp_path_factory.mktemp("bad"))
    (bad / "_images" / "empty.png").write_bytes(b"")
    for name, (extra, head, _) in DEFECTS.items():
        (bad / "chapters" / f"{name}.html").write_text(
            page(name, body("../") + extra, depth=1, head=head)
        )
    # a page whose maths MathJax never sees: the script is not loaded
    (bad / "chapters" / "no_mathjax.html").write_text(
        page("no_mathjax", body("../"), depth=1).replace('<script defer src="../_static/mathjax.js"></script>', "")
    )
    shots = tmp_path_factory.mktemp("shots")
    return {
        "good": sitecheck.check_site(good, screenshots=shots, workers=1),  # tiny: one browser is cheaper
        "bad": sitecheck.check_site(bad, workers=1),
        "shots": shots,
    }


def test_intact_site_passes(sites):
    report = sites["good"]
    assert report.problems == [], report.summary()
    assert report.pages == ["chapters/one.html", "chapters/two.html", "index.html"]
    assert report.math_pages == 3 and report.images == 3 and report.links >= 9
    assert sorted(p.name for p in sites["shots"].iterdir()) == [
        "chapters__one.png", "chapters__one@390.png", "chapters__two.png", "chapters__two@390.png",
        "index.png", "index@390.png"]


def test_intact_pages_of_the_broken_site_pass(sites):
    bad = {p.page for p in sites["bad"].problems}
    assert not bad & {"index.html", "chapters/one.html", "chapters/two.html"}, sites["bad"].summary()


@pytest.mark.parametrize("name", sorted(DEFECTS))
def test_each_defect_is_reported_on_its_page(sites, name):
    expected = DEFECTS[name][2]
    found = {p.kind for p in sites["bad"].problems if p.page == f"chapters/{name}.html"}
    assert expected <= found, f"{name}: expected {expected}, checker reported {found or 'nothing'}"
    unexpected = found - expected - {"console error"}  # Chromium also logs failed loads to the console
    assert not unexpected, f"{name}: spurious {unexpected}"


def test_wide_blocks_are_reported_with_where_and_what(sites):
    detail = {p.page: p.detail for p in sites["bad"].problems if p.kind.startswith("wide")}
    assert "longest line 309 chars" in detail["chapters/wide_code.html"]
    assert "cell 2 of 2" in detail["chapters/wide_code.html"]  # the good body has cell 1
    assert "(in a fold)" in detail["chapters/wide_folded_code.html"]
    assert "(in a fold)" not in detail["chapters/wide_code.html"]


def test_math_without_mathjax_is_reported(sites):
    found = {p.kind for p in sites["bad"].problems if p.page == "chapters/no_mathjax.html"}
    assert {"math not typeset", "raw TeX"} <= found


def test_checker_reports_a_deleted_figure_in_a_copy_of_a_good_site(sites, tmp_path):
    """The demonstration of the issue: break a copy of a passing site, the check fails."""
    good_root = tmp_path / "copy"
    make_site(good_root)
    (good_root / "_images" / "fig.png").unlink()
    with open(good_root / "chapters" / "one.html", "a") as f:
        f.write('<a href="../chapters/missing.html">dangling</a>')
    report = sitecheck.check_site(good_root)
    kinds = {(p.page, p.kind) for p in report.problems}
    for rel in ("index.html", "chapters/one.html", "chapters/two.html"):
        assert (rel, "broken image") in kinds
    assert ("chapters/one.html", "broken link") in kinds


def test_real_mathjax_typesets_and_its_errors_are_caught(tmp_path, browser_ready):
    """The same checks with the MathJax the offline book ships (cached by `offline fetch`)."""
    from firesales import offline

    source = offline.vendor_dir()
    if not (source / offline.STAMP).exists():
        pytest.skip("MathJax is not cached yet: run `python -m firesales.offline fetch`")
    root = tmp_path / "site"
    (root / "_static").mkdir(parents=True)
    shutil.copytree(source, root / "_static" / "mathjax")
    head = (
        '<script>window.MathJax = {"options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"}}</script>'
        '<script defer src="_static/mathjax/tex-mml-chtml.js"></script>'
    )
    good = '<p><span class="math notranslate nohighlight">\\(p^* = \\frac{\\mu}{1+\\theta}\\)</span></p>'
    good += '<div class="math notranslate nohighlight">\\[ \\begin{aligned} a &amp;= b \\\\ c &amp;= d \\end{aligned} \\]</div>'
    bad = '<p><span class="math notranslate nohighlight">\\(\\frac{1}\\)</span></p>'
    (root / "index.html").write_text(f"<html><head>{head}</head><body>{good}</body></html>")
    (root / "broken.html").write_text(f"<html><head>{head}</head><body>{good}{bad}</body></html>")
    report = sitecheck.check_site(root)
    kinds = {(p.page, p.kind) for p in report.problems}
    assert not any(page == "index.html" for page, _ in kinds), report.summary()
    assert ("broken.html", "math error") in kinds, report.summary()
    assert report.math_pages == 2
