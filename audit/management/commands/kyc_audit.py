"""Operator commands for the tamper-evident audit chain (docs/audit.md):

    manage.py kyc_audit seal                       # seal everything written so far (beat does it every minute)
    manage.py kyc_audit verify [--project prj_...] [--anchor CHAIN:SEQ:HASH ...]
    manage.py kyc_audit export [--project prj_...] [--since 2026-01-01] [--until 2026-01-31] [--output FILE]
                               [--no-content | --masked]

`verify` exits with status 1 and prints the first broken link of each broken chain; 0 when intact.
"""

import json
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.chain import AUDIT_GLOBAL_CHAIN
from audit.selectors import audit_export, audit_verify
from audit.services import audit_seal
from submissions.models import Project

# Per call of the service when sealing from the command line: each batch commits on its own.
SEAL_COMMAND_LIMIT = 50_000


def project_get(project_id: str | None) -> Project | None:
    if project_id is None:
        return None
    project = Project.objects.filter(project_id=project_id).first()
    if project is None:
        raise CommandError(f"no project {project_id!r}")
    return project


def day_parse(raw: str | None, *, end: bool = False) -> datetime | None:
    """YYYY-MM-DD -> the start of that day (of the next one for an inclusive `--until`)."""
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise CommandError(f"dates are YYYY-MM-DD, got {raw!r}") from exc
    if end:
        day += timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time.min))


def anchor_parse(raw: str) -> tuple[str, tuple[int, str]]:
    chain, _, rest = raw.partition(":")
    seq, _, digest = rest.partition(":")
    if not (chain and seq.isdigit() and int(seq) > 0 and len(digest) == 64):
        raise CommandError(f"an anchor is CHAIN:SEQ:HASH as `verify` prints it, got {raw!r}")
    return chain, (int(seq), digest.lower())


class Command(BaseCommand):
    help = "Seal, verify and export the tamper-evident audit chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("seal", help="append every unsealed audit event to its chain; prints JSON")

        verify = sub.add_parser("verify", help="check the chains; exit status 1 at a broken link")
        verify.add_argument("--project", metavar="PROJECT_ID", help="only this project's chain")
        verify.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="CHAIN:SEQ:HASH",
            help="a head published earlier (as verify prints it): that event must still have that hash",
        )

        export = sub.add_parser("export", help="write the events as JSON lines")
        export.add_argument("--project", metavar="PROJECT_ID", help="only this project's chain")
        export.add_argument("--since", metavar="YYYY-MM-DD", help="events from this day on")
        export.add_argument("--until", metavar="YYYY-MM-DD", help="events up to and including this day")
        export.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
        export.add_argument(
            "--no-content",
            dest="content",
            action="store_false",
            help="leave out before/after (personal data); their digests stay, so links still verify",
        )
        export.add_argument(
            "--masked",
            action="store_true",
            help="before/after as auditors read them (numbers masked, MRZ/OCR/barcode reads withheld), "
                 "as before_masked/after_masked; links still verify",
        )

    def handle(self, *args, action, **opts):
        getattr(self, f"handle_{action}")(**opts)

    def handle_seal(self, **opts) -> None:
        total = 0
        while sealed := audit_seal(limit=SEAL_COMMAND_LIMIT):
            total += sealed
        self.stdout.write(json.dumps({"sealed": total}))

    def handle_verify(self, *, project, anchor, **opts) -> None:
        anchors = dict(anchor_parse(raw) for raw in anchor)
        selected = project_get(project)
        if selected is not None and set(anchors) - {selected.project_id}:
            raise CommandError("with --project, every anchor must be for that project's chain")
        unknown = (
            set(anchors)
            - {AUDIT_GLOBAL_CHAIN}
            - set(Project.objects.filter(project_id__in=anchors).values_list("project_id", flat=True))
        )
        if unknown:
            raise CommandError(f"anchors for unknown chains: {', '.join(sorted(unknown))}")
        report = audit_verify(project=selected, anchors=anchors)
        for chain in report.chains:
            state = "intact" if chain.intact else "BROKEN"
            self.stdout.write(
                f"{chain.chain}: {state}; {chain.events_checked} events checked ({chain.sealed} sealed, "
                f"{chain.unsealed} not sealed yet, {chain.redacted} redacted, "
                f"{chain.redaction_pending} redactions awaiting their seal); head {chain.head_anchor}"
            )
        if not report.intact:
            for link in report.broken_links:
                self.stdout.write(f"first broken link: {link}")
            raise CommandError(f"{len(report.broken_links)} audit chain(s) broken", returncode=1)
        self.stdout.write(f"intact: {len(report.chains)} chain(s), {report.events_checked} events checked")

    def handle_export(self, *, project, since, until, output, content, masked, **opts) -> None:
        kwargs = {
            "project": project_get(project),
            "since": day_parse(since),
            "until": day_parse(until, end=True),
            "content": content,
            "masked": masked,
        }
        if output is None:
            audit_export(stream=self.stdout, **kwargs)
            return
        with open(output, "w", encoding="utf-8") as stream:
            lines = audit_export(stream=stream, **kwargs)
        self.stderr.write(f"{lines} events written to {output}")
