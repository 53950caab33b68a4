# Two commands do all the set-up: `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench clean dashboard

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)  ## run the default scenario; pass Hydra overrides with ARGS="seed=7 years=20"
	$(PY) -m sim $(ARGS)

test: $(STAMP)  ## lint, then the whole test suite
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(ARGS)

test-fast: $(STAMP)  ## the edit loop: lint, then every test but the slow, notebook, browser and cluster ones
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not slow and not notebook and not browser and not cluster" $(ARGS)

dashboard: $(STAMP)  ## interactive view at http://127.0.0.1:8765 (SIM_DASHBOARD_HOST=0.0.0.0 to share it: docs/security.md); Hydra overrides in ARGS="landscape.n_schools=600"
	SIM_DASHBOARD_OVERRIDES="$(ARGS)" $(VENV)/bin/solara run sim/views/dashboard.py --production --host "$${SIM_DASHBOARD_HOST:-127.0.0.1}"

bench: $(STAMP)  ## speed and memory figures (prints, never asserts)
	$(PY) benchmarks/bench_model.py

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache
