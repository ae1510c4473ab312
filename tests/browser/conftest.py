"""Fixtures for the browser tests.

They need Playwright's Python package and Debian's Chromium (``/usr/bin/chromium``; no
browser is ever downloaded), and ``test_browser_book.py`` needs an *offline* build of the
book: what a plain ``make book`` builds whenever npm can fetch MathJax (``make test``
builds the same from the committed outputs), or ``python -m firesales.offline vendor
_build/html`` after any build. Without them the tests are skipped with the reason, so a plain ``pytest tests/`` on
a machine without a browser or a book still passes; ``make test-browser`` sets
``FIRESALES_BROWSER_REQUIRED=1``, which turns every such skip into a failure.

``FIRESALES_BOOK_HTML`` points the book test at another build (default ``_build/html``).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))  # sitecheck.py lives beside the tests

import sitecheck  # noqa: E402

REQUIRED = os.environ.get("FIRESALES_BROWSER_REQUIRED", "") not in ("", "0")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium (tests/browser)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


def unavailable(reason: str):
    """Skip, or fail when the browser tests are required (``make test-browser``)."""
    if REQUIRED:
        pytest.fail(reason + " (FIRESALES_BROWSER_REQUIRED is set)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_ready() -> str:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright's Python package is not installed (pip install -r requirements.txt)")
    chromium = sitecheck.CHROMIUM
    if not (Path(chromium).exists() or shutil.which(chromium)):
        unavailable(f"no Chromium at {chromium} (apt-get install chromium chromium-driver)")
    return chromium


@pytest.fixture(scope="session")
def book_html(browser_ready) -> Path:
    from firesales import offline

    html = Path(os.environ.get("FIRESALES_BOOK_HTML", ROOT / "_build" / "html")).resolve()
    if not (html / "index.html").exists():
        unavailable(f"no built book at {html}: run `make book` first")
    if not offline.is_offline(html):
        unavailable(
            f"the book at {html} loads MathJax from a CDN (was npm unreachable when it was built?): "
            "run `make book-offline`, or `python -m firesales.offline vendor` on the build"
        )
    return html
