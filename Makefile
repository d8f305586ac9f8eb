# par-index: the same targets locally and in CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench lint serve

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/par-index demo --out demo-output

test: $(STAMP)
	$(BIN)/python -m pytest

# The inner loop: everything but the tests marked slow (browser, PostgreSQL, big property tests).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m pytest benchmarks --benchmark-only -p no:cacheprovider -o testpaths=benchmarks

lint: $(STAMP)
	$(BIN)/ruff check par_index tests benchmarks
	$(BIN)/mypy

# The province server on the Bắc Giang 2024 example: par-index.db (created once), one account
# per role with a printed one-time password, http://127.0.0.1:8000. Delete par-index.db to start over.
SERVE_DB := sqlite:///par-index.db
EXAMPLE := evidence/bac-giang/2024
serve: $(STAMP)
	@if [ ! -f par-index.db ]; then \
	  set -e; \
	  $(BIN)/par-index db init --db $(SERVE_DB) --criteria criteria/bac-giang/2024/so.yaml \
	    --criteria criteria/bac-giang/2024/huyen.yaml --units $(EXAMPLE)/units.csv; \
	  $(BIN)/par-index db import --db $(SERVE_DB) --data $(EXAMPLE) --files par-index-files; \
	  $(BIN)/par-index users add --db $(SERVE_DB) --login so-noi-vu --role unit --unit so-noi-vu; \
	  $(BIN)/par-index users add --db $(SERVE_DB) --login so-tu-phap --role agency --agency so-tu-phap; \
	  $(BIN)/par-index users add --db $(SERVE_DB) --login tham-dinh --role appraiser; \
	  $(BIN)/par-index users add --db $(SERVE_DB) --login quan-tri --role admin; \
	  $(BIN)/par-index users add --db $(SERVE_DB) --login xem --role viewer; \
	fi
	$(BIN)/par-index serve --db $(SERVE_DB) --files par-index-files --host 127.0.0.1 --port 8000
