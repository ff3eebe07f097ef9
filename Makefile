# GrATISZ agent desk. `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint messages makemessages install install-dev clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Compile the translation catalogs (pure Python, no gettext needed).
messages: install
	@$(VENV)/bin/pybabel compile --statistics -d locale -D django 2>&1 | grep -v "^compiling" || true

# Refresh the catalogs from the code (needs GNU gettext's xgettext).
makemessages: install
	$(PY) manage.py makemessages -l hu -l en --no-location --no-obsolete

run: install messages
	@mkdir -p var/celery/queue var/celery/processed var/mail
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "GrATISZ is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops the web server and the worker)"
	@echo "E-mails are written to var/mail/."
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A gratisz worker --beat --pool=solo --loglevel=WARNING \
		--schedule var/celerybeat-schedule & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev messages
	$(VENV)/bin/pytest

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf var/
