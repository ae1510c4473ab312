"""Figures of the Eisenbach & Phelan chapter (drawing and saving only).

Each function takes data the notebook computed and checked, draws it in the house style
and saves it with the data behind it (:func:`firesales.plotting.save_figure`). Nothing
here computes an equilibrium.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from .. import plotting

__all__ = ["figure_b2", "figure_b1"]

_LABELS = {"walras": "Walrasian", "cournot": "Cournot", "planner": "planner"}


def _rows(columns: Mapping[str, Sequence], **constants) -> list[dict]:
    """Long-format rows, one per grid point, with ``constants`` as extra columns."""
    names = list(columns)
    return [{**constants, **{k: float(columns[k][i]) for k in names}} for i in range(len(columns[names[0]]))]


def figure_b2(alphas: Sequence[float], liquidity: Mapping[str, Sequence[float]],
              shortfall: Mapping[float, Sequence[float]], bands: Mapping[float, tuple | None],
              margins: Mapping[tuple, Sequence[float]], N: int) -> None:
    """Four panels against alpha (2 x 2): liquidity by regime (phi = 0); the Cournot minus the
    Walrasian liquidity per phi with the closed-form under-provision bands; price minus the
    (B7) threshold at the Cournot and at the Walrasian price, one line per phi
    (``margins[(regime, phi)]``)."""
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 7.0))
    (ax_l, ax_s), (ax_c, ax_w) = axes
    data = []
    for reg, ell in liquidity.items():
        label = _LABELS[reg] + (f" (N = {N})" if reg == "cournot" else "")
        ax_l.plot(alphas, ell, label=label)
        data += _rows({"alpha": alphas, "value": ell}, panel="liquidity", regime=reg, phi=0.0)
    ax_l.set(ylabel="liquidity ℓ (φ = 0)", title="Liquidity by regime")
    ax_l.legend()
    for i, (phi, gap) in enumerate(shortfall.items()):
        color = plotting.PALETTE[i % len(plotting.PALETTE)]
        ax_s.plot(alphas, gap, color=color, label=f"φ = {phi:g}")
        if bands.get(phi):
            ax_s.axvspan(*bands[phi], color=color, alpha=0.12, lw=0)
        data += _rows({"alpha": alphas, "value": gap}, panel="l_C - l_W", regime="cournot", phi=float(phi))
    ax_s.axhline(0, color="0.3", lw=0.8)
    ax_s.set(title="Cournot minus Walrasian ℓ (shaded: ℓ_C < ℓ_W)", ylabel="ℓ_C − ℓ_W")
    ax_s.legend()
    for (reg, phi), m in margins.items():
        ax = ax_c if reg == "cournot" else ax_w
        ax.plot(alphas, m, label=f"φ = {phi:g}")
        data += _rows({"alpha": alphas, "value": m}, panel="B7 margin", regime=reg, phi=float(phi))
    for ax, title in ((ax_c, "(B7) at the Cournot price"), (ax_w, "(B7) at the Walrasian price")):
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set(title=title, ylabel="p − (B7) threshold")
    ax_c.legend()
    for ax in axes.flat:
        ax.set_xlabel("probability of the good state α")
    fig.subplots_adjust(wspace=0.32, hspace=0.42)  # cheaper than tight_layout
    plotting.save_figure(
        fig, "eisenbach_phelan-figb2", data,
        "The rebuilt liquidity-shock model against α: liquidity by regime, the Cournot minus "
        "the Walrasian liquidity (shaded: the closed-form under-provision band for each φ), and "
        "the price minus the (B7) threshold at the Cournot and at the Walrasian price; negative "
        "means interim price taking is without loss of generality.",
        number="B2",
        alt="Four panels against the probability of the good state: liquidity of the three "
            "regimes, Cournot minus Walrasian liquidity for several levels of outside liquidity, "
            "and the price minus the (B7) threshold at the Cournot and Walrasian prices.")


def figure_b1(spreads: Sequence[float], margins: Mapping[tuple, Sequence[float]],
              wide_grids: Mapping, wide_margins: Mapping[tuple, Sequence[float]],
              upper: Sequence[float], share: Sequence[float], capital: Mapping[str, Sequence[float]],
              shade_below: float) -> None:
    """Four panels (2 x 2): price minus the (B4) threshold against A_H - A_L on the drawn
    range and on the wider range (each curve up to the end of its equilibrium), the share
    of combinations at which (B4) holds at the Cournot price against the range's upper end,
    and capital relative to the planner's.

    ``margins[(price regime, N)]`` (Cournot solid, Walras dashed, one colour per N);
    ``wide_grids[key]`` is the spread grid of the regime whose price is drawn (``"walras"``
    or ``("cournot", N)``); spreads below ``shade_below`` (A_H < r) are shaded.
    """
    fig, axes = plt.subplots(2, 2, figsize=(9.0, 7.2))
    (ax_m, ax_w), (ax_s, ax_k) = axes
    data = []
    for ax, title, grid_of, source in ((ax_m, f"up to {max(spreads):.2f}", lambda key: spreads, margins),
                                      (ax_w, "up to the end of each equilibrium",
                                       lambda key: wide_grids[key], wide_margins)):
        for (reg, N), m in source.items():
            grid = grid_of(reg if reg == "walras" else (reg, N))
            ls = "-" if reg == "cournot" else "--"
            ax.plot(grid, m, ls=ls, color=plotting.PALETTE[(int(N) - 1) % len(plotting.PALETTE)],
                    label=f"{_LABELS[reg]}, N = {N}")
            data += _rows({"spread": grid, "value": m}, panel=f"B4 margin, {title}", series=f"{reg} N={N}")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.axvspan(min(spreads), shade_below, color="0.9", lw=0)
        ax.set(title=title, ylabel="p − (B4) threshold")
    ax_m.legend(fontsize=9)
    ax_s.plot(upper, share, color="0.2")
    ax_s.set(title="(B4) at the Cournot price", ylabel="share of (A_H − A_L, N) where it holds",
             xlabel="upper end of the range of A_H − A_L")
    data += _rows({"spread": upper, "value": share}, panel="B4 share against the upper end", series="cournot")
    k_p = np.asarray(capital["planner"], dtype=float)
    for label, k in capital.items():
        style = {"color": "0.2", "lw": 1.0} if label == "planner" else {}
        ratio = np.asarray(k, dtype=float) / k_p - 1
        ax_k.plot(spreads, ratio, label=label, **style)
        data += _rows({"spread": spreads, "value": ratio}, panel="capital relative to planner", series=label)
    ax_k.set(title="Capital relative to the planner's", ylabel="k / k(planner) − 1")
    ax_k.legend(fontsize=9)
    for ax in (ax_m, ax_w, ax_k):
        ax.set_xlabel("A_H − A_L")
    fig.subplots_adjust(wspace=0.34, hspace=0.45)
    plotting.save_figure(
        fig, "eisenbach_phelan-figb1", data,
        "The rebuilt productivity-shock model against A_H − A_L: the price minus the (B4) "
        "threshold (Cournot solid, Walrasian dashed; negative: interim price taking is without "
        "loss of generality; shaded: A_H < r) on the drawn range and up to the end of each "
        "equilibrium, the share of combinations where (B4) holds against the range's upper end, "
        "and capital relative to the planner's.",
        number="B1",
        alt="Four panels against the productivity spread: the price minus the (B4) threshold "
            "on two ranges, the share of combinations satisfying (B4) against the range's upper "
            "end, and each regime's capital relative to the planner's.")
