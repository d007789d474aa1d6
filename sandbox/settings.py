"""Settings of the sandbox: a separate Django project with its own database.

Everything comes from the environment so that a test can start a private sandbox on a temporary database.
The sandbox never shares settings, database or apps with the portal.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in {"1", "true", "yes", "on"}


def _database_path() -> Path:
    url = os.environ.get("SANDBOX_DATABASE_URL", "").strip()
    if url:
        if not url.startswith("sqlite:///"):
            raise RuntimeError(
                "SANDBOX_DATABASE_URL must be a sqlite:/// URL (the sandbox keeps its state in SQLite)"
            )
        return Path(url.removeprefix("sqlite:///"))
    return Path(os.environ.get("SANDBOX_DB", "").strip() or VAR_DIR / "sandbox.sqlite3")


SANDBOX_DB_PATH = _database_path()

SECRET_KEY = os.environ.get("SANDBOX_SECRET_KEY", "sandbox-only-insecure-key")
DEBUG = _env_bool("SANDBOX_DEBUG", False)
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = ["sandbox.apps.SandboxConfig"]
MIDDLEWARE = ["sandbox.middleware.RequestLogMiddleware"]
ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(SANDBOX_DB_PATH),
        # Each of the server's threads keeps its connection: opening one (and its pragmas) and closing it (the
        # last one closed checkpoints the WAL) for every request cost more than most answers.
        "CONN_MAX_AGE": None,
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "sandbox": {"handlers": ["console"], "level": os.environ.get("SANDBOX_LOG_LEVEL", "WARNING")}
    },
}

# --- The sandbox's own knobs -------------------------------------------------------------------------------
# Where the contract lives (request validation and the rule registry read it).
SANDBOX_CONTRACT = Path(
    os.environ.get("SANDBOX_CONTRACT", "").strip() or BASE_DIR / "contract" / "openapi.yaml"
)
# The bot message and Incoming Webhook endpoints' own contract (issue 56), apart from the Partner API's.
SANDBOX_MESSAGING_CONTRACT = Path(
    os.environ.get("SANDBOX_MESSAGING_CONTRACT", "").strip() or BASE_DIR / "contract" / "messaging.yaml"
)
# Business time zone: dates of the contract's rules ("from tomorrow") are evaluated here.
SANDBOX_TIME_ZONE = os.environ.get("SANDBOX_TIME_ZONE", "Asia/Tokyo")
# Requests per minute per API operation per client (common.notes.md: 240/min).
SANDBOX_RATE_LIMIT = _env_int("SANDBOX_RATE_LIMIT", 240)
SANDBOX_RATE_WINDOW_SECONDS = _env_int("SANDBOX_RATE_WINDOW_SECONDS", 60)
# Access-token lifetime in seconds (the real service offers 1 h or 24 h); short in tests.
SANDBOX_TOKEN_LIFETIME = _env_int("SANDBOX_TOKEN_LIFETIME", 86400)
SANDBOX_REFRESH_TOKEN_LIFETIME = _env_int("SANDBOX_REFRESH_TOKEN_LIFETIME", 90 * 86400)
SANDBOX_REFRESH_ROTATION = _env_bool("SANDBOX_REFRESH_ROTATION", False)
# /_sandbox/* answers on loopback, or anywhere with this secret in the X-Sandbox-Admin-Secret header.
SANDBOX_ADMIN_SECRET = os.environ.get("SANDBOX_ADMIN_SECRET", "")
# The request log keeps this many entries (oldest pruned); 0 turns it off.
SANDBOX_REQUEST_LOG_SIZE = _env_int("SANDBOX_REQUEST_LOG_SIZE", 5000)
# Plain login of the authorization-code flow's login page.
SANDBOX_LOGIN_USER = os.environ.get("SANDBOX_LOGIN_USER", "admin@partner-demo.by-works.com")
SANDBOX_LOGIN_PASSWORD = os.environ.get("SANDBOX_LOGIN_PASSWORD", "sandbox-password")
SANDBOX_PARTNER_NAME = os.environ.get("SANDBOX_PARTNER_NAME", "Sandbox Partner K.K.")
# The company's identity provider the sandbox also plays (sandbox/identity.py, /oidc/...): the portal's client
# registration with it, and the prefixes its sign-in may return to (a real provider registers exact URLs).
SANDBOX_OIDC_CLIENT_ID = os.environ.get("SANDBOX_OIDC_CLIENT_ID", "partner-portal")
SANDBOX_OIDC_CLIENT_SECRET = os.environ.get("SANDBOX_OIDC_CLIENT_SECRET", "sandbox-oidc-secret")
SANDBOX_OIDC_REDIRECT_PREFIXES = os.environ.get(
    "SANDBOX_OIDC_REDIRECT_PREFIXES", "http://127.0.0.1 http://localhost http://[::1]"
)
