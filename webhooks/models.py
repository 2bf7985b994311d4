import uuid
from datetime import timedelta

import django_fsm as fsm
from django.conf import settings
from django.db import models
from django.utils import timezone

from vault.fields import SealedField

from .choices import WebhookEventState, WebhookTrigger

# Wait after the n-th failed attempt: BASE × 2^(n−1), capped. With 15 attempts the last one comes
# about 2.7 days after the first (1+2+…+512 min, then four 12-hour waits): a receiver down over a
# weekend still gets its events.
WEBHOOK_BACKOFF_BASE = timedelta(seconds=60)
WEBHOOK_BACKOFF_CAP = timedelta(hours=12)


def webhook_backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1-based)."""
    exponent = max(attempts - 1, 0)
    # Past 2^20 the cap has long been reached; stopping there keeps the number small.
    return min(WEBHOOK_BACKOFF_BASE * (2 ** min(exponent, 20)), WEBHOOK_BACKOFF_CAP)


class WebhookEvent(fsm.ConcurrentTransitionMixin, models.Model):
    """The outbox: one event to POST to a project's webhook URL, written in the transaction of the change.

    `payload` is frozen when the event is written: a retry or a resend sends the same bytes, and a
    later change is a later event; only erasing the submission's data blanks the personal values it
    copied (`webhook_events_redact`). `state` moves only through the transitions below, called by
    `webhooks.services`.
    """

    event_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Sent as X-KYC-Event-Id; receivers dedupe on it."
    )
    project = models.ForeignKey("submissions.Project", on_delete=models.PROTECT, related_name="webhook_events")
    submission = models.ForeignKey(
        "submissions.Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    trigger = models.CharField(max_length=16, choices=WebhookTrigger.choices)
    # The payload copies the applicant's userid, custom fields and the reviewer's comments: sealed with
    # the project's own data key (not the submission's), so an event written by an erasure can still
    # be sent after that submission's key is destroyed; the erasure redacts the copies instead.
    payload = SealedField(codec="json", key_from="project.secrets_key_id")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    state = fsm.FSMField(
        max_length=16, choices=WebhookEventState.choices, default=WebhookEventState.PENDING, protected=True
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="HTTP attempts made (since the last resend).")
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="When a pending event may next be sent (also the lease of a send in flight)."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The drain's scan: due pending rows, oldest first. Delivered and failed rows, the bulk
            # of the table, are not in the index.
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(state=WebhookEventState.PENDING),
                name="webhookevent_due_scan",
            ),
            models.Index(fields=["project", "-created_at", "-id"], name="webhookevent_project_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} {self.event_id}"

    # -- conditions (pure) ------------------------------------------------------------

    def has_attempts_left(self) -> bool:
        """Whether another attempt may follow the one being recorded."""
        return self.attempts + 1 < settings.KYC_WEBHOOK_MAX_ATTEMPTS

    # -- transitions (pure: state and the fields that change with it) -----------------

    @fsm.transition(field=state, source=WebhookEventState.PENDING, target=WebhookEventState.DELIVERED)
    def deliver(self) -> None:
        self.attempts += 1
        self.delivered_at = timezone.now()
        self.last_error = ""

    @fsm.transition(
        field=state,
        source=WebhookEventState.PENDING,
        target=WebhookEventState.PENDING,
        conditions=[has_attempts_left],
    )
    def defer(self, *, error: str) -> None:
        self.attempts += 1
        self.last_error = error
        self.next_attempt_at = timezone.now() + webhook_backoff(self.attempts)

    @fsm.transition(field=state, source=WebhookEventState.PENDING, target=WebhookEventState.FAILED)
    def give_up(self, *, error: str, attempted: bool = True) -> None:
        if attempted:
            self.attempts += 1
        self.last_error = error

    @fsm.transition(
        field=state,
        source=[WebhookEventState.PENDING, WebhookEventState.DELIVERED, WebhookEventState.FAILED],
        target=WebhookEventState.PENDING,
    )
    def resend(self) -> None:
        # A fresh schedule: a failed event would otherwise be given up after one more attempt.
        self.attempts = 0
        self.next_attempt_at = timezone.now()
        self.delivered_at = None


class WebhookDelivery(models.Model):
    """One HTTP attempt at sending a WebhookEvent: the delivery log of the admin."""

    # Indexed by the (event, attempted_at) index below, which also orders one event's log.
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    attempted_at = models.DateTimeField(default=timezone.now, editable=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: no HTTP response.")
    duration_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    response_excerpt = models.CharField(
        max_length=200, blank=True, help_text="The first 200 characters of the answer, control characters blanked."
    )

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["event", "attempted_at"], name="webhookdelivery_event_time")]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"
