"""Publishing the book: its version, its repository, the install cell, Binder, the PDF.

Everything a published copy of the book needs to say where it comes from is read from two
places, and only there:

- the **version** from ``pyproject.toml`` (``[project] version``);
- the **repository URL** and the site's **base URL** from ``_config.yml``
  (``repository: url:`` and ``html: baseurl:``). A fork may leave them empty: the build
  then says so, and leaves out the links that would be broken (launch buttons, links to
  the repository and to the commit).

Command line (from the repository root, inside the project's environment)::

    python -m firesales.publish info                     # version, commit, URLs, launch buttons
    python -m firesales.publish install-cell [--write|--check] [notebooks...]
    python -m firesales.publish binder [--write|--check] # binder/ from requirements.txt
    python -m firesales.publish pdf                      # the whole book as one PDF (xelatex)
    python -m firesales.publish check-pdf [PDF]          # fonts, titles, Proposition 1, log

``install-cell --write`` puts the folded install cell (:func:`install_cell_source`) first
among the code cells of every notebook, or updates it where it is; it renumbers the
executed cells as a fresh execution would (the cell prints nothing where ``firesales`` is
installed), so ``make execute`` and nbval agree with it. Run it again after changing the
version or the repository URL; a test fails while a notebook's cell is out of date.

The module is also a Sphinx extension (``sphinx: extra_extensions: [firesales.publish]``):
the footer of every page shows the version and the commit the book was built from; the
launch buttons and repository links come from the one repository setting (or are left out);
the download menu offers the whole-book PDF when ``make pdf`` has built it for this commit;
and the LaTeX build gets the settings the PDF needs (fonts, wrapping, the title page's
version and commit, folded cells left out).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import repo_root

ROOT = repo_root()
PACKAGE = "firesales"
INSTALL_TAG = "firesales-install"  # the install cell's tag (with hide-cell: folded)
INSTALL_CELL_ID = "firesales-install"
PDF_NAME = "firesales"  # LaTeX target: firesales.tex -> firesales.pdf
PDF_DIR = ROOT / "output" / "pdf"  # outside _build: `make book` wipes _build, then offers the PDF
LATEX_SUPPORT = ROOT / "book" / "_latex"
# Debian packages `make pdf` installs when xelatex or its fonts are missing
LATEX_PACKAGES = ("texlive-xetex", "latexmk", "texlive-latex-extra", "texlive-fonts-recommended", "fonts-freefont-otf")


# ------------------------------------------------------------------ the one place for each
def _config() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")) or {}


def version() -> str:
    """The book's version: ``[project] version`` of ``pyproject.toml`` (installed metadata elsewhere)."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
    from importlib.metadata import version as installed

    return installed(PACKAGE)


def repository_url(config: dict | None = None) -> str:
    """``repository: url:`` of ``_config.yml`` without a trailing slash ("" when not set)."""
    config = _config() if config is None else config
    url = ((config.get("repository") or {}).get("url") or "").strip().rstrip("/")
    if url and not re.match(r"^https://[^\s/]+/[^\s]+$", url):
        raise SystemExit(f"_config.yml: repository url must be an https:// URL of a repository, got {url!r}")
    return url.removesuffix(".git")


def base_url(config: dict | None = None) -> str:
    """``html: baseurl:`` of ``_config.yml`` ("" when not set)."""
    config = _config() if config is None else config
    return ((config.get("html") or {}).get("baseurl") or "").strip()


def repository_branch(config: dict | None = None) -> str:
    config = _config() if config is None else config
    return ((config.get("repository") or {}).get("branch") or "main").strip()


def tag() -> str:
    """The git tag of the published version (the install cell pins it)."""
    return f"v{version()}"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def commit() -> dict:
    """The commit the book is built from: ``sha``, ``short``, ``date`` (ISO), ``dirty`` and a
    ``fingerprint`` of the uncommitted changes to tracked files ("" for a clean tree).

    Outside a git checkout (an unpacked archive) every field is empty.
    """
    sha = _git("rev-parse", "HEAD")
    if not sha:
        return {"sha": "", "short": "", "date": "", "dirty": False, "fingerprint": ""}
    diff = _git("diff", "HEAD", "--binary") or ""
    return {
        "sha": sha,
        "short": sha[:7],
        "date": _git("show", "-s", "--format=%cs", "HEAD") or "",
        "dirty": bool(diff),
        "fingerprint": hashlib.sha256(diff.encode()).hexdigest()[:16] if diff else "",
    }


def built_from(c: dict | None = None) -> str:
    """One line: "firesales 0.2.0, commit abc1234" (with local changes, when the tree is dirty)."""
    c = commit() if c is None else c
    if not c["sha"]:
        return f"{PACKAGE} {version()} (not built from a git checkout)"
    return f"{PACKAGE} {version()}, commit {c['short']}" + (" with local changes" if c["dirty"] else "")


# ------------------------------------------------------------------ the install cell
def install_source(config: dict | None = None) -> str:
    """What pip installs when the library is missing: the repository at the version's tag."""
    url = repository_url(config)
    return f"{PACKAGE}[notebook] @ git+{url}@{tag()}" if url else ""


def install_cell_source(config: dict | None = None) -> str:
    """The folded first code cell of every notebook.

    In the book's environment it does nothing and prints nothing. Elsewhere (a downloaded
    notebook, a launch service, your own Jupyter) it installs ``firesales`` at the
    published version from the repository and says so. ``FIRESALES_SOURCE`` (a wheel, a
    clone of the repository, or any pip requirement) installs from elsewhere instead.
    """
    url = repository_url(config)
    head = [
        f"# Outside the book's environment (a downloaded notebook, Binder, your own Jupyter)",
        f"# this cell installs the book's library, {PACKAGE} {version()}, when it is missing;",
        f"# FIRESALES_SOURCE=<wheel, folder or pip requirement> installs it from elsewhere.",
        "import importlib.util, os, subprocess, sys",
        "",
        f'if importlib.util.find_spec("{PACKAGE}") is None:',
    ]
    if url:
        body = [
            f'    _repo = "{url}"',
            f'    _pin = f"{PACKAGE}[notebook] @ git+{{_repo}}@{tag()}"',
            '    _source = os.environ.get("FIRESALES_SOURCE") or _pin',
        ]
    else:
        body = [
            '    _source = os.environ.get("FIRESALES_SOURCE")',
            "    if not _source:",
            "        raise ModuleNotFoundError(",
            f'            "{PACKAGE} is not installed and this copy of the book names no "',
            '            "repository: set FIRESALES_SOURCE to a wheel or a clone of it"',
            "        )",
        ]
    tail = [
        f'    print(f"{PACKAGE} is missing: pip install {{_source}}", flush=True)',
        '    _cmd = [sys.executable, "-m", "pip", "install", "--quiet", _source]',
        "    subprocess.run(_cmd, check=True)",
        "    importlib.invalidate_caches()",
        f'    print("{PACKAGE} installed", flush=True)',
    ]
    return "\n".join(head + body + tail)


def _is_install_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and INSTALL_TAG in cell.get("metadata", {}).get("tags", [])


def _bump_counts(cell, by: int) -> None:
    if cell.get("execution_count") is not None:
        cell["execution_count"] += by
    for out in cell.get("outputs", []):
        if out.get("output_type") == "execute_result" and out.get("execution_count") is not None:
            out["execution_count"] += by


def put_install_cell(nb, source: str) -> str:
    """Insert or update the install cell in a notebook (``nbformat`` node); returns what was done.

    The cell goes before the first code cell (after the title). In an executed notebook it
    takes execution count 1 and the later cells move up by one, as a fresh run would number
    them (the cell prints nothing where the library is installed).
    """
    import nbformat

    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    found = [i for i in code if _is_install_cell(nb.cells[i])]
    if len(found) > 1:
        raise SystemExit(f"{len(found)} install cells (tag {INSTALL_TAG}); keep one")
    if found:
        cell = nb.cells[found[0]]
        if found[0] != code[0]:
            raise SystemExit(f"the install cell is code cell {code.index(found[0]) + 1}, not the first code cell")
        if cell.source == source and "hide-cell" in cell.metadata.get("tags", []):
            return "up to date"
        cell.source = source
        cell.metadata["tags"] = ["hide-cell", INSTALL_TAG] + [
            t for t in cell.metadata.get("tags", []) if t not in ("hide-cell", INSTALL_TAG)]
        return "updated"
    executed = bool(code) and all(nb.cells[i].get("execution_count") is not None for i in code)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["hide-cell", INSTALL_TAG]})
    cell["id"] = INSTALL_CELL_ID
    if executed:
        for i in code:
            _bump_counts(nb.cells[i], 1)
        cell.execution_count = 1
    nb.cells.insert(code[0] if code else len(nb.cells), cell)
    return "inserted"


def install_cells(paths: list[Path], *, write: bool, check: bool) -> int:
    import nbformat

    from .book import _rel

    source = install_cell_source()
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        done = put_install_cell(nb, source)
        if done != "up to date":
            stale.append(_rel(path))
            if write:
                nbformat.write(nb, path)
        print(f"{_rel(path)}: install cell {done if write or done == 'up to date' else 'missing or stale'}")
    if check and stale:
        print("run `python -m firesales.publish install-cell --write`", file=sys.stderr)
        return 1
    if not write and not check:
        print(source)
    return 0


# ------------------------------------------------------------------ Binder
BINDER = ROOT / "binder"


def pins(path: Path | None = None) -> dict[str, str]:
    """``{normalised name: version}`` from a requirements file of ``name==version`` lines."""
    out = {}
    for line in (path or ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not m:
            raise SystemExit(f"requirements.txt: not an exact pin: {line!r}")
        out[normalise(m[1])] = m[2]
    return out


def normalise(name: str) -> str:
    """PEP 503 name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


def binder_files() -> dict[Path, str]:
    """``binder/`` for repo2docker (mybinder.org): Python 3.11, the exact pins, the package.

    repo2docker reads only ``binder/`` when the folder exists, so the relative ``-r``/``-e``
    lines of the top-level ``environment.yml`` (for conda users in a clone) never reach it.
    """
    names = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names[normalise(line.split("==")[0])] = line
    lines = [
        "# Generated from requirements.txt by `python -m firesales.publish binder --write`;",
        "# a test fails when the two differ. repo2docker (Binder) builds from this folder:",
        "# Python 3.11 from conda-forge, the exact pins with pip, then postBuild installs",
        "# the firesales package itself.",
        "name: firesales",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
    ] + [f"      - {names[k]}" for k in sorted(names)]
    post = "\n".join([
        "#!/bin/bash",
        "# Generated by `python -m firesales.publish binder --write`. repo2docker runs it from the",
        "# repository root after installing binder/environment.yml: the book's own package.",
        "set -euo pipefail",
        "python -m pip install --no-deps --no-build-isolation .",
    ])
    return {BINDER / "environment.yml": "\n".join(lines) + "\n", BINDER / "postBuild": post + "\n"}


def binder(*, write: bool) -> int:
    stale = []
    for path, text in binder_files().items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            stale.append(path.relative_to(ROOT).as_posix())
            if write:
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
        if write and path.name == "postBuild":
            path.chmod(0o755)
    if stale and not write:
        print("stale: " + ", ".join(stale) + " (run `python -m firesales.publish binder --write`)", file=sys.stderr)
        return 1
    print(("wrote " + ", ".join(stale)) if stale else "binder/ is up to date with requirements.txt")
    return 0


# ------------------------------------------------------------------ the PDF
def pdf_path() -> Path:
    return PDF_DIR / f"{PDF_NAME}.pdf"


def _stamp_path() -> Path:
    return PDF_DIR / f"{PDF_NAME}.json"


def pdf_for_this_commit() -> Path | None:
    """The built PDF if it was built from this version, commit and working tree; else None."""
    pdf, stamp = pdf_path(), _stamp_path()
    if not (pdf.is_file() and stamp.is_file()):
        return None
    try:
        meta = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return None
    c = commit()
    same = meta.get("version") == version() and c["sha"] and meta.get("sha") == c["sha"]
    return pdf if same and meta.get("fingerprint") == c["fingerprint"] else None


def build_pdf(*, execute: bool = True) -> int:
    """``make pdf``: the whole book through Sphinx's LaTeX builder and xelatex (latexmk).

    Executes every notebook as ``make book`` does (a fresh clone has no ``output/`` for the
    figures the pages show), unless ``execute=False`` (render the committed outputs: quicker
    when ``output/`` is current). The PDF, its LaTeX log and a stamp (version, commit) go to
    ``output/pdf/``; ``make book`` offers it in the download menu when the stamp matches
    the commit it builds.
    """
    missing = [tool for tool in ("xelatex", "latexmk") if shutil.which(tool) is None]
    if missing:
        print(f"error: {', '.join(missing)} not found: sudo apt-get install {' '.join(LATEX_PACKAGES)}",
              file=sys.stderr)
        return 1
    start = time.perf_counter()
    work = ROOT / "_build" / "pdf"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    from .book import write_build_config

    config_path = write_build_config(work, _config(), execute=execute)
    mode = "executing every notebook" if execute else "from the committed outputs"
    print(f"== LaTeX, {mode} (Jupyter Book's LaTeX builder; strict: -n -W --keep-going)", flush=True)
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "--builder", "latex",
           "--path-output", str(work), "--config", str(config_path), "--all", "-n", "-W", "--keep-going"]
    log = work / "sphinx.log"
    with log.open("w", encoding="utf-8") as fh:
        code = subprocess.call(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    if code:
        print(log.read_text(encoding="utf-8")[-6000:], file=sys.stderr)
        print(f"== LaTeX build FAILED (exit {code}); log: {log.relative_to(ROOT)}", file=sys.stderr)
        return code
    latex_dir = work / "_build" / "latex"
    t_latex = time.perf_counter() - start
    print(f"== xelatex (latexmk) in {latex_dir.relative_to(ROOT)}", flush=True)
    tex_log = latex_dir / f"{PDF_NAME}.log"
    code = subprocess.call(
        ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
         f"{PDF_NAME}.tex"], cwd=latex_dir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    built = latex_dir / f"{PDF_NAME}.pdf"
    if code or not built.is_file():
        text = tex_log.read_text(encoding="utf-8", errors="replace") if tex_log.is_file() else ""
        errors = [ln for ln in text.splitlines() if ln.startswith("!") or ".tex:" in ln and "rror" in ln]
        print("\n".join(errors[:20]) or text[-3000:], file=sys.stderr)
        print(f"== xelatex FAILED (exit {code}); log: {tex_log.relative_to(ROOT)}", file=sys.stderr)
        return code or 1
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copy2(built, pdf_path())
    shutil.copy2(tex_log, PDF_DIR / f"{PDF_NAME}.log")
    c = commit()
    _stamp_path().write_text(json.dumps({"version": version(), "sha": c["sha"], "fingerprint": c["fingerprint"],
                                         "pages": page_count(pdf_path())}, indent=1) + "\n", encoding="utf-8")
    total = time.perf_counter() - start
    print(f"== {pdf_path().relative_to(ROOT)}: {page_count(pdf_path())} pages, {built_from(c)} "
          f"(LaTeX {t_latex:.0f} s, xelatex {total - t_latex:.0f} s)", flush=True)
    return 0


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE)[1])


def chapter_titles() -> list[str]:
    """The title of every page in ``_toc.yml`` (first ``#`` heading of its notebook or Markdown)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    titles = []
    for name in files:
        path = next((ROOT / f"{name}{ext}" for ext in (".ipynb", ".md") if (ROOT / f"{name}{ext}").is_file()), None)
        if path is None:
            raise SystemExit(f"_toc.yml names {name}, which is neither a notebook nor a Markdown page")
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
        m = re.search(r"^# (.+)$", text, re.MULTILINE)
        if m is None:
            raise SystemExit(f"{path.relative_to(ROOT)} has no '# title'")
        titles.append(m[1].strip())
    return titles


def _plain(title: str) -> str:
    """A heading as pdftotext shows it: no Markdown marks, math or roles."""
    title = re.sub(r"\{[^}]*\}`([^`]*)`", r"\1", title)
    title = re.sub(r"\$[^$]*\$", "", title)
    title = re.sub(r"[*_`]", "", title)
    return title


def _squash(text: str) -> str:
    """For searching extracted text: ligatures undone, hyphenation and all white space removed."""
    text = text.replace("\ufb01", "fi").replace("\ufb02", "fl").replace("\ufb00", "ff")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2013", "-").replace("\u2014", "-")
    text = re.sub(r"-\s*\n\s*", "", text)
    return re.sub(r"\s+", "", text).lower()


# Each paper's first numbered result, as the paper numbers it (the chapters carry the papers'
# numbering); the check looks for it in that chapter's pages, not followed by more digits
# (the book's own "Proposition 1.4.1" does not count). Cheng & Robatto number by section,
# so theirs is Proposition 2.1; Eisenbach & Phelan's online appendix states no proposition,
# its first numbered exhibit is Figure B1.
FIRST_RESULT = {
    "notebooks/kurlat": "Proposition 1",
    "notebooks/cheng_robatto": "Proposition 2.1",
    "notebooks/eisenbach_phelan": "Figure B1",
    "notebooks/fernando": "Proposition 1",
}


def _numbered(name: str) -> re.Pattern:
    word, number = name.rsplit(" ", 1)
    return re.compile(rf"{word}\s+{re.escape(number)}(?!\.?\d)")


def check_pdf(pdf: Path | None = None, log: Path | None = None) -> int:
    """``make test-pdf``: every font embedded, every chapter title and each paper's
    Proposition 1 in the text, no "Missing character" in the LaTeX log, no text past the
    right margin; prints the page count."""
    pdf = Path(pdf or pdf_path())
    log = Path(log or pdf.with_suffix(".log"))
    if not pdf.is_file():
        print(f"error: {pdf} not found: run `make pdf` first", file=sys.stderr)
        return 1
    problems = []
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = [ln for ln in fonts[2:] if ln.strip()]
    for row in rows:
        # name type [type...] encoding emb sub uni object ID: 'emb' is the fifth field from the right
        fields = row.split()
        if fields[-5] != "yes":
            problems.append(f"font not embedded: {fields[0]}")
    if not rows:
        problems.append("pdffonts lists no font")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")
    squashed = _squash(text)
    for title in chapter_titles():
        if _squash(_plain(title)) not in squashed:
            problems.append(f"chapter title not found in the text: {title!r}")
    # each paper's Proposition 1: in the pages of that paper's chapter (between its title and the next)
    titles = chapter_titles()
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    # the chapters' pages: from a chapter's title (as its first page shows it) to the next one's
    body = re.sub(r"\s+", " ", "\f".join(pages[3:]))  # past the title page and the contents
    for name, first in FIRST_RESULT.items():
        if name not in files:
            problems.append(f"{name} is not in _toc.yml")
            continue
        i = files.index(name)
        start = _find_title(body, titles[i])
        end = _find_title(body, titles[i + 1], start + 1) if i + 1 < len(titles) else len(body)
        if start < 0 or not _numbered(first).search(body, start, end if end > 0 else len(body)):
            problems.append(f"{first!r} (the paper's numbering) not found in the chapter {titles[i]!r}")
    if "FIRESALES_SOURCE" in text:
        problems.append("the folded install cell is in the PDF (folded cells are left out)")
    if log.is_file():
        missing = sorted({ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines()
                          if "Missing character" in ln})
        problems += [f"LaTeX log: {ln}" for ln in missing[:20]]
    else:
        problems.append(f"no LaTeX log beside the PDF ({log.name})")
    problems += past_margin(pdf)
    for p in problems:
        print(f"PROBLEM: {p}", file=sys.stderr)
    print(f"== {pdf.name}: {page_count(pdf)} pages, {len(rows)} fonts (all embedded: "
          f"{'yes' if not any('embedded' in p for p in problems) else 'no'}), {len(titles)} chapter titles, "
          f"{len(FIRST_RESULT)} papers' first results -> {'passed' if not problems else f'{len(problems)} problems'}")
    return 1 if problems else 0


def _find_title(text: str, title: str, start: int = 0) -> int:
    """Where a heading starts in whitespace-normalised text (-1 if absent)."""
    words = [re.escape(w) for w in _plain(title).replace("\u2019", "'").split()]
    m = re.compile(r"\s*".join(words)).search(text.replace("\u2019", "'"), start)
    return m.start() if m else -1


def past_margin(pdf: Path, slack: float = 1.5) -> list[str]:
    """Words that run past the right edge of the text block (code or table cells cut at the margin).

    The text block's right edge is the position most lines end at (justified prose).
    """
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("<page ")[1:]
    word = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
    ends: dict[float, int] = {}
    found = []
    for i, page in enumerate(pages, 1):
        for m in word.finditer(page):
            x = round(float(m[2]), 1)
            ends[x] = ends.get(x, 0) + 1
            found.append((i, float(m[1]), float(m[2]), html.unescape(m[3])))
    if not found:
        return ["pdftotext finds no text"]
    edge = max(ends, key=ends.get)
    return [f"page {i}: {w!r} runs {x1 - edge:.0f} pt past the right margin"
            for i, x0, x1, w in found if x1 > edge + slack][:20]


# ------------------------------------------------------------------ Sphinx extension
def _config_inited(app, config) -> None:
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    cfg = _config()
    url = repository_url(cfg)
    c = commit()
    app.firesales_commit = c
    opts = dict(config.html_theme_options or {})
    if not url:
        # a fork or an unpublished copy: no launch buttons, no repository links (they would be broken)
        logger.info("firesales.publish: _config.yml names no repository (repository: url): "
                    "the launch buttons and the links to the repository and the commit are left out")
        opts["repository_url"] = ""
        opts["use_repository_button"] = False
        opts["use_issues_button"] = False
        opts["use_edit_page_button"] = False
        opts["use_source_button"] = False
        opts["launch_buttons"] = {}
    else:
        opts["repository_url"] = url
        opts["repository_branch"] = repository_branch(cfg)
        opts["use_repository_button"] = True
    if not base_url(cfg):
        logger.info("firesales.publish: _config.yml sets no base URL (html: baseurl): no canonical links")
    # the footer: version and commit on every page
    sha = html.escape(c["short"])
    if c["sha"] and url:
        where = f'commit <a href="{html.escape(url)}/commit/{html.escape(c["sha"])}"><code>{sha}</code></a>'
    elif c["sha"]:
        where = f"commit <code>{sha}</code>"
    else:
        where = "no git commit"
    if c["dirty"]:
        where += " with local changes"
    line = (f'<p class="firesales-version">{PACKAGE} {html.escape(version())} · built from {where}'
            + (f' · <a href="{html.escape(url)}">repository</a>' if url else "") + "</p>")
    opts["extra_footer"] = (opts.get("extra_footer") or "") + line
    config.html_theme_options = opts
    # LaTeX: version and commit on the title page, the support files, and the settings the PDF needs
    config.release = built_from(c).removeprefix(f"{PACKAGE} ")
    config.version = version()
    if c["date"]:
        config.today = c["date"]
    extra = [str(p) for p in sorted(LATEX_SUPPORT.glob("*.sty"))]
    config.latex_additional_files = list(config.latex_additional_files or []) + extra
    elements = dict(config.latex_elements or {})
    elements.setdefault("extrapackages", "")
    # _config.yml's numfig (the LaTeX extensions turn Sphinx's on again for their own use)
    numfig = ((cfg.get("sphinx") or {}).get("config") or {}).get("numfig", True)
    if numfig is False:  # one numbering, the papers': LaTeX adds no "Fig. 2.1" of its own
        elements["extrapackages"] += "\n\\def\\firesalesnonumfig{}"
    elements["extrapackages"] += "\n\\usepackage{firesales}\n"
    # code and outputs wrap at the margin (also inside long words); no index pages
    elements.setdefault("sphinxsetup", "verbatimwrapslines=true, verbatimforcewraps=true, "
                        "verbatimhintsturnover=false, inlineliteralwraps=true")
    elements.setdefault("printindex", "")
    config.latex_elements = elements
    config.latex_domain_indices = False


def _drop_folded_cells(app, doctree, docname) -> None:
    """In the PDF, leave out the plumbing the pages fold: the input of ``hide-input`` cells and
    the whole of ``hide-cell`` cells (the install cell among them); ``hide-output`` outputs."""
    if app.builder.format != "latex":
        return
    from docutils import nodes

    for cell in list(doctree.findall(nodes.container)):
        classes = cell.get("classes", [])
        if "cell" not in classes:
            continue
        if "tag_hide-cell" in classes:
            cell.parent.remove(cell)
            continue
        for child in list(cell.children):
            kind = child.get("classes", [])
            if ("tag_hide-input" in classes and "cell_input" in kind) or (
                    "tag_hide-output" in classes and "cell_output" in kind):
                cell.remove(child)
    # Tables: longtable (breaks across pages, header repeated) instead of tabulary, which ran
    # off the bottom of the page; long identifiers in cells (claim ids, file names) may break
    # after '.', '_' and '/' instead of running into the next column.
    for table in doctree.findall(nodes.table):
        rows = list(table.findall(nodes.row))
        if len(rows) > 12 or len(table.astext()) > 1500:
            _long_table(table, rows)
        for text in list(table.findall(nodes.Text)):
            if not _LONG_WORD.search(text.astext()) or _in_math_or_raw(text):
                continue
            parts = re.split(r"(?<=[._/])(?=[^\s._/])", text.astext())
            new = []
            for part in parts:
                new += [nodes.Text(part), nodes.raw("", r"\allowbreak{}", format="latex")]
            parent = text.parent
            index = parent.index(text)
            parent.remove(text)
            for j, node in enumerate(new[:-1]):
                parent.insert(index + j, node)


_LONG_WORD = re.compile(r"[^\s]{12,}")


def _in_math_or_raw(node) -> bool:
    """Inside mathematics, raw output or a code block: no break points may be added there."""
    from docutils import nodes

    while node is not None:
        if isinstance(node, (nodes.math, nodes.math_block, nodes.raw, nodes.literal_block)):
            return True
        node = node.parent
    return False


def _long_table(table, rows) -> None:
    """A longtable whose columns share the line width by how much text each holds."""
    from docutils import nodes

    specs = list(table.findall(nodes.colspec))
    if not specs:
        return
    lengths: list[list[int]] = [[] for _ in specs]
    for row in rows:
        for j, entry in enumerate(e for e in row.children if isinstance(e, nodes.entry)):
            if j < len(specs):
                lengths[j].append(len(entry.astext()))
    for spec, col in zip(specs, lengths):
        mean = sum(col) / len(col) if col else 1
        spec["colwidth"] = int(max(6, min(60, (mean * max(col or [1])) ** 0.5)))
    for cls in ("longtable", "colwidths-given"):
        if cls not in table["classes"]:
            table["classes"].append(cls)


def _download_button(app, pagename, templatename, context, doctree) -> None:
    """The download menu: its browser-print entry says what it is ("print page", not ".pdf"),
    and the whole-book PDF is offered when it was built for this commit."""
    pdf = getattr(app, "firesales_pdf", None)
    for button in context.get("header_buttons", []):
        if button.get("label") != "download-buttons":
            continue
        for b in button["buttons"]:
            if b.get("label") == "download-pdf-button":
                b["text"], b["tooltip"] = "print page", "Print this page (the browser's PDF)"
        if pdf:
            button["buttons"].append({
                "type": "link",
                "url": context["pathto"](f"_downloads/{pdf}", 1),
                "text": "book .pdf",
                "tooltip": f"The whole book as one PDF ({built_from(app.firesales_commit)})",
                "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


def _builder_inited(app) -> None:
    from sphinx.util import logging

    app.firesales_pdf = None
    if app.builder.format != "html":
        return
    logger = logging.getLogger(__name__)
    pdf = pdf_for_this_commit()
    if pdf is None:
        logger.info("firesales.publish: no PDF of this commit in output/pdf (`make pdf` builds it): "
                    "the download menu offers none")
        return
    app.firesales_pdf = f"{PDF_NAME}-{version()}.pdf"


def _build_finished(app, exception) -> None:
    if exception is None and getattr(app, "firesales_pdf", None):
        dest = Path(app.outdir) / "_downloads" / app.firesales_pdf
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pdf_path(), dest)


def setup(app):
    """Sphinx extension ``firesales.publish``."""
    app.connect("config-inited", _config_inited)
    app.connect("builder-inited", _builder_inited)
    app.connect("doctree-resolved", _drop_folded_cells)
    app.connect("html-page-context", _download_button, priority=900)
    app.connect("build-finished", _build_finished)
    return {"version": version(), "parallel_read_safe": True, "parallel_write_safe": True}


# ------------------------------------------------------------------ command line
def info() -> int:
    cfg = _config()
    url, c = repository_url(cfg), commit()
    launch = (cfg.get("launch_buttons") or {})
    print(f"version          {version()} (pyproject.toml); tag {tag()}")
    print(f"commit           {c['sha'] or '-'}{' (with local changes)' if c['dirty'] else ''}")
    print(f"repository url   {url or '(none: a fork or an unpublished copy; links left out)'}")
    print(f"base url         {base_url(cfg) or '(none)'}")
    print(f"launch buttons   " + (", ".join(k.removesuffix('_url') for k in ('binderhub_url', 'colab_url')
                                          if launch.get(k)) if url else "(none without a repository url)"))
    print(f"install source   {install_source(cfg) or '(none: FIRESALES_SOURCE must be set)'}")
    pdf = pdf_for_this_commit()
    print(f"pdf              {pdf.relative_to(ROOT) if pdf else '(not built for this commit: make pdf)'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesales.publish", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, commit, repository and base URL, launch buttons, PDF")
    sub.add_parser("version", help="print the version")
    ic = sub.add_parser("install-cell", help="print, write or check the notebooks' install cell")
    ic.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every notebook of the book)")
    mode = ic.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="insert or update it in place")
    mode.add_argument("--check", action="store_true", help="exit 1 if a notebook's is missing or stale")
    bd = sub.add_parser("binder", help="binder/ from requirements.txt")
    bd.add_argument("--write", action="store_true")
    bd.add_argument("--check", action="store_true")
    pf = sub.add_parser("pdf", help="build the whole book as one PDF into output/pdf/")
    pf.add_argument("--no-execute", action="store_true", help="render the committed outputs, do not re-run")
    cp = sub.add_parser("check-pdf", help="check a built PDF")
    cp.add_argument("pdf", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.command == "info":
        return info()
    if args.command == "version":
        print(version())
        return 0
    if args.command == "install-cell":
        from .book import notebook_paths

        return install_cells(args.paths or notebook_paths(), write=args.write, check=args.check)
    if args.command == "binder":
        return binder(write=args.write)
    if args.command == "pdf":
        return build_pdf(execute=not args.no_execute)
    return check_pdf(args.pdf)


if __name__ == "__main__":
    sys.exit(main())
