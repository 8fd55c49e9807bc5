# pledgeloop: `make run` serves the demo street, `make test` runs the whole suite.
# Every target sets up what it needs first, so both work from a fresh clone.

PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE := pledgeloop.settings
# With DEBUG off the settings refuse to start without a private key: the demo's is made once,
# at random, in var/secret_key (a deployment sets SECRET_KEY or SECRET_KEY_FILE instead).
export SECRET_KEY_FILE ?= $(CURDIR)/var/secret_key
MAKE_START := $(shell date +%s)

.PHONY: run test setup lint format bench messages clean optimised-python venv-python

run: setup
	@# migrate, load the demo into an empty database, refresh statistics, schedule reminders,
	@# print the demo logins: one process, so that a second `make run` starts in seconds
	@$(PY) manage.py demo_prepare
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C stops), with the tasks worker beside it"
	@# The tasks worker (reminders, scheduled jobs, sending notifications) runs beside the web
	@# server and is stopped when the web server stops.
	@# Links in texts (the logging SMS sender prints them) point at this server.
	@SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} \
	  $(PY) manage.py db_worker --interval 2 --no-startup-delay & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null; wait $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn pledgeloop.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 \
		--access-logfile - --log-level warning

# pytest-xdist: one worker per core, each with its own copy of a test database migrated once
# (pledgeloop/testing_database.py). loadgroup hands tests out one by one to whichever worker
# is free, except the modules with a module-scoped fixture (the demo street), which
# pledgeloop/conftest.py keeps together on one worker.
PYTEST := $(PY) -m pytest -n auto --dist loadgroup

# `make test` prints its own wall time at the end (set-up included), pass or fail, and
# exits with the status of the first step that failed. SQLite runs every test, recording the
# statements each sends; PostgreSQL runs again, of the tests that reach the database
# (--database-tests-only, pledgeloop/conftest.py; browser tests and the engine-neutral modules
# listed there aside), the fewest that send every statement recorded, and those a statement
# cannot speak for (pledgeloop/testing_cover.py), collecting only their modules.
# POSTGRES_TESTS=all runs every one of them there, as CI does (.ci/run; docs/ARCHITECTURE.md,
# "Tests").
# Bytecode caching is switched back on where the environment turns it off
# (PYTHONDONTWRITEBYTECODE): otherwise every pytest worker, and every subprocess a test
# starts, compiles the project and rewrites the test modules' assertions again (about 8 s of
# CPU for each worker's collection).
test: optimised-python setup
	@set -e; start=$(MAKE_START); unset PYTHONDONTWRITEBYTECODE; \
	  trap 'echo "make test: $$(( $$(date +%s) - start )) s"' EXIT; \
	  scripts/ensure-test-packages.sh; \
	  $(MAKE) --no-print-directory lint; \
	  echo "== pytest on SQLite, every test ($(PYTEST))"; \
	  $(PYTEST) --record-statements=var/test-statements; \
	  echo "== pytest on a throwaway PostgreSQL cluster, the tests that reach the database"; \
	  $(PY) scripts/with-throwaway-postgres.py $(PYTEST) --database-tests-only -m "not browser" \
	    $(if $(filter all,$(POSTGRES_TESTS)),,--statement-cover=var/test-statements \
	      $$($(PY) -m pledgeloop.testing_cover var/test-statements))

bench: setup
	$(PY) bench/dispatch.py
	$(PY) bench/stats.py --quick
	$(PY) bench/pages.py --quick
	$(PY) bench/intake.py
	$(PY) bench/instructions.py
	$(PY) bench/faults.py
	$(PY) bench/lighthouse.py
	$(PY) bench/startup.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@# the layer order of docs/ARCHITECTURE.md: every app in the contract, no import upwards
	$(PY) scripts/check-layers.py
	$(VENV)/bin/lint-imports --no-cache
	@# every model change has its migration
	$(PY) manage.py makemigrations --check --dry-run

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# --- set-up: each step reruns only when its inputs change ---------------------------------

setup: venv-python $(STAMP) var/secret_key pledgeloop/static/vendor/.copied messages var/static/.collected

# make test runs on a Python built with profile-guided optimisation, once per machine
# (scripts/build-python.sh; the suite takes about 15 % less CPU on it). Where that cannot be
# built, or with PLEDGELOOP_PYTHON naming an interpreter of your choice, it goes on with the
# Python found. make run does not wait for the build; it uses the build once it is there.
optimised-python:
	@[ -n "$${PLEDGELOOP_PYTHON:-}" ] || scripts/build-python.sh >/dev/null || \
	  echo "make test: going on with the Python found by scripts/find-python.sh (slower)"

# .venv is made with the Python that scripts/find-python.sh names, and made again when that
# changes (the optimised build has arrived, or PLEDGELOOP_PYTHON names another).
venv-python:
	@want=$$(scripts/find-python.sh) || exit 1; \
	  if [ -x $(PY) ] && [ "$$(cat $(VENV)/.python 2>/dev/null)" != "$$want" ]; then \
	    echo "Making $(VENV) again, with $$want"; rm -rf $(VENV); fi

$(STAMP): pyproject.toml
	@PYTHON=$$(scripts/find-python.sh) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON"; \
	    "$$PYTHON" -m venv $(VENV) && echo "$$PYTHON" > $(VENV)/.python; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

# A random key, once (mode 0600); kept across runs so that sign-ins survive a restart.
var/secret_key: | $(STAMP)
	@$(PY) scripts/make-secret-key.py $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# htmx is copied as published; ECharts is built by esbuild from its tree-shakable modules with
# only the charts and components that frontend/echarts.js registers (a fraction of the full
# 1.1 MB build).
pledgeloop/static/vendor/.copied: node_modules/.package-lock.json frontend/echarts.js
	mkdir -p pledgeloop/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js pledgeloop/static/vendor/
	node_modules/.bin/esbuild frontend/echarts.js --bundle --minify --format=iife \
	  --target=es2017 --legal-comments=eof --log-level=warning \
	  --outfile=pledgeloop/static/vendor/echarts.min.js
	@touch $@

MO_FILES := $(patsubst %.po,%.mo,$(wildcard pledgeloop/locale/*/LC_MESSAGES/django.po))

messages: $(MO_FILES)

# compilemessages leaves a .mo newer than its .po as it is: touched, so that make sees it done
# (it ran compilemessages again, 2 s, on every make test after the .venv was refreshed).
pledgeloop/locale/%/LC_MESSAGES/django.mo: pledgeloop/locale/%/LC_MESSAGES/django.po | $(STAMP) var/secret_key
	@$(PY) manage.py compilemessages -v 0 --ignore=.venv --ignore=node_modules
	@touch $@

var/static/.collected: $(STAMP) pledgeloop/static/vendor/.copied $(shell find pledgeloop -path '*/static/*' -type f -not -path '*/vendor/*' 2>/dev/null) | var/secret_key
	@mkdir -p var
	@$(PY) manage.py collectstatic --noinput -v 0
	@touch $@

clean:
	rm -rf $(VENV) node_modules var pledgeloop/static/vendor
