"""Figures and tables of the Kurlat chapter: drawing, table assembly and saving.

Each function takes what the notebook computed, draws it in the house style and saves it
(PDF, PNG and the data as CSV) with :func:`firesales.plotting.save_figure` or
:func:`firesales.plotting.save_table`. Nothing here computes a result the chapter checks.
"""

from __future__ import annotations

from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

from .. import plotting

__all__ = ["table1", "fig1", "fire_sales", "clearing_runs", "clearing", "slope_sign"]

_MU = "share of distressed sellers µ"
# fixed margins instead of tight_layout, which draws the whole figure once more
_GRID = {"left": 0.07, "right": 0.985, "bottom": 0.15, "top": 0.9, "wspace": 0.28}


def _frac(x) -> str:
    return str(Fraction(x))


def table1(first1, first2, supply, quality) -> str:
    """Table 1: allocations and selling probabilities under the two clearing orders (Markdown)."""
    rows = []
    for i in range(len(supply)):
        row = {"asset i": i + 1, "q(i)": quality[i], "S(i)": _frac(supply[i])}
        for label, res in (("θ1 first", first1), ("θ2 first", first2)):
            row[f"{label}: a(i,χθ1)"] = _frac(res.allocation[0, i])
            row[f"{label}: a(i,χθ2)"] = _frac(res.allocation[1, i])
            row[f"{label}: η(i)"] = _frac(res.eta[i])
        rows.append(row)
    return plotting.save_table(
        "kurlat-table1",
        rows,
        "Table 1 of Kurlat: allocations a(i, χ) and selling probabilities η(i) under the two "
        "clearing orders, computed exactly with the clearing algorithm (14)-(17).",
    )


def fig1(lam: float) -> None:
    """Figure 1 of the paper: qualities q(i) = 1(i > λ) and signals x(i, θ) = 1(i > λθ)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.0, 3.6), gridspec_kw=_GRID)
    i_grid = np.linspace(0, 1, 401)
    q_grid = (i_grid > lam).astype(float)
    ax1.step(i_grid, q_grid, where="post", color=plotting.PALETTE[0])
    ax1.set(xlabel="asset index i", ylabel="quality q(i)", yticks=[0, 1], title="(a) quality")
    ax1.axvline(lam, color="0.5", lw=0.8, ls="--")
    ax1.text(lam / 2, 0.5, "lemons", ha="center")
    ax1.text((1 + lam) / 2, 0.5, "high quality", ha="center")
    th = np.linspace(0, 1, 201)
    ax2.fill_betweenx(th, lam * th, 1, color=plotting.PALETTE[5], alpha=0.35, label="x(i, θ) = 1")
    ax2.fill_betweenx(th, 0, lam * th, color=plotting.PALETTE[1], alpha=0.25, label="x(i, θ) = 0")
    ax2.plot(lam * th, th, color="k", lw=1.2)
    ax2.axvline(lam, color="0.5", lw=0.8, ls="--")
    # label the boundary i = λθ away from the line: in the x = 0 region, left of it
    ax2.annotate("i = λθ", xy=(lam * 0.7, 0.7), xytext=(0.05, 0.88),
                 arrowprops={"arrowstyle": "-", "color": "0.3", "lw": 0.8})
    ax2.set(xlabel="asset index i", ylabel="buyer expertise θ", xlim=(0, 1), ylim=(0, 1),
            title="(b) signal seen by buyer θ")
    ax2.legend(loc="lower right")
    plotting.save_figure(
        fig,
        "kurlat-fig1",
        {"i": i_grid[::4], "q": q_grid[::4], "signal_boundary_theta_at_i": np.minimum(i_grid[::4] / lam, 1.0)},
        f"Kurlat Figure 1: asset qualities q(i) = 1(i > λ) and signals x(i, θ) = 1(i > λθ), λ = {lam:g}; "
        "buyer θ flags lemon i only if θ > i/λ.",
    )


def fire_sales(curves: dict, wealth: dict, lam: float, gap, uninformed) -> None:
    """The headline figure: wealth densities, p*(µ) (with the uninformed-buyers benchmark) and θ*(µ)."""
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 3.6), gridspec_kw=_GRID)
    tt = np.linspace(0, 1, 401)
    for k, (name, c) in enumerate(curves.items()):
        colour = plotting.PALETTE[k]
        axes[0].plot(tt, wealth[name](tt), color=colour, label=name)
        axes[1].plot(c["mu"], c["price"], color=colour)
        axes[2].plot(c["mu"], c["cutoff"], color=colour)
        if c["limit_price"] > 0:
            axes[1].plot([0], [c["limit_price"]], "o", ms=4, color=colour)
    mus = next(iter(curves.values()))["mu"]
    axes[1].plot(mus, uninformed, ls="--", color="0.35", lw=1.2)
    mid = len(mus) // 2
    axes[1].text(mus[mid], uninformed[mid] - 0.04, "uninformed buyers", ha="left", va="top",
                 color="0.35", fontsize=8.5)
    axes[0].set(xlabel="buyer expertise θ", ylabel="wealth density w(θ)", title="(a) wealth")
    axes[1].set(xlabel=_MU, ylabel="price p*", title="(b) price")
    axes[2].set(xlabel=_MU, ylabel="cutoff expertise θ*", title="(c) marginal buyer")
    axes[2].axhspan(*gap, color=plotting.PALETTE[3], alpha=0.12, lw=0)
    axes[2].text(0.95 * mus[-1], 0.5 * (gap[0] + gap[1]), "gap", ha="right", va="center", color=plotting.PALETTE[3])
    axes[0].legend(loc="upper center", fontsize=8)
    rows = [
        {"series": name, "mu": float(m), "price": float(p), "cutoff": float(th)}
        for name, c in curves.items()
        for m, p, th in zip(c["mu"], c["price"], c["cutoff"])
    ]
    rows += [{"series": "uninformed buyers", "mu": float(m), "price": float(p), "cutoff": 0.0}
             for m, p in zip(mus, uninformed)]
    plotting.save_figure(
        fig,
        "kurlat-fire-sales",
        rows,
        f"Kurlat fire-sale example (λ = {lam:g}): p*(µ) and θ*(µ) for wealth constant, increasing and "
        f"decreasing in expertise, and with a gap at θ ∈ ({gap[0]:g}, {gap[1]:g}); dots mark the µ → 0 "
        "limits (w(1)/λ)W₀(λ/w(1)); dashed: identical uninformed buyers, the pool's mean quality.",
    )


def clearing_runs(runs: dict, lam: float, cutoff: float) -> str:
    """Table of the clearing algorithm run on discretised markets m* (Markdown).

    ``runs`` maps the number of lemon cells to (clearing result, cell midpoints, η of (29)
    at the midpoints).
    """
    rows = []
    for cells, (res, i_mid, target) in runs.items():
        below = i_mid < lam * cutoff - lam / cells
        rows.append({"lemon cells": cells, "rounds": int(res.omega.shape[1]),
                     "max |η − (29)|": float(np.abs(res.eta[:-1] - target).max()),
                     "1 − η, good assets": float(1 - res.eta[-1]),
                     "max η below λθ*": float(res.eta[:-1][below].max())})
    return plotting.save_table(
        "kurlat-discretised-clearing",
        rows,
        "Clearing algorithm (20) run on discretised versions of the equilibrium market m*: selling "
        "probabilities against eq. (29).",
        digits=3,
    )


def clearing(runs: dict, i_fine, eta_formula, factors, round1, sold, p_star: float, lam: float,
             cutoff: float) -> None:
    """The clearing algorithm on the grid: η(i) against (29) at p*, and outcomes at other prices."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10.0, 3.7), gridspec_kw=_GRID)
    res, i_mid, _ = runs[max(runs)]
    ax1.plot(i_fine, eta_formula, color=plotting.PALETTE[0], label="eq. (29)")
    step = max(1, len(i_mid) // 70)
    ax1.plot(i_mid[::step], res.eta[:-1][::step], "o", ms=3, color=plotting.PALETTE[1],
             label=f"clearing algorithm, {len(i_mid)} lemon cells")
    ax1.plot([lam, 1], [res.eta[-1]] * 2, "o-", ms=3, color=plotting.PALETTE[1])
    for x, label, ha, dx in ((lam * cutoff, "λθ*", "right", -0.01), (lam, "λ", "left", 0.01)):
        ax1.axvline(x, color="0.5", lw=0.8, ls=":")
        ax1.text(x + dx, 0.05, label, ha=ha)
    ax1.set(xlabel="asset index i", ylabel="selling probability η(i, m*)", xlim=(0, 1),
            title="(a) at p*: the clearing algorithm and eq. (29)")
    ax1.legend(loc="center right", fontsize=8.5)
    prices = np.asarray(factors) * p_star
    ax2.plot(prices, round1, "o-", ms=3, color=plotting.PALETTE[0], label="share of demand cleared in round 1")
    ax2.plot(prices, sold, "s-", ms=3, color=plotting.PALETTE[1], label="share of good assets sold")
    ax2.axvline(p_star, color="0.5", lw=0.8, ls=":")
    ax2.text(p_star, 0.5 * (1 + min(min(round1), min(sold))), "p* ", ha="right")
    ax2.set(xlabel="price p", ylabel="share", title="(b) at candidate prices p")
    ax2.legend(loc="lower center", fontsize=8.5)
    plotting.save_figure(
        fig,
        "kurlat-clearing",
        [{"panel": "a", "x": float(i), "eta_clearing": float(e), "round1_share": "", "good_assets_sold": ""}
         for i, e in zip(i_mid, res.eta[:-1])]
        + [{"panel": "b", "x": float(p), "eta_clearing": "", "round1_share": float(r), "good_assets_sold": float(s)}
           for p, r, s in zip(prices, round1, sold)],
        "The clearing algorithm (20) on a discretised market: (a) at p*, selling probabilities against "
        "eq. (29); (b) at candidate prices, below p* it must ration, above p* good assets go unsold.",
    )


def _broken(x, y, jumps):
    """Insert NaN where the series jumps, so lines are not drawn across a discontinuity."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    cut = np.nonzero(jumps)[0] + 1
    return np.insert(x, cut, np.nan), np.insert(y, cut, np.nan)


def slope_sign(curves: dict, focus: tuple) -> None:
    """The sign of dp*/dµ: marginal against mean wealth, and the two opposing effects."""
    fig, axes = plt.subplots(1, 3, figsize=(12.0, 3.7), gridspec_kw=_GRID)
    for k, (name, c) in enumerate(curves.items()):
        axes[0].plot(c["mu"], c["wealth_at_cutoff"] - c["mean_wealth"], color=plotting.PALETTE[k], label=name)
    axes[0].axhline(0, color="0.4", lw=0.8)
    axes[0].set(xlabel=_MU, ylabel="w(θ*−) − w̄", title="(a) marginal minus mean wealth")
    axes[0].legend(fontsize=7.5, loc="lower left")
    for k, (ax, name) in enumerate(zip(axes[1:], focus)):
        c = curves[name]
        w_cut = c["wealth_at_cutoff"]
        jumps = np.abs(np.diff(w_cut)) > 0.25 * (np.abs(w_cut).max() + 1e-300)  # w(θ*) jumps
        for key, colour, label in (("selection", 2, "selection (Uhlig) effect"),
                                   ("threshold", 1, "changing-threshold effect"), ("slope", None, "dp*/dµ")):
            x, y = _broken(c["mu"], c[key], jumps)
            ax.plot(x, y, color="k" if colour is None else plotting.PALETTE[colour], lw=2.2 if colour is None else 1.5,
                    label=label)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set(ylim=(-3, 3), xlabel=_MU, title=f"({'bc'[k]}) {name}")
    axes[1].set_ylabel("contribution to dp*/dµ")
    axes[1].legend(loc="lower right", fontsize=8)
    keys = ("mu", "wealth_at_cutoff", "mean_wealth", "selection", "threshold", "slope")
    rows = [{"series": name, **{key: float(v) for key, v in zip(keys, values)}}
            for name, c in curves.items() for values in zip(*(c[key] for key in keys))]
    plotting.save_figure(
        fig,
        "kurlat-decomposition",
        rows,
        "The sign of dp*/dµ is the sign of w(θ*−) − w̄ (marginal minus N⁻²-weighted mean wealth above the "
        "cutoff); dp*/dµ split into the selection effect λ(1−λ)(1−θ*)/N*² and the changing-threshold effect "
        "λµ(1−λ)/N*² · dθ*/dµ (lines broken where w(θ*) jumps, as the cutoff crosses an edge of the gap).",
    )
