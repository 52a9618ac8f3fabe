"""Django settings for Guildmind, fed by environment variables (see .env.example).

The web, gateway and worker processes all read these same settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from guildmind.env import (
    ConfigError,
    embedded_secret_key,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_proxy_ssl_header,
    env_rate,
    env_str,
)

# Everything this process creates (the databases with their WAL and SHM files, the queue,
# uploads, mail, generated secrets) holds members' messages or credentials: readable by
# the service's own user only. Set before anything below creates a file; every process
# (web, gateway, worker, management commands) reads these settings first.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


SECRET_KEY = env_str("SECRET_KEY") or embedded_secret_key(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "huey.contrib.djhuey",
    "accounts",
    "knowledge",
    "assistant",
    "conversations",
    "usage",
    "moderation",
    "proactive",
    "integrations.discordbot",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "guildmind.urls"
ASGI_APPLICATION = "guildmind.asgi.application"
WSGI_APPLICATION = "guildmind.wsgi.application"

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
                "integrations.discordbot.sandbox.sandbox_nav",
            ],
        },
    },
]

# --- Database: SQLite (WAL) embedded, DATABASE_URL for Postgres -------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / env_str("SQLITE_FILE", "guildmind.sqlite3")),
            "OPTIONS": {
                # WAL lets the web, gateway and worker read while one of them writes;
                # IMMEDIATE transactions take the write lock up front instead of failing
                # half-way with "database is locked".
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
                ),
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Queue and cache: Huey on SQLite embedded, Redis when REDIS_URL is set ---------------
REDIS_URL = env_str("REDIS_URL")
HUEY_NAME = env_str("HUEY_NAME", "guildmind")
_HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
_WORKERS = env_int("WORKER_THREADS", 4, minimum=1)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": HUEY_NAME,
        "url": REDIS_URL,
        "immediate": _HUEY_IMMEDIATE,
        "consumer": {"workers": _WORKERS, "worker_type": "thread"},
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": HUEY_NAME,
        }
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": HUEY_NAME,
        "filename": str(DATA_DIR / env_str("HUEY_SQLITE_FILE", "queue.sqlite3")),
        "immediate": _HUEY_IMMEDIATE,
        "consumer": {
            "workers": _WORKERS,
            "worker_type": "thread",
            # SQLite cannot block waiting for a job, so the worker polls; Huey's default
            # backs off to 10 s when idle, far too slow for an /ask waiting on it.
            "initial_delay": 0.02,
            "backoff": 1.15,
            "max_delay": env_float("WORKER_MAX_POLL_SECONDS", 0.1, minimum=0.01),
        },
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth, i18n, static -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Sign-in protection (accounts/throttle.py): failed logins per account (the username or
# email tried) and per client address, sign-up and password-reset requests per address,
# and account emails (sign-up links and notes, reset links) per recipient, in moving
# windows ("5/15 minutes"; "off" disables one). The windows live in this process's memory
# on one machine and in Redis when REDIS_URL is set, so every web process counts alike.
LOGIN_LIMIT_PER_ACCOUNT = env_rate("LOGIN_LIMIT_PER_ACCOUNT", "5/15 minutes")
LOGIN_LIMIT_PER_IP = env_rate("LOGIN_LIMIT_PER_IP", "20/15 minutes")
SIGNUP_LIMIT_PER_IP = env_rate("SIGNUP_LIMIT_PER_IP", "10/hour")
PASSWORD_RESET_LIMIT_PER_IP = env_rate("PASSWORD_RESET_LIMIT_PER_IP", "10/hour")
ACCOUNT_EMAIL_LIMIT_PER_RECIPIENT = env_rate("ACCOUNT_EMAIL_LIMIT_PER_RECIPIENT", "3/hour")
AUTH_RATE_LIMIT_STORAGE = env_str("AUTH_RATE_LIMIT_STORAGE", REDIS_URL or "memory://")
if AUTH_RATE_LIMIT_STORAGE.startswith("async+"):
    raise ConfigError(
        "AUTH_RATE_LIMIT_STORAGE takes a plain storage URL (memory://, redis://...), not async+"
    )
# Reverse proxies in front of the web process that append the client's address to
# X-Forwarded-For; the client is then that many entries from the right. 0 trusts no header
# and uses the connection's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
# Uploads (knowledge files) are private like everything else in DATA_DIR; Django's storage
# sets these modes itself, whatever the process umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# --- HTTPS and browser protections ----------------------------------------------------------
# A site served over https gets HSTS, a redirect from http and cookies that never travel
# over http. Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER names the header
# it sets, or every request looks like http (and the redirect would loop).
HTTPS = SITE_URL.startswith("https://")
SECURE_PROXY_SSL_HEADER = env_proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# Load balancers often probe over plain http inside the network; a redirect would read as down.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Asking browsers to hard-code the domain as https-only is the domain owner's
    # commitment (hard to undo, and it covers every subdomain), not a default we can make.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# In every mode: the dashboard runs only its own static scripts and styles (no inline
# code, no eval), so markup that slipped past escaping cannot run; it is never framed,
# and forms post only to us, or to Discord's consent page for "Add to Discord" (added
# on that page, see integrations/discordbot/setup.py).
_OWN_ONLY = ("default-src", "script-src", "style-src", "img-src", "connect-src", "form-action")
_NOWHERE = ("object-src", "base-uri", "frame-ancestors")
_DIRECTIVES = {name: [SELF] for name in _OWN_ONLY} | {name: [NONE] for name in _NOWHERE}
CONTENT_SECURITY_POLICY = {"DIRECTIVES": _DIRECTIVES}

# --- Email: files in embedded mode, SMTP when EMAIL_HOST is set --------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Guildmind <guildmind@localhost>")

# --- Secrets at rest ----------------------------------------------------------------------
# Fernet key(s) for tokens stored in the database; the first encrypts, all decrypt (so a
# key can be rotated). Without one, a key is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS")

# --- AI -----------------------------------------------------------------------------------
# local | openai | anthropic, or the dotted path of a class implementing the provider protocol.
AI_PROVIDER = env_str("AI_PROVIDER", "local")
if "." not in AI_PROVIDER and AI_PROVIDER not in ("local", "openai", "anthropic"):
    raise ConfigError(f"AI_PROVIDER={AI_PROVIDER!r} must be local, openai, anthropic or a dotted class path")
AI_MODEL = env_str("AI_MODEL")
AI_BASE_URL = env_str("AI_BASE_URL")
AI_API_KEY = env_str("AI_API_KEY")
AI_TIMEOUT_SECONDS = env_float("AI_TIMEOUT_SECONDS", 30.0, minimum=0.1)
AI_MAX_OUTPUT_TOKENS = env_int("AI_MAX_OUTPUT_TOKENS", 600, minimum=16)
# Below this confidence (0..1) the local provider says it does not know.
AI_MIN_CONFIDENCE = env_float("AI_MIN_CONFIDENCE", 0.5, minimum=0.0)
AI_HISTORY_TURNS = env_int("AI_HISTORY_TURNS", 6, minimum=0)
# The AI's n-th "I don't know" in a row to a member escalates the conversation (0: never).
ESCALATION_AFTER_UNANSWERED = env_int("ESCALATION_AFTER_UNANSWERED", 3, minimum=0)
# A forum post nobody answered this many hours after it was opened shows on the gaps page.
GAPS_UNANSWERED_POST_HOURS = env_int("GAPS_UNANSWERED_POST_HOURS", 24, minimum=1)
if AI_PROVIDER in ("openai", "anthropic") and not AI_API_KEY and not AI_BASE_URL:
    raise ConfigError(f"AI_PROVIDER={AI_PROVIDER} needs AI_API_KEY (or AI_BASE_URL for a local server)")

# --- Knowledge ----------------------------------------------------------------------------
KNOWLEDGE_MAX_UPLOAD_BYTES = env_int("KNOWLEDGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1)
KNOWLEDGE_TOP_K = env_int("KNOWLEDGE_TOP_K", 4, minimum=1)
# Dense embeddings fused with BM25: wordllama (offline, shipped in its package) | openai
# (any OpenAI-compatible /embeddings: OpenAI, Ollama, vLLM) | none (BM25 only).
KNOWLEDGE_EMBEDDINGS = env_choice("KNOWLEDGE_EMBEDDINGS", ("wordllama", "openai", "none"), "wordllama")
KNOWLEDGE_EMBEDDING_MODEL = env_str("KNOWLEDGE_EMBEDDING_MODEL", "text-embedding-3-small")
KNOWLEDGE_EMBEDDING_BASE_URL = (
    env_str("KNOWLEDGE_EMBEDDING_BASE_URL") or AI_BASE_URL or "https://api.openai.com/v1"
)
KNOWLEDGE_EMBEDDING_API_KEY = env_str("KNOWLEDGE_EMBEDDING_API_KEY") or AI_API_KEY
# Memory the search indexes of all workspaces may hold in one process; past it, the least
# recently searched workspaces' indexes are dropped (and rebuilt when searched again).
KNOWLEDGE_INDEX_CACHE_MB = env_int("KNOWLEDGE_INDEX_CACHE_MB", 512, minimum=1)
CRAWL_ALLOW_PRIVATE = env_bool("CRAWL_ALLOW_PRIVATE", False)
CRAWL_MAX_PAGES = env_int("CRAWL_MAX_PAGES", 50, minimum=1)
CRAWL_MAX_BYTES = env_int("CRAWL_MAX_BYTES", 5 * 1024 * 1024, minimum=1)
CRAWL_TIMEOUT_SECONDS = env_float("CRAWL_TIMEOUT_SECONDS", 60.0, minimum=1.0)
# What reading one source may produce and spend (knowledge/extract.py, isolation.py).
KNOWLEDGE_MAX_PDF_PAGES = env_int("KNOWLEDGE_MAX_PDF_PAGES", 2000, minimum=1)
KNOWLEDGE_MAX_SOURCE_CHARS = env_int("KNOWLEDGE_MAX_SOURCE_CHARS", 5_000_000, minimum=1)
KNOWLEDGE_MAX_UNCOMPRESSED_BYTES = env_int("KNOWLEDGE_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024, minimum=1)
KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS = env_float("KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS", 60.0, minimum=1.0)
KNOWLEDGE_EXTRACT_MEMORY_BYTES = env_int(
    "KNOWLEDGE_EXTRACT_MEMORY_BYTES", 1024 * 1024 * 1024, minimum=256 * 1024 * 1024
)
# An ingestion still INDEXING after this long is taken back by the worker's tick (its worker
# died or hung) and queued again, at most KNOWLEDGE_INGEST_MAX_ATTEMPTS claims in all. A
# healthy one takes at most the crawl's and the extraction's time plus chunking and storing.
_INGEST_WORK_SECONDS = CRAWL_TIMEOUT_SECONDS + KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS
KNOWLEDGE_INGEST_LEASE_SECONDS = env_float("KNOWLEDGE_INGEST_LEASE_SECONDS", _INGEST_WORK_SECONDS + 180.0)
if KNOWLEDGE_INGEST_LEASE_SECONDS <= _INGEST_WORK_SECONDS:
    raise ConfigError(
        f"KNOWLEDGE_INGEST_LEASE_SECONDS={KNOWLEDGE_INGEST_LEASE_SECONDS:g} must be longer than "
        f"CRAWL_TIMEOUT_SECONDS + KNOWLEDGE_EXTRACT_TIMEOUT_SECONDS ({_INGEST_WORK_SECONDS:g}): "
        "a slow but healthy ingestion would be taken back and run twice"
    )
KNOWLEDGE_INGEST_MAX_ATTEMPTS = env_int("KNOWLEDGE_INGEST_MAX_ATTEMPTS", 3, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = KNOWLEDGE_MAX_UPLOAD_BYTES + 1024 * 1024
# The largest request body the web process reads on any URL, refused by its Content-Length
# or as soon as more arrives, before Django spools it to disk (guildmind/bodylimit.py).
# The default leaves room for the largest upload and its form.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", DATA_UPLOAD_MAX_MEMORY_SIZE, minimum=65536)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Discord ------------------------------------------------------------------------------
DISCORD_APPLICATION_ID = env_str("DISCORD_APPLICATION_ID")
DISCORD_PUBLIC_KEY = env_str("DISCORD_PUBLIC_KEY")
DISCORD_BOT_TOKEN = env_str("DISCORD_BOT_TOKEN")
DISCORD_CLIENT_SECRET = env_str("DISCORD_CLIENT_SECRET")
DISCORD_API_BASE_URL = env_str("DISCORD_API_BASE_URL", "https://discord.com/api/v10").rstrip("/")
DISCORD_GATEWAY_URL = env_str("DISCORD_GATEWAY_URL", "wss://gateway.discord.gg")
DISCORD_SHARD_COUNT = env_int("DISCORD_SHARD_COUNT", 0, minimum=0)
# Where "Add to Discord" sends the owner to authorize the bot (Discord's own page).
DISCORD_OAUTH_AUTHORIZE_URL = env_str("DISCORD_OAUTH_AUTHORIZE_URL", "https://discord.com/oauth2/authorize")
DISCORD_SHARD_IDS = [int(s) for s in env_list("DISCORD_SHARD_IDS")]
# The sandbox (integrations/discordbot/sandbox.py): with no Discord application configured,
# `manage.py up` runs the bundled simulator on 127.0.0.1:SANDBOX_PORT and connects a sandbox
# server to the demo workspace. "off" never starts it. SANDBOX_URL and SANDBOX_KEY are set
# by `up` for its children (the simulator's address and the key of its control API); a
# process without them has no sandbox.
SANDBOX = env_choice("SANDBOX", ("auto", "off"), "auto")
SANDBOX_PORT = env_int("SANDBOX_PORT", 8790, minimum=1)
SANDBOX_URL = env_str("SANDBOX_URL").rstrip("/")
SANDBOX_KEY = env_str("SANDBOX_KEY")
# The gateway fleet: each process claims the shards and custom bots it connects by a lease
# in the database, renewed every GATEWAY_LEASE_RENEW_SECONDS and lost GATEWAY_LEASE_TTL_SECONDS
# after the process stops renewing it (killed, hung, cut off), when another one takes over.
GATEWAY_LEASE_TTL_SECONDS = env_float("GATEWAY_LEASE_TTL_SECONDS", 30.0, minimum=1.0)
GATEWAY_LEASE_RENEW_SECONDS = env_float(
    "GATEWAY_LEASE_RENEW_SECONDS", min(3.0, GATEWAY_LEASE_TTL_SECONDS / 3), minimum=0.1
)
if GATEWAY_LEASE_RENEW_SECONDS * 2 > GATEWAY_LEASE_TTL_SECONDS:
    raise ConfigError("GATEWAY_LEASE_RENEW_SECONDS must be at most half of GATEWAY_LEASE_TTL_SECONDS")
# Discord allows one IDENTIFY per max_concurrency bucket every 5 s, fleet-wide.
GATEWAY_IDENTIFY_INTERVAL_SECONDS = env_float("GATEWAY_IDENTIFY_INTERVAL_SECONDS", 5.0, minimum=0.0)
# How often the gateway reloads server settings from the database (the hot path reads
# them from memory only).
SETTINGS_REFRESH_SECONDS = env_float("SETTINGS_REFRESH_SECONDS", 3.0, minimum=0.1)
# Each reload reads again the rows changed this long before the newest it has seen: a row
# is stamped before its transaction commits, so one committed late (another process's,
# a busy machine's) can carry an older stamp than rows already read.
SETTINGS_REFRESH_LOOKBACK_SECONDS = env_float("SETTINGS_REFRESH_LOOKBACK_SECONDS", 30.0, minimum=0.0)
# How many messages the gateway works on at once (provider calls included).
PIPELINE_CONCURRENCY = env_int("PIPELINE_CONCURRENCY", 256, minimum=1)
# Largest body the interactions endpoint reads (Discord's payloads are a few KB).
DISCORD_WEBHOOK_MAX_BODY_BYTES = env_int("DISCORD_WEBHOOK_MAX_BODY_BYTES", 65536, minimum=1024)
# A signed interaction is accepted only when its timestamp is this close to now, so a
# captured request cannot be replayed later.
DISCORD_WEBHOOK_MAX_SKEW_SECONDS = env_int("DISCORD_WEBHOOK_MAX_SKEW_SECONDS", 300, minimum=1)
# Threads the gateway runs database work in. SQLite has one writer, so more threads only
# add switching (measured: the flood benchmark is 15% faster with one); Postgres can use a few.
GATEWAY_DB_THREADS = env_int("GATEWAY_DB_THREADS", 4 if DATABASE_URL else 1, minimum=1)
# Answers per member and per channel ("6/minute", "100/hour"; "off" disables), the
# notices a limited member gets, and where the windows live (memory, or a Redis URL such
# as async+redis://127.0.0.1:6379/1 to share them between processes).
RATE_LIMIT_MEMBER = env_rate("RATE_LIMIT_MEMBER", "6/minute")
RATE_LIMIT_CHANNEL = env_rate("RATE_LIMIT_CHANNEL", "30/minute")
RATE_LIMIT_NOTICE = env_rate("RATE_LIMIT_NOTICE", "1/minute")
RATE_LIMIT_STORAGE = env_str("RATE_LIMIT_STORAGE", "async+memory://")
RATE_LIMIT_NAMESPACE = env_str("RATE_LIMIT_NAMESPACE", HUEY_NAME)
# Channel awareness: messages remembered per channel, and channels remembered per process.
CHANNEL_MEMORY_MESSAGES = env_int("CHANNEL_MEMORY_MESSAGES", 20, minimum=0)
CHANNEL_MEMORY_CHANNELS = env_int("CHANNEL_MEMORY_CHANNELS", 10000, minimum=1)

# --- Plans and quotas -------------------------------------------------------------------------
# Messages included each calendar month (UTC) and the price shown on the plan page, in US
# dollars a month; there is no payment integration: operators assign plans in the admin.
# Which features each plan has is fixed in usage/plans.py (Discord from Starter; live
# monitoring, takeover and escalation from Standard).
PLAN_CHOICES = ("free", "starter", "standard", "pro")
# The plan of new workspaces, and of the workspaces that existed when plans were added.
DEFAULT_PLAN = env_str("DEFAULT_PLAN", "starter").strip().lower()
if DEFAULT_PLAN not in PLAN_CHOICES:
    raise ConfigError(f"DEFAULT_PLAN={DEFAULT_PLAN!r} must be one of: {', '.join(PLAN_CHOICES)}")


def _per_plan(kind: str, defaults: dict[str, int]) -> dict[str, int]:
    """{plan: PLAN_<PLAN>_<KIND> from the environment, or its default}."""
    return {p: env_int(f"PLAN_{p.upper()}_{kind}", d, minimum=0) for p, d in defaults.items()}


PLAN_MESSAGES = _per_plan("MESSAGES", {"free": 0, "starter": 2500, "standard": 15000, "pro": 50000})
# The most text a workspace's knowledge base may hold, in characters and in chunks
# ("passages"; about one per 700 characters of prose, more for short FAQ entries).
PLAN_KNOWLEDGE_CHARS = _per_plan(
    "KNOWLEDGE_CHARS", {"free": 1_000_000, "starter": 5_000_000, "standard": 15_000_000, "pro": 40_000_000}
)
PLAN_KNOWLEDGE_CHUNKS = _per_plan(
    "KNOWLEDGE_CHUNKS", {"free": 2_500, "starter": 12_500, "standard": 37_500, "pro": 100_000}
)
PLAN_PRICES = {"free": 0, **_per_plan("PRICE", {"starter": 39, "standard": 139, "pro": 449})}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "discord": {"level": env_str("DISCORD_LOG_LEVEL", "WARNING")},
        # Huey's consumer adds its own handler unless the logger already has one.
        "huey": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
