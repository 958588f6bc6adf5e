# Two commands on a fresh clone: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run
PYTHON ?= python3

.PHONY: run test lab bench clean

# only what the live server needs: the quickest way to a dashboard on the projector
$(RUN_STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $(RUN_STAMP)

# everything: notebooks (lab) and the test tools (dev)
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,lab]'
	touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)  ## start the live server on the bundled example
	$(VENV)/bin/t32sim serve --apply examples/api-v1.yaml

test: $(STAMP)  ## the whole suite, notebooks included
	$(PY) -m pytest

lab: $(STAMP)  ## open JupyterLab on the chapters
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)  ## performance scripts (ratios against bare baselines)
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
