"""The webhook delivery log: every event of a project and every attempt at sending it, read-only.

The only write is the operators' resend, through `webhook_resend`, which audits it.
"""

import uuid

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from audit.services import Actor
from kycreview.admin_mixins import ProjectScopedAdminMixin, ReadOnlyAdminMixin
from submissions.admin import ADMIN_CSS, ReadOnlyInline, json_pretty

from .models import WebhookDelivery, WebhookEvent
from .selectors import webhook_event_with_last_status
from .services import webhook_resend


class WebhookDeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("attempted_at", "status_code", "duration_ms", "error", "response_excerpt")
    readonly_fields = fields
    ordering = ("-attempted_at", "-pk")
    verbose_name_plural = "Delivery attempts (newest first)"


@admin.register(WebhookEvent)
class WebhookEventAdmin(ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "project",
        "trigger",
        "submission_public_id",
        "state",
        "attempts",
        "last_status_code",
        "next_attempt_at",
    )
    list_filter = ("state", "trigger")
    list_select_related = ("project", "submission")
    # Searched by `get_search_results`: an event id or a submission id, both exact.
    search_fields = ("=submission__submission_id",)
    search_help_text = "An event id or a submission id."
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    actions = ["resend_selected"]
    inlines = [WebhookDeliveryInline]
    fields = (
        "event_id",
        "project",
        "submission_public_id",
        "trigger",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
        "created_at",
        "payload_pretty",
    )
    readonly_fields = fields

    class Media:
        css = ADMIN_CSS

    change_form_template = "admin/webhooks/webhookevent/change_form.html"

    def get_urls(self):
        return [
            path("<path:object_id>/resend/", self.admin_site.admin_view(self.resend_view),
                 name="webhooks_webhookevent_resend"),
            *super().get_urls(),
        ]

    def resend_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The change page's Resend button (POST only): the same service as the list action."""
        event = self.get_object(request, object_id)
        if event is None:
            raise Http404("No such webhook event.")
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.review_access(request).may_configure(event.project_id):
            raise PermissionDenied
        webhook_resend(event=event, actor=Actor.for_user(request.user))
        messages.success(request, f"Event {event.event_id} will be sent again now, with the same event id.")
        return HttpResponseRedirect(reverse("admin:webhooks_webhookevent_change", args=[event.pk]))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_resend"] = obj is not None and self.review_access(request).may_configure(obj.project_id)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def get_queryset(self, request):
        return webhook_event_with_last_status(super().get_queryset(request))

    def get_fields(self, request, obj=None):
        # The payload carries the client fields (cf1-cf3), which roles without the personal-data
        # right (auditors) do not see on the submission either.
        if obj is not None and not self.review_access(request).may_see_personal_data(obj.project_id):
            return tuple(field for field in self.fields if field != "payload_pretty")
        return self.fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        try:
            uuid.UUID(term)
        except ValueError:
            return queryset.none(), False
        return queryset.filter(Q(event_id=term) | Q(submission__submission_id=term)), False

    def has_resend_permission(self, request) -> bool:
        access = self.review_access(request)
        return access.is_superuser or any(access.may_configure(pk) for pk in access.roles)

    @admin.action(description="Resend selected events", permissions=["resend"])
    def resend_selected(self, request, queryset: QuerySet[WebhookEvent]) -> None:
        access = self.review_access(request)
        actor = Actor.for_user(request.user)
        resent, refused = 0, []
        for event in queryset.order_by("pk"):
            # The action is offered to anyone who configures some project; each event is checked
            # against its own project.
            if not access.may_configure(event.project_id):
                refused.append(str(event.event_id))
                continue
            webhook_resend(event=event, actor=actor)
            resent += 1
        messages.success(request, f"Resent {resent} event(s); each keeps its event id.")
        if refused:
            messages.warning(
                request, f"Not resent: {', '.join(refused)} — your role in the project does not configure it"
            )

    @admin.display(description="Submission", ordering="submission__submission_id")
    def submission_public_id(self, obj: WebhookEvent) -> str:
        return obj.submission.submission_id if obj.submission_id else obj.payload.get("submission_id", "—")

    @admin.display(description="Last status")
    def last_status_code(self, obj: WebhookEvent) -> str:
        return "—" if getattr(obj, "last_status_code", None) is None else str(obj.last_status_code)

    @admin.display(description="Payload (as sent)")
    def payload_pretty(self, obj: WebhookEvent) -> str:
        return json_pretty(obj.payload)
