# The two commands of the README:
#   make acceptance   offline acceptance run (moto + loopback stand-ins) -> reports/
#   make test         lint, unit/integration tests and the offline features
PY := .venv/bin/python
# Let Python keep its bytecode caches (__pycache__/, ignored by git): `make test` starts ~60 suite
# processes and hundreds of stand-in calls, and with PYTHONDONTWRITEBYTECODE set (container images
# often set it) each one compiles, and pytest re-rewrites the asserts of, every module it loads
# again (features --collect-only: 1.70 -> 1.54 s of CPU, min of 3 at load ~25).
unexport PYTHONDONTWRITEBYTECODE
ARGS ?=

.PHONY: acceptance test lint bootstrap bench clean recording recording-full

bootstrap:
	@bash scripts/bootstrap.sh

acceptance: bootstrap
	$(PY) -m pytest features/ --gherkin-progress $(ARGS)

lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m mypy

# Unit/integration tests, one file per worker (tests in a file share fixtures), the files that run
# the suite for minutes started first (tests/schedule.py). Three workers on two cores: those files
# spend much of their time waiting on subprocesses, consoles and stand-ins, and the other
# workers use the cores meanwhile. Then the features in one process: phase gating needs them in
# order in one session.
test: lint
	$(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder tests/ $(ARGS)
	$(PY) -m pytest features/ $(ARGS)

# Every benchmark side by side -> bench/results/results.{json,md} (BENCH_REPEAT=5, BENCH_SKIP=scale,...).
bench: bootstrap
	$(PY) bench/run_all.py

# The committed recording the tests replay (network + bastion phases of the offline run).
# Regenerate it when request shapes change: the replay test's failure message says so.
RECORDING := tests/data/recordings/bastion
recording: bootstrap
	rm -rf $(RECORDING)
	$(PY) -m pytest features/ -q -p no:randomly --phase bastion --run-id recorded-bastion \
		--record $(RECORDING) --reports-dir reports/recording

# A full offline run (all four phases) whose talosctl and Kubernetes answers the import and
# diff tests read (tdg recording import / diff); it is not replayed, so request shape changes
# do not stale it. Regenerate when the stand-ins' answers change shape.
FULL_RECORDING := tests/data/recordings/full-offline
recording-full: bootstrap
	rm -rf $(FULL_RECORDING)
	$(PY) -m pytest features/ -q -p no:randomly --run-id recorded-full \
		--record $(FULL_RECORDING) --reports-dir reports/recording-full

clean:
	rm -rf .venv reports/*.html reports/*.xml reports/*.json reports/*.txt reports/*.png .pytest_cache
