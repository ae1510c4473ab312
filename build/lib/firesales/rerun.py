"""Re-run a chapter with the reader's own parameters and report which claims still hold.

Command line (from the repository root, inside the project's environment)::

    make rerun NB=kurlat P="LAM=0.4"
    python -m firesales.rerun kurlat LAM=0.4 [MU=0.3 ...] [--no-html] [--runs DIR]

Each chapter notebook keeps its parameters in one code cell tagged ``parameters``
(papermill's convention: only ``UPPER_CASE = <literal>`` assignments) and validates them in
the next cell tagged ``validate-parameters``. A re-run:

1. reads the defaults from the ``parameters`` cell (without running the notebook) and
   checks every ``NAME=value`` given: an unknown name, a value of another type than the
   default's (a number for a number, an integer for an integer, a string for a string, a
   tuple or list of items of the default's kind; a mixed tuple item by item) or a value that the
   ``validate-parameters`` cell rejects (it is executed here, in this process, on the new
   values, with the imports of the cells above it) stops with a clear error before any
   notebook runs;
2. executes a copy of the notebook with `papermill <https://papermill.readthedocs.io>`_
   into ``output/runs/<notebook>-<parameters>-<hash>/`` (the committed notebook is never
   touched): papermill injects the new values in a cell right after the ``parameters``
   cell. The kernel runs with ``FIRESALES_LEDGER=report``, so a claim that fails shows a
   ``✗`` record instead of stopping the notebook, and with ``FIRESALES_OUTPUT`` set to the
   run folder, so the run's figures and tables go there;
3. renders the executed copy to HTML (``<run>/html/<notebook>.html``) with Jupyter Book's
   single-page build and the book's own configuration, so it reads like the book's page
   (MyST directives, folds, ledger blocks), and ships MathJax with it when it can;
4. prints the claims report (also written to ``<run>/report.md``): the claims that hold,
   those that fail (marking those tied to the paper's own printed numbers, which are
   expected to fail at other parameters), and the claims of the committed notebook that
   did not run because a cell raised, with that error.

Exit status: 0 when the report is complete (failing claims and a cell that raised are
results, reported), 2 for a parameter error (nothing ran), 1 for any other failure.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .book import _rel, environment

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 300
PARAMETERS_TAG = "parameters"
VALIDATE_TAG = "validate-parameters"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

__all__ = ["RerunError", "Parameter", "Report", "find_notebook", "read_parameters", "parse_assignments",
           "coerce", "validate", "run_folder", "rerun", "main"]


class RerunError(ValueError):
    """A re-run that cannot start: an unknown notebook or parameter, a bad value."""


# ------------------------------------------------------------------ the notebook's parameters
@dataclass
class Parameter:
    name: str
    default: object
    line: int


def find_notebook(name: str | Path) -> Path:
    """``kurlat`` -> ``notebooks/kurlat.ipynb``; a path to a notebook is taken as it is."""
    text = str(name).strip()
    if not text:
        raise RerunError("name a notebook: make rerun NB=<name> P=\"NAME=value ...\"")
    path = Path(text)
    candidates = [path, ROOT / path] if path.suffix == ".ipynb" else [NOTEBOOKS / f"{text}.ipynb"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    raise RerunError(f"no notebook {text!r}; the chapters are: {', '.join(known)} (or give a path to an .ipynb)")


def _tagged(nb, tag: str) -> list[int]:
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and tag in c.metadata.get("tags", [])]


def _cells(nb, path: Path) -> tuple[int, int]:
    """Indices of the ``parameters`` cell and of the ``validate-parameters`` cell after it."""
    rel = _rel(path)
    params = _tagged(nb, PARAMETERS_TAG)
    if not params:
        raise RerunError(
            f"{rel} has no code cell tagged {PARAMETERS_TAG!r}, so it cannot be re-run with other "
            "parameters yet (see CONTRIBUTING.md: parameters and re-runs)"
        )
    if len(params) > 1:
        raise RerunError(f"{rel} has {len(params)} cells tagged {PARAMETERS_TAG!r} (cells {params}); it needs one")
    after = [i for i in _tagged(nb, VALIDATE_TAG) if i > params[0]]
    if not after:
        raise RerunError(
            f"{rel} has no code cell tagged {VALIDATE_TAG!r} after its parameters cell, so values cannot "
            "be checked before the notebook runs"
        )
    return params[0], after[0]


def read_parameters(source: str, where: str = "the parameters cell") -> dict[str, Parameter]:
    """The defaults of a ``parameters`` cell: ``NAME = <literal>`` lines (tuples unpack).

    Anything else in the cell (a call, an import, an expression, a lower-case name) is an
    error: the defaults must be readable without running the notebook.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise RerunError(f"{where} is not valid Python: {exc}") from None
    found: dict[str, Parameter] = {}

    def bad(node, why):
        line = source.splitlines()[node.lineno - 1].strip() if node.lineno else ""
        return RerunError(f"{where}, line {node.lineno} ({line!r}): {why}; it may hold only "
                          "UPPER_CASE = <literal> assignments")

    for node in tree.body:
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            raise bad(node, "not a single assignment")
        target = node.targets[0]
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            raise bad(node, "the value is not a literal") from None
        if isinstance(target, ast.Name):
            pairs = [(target, value)]
        elif isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            if not isinstance(value, tuple) or len(value) != len(target.elts):
                raise bad(node, "the names and values do not pair up")
            pairs = list(zip(target.elts, value))
        else:
            raise bad(node, "the target is not a name")
        for name_node, val in pairs:
            if not _NAME.match(name_node.id):
                raise bad(node, f"{name_node.id!r} is not an UPPER_CASE name")
            found[name_node.id] = Parameter(name_node.id, val, node.lineno)
    if not found:
        raise RerunError(f"{where} sets no parameter")
    return found


def parse_assignments(items: list[str] | str) -> dict[str, object]:
    """``["LAM=0.4", "GAP=(0.6, 0.7)"]`` or ``"LAM=0.4 GAP=(0.6, 0.7)"`` -> values.

    Values are Python literals (numbers, quoted strings, tuples, lists). A value that is
    not a literal is kept as its text (so ``REGIME=cournot`` gives the string; whether a
    string is allowed is decided against the default by :func:`coerce`). Assignments are
    separated by whitespace; a value may contain spaces inside brackets or quotes.
    """
    text = items if isinstance(items, str) else " ".join(items)
    out: dict[str, object] = {}
    pos, n = 0, len(text)
    head = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")
    nxt = re.compile(r"\s+[A-Za-z_][A-Za-z0-9_]*\s*=")

    def literal(chunk: str):
        try:
            return True, ast.literal_eval(chunk)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return False, None

    while text[pos:].strip():
        m = head.match(text, pos)
        if not m:
            word = text[pos:].split()[0]
            raise RerunError(f"expected NAME=value, got {word!r} (separate assignments with spaces)")
        name, start = m[1], m.end()
        if name in out:
            raise RerunError(f"{name} is given twice")
        rest = text[start:]
        if not rest.strip() or re.match(r"[A-Za-z_][A-Za-z0-9_]*\s*=", rest):
            raise RerunError(f"{name}= has no value")
        # the shortest stretch up to a space that is a literal and is followed by NAME= or the end
        stops = [start + k.start() for k in re.finditer(r"\s+", rest)] + [n]
        end = None
        for stop in stops:
            ok, value = literal(text[start:stop])
            if ok and (stop == n or not text[stop:].strip() or nxt.match(text, stop)):
                end = stop
                break
        if end is None:  # one word: a literal, or else its text (REGIME=cournot)
            token = rest.split()[0]
            ok, value = literal(token)
            value = value if ok else token
            end = start + len(token)
        out[name] = value
        pos = end
    return out


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def coerce(name: str, value, default):
    """``value`` as the type of ``default``, or a :class:`RerunError` naming the parameter."""

    def fail(expected: str):
        return RerunError(
            f"{name} must be {expected} like its default {default!r}, got {value!r} ({_kind(value)})"
        )

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise fail("True or False")
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail("an integer")
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise fail("a number")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise fail("a string")
    if isinstance(default, (tuple, list)):
        if not isinstance(value, (tuple, list)):
            raise fail(_kind(default))
        if not value:
            raise fail(f"a non-empty {type(default).__name__}")
        kinds = {_kind(d) for d in default}
        if isinstance(default, tuple) and len(kinds) > 1:  # a record: (0.5, "walras")
            if len(value) != len(default):
                raise fail(f"a tuple of {len(default)} items")
            items = [coerce(f"{name}[{i}]", v, d) for i, (v, d) in enumerate(zip(value, default))]
        elif default:  # items of one kind, as many as the reader likes (the validate cell decides)
            items = [coerce(f"{name}[{i}]", v, default[0]) for i, v in enumerate(value)]
        else:
            items = list(value)
        return type(default)(items)
    if default is None or type(value) is type(default):
        return value
    raise fail(_kind(default))


def _imports_above(nb, index: int, needed: set[str]) -> str:
    """The import statements of the code cells above ``index`` that bind a ``needed`` name.

    Top-level statements only, magics removed (IPython's own transformer); imports the
    validation does not use (matplotlib, sympy...) are not run.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    manager, lines = TransformerManager(), []
    for cell in nb.cells[:index]:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(manager.transform_cell(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            bound = {(a.asname or a.name).split(".")[0] for a in node.names}
            if bound & needed or "*" in bound:
                lines.append(ast.unparse(node))
    return "\n".join(lines)


def validate(nb, path: Path, overrides: dict[str, object]) -> dict[str, object]:
    """Check ``overrides`` against the notebook's parameters; return them coerced.

    Raises :class:`RerunError` for an unknown name, a value of the wrong type, or a value
    the ``validate-parameters`` cell rejects (that cell runs here, on the new values).
    """
    p_index, v_index = _cells(nb, path)
    params = read_parameters(nb.cells[p_index].source, f"the parameters cell of {_rel(path)}")
    values: dict[str, object] = {}
    for name, value in overrides.items():
        if name not in params:
            close = difflib.get_close_matches(name.upper(), list(params), n=3, cutoff=0.5)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            raise RerunError(
                f"{_rel(path)} has no parameter {name!r}{hint}; its parameters are: "
                + ", ".join(f"{p.name}={p.default!r}" for p in params.values())
            )
        values[name] = coerce(name, value, params[name].default)
    namespace: dict[str, object] = {"__name__": "__firesales_rerun__"}
    source = nb.cells[v_index].source
    try:
        needed = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError as exc:
        raise RerunError(f"the validate-parameters cell of {_rel(path)} is not valid Python: {exc}") from None
    setup = _imports_above(nb, p_index, needed)
    try:
        exec(compile(setup, f"<imports of {_rel(path)}>", "exec"), namespace)
    except Exception as exc:  # noqa: BLE001 - any failure here is the notebook's, say which
        raise RerunError(f"the imports above the parameters cell of {_rel(path)} failed: {exc!r}") from None
    namespace.update({p.name: p.default for p in params.values()})
    namespace.update(values)
    try:  # what the cell prints is shown by the run itself
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"<validate-parameters of {_rel(path)}>", "exec"), namespace)
    except NameError as exc:
        raise RerunError(
            f"the validate-parameters cell of {_rel(path)} uses a name that is neither a parameter nor "
            f"imported above it: {exc}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the validators' ValueError, or anything they raise
        raise RerunError(f"{type(exc).__name__}: {exc}") from None
    return values


# ------------------------------------------------------------------ running
def run_folder(base: Path, stem: str, values: dict[str, object]) -> Path:
    """``<base>/<stem>-<NAME=value...>-<hash>``: the same parameters give the same folder."""
    canonical = json.dumps(sorted((k, repr(v)) for k, v in values.items()))
    digest = hashlib.sha256(f"{stem}\n{canonical}".encode()).hexdigest()[:8]
    label = "-".join(f"{k}={v!r}" for k, v in sorted(values.items())) or "defaults"
    label = re.sub(r"[^A-Za-z0-9._=-]+", "_", label).strip("_")[:60]
    return Path(base) / f"{stem}-{label}-{digest}"


def _literal_translator():
    """Papermill's Python translator, taught tuples.

    Papermill writes the injected values from JSON/YAML types: a tuple (``GAP=(0.6, 0.7)``)
    would reach the kernel as the *string* ``"(0.6, 0.7)"``. This subclass writes tuples as
    tuples (lists, numbers, strings and booleans as papermill does); it is registered for
    the Python language of the re-run's kernel.
    """
    from papermill.translators import PythonTranslator

    class LiteralTranslator(PythonTranslator):
        @classmethod
        def translate(cls, val):
            if isinstance(val, tuple):
                items = ", ".join(cls.translate(v) for v in val)
                return f"({items}{',' if len(val) == 1 else ''})"
            return super().translate(val)

    return LiteralTranslator


@dataclass
class Failure:
    """The cell that raised (the notebook stopped there)."""

    ename: str
    evalue: str
    section: str = ""  # the nearest heading above the cell
    first_line: str = ""

    def describe(self) -> str:
        where = f" (section {self.section!r})" if self.section else ""
        begins = f"\n   the cell{where} begins: {self.first_line}" if self.first_line else ""
        return f"a cell raised {self.ename}: {self.evalue}{begins}"


@dataclass
class Report:
    notebook: str
    values: dict[str, object]
    folder: Path
    records: list = field(default_factory=list)  # ledger.Record of the run, in order
    expected: list = field(default_factory=list)  # ledger.Record of the committed notebook
    failure: Failure | None = None
    html: Path | None = None
    html_note: str = ""
    seconds: float = 0.0

    @property
    def held(self):
        return [r for r in self.records if r.passed]

    @property
    def failed(self):
        return [r for r in self.records if not r.passed]

    @property
    def not_run(self):
        ran = {r.id for r in self.records}
        return [r for r in self.expected if r.id not in ran]

    @property
    def new(self):
        known = {r.id for r in self.expected}
        return [r for r in self.records if r.id not in known]

    def text(self) -> str:
        def line(r, mark):
            tied = "  [tied to the paper's printed numbers]" if r.paper_numbers else ""
            return f"  {mark} {r.id} · {r.status} · {r.place}{tied}\n      {r.claim}"

        shown = ", ".join(f"{k}={v!r}" for k, v in self.values.items()) or "the notebook's own parameters"
        out = [f"== claims report: {self.notebook} at {shown}",
               f"   run folder: {_rel(self.folder)}"]
        if self.html:
            out.append(f"   page: {_rel(self.html)}{self.html_note}")
        elif self.html_note:
            out.append(f"   page: {self.html_note.strip()}")
        tied_failed = [r for r in self.failed if r.paper_numbers]
        out.append(
            f"   {len(self.held)} hold, {len(self.failed)} fail"
            + (f" ({len(tied_failed)} of them tied to the paper's printed numbers)" if tied_failed else "")
            + f", {len(self.not_run)} did not run"
            + (f", {len(self.new)} not in the committed notebook" if self.new else "")
            + f" ({len(self.expected)} claims in the committed notebook; {self.seconds:.1f} s)"
        )
        if self.failed:
            out += ["", f"-- fail ({len(self.failed)}):"]
            out += [line(r, "✗") for r in self.failed]
            if tied_failed:
                out.append("   (a claim tied to the paper's printed numbers compares with numbers the paper "
                           "prints at its own parameters: expected to fail at others)")
        if self.failure:
            out += ["", f"-- the notebook stopped: {self.failure.describe()}"]
        if self.not_run:
            out += ["", f"-- did not run ({len(self.not_run)}): after the error above" if self.failure
                    else f"-- did not run ({len(self.not_run)}): not reached at these parameters"]
            out += [line(r, "·") for r in self.not_run]
        if self.held:
            out += ["", f"-- hold ({len(self.held)}):"]
            out += [line(r, "✓") for r in self.held]
        if self.new:
            out += ["", f"-- shown only at these parameters ({len(self.new)}): " + ", ".join(r.id for r in self.new)]
        return "\n".join(out)


def _records(nb) -> list:
    from .book import _cell_text
    from .ledger import parse_records

    records = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            records += parse_records(_cell_text(cell))
    return records


def _failure(nb, exc) -> Failure:
    """The cell of the executed copy that shows an error output, with its section."""
    from .book import _headings

    section, where = "", None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "papermill-error-cell-tag" not in cell.metadata.get("tags", []):
            heads = _headings(cell.source)
            section = heads[-1] if heads else section
        elif cell.cell_type == "code" and any(o.output_type == "error" for o in cell.get("outputs", [])):
            where = cell
            break
    first = ""
    if where is not None:
        first = next((ln.strip() for ln in where.source.splitlines() if ln.strip()), "")[:80]
    return Failure(getattr(exc, "ename", type(exc).__name__), str(getattr(exc, "evalue", exc)),
                   section if where is not None else "", first)


def render_html(executed: Path, folder: Path, *, offline: bool = True) -> tuple[Path | None, str]:
    """Render an executed notebook with the book's configuration (Jupyter Book, one page).

    Returns the page and a note (what was not possible: MathJax from the CDN, a failure).
    """
    import nbformat
    import yaml

    stage = folder / "_render"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    nb = nbformat.read(executed, as_version=4)
    # citations resolve only with a bibliography on the page (the book has its own page)
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "## References\n\n```{bibliography}\n:filter: docname in docnames\n```"))
    page = stage / executed.name
    nbformat.write(nb, page)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    config["only_build_toc_files"] = False
    config.pop("exclude_patterns", None)
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    bib = [str(ROOT / b) for b in config.get("bibtex_bibfiles", [])]
    config["bibtex_bibfiles"] = sphinx["bibtex_bibfiles"] = bib
    sphinx["html_static_path"] = [str(ROOT / p) for p in sphinx.get("html_static_path", [])]
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    cmd = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(page), "--config",
           str(stage / "_config.yml"), "--path-output", str(stage)]
    result = subprocess.run(cmd, cwd=stage, capture_output=True, text=True)
    built = stage / "_build" / "_page" / page.stem / "html"
    if result.returncode != 0 or not (built / f"{page.stem}.html").is_file():
        (folder / "render.log").write_text(result.stdout + result.stderr, encoding="utf-8")
        return None, f"rendering failed (see {_rel(folder / 'render.log')})"
    html_dir = folder / "html"
    shutil.rmtree(html_dir, ignore_errors=True)
    shutil.move(str(built), html_dir)
    shutil.rmtree(stage, ignore_errors=True)
    # the ledger blocks link to the claim's entry on the book's ledger page (../book/...):
    # point them at the built book, relative to this page
    page_html = html_dir / f"{page.stem}.html"
    book = ROOT / "_build" / "html" / "book"
    text = page_html.read_text(encoding="utf-8")
    target = os.path.relpath(book, html_dir).replace(os.sep, "/") + "/"
    page_html.write_text(text.replace('href="../book/', f'href="{target}'), encoding="utf-8")
    note = ""
    if offline:
        from . import offline as off

        if off.fetch(quiet=True, required=False) is None:
            note = " (MathJax from its CDN: npm could not fetch it)"
        else:
            try:
                off.vendor(html_dir, quiet=True)
            except SystemExit as exc:  # a remote load left: the page still works online
                note = f" (not fully offline: {str(exc).splitlines()[0]})"
    return html_dir / f"{page.stem}.html", note


def rerun(notebook: str | Path, overrides: dict[str, object], *, runs: Path | None = None,
          html: bool = True, quiet: bool = False) -> Report:
    """Validate, execute a copy with papermill, render it, and report the claims."""
    import nbformat

    start = time.perf_counter()
    path = find_notebook(notebook)
    nb = nbformat.read(path, as_version=4)
    values = validate(nb, path, overrides)
    base = Path(runs) if runs else ROOT / "output" / "runs"
    folder = run_folder(base, path.stem, values).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "parameters.json").write_text(
        json.dumps({"notebook": _rel(path), "parameters": {k: repr(v) for k, v in values.items()}}, indent=2) + "\n",
        encoding="utf-8",
    )
    executed = folder / path.name
    say = (lambda *a: None) if quiet else (lambda msg: print(msg, flush=True))  # noqa: E731
    say(f"== re-running {_rel(path)} with " + (", ".join(f"{k}={v!r}" for k, v in values.items()) or "its defaults")
        + f" into {_rel(folder)} (papermill; failed claims are reported, not raised)")
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    from papermill.translators import papermill_translators

    papermill_translators.register("python", _literal_translator())

    failure = None
    # papermill warns of "unknown" parameters it cannot see in a cell it reads line by line
    # (``A, B = 1, 2``); the names were checked above against the cell itself
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)
    with environment(FIRESALES_LEDGER="report", FIRESALES_OUTPUT=str(folder), PYTHONHASHSEED="0"):
        try:
            pm.execute_notebook(
                str(path), str(executed), parameters=values, kernel_name=KERNEL, cwd=str(path.parent),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                execution_timeout=CELL_TIMEOUT,
            )
        except PapermillExecutionError as exc:
            failure = exc
    out = nbformat.read(executed, as_version=4)
    report = Report(_rel(path), values, folder, records=_records(out), expected=_records(nb))
    if failure is not None:
        report.failure = _failure(out, failure)
    if html:
        say("== rendering the executed copy (Jupyter Book, one page)")
        report.html, report.html_note = render_html(executed, folder)
    report.seconds = time.perf_counter() - start
    (folder / "report.md").write_text(report.text() + "\n", encoding="utf-8")
    return report


# ------------------------------------------------------------------ command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesales.rerun", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebook", nargs="?", default=os.environ.get("RERUN_NB", ""),
                        help="a chapter (kurlat, cheng_robatto, ...) or a path to a notebook")
    parser.add_argument("assignments", nargs="*", help="NAME=value (Python literals)")
    parser.add_argument("--runs", type=Path, help="folder of the runs (default output/runs)")
    parser.add_argument("--no-html", action="store_true", help="do not render the executed copy")
    parser.add_argument("--list", action="store_true", help="list the notebook's parameters and stop")
    args = parser.parse_args(argv)
    text = " ".join(args.assignments)
    if os.environ.get("RERUN_PARAMS", "").strip():  # `make rerun P=...` passes them unparsed
        text = (text + " " + os.environ["RERUN_PARAMS"]).strip()
    try:
        if args.list:
            import nbformat

            path = find_notebook(args.notebook)
            nb = nbformat.read(path, as_version=4)
            p_index, _ = _cells(nb, path)
            for p in read_parameters(nb.cells[p_index].source).values():
                print(f"{p.name} = {p.default!r}")
            return 0
        report = rerun(args.notebook, parse_assignments(text), runs=args.runs, html=not args.no_html)
    except RerunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was run", file=sys.stderr)
        return 2
    print()
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
