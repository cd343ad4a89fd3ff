# kernlint — two commands for a fresh machine (Debian bookworm, Python 3.11, Node 20):
#   make run    set up a local virtual environment and check the bundled example driver
#   make test   install everything the tests need (Python, Node, Debian packages) and run them all
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: run test venv test-deps lint rules-doc clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

venv: $(BIN)/python
	$(BIN)/pip install -q -e .

run: venv
	@echo "== kernlint check examples/ (findings are expected: the example carries bugs) =="
	@$(BIN)/kernlint check examples/ ; status=$$?; test $$status -le 1

test-deps: $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	scripts/setup-editors.sh

lint: test-deps
	$(BIN)/ruff check server tests bench scripts
	$(BIN)/mypy

test: test-deps lint
	$(BIN)/pytest -q -ra

rules-doc: venv
	$(BIN)/kernlint rules --markdown > docs/rules.md

clean:
	rm -rf $(VENV) build *.egg-info
