# The two commands of the README: `make demo` and `make test`. Both set up what
# they need first (system packages and .venv) through scripts/setup.sh.
VENV := .venv
STAMP := $(VENV)/.setup-done

.PHONY: demo test setup bench lint

demo: $(STAMP)
	$(VENV)/bin/massage-timer demo

test: $(STAMP)
	$(VENV)/bin/ruff format --check device tests bench
	$(VENV)/bin/ruff check device tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	for script in bench/bench_*.py; do $(VENV)/bin/python $$script || exit 1; done

setup: $(STAMP)

# device/__init__.py holds the version: a new one reinstalls, so the metadata agrees.
$(STAMP): pyproject.toml scripts/setup.sh device/__init__.py
	./scripts/setup.sh
	touch $(STAMP)
