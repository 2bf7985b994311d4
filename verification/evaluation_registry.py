"""Measure fake_id, feature_verification_failed, invalid_id and id_liveness_fail on generated documents.

`registry_evaluation()` fills the registries (specimens, layout templates, invalidated numbers)
through the `documents` services, generates at least `per_case` documents per case, runs the
registered Step 1 checks on each exactly as the pipeline does (same `CheckContext`, same shared
`DocumentAnalysis`, same check classes) and tallies, per case, how often each of these codes was
answered, and each check's time. Everything it writes is rolled back and its files go to a
temporary storage folder, so it can run against any database.

Cases (seeds differ from the calibration corpus of docs/checks/registry.md, so the rates are
held-out measurements):

- genuine: passports, ID cards and licences of issuers with a registered template, every
  registry in use. Expected: none of the four codes (a false retry otherwise).
- specimen recaptured: each registered specimen photographed again with glare or blur -> fake_id.
- wrong layout: a document of another type submitted as a type/issuer with a template ->
  feature_verification_failed.
- invalidated number: genuine documents whose number (or series) is registered -> invalid_id,
  read by the document checks (MRZ, PDF417, printed fields) that run first.
- screen_moire, device_frame, grayscale, replaced_portrait: attack prevention on ->
  id_liveness_fail naming the right pipeline.

Informational rows (not part of the acceptance): an exact copy of the specimen, a specimen
photographed tilted, a same-type document of another issuer submitted against a template.

    python -m verification.evaluation_registry --per-case 40 --cache /tmp/registry-corpus

(`main` creates a throwaway test database.) The lead's `make eval` can call
`registry_evaluation(...)` inside its own command and print `.table()`.
"""

import argparse
import os
import pickle
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

KIND_ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}
CODES = ("fake_id", "feature_verification_failed", "invalid_id", "id_liveness_fail")
MY_CHECKS = ("fake_id", "feature_verification", "invalid_id", "id_liveness")
READING_CHECKS = ("mrz", "barcode", "printed_fields")  # they put the document number in ctx.extracted
LIVENESS_ATTACKS = {"screen_moire": "Screen replay", "device_frame": "Screen replay",
                    "grayscale": "Paper printed", "replaced_portrait": "Replace portraits"}
# Issuers with a template: every genuine document is judged against its layout.
TEMPLATE_PAIRS = (("passport", "UTO"), ("id_card", "UTO"), ("drivers_license", "USA"),
                  ("passport", "FRA"), ("id_card", "FRA"), ("drivers_license", "CAN"))
# (document kind, submitted as kind, submitted issuer): another layout against a template.
WRONG_LAYOUTS = (("drivers_license", "id_card", "UTO"), ("passport", "id_card", "UTO"),
                 ("id_card", "passport", "UTO"), ("drivers_license", "passport", "FRA"),
                 ("id_card", "drivers_license", "USA"), ("passport", "drivers_license", "CAN"))
SPECIMEN_COUNTRIES = {"passport": ("UTO", "FRA", "DEU", "NLD", "ESP", "ITA", "POL", "SWE", "PRT"),
                      "id_card": ("UTO", "FRA", "DEU", "NLD", "ESP", "ITA", "POL", "SWE", "PRT"),
                      "drivers_license": ("USA", "CAN", "MEX")}


@dataclass
class Sample:
    kind: str
    country: str  # the document's issuer
    seed: int
    defects: tuple[str, ...] = ()
    submitted_kind: str | None = None  # submitted as another type (wrong layout)
    submitted_country: str | None = None

    @property
    def id_type(self) -> str:
        return KIND_ID_TYPES[self.submitted_kind or self.kind]

    @property
    def issuing_country(self) -> str:
        return self.submitted_country or self.country


@dataclass
class Case:
    name: str
    expected: str | None  # the code that must be answered; None: no code of ours
    samples: list[Sample]
    pipeline: str | None = None  # id_liveness_fail: the pipeline that must be named
    reading: bool = False  # run the document checks that read the number first
    informational: bool = False


@dataclass
class CaseResult:
    case: Case
    total: int = 0
    detected: int = 0  # expected code answered (attack cases) / nothing answered (genuine)
    answered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    pipelines: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def rate(self) -> float:
        return self.detected / self.total if self.total else 0.0


@dataclass
class RegistryEvaluation:
    results: dict[str, CaseResult] = field(default_factory=dict)
    cpu_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    registry_sizes: dict[str, int] = field(default_factory=dict)
    reading_faults: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # check -> documents
    misses: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (case, sample, codes answered)
    # case -> pipeline -> ID liveness scores (the margin of genuine documents over the threshold)
    liveness_scores: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))

    def table(self) -> str:
        lines = ["| case | expected | n | detected (attack) / clean (genuine) | our codes answered |",
                 "|---|---|---|---|---|"]
        for name, result in self.results.items():
            expected = result.case.expected or "(none of ours)"
            if result.case.pipeline:
                expected += f" [{result.case.pipeline}]"
            answered = ", ".join(f"{code}×{n}" for code, n in sorted(result.answered.items())) or "—"
            label = name + (" (info)" if result.case.informational else "")
            lines.append(f"| {label} | {expected} | {result.total} | {result.detected}/{result.total} "
                         f"({result.rate:.0%}) | {answered} |")
        lines += ["", "| check | runs | CPU ms mean | CPU ms p95 | wall ms mean |", "|---|---|---|---|---|"]
        for name in MY_CHECKS:
            cpu, wall = sorted(self.cpu_ms.get(name, [])), self.wall_ms.get(name, [])
            if cpu:
                p95 = cpu[min(len(cpu) - 1, int(0.95 * len(cpu)))]
                lines.append(f"| {name} | {len(cpu)} | {sum(cpu) / len(cpu):.1f} | {p95:.1f} | "
                             f"{sum(wall) / len(wall):.1f} |")
        lines += ["", "| case | ID liveness scores: min / median per pipeline |", "|---|---|"]
        for case, pipelines in self.liveness_scores.items():
            cells = []
            for pipeline, scores in pipelines.items():
                ordered = sorted(scores)
                cells.append(f"{pipeline} {ordered[0]:.1f} / {ordered[len(ordered) // 2]:.1f}")
            lines.append(f"| {case} | {'; '.join(cells)} |")
        return "\n".join(lines)


# -- the corpus --------------------------------------------------------------------------------------


def _issuer(kind: str, i: int) -> str:
    pairs = [country for k, country in TEMPLATE_PAIRS if k == kind]
    return pairs[i % len(pairs)]


def registry_cases(*, per_case: int = 40, seed: int = 7000) -> list[Case]:
    kinds = ("passport", "id_card", "drivers_license")
    cases = [
        Case("genuine", None, [Sample(kinds[i % 3], _issuer(kinds[i % 3], i // 3), seed + i) for i in range(per_case)],
             reading=True),
    ]
    specimen_pairs = [(kind, country) for kind, countries in SPECIMEN_COUNTRIES.items() for country in countries]
    recaptured = [Sample(kind, country, 0, ("specimen", extra)) for extra in ("glare", "blurred")
                  for kind, country in specimen_pairs]
    while len(recaptured) < per_case:  # more issuers than pairs: repeat with the other capture
        recaptured += recaptured[:per_case - len(recaptured)]
    cases.append(Case("specimen recaptured", "fake_id", recaptured[:max(per_case, len(recaptured))]))
    cases.append(Case("wrong layout", "feature_verification_failed", [
        Sample(kind, "USA" if kind == "drivers_license" else country, seed + 100 + i, submitted_kind=as_kind,
               submitted_country=country)
        for i in range(per_case) for kind, as_kind, country in [WRONG_LAYOUTS[i % len(WRONG_LAYOUTS)]]]))
    cases.append(Case("invalidated number", "invalid_id", [
        Sample(kinds[i % 3], _issuer(kinds[i % 3], i // 3), seed + 200 + i) for i in range(per_case)], reading=True))
    for offset, (defect, pipeline) in enumerate(LIVENESS_ATTACKS.items()):
        cases.append(Case(defect, "id_liveness_fail", [
            Sample(kinds[i % 3], _issuer(kinds[i % 3], i // 3), seed + 300 + 100 * offset + i, (defect,))
            for i in range(per_case)], pipeline=pipeline))
    # informational
    cases.append(Case("specimen exact copy", "fake_id", [Sample(k, c, 0, ("specimen",)) for k, c in specimen_pairs],
                      informational=True))
    cases.append(Case("specimen tilted", "fake_id", [Sample(k, c, 0, ("specimen", "tilted"))
                                                     for k, c in specimen_pairs], informational=True))
    cases.append(Case("genuine with glare", None, [
        Sample(kinds[i % 3], _issuer(kinds[i % 3], i // 3), seed + 800 + i, ("glare",))
        for i in range(max(12, per_case // 3))], informational=True))
    cases.append(Case("same type, other issuer", "feature_verification_failed", [
        Sample(kind, other, seed + 900 + i, submitted_country=country)
        for i in range(max(12, per_case // 3))
        for kind, country, other in [(("passport", "UTO", "DEU"), ("id_card", "UTO", "ITA"),
                                      ("drivers_license", "USA", "MEX"))[i % 3]]], informational=True))
    return cases


def _generate(sample: Sample, cache_dir: Path | None):
    from .generator import generate_document

    if cache_dir is not None:
        key = f"{sample.kind}-{sample.country}-{sample.seed}-{'+'.join(sample.defects) or 'genuine'}.pkl"
        path = cache_dir / key.replace(":", "_")
        if path.exists():
            return pickle.loads(path.read_bytes())
    doc = generate_document(sample.kind, country=sample.country, seed=sample.seed, defects=sample.defects)
    if cache_dir is not None:
        path.write_bytes(pickle.dumps(doc))
    return doc


# -- running -----------------------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def _describe(sample: Sample) -> str:
    text = f"{sample.kind} {sample.country} seed={sample.seed} {'+'.join(sample.defects) or 'genuine'}"
    if sample.submitted_kind or sample.submitted_country:
        text += f" as {sample.id_type} {sample.issuing_country}"
    return text


def _registries_fill(cases: list[Case], generate, actor) -> dict[str, int]:
    from documents.services import invalidated_document_add, specimen_add, template_add

    sizes = defaultdict(int)
    for kind, countries in SPECIMEN_COUNTRIES.items():
        for country in countries:
            specimen_add(country=country, id_type=KIND_ID_TYPES[kind], image=generate(Sample(kind, country, 0, (
                "specimen",))).front, actor=actor)
            sizes["specimens"] += 1
    for i, (kind, country) in enumerate(TEMPLATE_PAIRS):
        template_add(country=country, id_type=KIND_ID_TYPES[kind], image=generate(Sample(kind, country, 50 + i)).front,
                     actor=actor)
        sizes["templates"] += 1
    invalid = next(case for case in cases if case.expected == "invalid_id" and not case.informational)
    for i, sample in enumerate(invalid.samples):
        number = generate(sample).truth["document_number"]
        # half exact numbers, half series (the number's first five characters)
        entry = number if i % 2 == 0 else number[:5] + "*"
        invalidated_document_add(country=sample.issuing_country, number_or_prefix=entry, reason="evaluation",
                                 id_type=sample.id_type if i % 4 == 1 else "", actor=actor)
        sizes["invalidated"] += 1
    return dict(sizes)


def _run_sample(sample: Sample, doc, case: Case, evaluation: RegistryEvaluation, checks) -> list:
    from submissions.checks import pipeline_run
    from submissions.checks.analysis import step1_analysis
    from submissions.checks.base import CheckContext
    from submissions.choices import FileKind, Step
    from submissions.images import image_read_bytes
    from submissions.models import Project, Submission

    project = Project(name="evaluation", id_card_validation=True, attack_prevention=True)
    submission = Submission(project=project, issuing_country=sample.issuing_country,
                            requested_id_type=sample.id_type, id_type=sample.id_type)
    images = {FileKind.ID_FRONT: image_read_bytes(doc.front)}
    if doc.back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(doc.back)
    ctx = CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)
    analysis = step1_analysis(ctx)
    for side in ("front", "back"):  # shared analysis first: the checks' times are their own
        if analysis.image(side) is not None:
            analysis.detection(side)
    findings = []
    for check in checks:
        if check.name not in MY_CHECKS and not case.reading:
            continue
        started_cpu, started = time.process_time(), time.perf_counter()
        outcome = pipeline_run(ctx, checks=[check])
        if check.name not in MY_CHECKS:
            # A reading check only supplies the document number here: its own answers are not
            # measured, and its failure must not hide ours.
            if outcome.error is not None:
                evaluation.reading_faults[check.name] += 1
            continue
        if outcome.runs:
            evaluation.cpu_ms[check.name].append((time.process_time() - started_cpu) * 1000)
            evaluation.wall_ms[check.name].append((time.perf_counter() - started) * 1000)
            if check.name == "id_liveness":
                for pipeline, result in outcome.runs[0].report.evidence.get("pipelines", {}).items():
                    evaluation.liveness_scores[case.name][pipeline].append(result["score"])
        findings += outcome.retry
        if outcome.error is not None:
            findings.append(outcome.error)
            break
    return findings


def registry_evaluation(*, per_case: int = 40, seed: int = 7000, cache_dir: str | Path | None = None,
                        progress: Callable[[str], None] | None = None) -> RegistryEvaluation:
    """Run the evaluation (needs a migrated database; everything is rolled back). See the module docstring."""
    from django.db import transaction
    from django.test import override_settings

    from audit.services import Actor
    from submissions.checks import check_list
    from submissions.choices import Step

    cache = Path(cache_dir) if cache_dir else None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    cases = registry_cases(per_case=per_case, seed=seed)
    evaluation = RegistryEvaluation()
    checks = [check for check in check_list(Step.STEP1) if check.name in (*READING_CHECKS, *MY_CHECKS)]
    storage = tempfile.mkdtemp(prefix="kyc-eval-registry-")
    temp_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": storage}}
    from django.conf import settings

    try:
        with override_settings(STORAGES={**settings.STORAGES, "default": temp_storage}):
            try:
                with transaction.atomic():
                    evaluation.registry_sizes = _registries_fill(cases, lambda s: _generate(s, cache),
                                                                 Actor.system("evaluation"))
                    for case in cases:
                        result = evaluation.results.setdefault(case.name, CaseResult(case=case))
                        for sample in case.samples:
                            doc = _generate(sample, cache)
                            findings = _run_sample(sample, doc, case, evaluation, checks)
                            codes = {finding.code.value for finding in findings}
                            ours = codes & set(CODES)
                            result.total += 1
                            for code in ours:
                                result.answered[code] += 1
                            for finding in findings:
                                if getattr(finding, "code", None) is not None and finding.code.value == "id_liveness_fail":
                                    for name in finding.params["#pipelines"].split(", "):
                                        result.pipelines[name] += 1
                            if case.expected is None:
                                hit = not ours
                            elif case.pipeline:
                                hit = any(f.code.value == "id_liveness_fail" and case.pipeline in f.params["#pipelines"]
                                          for f in findings if hasattr(f, "params"))
                            else:
                                hit = case.expected in codes
                            result.detected += hit
                            if not hit:
                                evaluation.misses.append((case.name, _describe(sample), sorted(ours)))
                        if progress:
                            progress(f"{case.name}: {result.detected}/{result.total}")
                    raise _Rollback
            except _Rollback:
                pass
    finally:
        shutil.rmtree(storage, ignore_errors=True)
    return evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the registry and ID liveness checks on generated documents.")
    parser.add_argument("--per-case", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7000)
    parser.add_argument("--cache", default=None, help="folder caching generated documents between runs")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycreview.settings.test")
    import django

    django.setup()
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        evaluation = registry_evaluation(per_case=args.per_case, seed=args.seed, cache_dir=args.cache,
                                         progress=lambda line: print(line, flush=True))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"registries: {evaluation.registry_sizes}; reading checks that failed: {dict(evaluation.reading_faults)}")
    print(evaluation.table())
    for case, sample, codes in evaluation.misses:
        print(f"miss: {case}: {sample} -> {codes or 'no code of ours'}")


if __name__ == "__main__":
    main()
