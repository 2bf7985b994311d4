from django.db import models


class AuditBreakKind(models.TextChoices):
    """What `audit_verify` found wrong at the first broken link of a chain."""

    HASH_MISMATCH = "hash_mismatch", "hash mismatch"
    CONTENT_EDITED = "content_edited", "content edited"
    SEQ_GAP = "seq_gap", "missing event (seq gap)"
    SEQ_REPEATED = "seq_repeated", "inserted event (seq repeated)"
    HEAD_MISMATCH = "head_mismatch", "head mismatch"
    ANCHOR_MISMATCH = "anchor_mismatch", "anchor mismatch"
