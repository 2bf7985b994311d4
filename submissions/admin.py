"""Operator and reviewer admin for projects, keys and submissions.

Every write goes through a service (project_*, api_key_create, review_*): the admin never
saves an option, a key or a status itself, so the audit trail is the same as the API's.
Submissions are read-only here; reviewers decide on the decision page or with the actions.
"""

import json
from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.text import capfirst

from audit.models import AuditEvent
from audit.services import Actor, audit_record
from kycreview.admin_mixins import (
    PersonalDataMaskedMixin,
    ProjectScopedAdminMixin,
    ProjectScopedListFilter,
    ReadOnlyAdminMixin,
)
from kycreview.masking import mask_personal
from reviews.forms import RejectForm
from reviews.models import ProjectMembership, ReviewDecision
from reviews.selectors import review_access_for_user
from reviews.services import review_approve, review_reject
from reviews.views.case import review_case_view, review_submission_for_user, review_user_may_decide

from .choices import ProjectStatus, SubmissionStatus
from .exceptions import SubmissionError
from .file_urls import stored_file_admin_signature_valid, stored_file_admin_url
from .models import ApiKey, CheckResult, Project, SandboxBankTransfer, StoredFile, Submission, submission_email_key
from .selectors import stored_file_read
from .services import api_key_create, project_close, project_create, project_rotate_key, project_set_options

ADMIN_CSS = {"all": ("kycreview/admin.css",)}


def json_pretty(value) -> str:
    if value in (None, "", {}, []):
        return "—"
    return format_html(
        '<pre class="kyc-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    )


NEW_API_KEY_ATTR = "kyc_new_api_key"  # set on the request object only: the key lives as long as the request


def key_shown_once(request: HttpRequest, *, project: Project, raw_key: str) -> None:
    """Keep a new key for the response of this same request (never in the session or a message)."""
    setattr(request, NEW_API_KEY_ATTR, (project, raw_key))


def key_shown_once_response(request: HttpRequest, *, admin_site, continue_url: str) -> HttpResponse | None:
    """The page that shows the key kept by `key_shown_once`, or None when this request made no key.

    The key is rendered into this one response and stored nowhere: a message would sit in
    `django_session` until the next page is shown, and a cached page would keep it on disk.
    """
    new_key = getattr(request, NEW_API_KEY_ATTR, None)
    if new_key is None:
        return None
    project, raw_key = new_key
    context = {
        **admin_site.each_context(request),
        "title": f"New API key for {project.name}",
        "opts": Project._meta,
        "project": project,
        "raw_key": raw_key,
        "continue_url": continue_url,
    }
    response = TemplateResponse(request, "admin/submissions/project/api_key_shown.html", context)
    add_never_cache_headers(response)
    return response


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Rows that are part of the parent's record: shown to whoever may view the parent, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = False

    # What the viewer's role in the parent's project must allow: "view", "personal" or "configure".
    requires = "view"

    def has_view_permission(self, request, obj=None) -> bool:
        access = review_access_for_user(request.user)
        if obj is None:
            return access.has_any_project
        project_id = obj.pk if isinstance(obj, Project) else obj.project_id
        return {
            "view": access.may_view,
            "personal": access.may_see_personal_data,
            "configure": access.may_configure,
        }[self.requires](project_id)


# -- projects and API keys -----------------------------------------------------------


class ApiKeyInline(ReadOnlyInline):
    model = ApiKey
    requires = "configure"
    fields = ("prefix", "name", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = "API keys (only the prefix is kept; rotate to issue a new key)"


OPTION_FIELDSETS = (
    ("Document checks", ("id_card_validation", "universal_id", "attack_prevention", "ai_supported")),
    (
        "Face",
        (
            "face_duplicate_verification",
            "face_duplicate_limit",
            "face_match_threshold",
            "liveness_threshold",
            "id_liveness_threshold",
        ),
    ),
    ("Rules", ("blacklist_countries", "age_limit", "accepted_id_types", "reject_duplicate_user")),
    (
        "Periods and limits",
        (
            "approved_period_days",
            "rejected_period_days",
            "retry_limit",
            "submission_validity_hours",
            "incomplete_timeout_hours",
        ),
    ),
    ("Address and bank", ("address_collection", "account_occupancy_kor")),
    ("Automation", ("auto_approve_score", "automated_processing_only")),
    ("Review", ("four_eyes_review", "review_sla_hours")),
    ("Notifications and webhooks", ("webhook_url", "notify_applicant_approved", "notify_applicant_rejected",
                                    "notify_applicant_pending")),
    ("Retention", ("retention_days",)),
)


def project_membership_user_choices(access) -> QuerySet:
    """The users an operator may grant a role to: members of the projects they configure, and staff
    accounts without any role yet (made by a superuser). A member only of other projects is not
    listed: the choice list would name another tenant's staff."""
    users = get_user_model().objects.order_by("username")
    if access.is_superuser:
        return users
    configured = [pk for pk in access.roles if access.may_configure(pk)]
    unassigned = Q(project_memberships__isnull=True, is_staff=True, is_active=True, is_superuser=False)
    return users.filter(Q(project_memberships__project_id__in=configured) | unassigned).distinct()


class ProjectMembershipInline(admin.TabularInline):
    """Who works on the project and in which role; operators grant and withdraw them."""

    model = ProjectMembership
    extra = 0
    fields = ("user", "role", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ()

    def _may_configure(self, request, obj) -> bool:
        return obj is not None and review_access_for_user(request.user).may_configure(obj.pk)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = project_membership_user_choices(review_access_for_user(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._may_configure(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._may_configure(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_configure(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_configure(request, obj)


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "pk"
    list_display = ("name", "project_id", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("name", "=project_id")
    inlines = [ApiKeyInline, ProjectMembershipInline]
    actions = ["close_projects"]
    change_form_template = "admin/submissions/project/change_form.html"

    def get_fieldsets(self, request, obj=None):
        # A new project is always active; closing is the "Close project" action or the status field.
        general = ("name",) if obj is None else ("name", "project_id", "status", "created_at", "updated_at")
        if obj is not None and self.review_access(request).may_configure(obj.pk):
            general = (*general, "webhook_secret")  # the receiver's key: operators only
        return ((None, {"fields": general}), *((title, {"fields": keys}) for title, keys in OPTION_FIELDSETS))

    def get_readonly_fields(self, request, obj=None):
        return ("project_id", "created_at", "updated_at", "webhook_secret")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "webhook_url":
            # A URL typed without a scheme means https: webhooks are refused over plain http.
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        # Submissions and audit rows keep their project; a project is closed, not deleted.
        return False

    def has_add_permission(self, request) -> bool:
        return self.review_access(request).is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        access = self.review_access(request)
        if obj is None:
            return access.is_superuser or any(access.may_configure(pk) for pk in access.roles)
        return access.may_configure(obj.pk)

    def save_formset(self, request, form, formset, change: bool) -> None:
        if formset.model is not ProjectMembership:
            return super().save_formset(request, form, formset, change)
        # Roles decide who sees identity data: every grant, change and withdrawal is audited.
        actor = Actor.for_user(request.user)
        before = {m.user.get_username(): m.role for m in ProjectMembership.objects.filter(project=form.instance)
                  .select_related("user")}
        formset.save()
        after = {m.user.get_username(): m.role for m in ProjectMembership.objects.filter(project=form.instance)
                 .select_related("user")}
        if before != after:
            audit_record(actor=actor, action="project_members_changed", project=form.instance,
                         before=before, after=after)

    def response_add(self, request, obj: Project, post_url_continue=None):
        change_url = reverse("admin:submissions_project_change", args=[obj.pk])
        shown = key_shown_once_response(request, admin_site=self.admin_site, continue_url=change_url)
        return shown or super().response_add(request, obj, post_url_continue)

    def save_model(self, request, obj: Project, form, change: bool) -> None:
        actor = Actor.for_user(request.user)
        if not change:
            options = {key: form.cleaned_data[key] for key in Project.OPTION_KEYS if key in form.cleaned_data}
            project, raw_key = project_create(name=form.cleaned_data["name"], options=options, actor=actor)
            obj.pk = project.pk
            obj.refresh_from_db()
            obj._state.adding = False
            key_shown_once(request, project=project, raw_key=raw_key)
            return
        # changed_data also lists fields with callable defaults (show_hidden_initial) whose hidden
        # initial was not posted; compare with the loaded values so only real changes are sent.
        changed = [
            key
            for key in Project.OPTION_KEYS
            if key in form.changed_data and form.cleaned_data[key] != form.initial.get(key)
        ]
        if changed:
            project_set_options(project=obj, options={key: form.cleaned_data[key] for key in changed}, actor=actor)
        plain = [key for key in ("name", "status") if key in form.changed_data]
        if plain:
            obj.save(update_fields=[*plain, "updated_at"])
            audit_record(
                actor=actor,
                action="project_updated",
                project=obj,
                before={key: form.initial.get(key) for key in plain},
                after={key: getattr(obj, key) for key in plain},
            )

    @admin.action(description="Close selected projects", permissions=["change"])
    def close_projects(self, request, queryset: QuerySet[Project]) -> None:
        # The action is offered to anyone who configures some project, and the list also shows
        # projects the user only reviews or audits: each project is checked against its own role.
        access = self.review_access(request)
        actor = Actor.for_user(request.user)
        closed, refused = 0, []
        for project in queryset.filter(status=ProjectStatus.ACTIVE).order_by("pk"):
            if not access.may_configure(project.pk):
                refused.append(project.name)
                continue
            project_close(project=project, actor=actor)
            closed += 1
        messages.success(request, f"Closed {closed} project(s).")
        if refused:
            messages.warning(request, f"Not closed: {', '.join(refused)} — your role in the project does not configure it")

    # Rotation revokes every active key at once, so it gets its own confirmation page.
    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/rotate-key/",
                self.admin_site.admin_view(self.rotate_key_view),
                name=f"{opts.app_label}_{opts.model_name}_rotate_key",
            ),
            *super().get_urls(),
        ]

    def rotate_key_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        project = self.get_object(request, object_id)
        if project is None:
            raise Http404("No such project.")
        if not self.has_change_permission(request, project):
            raise PermissionDenied
        change_url = reverse("admin:submissions_project_change", args=[project.pk])
        if request.method == "POST":
            raw_key = project_rotate_key(project=project, actor=Actor.for_user(request.user))
            key_shown_once(request, project=project, raw_key=raw_key)
            return key_shown_once_response(request, admin_site=self.admin_site, continue_url=change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rotate the API key of {project.name}",
            "opts": self.model._meta,
            "original": project,
            "change_url": change_url,
            "active_keys": project.api_keys.filter(revoked_at__isnull=True).order_by("-created_at"),
        }
        return TemplateResponse(request, "admin/submissions/project/rotate_key_confirm.html", context)


@admin.register(ApiKey)
class ApiKeyAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("prefix", "project", "name", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("project",)
    search_fields = ("=prefix", "project__name", "=project__project_id")
    ordering = ("-created_at", "-pk")
    actions = ["revoke_keys"]
    # key_hash is never displayed: not in any field list below.
    add_fields = ("project", "name")
    readonly_fields = ("project", "name", "prefix", "created_at", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Audit rows name the key that acted; revoke instead.
        return False

    def has_revoke_permission(self, request) -> bool:
        access = self.review_access(request)
        return access.is_superuser or any(access.may_configure(pk) for pk in access.roles)

    def has_add_permission(self, request) -> bool:
        return self.has_revoke_permission(request)

    def get_queryset(self, request):
        # Keys are an operator's business: other roles see none, even of their projects.
        access = self.review_access(request)
        queryset = super().get_queryset(request)
        return queryset if access.is_superuser else queryset.filter(
            project_id__in=[pk for pk in access.roles if access.may_configure(pk)])

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "project":
            access = self.review_access(request)
            kwargs["queryset"] = Project.objects.filter(
                pk__in=[pk for pk in access.roles if access.may_configure(pk)]) if not access.is_superuser \
                else Project.objects.all()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def response_add(self, request, obj: ApiKey, post_url_continue=None):
        changelist_url = reverse("admin:submissions_apikey_changelist")
        shown = key_shown_once_response(request, admin_site=self.admin_site, continue_url=changelist_url)
        return shown or super().response_add(request, obj, post_url_continue)

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        api_key, raw_key = api_key_create(project=form.cleaned_data["project"], name=form.cleaned_data["name"])
        obj.pk = api_key.pk
        obj.refresh_from_db()
        obj._state.adding = False
        audit_record(
            actor=Actor.for_user(request.user),
            action="api_key_created",
            project=api_key.project,
            after={"prefix": api_key.prefix, "name": api_key.name},
        )
        key_shown_once(request, project=api_key.project, raw_key=raw_key)

    @admin.action(description="Revoke selected API keys", permissions=["revoke"])
    def revoke_keys(self, request, queryset: QuerySet[ApiKey]) -> None:
        actor = Actor.for_user(request.user)
        now = timezone.now()
        revoked = 0
        for api_key in queryset.select_related("project").filter(revoked_at__isnull=True):
            ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
            audit_record(
                actor=actor,
                action="api_key_revoked",
                project=api_key.project,
                after={"prefix": api_key.prefix, "revoked_at": now.isoformat()},
            )
            revoked += 1
        messages.success(request, f"Revoked {revoked} API key(s).")


# -- submissions ---------------------------------------------------------------------


class StoredFileInline(ReadOnlyInline):
    model = StoredFile
    requires = "personal"
    fields = ("thumbnail", "kind", "content_type", "dimensions", "sha256", "created_at", "superseded_at")
    readonly_fields = fields
    ordering = ("kind", "-created_at")
    verbose_name_plural = "Files (superseded ones are kept)"

    @admin.display(description="Image")
    def thumbnail(self, obj: StoredFile) -> str:
        url = stored_file_admin_url(obj)
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" class="kyc-thumb" loading="lazy"></a>',
            url,
            url,
            obj.get_kind_display(),
        )

    @admin.display(description="Size")
    def dimensions(self, obj: StoredFile) -> str:
        return f"{obj.width}×{obj.height}"


class CheckResultInline(ReadOnlyInline):
    model = CheckResult
    requires = "personal"  # evidence holds decoded document numbers
    fields = ("step", "attempt", "check_name", "outcome", "code", "score", "threshold", "evidence_pretty", "duration")
    readonly_fields = fields
    ordering = ("created_at", "pk")

    @admin.display(description="Evidence")
    def evidence_pretty(self, obj: CheckResult) -> str:
        return json_pretty(obj.evidence)

    @admin.display(description="Duration")
    def duration(self, obj: CheckResult) -> str:
        return f"{obj.duration_ms:.1f} ms"


class ReviewDecisionInline(PersonalDataMaskedMixin, ReadOnlyInline):
    model = ReviewDecision
    fields = ("created_at", "reviewer_display", "decision", "reject_codes", "comment", "internal_note", "edits")
    readonly_fields = fields
    masked_fields = {"edits": "edits_masked"}  # an edit may correct a document number
    ordering = ("-created_at", "-pk")

    @admin.display(description="Edits")
    def edits_masked(self, obj: ReviewDecision) -> str:
        return json_pretty(mask_personal(obj.edits))


class AuditEventInline(ReadOnlyInline):
    model = AuditEvent
    requires = "personal"  # before/after hold edited personal values; the case page shows the bare timeline
    fk_name = "submission"
    fields = ("created_at", "actor_label", "action", "before_pretty", "after_pretty")
    readonly_fields = fields
    ordering = ("-created_at", "-pk")
    verbose_name_plural = "Audit trail"

    @admin.display(description="Before")
    def before_pretty(self, obj: AuditEvent) -> str:
        return json_pretty(obj.before_plain)

    @admin.display(description="After")
    def after_pretty(self, obj: AuditEvent) -> str:
        return json_pretty(obj.after_plain)


SUBMISSION_FIELDSETS = (
    (None, {"fields": ("submission_id", "project", "status", "email", "userid", "client_ip")}),
    ("Document", {"fields": ("requested_id_type", "id_type", "issuing_country")}),
    (
        "Progress",
        {
            "fields": (
                "retry_count",
                "created_at",
                "step1_completed_at",
                "prestep2_completed_at",
                "step2_completed_at",
                "last_activity_at",
                "decided_at",
                "expired_at",
                "erased_at",
            )
        },
    ),
    ("Decision", {"fields": ("overall_score", "reject_codes_display", "reject_comments_display")}),
    ("Data", {"fields": ("extracted_data_pretty", "entered_data_pretty")}),
    (
        "Client fields",
        {"classes": ("collapse",), "fields": ("cf1", "cf2", "cf3", "custom_options_pretty", "identity_key")},
    ),
)
PERSONAL_FIELDSETS = ("Data", "Client fields")
# Large per-row JSON the changelist never shows.
SUBMISSION_CHANGELIST_DEFERRED = ("extracted_data", "entered_data", "custom_options", "reject_comments")


@admin.register(Submission)
class SubmissionAdmin(ProjectScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Operators read submissions here; status changes only through the review services.
    list_display = (
        "submission_id",
        "project",
        "email",
        "status",
        "retry_count",
        "id_type",
        "issuing_country",
        "created_at",
        "decided_at",
    )
    list_filter = ("status", ("project", ProjectScopedListFilter), "id_type")
    search_fields = ("=submission_id", "=userid")
    list_select_related = ("project", "data_key__project_key")
    ordering = ("-created_at", "-pk")
    show_full_result_count = False
    fieldsets = SUBMISSION_FIELDSETS
    inlines = [StoredFileInline, CheckResultInline, ReviewDecisionInline, AuditEventInline]
    actions = ["approve_selected", "reject_selected"]
    change_form_template = "admin/submissions/submission/change_form.html"

    class Media:
        css = ADMIN_CSS

    def get_search_results(self, request, queryset, search_term):
        # The email is sealed: searched exactly, through its keyed hash, as the review queue does.
        term = search_term.strip()
        if "@" in term:
            return queryset.filter(email_key=submission_email_key(term)), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "submissions_submission_changelist":
            queryset = queryset.defer(*SUBMISSION_CHANGELIST_DEFERRED)
        return queryset

    def get_fieldsets(self, request, obj=None):
        # Roles without the personal-data right (auditors) see the record without its data.
        if obj is not None and not self.review_access(request).may_see_personal_data(obj.project_id):
            return [(title, options) for title, options in self.fieldsets if title not in PERSONAL_FIELDSETS]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [field for _, options in self.fieldsets for field in options["fields"]]

    def has_decide_permission(self, request) -> bool:
        return review_user_may_decide(request.user)


    @admin.display(description="Reject codes")
    def reject_codes_display(self, obj: Submission) -> str:
        return ", ".join(obj.reject_codes) or "—"

    @admin.display(description="Reject comments")
    def reject_comments_display(self, obj: Submission) -> str:
        return json_pretty(obj.reject_comments)

    @admin.display(description="Extracted data (document)")
    def extracted_data_pretty(self, obj: Submission) -> str:
        return json_pretty(obj.extracted_data)

    @admin.display(description="Entered data (applicant)")
    def entered_data_pretty(self, obj: Submission) -> str:
        return json_pretty(obj.entered_data)

    @admin.display(description="Custom options")
    def custom_options_pretty(self, obj: Submission) -> str:
        return json_pretty(obj.custom_options)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_decide"] = (
            obj is not None and obj.status == SubmissionStatus.PENDING and self.has_decide_permission(request)
        )
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # -- extra views ---------------------------------------------------------------

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        return [
            path(
                "<path:object_id>/file/<int:file_pk>/",
                # cacheable=True: the view sets its own Cache-Control (private, no-store).
                self.admin_site.admin_view(self.file_view, cacheable=True),
                name=f"{prefix}_file",
            ),
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name=f"{prefix}_decide",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, object_id: str, file_pk: int) -> HttpResponse:
        """Answer one stored image, decrypted, to a user whose role shows personal data, through a signed URL
        that has not expired (`stored_file_admin_url`); never cached."""
        submission = review_submission_for_user(request, object_id)
        if not self.review_access(request).may_see_personal_data(submission.project_id):
            raise PermissionDenied
        stored = StoredFile.objects.filter(pk=file_pk, submission=submission).first()
        if stored is None:
            raise Http404("No such file for this submission.")
        if not stored_file_admin_signature_valid(request.GET.get("sig", ""), stored):
            raise PermissionDenied  # a URL from an old page, or not one the workspace issued
        data = stored_file_read(stored)
        if data is None:
            raise Http404("The file is missing from storage.")
        response = HttpResponse(data, content_type=stored.content_type)
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = f'inline; filename="{stored.kind}-{stored.pk}"'
        return response

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return review_case_view(request, model_admin=self, object_id=object_id)

    # -- actions -------------------------------------------------------------------

    def _decidable_ids(self, request, queryset: QuerySet[Submission], refused: dict[str, list[str]]) -> list[str]:
        """The selected submissions of projects where the user decides; the others go to `refused`."""
        access = self.review_access(request)
        ids = []
        for submission_id, project_id in queryset.order_by("pk").values_list("submission_id", "project_id"):
            if access.may_decide(project_id):
                ids.append(submission_id)
            else:
                refused["your role in this project does not decide"].append(submission_id)
        return ids

    def _report_refusals(self, request, refused: dict[str, list[str]], verb: str) -> None:
        for message, submission_ids in refused.items():
            messages.warning(request, f"Not {verb}: {', '.join(submission_ids)} — {message}")

    @admin.action(description="Approve selected submissions", permissions=["decide"])
    def approve_selected(self, request, queryset: QuerySet[Submission]) -> None:
        actor = Actor.for_user(request.user)
        approved, refused = 0, defaultdict(list)
        for submission_id in self._decidable_ids(request, queryset, refused):
            try:
                review_approve(submission_id=submission_id, actor=actor)
            except SubmissionError as exc:
                refused[exc.message].append(submission_id)
            else:
                approved += 1
        messages.success(request, f"Approved {approved} submission(s).")
        self._report_refusals(request, refused, "approved")

    @admin.action(description="Reject selected submissions…", permissions=["decide"])
    def reject_selected(self, request, queryset: QuerySet[Submission]) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            actor = Actor.for_user(request.user)
            rejected, refused = 0, defaultdict(list)
            for submission_id in self._decidable_ids(request, queryset, refused):
                try:
                    review_reject(
                        submission_id=submission_id,
                        actor=actor,
                        codes=form.cleaned_data["codes"],
                        comment=form.cleaned_data["comment"],
                        note=form.cleaned_data["note"],
                    )
                except SubmissionError as exc:
                    refused[exc.message].append(submission_id)
                else:
                    rejected += 1
            messages.success(request, f"Rejected {rejected} submission(s).")
            self._report_refusals(request, refused, "rejected")
            return None
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject submissions",
            "opts": opts,
            "form": form,
            "queryset": queryset.select_related(None).order_by("pk").only("pk", "submission_id", "email", "status"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "verbose_name_plural": capfirst(opts.verbose_name_plural),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/submissions/submission/reject_selected.html", context)


@admin.register(SandboxBankTransfer)
class SandboxBankTransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The sandbox bank's statement: where a developer reads the 1-won code in the demo."""

    list_display = ("created_at", "bank_code", "account_number", "amount_won", "depositor_text", "reference")
    search_fields = ("=account_number", "=reference")
    ordering = ("-created_at", "-pk")
    readonly_fields = ("reference", "bank_code", "account_number", "amount_won", "depositor_text", "created_at")
    fields = readonly_fields

