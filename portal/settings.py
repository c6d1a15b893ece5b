"""Settings for aitasks: every knob is an environment variable with a safe default.

A fresh clone runs on SQLite with django-q2's ORM broker. Production sets at least SECRET_KEY,
ALLOWED_HOSTS and DATABASE_URL (PostgreSQL), and REDIS_URL to move the queue to Redis.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str) -> str:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def envfloat(name: str, default: float, maximum: float) -> float:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None
    if not 0 < number <= maximum:
        raise ImproperlyConfigured(f"{name} must be above 0 and at most {maximum:g}, not {value!r}")
    return number


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

_DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-SECRET_KEY-in-production"
SECRET_KEY = envstr("SECRET_KEY", _DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_q",
    "axes",
    "aitasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "aitasks.security.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers for a locked-out login
]

# Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords, a sign-in is
# refused for LOGIN_LOCKOUT_MINUTES, counted per LOGIN_LOCKOUT_BY: "username+ip_address" (the
# default: a user's own address is not locked out by someone guessing elsewhere), or e.g.
# "username" or "ip_address", several separated by commas.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOCKOUT_PARAMETERS = ("username", "ip_address", "user_agent")


def envlockout(name: str, default: str) -> list[str | list[str]]:
    parameters: list[str | list[str]] = []
    for item in envlist(name, default):
        names = [part.strip() for part in item.split("+") if part.strip()]
        if not names or any(part not in LOCKOUT_PARAMETERS for part in names):
            raise ImproperlyConfigured(f"{name}: {item!r} is not one of {', '.join(LOCKOUT_PARAMETERS)} joined by +")
        parameters.append(names if len(names) > 1 else names[0])
    return parameters


AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = envlockout("LOGIN_LOCKOUT_BY", "username+ip_address")
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "aitasks.security.client_ip"
AXES_ENABLE_ADMIN = False  # attempts are read in the database; no admin pages of their own

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
            ],
        },
    },
]

# Connections are kept for a minute (checked before reuse): opening one per request halved the
# API's throughput on PostgreSQL in bench/load.py.
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
SQLITE_JOURNAL_MODES = ("wal", "delete")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write to one file: wait for the lock instead of failing,
    # and journal ahead (WAL) so that readers never wait for a writer.
    journal = envstr("SQLITE_JOURNAL_MODE", "wal").lower()
    if journal not in SQLITE_JOURNAL_MODES:
        raise ImproperlyConfigured(f"SQLITE_JOURNAL_MODE must be one of {', '.join(SQLITE_JOURNAL_MODES)}")
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": f"PRAGMA journal_mode={journal}"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tasks"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads above 2.5 MB go to a temporary file as they arrive, never whole into memory; before
# that, aitasks.upload_limits refuses files from anonymous users and bodies over the page's limit
# (AITASKS_MAX_UPLOAD_MB for videos) before a byte is written.
FILE_UPLOAD_HANDLERS = [
    "aitasks.upload_limits.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = envstr("FILE_UPLOAD_TEMP_DIR", "") or None

# Behind a TLS proxy (which sets X-Forwarded-Proto and appends the client's address to
# X-Forwarded-For), cookies are secure and browsers are told to use HTTPS only (HSTS).
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BEHIND_TLS_PROXY or envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 365 * 24 * 3600) if BEHIND_TLS_PROXY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles from this site only (htmx is served from django-htmx, no CDN); the
# player may play an origin URL from anywhere.
CONTENT_SECURITY_POLICY = envstr(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' https: http:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'",
)

# --- aitasks -------------------------------------------------------------------------------

# Where the service keeps its working files: the assembled model, per-task scratch space.
AITASKS_DATA_DIR = Path(envstr("AITASKS_DATA_DIR", str(BASE_DIR / "var")))
# Where the packaged model is assembled (about 150 MB, once).
AITASKS_MODEL_CACHE_DIR = Path(envstr("AITASKS_MODEL_CACHE_DIR", str(AITASKS_DATA_DIR / "models")))

# The speech engine: a dotted path to a class (tests swap in a fast fake) and its model.
AITASKS_ENGINE = envstr("AITASKS_ENGINE", "aitasks.engines.whisper.FasterWhisperEngine")
# "base" is the multilingual Whisper base model shipped in PyPI packages; anything else is
# the path of a CTranslate2 Whisper model directory that the operator provides.
AITASKS_WHISPER_MODEL = envstr("AITASKS_WHISPER_MODEL", "base")
# "auto": CUDA with float16 where CTranslate2 sees a GPU, else the CPU with int8.
AITASKS_WHISPER_DEVICE = envstr("AITASKS_WHISPER_DEVICE", "auto")
AITASKS_WHISPER_COMPUTE_TYPE = envstr("AITASKS_WHISPER_COMPUTE_TYPE", "auto")
# Load the engine and run it once on a second of audio when a worker process starts.
AITASKS_WARM_UP = envbool("AITASKS_WARM_UP", True)
# Worker processes (django-q2's Q_CLUSTER below), each running one task at a time.
AITASKS_WORKERS = envint("AITASKS_WORKERS", 1, minimum=1)
# The cores the speech engine of each worker process may use; 0: the machine's cores shared
# by the worker processes (cores ÷ AITASKS_WORKERS).
AITASKS_WHISPER_CORES = envint("AITASKS_WHISPER_CORES", 0) or max(1, (os.cpu_count() or 1) // AITASKS_WORKERS)
# CPU: model replicas (windows decoded at once) and threads per replica; 0: chosen from
# AITASKS_WHISPER_CORES (replicas = min(cores, 4), threads = cores // replicas; a window decoded
# alone runs on all the cores, up to 8). See aitasks/engines/replicas.py.
AITASKS_WHISPER_CPU_WORKERS = envint("AITASKS_WHISPER_CPU_WORKERS", 0)
AITASKS_WHISPER_CPU_THREADS = envint("AITASKS_WHISPER_CPU_THREADS", 0)
# Windows per batched call: a file's windows go in as few batches as possible (9 windows in
# batches of 8 + 1 left the last window alone on the cores: 1.6 s of the 231 s bench's 10).
AITASKS_WHISPER_BATCH_SIZE = envint("AITASKS_WHISPER_BATCH_SIZE", 16, minimum=1)
AITASKS_WHISPER_BEAM_SIZE = envint("AITASKS_WHISPER_BEAM_SIZE", 5, minimum=1)
# Chinese subtitles in one script: simplified, traditional, taiwan or hongkong (OpenCC).
AITASKS_CHINESE_SCRIPT = envstr("AITASKS_CHINESE_SCRIPT", "simplified")
if AITASKS_CHINESE_SCRIPT not in ("simplified", "traditional", "taiwan", "hongkong"):
    raise ImproperlyConfigured(
        f"AITASKS_CHINESE_SCRIPT must be simplified, traditional, taiwan or hongkong, not {AITASKS_CHINESE_SCRIPT!r}"
    )
# Text translation models the operator installed, "source>target=/dir, ..." (see
# aitasks/engines/translation.py); Whisper itself translates speech to English.
AITASKS_TRANSLATION_MODELS = envstr("AITASKS_TRANSLATION_MODELS", "")
AITASKS_TRANSLATION_BACKEND = envstr("AITASKS_TRANSLATION_BACKEND", "aitasks.engines.translation.CTranslate2Translator")

# Content moderation: the backend (a dotted path to a class, see aitasks/moderation/backends.py)
# of each category, "category=dotted.path, ..." over the defaults; "category=" switches one off.
# No sport model ships: an operator names one here to enable the category.
AITASKS_MODERATION_BACKENDS = envstr("AITASKS_MODERATION_BACKENDS", "")
# Frames scored per video: one a second, at most this many (longer videos: evenly spaced).
AITASKS_MODERATION_MAX_FRAMES = envint("AITASKS_MODERATION_MAX_FRAMES", 600, minimum=1)
AITASKS_MODERATION_CPU_THREADS = envint("AITASKS_MODERATION_CPU_THREADS", 0)  # 0: all cores
# A frame is flagged from this confidence on: nsfw from Yahoo's "unsafe" edge, each label of
# the other categories from AITASKS_MODERATION_THRESHOLD (or the threshold stop_objects gives it).
AITASKS_MODERATION_NSFW_THRESHOLD = envfloat("AITASKS_MODERATION_NSFW_THRESHOLD", 0.8, maximum=1)
AITASKS_MODERATION_THRESHOLD = envfloat("AITASKS_MODERATION_THRESHOLD", 0.5, maximum=1)

# Limits on what one task may download and process.
AITASKS_MAX_DOWNLOAD_MB = envint("AITASKS_MAX_DOWNLOAD_MB", 2048, minimum=1)
AITASKS_MAX_UPLOAD_MB = envint("AITASKS_MAX_UPLOAD_MB", 2048, minimum=1)
AITASKS_MAX_DURATION_S = envint("AITASKS_MAX_DURATION_S", 4 * 3600, minimum=1)
AITASKS_MAX_REDIRECTS = envint("AITASKS_MAX_REDIRECTS", 5)
AITASKS_CONNECT_TIMEOUT_S = envint("AITASKS_CONNECT_TIMEOUT_S", 10, minimum=1)
AITASKS_READ_TIMEOUT_S = envint("AITASKS_READ_TIMEOUT_S", 30, minimum=1)
AITASKS_DOWNLOAD_TIMEOUT_S = envint("AITASKS_DOWNLOAD_TIMEOUT_S", 1800, minimum=1)
AITASKS_ALLOWED_PORTS = [int(port) for port in envlist("AITASKS_ALLOWED_PORTS", "80,443,8080,8443")]
# The only way to let the fetcher reach private or loopback addresses (tests, local demos).
AITASKS_ALLOWED_PRIVATE_HOSTS = envlist("AITASKS_ALLOWED_PRIVATE_HOSTS")
# Internal failures are retried this many times before the task fails.
AITASKS_MAX_RETRIES = envint("AITASKS_MAX_RETRIES", 3)
# At most this many unfinished tasks per account (Gcore: "Queue limit reached (100), try later").
AITASKS_QUEUE_LIMIT = envint("AITASKS_QUEUE_LIMIT", 100, minimum=1)
# Page sizes, in one place: the APIs' default (Gcore's `limit` and `per_page`: 10) and most
# (100), and the dashboard's tasks table.
AITASKS_PAGE_SIZE = 10
AITASKS_MAX_PAGE_SIZE = 100
AITASKS_DASHBOARD_PAGE_SIZE = 20
# A running task that has not reported for this long is taken back from its (dead) worker.
AITASKS_STALLED_AFTER_S = envint("AITASKS_STALLED_AFTER_S", 600, minimum=30)
# A task or video copy still waiting for a worker this long after it was queued lost its
# message (the broker restarted, a worker died holding it): recovery sends it again.
AITASKS_REQUEUE_AFTER_S = envint("AITASKS_REQUEUE_AFTER_S", 600, minimum=1)
# Finished tasks and their results are deleted after this many days (Gcore: one month).
AITASKS_RETENTION_DAYS = envint("AITASKS_RETENTION_DAYS", 31, minimum=1)

# Webhook deliveries run on a pool of their own in each worker process (aitasks/webhook_pool.py),
# never on the threads that transcribe: this many attempts at once per process; one attempt
# may take CONNECT_TIMEOUT_S to connect and TIMEOUT_S in all; one account holds at most
# ACCOUNT_SLOTS of the pool's threads at once and ACCOUNT_BUDGET_S of attempt time per
# BUDGET_WINDOW_S (its other deliveries wait, in order, until its budget allows).
AITASKS_WEBHOOK_POOL = envbool("AITASKS_WEBHOOK_POOL", True)  # off: no deliveries from this process
AITASKS_WEBHOOK_THREADS = envint("AITASKS_WEBHOOK_THREADS", 8, minimum=1)
AITASKS_WEBHOOK_CONNECT_TIMEOUT_S = envfloat("AITASKS_WEBHOOK_CONNECT_TIMEOUT_S", 3, maximum=30)
AITASKS_WEBHOOK_TIMEOUT_S = envfloat("AITASKS_WEBHOOK_TIMEOUT_S", 10, maximum=50)  # < the claim's 60 s
AITASKS_WEBHOOK_ACCOUNT_SLOTS = envint("AITASKS_WEBHOOK_ACCOUNT_SLOTS", 2, minimum=1)
AITASKS_WEBHOOK_ACCOUNT_BUDGET_S = envfloat("AITASKS_WEBHOOK_ACCOUNT_BUDGET_S", 120, maximum=86400)
AITASKS_WEBHOOK_BUDGET_WINDOW_S = envfloat("AITASKS_WEBHOOK_BUDGET_WINDOW_S", 600, maximum=86400)
AITASKS_WEBHOOK_POLL_S = envfloat("AITASKS_WEBHOOK_POLL_S", 1, maximum=60)
if AITASKS_WEBHOOK_CONNECT_TIMEOUT_S > AITASKS_WEBHOOK_TIMEOUT_S:
    raise ImproperlyConfigured("AITASKS_WEBHOOK_CONNECT_TIMEOUT_S must not be above AITASKS_WEBHOOK_TIMEOUT_S")

# --- the web server (aitasks/web_worker.py, gunicorn's worker class) ---------------------------
# A request head must have arrived this many seconds after the connection (or, kept alive, its
# previous answer) and is read meanwhile with no thread held; else 408. A body then gets
# BODY_TIMEOUT_S of grace and must arrive at BODY_MIN_RATE bytes a second on average (a 64
# kbit/s link sends 8000), else the connection closes. Behind a buffering proxy neither triggers.
AITASKS_HEADER_TIMEOUT_S = envint("AITASKS_HEADER_TIMEOUT_S", 10, minimum=1)
AITASKS_BODY_TIMEOUT_S = envint("AITASKS_BODY_TIMEOUT_S", 10, minimum=1)
AITASKS_BODY_MIN_RATE = envint("AITASKS_BODY_MIN_RATE", 4096, minimum=1)

# --- the worker (django-q2) -------------------------------------------------------------------
# django-q2's own defaults are unsafe (no timeout, endless retries, Redis when no broker is
# named): name the broker, keep timeout < retry, deliver once and let aitasks count retries.
AITASKS_TASK_TIMEOUT_S = envint("AITASKS_TASK_TIMEOUT_S", 3 * 3600, minimum=60)

# OpenAI- and whisper-asr-webservice-compatible APIs (aitasks/api/openai.py, asr.py).
# A request waits for its task up to BASE + FACTOR x the file's duration, then answers 504.
AITASKS_SYNC_WAIT_BASE_S = envint("AITASKS_SYNC_WAIT_BASE_S", 120, minimum=1)
AITASKS_SYNC_WAIT_FACTOR = envint("AITASKS_SYNC_WAIT_FACTOR", 3, minimum=0)
# ...and never longer than this: a client that gave up before the answer came only leaves its
# thread waiting. 540 s is under the 600 s the `openai` package waits by default (with a minute
# for the upload); past it the request answers 504 with the task's id, and the task goes on.
# Bazarr and its peers wait as long as they are configured to: set it just under theirs.
AITASKS_SYNC_WAIT_MAX_S = envint("AITASKS_SYNC_WAIT_MAX_S", 540, minimum=1)
# Files longer than this are refused at once by those APIs, with nothing stored: the Gcore API
# takes them as tasks. An hour takes 2-3 minutes at this service's 20-30x real time on 2 cores.
AITASKS_SYNC_MAX_AUDIO_S = envint("AITASKS_SYNC_MAX_AUDIO_S", 3600, minimum=1)
# Requests of one account (or, keyless on /asr, of one client address) that may be sending a
# file or waiting for its task at once, counted in the database across web processes and
# hosts; the next one is refused at once (429), before its body is read.
AITASKS_SYNC_WAITS_PER_ACCOUNT = envint("AITASKS_SYNC_WAITS_PER_ACCOUNT", 2, minimum=1)
# The account that /asr and /detect-language requests without an API key run as (Bazarr and
# its peers send none); empty: such requests get 401.
AITASKS_ASR_API_USER = envstr("AITASKS_ASR_API_USER", "")
REDIS_URL = envstr("REDIS_URL", "")
Q_CLUSTER = {
    "name": envstr("AITASKS_QUEUE_NAME", "aitasks"),
    "workers": AITASKS_WORKERS,
    "timeout": AITASKS_TASK_TIMEOUT_S,
    "retry": AITASKS_TASK_TIMEOUT_S + 300,
    "max_attempts": 1,
    "catch_up": False,
    "ack_failures": True,
    "save_limit": 1000,
    "recycle": 100,
    # The ORM broker checks for new tasks this often when idle (Redis blocks instead): a short
    # clip waits up to this long before it starts; a query this often costs < 1 % of a core.
    "poll": envfloat("AITASKS_QUEUE_POLL_S", 0.1, maximum=60),
    "label": "Worker queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"faster_whisper": {"level": "WARNING"}},
}
