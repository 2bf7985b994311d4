from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from kycreview.health import health

# A fault outside any view (a database down under a middleware) never answers Django's HTML page.
handler500 = "kycreview.faults.server_error"

urlpatterns = [
    path("v3/", include("submissions.urls")),
    path("v3/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script as a file: the docs page satisfies the CSP too.
    path("v3/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("v3/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("health", health, name="health"),
    path("admin/", admin.site.urls),
]
