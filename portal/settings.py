"""Keydesk settings: the only module that reads os.environ.

Every value comes from the environment. Defaults are safe: without KEYDESK_DEV=1 a missing
SECRET_KEY, ALLOWED_HOSTS, KEYDESK_LDAP_URI or VAULT_ADDR stops startup with a message naming the
variable. KEYDESK_DEV=1 (the demo and the test command set it) fills in loopback defaults that
match the servers started by scripts/servers.sh.

Problems are collected, not raised one at a time: the helpers below note each missing or invalid
variable and return a placeholder, and the end of this module raises one ImproperlyConfigured
listing them all, one per line. Messages name the variable and what is expected, never its value
(a value may be a secret, or a URL with a password in it).
"""

import os
import re
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import ldap
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django_auth_ldap.config import GroupOfNamesType, LDAPGroupQuery, LDAPSearch

BASE_DIR = Path(__file__).resolve().parent.parent


# --- environment helpers -----------------------------------------------------------------------

_problems: list[str] = []


def problem(message: str) -> None:
    """Note a configuration problem; all of them are raised together at the end of this module."""
    _problems.append(message)


def env_str(name: str, default: str | None = None) -> str:
    """A string, stripped; blank (empty or only spaces) counts as not set."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        if default is None:
            problem(f"{name} is required (set it in the environment)")
            return ""
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    problem(f"{name} must be a boolean (1/0, true/false, yes/no, on/off)")
    return default


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """An integer; with `minimum`, smaller values (a zero timeout, a negative lifetime) are refused."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        problem(f"{name} must be an integer")
        return default
    if minimum is not None and number < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer of at least {minimum}"
        problem(f"{name} must be {expected}")
        return default
    return number


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Comma-separated items, stripped; a value with no item in it counts as not set."""
    items = [item.strip() for item in (os.environ.get(name) or "").split(",") if item.strip()]
    if not items:
        if default is None:
            problem(f"{name} is required (comma-separated list)")
            return []
        return list(default)
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default)
    if value not in choices:
        problem(f"{name} must be one of {', '.join(choices)}")
        return default
    return value


def env_secret(name: str, default: str | None = None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets).

    An empty or unreadable NAME_FILE is an error: it is a mounted secret gone wrong, not an empty
    password."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            secret = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            problem(f"{name}_FILE cannot be read ({exc.strerror or type(exc).__name__})")
            return ""
        except UnicodeDecodeError:
            problem(f"{name}_FILE is not UTF-8 text")
            return ""
        if not secret:
            problem(f"{name}_FILE names an empty file (expected the secret in it)")
        return secret
    value = os.environ.get(name)
    if value and value.strip():  # given as is: only a blank value counts as not set
        return value
    if default is None:
        problem(f"{name} (or {name}_FILE) is required")
        return ""
    return default


def env_file(name: str) -> str:
    """An optional path to a file that must exist when set (certificates, CA bundles)."""
    value = env_str(name, "")
    if value and not Path(value).exists():
        problem(f"{name} names a file that does not exist")
    return value


# Python dotted paths (a storage backend class): shape only; Django imports them.
DOTTED_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


# --- Django ------------------------------------------------------------------------------------

# Development mode fills loopback defaults; it never turns on DEBUG by itself.
KEYDESK_DEV = env_bool("KEYDESK_DEV", False)
DEBUG = env_bool("DJANGO_DEBUG", False)
if DEBUG and not KEYDESK_DEV:
    # Debug pages show settings, source and local variables to whoever triggers an error.
    problem("DJANGO_DEBUG=1 is allowed only together with KEYDESK_DEV=1 (never in production)")
# The demo's key is public (it is in this file): `check --deploy` refuses it (portal/web/checks.py).
KEYDESK_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_secret("SECRET_KEY", KEYDESK_DEV_SECRET_KEY if KEYDESK_DEV else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if KEYDESK_DEV else None)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "portal.web.views.csrf_failure"
# Error reports (debug page, mail to admins) also hide AppRole credentials and database URLs.
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.web.debug.KeydeskExceptionReporterFilter"

INSTALLED_APPS = [
    "portal.web.admin_config.KeydeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "template_partials",
    "csp",
    "portal.accounts",
    "portal.access",
    "portal.inventory",
    "portal.entitlements",
    "portal.vault",
    "portal.audit",
    "portal.web",
]

MIDDLEWARE = [
    # First, so every response has an X-Request-ID, the HTTPS redirect and static files included.
    "portal.audit.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.web.metrics.RequestMetricsMiddleware",
    "portal.web.middleware.RefuseNulBytesMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.web.middleware.VaryOnHtmxMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Private by default: every view needs a signed-in user unless marked @public.
    "portal.web.middleware.HtmxAwareLoginRequiredMiddleware",
    # After authentication and messages: may end a session whose directory account changed.
    "portal.accounts.middleware.DirectoryRecheckMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.web.context_processors.navigation",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    problem("TIME_ZONE must be an IANA time zone name (such as UTC or Europe/Zurich)")
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
_staticfiles_backend = env_str(
    "STATICFILES_BACKEND",
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if KEYDESK_DEV
    else "whitenoise.storage.CompressedManifestStaticFilesStorage",
)
if not DOTTED_PATH.match(_staticfiles_backend):
    problem("STATICFILES_BACKEND must be the dotted Python path of a storage class")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": _staticfiles_backend},
}

# In development whitenoise serves straight from static/ (no collectstatic needed between edits).
WHITENOISE_USE_FINDERS = KEYDESK_DEV
WHITENOISE_AUTOREFRESH = KEYDESK_DEV

# The vendored htmx release (installed from the npm package by scripts/lib.sh and the Dockerfile).
KEYDESK_HTMX_STATIC = "vendor/htmx-2.0.11.min.js"

# --- database ----------------------------------------------------------------------------------

DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")
_database_url = env_secret("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
_database_conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
try:
    if _database_url and urlsplit(_database_url).scheme not in DATABASE_SCHEMES:
        problem("DATABASE_URL must be a postgres://user:password@host:port/name or sqlite:///path URL")
        _database_url = ""
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url or "sqlite://", conn_max_age=_database_conn_max_age, conn_health_checks=True
        )
    }
except ValueError:
    # Not the exception's text: dj-database-url's messages may quote parts of the URL.
    problem("DATABASE_URL cannot be parsed (expected postgres://user:password@host:port/name)")
    DATABASES = {"default": dj_database_url.parse("sqlite://")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded demo database: several gunicorn workers write the audit chain at once. Take the
    # write lock at the start of each transaction and wait for it rather than fail.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# --- sessions and security headers --------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not KEYDESK_DEV)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not KEYDESK_DEV)
# The pages hand htmx the token from the template (base.html's hx-headers), so no script needs
# to read the cookie.
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not KEYDESK_DEV)
# Health checks come over plain HTTP from inside the container or the load balancer.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if KEYDESK_DEV else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not KEYDESK_DEV)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not KEYDESK_DEV)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy: only this origin's scripts, styles and requests; no inline script,
# no frames, no plugins. The templates and the vendored htmx need nothing more.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Sign-in throttling: this many failures within the window lock the login name (or, with the
# larger number, the source address) for the lockout time. Admins can unlock early.
KEYDESK_LOGIN_MAX_FAILURES = env_int("KEYDESK_LOGIN_MAX_FAILURES", 5, minimum=1)
KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("KEYDESK_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
KEYDESK_LOGIN_WINDOW_SECONDS = env_int("KEYDESK_LOGIN_WINDOW", 15 * 60, minimum=1)
KEYDESK_LOGIN_LOCKOUT_SECONDS = env_int("KEYDESK_LOGIN_LOCKOUT", 15 * 60, minimum=1)
# Session lifetime: signed out after this long in any case, and after this long without a request.
KEYDESK_SESSION_MAX_AGE_SECONDS = env_int("KEYDESK_SESSION_MAX_AGE", 8 * 3600, minimum=1)
KEYDESK_SESSION_IDLE_SECONDS = env_int("KEYDESK_SESSION_IDLE_TIMEOUT", 30 * 60, minimum=1)
SESSION_COOKIE_AGE = KEYDESK_SESSION_MAX_AGE_SECONDS
if env_bool("KEYDESK_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of the portal whose X-Forwarded-For entries are trusted for the
# source address (audit trail, per-address sign-in lockout). 0 means REMOTE_ADDR is used as-is,
# which behind a proxy is the proxy's address for every client: set it there.
KEYDESK_TRUSTED_PROXY_COUNT = env_int("KEYDESK_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- roles (LDAP group names) ------------------------------------------------------------------

KEYDESK_ENGINEER_GROUP = env_str("KEYDESK_ENGINEER_GROUP", "keydesk-engineers")
KEYDESK_ADMIN_GROUP = env_str("KEYDESK_ADMIN_GROUP", "keydesk-admins")
KEYDESK_AUDITOR_GROUP = env_str("KEYDESK_AUDITOR_GROUP", "keydesk-auditors")

# --- LDAP (django-auth-ldap) -------------------------------------------------------------------

AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.KeydeskLDAPBackend",
    # Local break-glass accounts (createsuperuser); never for accounts that came from the directory.
    "portal.accounts.backends.LocalAccountBackend",
]

AUTH_LDAP_SERVER_URI = env_str("KEYDESK_LDAP_URI", "ldap://127.0.0.1:3389" if KEYDESK_DEV else None)


def _is_server_url(url: str, schemes: tuple[str, ...]) -> bool:
    """scheme://host[:port][/...] with one of the schemes, a host and a numeric port if any."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)


# python-ldap takes several URIs separated by spaces (tried in turn).
if AUTH_LDAP_SERVER_URI and not all(
    _is_server_url(uri, ("ldap", "ldaps")) for uri in AUTH_LDAP_SERVER_URI.split()
):
    problem(
        "KEYDESK_LDAP_URI must be ldap://host[:port] or ldaps://host[:port] (several separated by spaces)"
    )
AUTH_LDAP_BIND_DN = env_str("KEYDESK_LDAP_BIND_DN", "cn=keydesk,ou=services,dc=example,dc=org")
AUTH_LDAP_BIND_PASSWORD = env_secret(
    "KEYDESK_LDAP_BIND_PASSWORD", "keydesk-bind-pass" if KEYDESK_DEV else None
)
AUTH_LDAP_START_TLS = env_bool("KEYDESK_LDAP_START_TLS", False)
KEYDESK_LDAP_USER_BASE = env_str("KEYDESK_LDAP_USER_BASE", "ou=people,dc=example,dc=org")
KEYDESK_LDAP_GROUP_BASE = env_str("KEYDESK_LDAP_GROUP_BASE", "ou=groups,dc=example,dc=org")
KEYDESK_LDAP_USER_ATTR = env_str("KEYDESK_LDAP_USER_ATTR", "uid")
# Extra filter ANDed into the user search: what an *active* account is in your directory. Disabled
# accounts then cannot sign in and lose their sessions at the next directory check. OpenLDAP with
# ppolicy (the demo): (!(pwdAccountLockedTime=*)); Active Directory:
# (!(userAccountControl:1.2.840.113556.1.4.803:=2)).
KEYDESK_LDAP_USER_FILTER = env_str(
    "KEYDESK_LDAP_USER_FILTER", "(!(pwdAccountLockedTime=*))" if KEYDESK_DEV else ""
)
AUTH_LDAP_USER_SEARCH = LDAPSearch(
    KEYDESK_LDAP_USER_BASE,
    ldap.SCOPE_SUBTREE,
    f"(&({KEYDESK_LDAP_USER_ATTR}=%(user)s){KEYDESK_LDAP_USER_FILTER})",
)
AUTH_LDAP_GROUP_SEARCH = LDAPSearch(KEYDESK_LDAP_GROUP_BASE, ldap.SCOPE_SUBTREE, "(objectClass=groupOfNames)")
AUTH_LDAP_GROUP_TYPE = GroupOfNamesType(name_attr="cn")
AUTH_LDAP_MIRROR_GROUPS = True
AUTH_LDAP_ALWAYS_UPDATE_USER = True
AUTH_LDAP_USER_ATTR_MAP = {
    "first_name": "givenName",
    "last_name": "sn",
    "display_name": "displayName",
    "email": "mail",
}
AUTH_LDAP_USER_FLAGS_BY_GROUP = {
    "is_staff": LDAPGroupQuery(f"cn={KEYDESK_ADMIN_GROUP},{KEYDESK_LDAP_GROUP_BASE}"),
}
LDAP_TIMEOUT_SECONDS = env_int("KEYDESK_LDAP_TIMEOUT", 5, minimum=1)
AUTH_LDAP_CONNECTION_OPTIONS = {
    ldap.OPT_NETWORK_TIMEOUT: LDAP_TIMEOUT_SECONDS,
    ldap.OPT_TIMEOUT: LDAP_TIMEOUT_SECONDS,
    ldap.OPT_REFERRALS: 0,
}
AUTH_LDAP_CACHE_TIMEOUT = 0
# Seconds between re-reads of a signed-in user's directory entry and groups (removal from a group or
# a disabled account takes effect within this interval; sensitive actions re-check at once).
KEYDESK_DIRECTORY_RECHECK_SECONDS = env_int("KEYDESK_DIRECTORY_RECHECK_SECONDS", 300, minimum=0)
# Reveal, rotate and update need a password entered within this many seconds (step-up).
KEYDESK_STEP_UP_SECONDS = env_int("KEYDESK_STEP_UP_SECONDS", 600, minimum=1)

# --- Vault / OpenBao ---------------------------------------------------------------------------

VAULT_ADDR = env_str("VAULT_ADDR", "http://127.0.0.1:8201" if KEYDESK_DEV else None)
# Plain http to a host other than loopback is a deploy-check warning (portal/vault/checks.py).
if VAULT_ADDR and not _is_server_url(VAULT_ADDR, ("http", "https")):
    problem("VAULT_ADDR must be an https://host[:port] (or http://) URL")
# AppRole is how the portal logs in; a plain token is accepted for development only.
VAULT_ROLE_ID = env_secret("VAULT_ROLE_ID", "" if KEYDESK_DEV else None)
VAULT_SECRET_ID = env_secret("VAULT_SECRET_ID", "" if KEYDESK_DEV else None)
VAULT_TOKEN = env_secret("VAULT_TOKEN", "") if KEYDESK_DEV else ""
VAULT_APPROLE_MOUNT = env_str("VAULT_APPROLE_MOUNT", "approle")


def _namespace_approles(directory: str) -> dict[str, tuple[str, str]]:
    """{namespace: (role_id, secret_id)} from DIR/<namespace>/role_id and DIR/<namespace>/secret_id:
    one AppRole inside each tenant namespace, so each tenant's secrets need that tenant's token."""
    if not directory:
        return {}
    root = Path(directory)
    if not root.is_dir():
        problem("VAULT_NAMESPACE_APPROLES_DIR must name a directory")
        return {}
    approles = {}
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            continue
        values = []
        for name in ("role_id", "secret_id"):
            try:
                values.append((entry / name).read_text(encoding="utf-8").strip())
            except OSError as exc:
                problem(f"VAULT_NAMESPACE_APPROLES_DIR: {entry.name}/{name} cannot be read ({exc.strerror})")
                values.append("")
                continue
            if not values[-1]:
                problem(f"VAULT_NAMESPACE_APPROLES_DIR: {entry.name}/{name} is empty")
        approles[entry.name] = (values[0], values[1])
    return approles


VAULT_NAMESPACE_APPROLES = _namespace_approles(env_str("VAULT_NAMESPACE_APPROLES_DIR", ""))
# A CA bundle file (or a directory of CA certificates, as requests accepts).
VAULT_CACERT = env_file("VAULT_CACERT")
VAULT_SKIP_VERIFY = env_bool("VAULT_SKIP_VERIFY", False)
if VAULT_SKIP_VERIFY and not KEYDESK_DEV:
    problem(
        "VAULT_SKIP_VERIFY=1 is allowed only with KEYDESK_DEV=1; "
        "in production give Vault's CA certificate with VAULT_CACERT"
    )
# Client certificate for Vault's TLS cert auth / mTLS listeners (both or neither).
VAULT_CLIENT_CERT = env_file("VAULT_CLIENT_CERT")
VAULT_CLIENT_KEY = env_file("VAULT_CLIENT_KEY")
if bool(VAULT_CLIENT_CERT) != bool(VAULT_CLIENT_KEY):
    problem("VAULT_CLIENT_CERT and VAULT_CLIENT_KEY must be set together")
# How many times a read is retried when Vault is briefly unavailable (writes are never retried).
VAULT_READ_RETRIES = env_int("VAULT_READ_RETRIES", 2, minimum=0)
VAULT_TIMEOUT_SECONDS = env_int("VAULT_TIMEOUT", 5, minimum=1)

# Device certificates (PKI credentials) are issued for <serial>.<this domain>.
KEYDESK_PKI_DOMAIN = env_str("KEYDESK_PKI_DOMAIN", "devices.example.org")

# --- audit ---------------------------------------------------------------------------------------

# The Transit key (in the root namespace) that signs audit-chain checkpoints.
KEYDESK_AUDIT_TRANSIT_MOUNT = env_str("KEYDESK_AUDIT_TRANSIT_MOUNT", "transit")
KEYDESK_AUDIT_TRANSIT_KEY = env_str("KEYDESK_AUDIT_TRANSIT_KEY", "keydesk-audit")

# Every audit event is also written as one JSON line to this logger (point it at your SIEM).
KEYDESK_AUDIT_LOGGER = env_str("KEYDESK_AUDIT_LOGGER", "keydesk.audit")

# Prometheus: /metrics answers only with this bearer token (no token: no endpoint).
KEYDESK_METRICS_TOKEN = env_secret("KEYDESK_METRICS_TOKEN", "")
# Set (prometheus_client's own variable) when gunicorn runs several workers: a directory they share.
KEYDESK_METRICS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")

# "json" (one object per line, with the request id) or "plain" (for a terminal).
KEYDESK_LOG_FORMAT = env_choice("KEYDESK_LOG_FORMAT", "plain" if KEYDESK_DEV else "json", ("json", "plain"))
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_log_level = env_str("LOG_LEVEL", "INFO").upper()
if _log_level not in LOG_LEVELS:
    problem(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    _log_level = "INFO"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.web.logformat.JsonFormatter"},
        # Audit lines are JSON objects already: written as they are.
        "audit": {"format": "%(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": KEYDESK_LOG_FORMAT},
        "audit": {"class": "logging.StreamHandler", "formatter": "audit"},
    },
    "root": {"handlers": ["console"], "level": _log_level},
    "loggers": {
        # django-auth-ldap logs search filters at DEBUG; keep it at INFO and above.
        "django_auth_ldap": {"level": "WARNING"},
        KEYDESK_AUDIT_LOGGER: {"handlers": ["audit"], "level": "INFO", "propagate": False},
    },
}

# --- all problems at once ------------------------------------------------------------------------

if _problems:
    raise ImproperlyConfigured(
        f"Keydesk cannot start: {len(_problems)} setting(s) missing or invalid "
        "(see Configuration in README.md):\n" + "\n".join(f"  - {message}" for message in _problems)
    )
