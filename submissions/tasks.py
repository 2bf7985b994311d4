from celery import shared_task

from .services import stored_file_reap, submission_email_send, submission_sweep


@shared_task(ignore_result=True)
def submission_sweep_task() -> dict:
    """Beat entry point: time out and expire stale Incomplete submissions; erase past retention."""
    report = submission_sweep()
    return {"timed_out": report.timed_out, "expired": report.expired, "erased": report.erased}


@shared_task(ignore_result=True, autoretry_for=(OSError,), retry_backoff=60, retry_backoff_max=3600, max_retries=8)
def submission_email_task(submission_pk: int, trigger: str) -> bool:
    """Send one applicant email; an unreachable mail server is retried with back-off."""
    return submission_email_send(submission_pk=submission_pk, trigger=trigger)


@shared_task(ignore_result=True)
def stored_file_reap_task() -> int:
    """Beat entry point: delete the images of requests killed before they committed."""
    return stored_file_reap()
