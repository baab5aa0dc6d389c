# Two commands: `make run` (set up and serve) and `make test` (set up and run the whole suite).
.PHONY: run test test-fast setup lint

run:
	scripts/setup.sh
	.venv/bin/mtp serve

test:
	scripts/test.sh

# The suite without the slow tests, on SpatiaLite only: the inner loop.
test-fast:
	scripts/test.sh --fast

setup:
	scripts/setup.sh

# mypy's Django plugin reads the settings: it gets a data folder and a secret key of its own.
lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	env -u DATABASE_URL MTP_DATA_DIR="$(CURDIR)/var/lint" SECRET_KEY=lint .venv/bin/mypy
