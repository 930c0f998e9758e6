# The README's commands. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0

.PHONY: demo test test-slow gpu-test bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

## make demo: LeNet-5 on scikit-learn's embedded handwritten digits, report in runs/demo/
demo: $(VENV)/.installed
	$(BIN)/zoo demo

## make test: the whole suite, TensorFlow backend, then the backend-portable tests on JAX
test: $(VENV)/.test-installed
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -n auto -m "not slow and not gpu" $(PYTEST_ARGS) tests
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n auto -m "portable and not slow and not gpu" $(PYTEST_ARGS) tests

## make test-slow: the full-size training targets
test-slow: $(VENV)/.test-installed
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -m slow $(PYTEST_ARGS) tests

clean:
	rm -rf $(VENV) runs build *.egg-info
