"""One input contract for every public function: bad input is refused, by name.

Each paper's test module keeps a table ``CONTRACT = {function name: valid keyword
arguments}`` covering every function in the module's ``__all__``, and collects the two
contract tests with::

    test_contract_table_covers_every_public_function, test_bad_input_is_rejected = (
        contract_tests(module, CONTRACT, sizes=("N",)))

(``sizes``: the integer arguments that count agents, cells or draws; optional.)

:func:`contract_cases` replaces one argument at a time by values that are wrong for the
*kind* of its valid value, and :func:`assert_rejects` requires a ``ValueError`` whose
message names the argument. The kinds, read off the valid value in the table:

- a real number: a numeric string, ``None``, a bool, NaN, +inf and -inf; an ``int`` in the
  table marks an integer argument and also gets ``2.5``; an integer argument named in
  ``sizes`` (a count of agents, cells or draws) also gets ``10**18`` (beyond 2^53 a count is
  no longer exact in floating point, and an array of that size would not fit in memory);
- a bool (a flag): a string and ``None``;
- a string (a choice such as ``regime``): an unknown string, a number and ``None``;
- a sequence of numbers (list, tuple, array, nested): a string, ``None``, and the valid
  sequence with its first number replaced by a numeric string, by NaN, by ``None``, by a
  bool and by a complex number;
- a callable (a density, a utility): ``None``, a string, a callable that raises
  ``TypeError`` and one that returns complex numbers: a user's callable that fails is
  reported as a ``ValueError`` naming the argument, not passed through.
Other values (dicts, objects) are left alone.
"""

from __future__ import annotations

import inspect
import math
from numbers import Real

import numpy as np
import pytest

NUMBER_BAD = (("a numeric string", "0.4"), ("None", None), ("a bool", True), ("NaN", math.nan),
              ("+inf", math.inf), ("-inf", -math.inf))


def public_functions(module) -> list[str]:
    """The functions (not classes, exceptions or constants) in ``module.__all__``."""
    return [name for name in module.__all__ if inspect.isfunction(getattr(module, name))]


def assert_table_complete(module, table: dict) -> None:
    """Every public function of ``module`` is in the table, and its valid call succeeds."""
    public = set(public_functions(module))
    missing, extra = sorted(public - set(table)), sorted(set(table) - public)
    assert not missing, f"public functions of {module.__name__} missing from the contract table: {missing}"
    assert not extra, f"contract table names functions that are not public in {module.__name__}: {extra}"
    for name, kwargs in table.items():
        getattr(module, name)(**kwargs)  # the table's valid call must be valid


def _is_number(value) -> bool:
    return isinstance(value, (Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))


def _first_leaf_path(value, path=()):
    """Index path of the first number in a (nested) sequence, or None."""
    if _is_number(value):
        return path
    if isinstance(value, (list, tuple, np.ndarray)):
        for i, item in enumerate(value):
            found = _first_leaf_path(item, (*path, i))
            if found is not None:
                return found
    return None


def _replace_leaf(value, path, new):
    if not path:
        return new
    items = list(value.tolist() if isinstance(value, np.ndarray) else value)
    items[path[0]] = _replace_leaf(items[path[0]], path[1:], new)
    return items


def _raises(*args, **kwargs):
    """A user's callable that fails (as a density or a utility written for other arguments would)."""
    raise TypeError("this callable fails on purpose")


def _complex(x, *args, **kwargs):
    """A user's callable that returns complex values (scalars or arrays alike)."""
    return np.asarray(x, dtype=float) * (1 + 1j) + 1j


def bad_values(value) -> list[tuple[str, object]]:
    """(label, bad value) pairs for an argument whose valid value is ``value``."""
    if isinstance(value, (bool, np.bool_)):
        return [("a string", "yes"), ("None", None)]
    if _is_number(value):
        extra = [("a non-integer", 2.5)] if isinstance(value, (int, np.integer)) else []
        return list(NUMBER_BAD) + extra
    if isinstance(value, str):
        return [("an unknown choice", "no-such-choice"), ("a number", 3), ("None", None)]
    if callable(value):
        return [("None", None), ("a string", "w"), ("a callable that raises TypeError", _raises),
                ("a callable returning complex numbers", _complex)]
    if isinstance(value, (list, tuple, np.ndarray)):
        path = _first_leaf_path(value)
        if path is None:
            return []
        cases = [("a string", "0.1, 0.2"), ("None", None)]
        for label, leaf in (("a numeric string", "0.4"), ("NaN", math.nan), ("None", None), ("a bool", True),
                            ("a complex number", 0.4 + 0.1j)):
            cases.append((f"a sequence holding {label}", _replace_leaf(value, path, leaf)))
        return cases
    return []


def contract_cases(module, table: dict, sizes=()) -> list:
    """pytest params (func, kwargs, param, bad) for every argument of every function in the table.

    ``sizes``: names of integer arguments that count something (agents, cells, draws); each
    also gets a count too large to be exact in floating point (``10**18``).
    """
    cases = []
    for name, kwargs in table.items():
        func = getattr(module, name)
        for param, value in kwargs.items():
            huge = [("a huge integer", 10**18)] if param in sizes and isinstance(value, (int, np.integer)) else []
            for label, bad in bad_values(value) + huge:
                cases.append(pytest.param(func, kwargs, param, bad, id=f"{name}-{param}-{label}"))
    return cases


def assert_rejects(func, kwargs: dict, param: str, bad) -> None:
    """``func`` called with ``param=bad`` (other arguments valid) raises a ValueError naming ``param``."""
    call = {**kwargs, param: bad}
    try:
        result = func(**call)
    except ValueError as error:
        assert param in str(error), (
            f"{func.__name__}({param}={bad!r}) raised a ValueError that does not name {param!r}: {error}"
        )
        return
    except Exception as error:  # noqa: BLE001 - the contract is a ValueError, anything else is a defect
        raise AssertionError(
            f"{func.__name__}({param}={bad!r}) raised {type(error).__name__} instead of a ValueError "
            f"naming {param!r}: {error}"
        ) from None
    raise AssertionError(f"{func.__name__}({param}={bad!r}) returned {result!r} instead of refusing")


def contract_tests(module, table: dict, sizes=()):
    """The two contract tests of a module, for its test file to bind to ``test_*`` names:
    the table covers every public function (and its valid calls succeed), and every bad
    value of every argument is refused with a ValueError naming the argument."""

    def test_contract_table_covers_every_public_function():
        assert_table_complete(module, table)

    @pytest.mark.parametrize("func, kwargs, param, bad", contract_cases(module, table, sizes))
    def test_bad_input_is_rejected(func, kwargs, param, bad):
        assert_rejects(func, kwargs, param, bad)

    return test_contract_table_covers_every_public_function, test_bad_input_is_rejected


# ---------------------------------------------------------------- property suites (issue 23)
# Shared by the test_properties_<paper>.py files: strategies weighted to the edges of a valid
# range, and a call under a CPU-time limit that lets through only the refusals a function
# documents (anything else, or a hang, fails the test).
import contextlib  # noqa: E402
import signal  # noqa: E402

from hypothesis import reject  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CALL_LIMIT = 1.0  # seconds of CPU per call


def log_uniform(lo: float, hi: float):
    """Floats in [lo, hi] (0 < lo < hi) uniform in log: every decade down to ``lo`` equally likely."""
    return st.floats(math.log(lo), math.log(hi)).map(math.exp).map(lambda x: min(max(x, lo), hi))


def in_range(lo: float, hi: float, edge: float = 1e-12):
    """Floats in (lo, hi), a third of them uniform and a third log-uniform towards each end
    (down to ``edge`` times the width from the end)."""
    width = hi - lo
    return st.one_of(
        st.floats(lo + edge * width, hi - edge * width),
        log_uniform(edge, 0.5).map(lambda t: lo + t * width),
        log_uniform(edge, 0.5).map(lambda t: hi - t * width),
    ).filter(lambda x: lo < x < hi)


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


@contextlib.contextmanager
def _cpu_limit(func, args, kwargs, limit):
    """Run the body within ``limit`` CPU seconds; past it, fail naming the call."""
    old = signal.signal(signal.SIGPROF, _alarm)
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        yield
    except _Timeout:
        raise AssertionError(f"{func.__name__}{args}{kwargs} ran past {limit} s of CPU") from None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, old)


def call_or_refusal(func, *args, limit=2.0, **kwargs):
    """``func(*args, **kwargs)`` within ``limit`` CPU seconds; a ``ValueError`` (a refusal,
    which must say why) is returned for the test to inspect; any other exception, or a call
    that runs past the limit, fails the test."""
    with _cpu_limit(func, args, kwargs, limit):
        try:
            return func(*args, **kwargs)
        except ValueError as error:
            assert str(error), "a refusal must say why"
            return error


def call(func, *args, refusals=(), limit=CALL_LIMIT, **kwargs):
    """``func(*args, **kwargs)`` within ``limit`` CPU seconds.

    A refusal the function documents on its valid range (an exception type in ``refusals``)
    rejects the example (Hypothesis draws another); any other exception, or a call that
    runs past the limit, fails the test with the call in the message.
    """
    with _cpu_limit(func, args, kwargs, limit):
        try:
            return func(*args, **kwargs)
        except _Timeout:
            raise  # the limit's own failure, reported by _cpu_limit
        except Exception as error:  # noqa: BLE001 - the point is to sort them
            if refusals and isinstance(error, refusals):
                reject()
            raise AssertionError(f"{func.__name__}{args}{kwargs} raised {type(error).__name__}: {error}") from error


def close(a, b, rel):
    """``a`` and ``b`` agree to a relative ``rel`` of the larger."""
    return abs(a - b) <= rel * max(abs(a), abs(b))


def coverage():
    """``(covered, covers)``: decorate a property with ``@covers("f", ...)`` for the functions
    it exercises; a module's last test asserts ``public_functions(module) <= covered``."""
    covered = set()

    def covers(*names):
        covered.update(names)
        return lambda f: f

    return covered, covers
