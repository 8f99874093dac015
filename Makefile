# 产权交易电子商务平台 — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# collectstatic's output (settings.py reads the same variable); a stamp in it records the last run.
STATIC_ROOT ?= var/static
STATIC_SOURCES := $(shell find src/exchange/static -type f 2>/dev/null)
# PostgreSQL used by `make test` for its second pass (skipped locally when unreachable, required when CI=true).
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/exchange
# Serving only: the three processes of the Procfile in one process tree (Ctrl-C stops them all).
# Links in e-mail/SMS/WeChat messages point at this server unless NOTIFY_SITE_URL says otherwise.
SERVE = WEB_BIND=$(HOST):$(PORT) NOTIFY_SITE_URL=$${NOTIFY_SITE_URL:-http://$(HOST):$(PORT)} exec $(VENV)/bin/honcho -f Procfile start

.PHONY: run start setup preflight install install-dev test lint typecheck test-sqlite test-postgres clean

## make run: set up what changed (dependencies, migrations, static files, demo data), print the
## demo accounts, then serve web + worker + clock at http://127.0.0.1:8000
run: setup
	@$(PY) manage.py demo_accounts --url http://$(HOST):$(PORT)/
	$(SERVE)

## make start: serve an environment that is already set up — no installation, migration or
## demo data, so it answers within seconds (what a process supervisor restarts after a crash)
start:
	@if [ ! -f $(VENV)/.base-installed ]; then \
	  echo "平台尚未安装：先运行 make run（或 make setup）。 Not set up yet: run 'make run' (or 'make setup') first." >&2; \
	  exit 1; \
	fi
	$(SERVE)

## make setup: everything `make run` does before it serves
setup: install $(STATIC_ROOT)/.collected
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo

# The interpreter and the OS libraries (Pango for PDFs, a CJK font), checked with the machine's
# Python before anything is installed; a missing one is named with its package.
preflight:
	@$(PYTHON) scripts/bootstrap.py check

# The venv gets the pinned installer (requirements/pip.lock), then the lock file, hashes checked;
# re-done when a lock changes. scripts/bootstrap.py says what to do when it fails.
$(VENV)/.base-installed: requirements/pip.lock requirements/base.lock
	$(PYTHON) scripts/bootstrap.py install --venv $(VENV) requirements/base.lock
	touch $@

$(VENV)/.dev-installed: requirements/pip.lock requirements/dev.lock
	$(PYTHON) scripts/bootstrap.py install --venv $(VENV) requirements/dev.lock
	touch $@ $(VENV)/.base-installed

install: preflight $(VENV)/.base-installed
install-dev: preflight $(VENV)/.dev-installed

# collectstatic (hashing and compressing ≈1,000 files, seconds) only when an asset, the installed
# packages or the settings changed since the last run.
$(STATIC_ROOT)/.collected: $(VENV)/.base-installed $(STATIC_SOURCES) src/exchange/settings.py
	$(PY) manage.py collectstatic --no-input -v 0
	touch $@

## make test: lint, types, migrations check, the suite on SQLite, then on PostgreSQL
test: install-dev lint typecheck test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check src tests bench scripts .ci
	$(VENV)/bin/ruff format --check src tests bench scripts .ci
	PYTHONPATH=src $(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/python scripts/check_doc_links.py

typecheck:
	$(VENV)/bin/mypy src scripts .ci/smoke_run.py

test-sqlite:
	FAST_PASSWORD_HASHER=1 DATABASE_URL= $(PY) manage.py makemigrations --check --dry-run
	FAST_PASSWORD_HASHER=1 DATABASE_URL= $(VENV)/bin/pytest -n 2 --dist loadgroup

test-postgres:
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_PG_URL)'.rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" 2>/dev/null; then \
	  echo "== suite on PostgreSQL ($(TEST_PG_URL))"; \
	  FAST_PASSWORD_HASHER=1 DATABASE_URL=$(TEST_PG_URL) $(VENV)/bin/pytest -n 2 --dist loadgroup -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(TEST_PG_URL) is required when CI=true but is not reachable" >&2; exit 1; \
	else \
	  echo "== PostgreSQL not reachable at $(TEST_PG_URL): PostgreSQL pass skipped (required in CI)"; \
	fi

clean:
	rm -rf $(VENV) var
