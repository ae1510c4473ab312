"""Check a built static site in a real browser (headless Chromium driven by Playwright).

The site is served from a folder by the standard library's HTTP server on 127.0.0.1 (a free
port, in a thread); every HTML page is loaded in Debian's Chromium (``/usr/bin/chromium``,
no browser download) and checked for:

- console errors and uncaught page exceptions;
- failed local requests (scripts, stylesheets, images, fonts: HTTP >= 400 or no response);
- any request to another host (the site must render with no network);
- every ``<img>`` loaded with ``naturalWidth > 0``;
- no block scrolls sideways at the 1280-px window: for every code block, cell output,
  table and displayed equation, folded ones opened, ``scrollWidth <= clientWidth``
  (and the page itself no wider than the window); an offending code block is reported
  with its longest line, an equation with its TeX;
- every link to a page of the site resolving to an existing file, and its ``#fragment``
  to an element id of the target page;
- mathematics typeset: where a page has Sphinx math elements, MathJax must have started and
  produced as many ``mjx-container`` elements, with no MathJax error nodes; and no page may
  show raw TeX (``$...$``, ``\\(...\\)``, ``\\[...\\]``, ``\\frac``) in its visible text
  outside code.

One screenshot per page listed in ``screenshot_pages`` is saved (its first screen; full length
with ``FIRESALES_SCREENSHOTS=full``). Pages are checked by two browsers side by side
(``FIRESALES_BROWSER_WORKERS``). Usable as a script::

    python tests/browser/sitecheck.py _build/html [--screenshots output/screenshots]
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

CHROMIUM = os.environ.get("FIRESALES_CHROMIUM", "/usr/bin/chromium")
# the flags this machine needs (see the project's notes on headless Chromium): no sandbox as
# root, no GPU, and none of Chromium's own background traffic to Google's hosts
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    # no name resolves but the local server's: a page that needs the network fails here as it
    # would for an offline reader (every such request is also reported by the check)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOT_MAX_HEIGHT = 6000  # px; long chapters are cut there (full-length screenshots)
# A full-length screenshot lays the whole page out again at its full height: about 2.5 s a
# chapter, a quarter of the browser test. By default each page's first screen is taken
# (0.15 s); FIRESALES_SCREENSHOTS=full (or --full-screenshots) takes them full length.
FULL_SCREENSHOTS = os.environ.get("FIRESALES_SCREENSHOTS", "") == "full"
NOT_PAGES = {"genindex.html", "search.html", "prf-prf.html"}  # generated indexes: checked, not screenshotted


@dataclass
class Problem:
    page: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.page}: [{self.kind}] {self.detail}"


@dataclass
class Report:
    pages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    math_pages: int = 0
    images: int = 0
    links: int = 0
    link_targets: set[str] = field(default_factory=set)
    contrast_checks: int = 0
    #: every figure image at the wide window: (page, src, natural width px, rendered width CSS px)
    figures: list[tuple[str, str, int, float]] = field(default_factory=list)
    seconds: float = 0.0

    def kinds(self) -> set[str]:
        return {p.kind for p in self.problems}

    def summary(self) -> str:
        head = (
            f"{len(self.pages)} pages, {self.math_pages} with typeset math, {self.images} images, "
            f"{self.links} internal links, {len(self.screenshots)} screenshots, {self.seconds:.1f} s"
        )
        if not self.problems:
            return head + ": no problems"
        return head + f": {len(self.problems)} problems\n  " + "\n  ".join(map(str, self.problems))


# ------------------------------------------------------------------ serving
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean; failures are seen by the browser
        pass


class Server:
    """``http.server`` on 127.0.0.1, a free port, serving ``root`` from a daemon thread."""

    def __init__(self, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


# ------------------------------------------------------------------ static link targets
class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == "id" or (k == "name" and tag == "a"):
                if v:
                    self.ids.add(v)


@functools.lru_cache(maxsize=None)
def _ids_of(path: Path) -> frozenset[str]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.ids)


def pages_of(root: Path) -> list[str]:
    """Every HTML page of the site, as paths relative to ``root`` (theme fragments excluded)."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if p.relative_to(root).parts[0] != "_static"
    )


# ------------------------------------------------------------------ in-page JavaScript
_JS_WAIT_MATH = """async () => {
  const mathEls = document.querySelectorAll('.math');  // Sphinx: span.math (inline), div.math (display)
  const out = {mathElements: mathEls.length, mathjax: false, error: null};
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    out.mathjax = true;
    try { await MathJax.startup.promise; } catch (e) { out.error = String(e); }
  }
  await document.fonts.ready;
  out.containers = document.querySelectorAll('mjx-container').length;
  out.mathErrors = Array.from(document.querySelectorAll('mjx-merror, [data-mjx-error]'))
      .map(e => (e.getAttribute('data-mjx-error') || e.textContent || '').slice(0, 120));
  return out;
}"""

_JS_IMAGES = """async () => {
  const imgs = Array.from(document.images);
  imgs.forEach(i => { i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.complete ? null :
      new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 5000); })));
  return imgs.map(i => ({src: i.getAttribute('src') || '', url: i.currentSrc || i.src,
                         w: i.naturalWidth, h: i.naturalHeight, complete: i.complete}));
}"""

_JS_LINKS = """() => Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'))"""

# visible text outside code, scripts and typeset math
_JS_TEXT = """() => {
  const skip = new Set(['SCRIPT','STYLE','NOSCRIPT','PRE','CODE','KBD','SAMP','TEXTAREA','MJX-CONTAINER','MATH','TEMPLATE']);
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
        if (el.classList && (el.classList.contains('highlight') || el.classList.contains('MathJax_Preview')))
          return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }});
  const parts = []; let n;
  while ((n = walker.nextNode())) parts.push(n.nodeValue);
  return parts.join(' ');
}"""

# text of notebook cell outputs (code-like, so not in the text above)
_JS_OUTPUTS = """() => Array.from(document.querySelectorAll('.cell_output'))
    .map(e => e.innerText).join('\\n')"""

_RAW_TEX = [
    (re.compile(r"\\\(.{0,200}?\\\)", re.S), "inline \\(...\\)"),
    (re.compile(r"\\\[.{0,400}?\\\]", re.S), "display \\[...\\]"),
    (re.compile(r"\$\$.{1,400}?\$\$", re.S), "display $$...$$"),
    (re.compile(r"(?<![\\$\w])\$(?!\s)[^$\n]{0,200}?[\\^_{}][^$\n]{0,200}?(?<!\s)\$(?!\w)"), "inline $...$"),
    (re.compile(r"\\(?:frac|alpha|beta|gamma|delta|theta|lambda|mu|sigma|sum|int|partial|mathbb|mathrm|left|right|begin|end|cdot|leq|geq|infty)(?![a-zA-Z])"), "TeX command"),
]


# Every block that could scroll sideways, folds opened (a reader may open them). A block
# is wide when scrollWidth > clientWidth + tolerance: both are integers (CSS px, rounded),
# and the check needs no tolerance on the book (0 px); it is a parameter for other sites.
_JS_WIDE = """(tolerance) => {
  const closed = Array.from(document.querySelectorAll('details:not([open])'));
  closed.forEach(d => { d.open = true; });
  const folded = el => closed.some(d => d.contains(el));
  const kinds = [
    ['page', 'html'],
    ['code', 'pre'],
    ['output', '.cell_output > *'],
    ['table', '.pst-scrollable-table-container, table'],
    ['math', 'div.math, mjx-container[display="true"]'],
  ];
  const found = [], seen = new Set(), reported = [];
  for (const [kind, selector] of kinds) {
    const all = Array.from(document.querySelectorAll(selector));
    all.forEach((el, i) => {
      if (seen.has(el)) return;
      seen.add(el);
      const over = el.scrollWidth - el.clientWidth;
      if (over <= tolerance) return;
      // one report per block: an output's <pre> and its wrapper are the same block
      if (kind !== 'page' && reported.some(r => r.contains(el) || el.contains(r))) return;
      if (kind !== 'page') reported.push(el);
      let k = kind, what = '';
      if (kind === 'code' && el.closest('.cell_output')) k = 'output';
      if (k === 'code') {
        const lines = el.innerText.split('\\n');
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
        what = `longest line ${longest.length} chars: ${JSON.stringify(longest.slice(0, 72))}`;
      } else if (k === 'math') {
        let tex = '';
        try {
          const items = MathJax.startup.document.getMathItemsWithin(el);
          tex = items.length ? items[0].math : '';
        } catch (e) { tex = ''; }
        what = `TeX: ${JSON.stringify((tex || el.textContent).trim().slice(0, 90))}`;
      } else {
        what = JSON.stringify((el.innerText || '').trim().split('\\n')[0].slice(0, 72));
      }
      const cell = el.closest('.cell');
      const cells = Array.from(document.querySelectorAll('.cell'));
      const where = cell ? `cell ${cells.indexOf(cell) + 1} of ${cells.length}` : `${kind} ${i + 1}`;
      found.push({kind: k, where, folded: folded(el), scroll: el.scrollWidth, client: el.clientWidth, what});
    });
  }
  // table text may wrap between words only: a cell that lets words break anywhere
  // ("questi|on") is reported (inline code, ids and paths, may break anywhere)
  Array.from(document.querySelectorAll('td, th')).some(td => {
    const cs = getComputedStyle(td);
    if (cs.overflowWrap === 'anywhere' || cs.wordBreak === 'break-all' || cs.wordBreak === 'break-word') {
      found.push({kind: 'word break', where: 'table cell', folded: folded(td), scroll: 0, client: 0,
                  what: `overflow-wrap: ${cs.overflowWrap}, word-break: ${cs.wordBreak}: ` +
                        JSON.stringify((td.innerText || '').trim().slice(0, 40))});
      return true;
    }
    return false;
  });
  closed.forEach(d => { d.open = false; });
  return found;
}"""

# At a phone's width (390 px): nothing may be wider than the window. The page's own width
# is the test (document scrollWidth <= innerWidth); the elements reaching past the window's
# right edge outside any box that scrolls or clips are named, to say what is too wide.
_JS_NARROW = """() => {
  const W = window.innerWidth;
  const out = {scroll: document.documentElement.scrollWidth, window: W, culprits: []};
  if (out.scroll <= W) return out;
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') return true;
    }
    return false;
  };
  for (const el of document.querySelectorAll('.bd-main *, .bd-header *, .bd-footer *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= W + 1 || clipped(el)) continue;
    if (out.culprits.some(c => c.el.contains(el))) continue;
    out.culprits.push({el, what: `<${el.tagName.toLowerCase()} class="${el.className}"> ${Math.round(r.width)} px: ` +
                        JSON.stringify((el.innerText || '').trim().slice(0, 60))});
    if (out.culprits.length >= 3) break;
  }
  out.culprits = out.culprits.map(c => c.what);
  return out;
}"""

# Dark mode: the contrast ratio (WCAG) of text against its effective background, for the
# book's own elements (claim records, their links and statuses, folds, the saved-files
# label, figure captions) and the page's links, measured in the browser.
_JS_CONTRAST = """(min) => {
  const rgb = s => { const m = s.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const v = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [v[0], v[1], v[2], v.length > 3 ? v[3] : 1]; };
  const lum = c => { const f = x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = el => {
    for (let a = el; a; a = a.parentElement) {
      const c = rgb(getComputedStyle(a).backgroundColor);
      if (c && c[3] > 0.5) return c;
    }
    return [255, 255, 255, 1];  // the canvas: white when no element paints a background
  };
  const selectors = ['.fs-record', '.fs-record a', '.fs-record .fs-status', '.fs-record code',
                     'details.firesales-saved summary', 'details.hide summary', '.toggle-details summary',
                     'figure.fs-figure figcaption', '.bd-article a.reference', '.bd-article p'];
  const found = []; let measured = 0;
  for (const sel of selectors) {
    const els = Array.from(document.querySelectorAll(sel)).filter(e => e.getClientRects().length).slice(0, 6);
    for (const el of els) {
      const fg = rgb(getComputedStyle(el).color), bg = background(el);
      if (!fg) continue;
      const l1 = lum(fg), l2 = lum(bg), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      measured++;
      if (ratio < min) { found.push(`${sel}: ${ratio.toFixed(2)}:1 (${getComputedStyle(el).color} on rgb(${bg.slice(0, 3)})) ` +
                                    JSON.stringify((el.innerText || '').trim().slice(0, 40))); break; }
    }
  }
  return {measured, found};
}"""

#: the narrow window (a phone) and the contrast ratio text must reach in both themes
NARROW = {"width": 390, "height": 844}
MIN_CONTRAST = 4.5

#: px a block may exceed its box before it counts as scrolling sideways (see _JS_WIDE)
WIDE_TOLERANCE_PX = 0

_FIGURE_REPR = re.compile(r"<(?:Figure size \d+x\d+ with \d+ Axes|matplotlib\.[\w.]+ object at 0x[0-9a-f]+)>")


_META_REFRESH = re.compile(r"<meta[^>]+http-equiv=[\"']?refresh", re.IGNORECASE)


def _raw_tex(text: str) -> list[str]:
    found = []
    for pattern, what in _RAW_TEX:
        for m in pattern.finditer(text):
            found.append(f"{what}: {m.group(0)[:80]!r}")
            if len(found) >= 5:
                return found
    return found


# ------------------------------------------------------------------ the check
def _console(msg, add) -> None:
    if msg.type != "error":
        return
    where = (msg.location or {}).get("url", "")
    if where.endswith("/favicon.ico"):  # the browser's own request, not the page's (the book has no icon)
        return
    if "net::ERR_NAME_NOT_RESOLVED" in msg.text:  # reported as an external request
        return
    add("console error", f"{msg.text[:300]}" + (f" ({where})" if where else ""))


def _local(url: str, base: str) -> bool:
    return url.startswith(base) or url.startswith(("data:", "blob:", "about:"))


def _check_page(context, base: str, root: Path, rel: str, report: Report, screenshots, screenshot_pages) -> None:
    """Load one page in a new tab, check it, add what is wrong to ``report``."""
    problems: list[Problem] = []

    def add(kind: str, detail: str) -> None:
        problems.append(Problem(rel, kind, detail))

    page = context.new_page()
    external: list[str] = []

    page.on("request", lambda req: external.append(req.url) if not _local(req.url, base) else None)
    page.on("console", lambda msg: _console(msg, add))
    page.on("pageerror", lambda exc: add("page exception", str(exc)[:300]))
    page.on(
        "response",
        lambda resp: add("failed request", f"HTTP {resp.status} {resp.url[len(base) - 1:]}")
        if resp.status >= 400 and resp.url.startswith(base)
        else None,
    )
    page.on(
        "requestfailed",
        lambda req: add("failed request", f"{req.failure} {req.url[len(base) - 1:]}")
        if req.url.startswith(base)
        else None,
    )
    try:
        page.goto(base + rel, wait_until="load")
        if _META_REFRESH.search((root / rel).read_text(encoding="utf-8", errors="replace")[:4000]):
            page.wait_for_url(lambda u: u.split("#", 1)[0] != base + rel, wait_until="load")
    except Exception as exc:  # a page that does not load at all
        add("load", str(exc).splitlines()[0][:300])
        page.close()
        report.problems += problems
        return

    # mathematics
    math = page.evaluate(_JS_WAIT_MATH)
    if math["mathElements"]:
        if not math["mathjax"]:
            add("math not typeset", f"{math['mathElements']} math elements but MathJax did not start")
        elif math["error"]:
            add("math not typeset", f"MathJax failed: {math['error']}")
        elif math["containers"] < math["mathElements"]:
            add(
                "math not typeset",
                f"{math['mathElements']} math elements, only {math['containers']} typeset (mjx-container)",
            )
        else:
            report.math_pages += 1
    for err in math["mathErrors"]:
        add("math error", f"MathJax could not typeset: {err}")
    text = page.evaluate(_JS_TEXT)
    for raw in _raw_tex(text):
        add("raw TeX", raw)
    outputs = page.evaluate(_JS_OUTPUTS)
    for m in _FIGURE_REPR.finditer(outputs):  # a kernel without the inline backend
        add("figure not rendered", f"the page shows {m.group(0)!r} instead of the image")

    # images
    for img in page.evaluate(_JS_IMAGES):
        report.images += 1
        if not img["complete"] or img["w"] <= 0 or img["h"] <= 0:
            add("broken image", f"<img src={img['src']!r}> naturalWidth={img['w']}")

    # links to pages of the site (relative to where the page ended up: index.html redirects)
    page_url = page.url.split("#", 1)[0]
    for href in page.evaluate(_JS_LINKS):
        if not href or href.startswith(("mailto:", "javascript:", "tel:")):
            continue
        url = urljoin(page_url, href)
        if not url.startswith(base):
            if re.match(r"^https?://(127\.0\.0\.1|localhost)", url):
                add("broken link", f"{href} points at another local server")
            continue
        parts = urlsplit(url)
        target_rel = unquote(parts.path[len(urlsplit(base).path):])
        target = root / target_rel
        if target_rel == "" or target.is_dir():
            target = target / "index.html"
        report.links += 1
        if target.is_file():
            report.link_targets.add(target.relative_to(root).as_posix())
        if not target.is_file():
            add("broken link", f"{href} -> {target.relative_to(root).as_posix()} does not exist")
            continue
        frag = unquote(parts.fragment)
        if frag and target.suffix == ".html" and frag not in _ids_of(target):
            add("broken anchor", f"{href}: no element with id {frag!r} in {target.relative_to(root).as_posix()}")

    for url in external:
        add("external request", url[:200])

    redirected = page.url.split("#", 1)[0] != base + rel  # e.g. index.html -> the landing page
    if screenshots is not None and screenshot_pages(rel) and not redirected:
        shot = screenshots / (rel[: -len(".html")].replace("/", "__") + ".png")
        if FULL_SCREENSHOTS:
            height = page.evaluate("() => document.documentElement.scrollHeight")
            page.screenshot(
                path=str(shot),
                full_page=True,
                clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(height, SCREENSHOT_MAX_HEIGHT)},
            )
        else:
            page.screenshot(path=str(shot))
        report.screenshots.append(shot)
    if not redirected:
        for w in page.evaluate(_JS_WIDE, WIDE_TOLERANCE_PX):
            fold = " (in a fold)" if w["folded"] else ""
            if w["kind"] == "word break":
                add("word break", f"{w['where']}{fold}: {w['what']}")
                continue
            add(
                f"wide {w['kind']}",
                f"{w['where']}{fold}: {w['scroll']} px of content in {w['client']} px, {w['what']}",
            )
        _check_screens(page, rel, add, report, screenshots if screenshot_pages(rel) else None)
    page.close()
    report.problems += problems


_JS_FIGURES = """() => Array.from(document.querySelectorAll('figure img')).map(i => (
  {src: i.getAttribute('src') || '', natural: i.naturalWidth, rendered: i.getBoundingClientRect().width}))"""


def _check_screens(page, rel, add, report, screenshots) -> None:
    """Figures' rendered widths and light and dark contrast at the wide window, then the
    page at a phone's width."""
    for f in page.evaluate(_JS_FIGURES):
        report.figures.append((rel, f["src"], f["natural"], f["rendered"]))
    for theme in ("light", "dark"):
        page.evaluate("(t) => { document.documentElement.dataset.theme = t; document.documentElement.dataset.mode = t; }",
                      theme)
        got = page.evaluate(_JS_CONTRAST, MIN_CONTRAST)
        report.contrast_checks += got["measured"]
        for f in got["found"]:
            add("low contrast", f"{theme} mode: {f}")
    page.evaluate("() => { document.documentElement.dataset.theme = 'light'; document.documentElement.dataset.mode = 'light'; }")
    # the theme animates its sidebars away when the window narrows: without transitions the
    # screenshot shows the phone layout at once (what a reader loading the page on a phone sees)
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; animation: none !important; }")
    page.set_viewport_size(NARROW)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    narrow = page.evaluate(_JS_NARROW)
    if narrow["scroll"] > narrow["window"]:
        add("wide at 390 px", f"the page is {narrow['scroll']} px wide in a {narrow['window']}-px window: "
            + "; ".join(narrow["culprits"]))
    if screenshots is not None:
        shot = screenshots / (rel[: -len(".html")].replace("/", "__") + "@390.png")
        page.screenshot(path=str(shot))
        report.screenshots.append(shot)
    page.set_viewport_size(VIEWPORT)


#: browsers checking pages side by side (one per core on the 2-core machines this runs on)
WORKERS = int(os.environ.get("FIRESALES_BROWSER_WORKERS", "2"))


def _check_pages(pages, root, base, report, screenshots, screenshot_pages, chromium, timeout_ms, progress, total,
                 order) -> None:
    """One browser, one context: check ``pages`` in turn, adding to ``report``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        context.set_default_timeout(timeout_ms)
        for rel in pages:
            t0, before = time.perf_counter(), len(report.problems)
            _check_page(context, base, root, rel, report, screenshots, screenshot_pages)
            if progress:
                found = len(report.problems) - before
                progress(
                    f"  [{order[rel]}/{total}] {rel}: {'ok' if not found else f'{found} problems'} "
                    f"({time.perf_counter() - t0:.1f} s)"
                )
        context.close()
        browser.close()


def check_site(
    root: Path,
    *,
    screenshots: Path | None = None,
    screenshot_pages=None,
    chromium: str = CHROMIUM,
    timeout_ms: int = 30_000,
    progress=None,
    workers: int | None = None,
) -> Report:
    """Load every page of the static site in ``root`` and return what is wrong with it.

    ``screenshot_pages``: a predicate on the page's relative path choosing which pages get a
    screenshot in ``screenshots`` (default: every page but the generated indexes).
    ``progress``: called with one line per page checked (e.g. ``print``).
    ``workers``: browsers run side by side, each on its share of the pages (default
    ``FIRESALES_BROWSER_WORKERS`` or 2); the report is the same whatever their number.
    """
    import threading

    root = Path(root).resolve()
    start = time.perf_counter()
    report = Report(pages=pages_of(root))
    if not report.pages:
        report.problems.append(Problem(".", "no pages", f"no HTML files in {root}"))
        return report
    if screenshot_pages is None:
        screenshot_pages = lambda rel: Path(rel).name not in NOT_PAGES  # noqa: E731
    if screenshots is not None:
        screenshots = Path(screenshots)
        if screenshots.exists():
            shutil.rmtree(screenshots)
        screenshots.mkdir(parents=True)

    n = max(1, min(workers or WORKERS, len(report.pages)))
    order = {rel: i for i, rel in enumerate(report.pages, 1)}
    # the largest pages first, dealt out in turn, so the browsers finish together
    by_size = sorted(report.pages, key=lambda rel: -(root / rel).stat().st_size)
    shares = [by_size[k::n] for k in range(n)]
    parts = [Report() for _ in range(n)]
    errors: list[BaseException] = []
    with Server(root) as server:
        def work(k: int) -> None:
            try:
                _check_pages(shares[k], root, server.base, parts[k], screenshots, screenshot_pages, chromium,
                             timeout_ms, progress, len(report.pages), order)
            except BaseException as exc:  # re-raised below, in the caller's thread
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(1, n)]
        for t in threads:
            t.start()
        work(0)
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    for part in parts:
        report.problems += part.problems
        report.screenshots += part.screenshots
        report.math_pages += part.math_pages
        report.images += part.images
        report.links += part.links
        report.link_targets |= part.link_targets
        report.contrast_checks += part.contrast_checks
        report.figures += part.figures
    report.problems.sort(key=lambda p: order.get(p.page, 0))  # stable: a page's problems keep their order
    report.screenshots.sort()
    report.seconds = time.perf_counter() - start
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, nargs="?", default=Path("_build/html"))
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--full-screenshots", action="store_true", help="full-length screenshots (slower)")
    args = parser.parse_args(argv)
    if args.full_screenshots:
        global FULL_SCREENSHOTS
        FULL_SCREENSHOTS = True
    report = check_site(args.html, screenshots=args.screenshots, progress=lambda line: print(line, flush=True))
    print(report.summary())
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
