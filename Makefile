# The README's commands. Every target installs what it needs into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

.PHONY: demo test test-slow test-torch gpu-test gpu-check gpu-wheels install clean docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: setup.cfg pyproject.toml | $(BIN)/python
	@# As root the grader runs submissions in a bubblewrap sandbox (tests/grading need it or a
	@# Python readable by other users); install it where apt-get can.
	@if [ "$$(id -u)" = 0 ] && ! command -v bwrap > /dev/null && command -v apt-get > /dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap > /dev/null) \
		|| echo "make: bubblewrap could not be installed: the grader's root tests will fall back or skip"; fi
	@# The browser tests (tests/browser.py) open reports and the documentation in Debian's chromium.
	@if [ "$$(id -u)" = 0 ] && ! command -v chromedriver > /dev/null && command -v apt-get > /dev/null; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver > /dev/null) \
		|| echo "make: chromium could not be installed: the browser tests will skip and say why"; fi
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

## make demo: LeNet-5 on scikit-learn's embedded handwritten digits, report in runs/demo/
demo: $(VENV)/.installed
	$(BIN)/zoo demo

## make docs: the documentation site (docs/, MkDocs + Material) into site/, strictly: a broken link,
## a missing reference or a docstring griffe cannot read fails the build
docs: $(VENV)/.test-installed
	NO_MKDOCS_2_WARNING=1 PYTHONPATH=$(CURDIR) $(BIN)/python -m mkdocs build --strict -d site

## make test: the whole suite, TensorFlow backend, then the backend-portable tests on JAX
test: $(VENV)/.test-installed
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -n auto -m "not slow and not gpu" $(PYTEST_ARGS) tests
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n auto -m "portable and not slow and not gpu" $(PYTEST_ARGS) tests

## make test-slow: the full-size training targets, the 100+-layer nets, and on JAX the round
## trips and training steps `make test` leaves to one model per family
test-slow: $(VENV)/.test-installed
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -n auto -m "slow and not gpu" $(PYTEST_ARGS) tests
	KERAS_BACKEND=jax $(BIN)/python -m pytest -n auto -m "slow and portable and not gpu" $(PYTEST_ARGS) tests

## make test-torch TORCH_SITE=/path/to/torch-venv/lib/python3.11/site-packages: full-size logit
## agreement with torchvision (and keras.applications' .h5 files) on both backends; needs a
## venv of its own with torch + torchvision (never CI). torch is imported before TensorFlow.
TORCH_SITE ?=
test-torch: $(VENV)/.test-installed
	@test -n "$(TORCH_SITE)" || { echo "make test-torch needs TORCH_SITE=<site-packages of a venv with torch and torchvision>"; exit 2; }
	PYTHONPATH=$(TORCH_SITE) KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -m "torch or slow" $(PYTEST_ARGS) tests/test_checkpoints_torch.py
	PYTHONPATH=$(TORCH_SITE) KERAS_BACKEND=jax $(BIN)/python -m pytest -m "torch or slow" $(PYTEST_ARGS) tests/test_checkpoints_torch.py

## make gpu-test: on the GPU machine (JAX, no TensorFlow; keras & co. from carried wheels in
## .whl/ when present): the gpu-marked tests and the backend-portable tests on JAX.
GPU_PYTHON ?= python3
gpu-test:
	@if [ -d .whl ]; then $(GPU_PYTHON) -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl; fi
	PYTHONPATH=/tmp/site:$(CURDIR) KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false $(GPU_PYTHON) -m pytest -n 4 -m "gpu or (portable and not slow)" $(PYTEST_ARGS) tests

## make gpu-check: on the GPU machine, one visit's checks in one run (tools/gpu_check.py): the
## wheels of .whl/, gpu-test, the graded solutions and stubs on JAX, zoo bench resnet50 against
## keras.applications and torchvision, zoo train lenet5 and unet; each step has a time budget (the
## whole 9 minutes); gpu_check.json, gpu_check.log and bench.png go to GPU_CHECK_OUT ($$OUT there).
GPU_CHECK_OUT ?= $(if $(OUT),$(OUT),runs/gpu-check)
GPU_CHECK_ARGS ?=
gpu-check:
	$(GPU_PYTHON) tools/gpu_check.py --out $(GPU_CHECK_OUT) $(GPU_CHECK_ARGS)

## make gpu-wheels: here, the wheels the GPU machine lacks (it has JAX, PyTorch and most of the
## rest, and no registry) into .whl/, for Python 3.12 on x86-64; .whl/ is git-ignored and carried.
GPU_WHEELS ?= keras==3.15.1 keras-tuner==1.4.8 kt-legacy==1.0.5 namex==0.1.0 optree==0.20.0
gpu-wheels:
	$(PYTHON) -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
		--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl $(GPU_WHEELS)

clean:
	rm -rf $(VENV) runs build *.egg-info
