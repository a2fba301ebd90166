# The two commands of the README. Each sets up what is missing, then does its job.
.PHONY: run test setup

OUT ?= rnnlab-out
# The tests run in parallel, one worker per core up to four (pytest-xdist), each test
# file on one worker so that a file's fixtures (built notebooks, fresh environments) are
# built once. `.venv/bin/python -m pytest tests/test_x.py` runs one file serially.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)

setup:
	@scripts/setup.sh

run: setup
	.venv/bin/rnnlab run --out $(OUT)

test:
	@scripts/setup.sh test
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/python -m pytest -n $(TEST_WORKERS) --dist loadfile
