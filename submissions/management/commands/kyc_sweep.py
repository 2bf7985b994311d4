"""Run the scheduled sweep now (what Celery beat runs every five minutes)."""

import json

from django.core.management.base import BaseCommand

from submissions.services import submission_sweep


class Command(BaseCommand):
    help = "Time out and expire stale Incomplete submissions now; prints the counts as JSON."

    def handle(self, *args, **opts):
        report = submission_sweep()
        self.stdout.write(json.dumps({"timed_out": report.timed_out, "expired": report.expired, "erased": report.erased}))
