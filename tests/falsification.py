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

import re
import tempfile
import textwrap
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


def scaled(module: str, function: str, factor: str, field: str | None = None) -> str:
    """Code for a fault: ``firesales.<module>.<function>`` returns its result (or the field
    ``field`` of its dataclass result) multiplied by ``factor``, e.g. ``"1 + 1e-6"``."""
    result = "r" if field is None else f"r.{field}"
    scaled_result = f"{result} * ({factor})"
    if field is not None:
        scaled_result = f"dataclasses.replace(r, {field}={scaled_result})"
    return f"""
import dataclasses
import firesales.{module} as _module
_original = _module.{function}
def _faulty(*args, **kwargs):
    r = _original(*args, **kwargs)
    return {scaled_result}
_module.{function} = _faulty
"""


#: Run in the chapter's kernel before each fault: forget the previous run's names and every
#: imported ``firesales`` module (the fault's monkeypatches with them), so the notebook's own
#: imports load the library afresh, and send its outputs to this run's folder.
RESET = """
%reset -f
import os as _os, sys as _sys
import matplotlib.pyplot as _plt
_plt.close("all")
for _name in [m for m in _sys.modules if m == "firesales" or m.startswith("firesales.")]:
    del _sys.modules[_name]
_os.environ.update({env!r})
"""

_KERNELS: dict = {}  # notebook path -> a started NotebookClient, one per test process


def patches_only_the_library(code: str) -> bool:
    """True when every attribute the fault's code sets or deletes belongs to a ``firesales``
    module it imported: what :data:`RESET` undoes. Anything else (``math.pi *= ...``,
    ``setattr``) could outlive the run, so such a fault gets a kernel of its own."""
    import ast

    tree = ast.parse(textwrap.dedent(code))
    lib = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            lib |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.split(".")[0] == "firesales"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "firesales":
            lib |= {a.asname or a.name for a in node.names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr"):
            return False
        targets = (node.targets if isinstance(node, (ast.Assign, ast.Delete))
                   else [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, (ast.Attribute, ast.Subscript)):
                    base = part
                    while isinstance(base, (ast.Attribute, ast.Subscript)):
                        base = base.value
                    if not (isinstance(base, ast.Name) and base.id in lib):
                        return False
    return True


def _client(path, shared: bool = True):
    """The chapter's kernel, started once per test process (startup and imports are most of a
    short run) and shut down when the process ends; ``shared=False``: a kernel of its own."""
    import atexit

    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    client = _KERNELS.get(path) if shared else None
    if client is None:
        client = NotebookClient(nbformat.v4.new_notebook(), timeout=TIMEOUT, kernel_name=book.KERNEL,
                                resources={"metadata": {"path": str(path.parent)}})
        client.km = client.create_kernel_manager()
        client.start_new_kernel(cwd=str(path.parent))
        client.start_new_kernel_client()
        atexit.register(run_sync(client.km.shutdown_kernel), now=True)  # an async kernel manager
        if shared:
            _KERNELS[path] = client
    return client


def run_with_fault(notebook: str, fault: Fault) -> str:
    """Execute ``notebook`` (a path relative to the repository) with ``fault`` injected.

    Returns the id of the first claim that failed. Raises ``AssertionError`` if the fault
    went unnoticed or stopped the notebook without a claim failing.
    """
    from nbclient.exceptions import CellExecutionError

    path = book.ROOT / notebook
    nb = nbformat.read(path, as_version=4)
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    nb.cells.insert(first_code, nbformat.v4.new_code_cell(PRELUDE + textwrap.dedent(fault.inject)))
    with tempfile.TemporaryDirectory(prefix="firesales-fault-") as out:
        env = {"FIRESALES_OUTPUT": out, "FIRESALES_LEDGER": "raise"}
        nb.cells.insert(0, nbformat.v4.new_code_cell(RESET.format(env=env)))
        client = _client(path, shared=patches_only_the_library(fault.inject))
        client.nb = nb
        try:
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
        except CellExecutionError as error:
            caught = CAUGHT.match(error.evalue or "") if error.ename == "AssertionError" else None
            if caught is None:
                raise AssertionError(
                    f"fault {fault.name!r} stopped {notebook} with an error that no claim raised: "
                    f"{error.ename}: {error.evalue}"
                ) from None
            return caught["id"]
    raise AssertionError(f"fault {fault.name!r} ({fault.description}) went unnoticed: {notebook} ran through")
