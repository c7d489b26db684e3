# LEC — `make run` serves the demo on http://127.0.0.1:8000; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000# make run PORT=8001 when 8000 is taken

.PHONY: run test lint mutation venv venv-test venv-bench messages bench bench-smoke loadtest clean cluster cluster-stop drill haproxy

# One stamp per extra: `make run` installs only what running needs; `make test` after `make run` still installs
# the test extra (pytest, ruff, import-linter); the benchmarks add the bench extra.
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Run and test environments install the hash-locked set (requirements*.lock, made by .ci/lock from pyproject.toml),
# then the project itself without resolving anything more.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements-test.lock | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements-test.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	touch $@

venv: $(VENV)/.installed-run
venv-test: $(VENV)/.installed-test
venv-bench: $(VENV)/.installed-bench

run: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "LEC is at http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: venv-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_tests.py

# Mutation testing of the rules (not in CI; docs/testing.md "Mutation testing"): one module at a time, smallest
# first, then every mutant's result; `make mutation MUTATE=accounts.policy` runs one module. Under `nice`: it keeps
# MUTMUT_CHILDREN cores busy for about an hour. schools.services: only the other-school headcount save and its
# helpers (issue 11), chosen by mutant name.
MUTATE ?= students.identity students.services.counters accounts.policy students.services.cleaning schools.services confirmations.services
MUTMUT_CHILDREN ?= 2
HEADCOUNT_SAVE := $(addprefix schools.services.,x_parse_count__* xǁCellProblemǁ* x__field__* x_other_school_entry_clean__* x_levels_label__* x_untaught_problems__* x__lock_for_entry__* x__round_state__* x__require_edit__* x__write_entries__* x__audit_entries__* x_entry_version__* x__check_versions__*)
mutants_of = $(foreach glob,$(if $(filter schools.services,$(1)),$(HEADCOUNT_SAVE),$(1).*),"$(glob)")
mutation: venv-test
	$(PY) -m pip install --quiet "mutmut>=3.2,<4"
	$(foreach module,$(MUTATE),nice -n 19 $(VENV)/bin/mutmut run --max-children $(MUTMUT_CHILDREN) $(call mutants_of,$(module)) || exit 1;)
	$(VENV)/bin/mutmut results --all true

# Regenerate the Thai catalogues (needs GNU gettext), then compile them; both are committed.
messages: venv-test
	$(PY) -m lec.messages

bench: venv-bench
	$(PY) -m tests.perf.bench $(BENCH_ARGS)

bench-smoke: venv-bench
	$(PY) -m tests.perf.bench --fraction 0.001 --repeat 3 --smoke

loadtest: venv-bench
	$(PY) -m tests.perf.loadtest $(LOADTEST_ARGS)

# The production topology on 127.0.0.1 (api.md section 3): haproxy :8080, web1/web2, two Celery workers, beat,
# a streaming standby on :5433 and Redis with AOF on :6380; the PostgreSQL server on :5432 is the primary.
haproxy:
	@command -v haproxy >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq haproxy >/dev/null)
	@[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || (apt-get update -qq && apt-get install -y -qq postgresql-15 >/dev/null)
	@command -v redis-server >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null)

cluster: venv haproxy
	$(PY) deploy/cluster.py start

cluster-stop: venv
	$(PY) deploy/cluster.py stop

# Fault drills against a running cluster (`make drill DRILL_ARGS=--quick` for the short CI subset).
drill: venv
	$(PY) deploy/drill.py $(DRILL_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
