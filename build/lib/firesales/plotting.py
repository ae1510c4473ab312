"""One house style for the book's figures, and saving every figure with the data behind it.

``save_figure`` writes ``<output>/figures/<name>.pdf``, ``.png`` and ``.csv``;
``save_table`` writes ``<output>/tables/<name>.csv``. The output folder is
``$FIRESALES_OUTPUT`` if set, else ``output/`` at the top of the repository (the folder
holding ``_toc.yml``), else ``output/`` in the working directory. Files are written
deterministically (no timestamps in the PDF/PNG metadata), so re-running a notebook
rewrites identical bytes.

Both functions report what they wrote in two lines, relative to the output folder's
parent (never this machine's path)::

    Figure kurlat-fig1: output/figures/kurlat-fig1.{pdf,png,csv}
        caption: Kurlat Figure 1: ...

The book's reproducibility page is generated from those lines (``firesales.book.collect``).
In a notebook they are the ``text/plain`` form of a display output whose ``text/html``
form is a small folded ``<details>`` block, so the rendered book shows the saved files in
a fold instead of log lines (myst-nb renders ``text/html`` before ``text/plain``; nbval
compares both, and both are deterministic). Outside IPython they are printed.

Saving is the costliest shared step of a notebook, so :func:`save_figure` draws the figure
once with Agg for the PNG (cropped to the tight bounding box from that same draw) and once
with the PDF backend using that box, instead of letting ``savefig`` lay the figure out
again for each file (see ``_render``).
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib as mpl
import numpy as np

__all__ = ["PALETTE", "STYLE", "use_style", "output_dir", "save_figure", "save_table", "fmt"]

#: Colour-blind safe palette (Okabe & Ito), in the order series are drawn.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 10.5,
    "axes.titlesize": 11,
    "axes.labelsize": 10.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "legend.fontsize": 9.5,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "pdf.fonttype": 3,  # Type 3 subsets: half the save time of embedded TrueType (42)
    "svg.hashsalt": "firesales",
    "path.simplify": False,
}

_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


def use_style() -> None:
    """Apply the house style to matplotlib (call once at the top of a notebook)."""
    mpl.rcParams.update(STYLE)


def _repo_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / "_toc.yml").is_file() and (folder / "lib" / "firesales").is_dir():
            return folder
    return None


def output_dir() -> Path:
    """The folder that receives every figure and table (created on demand)."""
    env = os.environ.get("FIRESALES_OUTPUT")
    if env:
        path = Path(env)
    else:
        root = _repo_root(Path.cwd().resolve())
        path = (root if root is not None else Path.cwd()) / "output"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _display_path(path: Path) -> str:
    """Path as printed: relative to the output folder's parent, never this machine's path."""
    out = output_dir()
    return f"{out.name}/{path.relative_to(out).as_posix()}"


def fmt(x: float, digits: int = 6) -> str:
    """A float as fixed-digit text for printing and CSV (no NumPy scalar reprs)."""
    x = float(x)
    if math.isnan(x):
        raise ValueError("refusing to format NaN")
    return f"{x:.{digits}g}" if abs(x) >= 1e-4 or x == 0 else f"{x:.{digits}e}"


def _columns(data: Mapping[str, Sequence] | Sequence[Mapping[str, object]]) -> tuple[list[str], list[list]]:
    if isinstance(data, Mapping):
        names = list(data)
        cols = [np.atleast_1d(np.asarray(data[n])).tolist() for n in names]
        lengths = {len(c) for c in cols}
        if len(lengths) > 1:
            raise ValueError(
                "every column of the data must have the same length; stack series of different "
                f"grids in long format with a 'series' column (lengths {sorted(lengths)})"
            )
        rows = [list(r) for r in zip(*cols)] if cols else []
        return names, rows
    rows_in = list(data)
    if not rows_in:
        raise ValueError("data must not be empty")
    names = list(rows_in[0])
    return names, [[row[n] for n in names] for row in rows_in]


def _cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"refusing to write a non-finite number ({value!r}) to CSV")
        return repr(value)
    return str(value)


def _write_csv(path: Path, names: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_cell(v) for v in row])


def _prepare(name: str, data, caption: str, kind: str) -> tuple[str, list[str], list[list], Path]:
    """Validate a figure's or table's name, caption and data; return them with its folder."""
    if not _NAME.match(name):
        raise ValueError(f"figure/table name must be lower-case letters, digits, '-' or '_', got {name!r}")
    caption = " ".join(caption.split())
    if not caption:
        raise ValueError("caption must not be empty")
    names, rows = _columns(data)
    folder = output_dir() / kind
    folder.mkdir(parents=True, exist_ok=True)
    return caption, names, rows, folder


#: PNG compression (zlib level): 3 writes the house-style figures about twice as fast as
#: Pillow's default 6, for files about 10% larger.
PNG_COMPRESS_LEVEL = 3
_PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None}


def _in_ipython() -> bool:
    """True in a Jupyter kernel (where display outputs reach the notebook), as the ledger."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _report(kind: str, name: str, files: str, caption: str) -> None:
    """Say what was saved: a folded HTML note in a notebook, two printed lines elsewhere.

    The ``text/plain`` form is exactly what ``firesales.book.collect`` reads::

        Figure <name>: <files>
            caption: <caption>
    """
    text = f"{kind} {name}: {files}\n    caption: {caption}"
    if not _in_ipython():
        print(text)
        return
    from IPython.display import display

    e = html.escape
    note = (
        f'<details class="firesales-saved"><summary>{e(kind)} <code>{e(name)}</code>: '
        f"saved files</summary><p><code>{e(files)}</code></p><p>{e(caption)}</p></details>"
    )
    display({"text/plain": text, "text/html": note}, raw=True)


def _png_bytes(rgba: np.ndarray, dpi: float) -> bytes:
    """Encode an RGBA buffer as PNG, deterministically (no metadata but the resolution).

    An opaque image (every alpha 255, as the house style draws) is written as RGB: the
    same pixels, a smaller file.
    """
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    if bool((rgba[..., 3] == 255).all()):
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi))
    return out.getvalue()


def _render(fig, stem: Path) -> bytes:
    """Write ``stem.png`` and ``stem.pdf`` for ``fig``; return the PNG's bytes.

    ``savefig(bbox_inches="tight")`` lays the figure out (a draw without output) before
    each file it writes, then draws it: four passes for a PDF and a PNG. Here the figure is
    drawn once with Agg at the PNG's resolution, the tight box is read from that draw, the
    PNG is that drawing cropped to the box, and the PDF is drawn once inside the same box
    with the layout engine off (the layout is already done): two passes. A box reaching
    outside the figure (an artist placed beyond its edge) cannot be cropped from the
    drawing; the PNG is then written by ``savefig`` with the same box.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    dpi = mpl.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else float(dpi)
    pad = mpl.rcParams["savefig.pad_inches"]
    png_path, pdf_path = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    if not isinstance(fig.canvas, FigureCanvasAgg):  # e.g. a figure made for another backend
        fig.savefig(pdf_path, metadata=_PDF_METADATA, bbox_inches="tight")
        fig.savefig(png_path, metadata={"Software": None}, bbox_inches="tight", dpi=dpi,
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        return png_path.read_bytes()
    screen_dpi = fig.dpi
    fig.set_dpi(dpi)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        box = fig.get_tightbbox(renderer).padded(pad)  # inches
        rgba = np.asarray(fig.canvas.buffer_rgba())
    finally:
        fig.set_dpi(screen_dpi)
    height, width = rgba.shape[:2]
    x0, x1 = math.floor(box.x0 * dpi), math.ceil(box.x1 * dpi)
    y0, y1 = math.floor(box.y0 * dpi), math.ceil(box.y1 * dpi)  # from the bottom edge
    # Laid out by the draw above: with no layout engine left, savefig draws only once.
    # (``tight_layout()`` leaves a placeholder engine, which alone makes savefig lay the
    # figure out again; with these two settings off, ``None`` removes any engine.)
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
        png = _png_bytes(rgba[height - y1 : height - y0, x0:x1], dpi)
        png_path.write_bytes(png)
    else:
        fig.savefig(png_path, metadata={"Software": None}, bbox_inches=box, dpi=dpi,
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
        png = png_path.read_bytes()
    fig.savefig(pdf_path, metadata=_PDF_METADATA, bbox_inches=box)
    return png


def save_figure(
    fig, name: str, data, caption: str, *, show: bool = True, number: str | None = None, alt: str = ""
) -> None:
    """Save ``fig`` as PDF and PNG and its data as CSV; display it once and close it.

    ``name`` is the file stem and the figure's id (``"kurlat-fig1"``); ``data`` is a
    mapping of equal-length columns or a list of row dicts (long format for several
    series); ``caption`` is one sentence that the reproducibility page lists. In a
    notebook the saved PNG itself is displayed (whatever the matplotlib backend, so the
    reader sees exactly the file in ``output/``), followed by the folded note of what was
    saved (see :func:`_report`).

    ``number`` is the paper's own number when the figure reproduces a paper's figure
    (``"B1"`` shows as "Figure B1"); ``None`` for the book's own figures (numbered in the
    book's scheme). ``alt`` says in one sentence what the figure shows (the image's alt text).
    """
    caption, names, rows, folder = _prepare(name, data, caption, "figures")
    stem = folder / name
    _write_csv(stem.with_suffix(".csv"), names, rows)
    png = _render(fig, stem)
    if show and _in_ipython():
        from IPython.display import Image, display

        display(Image(data=png, format="png"))
    _report("Figure", name, f"{_display_path(stem)}.{{pdf,png,csv}}", caption)
    import matplotlib.pyplot as plt

    plt.close(fig)


def save_table(name: str, data, caption: str, *, digits: int = 6) -> str:
    """Write a table to ``<output>/tables/<name>.csv`` and return it as Markdown.

    Floats are written in full to the CSV and with ``digits`` significant digits in the
    returned Markdown (display it with ``IPython.display.Markdown``).
    """
    caption, names, rows, folder = _prepare(name, data, caption, "tables")
    path = folder / f"{name}.csv"
    _write_csv(path, names, rows)
    _report("Table", name, _display_path(path), caption)

    def show(v):
        text = fmt(v, digits) if isinstance(v, (float, np.floating)) else _cell(v)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(show(n) for n in names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(show(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
