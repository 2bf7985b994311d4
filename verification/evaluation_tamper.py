"""Measure the tampering checks on generated documents: detection, false retries, time per check.

`evaluate_tampering(corpus)` runs the four registered tampering checks (image_edited,
image_forgery, artificial_text, artificial_image) on each document exactly as the pipeline does -
same `DocumentAnalysis`, same check classes - but without a database or HTTP, and tallies per case
(a defect, or "genuine") how often each check answered its code. The shared analysis (decoding,
document detection, OCR) is computed before the checks are timed, so the times are the checks' own.

    from verification.generator import generate_document
    corpus = (generate_document(kind, seed=s, defects=d) for ...)
    result = evaluate_tampering(corpus)
    print(result.table())

Needs Django settings (thresholds, provider setting): run it inside `manage.py shell` or a
management command, or `python -m verification.evaluation_tamper` (see `main`).
"""

import argparse
import io
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from PIL import Image, ImageOps

from .analysis import DocumentAnalysis
from .evaluation import EXPECTED_CODES

TAMPER_CODES = ("image_edited", "image_forgery", "artificial_text", "artificial_image")
# Defects the tampering checks own; every other case counts as "must not answer a tampering code".
TAMPER_DEFECTS = ("edited_metadata", "thumbnail_mismatch", "pasted_text", "replaced_portrait", "copy_move")
OTHER_CASES = ("blurred", "glare", "grayscale", "tilted", "screen_moire", "device_frame", "screenshot")
_KIND_ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


@dataclass
class CaseTally:
    case: str
    total: int = 0
    answered: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # code -> documents
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    @property
    def expected(self) -> tuple[str, ...]:
        codes = {code for defect in self.case.split("+") for code in EXPECTED_CODES.get(defect, ())}
        return tuple(code for code in TAMPER_CODES if code in codes)


@dataclass
class TamperEvaluation:
    cases: dict[str, CaseTally] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # case -> documents detected
    false: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # case -> with an unexpected code
    cpu_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    wall_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def rate(self, case: str, code: str) -> float:
        tally = self.cases.get(case)
        return tally.answered.get(code, 0) / tally.total if tally and tally.total else 0.0

    def detection_rate(self, case: str) -> float:
        """Share of the case's documents that got (one of) its expected tampering code(s)."""
        tally = self.cases[case]
        return self.hits.get(case, 0) / tally.total if tally.total else 0.0

    def false_retry_rate(self, case: str) -> float:
        """Share of the case's documents that got a tampering code the case does not expect."""
        tally = self.cases[case]
        return self.false.get(case, 0) / tally.total if tally.total else 0.0

    def record(self, case: str, answers: dict[str, tuple[bool, float | None]]) -> None:
        tally = self.cases.setdefault(case, CaseTally(case))
        tally.total += 1
        expected = set(tally.expected)
        for code, (answered, score) in answers.items():
            if score is not None:
                tally.scores[code].append(score)
            if answered:
                tally.answered[code] += 1
        got = {code for code, (answered, _) in answers.items() if answered}
        self.hits[case] += bool(got & expected)
        self.false[case] += bool(got - expected)

    def table(self) -> str:
        lines = ["| case | n | expected | detected | other tampering code | " + " | ".join(TAMPER_CODES) + " |",
                 "|---|---|---|---|---|" + "---|" * len(TAMPER_CODES)]
        for case in sorted(self.cases, key=lambda c: (c != "genuine", c not in TAMPER_DEFECTS, c)):
            tally = self.cases[case]
            detected = f"{self.detection_rate(case):.0%}" if tally.expected else "—"
            per_code = " | ".join(f"{tally.answered.get(code, 0)}" for code in TAMPER_CODES)
            lines.append(f"| {case} | {tally.total} | {', '.join(tally.expected) or '(none)'} | {detected} | "
                         f"{self.false_retry_rate(case):.0%} | {per_code} |")
        lines += ["", "| check | CPU ms (mean) | CPU ms (p95) | wall ms (mean) |", "|---|---|---|---|"]
        for name in TAMPER_CODES:
            cpu = sorted(self.cpu_ms.get(name, []))
            wall = self.wall_ms.get(name, [])
            if cpu:
                wall_mean = f"{sum(wall) / len(wall):.0f}" if wall else "—"
                lines.append(f"| {name} | {sum(cpu) / len(cpu):.0f} | {cpu[int(0.95 * (len(cpu) - 1))]:.0f} | "
                             f"{wall_mean} |")
        return "\n".join(lines)


def tamper_checks() -> list:
    """The registered tampering checks, in pipeline order."""
    from submissions.checks import check_list
    from submissions.choices import Step

    return [check for check in check_list(Step.STEP1) if check.name in TAMPER_CODES]


def document_analysis_for(document, *, max_side: int = 1600) -> DocumentAnalysis:
    """The `DocumentAnalysis` the Step 1 pipeline would build for a generated document."""
    def decoded(data: bytes | None):
        return None if data is None else ImageOps.exif_transpose(Image.open(io.BytesIO(data)))

    return DocumentAnalysis(front=decoded(document.front), front_bytes=document.front,
                            back=decoded(document.back), back_bytes=document.back,
                            requested_id_type=_KIND_ID_TYPES.get(document.kind, document.kind),
                            country=document.country, max_side=max_side,
                            today=date.fromisoformat(document.truth.get("reference_date", date.today().isoformat())))


def evaluate_document(document, checks, evaluation: TamperEvaluation, *, analysis: DocumentAnalysis | None = None,
                      warm: bool = True) -> dict[str, tuple[bool, float | None]]:
    from submissions.checks.analysis import CACHE_KEY
    from submissions.checks.base import CheckContext
    from submissions.choices import Step

    analysis = analysis or document_analysis_for(document)
    if warm:  # the shared analysis other checks pay for too: not part of these checks' time
        analysis.front, analysis.front_detection, analysis.front_ocr  # noqa: B018
    ctx = CheckContext(submission=SimpleNamespace(submission_id="eval"), project=None, step=Step.STEP1,
                       cache={CACHE_KEY: analysis})
    answers = {}
    for check in checks:
        cpu, wall = time.process_time(), time.perf_counter()
        report = check.run(ctx)
        evaluation.cpu_ms[check.name].append((time.process_time() - cpu) * 1000)
        evaluation.wall_ms[check.name].append((time.perf_counter() - wall) * 1000)
        answers[check.name] = (any(f.code.value == check.name for f in report.findings), report.score)
    case = "+".join(document.defects) or "genuine"
    evaluation.record(case, answers)
    return answers


def evaluate_tampering(corpus: Iterable, *, checks=None) -> TamperEvaluation:
    """Run the tampering checks over `corpus` (GeneratedDocument-like objects) and tally the answers."""
    checks = checks if checks is not None else tamper_checks()
    evaluation = TamperEvaluation()
    for document in corpus:
        evaluate_document(document, checks, evaluation)
    return evaluation


def tamper_corpus(*, per_case: int = 40, other_per_case: int = 15, seed: int = 0):
    """Genuine and tampering-defect documents (`per_case` each, kinds in turn) and other capture cases."""
    from .generator import generate_document

    kinds = ("passport", "id_card", "drivers_license")
    for case, count in [("genuine", per_case), *((d, per_case) for d in TAMPER_DEFECTS),
                        *((d, other_per_case) for d in OTHER_CASES)]:
        for index in range(count):
            defects = () if case == "genuine" else (case,)
            yield generate_document(kinds[index % 3], seed=seed + index, defects=defects)


def main() -> None:  # pragma: no cover - a command-line entry point
    import os

    import django

    parser = argparse.ArgumentParser(description="Measure the tampering checks on generated documents.")
    parser.add_argument("--per-case", type=int, default=40)
    parser.add_argument("--other-per-case", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kycreview.settings.local")
    django.setup()
    result = evaluate_tampering(tamper_corpus(per_case=args.per_case, other_per_case=args.other_per_case,
                                              seed=args.seed))
    print(result.table())


if __name__ == "__main__":  # pragma: no cover
    main()
