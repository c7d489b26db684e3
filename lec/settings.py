"""Settings, all from environment variables with safe development defaults (api.md "Environment")."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = os.environ.get("LEC_ENV", "").lower() == "production"
DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = os.environ.get("SECRET_KEY") or (
    "" if PRODUCTION else "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
)
if PRODUCTION and not SECRET_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set when LEC_ENV=production")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "" if PRODUCTION else "*").split(",") if h.strip()
]
if not ALLOWED_HOSTS and PRODUCTION:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0") or 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "simple_history",
    "import_export",
    "django_htmx",
    "csp",
    "django_prometheus",
    "lec",
    "lec.filestore",
    "schools",
    "accounts",
    "students",
    "confirmations",
    "budget",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "lec.ops.ProbeMiddleware",
    "lec.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "lec.middleware.SessionIdleMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "lec.middleware.HostileInputMiddleware",
    "lec.middleware.NoStoreMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "lec.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "lec.urls"
WSGI_APPLICATION = "lec.wsgi.application"

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
                "lec.context_processors.shell",
            ],
            "builtins": ["lec.templatetags.thai"],
        },
    }
]

# Databases: SQLite for `make run`, PostgreSQL when DATABASE_URL is set (CI, production).
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # The whole database fits in memory: PostgreSQL's default random_page_cost (4, for spinning disks) makes
        # it seq-scan the snapshot and counter tables for a province's subtree instead of using their indexes
        # (docs/performance.md: 110 ms → 25 ms for a province dashboard's confirmed totals). Server-side cursors
        # (exports, .iterator()) are always read to the end: plan them for the whole result, not the first 10 %
        # (a province's CSV export: 15 s → 0.6 s at national scale).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            "-c random_page_cost=1.1 -c cursor_tuple_fraction=1.0"
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
        }
    }
# A hot standby for report reads (lec/db_router.py says which reads; the rest, and all writes, stay on default).
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "") if DATABASE_URL else ""
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), "connect_timeout": 2}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["lec.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                      "lec.db_router.ReplicaMiddleware")  # fmt: skip
LEC_REPLICA_MAX_LAG = float(os.environ.get("LEC_REPLICA_MAX_LAG", "5"))
LEC_REPLICA_PIN_SECONDS = float(os.environ.get("LEC_REPLICA_PIN_SECONDS", "15"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Django's Redis cache, one client per connection pool (lec/cache.py)
    CACHES = {"default": {"BACKEND": "lec.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Per process. It holds the national totals' per-province parts (their counters are in PostgreSQL then,
    # lec.lib.generations): 76 provinces × 5 parts × 2 shapes must not be culled at the default 300 entries.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker that dies mid-task (kill -9, OOM, a lost machine) leaves its message unacknowledged: the pool's parent
# re-queues it at once when only a child died, and Redis hands it out again after the visibility timeout when
# the whole worker is gone. The timeout must exceed the longest task (a national export, minutes), or a slow
# task would be delivered twice while still running; the jobs' own lease (LEC_JOB_LEASE_SECONDS, renewed by a
# heartbeat, re-queued by the beat task below) brings a dead worker's job back much sooner than this.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("LEC_VISIBILITY_TIMEOUT", "1800"))
}
CELERY_TASK_TIME_LIMIT = 1500  # below the visibility timeout: a hung task is killed before it is re-delivered
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# A running job renews its lease every 5 s (lec.jobs.heartbeat); 60 s without renewal means its worker is gone.
LEC_JOB_LEASE_SECONDS = int(os.environ.get("LEC_JOB_LEASE_SECONDS", "60"))
CELERY_TIMEZONE = "Asia/Bangkok"
CELERY_BEAT_SCHEDULE = {
    "rounds-open-and-close": {"task": "confirmations.tasks.rounds_tick", "schedule": 60.0},
    "round-reminders": {"task": "confirmations.tasks.send_round_reminders", "schedule": 3600.0},
    "verify-counts-nightly": {"task": "lec.tasks.verify_counts", "schedule": 24 * 3600.0},
    "purge-job-files-nightly": {"task": "lec.tasks.purge_job_files", "schedule": 24 * 3600.0},
    "requeue-stale-jobs": {
        "task": "lec.jobs.requeue_stale_jobs",
        "schedule": max(1.0, LEC_JOB_LEASE_SECONDS / 2),
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [  # Django's checks with our Thai words (accounts/password_validation.py)
    {"NAME": "accounts.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "accounts.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "accounts.password_validation.CommonPasswordValidator"},
    {"NAME": "accounts.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "lec.lib.net.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
# Besides axes' username+address lockout: failures from one address (password spraying over many usernames)
# and failures everywhere in a window are throttled too (accounts/throttle.py).
LEC_LOGIN_ADDRESS_FAILURES = int(os.environ.get("LEC_LOGIN_ADDRESS_FAILURES", "20"))
LEC_LOGIN_GLOBAL_FAILURES = int(os.environ.get("LEC_LOGIN_GLOBAL_FAILURES", "500"))
LEC_LOGIN_WINDOW_SECONDS = int(os.environ.get("LEC_LOGIN_WINDOW_SECONDS", "900"))
# Two-factor sign-in (api.md Environment): officers of the department and provinces, staff and superusers must
# enrol a TOTP device at their next browser sign-in.
LEC_REQUIRE_2FA = env_bool("LEC_REQUIRE_2FA", PRODUCTION)
OTP_TOTP_ISSUER = "LEC"
# Forgotten-password links by e-mail: one hour, single use (the token changes with the password).
PASSWORD_RESET_TIMEOUT = 3600

LANGUAGE_CODE = "th"
LANGUAGES = [("th", _("Thai")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Bangkok"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Job uploads and prepared exports must be readable by every web node and worker: in production they live in
# PostgreSQL (lec/filestore, docs/deployment.md "File storage"); `make run` keeps them under MEDIA_ROOT.
LEC_FILE_STORAGE = os.environ.get("LEC_FILE_STORAGE", "database" if PRODUCTION else "filesystem")
STORAGES = {
    "default": {
        "BACKEND": "lec.filestore.storage.DatabaseStorage"
        if LEC_FILE_STORAGE == "database"
        else "django.core.files.storage.FileSystemStorage"
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Each node of `make cluster` has its own (deploy/cluster.py); shared files live in the configured storage.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "media")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

# Sessions end after 30 idle minutes; lec.middleware.SessionIdleMiddleware pushes the end forward (once a minute).
SESSION_COOKIE_AGE = 30 * 60
# Sessions in the database, not Redis: users stay signed in through a Redis restart, and a web node holds none.
SESSION_ENGINE = "lec.sessions"  # the db store, its read as one plain query (lec/sessions.py)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# A session lives at most 12 hours however busy (lec.middleware.SessionIdleMiddleware), then signs in again.
LEC_SESSION_ABSOLUTE_SECONDS = int(os.environ.get("LEC_SESSION_ABSOLUTE_SECONDS", str(12 * 3600)))
# Lookups of a learner by identity (search, 409 holder, transfer) per user per window (students.lookups).
LEC_IDENTITY_LOOKUPS = int(os.environ.get("LEC_IDENTITY_LOOKUPS", "30"))
LEC_IDENTITY_LOOKUP_WINDOW = int(os.environ.get("LEC_IDENTITY_LOOKUP_WINDOW", "600"))
# Uploaded and exported files readable by the service's own user only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies: Secure, path /, no Domain, so a sibling subdomain cannot set or shadow them
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
    SECURE_SSL_HOST = None

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    vars().update(dj_email_url.parse(EMAIL_URL))
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "lec@localhost")

# Background-job and import limits (api.md "import_learners").
LEC_IMPORT_MAX_BYTES = 20 * 1024 * 1024
LEC_REMINDER_DAYS = int(os.environ.get("LEC_REMINDER_DAYS", "3"))
LEC_API_TOKEN_HOURS = 12

# JSON lines on stderr for web and worker (lec/logs.py): request id, user id, path, status, duration; every
# unhandled exception with its traceback (django.request), DEBUG or not; national IDs masked.
# LEC_LOG_FORMAT=text gives plain lines for a developer's terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_ids": {"()": "lec.logs.MaskNationalIds"}},
    "formatters": {
        "json": {"()": "lec.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if os.environ.get("LEC_LOG_FORMAT") == "text" else "json",
            "filters": ["mask_ids"],
        }
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "lec.audit": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}
# /metrics and /readyz's details answer a direct local caller, or one with `Authorization: Bearer <token>`.
LEC_METRICS_TOKEN = os.environ.get("LEC_METRICS_TOKEN", "")

SILENCED_SYSTEM_CHECKS: list[str] = []

# django-prometheus counts queries per database through its wrappers of Django's backends.
for _db in DATABASES.values():
    if _db["ENGINE"] in ("django.db.backends.postgresql", "django.db.backends.sqlite3"):
        _db["ENGINE"] = _db["ENGINE"].replace("django.db.backends.", "django_prometheus.db.backends.")
