"""Figures of the Fernando chapter: each function draws data the notebook computed and saves it.

Nothing here solves the model: the notebook computes every number (in view), these
functions only lay the numbers out, label them and save figure and data
(:func:`firesales.plotting.save_figure`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import plotting

__all__ = ["price_vs_lambda", "volume_and_volatility", "clienteles", "cross_security"]


def price_vs_lambda(lams, curves: dict, benchmarks) -> None:
    """(a) P0 against lambda for several M, with the perfectly liquid and illiquid prices;
    (b) the share of idiosyncratic liquidity risk priced, ``Phi_idio / (a sigma_eps^2)``.

    ``curves`` maps M to ``(P0 values, priced shares)`` on the grid ``lams``.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    data = []
    for m, (p0s, shares) in curves.items():
        ax1.plot(lams, p0s, label=f"M = {m}")
        ax2.plot(lams, shares, label=f"M = {m}")
        data += [{"M": m, "lambda": float(x), "P0": float(p), "priced_share": float(s)} for x, p, s in zip(lams, p0s, shares)]
    ax1.axhline(benchmarks.perfectly_liquid, ls="--", color="0.4", lw=1, label="perfectly liquid")
    ax1.axhline(benchmarks.perfectly_illiquid, ls=":", color="0.4", lw=1, label="perfectly illiquid")
    ax2.axhline(1.0, ls=":", color="0.4", lw=1)
    ax1.set(xlabel="transaction cost λ", ylabel="time-0 price P0", title="(a) price")
    ax2.set(
        xlabel="transaction cost λ",
        ylabel="Φ_idio / (a σ_ε²)",
        title="(b) share of idiosyncratic risk priced",
        ylim=(0, 1.05),
    )
    ax1.legend(fontsize=8)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    plotting.save_figure(
        fig,
        "fernando-price-vs-lambda",
        data,
        "Time-0 price (eq. 6) and the share of idiosyncratic liquidity risk priced against the transaction "
        "cost for several market sizes; the systematic part of the discount does not move.",
    )


def volume_and_volatility(lam_grid, formula: dict, simulated: dict) -> None:
    """(a) expected volume and (b) time-1 price variance against lambda: formula and Monte Carlo.

    ``formula`` holds arrays ``volume`` and ``variance`` on ``lam_grid``; ``simulated`` holds
    the Monte Carlo points ``lam``, ``volume``, ``volume_se``, ``variance``, ``variance_se``.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax1.plot(lam_grid, formula["volume"], label="eq. (10)")
    ax1.errorbar(simulated["lam"], simulated["volume"], yerr=2 * np.asarray(simulated["volume_se"]), fmt="o", ms=4,
                 label="Monte Carlo, 2 s.e.")
    ax2.plot(lam_grid, formula["variance"], label="Lemma 4")
    ax2.errorbar(simulated["lam"], simulated["variance"], yerr=2 * np.asarray(simulated["variance_se"]), fmt="o",
                 ms=4, label="Monte Carlo, 2 s.e.")
    for ax in (ax1, ax2):
        ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlabel("transaction cost λ (symmetric log scale)")
        ax.legend(fontsize=8)
    ax1.set(ylabel="expected volume Q1", title="(a) volume vanishes as trading gets dear")
    ax2.set(ylabel="variance of P1", title="(b) the clearing price's variance does not",
            ylim=(0, 1.3 * float(np.max(formula["variance"]))))
    fig.tight_layout()
    data = [{"series": "formula", "lambda": float(x), "volume": float(q), "var_P1": float(v)}
            for x, q, v in zip(lam_grid, formula["volume"], formula["variance"])]
    data += [{"series": "monte carlo", "lambda": float(x), "volume": float(q), "var_P1": float(v)}
             for x, q, v in zip(simulated["lam"], simulated["volume"], simulated["variance"])]
    plotting.save_figure(
        fig,
        "fernando-volume",
        data,
        "Expected volume (eq. 10) and the variance of the time-1 clearing price (Lemma 4) against the transaction "
        "cost, with Monte Carlo estimates: as lambda grows nobody trades, yet the clearing price moves as much.",
    )


def clienteles(phis, illiquid: dict, liquid: dict, valuations) -> None:
    """Two clienteles (Sec. 3.3): (a) what the exposed clientele sells at time 0 per capita of the
    whole market; (b) time-0 prices, illiquid and liquid, with the printed Lemma 5 price.

    ``illiquid`` holds ``mu`` and ``P0`` on ``phis``; ``liquid`` holds ``X0_exposed``,
    ``P0`` and ``P0_printed``; ``valuations`` is ``(P0^1, P0^2)`` of (17).
    """
    phis = np.asarray(phis)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    sold_ill = phis - np.asarray(illiquid["mu"])
    sold_liq = phis * (1 - np.asarray(liquid["X0_exposed"]))
    ax1.plot(phis, sold_ill, label="illiquid market: φ − µ (eq. 16)")
    ax1.plot(phis, sold_liq, label="liquid market: φ(1 − X0) (derived)")
    ax1.axhline(0.0, ls="--", color="0.4", lw=1, label="liquid market, printed Lemma 5")
    ax1.set(xlabel="share of exposed investors φ", ylabel="units sold at time 0 per investor",
            title="(a) hedging by the exposed clientele")
    ax2.plot(phis, illiquid["P0"], label="illiquid: P0* (eq. 16)")
    ax2.plot(phis, liquid["P0"], label="liquid: derived")
    ax2.plot(phis, liquid["P0_printed"], ls="-.", label="liquid: printed (eq. 13)")
    ax2.axhline(valuations[0], ls=":", color="0.4", lw=1, label="P0¹ (eq. 17)")
    ax2.axhline(valuations[1], ls="--", color="0.4", lw=1, label="P0² (eq. 17)")
    ax2.set(xlabel="φ", ylabel="time-0 price", title="(b) prices")
    for ax in (ax1, ax2):
        ax.legend(fontsize=7)
    fig.tight_layout()
    data = [
        {"phi": float(f), "sold_illiquid": float(a), "sold_liquid": float(b), "P0_illiquid": float(c),
         "P0_liquid": float(d), "P0_liquid_printed": float(e)}
        for f, a, b, c, d, e in zip(phis, sold_ill, sold_liq, illiquid["P0"], liquid["P0"], liquid["P0_printed"])
    ]
    plotting.save_figure(
        fig,
        "fernando-clientele",
        data,
        "Two clienteles: units the exposed clientele sells at time 0 and the time-0 price, in a perfectly illiquid "
        "market (eq. 16) and a perfectly liquid one (derived, against the printed Lemma 5).",
    )


def cross_security(rhos, shares: dict, standalone: float, lam2_grid, transmission: dict) -> None:
    """The climax: (a) the less liquid security's priced share of idiosyncratic risk against the
    payoff correlation, for several correlations of the idiosyncratic shocks; (b) the change in its
    time-0 price as the *other* security's transaction cost rises, case by case.

    ``shares`` maps a shock correlation to the shares on ``rhos``; ``transmission`` maps a case
    label to price changes on ``lam2_grid``.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    data = []
    for rho_eps, values in shares.items():
        ax1.plot(rhos, values, label=f"ρ_ε = {rho_eps:g}")
        data += [{"panel": "a", "series": f"rho_eps = {rho_eps:g}", "x": float(r), "y": float(v)}
                 for r, v in zip(rhos, values)]
    ax1.axhline(standalone, ls="--", color="0.4", lw=1, label="traded alone")
    ax1.set(xlabel="payoff correlation ρ_v", ylabel="share of idiosyncratic risk priced",
            title="(a) a liquid substitute", ylim=(0, 1.05))
    for label, values in transmission.items():
        ax2.plot(lam2_grid, values, label=label)
        data += [{"panel": "b", "series": label, "x": float(x), "y": float(v)} for x, v in zip(lam2_grid, values)]
    ax2.set_xscale("symlog", linthresh=0.01)
    ax2.set(xlabel="transaction cost of the other security λ2",
            ylabel="P0 of security 1: change from λ2 = 0", title="(b) transmission across securities")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.tight_layout()
    plotting.save_figure(
        fig,
        "fernando-cross-security",
        data,
        "Section 4 rebuilt: how much idiosyncratic liquidity risk of a less liquid security is priced when a "
        "correlated liquid security trades beside it, and whether the other security's liquidity moves its price.",
    )
