"""The claims ledger: every replicated claim is checked, asserted and recorded in one format.

A notebook calls :func:`check` (or :func:`erratum`) for each proposition, lemma, equation
or figure it replicates. The call *asserts* the condition, so a broken claim fails the
notebook (and with it ``make book`` and ``make test``), and prints one block like::

    ✓ kurlat.prop3.case2 · verified · symbolic · Prop. 3, case 2
        claim: with w(θ*) = 0 the price falls in µ (a fire sale)
        check: dp*/dµ simplifies to -λ(1-λ)... < 0

The book's claims ledger and errata pages are generated from these blocks in the
executed notebooks (:func:`parse_records`); nobody types them by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

__all__ = ["METHODS", "STATUSES", "PAPERS", "Record", "check", "erratum", "parse_records"]

#: How a claim is checked.
METHODS = ("symbolic", "numeric", "exact", "monte carlo", "reconstruction")
#: What the check establishes. ``erratum``: the printed text is wrong or unreadable and the
#: check establishes what the model gives instead; ``not reproducible``: the check shows
#: why the claim cannot be reproduced from the material we have.
STATUSES = ("verified", "reconstructed", "erratum", "not reproducible")
#: Claim-id prefixes and the paper (or chapter) they belong to.
PAPERS = {
    "kurlat": "Kurlat",
    "cheng_robatto": "Cheng & Robatto",
    "eisenbach_phelan": "Eisenbach & Phelan",
    "fernando": "Fernando",
    "synthesis": "Synthesis",
}

MARK = "✓"
_ID = re.compile(r"^[a-z_]+(\.[A-Za-z0-9_\-]+)+$")
_HEAD = re.compile(r"^✓ (?P<id>\S+) · (?P<status>[a-z ]+) · (?P<method>[a-z ]+) · (?P<place>.+)$")
_FIELD = re.compile(r"^    (?P<key>claim|check|printed|derived): (?P<value>.*)$")


@dataclass
class Record:
    """One checked claim, as printed by :func:`check` and read back by :func:`parse_records`."""

    id: str
    status: str
    method: str
    place: str
    claim: str
    check: str = ""
    printed: str = ""
    derived: str = ""
    extra: dict = field(default_factory=dict)  # filled by the collector: notebook, section

    @property
    def paper(self) -> str:
        return PAPERS[self.id.split(".", 1)[0]]

    def render(self) -> str:
        lines = [f"{MARK} {self.id} · {self.status} · {self.method} · {self.place}", f"    claim: {self.claim}"]
        for key in ("check", "printed", "derived"):
            value = getattr(self, key)
            if value:
                lines.append(f"    {key}: {value}")
        return "\n".join(lines)


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


def _clean(name: str, text: str) -> str:
    text = " ".join(str(text).split())
    if not text:
        raise ValueError(f"{name} must not be empty")
    return text


def _validate(claim_id: str, status: str, method: str, place: str) -> None:
    if not _ID.match(claim_id) or claim_id.split(".", 1)[0] not in PAPERS:
        raise ValueError(
            f"claim id {claim_id!r} must look like '<paper>.<name>' with <paper> in {sorted(PAPERS)}"
        )
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if " · " in place:
        raise ValueError("place must not contain ' · '")


def check(
    claim_id: str,
    condition,
    *,
    place: str,
    claim: str,
    method: str,
    detail: str = "",
    status: str | None = None,
) -> Record:
    """Assert ``condition`` for a claim and print its ledger line.

    Parameters
    ----------
    claim_id : ``"<paper>.<name>"``, e.g. ``"kurlat.prop3.case2"``; unique across the book.
    condition : a decided boolean; ``False`` raises ``AssertionError`` naming the claim.
    place : where the claim is in the paper (``"Prop. 3, case 2"``, ``"eq. (29)"``, ``"Fig. 1"``).
    claim : the claim in one sentence, as the notebook establishes it.
    method : one of :data:`METHODS`.
    detail : what was computed (residual, tolerance, the simplified expression), formatted
        deterministically (fixed-digit floats).
    status : one of :data:`STATUSES`; defaults to ``"reconstructed"`` when ``method`` is
        ``"reconstruction"`` and ``"verified"`` otherwise.
    """
    if status is None:
        status = "reconstructed" if method == "reconstruction" else "verified"
    place = _clean("place", place)
    _validate(claim_id, status, method, place)
    record = Record(claim_id, status, method, place, _clean("claim", claim), " ".join(str(detail).split()))
    if not _as_bool(condition):
        raise AssertionError(f"claim {claim_id} ({place}) failed: {record.claim}. {record.check}".strip())
    print(record.render())
    return record


def erratum(
    claim_id: str,
    condition,
    *,
    place: str,
    printed: str,
    derived: str,
    claim: str,
    method: str = "symbolic",
    detail: str = "",
) -> Record:
    """Record a defect of the printed text: what it shows and what the derivation gives.

    ``condition`` must establish the derived statement (for instance that the printed
    expression differs from the derived one while the derived one satisfies the model's
    first-order condition); it is asserted like :func:`check`. The record goes to both
    the claims ledger and the errata page.
    """
    place = _clean("place", place)
    _validate(claim_id, "erratum", method, place)
    record = Record(
        claim_id,
        "erratum",
        method,
        place,
        _clean("claim", claim),
        " ".join(str(detail).split()),
        _clean("printed", printed),
        _clean("derived", derived),
    )
    if not _as_bool(condition):
        raise AssertionError(f"erratum {claim_id} ({place}) failed: {record.claim}. {record.check}".strip())
    print(record.render())
    return record


def parse_records(text: str) -> list[Record]:
    """Read every ledger block out of a notebook cell's printed text."""
    records: list[Record] = []
    current: Record | None = None
    for line in text.splitlines():
        head = _HEAD.match(line)
        if head:
            current = Record(head["id"], head["status"], head["method"], head["place"], "")
            records.append(current)
            continue
        field_match = _FIELD.match(line)
        if field_match and current is not None:
            setattr(current, field_match["key"], field_match["value"])
            continue
        current = None
    return records
