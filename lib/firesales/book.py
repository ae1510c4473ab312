"""Book tooling: execute notebooks in place, and generate the pages fed by their outputs.

Command line (run from the repository root, inside the project's environment)::

    python -m firesales.book execute notebooks/kurlat.ipynb [...]   # run top to bottom, save outputs
    python -m firesales.book pages                                  # regenerate ledger, errata, lists
    python -m firesales.book pages --check                          # fail if any generated text is stale
    python -m firesales.book lint                                   # every notebook executed in order

The generated text (claims ledger, errata, list of figures and tables in the README and
on the reproducibility page) is derived only from the *committed, executed* notebooks,
whose outputs nbval proves are what the code produces.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import repo_root
from .ledger import PAPER_STATUSES, PAPERS, STATUS_MEANING, STATUSES, Record, anchor, parse_records, to_markdown

ROOT = repo_root()
NOTEBOOKS = ROOT / "notebooks"
KERNEL = "python3"
CELL_TIMEOUT = 120


# ------------------------------------------------------------------ execution
@contextlib.contextmanager
def environment(**values: str):
    """Set environment variables for the duration of a block (kernels started inside inherit them)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _rel(path: Path) -> str:
    """A path as printed: relative to the repository when inside it, else its name."""
    path = Path(path).resolve()
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.name


@functools.lru_cache(maxsize=1)
def ipc_kernel_manager():
    """The kernel manager the book's executions use: kernels talk over Unix sockets (IPC).

    Over TCP (jupyter_client's default) ipykernel 7 warns at every start, "Kernel is running
    over TCP without encryption", which the build and ``make execute`` printed once per
    notebook. IPC sockets are local files, readable only by their owner: nothing to warn
    about. (On Windows, which has no IPC transport, TCP stays.) It also skips the SIGINT
    jupyter_client sends before a shutdown (see ``_async_interrupt_kernel``).
    """
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            if os.name != "nt":
                import uuid

                from jupyter_core.paths import jupyter_runtime_dir

                runtime = Path(jupyter_runtime_dir())
                runtime.mkdir(parents=True, exist_ok=True)
                kwargs.setdefault("transport", "ipc")
                # an absolute socket path: the kernel runs in the notebook's folder, the client
                # in the caller's, and a relative one ("kernel-ipc") would differ between them
                kwargs.setdefault("ip", str(runtime / f"kernel-{uuid.uuid4().hex[:12]}-ipc"))
            super().__init__(**kwargs)

        async def _async_interrupt_kernel(self):
            # jupyter_client 8 sends SIGINT before every shutdown request; when it lands while
            # the kernel handles a message, ipykernel logs "KeyboardInterrupt caught in kernel"
            # as an ERROR although nothing failed. A kernel asked to shut down needs no
            # interrupt (the request goes over the control channel; a kernel that does not
            # stop in time is killed).
            if getattr(self, "shutting_down", False):
                return
            await super()._async_interrupt_kernel()

    return IPCKernelManager


def use_ipc_kernels() -> None:
    """Make every ``nbclient.NotebookClient`` created in this process use :func:`ipc_kernel_manager`
    unless it is given a kernel manager (the Jupyter Book build executes through myst-nb and
    jupyter-cache, which take no kernel manager option)."""
    from nbclient import NotebookClient

    NotebookClient._kernel_manager_class_default = lambda self: ipc_kernel_manager()


def execute(paths: list[Path], *, quiet: bool = False) -> dict[str, float]:
    """Execute each notebook top to bottom with a fresh kernel and save it in place."""
    import nbformat
    from nbclient import NotebookClient

    timings: dict[str, float] = {}
    for path in paths:
        path = Path(path).resolve()
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                cell.metadata.pop("execution", None)
        start = time.perf_counter()
        if not quiet:
            print(f"executing {_rel(path)} ...", flush=True)
        NotebookClient(
            nb, timeout=CELL_TIMEOUT, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}},
            kernel_manager_class=ipc_kernel_manager(),
        ).execute()
        elapsed = time.perf_counter() - start
        nb.metadata.pop("widgets", None)
        nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        timings[_rel(path)] = elapsed
        if not quiet:
            print(f"  done in {elapsed:.1f} s", flush=True)
            for problem in lint_notebook(path):
                print(f"  PROBLEM: {problem}", flush=True)
    return timings


# ------------------------------------------------------------------ reading outputs
@dataclass
class Artifact:
    kind: str  # "Figure" or "Table"
    name: str
    files: str
    caption: str
    notebook: str
    section: str
    anchor: str


def notebook_paths() -> list[Path]:
    """The notebooks in the book's order (``_toc.yml``), then any others alphabetically."""
    import yaml

    present = sorted(p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.startswith("_"))
    order: list[str] = []
    toc = ROOT / "_toc.yml"
    if toc.is_file():
        data = yaml.safe_load(toc.read_text(encoding="utf-8"))
        for part in data.get("parts", []):
            order += [c["file"] for c in part.get("chapters", [])]
    rank = {name: i for i, name in enumerate(order)}
    key = lambda p: (rank.get(p.relative_to(ROOT).with_suffix("").as_posix(), len(rank)), p.name)  # noqa: E731
    return sorted(present, key=key)


def _cell_text(cell) -> str:
    """The text a cell showed: its stdout, and the ``text/plain`` of what it displayed.

    Ledger records and saving logs may come as printed lines or as display data with a
    ``text/plain`` form (the ledger shows an HTML block in the book and keeps the text for
    this reader and for nbval); both are read, in output order.
    """
    chunks = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stdout":
            text = out.get("text", "")
        elif kind in ("display_data", "execute_result"):
            text = out.get("data", {}).get("text/plain", "")
        else:
            continue
        text = text if isinstance(text, str) else "".join(text)
        chunks.append(text if text.endswith("\n") else text + "\n")
    return "".join(chunks)


def _headings(source: str) -> list[str]:
    heads, fenced = [], False
    for line in source.splitlines():
        if line.lstrip().startswith(("```", "~~~", ":::")):
            fenced = not fenced
        if not fenced and line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            if 1 <= level <= 3 and line[level : level + 1] == " ":
                heads.append(line[level:].strip())
    return heads


def _slug_text(title: str) -> str:
    """The heading text myst slugifies: plain text and inline code, without math or roles."""
    title = re.sub(r"\{[^}]*\}`[^`]*`", "", title)  # {role}`...`
    title = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", "", title)  # math
    title = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", title)  # links keep their text
    title = re.sub(r"(\*\*|__|\*|_)(.+?)\1", r"\2", title)  # emphasis markers
    return title.replace("`", "")


def _slug(title: str) -> str:
    from myst_parser.mdit_to_docutils.base import default_slugify

    return default_slugify(_slug_text(title))


def collect() -> tuple[list[Record], list[Artifact]]:
    """All ledger records and saved figures/tables, in notebook and cell order.

    Each record's ``extra`` holds the notebook and the section (nearest heading above
    the cell) with the section's anchor, computed as myst computes heading anchors.
    """
    records: list[Record] = []
    artifacts: list[Artifact] = []
    art = re.compile(r"^(Figure|Table) (\S+): (\S+)$")
    for path in notebook_paths():
        nb = json.loads(path.read_text(encoding="utf-8"))
        section, anchor, slugs = "", "", set()
        rel = path.relative_to(ROOT).as_posix()
        for cell in nb["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if cell["cell_type"] == "markdown":
                for head in _headings(source):
                    slug = base = _slug(head)
                    i = 1
                    while slug in slugs:
                        slug, i = f"{base}-{i}", i + 1
                    slugs.add(slug)
                    section, anchor = head, slug
                continue
            if cell["cell_type"] != "code":
                continue
            text = _cell_text(cell)
            where = {"notebook": rel, "section": section, "anchor": anchor}
            for record in parse_records(text):
                record.extra = dict(where)
                records.append(record)
            lines = text.splitlines()
            for i, line in enumerate(lines):
                m = art.match(line)
                if m:
                    caption = ""
                    if i + 1 < len(lines) and lines[i + 1].startswith("    caption: "):
                        caption = lines[i + 1][len("    caption: ") :]
                    artifacts.append(Artifact(m[1], m[2], m[3], caption, rel, section, anchor))
    return records, artifacts


# ------------------------------------------------------------------ page generation
def _link(notebook: str, section: str = "", anchor: str = "", *, prefix: str = "../") -> str:
    """Markdown link to a notebook, or to one of its sections when ``anchor`` is given."""
    name = Path(notebook).stem
    if not anchor:
        return f"[{name}]({prefix}{notebook})"
    label = section.replace("[", "(").replace("]", ")").replace("|", "/")
    return f"[{label}]({prefix}{notebook}#{anchor})"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


GENERATED = "<!-- generated by `python -m firesales.book pages` from the executed notebooks; do not edit -->"


#: sphinx-design badge colour of each status on the generated pages.
BADGE = {
    "verified": "success",
    "extension": "info",
    "reconstructed": "primary",
    "conflict": "danger",
    "illegible": "warning",
    "erratum": "danger",
    "not reproducible": "secondary",
}


def _badge(status: str) -> str:
    return f"{{bdg-{BADGE[status]}}}`{status}`"


def _by_paper(records: list[Record]):
    """(prefix, paper name, records) for each paper with records, in the book's order."""
    for prefix, paper in PAPERS.items():
        rows = [r for r in records if r.id.split(".", 1)[0] == prefix]
        if rows:
            yield prefix, paper, rows


def check_consequences(records: list[Record]) -> None:
    """One error, one erratum: every ``consequence_of`` names an erratum that is a root."""
    roots = {r.id: r for r in records if r.status == "erratum" and not r.consequence_of}
    for r in records:
        if r.consequence_of and r.consequence_of not in roots:
            raise ValueError(f"{r.id} is recorded as a consequence of {r.consequence_of!r}, which is not a root "
                             "erratum in the ledger")


def _count(rows: list[Record], status: str, bold: bool = False) -> str:
    """A cell of the counts table; an erratum's consequences are counted apart: ``1 (+2)``."""
    n = sum(r.status == status and not r.consequence_of for r in rows)
    extra = sum(r.status == status and bool(r.consequence_of) for r in rows)
    text = (str(n) if n or extra else "·") + (f" (+{extra})" if extra else "")
    return f"**{text}**" if bold else text


def status_counts(records: list[Record]) -> str:
    """Markdown table: claims by status for each paper, the paper's own claims apart.

    The erratum column counts errors of the paper, one each; statements that follow from one
    of them are shown as ``(+n)`` beside it (they are in the statements' count)."""
    head = "| paper | " + " | ".join(STATUSES) + " | the paper's statements | all |"
    out = [head, "|---|" + "---:|" * (len(STATUSES) + 2)]
    for _, paper, rows in _by_paper(records):
        own = sum(r.status in PAPER_STATUSES for r in rows)
        out.append(f"| {paper} | " + " | ".join(_count(rows, s) for s in STATUSES) + f" | {own} | {len(rows)} |")
    own = sum(r.status in PAPER_STATUSES for r in records)
    out.append("| **all** | " + " | ".join(_count(records, s, True) for s in STATUSES)
               + f" | **{own}** | **{len(records)}** |")
    return "\n".join(out)


#: Labels of a record's fields on the generated pages (bold, before the field's text), by
#: status kind; the record-text test reads each field back by its label.
def field_labels(status: str) -> dict[str, str]:
    illegible = status == "illegible"
    return {
        "claim": "Claim",
        "printed": "Legible fragments of our copy" if illegible else "The paper prints",
        "derived": "The book's reading" if illegible else "The derivation gives",
        "check": "Check",
        "not_applicable": "Not applicable here",
        "failed": "Failed",
    }


def record_fields(r: Record) -> dict[str, str]:
    """The record-text fields of ``r`` that a page shows, in page order (empty ones left out)."""
    values = {
        "claim": r.claim,
        "printed": r.printed,
        "derived": r.derived,
        "check": r.check,
        "not_applicable": r.not_applicable,
        "failed": "" if r.passed else (r.failed or "the condition is false"),
    }
    return {k: v for k, v in values.items() if v}


def _record_block(r: Record, head: list[str], fields: dict[str, str], tail: str) -> list[str]:
    """A record on a generated page: a container (class ``fs-record``, and the claim's anchor
    as a class) holding one paragraph per field; record text through ``to_markdown``."""
    labels = field_labels(r.status)
    slug = r.status.replace(" ", "-")
    lines = [f":::{{container}} fs-record fs-{slug} fs-{anchor(r.id)}", *head]
    for key, value in fields.items():
        lines += ["", f"**{labels[key]}.** {to_markdown(value)}"]
    return lines + ["", tail, ":::", ""]


def _entry(r: Record) -> list[str]:
    """One claim on the ledger page: a labelled, compact block that wraps."""
    where = _link(r.extra["notebook"], r.extra["section"], r.extra["anchor"])
    head = [f"`{r.id}` {_badge(r.status)} · *{r.method}* · {to_markdown(r.place)}"]
    fields = record_fields(r)
    tied = " Compares with the paper's printed numbers." if r.paper_numbers else ""
    root = (f" A consequence of the erratum {{ref}}`{r.consequence_of} <{anchor(r.consequence_of)}>`: one error "
            "of the paper, recorded once." if r.consequence_of else "")
    return [f"({anchor(r.id)})=", *_record_block(r, head, fields, f"Checked in {where}.{tied}{root}")]


def _status_legend() -> list[str]:
    return [f"{_badge(s)}\n: {STATUS_MEANING[s][0].upper() + STATUS_MEANING[s][1:]}.\n" for s in STATUSES]


def claims_page(records: list[Record]) -> str:
    check_consequences(records)
    out = [
        "(claims-ledger)=",
        "# Claims ledger",
        "",
        GENERATED,
        "",
        "Every claim the book checks, as the executed notebooks checked it. Each entry is "
        "shown by a `ledger.check` call that *asserts* the claim, so a claim that stops "
        "holding fails the build and the tests; this page is generated from those outputs.",
        "",
        "## At a glance",
        "",
        "How much of each paper the book confirmed. *The paper's statements* counts every status "
        "but `extension`: the book's own results are never counted among a paper's claims.",
        "",
        status_counts(records),
        "",
        "An error of a paper is one erratum however many statements follow from it: those "
        "are recorded as its consequences, shown as (+n) beside the count and linked to it.",
        "",
        "**Status** says whose statement it is and what the check established:",
        "",
        *_status_legend(),
        "**Method**: *symbolic* (SymPy simplifies to zero or proves an equality), *exact* "
        "(rational arithmetic), *numeric* (a solver, root or finite difference within a stated "
        "tolerance), *quadrature*, *optimisation* (a direct optimisation of an agent's or the "
        "planner's problem), *monte carlo* (simulation within stated standard errors). Where a "
        "paper's text is garbled or wrong, see {doc}`errata`.",
        "",
    ]
    for prefix, paper, rows in _by_paper(records):
        out += [f"## {paper}", "", f"{len(rows)} claims, checked in {_link(rows[0].extra['notebook'])}.", ""]
        for r in rows:
            out += _entry(r)
    return "\n".join(out)


ERRATA_PARTS = (
    (
        "erratum",
        "Errors in the papers",
        "Statements that are false under the paper's own assumptions. Each entry carries the "
        "derivation or the counterexample.",
    ),
    (
        "illegible",
        "Defects of our copies",
        "Places where our plain-text copy of a paper is garbled (PDF or web extraction). These "
        "are not the authors' errors: each entry shows the legible fragments, the reading the "
        "book derives, and the evidence that the two fit.",
    ),
    (
        "conflict",
        "Where a reconstruction disagrees with the paper",
        "Statements of a paper that the book's rebuilt model does not satisfy, with the numbers. "
        "The rebuilt model may be what is wrong: the text it replaces is missing.",
    ),
    (
        "not reproducible",
        "What cannot be reproduced",
        "Statements that cannot be checked from what we have, and why.",
    ),
)


def errata_page(records: list[Record]) -> str:
    out = [
        "(errata)=",
        "# Errata",
        "",
        GENERATED,
        "",
        "Where a paper is wrong, where our copy of it is garbled, and where the book could not "
        "confirm it — kept apart, because they are different things. Each entry is checked in "
        "the notebook that records it and is listed in the {doc}`claims`.",
        "",
    ]
    for status, title, intro in ERRATA_PARTS:
        part = [r for r in records if r.status == status]
        out += [f"## {title}", "", intro, ""]
        if not part:
            out += ["None recorded.", ""]
        for _, paper, rows in _by_paper(part):
            out += [f"### {paper}", ""]
            # a root erratum, then the statements that follow from it
            ordered = [r for r in rows if not r.consequence_of]
            for root in list(ordered):
                at = ordered.index(root) + 1
                ordered[at:at] = [r for r in rows if r.consequence_of == root.id]
            ordered += [r for r in rows if r not in ordered]
            for r in ordered:
                if r.consequence_of:
                    out += [f"##### A consequence: {to_markdown(r.place)}: `{r.id}`", ""]
                else:
                    out += [f"#### {to_markdown(r.place)}: `{r.id}`", ""]
                fields = record_fields(r)
                where = _link(r.extra["notebook"], r.extra["section"], r.extra["anchor"])
                tail = f"Checked ({r.method}) in {where}; {{ref}}`ledger entry <{anchor(r.id)}>`."
                if r.consequence_of:
                    tail += f" It follows from `{r.consequence_of}` above: one error, recorded once."
                out += _record_block(r, [], fields, tail)
    return "\n".join(out)


def artifacts_list(records: list[Record], artifacts: list[Artifact], *, prefix: str) -> str:
    """Markdown list 'figure/table → notebook → files' plus claim counts per notebook."""
    from collections import Counter

    out = ["| output | what it shows | made by | files |", "|---|---|---|---|"]
    for a in artifacts:
        out.append(
            f"| {a.kind} `{a.name}` | {to_markdown(a.caption)} | {_link(a.notebook, a.section, a.anchor, prefix=prefix)} | `{a.files}` |"
        )
    per_nb = Counter(r.extra["notebook"] for r in records)
    out += ["", "| notebook | claims checked |", "|---|---|"]
    for nb in per_nb:  # notebook order
        out.append(f"| {_link(nb, prefix=prefix)} | {per_nb[nb]} |")
    out.append(f"| **all** | **{sum(per_nb.values())}** |")
    return "\n".join(out)


def splice(text: str, block: str, where: str, section: str = "outputs") -> str:
    """Replace what stands between ``<!-- BEGIN generated:<section> -->`` and its END marker."""
    begin, end = f"<!-- BEGIN generated:{section} -->", f"<!-- END generated:{section} -->"
    if begin not in text or end not in text:
        raise SystemExit(f"{where} lacks the markers {begin} ... {end}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{block}\n{end}{tail}"


def generated_files() -> dict[Path, str]:
    records, artifacts = collect()
    seen: dict[str, str] = {}
    for r in records:
        if r.id in seen:
            raise SystemExit(f"claim id {r.id} is checked twice ({seen[r.id]} and {r.extra['notebook']})")
        seen[r.id] = r.extra["notebook"]
    files = {
        ROOT / "book" / "claims.md": claims_page(records) + "\n",
        ROOT / "book" / "errata.md": errata_page(records) + "\n",
    }
    counts = status_counts(records)
    for path, prefix in ((ROOT / "README.md", ""), (ROOT / "book" / "reproducibility.md", "../")):
        files[path] = splice(path.read_text(encoding="utf-8"), artifacts_list(records, artifacts, prefix=prefix), path.name)
    for path in (ROOT / "README.md", ROOT / "book" / "intro.md"):
        files[path] = splice(files.get(path, path.read_text(encoding="utf-8")), counts, path.name, "claims")
    return files


def pages(check_only: bool = False) -> int:
    stale = []
    for path, text in generated_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path.relative_to(ROOT).as_posix())
            if not check_only:
                path.write_text(text, encoding="utf-8")
    if check_only and stale:
        print("stale generated text (run `make pages`): " + ", ".join(stale), file=sys.stderr)
        return 1
    print(("rewrote " + ", ".join(stale)) if stale else "generated pages are up to date")
    return 0


# ------------------------------------------------------------------ lint
def lint_notebook(path: Path) -> list[str]:
    """Problems that would let nbval pass vacuously or a reader see machine noise."""
    problems = []
    nb = json.loads(path.read_text(encoding="utf-8"))
    rel = _rel(path)
    counts = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]).strip()
        if not source:
            problems.append(f"{rel}: cell {i} is an empty code cell")
            continue
        counts.append(cell.get("execution_count"))
        last = source.splitlines()[-1].rstrip()
        if last.endswith(";") and not last.lstrip().startswith("#"):
            problems.append(
                f"{rel}: cell {i} ends with ';' - nbval does not honour the semicolon (it runs cells "
                "without history), so its output would differ; end the cell with a statement, "
                "e.g. `_ = ax.plot(...)` or `plt.close(fig)`"
            )
        if cell.get("outputs") and any(
            o.get("output_type") == "execute_result"
            and re.search(r"^\[?<matplotlib|^Text\(|^\(-?[0-9.]+, -?[0-9.]+\)$", "".join(o.get("data", {}).get("text/plain", "")))
            for o in cell["outputs"]
        ):
            problems.append(f"{rel}: cell {i} displays a matplotlib object repr; end the cell with a statement")
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{rel}: cell {i} has an error output")
            text = json.dumps(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            if re.search(r"at 0x[0-9a-f]{6,}", text):
                problems.append(f"{rel}: cell {i} prints a memory address")
            if re.search(r"np\.float(64|32)\(|np\.int64\(", text):
                problems.append(f"{rel}: cell {i} prints a NumPy scalar repr")
            if "/work/" in text or "/home/" in text or "/root/" in text:
                problems.append(f"{rel}: cell {i} prints a path of this machine")
    if not counts:
        problems.append(f"{rel}: has no code cells")
    elif any(c is None for c in counts):
        problems.append(f"{rel}: has code cells that were never executed")
    elif counts != list(range(1, len(counts) + 1)):
        problems.append(f"{rel}: execution counts are not 1..{len(counts)} in order: re-execute it top to bottom")
    return problems


def lint() -> int:
    problems = [p for path in notebook_paths() for p in lint_notebook(path)]
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"{len(notebook_paths())} notebooks executed top to bottom, outputs clean")
    return 1 if problems else 0


# ------------------------------------------------------------------ build
def write_build_config(folder: Path, config: dict, *, execute: bool) -> Path:
    """``folder/_config.yml``: the book's configuration ``config`` for one build, with the
    notebooks' execution switched off unless ``execute`` (the HTML build and the PDF share it)."""
    import yaml

    if not execute:
        config["execute"]["execute_notebooks"] = "off"
    path = folder / "_config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def build(*, execute_notebooks: bool = True, builddir: Path | None = None) -> int:
    """Fresh, strict build of the book: no stale ``_build``, no execution cache.

    ``execute_notebooks=False`` renders the committed outputs instead of re-running the
    notebooks (what ``make test`` does right after nbval has proved those outputs are
    what the code produces). Warnings are errors (``-n -W --keep-going``).
    """
    import shutil
    import subprocess

    import yaml

    builddir = builddir or ROOT / "_build"
    shutil.rmtree(builddir, ignore_errors=True)
    builddir.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config_path = write_build_config(builddir, config, execute=execute_notebooks)
    mode = "executing every notebook" if execute_notebooks else "rendering the committed outputs"
    print(f"== building the book ({mode}); strict: -n -W --keep-going", flush=True)
    start = time.perf_counter()
    cmd = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(ROOT),
        "--path-output",
        str(builddir.parent if builddir.name == "_build" else builddir),
        "--config",
        str(config_path),
        "--all",
        "-n",
        "-W",
        "--keep-going",
    ]
    code = subprocess.call(cmd, cwd=ROOT)
    elapsed = time.perf_counter() - start
    index = builddir / "html" / "index.html"
    if code == 0 and index.exists():
        print(f"== book built in {elapsed:.0f} s: {index.relative_to(ROOT).as_posix()}", flush=True)
        return 0
    print(f"== book build FAILED after {elapsed:.0f} s (exit {code})", file=sys.stderr, flush=True)
    return code or 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesales.book", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("execute", help="execute notebooks in place")
    ex.add_argument("paths", nargs="*", type=Path, help="notebooks (default: all)")
    pg = sub.add_parser("pages", help="regenerate the pages fed by notebook outputs")
    pg.add_argument("--check", action="store_true", help="only check that they are up to date")
    sub.add_parser("lint", help="check every notebook is executed in order with clean outputs")
    bd = sub.add_parser("build", help="fresh strict build of the book")
    bd.add_argument("--no-execute", action="store_true", help="render committed outputs, do not re-run")
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(execute_notebooks=not args.no_execute)
    if args.command == "execute":
        execute(args.paths or notebook_paths())
        return 0
    if args.command == "pages":
        return pages(args.check)
    return lint()


if __name__ == "__main__":
    sys.exit(main())
