"""The falsification suite's harness: a chapter's checks must be able to fail.

A :class:`Fault` is a small, plausible error in what a chapter checks (a solver's result
off by a relative 1e-6, a sign flipped in a closed form, a wrong constant in a formula the
chapter compares with its paper). :func:`run_with_fault` executes the chapter's notebook
with the fault injected by a first cell that monkeypatches the library — never by switches
inside the library — and returns the id of the claim that caught it. The committed
notebook is not touched, and its figures and tables go to a temporary folder.

A fault that runs through the whole notebook, or stops it with an error that no claim
raised (a solver's own refusal, a typo in the injected code), fails the test: the first is
a finding about the chapter (strengthen it), the second a defect of the fault.
"""

from __future__ import annotations

import os
import re
import tempfile
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass

import nbformat

from firesales import book

#: Run before every fault: figures are drawn but not rendered to files (no claim reads a
#: figure; rendering PDF and PNG is most of a notebook's time). Test-side, like the faults.
PRELUDE = """
import matplotlib.pyplot as _plt
import firesales.plotting as _plotting
_plotting.save_figure = lambda fig, *args, **kwargs: _plt.close(fig)
"""

#: The message ``ledger.check`` raises (an ``AssertionError``) when a claim fails.
CAUGHT = re.compile(r"^claim (?P<id>\S+) \(")
TIMEOUT = 120


@dataclass(frozen=True)
class Fault:
    """A fault to inject into a chapter and the claims expected to catch it first."""

    name: str
    description: str
    inject: str
    caught_by: tuple[str, ...]

    def __post_init__(self):
        if isinstance(self.caught_by, str):
            raise TypeError("caught_by must be a tuple of claim ids, e.g. ('kurlat.eq18-19.solver',)")
        compile(textwrap.dedent(self.inject), f"<fault {self.name}>", "exec")


@contextmanager
def _environment(**values):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_with_fault(notebook: str, fault: Fault) -> str:
    """Execute ``notebook`` (a path relative to the repository) with ``fault`` injected.

    Returns the id of the first claim that failed. Raises ``AssertionError`` if the fault
    went unnoticed or stopped the notebook without a claim failing.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = book.ROOT / notebook
    nb = nbformat.read(path, as_version=4)
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(PRELUDE + textwrap.dedent(fault.inject)))
    with tempfile.TemporaryDirectory(prefix="firesales-fault-") as out, _environment(
        FIRESALES_OUTPUT=out, FIRESALES_LEDGER="raise"
    ):
        client = NotebookClient(
            nb, timeout=TIMEOUT, kernel_name=book.KERNEL, resources={"metadata": {"path": str(path.parent)}}
        )
        try:
            client.execute()
        except CellExecutionError as error:
            caught = CAUGHT.match(error.evalue or "") if error.ename == "AssertionError" else None
            if caught is None:
                raise AssertionError(
                    f"fault {fault.name!r} stopped {notebook} with an error that no claim raised: "
                    f"{error.ename}: {error.evalue}"
                ) from None
            return caught["id"]
    raise AssertionError(f"fault {fault.name!r} ({fault.description}) went unnoticed: {notebook} ran through")
