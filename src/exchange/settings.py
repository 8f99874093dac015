"""Settings for every environment, read from the process environment (12-factor).

The same module serves the embedded default (SQLite, console e-mail, in-process
events) and production (PostgreSQL, SMTP, Redis): only environment variables differ.
Every variable is documented in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Province the exchange serves: default region of new projects, demo data and filters.
EXCHANGE_PROVINCE = env.str("EXCHANGE_PROVINCE", default="山西省")
EXCHANGE_NAME = env.str("EXCHANGE_NAME", default="山西产权交易中心")
EXCHANGE_NAME_EN = env.str("EXCHANGE_NAME_EN", default="Shanxi Property Rights Exchange")
# Contact details shown in the site footer (demo defaults; set the real ones in production).
EXCHANGE_ADDRESS = env.str("EXCHANGE_ADDRESS", default="山西省太原市小店区示范路 1 号（演示地址）")
EXCHANGE_HOTLINE = env.str("EXCHANGE_HOTLINE", default="0351-0000000（演示号码）")
EXCHANGE_EMAIL = env.str("EXCHANGE_EMAIL", default="service@demo.sxcq.cn")
EXCHANGE_ICP = env.str("EXCHANGE_ICP", default="")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "exchange.core.third_party_apps.AxesConfig",
    "auditlog",
    "import_export",
    "django_htmx",
    "ninja",
    "django_tasks",
    "exchange.core.third_party_apps.TasksDatabaseConfig",
    "exchange.core",
    "exchange.accounts",
    "exchange.portal",
    "exchange.listings",
    "exchange.settlement",
    "exchange.bidding",
    "exchange.members",
    "exchange.trading",
    "exchange.deals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "exchange.api_guard.ApiGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "exchange.urls"
WSGI_APPLICATION = "exchange.wsgi.application"
ASGI_APPLICATION = "exchange.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "exchange" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "exchange.portal.context_processors.site",
            ],
        },
    },
]

# --- database -----------------------------------------------------------------
# Embedded default: SQLite in WAL mode; every transaction BEGIN IMMEDIATE so that
# writers serialise at the start of a transaction instead of failing mid-way.
VAR_DIR.mkdir(exist_ok=True)
DATABASE_URL = env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"  # empty = unset
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;PRAGMA busy_timeout=20000;"
        ),
    }
    # Keep each thread's SQLite connection: opening one (file, PRAGMAs, Django's SQL
    # functions) cost about a third of a bid request's server time when done per request.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=600))
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache / pub-sub ----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- background tasks (Django 6 tasks API via the django-tasks backport) --------------
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- liveness (exchange.core.liveness) -------------------------------------------------
# Each web process writes a heartbeat this often (0: none — liveness not tracked); a gap
# longer than OUTAGE_AFTER_SECONDS between two beats is an outage: running auctions whose
# deadline fell in it are extended (docs/bidding.md, "Outages").
WEB_HEARTBEAT_SECONDS = env.float("WEB_HEARTBEAT_SECONDS", default=0.5)
OUTAGE_AFTER_SECONDS = env.float("OUTAGE_AFTER_SECONDS", default=2.0)
# Sealed quotes (一次报价) are kept here until the opening, outside the database (mode 0700;
# bidding/sealed.py). Several app nodes: a directory they share, like MEDIA_ROOT.
BIDDING_SEALED_DIR = env.str("BIDDING_SEALED_DIR", default="") or str(VAR_DIR / "sealed")
# bidding numbers from the environment (the others: exchange.bidding.conf's defaults)
BIDDING = {"OUTAGE_GRACE_SECONDS": env.int("BIDDING_OUTAGE_GRACE_SECONDS", default=30)}

# --- accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "exchange.accounts.backends.PhoneOrEmailBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env.bool("FAST_PASSWORD_HASHER", default=False):  # test runs only: argon2 is slow by design
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:landing"  # staff → back office, members → member center
LOGOUT_REDIRECT_URL = "portal:home"

# Lockout after repeated failures (django-axes): 5 wrong passwords for one account
# lock that account for 15 minutes, whatever the IP (a botnet cannot rotate around it).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the login field takes phone or e-mail
AXES_USERNAME_CALLABLE = "exchange.accounts.backends.axes_username"
AXES_LOCKOUT_CALLABLE = "exchange.accounts.views.lockout_response"
AXES_VERBOSE = False
# axes.W006 warns that locking by username alone lets an attacker rotate IPs; that is the
# point here: the account is what we protect, and offices share one IP behind NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Uploaded identity documents: size and type limits.
UPLOAD_MAX_IMAGE_BYTES = env.int("UPLOAD_MAX_IMAGE_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
PASSWORD_RESET_PER_HOUR = env.int("PASSWORD_RESET_PER_HOUR", default=3)  # reset mails per address

# --- e-mail: console in development, SMTP from EMAIL_URL in production ----------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@exchange.example.cn")

# --- i18n: Chinese first, English available -------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "src" / "exchange" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media: every asset served by the app, no CDN --------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STATICFILES_DIRS = [BASE_DIR / "src" / "exchange" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
# collectstatic keeps only the hashed names (pages only ever link those, through {% static %})
# and does not compress source maps (the API docs' are most of the bytes): ≈20 s → ≈6.5 s
# on a 2-core box, 33 MB → 17 MB, which `make run` waits for on a fresh machine.
WHITENOISE_KEEP_ONLY_HASHED_FILES = True
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "var" / "media")

# --- security ----------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env.bool("HTTPS", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # 4xx answers are the API's normal rejections (a hot auction answers bid_too_low many
        # times a second): Django would log each as a WARNING. Server errors (5xx) still log.
        "django.request": {"level": env.str("REQUEST_LOG_LEVEL", default="ERROR")},
        # PDF rendering (certificates, contracts, statements) logs every layout step at INFO
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# --- back office (django-unfold) ----------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": _("产权交易平台 · 管理后台"),
    "SITE_HEADER": _("产权交易平台"),
    "SITE_SUBHEADER": _("管理后台"),
    "SITE_URL": "/",
    "SITE_SYMBOL": "account_balance",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "SHOW_LANGUAGES": True,
    "COLORS": {
        "primary": {
            "50": "#fef2f2",
            "100": "#fde3e3",
            "200": "#fccbcb",
            "300": "#f8a5a5",
            "400": "#f27070",
            "500": "#e64444",
            "600": "#c8161d",
            "700": "#a8121a",
            "800": "#8b141a",
            "900": "#74161b",
            "950": "#3f0709",
        },
    },
    "SIDEBAR": {"show_search": True, "show_all_applications": True},
    "DASHBOARD_CALLBACK": "exchange.core.work_queues.dashboard_callback",
}

# Excel export of every admin list (django-import-export; formats set in core.admin):
# whoever may view a list may export it, imports need the model's "add" permission.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
