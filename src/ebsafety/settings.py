"""Settings for ebsafety, read from the environment (see .env.example and README)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("EBSAFETY_VAR_DIR", PROJECT_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """Read a setting; NAME_FILE (a path holding the value) wins over NAME, as for Docker secrets."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env(name, str(default))
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment; for a local set-up, one generated once and kept under var/."""
    key = env("SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_NAME = env("SITE_NAME", "电动自行车消防安全专项整治平台")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_tables2",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "ebsafety.core",
    "ebsafety.ledgers",
    "ebsafety.inspections",
    "ebsafety.tips",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ebsafety.core.middleware.ChangeContextMiddleware",
    "ebsafety.core.middleware.PasswordChangeRequiredMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ebsafety.urls"
WSGI_APPLICATION = "ebsafety.wsgi.application"

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
                "ebsafety.core.context_processors.platform",
            ],
        },
    }
]

# Database: embedded SQLite by default; DATABASE_URL (postgres://…) in production.
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(VAR_DIR / "ebsafety.sqlite3")),
            "OPTIONS": {
                # WAL lets the web process read while the worker writes; IMMEDIATE avoids
                # lock-upgrade deadlocks between the two.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        # Job progress is shared between the worker and the web process through the cache, so the
        # default must be cross-process: a file cache under var/, or CACHE_URL (redis://…) in production.
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
if env("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("REDIS_URL"),
    }

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ebsafety.core.validators.CharacterClassValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock-out after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
# The client's address for lock-out: behind PROXY_COUNT proxies, from X-Forwarded-For (see core.middleware).
AXES_CLIENT_IP_CALLABLE = "ebsafety.core.middleware.client_ip"

# Security: every HTTPS-only setting turns on with EBSAFETY_HTTPS=1 (production behind TLS).
HTTPS = env_bool("EBSAFETY_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_int("PROXY_COUNT", 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Large uploads and the checked rows of a large import wait here (not in /tmp: the systemd units give each
# service a private /tmp, and the daily clean-up of what a killed import leaves must see them all).
FILE_UPLOAD_TEMP_DIR = env("FILE_UPLOAD_TEMP_DIR", str(VAR_DIR / "tmp"))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Background work: the Django tasks API with its database backend (works on SQLite and PostgreSQL).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["ebsafety.core.api.permissions.HasRole"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/minute"},
    # Behind PROXY_COUNT proxies the throttles read the client from X-Forwarded-For, counted from the right.
    "NUM_PROXIES": env_int("PROXY_COUNT", 0) or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ebsafety API",
    "DESCRIPTION": "电动自行车消防安全专项整治平台 REST API (v1)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Choice sets shared by several components under one field name (the ledgers' status on every record).
    "ENUM_NAME_OVERRIDES": {
        "RecordStatusEnum": "ebsafety.ledgers.choices.RecordStatus",
        "RetireReasonEnum": "ebsafety.ledgers.choices.RetireReason",
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle text-nowrap mb-0"}

# Exports of up to this many rows finish in the request; larger ones run as background jobs.
EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 5000)

# Providers of the home page's "我的待办": explicit, one dotted path per app.
TODO_PROVIDERS = [
    "ebsafety.core.todos.core_todos",
    "ebsafety.ledgers.submissions.todos",
    "ebsafety.tips.todos.tips_todos",
    "ebsafety.inspections.todos.hazard_todos",
]

# Builders of `ebsafety demo` after the town itself (core/demo.py): each `builder(towns, rng, scale)`.
DEMO_BUILDERS = [
    "ebsafety.ledgers.submissions_demo.build_submissions_demo",
    "ebsafety.tips.demo.build_tips_demo",
    "ebsafety.inspections.demo.build_inspections_demo",
    "ebsafety.ledgers.demo.build_ledgers_demo",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "ebsafety@localhost")
ADMINS = [("admin", a) for a in env_list("ADMINS")]
WHITENOISE_MANIFEST_STRICT = False
AXES_VERBOSE = False
LEDGER_IMPORT_MAX_BYTES = env_int("LEDGER_IMPORT_MAX_BYTES", 300 * 1024 * 1024)
LEDGER_IMPORT_MAX_UNPACKED_BYTES = env_int("LEDGER_IMPORT_MAX_UNPACKED_BYTES", 2 * 1024 * 1024 * 1024)
LEDGER_IMPORT_INLINE_MAX_BYTES = env_int("LEDGER_IMPORT_INLINE_MAX_BYTES", 1024 * 1024)
UPLOAD_MAX_IMAGE_BYTES = env_int("UPLOAD_MAX_IMAGE_BYTES", 15 * 1024 * 1024)
UPLOAD_MAX_DOCUMENT_BYTES = env_int("UPLOAD_MAX_DOCUMENT_BYTES", 20 * 1024 * 1024)

# Periodic jobs run by `ebsafety scheduler` (started by `ebsafety serve`); each app appends its own.
SCHEDULED_JOBS = [
    "ebsafety.core.scheduler.deliver_webhooks_job",
    "ebsafety.inspections.reminders.daily_job",
    "ebsafety.ledgers.jobs.cleanup_job",
    "ebsafety.ledgers.jobs.freeze_job",
]

# Rewarded tips (有奖举报): public submissions per client address and per phone within a window, status
# lookups per address, the spam traps of the public page, and the address posters' QR codes open.
TIPS_SUBMIT_WINDOW_SECONDS = env_int("TIPS_SUBMIT_WINDOW_SECONDS", 3600)
TIPS_SUBMIT_MAX_PER_ADDRESS = env_int("TIPS_SUBMIT_MAX_PER_ADDRESS", 20)
TIPS_SUBMIT_MAX_PER_PHONE = env_int("TIPS_SUBMIT_MAX_PER_PHONE", 5)
TIPS_LOOKUP_MAX_PER_ADDRESS = env_int("TIPS_LOOKUP_MAX_PER_ADDRESS", 120)
TIPS_LOOKUP_WINDOW_SECONDS = env_int("TIPS_LOOKUP_WINDOW_SECONDS", 600)
TIPS_MIN_FILL_SECONDS = env_int("TIPS_MIN_FILL_SECONDS", 3)
TIPS_PUBLIC_BASE_URL = env("TIPS_PUBLIC_BASE_URL")
# A CJK TrueType font (.ttf, or .ttc: its first face) embedded in the QR posters; without a usable file the
# posters fall back to a non-embedded CID font that readers without Asian font packs show as boxes.
TIPS_POSTER_FONT_PATH = env("TIPS_POSTER_FONT_PATH", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
TIPS_PROXY_COUNT = env_int("PROXY_COUNT", 0)
