"""Reads of the audit chain: verification and the auditors' export. Neither writes to the database."""

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from kycreview.masking import mask_personal
from submissions.models import Project

from .chain import (
    AUDIT_CHAIN_GENESIS,
    AUDIT_EVENT_FIELDS,
    AUDIT_GLOBAL_CHAIN,
    AUDIT_REDACTED_ACTION,
    AUDIT_SEAL_FIELDS,
    audit_content_digest,
    audit_created_at_text,
    audit_event_canonical,
    audit_event_hash,
)
from .choices import AuditBreakKind
from .models import AuditChainHead, AuditEvent

# Rows per query while walking a chain: a few MB of JSON at most in memory, and 500 queries per
# million events.
AUDIT_VERIFY_CHUNK = 2000

AUDIT_CHAIN_FIELDS = (*AUDIT_EVENT_FIELDS, *AUDIT_SEAL_FIELDS)


@dataclass(frozen=True)
class AuditBrokenLink:
    """The first place where a chain stops proving its history."""

    chain: str
    kind: AuditBreakKind
    detail: str
    event_id: int | None = None
    chain_seq: int | None = None

    def __str__(self) -> str:
        where = f" at event {self.event_id} (seq {self.chain_seq})" if self.event_id is not None else ""
        return f"chain {self.chain}: {self.kind.label}{where}: {self.detail}"


@dataclass
class AuditChainReport:
    chain: str
    project_id: int | None
    events_checked: int = 0
    sealed: int = 0
    unsealed: int = 0
    redacted: int = 0
    redaction_pending: int = 0
    head_seq: int = 0
    head_hash: str = AUDIT_CHAIN_GENESIS
    broken: AuditBrokenLink | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    @property
    def head_anchor(self) -> str:
        """`CHAIN:SEQ:HASH`: what to publish elsewhere, and what `verify --anchor` takes back."""
        return f"{self.chain}:{self.head_seq}:{self.head_hash}"


@dataclass
class AuditVerifyReport:
    chains: list[AuditChainReport] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return all(chain.intact for chain in self.chains)

    @property
    def broken_links(self) -> list[AuditBrokenLink]:
        return [chain.broken for chain in self.chains if chain.broken is not None]

    @property
    def events_checked(self) -> int:
        return sum(chain.events_checked for chain in self.chains)


def _chain_q(project_id: int | None) -> Q:
    return Q(project_id=project_id) if project_id is not None else Q(project__isnull=True)


def audit_chain_list(
    *, project: Project | None = None, extra_labels: Iterable[str] = ()
) -> list[tuple[int | None, str]]:
    """(project pk or None, label) of every chain: global first, then projects by pk.

    A chain exists when it has events or a head; `extra_labels` (project ids or "global") are added
    even without either, so an anchor for a vanished chain is reported rather than ignored.
    """
    if project is not None:
        return [(project.pk, project.project_id)]
    extra_labels = set(extra_labels)
    chains: list[tuple[int | None, str]] = []
    has_global = (
        AUDIT_GLOBAL_CHAIN in extra_labels
        or AuditEvent.objects.filter(project__isnull=True).exists()
        or AuditChainHead.objects.filter(project__isnull=True).exists()
    )
    if has_global:
        chains.append((None, AUDIT_GLOBAL_CHAIN))
    projects = Project.objects.filter(
        Q(Exists(AuditEvent.objects.filter(project=OuterRef("pk"))))
        | Q(Exists(AuditChainHead.objects.filter(project=OuterRef("pk"))))
        | Q(project_id__in=extra_labels)
    )
    chains.extend(projects.order_by("pk").values_list("pk", "project_id"))
    return chains


def audit_redactions_naming(
    *, project_id: int | None, events: Iterable[tuple[int, int | None]]
) -> dict[int, list[tuple[int, int | None, str]]]:
    """For (event id, submission id) pairs: the `audit_redacted` events of the chain that name each.

    Each is (redaction event id, its chain_seq or None while unsealed, the content digest it recorded
    for the event). A redaction is written for the redacted events' submission, so looking it up by
    submission uses the submission index.
    """
    events = list(events)
    submission_ids = {submission_id for _, submission_id in events if submission_id is not None}
    if not submission_ids:
        return {}
    wanted = {str(event_id) for event_id, _ in events}
    found: dict[int, list[tuple[int, int | None, str]]] = defaultdict(list)
    redactions = AuditEvent.objects.filter(
        _chain_q(project_id), action=AUDIT_REDACTED_ACTION, submission_id__in=submission_ids
    ).values_list("id", "chain_seq", "after")
    for redaction_id, redaction_seq, after in redactions:
        # Unsealed rows can hold anything: read defensively.
        digests = after.get("content_digests") if isinstance(after, dict) else None
        if not isinstance(digests, dict):
            continue
        for key in wanted.intersection(digests):
            found[int(key)].append((redaction_id, redaction_seq, str(digests[key])))
    return found


def _content_verdict(
    *,
    event_seq: int,
    digest: str,
    redactions: Iterable[tuple[int, int | None, str]],
    proven_upto: int,
    valid_below: int | None,
) -> str:
    """Judge a sealed event whose content no longer matches its digest: "redacted", "pending" or "edited".

    The newest redaction naming the event must have recorded exactly its current content. It proves
    the change when it is sealed after the event within the verified part of the chain (and before
    `valid_below`, the first broken link); one not sealed yet (or sealed after the head read at the
    start) is "pending": the next seal settles it.
    """
    usable = []
    for redaction_id, redaction_seq, recorded in redactions:
        if redaction_seq is None or redaction_seq > proven_upto:
            usable.append((redaction_id, "pending", recorded))
        elif event_seq < redaction_seq and (valid_below is None or redaction_seq < valid_below):
            usable.append((redaction_id, "redacted", recorded))
    if not usable:
        return "edited"
    _, verdict, recorded = max(usable)
    return verdict if recorded == digest else "edited"


def _link_break(row: Any, *, chain: str, expected_seq: int, prev_hash: str) -> AuditBrokenLink | None:
    """What is wrong with `row` as the next link after `prev_hash`, or None."""

    def broken(kind: AuditBreakKind, detail: str) -> AuditBrokenLink:
        return AuditBrokenLink(chain=chain, kind=kind, detail=detail, event_id=row.id, chain_seq=row.chain_seq)

    if row.chain_seq > expected_seq:
        missing = (
            f"seq {expected_seq}" if row.chain_seq == expected_seq + 1 else f"seq {expected_seq}-{row.chain_seq - 1}"
        )
        return broken(AuditBreakKind.SEQ_GAP, f"{missing} missing before this event (deleted or moved)")
    if row.chain_seq < expected_seq:
        return broken(AuditBreakKind.SEQ_REPEATED, f"seq {row.chain_seq} appears twice")
    if row.hash != audit_event_hash(prev_hash, audit_event_canonical(row)):
        if row.prev_hash != prev_hash:
            return broken(AuditBreakKind.HASH_MISMATCH, "prev_hash does not link to the previous event's hash")
        return broken(
            AuditBreakKind.HASH_MISMATCH, "hash does not match the event's fields (a sealed column was edited)"
        )
    if row.prev_hash != prev_hash:
        return broken(AuditBreakKind.HASH_MISMATCH, "the prev_hash column was edited")
    # The live foreign keys may only have been set null (user or key deleted) since sealing.
    if row.actor_user_id not in (None, row.actor_user_ref):
        return broken(AuditBreakKind.HASH_MISMATCH, "actor_user was changed after sealing")
    if row.actor_api_key_id not in (None, row.actor_api_key_ref):
        return broken(AuditBreakKind.HASH_MISMATCH, "actor_api_key was changed after sealing")
    return None


class _ChainWalk:
    """One chain's verification: a single pass in chain order, AUDIT_VERIFY_CHUNK rows at a time.

    The walk goes on past an edited content (to the head or the first broken hash link), so that a
    redaction relied on earlier in the chain is known to be chain-valid before it is trusted.
    """

    def __init__(self, report: AuditChainReport, anchor: tuple[int, str] | None) -> None:
        self.report = report
        self.anchor = anchor
        self.chain_q = _chain_q(report.project_id)

    def run(self) -> None:
        report = self.report
        head = (
            AuditChainHead.objects.filter(self.chain_q)
            .values_list("sealed_count", "last_hash", "last_event_id")
            .first()
        )
        # Only what the head covered when we started is verified: a sealer may append meanwhile.
        head_seq, head_hash, _ = head or (0, AUDIT_CHAIN_GENESIS, None)
        report.head_seq, report.head_hash = head_seq, head_hash
        report.unsealed = AuditEvent.objects.filter(self.chain_q, chain_seq__isnull=True).count()
        report.sealed = AuditEvent.objects.filter(self.chain_q, chain_seq__isnull=False).count()

        first_content, link_break, unproven_from, last = self._walk(head_seq)
        unproven = self._unproven_before(unproven_from, head_seq) if link_break is not None else None
        earlier = [found for found in (first_content, unproven) if found is not None]
        if earlier:
            report.broken = min(earlier, key=lambda found: found.chain_seq)
        else:
            report.broken = link_break or self._tail_break(head, last)

    def _walk(self, head_seq: int) -> tuple[AuditBrokenLink | None, AuditBrokenLink | None, int, tuple]:
        """Check every link up to the head.

        Returns the first edited content, the first broken link, the first seq that link leaves
        unproven, and the last (seq, hash, id) that verified.
        """
        report = self.report
        rows = (
            AuditEvent.objects.filter(self.chain_q, chain_seq__isnull=False, chain_seq__lte=head_seq)
            .order_by("chain_seq", "id")
            .values_list(*AUDIT_CHAIN_FIELDS, named=True)
        )
        prev_hash, seq, last_id = AUDIT_CHAIN_GENESIS, 0, 0
        first_content = link_break = None
        while link_break is None:
            # `>=` and the id tie-break: a seq repeated across a chunk boundary is still seen.
            chunk = [
                row
                for row in rows.filter(chain_seq__gte=max(seq, 1))[:AUDIT_VERIFY_CHUNK]
                if (row.chain_seq, row.id) > (seq, last_id)
            ]
            if not chunk:
                break
            mismatched = []
            for row in chunk:
                link_break = _link_break(row, chain=report.chain, expected_seq=seq + 1, prev_hash=prev_hash)
                if (
                    link_break is None
                    and self.anchor
                    and row.chain_seq == self.anchor[0]
                    and row.hash != self.anchor[1]
                ):
                    link_break = AuditBrokenLink(
                        chain=report.chain,
                        kind=AuditBreakKind.ANCHOR_MISMATCH,
                        event_id=row.id,
                        chain_seq=row.chain_seq,
                        detail=f"hash differs from the published anchor {self.anchor[1]}",
                    )
                if link_break is not None:
                    break
                digest = audit_content_digest(row.content_nonce, row.before, row.after)
                if digest != row.content_digest:
                    mismatched.append((row, digest))
                prev_hash, seq, last_id = row.hash, row.chain_seq, row.id
                report.events_checked += 1
            content = self._content_breaks(mismatched, head_seq, valid_below=None, count=True)
            first_content = first_content or content
        return first_content, link_break, seq + 1, (seq, prev_hash, last_id or None)

    def _content_breaks(
        self, mismatched: list[tuple[Any, str]], head_seq: int, *, valid_below: int | None, count: bool
    ) -> AuditBrokenLink | None:
        """The first of `mismatched` (in chain order) that no redaction proves, or None."""
        if not mismatched:
            return None
        redactions = audit_redactions_naming(
            project_id=self.report.project_id, events=[(row.id, row.submission_id) for row, _ in mismatched]
        )
        first = None
        for row, digest in mismatched:
            verdict = _content_verdict(
                event_seq=row.chain_seq,
                digest=digest,
                redactions=redactions.get(row.id, ()),
                proven_upto=head_seq,
                valid_below=valid_below,
            )
            if verdict == "edited":
                if first is None or row.chain_seq < first.chain_seq:
                    first = row
            elif count and verdict == "redacted":
                self.report.redacted += 1
            elif count:
                self.report.redaction_pending += 1
        if first is None:
            return None
        return AuditBrokenLink(
            chain=self.report.chain,
            kind=AuditBreakKind.CONTENT_EDITED,
            event_id=first.id,
            chain_seq=first.chain_seq,
            detail="before/after do not match the sealed content_digest, and no chained audit_redacted event "
            "records this change",
        )

    def _tail_break(self, head: tuple | None, last: tuple[int, str, int | None]) -> AuditBrokenLink | None:
        report = self.report
        last_seq, last_hash, last_id = last

        def broken(kind: AuditBreakKind, detail: str) -> AuditBrokenLink:
            return AuditBrokenLink(
                chain=report.chain, kind=kind, detail=detail, event_id=head[2] if head else last_id, chain_seq=last_seq
            )

        if head is None and last_seq == 0 and AuditEvent.objects.filter(self.chain_q, chain_seq__isnull=False).exists():
            return broken(AuditBreakKind.HEAD_MISMATCH, "sealed events but no chain head (the head row was deleted)")
        if last_seq != report.head_seq:
            return broken(
                AuditBreakKind.HEAD_MISMATCH,
                f"the head counts {report.head_seq} sealed events but the chain ends at seq {last_seq} "
                "(the last events were deleted)",
            )
        if head is not None and (last_hash, last_id) != (head[1], head[2]):
            return broken(AuditBreakKind.HEAD_MISMATCH, "the chain's last hash or event is not the head's")
        # One statement, so a seal committing meanwhile cannot make it disagree with itself.
        head_count = AuditChainHead.objects.filter(self.chain_q).values("sealed_count")[:1]
        beyond = AuditEvent.objects.filter(self.chain_q, chain_seq__gt=Coalesce(Subquery(head_count), Value(0)))
        if beyond.exists():
            return broken(AuditBreakKind.HEAD_MISMATCH, "sealed events beyond the chain head (inserted)")
        if self.anchor and self.anchor[0] > last_seq:
            return broken(
                AuditBreakKind.ANCHOR_MISMATCH,
                f"the chain ends at seq {last_seq}, before the anchor's seq {self.anchor[0]}",
            )
        return None

    def _unproven_before(self, break_seq: int, head_seq: int) -> AuditBrokenLink | None:
        """An event before the break accepted only thanks to a redaction at or after it.

        Such a redaction is not chain-valid, so that event is the real first broken link. Reads the
        redactions past the break and the events they name in chunks: memory stays bounded.
        """
        redactions = (
            AuditEvent.objects.filter(
                self.chain_q, action=AUDIT_REDACTED_ACTION, chain_seq__gte=break_seq, chain_seq__lte=head_seq
            )
            .order_by("chain_seq")
            .values_list("chain_seq", "after")
        )
        first, after_seq = None, break_seq - 1
        while True:
            chunk = list(redactions.filter(chain_seq__gt=after_seq)[:AUDIT_VERIFY_CHUNK])
            if not chunk:
                return first
            after_seq = chunk[-1][0]
            named = {
                int(key)
                for _, after in chunk
                if isinstance(after, dict)
                for key in (after.get("content_digests") or {})
                if str(key).isdigit()
            }
            for found in self._named_breaks(sorted(named), break_seq, head_seq):
                if first is None or found.chain_seq < first.chain_seq:
                    first = found

    def _named_breaks(self, event_ids: list[int], break_seq: int, head_seq: int) -> Iterator[AuditBrokenLink]:
        for start in range(0, len(event_ids), AUDIT_VERIFY_CHUNK):
            rows = AuditEvent.objects.filter(
                self.chain_q, id__in=event_ids[start : start + AUDIT_VERIFY_CHUNK], chain_seq__lt=break_seq
            ).values_list(*AUDIT_CHAIN_FIELDS, named=True)
            mismatched = [
                (row, digest)
                for row in rows
                if (digest := audit_content_digest(row.content_nonce, row.before, row.after)) != row.content_digest
            ]
            found = self._content_breaks(mismatched, head_seq, valid_below=break_seq, count=False)
            if found is not None:
                yield AuditBrokenLink(
                    chain=found.chain,
                    kind=found.kind,
                    event_id=found.event_id,
                    chain_seq=found.chain_seq,
                    detail=f"{found.detail} before the broken link at seq {break_seq}",
                )


def audit_verify(
    *, project: Project | None = None, anchors: dict[str, tuple[int, str]] | None = None
) -> AuditVerifyReport:
    """Walk every chain (or `project`'s) and report, per chain, its counts and first broken link.

    `anchors` maps a chain label (project id or "global") to a (seq, hash) published earlier: the
    event at that seq must still have that hash, which detects a chain rewritten consistently.
    Reads only; safe while sealers and writers run. Memory stays bounded (chunks of rows).
    """
    anchors = anchors or {}
    report = AuditVerifyReport()
    for project_id, label in audit_chain_list(project=project, extra_labels=anchors):
        chain = AuditChainReport(chain=label, project_id=project_id)
        _ChainWalk(chain, anchors.get(label)).run()
        report.chains.append(chain)
    return report


def audit_export(
    *,
    stream: IO[str],
    project: Project | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    content: bool = True,
    masked: bool = False,
) -> int:
    """Write the events as JSON lines for auditors; returns the number of lines.

    Chain by chain (global first), sealed events in chain order and then the unsealed ones by id.
    `since` is inclusive, `until` exclusive. Each line holds the fields the chain hashes (under the
    names docs/audit.md gives), so the export can be verified without this code. `content=False`
    leaves out before/after (personal data) but keeps their digest. `masked=True` writes them as an
    auditor without the personal-data right reads them (`kycreview.masking`), as `before_masked` /
    `after_masked` and without the nonce: a masked value cannot match the digest, and is not meant to.
    """
    lines = 0
    for project_id, label in audit_chain_list(project=project):
        events = AuditEvent.objects.filter(_chain_q(project_id))
        if since is not None:
            events = events.filter(created_at__gte=since)
        if until is not None:
            events = events.filter(created_at__lt=until)
        fields = (*AUDIT_CHAIN_FIELDS, "submission__submission_id")
        for sealed, order in ((True, "chain_seq"), (False, "id")):
            part = events.filter(chain_seq__isnull=not sealed).order_by(order).values_list(*fields, named=True)
            after_key = 0
            while True:
                chunk = list(part.filter(**{f"{order}__gt": after_key})[:AUDIT_VERIFY_CHUNK])
                if not chunk:
                    break
                after_key = getattr(chunk[-1], order)
                for row in chunk:
                    stream.write(json.dumps(_export_line(row, label, content, masked), ensure_ascii=False) + "\n")
                lines += len(chunk)
    return lines


def _export_line(row: Any, chain: str, content: bool, masked: bool = False) -> dict[str, Any]:
    line = {
        "chain": chain,
        "chain_seq": row.chain_seq,
        "id": row.id,
        "created_at": audit_created_at_text(row.created_at),
        "actor_type": row.actor_type,
        "actor_user_id": row.actor_user_ref if row.actor_user_ref is not None else row.actor_user_id,
        "actor_api_key_id": row.actor_api_key_ref if row.actor_api_key_ref is not None else row.actor_api_key_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "project_id": row.project_id,
        "submission_id": row.submission_id,
        "submission": row.submission__submission_id,
        "content_digest": row.content_digest,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }
    if masked:
        line.update(before_masked=mask_personal(row.before), after_masked=mask_personal(row.after))
    elif content:
        line.update(before=row.before, after=row.after, content_nonce=row.content_nonce)
    return line


# -- the erasure report ------------------------------------------------------------------

ERASURE_ACTIONS = ("erased", "partially_erased")


@dataclass(frozen=True)
class ErasureReport:
    per_day: list[dict]  # {"day", "project__name", "action", "actor_label", "count"}, newest day first
    recent: list[AuditEvent]


def audit_erasure_report(*, project_ids: list[int] | None, days: int = 90, recent: int = 100) -> ErasureReport:
    """Erasures (API, partial, retention) per day, project, kind and who, and the latest ones.

    `project_ids`: the projects the viewer may see; None for every project. Two queries.
    """
    since = timezone.now() - timedelta(days=days)
    events = AuditEvent.objects.filter(action__in=ERASURE_ACTIONS, created_at__gte=since)
    if project_ids is not None:
        events = events.filter(project_id__in=project_ids)
    per_day = list(
        events.annotate(day=TruncDate("created_at"))
        .values("day", "project__name", "action", "actor_label")
        .annotate(count=Count("id"))
        .order_by("-day", "project__name", "action", "actor_label")
    )
    latest = list(events.select_related("project", "submission").order_by("-created_at", "-id")[:recent])
    return ErasureReport(per_day=per_day, recent=latest)
