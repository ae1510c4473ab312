"""The claims ledger: every claim is checked, asserted and recorded in one format.

A notebook calls :func:`check` for each statement it examines: a proposition, lemma,
equation or figure of a paper, or a result of the book's own. The call *asserts* the
condition, so a broken claim fails the notebook (and with it ``make book`` and
``make test``), and shows one record. Its text form reads::

    ✓ kurlat.prop3.case2 · verified · symbolic · Prop. 3, case 2
        claim: with w(θ*) = 0 the price falls in µ (a fire sale)
        check: dp*/dµ derived from (18)-(19) simplifies to -λ(1-λ)... < 0

In a notebook the record is displayed as a small styled block (HTML) linking to its entry
on the ledger page; its ``text/plain`` form above is what nbval compares and what the
book's claims ledger and errata pages are generated from (:func:`parse_records`).

The *status* says whose statement it is and what the check established (:data:`STATUSES`).
``verified`` is reserved for a statement the paper prints, confirmed by a check that is
independent of the statement and would fail if it were false.

Report mode: with ``FIRESALES_LEDGER=report`` in the environment a failed claim does not
raise; it shows a ``✗`` record and the notebook goes on. ``make rerun`` uses it to report
which claims hold at a reader's own parameters.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "METHODS",
    "STATUSES",
    "STATUS_MEANING",
    "PAPER_STATUSES",
    "PAPERS",
    "Record",
    "anchor",
    "check",
    "parse_records",
    "report_mode",
    "segments",
    "to_html",
    "to_markdown",
]

#: How a claim is checked.
METHODS = ("symbolic", "exact", "numeric", "quadrature", "optimisation", "monte carlo")

#: What the check establishes, and whose statement it is.
STATUS_MEANING = {
    "verified": "a statement the paper prints, confirmed by a check independent of it (derived from the "
    "model's primitives, a direct optimisation of each agent's problem, quadrature, simulation or exact "
    "arithmetic) that would fail if the statement were false",
    "extension": "the book's own result beyond the paper (a worked example, a general formula, a new "
    "figure, a sweep, a robustness check); never counted among the paper's claims",
    "reconstructed": "a statement of the paper that holds in a model the book rebuilt because the text "
    "lacks it",
    "conflict": "a statement of the paper that the book's reconstruction does not satisfy, shown with the "
    "numbers",
    "illegible": "our copy of the text is garbled; the record shows the legible fragments, the reading the "
    "book derives and the evidence that the two fit; not the authors' error",
    "erratum": "a statement of the paper that is false under the paper's own assumptions; the record "
    "carries the derivation or the counterexample",
    "not reproducible": "a statement of the paper that cannot be reproduced from what we have, and why",
}
STATUSES = tuple(STATUS_MEANING)
#: Statuses that speak about a statement of the paper (everything but ``extension``).
PAPER_STATUSES = tuple(s for s in STATUSES if s != "extension")

#: Claim-id prefixes and the paper (or chapter) they belong to.
PAPERS = {
    "kurlat": "Kurlat",
    "cheng_robatto": "Cheng & Robatto",
    "eisenbach_phelan": "Eisenbach & Phelan",
    "fernando": "Fernando",
    "synthesis": "Synthesis",
}
#: Chapters that state no paper's claim: nothing in them can be ``verified``.
BOOK_ONLY = ("synthesis",)

MARK, FAIL_MARK, NA_MARK = "✓", "✗", "–"
TIED = "the paper's printed numbers"
_ID = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_\-]+)+$")
_HEAD = re.compile(
    r"^(?P<mark>[✓✗–]) (?P<id>\S+) · (?P<status>[a-z ]+) · (?P<method>[a-z ]+) · (?P<place>.+)$"
)
_FIELD = re.compile(r"^    (?P<key>claim|check|printed|derived|consequence of|tied to|failed|not applicable): (?P<value>.*)$")
_COLOURS = {
    "verified": "#1b7f3b",
    "extension": "#1f5fa8",
    "reconstructed": "#6b4fa8",
    "conflict": "#c0392b",
    "illegible": "#8a6d1f",
    "erratum": "#c0392b",
    "not reproducible": "#666666",
}


# ------------------------------------------------------------------ record text
#: A record's text is plain text with two marks: ``$...$`` is LaTeX (typeset on every page)
#: and backticks mark a verbatim fragment of our copy of a paper (code font, as typed).
#: Whichever mark opens first wins; an unmatched ``$`` or backtick is plain text.
_MARKS = re.compile(r"\$(?P<math>[^$\n]+?)\$|`(?P<code>[^`\n]+)`")


def segments(text: str) -> list[tuple[str, str]]:
    """Split record text into ``("text" | "math" | "code", content)`` pieces, in order.

    ``"math"`` holds the LaTeX between the dollars, ``"code"`` the fragment between the
    backticks; everything else is ``"text"``, to be shown exactly as typed.
    """
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _MARKS.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos : m.start()]))
        out.append(("math", m["math"]) if m["math"] is not None else ("code", m["code"]))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


def plain(text: str) -> str:
    """Record text with its marks removed (math as its LaTeX, fragments as typed): alt text."""
    return "".join(content for _, content in segments(text))


#: The characters that can start inline markup in MyST (emphasis, code, math, links, images,
#: roles, substitutions, raw HTML, entities, table cells, escapes); a record's text never
#: stands at the start of a line on a page, so line-start syntax (headings, lists, targets,
#: fences) cannot apply to it.
_MD_PUNCT = re.compile(r"([\\`*_\[\]<>{}$|&!~])")


def _md_text(text: str) -> str:
    return _MD_PUNCT.sub(r"\\\1", text)


def to_markdown(text: str) -> str:
    """Record text as MyST Markdown that shows it unaltered.

    In plain text every character that can open inline markup is backslash-escaped
    (CommonMark), so no ``*``, ``_``, ``[``, ``<``, ``{``, ``|``, ``&``, ``$`` or backtick can
    become emphasis, a link, a role, HTML, an entity, a table cell or math; math becomes MyST
    inline math and a fragment inline code. Callers place the result after other text on a
    line (never at a line's start, where ``#``, ``-`` or ``1.`` would start a block).
    """
    out = []
    for kind, content in segments(text):
        if kind == "text":
            out.append(_md_text(content))
        elif kind == "math":
            out.append(f"${content.strip()}$")
        else:
            fence = "``" if "`" in content else "`"
            pad = " " if content.startswith(("`", " ")) or content.endswith(("`", " ")) else ""
            out.append(f"{fence}{pad}{content}{pad}{fence}")
    return "".join(out)


def to_html(text: str) -> str:
    """Record text as HTML: math in Sphinx's inline-math span (MathJax typesets it, in the
    book and in Jupyter), fragments in ``<code>``, everything else escaped."""
    out = []
    for kind, content in segments(text):
        if kind == "text":
            out.append(html.escape(content, quote=False))
        elif kind == "math":
            out.append(f'<span class="math notranslate nohighlight">\\({html.escape(content.strip(), quote=False)}\\)</span>')
        else:
            out.append(f'<code class="docutils literal notranslate">{html.escape(content, quote=False)}</code>')
    return "".join(out)


def anchor(claim_id: str) -> str:
    """The label of a claim's entry on the ledger page: ``claim-`` + the id, hyphenated."""
    return "claim-" + re.sub(r"[^a-z0-9]", "-", claim_id.lower())


def report_mode() -> bool:
    """True when failed claims are reported instead of raised (``FIRESALES_LEDGER=report``)."""
    return os.environ.get("FIRESALES_LEDGER", "").strip().lower() == "report"


@dataclass
class Record:
    """One checked claim, as shown by :func:`check` and read back by :func:`parse_records`."""

    id: str
    status: str
    method: str
    place: str
    claim: str
    check: str = ""
    printed: str = ""
    derived: str = ""
    paper_numbers: bool = False
    passed: bool = True
    failed: str = ""  # report mode: why the condition did not hold
    not_applicable: str = ""  # why the paper's condition for the claim fails at these parameters
    consequence_of: str = ""  # an erratum that follows from another one: the root erratum's id
    extra: dict = field(default_factory=dict)  # filled by the collector: notebook, section

    @property
    def paper(self) -> str:
        return PAPERS[self.id.split(".", 1)[0]]

    def render(self) -> str:
        """The text form (what nbval compares and the page generator reads)."""
        mark = NA_MARK if self.not_applicable else (MARK if self.passed else FAIL_MARK)
        lines = [f"{mark} {self.id} · {self.status} · {self.method} · {self.place}", f"    claim: {self.claim}"]
        for key in ("check", "printed", "derived"):
            value = getattr(self, key)
            if value:
                lines.append(f"    {key}: {value}")
        if self.consequence_of:
            lines.append(f"    consequence of: {self.consequence_of}")
        if self.paper_numbers:
            lines.append(f"    tied to: {TIED}")
        if self.not_applicable:
            lines.append(f"    not applicable: {self.not_applicable}")
        if not self.passed:
            lines.append(f"    failed: {self.failed or 'the condition is false'}")
        return "\n".join(lines)

    def render_html(self) -> str:
        """A compact block that wraps, linking to the claim's entry on the ledger page.

        Every field is record text (:func:`to_html`): math typeset, fragments verbatim,
        the rest escaped. The ``fs-record`` classes carry the colours (light and dark
        mode, ``book/_static/firesales.css``); the inline style is the fallback elsewhere.
        """
        e = html.escape
        colour = _COLOURS[self.status] if self.passed else "#c0392b"
        mark = NA_MARK if self.not_applicable else (MARK if self.passed else FAIL_MARK)
        state = "na" if self.not_applicable else ("pass" if self.passed else "fail")
        slug = self.status.replace(" ", "-")
        head = (
            f'<span class="fs-mark">{mark}</span> '
            f'<a class="fs-id" href="../book/claims.html#{anchor(self.id)}"><code>{e(self.id)}</code></a> '
            f'<span class="fs-status">{e(self.status)}</span>'
            f' · <span class="fs-method">{e(self.method)}</span>'
            f' · <span class="fs-field" data-field="place">{to_html(self.place)}</span>'
        )
        rows = [head]
        for key, label in FIELD_LABELS:
            value = self.not_applicable if key == "not_applicable" else getattr(self, key, "")
            if key == "failed":
                value = "" if self.passed else (self.failed or "the condition is false")
            if value:
                rows.append(f'<b>{e(label)}.</b> <span class="fs-field" data-field="{key}">{to_html(value)}</span>')
            if key == "derived" and self.consequence_of:
                rows.append(
                    f'<b>Consequence of.</b> <a class="fs-root" href="../book/claims.html#{anchor(self.consequence_of)}">'
                    f"<code>{e(self.consequence_of)}</code></a> (one error of the paper, recorded once)"
                )
            if key == "derived" and self.paper_numbers:
                rows.append(f"<i>Tied to {e(TIED)}.</i>")
        style = (
            f"border-left:3px solid {colour};padding:0.15em 0.6em;margin:0.25em 0;"
            "font-size:0.86em;line-height:1.35;white-space:normal;overflow-wrap:anywhere"
        )
        return (
            f'<div class="ledger-record fs-record fs-{slug} fs-{state}" data-claim="{e(self.id)}" style="{style}">'
            + "<br>".join(rows)
            + "</div>"
        )


#: The fields of a record shown below its head line, with their labels in the notebooks.
FIELD_LABELS = (
    ("claim", "Claim"),
    ("check", "Check"),
    ("printed", "Printed"),
    ("derived", "Derived"),
    ("not_applicable", "Not applicable here"),
    ("failed", "Failed"),
)


def _as_bool(condition) -> bool:
    if isinstance(condition, (bool, np.bool_)):
        return bool(condition)
    # sympy's BooleanTrue/BooleanFalse are decided; an undecided relational is not.
    try:
        import sympy

        if condition is sympy.true or condition is sympy.false:
            return bool(condition)
    except ImportError:  # pragma: no cover
        pass
    raise TypeError(
        f"ledger.check needs a decided condition (bool, numpy bool, sympy.true/false), "
        f"got {type(condition).__name__}: {condition!r}"
    )


def _clean(text) -> str:
    return " ".join(str(text).split())


def _validate(record: Record) -> None:
    prefix = record.id.split(".", 1)[0]
    if not _ID.match(record.id) or prefix not in PAPERS:
        raise ValueError(
            f"claim id {record.id!r} must look like '<paper>.<name>' with <paper> in {sorted(PAPERS)}"
        )
    if record.status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {record.status!r}")
    if record.method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {record.method!r}")
    for name in ("place", "claim", "check"):
        if not getattr(record, name):
            what = "detail" if name == "check" else name
            raise ValueError(f"{record.id}: {what} must not be empty (say what was compared)")
    if " · " in record.place:
        raise ValueError("place must not contain ' · '")
    if record.status == "verified" and prefix in BOOK_ONLY:
        raise ValueError(
            f"{record.id}: the {PAPERS[prefix]} chapter states no paper's claim, so nothing in it can be "
            "'verified' (use 'extension')"
        )
    if record.status in ("erratum", "illegible"):
        illegible = record.status == "illegible"
        needs = {
            "printed": "the legible fragments of our copy" if illegible else "the statement as printed",
            "derived": "the reading the book derives" if illegible else "what holds instead",
        }
        for name, meaning in needs.items():
            if not getattr(record, name):
                raise ValueError(f"{record.id}: a {record.status!r} record needs {name!r} ({meaning})")
    if record.consequence_of and (record.status != "erratum" or not _ID.match(record.consequence_of)
                                  or record.consequence_of == record.id):
        raise ValueError(f"{record.id}: consequence_of names the root erratum's id, and only an erratum has one")
    if record.status in ("conflict", "erratum") and not re.search(r"\d", record.check):
        raise ValueError(
            f"{record.id}: a {record.status!r} record must show its numbers (the derivation or the "
            "counterexample) in detail"
        )


def _show(record: Record) -> None:
    """Display the record: HTML + text in a kernel, the text alone elsewhere."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        shell = None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display({"text/plain": record.render(), "text/html": record.render_html()}, raw=True)
    else:
        print(record.render())


def check(
    claim_id: str,
    condition,
    *,
    status: str,
    place: str,
    claim: str,
    method: str,
    detail: str = "",
    printed: str = "",
    derived: str = "",
    paper_numbers: bool = False,
    applies: bool = True,
    why_not: str = "",
    consequence_of: str = "",
) -> Record:
    """Assert ``condition`` for a claim and show its ledger record.

    Parameters
    ----------
    claim_id : ``"<paper>.<name>"``, e.g. ``"kurlat.prop3.case2"``; unique across the book.
    condition : a decided boolean; ``False`` raises ``AssertionError`` naming the claim
        (in report mode it shows a ``✗`` record instead).
    status : one of :data:`STATUSES` (see :data:`STATUS_MEANING`). ``conflict`` and
        ``erratum`` records assert the failure of the paper's statement and show the
        numbers in ``detail``; ``illegible`` and ``erratum`` records need ``printed`` and
        ``derived``; the synthesis chapter cannot record ``verified``.
    place : where the statement is in the paper (``"Prop. 3, case 2"``, ``"eq. (29)"``).
    claim : the claim in one sentence, as the notebook establishes it.
    method : one of :data:`METHODS`.
    detail : what was computed and compared (residual, tolerance, the two independently
        obtained quantities), formatted deterministically (fixed-digit floats).
    printed : the statement as the paper prints it, or for ``illegible`` the legible
        fragments of our copy.
    derived : what the book derives (the correct statement, or the reading of the fragments).
    paper_numbers : the check compares with numbers the paper prints at its own
        parameters, so a re-run at other parameters is expected to fail it.
    applies, why_not : where the paper's claim holds only under a condition (derived from
        the parameters the notebook runs at), ``applies=False`` records "not applicable
        here" with ``why_not`` (required then) and does not assert ``condition``.
    consequence_of : for an ``erratum`` that follows from another author error already in the
        ledger, the root erratum's id: one error, one erratum; its consequences link to it
        and are counted apart.
    """
    record = Record(
        claim_id,
        status,
        method,
        _clean(place),
        _clean(claim),
        _clean(detail),
        _clean(printed),
        _clean(derived),
        bool(paper_numbers),
        consequence_of=_clean(consequence_of),
    )
    _validate(record)
    if not _as_bool(applies):
        if not _clean(why_not):
            raise ValueError(f"{claim_id}: applies=False needs why_not (the condition that fails here)")
        record.not_applicable = _clean(why_not)
        _show(record)
        return record
    if not _as_bool(condition):
        message = f"claim {claim_id} ({record.place}) failed: {record.claim} {record.check}".strip()
        if not report_mode():
            raise AssertionError(message)
        record.passed, record.failed = False, "the condition is false at these parameters"
    _show(record)
    return record


def parse_records(text: str) -> list[Record]:
    """Read every ledger record (``✓`` or ``✗``) out of a cell's text output."""
    records: list[Record] = []
    current: Record | None = None
    for line in text.splitlines():
        head = _HEAD.match(line)
        if head:
            current = Record(head["id"], head["status"], head["method"], head["place"], "")
            current.passed = head["mark"] != FAIL_MARK
            records.append(current)
            continue
        field_match = _FIELD.match(line)
        if field_match and current is not None:
            key, value = field_match["key"], field_match["value"]
            if key == "tied to":
                current.paper_numbers = True
            elif key == "not applicable":
                current.not_applicable = value
            elif key == "consequence of":
                current.consequence_of = value
            else:
                setattr(current, key, value)
            continue
        current = None
    return records
