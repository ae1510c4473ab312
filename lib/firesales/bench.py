"""Measured speed of the replication on this machine (issues 8 and 16).

Command line (from the repository root, inside the project's environment)::

    make bench                                      # everything below, written into README.md
                                                    # and book/reproducibility.md
    python -m firesales.bench                       # notebooks, floor, ratio, solvers
    python -m firesales.bench --test --book         # also a warm `make test` and a fresh `make book`
    python -m firesales.bench --markdown            # print the table for README/reproducibility
    python -m firesales.bench --json output/bench.json
    python -m firesales.bench notebooks/kurlat.ipynb --cells 10 --no-solvers   # one profile

What is measured, as wall time and, for the notebooks, as the kernel's CPU time too (the
machine is shared: wall time includes waiting for a core, CPU time does not):

- **each notebook**: executed top to bottom in a fresh kernel (kernel start included), as
  `make execute` does, but in memory: nothing is written back, figures go to a temporary
  folder (``FIRESALES_OUTPUT``). Its CPU time is the kernel process's ``time.process_time()``
  read by a cell appended after the last one (kernel start-up and imports included); each
  cell's wall and CPU time come from IPython's pre/post-run hooks, registered by a cell
  put before the first one (both extra cells are not counted in the cells' times);
- **the floor**: the least any notebook costs, a fresh kernel that runs one cell
  ``import numpy, scipy, sympy, matplotlib.pyplot``,
  times the number of notebooks; the **ratio** is the notebooks' total over that floor
  (target <= 2.5), in wall time and in CPU time. The floor runs are interleaved with the
  notebooks (one before each, one after the last; their median is used), so both see the
  same load;
- **solvers**: one equilibrium solve and one full figure sweep per model, through the
  paper modules (median of 3 after a warm-up call); a model whose module or function is
  missing is reported as skipped, with the reason;
- optionally the full ``make test`` (``--test``, run once before timing it, so that it is
  warm: environment built, Chromium installed, MathJax cached) and a fresh ``make book``
  (``--book``). A target that fails is reported as failed, with its time.

Timings vary with what else the two cores are doing; the machine line of the output says
what it was run on. The table holds measurements only: the targets (``TARGETS``, checked by
``--check``) are the project's own and are stated in CONTRIBUTING.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import repo_root

ROOT = repo_root()
KERNEL = "python3"
FLOOR_CELL = "import numpy, scipy, sympy, matplotlib.pyplot"
TARGETS = {"notebook_s": 20.0, "make_test_s": 90.0, "ratio": 2.5}
# Timing hooks put before a notebook's first cell and a probe after its last (see above).
_HOOKS = """
import json as _fs_json, time as _fs_time
_fs_cells = []
_fs_t0 = (_fs_time.perf_counter(), _fs_time.process_time())
def _fs_pre(*_):
    global _fs_t0
    _fs_t0 = (_fs_time.perf_counter(), _fs_time.process_time())
def _fs_post(*_):
    _fs_cells.append((_fs_time.perf_counter() - _fs_t0[0], _fs_time.process_time() - _fs_t0[1]))
get_ipython().events.register("pre_run_cell", _fs_pre)
get_ipython().events.register("post_run_cell", _fs_post)
"""
_PROBE = "print(_fs_json.dumps({'cpu': _fs_time.process_time(), 'cells': _fs_cells}))"


@dataclass
class Results:
    machine: str = ""
    notebooks: dict[str, float] = field(default_factory=dict)
    notebooks_cpu: dict[str, float] = field(default_factory=dict)
    floor_one_s: float = 0.0
    floor_one_cpu_s: float = 0.0
    floor_s: float = 0.0
    ratio: float = 0.0
    ratio_cpu: float = 0.0
    solvers: list[dict] = field(default_factory=list)
    make_test_s: float | None = None
    make_test_ok: bool = True
    make_book_s: float | None = None
    make_book_ok: bool = True
    notes: list[str] = field(default_factory=list)
    slowest_cells: dict[str, list[dict]] = field(default_factory=dict)


def machine() -> str:
    cpus = os.cpu_count() or 0
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{cpus} cores ({model}), Python {platform.python_version()}, {platform.system()} {platform.release()}"


# ------------------------------------------------------------------ notebooks
def run_notebook(nb, cwd: Path, timeout: int = 600) -> tuple[float, float, list[tuple[float, float]]]:
    """Execute an in-memory notebook in a fresh kernel.

    Returns the wall time of the whole run (kernel start to shutdown), the kernel's CPU
    time, and (wall, CPU) of each of the notebook's code cells.
    """
    import nbformat
    from nbclient import NotebookClient

    nb.cells = [nbformat.v4.new_code_cell(_HOOKS), *nb.cells, nbformat.v4.new_code_cell(_PROBE)]
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}}).execute()
    wall = time.perf_counter() - start
    probe = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout"))
    nb.cells = nb.cells[1:-1]
    return wall, probe["cpu"], [tuple(c) for c in probe["cells"][1:]]  # [0]: the hook cell


def time_notebook(path: Path) -> tuple[float, float, list[tuple[float, float, int, str]]]:
    """Wall and CPU time of a fresh-kernel run, and (wall, CPU, index, first line) per code cell."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    code = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
            code.append((i, next((ln for ln in cell.source.splitlines() if ln.strip()), "")[:70]))
    wall, cpu, cells = run_notebook(nb, path.parent)
    return wall, cpu, [(w, c, i, first) for (w, c), (i, first) in zip(cells, code)]


def time_floor(repeats: int = 3) -> tuple[float, float]:
    """Median wall and CPU time of a fresh kernel that imports the four libraries."""
    import nbformat

    runs = [run_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_CELL)]), ROOT)
            for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


# ------------------------------------------------------------------ solvers
def _kurlat():
    import numpy as np

    from . import kurlat

    def wealth(t):  # wealth decreasing in expertise, as in the chapter
        return 1.2 * (1.0 - np.asarray(t)) + 0.05

    mus = np.linspace(0.02, 0.95, 94)
    return (
        "equilibrium(w, lam=0.5, mu=0.4)",
        lambda: kurlat.equilibrium(wealth, 0.5, 0.4),
        f"price_curve over {len(mus)} values of mu",
        lambda: kurlat.price_curve(wealth, 0.5, mus),
    )


def _cheng_robatto():
    import numpy as np

    from . import cheng_robatto

    ds = np.linspace(0.0, 0.99, 100)
    return (
        "run_equilibrium(theta=0.3, gamma=0.3, beta=0.9)",
        lambda: cheng_robatto.run_equilibrium(0.3, 0.3, 0.9),
        f"distress_price over {len(ds)} values of d, both frictions",
        lambda: [cheng_robatto.distress_price(float(d), model=m) for m in ("participation", "otc") for d in ds],
    )


def _eisenbach_phelan():
    import numpy as np

    from . import eisenbach_phelan as ep

    alphas = np.linspace(0.0, 0.995, 200)
    return (
        "liquidity_equilibrium(alpha=0.5, regime='cournot')",
        lambda: ep.liquidity_equilibrium(0.5, ep.CAPTION_B2["beta"], ep.CAPTION_B2["R"], ep.CAPTION_B2["N"], regime="cournot"),
        f"price_curve over {len(alphas)} values of alpha, all regimes",
        lambda: [ep.price_curve(alphas, regime=r) for r in ep.REGIMES],
    )


def _fernando():
    import numpy as np

    from . import fernando

    p = dict(vbar=1.5, a=2.0, sigma_v=0.3, sigma_delta=0.2, sigma_eps=0.4)
    lams = np.linspace(0.0, 0.5, 101)
    return (
        "price0_numeric(lam=0.05, M=10) (quadrature + root)",
        lambda: fernando.price0_numeric(**p, lam=0.05, M=10),
        f"price0_curve over {len(lams)} values of lambda, M in (2, 10, 100)",
        lambda: [fernando.price0_curve(**p, lams=lams, M=m) for m in (2, 10, 100)],
    )


MODELS = {"kurlat": _kurlat, "cheng_robatto": _cheng_robatto, "eisenbach_phelan": _eisenbach_phelan, "fernando": _fernando}


def _median_time(fn, repeats: int = 3) -> float:
    fn()  # warm-up: imports, lambdified expressions, caches
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def time_solvers() -> list[dict]:
    rows = []
    for model, spec in MODELS.items():
        try:
            solve_what, solve, sweep_what, sweep = spec()
        except (ImportError, AttributeError) as exc:
            rows.append({"model": model, "skipped": f"module not ready: {exc}"})
            continue
        for kind, what, fn in (("solve", solve_what, solve), ("sweep", sweep_what, sweep)):
            try:
                rows.append({"model": model, "kind": kind, "what": what, "seconds": _median_time(fn)})
            except Exception as exc:  # an API that changed: say so, do not stop the bench
                rows.append({"model": model, "kind": kind, "what": what, "skipped": f"{type(exc).__name__}: {exc}"})
    return rows


# ------------------------------------------------------------------ make targets
def time_command(cmd: list[str]) -> tuple[float, bool]:
    """Wall time of a command and whether it passed (a failure is a result, not a crash)."""
    print(f"== timing `{' '.join(cmd)}` ...", flush=True)
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT).returncode
    elapsed = time.perf_counter() - start
    if code:
        print(f"== `{' '.join(cmd)}` FAILED (exit {code}) after {elapsed:.0f} s", flush=True)
    return elapsed, code == 0


# ------------------------------------------------------------------ report
def _fmt(seconds: float) -> str:
    if seconds >= 0.1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def markdown(res: Results, command: str) -> str:
    out = [
        f"Measured with `{command}` on {res.machine}. Wall time includes waiting for a core on a "
        "shared machine; the kernel's CPU time does not.",
        "",
        "| what | wall time | kernel CPU | wall above the floor |",
        "|---|---|---|---|",
    ]
    for name, sec in res.notebooks.items():
        cpu = res.notebooks_cpu.get(name)
        out.append(
            f"| notebook `{name}` | {_fmt(sec)} | {_fmt(cpu) if cpu is not None else ''} | "
            f"{_fmt(max(sec - res.floor_one_s, 0.0))} |"
        )
    if res.notebooks:
        total, total_cpu, n = sum(res.notebooks.values()), sum(res.notebooks_cpu.values()), len(res.notebooks)
        out += [
            f"| all {n} notebooks | {_fmt(total)} | {_fmt(total_cpu)} | {_fmt(max(total - res.floor_s, 0.0))} |",
            f"| floor: one kernel + `{FLOOR_CELL}` | {_fmt(res.floor_one_s)} | {_fmt(res.floor_one_cpu_s)} | |",
            f"| floor × {n} notebooks | {_fmt(res.floor_s)} | {_fmt(res.floor_one_cpu_s * n)} | |",
            f"| **ratio** notebooks / floor | **{res.ratio:.2f}** | **{res.ratio_cpu:.2f}** | |",
        ]
    if res.make_test_s is not None:
        failed = "" if res.make_test_ok else " (FAILED)"
        out.append(f"| warm `make test`{failed} | {_fmt(res.make_test_s)} | | |")
    if res.make_book_s is not None:
        failed = "" if res.make_book_ok else " (FAILED)"
        out.append(f"| fresh `make book`{failed} | {_fmt(res.make_book_s)} | | |")
    if res.solvers:
        out += ["", "| model | call | median wall time |", "|---|---|---|"]
    for row in res.solvers:
        if "seconds" in row:
            out.append(f"| {row['model']} | {row['kind']}: {row['what']} | {_fmt(row['seconds'])} |")
        else:
            out.append(f"| {row['model']} | {row.get('kind', '')} {row.get('what', '')} | skipped: {row['skipped']} |")
    for note in res.notes:
        out += ["", note]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m firesales.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to time (default: all)")
    parser.add_argument("--test", action="store_true", help="also time the full `make test`")
    parser.add_argument("--book", action="store_true", help="also time a fresh `make book`")
    parser.add_argument("--no-notebooks", action="store_true", help="skip notebooks and floor")
    parser.add_argument("--no-solvers", action="store_true", help="skip the solver timings")
    parser.add_argument("--cells", type=int, default=3, help="list the N slowest cells of each notebook")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table at the end")
    parser.add_argument("--write", action="store_true",
                        help="write the table into README.md and book/reproducibility.md (generated:bench markers)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    res = Results(machine=machine())
    print(f"== machine: {res.machine}", flush=True)
    if not args.no_notebooks:
        from .book import notebook_paths

        paths = [p.resolve() for p in args.notebooks] or notebook_paths()
        saved_output = os.environ.get("FIRESALES_OUTPUT")
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["FIRESALES_OUTPUT"] = tmp  # the kernels inherit it: no output/ rewritten
            os.environ.setdefault("PYTHONHASHSEED", "0")
            # floor runs interleaved with the notebooks (one before each, one after the last),
            # so that both see the same load on this shared two-core machine
            floors = []
            for i, path in enumerate(paths, 1):
                floors.append(time_floor(1))
                rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)
                print(f"== [{i}/{len(paths)}] executing {rel} ...", flush=True)
                wall, cpu, cells = time_notebook(path)
                res.notebooks[rel], res.notebooks_cpu[rel] = wall, cpu
                in_cells, in_cells_cpu = sum(c[0] for c in cells), sum(c[1] for c in cells)
                print(f"   {wall:.1f} s wall, {cpu:.1f} s kernel CPU ({in_cells:.1f} s wall / {in_cells_cpu:.1f} s "
                      f"CPU in {len(cells)} cells; kernel start, imports before the first cell, stop: "
                      f"{wall - in_cells:.1f} s wall); slowest cells (wall, CPU):", flush=True)
                slowest = sorted(cells, key=lambda c: c[1], reverse=True)[: args.cells]
                for w, c, idx, first in slowest:
                    print(f"     {w:6.2f} s {c:6.2f} s  cell {idx:3d}  {first}", flush=True)
                res.slowest_cells[rel] = [
                    {"seconds": round(w, 3), "cpu_seconds": round(c, 3), "cell": idx, "first_line": first}
                    for w, c, idx, first in slowest
                ]
            floors.append(time_floor(1))
            res.floor_one_s = statistics.median(f[0] for f in floors)
            res.floor_one_cpu_s = statistics.median(f[1] for f in floors)
            print(f"== floor: fresh kernel + `{FLOOR_CELL}`: median of {len(floors)} runs "
                  f"({', '.join(f'{w:.2f}' for w, _ in floors)} s wall; "
                  f"{', '.join(f'{c:.2f}' for _, c in floors)} s CPU)", flush=True)
        # restore it: `make test` and `make book` timed below must print the real output folder
        if saved_output is None:
            os.environ.pop("FIRESALES_OUTPUT", None)
        else:
            os.environ["FIRESALES_OUTPUT"] = saved_output
        res.floor_s = res.floor_one_s * len(paths)
        res.ratio = sum(res.notebooks.values()) / res.floor_s if res.floor_s else float("inf")
        floor_cpu = res.floor_one_cpu_s * len(paths)
        res.ratio_cpu = sum(res.notebooks_cpu.values()) / floor_cpu if floor_cpu else float("inf")
        print(
            f"   floor {res.floor_one_s:.2f} s x {len(paths)} = {res.floor_s:.1f} s; notebooks "
            f"{sum(res.notebooks.values()):.1f} s; ratio {res.ratio:.2f} (wall), {res.ratio_cpu:.2f} (CPU)",
            flush=True,
        )
    if not args.no_solvers:
        print("== solvers (median of 3 after a warm-up)", flush=True)
        res.solvers = time_solvers()
        for row in res.solvers:
            what = f"{row['model']:17s} {row.get('kind', ''):5s} {row.get('what', '')}"
            print(f"   {what}: " + (_fmt(row["seconds"]) if "seconds" in row else "skipped: " + row["skipped"]), flush=True)
    if args.test:
        print("== warming up: one `make test` before timing one", flush=True)
        subprocess.run(["make", "test"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res.make_test_s, res.make_test_ok = time_command(["make", "test"])
    if args.book:
        res.make_book_s, res.make_book_ok = time_command(["make", "book"])

    command = "python -m firesales.bench" + "".join(
        f" {flag}" for flag, on in (("--test", args.test), ("--book", args.book)) if on
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(res) | {"command": command}, indent=2) + "\n", encoding="utf-8")
    if args.markdown:
        print()
        print(markdown(res, command))
    if args.write:
        from . import book as _book

        for path in (_book.ROOT / "README.md", _book.ROOT / "book" / "reproducibility.md"):
            path.write_text(_book.splice(path.read_text(encoding="utf-8"), markdown(res, command), path.name, "bench"),
                            encoding="utf-8")
        print("== wrote the bench table into README.md and book/reproducibility.md", flush=True)
    missed = [f"{n}: {s:.1f} s > {TARGETS['notebook_s']:.0f} s" for n, s in res.notebooks.items() if s > TARGETS["notebook_s"]]
    if res.notebooks and res.ratio > TARGETS["ratio"]:
        missed.append(f"ratio {res.ratio:.2f} > {TARGETS['ratio']:g}")
    if res.make_test_s is not None and res.make_test_s > TARGETS["make_test_s"]:
        missed.append(f"make test {res.make_test_s:.0f} s > {TARGETS['make_test_s']:.0f} s")
    if res.make_test_s is not None and not res.make_test_ok:
        missed.append("make test failed")
    if missed:
        print("== targets missed: " + "; ".join(missed), flush=True)
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
