# Spink: `make run` starts everything, `make test` runs the whole suite.
# Without DATABASE_URL/REDIS_URL both use embedded PostgreSQL and Redis under ./.data/.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EMBEDDED := $(PY) -m devtools.embedded run --

.PHONY: run test test-fast lint types format install browser-deps services-up services-down messages \
	bench loadtest clean lock backup restore

# Development and tests install the dev lock (runtime + test tools); the image installs
# requirements.lock (runtime only). Both are made by `make lock` from pyproject.toml.
$(VENV)/.installed: requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=1 SPINK_DEMO=1 $(EMBEDDED) $(PY) -m devtools.devserver

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser-deps:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The type checker (mypy with the Django and DRF plugins; [tool.mypy] in pyproject.toml). The
# Django plugin imports the settings, so it runs with the same environment as the tests.
types: install
	$(EMBEDDED) $(VENV)/bin/mypy

# The suite runs on two processes (pytest-xdist; each has its own test database and Celery
# queue), one test file at a time per process, so a module's shared data is made once.
# PYTEST_WORKERS=0 runs it in this one process (for a debugger or `-x`).
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadfile

test: install browser-deps lint types
	$(EMBEDDED) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# The suite without the browser tests (no Chromium, no lint), on the test database of the last
# run: for quick iterations; `make test` is the whole check.
test-fast: install
	$(EMBEDDED) $(PY) -m pytest $(XDIST) --reuse-db --ignore=tests/browser $(PYTEST_ARGS)

# Update the Swedish catalogue from the code and compile it (needs gettext's msgfmt).
messages: install
	$(PY) manage.py makemessages -l sv --no-obsolete --ignore ".venv/*" --ignore ".data/*" \
	  --ignore "*/migrations/*" --ignore "tests/*"
	$(PY) manage.py compilemessages --ignore ".venv/*"

services-up: install
	$(PY) -m devtools.embedded up

services-down: install
	$(PY) -m devtools.embedded down

# One file with a pg_dump of the database and the uploaded files, in .data/backups/ (ops/backup.py).
backup: install
	$(EMBEDDED) $(PY) -m ops.backup create $(BACKUP_ARGS)

# make restore FILE=.data/backups/spink-backup-….tar; YES=1 to overwrite a database with data.
restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=.data/backups/spink-backup-....tar [YES=1]" >&2; exit 2; }
	$(EMBEDDED) $(PY) -m ops.backup restore "$(FILE)" $(if $(YES),--yes) $(RESTORE_ARGS)

# Re-pin both locks after a change to pyproject.toml (needs uv: `pip install uv`).
lock:
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements.lock
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  -o requirements-dev.lock

clean:
	rm -rf $(VENV) .pytest_cache

# Benchmarks at regional scale (not part of `make test`); writes BENCHMARKS.md.
bench: install
	$(EMBEDDED) $(PY) -m devtools.bench

# Load test against gunicorn at 10 and 50 concurrent users (not part of `make test`);
# writes its own section of BENCHMARKS.md.
loadtest: install
	$(EMBEDDED) $(PY) -m devtools.loadtest
