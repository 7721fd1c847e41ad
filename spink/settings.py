"""Spink settings: one module, driven by environment variables.

Production is the default: DEBUG is off, HTTPS-only cookies and HSTS are on, and a missing
SECRET_KEY stops start-up. `make run` and `make test` set the few variables that relax this
for a developer's machine (see the Makefile). Every variable is listed in README.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a whole number."
        ) from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={raw!r} is not a number."
        ) from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# Demo mode gives the seeded demo users a known password; never enable it in production.
DEMO_MODE = env_bool("SPINK_DEMO", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
        "string (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
if not DEBUG and len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long in production.")

# Keys the hash that counts unique persons without storing their numbers twice. Changing it
# splits the statistics' person counts, so it has its own variable (defaults to SECRET_KEY).
PERSON_KEY_SECRET = os.environ.get("PERSON_KEY_SECRET", "") or SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "spink.admin_safety.SpinkAdminConfig",  # django.contrib.admin under spink.admin_safety
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_celery_beat",
    "simple_history",
    "axes",
    "csp",
    "spink.accounts",
    "spink.idempotency",
    "spink.outbox",
    "categories",
    "providers",
    "placements",
    "notifications",
    "followup",
    "reporting",
    "home",
]
# Developer tooling (demo seeding, scale generators): `make run`, `make test`, `make bench` and
# `make loadtest` turn it on; the production image does not even contain its dependencies.
DEVTOOLS = env_bool("SPINK_DEVTOOLS", DEBUG)
if DEVTOOLS:
    INSTALLED_APPS.append("devtools")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost after static files, so that error pages and redirects are covered too.
    "spink.accounts.middleware.NoStoreMiddleware",
    # 503 instead of 500 while the database or the broker is down (with handler500 in urls).
    "spink.unavailable.ServiceUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "spink.middleware.SwedishByDefaultLocaleMiddleware",
    # After the locale (its errors are in the request's language), before everything that
    # reads the request: /api/ refuses NUL characters and oversized bodies, answers JSON.
    "spink.middleware.ApiMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "spink.idempotency.middleware.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication attempts.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "spink.urls"
WSGI_APPLICATION = "spink.wsgi.application"
ASGI_APPLICATION = "spink.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "csp.context_processors.nonce",
                "spink.accounts.context_processors.navigation",
                "notifications.context_processors.unread_notifications",
            ],
            # `spink` is no installed app: its template libraries are named here.
            "libraries": {
                "spink_format": "spink.templatetags.spink_format",
                "spink_layout": "spink.templatetags.spink_layout",
            },
        },
    },
]

# --- Data stores -------------------------------------------------------------------------
# Both must be given: there is no fallback, so a production server whose variable went
# missing stops at start-up instead of looking for a development database. `make run` and
# `make test` set them (to the embedded servers under ./.data/ when the shell has none).


def _required_url(name: str, example: str) -> str:
    url = os.environ.get(name, "").strip()
    if not url:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it to the server Spink should use (for example {example}). "
            "On a developer's machine, `make run` and `make test` set it, or run a command "
            "through `python -m devtools.embedded run -- <command>`."
        )
    return url


def _database_from_env() -> dj_database_url.DBConfig:
    url = _required_url("DATABASE_URL", "postgres://spink:password@db:5432/spink")
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if config.get("ENGINE") != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_URL must point at PostgreSQL (postgres://user:password@host:port/name); "
            f"got engine {config.get('ENGINE')!r}."
        )
    if not config.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (…/name at the end).")
    config["CONN_HEALTH_CHECKS"] = True
    # Lets several test runs share one server (each gets its own test database).
    if os.environ.get("SPINK_TEST_DB_NAME"):
        config["TEST"] = {"NAME": os.environ["SPINK_TEST_DB_NAME"]}
    options = config.setdefault("OPTIONS", {})
    options["connect_timeout"] = env_int("DB_CONNECT_TIMEOUT", 5)
    # The statistics hash a year's person keys (~10 MB for the region): with PostgreSQL's
    # default 4 MB they spill to disk and take three times as long.
    work_mem = os.environ.get("DB_WORK_MEM", "32MB")
    if not re.fullmatch(r"\d+\s*(kB|MB|GB)", work_mem):
        raise ImproperlyConfigured(f"DB_WORK_MEM must look like 32MB or 65536kB; got {work_mem!r}.")
    options["options"] = f"-c work_mem={work_mem.replace(' ', '')}"
    return config


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = _required_url("REDIS_URL", "redis://redis:6379/0")
if not REDIS_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        f"REDIS_URL must start with redis:// or rediss://; got {REDIS_URL!r}."
    )

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
# A task whose worker process dies (OOM killer, SIGKILL) goes back to the queue instead of
# being acknowledged as failed. Tasks are idempotent, so running one again is safe, and the
# monitoring runs count their attempts, so a task that kills its worker cannot loop.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task has a hard time limit (the soft one raises inside the task a little earlier).
CELERY_TASK_SOFT_TIME_LIMIT = 2 * 60
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 30
# The longest task is a monitoring run (fetch, match, write): followup.tasks gives it these.
MONITORING_SOFT_TIME_LIMIT = 5 * 60
MONITORING_TIME_LIMIT = MONITORING_SOFT_TIME_LIMIT + 60
# No task waits longer than this for a retry (a worker holds the waiting message unacked).
TASK_RETRY_WAIT_MAX = 5 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands a message its worker has not acknowledged to another worker after this long.
    # It must outlast the longest retry wait plus the longest task, or a slow task would run
    # twice; and no longer, for after a whole-worker crash its messages wait this long.
    "visibility_timeout": TASK_RETRY_WAIT_MAX + MONITORING_TIME_LIMIT + 60,
    # A web request never waits on the broker: connect once, briefly (kombu would otherwise
    # retry for ~6 s), and give up on a broker that stops answering. Workers reconnect with
    # their own settings (broker_connection_max_retries).
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    "max_retries": 0,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Stockholm"
# Tasks sent without a queue go here; the test suite points its worker's own sends (retries,
# follow-up tasks) at the suite's queue with it.
if os.environ.get("CELERY_TASK_DEFAULT_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["CELERY_TASK_DEFAULT_QUEUE"]

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: five failures lock the username+address pair for 30 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# --- Security headers --------------------------------------------------------------------
# HTTPS is assumed unless SPINK_HTTPS=0 (local development over http://127.0.0.1).
HTTPS = env_bool("SPINK_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation ----------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "spink" / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True
# Numbers follow the active language's formats (Django's sv: decimal comma, thousands with a
# no-break space; en: decimal point, comma): grouping is asked for where a quantity is shown
# ({% load spink_format %}: number, money, money_per_day; floatformat "g"; the statistics'
# formats.number_format(force_grouping=True)). USE_THOUSAND_SEPARATOR stays off on purpose:
# on, it would group every bare integer a template prints, years ("2 024") and ids in URLs
# and form values included.
USE_THOUSAND_SEPARATOR = False

# --- Static files ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / ".data" / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Pages name only the hashed files ({% static %}; the manifest rewrites the files' own
# references, source maps included), so the originals are neither kept nor compressed: half the
# work of every deployment's collectstatic. Source maps are fetched only by a browser's
# developer tools: served as they are.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / ".data" / "media"))
MEDIA_URL = "/media/"
# Uploaded files (request attachments, control evidence) live in MEDIA_ROOT unless an
# S3-compatible bucket is named. They are served only through views that check access, never
# from MEDIA_URL or a public bucket URL, so the bucket stays private (no ACL, signed URLs
# unused). Credentials come from boto3's own chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
# an instance role), so no secret is copied into settings.
if _media_bucket := os.environ.get("SPINK_MEDIA_S3_BUCKET", "").strip():
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _media_bucket,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "location": os.environ.get("SPINK_MEDIA_S3_PREFIX", "").strip("/"),
            "default_acl": None,
            "querystring_auth": True,
            # Names are random (placements.attachments): never overwrite, never guess.
            "file_overwrite": False,
        },
    }

# --- Uploads (limits in spink/uploads.py) --------------------------------------------------
# The first handler stops storing a file beyond spink.uploads.MAX_UPLOAD_BYTES (10 MB, what
# every form allows), so a huge upload is refused with a message instead of filling /tmp.
FILE_UPLOAD_HANDLERS = [
    "spink.uploads.SizeCappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files up to this stay in memory, larger ones go to a temporary file (Django's default).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The fields of a form or JSON body, files not counted: the longest texts are 10,000
# characters, so 1 MB is far above any real request.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# Django's default; a control covering many units posts one field per unit.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000
# One evidence file per check on the control page, one file on the import page.
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# --- Placement rules ---------------------------------------------------------------------
# A direct-procurement daily price above this multiple of the median framework price for the
# same service is flagged to the officer before a recommendation is sent.
PRICE_FLAG_FACTOR = env_float("PRICE_FLAG_FACTOR", 1.25)
# A candidate unit within this many kilometres (great-circle) of the request's preferred or
# home municipality earns a fit point in matching (placements.matching: "near the family").
MATCHING_NEAR_KM = env_float("SPINK_MATCHING_NEAR_KM", 30)
if not 0 < MATCHING_NEAR_KM <= 20_040:  # NaN and infinity fail too; 20,040 km: half the globe
    raise ImproperlyConfigured(
        "SPINK_MATCHING_NEAR_KM must be a distance in kilometres above 0 (at most 20040); "
        f"got {MATCHING_NEAR_KM!r}."
    )
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Notifications and reminders (notifications.tasks, every morning) ----------------------
# Recommendations waiting this many days for the social worker's choice are reminded of; so
# are open requests without a recommendation whose wanted start is this close, and drafts
# untouched for this long.
NOTIFICATIONS_CHOICE_WAITING_DAYS = env_int("NOTIFICATIONS_CHOICE_WAITING_DAYS", 5)
NOTIFICATIONS_START_SOON_DAYS = env_int("NOTIFICATIONS_START_SOON_DAYS", 2)
NOTIFICATIONS_STALE_DRAFT_DAYS = env_int("NOTIFICATIONS_STALE_DRAFT_DAYS", 14)
# An IVO permit ending within this many days puts a signal in quality & control's inbox
# (followup.services.remind_expiring_permits, every morning): time to ask for the new one.
PERMIT_EXPIRY_REMINDER_DAYS = env_int("SPINK_PERMIT_EXPIRY_REMINDER_DAYS", 60)
if not 0 < PERMIT_EXPIRY_REMINDER_DAYS <= 366:
    raise ImproperlyConfigured(
        "SPINK_PERMIT_EXPIRY_REMINDER_DAYS must be a number of days from 1 to 366; "
        f"got {PERMIT_EXPIRY_REMINDER_DAYS!r}."
    )

# --- Basic monitoring ----------------------------------------------------------------------
# A source that is down is tried again after this many seconds, doubled at each attempt
# (three attempts in all); a feed that does not answer within the timeout counts as down.
MONITORING_RETRY_BACKOFF = env_float("MONITORING_RETRY_BACKOFF", 60)
MONITORING_HTTP_TIMEOUT = env_float("MONITORING_HTTP_TIMEOUT", 30)

# --- Supplier follow-up ------------------------------------------------------------------
# This many feedbacks (synpunkter) in one category about one provider within 12 months raise
# a signal proposing a deep control.
FEEDBACK_PATTERN_THRESHOLD = env_int("FEEDBACK_PATTERN_THRESHOLD", 3)

# --- E-mail ------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "spink@localhost")
# Where django.core.mail.backends.filebased.EmailBackend writes messages.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(BASE_DIR / ".data" / "mail"))

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: a request without credentials answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "spink.api.TokenAuthentication",
        "spink.api.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["spink.accounts.api.permissions.RolePermission"],
    # spink.api's parsers refuse NUL characters, deep nesting and oversized bodies.
    "DEFAULT_PARSER_CLASSES": [
        "spink.api.JSONParser",
        "spink.api.FormParser",
        "spink.api.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["spink.api.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "spink.api.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per address without credentials (and per address for failed token attempts), per user
    # with them; counted in the cache, so per worker process (README, "REST API").
    "DEFAULT_THROTTLE_CLASSES": [
        "spink.api.AnonRateThrottle",
        "spink.api.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min"},
    # Anonymous callers are told apart by address: the one the TLS proxy saw when Spink sits
    # behind one (SECURE_PROXY_SSL_HEADER), else the peer's. X-Forwarded-For is not trusted
    # otherwise, or anyone could escape the anonymous rate by making one up.
    "NUM_PROXIES": 1 if env_bool("SECURE_PROXY_SSL_HEADER", False) else 0,
    "EXCEPTION_HANDLER": "spink.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Spink API",
    "DESCRIPTION": "Placement requests, provider register and supplier follow-up.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and the docs describe the API to those who may use it: signed-in users.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Request bodies get components of their own (required strings non-empty, no read-only
    # fields), so that the schema says what the API accepts as well as what it answers.
    "COMPONENT_SPLIT_REQUEST": True,
    # Bodies are JSON; multipart/form-data is documented where a file is uploaded. (DRF's
    # HTML-form encodings are still read, for the browsable API, but are not the API.)
    "PARSER_WHITELIST": ["spink.api.JSONParser"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "spink.api.add_error_responses",
        "spink.api.document_path_ids",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("status", "kind", "team") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "placements.models.RequestStatus",
        "RequestKindEnum": "placements.models.RequestKind",
        "DeviationStatusEnum": "placements.models.Deviation.Status",
        "TimelineEventKindEnum": "placements.models.TimelineEvent.Kind",
        "AttachmentKindEnum": "placements.models.AttachmentKind",
        "PlacementTeamEnum": "spink.accounts.models.PlacementTeam",
        "PublicationStatusEnum": "providers.models.PublicationStatus",
        "SignalKindEnum": "followup.models.Signal.Kind",
        "SignalStatusEnum": "followup.models.Signal.Status",
        "SeverityEnum": "followup.models.Severity",
        "MonitoringRunStatusEnum": "followup.models.MonitoringRun.Status",
        "ControlDecisionEnum": "followup.models.Control.Decision",
        "ControlCheckKindEnum": "followup.models.ControlCheck.Kind",
        "CheckResultEnum": "followup.models.CheckResult",
        "FeedbackStatusEnum": "followup.models.Feedback.Status",
        "FeedbackCategoryEnum": "followup.models.FeedbackCategory",
        "FeedbackClosingEnum": "followup.models.Feedback.Closing",
        "DeepControlReasonEnum": "followup.models.DeepControl.Reason",
        "DeepControlOutcomeEnum": "followup.models.DeepControl.Outcome",
        "OrderStopDecisionEnum": "followup.models.DeepControl.OrderStopDecision",
        "SiteVisitAssessmentEnum": "followup.models.SiteVisit.Assessment",
    },
}

# --- Logging -----------------------------------------------------------------------------
# Log lines carry IDs, never names or personal identity numbers (see README, "Privacy").
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# The admin lives at a configurable path so that it is not where scanners look first.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").lstrip("/")
