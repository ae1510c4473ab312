"""Kurlat, *Asset markets with heterogeneous information* (fire-sales draft; Econometrica 2016).

Two pieces of the paper, both as pure functions:

* **Clearing algorithms**, eqs. (14)–(17) and Definition 6: :func:`clear_market` runs the
  round-by-round clearing of a market with a finite set of assets and acceptance rules, for a
  given clearing sequence ``omega`` (``omega[k, n]`` = share of rule ``k``'s demand cleared in
  round ``n + 1``); :func:`clear_market_rationed` first builds ``omega`` by the equilibrium
  algorithm (20) (clear everybody as early as feasible, rationing all rules in the same
  proportion). Both work in exact rational arithmetic when the inputs are
  :class:`fractions.Fraction` (or sympy rationals), and in floats otherwise.
* **The fire-sale example**, eqs. (18)–(19) and (34): :func:`equilibrium` solves for the
  price ``p*`` and the cutoff expertise ``θ*`` for any wealth density ``w(θ) ≥ 0`` on
  ``[0, 1]``; :func:`price_slope` gives ``dp*/dµ`` from the closed form derived by implicit
  differentiation of (18)–(19) (the printed eq. (34) is mangled by the text extraction; the
  formula here is our derivation, checked symbolically and by finite differences in the
  notebook); :func:`slope_decomposition` splits it into the selection (Uhlig) effect and the
  changing-threshold effect.

Notation follows the paper: ``lam`` = λ (share of lemons, assets ``i ≤ λ``), ``mu`` = µ
(share of distressed sellers), ``D(θ) = λ(1 − θ) + µ(1 − λ)`` is the measure of assets that
buyer ``θ`` accepts at ``p*``.

For the synthesis chapter, :func:`price_curve` returns ``p*(µ)`` and ``θ*(µ)`` on a grid of
µ together with two no-friction benchmarks: the full-information price
:func:`full_information_price` (buyers can tell lemons apart: high-quality assets sell at
their value 1 unless buyers' total wealth is too small) and the µ → 0 limit
:func:`limit_price` of ``p*``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import special

from . import numerics

__all__ = [
    "Clearing",
    "InfeasibleClearingError",
    "clear_market",
    "clear_market_rationed",
    "Equilibrium",
    "SlopeDecomposition",
    "equilibrium",
    "price_slope",
    "slope_decomposition",
    "price_curve",
    "excess_demand_ratio",
    "selling_probability",
    "terms_of_trade",
    "constant_wealth_price",
    "limit_price",
    "full_information_price",
    "discretised_market",
]


# ====================================================================== clearing algorithms
class InfeasibleClearingError(ValueError):
    """A clearing sequence would leave negative residual supply (Definition 6)."""

    def __init__(self, message: str, *, round_number: int, residual):
        super().__init__(message)
        self.round_number = round_number
        self.residual = residual


@dataclass(frozen=True)
class Clearing:
    """Outcome of a clearing algorithm, eqs. (14)–(17).

    allocation : (n_rules, n_assets) total allocation ``a(i, χ)`` per unit demanded, eq. (15).
    eta : (n_assets,) selling probabilities ``η(i)``, eq. (17).
    residual : (n_assets,) residual supply after the last round, ``S^N(i)``.
    residual_path : (n_rounds + 1, n_assets) ``S^0, S^1, ..., S^N``, eq. (16).
    round_allocation : (n_rounds, n_rules, n_assets) round allocations ``a^n(i, χ)``, eq. (14).
    omega : (n_rules, n_rounds) the clearing sequence used.
    exact : whether the arithmetic was exact (``Fraction`` entries, object arrays).
    """

    allocation: np.ndarray
    eta: np.ndarray
    residual: np.ndarray
    residual_path: np.ndarray
    round_allocation: np.ndarray
    omega: np.ndarray
    exact: bool


def _is_rational(x) -> bool:
    if isinstance(x, Fraction):
        return True
    try:  # sympy rationals, without importing sympy unless it is already loaded
        import sys

        sp = sys.modules.get("sympy")
        if sp is not None and isinstance(x, sp.Rational):
            return True
    except Exception:  # pragma: no cover
        pass
    return False


def _to_fraction(name: str, x) -> Fraction:
    if isinstance(x, Fraction):
        return x
    if isinstance(x, bool):
        raise ValueError(f"{name} must hold numbers, got a boolean")
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if _is_rational(x):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, (float, np.floating)) and math.isfinite(float(x)):
        return Fraction(float(x))
    raise ValueError(f"{name} must hold finite rational numbers, got {x!r}")


def _as_array(name: str, value, ndim: int, exact: bool) -> np.ndarray:
    try:
        arr = np.array(value, dtype=object)
    except Exception as exc:  # pragma: no cover - ragged input
        raise ValueError(f"{name} must be a {ndim}-dimensional array of numbers") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if exact:
        flat = [_to_fraction(name, x) for x in arr.ravel()]
        out = np.empty(arr.shape, dtype=object)
        out.ravel()[:] = flat
        return out
    try:
        out = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold finite real numbers") from exc
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must hold finite real numbers, got a non-finite entry")
    return out


def _any_rational(*values) -> bool:
    for value in values:
        try:
            flat = np.array(value, dtype=object).ravel()
        except Exception:  # pragma: no cover
            continue
        if any(_is_rational(x) for x in flat):
            return True
    return False


def _validate_market(supply, rules, demand, omega=None):
    exact = _any_rational(supply, demand, omega) if omega is not None else _any_rational(supply, demand)
    S = _as_array("supply", supply, 1, exact)
    R = _as_array("rules", rules, 2, exact)
    d = _as_array("demand", demand, 1, exact)
    n_assets = S.shape[0]
    if R.shape[1] != n_assets:
        raise ValueError(f"rules must have shape (n_rules, n_assets={n_assets}), got {R.shape}")
    n_rules = R.shape[0]
    if d.shape[0] != n_rules:
        raise ValueError(f"demand must have shape (n_rules={n_rules},), got {d.shape}")
    if any(x < 0 for x in S.ravel()):
        raise ValueError("supply must be nonnegative: every S(i) >= 0")
    if any(x < 0 for x in d.ravel()):
        raise ValueError("demand must be nonnegative: every D(χ) >= 0")
    if any(x != 0 and x != 1 for x in R.ravel()):
        raise ValueError("rules must be acceptance rules χ(i) with entries 0 or 1 (Definition 2)")
    W = None
    if omega is not None:
        W = _as_array("omega", omega, 2, exact)
        if W.shape[0] != n_rules:
            raise ValueError(f"omega must have shape (n_rules={n_rules}, n_rounds), got {W.shape}")
        if any(x < 0 for x in W.ravel()):
            raise ValueError("omega must be nonnegative: ω(χ, n) >= 0")
        sums = W.sum(axis=1)
        if exact:
            bad = [k for k, s in enumerate(sums) if s != 1]
        else:
            bad = [k for k, s in enumerate(sums) if abs(s - 1.0) > 1e-9]
        if bad:
            raise ValueError(
                f"omega must sum to 1 over rounds for every rule (Definition 5); rows {bad} sum to "
                + ", ".join(str(sums[k]) for k in bad[:5])
            )
    return exact, S, R, d, W


def _zero(exact: bool):
    return Fraction(0) if exact else 0.0


def _round_allocation(S: np.ndarray, R: np.ndarray, exact: bool) -> np.ndarray:
    """Eq. (14): a representative sample of the acceptable residual supply, per unit demanded."""
    pool = R.dot(S)  # ∫ χ(i) S^{n-1}(i) di for each rule
    positive = np.array([p > 0 for p in pool], dtype=bool)
    if exact:
        safe = np.array([p if ok else Fraction(1) for p, ok in zip(pool, positive)], dtype=object)
    else:
        safe = np.where(positive, pool, 1.0)
    a = R * S[None, :] / safe[:, None]
    a[~positive, :] = _zero(exact)
    return a


def _snap(S_new: np.ndarray, S0: np.ndarray, exact: bool, n: int) -> np.ndarray:
    """Definition 6: refuse negative residual supply (floats: up to rounding, then snap to 0)."""
    if exact:
        negative = [i for i, s in enumerate(S_new) if s < 0]
    else:
        tol = 1e-12 * np.maximum(S0, 1e-300) + 1e-15
        negative = [i for i in range(S_new.shape[0]) if S_new[i] < -tol[i]]
    if negative:
        shown = ", ".join(f"S^{n}({i + 1}) = {_fmt_num(S_new[i])}" for i in negative[:6])
        raise InfeasibleClearingError(
            f"infeasible clearing (Definition 6): round {n} leaves negative residual supply for "
            f"asset(s) {[i + 1 for i in negative[:6]]} ({shown}); the clearing sequence omega "
            "allocates more of these assets than is supplied",
            round_number=n,
            residual=S_new.copy(),
        )
    if not exact:
        S_new = np.where(np.abs(S_new) <= 1e-12 * np.maximum(S0, 1e-300) + 1e-15, 0.0, S_new)
    return S_new


def _fmt_num(x) -> str:
    return str(x) if isinstance(x, Fraction) else f"{float(x):.6g}"


def _eta(S0: np.ndarray, R: np.ndarray, d: np.ndarray, alloc: np.ndarray, exact: bool) -> np.ndarray:
    """Eq. (17), including the two zero-supply cases."""
    sold = d.dot(alloc)
    accepting_demand = d.dot(R)  # D(Ξ_i)
    n = S0.shape[0]
    if exact:
        eta = np.empty(n, dtype=object)
        for i in range(n):
            if S0[i] > 0:
                eta[i] = sold[i] / S0[i]
            else:
                eta[i] = Fraction(1) if accepting_demand[i] > 0 else Fraction(0)
        return eta
    eta = np.where(S0 > 0, sold / np.where(S0 > 0, S0, 1.0), np.where(accepting_demand > 0, 1.0, 0.0))
    return np.minimum(eta, 1.0)  # rounding only: Definition 6 already bounds sold <= supply


def _run(S0, R, d, exact, next_omega, max_rounds):
    S = S0.copy()
    path = [S.copy()]
    rounds, omegas = [], []
    alloc = np.zeros(R.shape, dtype=object if exact else float)
    if exact:
        alloc[...] = Fraction(0)
    for n in range(1, max_rounds + 1):
        a_n = _round_allocation(S, R, exact)
        w_n = next_omega(n, a_n, S)
        if w_n is None:
            break
        take = (w_n * d).dot(a_n)
        S = _snap(S - take, S0, exact, n)
        alloc = alloc + w_n[:, None] * a_n
        path.append(S.copy())
        rounds.append(a_n)
        omegas.append(w_n)
    return S, alloc, path, rounds, omegas


def _result(S0, R, d, exact, S, alloc, path, rounds, omegas) -> Clearing:
    dtype = object if exact else float
    n_rules, n_assets = R.shape
    ra = np.array(rounds, dtype=dtype) if rounds else np.zeros((0, n_rules, n_assets), dtype=dtype)
    om = np.array(omegas, dtype=dtype).T if omegas else np.zeros((n_rules, 0), dtype=dtype)
    return Clearing(
        allocation=alloc,
        eta=_eta(S0, R, d, alloc, exact),
        residual=S,
        residual_path=np.array(path, dtype=dtype),
        round_allocation=ra,
        omega=om,
        exact=exact,
    )


def clear_market(supply, rules, demand, omega) -> Clearing:
    """Run a clearing algorithm with a given clearing sequence, eqs. (14)–(17).

    Parameters
    ----------
    supply : (n_assets,) supply ``S(i) ≥ 0`` of each asset.
    rules : (n_rules, n_assets) acceptance rules ``χ(i) ∈ {0, 1}`` (Definition 2).
    demand : (n_rules,) total demand ``D(χ) ≥ 0`` of buyers imposing each rule.
    omega : (n_rules, n_rounds) share ``ω(χ, n) ≥ 0`` of each rule's demand cleared in round
        ``n``; each row sums to 1 (Definition 5).

    Returns a :class:`Clearing`. Exact rational arithmetic is used when any of ``supply``,
    ``demand`` or ``omega`` holds a :class:`fractions.Fraction` (or a sympy rational).

    Raises
    ------
    InfeasibleClearingError (a ``ValueError``) if some round would leave negative residual
    supply (Definition 6); ``ValueError`` for malformed input.
    """
    exact, S0, R, d, W = _validate_market(supply, rules, demand, omega)

    def given(n, a_n, S):
        return W[:, n - 1]

    S, alloc, path, rounds, omegas = _run(S0, R, d, exact, given, W.shape[1])
    return _result(S0, R, d, exact, S, alloc, path, rounds, omegas)


def clear_market_rationed(supply, rules, demand, *, max_rounds: int | None = None) -> Clearing:
    """The equilibrium clearing algorithm (20): clear as early as feasible, ration proportionally.

    In every round all acceptance rules clear the same share ``ω̃`` of their demand, the largest
    share that keeps every residual supply nonnegative and does not exceed what is left of the
    demand. In the paper's equilibrium everybody clears in round 1. Each round that rations
    exhausts at least one asset, so the algorithm stops after at most ``n_assets + 1`` rounds.
    """
    exact, S0, R, d, _ = _validate_market(supply, rules, demand)
    n_rules, n_assets = R.shape
    limit = n_assets + 1 if max_rounds is None else numerics.check_positive_int("max_rounds", max_rounds)
    left = [Fraction(1) if exact else 1.0]

    def rationed(n, a_n, S):
        r = left[0]
        if r <= 0:
            return None
        take = d.dot(a_n)
        share = r
        for i in range(n_assets):
            if take[i] > 0 and S[i] / take[i] < share:
                share = S[i] / take[i]
        if not exact and r - share <= 1e-13:
            share = r
        left[0] = r - share
        out = np.empty(n_rules, dtype=object if exact else float)
        out[:] = share
        return out

    S, alloc, path, rounds, omegas = _run(S0, R, d, exact, rationed, limit)
    if left[0] > (0 if exact else 1e-12):
        raise ValueError(
            f"clear_market_rationed: demand not fully processed after {limit} rounds "
            f"(share left {_fmt_num(left[0])}); raise max_rounds"
        )
    return _result(S0, R, d, exact, S, alloc, path, rounds, omegas)


# ====================================================================== fire-sale example
_GL_X, _GL_W = np.polynomial.legendre.leggauss(12)
_GL20_X, _GL20_W = np.polynomial.legendre.leggauss(24)


def _check_params(lam, mu) -> tuple[float, float]:
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    mu = numerics.check_interval("mu", mu, 0.0, 1.0)
    return lam, mu


def _eval_wealth(wealth: Callable, theta: np.ndarray) -> np.ndarray:
    if not callable(wealth):
        raise ValueError(f"wealth must be a callable θ ↦ w(θ) on [0, 1], got {type(wealth).__name__}")
    with np.errstate(all="ignore"):
        try:
            values = wealth(theta)
        except Exception as exc:
            raise ValueError(f"wealth(θ) raised {type(exc).__name__}: {exc}") from exc
        try:
            values = np.broadcast_to(np.asarray(values, dtype=float), theta.shape)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"wealth must return a real array of the same shape as its argument, got {values!r}"
            ) from exc
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.argmax(bad))
        raise ValueError(f"wealth must be finite on [0, 1]; w({float(theta.flat[k]):.6g}) = {values.flat[k]!r}")
    neg = values < 0
    if neg.any():
        k = int(np.argmax(neg))
        raise ValueError(
            f"wealth must be nonnegative on [0, 1]; w({float(theta.flat[k]):.6g}) = {float(values.flat[k]):.6g}"
        )
    return values


class _TailIntegrals:
    """Accurate tails ``∫_θ^1 w(t) / D(t)^k dt`` (k = 1, 2) for one (w, λ, µ).

    Works in the distance to the top, ``s = 1 − θ`` (so cutoffs very close to θ = 1 keep full
    relative precision), with ``D = λ s + µ(1−λ)``. Adaptive composite Gauss–Legendre on panels
    of s ∈ [0, 1], graded towards s = 0 where 1/D varies on the scale µ(1−λ)/λ: each panel's
    12-point rule is compared with the rule on its two halves, and panels are split until they
    agree to ~1e-14 relative to the integrand's scale; every pass evaluates ``w`` once,
    vectorised. Jumps of ``w`` are isolated in panels of width ~1e-13; known break points can be
    passed to save work.
    """

    def __init__(self, wealth, lam, mu, breakpoints=(), tol=1e-14, max_passes=60):
        self.wealth, self.lam, self.mu = wealth, lam, mu
        self.eps = mu * (1.0 - lam)
        scale = self.eps / lam
        graded = scale * 2.0 ** np.arange(0, max(1, int(np.ceil(np.log2(1.0 / scale)))))
        bps = 1.0 - np.asarray(breakpoints, dtype=float)
        edges = np.unique(np.concatenate([np.linspace(0.0, 1.0, 17), graded[graded < 1.0], bps]))
        edges = edges[(edges >= 0.0) & (edges <= 1.0)]
        todo = np.stack([edges[:-1], edges[1:]], axis=1)
        done_panels, done_vals = [], []
        iscale = None
        for _ in range(max_passes):
            a, b = todo[:, 0], todo[:, 1]
            whole, halves = self._whole_and_halves(a, b)
            if iscale is None:  # size of each integrand (per unit length), per component
                iscale = np.maximum(1.0, np.max(np.abs(halves) / (b - a)[:, None], axis=0))
            err = np.max(np.abs(whole - halves) / iscale[None, :], axis=1)
            ok = err <= tol * np.maximum(b - a, 1e-3)
            ok |= (b - a) < 1e-13  # a jump isolated to rounding level
            done_panels.append(todo[ok])
            done_vals.append(halves[ok])
            bad = todo[~ok]
            if bad.size == 0:
                break
            mid = 0.5 * (bad[:, 0] + bad[:, 1])
            todo = np.concatenate([np.stack([bad[:, 0], mid], 1), np.stack([mid, bad[:, 1]], 1)])
        else:
            raise ValueError(
                "could not integrate the wealth density to 1e-14: is w(θ) bounded and piecewise "
                "smooth on [0, 1]?"
            )
        panels = np.concatenate(done_panels)
        vals = np.concatenate(done_vals)
        order = np.argsort(panels[:, 0])
        self.left = panels[order, 0]  # in s
        self.right = panels[order, 1]
        vals = vals[order]
        # "heads" in s: ∫_0^{left edge} = tails in θ from 1 − left edge to 1
        self.head_right = np.cumsum(vals, axis=0)
        self.head_left = self.head_right - vals

    def _panel(self, a, b, x=_GL_X, w=_GL_W):
        half = 0.5 * (b - a)
        s = (0.5 * (a + b))[:, None] + half[:, None] * x[None, :]
        wt = _eval_wealth(self.wealth, 1.0 - s)
        D = self._D(s)
        f1 = (wt / D) @ w * half
        f2 = (wt / D**2) @ w * half
        return np.stack([f1, f2], axis=1)

    def _D(self, s):
        return self.lam * s + self.eps

    def _whole_and_halves(self, a, b):
        """12-point rule on each panel and on its two halves, with one call of ``wealth``."""
        m = 0.5 * (a + b)
        vals = self._panel(np.concatenate([a, a, m]), np.concatenate([b, m, b]))
        n = a.shape[0]
        return vals[:n], vals[n : 2 * n] + vals[2 * n :]

    @property
    def total(self) -> np.ndarray:
        """(∫_0^1 w/D, ∫_0^1 w/D²)."""
        return self.head_right[-1]

    def head(self, s: float) -> np.ndarray:
        """(∫_{1−s}^1 w/D, ∫_{1−s}^1 w/D²) for a distance s = 1 − θ to the top."""
        if s <= 0.0:
            return np.zeros(2)
        k = int(np.searchsorted(self.left, s, side="right") - 1)
        k = min(max(k, 0), self.left.shape[0] - 1)
        a = self.left[k]
        part = self._panel(np.array([a]), np.array([s]), _GL20_X, _GL20_W)[0]
        return self.head_left[k] + part

    def tail(self, theta: float) -> np.ndarray:
        """(∫_θ^1 w/D, ∫_θ^1 w/D²)."""
        return self.head(1.0 - theta)


@dataclass(frozen=True)
class Equilibrium:
    """The fire-sale equilibrium, eqs. (18)–(19).

    price : p*; cutoff : θ*; lam, mu : parameters; integral : ∫_{θ*}^1 w(θ)/D(θ) dθ;
    residual18, residual19 : residuals of (18) and (19) at the solution (same quadrature);
    expertise_gap : 1 − θ*, the variable actually solved for (full relative precision when the
    cutoff is very close to 1).
    """

    price: float
    cutoff: float
    lam: float
    mu: float
    integral: float
    residual18: float
    residual19: float
    expertise_gap: float


def _solve(wealth, lam, mu, breakpoints):
    """Solve (18)-(19) in s = 1 − θ*: returns (integrals, s*, θ*, p*, tails at θ*)."""
    T = _TailIntegrals(wealth, lam, mu, breakpoints)
    eps = mu * (1.0 - lam)

    # G(s) = D ∫_{1−s}^1 w/D − µ(1−λ) with D = λs + µ(1−λ): (18) with (19) substituted. G(0) < 0
    # and G is strictly increasing wherever buyers above the cutoff hold wealth.
    G_edges = (lam * T.right + eps) * T.head_right[:, 0] - eps
    if not G_edges[-1] > 0.0:
        total = float(T.total[0])
        raise numerics.NoRootError(
            "no interior cutoff θ* in (0, 1): even with every buyer in the market (θ* = 0) buyers' "
            f"wealth absorbs only a share {(lam + eps) * total / eps:.6g} < 1 of the µ(1−λ) = "
            f"{eps:.6g} high-quality assets at the price p = µ(1−λ)/(λ+µ(1−λ)) that makes θ = 0 "
            "indifferent (eq. 18 has no solution with eq. 19); buyers' wealth is too small"
        )
    k = int(np.nonzero(G_edges > 0.0)[0][0])  # first panel whose right edge has G > 0

    def G(s):
        return (lam * s + eps) * T.head(s)[0] - eps

    s_star = numerics.find_root(
        G, T.left[k], T.right[k], name="eq. (18) with (19) substituted, G(1 − θ*)", xtol=1e-300
    )  # relative tolerance only (4 eps): cutoffs within 1e-10 of the top stay accurate
    if not s_star > 0.0:  # pragma: no cover - G(0) = −µ(1−λ) < 0
        raise numerics.NoRootError("eq. (18)-(19): the cutoff collapsed to θ* = 1")
    price = eps / (lam * s_star + eps)
    return T, s_star, 1.0 - s_star, price, T.head(s_star)


def equilibrium(wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> Equilibrium:
    """Solve eqs. (18)–(19) for the price p* and the cutoff θ* (unique when it exists).

    Substituting (19) into (18) leaves one equation ``G(θ*) = D(θ*) ∫_{θ*}^1 w/D dθ − µ(1−λ) = 0``
    whose left side is strictly decreasing in θ* wherever buyers above θ* hold wealth and equals
    ``−µ(1−λ) < 0`` at θ* = 1, so the root is unique and is bracketed honestly on the panels of
    the quadrature. If ``G(0) ≤ 0`` there is no interior cutoff and ``NoRootError`` (a
    ``ValueError``) says so.

    Parameters
    ----------
    wealth : vectorised callable θ ↦ w(θ) ≥ 0 on [0, 1] (finite).
    lam, mu : λ, µ in (0, 1).
    breakpoints : optional points in (0, 1) where w jumps (speeds up the quadrature).
    """
    lam, mu = _check_params(lam, mu)
    T, s_star, theta, price, tails = _solve(wealth, lam, mu, breakpoints)
    D = lam * s_star + mu * (1.0 - lam)
    return Equilibrium(
        price=float(price),
        cutoff=float(theta),
        lam=lam,
        mu=mu,
        integral=float(tails[0]),
        residual18=float(tails[0] / price - 1.0),
        residual19=float(price - mu * (1.0 - lam) / D),
        expertise_gap=float(s_star),
    )


@dataclass(frozen=True)
class SlopeDecomposition:
    """dp*/dµ and its two opposing parts (Section "Fire Sales").

    slope : dp*/dµ (eq. 34, as derived); cutoff_slope : dθ*/dµ;
    selection : ∂p*/∂µ at fixed θ*, ``λ(1−λ)(1−θ*)/D*² > 0`` (more distressed sellers improve
    the pool: the Uhlig effect); threshold : ``∂p*/∂θ* · dθ*/dµ = λµ(1−λ)/D*² · dθ*/dµ`` (the
    cutoff falls to less expert buyers); slope = selection + threshold.
    """

    slope: float
    cutoff_slope: float
    selection: float
    threshold: float
    price: float
    cutoff: float
    wealth_at_cutoff: float


def _slope_from(lam, mu, s_star, price, J1, w_star):
    """Closed form of dp*/dµ (our derivation of eq. 34), with s* = 1 − θ*.

    dp*/dµ = λ p* [ w(θ*) (1−θ*) p* / (µ²(1−λ)) − (1−λ) ∫ w/D² ] / (λ p* + w(θ*)).
    """
    num = w_star * s_star * price / (mu**2 * (1.0 - lam)) - (1.0 - lam) * J1
    return lam * price * num / (lam * price + w_star)


def slope_decomposition(wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> SlopeDecomposition:
    """dp*/dµ from the closed form, split into the selection and threshold effects."""
    lam, mu = _check_params(lam, mu)
    T, s_star, theta, price, tails = _solve(wealth, lam, mu, breakpoints)
    w_star = float(_eval_wealth(wealth, np.array([theta]))[0])
    slope = _slope_from(lam, mu, s_star, price, tails[1], w_star)
    D = lam * s_star + mu * (1.0 - lam)
    # (19): p D = µ(1−λ)  ⇒  dp D − p λ dθ + p(1−λ) − (1−λ) = 0
    dtheta = (slope * D + (1.0 - lam) * (price - 1.0)) / (price * lam)
    selection = lam * (1.0 - lam) * s_star / D**2
    threshold = lam * mu * (1.0 - lam) / D**2 * dtheta
    return SlopeDecomposition(
        slope=float(slope),
        cutoff_slope=float(dtheta),
        selection=float(selection),
        threshold=float(threshold),
        price=float(price),
        cutoff=float(theta),
        wealth_at_cutoff=w_star,
    )


def price_slope(wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> float:
    """dp*/dµ at the equilibrium, from the closed form obtained by implicit differentiation of
    (18)–(19) (the paper's eq. (34)–(35); see :func:`slope_decomposition`)."""
    return slope_decomposition(wealth, lam, mu, breakpoints=breakpoints).slope


def price_curve(wealth: Callable, lam: float, mus, *, breakpoints: Sequence[float] = ()) -> dict:
    """p*(µ), θ*(µ) and the two no-friction benchmarks on a grid of µ (for the synthesis chapter).

    Returns a dict of float arrays: ``mu``, ``price``, ``cutoff``, ``full_information``
    (:func:`full_information_price`), ``price_over_full_information`` (p*/p_FI, the discount
    caused by the information friction) and the scalar ``limit_price`` (p* as µ → 0,
    :func:`limit_price`, or 0.0 when w(1) = 0).
    """
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    mus = np.atleast_1d(np.asarray(mus, dtype=float))
    price = np.empty_like(mus)
    cutoff = np.empty_like(mus)
    for k, mu in enumerate(mus):
        eq = equilibrium(wealth, lam, float(mu), breakpoints=breakpoints)
        price[k], cutoff[k] = eq.price, eq.cutoff
    total = _total_wealth(wealth, breakpoints)
    for mu in mus:
        numerics.check_interval("mu", mu, 0.0, 1.0)
    fi = np.minimum(1.0, total / (mus * (1.0 - lam)))
    w1 = float(_eval_wealth(wealth, np.array([1.0]))[0])
    return {
        "mu": mus,
        "price": price,
        "cutoff": cutoff,
        "full_information": fi,
        "price_over_full_information": price / fi,
        "limit_price": limit_price(w1, lam) if w1 > 0 else 0.0,
    }


# ---------------------------------------------------------------- closed forms and helpers
def constant_wealth_price(w: float, lam: float) -> float:
    """p* when w(θ) = w for all θ: the root of ``p = (w/λ) ln(1/p)``, i.e. ``(w/λ) W₀(λ/w)``.

    Independent of µ (Prop. 3, case 3); valid while the cutoff is interior, i.e.
    ``µ < λ p / ((1−λ)(1−p))``.
    """
    w = numerics.check_interval("w", w, 0.0)
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    return float(w / lam * special.lambertw(lam / w).real)


def limit_price(w1: float, lam: float) -> float:
    """lim_{µ→0} p*(µ) = (w(1)/λ) W₀(λ/w(1)): only the most expert buyers' wealth density counts."""
    return constant_wealth_price(numerics.check_interval("w1", w1, 0.0), lam)


def full_information_price(wealth: Callable, lam: float, mu: float) -> float:
    """Price of a high-quality asset if every buyer could tell lemons apart (no information friction).

    Buyers value a high-quality asset at 1 and distressed sellers supply all µ(1−λ) of them at any
    positive price, so the price is 1 when buyers' total wealth W = ∫ w covers them, and
    ``W / (µ(1−λ))`` (cash in the market) otherwise.
    """
    lam, mu = _check_params(lam, mu)
    return float(min(1.0, _total_wealth(wealth) / (mu * (1.0 - lam))))


class _PlainIntegrals(_TailIntegrals):
    """Tails of ∫ w (D ≡ 1), same adaptive quadrature."""

    def _D(self, s):
        return np.ones_like(s)


def _total_wealth(wealth: Callable, breakpoints: Sequence[float] = ()) -> float:
    """W = ∫_0^1 w(θ) dθ by the adaptive Gauss–Legendre quadrature of :class:`_TailIntegrals`."""
    return float(_PlainIntegrals(wealth, 0.5, 0.5, breakpoints).total[0])


def terms_of_trade(theta, price: float, lam: float, mu: float):
    """τ(θ) = µ(1−λ) / (p (λ(1−θ) + µ(1−λ))): t = 2 goods per good spent by buyer θ who accepts
    exactly the assets with signal x = 1, when distressed sellers supply all assets (Section 4)."""
    lam, mu = _check_params(lam, mu)
    price = numerics.check_interval("price", price, 0.0)
    theta = np.asarray(theta, dtype=float)
    if np.any((theta < 0) | (theta > 1)):
        raise ValueError("theta must lie in [0, 1]")
    return mu * (1.0 - lam) / (price * (lam * (1.0 - theta) + mu * (1.0 - lam)))


def excess_demand_ratio(wealth: Callable, price: float, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> float:
    """H(p) = ∫_{θ(p)}^1 w / (p D) dθ: the share of the high-quality supply that buyers with
    τ ≥ 1 at price p want, cleared in round 1, where θ(p) solves τ(θ(p)) = 1 (Prop. 2's proof).

    H is strictly decreasing in p and H(p*) = 1: above p* not all high-quality assets can be
    sold (contradicting Lemma 5), below p* not all demand can clear in round 1."""
    lam, mu = _check_params(lam, mu)
    price = numerics.check_interval("price", price, 0.0, 1.0)
    eps = mu * (1.0 - lam)
    theta_p = 1.0 - eps * (1.0 / price - 1.0) / lam
    T = _TailIntegrals(wealth, lam, mu, breakpoints)
    theta_p = max(theta_p, 0.0)
    return float(T.tail(theta_p)[0] / price)


def selling_probability(i, eq: Equilibrium, wealth: Callable) -> np.ndarray:
    """η(i, m*) of eq. (29) at an equilibrium: 1 for i > λ, ∫_{θ*}^{i/λ} w/(D p*) dθ on
    [λθ*, λ], 0 below λθ*."""
    i = np.atleast_1d(np.asarray(i, dtype=float))
    if np.any((i < 0) | (i > 1)):
        raise ValueError("asset index i must lie in [0, 1]")
    lam, mu, theta, price = eq.lam, eq.mu, eq.cutoff, eq.price
    out = np.zeros_like(i)
    out[i > lam] = 1.0
    mid = (i >= lam * theta) & (i <= lam)
    if mid.any():
        T = _TailIntegrals(wealth, lam, mu)
        top = T.tail(theta)[0]
        for k in np.nonzero(mid)[0]:
            out[k] = (top - T.tail(min(i[k] / lam, 1.0))[0]) / price
    return out


def discretised_market(wealth: Callable, eq: Equilibrium, n_assets: int, n_buyers: int):
    """The continuum market m* at p* on a grid: ``(supply, rules, demand, i_mid, theta_mid)``.

    Assets: ``n_assets`` cells of [0, 1] with masses S(i)Δi (S = 1 for lemons, µ for
    high-quality assets, eq. (23)); buyers: ``n_buyers`` cells of [θ*, 1], each a rule
    χ(i) = x(i, θ) = 1(i > λθ) at the cell midpoint with demand ``∫_cell w dθ / p*`` (eq. 24,
    cell integral by 8-point Gauss–Legendre). Feed it to :func:`clear_market_rationed`.
    """
    n_assets = numerics.check_positive_int("n_assets", n_assets, 2)
    n_buyers = numerics.check_positive_int("n_buyers", n_buyers, 1)
    lam, mu, theta, price = eq.lam, eq.mu, eq.cutoff, eq.price
    edges_i = np.linspace(0.0, 1.0, n_assets + 1)
    i_mid = 0.5 * (edges_i[:-1] + edges_i[1:])
    S = np.where(i_mid > lam, mu, 1.0) * np.diff(edges_i)
    edges_t = np.linspace(theta, 1.0, n_buyers + 1)
    t_mid = 0.5 * (edges_t[:-1] + edges_t[1:])
    x8, w8 = np.polynomial.legendre.leggauss(8)
    half = 0.5 * np.diff(edges_t)
    nodes = t_mid[:, None] + half[:, None] * x8[None, :]
    cell_w = (_eval_wealth(wealth, nodes) @ w8) * half
    demand = cell_w / price
    rules = (i_mid[None, :] > lam * t_mid[:, None]).astype(float)
    return S, rules, demand, i_mid, t_mid
