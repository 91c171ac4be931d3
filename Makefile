# The README's two commands: `make demo` and `make test`. Both build .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (Playwright comes with the dev extra); installed when missing.
CHROMIUM := /usr/bin/chromium

FUZZ_SECONDS ?= 300

.PHONY: demo test bench fuzz lint clean

# setuptools notes every editable install of a package-dir layout (templates/ and hooks/ are hfguard.templates and
# hfguard.hooks) with an "Editable installation" warning; that note, and only it, is silenced.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) torch==2.13.0
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[hf,hf-optional,github,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python examples/demo.py

$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "make: $(CHROMIUM) is missing and this is not root: run 'apt-get install chromium' as root (the browser tests skip without it)"; \
	fi

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider tests

bench: $(STAMP) $(CHROMIUM)
	$(BIN)/python benchmarks/run.py

# Coverage-guided fuzzing of the registry and lock loaders with atheris (new inputs in .fuzz/, seeds in fuzz/corpus/).
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[fuzz]'
	mkdir -p .fuzz/registry .fuzz/lock
	$(BIN)/python fuzz/fuzz_registry.py .fuzz/registry fuzz/corpus/registry -max_total_time=$(FUZZ_SECONDS)
	$(BIN)/python fuzz/fuzz_lock.py .fuzz/lock fuzz/corpus/lock -max_total_time=$(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) .hfguard-cache
