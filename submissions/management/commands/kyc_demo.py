"""Seed demo data for `make run`: a reviewer login, a demo project, a fresh API key, submissions.

Idempotent: the reviewer and the project are reused, the submissions are created only
while the demo project has none, and each run adds one API key (earlier keys stay valid).
Every submission goes through the same services as the API, so statuses, retry counts,
check results and audit rows are what real traffic would leave behind.
"""

import os
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from audit.services import Actor
from reviews.models import ProjectMembership
from reviews.services import review_approve, review_reject
from submissions.checks import Check, CheckContext, CheckReport, Finding
from submissions.checks.base import check_register, check_unregister
from submissions.choices import Step
from submissions.codes import Step2RetryCode
from submissions.images import image_read_bytes
from submissions.inputs import Step1Input, Step2Input
from submissions.models import ApiKey, Project
from submissions.services import api_key_create, project_create, submission_step1, submission_step2

from ._demo_images import id_document_images, walkthrough_images

DEMO_PROJECT_NAME = "Demo project"
# ID card validation on: the demo's documents go through every Step 1 check and show its evidence.
DEMO_OPTIONS = {"age_limit": 18, "blacklist_countries": ["PRK"], "approved_period_days": 30, "id_card_validation": True}
REVIEWER_USERNAME = "reviewer"
# The workspace's roles, one login each (same password): see docs and the README.
DEMO_MEMBERS = (("operator", "operator"), (REVIEWER_USERNAME, "reviewer"), ("reviewer2", "reviewer"),
                ("auditor", "auditor"))


@dataclass(frozen=True)
class DemoApplicant:
    name: str
    email: str
    country: str
    id_type: str
    birth: date
    gender: str
    document_number: str
    # Where the demo leaves it: "step1", "retry", "pending", "approve", "reject" (by a
    # reviewer) or "auto" (Step 2 rejected by the project's rules).
    outcome: str
    # Defects of the generated document (verification.generator): the real checks answer them.
    defects: tuple[str, ...] = ()
    seed: int = 1

    @property
    def surname(self) -> str:
        return self.name.rsplit(" ", 1)[-1]

    @property
    def given_names(self) -> str:
        return self.name.rsplit(" ", 1)[0]


DEMO_APPLICANTS = (
    DemoApplicant("Alice Novak", "alice.novak@example.com", "POL", "government_id", date(1991, 5, 2),
                  "female", "ABC123456", "step1", seed=11),
    DemoApplicant("Bruno Costa", "bruno.costa@example.com", "PRT", "passport", date(1987, 11, 23),
                  "male", "P7412589", "retry", seed=12),
    DemoApplicant("Chen Wei", "chen.wei@example.com", "SGP", "passport", date(1995, 1, 17),
                  "male", "K1234567A", "pending", seed=13),
    DemoApplicant("Dana Ivanova", "dana.ivanova@example.com", "USA", "drivers_license", date(1979, 8, 30),
                  "female", "B0077120", "pending", seed=14),
    DemoApplicant("Emma Schmidt", "emma.schmidt@example.com", "DEU", "passport", date(1984, 3, 9),
                  "female", "C01X00T47", "approve", seed=15),
    DemoApplicant("Farid Haddad", "farid.haddad@example.com", "FRA", "government_id", date(1999, 12, 1),
                  "male", "FR9912013", "reject", seed=16),
    DemoApplicant("Ri Myong", "ri.myong@example.com", "PRK", "passport", date(1990, 6, 15),
                  "male", "PRK004512", "auto", seed=17),
    # Photographed under a lamp: Step 1 answers glare_detected from the image itself.
    DemoApplicant("Gita Rao", "gita.rao@example.com", "POL", "passport", date(1993, 9, 21),
                  "female", "EG4417291", "step1", defects=("glare",), seed=18),
)

class DemoFaceMismatchCheck(Check):
    """Answers one Step 2 retry for the demo's "retry" applicant.

    The shipped checks pass synthetic pictures, so the demo registers this check for its
    own run to leave one submission Incomplete with a real retry (check result, audit row).
    """

    name = "demo_face_mismatch"
    step = Step.STEP2
    codes = (Step2RetryCode.FACE_COMPARE_UNDERSCORE,)
    emails: frozenset[str] = frozenset(a.email for a in DEMO_APPLICANTS if a.outcome == "retry")

    def applies(self, ctx: CheckContext) -> bool:
        return ctx.submission.email in self.emails

    def run(self, ctx: CheckContext) -> CheckReport:
        return CheckReport(
            findings=[Finding(Step2RetryCode.FACE_COMPARE_UNDERSCORE)],
            score=61.0,
            threshold=float(ctx.project.face_match_threshold),
            evidence={"demo": True},
        )


@contextmanager
def demo_checks_registered():
    check_register(DemoFaceMismatchCheck)
    try:
        yield
    finally:
        check_unregister(DemoFaceMismatchCheck.name)


class Command(BaseCommand):
    help = "Seed demo data (reviewer login, demo project, API key, submissions). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="kycreview-demo", help="password of the 'reviewer' login")
        parser.add_argument(
            "--base-url", default=f"http://127.0.0.1:{os.environ.get('PORT', '8000')}",
            help="where the service listens, for the printed instructions",
        )

    def handle(self, *args, **opts):
        project, api_key, raw_key = self._project()
        reviewer = self._members(project, opts["password"])
        created = 0
        if not project.submissions.exists():
            created = self._submissions(project=project, api_key=api_key, reviewer=reviewer)
        self._example_images()
        self._print(opts, project=project, raw_key=raw_key, created=created)

    def _members(self, project: Project, password: str):
        """One staff login per role, each a member of the demo project only; returns the reviewer."""
        users = {}
        for username, role in DEMO_MEMBERS:
            # The password is set directly: a demo login need not pass the password validators.
            user, _ = get_user_model().objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.is_staff, user.is_superuser, user.is_active = True, False, True
            user.set_password(password)
            user.save()
            ProjectMembership.objects.update_or_create(user=user, project=project, defaults={"role": role})
            users[username] = user
        return users[REVIEWER_USERNAME]

    @transaction.atomic
    def _project(self) -> tuple[Project, ApiKey, str]:
        project = Project.objects.filter(name=DEMO_PROJECT_NAME).order_by("pk").first()
        if project is None:
            project, raw_key = project_create(
                name=DEMO_PROJECT_NAME, options=DEMO_OPTIONS, actor=Actor.system("kyc_demo")
            )
            api_key = project.api_keys.get()  # the one key project_create issued
        else:
            api_key, raw_key = api_key_create(project=project, name="demo")
        return project, api_key, raw_key

    def _submissions(self, *, project: Project, api_key: ApiKey, reviewer) -> int:
        actor = Actor.for_api_key(api_key)
        reviewer_actor = Actor.for_user(reviewer)
        # One transaction: a failure leaves no half-seeded project, so the next run retries.
        with transaction.atomic(), demo_checks_registered():
            for applicant in DEMO_APPLICANTS:
                self._submission(project=project, actor=actor, reviewer_actor=reviewer_actor, applicant=applicant)
        return len(DEMO_APPLICANTS)

    def _submission(self, *, project, actor, reviewer_actor, applicant: DemoApplicant) -> None:
        document = id_document_images(
            id_type=applicant.id_type, country=applicant.country, surname=applicant.surname,
            given_names=applicant.given_names, birth_date=applicant.birth, sex=applicant.gender[0].upper(),
            document_number=applicant.document_number, seed=applicant.seed, defects=applicant.defects)
        with transaction.atomic():
            answer = submission_step1(
                project=project, actor=actor, client_ip="127.0.0.1",
                data=Step1Input(issuing_country=applicant.country, email=applicant.email,
                                id_type=applicant.id_type, id_image=image_read_bytes(document.front),
                                id_back_image=image_read_bytes(document.back) if document.back else None,
                                userid=applicant.email.split("@")[0], cf1="demo"),
            )
        if applicant.outcome == "step1":
            return
        with transaction.atomic():
            submission_step2(
                project=project, actor=actor,
                data=Step2Input(
                    submission_id=answer.submission.submission_id, face_image=image_read_bytes(document.selfie),
                    name=applicant.name,
                    date_of_birth=applicant.birth,
                    fields={"gender": applicant.gender, "nationality": applicant.country,
                            "document_number": applicant.document_number},
                ),
            )
        submission_id = answer.submission.submission_id
        if applicant.outcome == "approve":
            review_approve(submission_id=submission_id, actor=reviewer_actor,
                           note="Demo: document and selfie checked.")
        elif applicant.outcome == "reject":
            review_reject(submission_id=submission_id, actor=reviewer_actor, codes=["id_info_dataMismatch"],
                          comment="The date of birth entered does not match the document.",
                          note="Demo: birth date on the card differs.")

    def _example_images(self) -> None:
        # The printed curl command uploads these; rewritten each run so they match this version's checks.
        folder = settings.VAR_DIR / "examples"
        folder.mkdir(parents=True, exist_ok=True)
        images = walkthrough_images()
        for name, data in (("id.jpg", images.front), ("selfie.jpg", images.selfie)):
            (folder / name).write_bytes(data)

    def _print(self, opts, *, project: Project, raw_key: str, created: int) -> None:
        base = opts["base_url"].rstrip("/")
        lines = [
            "",
            "kycreview demo data is ready"
            + (f" ({created} demo submissions created)." if created else " (demo submissions already exist)."),
            f"  Admin:      {base}/admin/",
            f"  Logins:     {', '.join(name for name, _ in DEMO_MEMBERS)} / {opts['password']}",
            f"  Queue:      {base}/admin/review/queue/   Dashboard: {base}/admin/review/dashboard/",
            f"  Project:    {project.project_id} ({project.name}, {project.status})",
            f"  API key:    {raw_key}",
            "              (a new key on every run; earlier keys stay valid)",
            f"  API docs:   {base}/v3/docs/",
            "  Try Step 1:",
            f"    curl -s {base}/v3/submission/step1 -H 'x-api-key: {raw_key}' \\",
            "      -F issuingCountry=POL -F idType=passport -F email=jane.sample@example.com \\",
            "      -F idImage=@var/examples/id.jpg",
            "",
        ]
        self.stdout.write("\n".join(lines))
