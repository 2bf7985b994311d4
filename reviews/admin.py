from django.contrib import admin

from kycreview.admin_mixins import PersonalDataMaskedMixin, ProjectScopedAdminMixin, ReadOnlyAdminMixin
from kycreview.masking import mask_personal
from submissions.admin import json_pretty

from .models import ReviewDecision


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(PersonalDataMaskedMixin, ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reviewer decisions, read-only: they are written only by `review_decide`."""

    project_path = "submission__project"
    masked_fields = {"edits": "edits_masked"}  # an edit may correct a document number

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

    @admin.display(description="Edits")
    def edits_masked(self, obj: ReviewDecision) -> str:
        return json_pretty(mask_personal(obj.edits))

    @admin.display(description="Project")
    def project(self, obj: ReviewDecision) -> str:
        return obj.submission.project.name

    @admin.display(description="Reject codes")
    def reject_codes_display(self, obj: ReviewDecision) -> str:
        return ", ".join(obj.reject_codes) or "—"

