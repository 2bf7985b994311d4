from celery import shared_task

from .services import webhook_deliver, webhook_outbox_drain

# One drain handles at most this many due events; its time budget usually ends it sooner when
# receivers are slow, and the next run (a minute later) picks up the rest.
WEBHOOK_DRAIN_BATCH_SIZE = 500


@shared_task(ignore_result=True)
def webhook_deliver_task(event_pk: int) -> bool:
    """Enqueued when a change commits: the first attempt at sending its event.

    No Celery retry here: a failed attempt leaves the event pending with its next attempt time,
    and the drain sends it then. (A countdown retry over Redis longer than the visibility timeout
    would be delivered twice.)
    """
    return webhook_deliver(event_pk=event_pk)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)  # idempotent: may run again
def webhook_outbox_drain_task() -> int:
    """Beat entry point, every minute: send the due pending events (retries, and what the broker missed)."""
    return webhook_outbox_drain(limit=WEBHOOK_DRAIN_BATCH_SIZE)
