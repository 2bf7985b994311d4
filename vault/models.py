import uuid

from django.db import models
from django.utils import timezone


class ProjectKey(models.Model):
    """One version of a project's key, wrapped by a master key (`vault.crypto`).

    The newest version not retired wraps new data keys; `kyc_keys rotate-project` adds a version,
    re-wraps the project's data keys under it and retires (clears) the old one.
    """

    project = models.ForeignKey("submissions.Project", on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    master_key_id = models.CharField(max_length=64, help_text="Which master key wraps it (KYC_MASTER_KEYS).")
    wrapped = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "version"], name="project_key_version_unique")]

    def __str__(self) -> str:
        return f"project {self.project_id} key v{self.version}"

    @property
    def label(self) -> bytes:
        return f"project-key|{self.project_id}|{self.version}".encode()


def data_key_label(key_id: uuid.UUID) -> bytes:
    """What a data key's wrapping is bound to: its own id, so a wrapped key cannot be moved to another row."""
    return f"data-key|{key_id}".encode()


class DataKey(models.Model):
    """One submission's data key, wrapped by a project key. Erasure clears `wrapped` (crypto-shredding)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project_key = models.ForeignKey(ProjectKey, on_delete=models.PROTECT, related_name="data_keys")
    wrapped = models.BinaryField(null=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    destroyed_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return str(self.id)

    @property
    def label(self) -> bytes:
        return data_key_label(self.id)
