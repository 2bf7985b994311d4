from celery import shared_task

from .services import audit_seal

# Events sealed per run, a minute apart: far above the rate the services write them, and a run
# stays well under the soft time limit. A backlog (the history before sealing existed) drains over
# a few runs, or at once with `manage.py kyc_audit seal`.
AUDIT_SEAL_LIMIT = 20_000


@shared_task(ignore_result=True, acks_late=True, reject_on_worker_lost=True)  # idempotent: may run again
def audit_seal_task() -> int:
    """Beat entry point, every minute: append the audit events written since to their chains."""
    return audit_seal(limit=AUDIT_SEAL_LIMIT)
