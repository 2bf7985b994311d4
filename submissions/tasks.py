from celery import shared_task

from .services import stored_file_reap, submission_email_send, submission_sweep


# The periodic tasks are idempotent (each re-checks its rows' conditions), so a run whose worker
# died is safely run again: late acknowledgement, and requeued when its pool process is lost.
@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def submission_sweep_task() -> dict:
    """Beat entry point: time out and expire stale Incomplete submissions; erase past retention."""
    report = submission_sweep()
    return {"timed_out": report.timed_out, "expired": report.expired, "erased": report.erased}


# A retry waits in the broker as an unacknowledged message: its countdown stays below the visibility
# timeout (KYC_BROKER_VISIBILITY_TIMEOUT, 280 s), or Redis would hand it out a second time meanwhile.
# 45 retries of up to 4 minutes ride out a mail server outage of an hour or more.
@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, retry_backoff_max=240, max_retries=45)
def submission_email_task(submission_pk: int, trigger: str) -> bool:
    """Send one applicant email; an unreachable mail server is retried with back-off."""
    return submission_email_send(submission_pk=submission_pk, trigger=trigger)


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)  # idempotent: may run again
def stored_file_reap_task() -> int:
    """Beat entry point: delete the images of requests killed before they committed."""
    return stored_file_reap()
