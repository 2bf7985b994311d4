"""The admin site: Django's, plus the review workspace's own pages (queue, dashboard).

Operators, reviewers and auditors share one login and one permission system; what each sees
inside is scoped by `reviews.selectors.review_access_for_user`.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path


class KycAdminSite(admin.AdminSite):
    site_header = "kycreview"
    site_title = "kycreview"
    index_title = "Workspace"

    def get_urls(self):
        # Imported here: the views import models, which are not ready when the site is built.
        from reviews.views.dashboard import review_dashboard_view
        from reviews.views.queue import review_queue_view

        return [
            path("review/queue/", self.admin_view(review_queue_view), name="review_queue"),
            path("review/dashboard/", self.admin_view(review_dashboard_view), name="review_dashboard"),
            *super().get_urls(),
        ]


class KycAdminConfig(AdminConfig):
    default_site = "kycreview.admin_site.KycAdminSite"
