# GrATISZ agent desk. `make run` starts the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test lint messages makemessages install install-dev clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

# axe-core (MPL-2.0) for the browser tests' accessibility scan, from the npm registry at a
# pinned version (npm checks the registry's integrity hash); 550 kB, so fetched, not committed.
AXE_VERSION := 4.10.3
AXE := var/vendor/axe-core/axe.min.js
# Without npm the scan is skipped (CI installs npm, and there the scan must run).
$(AXE):
	@mkdir -p var/vendor
	@if ! command -v npm >/dev/null; then echo "npm not found: the accessibility scan is skipped"; \
	else cd var/vendor && rm -rf axe-core package && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
		&& tar -xzf axe-core-$(AXE_VERSION).tgz && mv package axe-core && rm axe-core-$(AXE_VERSION).tgz; fi

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev $(AXE)

# Compile the translation catalogs (pure Python, no gettext needed).
messages: install
	@$(VENV)/bin/pybabel compile --statistics -d locale -D django 2>&1 | grep -v "^compiling" || true

# Refresh the catalogs from the code (needs GNU gettext's xgettext).
makemessages: install
	$(PY) manage.py makemessages -l hu -l en --no-location --no-obsolete

run: install messages
	@mkdir -p var/celery/queue var/celery/processed var/celery/control var/mail
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo ""
	@echo "GrATISZ is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops the web server and the worker)"
	@echo "E-mails are written to var/mail/."
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A gratisz worker --beat --pool=solo --loglevel=WARNING \
		--queues celery,telephony --schedule var/celerybeat-schedule & \
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production shape on one machine: the pages on gunicorn's sync WSGI workers, the desk's
# websockets on gunicorn with uvicorn workers (ASGI, the Redis channel layer) on a port of their
# own, Celery workers and beat on PostgreSQL and Redis, DEBUG off, static files by WhiteNoise,
# JSON logs. Two Celery workers, restarted if they exit: one for documents and mail at a lower
# CPU priority, so that rendering PDFs never holds up a page an agent is waiting for, and one for
# telephony (putting callers through), so that a caller never waits behind a render. Secrets are
# generated once into var/serve.env (keep that file; a new pepper voids every Direkt code).
# A sync worker takes a connection only when it is free, so that a page waits for whichever
# worker frees first instead of queueing behind the one its kept-alive connection reached (under
# uvicorn, one page thread a worker): with 100 agents (bench/load.py) the worst desk p99 was
# 107-322 ms in six runs against 219-357 ms in four. A request may take up to PAGE_TIMEOUT
# seconds (the call log's workbook of a million calls, the API's bulk sync); a worker stuck for
# longer is replaced. The browsers open their push connection at DESK_SOCKET_URL, the websocket
# server's own port; behind the proxy in front (TLS, buffering what slow clients send and
# receive, which sync workers need) route /ws/ to SOCKET_PORT and set DESK_SOCKET_URL=/ws/desk/.
# Database connections come from a bounded pool in each process, not kept per thread: when
# Django's ASGI handler ran each view on a thread of its own, kept connections stayed with their
# threads and piled up past PostgreSQL's max_connections (bench/load.py with 100 agents: "too many
# clients", 503s). The web workers (pages, websockets and the IVR's) share DATABASE_CONNECTIONS
# (default 60) among themselves (WEB_CONCURRENCY tells the settings how many there are).
WEB_WORKERS ?= $(shell echo $$((2 * $$(nproc) + 1)))
PAGE_TIMEOUT ?= 600
SOCKET_WORKERS ?= 2
SOCKET_PORT ?= $(shell echo $$(($(PORT) + 2)))
# The telephony provider's webhooks (/ivr/) have web workers of their own, so that a caller in
# the voice menu never waits behind the agents' pages; the desk's workers run at a lower CPU
# priority (nice 5), so that they yield a busy core to the IVR's. The webhooks need no websocket,
# so their workers serve WSGI: bench/ivr.py's answers take 8 ms at the median (p99 21) instead
# of 12 (p99 36) through the ASGI server. One thread a worker, as the pages': threads of one
# process wait for each other's interpreter lock after every database query. An
# idle connection is kept 5 s, as uvicorn does (gunicorn's default, 2 s, closed connections the
# provider was about to reuse). The proxy in front (TLS) routes /ivr/ to IVR_PORT, /ws/ to
# SOCKET_PORT and everything else to PORT; the signatures are checked against PUBLIC_BASE_URL,
# whichever port the request came in on. The IVR's server runs gratisz.ivr_wsgi: only the
# middleware a signed webhook needs (gratisz/settings_ivr.py), and a 404 for anything but the
# webhooks and the health checks.
IVR_WORKERS ?= 4
IVR_PORT ?= $(shell echo $$(($(PORT) + 1)))
# The IVR's workers run under the real-time round-robin policy (chrt --rr 10) where the system
# allows it (root, CAP_SYS_NICE or an RLIMIT_RTPRIO of 10; in a systemd unit:
# CPUSchedulingPolicy=rr, CPUSchedulingPriority=10), as telephony servers run their voice paths
# (asterisk -p, freeswitch -rp): a webhook then never waits for a core behind the pages, the
# database or the documents. Measured (bench/load.py, 100 agents): under the normal policy the
# IVR's slowest answers spent most of their time runnable but waiting for a core, and nice
# levels (5 or 10 for the desk, SCHED_BATCH) did not change that. The kernel leaves the rest at
# least 5% of the CPU time even then (sched_rt_runtime_us), and gunicorn replaces a stuck worker
# after 30 s. Where the system refuses it, they run at the normal policy (IVR_REALTIME=0 asks
# for that).
IVR_REALTIME ?= 1
IVR_CHRT = $(if $(filter 1,$(IVR_REALTIME)),$(shell chrt --rr 10 true 2>/dev/null && echo chrt --rr 10))
SERVE_ENV := DJANGO_DEBUG=0 LOG_FORMAT=json \
	DATABASE_CONN_MAX_AGE=$${DATABASE_CONN_MAX_AGE:-0} \
	WEB_CONCURRENCY=$$(($(WEB_WORKERS)+$(SOCKET_WORKERS)+$(IVR_WORKERS))) \
	DESK_SOCKET_URL=$${DESK_SOCKET_URL:-ws://$(HOST):$(SOCKET_PORT)/ws/desk/} \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gratisz} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/1} \
	DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost} \
	DJANGO_SECURE_SSL_REDIRECT=$${DJANGO_SECURE_SSL_REDIRECT:-0} \
	DJANGO_SECURE_COOKIES=$${DJANGO_SECURE_COOKIES:-0} \
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} \
	GREEN_CARD_BUREAU=$${GREEN_CARD_BUREAU:-MABISZ} GREEN_CARD_INSURER_CODE=$${GREEN_CARD_INSURER_CODE:-000} \
	INSURER_TAX_NUMBER=$${INSURER_TAX_NUMBER:-11111111-1-11} \
	INSURER_REGISTRATION_NUMBER=$${INSURER_REGISTRATION_NUMBER:-11-11-111111}

serve: install messages
	@mkdir -p var
	@test -f var/serve.env || $(PY) -c 'import secrets; t = secrets.token_urlsafe; \
		print(f"DJANGO_SECRET_KEY={t(50)}\nDIREKT_CODE_PEPPER={t(48)}\nTELEPHONY_AUTH_TOKEN={t(32)}")' \
		> var/serve.env
	@[ -n "$$DATABASE_URL" ] || createdb -h 127.0.0.1 -U postgres gratisz 2>/dev/null || true
	@set -a; . var/serve.env; set +a; export $(SERVE_ENV); \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	$(PY) manage.py check --deploy --fail-level ERROR && \
	echo "GrATISZ (production shape) at http://$(HOST):$(PORT)/ with $(WEB_WORKERS) page workers," && \
	echo "the desk's push connections at $$DESK_SOCKET_URL with $(SOCKET_WORKERS)," && \
	echo "the telephony webhooks (/ivr/) at http://$(HOST):$(IVR_PORT)/ with $(IVR_WORKERS)" \
		"($(if $(IVR_CHRT),real-time,normal) scheduling policy)." && \
	echo "No users yet? manage.py createsuperuser, or demo data: manage.py seed_demo --force" && \
	trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	again() { while true; do "$$@"; echo "$$* exited ($$?); starting it again" >&2; sleep 2; done; }; \
	again nice -n 10 $(VENV)/bin/celery -A gratisz worker --queues celery \
		--hostname documents@%h --concurrency 2 --loglevel INFO & \
	again $(VENV)/bin/celery -A gratisz worker --queues telephony \
		--hostname telephony@%h --concurrency 2 --loglevel INFO & \
	$(VENV)/bin/celery -A gratisz beat --loglevel INFO --schedule var/celerybeat-schedule & \
	nice -n 5 $(VENV)/bin/gunicorn gratisz.wsgi --worker-class sync --timeout $(PAGE_TIMEOUT) \
		--preload --workers $(WEB_WORKERS) --bind $(HOST):$(PORT) \
		--access-logfile - --graceful-timeout 20 & \
	nice -n 5 $(VENV)/bin/gunicorn gratisz.asgi:application --worker-class uvicorn_worker.UvicornWorker \
		--preload --workers $(SOCKET_WORKERS) --bind $(HOST):$(SOCKET_PORT) \
		--access-logfile - --graceful-timeout 20 & \
	$(IVR_CHRT) $(VENV)/bin/gunicorn gratisz.ivr_wsgi --worker-class gthread --threads 1 --keep-alive 5 \
		--preload --workers $(IVR_WORKERS) --bind $(HOST):$(IVR_PORT) \
		--access-logfile - --graceful-timeout 20 & \
	wait

# Three test processes on the two cores (each with its own test database and Redis databases,
# see settings.py): the browser tests and the Celery workers' tests wait much of their time, and
# a third process fills it (CI: 3:53 instead of 4:19 on SQLite, 5:12 instead of 5:39 on
# PostgreSQL). A module's tests stay together in one process, so its module-scoped services start
# once.
test: install-dev messages
	$(VENV)/bin/pytest -n 3 --dist loadscope

lint: install-dev
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

clean:
	rm -rf var/
