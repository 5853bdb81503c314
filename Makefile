# platform_mgr — two commands on a fresh machine:
#   make run    install into .venv from the lock, migrate, load demo data when empty, serve on 127.0.0.1:$(PORT)
#               and run the scheduler beside the server (Ctrl-C stops both)
#   make test   install the dev lock, run the suite on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set)
# Dependencies come from requirements.lock / requirements-dev.lock (exact versions with hashes, pip-tools'
# pip-compile --generate-hashes from pyproject.toml); `make lock` regenerates them.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check
PORT   ?= 5000
FLASK  := $(VENV)/bin/flask --app wsgi

# the lock tool: installed into $(VENV) by `make lock` only, never a dependency of the project
PIP_TOOLS_VERSION := 7.6.2
# the setuptools and wheel that build the editable install are locked too (--build-deps-for editable), so
# the project is installed without build isolation and nothing comes in without a hash
LOCK_OPTIONS := --generate-hashes --allow-unsafe --strip-extras --build-deps-for editable \
                --no-emit-index-url --no-emit-find-links
# e.g. `make lock PIP_COMPILE_ARGS=--upgrade` (all) or `PIP_COMPILE_ARGS='--upgrade-package flask'`
PIP_COMPILE_ARGS ?=

.PHONY: run test test-moved-clock install install-dev lock messages translations db-upgrade seed clean serve scheduler bench

$(VENV)/bin/python:
	@echo "== creating $(VENV) with $$($(PYTHON) --version)"
	$(PYTHON) -m venv $(VENV)

# each stamp is older than the lock it was installed from when the lock changes: the install runs again
$(VENV)/.installed: requirements.lock pyproject.toml | $(VENV)/bin/python
	@echo "== installing the locked dependencies (requirements.lock, about a minute the first time)"
	$(PIP) install --progress-bar off --require-hashes -r requirements.lock
	@echo "== installing platform_mgr itself (editable, its dependencies are the locked ones)"
	$(PIP) install --progress-bar off --quiet --no-deps --no-build-isolation -e .
	@$(PIP) check >/dev/null || { $(PIP) check; echo "requirements.lock does not satisfy pyproject.toml: run make lock"; exit 1; }
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	@echo "== installing the locked dev dependencies (requirements-dev.lock: pytest, playwright, hypothesis …)"
	$(PIP) install --progress-bar off --require-hashes -r requirements-dev.lock
	@$(PIP) check >/dev/null || { $(PIP) check; echo "requirements-dev.lock does not satisfy pyproject.toml: run make lock"; exit 1; }
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db-upgrade: install
	@echo "== migrating the database"
	$(FLASK) db upgrade

# the scheduler (reminders, cycles opening and closing, mail) runs beside the web server, as in production;
# both stop together: on Ctrl-C, on a TERM to make, or when the server stops by itself
run: db-upgrade
	@echo "== loading demo data (first run only: kept when the database has data)"
	$(FLASK) seed-demo --if-empty
	@echo "== serving on http://127.0.0.1:$(PORT) and running the scheduler (Ctrl-C stops both)"
	@trap 'kill $$server $$scheduler 2>/dev/null; wait; echo "== stopped the server and the scheduler"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(FLASK) scheduler run & scheduler=$$!; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT) & server=$$!; \
	wait $$server

serve: db-upgrade
	$(VENV)/bin/gunicorn -w 4 -b 127.0.0.1:$(PORT) wsgi:app

scheduler: db-upgrade
	$(FLASK) scheduler run

test: install-dev
	@echo "== running the suite on SQLite"
	env -u TEST_DATABASE_URL $(PY) -m pytest -q
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== again on PostgreSQL: $$TEST_DATABASE_URL"; \
	  $(PY) -m pytest -q; \
	fi

# the SQLite suite with the machine's clock 400 days ahead, then 400 days back (Debian's faketime; .ci/run runs it)
test-moved-clock: install-dev
	@command -v faketime >/dev/null || { echo "faketime is not installed (Debian: apt-get install faketime)"; exit 1; }
	@for shift in +400d -400d; do \
	  echo "== SQLite suite with the clock moved $$shift: faketime -f '$$shift'"; \
	  env -u TEST_DATABASE_URL faketime -f "$$shift" $(PY) -m pytest -q -p no:warnings || exit 1; \
	done

# benchmark at programme scale (bench/README.md): fresh SQLite and PostgreSQL databases, seed-demo --scale large
bench: install
	$(PY) bench/run.py

# translations: extract, merge into the catalogs, compile (compiled .mo files are committed)
messages: install
	$(PY) tools/i18n.py extract
	$(PY) tools/i18n.py missing || true

translations: install
	$(PY) tools/i18n.py compile

# regenerate the lock files from pyproject.toml (Python 3.11 on Linux x86_64, as on the machines that use them);
# pip-compile keeps the pinned versions unless PIP_COMPILE_ARGS asks for upgrades
lock: | $(VENV)/bin/python
	@echo "== installing pip-tools $(PIP_TOOLS_VERSION) into $(VENV) (a tool, not a dependency of the project)"
	$(PIP) install --progress-bar off --quiet "pip-tools==$(PIP_TOOLS_VERSION)"
	@echo "== requirements.lock: the application's dependencies"
	$(VENV)/bin/pip-compile --quiet $(LOCK_OPTIONS) $(PIP_COMPILE_ARGS) --output-file requirements.lock pyproject.toml
	@echo "== requirements-dev.lock: the same versions and the dev extra"
	$(VENV)/bin/pip-compile --quiet $(LOCK_OPTIONS) $(PIP_COMPILE_ARGS) --extra dev --constraint requirements.lock \
	  --output-file requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
