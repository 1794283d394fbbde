# The two commands a newcomer needs (see README.md):
#   make demo   crawl the bundled demo news site into ./demo/news (offline, SQLite)
#   make test   run the whole test suite
# Both create the virtual environment .venv/ first (so .venv/bin/newsarchive is the CLI).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/newsarchive demo

test: $(STAMP)
	$(VENV)/bin/ruff check crawler pipeline archive tests
	$(VENV)/bin/pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(VENV)/bin/ruff check crawler pipeline archive tests
	$(VENV)/bin/ruff format --check crawler pipeline archive tests

clean:
	rm -rf $(VENV) demo build *.egg-info
