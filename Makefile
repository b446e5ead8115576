# Two commands set everything up on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: run test test-unit test-integration test-e2e lint screenshots install model nlp shell validate bench clean \
        conversations review evaluate baseline train run-scaled bench-scaled

run: model ## build, train if the data changed, start every service
	$(BIN)/bot run

# `make run-scaled`: INSTANCES of each service behind nginx; PostgreSQL on 127.0.0.1 unless DATABASE_URL and
# TRACKER_DB_URL say otherwise (the two databases are created there when missing), Redis at REDIS_URL.
INSTANCES ?= 2
LOCAL_POSTGRES := postgresql://postgres@127.0.0.1:5432
run-scaled: export DATABASE_URL ?= $(LOCAL_POSTGRES)/bot_app
run-scaled: export TRACKER_DB_URL ?= $(LOCAL_POSTGRES)/bot_tracker
run-scaled: model ## several instances of each service behind nginx (PostgreSQL, Redis): make run-scaled INSTANCES=3
	scripts/ensure-nginx
	scripts/ensure-postgres
	@for url in "$$DATABASE_URL" "$$TRACKER_DB_URL"; do case "$$url" in $(LOCAL_POSTGRES)/*) \
	  createdb -h 127.0.0.1 -U postgres "$${url##*/}" 2>/dev/null || true;; esac; done
	$(BIN)/bot run-scaled --instances $(INSTANCES)

test: lint model ## lint, then every layer: unit, integration (databases, web app, Rasa data), end to end (CI)
	scripts/ensure-postgres
	scripts/ensure-chromium
	scripts/ensure-nginx
	$(BIN)/python -m pytest -v tests

test-unit: nlp ## the inner loop: pure tests, no servers or databases (seconds)
	$(BIN)/python -m pytest -q tests/unit

test-integration: model ## databases, the web app, the action code, Rasa's data and test stories
	scripts/ensure-postgres
	$(BIN)/python -m pytest -q tests/integration

test-e2e: model ## the whole stack started by `bot run` (and `bot run-scaled`), and the browser tests
	scripts/ensure-postgres
	scripts/ensure-chromium
	scripts/ensure-nginx
	$(BIN)/python -m pytest -q tests/e2e

lint: install ## ruff, with the rules chosen in pyproject.toml
	$(BIN)/ruff check bot actions components channels tests scripts/bench scripts/bench-scaled scripts/check-holdout \
	  scripts/record-test-stories

screenshots: model ## refresh docs/*.png from the browser tests
	scripts/ensure-chromium
	SCREENSHOTS_DIR=docs $(BIN)/python -m pytest -q tests/e2e/test_browser.py

install: $(STAMP)

$(STAMP): pyproject.toml
	@PY=$$(scripts/find-python) && echo "Using $$PY" && \
	  { [ -x $(BIN)/python ] || $$PY -m venv $(VENV); }
	$(BIN)/pip install --upgrade --quiet pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

model: install ## the spaCy pipeline and a Rasa model matching config.yml, domain.yml and data/
	$(BIN)/bot train

nlp: build/spacy_pipeline/meta.json ## the spaCy pipeline only (unit tests need it, not a model)

build/spacy_pipeline/meta.json: bot/conversation/nlp.py $(STAMP)
	$(BIN)/bot build-nlp

shell: model ## chat in the terminal (the custom actions run inside Rasa, as in `make run`)
	$(BIN)/python -m bot.rasa_server shell --interface 127.0.0.1 --model models/current.tar.gz --endpoints endpoints.yml

validate: install ## data, domain and story structure (conflicting stories), failing on warnings that mean a problem
	$(BIN)/bot validate

evaluate: model ## held-out and cross-validated NLU, confusions, test stories, suite vs the baseline -> reports/evaluation.md
	$(BIN)/bot evaluate --seeds $(or $(SEEDS),1)

baseline: model ## evaluate, and pin the result as the baseline later evaluations compare with (commit it)
	$(BIN)/bot evaluate --pin --seeds $(or $(SEEDS),3)

train: install ## retrain if the data changed; a new model replaces the last good one only if the test stories pass
	$(BIN)/bot train

conversations: install ## real conversations: make conversations ARGS="list --outcome dropped"
	$(BIN)/bot conversations $(or $(ARGS),list)

review: install ## the messages the bot understood worst: make review ARGS="--since 2026-11-01"
	$(BIN)/bot review $(ARGS)

clean: ## build output and models (not var/, which holds the conversations, leads and briefs)
	rm -rf build models .rasa

bench: model ## reply latency, memory per service and training time (figures in docs/benchmarks.md)
	$(BIN)/python scripts/bench

bench-scaled: model ## the same load against run-scaled with 1, then 2 instances: throughput, latency, briefs
	scripts/ensure-nginx
	scripts/ensure-postgres
	$(BIN)/python scripts/bench-scaled
