"""Shared admin behaviour."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404


class ReadOnlyAdminMixin:
    """A record nobody adds, edits or deletes in the admin: history, evidence, statements.

    Changes to what such admins show happen only through services, which audit them.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ProjectScopedAdminMixin:
    """Rows of the projects a user holds a role in, and nothing else.

    Permissions come from the user's project roles (`reviews.selectors.ReviewAccess`), not from
    Django's per-model permissions: a reviewer of project A sees A's rows and gets a 404 for
    B's. `project_path` is the lookup from the model to its Project ("pk" for Project itself).
    """

    project_path = "project"

    def review_access(self, request):
        from reviews.selectors import review_access_for_user  # the reviews app imports this module

        return review_access_for_user(request.user)

    def object_project_id(self, obj) -> int | None:
        if self.project_path == "pk":
            return obj.pk
        *hops, last = self.project_path.split("__")
        for hop in hops:
            obj = getattr(obj, hop, None)
        return getattr(obj, f"{last}_id", None)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        access = self.review_access(request)
        if access.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.project_path}__in": list(access.roles)})

    def has_module_permission(self, request) -> bool:
        return self.review_access(request).has_any_project

    def _require_in_scope(self, request, object_id) -> None:
        # Checked before Django's own permission checks, which would answer 403 to a POST and so
        # tell an outsider that the row exists.
        if object_id is not None and self.get_object(request, unquote(object_id)) is None:
            raise Http404(f"No such {self.model._meta.verbose_name}.")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        self._require_in_scope(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index for a missing object; a row of another project must be
        # indistinguishable from no row at all, and both are a 404.
        raise Http404(f"No such {opts.verbose_name}.")

    def has_view_permission(self, request, obj=None) -> bool:
        access = self.review_access(request)
        if obj is None:
            return access.has_any_project
        project_id = self.object_project_id(obj)
        return access.is_superuser if project_id is None else access.may_view(project_id)


class ProjectScopedListFilter(admin.RelatedFieldListFilter):
    """A changelist's project filter that names only the projects the user holds a role in.

    Django's related filter lists every row of the related table, which would give a reviewer of
    one project the names and public ids of every other tenant.
    """

    def field_choices(self, field, request, model_admin):
        from reviews.selectors import review_access_for_user  # the reviews app imports this module

        projects = review_access_for_user(request.user).projects().order_by("name", "pk")
        return [(project.pk, str(project)) for project in projects]


class PersonalDataMaskedMixin:
    """Fields shown through `kycreview.masking` to a viewer without the personal-data right in the
    row's project (auditors): numbers masked and raw reads withheld, at any depth.

    `masked_fields` maps a field to the display method that shows it masked; `masked_project_id`
    is the project whose role decides (the row's own, or an inline's parent's).
    """

    masked_fields: dict[str, str] = {}

    def masked_project_id(self, obj) -> int | None:
        object_project_id = getattr(self, "object_project_id", None)  # a ProjectScopedAdminMixin's path
        return object_project_id(obj) if object_project_id is not None else obj.project_id

    def _masks_personal_data(self, request, obj) -> bool:
        from reviews.selectors import review_access_for_user  # the reviews app imports this module

        return obj is not None and not review_access_for_user(request.user).may_see_personal_data(
            self.masked_project_id(obj))

    def _with_masked(self, request, obj, fields):
        if not self._masks_personal_data(request, obj):
            return fields
        return type(fields)(self.masked_fields.get(name, name) for name in fields)

    def get_fields(self, request, obj=None):
        return self._with_masked(request, obj, super().get_fields(request, obj))

    def get_readonly_fields(self, request, obj=None):
        return self._with_masked(request, obj, super().get_readonly_fields(request, obj))
