"""Webhooks: the outbox row written with each change, its signed delivery, and an operator's resend.

An event is written by `webhook_event_record` in the transaction of the change it reports, and
handed to a worker only once that transaction commits. Every attempt goes through
`webhook_deliver`; retries and events the broker refused are sent by `webhook_outbox_drain`, which
the beat runs every minute. The contract for receivers is docs/webhooks.md.
"""

import enum
import hashlib
import hmac
import json
import logging
import os
import time
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import django_fsm as fsm
import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from audit.services import Actor, audit_record
from submissions.models import Submission

from .choices import WebhookEventState, WebhookTrigger
from .destinations import WebhookAdapter, WebhookDestinationError, webhook_destination_parse
from .models import WebhookDelivery, WebhookEvent
from .selectors import webhook_event_list_due

logger = logging.getLogger(__name__)

WEBHOOK_USER_AGENT = "kycreview-webhooks/1"
WEBHOOK_SIGNATURE_VERSION = "v1"
# The delivery log keeps the status and this much of a receiver's answer, control and format
# characters blanked: enough to read a receiver's error, too little to read a service behind it.
WEBHOOK_RESPONSE_EXCERPT_CHARS = 200
# What an enqueue raises when the broker is down: Celery re-raises the transport's connection
# errors as kombu's OperationalError; the others are listed in case a transport lets one through.
WEBHOOK_BROKER_ERRORS = (KombuError, RedisError, OSError)
# A claimed event is not due again for one send's timeout plus this margin: long enough that no
# other worker sends it meanwhile, short enough that a worker killed mid-send delays it little.
WEBHOOK_LEASE_MARGIN = timedelta(seconds=60)
# One drain stops starting new sends after this long: with one send's timeout on top it stays under
# CELERY_TASK_SOFT_TIME_LIMIT (200 s). The rows it did not reach are still due for the next run.
WEBHOOK_DRAIN_BUDGET_SECONDS = 180


class WebhookAttemptOutcome(enum.Enum):
    SKIPPED = "skipped"  # not sent: held by another worker, not pending, or not due
    DELIVERED = "delivered"
    FAILED = "failed"  # sent, not acknowledged


# -- the payload ------------------------------------------------------------------------


def _webhook_time(value: datetime | None) -> str | None:
    # ISO-8601 in UTC with a "Z", as the API renders its times.
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _webhook_retry_codes(retry: Iterable | None) -> list[str]:
    codes = []
    for item in retry or ():
        code = getattr(item, "code", item)  # a check's Finding, or the code itself
        codes.append(str(getattr(code, "value", code)))
    return codes


def webhook_payload(
    *,
    submission: Submission,
    trigger: WebhookTrigger | str,
    retry: Iterable | None = None,
    event_id: uuid.UUID | None = None,
) -> dict:
    """The JSON body of one event, exactly the fields of api.md "Webhooks" (no other personal data).

    `retry`: the retry codes of a `retry` event (strings, or the check `Finding`s that carry them).
    `event_id`: the event's id; a new one when not given.
    """
    trigger = WebhookTrigger(trigger)
    payload = {
        "event_id": str(event_id or uuid.uuid4()),
        "project_id": submission.project.project_id,
        "webhook_trigger": trigger.value,
        "submission_id": submission.submission_id,
        "kyc_result": {
            "status": submission.status,
            "commentCode": list(submission.reject_codes),
            "comment": list(submission.reject_comments),
            "created_at": _webhook_time(submission.created_at),
            "updated_at": _webhook_time(submission.updated_at),
            "kyc_result_at": _webhook_time(submission.decided_at),
        },
        "userid": submission.userid,
        "cf": {"cf1": submission.cf1, "cf2": submission.cf2, "cf3": submission.cf3},
    }
    if trigger == WebhookTrigger.RETRY:
        payload["retryCode"] = _webhook_retry_codes(retry)
        payload["attempts"] = submission.retry_count
    return payload


def webhook_body(*, payload: dict) -> bytes:
    """The bytes POSTed and signed: compact JSON, keys sorted so every database gives the same bytes."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def webhook_sign(*, secret: str, timestamp: int | str, body: bytes) -> str:
    """HMAC-SHA256, hex, of `"{timestamp}." + body` with the project's webhook secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


# -- the outbox -------------------------------------------------------------------------


def webhook_event_record(
    *, submission: Submission, trigger: WebhookTrigger | str, retry: Iterable | None = None
) -> WebhookEvent | None:
    """Write the outbox row of one change; None when the project has no webhook URL.

    Call it inside the transaction of the change, after saving the submission: the row commits or
    rolls back with the change, and the event is enqueued only after the commit. A broker that
    refuses the enqueue leaves the row pending for the drain; nothing is raised to the caller.
    """
    project = submission.project
    if not project.webhook_url:
        return None
    event_id = uuid.uuid4()
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event_id=event_id,
        project=project,
        submission=submission,
        trigger=WebhookTrigger(trigger),
        payload=webhook_payload(submission=submission, trigger=trigger, retry=retry, event_id=event_id),
        created_at=now,
        next_attempt_at=now,
    )
    event_pk = event.pk
    transaction.on_commit(lambda: webhook_event_enqueue(event_pk=event_pk))
    return event


def webhook_events_redact(*, submission: Submission) -> int:
    """Blank the personal values that `submission`'s events copied (userid, custom fields, comments).

    Called by the erasure of a submission's data, inside its transaction: the events' payloads are
    sealed with the project's key, which the erasure does not destroy. Ids, codes, status and dates
    stay, so a pending event is still sent, with what is left. Returns the number of events changed.
    """
    events = list(WebhookEvent.objects.select_related("project").filter(submission=submission))
    for event in events:
        payload = event.payload
        payload["userid"] = ""
        payload["cf"] = dict.fromkeys(payload.get("cf") or {}, "")
        payload.get("kyc_result", {})["comment"] = []
        event.save(update_fields=["payload"])
    return len(events)


def webhook_event_enqueue(*, event_pk: int) -> bool:
    """Hand one event to a worker; False when the broker refused it (the row stays pending)."""
    # tasks.py imports this module at its top: importing the task here breaks the cycle.
    from .tasks import webhook_deliver_task

    try:
        webhook_deliver_task.delay(event_pk)
    except WEBHOOK_BROKER_ERRORS as exc:
        logger.warning(
            "Webhook event %s not enqueued (%s: %s); the outbox drain will send it.", event_pk, type(exc).__name__, exc
        )
        return False
    return True


# -- delivery ---------------------------------------------------------------------------


def _webhook_claim(*, event_pk: int, force: bool) -> WebhookEvent | None:
    """Lock the event for an instant and take a lease on it; None when it is not ours to send now."""
    timeout = settings.KYC_WEBHOOK_TIMEOUT_SECONDS
    with transaction.atomic():
        # skip_locked: a row another worker is claiming or recording is theirs; waiting would only
        # lead to finding their lease.
        event = (
            WebhookEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("project")
            .filter(pk=event_pk)
            .first()
        )
        if event is None or event.state != WebhookEventState.PENDING:
            return None
        now = timezone.now()
        if not force and event.next_attempt_at > now:
            return None
        if not event.project.webhook_url:
            event.give_up(error="The project no longer has a webhook URL.", attempted=False)
            event.save()
            return None
        # The lease: the row is committed as not due until the send is over, so no other worker
        # (task or drain) sends it meanwhile, while the HTTP call holds no database lock or
        # transaction. A worker that dies mid-send leaves the event due again when the lease ends.
        WebhookEvent.objects.filter(pk=event.pk).update(
            next_attempt_at=now + timedelta(seconds=timeout) + WEBHOOK_LEASE_MARGIN
        )
    return event


def webhook_excerpt_clean(raw: bytes) -> str:
    """At most WEBHOOK_RESPONSE_EXCERPT_CHARS of an answer, as one line of printable text."""
    text = raw.decode("utf-8", errors="replace")
    # Cc: control characters (terminal escapes, NUL); Cf: format ones (bidi overrides); Z*: separators.
    text = "".join(" " if unicodedata.category(char)[0] in "CZ" else char for char in text)
    return " ".join(text.split())[:WEBHOOK_RESPONSE_EXCERPT_CHARS]


def _webhook_response_excerpt(response: requests.Response) -> str:
    # Streamed: a receiver answering megabytes costs us under a kilobyte.
    try:
        chunk = next(response.iter_content(chunk_size=4 * WEBHOOK_RESPONSE_EXCERPT_CHARS), b"")
    except requests.RequestException:
        return ""
    return webhook_excerpt_clean(chunk)


def webhook_session() -> requests.Session:
    """A session that connects only to destinations the policy allows (`webhooks.destinations`).

    No proxy or netrc from the environment: a proxy would be the address connected to, and the
    checks would judge it instead of the receiver. TLS certificates are verified, against the
    system's authorities or the bundle named by REQUESTS_CA_BUNDLE (an internal CA on premises).
    """
    session = requests.Session()
    session.trust_env = False
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
    adapter = WebhookAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _webhook_attempt(*, event_pk: int, force: bool = False) -> WebhookAttemptOutcome:
    event = _webhook_claim(event_pk=event_pk, force=force)
    if event is None:
        return WebhookAttemptOutcome.SKIPPED
    project = event.project
    body = webhook_body(payload=event.payload)
    attempted_at = timezone.now()
    timestamp = int(attempted_at.timestamp())
    signature = webhook_sign(secret=project.webhook_secret, timestamp=timestamp, body=body)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": WEBHOOK_USER_AGENT,
        "X-KYC-Event-Id": str(event.event_id),
        "X-KYC-Event": event.trigger,
        "X-KYC-Timestamp": str(timestamp),
        "X-KYC-Signature": f"{WEBHOOK_SIGNATURE_VERSION}={signature}",
    }
    status_code, excerpt, error = None, "", ""
    started = time.perf_counter()
    try:
        # The URL is checked again as it stands now (it may predate the policy or a settings change);
        # the session checks every address it connects to.
        webhook_destination_parse(project.webhook_url)
        # Redirects are not followed: the signed body goes to the configured URL or nowhere, and a
        # 3xx is a failed attempt like any other non-2xx.
        with webhook_session() as session, session.post(
            project.webhook_url,
            data=body,
            headers=headers,
            timeout=settings.KYC_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            status_code = response.status_code
            excerpt = _webhook_response_excerpt(response)
    except WebhookDestinationError as exc:
        error = f"Destination refused: {exc}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration_ms = round((time.perf_counter() - started) * 1000)
    acknowledged = status_code is not None and 200 <= status_code < 300
    if status_code is not None and not acknowledged:
        error = f"HTTP {status_code}"
    return _webhook_attempt_record(
        event_pk=event.pk,
        delivery=WebhookDelivery(
            attempted_at=attempted_at,
            status_code=status_code,
            duration_ms=duration_ms,
            error=error[:2000],
            response_excerpt=excerpt,
        ),
        acknowledged=acknowledged,
    )


@transaction.atomic
def _webhook_attempt_record(*, event_pk: int, delivery: WebhookDelivery, acknowledged: bool) -> WebhookAttemptOutcome:
    # A plain (waiting) lock: an operator's resend of this very row finishes first, then this
    # attempt's outcome applies to the row as the resend left it.
    event = WebhookEvent.objects.select_for_update().get(pk=event_pk)
    delivery.event = event
    delivery.save()
    outcome = WebhookAttemptOutcome.DELIVERED if acknowledged else WebhookAttemptOutcome.FAILED
    if event.state != WebhookEventState.PENDING:
        return outcome
    if acknowledged:
        event.deliver()
    elif fsm.can_proceed(event.defer):
        event.defer(error=delivery.error)
    else:
        event.give_up(error=delivery.error)
        logger.warning(
            "Webhook event %s given up after %s attempts: %s", event.event_id, event.attempts, delivery.error
        )
    event.save()
    return outcome


def webhook_deliver(*, event_pk: int, force: bool = False) -> bool:
    """Make one attempt at POSTing an event to its project's webhook URL; True when acknowledged (2xx).

    The caller holds no transaction: the row is locked only while it is claimed and while the
    attempt is recorded, never during the HTTP call. Skipped (False, nothing sent): an event
    another worker holds, one not pending, or, unless `force`, one not yet due. `force` also
    ignores the lease of a send in flight: for an explicit one-off send only.
    Side effects: one WebhookDelivery row; the event delivered, deferred by the back-off, or failed
    after KYC_WEBHOOK_MAX_ATTEMPTS attempts.
    """
    return _webhook_attempt(event_pk=event_pk, force=force) is WebhookAttemptOutcome.DELIVERED


def webhook_outbox_drain(*, limit: int = 500) -> int:
    """Send the pending events that are due, the longest-waiting first; returns how many were delivered.

    Run by the beat every minute: it sends the retries and the events whose enqueue failed, so an
    outage of the broker delays events and loses none. It sends in this process rather than
    enqueueing: the broker may be what just failed, and a backed-up queue would receive the same
    due rows again every minute. After one failed attempt at a project's URL, that project's other
    events wait for the next run, so one dead receiver cannot use up the run for every project.
    """
    started = time.monotonic()
    delivered = 0
    failing_projects: set[int] = set()
    for event_pk, project_pk in webhook_event_list_due(now=timezone.now(), limit=limit):
        if time.monotonic() - started > WEBHOOK_DRAIN_BUDGET_SECONDS:
            break
        if project_pk in failing_projects:
            continue
        outcome = _webhook_attempt(event_pk=event_pk)
        if outcome is WebhookAttemptOutcome.DELIVERED:
            delivered += 1
        elif outcome is WebhookAttemptOutcome.FAILED:
            failing_projects.add(project_pk)
    return delivered


# -- operators ------------------------------------------------------------------------


@transaction.atomic
def webhook_resend(*, event: WebhookEvent, actor: Actor) -> WebhookEvent:
    """Send an event again, from its first attempt: pending, due now, enqueued after commit.

    The event keeps its event_id and its frozen payload, so a receiver that already has it
    recognises the duplicate. Writes the `webhook_resent` audit row. Permission is the caller's
    business (the admin allows the project's operators).
    """
    event = (
        WebhookEvent.objects.select_for_update(of=("self",)).select_related("project", "submission").get(pk=event.pk)
    )
    before = {"state": event.state, "attempts": event.attempts}
    event.resend()
    event.save()
    audit_record(
        actor=actor,
        action="webhook_resent",
        project=event.project,
        submission=event.submission,
        before=before,
        after={"event_id": str(event.event_id), "trigger": event.trigger, "state": event.state},
    )
    event_pk = event.pk
    transaction.on_commit(lambda: webhook_event_enqueue(event_pk=event_pk))
    return event
