from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import Decision


class ReviewDecision(models.Model):
    """A decision on a Pending submission, by a reviewer in the admin or over the API."""

    submission = models.ForeignKey(
        "submissions.Submission", on_delete=models.PROTECT, related_name="review_decisions"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="review_decisions"
    )
    reviewer_label = models.CharField(max_length=150, help_text="Who decided, as shown at the time.")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reject_codes = models.JSONField(default=list, blank=True)
    comment = models.TextField(blank=True, help_text="Client-facing message.")
    internal_note = models.TextField(blank=True, help_text="Seen by reviewers only.")
    edits = models.JSONField(default=dict, blank=True, help_text="Data corrected with the decision.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer_label}"
