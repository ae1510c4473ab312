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
