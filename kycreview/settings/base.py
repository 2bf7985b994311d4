"""Settings shared by every environment; the environment chooses the rest.

Everything an operator may change is read from the environment (or a `.env` file) with a
default that runs on one machine: SQLite, the filesystem broker, files on local disk.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "kycreview.urls"
WSGI_APPLICATION = "kycreview.wsgi.application"

# ------------------------------------------------------------------------------
# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kycreview.sqlite3'}"),
}
# A request is one transaction: services enqueue with on_commit, and an error answer
# rolls back whatever the request wrote (the API's exception handler marks the rollback).
DATABASES["default"]["ATOMIC_REQUESTS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A database host that does not answer fails the request (and /health) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
else:
    # SQLite is the embedded default; WAL and a busy timeout let the web process,
    # the worker and beat share the file without "database is locked" on every write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE"}
    )

# ------------------------------------------------------------------------------
# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "kycreview.admin_site.KycAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "audit",
    "vault",
    "documents",
    "submissions",
    "reviews",
    "webhooks",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "kycreview.ratelimit.ApiLimitsMiddleware",
    # Its process_exception answers a view (or the request's transaction) whose database is down.
    "kycreview.faults.DependencyFaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "kycreview.sessions.SessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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

# A new API key is shown once through a message: keep messages server-side, not in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Identity images are never served as public media: only permission-checked views stream them.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
MEDIA_URL = "/media-not-public/"

KYC_S3_BUCKET = env("KYC_S3_BUCKET", default="")
if KYC_S3_BUCKET:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": KYC_S3_BUCKET,
            "endpoint_url": env("KYC_S3_ENDPOINT_URL", default=None),
            "region_name": env("KYC_S3_REGION", default=None),
            "access_key": env("KYC_S3_ACCESS_KEY_ID", default=None),
            "secret_key": env("KYC_S3_SECRET_ACCESS_KEY", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT), "file_permissions_mode": 0o600},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# ------------------------------------------------------------------------------
# CACHES
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # Short socket timeouts: a Redis that does not answer must not hold requests (the rate limits
    # then count in each process, kycreview/ratelimit.py).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# ------------------------------------------------------------------------------
# CELERY
# ------------------------------------------------------------------------------
# Redelivery over Redis: a message taken by a worker that then dies (kill -9, lost host) goes back to
# the queue once it has been unacknowledged for `visibility_timeout` seconds; kombu looks for such
# messages every `unacked_restore_interval` x `unacked_restore_throttle` seconds. Both together stay
# within the sweep's period, so a killed sweep runs again before its next turn would have. The
# timeout exceeds every task's hard time limit (a running task must not be handed out twice) and
# every retry countdown (a waiting retry is an unacknowledged message too).
# kycreview/tests/test_celery_redelivery.py holds these invariants.
KYC_BROKER_VISIBILITY_TIMEOUT = 280
KYC_BROKER_RESTORE_SECONDS = 10
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": KYC_BROKER_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": KYC_BROKER_RESTORE_SECONDS,
        "unacked_restore_throttle": 1,
    }
else:
    # Embedded broker for one machine: kombu's filesystem transport, so `make run`
    # needs no Redis. Worker and beat share the folders below.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
# Workers log through LOGGING (and its redaction) instead of replacing the root logger's handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Hard limit below the visibility timeout (above); the periodic tasks' batches stay well under both.
CELERY_TASK_SOFT_TIME_LIMIT = 200
CELERY_TASK_TIME_LIMIT = 240
# A request that enqueues (webhook, email) must not hang on a dead broker: give up fast and let the
# outbox drain (webhooks) or the inline fallback (emails) take over.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Every five minutes: a submission times out at most five minutes late, and one
    # sweep's batches stay well under the soft time limit.
    "submission-sweep": {
        "task": "submissions.tasks.submission_sweep_task",
        "schedule": crontab(minute="*/5"),
    },
    # Every minute: sends the webhook events that are due (retries, and events whose enqueue
    # failed while the broker was down), so a failed attempt waits at most a minute past its time.
    "webhook-outbox-drain": {
        "task": "webhooks.tasks.webhook_outbox_drain_task",
        "schedule": 60.0,
        # A drain still queued when the next is due is dropped: the next one covers the same rows.
        "options": {"expires": 50},
    },
    # Every fifteen minutes: deletes the images of requests killed before they committed
    # (KYC_STORED_FILE_REAP_AFTER after they were written).
    "stored-file-reap": {
        "task": "submissions.tasks.stored_file_reap_task",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 600},
    },
    # Every minute: appends new audit events to their project's hash chain, so an event is
    # tamper-evident about a minute after it is written (docs/audit.md).
    "audit-seal": {
        "task": "audit.tasks.audit_seal_task",
        "schedule": 60.0,
        "options": {"expires": 50},
    },
}

# ------------------------------------------------------------------------------
# REST FRAMEWORK
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "EXCEPTION_HANDLER": "submissions.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kycreview API",
    "DESCRIPTION": (
        "Self-hosted identity verification. Every call sends `x-api-key`. Errors answer "
        "HTTP 400 with `{statusCode, errorCode, message}`; retries answer HTTP 200 with a "
        "`retry` list. Codes and messages are those of the published code tables."
    ),
    "VERSION": "3.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"KycStatusEnum": "submissions.choices.SubmissionStatus"},
}

# ------------------------------------------------------------------------------
# LOGGING
# ------------------------------------------------------------------------------
# Every line is redacted on its way out: no query values, no signed image token, no e-mail address
# (kycreview/logredact.py). runserver's request lines (django.server) go through the same handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "kycreview.logredact.LogRedactFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# ------------------------------------------------------------------------------
# KYC
# ------------------------------------------------------------------------------
# Largest accepted upload per image, in bytes, and largest decoded size in pixels: a
# decompression bomb is refused from its header, before any pixel is decoded.
KYC_MAX_IMAGE_BYTES = env.int("KYC_MAX_IMAGE_BYTES", default=15 * 1024 * 1024)
KYC_MAX_IMAGE_PIXELS = env.int("KYC_MAX_IMAGE_PIXELS", default=40_000_000)
# A PNG is decoded in full before it can be reduced (4 bytes a pixel): its own, lower cap bounds a
# worker's memory. JPEG decodes at a reduced DCT scale, so it keeps KYC_MAX_IMAGE_PIXELS.
KYC_MAX_FULL_DECODE_PIXELS = env.int("KYC_MAX_FULL_DECODE_PIXELS", default=12_000_000)
# Longest side an upload is decoded at (JPEG DCT scaling, then one resize): at least every
# analysis size (KYC_ANALYSIS_MAX_SIDE, the face searches), so the checks see what they did.
KYC_DECODE_MAX_SIDE = env.int("KYC_DECODE_MAX_SIDE", default=2048)
# Smallest accepted side and longest accepted shape: a 1×5000 strip is no capture of a document
# or a face, and the checks' geometry (homographies, crops) has nothing to work on. The smallest
# genuine document captures seen are ~280×180 px; a selfie or card is never longer than 4:1.
KYC_MIN_IMAGE_SIDE = env.int("KYC_MIN_IMAGE_SIDE", default=48)
KYC_MAX_IMAGE_ASPECT = env.float("KYC_MAX_IMAGE_ASPECT", default=6.0)
# An upload marker older than this belongs to a request that is over (killed before it
# committed): the reaper deletes its image. Longer than any request can take.
KYC_STORED_FILE_REAP_AFTER = timedelta(seconds=env.int("KYC_STORED_FILE_REAP_AFTER_SECONDS", default=3600))
# Overrides of the checks' named thresholds (verification/thresholds.py, docs/checks.md),
# e.g. KYC_CHECK_THRESHOLDS='{"quality.sharpness.min_score": 70}'.
KYC_CHECK_THRESHOLDS = env.json("KYC_CHECK_THRESHOLDS", default={})
# Longest side, in pixels, at which images are analysed (evidence is scaled back).
KYC_ANALYSIS_MAX_SIDE = env.int("KYC_ANALYSIS_MAX_SIDE", default=1600)
# Step 1 computes later checks' image measurements on a second thread while the OCR read runs
# (submissions/checks/pipeline.py). Same answers either way; off saves a thread on a one-core host.
KYC_CHECK_PREFETCH = env.bool("KYC_CHECK_PREFETCH", default=(os.cpu_count() or 1) > 1)
# One sweep handles at most this many rows per kind; the next run picks up the rest.
KYC_SWEEP_BATCH_SIZE = env.int("KYC_SWEEP_BATCH_SIZE", default=500)
KYC_SWEEP_MAX_BATCHES = env.int("KYC_SWEEP_MAX_BATCHES", default=20)
# The sandbox bank adapter is used unless an operator names a real one.
KYC_BANK_ADAPTER = env("KYC_BANK_ADAPTER", default="submissions.bank.SandboxBank")
KYC_BANK_CODE_TTL = timedelta(minutes=env.int("KYC_BANK_CODE_TTL_MINUTES", default=30))
# Korean ID authentication (Step 2, submissions/kor_id.py): the sandbox unless an operator names
# an adapter to the government's verification service.
KYC_KOR_ID_SERVICE = env("KYC_KOR_ID_SERVICE", default="submissions.kor_id.SandboxKorIdService")
# Artificial-image detection (submissions/checks/tampering.py, docs/checks/tampering.md): the path of
# an operator-supplied ONNX model; empty selects the built-in camera-noise heuristic. Its tensor
# contract is set with a JSON object of OnnxImageScoreProvider options, e.g.
# KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS='{"input_size": [224, 224], "output": "logits", "genuine_index": 0}'.
KYC_ARTIFICIAL_IMAGE_MODEL = env("KYC_ARTIFICIAL_IMAGE_MODEL", default="")
KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS = env.json("KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS", default={})
# ID liveness (attack prevention; submissions/checks/id_liveness.py, docs/checks/registry.md): an
# operator-supplied ONNX model per pipeline (screen_replay, paper_printed, replaced_portrait) instead
# of its heuristic, e.g. KYC_ID_LIVENESS_MODELS='{"screen_replay": {"path": "/models/screen.onnx",
# "options": {"input_size": [224, 224], "output": "logits"}}}'. Unnamed pipelines keep the heuristic.
KYC_ID_LIVENESS_MODELS = env.json("KYC_ID_LIVENESS_MODELS", default={})
# Selfie passive liveness (Step 2; submissions/checks/face.py, docs/checks/faces.md): the path of an
# operator-supplied ONNX model scoring the face view (face box plus context, RGB); empty selects the
# built-in screen/print replay heuristic. Tensor contract: OnnxImageScoreProvider options, e.g.
# KYC_FACE_LIVENESS_MODEL_OPTIONS='{"input_size": [80, 80], "output": "logits", "genuine_index": 1}'.
KYC_FACE_LIVENESS_MODEL = env("KYC_FACE_LIVENESS_MODEL", default="")
KYC_FACE_LIVENESS_MODEL_OPTIONS = env.json("KYC_FACE_LIVENESS_MODEL_OPTIONS", default={})
# Face landmarks: "5" (dlib's 5-point model, public-domain dataset) or "68" (iBUG 300-W: its licence
# excludes commercial use; only for operators entitled to use it).
KYC_FACE_LANDMARK_MODEL = env("KYC_FACE_LANDMARK_MODEL", default="5")

# The review workspace.
# A reviewer's claim on a case lapses after this much inactivity (no page view, no decision).
KYC_REVIEW_CLAIM_MINUTES = env.int("KYC_REVIEW_CLAIM_MINUTES", default=15)
KYC_REVIEW_QUEUE_PAGE_SIZE = env.int("KYC_REVIEW_QUEUE_PAGE_SIZE", default=50)

# The data API: how long a signed image URL of GET /v3/submission stays valid.
KYC_IMAGE_URL_TTL_SECONDS = env.int("KYC_IMAGE_URL_TTL_SECONDS", default=600)

# Webhooks (webhooks/, docs/webhooks.md): seconds one POST to a receiver may take, and the
# attempts after which an event is given up (15: the last one about 2.7 days after the first).
KYC_WEBHOOK_TIMEOUT_SECONDS = env.int("KYC_WEBHOOK_TIMEOUT_SECONDS", default=10)
KYC_WEBHOOK_MAX_ATTEMPTS = env.int("KYC_WEBHOOK_MAX_ATTEMPTS", default=15)
# Webhook destinations (webhooks/destinations.py): https to public addresses only. Plain http is for
# development; the allow-list names internal receivers on premises (host names, addresses or
# networks, e.g. "hooks.corp.example,10.20.0.0/16"), which are otherwise refused like any internal address.
KYC_WEBHOOK_ALLOW_HTTP = env.bool("KYC_WEBHOOK_ALLOW_HTTP", default=False)
KYC_WEBHOOK_ALLOWED_HOSTS = env.list("KYC_WEBHOOK_ALLOWED_HOSTS", default=[])

# API abuse limits (kycreview/ratelimit.py): "count/seconds" fixed windows in the shared cache.
KYC_RATE_LIMIT_PER_KEY = env("KYC_RATE_LIMIT_PER_KEY", default="600/60")
KYC_RATE_LIMIT_PER_IP = env("KYC_RATE_LIMIT_PER_IP", default="1200/60")
KYC_RATE_LIMIT_WRONG_KEYS_PER_IP = env("KYC_RATE_LIMIT_WRONG_KEYS_PER_IP", default="20/60")
# Who the client is (kycreview/client_ip.py): the number of proxies in front of gunicorn that append
# to X-Forwarded-For (0: the client connects directly, REMOTE_ADDR), and the header they append to.
# The client's address is the entry that many places from the right; the left-most is the client's
# own claim. KYC_CLIENT_IP_HEADER set without a count means one proxy.
KYC_TRUSTED_PROXY_COUNT = env.int("KYC_TRUSTED_PROXY_COUNT", default=0)
KYC_CLIENT_IP_HEADER = env("KYC_CLIENT_IP_HEADER", default="")
# A whole request: both ID images, the selfie, the proof of address and the fields.
KYC_MAX_REQUEST_BYTES = env.int("KYC_MAX_REQUEST_BYTES", default=4 * KYC_MAX_IMAGE_BYTES + 1024 * 1024)
# An answer given before the request's body was read (413, 429, unauthorized) reads what is left of
# it up to this many bytes, so the connection can serve the next request; beyond, it closes.
KYC_REQUEST_DRAIN_BYTES = env.int("KYC_REQUEST_DRAIN_BYTES", default=1024 * 1024)

# ------------------------------------------------------------------------------
# ACCOUNTS AND WEB HARDENING (docs/security.md)
# ------------------------------------------------------------------------------
# Login throttling (django-axes): five wrong passwords for a username from one address lock that
# pair out for 15 minutes (HTTP 429); a success resets the count.
AXES_FAILURE_LIMIT = env.int("KYC_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KYC_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
# The lockout keys on the address the rate limits and the stored applicant IP use (without it axes
# sees only the proxy's address, and five wrong passwords from anyone lock a username for everyone).
AXES_CLIENT_IP_CALLABLE = "kycreview.client_ip.client_ip"
# Sessions end after this much inactivity (kycreview/sessions.py renews them) and with the browser.
SESSION_COOKIE_AGE = env.int("KYC_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Two-factor login (TOTP, django-otp) for everyone who signs in to the workspace. The demo of
# `make run` may relax it (KYC_REQUIRE_2FA=0); production settings refuse to.
KYC_REQUIRE_2FA = env.bool("KYC_REQUIRE_2FA", default=True)
# Encryption at rest (vault/, docs/security.md "Keys"): master keys as `id:base64key,...`, the current
# one first; they wrap the per-project keys. Without them only a demo may derive one from SECRET_KEY.
KYC_MASTER_KEYS = env("KYC_MASTER_KEYS", default="")
KYC_MASTER_KEY_FROM_SECRET = env.bool("KYC_MASTER_KEY_FROM_SECRET", default=False)
OTP_TOTP_ISSUER = env("KYC_TOTP_ISSUER", default="kycreview")
# Content-Security-Policy (django-csp): scripts only from our own static files, never inline;
# styles may be inline (the admin's own templates use style attributes; a style cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
