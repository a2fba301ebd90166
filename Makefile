# The two commands of the README. Each sets up what is missing, then does its job.
.PHONY: run test setup

OUT ?= rnnlab-out

setup:
	@scripts/setup.sh

run: setup
	.venv/bin/rnnlab run --out $(OUT)

test:
	@scripts/setup.sh test
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/python -m pytest
