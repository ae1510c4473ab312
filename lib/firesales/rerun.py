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

from . import repo_root
from .book import _rel, environment, ipc_kernel_manager

ROOT = repo_root()
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 300
PARAMETERS_TAG = "parameters"
VALIDATE_TAG = "validate-parameters"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

__all__ = ["RerunError", "Parameter", "Report", "find_notebook", "read_parameters", "parse_assignments",
           "coerce", "validate", "run_folder", "rerun", "list_parameters", "main"]


class RerunError(ValueError):
    """A re-run that cannot start: an unknown notebook or parameter, a bad value."""


# ------------------------------------------------------------------ the notebook's parameters
@dataclass
class Parameter:
    name: str
    default: object
    line: int
    comment: str = ""  # the line's comment: "meaning; valid: <range>"

    @property
    def meaning(self) -> str:
        return re.split(r";?\s*valid:", self.comment, maxsplit=1)[0].strip()

    @property
    def valid(self) -> str:
        """The valid range the comment declares (``"(0, 1)"``), or ``""``."""
        m = re.search(r"valid:\s*(.+)$", self.comment)
        return m[1].strip() if m else ""

    def interval(self) -> tuple[float, float, bool, bool] | None:
        """The declared interval ``(lo, hi, lo_closed, hi_closed)`` of a scalar, if it has one."""
        m = re.match(r"^([\[(])\s*([^,]+?)\s*,\s*([^\])]+?)\s*([\])])", self.valid)
        if not m:
            return None
        try:
            lo, hi = (float(x.strip().replace("∞", "inf")) for x in (m[2], m[3]))
        except ValueError:
            return None
        return lo, hi, m[1] == "[", m[4] == "]"


def _comments(source: str) -> dict[int, str]:
    """Line number -> the comment on that line (tokenize: a '#' inside a string is no comment)."""
    import tokenize

    found: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                found[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return found


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
    comments = _comments(source)

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
            found[name_node.id] = Parameter(name_node.id, val, node.lineno, comments.get(node.lineno, ""))
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


def list_parameters(source: str, where: str = "") -> str:
    """What ``--list`` prints: each parameter, its default, its meaning and its valid range."""
    params = read_parameters(source)
    width = max(len(f"{p.name} = {p.default!r}") for p in params.values())
    lines = [f"parameters of {where} (change with make rerun NB=... P=\"NAME=value ...\"):"] if where else []
    for p in params.values():
        head = f"{p.name} = {p.default!r}".ljust(width)
        meaning = p.meaning or "(no description in the parameters cell)"
        lines.append(f"  {head}  {meaning}" + (f"; valid: {p.valid}" if p.valid else ""))
    return "\n".join(lines)


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
    """A cell that raised. The re-run goes on past it; a later cell that fails only because
    a name this cell should have defined is missing is its consequence (``root``)."""

    ename: str
    evalue: str
    section: str = ""  # the nearest heading above the cell
    first_line: str = ""
    cell: int = -1  # the cell's index in the committed notebook
    root: int | None = None  # the committed index of the failed cell this one depends on
    claims: list = field(default_factory=list)  # ids of committed claims in this cell

    def where(self) -> str:
        return f"cell {self.cell}" + (f" (section {self.section!r})" if self.section else "")

    def describe(self) -> str:
        begins = f"\n   it begins: {self.first_line}" if self.first_line else ""
        return f"{self.where()} raised {self.ename}: {self.evalue}{begins}"


@dataclass
class Report:
    """The claims of a re-run against those of the committed notebook.

    Each claim of the committed notebook is in exactly one group: it holds at new numbers
    (its recorded numbers moved: re-checked), it holds unchanged (its record is the committed
    one word for word: it does not depend on what was changed), it fails, it is not
    applicable at these parameters (the paper's condition fails; the reason is shown), or it
    did not run (a cell it needs raised; the cell and the error are shown).
    """

    notebook: str
    values: dict[str, object]
    folder: Path
    records: list = field(default_factory=list)  # ledger.Record of the run, in order
    expected: list = field(default_factory=list)  # ledger.Record of the committed notebook
    failures: list = field(default_factory=list)  # Failure, in cell order
    html: Path | None = None
    html_note: str = ""
    seconds: float = 0.0
    defaults: dict = field(default_factory=dict)  # name -> default, for the parameters changed
    stamp: str = ""  # when and from which commit

    @property
    def failure(self) -> Failure | None:
        """The first cell that raised (``None`` when every cell ran)."""
        return self.failures[0] if self.failures else None

    def _committed(self, r):
        return next((e for e in self.expected if e.id == r.id), None)

    @property
    def not_applicable(self):
        return [r for r in self.records if r.not_applicable]

    @property
    def held(self):
        return [r for r in self.records if r.passed and not r.not_applicable]

    @property
    def unchanged(self):
        """Claims that hold with the committed record word for word: nothing they check moved."""
        return [r for r in self.held if (e := self._committed(r)) is not None and e.render() == r.render()]

    @property
    def rechecked(self):
        """Claims that hold at numbers other than the committed ones."""
        same = {r.id for r in self.unchanged}
        return [r for r in self.held if r.id not in same]

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

    def cause(self, claim_id: str) -> Failure | None:
        """The failed cell a claim that did not run depended on (the root of its cell's error)."""
        by_cell = {f.cell: f for f in self.failures}
        for f in self.failures:
            if claim_id in f.claims:
                while f.root is not None and f.root in by_cell:
                    f = by_cell[f.root]
                return f
        return None

    def counts(self) -> str:
        tied = [r for r in self.failed if r.paper_numbers]
        return (
            f"{len(self.rechecked)} hold at new numbers, {len(self.unchanged)} hold unchanged, "
            f"{len(self.failed)} fail"
            + (f" ({len(tied)} tied to the paper's printed numbers)" if tied else "")
            + f", {len(self.not_applicable)} not applicable, {len(self.not_run)} did not run"
        )

    def changed(self) -> str:
        if not self.values:
            return "the notebook's own parameters"
        return ", ".join(
            f"{k} = {v!r}" + (f" (default {self.defaults[k]!r})" if k in self.defaults else "")
            for k, v in self.values.items()
        )

    def text(self) -> str:
        def line(r, mark, extra=""):
            tied = "  [tied to the paper's printed numbers]" if r.paper_numbers else ""
            return f"  {mark} {r.id} · {r.status} · {r.place}{tied}\n      {r.claim}{extra}"

        out = [f"== claims report: {self.notebook} at {self.changed()}"]
        if self.stamp:
            out.append(f"   run {self.stamp}")
        out.append(f"   run folder: {_rel(self.folder)}")
        if self.html:
            out.append(f"   page: {_rel(self.html)}{self.html_note}")
        elif self.html_note:
            out.append(f"   page: {self.html_note.strip()}")
        out.append(f"   {self.counts()} ({len(self.expected)} claims in the committed notebook; "
                   f"{self.seconds:.1f} s)")
        if self.failed:
            tied = [r for r in self.failed if r.paper_numbers]
            out += ["", f"-- fail ({len(self.failed)}):"]
            out += [line(r, "✗", f"\n      check: {r.check}") for r in self.failed]
            if tied:
                out.append("   (a claim tied to the paper's printed numbers compares with numbers the paper "
                           "prints at its own parameters: expected to fail at others)")
        if self.failures:
            roots = [f for f in self.failures if f.root is None]
            out += ["", f"-- cells that raised ({len(roots)}; the re-run went on past them):"]
            for f in roots:
                lost = [c for c in self.not_run if self.cause(c.id) is f]
                out.append(f"   {f.describe()}")
                out.append("   claims that therefore did not run: " + (", ".join(r.id for r in lost) or "none"))
        if self.not_run:
            out += ["", f"-- did not run ({len(self.not_run)}):"]
            for r in self.not_run:
                f = self.cause(r.id)
                out.append(line(r, "·", f"\n      because {f.where()} raised {f.ename}" if f
                                else "\n      not reached at these parameters"))
        if self.not_applicable:
            out += ["", f"-- not applicable here ({len(self.not_applicable)}):"]
            out += [line(r, "–", f"\n      {r.not_applicable}") for r in self.not_applicable]
        if self.rechecked:
            out += ["", f"-- hold at new numbers ({len(self.rechecked)}):"]
            out += [line(r, "✓") for r in self.rechecked]
        if self.unchanged:
            out += ["", f"-- hold unchanged ({len(self.unchanged)}): the record is the committed one word for "
                    "word; these do not depend on what you changed"]
            out += [line(r, "✓") for r in self.unchanged]
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


def _assigned(source: str) -> set[str]:
    """Names a cell binds at its top level (assignments, imports, defs), for dependencies."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _failures(executed, committed) -> list[Failure]:
    """Every cell of the executed copy that raised, mapped to the committed notebook's cells.

    A ``NameError`` for a name that an earlier failed cell binds is that cell's consequence
    (its ``root``); anything else is a failure of its own.
    """
    from .book import _cell_text, _headings
    from .ledger import parse_records

    index = {c.get("id"): i for i, c in enumerate(committed.cells) if c.get("id")}
    found: list[Failure] = []
    binds: dict[int, set[str]] = {}
    section = ""
    for cell in executed.cells:
        tags = cell.metadata.get("tags", [])
        if "papermill-error-cell-tag" in tags or "injected-parameters" in tags:
            continue
        if cell.cell_type == "markdown":
            heads = _headings(cell.source)
            section = heads[-1] if heads else section
            continue
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if cell.cell_type != "code" or not errors:
            continue
        i = index.get(cell.get("id"), -1)
        err = errors[0]
        first = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")[:80]
        claims = [r.id for r in parse_records(_cell_text(committed.cells[i]))] if i >= 0 else []
        failure = Failure(err.ename, err.evalue, section, first, i, None, claims)
        missing = re.match(r"name '([^']+)' is not defined", err.evalue or "")
        if err.ename == "NameError" and missing:
            failure.root = next((f.cell for f in reversed(found) if missing[1] in binds[f.cell]), None)
        binds[i] = _assigned(cell.source)
        found.append(failure)
    return found


def _stamp() -> str:
    """``2026-12-06 06:10 UTC from commit abc1234`` (+ "with local changes" when dirty)."""
    import datetime as dt

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", ""
    origin = f" from commit {commit}" + (" with local changes" if dirty else "") if commit else ""
    return f"{when}{origin}"


def _report_cells(report: Report):
    """Markdown cells for the rendered page: a banner at the top, the report at the end."""
    import nbformat

    name = Path(report.notebook).stem
    banner = nbformat.v4.new_markdown_cell(
        ":::{admonition} A re-run at your parameters\n:class: important\n\n"
        f"**Chapter:** `{report.notebook}`  \n**Changed:** {_md(report.changed())}  \n"
        f"**Run:** {_md(report.stamp)}  \n**Claims:** {_md(report.counts())} — "
        "[the claims report](#rerun-claims-report) at the end of this page.\n\n"
        "Every number on this page was computed at these parameters.\n:::"
    )
    banner.metadata["tags"] = ["rerun-banner"]
    groups = [("fails", "✗", report.failed), ("not applicable here", "–", report.not_applicable),
              ("did not run", "·", report.not_run), ("holds at new numbers", "✓", report.rechecked),
              ("holds unchanged (does not depend on what you changed)", "✓", report.unchanged)]
    rows = ["(rerun-claims-report)=", f"## Claims report of this re-run ({name})", "",
            f"{_md(report.counts())}.", ""]
    for title, mark, items in groups:
        for r in items:
            why = ""
            if r in report.not_run and (f := report.cause(r.id)):
                why = f" — because {f.where()} raised `{f.ename}`"
            elif r.not_applicable:
                why = f" — {_md(r.not_applicable)}"
            from .ledger import anchor

            rows.append(f'- <span id="{anchor(r.id)}"></span>{mark} `{r.id}` · **{title}** · {_md(r.place)}{why}')
    if report.failures:
        rows += ["", "Cells that raised (the re-run went on past them):", ""]
        rows += [f"- {_md(f.where())}: `{f.ename}`: {_md(f.evalue)}" for f in report.failures if f.root is None]
    return banner, nbformat.v4.new_markdown_cell("\n".join(rows))


def _md(text: str) -> str:
    """Text shown literally in MyST Markdown (no emphasis, roles or math from its characters)."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~])", r"\\\1", str(text))


def render_html(executed: Path, folder: Path, *, offline: bool = True, report: Report | None = None,
                executed_in: Path | None = None) -> tuple[Path | None, str]:
    """Render an executed notebook with the book's configuration (Jupyter Book, one page).

    With a ``report``, the page opens with a banner (chapter, changed parameters, date and
    commit, the claims' counts) and ends with the claims report; the ledger blocks link to
    their claim's line in that report, so the page needs nothing outside its folder.
    ``executed_in`` is the folder the kernel ran in (the figures' paths are relative to it;
    default: the executed copy's folder).
    Returns the page and a note (what was not possible: MathJax from the CDN, a failure).
    """
    import nbformat
    import yaml

    stage = folder / "_render"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    nb = nbformat.read(executed, as_version=4)
    # citations resolve only with a bibliography on the page (the book has its own page)
    nb.cells = [c for c in nb.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])]
    from .plotting import rebase_figures

    rebase_figures(nb, executed_in or executed.parent, stage)  # figure paths, from the staging folder
    if report is not None:
        banner, summary = _report_cells(report)
        first = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0  # under the title
        nb.cells.insert(first, banner)
        nb.cells.append(summary)
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
    # the ledger blocks link to the claim's entry on the book's ledger page: on a re-run's
    # page, to the claim's line in the report at its end (never into a build folder)
    page_html = html_dir / f"{page.stem}.html"
    text = page_html.read_text(encoding="utf-8")
    if report is not None:
        text = re.sub(r'href="[^"#]*claims\.html#(claim-[a-z0-9-]+)"', r'href="#\1"', text)
    else:  # no report on the page to link to: the claim id stays, unlinked
        text = re.sub(r'<a [^>]*href="[^"#]*claims\.html#claim-[a-z0-9-]+"[^>]*>(.*?)</a>', r"\1", text)
    page_html.write_text(text, encoding="utf-8")
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

    # papermill warns of "unknown" parameters it cannot see in a cell it reads line by line
    # (``A, B = 1, 2``); the names were checked above against the cell itself
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)
    with environment(FIRESALES_LEDGER="report", FIRESALES_OUTPUT=str(folder), PYTHONHASHSEED="0"):
        try:  # allow_errors: a cell that raises does not stop the cells after it
            pm.execute_notebook(
                str(path), str(executed), parameters=values, kernel_name=KERNEL, cwd=str(path.parent),
                progress_bar=False, log_output=False, request_save_on_cell_execute=False,
                execution_timeout=CELL_TIMEOUT, allow_errors=True,
                kernel_manager_class=ipc_kernel_manager(),  # local sockets: no TCP-transport warning
            )
        except PapermillExecutionError:
            pass  # every cell ran; the cells that raised are read from the executed copy
    out = nbformat.read(executed, as_version=4)
    defaults = read_parameters(nb.cells[_cells(nb, path)[0]].source)
    report = Report(_rel(path), values, folder, records=_records(out), expected=_records(nb),
                    failures=_failures(out, nb), defaults={k: defaults[k].default for k in values},
                    stamp=_stamp())
    report.seconds = time.perf_counter() - start
    if html:
        say("== rendering the executed copy (Jupyter Book, one page)")
        report.html, report.html_note = render_html(executed, folder, report=report, executed_in=path.parent)
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
            print(list_parameters(nb.cells[p_index].source, _rel(path)))
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
