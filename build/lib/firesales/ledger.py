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
_FIELD = re.compile(r"^    (?P<key>claim|check|printed|derived|tied to|failed|not applicable): (?P<value>.*)$")
_COLOURS = {
    "verified": "#1b7f3b",
    "extension": "#1f5fa8",
    "reconstructed": "#6b4fa8",
    "conflict": "#c0392b",
    "illegible": "#8a6d1f",
    "erratum": "#c0392b",
    "not reproducible": "#666666",
}


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
        if self.paper_numbers:
            lines.append(f"    tied to: {TIED}")
        if self.not_applicable:
            lines.append(f"    not applicable: {self.not_applicable}")
        if not self.passed:
            lines.append(f"    failed: {self.failed or 'the condition is false'}")
        return "\n".join(lines)

    def render_html(self) -> str:
        """A compact block that wraps, linking to the claim's entry on the ledger page."""
        e = html.escape
        colour = _COLOURS[self.status] if self.passed else "#c0392b"
        mark = NA_MARK if self.not_applicable else (MARK if self.passed else FAIL_MARK)
        head = (
            f'<span style="color:{colour};font-weight:bold">{mark}</span> '
            f'<a href="../book/claims.html#{anchor(self.id)}"><code>{e(self.id)}</code></a> '
            f'<span style="color:{colour};font-weight:bold">{e(self.status)}</span>'
            f" · {e(self.method)} · {e(self.place)}"
        )
        rows = [head, f"<b>Claim.</b> {e(self.claim)}"]
        labels = {"check": "Check", "printed": "Printed", "derived": "Derived"}
        rows += [f"<b>{labels[k]}.</b> {e(getattr(self, k))}" for k in labels if getattr(self, k)]
        if self.paper_numbers:
            rows.append(f"<i>Tied to {e(TIED)}.</i>")
        if self.not_applicable:
            rows.append(f"<b>Not applicable here.</b> {e(self.not_applicable)}")
        if not self.passed:
            rows.append(f'<b style="color:#c0392b">Failed.</b> {e(self.failed or "the condition is false")}')
        style = (
            f"border-left:3px solid {colour};padding:0.15em 0.6em;margin:0.25em 0;"
            "font-size:0.86em;line-height:1.35;white-space:normal;overflow-wrap:anywhere"
        )
        return f'<div class="ledger-record" style="{style}">' + "<br>".join(rows) + "</div>"


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
            else:
                setattr(current, key, value)
            continue
        current = None
    return records
