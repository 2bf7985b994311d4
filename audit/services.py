import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q

from vault.fields import tokens_seal

from .chain import (
    AUDIT_ERASED_VALUE,
    AUDIT_EVENT_FIELDS,
    AUDIT_REDACTED_ACTION,
    audit_content_digest,
    audit_event_canonical,
    audit_event_hash,
)
from .models import AUDIT_VALUES_CONTEXT, ActorType, AuditChainHead, AuditEvent

logger = logging.getLogger(__name__)

# Events sealed per transaction: the chain head's row lock is held well under a second, and one
# bulk update stays small.
AUDIT_SEAL_BATCH_SIZE = 1000
# Audit values of these keys are personal: sealed when written, blanked by an erasure.
AUDIT_PERSONAL_KEYS = frozenset({
    "email", "name", "full_name", "first_name", "last_name", "date_of_birth", "date_of_issue", "date_of_expiry",
    "document_number", "identity_number", "license_number", "serial_number", "nationality", "gender", "address",
    "formatted_address", "address_input", "address_detail", "globalCode", "compoundCode", "userOccupancyName",
    "note",  # a reviewer's free text may name the applicant
    "admin",  # the integration's user an API call names (Actor.on_behalf_of)
})


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user, an API key, or the system (rules, scheduled jobs)."""

    type: str
    label: str
    user: AbstractBaseUser | None = None
    api_key: Any = None
    # The integration's own user an API call names (`admin`): personal, so never part of `label`
    # (a plain column); audit rows keep it as the sealed value "admin" of `after`.
    on_behalf_of: str = ""

    @classmethod
    def for_user(cls, user: AbstractBaseUser) -> "Actor":
        return cls(type=ActorType.USER, label=user.get_username(), user=user)

    @classmethod
    def for_api_key(cls, api_key: Any, *, label: str = "", on_behalf_of: str = "") -> "Actor":
        return cls(type=ActorType.API_KEY, label=label or f"api:{api_key.prefix}", api_key=api_key,
                   on_behalf_of=on_behalf_of)

    @classmethod
    def system(cls, label: str = "system") -> "Actor":
        return cls(type=ActorType.SYSTEM, label=label)


def audit_record(
    *,
    actor: Actor,
    action: str,
    submission: Any = None,
    project: Any = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Write one audit row. The caller holds the transaction of the change it records.

    The row is not sealed yet: `audit_seal` (every minute) appends it to its project's chain.
    Values of personal keys (`AUDIT_PERSONAL_KEYS`) are encrypted with the submission's data key, so
    they die with it on erasure while the rest of the trail stays readable and verifiable.
    """
    before, after = before or {}, after or {}
    key_id = getattr(submission, "data_key_id", None)
    if actor.on_behalf_of and key_id is not None:
        # Only where it can be sealed: every API call that names an admin acts on a submission.
        after = {**after, "admin": actor.on_behalf_of}
    if key_id is not None:
        before, after = (
            tokens_seal(values, keys=AUDIT_PERSONAL_KEYS, key_id=key_id, context=AUDIT_VALUES_CONTEXT)
            for values in (before, after)
        )
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        actor_user_ref=actor.user.pk if actor.user is not None else None,
        actor_api_key_ref=actor.api_key.pk if actor.api_key is not None else None,
        actor_label=actor.label[:150],
        action=action,
        project=project if project is not None else getattr(submission, "project", None),
        submission=submission,
        before=before,
        after=after,
    )


def audit_seal(*, limit: int = 5000) -> int:
    """Append up to `limit` unsealed events to their chains; returns how many were sealed.

    The caller holds no transaction: each batch of one chain is its own, holding that chain's head
    row lock, so two sealers of a chain take turns and writers of audit rows never wait. A chain
    grows in the order its events become visible (committed), oldest id first within a batch; an
    event committed after a batch, even with a smaller id, is sealed by a later one at the end of
    its chain. Sealing twice is harmless: the second finds nothing unsealed.
    """
    sealed = 0
    while sealed < limit:
        chains = AuditEvent.objects.filter(hash__isnull=True).order_by().values_list("project_id", flat=True).distinct()
        progressed = 0
        for project_id in sorted(chains, key=lambda pk: -1 if pk is None else pk):
            if sealed >= limit:
                break
            count = _audit_chain_seal(project_id=project_id, limit=min(AUDIT_SEAL_BATCH_SIZE, limit - sealed))
            sealed += count
            progressed += count
        if not progressed:
            break
    return sealed


@transaction.atomic
def _audit_chain_seal(*, project_id: int | None, limit: int) -> int:
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(project_id=project_id)
    chain = Q(project_id=project_id) if project_id is not None else Q(project__isnull=True)
    # Row locks in id order (as `audit_redact` takes them): an erasure redacting one of these rows
    # finishes first, and the digest covers what it left.
    events = list(
        AuditEvent.objects.select_for_update()
        .filter(chain, hash__isnull=True)
        .order_by("id")
        .only(*AUDIT_EVENT_FIELDS)[:limit]
    )
    if not events:
        return 0
    prev_hash, seq = head.last_hash, head.sealed_count
    for event in events:
        # Rows written before the copies existed: take the ids the foreign keys still hold.
        if event.actor_user_ref is None:
            event.actor_user_ref = event.actor_user_id
        if event.actor_api_key_ref is None:
            event.actor_api_key_ref = event.actor_api_key_id
        seq += 1
        event.content_nonce = secrets.token_hex(16)
        event.content_digest = audit_content_digest(event.content_nonce, event.before, event.after)
        event.chain_seq, event.prev_hash = seq, prev_hash
        event.hash = prev_hash = audit_event_hash(prev_hash, audit_event_canonical(event))
    _audit_events_chain_write(events)
    head.sealed_count, head.last_hash, head.last_event_id = seq, prev_hash, events[-1].id
    head.save(update_fields=["sealed_count", "last_hash", "last_event_id", "updated_at"])
    return len(events)


AUDIT_CHAIN_WRITE_FIELDS = (
    "actor_user_ref",
    "actor_api_key_ref",
    "chain_seq",
    "content_nonce",
    "content_digest",
    "prev_hash",
    "hash",
)


def _audit_events_chain_write(events: list[AuditEvent]) -> None:
    # One prepared UPDATE per row, sent as a batch: `bulk_update`'s CASE expressions cost ~1 ms of
    # Python per row, which a backlog of millions of rows cannot afford.
    quote = connection.ops.quote_name
    columns = [AuditEvent._meta.get_field(name).column for name in AUDIT_CHAIN_WRITE_FIELDS]
    sql = (
        f"UPDATE {quote(AuditEvent._meta.db_table)} SET {', '.join(f'{quote(c)} = %s' for c in columns)} "
        f"WHERE {quote('id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[getattr(e, name) for name in AUDIT_CHAIN_WRITE_FIELDS] + [e.pk] for e in events])


def _audit_values_redact(value: Any, keys: frozenset[str]) -> Any:
    """`value` with the values of `keys` replaced, at any depth (edits nest the fields they change)."""
    if isinstance(value, dict):
        return {
            key: AUDIT_ERASED_VALUE if key in keys else _audit_values_redact(item, keys) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_audit_values_redact(item, keys) for item in value]
    return value


@transaction.atomic
def audit_redact(*, submission: Any, keys: frozenset[str], actor: Actor) -> list[int]:
    """Replace the values of `keys` in the submission's audit events by "[erased]"; returns the ids changed.

    For the erasure, inside its transaction; locks the submission's audit rows. The chain keeps each
    sealed event's original content_digest, and this writes one `audit_redacted` event (chained
    like any other) naming the events with the digest of their new content, which is what lets
    `verify` tell the redaction from tampering. The redacted events' nonce is dropped, so the digest
    kept no longer allows guessing the erased values. An event whose content had already been edited
    outside the services is redacted but not named: `verify` keeps reporting that edit.
    """
    events = list(
        AuditEvent.objects.select_for_update()
        .filter(submission=submission)
        .order_by("id")
        .only("id", "action", "project_id", "before", "after", "content_nonce", "content_digest", "hash")
    )
    # What an earlier redaction left: the digest the chain now expects for those events.
    redacted_to: dict[str, str] = {}
    for event in events:
        if event.action == AUDIT_REDACTED_ACTION and isinstance(event.after, dict):
            redacted_to.update(event.after.get("content_digests") or {})
    changed, digests = [], defaultdict(dict)
    for event in events:
        if event.action == AUDIT_REDACTED_ACTION:
            continue
        before, after = _audit_values_redact(event.before, keys), _audit_values_redact(event.after, keys)
        if (before, after) == (event.before, event.after):
            continue
        # The rule `verify` applies: the sealed digest, or what the latest redaction recorded.
        current = audit_content_digest(event.content_nonce, event.before, event.after)
        intact = event.hash is None or current in (event.content_digest, redacted_to.get(str(event.pk)))
        if not intact:
            logger.warning("audit event %s was edited before its redaction; it stays reported as edited", event.pk)
        event.before, event.after, event.content_nonce = before, after, ""
        changed.append(event)
        if intact:
            digests[event.project_id][str(event.pk)] = audit_content_digest("", before, after)
    if not changed:
        return []
    AuditEvent.objects.bulk_update(changed, ["before", "after", "content_nonce"], batch_size=500)
    # One record per chain the events are in (the submission's project's, unless an event was
    # recorded for another project): `verify` looks for it in the event's own chain.
    for project_id, named in digests.items():
        audit_record(
            actor=actor,
            action=AUDIT_REDACTED_ACTION,
            submission=submission,
            project=next(event.project for event in changed if event.project_id == project_id),
            after={"event_ids": [int(pk) for pk in named], "keys": sorted(keys), "content_digests": named},
        )
    return [event.pk for event in changed]
