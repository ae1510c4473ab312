"""Figures and tables of the synthesis chapter: drawing and saving, nothing computed.

Each function takes what the notebook computed with the four papers' solvers, draws it in
the house style and saves it with its data (:func:`firesales.plotting.save_figure`,
:func:`~firesales.plotting.save_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from .. import plotting

__all__ = ["four_roads", "table"]


def _long(model: str, series: str, x, y, measure: str) -> list[dict]:
    return [
        {"model": model, "series": series, "distress": float(a), "measure": measure, "value": float(b)}
        for a, b in zip(x, y)
    ]


def four_roads(kurlat: Mapping, cheng_robatto: Mapping, eisenbach_phelan: Mapping, fernando: Mapping) -> None:
    """Each model against its own distress parameter, one panel per paper.

    Each argument: ``x`` (the distress grid), ``series`` (label -> values on the grid),
    ``xlabel``, ``ylabel`` and ``measure`` (what the values are, for the CSV). The first
    three panels show a price relative to its no-friction benchmark (1 = no discount); the
    last shows Fernando's share of idiosyncratic liquidity risk priced, which does not
    depend on the arbitrary mean payoff.
    """
    plotting.use_style()
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 6.6))
    panels = (
        ("Kurlat: heterogeneous information", kurlat, 1.0),
        ("Cheng & Robatto: liquidity-risk pricing", cheng_robatto, 1.0),
        ("Eisenbach & Phelan: market power (rebuilt)", eisenbach_phelan, 1.0),
        ("Fernando: transaction costs", fernando, None),
    )
    rows = []
    for ax, (title, panel, reference) in zip(axes.flat, panels):
        for label, values in panel["series"].items():
            ax.plot(panel["x"], values, label=label)
            rows += _long(title.split(":")[0], label, panel["x"], values, panel["measure"])
        if reference is not None:
            ax.axhline(reference, color="0.5", lw=0.8, ls=":")
            ax.set_ylim(0.0, 1.08)
        else:
            ax.set_ylim(0.0, 1.04)
        ax.set(title=title, xlabel=panel["xlabel"], ylabel=panel["ylabel"])
        ax.legend(fontsize=8)
    fig.subplots_adjust(hspace=0.45, wspace=0.3)
    plotting.save_figure(
        fig,
        "synthesis-four-roads",
        rows,
        "Each model against its own distress parameter: the price relative to its no-friction benchmark "
        "(Kurlat, Cheng & Robatto, Eisenbach & Phelan) and, for Fernando, the share of idiosyncratic "
        "liquidity risk that is priced (free of the arbitrary mean payoff).",
    )


def table(name: str, rows: Sequence[Mapping], caption: str, *, digits: int = 6) -> None:
    """Save a table and display it as Markdown."""
    display(Markdown(plotting.save_table(name, rows, caption, digits=digits)))
