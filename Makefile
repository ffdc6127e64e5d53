# Pulse — every developer command. `make run` and `make test` are the two in the README.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PROGRAMS ?= 40
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pulse
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

# Django 6 needs Python 3.12+: take the first local interpreter that fits (never a download).
PYTHON := $(shell for c in python3.13 python3.12 $$(ls -d $$(pyenv root 2>/dev/null)/versions/3.1[23]*/bin/python3 2>/dev/null | sort -r); do \
	command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null && break; done)
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)

.PHONY: help
help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet 'uv==0.13.9'

.PHONY: python
python:
	@test -n "$(PYTHON)" || { echo "Pulse needs Python 3.12 or 3.13 (Django 6). Install one (e.g. pyenv install 3.12) and retry." >&2; exit 1; }

.PHONY: deps
deps: python $(UV)  ## Install the Python packages (locked) and the front-end assets
	@$(UV) sync --locked --python "$(PYTHON)" --quiet
	@if [ ! -d node_modules/htmx.org ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --silent --no-audit --no-fund; fi

# `make run` prints the demo accounts, one line while seeding and the address; VERBOSE=1 shows
# every migration, seeded row, task, request and whole e-mail (as Django's defaults do).
VERBOSE ?=
ifeq ($(VERBOSE),1)
RUN_ENV := VERBOSE=1
RUN_VERBOSITY := 1
RUN_SERVER_FLAGS :=
else
RUN_ENV := LOG_LEVEL=WARNING DJANGO_RUNSERVER_HIDE_WARNING=true
RUN_VERBOSITY := 0
RUN_SERVER_FLAGS := --skip-checks
endif

.PHONY: run
run: deps  ## Set up the embedded default (SQLite, eager Celery), load demo data, serve on HOST:PORT (127.0.0.1:8000); VERBOSE=1 for every log line
	@$(RUN_ENV) $(PY) manage.py migrate --noinput --verbosity $(RUN_VERBOSITY)
	@$(RUN_ENV) $(PY) manage.py seed_demo --programs $(PROGRAMS) --if-empty --verbosity $(RUN_VERBOSITY)
	@echo "Pulse is at http://$(HOST):$(PORT)/ — sign in with a demo account above (make run VERBOSE=1 shows every log line)."
	@$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT) $(RUN_SERVER_FLAGS)

.PHONY: browser
browser:  ## Debian's chromium for the browser tests (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }; \
		else sudo apt-get install -y -qq chromium; fi; }

# pytest-xdist: TEST_WORKERS processes (0: one, no xdist), each on a test database of its own
# (test_pulse_gw0, _gw1…). A file runs whole in one process (--dist loadfile), so a module's
# shared rows and the Celery worker's Redis database are never used by two processes at once.
TEST_WORKERS ?= 2

.PHONY: test
test: deps browser  ## Run the whole suite on PostgreSQL, a real Celery worker over Redis and chromium (TEST_WORKERS=2 processes)
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(ARGS)

.PHONY: lint
lint: deps  ## ruff, django-upgrade, the import contracts and mypy (what pre-commit runs)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	git ls-files -z '*.py' ':!:*/migrations/*' | xargs -0 $(VENV)/bin/django-upgrade --target-version 6.1 --check
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

.PHONY: format
format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

.PHONY: bench
bench: deps  ## The benchmarks (see bench/README.md); numbers print as ratios to a floor
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/run.py $(ARGS)

.PHONY: bench-health
bench-health: deps  ## The health engine benchmark: full recompute vs a SQL floor, memory, edit → score
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/health.py $(ARGS)

.PHONY: check-deploy
check-deploy: deps  ## Django's deployment checks with production settings
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
		ALLOWED_HOSTS=pulse.example.com $(PY) manage.py check --deploy --fail-level WARNING

.PHONY: clean
clean:  ## Remove the virtualenv, node_modules and the SQLite database
	rm -rf $(VENV) .tools node_modules db.sqlite3 staticfiles

.PHONY: bench-export
bench-export: deps  ## The analytics export benchmark: time and peak memory at 1,000 and 10,000 programs
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/export.py $(ARGS)

.PHONY: bench-dashboard
bench-dashboard: deps  ## The dashboard benchmark: latency vs a trivial signed-in view, page weight
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/dashboard.py $(ARGS)

.PHONY: bench-insights
bench-insights: deps  ## The insights benchmark: every insights page and endpoint vs a trivial signed-in view, at 10,000 and 1,000 programs
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) bench/insights.py $(ARGS)
