"""Run the real Step 1 pipeline over generated documents and print detection / false-retry rates.

    manage.py kyc_eval --count 6            # per kind and case
    manage.py kyc_eval --defects glare blurred --kinds passport
    manage.py kyc_eval --write docs/checks.md   # replace the measured sections of the docs

Everything it writes (a temporary project, registry entries for the specimens) is rolled back.
`--write` replaces what lies between the `<!-- eval:begin -->` / `<!-- eval:end -->` and
`<!-- thresholds:begin -->` / `<!-- thresholds:end -->` markers of the file, nothing else.
"""

import re
import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand

from audit.services import Actor
from submissions.checks import CheckContext, pipeline_run
from submissions.choices import FileKind, Step
from submissions.images import image_read_bytes
from submissions.models import Project, Submission
from verification.evaluation import EXPECTED_CODES, EXPECTED_ID_LIVENESS, Evaluation

from ._measure import api_client, jpeg_upload, rolled_back, temporary_media

KIND_ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


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


def step2_evaluate(evaluation: Evaluation, *, kinds, count: int, seed: int) -> None:
    """Step 1 with a genuine document, then Step 2 with each selfie case, through the HTTP views.

    A project with default options (the Step 1 answer does not depend on ID validation) and the
    holder's printed data typed at Step 2; files go to a temporary folder.
    """
    from verification.evaluation_faces import SELFIE_CASES, selfie_case
    from verification.generator import generate_document

    client = api_client(Project.objects.create(name="kyc_eval step 2 (rolled back)"))
    with temporary_media():
        for kind in kinds:
            for i in range(count):
                # UTO (the generator's default issuer, ICAO's example state) is no ISO 3166 country
                doc = generate_document(kind, seed=seed + i, country=None if kind == "drivers_license" else "POL")
                for case in SELFIE_CASES:
                    files = {"idImage": jpeg_upload("front.jpg", doc.front)}
                    if doc.back:
                        files["idBackImage"] = jpeg_upload("back.jpg", doc.back)
                    step1 = client.post("/v3/submission/step1", {
                        "email": f"eval-{kind}-{i}-{case}@example.com", "issuingCountry": doc.country,
                        "idType": KIND_ID_TYPES[kind], **files}).json()
                    if step1.get("retry") or "submissionId" not in step1:
                        continue  # Step 1 did not pass: nothing to measure at Step 2
                    truth = doc.truth
                    started = time.perf_counter()
                    response = client.post("/v3/submission/step2", {
                        "submissionId": step1["submissionId"],
                        "name": f"{truth['given_names']} {truth['surname']}",
                        "date_of_birth": truth["birth_date"],
                        "faceImage": jpeg_upload("selfie.jpg", selfie_case(doc, case, seed=seed + i))}).json()
                    codes = [item["retryCode"] for item in response.get("retry") or []]
                    if response.get("errorCode"):
                        codes.append(response["errorCode"])
                    evaluation.record(defects=(f"selfie:{case}",), codes=codes,
                                      seconds=time.perf_counter() - started)


def specimens_register(kinds) -> None:
    """Put the generator's published specimens in the fake-ID registry, as an operator would."""
    from documents.services import specimen_add
    from verification.generator import generate_document

    actor = Actor.system("kyc_eval")
    for kind in kinds:
        doc = generate_document(kind, defects=("specimen",))
        specimen_add(country=doc.country, id_type=KIND_ID_TYPES[kind], image=doc.front, note="eval", actor=actor)


class Command(BaseCommand):
    help = "Measure the checks on the synthetic corpus (detection and false-retry rates; --step2 adds selfies)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=4, help="documents per kind and case")
        parser.add_argument("--seed", type=int, default=1000)
        parser.add_argument("--kinds", nargs="+", default=list(KIND_ID_TYPES))
        parser.add_argument("--defects", nargs="+", default=None, help="default: every defect with an expectation")
        parser.add_argument("--attack-prevention", action="store_true", help="also score the ID liveness pipelines")
        parser.add_argument("--write", default="", help="replace the measured sections of this markdown file")
        parser.add_argument("--step2", action="store_true",
                            help="also post selfies (genuine and each face defect) through Step 2")

    def handle(self, *args, **opts):
        from verification.generator import DEFECTS, generate_document

        defects = opts["defects"] or [d for d in DEFECTS if d in EXPECTED_CODES]
        evaluation = Evaluation()
        with rolled_back():
            project = Project.objects.create(
                name="kyc_eval (rolled back)", id_card_validation=True, attack_prevention=opts["attack_prevention"],
            )
            if opts["step2"]:
                step2_evaluate(evaluation, kinds=opts["kinds"], count=opts["count"], seed=opts["seed"])
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
        table = evaluation.table()
        self.stdout.write(table)
        if opts["attack_prevention"]:
            self.stdout.write("\nID liveness expectations: " + ", ".join(
                f"{d} -> {p}" for d, p in EXPECTED_ID_LIVENESS.items()))
        if opts["write"]:
            header = (f"Measured by `make eval` ({' '.join(_argv(opts))}) on {datetime.now(UTC):%Y-%m-%d}: "
                      f"{opts['count']} documents per kind and case, seeds {opts['seed']}-{opts['seed'] + opts['count'] - 1}, "
                      f"kinds {', '.join(opts['kinds'])}, a project with ID card validation on"
                      f"{' and attack prevention' if opts['attack_prevention'] else ''}.")
            docs_sections_replace(opts["write"], {"eval": f"{header}\n\n{table}", "thresholds": thresholds_table()})


def _argv(opts) -> list[str]:
    args = [f"--count {opts['count']}", f"--seed {opts['seed']}"]
    if opts["attack_prevention"]:
        args.append("--attack-prevention")
    if opts["step2"]:
        args.append("--step2")
    return args


def thresholds_table() -> str:
    """Every registered threshold with its default, the setting override and what it means."""
    from verification.thresholds import threshold, thresholds_all

    lines = ["| threshold | default | in force | meaning |", "|---|---|---|---|"]
    for name, spec in sorted(thresholds_all().items()):
        lines.append(f"| `{name}` | {spec.default:g} | {threshold(name):g} | {spec.help} |")
    return "\n".join(lines)


def docs_sections_replace(path: str, sections: dict[str, str]) -> None:
    """Replace the text between `<!-- name:begin -->` and `<!-- name:end -->` for each named section of
    a markdown file; the file is written only when every section was found."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    for name, body in sections.items():
        pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(\n<!-- {name}:end -->)", re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"{path} has no <!-- {name}:begin --> ... <!-- {name}:end --> section")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
