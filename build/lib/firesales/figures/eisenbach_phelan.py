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
              margins: Mapping[tuple, Sequence[float]], N: int, caption: str) -> None:
    """Three panels against alpha: liquidity by regime (phi = 0), then price minus the (B7)
    threshold at the Cournot and at the Walrasian price, one line per phi
    (``margins[(regime, phi)]``)."""
    fig, axes = plt.subplots(1, 3, figsize=(12.6, 3.6))
    data = []
    for reg, ell in liquidity.items():
        label = _LABELS[reg] + (f" (N = {N})" if reg == "cournot" else "")
        axes[0].plot(alphas, ell, label=label)
        data += _rows({"alpha": alphas, "value": ell}, panel="liquidity", regime=reg, phi=0.0)
    axes[0].set(ylabel="liquidity ℓ (φ = 0)", title="Liquidity by regime")
    axes[0].legend()
    for (reg, phi), m in margins.items():
        ax = axes[1] if reg == "cournot" else axes[2]
        ax.plot(alphas, m, label=f"φ = {phi:g}")
        data += _rows({"alpha": alphas, "value": m}, panel="B7 margin", regime=reg, phi=float(phi))
    for ax, title in zip(axes[1:], ("(B7) at the Cournot price", "(B7) at the Walrasian price")):
        ax.axhline(0, color="0.3", lw=0.8)
        ax.set(title=title, ylabel="p − (B7) threshold")
    axes[1].legend()
    for ax in axes:
        ax.set_xlabel("probability of the good state α")
    fig.subplots_adjust(wspace=0.3)  # cheaper than tight_layout; saved with bbox "tight"
    plotting.save_figure(fig, "eisenbach_phelan-figb2", data, caption)


def figure_b1(panels: Sequence[tuple[str, Sequence[float], Mapping[tuple, Sequence[float]]]],
              spreads: Sequence[float], capital: Mapping[str, Sequence[float]], shade_below: float,
              caption: str) -> None:
    """Price minus the (B4) threshold against A_H - A_L, one panel per range, then capital.

    ``panels``: (title, spreads, margins) with ``margins[(price regime, N)]``: Cournot
    solid, Walras dashed, one colour per N; spreads below ``shade_below`` (A_H < r) shaded.
    The last panel shows ``capital[label] / capital["planner"] - 1`` on ``spreads``.
    """
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(4.2 * (len(panels) + 1), 3.7))
    data = []
    for ax, (title, grid, margins) in zip(axes, panels):
        for (reg, N), m in margins.items():
            ls = "-" if reg == "cournot" else "--"
            ax.plot(grid, m, ls=ls, color=plotting.PALETTE[int(N) - 1], label=f"{_LABELS[reg]}, N = {N}")
            data += _rows({"spread": grid, "value": m}, panel=f"B4 margin, {title}", series=f"{reg} N={N}")
        ax.axhline(0, color="0.3", lw=0.8)
        ax.axvspan(min(grid), shade_below, color="0.9", lw=0)
        ax.set(title=title, ylabel="p − (B4) threshold")
    axes[0].legend(fontsize=8)
    k_p = np.asarray(capital["planner"], dtype=float)
    for label, k in capital.items():
        style = {"color": "0.2", "lw": 1.0} if label == "planner" else {}
        ratio = np.asarray(k, dtype=float) / k_p - 1
        axes[-1].plot(spreads, ratio, label=label, **style)
        data += _rows({"spread": spreads, "value": ratio}, panel="capital relative to planner", series=label)
    axes[-1].set(title="Capital relative to the planner's", ylabel="k / k(planner) − 1")
    axes[-1].legend(fontsize=8)
    for ax in axes:
        ax.set_xlabel("A_H − A_L")
    fig.subplots_adjust(wspace=0.32)
    plotting.save_figure(fig, "eisenbach_phelan-figb1", data, caption)
