# The README's two commands: `make demo` and `make test`. Both build .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
STAMP := $(VENV)/.installed
# The browser tests drive Debian's Chromium (Playwright comes with the dev extra); installed when missing.
CHROMIUM := /usr/bin/chromium

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) torch==2.13.0
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[hf,hf-optional,github,dev]'
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

clean:
	rm -rf $(VENV) .hfguard-cache
