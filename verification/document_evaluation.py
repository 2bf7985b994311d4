"""Measure the Step 1 document checks on generated documents: detection and false-retry rates.

    rows = evaluate_document_checks(generate_corpus(count=60, seed=1, defects=("expired",)))
    summary = evaluation_summary(rows)      # per (kind, defect): n, expected code rate, false retries
    detection = evaluate_detection(corpus)  # per defect: mean IoU of the document quad, failure rate

Runs the registered document checks (`submissions.checks.document`) exactly as Step 1 does, on a
context built without a database (plain objects for the submission and the project: ID card
validation on, universal off). `python -m verification.document_evaluation --per-case 30` prints both tables.
The generator's "today" (`REFERENCE_DATE`) is used as the checks' today.
"""

import argparse
import io
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from types import SimpleNamespace

import cv2
import numpy as np
from PIL import Image, ImageOps

# The code each generator defect must produce from the document checks.
DOCUMENT_EXPECTED_CODES = {
    "not_a_document": "not_an_id",
    "tilted": "physical_document_missing",
    "no_mrz": "mrz_protocol_fail",
    "no_barcode": "barcode_protocol_fail",
    "wrong_check_digit": "check_digit_failed",
    "expired": "document_expired",
    "expired_printed_only": "expired_id",
    "missing_field:expiry_date": "missing_expiry_date",
    "missing_field:issue_date": "missing_issue_date",
    "missing_field:birth_date": "missing_birth_date",
    "missing_field:document_number": "missing_document_number",
    "missing_field:personal_number": "missing_personal_number",
    "missing_field:name": "missing_name",
    "mismatched_back": "invalid_back_document",
    "back_country_mismatch": "document_country_mismatch",
    "back_name_mismatch": "document_name_mismatch",
    "back_dob_mismatch": "document_dob_mismatch",
    "pasted_text": "text_forgery",
}
ID_TYPE_OF_KIND = {"passport": "passport", "id_card": "government_id", "drivers_license": "drivers_license"}
DOCUMENT_CHECKS_MODULE = "submissions.checks.document"


def quad_iou(a, b) -> float:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    inter, _ = cv2.intersectConvexConvex(a, b)
    union = cv2.contourArea(a) + cv2.contourArea(b) - inter
    return float(inter / union) if union > 0 else 0.0


def _decode(data: bytes) -> Image.Image:
    return ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")


def evaluate_detection(corpus: Iterable, *, max_side: int = 1600) -> list[dict]:
    """One row per image side: defect, IoU of the detected quad with the truth (1.0 for a correctly
    empty answer on a photo without a document), and the detector's time."""
    from .document import document_detect
    from .imaging import analysis_image

    rows = []
    for doc in corpus:
        defect = ",".join(doc.defects) or "genuine"
        for side, data, key in (("front", doc.front, "document_quad"), ("back", doc.back, "back_document_quad")):
            if data is None:
                continue
            image = analysis_image(_decode(data), max_side=max_side)
            started = time.perf_counter()
            detection = document_detect(image)
            elapsed = time.perf_counter() - started
            truth = doc.truth["regions"].get(key)
            if truth is None:
                iou = 1.0 if detection is None else 0.0
            else:
                iou = 0.0 if detection is None else quad_iou(np.asarray(detection.quad) * image.scale, truth)
            rows.append({"kind": doc.kind, "defect": defect, "side": side, "iou": round(iou, 4),
                         "method": detection.method if detection else None, "seconds": round(elapsed, 3)})
    return rows


def detection_summary(rows: list[dict], *, fail_below: float = 0.85) -> dict[str, dict]:
    groups = defaultdict(list)
    for row in rows:
        groups[row["defect"]].append(row["iou"])
    return {defect: {"n": len(v), "mean_iou": round(float(np.mean(v)), 3),
                     "failure_rate": round(float(np.mean(np.asarray(v) < fail_below)), 3)}
            for defect, v in sorted(groups.items())}


def _context(doc, *, id_card_validation: bool, ai_supported: bool, universal: bool):
    from submissions.checks.base import CheckContext
    from submissions.choices import FileKind, Step
    from submissions.images import image_read_bytes

    images = {FileKind.ID_FRONT: image_read_bytes(doc.front)}
    if doc.back is not None:
        images[FileKind.ID_BACK] = image_read_bytes(doc.back)
    id_type = "universal" if universal else ID_TYPE_OF_KIND[doc.kind]
    submission = SimpleNamespace(requested_id_type=id_type, id_type="" if universal else id_type,
                                 issuing_country=doc.country, submission_id=f"eval-{doc.kind}")
    project = SimpleNamespace(id_card_validation=id_card_validation, ai_supported=ai_supported,
                              universal_id=universal, attack_prevention=False)
    return CheckContext(submission=submission, project=project, step=Step.STEP1, images=images)


def evaluate_document_checks(corpus: Iterable, *, id_card_validation: bool = True, ai_supported: bool = False,
                             universal: bool = False, today=None) -> list[dict]:
    """Run the document checks on each generated document; one row per document with every code answered."""
    import time_machine

    from submissions.checks.base import check_list
    from submissions.checks.pipeline import pipeline_run
    from submissions.choices import Step

    from .generator import REFERENCE_DATE

    checks = [check for check in check_list(Step.STEP1) if type(check).__module__ == DOCUMENT_CHECKS_MODULE]
    rows = []
    for doc in corpus:
        ctx = _context(doc, id_card_validation=id_card_validation, ai_supported=ai_supported, universal=universal)
        started = time.perf_counter()
        with time_machine.travel(today or REFERENCE_DATE, tick=False):
            outcome = pipeline_run(ctx, checks)
        elapsed = time.perf_counter() - started
        defect = ",".join(doc.defects) or "genuine"
        rows.append({
            "kind": doc.kind, "country": doc.country, "defect": defect,
            "retry": sorted({str(f.code.value) for f in outcome.retry}),
            "error": str(outcome.error.code.value) if outcome.error is not None else None,
            "suppressed": sorted({run.finding.code.value for run in outcome.runs
                                  if run.finding is not None and run.outcome == "suppressed"}),
            "expected": DOCUMENT_EXPECTED_CODES.get(defect),
            "id_type": ctx.extracted.get("id_type"),
            "seconds": round(elapsed, 2),
        })
    return rows


def evaluation_summary(rows: list[dict]) -> list[dict]:
    """Per (kind, defect): n, rate of the expected code, rate of any other retry (false retries) by code."""
    groups = defaultdict(list)
    for row in rows:
        groups[(row["kind"], row["defect"])].append(row)
    out = []
    for (kind, defect), items in sorted(groups.items()):
        expected = items[0]["expected"]
        answered = [set(r["retry"]) | ({r["error"]} if r["error"] else set()) for r in items]
        others = defaultdict(int)
        for codes in answered:
            for code in codes - {expected}:
                others[code] += 1
        out.append({
            "kind": kind, "defect": defect, "n": len(items), "expected": expected,
            "detection_rate": round(sum(expected in c for c in answered) / len(items), 3) if expected else None,
            "any_other_code_rate": round(sum(bool(c - {expected}) for c in answered) / len(items), 3),
            "other_codes": {code: round(count / len(items), 3) for code, count in sorted(others.items())},
            "mean_seconds": round(float(np.mean([r["seconds"] for r in items])), 2),
        })
    return out


def evaluation_corpus(*, per_case: int, seed: int = 0, defects: Iterable[str] | None = None):
    """`per_case` documents for each defect (kinds it applies to, in turn) and per kind genuine."""
    from .generator import KINDS, generate_document
    from .generator.defects import defect_applies

    defects = list(defects if defects is not None else DOCUMENT_EXPECTED_CODES)
    for kind in KINDS:
        for index in range(per_case):
            yield generate_document(kind, seed=seed + index)
    for defect in defects:
        kinds = [kind for kind in KINDS if defect_applies(defect, kind)]
        for index in range(per_case):
            yield generate_document(kinds[index % len(kinds)], seed=seed + 1000 + index, defects=(defect,))


def main() -> None:  # pragma: no cover - a command-line report
    import django

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-case", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--defects", default=None, help="comma-separated defects (default: all with a code)")
    parser.add_argument("--rows", default=None, help="write every row as JSON lines to this file")
    args = parser.parse_args()
    django.setup()
    defects = args.defects.split(",") if args.defects else None
    rows = []
    for doc in evaluation_corpus(per_case=args.per_case, seed=args.seed, defects=defects):
        row = evaluate_document_checks([doc])[0]
        rows.append(row)
        if args.rows:
            with open(args.rows, "a") as handle:
                handle.write(json.dumps(row) + "\n")
    for line in evaluation_summary(rows):
        print(json.dumps(line))


if __name__ == "__main__":  # pragma: no cover
    main()


def measure_document_time(doc, *, repeats: int = 3) -> dict:
    """Seconds (wall and CPU, median of `repeats`) of the document part of Step 1 on one document,
    against its irreducible parts: decoding the files, one OCR pass per side over the bounded
    analysis image, and one PDF417 pass over the back.

    Both sides of the comparison start from a warm OCR engine (models loaded once per process).
    """
    from submissions.checks.base import check_list
    from submissions.checks.pipeline import pipeline_run
    from submissions.choices import Step
    from submissions.images import image_read_bytes

    from .barcode import _decode
    from .imaging import analysis_image
    from .ocr import ocr_read

    checks = [check for check in check_list(Step.STEP1) if type(check).__module__ == DOCUMENT_CHECKS_MODULE]
    ocr_read(np.full((64, 256, 3), 255, np.uint8))  # warm the engine

    def irreducible():
        for data in (doc.front, doc.back):
            if data is None:
                continue
            upload = image_read_bytes(data)
            image = analysis_image(upload.image, max_side=1600)
            ocr_read(image.rgb)
            if data is doc.back:
                _decode(image.gray)

    def whole():
        ctx = _context(doc, id_card_validation=True, ai_supported=False, universal=False)
        pipeline_run(ctx, checks)

    def timed(func):
        walls, cpus = [], []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            func()
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        return float(np.median(walls)), float(np.median(cpus))

    base_wall, base_cpu = timed(irreducible)
    full_wall, full_cpu = timed(whole)
    return {"irreducible_wall": round(base_wall, 2), "irreducible_cpu": round(base_cpu, 2),
            "document_step_wall": round(full_wall, 2), "document_step_cpu": round(full_cpu, 2),
            "ratio_wall": round(full_wall / base_wall, 2), "ratio_cpu": round(full_cpu / base_cpu, 2)}
