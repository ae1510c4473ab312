"""Chapters not yet converted to the reading targets of issue 16.

The per-chapter checks of ``tests/test_visible_code.py`` (visible-code budget, cell and
line lengths) and of ``tests/browser/test_browser_book.py`` (no block scrolls sideways)
are marked ``xfail(strict=False)`` for the notebooks named here: they run and report their
offenders, but do not fail the suite. Each chapter engineer's branch converts one chapter;
**the integrator removes a chapter from this set when it lands** (an XPASS in the test
summary says it may go), and empties it when all five have landed, which makes every
check strict.
"""

PENDING: frozenset[str] = frozenset()
