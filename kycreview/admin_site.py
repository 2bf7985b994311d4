"""The admin site: Django's, plus the review workspace's own pages (queue, dashboard).

Operators, reviewers and auditors share one login and one permission system; what each sees
inside is scoped by `reviews.selectors.review_access_for_user`.
"""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
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

    def admin_view(self, view, cacheable=False):
        """Every admin page (model admins wrap theirs through here too) refuses a query string
        with a control character with a 400 page, before any filter or search reaches the database."""
        from submissions.codes import Step1ErrorCode, code_message
        from submissions.inputs import input_control_fields

        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def checked(request, *args, **kwargs):
            bad = input_control_fields(request.GET)
            if bad:
                context = {**self.each_context(request), "title": "Bad request",
                           "message": code_message(Step1ErrorCode.INVALID_INPUT_FORMAT, parameters=", ".join(bad))}
                return TemplateResponse(request, "admin/bad_request.html", context, status=400)
            return inner(request, *args, **kwargs)

        return checked

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
