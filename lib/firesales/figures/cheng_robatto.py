"""Figures and tables of the Cheng & Robatto chapter: drawing and saving, nothing computed.

Each function takes what the notebook computed (grids and the solver's values on them),
draws it in the house style and saves it with its data (:func:`firesales.plotting.save_figure`,
:func:`~firesales.plotting.save_table`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from .. import plotting

__all__ = ["eq10_region", "ex_ante_efficiency", "table"]


def _reference(ax, y=1.0):
    ax.axhline(y, color="0.4", lw=0.8, ls=":")


def _rows(panel: str, x: Sequence[float], series: Mapping, ycol: str) -> list[dict]:
    return [
        {"panel": panel, "series": str(label), "x": float(xi), ycol: float(yi)}
        for label, ys in series.items()
        for xi, yi in zip(x, ys)
    ]


def eq10_region(rhos, ratios: Mapping[float, Sequence[float]], thresholds: Mapping[float, float], *, beta) -> None:
    """q / beta R against relative risk aversion rho, one curve per shock dispersion sigma."""
    plotting.use_style()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for i, (sigma, ys) in enumerate(ratios.items()):
        colour = plotting.PALETTE[i]
        ax.plot(rhos, ys, color=colour, label=f"σ = {sigma:g}")
        ax.plot([thresholds[sigma]], [1.0], "o", color=colour, ms=5)
    _reference(ax)
    ax.axvline(1.0, color="0.6", lw=0.8, ls="--")
    ax.text(1.03, ax.get_ylim()[1], "log utility", va="top", color="0.4")
    ax.set(xlabel="relative risk aversion ρ", ylabel="q / βR (no intermediation)")
    ax.legend(title="lognormal shock")
    rows = _rows("rho", rhos, {f"sigma={s:g}": ys for s, ys in ratios.items()}, "q_over_betaR")
    rows += [{"panel": "threshold", "series": f"sigma={s:g}", "x": float(r), "q_over_betaR": 1.0}
             for s, r in thresholds.items()]
    plotting.save_figure(
        fig,
        "cheng_robatto-eq10-region",
        rows,
        f"Where eq. (10) holds: the price relative to βR with utility ε c^(1−ρ)/(1−ρ), a lognormal "
        f"shock and no intermediation (β = {beta:g}); above 1, (10) fails; dots mark the threshold ρ*.",
        number=None,
        alt="The price relative to beta R falls as relative risk aversion rises, for three shock "
        "dispersions, and crosses 1 at a threshold below 1, left of the log-utility line.",
    )


def ex_ante_efficiency(panels: Sequence[Mapping]) -> None:
    """Welfare against ex-ante storage S, with the price-taking and the planner's choices.

    Each panel: ``title``, ``S`` (grid), ``welfare`` (on the grid), ``S_pt``, ``S_pl``.
    Up to four panels, in a 2 x 2 grid (unused cells are left out).
    """
    plotting.use_style()
    rows_n = (len(panels) + 1) // 2
    fig, axes = plt.subplots(rows_n, 2, figsize=(8.4, 3.3 * rows_n), squeeze=False)
    fig.subplots_adjust(wspace=0.3, hspace=0.55)  # no tight_layout: saving crops the margins
    flat = list(axes.flat)
    for extra in flat[len(panels):]:
        extra.set_visible(False)
    rows = []
    for i, (a, panel) in enumerate(zip(flat, panels)):
        top = max(panel["welfare"])
        rel = [(w - top) * 1e3 for w in panel["welfare"]]
        a.plot(panel["S"], rel, color=plotting.PALETTE[0], label="welfare, prices respond")
        a.axvline(panel["S_pt"], color=plotting.PALETTE[1], ls="--", lw=1.3, label=f"price takers {panel['S_pt']:.4f}")
        a.axvline(panel["S_pl"], color=plotting.PALETTE[2], ls=":", lw=1.6, label=f"planner {panel['S_pl']:.4f}")
        a.set(title=panel["title"], xlabel="storage chosen ex ante S")
        if i % 2 == 0:
            a.set_ylabel("welfare − maximum (×10⁻³)")
        a.legend(loc="lower center", frameon=True, framealpha=0.9, edgecolor="none")
        rows += [{"panel": panel["title"], "S": float(s), "welfare_minus_max": float(w - top)}
                 for s, w in zip(panel["S"], panel["welfare"])]
    plotting.save_figure(
        fig,
        "cheng_robatto-ex-ante",
        rows,
        "Proposition 2.1 where traders differ (the book's constructions): welfare against ex-ante "
        "storage, with the price-taking and the planner's choices; they coincide only when all "
        "traders share one multiplier.",
        number=None,
        alt="Welfare curves against ex-ante storage (" + "; ".join(p["title"] for p in panels)
        + "), with vertical lines at the price-taking and the planner's storage choices.",
    )


def table(name: str, data, caption: str, *, digits: int = 6) -> None:
    """Save a table (CSV) and display it as Markdown."""
    display(Markdown(plotting.save_table(name, data, caption, digits=digits)))
