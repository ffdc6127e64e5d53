"""Settings shared by every environment; anything deploy-specific comes from the environment.

Environment variables (all optional in development):
  DATABASE_URL   e.g. postgres://user@host:5432/pulse; without it a SQLite file is used.
  REDIS_URL      Celery broker and cache; without it Celery runs tasks eagerly in-process.
  SECRET_KEY     required by the production settings.
  DEBUG, ALLOWED_HOSTS, CSRF_TRUSTED_ORIGINS, EMAIL_URL, DEFAULT_FROM_EMAIL, TIME_ZONE,
  SITE_URL, LOG_LEVEL, API_THROTTLE_USER, API_THROTTLE_ANON, LOGIN_FAILURE_LIMIT,
  LOGIN_COOLOFF_MINUTES, SESSION_IDLE_MINUTES, SESSION_MAX_HOURS, SENTRY_DSN (production):
  see the README's configuration table; OIDC_* (single sign-on): see its README section.
"""

import datetime
from pathlib import Path
from typing import Any

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "axes",
    "core",
    "programs",
    "programs.playbooks",
    "programs.plans",
    "reviews",
    "metrics",
    "metrics.integrations",
]

MIDDLEWARE = [
    "core.logging.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    # Pages and API answers compressed on the wire (static files come pre-compressed from
    # WhiteNoise). BREACH: Django pads each compressed body with random bytes and masks the
    # CSRF token afresh in every response, so no secret repeats from one response to the next.
    "django.middleware.gzip.GZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (it says why you were signed out); its check runs before any view.
    "core.middleware.SessionExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "core.middleware.UserTimezoneMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
            ],
            "builtins": ["core.templatetags.pulse"],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: a per-request handshake costs ~10x throughput on list views.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # No JIT: our queries are short, and PostgreSQL's cost guess for the health selector's
    # correlated subqueries made it spend ~0.9 s compiling a query that runs in 0.1 s.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in from a locked-out account or address before any other backend.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    # Refuses a password when single sign-on is on and OIDC_PASSWORD_SIGN_IN is off.
    "core.sso.backends.PasswordSignInGate",
    "django.contrib.auth.backends.ModelBackend",
    # Signs in whoever comes back from the provider (does nothing while single sign-on is off).
    "core.sso.backends.OIDCBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# --- API tokens (django-rest-knox): hashed, named, several per person, each with an expiry ----
KNOX_TOKEN_MODEL = "core.ApiToken"
# knox's own migrations create its default token table even when the model is swapped for
# ours; without them Django creates no table for a swapped model.
MIGRATION_MODULES = {"knox": None}
API_TOKEN_LIFETIMES_DAYS = (7, 30, 90, 365)  # what the profile page offers; 90 preselected
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=90),  # a token made without a choice (e.g. the API)
    "AUTH_HEADER_PREFIX": "Token",  # the header clients already send: Authorization: Token …
    "TOKEN_LIMIT_PER_USER": 20,
}

# --- Sign-in throttling and session lifetime ------------------------------------------------
# django-axes: after LOGIN_FAILURE_LIMIT failed sign-ins for one account, or from one address,
# that account or address is locked out for LOGIN_COOLOFF_MINUTES (each attempt is logged).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own: per account, per address
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False
# Sessions end after SESSION_IDLE_MINUTES without a request, or SESSION_MAX_HOURS after signing
# in (OWASP ASVS level 2 defaults: 30 minutes, 12 hours): see core.middleware.SessionExpiryMiddleware.
SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=30))
SESSION_ABSOLUTE_TIMEOUT = datetime.timedelta(hours=env.int("SESSION_MAX_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_ABSOLUTE_TIMEOUT.total_seconds())

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Analysts' bulk exports (metrics.analytics.export): generated files, never in git.
EXPORT_ROOT = Path(env("EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))
EXPORT_KEEP_DAYS = env.int("EXPORT_KEEP_DAYS", default=7)
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", BASE_DIR / "node_modules")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security headers that hold in every environment -------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the meta tag, not the cookie
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    # Plotly injects <style> elements at draw time; everything else is in our stylesheet.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Cache and Celery ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged only after it finished, and re-queued if its worker dies mid-run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Above the longest task's hard time limit (10 min), so a slow task is never delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 15 * 60}
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
CELERY_TIMEZONE = TIME_ZONE


# --- E-mail -------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587 (development: the console).
def mailer_from_url(url: str) -> dict:
    """A MAILERS entry from an e-mail URL (smtp://, smtp+tls://, consolemail://, ...)."""
    parsed = environ.Env.email_url_config(url)
    options = {}
    if parsed["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        candidates = {
            "host": parsed.get("EMAIL_HOST"),
            "port": parsed.get("EMAIL_PORT"),
            "username": parsed.get("EMAIL_HOST_USER"),
            "password": parsed.get("EMAIL_HOST_PASSWORD"),
            "use_tls": parsed.get("EMAIL_USE_TLS"),
            "use_ssl": parsed.get("EMAIL_USE_SSL"),
        }
        options = {key: value for key, value in candidates.items() if value not in (None, "")}
    return {"BACKEND": parsed["EMAIL_BACKEND"], "OPTIONS": options}


MAILERS = {"default": mailer_from_url(env("EMAIL_URL", default="consolemail://"))}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Pulse <pulse@localhost>")
# Absolute links in e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- Idempotent API writes ------------------------------------------------------------------
# How long an Idempotency-Key is remembered: a retry within it replays the stored answer.
IDEMPOTENCY_KEY_TTL_HOURS = env.int("IDEMPOTENCY_KEY_TTL_HOURS", default=24)
# Insights: a sign-off is overdue, and a capacity request waits too long, after these days.
INSIGHTS_SIGN_OFF_DUE_DAYS = env.int("INSIGHTS_SIGN_OFF_DUE_DAYS", default=5)
# How long an insights section's numbers are cached (metrics/insights/cache.py); unset: 300 s
# with a shared cache (Redis), off with the process-local one; 0: off.
INSIGHTS_CACHE_SECONDS = env.int("INSIGHTS_CACHE_SECONDS", default=None)
INSIGHTS_CAPACITY_WAITING_DAYS = env.int("INSIGHTS_CAPACITY_WAITING_DAYS", default=14)

# --- Slack and webhooks (metrics.integrations) ----------------------------------------------
# A failed delivery is tried again after 30 s, 1, 2, 4 ... minutes (capped at an hour) until
# this many attempts failed: 8 attempts span about an hour, a receiver's usual outage.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_RETRY_BACKOFF_SECONDS = env.int("WEBHOOK_RETRY_BACKOFF_SECONDS", default=30)
WEBHOOK_RETRY_BACKOFF_MAX_SECONDS = env.int("WEBHOOK_RETRY_BACKOFF_MAX_SECONDS", default=3600)
# Seconds to connect and to wait for an answer (Slack answers in well under a second).
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)

# --- Single sign-on (OIDC, core.sso with mozilla-django-oidc) --------------------------------
# Off unless a client id and secret and the provider (its issuer, whose discovery document gives
# the endpoints, or each endpoint) are set: see the README's "Single sign-on (OIDC)".
OIDC_ISSUER = env("OIDC_ISSUER", default="").rstrip("/")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", default="")
OIDC_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT", default="")
OIDC_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT", default="")
OIDC_USERINFO_ENDPOINT = env("OIDC_USERINFO_ENDPOINT", default="")
OIDC_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT", default="")
OIDC_END_SESSION_ENDPOINT = env("OIDC_END_SESSION_ENDPOINT", default="")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="single sign-on")  # "Sign in with …"
OIDC_SCOPES = env("OIDC_SCOPES", default="openid email profile")
OIDC_SIGN_ALGO = env("OIDC_SIGN_ALGO", default="RS256")
# The provider's groups claim and the Pulse role each group gives ("pulse-tpm=TPM,...");
# OIDC_DEFAULT_ROLE goes to people in none of them (empty: they cannot sign in).
OIDC_GROUPS_CLAIM = env("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ROLE_MAP = env.dict("OIDC_ROLE_MAP", default={})
OIDC_DEFAULT_ROLE = env("OIDC_DEFAULT_ROLE", default="")
# With single sign-on on, Pulse passwords still sign in (admins' own accounts) unless this is off.
OIDC_PASSWORD_SIGN_IN = env.bool("OIDC_PASSWORD_SIGN_IN", default=True)
# client_secret_basic, which every provider accepts (false: the secret in the POST body).
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=True)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10)  # seconds, each call to the provider
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's sign-out
if OIDC_ISSUER or OIDC_END_SESSION_ENDPOINT:
    # Signing out posts a form whose answer redirects to the provider's end_session_endpoint:
    # form-action must allow that origin.
    SECURE_CSP["form-action"] = [
        CSP.SELF,
        "/".join((OIDC_END_SESSION_ENDPOINT or OIDC_ISSUER).split("/")[:3]),
    ]

# --- REST framework and the OpenAPI schema ------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.schema.PulseAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Per signed-in user, and per address for requests not signed in (each refused request
    # counts): past the rate, 429 with Retry-After. "off" switches one off (core.throttling).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="2000/hour"),
        "anon": env("API_THROTTLE_ANON", default="60/hour"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pulse API",
    "DESCRIPTION": (
        "Programs, milestones, status updates, risks and decisions. Authenticate with "
        "`Authorization: Token <key>` (create one on your profile page) or a session. "
        "Updates need the object's current `version` (in the body) or an `If-Match` header "
        "carrying its ETag; a stale write is refused with 409 or 412."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name ("state") or appear under two names get one name.
    "ENUM_NAME_OVERRIDES": {
        "MilestoneStateEnum": "programs.models.MilestoneState",
        "RiskStateEnum": "programs.models.RiskState",
        "ReportedHealthEnum": "programs.models.ReportedHealth",
        "GradeEnum": "core.grades.Grade.choices",
        "HealthFamilyEnum": "programs.api.serializers.HEALTH_FAMILY_CHOICES",
    },
}

SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# Nested dicts of mixed values, which the environment settings change in place.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
