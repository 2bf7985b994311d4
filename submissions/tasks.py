from celery import shared_task

from .services import submission_sweep


@shared_task(ignore_result=True)
def submission_sweep_task() -> dict:
    """Beat entry point: time out and expire stale Incomplete submissions."""
    report = submission_sweep()
    return {"timed_out": report.timed_out, "expired": report.expired}
