from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from vault.fields import tokens_open

from .chain import AUDIT_CHAIN_GENESIS, AUDIT_GLOBAL_CHAIN

# Bound into the personal values sealed inside `before`/`after` (`audit_record`).
AUDIT_VALUES_CONTEXT = b"audit.auditevent.values"


class ActorType(models.TextChoices):
    USER = "user", "User"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "System"


class AuditEvent(models.Model):
    """One state change or edit: who, what, on which submission, before and after.

    Written by `audit.services.audit_record` inside the same transaction as the change,
    so the trail and the data cannot disagree. `audit_seal` later appends it to its project's
    hash chain (the chain fields below stay empty until then); see docs/audit.md.
    """

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_api_key = models.ForeignKey(
        "submissions.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Who, as shown at the time.")
    action = models.CharField(max_length=64, db_index=True)
    project = models.ForeignKey(
        "submissions.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission = models.ForeignKey(
        "submissions.Submission", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)

    # The actor's ids as recorded. The foreign keys above are set null when a user or key is deleted;
    # the chain covers these copies instead, so a deletion does not read as tampering.
    actor_user_ref = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    actor_api_key_ref = models.PositiveBigIntegerField(null=True, blank=True, editable=False)

    # Chain fields, set once by `audit_seal`. Null (or empty) means not sealed yet.
    chain_seq = models.PositiveBigIntegerField(
        null=True, blank=True, editable=False, help_text="Position in the project's chain, from 1."
    )
    content_nonce = models.CharField(max_length=32, blank=True, default="", editable=False)
    content_digest = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    prev_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["submission", "created_at"], name="audit_submission_time"),
            # The sealer's scan: only the few rows not sealed yet are in it.
            models.Index(fields=["project", "id"], condition=Q(hash__isnull=True), name="audit_unsealed"),
        ]
        constraints = [
            # Also the index `verify` and `export` walk a chain by.
            models.UniqueConstraint(
                fields=["project", "chain_seq"], condition=Q(chain_seq__isnull=False), name="audit_chain_seq_unique"
            ),
            # NULLs are distinct in the constraint above: the global chain needs its own.
            models.UniqueConstraint(
                fields=["chain_seq"],
                condition=Q(project__isnull=True, chain_seq__isnull=False),
                name="audit_global_chain_seq_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    @property
    def is_sealed(self) -> bool:
        return self.hash is not None

    # `before` and `after` as stored carry personal values sealed; these open them for display.
    @property
    def before_plain(self) -> dict:
        return tokens_open(self.before, context=AUDIT_VALUES_CONTEXT)

    @property
    def after_plain(self) -> dict:
        return tokens_open(self.after, context=AUDIT_VALUES_CONTEXT)


class AuditChainHead(models.Model):
    """The end of one hash chain: a project's, or the global one (events without a project).

    `audit_seal` locks this row while it appends, so sealers of one chain take turns; writers of
    audit rows never touch it. Publishing `sealed_count:last_hash` elsewhere pins the chain.
    """

    project = models.ForeignKey(
        "submissions.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sealed_count = models.PositiveBigIntegerField(default=0)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64, default=AUDIT_CHAIN_GENESIS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "audit chain head"
        constraints = [
            # One head per project and exactly one for the global chain (project null).
            models.UniqueConstraint(Coalesce("project", Value(0)), name="audit_chain_head_one_per_chain"),
        ]

    def __str__(self) -> str:
        return f"{self.chain_label}:{self.sealed_count}:{self.last_hash}"

    @property
    def chain_label(self) -> str:
        return self.project.project_id if self.project_id else AUDIT_GLOBAL_CHAIN
