# The two commands of the README:
#   make acceptance   offline acceptance run (moto + loopback stand-ins) -> reports/
#   make test         lint, unit/integration tests and the offline features
PY := .venv/bin/python
ARGS ?=

.PHONY: acceptance test lint bootstrap bench clean

bootstrap:
	@bash scripts/bootstrap.sh

acceptance: bootstrap
	$(PY) -m pytest features/ $(ARGS)

lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m mypy

test: lint
	$(PY) -m pytest tests/ features/ $(ARGS)

bench: bootstrap
	$(PY) bench/offline_network.py

clean:
	rm -rf .venv reports/*.html reports/*.xml reports/*.json reports/*.txt reports/*.png .pytest_cache
