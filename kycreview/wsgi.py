import os

from django.core.wsgi import get_wsgi_application

from kycreview.keepalive import RequestBodyDrainMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycreview.settings.local")
# An answer given before the body was read drains it or closes the connection (kycreview/keepalive.py).
application = RequestBodyDrainMiddleware(get_wsgi_application())
