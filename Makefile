# platform_mgr — two commands on a fresh machine:
#   make run    install into .venv, migrate, load demo data when empty, serve on 127.0.0.1:$(PORT)
#   make test   install the dev extra, run the suite on SQLite (and on PostgreSQL when TEST_DATABASE_URL is set)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000
FLASK  := $(VENV)/bin/flask --app wsgi

.PHONY: run test test-moved-clock install install-dev messages translations db-upgrade seed clean serve scheduler bench

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

db-upgrade: install
	$(FLASK) db upgrade

run: db-upgrade
	$(FLASK) seed-demo --if-empty
	@echo "serving on http://127.0.0.1:$(PORT)  (Ctrl-C stops)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: db-upgrade
	$(VENV)/bin/gunicorn -w 4 -b 127.0.0.1:$(PORT) wsgi:app

scheduler: db-upgrade
	$(FLASK) scheduler run

test: install-dev
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

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
