"""The static checks of the built pages (tests/browser/htmlcheck.py) can fail: each is run
on HTML as Sphinx writes it, following the conventions and breaking them."""

import sys
from pathlib import Path

from bs4 import BeautifulSoup

from firesales import book, ledger

sys.path.insert(0, str(Path(__file__).parent / "browser"))
import htmlcheck  # noqa: E402

GOOD_EQ = """<article class="bd-article">
<div class="math notranslate nohighlight" id="kurlat-eq18">\\[\\begin{equation*} p^* = 1 \\tag{18} \\end{equation*}\\]</div>
<p>By <a class="reference internal" href="#kurlat-eq18"><span class="std std-ref">(18)</span></a> ...</p>
<div class="proof proposition admonition" id="kurlat-prop3"><p class="admonition-title"><span class="caption-number">Proposition </span> 3 (Uniqueness)</p></div>
</article>"""


def _soup(text):
    return BeautifulSoup(text, "html.parser")


def test_numbering_passes_the_conventions():
    assert htmlcheck.numbering_problems(_soup(GOOD_EQ), "x.html") == []


def test_numbering_catches_each_break():
    breaks = {
        "wrong tag": GOOD_EQ.replace("\\tag{18}", "\\tag{19}"),
        "sphinx number": GOOD_EQ.replace("</div>\n<p>", '<span class="eqno">(1.5)</span></div>\n<p>', 1),
        "link text": GOOD_EQ.replace('std-ref">(18)', 'std-ref">(1.5)'),
        "box number": GOOD_EQ.replace('<span class="caption-number">Proposition </span> 3',
                                      '<span class="caption-number">Proposition 1.3 </span> (Uniqueness)'),
    }
    for what, html in breaks.items():
        assert htmlcheck.numbering_problems(_soup(html), "x.html"), what


TRICKY = "Kurlat (34) `N*² {1−θ*` reads $N^{*2}\\{1-\\theta^*\\}$; sigma_v**2 <b>x</b> [a](b) {eq}`c` & 5$ it's -- ..."


def test_record_text_round_trips_through_html():
    shown = htmlcheck.shown(_soup("<span>" + ledger.to_html(TRICKY) + "</span>").span)
    assert shown == htmlcheck.canonical(TRICKY)
    altered = htmlcheck.shown(_soup("<span>" + ledger.to_html(TRICKY.replace("**", "")) + "</span>").span)
    assert altered != htmlcheck.canonical(TRICKY)


def test_record_markdown_escapes_every_markup_character():
    md = ledger.to_markdown(TRICKY)
    for raw in ("sigma\\_v\\*\\*2", "\\<b\\>", "\\[a\\]", "\\{eq\\}", "\\&", "5\\$"):
        assert raw in md, raw
    assert "`N*² {1−θ*`" in md and "$N^{*2}\\{1-\\theta^*\\}$" in md


def test_figures_need_number_caption_alt_and_downloads(tmp_path):
    (tmp_path / "f.pdf").write_text("x")
    (tmp_path / "f.csv").write_text("x")
    good = ('<article class="bd-article"><figure><img src="f.png" alt="Price against distress, falling in all three regimes">'
            '<figcaption><p><strong>Figure B1.</strong> Caption <a href="f.pdf">PDF</a> <a href="f.csv">CSV</a></p>'
            "</figcaption></figure></article>")
    assert htmlcheck.figure_problems(_soup(good), "p.html", tmp_path) == []
    for bad in (good.replace("Figure B1.", "Fig."), good.replace("Price against distress, falling in all three regimes",
                                                                   "0f3a9c0f3a9c0f3a9c.png"),
                good.replace('<a href="f.csv">CSV</a>', ""), good.replace("f.pdf", "g.pdf")):
        assert htmlcheck.figure_problems(_soup(bad), "p.html", tmp_path), bad


def test_makers_words_are_found():
    page = '<article class="bd-article"><p>the three corners of the audit (issue 13); a referee</p></article>'
    assert len(htmlcheck.maker_problems(_soup(page), "p.html")) == 3
    assert htmlcheck.maker_problems(_soup('<article class="bd-article"><p>Prices fall.</p></article>'), "p.html") == []


def test_generated_record_fields_have_labels():
    rec = ledger.Record("kurlat.x", "illegible", "symbolic", "eq. (6)", "c", "d", "`p`", "$q$")
    assert list(book.record_fields(rec)) == ["claim", "printed", "derived", "check"]
    assert set(book.field_labels("illegible")) >= set(book.record_fields(rec))
