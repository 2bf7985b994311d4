from datetime import datetime

from django.db.models import OuterRef, QuerySet, Subquery

from .choices import WebhookEventState
from .models import WebhookDelivery, WebhookEvent


def webhook_event_list_due(*, now: datetime, limit: int) -> list[tuple[int, int]]:
    """(event pk, project pk) of the pending events due at `now`, the longest-waiting first.

    Read off the partial index of pending rows (`webhookevent_due_scan`), so the scan stays
    small however many delivered events the table keeps.
    """
    return list(
        WebhookEvent.objects.filter(state=WebhookEventState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", "project_id")[:limit]
    )


def webhook_event_with_last_status(queryset: QuerySet[WebhookEvent]) -> QuerySet[WebhookEvent]:
    """`queryset` annotated with `last_status_code`: the HTTP status of the newest attempt (None: none)."""
    newest = WebhookDelivery.objects.filter(event=OuterRef("pk")).order_by("-attempted_at", "-pk")
    return queryset.annotate(last_status_code=Subquery(newest.values("status_code")[:1]))
