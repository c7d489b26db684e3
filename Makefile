# LEC — `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint venv messages bench bench-smoke loadtest clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "LEC is at http://127.0.0.1:8000 (Ctrl+C to stop)"
	$(PY) manage.py runserver 127.0.0.1:8000

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Regenerate the Thai catalogues (needs GNU gettext), then compile them; both are committed.
messages: venv
	$(PY) -m lec.messages

bench: venv
	$(PY) -m tests.perf.bench $(BENCH_ARGS)

bench-smoke: venv
	$(PY) -m tests.perf.bench --fraction 0.001 --repeat 3 --smoke

loadtest: venv
	$(PY) -m tests.perf.loadtest $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
