"""The built book's HTML, read without a browser (``htmlcheck``): record texts exactly as
recorded on every page that shows them, the papers' numbering, numbered and captioned
figures with their downloads, and reader's text only. Runs in ``make test`` step 4, on the
build of step 3."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import htmlcheck
from test_browser_book import toc_pages

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built() -> Path:
    html = Path(os.environ.get("FIRESALES_BOOK_HTML", ROOT / "_build" / "html")).resolve()
    if not (html / "index.html").exists():
        from conftest import unavailable

        unavailable(f"no built book at {html}: run `make book` first")
    return html


def test_every_record_reads_as_recorded_on_every_page(built):
    from firesales import book

    records, _ = book.collect()
    assert records, "no records collected from the notebooks"
    problems = htmlcheck.record_problems(built, records)
    assert not problems, f"{len(problems)} record fields differ:\n  " + "\n  ".join(problems[:40])


CHAPTERS = [p for p in toc_pages() if p.startswith("notebooks/")]


@pytest.mark.parametrize("rel", CHAPTERS)
def test_papers_numbering_only(built, rel):
    problems = htmlcheck.numbering_problems(htmlcheck.soup(built / rel), rel)
    assert not problems, "\n  ".join(problems)


@pytest.mark.parametrize("rel", toc_pages())
def test_every_figure_is_numbered_captioned_described_and_downloadable(built, rel):
    problems = htmlcheck.figure_problems(htmlcheck.soup(built / rel), rel, built)
    assert not problems, "\n  ".join(problems)


@pytest.mark.parametrize("rel", toc_pages())
def test_pages_speak_to_readers_only(built, rel):
    problems = htmlcheck.maker_problems(htmlcheck.soup(built / rel), rel)
    assert not problems, "\n  ".join(problems)
