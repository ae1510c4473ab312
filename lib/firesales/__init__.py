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


def repo_root():
    """The repository the book's tools work on (the folder holding ``_toc.yml``).

    ``$FIRESALES_ROOT`` if set; else the folder above the package when it is a checkout (the
    usual editable install); else the nearest folder at or above the working directory that
    holds ``_toc.yml`` (a copy of the package run from a checkout, as the mutation tool runs
    it); else the folder above the package.
    """
    import os
    from pathlib import Path

    if os.environ.get("FIRESALES_ROOT"):
        return Path(os.environ["FIRESALES_ROOT"]).resolve()
    above = Path(__file__).resolve().parents[2]
    if (above / "_toc.yml").is_file():
        return above
    here = Path.cwd().resolve()
    return next((p for p in (here, *here.parents) if (p / "_toc.yml").is_file()), above)
