"""Reap the images of killed requests now (what Celery beat runs every fifteen minutes)."""

import json
from datetime import timedelta

from django.core.management.base import BaseCommand

from submissions.services import stored_file_reap


class Command(BaseCommand):
    help = "Delete stored images whose request was killed before it committed; prints the count as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, metavar="SECONDS",
                            help="markers older than this (default: KYC_STORED_FILE_REAP_AFTER_SECONDS)")

    def handle(self, *args, **opts):
        older = opts["older_than"]
        reaped = stored_file_reap(older_than=None if older is None else timedelta(seconds=older))
        self.stdout.write(json.dumps({"reaped_files": reaped}))
