# `make test` and `make demo` work on a fresh clone: they create .venv when it is missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo install clean-venv

$(STAMP): requirements.txt setup.cfg
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m mypy
	MPLBACKEND=Agg $(PY) -m pytest -q -n auto --dist loadfile

# SimTrack's embedded tiny model, then OpenCV's MIL (no weights) on the same data, then one report of both.
demo: $(STAMP)
	MPLBACKEND=Agg $(PY) -m benchmarks.run --dataset demo
	MPLBACKEND=Agg $(PY) -m benchmarks.run --dataset demo --tracker mil
	MPLBACKEND=Agg $(PY) -m benchmarks.evaluate --dataset demo --trackers tiny_synthetic mil

clean-venv:
	rm -rf $(VENV)
