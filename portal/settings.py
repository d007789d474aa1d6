"""Settings of the Partner Portal, read from the environment (see `.env.example`).

Every variable has a default aimed at the local sandbox, except in production (DEBUG=false), where missing
secrets and Partner API credentials stop start-up with one message naming each of them.
"""

import logging
import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from portal import logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A `.env` file beside manage.py is read if present; real environment variables win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return env.str(name, default=default)


DEBUG = env.bool("DEBUG", default=True)

SECRET_KEY = _secret("SECRET_KEY", default="dev-only-insecure-key" if DEBUG else "")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "portal.core.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_structlog",
    # The portal's own JSON API (portal/core/api/); listed for its static files (Swagger UI, pinned with it).
    "ninja",
    "portal.core",
    "home",
    "accounts",
    "partner_account",
    "customers",
    "schedule",
    "search",
    "saved",
    "subscriptions",
    "options",
    "billing",
    "invoicing",
]

MIDDLEWARE = [
    # Times every request by its view for the metrics; not loaded while METRICS_ENABLED is false.
    "portal.core.metrics.RequestMetricsMiddleware",
    # First: every answer, a refusal by a later middleware included, gets its request id and its log line.
    "django_structlog.middlewares.RequestMiddleware",
    "portal.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body (CSRF's check and the views run after every middleware's __call__).
    "portal.core.middleware.RequestGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in: which device verified the session (django-otp, checked against the authenticators read with the
    # user: accounts/backends.py), the idle limit (which leaves a message), then two-factor sign-in for the roles
    # that need it (accounts/signin.py).
    "accounts.middleware.OTPUserMiddleware",
    "accounts.middleware.IdleSessionMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.core.middleware.VaryOnHtmxMiddleware",
    "portal.core.middleware.HtmxMessagesMiddleware",
    # Last, as django-axes asks: turns a sign-in refused for lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Largest request body accepted, in bytes: a larger one is answered 413 before it is read. The portal's forms
# are small; the one upload, a bank statement (invoicing/bank/reading.py), is read within this limit too.
PORTAL_MAX_REQUEST_BYTES = env.int("PORTAL_MAX_REQUEST_BYTES", default=1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = PORTAL_MAX_REQUEST_BYTES
# Most rows one bulk change may hold. The dry run's page posts one field per ticked row, and Django refuses a
# request of more than DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) fields.
BULK_MAX_ROWS = env.int("BULK_MAX_ROWS", default=500)
if not 1 <= BULK_MAX_ROWS <= 900:
    raise ValueError("BULK_MAX_ROWS must be between 1 and 900.")
# A bulk change waiting for a second person's approval (an Admin's approval rule) expires after this many hours:
# its rows are checked again only when it is approved, and a stale request should be asked again, not approved.
APPROVAL_HOURS = env.int("APPROVAL_HOURS", default=48)
if not 1 <= APPROVAL_HOURS <= 24 * 30:
    raise ValueError("APPROVAL_HOURS must be between 1 and 720.")

# --- The portal's own JSON API (portal/core/api/, docs/api.md) ---------------------------------------------
# Off: /api/v1/ answers 404 to every token (the tokens pages say so); people still make and revoke tokens. Off
# by default in production, so that an upgrade opens no new way in until the partner turns it on.
API_ENABLED = env.bool("API_ENABLED", default=DEBUG)
# Calls a token may make a minute, and at once after a quiet spell; beyond, 429 with Retry-After.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
API_RATE_BURST = env.int("API_RATE_BURST", default=20)
if not (1 <= API_RATE_LIMIT_PER_MINUTE <= 100_000 and 1 <= API_RATE_BURST <= 10_000):
    raise ValueError("API_RATE_LIMIT_PER_MINUTE must be 1-100000 and API_RATE_BURST 1-10000.")
# Largest body a write endpoint reads, in bytes (a larger one is refused with 413 before it is read).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=16_384)
if not 256 <= API_MAX_BODY_BYTES <= PORTAL_MAX_REQUEST_BYTES:
    raise ValueError("API_MAX_BODY_BYTES must be between 256 and PORTAL_MAX_REQUEST_BYTES.")
# Longest lifetime of a personal API token, in days (the lifetimes offered stop there).
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
if not 1 <= API_TOKEN_MAX_DAYS <= 3650:
    raise ValueError("API_TOKEN_MAX_DAYS must be between 1 and 3650.")

# How far a list counts its rows (portal.core.lists.paginate): past it, the list says "more than N match" and pages
# within the first N, so a count costs the same however many rows match (`python -m bench scale`).
LIST_COUNT_CAP = env.int("LIST_COUNT_CAP", default=1000)
# How far a searched list counts (portal.core.lists.searched_counts): a word found in most customers' names (a
# legal form) says "more than N match", so the page costs the same at 1,000 customers as at 50,000.
LIST_SEARCH_COUNT_CAP = env.int("LIST_SEARCH_COUNT_CAP", default=200)
# A word of the customers' search that at least this many customers hold has its customers kept as short lists
# (PostgreSQL: customers.services.search_kept), made again every SEARCH_KEPT_MINUTES after its customers change.
SEARCH_COMMON_WORD_CUSTOMERS = env.int("SEARCH_COMMON_WORD_CUSTOMERS", default=1000)
SEARCH_KEPT_MINUTES = env.int("SEARCH_KEPT_MINUTES", default=10)

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.core.context_processors.portal",
            ],
        },
    }
]

#: Widgets are drawn by Django's templates, but a plain <input> in Python (portal/core/rendering.py).
FORM_RENDERER = "portal.core.rendering.FormRenderer"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
# Connections are kept between requests (otherwise every page pays for opening a new PostgreSQL connection), and
# checked before a request reuses one, so a server restart or a dropped connection costs a reconnect, not an
# error page.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)  # the embedded default works on a fresh checkout, before any make target
    # Concurrent web + worker processes on one SQLite file: wait for locks, write-ahead log, and transactions
    # that take the write lock when they begin. A deferred transaction that reads first and then writes cannot
    # wait for the lock (SQLite answers "database is locked" at once); `make run`'s first sync lost customers
    # that way with two worker processes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            # mmap: pages are read from the file's memory map instead of one read() each into a 2 MB page cache
            # that a scan of every customer's search text overflows; it makes that scan cheaper, a gain too small
            # to tell apart in a whole page's time.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=268435456;",
            "transaction_mode": "IMMEDIATE",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Shared by web and worker processes on one machine, no server needed.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every sign-in first (throttling and lockout), then the users' own passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading each request's user with their role in one query.
    "accounts.backends.UserWithRoleBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Date rules of the contract ("from tomorrow to 31 days later") and every date shown use this zone.
BUSINESS_TIME_ZONE = env.str("BUSINESS_TIME_ZONE", default="Asia/Tokyo")
# Account managers read and change only the customers they own (customers.selectors.owned_by); off: everyone's.
PORTFOLIO_ONLY = env.bool("PORTFOLIO_ONLY", default=False)

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
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

# Without collectstatic (development, tests), WhiteNoise serves straight from the app and static folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Celery -------------------------------------------------------------------------------------------
# With REDIS_URL: Redis is broker and result backend. Without it: kombu's filesystem transport, which needs
# no server and still runs tasks in a real worker process. Eager mode is for unit tests only.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    _broker_dir = VAR_DIR / "celery" / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
# The queue tasks are sent to and workers read by default (a worker's own tasks, such as a notice's delivery after
# the change it reports, go there too).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
# Beat reads every crontab's hours and days in Celery's time zone (celery.schedules.crontab takes its app's): the
# business one, so the 08:00 digest goes out at 08:00 in Tokyo. Messages and ETAs stay in UTC (enable_utc).
CELERY_TIMEZONE = BUSINESS_TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Partner API ----------------------------------------------------------------------------------------
# Defaults point at the local sandbox (`make run` fills the credentials from `sandbox credentials --json`).
PARTNER_API_BASE_URL = env.str("PARTNER_API_BASE_URL", default="http://127.0.0.1:8001/v1.0")
PARTNER_API_TOKEN_URL = env.str("PARTNER_API_TOKEN_URL", default="http://127.0.0.1:8001/oauth2/v2.0/token")
PARTNER_API_AUTHORIZE_URL = env.str(
    "PARTNER_API_AUTHORIZE_URL", default="http://127.0.0.1:8001/oauth2/v2.0/authorize"
)
PARTNER_API_CLIENT_ID = _secret("PARTNER_API_CLIENT_ID")
PARTNER_API_CLIENT_SECRET = _secret("PARTNER_API_CLIENT_SECRET")
PARTNER_API_SERVICE_ACCOUNT = _secret("PARTNER_API_SERVICE_ACCOUNT")
PARTNER_API_PRIVATE_KEY_FILE = env.str("PARTNER_API_PRIVATE_KEY_FILE", default="")
PARTNER_API_SCOPE = env.str("PARTNER_API_SCOPE", default="partner")
PARTNER_API_CONNECT_TIMEOUT = env.float("PARTNER_API_CONNECT_TIMEOUT", default=5.0)
PARTNER_API_READ_TIMEOUT = env.float("PARTNER_API_READ_TIMEOUT", default=30.0)
PARTNER_API_MAX_RETRIES = env.int("PARTNER_API_MAX_RETRIES", default=3)
PARTNER_API_RATE_LIMIT = env.int("PARTNER_API_RATE_LIMIT", default=240)  # requests per minute per operation
# Calls of one operation that go on for more than PARTNER_API_SUSTAINED_MINUTES (no pause of a minute) keep to this
# share of the limit, as LINE WORKS asks of long runs (half, after 30 minutes): the resync, the refresh and a long
# bulk send alike, through the one limiter; a person's few changes still go at the full rate. 1 turns it off.
PARTNER_API_SUSTAINED_SHARE = env.float("PARTNER_API_SUSTAINED_SHARE", default=0.5)
PARTNER_API_SUSTAINED_MINUTES = env.float("PARTNER_API_SUSTAINED_MINUTES", default=30.0)
if not 0 < PARTNER_API_SUSTAINED_SHARE <= 1 or PARTNER_API_SUSTAINED_MINUTES < 0:
    raise ImproperlyConfigured(
        "PARTNER_API_SUSTAINED_SHARE must be above 0 and at most 1, and PARTNER_API_SUSTAINED_MINUTES not negative."
    )
# Encrypts OAuth tokens of a connected user account at rest (Fernet key); derived from SECRET_KEY if unset.
PARTNER_API_TOKEN_ENCRYPTION_KEY = _secret("PARTNER_API_TOKEN_ENCRYPTION_KEY")
# A change whose sender (worker or web process) died is read back within this many seconds of the death; the
# heartbeat's life and the reaper's period are derived from it and the timeouts above (portal/core/changes/timing.py).
CHANGES_SETTLE_SECONDS = env.int("CHANGES_SETTLE_SECONDS", default=120)
if CHANGES_SETTLE_SECONDS <= PARTNER_API_CONNECT_TIMEOUT + PARTNER_API_READ_TIMEOUT:
    raise ImproperlyConfigured(
        "CHANGES_SETTLE_SECONDS must be longer than PARTNER_API_CONNECT_TIMEOUT + PARTNER_API_READ_TIMEOUT: a lost "
        "sender's change is read back within it, the read-back call included."
    )

# --- History kept (portal/core/retention.py; the Admins' Data kept page) ------------------------------------
# Days each kind of history is kept before the nightly housekeeping (HOUSEKEEPING_HOUR, business time zone)
# removes it, HOUSEKEEPING_BATCH_SIZE rows a transaction. Issued invoices, credit notes, their PDFs and the audit
# entries of their issuing are kept for the legal minimum instead: 7 years from two months after the end of the
# tax period of their date, the partner's business year ending in TAX_YEAR_END_MONTH (12: the calendar year).
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=730)
RETENTION_OPERATION_DAYS = env.int("RETENTION_OPERATION_DAYS", default=365)
RETENTION_BATCH_DAYS = env.int("RETENTION_BATCH_DAYS", default=365)
RETENTION_SYNC_RUN_DAYS = env.int("RETENTION_SYNC_RUN_DAYS", default=90)
# Calls of the API (one row each, by token) and the first answers of its idempotent writes.
RETENTION_API_CALL_DAYS = env.int("RETENTION_API_CALL_DAYS", default=90)
# Sync runs and option usage are summed before they leave: runs by kind and day (kept RETENTION_SYNC_DAY_DAYS),
# those days by month (RETENTION_SYNC_MONTH_DAYS); daily option usage by customer, option and month.
RETENTION_SYNC_DAY_DAYS = env.int("RETENTION_SYNC_DAY_DAYS", default=730)
RETENTION_SYNC_MONTH_DAYS = env.int("RETENTION_SYNC_MONTH_DAYS", default=2557)
RETENTION_OPTION_USAGE_DAYS = env.int("RETENTION_OPTION_USAGE_DAYS", default=396)
RETENTION_OPTION_USAGE_MONTH_DAYS = env.int("RETENTION_OPTION_USAGE_MONTH_DAYS", default=2557)
# The copies the worker keeps (estimates, drafts): a month not worked out again for this long leaves (portal/core/kept.py).
RETENTION_KEPT_COPY_DAYS = env.int("RETENTION_KEPT_COPY_DAYS", default=90)
# Customers' usage snapshots (thinned after 120 days to what a month's check needs).
RETENTION_USAGE_SNAPSHOT_DAYS = env.int("RETENTION_USAGE_SNAPSHOT_DAYS", default=730)
# Sign-ins and failed tries (the Sign-ins page, django-axes' logs); sessions, the days after they expired.
RETENTION_SIGNIN_DAYS = env.int("RETENTION_SIGNIN_DAYS", default=365)
RETENTION_SESSION_DAYS = env.int("RETENTION_SESSION_DAYS", default=1)
# Who entered or left a followed group (the saved views room), told in the next morning's digest.
RETENTION_GROUP_CHANGE_DAYS = env.int("RETENTION_GROUP_CHANGE_DAYS", default=90)
# The ZIPs of issued documents exported for a tax officer or to leave the portal (invoicing's Records page).
RETENTION_RECORDS_EXPORT_DAYS = env.int("RETENTION_RECORDS_EXPORT_DAYS", default=30)
if RETENTION_RECORDS_EXPORT_DAYS < 1:
    raise ImproperlyConfigured("RETENTION_RECORDS_EXPORT_DAYS must be at least 1")
TAX_YEAR_END_MONTH = env.int("TAX_YEAR_END_MONTH", default=12)
HOUSEKEEPING_HOUR = env.int("HOUSEKEEPING_HOUR", default=3)
# The size of one table the Data kept page watches for: it says the month each table reaches it at its growth
# (or that the table levels off under it, its rows leaving by rule). Set it from the database's disk.
TABLE_SIZE_WATCH_GB = env.float("TABLE_SIZE_WATCH_GB", default=20.0)
HOUSEKEEPING_BATCH_SIZE = env.int("HOUSEKEEPING_BATCH_SIZE", default=500)

# --- Resync ---------------------------------------------------------------------------------------------
RESYNC_INTERVAL_MINUTES = env.int("RESYNC_INTERVAL_MINUTES", default=60)
# The continuous refresh (portal/core/sync/need.py): batch after batch at the rate limit, the customers that need
# it first (a decision due soon, opened or changed recently, a failed read), the rest oldest copy first. The full
# resync above still finds new and removed customers; with this on, it can run seldom (a day at 50,000 customers).
RESYNC_REFRESH = env.bool("RESYNC_REFRESH", default=True)
# While the refresh has customers people look at to read (a decision due soon, a page opened today), a full resync
# beside it keeps to this share of each operation's rate and the refresh has the rest (docs/resyncs.md).
RESYNC_FULL_SHARE_GIVING_WAY = env.float("RESYNC_FULL_SHARE_GIVING_WAY", default=0.1)
if not 0 < RESYNC_FULL_SHARE_GIVING_WAY <= 1:
    raise ImproperlyConfigured("RESYNC_FULL_SHARE_GIVING_WAY must be above 0 and at most 1.")
# One batch of it reads as many customers as the rate limit allows in this many seconds (one SyncRun each).
RESYNC_REFRESH_BATCH_SECONDS = env.int("RESYNC_REFRESH_BATCH_SECONDS", default=60)
STALE_AFTER_MINUTES = env.int("STALE_AFTER_MINUTES", default=180)
# Opening a customer page whose copy is older than this refreshes that customer in the background (ahead of the
# periodic resync, within the rate limits) and swaps the fresh sections in when done. 0 turns it off.
REFRESH_ON_OPEN_MINUTES = env.int("REFRESH_ON_OPEN_MINUTES", default=10)
#: How long a customer page waits for its background refresh before saying it did not come.
REFRESH_ON_OPEN_WAIT_SECONDS = 90

# --- Accounting -----------------------------------------------------------------------------------------
# The supplier of the partner's invoices, as the accounts-payable sub-account (買掛金の補助科目) of the journal for
# Yayoi Kaikei (billing/exports.py): the name the accountant registered in Yayoi for LINE WORKS.
YAYOI_SUPPLIER_NAME = env.str("YAYOI_SUPPLIER_NAME", default="LINE WORKS")
# The journals for accounting packages (portal/core/journals/, docs/downloads.md): the names each ledger's import
# matches against its masters (勘定科目, 税区分; Money Forward's インボイス column too), defaults as each ledger's
# standard masters name them. Each variable overrides some of them as key=name pairs separated by commas, e.g.
# MONEYFORWARD_NAMES=sales=売上高（サービス）,payable=未払金 ; an unknown key stops start-up. The supplier above (LINE
# WORKS' name in the ledger) is the payable's sub-account (Yayoi, Money Forward) or the counterparty (freee) in all three.
JOURNAL_NAMES_DEFAULT = {
    "yayoi": {
        "sales": "売上高",
        "receivable": "売掛金",
        "purchases": "仕入高",
        "payable": "買掛金",
        "tax_sales_10": "課税売上内10%",
        "tax_sales_8": "課税売上内軽減8%",
        "tax_purchase_10": "課対仕入内10%適格",
        "tax_purchase_10_transitional": "課対仕入内10%区分80%",
        "tax_purchase_10_transitional_late": "課対仕入内10%区分50%",
        "tax_outside": "対象外",
    },
    "moneyforward": {
        "sales": "売上高",
        "receivable": "売掛金",
        "purchases": "仕入高",
        "payable": "買掛金",
        "tax_sales_10": "課税売上 10%",
        "tax_sales_8": "課税売上 (軽)8%",
        "tax_purchase_10": "課税仕入 10%",
        "tax_outside": "対象外",
        "invoice_qualified": "適格",
        "invoice_transitional": "80%控除",
        "invoice_transitional_late": "50%控除",
    },
    "freee": {
        "sales": "売上高",
        "purchases": "仕入高",
        "tax_sales_10": "課税売上10%",
        "tax_sales_8": "課税売上8%（軽）",
        "tax_purchase_10": "課対仕入10%",
        "tax_purchase_10_transitional": "課対仕入（控80）10%",
        "tax_purchase_10_transitional_late": "課対仕入（控50）10%",
        "tax_outside": "対象外",
    },
}


def _journal_names(ledger: str) -> dict[str, str]:
    variable = f"{ledger.upper()}_NAMES"
    names = dict(JOURNAL_NAMES_DEFAULT[ledger])
    given = {key.strip(): value.strip() for key, value in env.dict(variable, default={}).items()}
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ImproperlyConfigured(
            f"{variable} names no such key: {', '.join(unknown)} (its keys: {', '.join(names)})"
        )
    names.update(given)
    return names


YAYOI_NAMES = _journal_names("yayoi")
MONEYFORWARD_NAMES = _journal_names("moneyforward")
FREEE_NAMES = _journal_names("freee")
# Whether the supplier (LINE WORKS) is a registered issuer of qualified invoices (適格請求書発行事業者: it is). False
# books its purchases under the transitional deduction for invoices of unregistered suppliers (経過措置): 80 % up to
# 2026-09-30, then the "_late" names above (50 % as the law first set it; the 2026 tax reform's 70 %, if it applies
# to the partner, is a matter of naming the ledger's category or label there).
JOURNAL_SUPPLIER_QUALIFIED = env.bool("JOURNAL_SUPPLIER_QUALIFIED", default=True)
# How the consumption tax of the partner's invoices to its customers is rounded, once per invoice and per rate:
# floor (down, the default), half_up or ceiling (invoicing/rules.py).
INVOICE_TAX_ROUNDING = env.str("INVOICE_TAX_ROUNDING", default="floor")
if INVOICE_TAX_ROUNDING not in ("floor", "half_up", "ceiling"):
    raise ImproperlyConfigured("INVOICE_TAX_ROUNDING must be floor, half_up or ceiling")
# Direct debit (口座振替, invoicing/bank/direct_debit.py): the partner as the collector (委託者) the bank knows, from
# its direct debit contract: the 10-digit collector code, the name in half-width kana, and the bank, branch and
# account credited. All empty (the default): direct debit is not offered. Checked strictly where set.
DIRECT_DEBIT_COLLECTOR_CODE = env.str("DIRECT_DEBIT_COLLECTOR_CODE", default="")
DIRECT_DEBIT_COLLECTOR_NAME = env.str("DIRECT_DEBIT_COLLECTOR_NAME", default="")
DIRECT_DEBIT_BANK_CODE = env.str("DIRECT_DEBIT_BANK_CODE", default="")
DIRECT_DEBIT_BANK_NAME = env.str("DIRECT_DEBIT_BANK_NAME", default="")
DIRECT_DEBIT_BRANCH_CODE = env.str("DIRECT_DEBIT_BRANCH_CODE", default="")
DIRECT_DEBIT_BRANCH_NAME = env.str("DIRECT_DEBIT_BRANCH_NAME", default="")
DIRECT_DEBIT_DEPOSIT_KIND = env.str("DIRECT_DEBIT_DEPOSIT_KIND", default="1")
DIRECT_DEBIT_ACCOUNT_NUMBER = env.str("DIRECT_DEBIT_ACCOUNT_NUMBER", default="")
if DIRECT_DEBIT_COLLECTOR_CODE:
    for _name, _digits in (
        ("DIRECT_DEBIT_COLLECTOR_CODE", 10),
        ("DIRECT_DEBIT_BANK_CODE", 4),
        ("DIRECT_DEBIT_BRANCH_CODE", 3),
        ("DIRECT_DEBIT_ACCOUNT_NUMBER", 7),
    ):
        if not (
            globals()[_name].isascii() and globals()[_name].isdigit() and len(globals()[_name]) == _digits
        ):
            raise ImproperlyConfigured(f"{_name} must be {_digits} digits")
    if DIRECT_DEBIT_DEPOSIT_KIND not in ("1", "2", "9"):
        raise ImproperlyConfigured("DIRECT_DEBIT_DEPOSIT_KIND must be 1 (普通), 2 (当座) or 9 (other)")
    if not DIRECT_DEBIT_COLLECTOR_NAME:
        raise ImproperlyConfigured("DIRECT_DEBIT_COLLECTOR_NAME is needed with DIRECT_DEBIT_COLLECTOR_CODE")
# Invoices per PDF-rendering task: a month's PDFs are rendered in chunks of this many, shared by the workers.
INVOICE_PDF_CHUNK = env.int("INVOICE_PDF_CHUNK", default=20)

# --- Documents: the issued invoices' and credit notes' PDFs (invoicing/storage.py, STORAGES["documents"]) ----------
# filesystem (the default): files under DOCUMENTS_DIR (relative to the repository unless absolute), for one host or
# a folder every host mounts; s3: a bucket of any S3-compatible store (AWS S3, MinIO, Ceph, ...) that every web and
# worker host reaches. The keys may stay empty where the host has its own (an instance role): boto3 finds them.
DOCUMENTS_STORAGE = env.str("DOCUMENTS_STORAGE", default="filesystem")
DOCUMENTS_DIR = BASE_DIR / env.str("DOCUMENTS_DIR", default="var/documents")
if DOCUMENTS_STORAGE == "filesystem":
    _documents = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(DOCUMENTS_DIR),
            "base_url": None,  # never served from the folder: invoicing:pdf reads and checks each file
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
elif DOCUMENTS_STORAGE == "s3":
    _documents = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DOCUMENTS_S3_BUCKET", default=""),
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DOCUMENTS_S3_REGION", default="") or None,
            "access_key": _secret("DOCUMENTS_S3_ACCESS_KEY_ID") or None,
            "secret_key": _secret("DOCUMENTS_S3_SECRET_ACCESS_KEY") or None,
            # A folder of the bucket the PDFs go under (empty: its root).
            "location": env.str("DOCUMENTS_S3_PREFIX", default=""),
            # path for most S3-compatible servers (MinIO); virtual (or empty) for AWS.
            "addressing_style": env.str("DOCUMENTS_S3_ADDRESSING_STYLE", default="") or None,
        },
    }
    if not _documents["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("DOCUMENTS_STORAGE is s3, so DOCUMENTS_S3_BUCKET must name the bucket.")
else:
    raise ImproperlyConfigured("DOCUMENTS_STORAGE must be filesystem or s3")
STORAGES["documents"] = _documents

# --- Mail: the daily digest of decisions -------------------------------------------------------------------
# Production sends through SMTP; in development (DEBUG, `make run`) each message is written to a file under
# var/mail/ to read, and nothing leaves the machine.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="") or (
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
# Relative to the repository unless absolute.
EMAIL_FILE_PATH = str(BASE_DIR / env.str("EMAIL_FILE_PATH", default="var/mail"))
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = _secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Partner Portal <portal@localhost>")
#: The partner tenant's bot that sends notices in LINE WORKS (portal/core/notices/); 0: none set, so a notice
#: by LINE WORKS is not delivered (the sandbox's is 2000001).
LINE_WORKS_BOT_ID = env.int("LINE_WORKS_BOT_ID", default=0)
#: Team rooms are added by an Incoming Webhook URL that starts with this (portal/core/notices/rooms.py).
LINE_WORKS_WEBHOOK_URL_PREFIX = env.str(
    "LINE_WORKS_WEBHOOK_URL_PREFIX", default="https://webhook.worksmobile.com/message/"
)
#: Events may be sent to addresses on the loopback or a private network (portal/core/events/delivery.py): off, so
#: that an Admin's endpoint cannot turn the sender against the portal's own network. On for an in-house receiver.
EVENTS_ALLOW_PRIVATE_ADDRESSES = env.bool("EVENTS_ALLOW_PRIVATE_ADDRESSES", default=False)
#: Events and their deliveries are kept this many days (portal/core/retention_rules.py).
RETENTION_EVENT_DAYS = env.int("RETENTION_EVENT_DAYS", default=30)
#: Notices are kept this many days after they were written (portal/core/retention_rules.py).
RETENTION_NOTICE_DAYS = env.int("RETENTION_NOTICE_DAYS", default=90)
# The portal's address as people reach it: the links in e-mails (no request to take it from).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Hour (business time zone) at which the daily digest of decisions is sent to each Account manager.
DIGEST_HOUR = env.int("DIGEST_HOUR", default=8)

# --- Sign-in -------------------------------------------------------------------------------------------
# Wrong passwords stop guessing where it comes from (accounts/signin.py): after SIGNIN_FAILURE_LIMIT for one
# user name from one address, or SIGNIN_ADDRESS_FAILURE_LIMIT from one address whatever the names, sign-in from
# that address is refused (429, the lockout page) for SIGNIN_LOCKOUT_MINUTES, doubled for every SIGNIN_FAILURE_LIMIT
# tries refused since (up to a day), or until an Admin unlocks it on the Sign-ins page. Never by user name alone: a stranger's
# guesses must not lock a person out from their own address.
AXES_FAILURE_LIMIT = env.int("SIGNIN_FAILURE_LIMIT", default=5)
SIGNIN_ADDRESS_FAILURE_LIMIT = env.int("SIGNIN_ADDRESS_FAILURE_LIMIT", default=20)
SIGNIN_LOCKOUT_MINUTES = env.int("SIGNIN_LOCKOUT_MINUTES", default=15)
AXES_COOLOFF_TIME = "accounts.signin.cool_off"  # SIGNIN_LOCKOUT_MINUTES, growing with each refused try
AXES_LOCKOUT_PARAMETERS = ["ip_address", ["username", "ip_address"]]  # an address; a user name from it
AXES_HANDLER = "accounts.signin.SigninAttempts"  # a limit for each of the two
AXES_USE_ATTEMPT_EXPIRATION = (
    True  # each counter expires on its own, so one client's lock never ends another's
)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.signin.lockout_response"  # the portal's own translated page, 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failure kept for the Sign-ins page, not only the counters
AXES_VERBOSE = False  # the sign-in log is the Sign-ins page, not one log line per attempt
# The client address: REMOTE_ADDR, or behind a proxy the header it sets (e.g. HTTP_X_FORWARDED_FOR, whose
# last address is the one the proxy saw).
SIGNIN_CLIENT_IP_HEADER = env.str("SIGNIN_CLIENT_IP_HEADER", default="")
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_USERNAME_CALLABLE = "accounts.signin.attempt_username"  # cut to a user name's length
# Sessions end after this many minutes without a request (accounts.middleware.IdleSessionMiddleware).
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
# The stored session outlives the idle limit by a day, so that the middleware, not a silent expiry, ends it and
# can tell the user why; it refuses an idle session on every request whatever the cookie says.
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60 + 86_400
# Two-factor sign-in (django-otp): the name authenticator apps show beside the portal's codes.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Partner Portal")

# --- Sign-in with the company's identity provider (OpenID Connect; accounts/oidc.py, docs/sign-in.md) ----------
# Off while OIDC_ISSUER is empty. On: the sign-in page offers "Sign in with OIDC_PROVIDER_NAME"; the provider's
# discovery document is read from OIDC_ISSUER/.well-known/openid-configuration, and its issuer must be this one.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="").strip()
OIDC_CLIENT_ID = _secret("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = _secret("OIDC_CLIENT_SECRET")
# The provider's name as people know it (Okta, Microsoft Entra ID, ...): the sign-in page's "Sign in with <name>".
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="")
OIDC_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
# The claim (of the ID token, else of userinfo) that lists the person's groups; a dotted path reads a nested one.
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
# Which groups give which role: "role:group,role:group" (roles: admin, account_manager, finance, support; a role
# may be named several times). A person in the groups of two roles gets the stronger one; in none, is refused.
OIDC_ROLE_GROUPS = env.str("OIDC_ROLE_GROUPS", default="")
# Who may still sign in with a password while OIDC_ISSUER is set: "admins" (the break-glass Admins) or "everyone".
OIDC_LOCAL_SIGNIN = env.str("OIDC_LOCAL_SIGNIN", default="admins")
# The address the provider returns to, as registered with it; empty: built from the request
# (<portal>/accounts/oidc/callback/).
OIDC_CALLBACK_URL = env.str("OIDC_CALLBACK_URL", default="")
# Seconds to wait for the provider's answers (discovery, token, keys, userinfo).
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
if OIDC_ISSUER:
    _oidc_needs = ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_PROVIDER_NAME", "OIDC_ROLE_GROUPS")
    _oidc_missing = [name for name in _oidc_needs if not globals()[name]]
    if _oidc_missing:
        raise ImproperlyConfigured(f"OIDC_ISSUER is set, so {', '.join(_oidc_missing)} must be set too.")
    for _item in OIDC_ROLE_GROUPS.split(","):
        _role, _colon, _group = (piece.strip() for piece in _item.partition(":"))
        if _role not in ("admin", "account_manager", "finance", "support") or not _group:
            raise ImproperlyConfigured(
                f"OIDC_ROLE_GROUPS: {_item.strip()!r} is not role:group (roles: admin, account_manager, finance, "
                "support)."
            )
if OIDC_LOCAL_SIGNIN not in ("admins", "everyone"):
    raise ImproperlyConfigured("OIDC_LOCAL_SIGNIN must be admins or everyone.")

# --- Content-Security-Policy (django-csp) ---------------------------------------------------------------
# Only the portal's own assets: scripts (htmx included, served from static files) and styles come from this
# origin, never inline; htmx's requests go back to it. Templates carry no inline script, style or handler.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- HTTPS behind a proxy (production) ------------------------------------------------------------------
# "HTTP_X_FORWARDED_PROTO,https" when a TLS-terminating proxy sets that header (and strips it from clients).
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header:
    if len(_proxy_header) != 2:
        raise ImproperlyConfigured(
            'SECURE_PROXY_SSL_HEADER must be "HEADER,value", e.g. HTTP_X_FORWARDED_PROTO,https'
        )
    SECURE_PROXY_SSL_HEADER = (_proxy_header[0], _proxy_header[1])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes of the orchestrator speak plain HTTP inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # Asking browsers' preload lists for the domain is the owner's decision (SECURE_HSTS_PRELOAD=true), not a
    # default: check --deploy's reminder of it is silenced while it is deliberately off.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# --- Seeing it run: metrics for Prometheus, error tracking --------------------------------------------------
# GET /metrics (portal/core/metrics.py): off unless METRICS_ENABLED; then only for a scraper sending
# "Authorization: Bearer <METRICS_TOKEN>" (anything else is a plain 404).
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
METRICS_TOKEN = _secret("METRICS_TOKEN")
if METRICS_ENABLED and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_ENABLED is true, so METRICS_TOKEN must be set to a random string of at least 32 characters, "
        "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
    )
if METRICS_ENABLED and not DEBUG and not REDIS_URL:
    raise ImproperlyConfigured(
        "METRICS_ENABLED is true, so REDIS_URL is required: the counts of every web and worker process are kept "
        "there (without it, each process would report only its own)."
    )
# Error tracking by Sentry (portal/sentry.py): off unless SENTRY_DSN is set; events are scrubbed as logs are.
SENTRY_DSN = _secret("SENTRY_DSN")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="") or ("development" if DEBUG else "production")

# --- Production checks ----------------------------------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    _required = {
        "SECRET_KEY": SECRET_KEY,
        "PARTNER_API_CLIENT_ID": PARTNER_API_CLIENT_ID,
        "PARTNER_API_CLIENT_SECRET": PARTNER_API_CLIENT_SECRET,
        "PARTNER_API_SERVICE_ACCOUNT": PARTNER_API_SERVICE_ACCOUNT,
        "PARTNER_API_PRIVATE_KEY_FILE": PARTNER_API_PRIVATE_KEY_FILE,
    }
    _missing = sorted(name for name, value in _required.items() if not value)
    if _missing:
        raise ImproperlyConfigured(
            "DEBUG is false, so these settings are required but missing: " + ", ".join(_missing)
        )

# Logs (portal/logs.py): one structured line per request and per task, with the request id that follows a change
# into its task and audit entry. LOG_FORMAT: json (the default with DEBUG=false) or console (readable).
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOG_FORMAT = env.str("LOG_FORMAT", default="") or ("console" if DEBUG else "json")
LOGGING = logs.configure(json=LOG_FORMAT == "json", level=LOG_LEVEL)
if SENTRY_DSN:
    from portal import sentry

    sentry.init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT)
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False  # a client's address is personal data; sign-ins keep theirs
DJANGO_STRUCTLOG_STATUS_START_LOG_LEVEL = logging.DEBUG  # one line per request at INFO: when it finished
DJANGO_STRUCTLOG_CELERY_TASK_START_LOG_LEVEL = logging.DEBUG  # one line per task at INFO: when it ended

# Tests share their SQLite database with worker and server processes, so it lives in a file.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One file per test run (pid), so parallel runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-portal-{os.getpid()}.sqlite3")}
