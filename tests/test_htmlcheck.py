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


# ---- the conventions of CONTRIBUTING, built by Sphinx (a one-page project, ~2 s)

FIXTURE_PAGE = r"""# Fixture

(kurlat-eq18)=
\begin{equation*}
p^* = \frac{1}{2} \tag{18}
\end{equation*}

By {ref}`(18) <kurlat-eq18>` the price is one half.

```{prf:proposition} 3 (Uniqueness)
:label: kurlat-prop3
:nonumber:

Statement.
```

RECORD

FIGURE

As {ref}`Figure B1 <figure-demo>` shows, the line falls.
"""

BROKEN = r"""
```{prf:lemma} Numbered the book's way
:label: kurlat-lemma-bad

Statement.
```

$$ x = 1 $$ (kurlat-eq19)
"""


def _build(tmp_path, page):
    import subprocess

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from firesales import plotting

    src = tmp_path / "src"
    (src / "figures").mkdir(parents=True)
    (src / "conf.py").write_text(
        'extensions = ["myst_nb", "sphinx_proof", "sphinx_design", "firesales.offline"]\n'
        'myst_enable_extensions = ["amsmath", "colon_fence", "dollarmath"]\n'
        'proof_title_format = " %t"\nnumfig = False\nhtml_theme = "basic"\nnb_execution_mode = "off"\n'
    )
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    plotting._render(fig, src / "figures" / "demo")
    plt.close(fig)
    (src / "figures" / "demo.csv").write_text("x\n0\n")
    rec = ledger.Record("kurlat.x", "illegible", "symbolic", "eq. (6)", TRICKY, "numbers 1e-12", "`P0 = v − a σ`",
                        "$P_0 = \\bar v - a\\sigma^2$")
    rec.extra = {"notebook": "notebooks/kurlat.ipynb", "section": "S", "anchor": "s"}
    record = "\n".join(book._entry(rec)).replace("../notebooks/kurlat.ipynb#s", "https://example.org")
    figure = plotting.figure_markdown("demo", "Figure B1", "A falling line, $p(x)$.", "A line falling from one to zero",
                                      src / "figures" / "demo", here=src)
    (src / "index.md").write_text(page.replace("RECORD", record).replace("FIGURE", figure))
    result = subprocess.run([sys.executable, "-m", "sphinx", "-q", "-b", "html", "-W", str(src), str(tmp_path / "html")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    return tmp_path / "html", rec


def test_the_conventions_pass_when_built_by_sphinx(tmp_path):
    html, rec = _build(tmp_path, FIXTURE_PAGE)
    page = htmlcheck.soup(html / "index.html")
    assert htmlcheck.numbering_problems(page, "index.html") == []
    assert htmlcheck.figure_problems(htmlcheck.soup(html / "index.html"), "index.html", html) == []
    assert "Fig. 1" not in (html / "index.html").read_text(), "Sphinx numbered the figure"
    links = [a.get_text() for a in page.find_all("a", class_="reference", href="#figure-demo")]
    assert links == ["Figure B1"], f"the prose's reference to the figure: {links}"
    box = page.select_one("div.fs-record.fs-claim-kurlat-x")
    fields = htmlcheck._page_fields(box, book.field_labels(rec.status))
    assert fields == {k: htmlcheck.canonical(v) for k, v in book.record_fields(rec).items()}, "no smart quotes, no markup"


def test_the_book_s_own_numbers_fail_when_built_by_sphinx(tmp_path):
    html, _ = _build(tmp_path, FIXTURE_PAGE + BROKEN)
    problems = htmlcheck.numbering_problems(htmlcheck.soup(html / "index.html"), "index.html")
    assert any("carries the book's number" in p for p in problems), problems
    assert any("Numbered the book" in p and "number of its own" in p for p in problems), problems
