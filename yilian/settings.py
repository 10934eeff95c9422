"""Yilian settings: one file, driven by environment variables.

YILIAN_ENV=production switches on the hardened settings (secure cookies, HSTS, no DEBUG).
DATABASE_URL selects PostgreSQL; without it Yilian runs on SQLite in WAL mode.
"""

import json
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("YILIAN_DATA_DIR", BASE_DIR.parent / "var"))

ENV = os.environ.get("YILIAN_ENV", "development")
PRODUCTION = ENV == "production"
DEBUG = os.environ.get("YILIAN_DEBUG", "0" if PRODUCTION else "1") == "1"

_DEV_SECRET = "dev-only-not-secret-yilian"  # noqa: S105 — rejected in production below
SECRET_KEY = os.environ.get("YILIAN_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    raise RuntimeError("YILIAN_SECRET_KEY must be set to a random string of at least 50 characters")

ALLOWED_HOSTS = os.environ.get("YILIAN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("YILIAN_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_ratelimit",
    "csp",
    "import_export",
    "django_tasks",  # the django.tasks API (backport for Django 5.2); see "Background jobs" below
    "huey.contrib.djhuey",  # the worker that runs those tasks: `yilian worker`
    "yilian.core",
    "yilian.accounts",
    "yilian.network",
    "yilian.support",
    "yilian.familydoctor",
    "yilian.referrals",
    "yilian.notices",
    "yilian.telehealth",
    "yilian.indicators",
    "yilian.planning",
    "yilian.roster",
    "yilian.appointments",
    "yilian.ops",
]

MIDDLEWARE = [
    "yilian.ops.middleware.RequestContextMiddleware",  # first: times and logs everything below it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "yilian.accounts.middleware.NulByteMiddleware",
    "yilian.accounts.middleware.RateLimitMiddleware",
    "yilian.accounts.middleware.SecurityGateMiddleware",
]

ROOT_URLCONF = "yilian.urls"
WSGI_APPLICATION = "yilian.wsgi.application"

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
                "yilian.core.context.yilian",
            ],
        },
    }
]


def _database():
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("YILIAN_SQLITE_PATH", str(DATA_DIR / "yilian.sqlite3")),
        # WAL lets readers go on while the worker writes; IMMEDIATE avoids lock upgrades failing.
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password policy (等保 level 3): at least 12 characters from three of the four classes
# (lower case, upper case, digits, symbols), not common, not all digits, not like the user's name.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "yilian.accounts.passwords.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "yilian.accounts.passwords.PasswordAgeRecorder"},  # remembers when each password was set
]
# Periodic change (off by default): a user whose password is older is sent to change it.
YILIAN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("YILIAN_PASSWORD_MAX_AGE_DAYS", "0") or 0)

# Second factor (TOTP, django-otp): supervisors, staff and superusers must enrol; others may.
# YILIAN_DEMO_SKIP_MFA=1 lets demo supervisors in without it; production refuses to start with it.
_SKIP_MFA = os.environ.get("YILIAN_DEMO_SKIP_MFA", "0") == "1"
if PRODUCTION and _SKIP_MFA:
    raise RuntimeError("YILIAN_DEMO_SKIP_MFA is for demos only and must not be set in production")
YILIAN_MFA_REQUIRED = not _SKIP_MFA
OTP_TOTP_ISSUER = "Yilian"
OTP_TOTP_THROTTLE_FACTOR = 1  # wrong codes double the wait: 1 s, 2 s, 4 s …

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failures (django-axes): per user name and address.
AXES_FAILURE_LIMIT = int(os.environ.get("YILIAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("YILIAN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True

# Rate limits (django-ratelimit) on the login form, token issuing and every public- page, counted
# per client address in a cache all web processes share: a database table (created by the
# accounts migrations) or Redis when YILIAN_REDIS_URL is set.
YILIAN_LOGIN_RATE = os.environ.get("YILIAN_LOGIN_RATE", "20/m")
YILIAN_PUBLIC_RATE = os.environ.get("YILIAN_PUBLIC_RATE", "60/m")
YILIAN_PUBLIC_WRITE_RATE = os.environ.get("YILIAN_PUBLIC_WRITE_RATE", "10/m")
RATELIMIT_USE_CACHE = "ratelimit"
RATELIMIT_CACHE_TABLE = "yilian_ratelimit_cache"
# Behind a reverse proxy, name the header it sets (e.g. HTTP_X_FORWARDED_FOR); its last entry is used.
YILIAN_CLIENT_IP_HEADER = os.environ.get("YILIAN_CLIENT_IP_HEADER", "")
RATELIMIT_IP_META_KEY = "yilian.accounts.ratelimits.client_ip"
# The database cache's increment is not atomic: in a burst of concurrent requests a few more than the
# limit may pass. That is accepted for a database-only install; Redis (atomic INCR) is exact.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# Uploads: zip archives (xlsx) that would unpack to more than this, or that are compressed more than
# this ratio, are refused with 400 before any importer opens them (yilian/accounts/uploads.py).
FILE_UPLOAD_HANDLERS = [
    "yilian.accounts.uploads.ZipBombGuard",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
YILIAN_UPLOAD_MAX_UNPACKED_MB = int(os.environ.get("YILIAN_UPLOAD_MAX_UNPACKED_MB", "1000"))
YILIAN_UPLOAD_MAX_RATIO = int(os.environ.get("YILIAN_UPLOAD_MAX_RATIO", "100"))

# Idle logout: the session expires this long after the last request.
SESSION_COOKIE_AGE = int(os.environ.get("YILIAN_IDLE_TIMEOUT_MINUTES", "30")) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("YILIAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start otherwise
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("YILIAN_MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "yilian.ops.storage.AtomicFileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# CSP without inline scripts or styles, in every environment so tests catch violations.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
# Base map of the planning map, e.g. https://tiles.example.org/{z}/{x}/{y}.png (empty: no base map,
# the map still shows the network, facilities and cells). Its origin is allowed as an image source.
YILIAN_MAP_TILE_URL = os.environ.get("YILIAN_MAP_TILE_URL", "")
if YILIAN_MAP_TILE_URL.startswith(("https://", "http://")):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append("/".join(YILIAN_MAP_TILE_URL.split("/")[:3]))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("YILIAN_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("YILIAN_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Logs go to stderr; in production as one JSON object per line with the request id, so a log
# collector can join a request's lines across processes (YILIAN_LOG_FORMAT=text|json).
LOG_FORMAT = os.environ.get("YILIAN_LOG_FORMAT", "json" if PRODUCTION else "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "yilian.ops.context.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("YILIAN_LOG_LEVEL", "WARNING")},
    "loggers": {
        # one line per request (method, route, status, duration, user) when YILIAN_ACCESS_LOG=1
        "yilian.request": {"level": "INFO" if os.environ.get("YILIAN_ACCESS_LOG", "1" if PRODUCTION else "0") == "1"
                           else "WARNING"},
    },
}

# Operations: /healthz fails when a disk has less free space than this; /metrics answers these
# addresses, or a bearer token; a running job silent this long lost its worker and is recovered.
YILIAN_HEALTH_MIN_FREE_MB = int(os.environ.get("YILIAN_HEALTH_MIN_FREE_MB", "200"))
YILIAN_METRICS_ALLOWED_IPS = os.environ.get("YILIAN_METRICS_ALLOWED_IPS", "127.0.0.1,::1").split(",")
YILIAN_METRICS_TOKEN = os.environ.get("YILIAN_METRICS_TOKEN", "")
YILIAN_JOB_STALE_SECONDS = int(os.environ.get("YILIAN_JOB_STALE_SECONDS", "120"))

NINJA_PAGINATION_PER_PAGE = 50
YILIAN_PAGE_SIZE = 50
# Days at the grassroots a doctor needs before a senior-title promotion (one year, seed 001).
YILIAN_GRASSROOTS_DAYS_REQUIRED = int(os.environ.get("YILIAN_GRASSROOTS_DAYS_REQUIRED", "365"))


# ---------------------------------------------------------------------------- Background jobs
# Long work (reports for a whole city) is enqueued through the django.tasks API and run by a
# Huey worker: `yilian worker` (or `manage.py run_huey`). The queue is a SQLite file next to the
# database, so a single server needs nothing else; set YILIAN_REDIS_URL (redis://host:6379/0, with
# `pip install redis`) to share one queue between several machines. YILIAN_TASKS_IMMEDIATE=1 runs
# every job inline in the web process, which is only meant for tests and debugging.
_REDIS_URL = os.environ.get("YILIAN_REDIS_URL", "")
HUEY = {
    "name": "yilian",
    "huey_class": "huey.RedisHuey" if _REDIS_URL else "huey.SqliteHuey",
    **({"url": _REDIS_URL} if _REDIS_URL else {
        "filename": os.environ.get("YILIAN_TASK_QUEUE_PATH", str(DATA_DIR / "tasks.sqlite3")),
    }),
    "immediate": os.environ.get("YILIAN_TASKS_IMMEDIATE", "0") == "1",
    # an idle worker looks at the queue at least every second, so a report starts without delay
    "consumer": {"workers": int(os.environ.get("YILIAN_WORKERS", "2")), "worker_type": "thread",
                 "initial_delay": 0.1, "backoff": 1.15, "max_delay": 1.0},
}
TASKS = {"default": {"BACKEND": "huey.contrib.djhuey.tasks_backend.HueyBackend"}}
# A city's report PDF is laid out in this many processes at once (WeasyPrint uses one core each).
YILIAN_PDF_PROCESSES = int(os.environ.get("YILIAN_PDF_PROCESSES", str(min(2, os.cpu_count() or 1))))


# ------------------------------------------------------------- Cache (rate limits)
# One cache every web process shares; the rate limits of login and the public pages count in it.
# Redis when YILIAN_REDIS_URL is set (atomic counters, several machines); otherwise the database
# (table created by the migrations) on PostgreSQL, and files in var/cache on SQLite, where a cache
# write per public request would queue behind the database's single writer. YILIAN_CACHE overrides.
_CACHE = os.environ.get("YILIAN_CACHE", "redis" if _REDIS_URL else "database" if os.environ.get("DATABASE_URL")
                        else "file")
_CACHE_BACKEND = {
    "file": {"BACKEND": "yilian.appointments.cache.FileCache", "LOCATION": str(DATA_DIR / "cache"),
             "OPTIONS": {"MAX_ENTRIES": 100_000}},
    "database": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": RATELIMIT_CACHE_TABLE,
                 "OPTIONS": {"MAX_ENTRIES": 100_000}},
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL},
}[_CACHE]
CACHES = {"default": _CACHE_BACKEND, "ratelimit": {**_CACHE_BACKEND, "KEY_PREFIX": "ratelimit"}}

# E-mail goes through an SMTP server (a city's relay); SMS through an adapter for the city's provider:
# YILIAN_SMS_BACKEND is a dotted path to a class with send(phone, text) -> message id, and
# YILIAN_SMS_OPTIONS (JSON) its keyword arguments. The default writes messages to a file (var/sms.log).
EMAIL_HOST = os.environ.get("YILIAN_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("YILIAN_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("YILIAN_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("YILIAN_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("YILIAN_SMTP_TLS", "0") == "1"
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("YILIAN_FROM_EMAIL", "yilian@localhost")
YILIAN_SMS_BACKEND = os.environ.get("YILIAN_SMS_BACKEND", "yilian.notices.sms.FileSmsBackend")
YILIAN_SMS_OPTIONS = json.loads(os.environ.get("YILIAN_SMS_OPTIONS", "") or "{}")
if YILIAN_SMS_BACKEND.endswith("FileSmsBackend"):
    YILIAN_SMS_OPTIONS.setdefault("path", str(DATA_DIR / "sms.log"))
YILIAN_NOTICE_MAX_ATTEMPTS = int(os.environ.get("YILIAN_NOTICE_MAX_ATTEMPTS", "6"))
# New messages are sent by a worker sweep queued at most once per this many seconds per process.
YILIAN_NOTICE_SWEEP_SECONDS = float(os.environ.get("YILIAN_NOTICE_SWEEP_SECONDS", "1"))
