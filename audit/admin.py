import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html

from kycreview.admin_mixins import PersonalDataMaskedMixin, ProjectScopedAdminMixin, ReadOnlyAdminMixin
from kycreview.masking import mask_personal

from .models import AuditChainHead, AuditEvent
from .selectors import audit_erasure_report


def _json_pretty(value) -> str:
    if not value:
        return "—"
    return format_html(
        '<pre class="kyc-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    )


class AuditSealedFilter(admin.SimpleListFilter):
    title = "sealed"
    parameter_name = "sealed"

    def lookups(self, request, model_admin):
        return (("yes", "Sealed"), ("no", "Not sealed yet"))

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(hash__isnull=self.value() == "no")
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(PersonalDataMaskedMixin, ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail, read-only: rows are written only by `audit_record`.

    Before/after hold edited values (a corrected document number): masked for auditors.
    """

    masked_fields = {"before_pretty": "before_masked", "after_pretty": "after_masked"}

    class Media:
        css = {"all": ("kycreview/admin.css",)}

    list_display = (
        "created_at",
        "actor_type",
        "actor_label",
        "action",
        "project",
        "submission",
        "sealed",
        "chain_seq",
        "hash_prefix",
    )
    list_filter = (AuditSealedFilter, "action", "actor_type")
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
        "chain_seq",
        "content_digest",
        "prev_hash",
        "hash",
        "actor_user_ref",
        "actor_api_key_ref",
    )
    readonly_fields = fields

    change_list_template = "admin/audit/auditevent/change_list.html"

    def get_urls(self):
        return [
            path("erasures/", self.admin_site.admin_view(self.erasure_report_view), name="audit_erasure_report"),
            *super().get_urls(),
        ]

    def erasure_report_view(self, request: HttpRequest) -> HttpResponse:
        """What was erased, when, in which project and by whom (the API, the retention job)."""
        access = self.review_access(request)
        if not access.has_any_project:
            raise PermissionDenied
        days = 90
        report = audit_erasure_report(project_ids=None if access.is_superuser else list(access.roles), days=days)
        context = {**self.admin_site.each_context(request), "title": "Erasure report", "opts": self.model._meta,
                   "report": report, "days": days}
        return TemplateResponse(request, "admin/audit/erasure_report.html", context)

    @admin.display(description="Sealed", boolean=True)
    def sealed(self, obj: AuditEvent) -> bool:
        return obj.is_sealed

    @admin.display(description="Hash")
    def hash_prefix(self, obj: AuditEvent) -> str:
        return f"{obj.hash[:12]}…" if obj.hash else "—"

    @admin.display(description="Before")
    def before_pretty(self, obj: AuditEvent) -> str:
        return _json_pretty(obj.before_plain)

    @admin.display(description="After")
    def after_pretty(self, obj: AuditEvent) -> str:
        return _json_pretty(obj.after_plain)

    @admin.display(description="Before")
    def before_masked(self, obj: AuditEvent) -> str:
        return _json_pretty(mask_personal(obj.before_plain))

    @admin.display(description="After")
    def after_masked(self, obj: AuditEvent) -> str:
        return _json_pretty(mask_personal(obj.after_plain))


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The end of each chain: `anchor` is what to publish elsewhere (docs/audit.md)."""

    list_display = ("chain", "sealed_count", "last_event_id", "updated_at", "anchor")
    list_select_related = ("project",)
    ordering = ("project__pk",)
    fields = ("chain", "sealed_count", "last_event_id", "last_hash", "updated_at", "anchor")
    readonly_fields = fields

    @admin.display(description="Chain")
    def chain(self, obj: AuditChainHead) -> str:
        return obj.chain_label

    @admin.display(description="Anchor (CHAIN:SEQ:HASH)")
    def anchor(self, obj: AuditChainHead) -> str:
        return str(obj)
