# firesales: the two commands a replicator needs are `make book` and `make test`.
# Both build .venv from requirements.txt on first use (Python 3.11 from the machine).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONHASHSEED := 0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: venv chromium latex book book-offline test test-browser test-workflows pdf test-pdf test-launch test-rerun ci bench pages lint execute rerun clean help

help:
	@echo "make book   - fresh strict build of the book, executing every notebook (_build/html);"
	@echo "              MathJax ships with it (readable offline) whenever npm can fetch it once"
	@echo "make test   - lib tests, nbval on every notebook, ledger checks, strict build, browser test"
	@echo "make book-offline - make book, failing if MathJax cannot be shipped with it"
	@echo "make test-browser - the book from committed outputs + every page in headless Chromium"
	@echo "make pdf    - the whole book as one PDF (xelatex): output/pdf/firesales.pdf"
	@echo "make test-pdf - make pdf, then check it (fonts embedded, titles, Proposition 1, log, margins)"
	@echo "make test-launch - a downloaded chapter notebook runs in a fresh venv (pins + install cell)"
	@echo "make ci     - what CI runs: make test, make test-pdf, make test-launch"
	@echo "make bench  - measure notebooks (wall + CPU), floor, make test, make book, solvers; publish in README"
	@echo "make execute NB=notebooks/x.ipynb - run a notebook top to bottom, save outputs"
	@echo "make rerun NB=kurlat P=\"LAM=0.4\" - re-run a chapter at your parameters (output/runs/), claims report"
	@echo "make test-rerun - every chapter re-run at three seeded points of its declared valid region (slow)"
	@echo "make pages  - regenerate claims ledger, errata and output lists from the notebooks"
	@echo "make clean  - remove _build and output"

venv: $(STAMP)

# pip's noise about local mirror folders that a machine's pip.conf names but lacks.
QUIET_PIP = { grep -v -e "^WARNING: Location '" -e "BuildBackendWarning" -e "^ *\*\*\*" || true; }

$(STAMP): requirements.txt pyproject.toml
	@if [ "$(VENV)" != ".venv" ] && [ -x "$(PY)" ]; then \
	  echo "== using the existing environment $(VENV)"; \
	  $(PY) -m pip install --quiet --no-deps --no-build-isolation -e .; touch $(STAMP); exit 0; fi; \
	command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or pass PYTHON=/path/to/python3.11"; exit 1; }; \
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 required, found " + sys.version.split()[0]'; \
	echo "== creating $(VENV) from requirements.txt (first run only, about 2 minutes)"; \
	t0=$$(date +%s); \
	$(PYTHON) -m venv $(VENV); \
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" 2>&1 | $(QUIET_PIP); \
	$(PY) -m pip install --quiet --disable-pip-version-check --require-virtualenv -r requirements.txt 2>&1 | $(QUIET_PIP); \
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . 2>&1 | $(QUIET_PIP); \
	touch $(STAMP); echo "== $(VENV) ready in $$(( $$(date +%s) - t0 )) s"

# Wall-time report printed when a long target ends, whether it passed or failed, with the
# CPU time (user + system) of every process it ran: on a shared machine wall time includes
# waiting for a core, CPU time does not. STEP marks the start of a step of `make test` and
# prints the time the previous one took.
CPU_S = cpu_s() { awk -v hz="$$(getconf CLK_TCK)" '{ printf "%.0f", ($$16 + $$17) / hz }' /proc/$$$$/stat 2>/dev/null || echo "?"; }
TIMER = $(CPU_S); start=$$(date +%s); trap 'code=$$?; echo "== $@: $$([ $$code = 0 ] && echo passed || echo FAILED) in $$(( $$(date +%s) - start )) s wall time, $$(cpu_s) s CPU"' EXIT
STEP = step() { now=$$(date +%s); [ -n "$${t_step:-}" ] && echo "   ($$(( now - t_step )) s wall)"; t_step=$$now; echo "== $$1"; }; step

# Offline by default: MathJax is fetched once with npm (pinned, checksum-verified, cached in
# .venv/vendor) and shipped in _build/html; without npm or its registry the build says so
# and the pages load MathJax from its CDN. `make book-offline` insists on the offline copy.
BUILD = $(PY) -m firesales.offline build

book: $(STAMP)
	@$(TIMER); \
	$(PY) -m firesales.book pages --check; \
	$(BUILD)

NBVAL = $(PY) -m pytest -q -p no:cacheprovider --nbval --nbval-current-env \
	--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120

# Debian's Chromium for the browser test (no browser download); installed when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "== installing Debian's chromium for the browser test (first run only)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "error: the browser test needs Chromium: sudo apt-get install chromium"; exit 1; fi; }

BROWSER_TEST = FIRESALES_BROWSER_REQUIRED=1 $(PY) -m pytest -q -p no:cacheprovider tests/browser

# nbval (step 2) runs first: it re-executes the notebooks, which write the figures in output/
# that the build copies. The strict build and the browser test (steps 4-5) then run beside
# pytest (step 3): a browser waits on pages more than it computes, and no test of step 3
# writes output/. Step 3 runs on both cores (pytest-xdist; worksteal evens out the long
# falsification runs); so does step 2, one notebook per worker
# (--dist loadfile keeps a notebook's cells, and its kernel, on one worker, in order).
PYTEST_N ?= 2

test: $(STAMP) chromium
	@$(TIMER); \
	$(STEP) "[1/5] the workflow files: GitHub's workflow schema and zizmor (about 1 s)"; \
	$(CHECK_WORKFLOWS); \
	$(STEP) "[2/5] nbval: re-execute every notebook and compare with its committed outputs (writes output/)"; \
	nbs=$$($(PY) -c 'from firesales.book import notebook_paths, _rel; print(" ".join(_rel(p) for p in notebook_paths()))'); \
	$(NBVAL) -n $(PYTEST_N) --dist loadfile $$nbs; \
	lane=$$(mktemp -d); \
	( { $(BUILD) --no-execute && $(BROWSER_TEST); } > $$lane/log 2>&1; echo $$? > $$lane/rc ) & bg=$$!; \
	echo "== [4/5] strict book build and [5/5] browser test: started beside step 3 (their output follows it)"; \
	$(STEP) "[3/5] pytest: the library, the falsification suite, the ledger, the pages, re-runs"; \
	fail=0; $(PY) -m pytest -q -n $(PYTEST_N) --dist worksteal tests -m "not browser and not launch and not sweep" || fail=1; \
	$(STEP) "[4/5] strict book build from the committed outputs (what make book builds, without re-running) and [5/5] every page of the book in headless Chromium (screenshots: output/screenshots): waiting for them"; \
	wait $$bg || true; cat $$lane/log; rc=$$(cat $$lane/rc 2>/dev/null || echo 1); rm -rf $$lane; \
	[ "$$fail" = 0 ] && [ "$$rc" = 0 ]; \
	$(STEP) "all five steps passed"

# The publishing workflow (.github/workflows) against the schema check-jsonschema vendors
# from SchemaStore, and zizmor's security audits; both offline, pinned in requirements.txt.
CHECK_WORKFLOWS = $(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml \
	&& $(VENV)/bin/zizmor --offline --no-progress .github/workflows/

test-workflows: $(STAMP)
	@$(CHECK_WORKFLOWS)

# Debian's TeX for `make pdf` (xelatex, latexmk, the LaTeX packages and the FreeFont
# family the pages' Greek letters need; about 80 MB) and poppler-utils for its checks;
# installed when missing, as Chromium is.
LATEX_DEBS = texlive-xetex latexmk texlive-latex-extra texlive-fonts-recommended fonts-freefont-otf poppler-utils
latex:
	@{ command -v xelatex && command -v latexmk && command -v pdftotext && command -v pdffonts \
	  && kpsewhich tabulary.sty && [ -n "$$(fc-list FreeSerif)" ]; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "== installing Debian's $(LATEX_DEBS) for the PDF (first run only, about 45 s)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(LATEX_DEBS) >/dev/null; \
	  else echo "error: the PDF needs xelatex: sudo apt-get install $(LATEX_DEBS)"; exit 1; fi; }

# The whole book as one PDF, executing every notebook as `make book` does (the figures the
# pages show live in output/, which a fresh clone lacks): output/pdf/firesales.pdf with its
# LaTeX log; `make book` offers it in the download menu when built from the same commit.
pdf: $(STAMP) latex
	@$(TIMER); \
	$(PY) -m firesales.publish pdf

test-pdf: pdf
	@$(PY) -m firesales.publish check-pdf

# A chapter notebook as a reader downloads it, run top to bottom in a fresh venv holding only
# requirements.txt; its install cell installs firesales from a wheel of this checkout.
# Slow (a venv and ~120 packages): not part of `make test`; CI runs it.
test-launch: $(STAMP)
	@$(TIMER); \
	FIRESALES_LAUNCH_TEST=1 $(PY) -m pytest -q -p no:cacheprovider tests/test_publish.py -m launch

# What CI runs (.ci/run): the README's test command, then the PDF, the launch and the re-run sweep.
ci: test test-pdf test-launch test-rerun

book-offline: $(STAMP)
	@$(TIMER); \
	$(PY) -m firesales.book pages --check; \
	$(BUILD) --require-offline

test-browser: $(STAMP) chromium
	@$(TIMER); \
	$(BUILD) --no-execute; \
	$(BROWSER_TEST)

# Publishes its table in README.md and book/reproducibility.md (between the generated:bench
# markers); BENCH_FLAGS="--no-solvers" etc. to change what is measured.
BENCH_FLAGS ?= --test --book
bench: $(STAMP)
	$(PY) -m firesales.bench --markdown --json output/bench.json --write $(BENCH_FLAGS)

execute: $(STAMP)
	$(PY) -m firesales.book execute $(NB)

# A copy of a chapter executed at your parameters (papermill) into output/runs/, rendered,
# with a report of which claims hold. P is passed through the environment, unsplit, so
# values may hold spaces, brackets and quotes: make rerun NB=kurlat P="LAM=0.4 GAP=(0.6, 0.7)"
rerun: export RERUN_PARAMS = $(P)
rerun: $(STAMP)
	@$(PY) -m firesales.rerun $(NB)

pages: $(STAMP)
	$(PY) -m firesales.book pages

lint: $(STAMP)
	$(PY) -m firesales.book lint

clean:
	rm -rf _build output

# Every chapter re-run at three points drawn (seeded) from the valid ranges its parameters
# cell declares; every claim must hold, be not applicable with its reason, or fail only where
# tied to the paper's printed numbers; no cell may raise. Slow (15 re-runs): CI runs it after
# `make test`.
test-rerun: $(STAMP)
	@$(TIMER); \
	$(PY) -m pytest -q -n $(PYTEST_N) -p no:cacheprovider tests/test_rerun_sweep.py tests/test_rerun.py -m sweep
