# The two commands a newcomer needs (see README.md):
#   make demo   crawl the bundled demo news site into ./demo/news (offline, SQLite)
#   make test   run the whole test suite
# Both create the virtual environment .venv/ first (so .venv/bin/newsarchive is the CLI).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test install lint clean tools

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/newsarchive demo

test: $(STAMP) tools
	$(VENV)/bin/ruff check crawler pipeline archive tests
	$(VENV)/bin/pytest -n 2 --dist loadfile

# hugo builds the site of `newsarchive site init` in tests/test_hugo.py (skipped without it, except
# under CI=true). Best effort: installed from Debian's packages when missing and we are root.
tools:
	@if ! command -v hugo >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing hugo (Debian package) for tests/test_hugo.py"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null 2>&1 && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hugo >/dev/null 2>&1; } || \
	    echo "note: could not install hugo: tests/test_hugo.py will be skipped (and fail under CI=true)"; \
	  else \
	    echo "note: hugo is missing (apt-get install hugo): tests/test_hugo.py will be skipped"; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check crawler pipeline archive tests
	$(VENV)/bin/ruff format --check crawler pipeline archive tests

clean:
	rm -rf $(VENV) demo build *.egg-info
