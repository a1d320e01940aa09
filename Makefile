# salesdesk: `make run` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
# The address `make run` listens on: this machine only (never taken from the environment).
# `make run ADDRESS=0.0.0.0` opens it to the network, which needs sign-in configured (README:
# Sign-in); without it the app refuses every visitor rather than make them the admin.
ADDRESS = 127.0.0.1

.PHONY: install run test test-fast chromium i18n prepare demo build docs bench soak clean install-spark java test-spark evaluate

install: $(STAMP)

# Re-installs only when pyproject.toml changes (idempotent).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

# Debian's chromium for the browser tests (never a browser download of playwright's own), and
# Debian's Noto CJK fonts so its screenshots of the Chinese pages show the glyphs, not boxes.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@fc-list :lang=zh family 2>/dev/null | grep -q . || { \
		echo "Installing Debian's fonts-noto-cjk for the browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }

# Catalogues: extract the t("...") msgids into models/i18n/locales/<domain>.pot, merge them into
# every language's <domain>.po, regenerate docs/glossary.md (README: Languages).
i18n: install
	$(BIN)/python -m models.i18n.tool

# The optional Spark target (dbt-spark session method, local PySpark; about 490 MB).
SPARK_STAMP := $(VENV)/.installed-spark-stamp
install-spark: $(SPARK_STAMP) java

$(SPARK_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,spark]'
	@touch $(SPARK_STAMP)

# Debian's Java 17 runtime for PySpark when no java is on the PATH.
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian's Java 17 runtime for Spark ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

# Scale-0.05 demo data built on DuckDB and on Spark (with the dbt unit tests); every mart
# compared row for row. Minutes, not seconds: Spark starts a JVM and runs each query as a job.
test-spark: install-spark
	$(BIN)/python -m tests.spark.compare_targets --scale 0.05

# Demo data when the lake is empty, ingest, build when the lake changed.
prepare: install
	$(BIN)/salesdesk prepare

run: prepare
	$(BIN)/streamlit run app.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true

# Two workers (pytest-xdist), a test file on one worker: the dbt builds, the browser and the
# app servers leave a core idle most of the time. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: install chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

# Everything but the browser tests.
test-fast: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser"

# The dbt docs of the current build (lineage and descriptions) at http://localhost:8081
docs: install
	$(BIN)/salesdesk docs --port 8081

# Figures, not assertions: pipeline, dbt overhead, page speed, app memory, routing, ad hoc SQL,
# what-if and the resilience run, each against its target (bench/run.py; JSON in bench/results/).
BENCH_SCALES ?= 1 10
bench: install chromium
	$(BIN)/python -m bench.run $(foreach s,$(BENCH_SCALES),--scale $(s))

# The resilience run alone, on a copy of the data folder of `make run`.
soak: prepare chromium
	$(BIN)/python -m bench.soak --home $${SALESDESK_HOME:-data}

clean:
	rm -rf $(VENV) .pytest_cache

# dbt-project-evaluator v1.3.2 over a scratch copy of dbt_project/ (dbt_project/EVALUATOR.md).
# The packages live in EVALUATOR_DIR, outside the project; fetched once, offline afterwards.
EVALUATOR_DIR ?= /tmp/salesdesk-evaluator
evaluate: install
	EVALUATOR_DIR=$(EVALUATOR_DIR) DBT=$(CURDIR)/$(BIN)/dbt PATH=$(CURDIR)/$(BIN):$$PATH dbt_project/evaluate.sh
