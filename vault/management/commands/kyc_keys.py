"""Operator commands for the encryption keys (docs/security.md, "Keys"):

    manage.py kyc_keys new-master --id 2027a           # print a fresh KYC_MASTER_KEYS entry
    manage.py kyc_keys rotate-master                   # re-wrap project keys under the first master key
    manage.py kyc_keys rotate-project --project prj_…  # new project key; re-wrap its data keys
    manage.py kyc_keys purge                           # finish rotations: clear retired project keys
    manage.py kyc_keys status                          # keys per project and master key
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from submissions.models import Project
from vault.crypto import VaultError, master_key_generate
from vault.models import DataKey, ProjectKey
from vault.selectors import master_keys
from vault.services import master_keys_rewrap, project_key_rotate, project_keys_purge


class Command(BaseCommand):
    help = "Generate master keys, rotate master and project keys, and report on them."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        new = sub.add_parser("new-master", help="Print a new id:key entry for KYC_MASTER_KEYS.")
        new.add_argument("--id", required=True, help="A name for the key, e.g. the year it was made.")
        sub.add_parser("rotate-master", help="Re-wrap every project key under the first KYC_MASTER_KEYS entry.")
        rotate = sub.add_parser("rotate-project", help="Give a project a new key and re-wrap its data keys.")
        rotate.add_argument("--project", required=True, help="The project's public id (prj_...).")
        sub.add_parser("purge", help="Clear the material of retired project keys no data key needs.")
        sub.add_parser("status", help="Project keys and data keys, per project.")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, "handle_" + action.replace("-", "_"))(**options)
        except VaultError as exc:
            raise CommandError(str(exc)) from exc

    def handle_new_master(self, *, id: str, **options) -> None:  # noqa: A002 - the flag's name
        if "," in id or ":" in id:
            raise CommandError("a key id cannot contain ',' or ':'")
        self.stdout.write(master_key_generate(id))
        self.stderr.write("Put it first in KYC_MASTER_KEYS, keep the old entries, then run `kyc_keys rotate-master`.")

    def handle_rotate_master(self, **options) -> None:
        report = master_keys_rewrap()
        self.stdout.write(f"{report.project_keys} project keys re-wrapped under master key {master_keys()[0].key_id!r}")

    def handle_rotate_project(self, *, project: str, **options) -> None:
        found = Project.objects.filter(project_id=project).first()
        if found is None:
            raise CommandError(f"no project {project!r}")
        report = project_key_rotate(project_id=found.pk)
        self.stdout.write(f"{found.project_id}: new project key; {report.data_keys} data keys re-wrapped")

    def handle_purge(self, **options) -> None:
        report = project_keys_purge()
        self.stdout.write(f"{report.data_keys} data keys moved; {report.retired} retired project keys cleared")

    def handle_status(self, **options) -> None:
        masters = {key.key_id for key in master_keys()}
        rows = (
            ProjectKey.objects.values("project__project_id", "version", "master_key_id", "retired_at")
            .annotate(live=Count("data_keys", filter=Q(data_keys__wrapped__isnull=False)),
                      destroyed=Count("data_keys", filter=Q(data_keys__wrapped__isnull=True)))
            .order_by("project__project_id", "version")
        )
        for row in rows:
            state = "retired" if row["retired_at"] else "current"
            missing = "" if row["master_key_id"] in masters else "  MASTER KEY MISSING"
            self.stdout.write(
                f"{row['project__project_id']} v{row['version']} {state} master={row['master_key_id']} "
                f"data keys live={row['live']} destroyed={row['destroyed']}{missing}"
            )
        self.stdout.write(f"{DataKey.objects.count()} data keys in all")
