"""The hash chain's arithmetic: pure functions shared by the sealer, `verify` and auditors' scripts.

Everything here is deterministic and documented in docs/audit.md, so anyone holding an export can
recompute every hash without this code.
"""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

# The `prev_hash` of the first event of every chain.
AUDIT_CHAIN_GENESIS = "0" * 64
AUDIT_GLOBAL_CHAIN = "global"
# The action of the event an erasure writes; `verify` accepts the redactions it names.
AUDIT_REDACTED_ACTION = "audit_redacted"
AUDIT_ERASED_VALUE = "[erased]"

# The columns `audit_record` writes: what the sealer reads to hash an event.
AUDIT_EVENT_FIELDS = (
    "id",
    "created_at",
    "actor_type",
    "actor_user_id",
    "actor_user_ref",
    "actor_api_key_id",
    "actor_api_key_ref",
    "actor_label",
    "action",
    "project_id",
    "submission_id",
    "before",
    "after",
)
# The columns the sealer adds.
AUDIT_SEAL_FIELDS = ("chain_seq", "content_nonce", "content_digest", "prev_hash", "hash")


def audit_json_canonical(value: Any) -> str:
    # Sorted keys, no whitespace, ASCII only: the same value always gives the same bytes, whatever
    # order the database hands JSON keys back in (PostgreSQL's jsonb reorders them).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def audit_content_digest(nonce: str, before: Any, after: Any) -> str:
    """sha256(nonce || canonical {"after", "before"}).

    The random nonce makes the digest a hiding commitment: once an erasure drops the nonce, the digest
    kept in the chain no longer lets anyone test guesses of the erased values (a date of birth has
    only ~40,000 candidates).
    """
    return hashlib.sha256(
        (nonce + audit_json_canonical({"before": before, "after": after})).encode("ascii")
    ).hexdigest()


def audit_created_at_text(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def audit_event_canonical(event: Any) -> str:
    """The JSON the chain hashes for one event (a model instance or a row with the same attribute names).

    The actor ids are the recorded copies (`actor_*_ref`), which survive the deletion of a user or key.
    """
    return audit_json_canonical(
        {
            "id": event.id,
            "created_at": audit_created_at_text(event.created_at),
            "actor_type": event.actor_type,
            "actor_user_id": event.actor_user_ref,
            "actor_api_key_id": event.actor_api_key_ref,
            "actor_label": event.actor_label,
            "action": event.action,
            "project_id": event.project_id,
            "submission_id": event.submission_id,
            "content_digest": event.content_digest,
        }
    )


def audit_event_hash(prev_hash: str, canonical: str) -> str:
    """sha256(prev_hash || canonical(event)), both as ASCII text."""
    return hashlib.sha256((prev_hash + canonical).encode("ascii")).hexdigest()
