"""Tests: SQLite unless DATABASE_URL names PostgreSQL; eager tasks; fast hashing."""

import atexit
import shutil
import tempfile

from .base import *  # noqa: F401,F403
from .base import DATABASES, STORAGES, env

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The suite sends thousands of requests (wrong keys included) from one address within a minute;
# the limit tests set their own small limits.
KYC_RATE_LIMIT_PER_KEY = KYC_RATE_LIMIT_PER_IP = KYC_RATE_LIMIT_WRONG_KEYS_PER_IP = "1000000/60"
# A gunicorn started by a test (kycreview/tests/servers.py) runs these settings and sets its own.
KYC_RATE_LIMIT_PER_IP = env("KYC_TEST_RATE_LIMIT_PER_IP", default=KYC_RATE_LIMIT_PER_IP)
# Most tests sign in with force_login; the two-factor tests switch it on for themselves.
KYC_REQUIRE_2FA = False
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
_media_root = env("KYC_TEST_MEDIA_ROOT", default="")
if not _media_root:
    # A fresh folder per test run, removed when the run ends.
    _media_root = tempfile.mkdtemp(prefix="kyc-media-")
    atexit.register(shutil.rmtree, _media_root, ignore_errors=True)
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": _media_root},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # The in-memory test database is shared with the live server thread; the file-oriented
    # options of base.py (WAL, IMMEDIATE) do not apply to it.
    DATABASES["default"]["OPTIONS"] = {}  # noqa: F405
KYC_MASTER_KEY_FROM_SECRET = True
