"""Shared admin behaviour."""


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
