from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookTrigger(models.TextChoices):
    """The `webhook_trigger` of an event: the wire values of api.md, frozen by a test."""

    CREATED = "created", _("Created")
    RETRY = "retry", _("Retry")
    SUBMIT = "submit", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    UPDATED = "updated", _("Updated")
    DELETE = "delete", _("Deleted")


class WebhookEventState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed (gave up)")
