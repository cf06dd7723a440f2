# Student Palace — developer and CI entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO ?= cargo
BIN   := student-palace

.PHONY: help run worker test services lint fmt fmt-check clippy arch openapi-lint migrate migrate-status openapi config-check clean-var toolchain bench explain seed seed-cities admin

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-15s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

toolchain: ## Check for cargo and a C compiler (prints how to install them)
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with https://rustup.rs (curl ... | sh), then open a new shell"; exit 1; }
	@command -v cc >/dev/null || { echo "no C compiler: apt-get install -y build-essential"; exit 1; }

run: toolchain ## Build and start on embedded defaults (SQLite in ./var, media in ./var/media, in-process cache, embedded worker, demo data)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- serve

worker: toolchain ## Run the job worker alone on DATABASE_URL (what staging/prod run next to serve)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- worker

services: ## Install/start PostgreSQL, Redis, fake S3 (moto), two fake GCS servers and the test tools (aiosmtpd, schemathesis, node) (idempotent)
	@scripts/services.sh

test: toolchain services ## Start the test services if needed, then run every test
	@eval "$$(scripts/services.sh --env 2>/dev/null)"; \
	if $(CARGO) nextest --version >/dev/null 2>&1; then \
		$(CARGO) nextest run --workspace --no-fail-fast; \
	else \
		$(CARGO) test --workspace --no-fail-fast; \
	fi

lint: fmt-check clippy arch openapi-lint alerts-check ## Formatting, clippy -D warnings, architecture rules, OpenAPI lint, alert rules

fmt-check:
	$(CARGO) fmt --all --check

fmt: ## Format the code
	$(CARGO) fmt --all

clippy: ## Clippy on every target, warnings are errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

openapi-lint: toolchain ## Lint the OpenAPI document with spectral (spectral:oas; warnings fail too)
	@bin=$$(scripts/node-tools.sh --bin) && doc=$$(mktemp --suffix=.json) && \
	trap 'rm -f "$$doc"' EXIT && \
	$(CARGO) run --quiet --locked -p bootstrap --bin $(BIN) -- openapi >"$$doc" && \
	"$$bin/spectral" lint --quiet --fail-severity warn --ruleset .spectral.yaml "$$doc" && \
	echo "openapi-lint: spectral:oas clean"

alerts-check: ## Check and unit-test the Prometheus alert rules with promtool (installs it if missing)
	@command -v promtool >/dev/null || scripts/services.sh --promtool
	@promtool check rules infra/observability/alerts.yml
	@cd infra/observability && promtool test rules alerts.test.yml

arch: ## Check the dependency direction (domain/application pure, adapters independent)
	@scripts/check-architecture.sh

migrate: toolchain ## Apply pending migrations to DATABASE_URL (default: the embedded SQLite file)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- migrate up

migrate-status: toolchain ## Show which migrations are applied on DATABASE_URL
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- migrate status

config-check: toolchain ## Print the resolved configuration (secrets masked)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- config check

openapi: toolchain ## Print the OpenAPI document
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- openapi

seed: toolchain ## Add demo data (cities, demo accounts, LISTINGS=500 listings with a photo each in STORAGE_URL) to DATABASE_URL
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- seed --demo --listings $${LISTINGS:-500}

seed-cities: toolchain ## Load the shipped UK cities and areas into DATABASE_URL (any env; adds only missing cities)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- seed --cities

admin: toolchain ## Create an admin: make admin EMAIL=... NAME=... (password from ADMIN_PASSWORD or stdin)
	$(CARGO) run --quiet -p bootstrap --bin $(BIN) -- admin create --email "$(EMAIL)" --name "$(NAME)"

bench: toolchain ## Benchmark the public reads on 100k listings (search 20/50 and detail computed, then from the response cache; /cities, /stats vs a constant route; pgbench), a 500-login storm, photo processing (BENCH_ONLY=photos: that alone) and search with metrics + traces on vs off (BENCH_ONLY=telemetry: that alone); release build
	@scripts/bench.sh

explain: ## EXPLAIN the search queries on a 100k-listing PostgreSQL database; fails on a seq scan
	@scripts/explain-search.sh

clean-var: ## Delete the embedded database and media (./var)
	rm -rf var
