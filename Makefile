# kycreview: `make run` (the service with demo data) and `make test` need only Python 3.11+ and make.
# Without DATABASE_URL / REDIS_URL everything runs on one machine: SQLite and a
# filesystem Celery broker, both under var/.

PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
PYTEST_ARGS ?=
DJANGO_SETTINGS_MODULE ?= kycreview.settings.local
export PIP_DISABLE_PIP_VERSION_CHECK := 1

BIN := $(VENV)/bin
# Set per command, not exported: `make test` leaves the settings to pytest's own config.
SETTINGS := DJANGO_SETTINGS_MODULE=$(DJANGO_SETTINGS_MODULE)
MANAGE := $(SETTINGS) $(BIN)/python manage.py
STAMP := $(VENV)/.installed
REQUIREMENTS := $(wildcard requirements*.txt)

.PHONY: run test eval bench screenshots migrate demo sweep lint clean venv dirs

run: venv dirs migrate
	$(MANAGE) kyc_demo --base-url http://127.0.0.1:$(PORT)
	$(SETTINGS) $(BIN)/honcho start -f Procfile -p $(PORT)

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

# Detection and false-retry rates of the Step 1 checks on the synthetic corpus (docs/checks.md).
EVAL_ARGS ?= --count 4 --attack-prevention --step2 --write docs/checks.md
eval: migrate
	$(MANAGE) kyc_eval $(EVAL_ARGS)

# Speed targets (docs/benchmarks.md is rewritten with the figures of this machine).
BENCH_ARGS ?= --repeat 5
bench: migrate
	$(MANAGE) kyc_bench $(BENCH_ARGS) --write docs/benchmarks.md

# The README's pictures of the review queue and a case (Debian's chromium, Playwright).
screenshots: venv
	KYC_WRITE_SCREENSHOTS=1 $(BIN)/pytest reviews/tests/browser -k keyboard

migrate: venv dirs
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) kyc_demo --base-url http://127.0.0.1:$(PORT)

sweep: venv dirs
	$(MANAGE) kyc_sweep

lint:
	@if [ -x $(BIN)/ruff ]; then $(BIN)/ruff check .; \
	elif command -v ruff >/dev/null 2>&1; then ruff check .; \
	else echo "ruff is not installed; skipping lint (pip install ruff)"; fi

clean:
	rm -rf var $(VENV)

venv: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "kycreview needs Python 3.11 or newer (PYTHON=$(PYTHON))" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "could not create $(VENV); on Debian/Ubuntu: apt-get install python3-venv" >&2; exit 1; }

# Reinstall only when a requirements file changed since the last install.
$(STAMP): $(REQUIREMENTS) | $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

# The filesystem broker's folders must exist before the worker and beat start.
dirs:
	mkdir -p var/broker/queue var/broker/processed var/broker/control
