"""Run the real Step 1 pipeline over generated documents and print detection / false-retry rates.

    manage.py kyc_eval --count 6            # per kind and case
    manage.py kyc_eval --defects glare blurred --kinds passport

Everything it writes (a temporary project, registry entries for the specimens) is rolled back.
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from submissions.checks import CheckContext, pipeline_run
from submissions.choices import FileKind, Step
from submissions.images import image_read_bytes
from submissions.models import Project, Submission
from verification.evaluation import EXPECTED_CODES, EXPECTED_ID_LIVENESS, Evaluation

KIND_ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


class Rollback(Exception):
    pass


def document_codes(project: Project, doc) -> list[str]:
    """The codes the Step 1 pipeline answers for one generated document."""
    images = {FileKind.ID_FRONT: image_read_bytes(doc.front)}
    if doc.back:
        images[FileKind.ID_BACK] = image_read_bytes(doc.back)
    id_type = KIND_ID_TYPES[doc.kind]
    submission = Submission(project=project, email="eval@example.com", requested_id_type=id_type,
                            id_type=id_type, issuing_country=doc.country)
    outcome = pipeline_run(CheckContext(submission=submission, project=project, step=Step.STEP1, images=images))
    codes = [finding.code.value for finding in outcome.retry]
    if outcome.error is not None:
        codes.append(outcome.error.code.value)
    return codes


def specimens_register(kinds) -> None:
    """Put the generator's published specimens in the fake-ID registry, as an operator would."""
    try:
        from documents.services import specimen_add
    except ImportError:
        return
    from verification.generator import generate_document

    for kind in kinds:
        doc = generate_document(kind, defects=("specimen",))
        specimen_add(country=doc.country, id_type=KIND_ID_TYPES[kind], image_bytes=doc.front, note="eval")


class Command(BaseCommand):
    help = "Measure the Step 1 checks on the synthetic corpus (detection and false-retry rates)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=4, help="documents per kind and case")
        parser.add_argument("--seed", type=int, default=1000)
        parser.add_argument("--kinds", nargs="+", default=list(KIND_ID_TYPES))
        parser.add_argument("--defects", nargs="+", default=None, help="default: every defect with an expectation")
        parser.add_argument("--attack-prevention", action="store_true", help="also score the ID liveness pipelines")

    def handle(self, *args, **opts):
        from verification.generator import DEFECTS, generate_document

        defects = opts["defects"] or [d for d in DEFECTS if d in EXPECTED_CODES]
        evaluation = Evaluation()
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    name="kyc_eval (rolled back)", id_card_validation=True,
                    attack_prevention=opts["attack_prevention"],
                )
                specimens_register(opts["kinds"])
                for kind in opts["kinds"]:
                    for case in [(), *((d,) for d in defects)]:
                        for i in range(opts["count"]):
                            try:
                                doc = generate_document(kind, seed=opts["seed"] + i, defects=case)
                            except ValueError:
                                break  # the defect does not apply to this kind
                            started = time.perf_counter()
                            codes = document_codes(project, doc)
                            evaluation.record(defects=case, codes=codes, seconds=time.perf_counter() - started)
                raise Rollback
        except Rollback:
            pass
        self.stdout.write(evaluation.table())
        if opts["attack_prevention"]:
            self.stdout.write("\nID liveness expectations: " + ", ".join(
                f"{d} -> {p}" for d, p in EXPECTED_ID_LIVENESS.items()))
