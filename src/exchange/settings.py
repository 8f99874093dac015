"""Settings for every environment, read from the process environment (12-factor).

The same module serves the embedded default (SQLite, console e-mail, in-process
events) and production (PostgreSQL, SMTP, Redis): only environment variables differ.
Every variable is documented in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from whitenoise.compress import Compressor

from exchange import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the repository root
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Set SECRET_KEY (the same on every node), or leave it unset: each installation then generates
# its own into SECRET_KEY_FILE on first start (exchange/secret_key.py). Public or weak keys are
# refused unless DEBUG is on.
SECRET_KEY_FILE = env.path("SECRET_KEY_FILE", default=VAR_DIR / "secret_key")
try:
    SECRET_KEY = secret_key.check(
        env.str("SECRET_KEY", default="") or secret_key.installation_key(Path(SECRET_KEY_FILE)), debug=DEBUG
    )
except secret_key.InsecureSecretKey as error:
    raise ImproperlyConfigured(str(error)) from None
# The test client's "testserver" is added by Django's test set-up, not here.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
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
    "exchange.brokers",  # before listings: a broker's demo mandate comes before the draft it files
    "exchange.listings",
    "exchange.settlement",
    "exchange.bidding",
    "exchange.members",
    "exchange.trading",
    "exchange.deals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "exchange.core.security.SecurityHeadersMiddleware",
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
    "exchange.accounts.backends.ThrottleBackend",  # rate limits first (accounts/protection.py)
    "axes.backends.AxesStandaloneBackend",
    "exchange.accounts.backends.PhoneOrEmailBackend",
    "exchange.accounts.backends.SmsCodeBackend",  # phone + SMS code (purpose login)
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

# Login protection (accounts/protection.py, docs/members.md "Login protection").
# Lockout (django-axes) per account AND address: 5 wrong passwords for one account from one
# address lock that account from that address for 15 minutes; the owner elsewhere (at home,
# at the office) is not locked out by someone guessing. Guessing from many addresses is
# bounded by the rate limits below, which spare the account's known addresses.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# attempts while locked are refused without being written (no table growth, and the wait
# shown is the rest of the cool-off after the last real failure)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"  # the login field takes phone or e-mail
AXES_USERNAME_CALLABLE = "exchange.accounts.backends.axes_username"  # bounded, phone = e-mail
AXES_LOCKOUT_CALLABLE = "exchange.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "sms_code"]  # never in the lockout's records
# Rate limits, "N/period" with s, m, h, d (e.g. 20/15m), counted in the cache (REDIS_URL).
LOGIN_RATE_PER_ADDRESS = env.str("LOGIN_RATE_PER_ADDRESS", default="20/15m")  # failed logins, any account
LOGIN_RATE_PER_ACCOUNT = env.str("LOGIN_RATE_PER_ACCOUNT", default="20/1h")  # failed logins, any address
LOGIN_RATE_GLOBAL = env.str("LOGIN_RATE_GLOBAL", default="600/5m")  # failed logins, whole site
LOGIN_KNOWN_DAYS = env.int("LOGIN_KNOWN_DAYS", default=90)  # a successful login makes its address known
REGISTER_RATE_PER_ADDRESS = env.str("REGISTER_RATE_PER_ADDRESS", default="5/1h")
REGISTER_RATE_GLOBAL = env.str("REGISTER_RATE_GLOBAL", default="300/1h")
PASSWORD_RESET_RATE_PER_ADDRESS = env.str("PASSWORD_RESET_RATE_PER_ADDRESS", default="10/1h")
PASSWORD_RESET_RATE_GLOBAL = env.str("PASSWORD_RESET_RATE_GLOBAL", default="300/1h")
# SMS verification codes (accounts/sms_codes.py, docs/members.md "SMS codes"): registration, login
# by code, password reset by phone. A code lives SMS_CODE_TTL_SECONDS, is good for one use and
# SMS_CODE_MAX_ATTEMPTS wrong tries; one number gets a new code every SMS_CODE_RESEND_SECONDS at
# most, and the rates bound what one number, one address and the whole site may ask for (every
# SMS costs money, and sending them is a way to harass a number). The gateway: NOTIFY_SMS_BACKEND.
SMS_CODE_TTL_SECONDS = env.int("SMS_CODE_TTL_SECONDS", default=300)
SMS_CODE_MAX_ATTEMPTS = env.int("SMS_CODE_MAX_ATTEMPTS", default=5)
SMS_CODE_RESEND_SECONDS = env.int("SMS_CODE_RESEND_SECONDS", default=60)
SMS_CODE_RATE_PER_NUMBER = env.str("SMS_CODE_RATE_PER_NUMBER", default="5/1h")
SMS_CODE_RATE_PER_NUMBER_DAY = env.str("SMS_CODE_RATE_PER_NUMBER_DAY", default="10/1d")
SMS_CODE_RATE_PER_ADDRESS = env.str("SMS_CODE_RATE_PER_ADDRESS", default="20/1h")
SMS_CODE_RATE_GLOBAL = env.str("SMS_CODE_RATE_GLOBAL", default="1000/1h")

# --- uploads and request bodies: the one set of numbers (docs/operations.md, "Uploads") ----
# Every uploaded file passes exchange.core.uploads (type by content, size, pixels, server-made
# name). The request-body limits below are enforced by the web process (exchange.server.bridge) before
# a body is read: large bodies only on the upload routes, only from a logged-in user or a
# valid API token (exchange.core.request_limits); everything else is cut at REQUEST_MAX_BODY_BYTES.
MIB = 1024 * 1024
UPLOAD_MAX_IMAGE_BYTES = env.int("UPLOAD_MAX_IMAGE_BYTES", default=5 * MIB)  # each identity-document image
UPLOAD_MAX_IMAGE_PIXELS = env.int("UPLOAD_MAX_IMAGE_PIXELS", default=40_000_000)  # any uploaded image
UPLOAD_MAX_DOCUMENT_BYTES = env.int(
    "UPLOAD_MAX_DOCUMENT_BYTES", default=20 * MIB
)  # listing attachments, bank files, imports
UPLOAD_MAX_MATERIAL_BYTES = env.int("UPLOAD_MAX_MATERIAL_BYTES", default=10 * MIB)  # each file of a buyer application
UPLOAD_MAX_VIDEO_BYTES = env.int("UPLOAD_MAX_VIDEO_BYTES", default=200 * MIB)  # listing videos
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=1 * MIB)  # any request that is not an upload
# a body must arrive within REQUEST_BODY_TIMEOUT seconds plus one second per
# REQUEST_BODY_MIN_RATE bytes announced (slow-body attacks hold a worker's memory and threads)
REQUEST_BODY_TIMEOUT = env.float("REQUEST_BODY_TIMEOUT", default=20.0)
REQUEST_BODY_MIN_RATE = env.int("REQUEST_BODY_MIN_RATE", default=64 * 1024)
# the apps' names for the same numbers (listings.conf, trading.conf read these)
LISTINGS_ATTACHMENT_MAX_BYTES = UPLOAD_MAX_DOCUMENT_BYTES
LISTINGS_VIDEO_MAX_BYTES = UPLOAD_MAX_VIDEO_BYTES
TRADING_MATERIAL_MAX_BYTES = UPLOAD_MAX_MATERIAL_BYTES
# Django's own: form fields (not files) held in memory; a file above 256 KiB goes to a
# temporary file under FILE_UPLOAD_TEMP_DIR instead of memory
DATA_UPLOAD_MAX_MEMORY_SIZE = REQUEST_MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
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
# Content-Security-Policy (exchange.core.security): scripts only from the site's own static
# files, never inline; no plugins, no framing, forms post only to the site. The back office
# adds 'unsafe-eval' for django-unfold's Alpine.js. Uploads served back carry their own,
# sandboxing policy (exchange.core.uploads).
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
)
CONTENT_SECURITY_POLICY_ADMIN = env.str(
    "CONTENT_SECURITY_POLICY_ADMIN",
    default=CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-eval'"),
)
PERMISSIONS_POLICY = env.str(
    "PERMISSIONS_POLICY",
    default=(
        "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
        "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), bluetooth=(), hid=()"
    ),
)
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
