# 产权交易电子商务平台 — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL used by `make test` for its second pass (skipped locally when unreachable, required when CI=true).
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/exchange

.PHONY: run test install install-dev lint typecheck test-sqlite test-postgres migrate demo clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies from the lock file (hashes checked); re-installed when the lock changes.
$(VENV)/.base-installed: requirements/base.lock | $(VENV)/bin/activate
	$(PIP) install -q --disable-pip-version-check --require-hashes -r requirements/base.lock
	touch $@

$(VENV)/.dev-installed: requirements/dev.lock | $(VENV)/bin/activate
	$(PIP) install -q --disable-pip-version-check --require-hashes -r requirements/dev.lock
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

## make run: set up, migrate, load demo data, start web + worker + clock at http://127.0.0.1:8000
run: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py seed_demo
	@$(PY) manage.py demo_accounts --url http://$(HOST):$(PORT)/
	WEB_BIND=$(HOST):$(PORT) exec $(VENV)/bin/honcho -f Procfile start

## make test: lint, types, migrations check, the suite on SQLite, then on PostgreSQL
test: install-dev lint typecheck test-sqlite test-postgres

lint:
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck:
	$(VENV)/bin/mypy src

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
