"""The built book in a real browser (issue 8): every page of the offline build is loaded in
headless Chromium, served from 127.0.0.1, with every request to another host refused.

One pass over the site (module fixture) feeds the tests below, each about one kind of
defect, so a failure names what is wrong and on which page. Screenshots of every chapter go
to ``output/screenshots/`` for a reviewer.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sitecheck

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "output" / "screenshots"


def toc_pages() -> list[str]:
    """The chapters of ``_toc.yml`` as paths of the built site (``book/intro.html``...)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [str(Path(f).with_suffix("")) + ".html" for f in files]


@pytest.fixture(scope="module")
def report(book_html) -> sitecheck.Report:
    print(f"\n== checking every page of {book_html} in headless Chromium", flush=True)
    rep = sitecheck.check_site(book_html, screenshots=SCREENSHOTS, progress=lambda line: print(line, flush=True))
    print(rep.summary(), flush=True)
    return rep


@pytest.fixture(scope="module")
def browser(book_html):
    """One headless Chromium and one local server for the tests that drive a page themselves."""
    from playwright.sync_api import sync_playwright

    with sitecheck.Server(book_html) as server, sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=sitecheck.CHROMIUM, headless=True, args=sitecheck.CHROMIUM_ARGS)
        chromium.base = server.base
        try:
            yield chromium
        finally:
            chromium.close()


def _problems(report, *kinds) -> list[str]:
    return [str(p) for p in report.problems if p.kind in kinds]


def assert_none(report, *kinds) -> None:
    found = _problems(report, *kinds)
    assert not found, f"{len(found)} problems:\n  " + "\n  ".join(found)


def test_every_chapter_was_built_and_loaded(report):
    missing = [p for p in toc_pages() if p not in report.pages]
    assert not missing, f"chapters in _toc.yml without a built page: {missing}"
    assert_none(report, "load", "no pages")


def test_no_console_errors_or_page_exceptions(report):
    assert_none(report, "console error", "page exception")


def test_every_local_resource_loads(report):
    assert_none(report, "failed request")


def test_offline_no_request_leaves_the_machine(report):
    assert_none(report, "external request")


def test_every_image_is_present_and_non_empty(report):
    assert_none(report, "broken image", "figure not rendered")


def test_figures_are_shown(report, book_html):
    """Every notebook that saves a figure shows at least one image in its page."""
    import json

    for rel in toc_pages():
        source = ROOT / Path(rel).with_suffix(".ipynb")
        if not source.exists():
            continue
        nb = json.loads(source.read_text(encoding="utf-8"))
        pngs = sum(
            "image/png" in out.get("data", {}) for c in nb["cells"] if c["cell_type"] == "code" for out in c.get("outputs", [])
        )
        html = (book_html / rel).read_text(encoding="utf-8")
        if pngs:
            assert html.count("<img") >= pngs, f"{rel}: the notebook has {pngs} images, the page fewer"


def test_navigation_links_resolve(report):
    assert_none(report, "broken link", "broken anchor")
    unreachable = [p for p in toc_pages() if p not in report.link_targets]
    assert not unreachable, f"chapters no page links to: {unreachable}"


def test_mathematics_is_typeset(report):
    assert_none(report, "math not typeset", "math error", "raw TeX")
    assert report.math_pages > 0, "no page of the book had typeset mathematics"


WIDE = ("wide page", "wide code", "wide output", "wide table")


@pytest.mark.parametrize("rel", toc_pages())
def test_no_block_scrolls_sideways(report, rel):
    """At 1280 px: every code block, output and table fits, and so does the page (folds opened)."""
    found = [str(p) for p in report.problems if p.page == rel and p.kind in WIDE]
    assert not found, f"{len(found)} blocks scroll sideways on {rel}:\n  " + "\n  ".join(found)


@pytest.mark.parametrize("rel", toc_pages())
def test_no_displayed_equation_scrolls_sideways(report, rel):
    """A displayed equation wider than the column must be broken (aligned, multline...)."""
    found = [str(p) for p in report.problems if p.page == rel and p.kind == "wide math"]
    assert not found, f"{len(found)} equations scroll sideways on {rel}:\n  " + "\n  ".join(found)


def test_no_block_scrolls_sideways_on_the_generated_pages(report):
    chapters = set(toc_pages())
    found = [str(p) for p in report.problems if p.page not in chapters and p.kind in WIDE + ("wide math",)]
    assert not found, f"{len(found)} blocks scroll sideways:\n  " + "\n  ".join(found)


_JS_CAPACITY = """(n) => {
  // a visible cell's code (a folded cell's code wraps instead: the install cell comes first)
  const pre = [...document.querySelectorAll('.cell_input div.highlight pre')]
    .find(p => !p.closest('details') && getComputedStyle(p).whiteSpace === 'pre');
  const keep = pre.textContent;
  const cs = getComputedStyle(pre);
  const span = document.createElement('span');
  span.textContent = 'x'.repeat(100);
  pre.replaceChildren(span);
  const charWidth = span.getBoundingClientRect().width / 100;
  const room = pre.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const wide = pre.scrollWidth > pre.clientWidth;  // 100 characters must not fit
  span.textContent = 'x'.repeat(n);
  const fits = pre.scrollWidth <= pre.clientWidth;
  pre.textContent = keep;
  return {chars: Math.floor(room / charWidth), charWidth, room, wide, fits};
}"""


def test_an_88_character_code_line_fits_at_1280_px(browser):
    """The promise behind the 88-character limit, on the book's own theme and fonts."""
    chapter = next(p for p in toc_pages() if p.startswith("notebooks/"))
    context = browser.new_context(viewport=sitecheck.VIEWPORT)
    try:
        page = context.new_page()
        page.goto(browser.base + chapter, wait_until="load")
        page.evaluate("() => document.fonts.ready")
        got = page.evaluate(_JS_CAPACITY, 88)
    finally:
        context.close()
    assert got["fits"] and got["chars"] >= 88, got
    assert got["wide"], f"a 100-character line fits too: the measure cannot fail ({got})"


def test_one_screenshot_per_chapter(report):
    shots = {p.name for p in report.screenshots}
    for rel in toc_pages():
        name = rel[: -len(".html")].replace("/", "__") + ".png"
        assert name in shots, f"no screenshot of {rel}"
        assert (SCREENSHOTS / name).stat().st_size > 10_000, f"screenshot of {rel} is blank"


def test_search_works_offline(browser):
    """The search page finds a chapter from the index shipped with the build."""
    context = browser.new_context()
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(browser.base + "search.html?q=price", wait_until="load")
        page.wait_for_selector("ul.search li", timeout=15_000)
        hits = page.locator("ul.search li").count()
    finally:
        context.close()
    assert hits > 0, "searching the book for 'price' found nothing"
    assert not errors, errors


#: the smallest text a figure may show at the 1280-px window, in CSS px
MIN_FIGURE_TEXT_PX = 10.0


def test_figure_text_is_at_least_10_css_px_at_1280(report):
    """Tick labels and legends as rendered: the house style's smallest font (points) at the
    PNG's resolution, scaled by the image's rendered width over its pixel width."""
    from firesales import plotting

    style = plotting.STYLE
    sizes = [style["font.size"], style["legend.fontsize"]]  # tick labels are 'medium' = font.size
    smallest_px = min(sizes) * style["savefig.dpi"] / 72  # in the PNG's pixels
    assert report.figures, "no figure measured"
    small = []
    for rel, src, natural, rendered in report.figures:
        assert natural > 0, f"{rel}: {src} did not load"
        shown = smallest_px * rendered / natural
        if shown < MIN_FIGURE_TEXT_PX:
            small.append(f"{rel}: {src.rsplit('/', 1)[-1]} shows {min(sizes)}-pt text at {shown:.1f} CSS px "
                         f"({natural} px wide, drawn {rendered:.0f} px wide)")
    assert not small, f"{len(small)} figures with text under {MIN_FIGURE_TEXT_PX} px:\n  " + "\n  ".join(small)


def test_no_table_breaks_a_word_mid_letter(report):
    assert_none(report, "word break")


def test_nothing_is_wider_than_a_phone(report):
    """At 390 px no page scrolls sideways: claim ids wrap, wide tables and equations scroll
    inside their own boxes."""
    assert_none(report, "wide at 390 px")


def test_text_is_legible_in_light_and_dark_mode(report):
    """Claim records, their statuses and links, folds, the saved-files label, captions and
    links reach a contrast ratio of 4.5:1 in both colour modes (measured in the browser)."""
    assert report.contrast_checks > 100, f"only {report.contrast_checks} contrast measurements"
    assert_none(report, "low contrast")


def test_screenshots_at_both_widths(report):
    shots = {p.name for p in report.screenshots}
    for rel in toc_pages():
        stem = rel[: -len(".html")].replace("/", "__")
        assert {stem + ".png", stem + "@390.png"} <= shots, f"missing a screenshot of {rel}"


_JS_SIDEBARS = """() => {
  const shown = sel => { const el = document.querySelector(sel); if (!el) return false;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return cs.visibility !== 'hidden' && cs.display !== 'none' && r.width > 50 && r.right > 0 && r.left < innerWidth; };
  const visible = sel => { const el = document.querySelector(sel); return !!el && el.getClientRects().length > 0
    && getComputedStyle(el).visibility !== 'hidden'; };
  return {primary: shown('.bd-sidebar-primary'), secondary: shown('.bd-sidebar-secondary'),
          primaryButton: visible('button.primary-toggle'), secondaryButton: visible('button.secondary-toggle'),
          searchBoxes: Array.from(document.querySelectorAll('.search-button-field, .bd-search input'))
                         .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden').length,
          scroll: document.documentElement.scrollWidth};
}"""


#: a page with sections (so it has on-this-page contents) and little mathematics (fast)
MENU_PAGE = "book/errata.html"


def test_menu_and_on_this_page_buttons_open(browser):
    """The hamburger opens the book's menu and the on-this-page button the page's contents,
    on a phone, a tablet and a desktop (390, 800, 1280 px); one search box; the page no
    wider than the window."""
    found = {}
    for width in (390, 800, 1280):
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(browser.base + MENU_PAGE, wait_until="load")
            before = page.evaluate(_JS_SIDEBARS)
            opened = {}
            for side in ("primary", "secondary"):
                if not before[f"{side}Button"] or (before[side] and width >= 1200):
                    opened[side] = before[side]  # shown beside the article: nothing to open
                    continue
                page.click(f"button.{side}-toggle")
                page.wait_for_timeout(300)
                opened[side] = page.evaluate(_JS_SIDEBARS)[side]
                page.keyboard.press("Escape")
                page.wait_for_timeout(300)
                if page.evaluate(_JS_SIDEBARS)[side] != before[side]:
                    page.goto(browser.base + MENU_PAGE, wait_until="load")
            found[width] = (before, opened, errors)
        finally:
            context.close()
    for width, (before, opened, errors) in found.items():
        assert before["primaryButton"], f"no menu button at {width} px"
        assert opened["primary"], f"the menu does not open at {width} px: {before}"
        assert opened["secondary"], f"the on-this-page contents do not open at {width} px: {before}"
        assert before["searchBoxes"] <= 1, f"{before['searchBoxes']} search boxes at {width} px"
        assert before["scroll"] <= width, f"the page is {before['scroll']} px wide at {width} px"
        assert not errors, errors
