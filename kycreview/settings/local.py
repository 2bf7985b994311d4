"""One machine, for development and the `make run` demo."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Static files come from the app folders through whitenoise's finders; no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
# The `make run` demo signs in with a password only; set KYC_REQUIRE_2FA=1 to try two-factor.
KYC_REQUIRE_2FA = env.bool("KYC_REQUIRE_2FA", default=False)
# The demo derives its master key from SECRET_KEY unless KYC_MASTER_KEYS is given.
KYC_MASTER_KEY_FROM_SECRET = env.bool("KYC_MASTER_KEY_FROM_SECRET", default=True)
