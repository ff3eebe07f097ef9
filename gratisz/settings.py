"""Settings for the GrATISZ agent desk.

Every value that differs between the demo and production is read from the environment here,
once, with a typed default that is safe for the one-command demo (SQLite, Celery's filesystem
broker, e-mails written to files). Production sets DJANGO_DEBUG=0 and real secrets; then
``manage.py check --deploy`` reports nothing.

One section per concern: the site, applications, database, cache and push, authentication,
security, i18n, files, e-mail, retries, the insurer, partners, telephony, IVR, desk, review,
certificates, API, Celery (its one beat schedule lists every concern's periodic tasks), logging.
"""

import os
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

# The demo's placeholders for secrets; `check --deploy` refuses every one of them.
DEMO_SECRET_KEY = "demo-only-secret-key-change-me-in-production-0123456789abcdefghij"  # noqa: S105
DEMO_DIREKT_CODE_PEPPER = "demo-only-direkt-code-pepper"
DEMO_TELEPHONY_AUTH_TOKEN = "demo-telephony-token"  # noqa: S105


def _redis_db_per_test_process(url: str) -> str:
    """Under pytest-xdist, give each test process its own Redis database (gw0 keeps the
    configured one, gwN adds N): the Celery worker tests drain and consume the broker's queue."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not (url.startswith("redis") and worker.startswith("gw")):
        return url
    base, _slash, db = url.rpartition("/")
    return f"{base}/{int(db) + int(worker[2:])}" if db.isdigit() else url


# --- Site ---------------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEMO_SECRET_KEY)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The public URL of this site as the telephony provider and e-mail recipients see it (behind a
# TLS-terminating proxy, the URL that was signed is this one, not the internal one).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Where the desk's browsers open their push connection (a websocket to the ASGI server): this
# site's own /ws/desk/ when one server takes both or a proxy in front routes /ws/ to the ASGI
# server, or a ws(s):// URL when the ASGI server listens apart (make serve: its pages on WSGI
# workers, the websockets on their own port). The page's security policy allows that origin.
DESK_SOCKET_URL = env.str("DESK_SOCKET_URL", default="/ws/desk/")

# --- Applications and the request pipeline -------------------------------------------------------
INSTALLED_APPS = [
    # First: its runserver serves the desk's websockets too.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    # The product's apps, lowest layer first (see the import-linter contracts in pyproject.toml).
    "outbox",
    "gratisz",
    "partners",
    "claims",
    "certificates",
    "calls",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "gratisz.api",
    "calls.desk",
    "channels",
    "calls.review",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "gratisz.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "gratisz.middleware.IdleSessionMiddleware",
    "gratisz.locale.HungarianFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gratisz.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "gratisz.middleware.RequireOTPMiddleware",
    "gratisz.logs.TicketContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as axes asks
]

ROOT_URLCONF = "gratisz.urls"
WSGI_APPLICATION = "gratisz.wsgi.application"
ASGI_APPLICATION = "gratisz.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "gratisz.context_processors.desk_socket",
            ],
        },
    },
]
# Form fields through Django's Jinja2 widget templates: the same HTML, faster (gratisz.renderers).
FORM_RENDERER = "gratisz.renderers.FormRenderer"

# --- Database -----------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'gratisz.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs a web server and a Celery worker on one file: wait for the other's lock
    # instead of failing at once, and take the write lock at BEGIN to avoid upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # The tests' database is a file too (each test process adds its suffix): Django's default,
    # an in-memory database in shared-cache mode, refuses a second connection at once while
    # another writes ("database table is locked", no timeout), so two requests of one browser
    # in the browser tests' server threads (a page and its favicon) could fail each other.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool(
    "DATABASE_POOL", default=DATABASES["default"]["CONN_MAX_AGE"] == 0
):
    # A bounded pool of connections per process (psycopg's pool; Django closes a request's
    # connection back into it). Whatever runs on threads of its own (Django's ASGI handler ran
    # every view so; the websockets' checks, a streamed export) would otherwise grow the
    # connections with the work in flight, past PostgreSQL's max_connections ("too many
    # clients"); work beyond the bound waits for a connection instead. DATABASE_CONNECTIONS is
    # what the web server may hold in all, shared by its worker processes (WEB_CONCURRENCY,
    # gunicorn's own variable for --workers, which make serve sets);
    # keep it under PostgreSQL's max_connections less the Celery workers (a connection per
    # process: one task at a time), management commands and other clients of the cluster. A
    # request that waits DATABASE_POOL_TIMEOUT seconds fails as the database being away would
    # (a 503, the IVR's hold message). The pool replaces persistent connections: on unless
    # DATABASE_CONN_MAX_AGE asks for those (DATABASE_POOL=0 turns it off; both at once is an
    # error Django would only raise at the first query).
    if DATABASES["default"]["CONN_MAX_AGE"] != 0:
        raise ImproperlyConfigured("DATABASE_POOL needs DATABASE_CONN_MAX_AGE=0")
    _web_workers = max(1, env.int("WEB_CONCURRENCY", default=1))
    DATABASE_CONNECTIONS = env.int("DATABASE_CONNECTIONS", default=60)
    _pool_max = env.int(
        "DATABASE_POOL_MAX_SIZE", default=max(2, DATABASE_CONNECTIONS // _web_workers)
    )
    DATABASES["default"]["OPTIONS"] = {
        **DATABASES["default"].get("OPTIONS", {}),
        "pool": {
            "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=2), _pool_max),
            "max_size": _pool_max,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
        },
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and the desk's push connection -------------------------------------------------------
# Redis when REDIS_URL is given, otherwise a per-process memory cache for the demo.
REDIS_URL = _redis_db_per_test_process(env.str("REDIS_URL", default=""))
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The desk's push connection (Django Channels): the Redis channel layer when REDIS_URL is given
# (make serve: every web worker reaches every agent's socket), otherwise an in-memory layer that
# reaches the sockets of this one process (make run's single server).
# Redis pub/sub: a message to a group (every desk hears of a call joining or leaving the queue)
# is published once and each web worker hands it to its own sockets, where the list-based layer
# made a Redis round trip for every socket (a quarter of the desk workers' CPU with 50 agents).
# What a socket misses while it is down it fetches on reconnecting (desk.js), as before. The
# read timeout stays above 5 s: the list-based layer's blocking pop of 5 s lost that race to
# redis-py 8's default of 5 s on a quiet socket, which then died and reconnected. Pub/sub
# channels ignore the database number, so each test process under pytest-xdist has its own prefix
# too (the pushes of one process's tests reached another's sockets).
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": "gratisz-desk" + os.environ.get("PYTEST_XDIST_WORKER", ""),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Authentication -----------------------------------------------------------------------------
AUTH_USER_MODEL = "gratisz.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked login before the password
    "gratisz.backends.OneQueryModelBackend",  # Django's ModelBackend, permissions in one query
]
# Argon2id (Django's parameters: 100 MiB, 2 passes): memory-hard, so a stolen hash costs an
# attacker far more than PBKDF2's, and a login costs the server less CPU (100 against 230 ms here,
# which counts when a shift of agents logs in at once). PBKDF2 hashes stored earlier still verify
# and are re-hashed with Argon2 at the user's next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle users are logged out: the session lives for this many seconds after the user's last
# request; the pages' own polls do not count (gratisz.middleware.IdleSessionMiddleware). Half an
# hour: the screens show personal data, and a desk left unattended must not stay open all day.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# The second factor: a TOTP code after the password (django-otp).
OTP_TOTP_ISSUER = "GrATISZ"
OTP_TOTP_THROTTLE_FACTOR = 1

# Password guessing (django-axes, in front of the TOTP step): LOGIN_FAILURES_PER_ACCOUNT wrong
# passwords for one username (known or not), or LOGIN_FAILURES_PER_ADDRESS from one address
# across usernames, within LOGIN_COOLOFF_MINUTES lock the login for that long after the last
# try; every refused try during the lock starts the cool-off again. An administrator lifts a
# lock in the admin (Axes: access attempts) or with `manage.py axes_reset_username NAME`.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_FAILURE_LIMIT = LOGIN_FAILURES_PER_ACCOUNT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks
AXES_HANDLER = "gratisz.login_limits.LoginFailureHandler"  # the per-address limit of its own
AXES_COOLOFF_TIME = LOGIN_COOLOFF_MINUTES / 60  # hours
AXES_CLIENT_IP_CALLABLE = "partners.client_ip.client_ip"
AXES_LOCKOUT_CALLABLE = "gratisz.views.login_locked_out"
AXES_RESET_ON_SUCCESS = False  # a login with one account must not clear the address's count
# The log names the username and the address (the password is never stored nor logged).
AXES_SENSITIVE_PARAMETERS = ["csrfmiddlewaretoken"]

# --- Security -----------------------------------------------------------------------------------
# Production hardening: only when DEBUG is off, so that the demo runs on plain http://.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Off only to try the production shape on plain http://127.0.0.1 (make serve, load tests).
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS proxy: how many proxies of ours append to X-Forwarded-For (partners.client_ip).
# 0, the default: no proxy, the client is REMOTE_ADDR and the header is ignored (a client could
# write anything in it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Public certificate verification (/verify/): requests per client address, in DRF's rate format.
VERIFY_RATE = env.str("VERIFY_RATE", default="30/min")

# --- Language and time --------------------------------------------------------------------------
LANGUAGE_CODE = "hu"
LANGUAGES = [("hu", "Magyar"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Budapest"
USE_I18N = True
USE_TZ = True
# One date form on every page, e-mail and export ("2026. 12. 06. 10:00"; English ISO 8601).
FORMAT_MODULE_PATH = ["gratisz.formats"]

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"

# --- E-mail -------------------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587/?tls=True, consolemail://, …) or, for the demo, every
# message written as a file under var/mail so that the user can open it. A mail server that does
# not answer is given up on after EMAIL_TIMEOUT seconds (the worker tries again).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="GrATISZ <gratisz@example.hu>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Retries ------------------------------------------------------------------------------------
# The one retry policy of everything sent (e-mails, certificate deliveries, webhooks, see
# outbox.retry): the first retry after RETRY_BASE_SECONDS, then twice as long each time, at most
# RETRY_MAX_SECONDS apart; after RETRY_MAX_ATTEMPTS tries it fails for good and shows so.
RETRY_BASE_SECONDS = env.int("RETRY_BASE_SECONDS", default=30)
RETRY_MAX_SECONDS = env.int("RETRY_MAX_SECONDS", default=3600)
RETRY_MAX_ATTEMPTS = env.int("RETRY_MAX_ATTEMPTS", default=10)

# --- The insurer --------------------------------------------------------------------------------
# The insurer as it appears on documents and messages.
INSURER_NAME = env.str("INSURER_NAME", default="Groupama Biztosító Zrt.")
INSURER_ADDRESS = env.str("INSURER_ADDRESS", default="1146 Budapest, Erzsébet királyné útja 1/C")
GRATISZ_PHONE = env.str("GRATISZ_PHONE", default="+36 1 462 3800")
# The insurer's identifiers on documents (the damage history certificate names them), and the
# place of issue; demo placeholders, refused by `check --deploy` too.
DEMO_INSURER_TAX_NUMBER = "00000000-0-00"
DEMO_INSURER_REGISTRATION_NUMBER = "00-00-000000"
INSURER_TAX_NUMBER = env.str("INSURER_TAX_NUMBER", default=DEMO_INSURER_TAX_NUMBER)
INSURER_REGISTRATION_NUMBER = env.str(
    "INSURER_REGISTRATION_NUMBER", default=DEMO_INSURER_REGISTRATION_NUMBER
)
DOCUMENTS_ISSUE_PLACE = env.str("DOCUMENTS_ISSUE_PLACE", default="Budapest")
# The insurer's channels for written requests (a change of contract data), named in the desk's
# written-request guidance unless a request type names its own; orders of printed forms go to
# their own channel.
WRITTEN_REQUEST_FAX = env.str("WRITTEN_REQUEST_FAX", default="+36 1 467 3500")
WRITTEN_REQUEST_EMAIL = env.str(
    "WRITTEN_REQUEST_EMAIL", default="ugyfelszolgalat@groupama.example.hu"
)
WRITTEN_REQUEST_POSTAL_ADDRESS = env.str(
    "WRITTEN_REQUEST_POSTAL_ADDRESS", default="Groupama Biztosító Zrt., 1380 Budapest, Pf. 1149"
)
PRINTED_FORMS_ORDER_EMAIL = env.str(
    "PRINTED_FORMS_ORDER_EMAIL", default="nyomtatvanyrendeles@groupama.example.hu"
)

# --- Partners: Direkt codes and the partner portal ----------------------------------------------
# The secret key of the Direkt codes' keyed hash. It is separate from SECRET_KEY and must live
# outside the database, so that a stolen database alone cannot be used to test codes offline.
DIREKT_CODE_PEPPER = env.str("DIREKT_CODE_PEPPER", default=DEMO_DIREKT_CODE_PEPPER)
# Guessing limits (see partners.verification).
DIREKT_THROTTLE_FACTOR = env.int("DIREKT_THROTTLE_FACTOR", default=1)
# 9, not 10: the policy leaves 9,594 codes, so 10 guesses would find one with 0.104% > 0.1%.
DIREKT_LOCK_AFTER_FAILURES = env.int("DIREKT_LOCK_AFTER_FAILURES", default=9)
DIREKT_FAILURES_PER_NUMBER_PER_DAY = env.int("DIREKT_FAILURES_PER_NUMBER_PER_DAY", default=20)
# Hours an e-mailed manager invitation link stays valid (it also works only once).
PARTNER_INVITATION_HOURS = env.int("PARTNER_INVITATION_HOURS", default=72)

# --- Telephony: the provider's webhooks, putting callers through, recordings --------------------
# The telephony provider's auth token; it signs every webhook request.
TELEPHONY_AUTH_TOKEN = env.str("TELEPHONY_AUTH_TOKEN", default=DEMO_TELEPHONY_AUTH_TOKEN)
# How webhook requests are authenticated, a class path like EMAIL_BACKEND: the Twilio and
# SignalWire HMAC-SHA1 scheme (X-Twilio-Signature over PUBLIC_BASE_URL + path) by default.
TELEPHONY_SIGNATURE_VALIDATOR = env.str(
    "TELEPHONY_SIGNATURE_VALIDATOR", default="calls.signatures.TwilioSignatureValidator"
)
# Putting the caller through to the agent who took the call, a class path like EMAIL_BACKEND:
# calls.telephony.backends.twilio.TwilioBackend (Twilio's REST API redirects the queued call to
# the agent's phone) or calls.telephony.backends.demo.DemoBackend (a JSON file per call under
# TELEPHONY_DEMO_FILE_PATH, shown by the demo phone). The default follows the auth token: the
# demo backend with the demo token, Twilio with a real one; check --deploy refuses the demo.
_TELEPHONY_DEMO = TELEPHONY_AUTH_TOKEN == DEMO_TELEPHONY_AUTH_TOKEN
TELEPHONY_BACKEND = env.str(
    "TELEPHONY_BACKEND",
    default=(
        "calls.telephony.backends.demo.DemoBackend"
        if _TELEPHONY_DEMO
        else "calls.telephony.backends.twilio.TwilioBackend"
    ),
)
TELEPHONY_ACCOUNT_SID = env.str("TELEPHONY_ACCOUNT_SID", default="")
TELEPHONY_API_BASE_URL = env.str("TELEPHONY_API_BASE_URL", default="https://api.twilio.com")
# Agents' phones are dialled as sip:<User.extension>@TELEPHONY_SIP_DOMAIN.
TELEPHONY_SIP_DOMAIN = env.str(
    "TELEPHONY_SIP_DOMAIN", default="desk.demo.invalid" if _TELEPHONY_DEMO else ""
)
TELEPHONY_DEMO_FILE_PATH = env.path("TELEPHONY_DEMO_FILE_PATH", default=VAR_DIR / "telephony")
# Seconds one request to the provider may take, and tries before the desk shows a failure
# (1, 2, 4, 8… seconds apart: the caller is waiting on the line).
TELEPHONY_TIMEOUT = env.int("TELEPHONY_TIMEOUT", default=10)
TELEPHONY_CONNECT_ATTEMPTS = env.int("TELEPHONY_CONNECT_ATTEMPTS", default=5)
# Seconds the agent's phone rings before the caller goes back to the queue (<Dial timeout>); the
# agent's call screen then offers to put the caller through again.
TELEPHONY_DIAL_TIMEOUT = env.int("TELEPHONY_DIAL_TIMEOUT", default=20)
# Connections still pending with no task working on them (a task lost with the broker) are
# queued again by the sweep, this long after the take.
TELEPHONY_SWEEP_GRACE_SECONDS = env.int("TELEPHONY_SWEEP_GRACE_SECONDS", default=20)
# A call the provider never reported as ended (a lost status callback) is ended as abandoned
# this long after it started in the voice menu, or after it was queued.
CALLS_STALE_IVR_MINUTES = env.int("CALLS_STALE_IVR_MINUTES", default=30)
CALLS_STALE_QUEUE_MINUTES = env.int("CALLS_STALE_QUEUE_MINUTES", default=120)
# Call recordings (calls.review.tasks.fetch_recording_task): the recording callback queues the
# download of the audio (MP3) into our storage; the provider's copy is then deleted, so it is
# not kept past RECORDING_RETENTION_DAYS (False keeps it there).
TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH = env.bool(
    "TELEPHONY_DELETE_RECORDINGS_AFTER_FETCH", default=True
)
# Tries of a download (and of the deletion), 15, 30, 60… seconds apart up to the maximum.
TELEPHONY_RECORDING_FETCH_ATTEMPTS = env.int("TELEPHONY_RECORDING_FETCH_ATTEMPTS", default=8)
TELEPHONY_RECORDING_RETRY_MAX_SECONDS = env.int(
    "TELEPHONY_RECORDING_RETRY_MAX_SECONDS", default=1800
)
# A larger download is refused (an hour of Twilio's MP3 is about 15 MB).
TELEPHONY_RECORDING_MAX_BYTES = env.int("TELEPHONY_RECORDING_MAX_BYTES", default=200 * 1024 * 1024)
# Completed recordings not stored this long after their callback, and no task working on them
# (its message was lost with the broker), are queued again for this many hours.
TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS = env.int(
    "TELEPHONY_RECORDING_SWEEP_GRACE_SECONDS", default=900
)
TELEPHONY_RECORDING_SWEEP_HOURS = env.int("TELEPHONY_RECORDING_SWEEP_HOURS", default=24)

# --- IVR: the voice menu and caller verification ------------------------------------------------
# The language the IVR speaks ("hu" or "en": each prompt has both texts) and the voice.
IVR_LANGUAGE = env.str("IVR_LANGUAGE", default="hu")
IVR_VOICE = env.str("IVR_VOICE", default="Google.hu-HU-Standard-A")
# While the database or the cache is away the IVR says a hold message, pauses this long and
# asks for the same step again: no caller is lost to our own outage.
IVR_OUTAGE_PAUSE_SECONDS = env.int("IVR_OUTAGE_PAUSE_SECONDS", default=5)
IVR_GATHER_TIMEOUT = env.int("IVR_GATHER_TIMEOUT", default=8)
# The queue of each menu (menu 3 changes the code and never queues).
IVR_QUEUES = {
    "1": env.str("IVR_QUEUE_CONTRACTS", default="contracts"),
    "2": env.str("IVR_QUEUE_CLAIMS", default="claims"),
}
IVR_HOLD_MUSIC_URL = env.str("IVR_HOLD_MUSIC_URL", default="")
# Record verified calls from the moment they are queued (never the IVR part: its DTMF tones
# would carry the Direkt code into the recording).
IVR_RECORD_CALLS = env.bool("IVR_RECORD_CALLS", default=True)
# The demo phone (a dial pad that calls the webhooks without a provider): demo mode only.
DEMO_PHONE_ENABLED = env.bool("DEMO_PHONE_ENABLED", default=DEBUG)
# What the demo phone page tells a first-time user (the seed_demo fixture firm of the README).
DEMO_PHONE_HINT = env.str(
    "DEMO_PHONE_HINT",
    default="Demo Alkusz Kft.: GRID 314159265 · Direkt kód 2718 · vezetői kód 1414"
    if DEBUG
    else "",
)

# --- Desk: the agents' screens ------------------------------------------------------------------
# A callback promise is due, by default, this many minutes of opening hours after the call.
DESK_CALLBACK_DEADLINE_MINUTES = env.int("DESK_CALLBACK_DEADLINE_MINUTES", default=120)
# Callbacks dialled through the provider (calls.desk.callbacks): the numbers a firm verified
# itself from in these days are on file for it; the next try after the broker was not reached
# is proposed these minutes of opening hours later; a callback the provider never finished
# reporting frees the agent after these minutes.
DESK_CALLBACK_FIRM_NUMBER_DAYS = env.int("DESK_CALLBACK_FIRM_NUMBER_DAYS", default=90)
DESK_CALLBACK_RETRY_MINUTES = env.int("DESK_CALLBACK_RETRY_MINUTES", default=30)
DESK_CALLBACK_STALE_MINUTES = env.int("DESK_CALLBACK_STALE_MINUTES", default=30)
# A written answer promise is due, by default, at closing time of this many open days later.
DESK_WRITTEN_ANSWER_DAYS = env.int("DESK_WRITTEN_ANSWER_DAYS", default=5)
# How often the desk's queue refreshes in the browser while its push connection is down
# (seconds).
DESK_POLL_SECONDS = env.int("DESK_POLL_SECONDS", default=3)
# Wrap-up: the seconds after a call in which no call is offered to the agent (to finish the
# notes), and how much longer each "more time" makes it.
DESK_WRAP_UP_SECONDS = env.int("DESK_WRAP_UP_SECONDS", default=60)
DESK_WRAP_UP_EXTEND_SECONDS = env.int("DESK_WRAP_UP_EXTEND_SECONDS", default=60)
# A fleet's vehicles per page on the contract view.
DESK_VEHICLES_PER_PAGE = env.int("DESK_VEHICLES_PER_PAGE", default=25)
# Failed identifications of one contract's client in one call before the desk refuses more.
DESK_IDENTIFICATION_TRIES = env.int("DESK_IDENTIFICATION_TRIES", default=3)

# --- Review: the supervisors' call log, board and recordings ------------------------------------
# Days a call recording is kept; the nightly purge deletes older ones unless on legal hold.
RECORDING_RETENTION_DAYS = env.int("RECORDING_RETENTION_DAYS", default=365)
# The call log and board counters of calls started this many hours ago are refreshed each run.
REVIEW_RESYNC_HOURS = env.int("REVIEW_RESYNC_HOURS", default=48)
REVIEW_PAGE_SIZE = env.int("REVIEW_PAGE_SIZE", default=50)
# The call log's rows alone are brought up to date this often (the counters stay at a minute):
# a call appears and changes in the log within seconds. A run the worker could not start in
# time is dropped: the next one does the same work.
REVIEW_LOG_SYNC_SECONDS = env.float("REVIEW_LOG_SYNC_SECONDS", default=5.0)
# Service level on the board and reports: the share of offered calls answered within
# REVIEW_SERVICE_LEVEL_SECONDS of being queued (the call-centre "80/20"); the board raises an
# alert when today's share is under the target. Calls abandoned in the queue within
# REVIEW_SHORT_ABANDON_SECONDS are not offered calls (a misdial or a caller who changed their
# mind; the usual practice). The sync counts with the values in force; after changing them,
# recount history with `manage.py review_rebuild_counters`.
REVIEW_SERVICE_LEVEL_SECONDS = env.int("REVIEW_SERVICE_LEVEL_SECONDS", default=20)
REVIEW_SERVICE_LEVEL_TARGET_PERCENT = env.int("REVIEW_SERVICE_LEVEL_TARGET_PERCENT", default=80)
REVIEW_SHORT_ABANDON_SECONDS = env.int("REVIEW_SHORT_ABANDON_SECONDS", default=5)

# --- Certificates -------------------------------------------------------------------------------
# Fax transport, like EMAIL_BACKEND: certificates.fax.FileFaxBackend (demo: files under var/fax),
# .EmailGatewayFaxBackend (<number>@CERTIFICATES_FAX_GATEWAY_DOMAIN) or .HttpFaxBackend (fax API).
CERTIFICATES_FAX_BACKEND = env.str("FAX_BACKEND", default="certificates.fax.FileFaxBackend")
CERTIFICATES_FAX_FILE_PATH = env.path("FAX_FILE_PATH", default=VAR_DIR / "fax")
CERTIFICATES_FAX_GATEWAY_DOMAIN = env.str("FAX_GATEWAY_DOMAIN", default="fax.example.hu")
CERTIFICATES_FAX_API_URL = env.str("FAX_API_URL", default="http://127.0.0.1:8025/v1/faxes")
CERTIFICATES_FAX_API_TOKEN = env.str("FAX_API_TOKEN", default="")
# Seconds one SMTP or fax API call may take.
CERTIFICATES_SEND_TIMEOUT = env.int("CERTIFICATES_SEND_TIMEOUT", default=60)
# Retries: the one policy (RETRY_BASE_SECONDS, RETRY_MAX_SECONDS, RETRY_MAX_ATTEMPTS).
# A worker holds a delivery this long; after that the sweep hands it to another worker.
CERTIFICATES_LEASE_SECONDS = env.int("CERTIFICATES_LEASE_SECONDS", default=300)
# A queued delivery nobody picked up for this long is queued again by the sweep.
CERTIFICATES_SWEEP_GRACE_SECONDS = env.int("CERTIFICATES_SWEEP_GRACE_SECONDS", default=120)
# The mailroom may undo a posting confirmation given by mistake this long; the letters are
# announced as sent (certificate.sent) only after it.
CERTIFICATES_POSTING_UNDO_MINUTES = env.int("CERTIFICATES_POSTING_UNDO_MINUTES", default=15)
# Green card box 2 and 4: the issuing bureau and the insurer's code in the bureau's register.
# The defaults are the demo's placeholders: `check --deploy` refuses them (certificates.checks).
DEMO_GREEN_CARD_BUREAU = "Demo iroda (GREEN_CARD_BUREAU beállítandó)"
DEMO_GREEN_CARD_INSURER_CODE = "999"
GREEN_CARD_BUREAU = env.str("GREEN_CARD_BUREAU", default=DEMO_GREEN_CARD_BUREAU)
GREEN_CARD_INSURER_CODE = env.str("GREEN_CARD_INSURER_CODE", default=DEMO_GREEN_CARD_INSURER_CODE)

# --- REST API and integrations ------------------------------------------------------------------
REST_FRAMEWORK: dict[str, object] = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
# Requests per client unless the client has its own limit (ApiClient.throttle_rate).
API_DEFAULT_THROTTLE_RATE = env.str("API_THROTTLE_RATE", default="600/min")
# Records in one sync request (the core systems send more in several requests).
API_SYNC_MAX_RECORDS = env.int("API_SYNC_MAX_RECORDS", default=5000)
# The sync's request body: 5,000 records of up to about 1.6 KiB each. Every other endpoint keeps
# Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB); a larger body is a 413 in the API's format.
API_SYNC_MAX_BODY_BYTES = env.int("API_SYNC_MAX_BODY_BYTES", default=8 * 1024 * 1024)
# Outgoing webhooks: seconds per request; retries by the one policy (RETRY_*).
WEBHOOK_TIMEOUT = env.int("WEBHOOK_TIMEOUT", default=10)
SPECTACULAR_SETTINGS = {
    "TITLE": "GrATISZ API",
    "DESCRIPTION": (
        "Integrations of the GrATISZ agent desk: core-system sync, CTI events, certificate "
        "requests, reporting. Authenticate with `Authorization: Bearer <token>`; every error is "
        "`{code, message, details}`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "PREPROCESSING_HOOKS": ["gratisz.api.schema.only_api_v1"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed package (no CDN).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery: broker, queues and the periodic tasks ----------------------------------------------
# Redis (or RabbitMQ) in production; the filesystem broker needs no service.
CELERY_BROKER_URL = _redis_db_per_test_process(
    env.str("CELERY_BROKER_URL", default="filesystem://")
)
if "PYTEST_XDIST_WORKER" in os.environ and "CELERY_BROKER_URL" in os.environ:
    os.environ["CELERY_BROKER_URL"] = CELERY_BROKER_URL  # Celery reads it ahead of this setting
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "processed_folder": str(_queue_dir / "processed"),
        # Broadcasts (worker control, the exchange tables): under var/ too, not ./control/.
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # An unacknowledged delivery whose worker died comes back after this many seconds (the sweep
    # usually re-queues it sooner, once its lease has run out).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes a worker's database connections (and its connection pool) only
# every this many tasks; before and after each task, gratisz.celery treats them as a request
# does (Django's close_old_connections).
CELERY_DB_REUSE_MAX = 1000
# A caller waiting to be put through must not wait behind PDF renders and mail: the telephony
# tasks have a queue of their own, which its own worker consumes (``make serve``; a worker for
# every queue in ``make run``). Everything else goes to Celery's default queue, "celery".
CELERY_TASK_ROUTES = {
    "calls.connect_call": {"queue": "telephony"},
    "calls.sweep_connections": {"queue": "telephony"},
    "calls.fetch_recording": {"queue": "telephony"},
    "calls.delete_provider_recording": {"queue": "telephony"},
    "calls.sweep_recordings": {"queue": "telephony"},
}
CELERY_BEAT_SCHEDULE = {
    # One sweep for what is sent with retries: e-mails, certificate deliveries, webhooks.
    "outbox-sweep": {"task": "outbox.sweep", "schedule": 60.0},
    "certificates-print-batch": {
        "task": "certificates.tasks.build_print_batch",
        "schedule": crontab(hour=15, minute=0),  # the mailroom collects at 16:00
    },
    "review-sync": {"task": "calls.review.tasks.review_sync", "schedule": 60.0},
    "review-log-sync": {
        "task": "calls.review.tasks.call_log_sync",
        "schedule": REVIEW_LOG_SYNC_SECONDS,
        "options": {"expires": REVIEW_LOG_SYNC_SECONDS},
    },
    "review-purge-recordings": {
        "task": "calls.review.tasks.purge_recordings",
        "schedule": crontab(hour=2, minute=30),
    },
    "calls-stale-sweep": {"task": "calls.sweep_stale_calls", "schedule": 300.0},
    "calls-connections-sweep": {"task": "calls.sweep_connections", "schedule": 15.0},
    "calls-recordings-sweep": {"task": "calls.sweep_recordings", "schedule": 300.0},
}

# --- Logging ------------------------------------------------------------------------------------
# LOG_FORMAT=json (make serve) writes one JSON object a line, with the call ticket's id.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "gratisz.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="text"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint reports every rendering step at INFO: one line per step per document.
        "weasyprint.progress": {"level": "WARNING"},
        # Twilio's SDK logs every request's headers at INFO; our backend logs the outcome.
        "twilio.http_client": {"level": "WARNING"},
    },
}
