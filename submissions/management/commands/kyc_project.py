"""Operator commands for projects: create, set options, rotate the key, close, list.

Every subcommand prints JSON on stdout (one object per line), so scripts can read it:

    manage.py kyc_project create --name "Shop" --option age_limit=18 --option blacklist_countries='["PRK"]'
    manage.py kyc_project set-option prj_... retry_limit=5 address_collection=both
    manage.py kyc_project rotate-key prj_...
    manage.py kyc_project close prj_...
    manage.py kyc_project list
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.services import Actor
from reviews.services import project_membership_set
from submissions.models import Project
from submissions.services import project_close, project_create, project_rotate_key, project_set_options


def option_value_parse(raw: str) -> object:
    """JSON when it parses (true, 18, null, ["PRK"], {...}), else the string itself (`both`)."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def options_parse(pairs: list[str]) -> dict[str, object]:
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"options are given as key=value, got {pair!r}")
        options[key.strip()] = option_value_parse(raw)
    return options


def validation_error_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{key}: {' '.join(messages)}" for key, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def json_line(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


class Command(BaseCommand):
    help = "Create and manage KYC projects (options, API keys, closing). Prints JSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        create = sub.add_parser("create", help="create a project and its first API key")
        create.add_argument("--name", required=True)
        create.add_argument(
            "--option", action="append", default=[], metavar="KEY=VALUE",
            help="a project option; values are JSON when they parse (true, 18, [\"PRK\"]), else text",
        )

        create.add_argument(
            "--grant", action="append", default=[], metavar="USERNAME=ROLE",
            help="give an existing user a role in the project: operator, reviewer or auditor",
        )

        grant = sub.add_parser("grant", help="give an existing user a role in a project")
        grant.add_argument("project_id", metavar="PROJECT_ID")
        grant.add_argument("grants", nargs="+", metavar="USERNAME=ROLE")

        set_option = sub.add_parser("set-option", help="change options of a project")
        set_option.add_argument("project_id", metavar="PROJECT_ID")
        set_option.add_argument("options", nargs="+", metavar="KEY=VALUE")

        rotate = sub.add_parser("rotate-key", help="revoke every key of a project and issue a new one")
        rotate.add_argument("project_id", metavar="PROJECT_ID")

        close = sub.add_parser("close", help="close a project: its keys answer invalid_project")
        close.add_argument("project_id", metavar="PROJECT_ID")

        sub.add_parser("list", help="one line per project")

    def handle(self, *args, **opts):
        actor = Actor.system("cli")
        action = opts["action"]
        try:
            if action == "create":
                with transaction.atomic():
                    project, raw_key = project_create(
                        name=opts["name"], options=options_parse(opts["option"]), actor=actor
                    )
                    self._grant(project, opts["grant"], actor)
                self.stdout.write(json_line({"projectId": project.project_id, "apiKey": raw_key}))
            elif action == "grant":
                project = self._project(opts["project_id"])
                self._grant(project, opts["grants"], actor)
                self.stdout.write(json_line(dict(project.memberships.values_list("user__username", "role"))))
            elif action == "set-option":
                project = project_set_options(
                    project=self._project(opts["project_id"]), options=options_parse(opts["options"]), actor=actor
                )
                self.stdout.write(json_line(project.options()))
            elif action == "rotate-key":
                project = self._project(opts["project_id"])
                raw_key = project_rotate_key(project=project, actor=actor)
                self.stdout.write(json_line({"projectId": project.project_id, "apiKey": raw_key}))
            elif action == "close":
                project = project_close(project=self._project(opts["project_id"]), actor=actor)
                self.stdout.write(json_line({"projectId": project.project_id, "status": project.status}))
            elif action == "list":
                for project in Project.objects.order_by("created_at", "pk"):
                    self.stdout.write(
                        json_line({"projectId": project.project_id, "name": project.name, "status": project.status})
                    )
        except ValidationError as exc:
            # The service names the bad option; say it plainly, without a traceback.
            raise CommandError(f"invalid option: {validation_error_text(exc)}") from exc

    @staticmethod
    def _grant(project: Project, grants: list[str], actor: Actor) -> None:
        for grant in grants:
            username, _, role = grant.partition("=")
            try:
                project_membership_set(project=project, username=username.strip(), role=role.strip(), actor=actor)
            except ValueError as exc:
                raise CommandError(f"invalid grant {grant!r}: {exc}") from exc

    @staticmethod
    def _project(project_id: str) -> Project:
        project = Project.objects.filter(project_id=project_id).first()
        if project is None:
            raise CommandError(f"no project with id {project_id!r}")
        return project
