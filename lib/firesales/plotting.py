"""One house style for the book's figures, and saving every figure with the data behind it.

``save_figure`` writes ``<output>/figures/<name>.pdf``, ``.png`` and ``.csv``;
``save_table`` writes ``<output>/tables/<name>.csv``. The output folder is
``$FIRESALES_OUTPUT`` if set, else ``output/`` at the top of the repository (the folder
holding ``_toc.yml``), else ``output/`` in the working directory. Files are written
deterministically (no timestamps in the PDF/PNG metadata), so re-running a notebook
rewrites identical bytes.

Both functions print one line that names what was written, relative to the output
folder's parent; the book's reproducibility page is generated from those lines.
"""

from __future__ import annotations

import csv
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


def save_figure(fig, name: str, data, caption: str, *, show: bool = True) -> None:
    """Save ``fig`` as PDF and PNG and its data as CSV; display it once and close it.

    ``name`` is the file stem and the figure's id (``"kurlat-fig1"``); ``data`` is a
    mapping of equal-length columns or a list of row dicts (long format for several
    series); ``caption`` is one sentence that the reproducibility page lists.
    """
    caption, names, rows, folder = _prepare(name, data, caption, "figures")
    stem = folder / name
    fig.savefig(stem.with_suffix(".pdf"), metadata={"CreationDate": None, "ModDate": None, "Producer": None})
    fig.savefig(stem.with_suffix(".png"), metadata={"Software": None})
    _write_csv(stem.with_suffix(".csv"), names, rows)
    print(f"Figure {name}: {_display_path(stem)}.{{pdf,png,csv}}")
    print(f"    caption: {caption}")
    if show:
        # Display the saved PNG itself, whatever matplotlib backend the kernel runs: the
        # reader sees exactly the file in output/, and no backend-dependent repr appears.
        try:
            from IPython import get_ipython
            from IPython.display import Image, display

            if get_ipython() is not None:
                display(Image(filename=str(stem.with_suffix(".png"))))
        except ImportError:  # pragma: no cover
            pass
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
    print(f"Table {name}: {_display_path(path)}")
    print(f"    caption: {caption}")

    def show(v):
        text = fmt(v, digits) if isinstance(v, (float, np.floating)) else _cell(v)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(show(n) for n in names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(show(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
