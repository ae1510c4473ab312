"""The shared numerics: honest brackets, enforced accuracy, uniform input errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firesales import numerics


def test_find_root_matches_closed_form():
    assert numerics.find_root(lambda x: x * x - 2.0, 0.0, 2.0) == pytest.approx(math.sqrt(2), abs=1e-14)


def test_find_root_scans_for_a_sign_change():
    # same sign at both ends, two roots inside: the scan finds the first one
    root = numerics.find_root(lambda x: (x - 0.3) * (x - 0.7), 0.0, 1.0, scan=20)
    assert root == pytest.approx(0.3, abs=1e-13)


def test_find_root_without_root_says_so():
    with pytest.raises(numerics.NoRootError, match=r"no root of the demand gap in \[0, 1\].*same sign"):
        numerics.find_root(lambda x: x * x + 1.0, 0.0, 1.0, name="the demand gap", scan=50)
    assert issubclass(numerics.NoRootError, ValueError)


def test_find_root_refuses_non_finite_values():
    with pytest.raises(numerics.NoRootError, match="not finite"):
        numerics.find_root(lambda x: math.nan, 0.0, 1.0)


def test_find_root_rejects_bad_bracket():
    with pytest.raises(ValueError, match="lo < hi"):
        numerics.find_root(lambda x: x, 1.0, 0.0)


def test_find_root_returns_exact_endpoint_root():
    assert numerics.find_root(lambda x: x, 0.0, 1.0) == 0.0


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 100.0), st.floats(-5.0, 5.0))
def test_find_root_residual_is_tiny(a, b):
    f = lambda x: a * (x - b) ** 3 + (x - b)  # noqa: E731 - strictly increasing, root at b
    root = numerics.find_root(f, b - 10.0, b + 10.0)
    assert abs(root - b) < 1e-10


def test_quad_is_accurate_and_honest():
    assert numerics.quad(math.exp, 0.0, 1.0) == pytest.approx(math.e - 1.0, abs=1e-13)
    with pytest.raises(ValueError, match="did not converge"):
        numerics.quad(lambda x: math.sin(1.0 / x) / x, 1e-9, 1.0, limit=5, name="oscillating")


def test_normal_expectation_moments():
    assert numerics.normal_expectation(lambda x: x**2, mean=1.0, sd=2.0) == pytest.approx(5.0, abs=1e-12)
    # E[exp(t X)] = exp(t mu + t^2 sigma^2 / 2)
    got = numerics.normal_expectation(lambda x: np.exp(0.5 * x), mean=0.2, sd=0.7)
    assert got == pytest.approx(math.exp(0.5 * 0.2 + 0.25 * 0.49 / 2), rel=1e-13)
    with pytest.raises(ValueError, match="sd"):
        numerics.normal_expectation(lambda x: x, sd=-1.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(-3.0, 3.0))
def test_derivative_of_smooth_function(x):
    assert numerics.derivative(math.sin, x) == pytest.approx(math.cos(x), abs=1e-9)
    assert numerics.derivative(math.sin, x, order=2) == pytest.approx(math.cos(x), abs=1e-6)


def test_derivative_order_must_be_2_or_4():
    with pytest.raises(ValueError, match="order"):
        numerics.derivative(math.sin, 0.0, order=3)


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (1.5, dict(lo=0.0, hi=1.0), r"lam must lie in \(0, 1\), got 1.5"),
        (0.0, dict(lo=0.0, hi=1.0), r"lam must lie in \(0, 1\), got 0"),
        (1.0, dict(lo=0.0, hi=1.0, hi_closed=False), r"\(0, 1\)"),
        (math.nan, dict(lo=0.0, hi=1.0), r"lam must be a finite number in \(0, 1\)"),
        ("x", dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
        ("0.4", dict(lo=0.0, hi=1.0), r"lam must be a finite number in \(0, 1\), got '0.4'"),
        (b"0.4", dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
        (None, dict(lo=0.0, hi=1.0), r"lam must be a finite number in \(0, 1\), got None"),
        (0.5 + 0j, dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
        (np.array([0.5]), dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
        (math.inf, dict(lo=0.0), r"lam must be a finite number in \(0, inf\)"),
        (True, dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
        (np.bool_(True), dict(lo=0.0, hi=1.0), r"lam must be a finite number"),
    ],
)
def test_check_interval_messages(value, kwargs, message):
    with pytest.raises(ValueError, match=message):
        numerics.check_interval("lam", value, **kwargs)


def test_check_interval_accepts_closed_ends():
    assert numerics.check_interval("p", 0.0, 0.0, 1.0, lo_closed=True) == 0.0
    assert numerics.check_interval("p", np.float64(1.0), 0.0, 1.0, hi_closed=True) == 1.0
    assert type(numerics.check_interval("p", np.float64(0.5), 0.0, 1.0)) is float


@pytest.mark.parametrize("value", [0, -1, 1.5, "2", None, True, math.nan, math.inf, np.float64(2.5)])
def test_check_positive_int_rejects(value):
    with pytest.raises(ValueError, match="N must be an integer >= 1"):
        numerics.check_positive_int("N", value)


def test_check_positive_int_accepts():
    assert numerics.check_positive_int("N", 3) == 3
    assert numerics.check_positive_int("N", np.int64(2)) == 2
    assert numerics.check_positive_int("N", 2.0) == 2


def test_check_finite_takes_numbers_of_every_real_kind():
    from fractions import Fraction

    import sympy as sp

    for value in (2, 0.5, np.float32(0.5), np.int64(3), np.array(0.25), Fraction(1, 4), sp.Rational(1, 4),
                  sp.Float(0.5)):
        assert type(numerics.check_finite("x", value)) is float
    for value in ("0.5", None, True, 1j, [0.5], np.array([0.5]), np.array("0.5")):
        with pytest.raises(ValueError, match="x must be a finite real number"):
            numerics.check_finite("x", value)


@pytest.mark.parametrize("bad", [(0.9, 0.1), (0.02,), (0.1, 0.1), "ab", (0.1, 2.0), (0.1, float("nan")), 0.5])
def test_check_grid_refuses_what_is_not_an_increasing_grid_in_range(bad):
    with pytest.raises(ValueError, match=r"MU_RANGE must be an increasing sequence of at least 2 numbers in \(0, 1\)"):
        numerics.check_grid("MU_RANGE", bad, 0.0, 1.0)


def test_check_grid_returns_floats():
    assert numerics.check_grid("G", (1, 2.5, 3), 0.0, 10.0, min_len=3) == [1.0, 2.5, 3.0]


def test_huge_integers_and_fractions_are_refused_not_overflowed():
    """Issue 23: float(10**400) raised OverflowError inside every validator."""
    from fractions import Fraction

    for bad in (10**400, -(10**400), Fraction(10**400, 3)):
        with pytest.raises(ValueError, match="x must be a finite"):
            numerics.check_finite("x", bad)
        with pytest.raises(ValueError, match="x must be a finite"):
            numerics.check_interval("x", bad, 0.0)


def test_guard_turns_overflow_division_and_non_finite_results_into_value_errors():
    @numerics.guard
    def f(x, kind="value"):
        if kind == "pow":
            return x**2
        if kind == "div":
            return 1.0 / x
        return {"a": (np.array([1.0, x]),)}

    np.testing.assert_array_equal(f(2.0)["a"][0], [1.0, 2.0])
    for args in ((1.4e154, "pow"), (0.0, "div"), (math.inf, "value"), (math.nan, "value")):
        with pytest.raises(numerics.OutOfRangeError, match="^f: "):
            f(*args)
    assert issubclass(numerics.OutOfRangeError, ValueError)
    assert f.__name__ == "f" and f.__wrapped__ is not None
