"""The admin site: Django's, plus the review workspace's own pages (queue, dashboard).

Operators, reviewers and auditors share one login and one permission system; what each sees
inside is scoped by `reviews.selectors.review_access_for_user`.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseRedirect
from django.urls import path


class KycAdminSite(admin.AdminSite):
    site_header = "kycreview"
    site_title = "kycreview"
    index_title = "Workspace"

    def has_permission(self, request) -> bool:
        from .two_factor import two_factor_required

        # With two-factor on, a password alone is not a workspace session.
        verified = not two_factor_required() or request.user.is_verified()
        return super().has_permission(request) and verified

    @property
    def login_form(self):
        from .two_factor import two_factor_login_form

        return two_factor_login_form()

    @property
    def login_template(self):
        from .two_factor import two_factor_required

        return "otp/admin111/login.html" if two_factor_required() else None

    def login(self, request, extra_context=None):
        from .two_factor import two_factor_needs_enrolment, two_factor_setup_url

        if request.method == "GET" and two_factor_needs_enrolment(request):
            return HttpResponseRedirect(two_factor_setup_url(request))
        return super().login(request, extra_context)

    def get_urls(self):
        # Imported here: the views import models, which are not ready when the site is built.
        from reviews.views.dashboard import review_dashboard_view
        from reviews.views.queue import review_queue_view

        from .two_factor import two_factor_setup_view

        return [
            path("two-factor/setup/", lambda request: two_factor_setup_view(request, admin_site=self),
                 name="two_factor_setup"),
            path("review/queue/", self.admin_view(review_queue_view), name="review_queue"),
            path("review/dashboard/", self.admin_view(review_dashboard_view), name="review_dashboard"),
            *super().get_urls(),
        ]


class KycAdminConfig(AdminConfig):
    default_site = "kycreview.admin_site.KycAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.auth.signals import user_logged_in

        from .sessions import session_touch_on_login

        user_logged_in.connect(session_touch_on_login, dispatch_uid="kycreview.session_touch_on_login")
