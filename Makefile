# pm_pipeline: `make demo` runs the whole quarterly cycle on the sample council;
# `make test` installs and runs the tests (`make test-fast`: all but those marked slow);
# `make ui` starts the Dagster UI and the returns portal; `make stack` runs the services on PostgreSQL in the
# foreground; `make restore DATE=...` restores a backup.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export PM_DATA_DIR ?= $(CURDIR)/data

AXE := .cache/node_modules/axe-core/axe.min.js

.PHONY: install browser demo test test-fast ui lint bench sample clean home backfill stack restore

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed browser

# Headless Chromium prints the PDF reports (Debian package; apt-get, with sudo unless root).
browser:
	@.ci/system-packages chromium

home:
	@mkdir -p "$(DAGSTER_HOME)"
	@cp dagster.yaml "$(DAGSTER_HOME)/dagster.yaml"

demo: install home
	$(PY) -m pm_pipeline.sample.demo

# axe-core (the accessibility rules the browser tests run) comes from the npm registry.
$(AXE):
	@if command -v npm >/dev/null 2>&1; then \
		npm install --no-save --no-audit --no-fund --prefix .cache axe-core@4.14.1 >/dev/null; \
	else echo "npm not found: the accessibility tests will be skipped"; fi

# The tests' temporary folders go on tmpfs (/dev/shm) when it has 4 GiB free: most of a small
# Dagster run's time on disk is SQLite's and DuckDB's fsyncs (docs/performance.md, "The test suite").
TEST_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$4 > 4194304 { print "/dev/shm" }')
PYTEST := $(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(VENV)/bin/pytest

test: install $(AXE)
	$(PYTEST) -n 2 --dist loadgroup -q

# The fast lane while developing: every test not marked slow (CI runs `make test`, all of them).
test-fast: install $(AXE)
	$(PYTEST) -n 2 --dist loadgroup -q -m "not slow"

# The returns portal (docs/portal.md) runs beside it on the same PM_DATA_DIR, with the demo's
# "sign in as" (this is the laptop/demo path), and stops when `dagster dev` stops.
ui: install home
	@PM_PORTAL_DEMO_LOGIN=1 $(PY) -m pm_pipeline.portal & portal=$$!; \
	trap 'kill $$portal 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/dagster dev -w workspace.yaml

# PostgreSQL, the gRPC code server, the webserver and the daemon; Ctrl-C stops them all.
# Its own instance (PostgreSQL storage) in .stack/dagster_home, not the demo's SQLite one;
# docs/operations-stack.md says how to run it from an installed package.
stack: install
	DAGSTER_HOME="$(CURDIR)/.stack/dagster_home" $(PY) -m pm_pipeline.stack

# Bring the warehouse back from backups/<DATE>/ (stop the services first).
restore: install
	@test -n "$(DATE)" || { echo "usage: make restore DATE=YYYY-MM-DD"; exit 2; }
	$(PY) -m pm_pipeline.defs.operations.backup restore $(DATE)

# ruff; mypy on the product and bench/ (pyproject [tool.mypy]); import-linter's layer contracts
# (pyproject [tool.importlinter]).
lint: install
	$(VENV)/bin/ruff check pm_pipeline pm_pipeline_tests bench
	$(VENV)/bin/ruff format --check pm_pipeline pm_pipeline_tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: install
	$(PY) bench/quality_checks.py
	$(PY) bench/benchmarks_refresh.py
	$(PY) bench/scale.py
	$(PY) bench/operations.py
	$(PY) bench/portal_save.py

sample: install
	$(PY) -m pm_pipeline.sample.generate data
	$(PY) -m pm_pipeline.sample.benchmarks data
	$(PY) -m pm_pipeline.sample.reference data

clean:
	rm -rf data/warehouse.duckdb data/warehouse.duckdb.wal data/reports data/exports data/mail .dagster_home

# Backfill a range of quarters in one run: make backfill FROM=2021-04-01 TO=2026-07-01
FROM ?= 2021-04-01
TO ?= 2026-07-01
backfill: install home
	$(VENV)/bin/dagster asset materialize -m pm_pipeline.definitions --select 'indicator_register,register_council,register_targets,register_comparators,register_people,register_services'
	$(VENV)/bin/dagster asset materialize -m pm_pipeline.definitions \
		--select 'pi_returns,quality_issues,restatements,kpi_scorecard,kpi_exceptions,quarterly_performance_report,quarterly_report_pdf' \
		--partition-range $(FROM)...$(TO)
