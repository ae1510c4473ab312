"""Offline reading: ship MathJax with the built book so it renders with no network.

The default Sphinx/Jupyter Book build loads MathJax 3 from a CDN; it is the only thing the
built book fetches from outside (``python -m firesales.offline audit`` proves this for a
given build: it lists every script, stylesheet, image, font or frame that a page would load
from another host). ``make book`` is the ordinary build plus one step, ``vendor``, whenever
MathJax can be had (it is cached after the first fetch); when npm cannot fetch it, the
build says so and keeps the CDN script (``make book-offline`` fails instead):

1. MathJax is fetched **once** from the npm registry with npm's own client
   (``npm pack mathjax@3.2.2``), its sha512 checked against the pin below, and the browser
   bundle (``es5/``) unpacked into ``.venv/vendor/mathjax-3.2.2`` (a cache tied to the
   environment; ``FIRESALES_VENDOR`` overrides the folder, ``FIRESALES_MATHJAX_TGZ`` points
   at an already downloaded tarball for machines without npm).
2. It is copied into ``<html>/_static/mathjax/`` together with its Apache-2.0 licence.
3. Every page's MathJax ``<script>`` that points at a CDN is rewritten to the local copy
   (a page built with ``mathjax_path: mathjax/tex-mml-chtml.js`` in ``_config.yml`` already
   points there, and nothing is rewritten).
4. The audit runs; any remaining remote load is an error.

The module is also a Sphinx extension (``sphinx: extra_extensions: [firesales.offline]`` in
``_config.yml``) that repairs what the theme puts in every page: sphinx-thebe 0.3.1 emits its
inline configuration script twice under Sphinx 7.4, which throws ``SyntaxError: Identifier
'THEBE_JS_URL' has already been declared`` in every page; the extension drops the copy.

Command line (from the repository root, inside the project's environment)::

    python -m firesales.offline fetch                   # make sure MathJax is in the cache
    python -m firesales.offline build [--no-execute]    # fresh strict build, then vendor if possible
    python -m firesales.offline build --require-offline # ... and fail if MathJax cannot be had
    python -m firesales.offline vendor [_build/html]    # make an existing build offline
    python -m firesales.offline audit [_build/html]     # list remote loads (exit 1 if any)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

from . import repo_root

ROOT = repo_root()
MATHJAX_VERSION = "3.2.2"
# npm's dist.integrity for mathjax@3.2.2 (the tarball is verified against it before use)
MATHJAX_INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
MATHJAX_ENTRY = "tex-mml-chtml.js"  # the component Sphinx's default mathjax_path names
# alternative all-in-one bundles that a page built for tex-mml-chtml never loads
_SKIP = re.compile(r"^(tex-chtml.*|tex-svg.*|tex-mml-svg|mml-chtml|mml-svg|node-main|latest)\.js$")
STAMP = ".firesales-offline"
LOCAL_DIR = "mathjax"  # under _static/
# a MathJax script loaded from any CDN host: cdn.jsdelivr.net/npm/mathjax@3/es5/..., unpkg, cdnjs
_CDN_MATHJAX = re.compile(
    r"""(?P<attr>src=)(?P<q>["'])(?:https?:)?//[^"']*?mathjax(?:@[^/"']*)?/(?:[^"']*?/)?es5/(?P<file>[^"'?#]+)(?:[?#][^"']*)?(?P=q)""",
    re.IGNORECASE,
)


# ------------------------------------------------------------------ fetching MathJax
def vendor_dir() -> Path:
    return Path(os.environ.get("FIRESALES_VENDOR", ROOT / ".venv" / "vendor")) / f"mathjax-{MATHJAX_VERSION}"


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


class Unavailable(SystemExit):
    """MathJax could not be had (no npm, or the registry is not reachable)."""


def _npm_pack(dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable(
            "npm not found: install Node.js/npm, or download mathjax-"
            f"{MATHJAX_VERSION}.tgz from the npm registry and set FIRESALES_MATHJAX_TGZ to its path"
        )
    print(f"== fetching mathjax@{MATHJAX_VERSION} from the npm registry (npm pack)", flush=True)
    # fail in seconds, not minutes, when the registry cannot be reached
    cmd = [npm, "pack", f"mathjax@{MATHJAX_VERSION}", "--pack-destination", str(dest), "--silent",
           "--fetch-retries=1", "--fetch-retry-mintimeout=2000", "--fetch-retry-maxtimeout=5000",
           "--fetch-timeout=30000"]
    try:
        result = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        raise Unavailable("npm pack timed out: the npm registry is not reachable") from None
    tgz = dest / f"mathjax-{MATHJAX_VERSION}.tgz"
    if result.returncode != 0 or not tgz.is_file():
        why = (result.stderr or "").strip().splitlines()
        raise Unavailable("npm could not fetch MathJax (is the npm registry reachable?): "
                          + (why[-1] if why else f"exit {result.returncode}"))
    return tgz


def fetch(*, quiet: bool = False, required: bool = True) -> Path | None:
    """Return the cached MathJax ``es5`` folder, fetching and verifying it if needed.

    If it cannot be had (no npm, no registry), raise :class:`Unavailable` when
    ``required``, else say so (unless ``quiet``) and return ``None``. A tarball whose
    checksum does not match the pin is an error either way.
    """
    target = vendor_dir()
    if (target / STAMP).exists() and (target / MATHJAX_ENTRY).exists():
        return target
    with tempfile.TemporaryDirectory() as tmp:
        given = os.environ.get("FIRESALES_MATHJAX_TGZ")
        try:
            tgz = Path(given) if given else _npm_pack(Path(tmp))
        except Unavailable as exc:
            if required:
                raise
            if not quiet:
                print(f"== {exc}\n== the book loads MathJax from its CDN: its pages need the network "
                      "to show mathematics (`make book-offline` insists on the offline copy)", flush=True)
            return None
        found = _integrity(tgz)
        if found != MATHJAX_INTEGRITY:
            raise SystemExit(f"{tgz.name}: integrity {found} does not match the pinned {MATHJAX_INTEGRITY}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tgz, "r:gz") as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/es5/") or m.name == "package/LICENSE"]
            tar.extractall(staging, members=members, filter="data")
        es5 = staging / "package" / "es5"
        for path in es5.iterdir():
            if path.is_file() and _SKIP.match(path.name):
                path.unlink()
        shutil.copy2(staging / "package" / "LICENSE", es5 / "LICENSE")
        (es5 / STAMP).write_text(f"mathjax {MATHJAX_VERSION} {MATHJAX_INTEGRITY}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(es5), target)
    if not quiet:
        size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
        print(f"== MathJax {MATHJAX_VERSION} verified and cached in {target} ({size / 1e6:.1f} MB)", flush=True)
    return target


# ------------------------------------------------------------------ auditing a build
class _Loads(HTMLParser):
    """Collect the URLs a page loads by itself (not the links a reader may follow)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "audio", "video", "source", "embed", "track") and a.get("src"):
            self.urls.append((tag, a["src"]))
        elif tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower().split()
            if set(rel) & {"stylesheet", "preload", "modulepreload", "icon", "shortcut", "manifest", "prefetch"}:
                self.urls.append((f"link rel={' '.join(rel)}", a["href"]))
        elif tag == "object" and a.get("data"):
            self.urls.append((tag, a["data"]))


def _remote(url: str) -> bool:
    return bool(re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url.strip(), re.IGNORECASE)) and not url.lower().startswith("file:")


def html_pages(html_dir: Path) -> list[Path]:
    """Every page of a build (the theme's ``_static`` template fragments are not pages)."""
    return sorted(p for p in html_dir.rglob("*.html") if "_static" not in p.relative_to(html_dir).parts[:1])


def audit(html_dir: Path) -> list[str]:
    """Every remote resource the built pages or their stylesheets would load."""
    html_dir = Path(html_dir)
    problems = []
    for page in html_pages(html_dir):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        rel = page.relative_to(html_dir).as_posix()
        problems += [f"{rel}: <{tag}> loads {url}" for tag, url in parser.urls if _remote(url)]
    for css in sorted((html_dir / "_static").rglob("*.css")):
        text = css.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", text):
            problems.append(f"{css.relative_to(html_dir).as_posix()}: loads {m[1]}")
    return problems


# ------------------------------------------------------------------ vendoring
def vendor(html_dir: Path, *, quiet: bool = False) -> int:
    """Copy MathJax into ``html_dir/_static/mathjax`` and point every page at it.

    Returns the number of pages rewritten. Raises ``SystemExit`` if the build still loads
    anything remote afterwards.
    """
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").exists():
        raise SystemExit(f"{html_dir}: no index.html; build the book first")
    start = time.perf_counter()
    source = fetch(quiet=quiet)
    dest = html_dir / "_static" / LOCAL_DIR
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest)
    rewritten = 0
    for page in html_pages(html_dir):
        text = page.read_text(encoding="utf-8")
        depth = len(page.relative_to(html_dir).parts) - 1
        local = "../" * depth + f"_static/{LOCAL_DIR}/"

        def repl(m: re.Match) -> str:
            if not (dest / m["file"]).exists():
                raise SystemExit(f"{page}: MathJax component {m['file']} is not in the local copy")
            return f"{m['attr']}{m['q']}{local}{m['file']}{m['q']}"

        new = _CDN_MATHJAX.sub(repl, text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
    remaining = audit(html_dir)
    if remaining:
        raise SystemExit("the build still loads remote resources:\n  " + "\n  ".join(remaining))
    if not quiet:
        print(
            f"== offline: MathJax {MATHJAX_VERSION} in {dest.relative_to(html_dir).as_posix()}, "
            f"{rewritten} pages rewritten, no remote loads left ({time.perf_counter() - start:.1f} s)",
            flush=True,
        )
    return rewritten


def is_offline(html_dir: Path) -> bool:
    """True if ``html_dir`` was made offline by :func:`vendor`."""
    return (Path(html_dir) / "_static" / LOCAL_DIR / STAMP).exists()


# ------------------------------------------------------------------ command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesales.offline", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fetch", help="fetch and verify MathJax into the cache")
    bd = sub.add_parser("build", help="fresh strict build of the book, then vendor MathJax if it can be had")
    bd.add_argument("--no-execute", action="store_true", help="render committed outputs, do not re-run")
    bd.add_argument("--require-offline", action="store_true",
                    help="fail if MathJax cannot be had (default: keep the CDN script and say so)")
    for name, text in (("vendor", "make an existing build offline"), ("audit", "list remote loads of a build")):
        p = sub.add_parser(name, help=text)
        p.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        fetch()
        return 0
    if args.command == "build":
        from . import book

        # before the long build: fail now if MathJax is required and cannot be had
        mathjax = fetch(required=args.require_offline)
        code = book.build(execute_notebooks=not args.no_execute)
        if code:
            return code
        if mathjax is None:
            print("== the book is built without MathJax inside it: reading it needs the network", flush=True)
            return 0
        vendor(ROOT / "_build" / "html")
        return 0
    if args.command == "vendor":
        vendor(args.html)
        return 0
    problems = audit(args.html)
    for p in problems:
        print(p)
    print(f"{len(problems)} remote loads in {args.html}" if problems else f"no remote loads in {args.html}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())


# ------------------------------------------------------------------ Sphinx extension
def _dedupe_inline_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated inline ``<script>`` bodies from a page.

    sphinx-thebe 0.3.1 registers its inline configuration (``const THEBE_JS_URL = ...``)
    twice under Sphinx 7.4, so every page threw ``SyntaxError: Identifier 'THEBE_JS_URL'
    has already been declared`` in the browser (found by the browser test).
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, kept = set(), []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body")
        key = (getattr(js, "filename", None) or "", body)  # the copies differ only in None vs ""
        if body and key in seen:
            continue
        seen.add(key)
        kept.append(js)
    if len(kept) != len(scripts):
        context["script_files"] = kept


def _verbatim_transform():
    from docutils import nodes
    from sphinx.transforms import SphinxTransform

    class KeepRecordTextVerbatim(SphinxTransform):
        """Exempt claim records and figure captions from smart quotes.

        Sphinx's SmartQuotes transform (priority 750) turns ``'`` and ``"`` into curly quotes,
        ``--`` into a dash and ``...`` into an ellipsis. A record's text is shown as the
        notebook recorded it (the record-text test compares them character for character),
        so every ``fs-record`` container and ``fs-figure`` figure is marked not smart-quotable.
        """

        default_priority = 700

        def apply(self, **kwargs):
            for node in list(self.document.findall(nodes.Element)):
                if {"fs-record", "fs-figure"} & set(node.get("classes", [])):
                    node["support_smartquotes"] = False

    return KeepRecordTextVerbatim


def _unnumber_figures(app, env):
    """Keep Sphinx from numbering figures: each carries its own number in its caption.

    sphinx-proof forces ``numfig`` on, so Sphinx would prefix every labelled figure's
    caption with "Fig. 1" above the paper's "Figure B1" (or the book's "Book figure 1",
    set by ``plotting.save_figure``). The numbers Sphinx assigned are dropped before the
    pages are written; labels and ``{ref}`` links to figures are unaffected.
    """
    for numbers in env.toc_fignumbers.values():
        numbers.pop("figure", None)


def setup(app):
    """Sphinx extension ``firesales.offline``: repairs to what the theme puts in each page,
    and claim records kept verbatim (no smart quotes)."""
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    app.add_transform(_verbatim_transform())
    from . import book

    book.use_ipc_kernels()  # no "Kernel is running over TCP without encryption" per notebook
    app.connect("env-check-consistency", _unnumber_figures)
    return {"version": MATHJAX_VERSION, "parallel_read_safe": True, "parallel_write_safe": True}
