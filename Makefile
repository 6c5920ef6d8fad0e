# CLiQQ Shop. `make run` starts the shop with demo data; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
STRIPE_PORT ?= 8420
MAIL_PORT ?= 8025
PARTNER_PORT ?= 5001
export FLASK_APP := shop:create_app

.PHONY: run test lint format bench bench-tools lock install install-test browser clean

# The virtual environment, rebuilt when the lock files change.
$(BIN)/.run-installed: requirements/run.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/run.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

$(BIN)/.test-installed: $(BIN)/.run-installed requirements/test.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements/test.lock
	touch $@

install: $(BIN)/.run-installed
install-test: $(BIN)/.test-installed browser

# Debian's Chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

run: install
	@mkdir -p instance
	$(BIN)/flask db upgrade
	$(BIN)/flask shop seed
	@echo ""
	@echo "  CLiQQ Shop is starting at http://$(HOST):$(PORT)"
	@echo "  (localstripe, the fake Stripe, at http://127.0.0.1:$(STRIPE_PORT); test card 4242 4242 4242 4242)"
	@echo "  (mail and text messages the shop sends: http://$(HOST):$(PORT)/admin/mail, as admin@demo.cliqq.ph)"
	@echo "  (the counter: http://$(HOST):$(PORT)/counter/pos, as a clerk above; the DC: /counter/dc)"
	@echo "  (a demo partner site embedding the shop: http://localhost:$(PARTNER_PORT)/ ; its publisher: publisher@demo.cliqq.ph)"
	@echo "  (Ctrl-C stops it)"
	@echo ""
	PATH="$(abspath $(BIN)):$$PATH" HOST=$(HOST) WEB_PORT=$(PORT) STRIPE_PORT=$(STRIPE_PORT) \
	  STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) MAIL_URL=smtp://127.0.0.1:$(MAIL_PORT) MAIL_PORT=$(MAIL_PORT) SMS_URL=dev \
	  PARTNER_PORT=$(PARTNER_PORT) \
	  $(BIN)/honcho start -f Procfile

test: install-test lint
	$(BIN)/python -m pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(BIN)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# wrk for the benchmark's HTTP load (Debian's package).
bench-tools:
	@command -v wrk >/dev/null || { \
	  echo "Installing Debian's wrk for the benchmark..."; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q wrk; }

bench: install bench-tools
	bench/run.sh

# Re-pin every dependency after editing pyproject.toml.
lock: $(BIN)/.test-installed
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	  --output-file requirements/run.lock pyproject.toml
	$(BIN)/pip-compile -q --strip-extras --no-emit-index-url --no-emit-find-links \
	  --extra test --output-file requirements/test.lock pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
