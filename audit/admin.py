import json

from django.contrib import admin
from django.utils.html import format_html

from kycreview.admin_mixins import ProjectScopedAdminMixin, ReadOnlyAdminMixin

from .models import AuditEvent


def _json_pretty(value) -> str:
    if not value:
        return "—"
    return format_html(
        '<pre class="kyc-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    )


@admin.register(AuditEvent)
class AuditEventAdmin(ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, read-only: rows are written only by `audit_record`."""

    class Media:
        css = {"all": ("kycreview/admin.css",)}

    list_display = ("created_at", "actor_type", "actor_label", "action", "project", "submission")
    list_filter = ("action", "actor_type")
    list_select_related = ("project", "submission")
    search_fields = ("=submission__submission_id", "=project__project_id", "actor_label")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    fields = (
        "created_at",
        "actor_type",
        "actor_label",
        "actor_user",
        "actor_api_key",
        "action",
        "project",
        "submission",
        "before_pretty",
        "after_pretty",
    )
    readonly_fields = fields

    @admin.display(description="Before")
    def before_pretty(self, obj: AuditEvent) -> str:
        return _json_pretty(obj.before)

    @admin.display(description="After")
    def after_pretty(self, obj: AuditEvent) -> str:
        return _json_pretty(obj.after)

