from django.contrib import admin

from kycreview.admin_mixins import ProjectScopedAdminMixin, ReadOnlyAdminMixin

from .models import ReviewDecision


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    project_path = "submission__project"
    """Reviewer decisions, read-only: they are written only by `review_decide`."""

    class Media:
        css = {"all": ("kycreview/admin.css",)}

    list_display = ("created_at", "submission", "project", "reviewer_display", "decision", "reject_codes_display")
    list_filter = ("decision",)
    list_select_related = ("submission__project",)
    search_fields = ("=submission__submission_id", "reviewer_label")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    fields = (
        "submission",
        "reviewer",
        "reviewer_label",
        "reviewer_admin",
        "decision",
        "reject_codes",
        "comment",
        "internal_note",
        "edits",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="Project")
    def project(self, obj: ReviewDecision) -> str:
        return obj.submission.project.name

    @admin.display(description="Reject codes")
    def reject_codes_display(self, obj: ReviewDecision) -> str:
        return ", ".join(obj.reject_codes) or "—"

