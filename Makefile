# Groeiruimte: `make up` runs the whole system, `make test` runs the tests. Both install what they need.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KAFKA_LIB := deploy/kafka/lib/.resolved
# Every target here is a developer's (up, test, bench, chaos): development mode accepts the public development
# tokens and secrets. Outside it a service refuses to start with them (shared/settings.py).
export GROEIRUIMTE_ENV ?= development


.PHONY: install system-deps up down status test lint bench schemas clean

install: system-deps $(STAMP) $(KAFKA_LIB)

system-deps:
	@bash deploy/system-deps.sh

# uv installs the same 112 packages as pip from the same index, downloading side by side: on a fresh clone 75 s
# (41 s of CPU, uv's own install included) where pip took 744 s (73 s of CPU) on the shared two cores (load 6 and
# 11-14; docs/testing.md). --compile-bytecode as pip does, so that no process compiles the libraries at each start.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q 'uv>=0.5'
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -e ".[dev]"
	touch $@

# Apache Kafka's own jars, pinned in deploy/kafka/pom.xml, resolved by Maven.
$(KAFKA_LIB): deploy/kafka/pom.xml
	mvn -q -B -f deploy/kafka/pom.xml dependency:copy-dependencies
	touch $@

up: install
	$(PY) -m deploy.run

down:
	$(PY) -m deploy.stack down

status:
	$(PY) -m deploy.stack status

# Two xdist workers (TEST_WORKERS=0: one process), each group of tests whole on one (tests/conftest.py); then
# the scan of every log the run left, which must come after all of them.
TEST_WORKERS ?= 2
test: install helm-tool
	$(PY) -m ruff check .
	$(PY) -m pytest -m "not fault" -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder --ignore=tests/zz_after_all
	$(PY) -m pytest -p no:xdist tests/zz_after_all

# The further fault-injection variants (a SIGKILL of every service in the running system, and so on); each
# guarantee is attacked once in `make test` already. Takes a few minutes.
.PHONY: fault
fault: install
	$(PY) -m pytest -m fault

# The deeper HTTP fuzz run: 100 random examples per operation of every service (make test sends 5, after every
# documented example and boundary case). FUZZ_EXAMPLES=N for another depth. Takes tens of minutes on two cores.
FUZZ_EXAMPLES ?= 100
.PHONY: fuzz
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/e2e/test_http_fuzz.py

lint: install
	$(PY) -m ruff check .

bench: install
	$(PY) -m bench.pipeline

.PHONY: bench-intake
bench-intake: install  # intake HTTP req/s and p99, Kafka leads/s (bounded counts; see docs/intake.md)
	$(PY) -m bench.intake --http 1000 --concurrency 16 --kafka 2000

schemas: install
	$(PY) -m shared.contracts.export

# The container image's locked run-time dependencies (deploy/requirements.lock), from this virtual environment.
.PHONY: lock helm
lock: install
	$(PY) -m deploy.lock

# helm for the chart's tests, built once per machine into the user's cache (minutes the first time, then none).
.PHONY: helm-tool
helm-tool: $(STAMP)
	@$(PY) -m deploy.helm_tool path > /dev/null

# The Helm chart (deploy/helm/groeiruimte): helm is built once from its Go module at a pinned version (needs Go).
helm: install
	$(PY) -m deploy.helm_tool lint
	$(PY) -m deploy.helm_tool template > /dev/null

clean:
	rm -rf .local artifacts

# Reporting: rebuild events/s (100k and 1M synthetic events) and KPI API latency p50/p99.
bench-reporting: install
	$(PY) -m bench.reporting

# The matching service with 1M sites: start time, RSS, per-case latency (targets < 30 s, < 2 GB, < 50 ms; docs/matching.md).
bench-matching: install
	$(PY) -m bench.matching

# Notifications: emails/s to a local aiosmtpd server (vs raw aiosmtplib) and the delay a 5 s / 15 s SMTP outage adds.
.PHONY: bench-notifications
bench-notifications: install
	$(PY) -m bench.notifications --mails 2000 --outage-mails 200 --outages 5 15

# Workbench pages with 1,000 open cases and 10,000 sites seeded through the services (fresh database and topics):
# p50/p95 of the case board, a case page and the site catalogue page (target p95 < 200 ms; docs/workbench.md).
.PHONY: bench-workbench
bench-workbench: install
	$(PY) -m bench.workbench --cases 1000 --sites 10000 --runs 40

# Faults under load on a PRIVATE Kafka + PostgreSQL (own ports and state dir; the shared stack is never touched):
# each service SIGKILLed 3 times, the broker killed, PostgreSQL stopped -m immediate; prints lost/duplicated.
# Defaults: 200 leads, 2 proposals (mails) per lead, 1 broker, 200 mails in the mail phase (docs/chaos.md).
# On a loaded machine give it more time, e.g. make chaos CHAOS_ARGS="--max-minutes 25"; more load with
# CHAOS_ARGS="--leads 2000 --brokers 3 --max-minutes 40".
CHAOS_ARGS ?= --kills 3 --max-minutes 10
.PHONY: chaos
chaos: install
	$(PY) -m tests.chaos $(CHAOS_ARGS)

# Mutation testing (mutmut, not part of `make test`): shared/contracts and the pure domain packages, one package
# at a time, judged by the fast unit tests; prints the score per package and in total (target: 80 % each).
# PACKAGES=services.intake limits it; `$(PY) -m tests.mutation --report --survivors` lists what no test noticed.
.PHONY: mutation
mutation: install
	$(PY) -m tests.mutation $(PACKAGES)

# Scale out: intake and matching as 1 and as 2 instances in the same consumer groups, 3000 leads each on the real
# stack; prints leads sent, cases opened, match-proposed (lost, duplicated; Kafka and database) and the throughput.
.PHONY: bench-scale
bench-scale: install
	$(PY) -m bench.scale --leads 3000 --instances 1 2
