"""Kurlat, *Asset markets with heterogeneous information* (fire-sales draft; Econometrica 2016).

Two pieces of the paper, both as pure functions that validate their input and check their
own results:

* **Clearing algorithms**, eqs. (14)–(17) and Definition 6: :func:`clear_market` runs the
  round-by-round clearing of a market with a finite set of assets and acceptance rules, for a
  given clearing sequence ``omega`` (``omega[k, n]`` = share of rule ``k``'s demand cleared in
  round ``n + 1``); :func:`clear_market_rationed` first builds ``omega`` by the equilibrium
  algorithm (20) (clear everybody as early as feasible, rationing all rules in the same
  proportion). Both work in exact rational arithmetic when any supply, demand or ``omega``
  entry is a :class:`fractions.Fraction` (or a sympy rational) and in floats otherwise.
  *Stated rule for mixed input:* in exact arithmetic a float is accepted only when it is a
  whole number (``1.0``); any other float (``0.1``, whose binary value is not 1/10) is
  refused with a ``ValueError`` naming the argument.
* **The fire-sale example**, eqs. (18)–(19) and the slope dp*/dµ of eq. (34):
  :func:`equilibrium` solves for the price ``p*`` and the cutoff expertise ``θ*`` for any
  bounded, piecewise-smooth wealth density ``w(θ) ≥ 0`` on ``[0, 1]``; :func:`price_slope`
  gives dp*/dµ from the general formula

      dp*/dµ = λ p* (1 − θ*) (w(θ*−) − w̄) / (µ N* (λ p* + w(θ*−))),
      w̄ = ∫_{θ*}^1 w/N² dθ / ∫_{θ*}^1 1/N² dθ,

  (the book's restatement of eq. (34); derived and checked in the notebook) with the
  *left limit* ``w(θ*−)``: θ* falls as µ rises, so this is the derivative as µ increases
  (the right derivative in µ) even when ``w`` jumps at θ*.
  :func:`slope_decomposition` splits it into the selection (Uhlig) effect and the
  changing-threshold effect.

Notation follows the paper: ``lam`` = λ (share of lemons, assets ``i ≤ λ``), ``mu`` = µ
(share of distressed sellers). ``N(θ) = λ(1 − θ) + µ(1 − λ)`` is the measure of assets buyer
``θ`` accepts at ``p*`` (the paper writes it out; we call it N to keep D for the demand
measure of eqs. (15)–(17)); ``N* = N(θ*)``.

**Quadrature you can trust.** Every function that integrates the wealth density uses the
same machinery: (i) a *probe* samples ``w`` on a uniform grid of 2^15 cells of [0, 1]
(spacing ``h ≈ 3.1e-5``) and marks where it is not smooth (second differences); (ii) an
adaptive Gauss–Legendre rule (12 points on each panel against 12 on each half) starts from
panels that include those places and the ``breakpoints`` and refines until the two agree to
~1e-14; (iii) the result is compared with the probe's own trapezoid rule, with an error bound
the probe computes for itself; if the two rules disagree, or if a concentration of wealth is
seen by a single probe point (so its width, below ``2h``, cannot be known), a
:class:`WealthResolutionError` says where and asks for ``breakpoints``. Concentrations at
least ``2h ≈ 6.1e-5`` wide are found without help; narrower ones must be declared with
``breakpoints`` (the edges of the concentration) — a density that no probe point sees
differently from its neighbours cannot be detected by any sampling rule: such a concentration
(width below 2^-15 ≈ 3.1e-5, lying between probe points) is *not* reported, and its mass is
missing from every result. The work is bounded: a density whose values are noisy (computed in
float32, or rounded to a few digits) never lets the panels agree to 1e-14, and after at most
20,000 unresolved panels (beyond four per starting panel) a :class:`WealthResolutionError` says so (in a few hundredths of a
second) instead of refining without end. A callable that fails, or returns complex or
non-numeric values, raises :class:`WealthFunctionError`; a computation that leaves double
precision raises :class:`firesales.numerics.OutOfRangeError` (both ``ValueError``).

**dp*/dµ to a stated precision.** As µ(1 − λ) → 0 the cutoff approaches 1 and dp*/dµ is
p*(1 − p*)/µ times the small difference (w(θ*−) − w̄)/(λp* + w(θ*−)); the difference is
integrated directly (no cancellation of two means) and carries an error bound from the
density's rounding, the quadrature and the left limit. The slope is returned when that
bound is below ``SLOPE_RTOL`` = 1e-6 of |dp*/dµ| + p*(1 − p*), else
:class:`SlopeAccuracyError` says which µ would work (for w = 1.2θ, λ = 0.5: µ ≳ 3e-9).

For checks of Proposition 1 against the agents' own problems: :func:`seller_supply` solves a
seller's program (1)–(5) as a linear program; :func:`discretised_market` puts the market at a
price p on a grid for the clearing algorithm; :func:`terms_of_trade` is the paper's τ(θ);
:func:`pooled_price` is the benchmark with identical uninformed buyers (Uhlig 2010).

For the synthesis chapter, :func:`price_curve` returns ``p*(µ)``, ``θ*(µ)`` and the slopes
on a grid of µ together with two no-friction benchmarks: :func:`full_information_price`
(buyers can tell lemons apart: high-quality assets sell at their value 1 unless buyers' total
wealth is too small) and the µ → 0 limit :func:`limit_price`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import optimize, special

from . import numerics

__all__ = [
    "Clearing",
    "InfeasibleClearingError",
    "WealthResolutionError",
    "WealthFunctionError",
    "SlopeAccuracyError",
    "Equilibrium",
    "SlopeDecomposition",
    "DiscreteMarket",
    "clear_market",
    "clear_market_rationed",
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
    "seller_supply",
    "pooled_price",
    "max_distress",
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
    sp = sys.modules.get("sympy")  # sympy rationals, without importing sympy unless loaded
    return sp is not None and isinstance(x, sp.Rational)


def _to_fraction(name: str, x) -> Fraction:
    """An exact-arithmetic entry: int, Fraction, sympy rational or a whole-number float."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        raise ValueError(f"{name} must hold numbers, got a boolean {x!r}")
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if _is_rational(x):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, (float, np.floating)) and math.isfinite(float(x)):
        if float(x).is_integer():
            return Fraction(int(x))
        raise ValueError(
            f"{name} mixes the float {float(x)!r} into exact arithmetic: exact clearing converts only "
            f"whole-number floats (its binary value is not a short fraction); pass "
            f"Fraction('{float(x)!r}') or use floats throughout"
        )
    raise ValueError(f"{name} must hold finite rational numbers, got {x!r}")


def _object_array(name: str, value, ndim: int) -> np.ndarray:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(f"{name} must be a {ndim}-dimensional sequence of numbers, got {value!r}")
    try:
        arr = value if isinstance(value, np.ndarray) and value.dtype.kind in "fiu" else np.array(value, dtype=object)
    except ValueError as exc:  # ragged nesting
        raise ValueError(f"{name} must be a {ndim}-dimensional array of numbers (ragged input)") from exc
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-dimensional array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    return arr


def _entries(name: str, arr: np.ndarray, exact: bool, original=None) -> np.ndarray:
    """Validate every entry (numbers only, finite) and convert: Fractions or floats."""
    if not exact and isinstance(original, np.ndarray) and original.dtype.kind in "fiu":
        out = original.astype(float)  # a numeric array: one vectorised check
        if not np.all(np.isfinite(out)):
            raise ValueError(f"{name} must hold finite real numbers, got a non-finite entry")
        return out
    if exact:
        out = np.empty(arr.shape, dtype=object)
        out.ravel()[:] = [_to_fraction(name, x) for x in arr.ravel()]
        return out
    flat = [numerics.check_finite(name, x) for x in arr.ravel()]
    return np.array(flat, dtype=float).reshape(arr.shape)


def _validate_market(supply, rules, demand, omega=None):
    raw = {"supply": _object_array("supply", supply, 1), "rules": _object_array("rules", rules, 2),
           "demand": _object_array("demand", demand, 1)}
    if omega is not None:
        raw["omega"] = _object_array("omega", omega, 2)
    exact = any(
        _is_rational(x) for key in ("supply", "demand", "omega") if key in raw and raw[key].dtype == object
        for x in raw[key].ravel()
    )
    S = _entries("supply", raw["supply"], exact, supply)
    R = _entries("rules", raw["rules"], exact, rules)
    d = _entries("demand", raw["demand"], exact, demand)
    n_assets = S.shape[0]
    if R.shape[1] != n_assets:
        raise ValueError(f"rules must have shape (n_rules, n_assets={n_assets}), got {R.shape}")
    n_rules = R.shape[0]
    if d.shape[0] != n_rules:
        raise ValueError(f"demand must have shape (n_rules={n_rules},), got {d.shape}")
    if not exact:  # vectorised checks
        negative_supply, negative_demand = bool(np.any(S < 0)), bool(np.any(d < 0))
        not_binary = bool(np.any((R != 0) & (R != 1)))
    else:
        negative_supply, negative_demand = any(x < 0 for x in S), any(x < 0 for x in d)
        not_binary = any(x != 0 and x != 1 for x in R.ravel())
    if negative_supply:
        raise ValueError("supply must be nonnegative: every S(i) >= 0")
    if negative_demand:
        raise ValueError("demand must be nonnegative: every D(χ) >= 0")
    if not_binary:
        raise ValueError("rules must be acceptance rules χ(i) with entries 0 or 1 (Definition 2)")
    W = None
    if omega is not None:
        W = _entries("omega", raw["omega"], exact, omega)
        if W.shape[0] != n_rules:
            raise ValueError(f"omega must have shape (n_rules={n_rules}, n_rounds), got {W.shape}")
        if (bool(np.any(W < 0)) if not exact else any(x < 0 for x in W.ravel())):
            raise ValueError("omega must be nonnegative: ω(χ, n) >= 0")
        sums = W.sum(axis=1)
        bad = [k for k, s in enumerate(sums) if (s != 1 if exact else abs(s - 1.0) > 1e-9)]
        if bad:
            raise ValueError(
                f"omega must sum to 1 over rounds for every rule (Definition 5); rows {bad} sum to "
                + ", ".join(_fmt_num(sums[k]) for k in bad[:5])
            )
    return exact, S, R, d, W


def _zero(exact: bool):
    return Fraction(0) if exact else 0.0


def _round_allocation(S: np.ndarray, R: np.ndarray, exact: bool) -> np.ndarray:
    """Eq. (14): a representative sample of the acceptable residual supply, per unit demanded."""
    pool = R.dot(S)  # ∫ χ(i) S^{n-1}(i) di for each rule
    positive = np.array([p > 0 for p in pool], dtype=bool) if exact else pool > 0
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
    result = Clearing(
        allocation=alloc,
        eta=_eta(S0, R, d, alloc, exact),
        residual=S,
        residual_path=np.array(path, dtype=dtype),
        round_allocation=ra,
        omega=om,
        exact=exact,
    )
    _check_clearing(S0, d, result)
    return result


def _check_clearing(S0, d, result: Clearing) -> None:
    """Own check: what was allocated equals what left the supply, asset by asset (15)–(16)."""
    sold = d.dot(result.allocation)
    gap = S0 - result.residual - sold
    if result.exact:
        bad = [i for i, g in enumerate(gap) if g != 0]
    else:
        scale = np.maximum(S0, 1.0)
        bad = [i for i in range(gap.shape[0]) if abs(gap[i]) > 1e-9 * scale[i]]
    if bad:  # pragma: no cover - an internal inconsistency, never expected
        raise ValueError(f"clearing check failed: allocations and residual supply disagree for assets {bad[:5]}")


@numerics.guard
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
    ``demand`` or ``omega`` holds a :class:`fractions.Fraction` (or a sympy rational); then a
    non-integral float anywhere is refused (see the module docstring).

    Raises
    ------
    InfeasibleClearingError (a ``ValueError``) if some round would leave negative residual
    supply (Definition 6); ``ValueError`` for malformed input.
    """
    _object_array("omega", omega, 2)  # required here: None is not a clearing sequence
    exact, S0, R, d, W = _validate_market(supply, rules, demand, omega)

    def given(n, a_n, S):
        return W[:, n - 1]

    S, alloc, path, rounds, omegas = _run(S0, R, d, exact, given, W.shape[1])
    return _result(S0, R, d, exact, S, alloc, path, rounds, omegas)


@numerics.guard
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
        if exact:
            for i in range(n_assets):
                if take[i] > 0 and S[i] / take[i] < share:
                    share = S[i] / take[i]
        elif np.any(take > 0):
            pos = take > 0
            share = min(r, float(np.min(S[pos] / take[pos])))
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
_GL24_X, _GL24_W = np.polynomial.legendre.leggauss(24)
#: Cells of the probe grid on [0, 1] (spacing h = 2^-15 ≈ 3.1e-5).
PROBE_CELLS = 2**15
#: θ* − δ at which the left limit w(θ*−) is read (far above the cutoff's rounding error).
LEFT_LIMIT_STEP = 1e-10


class WealthResolutionError(ValueError):
    """The wealth density has structure that the quadrature cannot resolve without help."""


class WealthFunctionError(ValueError):
    """The user's wealth callable failed, or returned something that is not a real array of θ's shape."""


class SlopeAccuracyError(ValueError):
    """dp*/dµ cannot be resolved to the stated precision from w(θ) at these parameters."""


def _check_params(lam, mu) -> tuple[float, float]:
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    mu = numerics.check_interval("mu", mu, 0.0, 1.0)
    return lam, mu


def _check_callable(name: str, value) -> None:
    if not callable(value):
        raise ValueError(f"{name} must be a callable θ ↦ w(θ) on [0, 1], got {value!r}")


def _numbers(name: str, value, lo: float, hi: float, *, scalar_ok: bool = True) -> np.ndarray:
    """A number or a 1-d sequence of finite numbers in [lo, hi], as a float array."""
    if isinstance(value, np.ndarray) and value.ndim > 1:
        raise ValueError(f"{name} must be a number or a 1-d sequence of numbers, got shape {value.shape}")
    if isinstance(value, (list, tuple, np.ndarray)):
        items = list(value)
    elif scalar_ok:
        items = [value]
    else:
        raise ValueError(f"{name} must be a sequence of numbers in [{lo:g}, {hi:g}], got {value!r}")
    return np.array(
        [numerics.check_interval(name, x, lo, hi, lo_closed=True, hi_closed=True) for x in items], dtype=float
    )


def _check_breakpoints(breakpoints) -> np.ndarray:
    return np.unique(_numbers("breakpoints", breakpoints, 0.0, 1.0, scalar_ok=False))


def _eval_wealth(wealth: Callable, theta: np.ndarray) -> np.ndarray:
    _check_callable("wealth", wealth)
    with np.errstate(all="ignore"):
        try:
            values = wealth(theta)
        except Exception as exc:
            raise WealthFunctionError(
                f"wealth(θ) raised {type(exc).__name__}: {exc} (wealth must accept a NumPy array of θ "
                "and return an array of the same shape)"
            ) from exc
        if np.iscomplexobj(values):
            raise WealthFunctionError(
                "wealth must return real values, got a complex array (take .real yourself if the imaginary "
                "part is rounding noise)"
            )
        try:
            values = np.broadcast_to(np.asarray(values, dtype=float), theta.shape)
        except (TypeError, ValueError) as exc:
            raise WealthFunctionError(
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


def _runs(indices: np.ndarray, gap: int) -> list[tuple[int, int]]:
    """Group sorted integers into runs whose members are at most ``gap`` apart."""
    if indices.size == 0:
        return []
    cuts = np.nonzero(np.diff(indices) > gap)[0]
    starts = np.concatenate([[0], cuts + 1])
    ends = np.concatenate([cuts, [indices.size - 1]])
    return [(int(indices[a]), int(indices[b])) for a, b in zip(starts, ends)]


_PROBE_S = np.linspace(0.0, 1.0, PROBE_CELLS + 1)  # probe grid in s = 1 − θ
_PROBE_THETA = 1.0 - _PROBE_S


class _Probe:
    """The wealth density sampled on a uniform grid, in s = 1 − θ (independent of λ, µ).

    Marks where ``w`` is not smooth (second differences above 1e-7 of its largest value), so
    the adaptive rule starts with panel edges there and at every jump (bracketed by
    bisection); refuses concentrations that a single probe point sees (their width cannot be
    known) unless a breakpoint declares them; and keeps the trapezoid sum with its own error
    bound, for the final comparison of two rules. All work on the whole grid is a handful of
    vectorised passes; everything else runs on the few irregular points only.
    """

    MAX_RUNS = 2000

    def __init__(self, wealth: Callable, breakpoints=()):
        _check_callable("wealth", wealth)
        self.wealth = wealth
        self.breakpoints = _check_breakpoints(breakpoints)  # in θ
        n, s = PROBE_CELLS, _PROBE_S
        h = 1.0 / n
        v = _eval_wealth(wealth, _PROBE_THETA)
        self.vmax = vmax = float(v.max())
        thr = 1e-7 * vmax
        d2 = v[2:] - 2.0 * v[1:-1] + v[:-2]  # d2[k − 1] belongs to grid point k = 1..n−1
        abs_d2 = np.abs(d2)
        flagged = np.nonzero(abs_d2 > thr)[0] + 1
        bp_s = np.sort(1.0 - self.breakpoints)
        bp_cells = np.unique(np.clip(np.floor(bp_s * n).astype(int), 0, n - 1))
        self._refuse_lone_points(flagged, d2, v, bp_s)
        runs = _runs(flagged, 8)
        if len(runs) > self.MAX_RUNS:
            raise WealthResolutionError(
                f"wealth is irregular at {len(runs)} places on the probe grid (spacing {h:.2g}): "
                "it varies too fast to be integrated reliably; smooth it or pass its jump points as breakpoints"
            )
        edges = [s[[0, -1]], self._locate_jumps(flagged, v, thr), bp_s, s[bp_cells], s[bp_cells + 1]]
        rough = []
        for a, b in runs:
            a, b = max(a - 1, 0), min(b + 1, n)
            edges.append(s[a : b + 1] if b - a <= 64 else s[[a, b]])
            rough.append(np.arange(max(a - 1, 0), min(b + 1, n)))
        self.edges = np.unique(np.concatenate(edges))
        # the probe's own rule: trapezoid, with an error bound. On a pair of cells Simpson minus
        # trapezoid is −(h/6)·(second difference at the middle point): ten times that bounds the
        # trapezoid's error where w is smooth; where it is rough (a jump inside a cell), half the
        # cell's change times h bounds it.
        rough = np.unique(np.concatenate(rough)) if rough else np.zeros(0, dtype=int)
        bound = 10.0 * h / 6.0 * float(abs_d2[::2].sum())
        bound += 0.5 * h * float(np.abs(v[rough + 1] - v[rough]).sum())
        trap = h * (float(v.sum()) - 0.5 * (v[0] + v[-1]))
        # cells holding a declared breakpoint: the probe cannot judge them, so they are left out
        trap -= 0.5 * h * float((v[bp_cells] + v[bp_cells + 1]).sum())
        self.excluded = [(float(s[k]), float(s[k + 1])) for k in bp_cells]
        self.trapezoid = trap
        self.tolerance = bound + 1e-12 * (abs(trap) + h * vmax) + 1e-300

    @staticmethod
    def _refuse_lone_points(flagged, d2, v, bp_s) -> None:
        """A feature seen by one probe point only has second differences (+A, −2A, +A)."""
        k = flagged[(flagged >= 2) & (flagged <= PROBE_CELLS - 2)]
        if k.size == 0:
            return
        mid, left, right = d2[k - 1], d2[k - 2], d2[k]
        lone = (left * mid < 0) & (right * mid < 0) & (np.abs(left) > np.abs(mid) / 4) & (np.abs(right) > np.abs(mid) / 4)
        s, h = _PROBE_S, 1.0 / PROBE_CELLS
        for j in k[lone]:
            if not np.any((bp_s > s[j - 1]) & (bp_s < s[j + 1])):
                raise WealthResolutionError(
                    f"wealth has a concentration at θ ≈ {1.0 - s[j]:.6g} seen by a single probe point "
                    f"(w = {v[j]:.6g} there, {v[j - 1]:.6g} and {v[j + 1]:.6g} at ±{h:.2g}): it is narrower "
                    f"than {2 * h:.2g}, so its mass cannot be measured; pass its edges as breakpoints"
                )

    def _locate_jumps(self, flagged: np.ndarray, v: np.ndarray, thr: float) -> np.ndarray:
        """Edges bracketing each jump the probe sees, to floating-point resolution.

        A jump is a cell next to a flagged point whose change in w exceeds 1e-7 of max w and
        four times the change in each neighbouring cell; bisection on w (vectorised over all
        jumps) then brackets it. Gauss rules cannot see a jump that sits within ~1% of a
        panel's width from its end (their outermost nodes are that far in), so jumps are made
        panel edges explicitly.
        """
        n, s = PROBE_CELLS, _PROBE_S
        c = np.unique(np.concatenate([flagged - 1, flagged]))
        c = c[(c >= 0) & (c <= n - 1)]
        if c.size == 0:
            return np.zeros(0)
        dv = np.abs(v[c + 1] - v[c])
        left = np.where(c >= 1, np.abs(v[c] - v[np.maximum(c - 1, 0)]), 0.0)
        right = np.where(c <= n - 2, np.abs(v[np.minimum(c + 2, n)] - v[c + 1]), 0.0)
        cells = c[(dv > thr) & (dv > 4.0 * np.maximum(left, right))]
        if cells.size > 20 * self.MAX_RUNS:
            raise WealthResolutionError(
                f"wealth jumps in {cells.size} cells of the probe grid: too irregular to integrate reliably"
            )
        lo, hi, vlo, vhi = s[cells], s[cells + 1], v[cells], v[cells + 1]
        for _ in range(64):
            m = 0.5 * (lo + hi)
            live = (m > lo) & (m < hi)
            if not live.any():
                break
            vm = _eval_wealth(self.wealth, 1.0 - m)
            up = live & (np.abs(vm - vlo) < np.abs(vhi - vm))  # the jump is in [m, hi]
            down = live & ~up
            lo, vlo = np.where(up, m, lo), np.where(up, vm, vlo)
            hi, vhi = np.where(down, m, hi), np.where(down, vm, vhi)
        return np.concatenate([lo, hi])

    def left_limit(self, theta: float) -> float:
        """w(θ−); see :meth:`left_limit_with_error`."""
        return self.left_limit_with_error(theta)[0]

    def left_limit_with_error(self, theta: float) -> tuple[float, float]:
        """w(θ−) and an estimate of its error.

        Linear extrapolation to θ from θ − δ and θ − 2δ (exact to O(δ²) for smooth w; the value
        below a jump at θ), δ = LEFT_LIMIT_STEP or less: δ is cut so that the three points read
        (θ − δ, θ − 2δ, θ − 3δ) stay between θ and the nearest jump or breakpoint below it, and a
        jump at θ itself (to rounding) is stepped over. The error estimate is the gap to the
        quadratic extrapolation plus rounding. w(0) at θ = 0.
        """
        eps = np.finfo(float).eps
        if theta <= 2 * LEFT_LIMIT_STEP:
            w0 = float(_eval_wealth(self.wealth, np.array([0.0]))[0])
            return w0, 4 * eps * abs(w0)
        start = 1.0 - theta  # in s = 1 − θ: below θ is s > start
        edges = np.append(self.edges, 1.0)
        end = float(edges[np.searchsorted(edges, start, side="right")]) if start < 1.0 else 1.0
        # a jump at θ (to rounding): step over it, and over every edge of its bracket (the probe
        # brackets a jump between two edges a few ulps apart)
        while end - start <= 4 * max(np.spacing(max(start, end)), np.spacing(theta)) and end < 1.0:
            start, end = end, float(edges[np.searchsorted(edges, end, side="right")])
        step = min(LEFT_LIMIT_STEP, (end - start) / 4)
        if not step > 2 * np.spacing(max(start, 1e-300)):
            value = float(_eval_wealth(self.wealth, np.array([1.0 - 0.5 * (start + end)]))[0])
            return value, 4 * eps * abs(value)
        n1, n2, n3 = _eval_wealth(self.wealth, 1.0 - (start + step * np.array([1.0, 2.0, 3.0])))
        if abs(n1 - n2) > 1e-6 * (1.0 + abs(n1)):  # a jump the probe did not see, within 2δ
            return float(n1), float(abs(n1 - n2))
        linear, quadratic = 2.0 * n1 - n2, 3.0 * n1 - 3.0 * n2 + n3
        rounding = 8 * eps * max(abs(n1), abs(n2), abs(n3))
        return float(max(linear, 0.0)), float(abs(quadratic - linear) + rounding)


class _TailIntegrals:
    """Accurate tails ``∫_θ^1 w(t) / N(t)^k dt`` (k = 0, 1, 2) for one (w, λ, µ).

    Works in the distance to the top, ``s = 1 − θ`` (so cutoffs very close to θ = 1 keep full
    relative precision), with ``N = λ s + µ(1−λ)``. Adaptive composite Gauss–Legendre on panels
    of s ∈ [0, 1]: the starting edges are a uniform grid, a grading towards s = 0 where 1/N
    varies on the scale µ(1−λ)/λ, and the probe's irregular places and breakpoints; each
    panel's 12-point rule is compared with the rule on its two halves, and panels are split
    until they agree to ~1e-14 relative to each integrand's scale (jumps end up isolated in
    panels of width ~1e-13); every pass evaluates ``w`` once, vectorised. Finally ∫w is
    compared with the probe's trapezoid rule within the probe's error bound.
    """

    def __init__(self, probe: _Probe, lam: float, mu: float, tol: float = 1e-14, max_passes: int = 64):
        self.probe, self.wealth, self.lam, self.mu = probe, probe.wealth, lam, mu
        self.eps = mu * (1.0 - lam)
        scale = self.eps / lam
        graded = scale * 2.0 ** np.arange(0, max(1, int(np.ceil(np.log2(1.0 / scale)))))
        edges = np.unique(np.concatenate([np.linspace(0.0, 1.0, 17), graded[graded < 1.0], probe.edges]))
        todo = np.stack([edges[:-1], edges[1:]], axis=1)
        # bounded work: a piecewise-smooth w leaves a few unresolved panels per place where it is
        # not smooth (each pass halves them); a density whose values are noisy (float32, rounded
        # data) never agrees to 1e-14 and would double its panels every pass
        budget = 4 * todo.shape[0] + self.PANEL_BUDGET
        done_panels, done_vals = [], []
        iscale = None
        for halvings in range(max_passes):
            a, b = todo[:, 0], todo[:, 1]
            whole, halves = self._whole_and_halves(a, b)
            if not (np.all(np.isfinite(whole)) and np.all(np.isfinite(halves))):
                raise numerics.OutOfRangeError(
                    f"lam, mu: the tails ∫w/N and ∫w/N² (N = λ(1−θ) + µ(1−λ) ≥ {self.eps:.3g}) overflow double "
                    f"precision at λ = {lam:.3g}, µ = {mu:.3g} with max w = {probe.vmax:.3g}; parameters (or wealth "
                    "in other units) with max w / (µ(1−λ))² below about 1e300 work"
                )
            if iscale is None:  # size of each integrand (per unit length), per component
                iscale = np.maximum(1e-300, np.max(np.abs(halves) / (b - a)[:, None], axis=0))
            err = np.max(np.abs(whole - halves) / iscale[None, :], axis=1)
            ok = err <= tol * np.maximum(b - a, 1e-3)
            ok |= (b - a) < 1e-13  # a jump isolated to rounding level
            done_panels.append(todo[ok])
            done_vals.append(halves[ok])
            bad = todo[~ok]
            if bad.size == 0:
                break
            if 2 * bad.shape[0] > budget:
                raise self._noisy(bad, err[~ok], halvings)
            mid = 0.5 * (bad[:, 0] + bad[:, 1])
            todo = np.concatenate([np.stack([bad[:, 0], mid], 1), np.stack([mid, bad[:, 1]], 1)])
        else:
            raise WealthResolutionError(
                "could not integrate the wealth density to 1e-14 in 64 halvings: is w(θ) bounded and "
                "piecewise smooth on [0, 1]?"
            )
        panels = np.concatenate(done_panels)
        vals = np.concatenate(done_vals)
        order = np.argsort(panels[:, 0])
        self.left = panels[order, 0]  # in s
        self.right = panels[order, 1]
        vals = vals[order]
        # "heads" in s: ∫_0^{edge} = tails in θ from 1 − edge to 1; head_left[k] = head_right[k−1]
        # exactly, so that G is continuous across panel edges in floating point too
        self.head_right = np.cumsum(vals, axis=0)
        self.head_left = np.concatenate([np.zeros((1, 3)), self.head_right[:-1]])
        self._compare_with_probe()

    #: Largest number of unresolved panels (beyond four per starting panel) before giving up.
    PANEL_BUDGET = 20_000

    def _noisy(self, bad: np.ndarray, err: np.ndarray, halvings: int) -> WealthResolutionError:
        """Diagnosis when the panels do not settle: the relative size of the disagreement, and where."""
        level = float(np.median(err / np.maximum(bad[:, 1] - bad[:, 0], 1e-300)))
        lo, hi = 1.0 - float(bad[:, 1].max()), 1.0 - float(bad[:, 0].min())
        return WealthResolutionError(
            f"could not integrate the wealth density to 1e-14: after {halvings + 1} halvings {bad.shape[0]} panels "
            f"on θ ∈ [{lo:.6g}, {hi:.6g}] still disagree (typical gap {level:.1e} of the density's scale), so its values are noisy at a level no refinement resolves: a density computed in float32 "
            "(about 1e-7 relative) or rounded to a few digits looks like this. Evaluate it in float64 (e.g. "
            "interpolate tabulated data with a spline in double precision), or pass its jump points as breakpoints"
        )

    def _compare_with_probe(self) -> None:
        total = float(self.head_right[-1, 0])
        for a, b in self.probe.excluded:
            total -= float(self.head(np.array([b]))[0, 0] - self.head(np.array([a]))[0, 0])
        gap = abs(total - self.probe.trapezoid)
        if not gap <= self.probe.tolerance:
            raise WealthResolutionError(
                f"two quadratures of ∫w disagree: adaptive Gauss–Legendre {total:.12g}, probe trapezoid "
                f"{self.probe.trapezoid:.12g} (gap {gap:.3g} > bound {self.probe.tolerance:.3g}): w has "
                "structure between the probe points; pass the edges of its concentrations as breakpoints"
            )
        self.probe_gap = gap

    def _panel(self, a, b, x=_GL_X, w=_GL_W):
        half = 0.5 * (b - a)
        s = (0.5 * (a + b))[:, None] + half[:, None] * x[None, :]
        wt = _eval_wealth(self.wealth, 1.0 - s)
        inv = 1.0 / (self.lam * s + self.eps)
        f0 = wt @ w * half
        f1 = (wt * inv) @ w * half
        f2 = (wt * inv * inv) @ w * half
        return np.stack([f0, f1, f2], axis=1)

    def _whole_and_halves(self, a, b):
        """12-point rule on each panel and on its two halves, with one call of ``wealth``."""
        m = 0.5 * (a + b)
        vals = self._panel(np.concatenate([a, a, m]), np.concatenate([b, m, b]))
        n = a.shape[0]
        return vals[:n], vals[n : 2 * n] + vals[2 * n :]

    @property
    def total(self) -> np.ndarray:
        """(∫_0^1 w, ∫_0^1 w/N, ∫_0^1 w/N²)."""
        return self.head_right[-1]

    def head(self, s: np.ndarray) -> np.ndarray:
        """(∫ w, ∫ w/N, ∫ w/N²) over θ ∈ [1 − s, 1], for an array of distances s = 1 − θ."""
        s = np.minimum(np.atleast_1d(np.asarray(s, dtype=float)), 1.0)
        k = np.clip(np.searchsorted(self.left, s, side="right") - 1, 0, self.left.shape[0] - 1)
        a = self.left[k]
        part = self._panel(a, np.maximum(s, a), _GL24_X, _GL24_W)
        out = self.head_left[k] + part
        out[s <= 0.0] = 0.0
        return out

    def centred_tail(self, s: float, c: float) -> tuple[float, float, float]:
        """∫ (w − c)/N² over θ ∈ [1 − s, 1], free of the cancellation in ∫w/N² − c∫1/N².

        Gauss–Legendre with 24 points on each panel below s (and the part of the one holding s);
        returns (integral, |24-point − 12-point result|, max |w| at the nodes).
        """
        k = int(np.searchsorted(self.right, s, side="right"))
        a = np.append(self.left[:k], self.left[min(k, self.left.shape[0] - 1)])
        b = np.append(self.right[:k], s)
        keep = b > a
        a, b = a[keep], b[keep]
        half, mid = 0.5 * (b - a), 0.5 * (a + b)
        x = np.concatenate([_GL24_X, _GL_X])
        nodes = mid[:, None] + half[:, None] * x[None, :]
        wt = _eval_wealth(self.wealth, 1.0 - nodes)
        f = (wt - c) / (self.lam * nodes + self.eps) ** 2
        fine = float(np.sum((f[:, :24] @ _GL24_W) * half))
        coarse = float(np.sum((f[:, 24:] @ _GL_W) * half))
        return fine, abs(fine - coarse), float(np.max(np.abs(wt))) if wt.size else 0.0


@dataclass(frozen=True)
class Equilibrium:
    """The fire-sale equilibrium, eqs. (18)–(19).

    price : p*; cutoff : θ*; lam, mu : parameters; integral : ∫_{θ*}^1 w(θ)/N(θ) dθ;
    residual18, residual19 : residuals of (18) and (19) at the solution (same quadrature, so
    they only show the root was found, not that the quadrature is right: that is what the
    comparison with the probe is for); expertise_gap : 1 − θ*, the variable actually solved
    for (full relative precision when the cutoff is very close to 1); probe_gap : |∫w by the
    adaptive rule − ∫w by the probe's trapezoid rule|, within the probe's error bound.
    """

    price: float
    cutoff: float
    lam: float
    mu: float
    integral: float
    residual18: float
    residual19: float
    expertise_gap: float
    probe_gap: float


def _solve(T: _TailIntegrals):
    """Solve (18)-(19) in s = 1 − θ*: returns (s*, p*, tails at θ*)."""
    lam, eps = T.lam, T.eps
    # G(s) = N ∫_{1−s}^1 w/N − µ(1−λ) with N = λs + µ(1−λ): (18) with (19) substituted. G(0) < 0
    # and G is nondecreasing, strictly increasing wherever buyers above the cutoff hold wealth.
    G_edges = (lam * T.right + eps) * T.head_right[:, 1] - eps
    if not G_edges[-1] > 0.0:
        total = float(T.total[1])
        raise numerics.NoRootError(
            "no interior cutoff θ* in (0, 1): even with every buyer in the market (θ* = 0) buyers' "
            f"wealth absorbs only a share {(lam + eps) * total / eps:.6g} < 1 of the µ(1−λ) = "
            f"{eps:.6g} high-quality assets at the price p = µ(1−λ)/(λ+µ(1−λ)) that makes θ = 0 "
            "indifferent (eq. 18 has no solution with eq. 19); buyers' wealth is too small"
        )
    k = int(np.nonzero(G_edges > 0.0)[0][0])  # first panel whose right edge has G > 0
    # G(left[k]) equals G_edges[k − 1] ≤ 0 exactly (head_left[k] is head_right[k − 1]); a root
    # exactly on the edge is returned as it is. Inside the panel w is smooth (jumps are panel
    # edges), so Newton's method with G'(s) = λ ∫ w/N + w(1 − s), safeguarded by bisection on
    # the bracket, converges in a few steps; the tolerance is relative (4 eps), so cutoffs
    # within 1e-10 of the top stay accurate.
    lo, hi = float(T.left[k]), float(T.right[k])
    g_lo, g_hi = (float(G_edges[k - 1]) if k > 0 else -eps), float(G_edges[k])
    if g_lo == 0.0:
        s_star = lo
    else:
        s_star = lo + (hi - lo) * (-g_lo) / (g_hi - g_lo)  # secant start
        for _ in range(100):
            h1 = float(T.head(np.array([s_star]))[0, 1])
            g = (lam * s_star + eps) * h1 - eps
            if g == 0.0:
                break
            lo, hi = (s_star, hi) if g < 0.0 else (lo, s_star)
            slope = lam * h1 + float(_eval_wealth(T.wealth, np.array([1.0 - s_star]))[0])
            step = s_star - g / slope if slope > 0.0 else 0.5 * (lo + hi)
            new = step if lo < step < hi else 0.5 * (lo + hi)
            done = abs(new - s_star) <= 2 * np.spacing(s_star) or hi - lo <= 2 * np.spacing(hi)
            s_star = new
            if done:
                break
        else:  # pragma: no cover - bisection alone halves the bracket 100 times
            raise numerics.NoRootError("eq. (18) with (19) substituted: no convergence in 100 steps")
    if not s_star > 0.0:  # pragma: no cover - G(0) = −µ(1−λ) < 0
        raise numerics.NoRootError("eq. (18)-(19): the cutoff collapsed to θ* = 1")
    price = eps / (lam * s_star + eps)
    tails = T.head(np.array([s_star]))[0]
    # own check: (18) at the root, to within what one unit in the last place of s can resolve
    steep = (lam * tails[1] + float(_eval_wealth(T.wealth, np.array([1.0 - s_star]))[0])) / eps
    if not abs(tails[1] / price - 1.0) <= 1e-9 + 8 * steep * np.spacing(s_star):
        raise numerics.NoRootError(
            f"eq. (18) is not satisfied at the root found (residual {tails[1] / price - 1.0:.3g})"
        )
    return s_star, price, tails


def _equilibrium(T: _TailIntegrals) -> Equilibrium:
    s_star, price, tails = _solve(T)
    N = T.lam * s_star + T.eps
    return Equilibrium(
        price=float(price),
        cutoff=float(1.0 - s_star),
        lam=T.lam,
        mu=T.mu,
        integral=float(tails[1]),
        residual18=float(tails[1] / price - 1.0),
        residual19=float(price - T.eps / N),
        expertise_gap=float(s_star),
        probe_gap=float(T.probe_gap),
    )


@numerics.guard
def equilibrium(wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> Equilibrium:
    """Solve eqs. (18)–(19) for the price p* and the cutoff θ* (unique when it exists).

    Substituting (19) into (18) leaves one equation ``G(θ*) = N(θ*) ∫_{θ*}^1 w/N dθ − µ(1−λ) = 0``
    whose left side is nonincreasing in θ* (strictly where buyers above θ* hold wealth) and
    equals ``−µ(1−λ) < 0`` at θ* = 1, so the root is unique and is bracketed honestly on the
    panels of the quadrature. If ``G(0) ≤ 0`` there is no interior cutoff and ``NoRootError``
    (a ``ValueError``) says so.

    Parameters
    ----------
    wealth : vectorised callable θ ↦ w(θ) ≥ 0 on [0, 1] (finite, piecewise smooth).
    lam, mu : λ, µ in (0, 1).
    breakpoints : points of [0, 1] where w jumps. Needed only for concentrations narrower than
        the probe (``2 / PROBE_CELLS`` ≈ 6.1e-5); see the module docstring. A
        :class:`WealthResolutionError` (a ``ValueError``) says when they are needed — except for
        a concentration lying wholly between two probe points, which no sampling can see and
        which is dropped without a word: declare such features.

    Raises ``NoRootError`` without an interior cutoff, :class:`WealthResolutionError` for a
    density the quadrature cannot resolve (including noisy float32 or rounded values),
    :class:`WealthFunctionError` when ``wealth`` fails, ``OutOfRangeError`` when the tails
    overflow double precision; every one a ``ValueError``.
    """
    lam, mu = _check_params(lam, mu)
    return _equilibrium(_TailIntegrals(_Probe(wealth, breakpoints), lam, mu))


@dataclass(frozen=True)
class SlopeDecomposition:
    """dp*/dµ (as µ increases) and its two opposing parts (Section "Fire Sales").

    slope : dp*/dµ; cutoff_slope : dθ*/dµ; selection : ∂p*/∂µ at fixed θ*,
    ``λ(1−λ)(1−θ*)/N*² > 0`` (more distressed sellers improve the pool: the Uhlig effect);
    threshold : ``∂p*/∂θ* · dθ*/dµ = λµ(1−λ)/N*² · dθ*/dµ`` (the cutoff falls to less expert
    buyers); slope = selection + threshold. wealth_at_cutoff : w(θ*−), the left limit;
    mean_wealth : w̄, the N⁻²-weighted mean of w over [θ*, 1].
    """

    slope: float
    cutoff_slope: float
    selection: float
    threshold: float
    price: float
    cutoff: float
    wealth_at_cutoff: float
    mean_wealth: float


#: dp*/dµ is returned when its error bound is below SLOPE_RTOL·(|dp*/dµ| + p*(1 − p*)).
SLOPE_RTOL = 1e-6


def _decompose(T: _TailIntegrals) -> SlopeDecomposition:
    lam, mu, eps = T.lam, T.mu, T.eps
    s, price, tails = _solve(T)
    theta = 1.0 - s
    N = lam * s + eps
    w_star, w_star_err = T.probe.left_limit_with_error(theta)
    K = s / (eps * N)  # ∫_{θ*}^1 dθ / N², exactly
    # w̄ − w(θ*−) = ∫ (w − w(θ*−))/N² / K: the difference is integrated, not formed from two
    # nearly equal means (as µ(1 − λ) → 0 the cutoff approaches 1 and w̄ → w(θ*−))
    centred, quad_err, w_max = T.centred_tail(s, w_star)
    gap = -centred / K  # w(θ*−) − w̄
    w_bar = w_star - gap
    factor = lam * price * s / (mu * N * (lam * price + w_star))  # = p*(1 − p*)/(µ(λp* + w(θ*−)))
    slope = factor * gap + 0.0  # + 0.0: no negative zero
    # error bound: the density's own rounding (relative eps at every node, and θ rounded near 1),
    # the quadrature (24 against 12 points) and the left limit, through the factor
    gap_err = (quad_err + 8 * np.finfo(float).eps * max(w_max, abs(w_star)) * K) / K + w_star_err
    slope_err = abs(factor) * gap_err + abs(slope) * w_star_err / (lam * price + w_star)
    allowed = SLOPE_RTOL * (abs(slope) + price * (1.0 - price))
    if not slope_err <= allowed:
        mu_ok = mu * slope_err / allowed
        raise SlopeAccuracyError(
            f"dp*/dµ at µ = {mu:.6g}, λ = {lam:.6g} cannot be resolved from w(θ): it is p*(1−p*)/µ · "
            f"(w(θ*−) − w̄)/(λp* + w(θ*−)), and with the cutoff at 1 − θ* = {s:.3g} the difference "
            f"w(θ*−) − w̄ = {gap:.3g} is known only to ±{gap_err:.2g} (the density's rounding), so the slope "
            f"{slope:.6g} is uncertain by {slope_err:.2g} > {allowed:.2g} (a relative {SLOPE_RTOL:g} of "
            f"|dp*/dµ| + p*(1−p*)). The error grows as 1/µ: µ above about {min(mu_ok, 1.0):.2g} would work"
        )
    selection = lam * (1.0 - lam) * s / N**2
    threshold = slope - selection
    return SlopeDecomposition(
        slope=float(slope),
        cutoff_slope=float(threshold * N**2 / (lam * eps)),
        selection=float(selection),
        threshold=float(threshold),
        price=float(price),
        cutoff=float(theta),
        wealth_at_cutoff=float(w_star),
        mean_wealth=float(w_bar),
    )


@numerics.guard
def slope_decomposition(
    wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()
) -> SlopeDecomposition:
    """dp*/dµ from the general formula (module docstring), split into the selection and
    changing-threshold effects. The slope is the derivative as µ increases: it uses the left
    limit w(θ*−) of the wealth density, which is what the cutoff meets as it falls (a jump
    just below θ*, even within 1e-13, is stepped around; a jump at θ* is read from below).

    Accurate to ``SLOPE_RTOL`` = 1e-6 of |dp*/dµ| + p*(1 − p*) (an error bound computed at every
    call); where the bound is larger (µ(1 − λ) so small that w(θ*−) − w̄ sinks into the
    density's rounding, below µ ≈ 1e-8 for moderate densities) it raises
    :class:`SlopeAccuracyError`, a ``ValueError`` naming the µ that would work."""
    lam, mu = _check_params(lam, mu)
    return _decompose(_TailIntegrals(_Probe(wealth, breakpoints), lam, mu))


@numerics.guard
def price_slope(wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()) -> float:
    """dp*/dµ at the equilibrium (as µ increases), ``λp*(1−θ*)(w(θ*−) − w̄)/(µN*(λp* + w(θ*−)))``;
    see :func:`slope_decomposition` (its precision, and the SlopeAccuracyError below it)."""
    return slope_decomposition(wealth, lam, mu, breakpoints=breakpoints).slope


@numerics.guard
def price_curve(wealth: Callable, lam: float, mus, *, breakpoints: Sequence[float] = ()) -> dict:
    """p*(µ), θ*(µ), the slopes and the two no-friction benchmarks on a grid of µ.

    One probe of the wealth density serves the whole grid. Returns a dict of float arrays:
    ``mu``, ``price``, ``cutoff``, ``slope`` (dp*/dµ as µ increases), ``cutoff_slope``,
    ``selection``, ``threshold``, ``wealth_at_cutoff`` (w(θ*−)), ``mean_wealth`` (w̄),
    ``full_information`` (:func:`full_information_price`), ``price_over_full_information``
    (p*/p_FI: what a seller gets for a *high-quality* asset relative to a market where every
    buyer can tell lemons apart; it mixes the lemons discount, present with uninformed buyers
    too, with the effect of heterogeneous expertise, so it is not the cost of heterogeneous
    information alone) and the scalar ``limit_price`` (p* as µ → 0, :func:`limit_price` at
    w(1−), or 0.0 when w(1−) = 0). Each µ is solved as :func:`slope_decomposition` does, so a
    µ at which the slope cannot be resolved raises :class:`SlopeAccuracyError` for the grid.
    """
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    mus = _numbers("mus", mus, 0.0, 1.0)
    if np.any((mus <= 0.0) | (mus >= 1.0)):
        raise ValueError(f"mus must lie in (0, 1), got {mus[(mus <= 0) | (mus >= 1)][0]:g}")
    probe = _Probe(wealth, breakpoints)
    fields = ("price", "cutoff", "slope", "cutoff_slope", "selection", "threshold", "wealth_at_cutoff", "mean_wealth")
    out = {key: np.empty_like(mus) for key in fields}
    total = None
    for k, mu in enumerate(mus):
        T = _TailIntegrals(probe, lam, float(mu))
        d = _decompose(T)
        for key in fields:
            out[key][k] = getattr(d, key)
        total = float(T.total[0])
    fi = np.minimum(1.0, total / (mus * (1.0 - lam)))
    w1 = probe.left_limit(1.0)
    return {
        "mu": mus,
        **out,
        "full_information": fi,
        "price_over_full_information": out["price"] / fi,
        "limit_price": limit_price(w1, lam) if w1 > 0 else 0.0,
    }


# ---------------------------------------------------------------- closed forms and helpers
@numerics.guard
def constant_wealth_price(w: float, lam: float) -> float:
    """p* when w(θ) = w for all θ: the root of ``p = (w/λ) ln(1/p)``, i.e. ``(w/λ) W₀(λ/w)``.

    Independent of µ (Prop. 3, case 3); valid while the cutoff is interior, i.e.
    ``µ < λ p / ((1−λ)(1−p))``. Computed as ``exp(−W₀(λ/w))``, right for every w > 0 and
    λ ∈ (0, 1) whose ratio λ/w is a finite double (p → 1 as λ/w underflows).
    """
    w = numerics.check_interval("w", w, 0.0)
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    x = lam / w
    if not math.isfinite(x):
        raise numerics.OutOfRangeError(f"constant_wealth_price: λ/w = {lam:g}/{w:g} overflows double precision")
    # (w/λ) W₀(λ/w) = exp(−W₀(λ/w)) (W e^W = x): no 0·inf as λ/w underflows (p → 1) or grows (p → 0)
    return float(math.exp(-special.lambertw(x).real))


@numerics.guard
def limit_price(w1: float, lam: float) -> float:
    """lim_{µ→0} p*(µ) = (w(1)/λ) W₀(λ/w(1)): only the most expert buyers' wealth density counts."""
    return constant_wealth_price(numerics.check_interval("w1", w1, 0.0), lam)


@numerics.guard
def full_information_price(
    wealth: Callable, lam: float, mu: float, *, breakpoints: Sequence[float] = ()
) -> float:
    """Price of a high-quality asset if every buyer could tell lemons apart (no information friction).

    Buyers value a high-quality asset at 1 and distressed sellers supply all µ(1−λ) of them at any
    positive price, so the price is 1 when buyers' total wealth W = ∫ w covers them, and
    ``W / (µ(1−λ))`` (cash in the market) otherwise.
    """
    lam, mu = _check_params(lam, mu)
    total = float(_TailIntegrals(_Probe(wealth, breakpoints), lam, mu).total[0])
    return float(min(1.0, total / (mu * (1.0 - lam))))


@numerics.guard
def pooled_price(lam: float, mu: float) -> float:
    """Price with identical uninformed buyers: the benchmark of Uhlig (2010) the paper contrasts with.

    Every buyer accepts every asset, so at a price p < 1 a buyer receives a representative
    sample of the pool offered (eq. 14 in round 1): every lemon, and the distressed sellers'
    high-quality assets (eq. 23). Competitive, risk-neutral buyers with deep pockets pay its mean
    quality, ``µ(1−λ)/(λ + µ(1−λ))``, computed here with the clearing algorithm.
    """
    lam, mu = _check_params(lam, mu)
    res = clear_market([lam, mu * (1.0 - lam)], [[1.0, 1.0]], [0.0], [[1.0]])
    a = res.allocation[0]
    return float(a[1] / a.sum())


@numerics.guard
def terms_of_trade(theta, price: float, lam: float, mu: float) -> np.ndarray:
    """τ(θ) = µ(1−λ) / (p (λ(1−θ) + µ(1−λ))): t = 2 goods per good spent by buyer θ who accepts
    exactly the assets with signal x = 1 in a market at price p where lemons are supplied in
    full and high-quality assets by the distressed sellers only, eqs. (23), (28), p ∈ [p*, 1)."""
    lam, mu = _check_params(lam, mu)
    price = numerics.check_interval("price", price, 0.0)
    theta = _numbers("theta", theta, 0.0, 1.0)
    return mu * (1.0 - lam) / (price * (lam * (1.0 - theta) + mu * (1.0 - lam)))


@numerics.guard
def excess_demand_ratio(
    wealth: Callable, price: float, lam: float, mu: float, *, breakpoints: Sequence[float] = ()
) -> float:
    """H(p) = ∫_{θ(p)}^1 w / (p N) dθ: first-round demand for high-quality assets relative to
    their supply µ(1−λ) when every buyer with τ ≥ 1 at price p buys (Prop. 2's proof), with
    τ(θ(p); p) = 1. H(p*) = 1 is eq. (18)."""
    lam, mu = _check_params(lam, mu)
    price = numerics.check_interval("price", price, 0.0, 1.0)
    T = _TailIntegrals(_Probe(wealth, breakpoints), lam, mu)
    s_p = min(T.eps * ((1.0 - price) / price) / lam, 1.0)  # 1 − p exact near 1, unlike 1/p − 1
    return float(T.head(np.array([s_p]))[0, 1] / price)


@numerics.guard
def selling_probability(i, eq: Equilibrium, wealth: Callable, *, breakpoints: Sequence[float] = ()) -> np.ndarray:
    """η(i, m*) of eq. (29) at an equilibrium: 1 for i > λ, ∫_{θ*}^{i/λ} w/(N p*) dθ on
    [λθ*, λ], 0 below λθ*.

    ``eq`` must be the equilibrium of ``wealth`` (solved with the same ``breakpoints``): the
    function checks (18), η(λ) = 1, with its own quadrature and raises otherwise.
    """
    if not isinstance(eq, Equilibrium):
        raise ValueError(f"eq must be an Equilibrium returned by kurlat.equilibrium, got {eq!r}")
    i = _numbers("i", i, 0.0, 1.0)
    lam, mu, theta, price = eq.lam, eq.mu, eq.cutoff, eq.price
    T = _TailIntegrals(_Probe(wealth, breakpoints), lam, mu)
    s_star = eq.expertise_gap
    top = T.head(np.array([s_star]))[0, 1]
    if not abs(top / price - 1.0) <= 1e-9:
        raise ValueError(
            f"eq is not the equilibrium of this wealth density: eq. (18) gives η(λ) = {top / price:.10g} ≠ 1 "
            "(solve it with the same wealth and breakpoints)"
        )
    out = np.zeros_like(i)
    out[i > lam] = 1.0
    mid = (i > lam * theta) & (i <= lam)
    if mid.any():
        s_i = 1.0 - np.minimum(i[mid] / lam, 1.0)
        out[mid] = np.clip((top - T.head(s_i)[:, 1]) / price, 0.0, 1.0)
    return out


@dataclass(frozen=True)
class DiscreteMarket:
    """A market at price p on a grid (see :func:`discretised_market`).

    supply : (n + 1,) masses of n lemon cells (S = 1 per unit of i) and one high-quality cell
    (µ(1−λ)); quality : (n + 1,) q per cell; rules : (n, n + 1) acceptance rules of the buyer
    cells; theta : (n,) expertise θ_j = j/n whose signal rule each buyer cell uses; demand :
    (n,) demand w/p of buyers in each cell with τ ≥ 1; cutoff : θ(p), the buyer indifferent at p.
    """

    supply: np.ndarray
    quality: np.ndarray
    rules: np.ndarray
    theta: np.ndarray
    demand: np.ndarray
    cutoff: float


#: Largest grid of :func:`discretised_market` (its rules matrix takes 8·n² bytes: 134 MB here).
MAX_CELLS = 4096


@numerics.guard
def discretised_market(
    wealth: Callable, lam: float, mu: float, price: float, n_cells: int, *, breakpoints: Sequence[float] = ()
) -> DiscreteMarket:
    """The continuum market at price p ∈ (0, 1) on a grid, for the clearing algorithm.

    Supply as in eq. (23) for p < 1: every lemon (S = 1) and the distressed sellers'
    high-quality assets (µ(1−λ), one cell: buyers cannot tell them apart). Lemons are cut into
    ``n_cells`` (2 to ``MAX_CELLS`` = 4096) cells of width λ/n, so the signal rule of buyer θ_j = j/n, ``x(i, θ_j) =
    1(i > λθ_j)``, accepts whole cells (j, ..., n−1) and the good cell. Buyer cell j holds the
    buyers θ ∈ (θ_j, θ_{j+1}] and uses the rule of θ_j; its demand is ∫ w/p over the part of
    the cell with τ(θ; p) ≥ 1, i.e. θ ≥ θ(p) = 1 − µ(1−λ)(1/p − 1)/λ (eq. 24 at price p).
    """
    lam, mu = _check_params(lam, mu)
    price = numerics.check_interval("price", price, 0.0, 1.0)
    n = numerics.check_positive_int("n_cells", n_cells, 2)
    if n > MAX_CELLS:
        raise ValueError(
            f"n_cells must be an integer in [2, {MAX_CELLS}], got {n}: the rules matrix has n_cells × "
            f"(n_cells + 1) entries ({8 * n * (n + 1) / 1e9:.3g} GB at this size) and the clearing algorithm "
            "works on all of them"
        )
    T = _TailIntegrals(_Probe(wealth, breakpoints), lam, mu)
    supply = np.concatenate([np.full(n, lam / n), [mu * (1.0 - lam)]])
    quality = np.concatenate([np.zeros(n), [1.0]])
    theta = np.arange(n) / n
    rules = np.ones((n, n + 1))
    rules[:, :n] = np.arange(n)[None, :] >= np.arange(n)[:, None]
    # in s = 1 − θ, so that a cutoff within 1e-13 of the top keeps its relative precision
    s_cut = min(T.eps * ((1.0 - price) / price) / lam, 1.0)
    s_top = np.minimum((n - np.arange(n)) / n, s_cut)  # cell j: s from 1 − θ_{j+1} up to 1 − θ_j (or s_cut)
    s_bottom = (n - 1 - np.arange(n)) / n
    heads = T.head(np.concatenate([s_top, s_bottom]))[:, 0]  # ∫_{1−s}^1 w
    demand = np.where(s_top > s_bottom, (heads[:n] - heads[n:]) / price, 0.0)
    return DiscreteMarket(supply, quality, rules, theta, np.maximum(demand, 0.0), float(1.0 - s_cut))


# ---------------------------------------------------------------- where the equilibrium exists
def max_distress(wealth: Callable, lam: float, *, breakpoints: Sequence[float] = ()) -> float:
    """The largest share of distressed sellers µ̄ for which eqs. (18)–(19) have an interior cutoff.

    With every buyer in the market (θ* = 0) and the price that makes θ = 0 indifferent,
    buyers absorb the share ``F(µ) = (λ + e)/e · ∫_0^1 w(θ)/(λ(1−θ) + e) dθ`` of the
    ``e = µ(1−λ)`` high-quality assets; a cutoff θ* ∈ (0, 1) exists if and only if F(µ) > 1
    (:func:`equilibrium`). F falls strictly in µ ((λ+e)/(λ(1−θ)+e) falls in e), so the
    equilibrium exists exactly for µ < µ̄, the root of F(µ) = 1 (Brent's method, to 1e-12
    relative, QUADPACK for the integral with ``breakpoints`` as its break points).
    Returns 1.0 when F(1) > 1 (every µ in (0, 1) has an interior cutoff).
    """
    _check_callable("wealth", wealth)
    lam = numerics.check_interval("lam", lam, 0.0, 1.0)
    points = [float(b) for b in _check_breakpoints(breakpoints) if 0.0 < b < 1.0] or None

    def absorbed(mu: float) -> float:
        e = mu * (1.0 - lam)
        # in u = 1 − θ, so that N = λu + e keeps its relative precision next to θ = 1, where
        # 1/N peaks (1/e) and varies on the scale e/λ: the interval is broken on that scale
        f = lambda u: float(_eval_wealth(wealth, np.array([1.0 - u]))[0]) / (lam * u + e)
        near = [e / lam * 10.0**j for j in range(0, 16, 2)]
        cuts = sorted({c for c in [*(1.0 - b for b in points or []), *near] if 0.0 < c < 1.0})
        return (lam + e) / e * numerics.quad(f, 0.0, 1.0, name="∫ w/N at θ* = 0", tol=1e-11,
                                             points=cuts or None, limit=400) - 1.0

    if absorbed(1.0) > 0.0:
        return 1.0
    lo = 1e-9
    if not absorbed(lo) > 0.0:
        raise numerics.NoRootError(
            f"buyers' wealth cannot absorb the high-quality assets even at µ = {lo:g}: no share of "
            "distressed sellers has an interior cutoff (is w zero almost everywhere?)")
    return numerics.find_root(absorbed, lo, 1.0, name="F(µ) = 1 (interior cutoff)", rtol=1e-12)


# ---------------------------------------------------------------- the sellers' problem (1)-(5)
@numerics.guard
def seller_supply(prices, eta, quality, beta: float) -> np.ndarray:
    """Solve a seller's program (1)–(5) directly, as a linear program (one unit of each asset).

    ``max Σ_i Σ_m s(i, m) η(i, m) (p(m) − β q(i))`` subject to ``0 ≤ s(i, m) ≤ 1`` (4) and
    ``Σ_m s(i, m) η(i, m) ≤ 1`` (5): sales at t = 1 are worth p(m), each unit sold gives up
    β q(i) at t = 2. Constraint (5), not (6): the same unit may be offered in many markets.

    Parameters
    ----------
    prices : (n_markets,) prices p(m) > 0.
    eta : (n_assets, n_markets) selling probabilities η(i, m) ∈ [0, 1], taken as given.
    quality : (n_assets,) qualities q(i) ≥ 0.
    beta : the seller's discount factor β ∈ [0, 1].

    Returns s (n_assets, n_markets). With some η(i, m) = 0 the program has many solutions
    (Definition 1 asks for the one robust to small positive η); pass positive η to select it.
    Raises ``ValueError`` if the solver fails or its solution violates (4)–(5).
    """
    p = _numbers("prices", prices, 0.0, math.inf, scalar_ok=False)
    if np.any(p <= 0.0):
        raise ValueError("prices must be positive")
    E = _object_array("eta", eta, 2)
    E = np.array([numerics.check_interval("eta", x, 0.0, 1.0, lo_closed=True, hi_closed=True) for x in E.ravel()]).reshape(E.shape)
    q = _numbers("quality", quality, 0.0, math.inf, scalar_ok=False)
    beta = numerics.check_interval("beta", beta, 0.0, 1.0, lo_closed=True, hi_closed=True)
    n_assets, n_markets = E.shape
    if n_markets != p.shape[0] or n_assets != q.shape[0]:
        raise ValueError(f"eta must have shape (len(quality), len(prices)) = ({q.shape[0]}, {p.shape[0]}), got {E.shape}")
    gain = E * (p[None, :] - beta * q[:, None])
    A = np.zeros((n_assets, n_assets * n_markets))
    for i in range(n_assets):
        A[i, i * n_markets : (i + 1) * n_markets] = E[i]
    res = optimize.linprog(-gain.ravel(), A_ub=A, b_ub=np.ones(n_assets), bounds=(0.0, 1.0), method="highs")
    if res.status != 0:
        raise ValueError(f"seller_supply: the linear program failed ({res.message})")
    s = np.clip(res.x.reshape(n_assets, n_markets), 0.0, 1.0)
    if np.any((E * s).sum(axis=1) > 1.0 + 1e-7):  # HiGHS keeps feasibility to 1e-7
        raise ValueError("seller_supply: the solution violates constraint (5)")
    return s
