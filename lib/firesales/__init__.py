"""firesales: solvers and checks behind the fire-sales replication book.

One module per paper (:mod:`firesales.kurlat`, :mod:`firesales.cheng_robatto`,
:mod:`firesales.eisenbach_phelan`, :mod:`firesales.fernando`) and shared pieces
(:mod:`firesales.numerics`, :mod:`firesales.plotting`, :mod:`firesales.ledger`).
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("firesales")  # pyproject.toml's, the one place it is written
except PackageNotFoundError:  # pragma: no cover - an unpacked copy, not installed
    __version__ = "unknown"
