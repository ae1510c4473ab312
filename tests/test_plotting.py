"""Figures and tables are saved with their data, deterministically, under the output folder."""

import csv

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from firesales import plotting  # noqa: E402


@pytest.fixture
def out(tmp_path, monkeypatch):
    monkeypatch.setenv("FIRESALES_OUTPUT", str(tmp_path / "output"))
    return tmp_path / "output"


def _figure():
    plotting.use_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1, 2], [1.0, 0.5, 0.25], label="p")
    ax.legend()
    return fig


def test_save_figure_writes_pdf_png_csv(out, capsys):
    plotting.save_figure(_figure(), "demo-fig", {"x": [0, 1, 2], "p": [1.0, 0.5, 0.25]}, "A demo.")
    for ext in ("pdf", "png", "csv"):
        assert (out / "figures" / f"demo-fig.{ext}").stat().st_size > 0
    rows = list(csv.reader((out / "figures" / "demo-fig.csv").open()))
    assert rows == [["x", "p"], ["0", "1.0"], ["1", "0.5"], ["2", "0.25"]]
    printed = capsys.readouterr().out
    assert printed.splitlines()[0] == "Figure demo-fig: output/figures/demo-fig.{pdf,png,csv}"
    assert str(out) not in printed  # never this machine's path


def test_saved_files_are_byte_identical_on_rerun(out):
    data = {"x": [0, 1, 2], "p": [1.0, 0.5, 0.25]}
    plotting.save_figure(_figure(), "demo", data, "A demo.")
    first = {ext: (out / "figures" / f"demo.{ext}").read_bytes() for ext in ("pdf", "png", "csv")}
    plotting.save_figure(_figure(), "demo", data, "A demo.")
    for ext, content in first.items():
        assert (out / "figures" / f"demo.{ext}").read_bytes() == content, ext


def test_save_figure_rejects_ragged_data_and_bad_names(out):
    with pytest.raises(ValueError, match="same length"):
        plotting.save_figure(_figure(), "demo", {"x": [0, 1], "p": [1.0]}, "A demo.")
    with pytest.raises(ValueError, match="name"):
        plotting.save_figure(_figure(), "Bad Name", {"x": [0]}, "A demo.")
    with pytest.raises(ValueError, match="non-finite"):
        plotting.save_figure(_figure(), "demo", {"x": [float("nan")]}, "A demo.")


def test_save_table_csv_and_markdown(out):
    md = plotting.save_table("demo-table", [{"case": "a", "price": 0.123456789}, {"case": "b", "price": 1.0}], "T.")
    rows = list(csv.reader((out / "tables" / "demo-table.csv").open()))
    assert rows == [["case", "price"], ["a", "0.123456789"], ["b", "1.0"]]
    assert md.splitlines()[2] == "| a | 0.123457 |"


def test_fmt_never_formats_nan():
    assert plotting.fmt(0.5) == "0.5"
    assert plotting.fmt(1.23456789e-7, 3) == "1.235e-07"
    with pytest.raises(ValueError):
        plotting.fmt(float("nan"))


def test_save_table_escapes_pipes_in_markdown(out):
    md = plotting.save_table("pipes", {"a|b": ["x|y"]}, "T.")
    assert md.splitlines()[0] == "| a\\|b |" and md.splitlines()[2] == "| x\\|y |"


# ---- the PNG is the one Agg drawing cropped to the tight box; the PDF uses that box

def _png_array(path):
    return plt.imread(path)


def test_png_matches_savefig_tight(out, tmp_path):
    """Cropping the drawing gives the picture savefig(bbox_inches='tight') gives."""
    plotting.save_figure(_figure(), "crop", {"x": [0]}, "A demo.")
    fig = _figure()
    fig.savefig(tmp_path / "ref.png", bbox_inches="tight")
    plt.close(fig)
    got, ref = _png_array(out / "figures" / "crop.png"), _png_array(tmp_path / "ref.png")
    assert abs(got.shape[0] - ref.shape[0]) <= 2 and abs(got.shape[1] - ref.shape[1]) <= 2, (got.shape, ref.shape)
    h, w = min(got.shape[0], ref.shape[0]), min(got.shape[1], ref.shape[1])
    # same picture up to sub-pixel placement: few pixels differ noticeably
    differ = (abs(got[:h, :w, :3] - ref[:h, :w, :3]).max(axis=2) > 0.25).mean()
    assert differ < 0.02, differ
    assert (out / "figures" / "crop.pdf").read_bytes().startswith(b"%PDF")


def test_artist_outside_the_figure_is_kept(out):
    """A legend placed beyond the figure's edge is in the PNG (the box is not cropped)."""
    plotting.use_style()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="a long legend entry outside the axes")
    ax.legend(loc="center left", bbox_to_anchor=(1.05, 0.5))
    plotting.save_figure(fig, "outside", {"x": [0]}, "A demo.")
    png = _png_array(out / "figures" / "outside.png")
    assert png.shape[1] > 4 * plt.rcParams["savefig.dpi"], "the legend beyond the right edge was cut off"


def test_tight_layout_figure_is_drawn_twice_only(out, monkeypatch):
    """tight_layout() leaves a placeholder layout engine; saving must not lay out again."""
    from matplotlib.figure import Figure

    fig = _figure()
    fig.tight_layout()
    kinds = []
    original = Figure.draw

    def counting(self, renderer):
        kinds.append(type(renderer).__name__)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    plotting.save_figure(fig, "twice", {"x": [0]}, "A demo.")
    assert kinds == ["RendererAgg", "MixedModeRenderer"], kinds


# ---- in a notebook: the figure is a MyST figure (number, caption, alt, downloads)

SAVE_CELL = """
import matplotlib.pyplot as plt
from IPython.display import Markdown
from firesales import plotting
plotting.use_style()
for number in ("B1", None, None):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    plotting.save_figure(fig, "nb-fig", {"x": [0, 1]}, "A <demo> figure with $x_1$ and `a*b`.", number=number,
                         alt="A line falling from one to zero" if number else "")
Markdown(plotting.save_table("nb-table", {"a": [1.5]}, "A table."))
"""


def test_in_a_notebook_the_figure_is_a_numbered_myst_figure_with_the_text_form(out):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SAVE_CELL)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()  # FIRESALES_OUTPUT inherited
    outputs = nb.cells[0].outputs
    assert [o.output_type for o in outputs] == ["display_data"] * 4 + ["execute_result"]
    assert not any(o.output_type == "stream" for o in outputs), "nothing printed"
    paper, own1, own2, table_note, table = outputs
    assert paper.data["text/plain"] == (
        "Figure nb-fig: output/figures/nb-fig.{pdf,png,csv}\n    caption: A <demo> figure with $x_1$ and `a*b`."
    )
    md = paper.data["text/markdown"]
    assert md.startswith(":::{figure} ") and md.rstrip().endswith(":::")
    assert ":name: figure-nb-fig" in md and ":alt: A line falling from one to zero" in md
    assert "**Figure B1.** A \\<demo\\> figure with $x_1$ and `a*b`." in md
    assert "{download}`PDF <" in md and ".pdf>`" in md and ".csv>`" in md
    assert "**Book figure 1.**" in own1.data["text/markdown"] and "**Book figure 2.**" in own2.data["text/markdown"]
    assert ":alt: A <demo> figure with x_1 and a*b." in own1.data["text/markdown"], "alt falls back to the caption"
    for o in (paper, own1):  # relative paths only (to the kernel's folder), never this machine's
        assert f"{{figure}} {out}" not in o.data["text/markdown"] and f"<{out}" not in o.data["text/markdown"]
        assert "image/png" not in o.data
    assert table_note.data["text/plain"] == "Table nb-table: output/tables/nb-table.csv\n    caption: A table."
    assert table_note.data["text/html"].startswith('<details class="firesales-saved">')
    assert "| 1.5 |" in table.data["text/markdown"]
    # the page generator's line format, read from the text/plain form
    art = __import__("re").compile(r"^(Figure|Table) (\S+): (\S+)$")
    lines = (paper.data["text/plain"] + "\n" + table_note.data["text/plain"]).splitlines()
    assert [art.match(line)[2] for line in lines if art.match(line)] == ["nb-fig", "nb-table"]


def test_a_paper_figure_number_is_checked(out):
    with pytest.raises(ValueError, match="number"):
        plotting.save_figure(_figure(), "demo", {"x": [0]}, "A demo.", number="Fig. 1.3")


def test_rebase_figures_points_a_copy_at_the_same_files(tmp_path):
    import nbformat

    stem = tmp_path / "output" / "figures" / "f"
    md = plotting.figure_markdown("f", "Book figure 1", "A caption.", "A line", stem, here=tmp_path / "notebooks")
    assert "{figure} ../output/figures/f.png" in md
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": md, "text/plain": "Figure f"})]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert plotting.rebase_figures(nb, tmp_path / "notebooks", tmp_path / "runs" / "x" / "_render") == 1
    moved = nb.cells[0].outputs[0]["data"]["text/markdown"]
    assert moved.count("../../../output/figures/f.") == 3 and "../output/figures" not in moved.replace("../../../", "")
