# The two commands a newcomer needs: `make serve` (install, then start the server on a map) and `make test`.
VENV ?= .venv
PYTHON ?= python3
OSM ?= ../shared/osm/kaiserslautern.osm.gz
HOST ?= 127.0.0.1
PORT ?= 5000

$(VENV)/.installed: pyproject.toml setup.py routing/astar.pyx
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	touch $@

.PHONY: install serve test bench
install: $(VENV)/.installed

# Bytecode of the editable sources, written here even where PYTHONDONTWRITEBYTECODE is set (container images often
# set it): without it every start compiles them again, a fifth of the start's CPU time. Only changed files are compiled.
serve: install
	$(VENV)/bin/python -m compileall -q app routing migrations
	$(VENV)/bin/lotse serve --osm $(OSM) --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: install
	$(VENV)/bin/python bench/graph_bench.py
	$(VENV)/bin/python bench/route_bench.py
