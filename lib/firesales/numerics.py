"""Shared numerics: honest root brackets, quadrature, finite differences, input checks.

Every function here either returns a finite number or raises an exception that says
what went wrong, in the terms of the caller's model (the ``name`` arguments), so that
no solver built on top of it can return a NaN or a silently wrong number.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from numbers import Integral, Real

import numpy as np
from scipy import integrate, optimize

__all__ = [
    "NoRootError",
    "OutOfRangeError",
    "guard",
    "check_interval",
    "check_finite",
    "check_positive_int",
    "check_grid",
    "find_root",
    "quad",
    "derivative",
    "normal_expectation",
]


class NoRootError(ValueError):
    """Raised when an equation has no root in the range the caller allows."""


class OutOfRangeError(ValueError):
    """The parameters are valid but the computation leaves double precision (overflow, a division by a
    quantity that underflowed to zero, a result that is not finite)."""


def _all_finite(value) -> bool:
    """Every real number inside ``value`` (floats, real arrays, tuples, lists, dicts, dataclasses) is finite."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return math.isfinite(value)
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.all(np.isfinite(value)))
    if isinstance(value, (tuple, list)):
        return all(_all_finite(v) for v in value)
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    fields = getattr(value, "__dataclass_fields__", None)
    if fields:
        return all(_all_finite(getattr(value, name)) for name in fields)
    return True


def guard(func: Callable) -> Callable:
    """Decorate a public solver: never an ``OverflowError``, ``ZeroDivisionError`` or non-finite result.

    Python floats raise ``OverflowError`` (``1.4e154 ** 2``) and ``ZeroDivisionError`` where NumPy
    would return inf or NaN; both, and any inf/NaN in the result, become an
    :class:`OutOfRangeError` (a ``ValueError``) that names the function and says why.
    """
    @functools.wraps(func)
    def guarded(*args, **kwargs):
        try:
            with np.errstate(all="ignore"):
                result = func(*args, **kwargs)
        except (OverflowError, ZeroDivisionError, FloatingPointError) as exc:
            raise OutOfRangeError(
                f"{func.__name__}: the parameters are too extreme for double precision ({type(exc).__name__}: "
                f"{exc}); parameters closer to 1 in size (or the model in other units) work"
            ) from exc
        if not _all_finite(result):
            raise OutOfRangeError(
                f"{func.__name__}: the result is not finite at these parameters (an intermediate quantity "
                "overflows or underflows double precision); parameters closer to 1 in size work"
            )
        return result

    return guarded


# ---------------------------------------------------------------- input checks
def _interval_text(lo: float, hi: float, lo_closed: bool, hi_closed: bool) -> str:
    left = "[" if lo_closed else "("
    right = "]" if hi_closed else ")"
    lo_s = "-inf" if lo == -math.inf else f"{lo:g}"
    hi_s = "inf" if hi == math.inf else f"{hi:g}"
    return f"{left}{lo_s}, {hi_s}{right}"


def _real(value):
    """``value`` as a float if it is a real number (not a bool, string, None or complex), else None."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        if isinstance(value, (Real, np.floating, np.integer)):
            return float(value)
        if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "fiu":
            return float(value)
    except OverflowError:  # an integer or Fraction beyond the largest float
        return math.inf if value > 0 else -math.inf
    return None


def check_finite(name: str, value) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` if it is not a finite real number.

    Numbers only: Python ints and floats, ``Fraction``, NumPy real scalars and 0-d real
    arrays, SymPy real numbers. Strings (even ``"0.4"``), bytes, ``None``, bools, complex
    numbers, NaN and infinities are refused with a message naming the parameter.
    """
    x = _real(value)
    if x is None or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return x


def check_interval(
    name: str,
    value,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    lo_closed: bool = False,
    hi_closed: bool = False,
) -> float:
    """Return ``value`` as a float if it lies in the interval, else raise ``ValueError``.

    The message names the parameter, its value and the valid range, e.g.
    ``lam must lie in (0, 1), got 1.5``.
    """
    valid = _interval_text(lo, hi, lo_closed, hi_closed)
    try:
        x = check_finite(name, value)
    except ValueError:
        raise ValueError(f"{name} must be a finite number in {valid}, got {value!r}") from None
    below = x < lo or (x == lo and not lo_closed)
    above = x > hi or (x == hi and not hi_closed)
    if below or above:
        raise ValueError(f"{name} must lie in {valid}, got {x:g}")
    return x


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Integral, np.integer)):
        if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_grid(
    name: str,
    values,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    min_len: int = 2,
    lo_closed: bool = False,
    hi_closed: bool = False,
) -> list[float]:
    """Return a strictly increasing sequence of at least ``min_len`` numbers in the interval.

    For a re-run parameter that is a grid or a range (``MU_RANGE = (0.1, 0.9)``): every item
    passes :func:`check_interval`, the items increase strictly, and there are at least
    ``min_len`` of them; otherwise ``ValueError`` names the parameter and what is valid,
    e.g. ``MU_RANGE must be an increasing sequence of at least 2 numbers in (0, 1), got (0.9, 0.1)``.
    """
    valid = _interval_text(lo, hi, lo_closed, hi_closed)
    what = f"{name} must be an increasing sequence of at least {min_len} numbers in {valid}, got {values!r}"
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(what)
    try:
        items = [check_interval(name, v, lo, hi, lo_closed=lo_closed, hi_closed=hi_closed) for v in values]
    except ValueError:
        raise ValueError(what) from None
    if len(items) < min_len or any(b <= a for a, b in zip(items, items[1:])):
        raise ValueError(what)
    return items


# ---------------------------------------------------------------- root finding
def _finite_value(f: Callable[[float], float], x: float, name: str) -> float:
    y = float(f(x))
    if not math.isfinite(y):
        raise NoRootError(f"{name} is not finite at x = {x:.12g} (value {y!r})")
    return y


def find_root(
    f: Callable[[float], float],
    lo: float,
    hi: float,
    *,
    name: str = "the equation",
    scan: int = 0,
    xtol: float = 1e-14,
    rtol: float = 4 * np.finfo(float).eps,
    maxiter: int = 200,
) -> float:
    """Solve ``f(x) = 0`` on ``[lo, hi]`` with Brent's method, bracketing honestly.

    If ``f(lo)`` and ``f(hi)`` have the same sign and ``scan > 0``, the interval is
    scanned on ``scan`` equally spaced interior points for the first sign change.
    If no sign change is found, :class:`NoRootError` (a ``ValueError``) says so and
    reports the values at the ends, instead of returning an endpoint or a NaN.
    A root exactly at an end point is returned as it is.
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"find_root needs finite lo < hi, got [{lo!r}, {hi!r}]")
    f_lo, f_hi = _finite_value(f, lo, name), _finite_value(f, hi, name)
    if f_lo == 0.0:
        return lo
    if f_hi == 0.0:
        return hi
    if np.sign(f_lo) == np.sign(f_hi):
        found = False
        if scan > 0:
            grid = np.linspace(lo, hi, scan + 2)
            prev_x, prev_y = lo, f_lo
            for x in grid[1:]:
                y = _finite_value(f, float(x), name)
                if y == 0.0:
                    return float(x)
                if np.sign(y) != np.sign(prev_y):
                    lo, hi, found = prev_x, float(x), True
                    break
                prev_x, prev_y = float(x), y
        if not found:
            raise NoRootError(
                f"no root of {name} in [{lo:.6g}, {hi:.6g}]: the function has the same sign "
                f"at both ends (f(lo) = {f_lo:.6g}, f(hi) = {f_hi:.6g})"
                + (f" and at {scan} interior points" if scan > 0 else "")
            )
    root, info = optimize.brentq(f, lo, hi, xtol=xtol, rtol=rtol, maxiter=maxiter, full_output=True)
    if not info.converged:  # pragma: no cover - brentq raises before this in practice
        raise NoRootError(f"{name}: Brent's method did not converge ({info.flag})")
    return float(root)


# ---------------------------------------------------------------- integration
def quad(
    f: Callable[[float], float],
    a: float,
    b: float,
    *,
    name: str = "the integral",
    tol: float = 1e-10,
    **kwargs,
) -> float:
    """Integrate ``f`` over ``[a, b]`` (SciPy QUADPACK) and insist on accuracy.

    Raises ``ValueError`` if the result is not finite or the error estimate exceeds
    ``tol * max(1, |result|)``, so a poorly converged integral is never used silently.
    """
    kwargs.setdefault("epsabs", tol / 10)
    kwargs.setdefault("epsrel", tol / 10)
    kwargs.setdefault("limit", 200)
    with warnings.catch_warnings():
        warnings.simplefilter("error", integrate.IntegrationWarning)
        try:
            value, err = integrate.quad(f, a, b, **kwargs)
        except integrate.IntegrationWarning as warning:
            first = str(warning).strip().splitlines()[0]
            raise ValueError(f"{name} did not converge on [{a}, {b}]: {first}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} is not finite on [{a}, {b}]")
    if err > tol * max(1.0, abs(value)):
        raise ValueError(f"{name} did not converge: error estimate {err:.3g} exceeds tolerance {tol:.1g}")
    return float(value)


def normal_expectation(g: Callable[[np.ndarray], np.ndarray], mean=0.0, sd=1.0, *, nodes: int = 80) -> float:
    """E[g(X)] for X ~ Normal(mean, sd**2) by Gauss-Hermite quadrature (``g`` vectorised).

    Exact for polynomials of degree below ``2 * nodes``; for smooth integrands (such as
    the exponential of a quadratic with a negative-definite leading term) it converges
    geometrically.
    """
    sd = check_interval("sd", sd, 0.0, lo_closed=True)
    x, w = np.polynomial.hermite_e.hermegauss(nodes)  # weight exp(-x^2/2)
    values = np.asarray(g(mean + sd * x), dtype=float)
    result = float(np.dot(w, values) / math.sqrt(2 * math.pi))
    if not math.isfinite(result):
        raise ValueError("normal_expectation: the integrand is not finite at the quadrature nodes")
    return result


# ---------------------------------------------------------------- differences
def derivative(f: Callable[[float], float], x: float, *, h: float | None = None, order: int = 4) -> float:
    """Central finite-difference derivative of ``f`` at ``x`` (order 2 or 4 in ``h``).

    The default step balances truncation and rounding error for smooth ``f``:
    ``h = eps**(1/3)`` (order 2) or ``eps**(1/5)`` (order 4), scaled by ``max(1, |x|)``.
    """
    x = float(x)
    eps = np.finfo(float).eps
    if order == 2:
        h = h if h is not None else eps ** (1 / 3) * max(1.0, abs(x))
        return float((f(x + h) - f(x - h)) / (2 * h))
    if order == 4:
        h = h if h is not None else eps ** (1 / 5) * max(1.0, abs(x))
        return float((-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h))
    raise ValueError(f"order must be 2 or 4, got {order!r}")
