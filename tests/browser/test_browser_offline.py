"""The offline build step (``firesales.offline``), without a browser or the network.

A stand-in MathJax copy in a temporary cache (``FIRESALES_VENDOR``) makes these fast and
independent of npm; the real copy is verified by its pinned sha512 when it is fetched.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from firesales import offline

CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"


@pytest.fixture
def fake_vendor(tmp_path, monkeypatch):
    cache = tmp_path / "vendor"
    mj = cache / f"mathjax-{offline.MATHJAX_VERSION}"
    (mj / "input" / "tex" / "extensions").mkdir(parents=True)
    (mj / offline.MATHJAX_ENTRY).write_text("/* MathJax stand-in */\n")
    (mj / "input" / "tex" / "extensions" / "ams.js").write_text("/* ext */\n")
    (mj / offline.STAMP).write_text("stand-in\n")
    monkeypatch.setenv("FIRESALES_VENDOR", str(cache))
    return mj


def make_build(root: Path, *, script: str = CDN) -> Path:
    (root / "_static").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "_static" / "theme.css").write_text("body { color: black; }\n")
    head = f'<script defer="defer" src="{script}"></script>' if script else ""
    (root / "index.html").write_text(f"<html><head>{head}</head><body>home</body></html>")
    (root / "notebooks" / "kurlat.html").write_text(
        f'<html><head><link rel="stylesheet" href="../_static/theme.css">{head}</head>'
        '<body><a href="https://doi.org/10.3982/ECTA12099">a link is not a load</a></body></html>'
    )
    # a theme template fragment, not a page: left alone
    (root / "_static" / "webpack-macros.html").write_text("<script src='https://example.org/x.js'></script>")
    return root


def test_audit_lists_remote_loads_not_links(tmp_path):
    html = make_build(tmp_path / "html")
    (html / "_static" / "fonts.css").write_text("@import url('https://fonts.example.org/css?family=X');\n")
    problems = offline.audit(html)
    assert any(p.startswith("index.html: <script> loads " + CDN) for p in problems)
    assert any(p.startswith("notebooks/kurlat.html: <script> loads") for p in problems)
    assert any("fonts.css: loads https://fonts.example.org" in p for p in problems)
    assert not any("doi.org" in p for p in problems), "a hyperlink is not a resource load"
    assert not any("webpack-macros" in p for p in problems)


def test_vendor_rewrites_the_cdn_script_to_the_local_copy(tmp_path, fake_vendor):
    html = make_build(tmp_path / "html")
    assert offline.vendor(html, quiet=True) == 2
    assert '<script defer="defer" src="_static/mathjax/tex-mml-chtml.js">' in (html / "index.html").read_text()
    assert 'src="../_static/mathjax/tex-mml-chtml.js"' in (html / "notebooks" / "kurlat.html").read_text()
    assert (html / "_static" / "mathjax" / "input" / "tex" / "extensions" / "ams.js").exists()
    assert offline.is_offline(html)
    assert offline.audit(html) == []
    assert offline.vendor(html, quiet=True) == 0  # idempotent


def test_vendor_fails_if_something_else_stays_remote(tmp_path, fake_vendor):
    html = make_build(tmp_path / "html", script="https://unpkg.com/some-widget@1/dist/widget.js")
    with pytest.raises(SystemExit, match="still loads remote resources"):
        offline.vendor(html, quiet=True)


def test_vendor_needs_a_build(tmp_path, fake_vendor):
    with pytest.raises(SystemExit, match="no index.html"):
        offline.vendor(tmp_path)


def test_fetch_rejects_a_tarball_with_the_wrong_checksum(tmp_path, monkeypatch):
    monkeypatch.setenv("FIRESALES_VENDOR", str(tmp_path / "vendor"))
    fake = tmp_path / "mathjax.tgz"
    payload = tmp_path / "package" / "es5"
    payload.mkdir(parents=True)
    (payload / offline.MATHJAX_ENTRY).write_text("/* not MathJax */")
    with tarfile.open(fake, "w:gz") as tar:
        tar.add(tmp_path / "package", arcname="package")
    monkeypatch.setenv("FIRESALES_MATHJAX_TGZ", str(fake))
    with pytest.raises(SystemExit, match="does not match the pinned"):
        offline.fetch(quiet=True)
    assert not (tmp_path / "vendor").exists()


def test_cdn_pattern_covers_the_usual_mathjax_urls():
    for url, file in (
        (CDN, "tex-mml-chtml.js"),
        ("https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml.js", "tex-chtml.js"),
        ("https://unpkg.com/mathjax@3/es5/tex-mml-chtml.js?config=x", "tex-mml-chtml.js"),
        ("//cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.js", "tex-svg.js"),
    ):
        m = offline._CDN_MATHJAX.search(f'<script src="{url}"></script>')
        assert m and m["file"] == file, url
    assert offline._CDN_MATHJAX.search('<script src="_static/mathjax/tex-mml-chtml.js"></script>') is None


# ---- offline by default: `make book` ships MathJax when npm can fetch it, else says so

def test_fetch_without_npm_falls_back_or_fails_as_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIRESALES_VENDOR", str(tmp_path / "vendor"))
    monkeypatch.delenv("FIRESALES_MATHJAX_TGZ", raising=False)
    monkeypatch.setattr(offline.shutil, "which", lambda name: None)
    assert offline.fetch(required=False) is None
    said = capsys.readouterr().out
    assert "npm not found" in said and "loads MathJax from its CDN" in said
    with pytest.raises(offline.Unavailable, match="npm not found"):
        offline.fetch()


def test_fetch_with_an_unreachable_registry_says_so_quickly(tmp_path, monkeypatch, capsys):
    """The real npm client against a registry address nothing listens on."""
    import shutil
    import time

    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    monkeypatch.setenv("FIRESALES_VENDOR", str(tmp_path / "vendor"))
    monkeypatch.delenv("FIRESALES_MATHJAX_TGZ", raising=False)
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # nothing cached
    start = time.perf_counter()
    assert offline.fetch(required=False) is None
    assert time.perf_counter() - start < 60
    assert "npm could not fetch MathJax" in capsys.readouterr().out
    assert not (tmp_path / "vendor").exists()


def _fake_build(monkeypatch, root: Path):
    from firesales import book

    calls = []

    def build(*, execute_notebooks=True, builddir=None):
        calls.append(execute_notebooks)
        make_build(root / "_build" / "html")
        return 0

    monkeypatch.setattr(book, "build", build)
    monkeypatch.setattr(offline, "ROOT", root)
    return calls


def test_plain_build_ships_mathjax_when_it_can(tmp_path, monkeypatch, fake_vendor):
    calls = _fake_build(monkeypatch, tmp_path)
    assert offline.main(["build", "--no-execute"]) == 0
    assert calls == [False]
    html = tmp_path / "_build" / "html"
    assert offline.is_offline(html) and offline.audit(html) == []


def test_plain_build_keeps_the_cdn_when_mathjax_cannot_be_had(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FIRESALES_VENDOR", str(tmp_path / "vendor"))
    monkeypatch.setattr(offline.shutil, "which", lambda name: None)
    calls = _fake_build(monkeypatch, tmp_path)
    assert offline.main(["build"]) == 0
    assert calls == [True]
    html = tmp_path / "_build" / "html"
    assert not offline.is_offline(html) and offline.audit(html)
    assert "reading it needs the network" in capsys.readouterr().out
    # `make book-offline` refuses before spending time on a build
    with pytest.raises(offline.Unavailable):
        offline.main(["build", "--require-offline"])
    assert calls == [True]
