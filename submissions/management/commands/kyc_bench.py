"""Benchmarks behind docs/benchmarks.md (`make bench`).

    manage.py kyc_bench                      # print every section
    manage.py kyc_bench --write docs/benchmarks.md

Step 1 (issue 3): a two-image US driving licence (OCR on the front, PDF417 on the back) posted
through the real HTTP view, against its irreducible parts measured on the same images: decoding
both files, one OCR pass over the front, one barcode pass over the back. Target: Step 1 ≤ 1.5×
the parts. Everything written to the database is rolled back; files go to a temporary folder.
"""

import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import Client, override_settings

from submissions.images import image_read_bytes
from submissions.models import Project
from submissions.services import api_key_create
from verification.barcode import barcode_read
from verification.imaging import analysis_image
from verification.ocr import ocr_read

STEP1_TARGET = 1.5


class Rollback(Exception):
    pass


def _median_seconds(action, repeat: int) -> tuple[float, list[float]]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples


def bench_step1(*, repeat: int, options: dict) -> dict:
    """Seconds (median of `repeat`) of Step 1 and of its parts for one generated licence."""
    from django.conf import settings

    from verification.generator import generate_document

    doc = generate_document("drivers_license", seed=7)
    max_side = settings.KYC_ANALYSIS_MAX_SIDE

    def decode():
        front = image_read_bytes(doc.front)
        back = image_read_bytes(doc.back)
        return analysis_image(front.image, max_side=max_side), analysis_image(back.image, max_side=max_side)

    front, back = decode()  # also warms the OCR engine below
    ocr_read(front.rgb)

    decode_s, _ = _median_seconds(decode, repeat)
    ocr_s, _ = _median_seconds(lambda: ocr_read(front.rgb), repeat)
    barcode_s, _ = _median_seconds(lambda: barcode_read(back.gray), repeat)
    parts = decode_s + ocr_s + barcode_s

    results = {}
    with tempfile.TemporaryDirectory() as media, override_settings(
        STORAGES={**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": media}}},
    ):
        try:
            with transaction.atomic():
                for label, project_options in options.items():
                    project = Project.objects.create(name=f"kyc_bench {label} (rolled back)", **project_options)
                    _, key = api_key_create(project=project)
                    client = Client(headers={"x-api-key": key}, SERVER_NAME="localhost")
                    counter = iter(range(10**6))

                    def post(client=client, counter=counter):
                        return _step1_post(client, doc, email=f"bench{next(counter)}@example.com")

                    first = post().json()
                    step1_s, _ = _median_seconds(post, repeat)
                    results[label] = {"seconds": step1_s, "answer": first.get("errorCode") or first.get("kycStatus"),
                                      "retry": [item["retryCode"] for item in first.get("retry") or []]}
                raise Rollback
        except Rollback:
            pass
    return {"decode": decode_s, "ocr": ocr_s, "barcode": barcode_s, "parts": parts, "step1": results}


def _step1_post(client: Client, doc, *, email: str):
    response = client.post("/v3/submission/step1", {
        "email": email, "issuingCountry": "USA", "idType": "drivers_license",
        "idImage": _upload("front.jpg", doc.front), "idBackImage": _upload("back.jpg", doc.back),
    })
    if response.status_code not in (200, 400):
        raise RuntimeError(f"Step 1 answered {response.status_code}: {response.content[:200]!r}")
    return response


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def step1_markdown(result: dict, repeat: int) -> str:
    lines = [
        "## Step 1: two-image ID against its irreducible parts",
        "",
        "A generated US driving licence (front photo + PDF417 back, 1600×1200 JPEG each), posted to",
        "`POST /v3/submission/step1` through the real view, service and check pipeline (database",
        f"writes rolled back). Median of {repeat} runs after a warm-up. Target: Step 1 ≤ {STEP1_TARGET}× the parts.",
        "",
        "| part | seconds |",
        "|---|---|",
        f"| decode both images (Pillow, EXIF, bounded analysis size) | {result['decode']:.3f} |",
        f"| one OCR pass over the front (rapidocr) | {result['ocr']:.3f} |",
        f"| one barcode pass over the back (zxing-cpp) | {result['barcode']:.3f} |",
        f"| **irreducible parts** | **{result['parts']:.3f}** |",
        "",
        "| project options | Step 1 seconds | × parts | target met | answer |",
        "|---|---|---|---|---|",
    ]
    for label, row in result["step1"].items():
        ratio = row["seconds"] / result["parts"]
        answer = row["answer"] + (f" (retry: {', '.join(row['retry'])})" if row["retry"] else "")
        lines.append(f"| {label} | {row['seconds']:.3f} | {ratio:.2f}× | {'yes' if ratio <= STEP1_TARGET else 'NO'} "
                     f"| {answer} |")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Run the benchmarks of docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--write", default="", help="also write the results to this markdown file")

    def handle(self, *args, **opts):
        repeat = opts["repeat"]
        step1 = bench_step1(repeat=repeat, options={
            "default options": {},
            "ID card validation on": {"id_card_validation": True},
            "ID validation + attack prevention": {"id_card_validation": True, "attack_prevention": True},
        })
        body = "\n".join([
            "# Benchmarks",
            "",
            f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, database "
            f"{_database_vendor()}. Figures are wall-clock seconds on this machine; compare ratios, not seconds.",
            "",
            step1_markdown(step1, repeat),
            "",
        ])
        self.stdout.write(body)
        if opts["write"]:
            with open(opts["write"], "w", encoding="utf-8") as handle:
                handle.write(body)


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor
