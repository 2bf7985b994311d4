from django.db import models


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class DecisionState(models.TextChoices):
    """Where a decision stands. Without four-eyes a decision is final at once."""

    FINAL = "final", "Final"
    PROPOSED = "proposed", "Awaiting a second reviewer"
    CONFIRMED = "confirmed", "Confirmed by a second reviewer"
    RETURNED = "returned", "Returned by a second reviewer"


class ProjectRole(models.TextChoices):
    """What a user may do in one project. A superuser has every role in every project."""

    OPERATOR = "operator", "Operator"  # project options, API keys, members; also decides
    REVIEWER = "reviewer", "Reviewer"  # decides Pending submissions
    AUDITOR = "auditor", "Auditor"  # reads everything, personal data masked, decides nothing
