"""Roadie settings, built from config.env (the only reader of the environment)."""

import ipaddress
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, read_env

ENV = read_env()

DATA_DIR: Path = ENV.data_dir
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = ENV.debug
# Without SECRET_KEY a per-data-dir key is generated once, so a newcomer needs no setup while
# sessions survive restarts; production sets SECRET_KEY (see README).
if ENV.secret_key:
    SECRET_KEY = ENV.secret_key
else:
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import secrets

        _key_file.write_text(secrets.token_urlsafe(64))
        _key_file.chmod(0o600)
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = [*ENV.allowed_hosts, "testserver"]
ROADIE_BASE_URL = ENV.base_url
ROADIE_MAIL_DOMAIN = ENV.mail_domain
ROADIE_MAIL_AUTHSERV_ID = ENV.mail_authserv_id
# Webhooks and chat channels never reach private, loopback or link-local addresses (a channel
# URL is typed by customers) unless the address lies in one of these networks.
try:
    ROADIE_WEBHOOK_ALLOWED_NETWORKS = [
        ipaddress.ip_network(n, strict=False) for n in ENV.webhook_allowed_networks
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"ROADIE_WEBHOOK_ALLOWED_NETWORKS: {error}") from error
ROADIE_REOPEN_WINDOW_DAYS = ENV.reopen_window_days
ROADIE_MAX_UPLOAD_BYTES = ENV.max_upload_bytes
ROADIE_IMAP_URL = ENV.imap_url

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "huey.contrib.djhuey",
    "ninja",
    "roadie.core",
    "roadie.customers",
    "roadie.accounts",
    "roadie.notifications",
    "roadie.sla",
    "roadie.oncall",
    "roadie.tickets",
    "roadie.monitoring",
    "roadie.releases",
    "roadie.scorecard",
    "roadie.console",
    "roadie.portal",
    "roadie.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(ENV.database_url, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers proceed while the worker writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Keep connections: opening one runs the PRAGMAs above on every request otherwise.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    DATABASES["default"]["TEST"] = {"NAME": ""}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if ENV.testing:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = ENV.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "media"), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if ENV.testing
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = DATA_DIR / "media"
WHITENOISE_USE_FINDERS = ENV.testing or DEBUG
WHITENOISE_AUTOREFRESH = ENV.testing

# Uploads above this stay on disk while being read; the hard limit is ROADIE_MAX_UPLOAD_BYTES.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = ENV.max_upload_bytes + 1024 * 1024


def _email_settings(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    scheme = parsed.scheme
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "memory":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": parsed.path,
        }
    if scheme in {"smtp", "smtp+tls", "smtps"}:
        query = parse_qs(parsed.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parsed.hostname or "localhost",
            "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parsed.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
            "EMAIL_USE_TLS": scheme == "smtp+tls",
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_TIMEOUT": int(query.get("timeout", ["10"])[0]),
        }
    raise ValueError(f"EMAIL_URL: unsupported scheme {scheme!r}")


globals().update(_email_settings(ENV.email_url))
DEFAULT_FROM_EMAIL = f"Roadie <support@{ENV.mail_domain}>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

if ENV.redis_url:
    HUEY = {
        # Priorities: pages and urgent messages before routine deliveries.
        "huey_class": "huey.PriorityRedisHuey",
        "name": "roadie",
        "url": ENV.redis_url,
        "immediate": ENV.testing,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "roadie",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        # The outbox row is the durable record and the sweep re-queues what a crash lost, so the
        # job queue need not sync to disk on every enqueue.
        "fsync": False,
        "immediate": ENV.testing,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag; see base.html
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if ENV.https:
    SECURE_SSL_REDIRECT = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [ENV.base_url]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"roadie": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
