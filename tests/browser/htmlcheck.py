"""Checks of the built book's HTML that need no browser (BeautifulSoup on the files).

- :func:`record_problems`: every claim record the notebooks recorded appears on the ledger
  page, on the errata page (if it is an erratum, illegible, conflict or not reproducible)
  and on its chapter's page, and each field reads exactly as recorded: plain text as
  typed, ``$...$`` as math (the TeX inside Sphinx's math span), backticks as code.
- :func:`numbering_problems`: one numbering, the papers'. A target ``<paper>-eq<n>`` sits
  on a displayed equation tagged ``\\tag{n}``; no displayed equation carries a Sphinx
  number; every link to such a target shows "(n)"; no proof box shows a number of its own
  (sphinx-proof's ``caption-number``: "Proposition 1.3").
- :func:`figure_problems`: every figure has a number ("Figure B1" or "Book figure 2") and a
  caption under the image, alt text that describes (not a file name), and download links to
  its PDF and CSV that exist in the build.
- :func:`maker_problems`: no page speaks of how the book was made.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

PAPER_PREFIXES = ("kurlat", "cheng_robatto", "eisenbach_phelan", "fernando")


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


def article(page: BeautifulSoup) -> Tag:
    return page.select_one("article.bd-article") or page.select_one("[role=main]") or page.body


# ------------------------------------------------------------------ record text
def canonical(text: str) -> str:
    """Record text with its marks normalised (math stripped inside), whitespace collapsed."""
    from firesales.ledger import segments

    out = []
    for kind, content in segments(" ".join(text.split())):
        out.append({"text": content, "math": f"${content.strip()}$", "code": f"`{content}`"}[kind])
    return " ".join("".join(out).split())


def shown(node: Tag, *, skip_label: bool = False) -> str:
    """What an element shows, as record text: math spans as ``$TeX$``, code as backticks."""
    parts: list[str] = []

    label = (node.find("strong") or node.find("b")) if skip_label else None

    def walk_from(el) -> None:
        for child in el.children:
            if child is label:
                continue
            walk_one(child)

    def walk_one(child) -> None:
        if isinstance(child, NavigableString):
            parts.append(str(child))
        elif isinstance(child, Tag):
            if child.name == "span" and "math" in (child.get("class") or []):
                tex = re.sub(r"^\\\(|\\\)$", "", child.get_text().strip())
                parts.append(f"${tex.strip()}$")
            elif child.name == "code":
                parts.append(f"`{child.get_text()}`")
            else:
                walk_from(child)

    walk_from(node)
    return " ".join("".join(parts).split())


def _page_fields(container: Tag, labels: dict[str, str]) -> dict[str, str]:
    by_label = {f"{v}.": k for k, v in labels.items()}
    fields = {}
    for p in container.find_all("p", recursive=False):
        strong = p.find("strong")
        if strong is None or strong.get_text() not in by_label or p.contents[0] is not strong:
            continue
        key = by_label[strong.get_text()]
        fields[key] = shown(p, skip_label=True)
    return fields


def record_problems(html: Path, records) -> list[str]:
    """Compare every record's fields on the ledger, errata and chapter pages with the record."""
    from firesales import book
    from firesales.ledger import anchor

    problems: list[str] = []
    errata_kinds = {status for status, *_ in book.ERRATA_PARTS}

    def by_anchor(page: BeautifulSoup) -> dict[str, Tag]:
        boxes = {}
        for box in page.select("div.fs-record"):
            for cls in box.get("class", []):
                if cls.startswith("fs-claim-"):
                    boxes[cls[len("fs-"):]] = box
        return boxes

    claims = by_anchor(soup(html / "book" / "claims.html"))
    errata = by_anchor(soup(html / "book" / "errata.html"))
    chapters: dict[str, dict[str, Tag]] = {}
    for r in records:
        want = {k: canonical(v) for k, v in book.record_fields(r).items()}
        labels = book.field_labels(r.status)
        places = [("claims page", claims)] + ([("errata page", errata)] if r.status in errata_kinds else [])
        for where, boxes in places:
            box = boxes.get(anchor(r.id))
            if box is None:
                problems.append(f"{r.id}: no record on the {where}")
                continue
            got = _page_fields(box, labels)
            for key, value in want.items():
                if got.get(key) != value:
                    problems.append(f"{r.id} on the {where}, {key}: shows {got.get(key)!r}, recorded {value!r}")
            if where == "claims page":
                head = box.find("p")
                place = shown(head).split(" · ", 2)[-1] if head else ""
                if place != canonical(r.place):
                    problems.append(f"{r.id} on the claims page, place: shows {place!r}, recorded {canonical(r.place)!r}")
        rel = str(Path(r.extra["notebook"]).with_suffix(".html"))
        if rel not in chapters:
            chapters[rel] = {b["data-claim"]: b for b in soup(html / rel).select("div.fs-record[data-claim]")}
        block = chapters[rel].get(r.id)
        if block is None:
            problems.append(f"{r.id}: no record block on {rel} (re-execute the notebook with the current ledger)")
            continue
        fields = {span["data-field"]: span for span in block.select("span.fs-field[data-field]")}
        place = fields.get("place")
        if place is None or shown(place) != canonical(r.place):
            problems.append(f"{r.id} on {rel}, place: shows {place and shown(place)!r}, recorded {canonical(r.place)!r}")
        for key, value in want.items():
            got = shown(fields[key]) if key in fields else None
            if got != value:
                problems.append(f"{r.id} on {rel}, {key}: shows {got!r}, recorded {value!r}")
    return problems


# ------------------------------------------------------------------ numbering
_EQ_TARGET = re.compile(r"^(?P<paper>[a-z_]+)-eq(?P<n>[A-Za-z]?[0-9]+[a-z]?)$")
_TAG = re.compile(r"\\tag\*?\{([^}]*)\}")


def _next_math(el: Tag) -> Tag | None:
    """The displayed equation a target labels: the element itself, or the next div.math."""
    if el.name == "div" and "math" in (el.get("class") or []):
        return el
    inner = el.find("div", class_="math")
    if inner is not None:
        return inner
    nxt = el.find_next("div", class_="math")
    return nxt


def numbering_problems(page: BeautifulSoup, rel: str) -> list[str]:
    problems = []
    body = article(page)
    for eqno in body.select("span.eqno"):
        math = eqno.find_parent("div", class_="math")
        tex = math.get_text(" ", strip=True)[:80] if math else ""
        problems.append(f"{rel}: a displayed equation carries the book's number {eqno.get_text(strip=True)!r}: {tex!r}")
    targets = {}
    for el in body.find_all(id=_EQ_TARGET):
        m = _EQ_TARGET.match(el["id"])
        if m["paper"] not in PAPER_PREFIXES:
            continue
        targets[el["id"]] = m["n"]
        math = _next_math(el)
        tags = _TAG.findall(math.get_text()) if math is not None else []
        if m["n"] not in tags:
            problems.append(f"{rel}: equation target {el['id']} does not show the paper's number ({m['n']}) "
                            f"(tags found: {tags})")
    for a in body.find_all("a", href=True):
        frag = a["href"].split("#", 1)[1] if "#" in a["href"] else ""
        m = _EQ_TARGET.match(frag)
        if m and m["paper"] in PAPER_PREFIXES and f"({m['n']})" not in a.get_text():
            problems.append(f"{rel}: link to {frag} reads {a.get_text(strip=True)!r}, not ({m['n']})")
    for box in body.select("div.proof, div.admonition"):
        title = box.select_one(".admonition-title")
        number = title.select_one("span.caption-number") if title is not None else None
        # sphinx-proof writes the box's kind there ("Lemma "); with a number of its own it
        # writes "Lemma 1.3 ": the paper's number belongs in the title, after it
        if number is not None and re.search(r"\d", number.get_text()):
            problems.append(f"{rel}: the box {title.get_text(' ', strip=True)!r} shows a number of its own; "
                            "use :nonumber: and the paper's number in the title")
    return problems


# ------------------------------------------------------------------ figures
_NUMBERED = re.compile(r"^(Figure [A-Z]?[0-9]+[a-z]?|Book figure [0-9]+)\.\s+\S")
_FILE_LIKE = re.compile(r"^[\w\-./]+\.(png|pdf|svg|jpe?g)$|^[0-9a-f]{16,}", re.I)


def figure_problems(page: BeautifulSoup, rel: str, html: Path) -> list[str]:
    problems = []
    body = article(page)
    base = (html / rel).parent
    for img in body.find_all("img"):
        if img.find_parent(class_="sd-card") is not None:
            continue
        fig = img.find_parent("figure")
        src = img.get("src", "")
        alt = (img.get("alt") or "").strip()
        if fig is None:
            problems.append(f"{rel}: image {src[:60]} is not a numbered figure with a caption")
            continue
        cap = fig.find("figcaption")
        text = " ".join(cap.get_text(" ").split()) if cap else ""
        if not _NUMBERED.match(text):
            problems.append(f"{rel}: figure {src[:60]} has no number and caption under it (caption: {text[:60]!r})")
        if len(alt.split()) < 4 or _FILE_LIKE.match(alt) or alt.lower() == Path(src).name.lower():
            problems.append(f"{rel}: figure {src[:60]} has no descriptive alt text ({alt[:60]!r})")
        links = [a["href"] for a in (cap.find_all("a", href=True) if cap else [])]
        for kind in (".pdf", ".csv"):
            found = [h for h in links if h.split("#")[0].endswith(kind)]
            if not found:
                problems.append(f"{rel}: figure {src[:60]} has no {kind[1:].upper()} download link")
            for h in found:
                if not (base / h).resolve().is_file():
                    problems.append(f"{rel}: figure {src[:60]} links {h}, missing from the build")
    return problems


# ------------------------------------------------------------------ reader's text
MAKERS_WORDS = re.compile(
    r"\baudit(?:s|ed|'s)?\b|\bissue\s*#?\s*\d+|\breferee(?:s|'s)?\b|\bprevious version\b|\bearlier version\b"
    r"|\bthe book's earlier\b|\b(?:first|second|third) pass\b|\bthis pass\b"
    r"|\bthe (?:earlier|previous|old) (?:text|chapter|page|version)\b"
    r"|\bpreviously (?:said|claimed|stated)\b|\bnow fixed\b|\bwe fixed\b",
    re.I,
)


def maker_problems(page: BeautifulSoup, rel: str) -> list[str]:
    body = article(page)
    for el in body.select("script, style, div.highlight, pre"):
        el.decompose()
    text = " ".join(body.get_text(" ").split())
    return [f"{rel}: says {text[max(0, m.start() - 40):m.end() + 40]!r}" for m in MAKERS_WORDS.finditer(text)]
