"""Production: every secret from the environment, HTTPS only."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# TLS is terminated by the proxy in front of gunicorn, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The same proxy appends the client's address to X-Forwarded-For, so one proxy is trusted unless the
# operator says otherwise (kycreview/client_ip.py): 0 only when clients reach gunicorn directly, 2 or
# more for a chain (a load balancer in front of the proxy). Without it every client would share the
# proxy's address: one rate-limit bucket, and a login lockout for everyone.
KYC_TRUSTED_PROXY_COUNT = env.int("KYC_TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="kycreview@localhost")

# Two-factor sign-in is not optional in production (docs/security.md).
KYC_REQUIRE_2FA = True
# Production never derives its master key: KYC_MASTER_KEYS must be set (vault/selectors.py).
KYC_MASTER_KEY_FROM_SECRET = False
# Webhooks are https in production: plain http is a development setting (webhooks/destinations.py).
KYC_WEBHOOK_ALLOW_HTTP = False
