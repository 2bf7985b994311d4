"""Operator admin of the document registries: specimens, templates, invalidated documents.

Every write goes through `documents.services` (which derives hashes and features and audits):
the add pages post plain forms to a service, deletions call the delete services, and rows are
otherwise read-only. Images are streamed to users who may view the registry, never served as
public media.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audit.services import Actor
from verification.registry import hash_to_unsigned

from .forms import InvalidatedDocumentCsvForm, InvalidatedDocumentForm, RegisteredImageForm
from .models import DocumentSpecimen, DocumentTemplate, InvalidatedDocument
from .services import (
    invalidated_document_add,
    invalidated_document_delete,
    invalidated_documents_import_csv,
    specimen_add,
    specimen_delete,
    template_add,
    template_delete,
)

ADMIN_CSS = {"all": ("kycreview/admin.css",)}
SERVICE_FORM_TEMPLATE = "admin/documents/service_form.html"


class ServiceAdmin(admin.ModelAdmin):
    """Rows added through a form posted to a service, deleted through a service, never edited."""

    add_form_class = None
    add_help = ""

    class Media:
        css = ADMIN_CSS

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def service_add(self, request: HttpRequest, data: dict):
        raise NotImplementedError

    def service_delete(self, request: HttpRequest, obj) -> None:
        raise NotImplementedError

    def _changelist_url(self) -> str:
        opts = self.model._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")

    def render_service_form(self, request: HttpRequest, form, *, title: str, help_text: str = "") -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "help_text": help_text,
            "changelist_url": self._changelist_url(),
        }
        return TemplateResponse(request, SERVICE_FORM_TEMPLATE, context)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.add_form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                obj = self.service_add(request, form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Added {obj}.")
                return HttpResponseRedirect(self._changelist_url())
        return self.render_service_form(request, form, title=f"Add {self.model._meta.verbose_name}",
                                        help_text=self.add_help)

    def delete_model(self, request: HttpRequest, obj) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            self.service_delete(request, obj)


class RegisteredImageAdmin(ServiceAdmin):
    add_form_class = RegisteredImageForm
    list_filter = ("country", "id_type", "side", "document_detected")
    search_fields = ("=country", "note")
    ordering = ("country", "id_type", "side", "-created_at")

    def get_urls(self):
        opts = self.model._meta
        return [
            path("<path:object_id>/image/", self.admin_site.admin_view(self.image_view),
                 name=f"{opts.app_label}_{opts.model_name}_image"),
            *super().get_urls(),
        ]

    def image_view(self, request: HttpRequest, object_id: str) -> FileResponse:
        """Stream the registered image to a user who may view the registry; never cached."""
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404("No such entry.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        try:
            handle = default_storage.open(obj.image.name, "rb")
        except FileNotFoundError as exc:
            raise Http404("The image is missing from storage.") from exc
        content_type = "image/png" if obj.image.name.lower().endswith(".png") else "image/jpeg"
        response = FileResponse(handle, content_type=content_type)
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.display(description="Image")
    def thumbnail(self, obj) -> str:
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_image", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" class="kyc-thumb" '
                           'loading="lazy"></a>', url, url, str(obj))

    @admin.display(description="Size")
    def dimensions(self, obj) -> str:
        return f"{obj.width}×{obj.height}"

    def _add_kwargs(self, request: HttpRequest, data: dict) -> dict:
        return {"country": data["country"], "id_type": data["id_type"], "side": data["side"],
                "image": data["image"], "note": data["note"], "actor": Actor.for_user(request.user)}


@admin.register(DocumentSpecimen)
class DocumentSpecimenAdmin(RegisteredImageAdmin):
    list_display = ("thumbnail", "country", "id_type", "side", "document_detected", "note", "created_by",
                    "created_at")
    list_select_related = ("created_by",)
    fields = ("thumbnail", "country", "id_type", "side", "dimensions", "document_detected", "hashes",
              "sha256", "note", "created_by", "created_at")
    readonly_fields = fields
    add_help = ("A published sample or specimen image of a document (e.g. from a government site or a "
                "template seller). Submissions that are captures of it answer fake_id.")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("block_hash", "block_mask")

    @admin.display(description="pHash / dHash")
    def hashes(self, obj: DocumentSpecimen) -> str:
        return f"{hash_to_unsigned(obj.phash):016x} / {hash_to_unsigned(obj.dhash):016x}"

    def service_add(self, request, data):
        return specimen_add(**self._add_kwargs(request, data))

    def service_delete(self, request, obj):
        specimen_delete(specimen=obj, actor=Actor.for_user(request.user))


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(RegisteredImageAdmin):
    list_display = ("thumbnail", "country", "id_type", "side", "keypoint_count", "document_detected", "note",
                    "created_by", "created_at")
    list_select_related = ("created_by",)
    fields = ("thumbnail", "country", "id_type", "side", "dimensions", "document_detected", "keypoint_count",
              "sha256", "note", "created_by", "created_at")
    readonly_fields = fields
    add_help = ("A genuine document of the country and type, any holder, flat and sharp. Submissions of that "
                "country and type whose layout does not match any of its templates answer "
                "feature_verification_failed; without a template they are not judged.")

    def get_queryset(self, request):
        # The stored features are large and never shown.
        return super().get_queryset(request).defer("features")

    def service_add(self, request, data):
        return template_add(**self._add_kwargs(request, data))

    def service_delete(self, request, obj):
        template_delete(template=obj, actor=Actor.for_user(request.user))


@admin.register(InvalidatedDocument)
class InvalidatedDocumentAdmin(ServiceAdmin):
    add_form_class = InvalidatedDocumentForm
    list_display = ("country", "number", "match", "id_type", "reason", "source", "created_at")
    list_filter = ("country", "match", "id_type")
    search_fields = ("=number", "reason", "source")
    ordering = ("country", "number")
    fields = ("country", "number", "match", "id_type", "reason", "source", "created_by", "created_at")
    readonly_fields = fields
    change_list_template = "admin/documents/invalidateddocument/change_list.html"
    add_help = "Submissions whose document number is listed (or starts with a listed series) answer invalid_id."

    def get_urls(self):
        opts = self.model._meta
        return [
            path("import-csv/", self.admin_site.admin_view(self.import_view),
                 name=f"{opts.app_label}_{opts.model_name}_import"),
            *super().get_urls(),
        ]

    def service_add(self, request, data):
        return invalidated_document_add(
            country=data["country"], number_or_prefix=data["number_or_prefix"], reason=data["reason"],
            id_type=data["id_type"], source=data["source"] or "admin", actor=Actor.for_user(request.user))

    def service_delete(self, request, obj):
        invalidated_document_delete(entry=obj, actor=Actor.for_user(request.user))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Bulk-add from a CSV file (all rows or none; errors are listed per line)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = InvalidatedDocumentCsvForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = invalidated_documents_import_csv(
                content=upload.read(), source=form.cleaned_data["source"] or f"csv:{upload.name}",
                actor=Actor.for_user(request.user))
            if result.errors:
                for error in result.errors[:50]:
                    form.add_error(None, error)
                if len(result.errors) > 50:
                    form.add_error(None, f"… and {len(result.errors) - 50} more errors.")
            else:
                messages.success(request, f"Imported {result.created} entries ({result.duplicates} already "
                                          "registered or repeated, skipped).")
                return HttpResponseRedirect(self._changelist_url())
        return self.render_service_form(
            request, form, title="Import invalidated documents (CSV)",
            help_text="One entry per line: country,number_or_prefix,reason[,id_type]. A number ending in * is a "
                      "series. Nothing is imported while any line is invalid.")
