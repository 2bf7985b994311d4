from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from vault.fields import SealedField

from .choices import Decision, DecisionState, ProjectRole


class ReviewDecision(models.Model):
    """A decision on a Pending submission, by a reviewer in the admin or over the API."""

    submission = models.ForeignKey("submissions.Submission", on_delete=models.PROTECT, related_name="review_decisions")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="review_decisions"
    )
    reviewer_label = models.CharField(max_length=150, help_text="Who decided, as shown at the time.")
    # Free text and names are sealed with the submission's data key: erasure shreds them with it.
    reviewer_admin = SealedField(key_from="submission.data_key_id",
                                 help_text="The integration's own user who decided over the API (`admin`).")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reject_codes = models.JSONField(default=list, blank=True)
    comment = SealedField(key_from="submission.data_key_id", help_text="Client-facing message.")
    client_messages = SealedField(
        codec="json", default=dict, key_from="submission.data_key_id",
        help_text="Reject code -> the client-facing message the reviewer edited.",
    )
    internal_note = SealedField(key_from="submission.data_key_id", help_text="Seen by reviewers only.")
    edits = SealedField(codec="json", default=dict, key_from="submission.data_key_id",
                        help_text="Data corrected with the decision.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    state = models.CharField(max_length=10, choices=DecisionState.choices, default=DecisionState.FINAL)
    second_reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Four-eyes: who confirmed or returned the decision.",
    )
    second_reviewer_label = models.CharField(max_length=150, blank=True)
    second_note = SealedField(key_from="submission.data_key_id", help_text="Four-eyes: why it was returned, or a remark.")
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The dashboard's review times: decisions that took effect, by when.
            models.Index(
                fields=["settled_at"],
                condition=models.Q(state__in=[DecisionState.FINAL, DecisionState.CONFIRMED]),
                name="reviewdecision_settled",
            ),
        ]
        constraints = [
            # Four-eyes: at most one decision waits for a second reviewer per submission.
            models.UniqueConstraint(
                fields=["submission"],
                condition=models.Q(state=DecisionState.PROPOSED),
                name="reviewdecision_one_proposal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer_display}"

    @property
    def reviewer_display(self) -> str:
        """Who decided as shown before the admin name was sealed apart: `api:<prefix> (<admin>)`."""
        return f"{self.reviewer_label} ({self.reviewer_admin})" if self.reviewer_admin else self.reviewer_label

    reviewer_display.fget.short_description = "Reviewer"  # the admin's column title


class ProjectMembership(models.Model):
    """A user's role in one project: what they see and may do there (`review_access_for_user`)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    project = models.ForeignKey("submissions.Project", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ProjectRole.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "project"], name="membership_one_role_per_project")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.project.name}"


class ReviewClaim(models.Model):
    """Who is working on a Pending submission. Opening the case claims it; inactivity frees it.

    A claim is active while `last_seen_at` is newer than `KYC_REVIEW_CLAIM_MINUTES`; an expired
    claim is simply taken over by the next reviewer who opens the case.
    """

    submission = models.OneToOneField(
        "submissions.Submission", on_delete=models.CASCADE, primary_key=True, related_name="review_claim"
    )
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_claims")
    claimed_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.submission_id} claimed by {self.reviewer}"

    def is_active(self, *, now=None) -> bool:
        now = now or timezone.now()
        return self.last_seen_at >= now - timedelta(minutes=settings.KYC_REVIEW_CLAIM_MINUTES)
