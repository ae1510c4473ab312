"""Publishing: the version and the repository in one place each, the install cell, Binder's
environment against the pins, the workflow, the PDF checker; and (``make test-launch``, not
``make test``) a downloaded chapter notebook run in a fresh venv with only the pins."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import nbformat
import pytest
import yaml

from firesales import publish

ROOT = publish.ROOT
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
URL = "https://github.com/example-owner/firesales"


def _cfg(url: str = "", baseurl: str = "") -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("repository", {})["url"] = url
    config.setdefault("html", {})["baseurl"] = baseurl
    return config


# ------------------------------------------------------------------ version and repository
def test_the_version_lives_in_pyproject_only():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert publish.version() == version
    assert publish.tag() == f"v{version}"
    # no other file types it: CITATION.cff names no version, the package reads its metadata
    assert not re.search(r"^version:", (ROOT / "CITATION.cff").read_text(encoding="utf-8"), re.MULTILINE)
    init = (ROOT / "lib" / "firesales" / "__init__.py").read_text(encoding="utf-8")
    assert not re.search(r"__version__\s*=\s*['\"]\d", init), "firesales.__version__ must come from the metadata"
    # and the changelog starts with it
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    first = re.search(r"^## \[?(\d+\.\d+\.\d+)", changelog, re.MULTILINE)
    assert first and first[1] == version


def test_the_repository_url_is_read_from_config_and_validated():
    assert publish.repository_url(_cfg(URL + "/")) == URL
    assert publish.repository_url(_cfg(URL + ".git")) == URL
    assert publish.repository_url(_cfg("")) == ""
    with pytest.raises(SystemExit, match="repository url"):
        publish.repository_url(_cfg("git@github.com:owner/firesales"))
    assert publish.install_source(_cfg(URL)) == f"firesales[notebook] @ git+{URL}@v{publish.version()}"
    assert publish.install_source(_cfg("")) == ""


def test_no_other_file_names_the_repository():
    """The URL is set once (_config.yml); the notebooks' install cells are generated from it."""
    url = publish.repository_url()
    if not url:
        pytest.skip("_config.yml names no repository (a fork or an unpublished copy)")
    listing = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listing.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = listing.stdout.split()
    holders = [f for f in tracked if not f.endswith(".ipynb") and f != "_config.yml"
               and (ROOT / f).is_file() and url in (ROOT / f).read_text(encoding="utf-8", errors="replace")]
    assert holders == []


def _sphinx_config(url: str):
    config = types.SimpleNamespace(
        html_theme_options={"launch_buttons": {"binderhub_url": "https://mybinder.org"}, "extra_footer": ""},
        latex_additional_files=[], latex_elements={}, latex_domain_indices=True, release="", version="", today="")
    return types.SimpleNamespace(), config


@pytest.mark.parametrize("url", ["", URL])
def test_every_page_footer_shows_version_and_commit(monkeypatch, url):
    monkeypatch.setattr(publish, "_config", lambda: _cfg(url))
    app, config = _sphinx_config(url)
    publish._config_inited(app, config)
    footer = config.html_theme_options["extra_footer"]
    c = publish.commit()
    assert f"firesales {publish.version()}" in footer
    if not c["sha"]:  # an unpacked archive, not a clone
        assert "no git commit" in footer and "/commit/" not in footer
        return
    assert c["short"] in footer
    assert (f'{url}/commit/{c["sha"]}' in footer) == bool(url)
    launch = config.html_theme_options["launch_buttons"]
    if url:  # the buttons come from the one setting
        assert launch["binderhub_url"] and config.html_theme_options["repository_url"] == url
    else:  # a fork without a URL: no launch buttons or repository links that would be broken
        assert launch == {} and not config.html_theme_options["use_repository_button"]
    # the PDF's title page and running head carry the version and the commit
    assert config.release.startswith(publish.version()) and c["short"] in config.release
    assert any(f.endswith("bbm.sty") for f in config.latex_additional_files)
    assert "firesales" in config.latex_elements["extrapackages"]


@pytest.mark.parametrize("pdf", [None, "firesales-9.9.9.pdf"])
def test_download_menu_offers_the_book_pdf_only_when_built_for_this_commit(pdf):
    def context():
        group = {"label": "download-buttons", "buttons": [
            {"label": "download-source-button", "text": ".ipynb"},
            {"label": "download-pdf-button", "text": ".pdf", "tooltip": "Print to PDF"}]}
        return {"header_buttons": [group], "pathto": lambda uri, resource=0: f"../{uri}"}

    app = types.SimpleNamespace(firesales_pdf=pdf, firesales_commit=publish.commit())
    ctx = context()
    publish._download_button(app, "notebooks/kurlat", "page.html", ctx, None)
    buttons = ctx["header_buttons"][0]["buttons"]
    assert buttons[1]["text"] == "print page"  # the browser's print, named for what it does
    books = [b for b in buttons if b.get("label") == "download-book-pdf-button"]
    assert len(books) == (1 if pdf else 0)
    if pdf:
        assert books[0]["url"] == f"../_downloads/{pdf}"


def test_the_pdf_stamp_ties_the_pdf_to_its_commit(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "PDF_DIR", tmp_path)
    assert publish.pdf_for_this_commit() is None
    (tmp_path / "firesales.pdf").write_bytes(b"%PDF-1.5\n")
    c = publish.commit()
    stamp = {"version": publish.version(), "sha": c["sha"], "fingerprint": c["fingerprint"]}
    (tmp_path / "firesales.json").write_text(json.dumps(stamp))
    assert publish.pdf_for_this_commit() == (tmp_path / "firesales.pdf" if c["sha"] else None)
    (tmp_path / "firesales.json").write_text(json.dumps(dict(stamp, sha="0" * 40)))
    assert publish.pdf_for_this_commit() is None  # built from another commit: not offered


# ------------------------------------------------------------------ the install cell
def _notebook_copy(tmp_path: Path, name: str = "kurlat") -> Path:
    dest = tmp_path / f"{name}.ipynb"
    nb = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if not publish._is_install_cell(c)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code, 1):  # as the notebook stood before the install cell
        cell.execution_count = i
    nbformat.write(nb, dest)
    return dest


@pytest.mark.parametrize("url", ["", URL])
def test_install_cell_is_folded_first_and_idempotent(tmp_path, monkeypatch, url):
    monkeypatch.setattr(publish, "_config", lambda: _cfg(url))
    path = _notebook_copy(tmp_path)
    before = nbformat.read(path, as_version=4)
    n_code = sum(c.cell_type == "code" for c in before.cells)
    assert publish.install_cells([path], write=True, check=False) == 0
    once = path.read_bytes()
    assert publish.install_cells([path], write=True, check=False) == 0
    assert path.read_bytes() == once, "a second --write must change nothing"
    assert publish.install_cells([path], write=False, check=True) == 0
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == n_code + 1
    cell = code[0]
    at = next(i for i, c in enumerate(nb.cells) if c is cell)  # the first code cell, after the
    assert at >= 1 and all(c.cell_type == "markdown" for c in nb.cells[:at])  # title and prose
    assert "hide-cell" in cell.metadata.tags and publish.INSTALL_TAG in cell.metadata.tags
    # numbered as a fresh run numbers them: the install cell is 1, the others follow
    assert [c.execution_count for c in code] == list(range(1, n_code + 2))
    assert cell.outputs == []
    compile(cell.source, "<install cell>", "exec")
    assert max(len(line) for line in cell.source.splitlines()) <= 88
    assert (f"@{publish.tag()}" in cell.source) == bool(url)
    assert "FIRESALES_SOURCE" in cell.source
    # a stale cell (another version) is found by --check and updated in place by --write
    cell.source = cell.source.replace(publish.version(), "0.0.1")
    nbformat.write(nb, path)
    assert publish.install_cells([path], write=False, check=True) == 1
    publish.install_cells([path], write=True, check=False)
    assert path.read_bytes() == once


def _run_cell(source: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", source], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_install_cell_is_silent_where_firesales_is_installed(tmp_path, monkeypatch):
    monkeypatch.setattr(publish, "_config", lambda: _cfg(URL))
    out = _run_cell(publish.install_cell_source(), dict(os.environ), tmp_path)
    assert out.returncode == 0 and out.stdout == "" and out.stderr == ""


def test_install_cell_without_firesales_and_without_repository_says_what_to_do(tmp_path, monkeypatch):
    """Where firesales is missing and the copy names no repository, the cell stops with the way out."""
    monkeypatch.setattr(publish, "_config", lambda: _cfg(""))
    env = {k: v for k, v in os.environ.items() if k != "FIRESALES_SOURCE"}
    missing = 'importlib.util.find_spec("firesales") is None'
    assert missing in publish.install_cell_source()
    source = publish.install_cell_source().replace(missing, "True")  # as if it were missing
    out = _run_cell(source, env, tmp_path)
    assert out.returncode != 0 and "FIRESALES_SOURCE" in out.stderr


def test_every_notebook_has_the_current_install_cell():
    """`python -m firesales.publish install-cell --write` after a change of version or repository."""
    from firesales.book import notebook_paths

    assert publish.install_cells(notebook_paths(), write=False, check=True) == 0


# ------------------------------------------------------------------ Binder and conda
def test_binder_environment_matches_the_pins():
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text(encoding="utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip = next(d["pip"] for d in deps if isinstance(d, dict))
    # repo2docker installs these as they stand: no -r/-e lines, no relative paths
    assert not [line for line in pip if line.startswith(("-", ".", "/")) or "==" not in line]
    listed = {publish.normalise(line.split("==")[0]): line.split("==")[1] for line in pip}
    assert listed == publish.pins(), "run `python -m firesales.publish binder --write`"
    post = ROOT / "binder" / "postBuild"
    assert os.access(post, os.X_OK) and "pip install --no-deps --no-build-isolation ." in post.read_text()
    assert publish.binder(write=False) == 0


def test_requirements_are_exact_pins_and_the_conda_route_installs_them():
    pins = publish.pins()
    assert {"check-jsonschema", "zizmor", "jupyter-book", "sphinx"} <= set(pins)
    conda = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict))
    assert "-r requirements.txt" in pip and "python=3.11" in conda["dependencies"]


# ------------------------------------------------------------------ the workflow
def _workflow() -> dict:
    return yaml.load(WORKFLOW.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # 'on' stays a key


def test_workflow_runs_the_readme_commands_and_deploys_what_make_book_builds():
    wf = _workflow()
    test = wf["jobs"]["test"]
    runs = [s.get("run", "") for s in test["steps"]]
    assert "make test" in runs and "make book" in runs
    # the same OS and Python as the README's computational requirements
    assert test["container"]["image"].startswith("python:3.11") and "bookworm" in test["container"]["image"]
    upload = next(s for s in test["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "_build/html"
    book = next(s for s in test["steps"] if s.get("run") == "make book")
    assert runs.index("make book") < test["steps"].index(upload)
    assert book["if"] == upload["if"] == "github.event_name != 'pull_request'"
    deploy = wf["jobs"]["deploy"]
    assert "pull_request" in deploy["if"] and deploy["needs"] == "test"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    # every action pinned by commit
    uses = [s["uses"] for job in wf["jobs"].values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", u) for u in uses)
    assert wf["permissions"] == {} and test["permissions"] == {"contents": "read"}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme and "make book" in readme and "Debian 12" in readme


# ------------------------------------------------------------------ the PDF checker can fail
pdf_tools = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdffonts")),
                               reason="poppler-utils (pdftotext, pdffonts) not installed")


@pdf_tools
def test_past_margin_finds_a_word_beyond_the_text_block(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.5, 11))
    for i in range(30):  # justified lines ending at one edge
        fig.text(0.8, 0.9 - i * 0.02, 'x' * (3 + i), ha="right", fontsize=9)
    fig.text(0.95, 0.2, "beyond", ha="right", fontsize=9)
    path = tmp_path / "page.pdf"
    fig.savefig(path)
    plt.close(fig)
    problems = publish.past_margin(path)
    assert len(problems) == 1 and "beyond" in problems[0]


def test_the_pdf_leaves_folded_cells_out_and_lets_long_tables_break():
    from docutils import nodes
    from docutils.utils import new_document

    def cell(*tags):
        c = nodes.container(classes=["cell"] + [f"tag_{t}" for t in tags])
        c += nodes.container("", nodes.literal_block(text="code"), classes=["cell_input"])
        c += nodes.container("", nodes.literal_block(text="out"), classes=["cell_output"])
        return c

    def table(rows):
        group = nodes.tgroup(cols=2)
        group += [nodes.colspec(colwidth=1), nodes.colspec(colwidth=1)]
        body = nodes.tbody()
        for i in range(rows):
            math = nodes.math(text=r"\tilde\theta_i.with_a_long_subscript")
            body += nodes.row("", nodes.entry("", nodes.paragraph(text=f"claim.id_{i}.with.dots")),
                              nodes.entry("", nodes.paragraph("", "x" * 80, math)))
        group += body
        return nodes.table("", group)

    doc = new_document("<test>")
    doc += [cell(), cell("hide-input"), cell("hide-cell", "firesales-install"), cell("hide-output"),
            table(3), table(20)]
    latex = types.SimpleNamespace(builder=types.SimpleNamespace(format="latex"))
    publish._drop_folded_cells(latex, doc, "page")
    cells = [c for c in doc.children if "cell" in c.get("classes", [])]
    assert len(cells) == 3  # the hide-cell one is gone
    kinds = [[k for child in c.children for k in child["classes"]] for c in cells]
    assert kinds == [["cell_input", "cell_output"], ["cell_output"], ["cell_input"]]
    short, long = doc.findall(nodes.table)
    assert "longtable" not in short["classes"] and {"longtable", "colwidths-given"} <= set(long["classes"])
    widths = [s["colwidth"] for s in long.findall(nodes.colspec)]
    assert widths[1] > widths[0]  # the column with more text gets more of the line
    assert any("allowbreak" in r.astext() for r in long.findall(nodes.raw))  # claim.id_3. may break
    assert all(m.astext() == r"\tilde\theta_i.with_a_long_subscript" for m in long.findall(nodes.math))
    html = types.SimpleNamespace(builder=types.SimpleNamespace(format="html"))
    doc2 = new_document("<test>")
    doc2 += cell("hide-cell")
    publish._drop_folded_cells(html, doc2, "page")
    assert len(doc2.children) == 1  # the pages keep them, folded


# ------------------------------------------------------------------ launch (make test-launch)
@pytest.mark.launch
@pytest.mark.skipif(os.environ.get("FIRESALES_LAUNCH_TEST") != "1", reason="slow: make test-launch")
def test_a_downloaded_notebook_runs_in_a_fresh_venv_with_only_the_pins(tmp_path):
    """Kurlat's chapter as a reader downloads it, in a venv holding only requirements.txt:
    its install cell installs firesales (here from a wheel of this checkout: this machine
    reaches no public git host; FIRESALES_SOURCE points the cell at it), then every cell runs."""
    base = getattr(sys, "_base_executable", sys.executable)
    venv = tmp_path / "venv"
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    pip = [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + ["-r", str(ROOT / "requirements.txt")], check=True)
    probe = subprocess.run([str(py), "-c", "import firesales"], capture_output=True, text=True)
    assert probe.returncode != 0, "the fresh venv must not hold firesales before the install cell"
    wheels, source = tmp_path / "wheels", tmp_path / "source"  # built from a copy: no build/ in the tree
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "lib", source / "lib", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(source)], check=True)
    wheel = next(wheels.glob(f"firesales-{publish.version()}-*.whl"))
    reader = tmp_path / "downloads"
    reader.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "kurlat.ipynb", as_version=4)
    publish.put_install_cell(nb, publish.install_cell_source())  # as committed once --write has run
    nbformat.write(nb, reader / "kurlat.ipynb")
    runner = (
        "import json, sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "nb = nbformat.read('kurlat.ipynb', as_version=4)\n"
        "NotebookClient(nb, timeout=300, kernel_name='python3', resources={'metadata': {'path': '.'}}).execute()\n"
        "first = next(c for c in nb.cells if c.cell_type == 'code')\n"
        "print(json.dumps([o.get('text', '') for o in first.outputs]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(FIRESALES_SOURCE=str(wheel), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    out = subprocess.run([str(py), "-c", runner], cwd=reader, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-4000:]
    said = "".join(json.loads(out.stdout.strip().splitlines()[-1]))
    assert f"firesales is missing: pip install {wheel}" in said and "firesales installed" in said
    where = subprocess.run([str(py), "-c", "import firesales, sys; print(firesales.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert str(venv) in where and str(ROOT) not in where
    assert (reader / "output" / "figures" / "kurlat-fig1.png").is_file()
