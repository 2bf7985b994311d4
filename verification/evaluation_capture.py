"""Measure the capture checks on generated documents: detection, false retries, time per check.

    report = evaluate_capture(capture_corpus(per_case=40))
    print(report.table())

Runs the registered checks of `submissions.checks.capture` exactly as the pipeline does (same
`DocumentAnalysis`, same thresholds) on a context that needs no database, so Django must be
configured (settings) but no test database is used. A defect is *detected* when its expected
code is answered; any of the five codes on a genuine capture is a *false retry*.
"""

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from .generator import GeneratedDocument, generate_document
from .generator.identity import KINDS

CAPTURE_CODES = ("image_too_blurry", "glare_detected", "black_white_document", "screen_detected",
                 "recaptured_document")
# generator defect -> the code that must answer it
CAPTURE_DEFECTS: dict[str, str] = {
    "blurred": "image_too_blurry",
    "glare": "glare_detected",
    "grayscale": "black_white_document",
    "screen_moire": "screen_detected",
    "device_frame": "recaptured_document",
    "screenshot": "recaptured_document",
}
ID_TYPES = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}


def capture_corpus(*, per_case: int = 40, seed: int = 0, cases=("genuine", *CAPTURE_DEFECTS),
                   kinds=KINDS) -> Iterator[GeneratedDocument]:
    """`per_case` documents of each case (genuine or one capture defect), kinds in turn."""
    for case in cases:
        for i in range(per_case):
            kind = kinds[i % len(kinds)]
            yield generate_document(kind, seed=seed + i, defects=() if case == "genuine" else (case,))


@dataclass
class CaseResult:
    case: str
    expected: str | None
    total: int = 0
    answered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # per check, judged docs

    @property
    def rate(self) -> float:
        """Detection rate (a defect) or false-retry rate of any capture code (genuine)."""
        if not self.total:
            return 0.0
        if self.expected is not None:
            return self.answered[self.expected] / self.total
        return self.answered["any"] / self.total


@dataclass
class CaptureReport:
    cases: dict[str, CaseResult] = field(default_factory=dict)
    check_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # wall, per image
    check_cpu_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # CPU, per image
    shared_ms: list[float] = field(default_factory=list)  # decode, detection, crop: per image

    def rate(self, case: str, code: str) -> float:
        result = self.cases[case]
        return result.answered[code] / result.total if result.total else 0.0

    def table(self) -> str:
        lines = [f"{'case':14s} {'n':>4s} {'expected':22s} {'rate':>6s}  " + " ".join(f"{c[:14]:>14s}" for c in
                                                                                 CAPTURE_CODES)]
        for result in self.cases.values():
            cells = " ".join(f"{self.rate(result.case, code):14.3f}" for code in CAPTURE_CODES)
            lines.append(f"{result.case:14s} {result.total:4d} {result.expected or '(false retry)':22s} "
                         f"{result.rate:6.3f}  {cells}")
        lines.append("score margins (genuine: lowest score; defect: highest score of its check):")
        for result in self.cases.values():
            codes = CAPTURE_CODES if result.expected is None else (result.expected,)
            pick = min if result.expected is None else max
            lines.append(f"  {result.case:14s} " + ", ".join(
                f"{code} {pick(result.scores[code]):.1f}" for code in codes if result.scores[code]))
        for label, timings in (("wall", self.check_ms), ("cpu", self.check_cpu_ms)):
            lines.append(f"ms per image, {label} (median / p95): " + ", ".join(
                f"{name} {_quantile(values, 0.5):.1f}/{_quantile(values, 0.95):.1f}" for name, values in
                timings.items()))
        lines.append(f"shared analysis (decode, detection, crop), wall ms per image: {_quantile(self.shared_ms, 0.5):.1f}")
        return "\n".join(lines)


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _context(document: GeneratedDocument):
    from submissions.checks.base import CheckContext
    from submissions.choices import FileKind, Step
    from submissions.images import image_read_bytes

    submission = SimpleNamespace(submission_id="evaluation", id_type=ID_TYPES[document.kind],
                                 requested_id_type=ID_TYPES[document.kind], issuing_country=document.country)
    images = {FileKind.ID_FRONT: image_read_bytes(document.front)}
    if document.back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(document.back)
    project = SimpleNamespace(id_card_validation=True)
    return CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)


def evaluate_capture(corpus: Iterable[GeneratedDocument]) -> CaptureReport:
    """Run the five capture checks on every document; tally answers per case (its first capture defect)."""
    # Imported here: verification does not depend on the submissions app, only this runner does.
    from submissions.checks.base import check_list
    from submissions.checks.capture import capture_measures
    from submissions.choices import Step

    checks = [check for check in check_list(Step.STEP1) if check.name in CAPTURE_CODES]
    report = CaptureReport()
    for document in corpus:
        case = next((d for d in document.defects if d in CAPTURE_DEFECTS), None)
        case = case or ("genuine" if not document.defects else "+".join(document.defects))
        result = report.cases.setdefault(case, CaseResult(case, CAPTURE_DEFECTS.get(case)))
        ctx = _context(document)
        measures = capture_measures(ctx)
        images = len(measures.sides())
        started = time.perf_counter()
        for side in measures.sides():  # the shared analysis other checks pay for too
            _ = measures.analysis.image(side).gray, measures.analysis.rectified(side)
        report.shared_ms.append((time.perf_counter() - started) * 1000 / images)
        answered = set()
        for check in checks:
            started, cpu = time.perf_counter(), time.process_time()
            outcome = check.run(ctx)
            report.check_ms[check.name].append((time.perf_counter() - started) * 1000 / images)
            report.check_cpu_ms[check.name].append((time.process_time() - cpu) * 1000 / images)
            answered |= {finding.code.value for finding in outcome.findings}
            if outcome.score is not None:
                result.scores[check.name].append(outcome.score)
        result.total += 1
        for code in answered:
            result.answered[code] += 1
        if answered:
            result.answered["any"] += 1
    return report
