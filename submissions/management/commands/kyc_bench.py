"""Benchmarks behind docs/benchmarks.md (`make bench`).

    manage.py kyc_bench                      # print every section
    manage.py kyc_bench --write docs/benchmarks.md
    manage.py kyc_bench --only step1         # just the Step 1 section (printed, not written)
    manage.py kyc_bench --only memory        # just the memory section (issue 14 item 15)

Step 2 (issue 4): a selfie of a generated passport's holder posted through the real HTTP view
(after an untimed Step 1), against its irreducible parts: decoding the selfie and the ID front and
one face encoding (detection, landmarks, descriptor) per image. Target: Step 2 ≤ 1.5× the parts.

Face duplicates (issue 4): `verification.face_index` at 10^4, 10^5 and 10^6 synthetic descriptors
shaped like dlib's: build time, p95 search latency and recall against brute force. Target at 10^6:
p95 ≤ 50 ms, recall ≥ 0.99.

Review queue (issue 5) and data API list (issue 6): `_bench_scale` seeds 10^3 then 10^6 submissions
(PostgreSQL) and times the workspace's queue page against the stock admin changelist on the same rows
(targets: ≤ 1.5× between sizes, ≤ 10 queries, ≥ 10× faster than the stock changelist at 10^6), and
`GET /v3/submission` pages (target: ≤ 1.5× between sizes).

Encryption at rest (issue 7): the share of each request above spent in the vault's code (sealed
fields, key lookups and unwrapping, key-table queries), measured inside the same requests (`_bench_vault`).
Target: under 5 % added time.

Step 1 (issue 3): a two-image US driving licence (OCR on the front, PDF417 on the back) posted
through the real HTTP view, against its irreducible parts measured on the same images: decoding
both files, one OCR pass over the front, one barcode pass over the back. Target: Step 1 ≤ 1.5×
the parts. Everything written to the database is rolled back; files go to a temporary folder.

Memory per request (issue 14 item 15): a fresh worker process serves Step 1 and Step 2 with the
worst-case accepted images (`_bench_memory`). Targets: peak RSS growth ≤ 150 MB per request, RSS
flat over 100 requests.
"""

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client

from submissions.images import image_read_bytes
from submissions.models import Project
from verification.barcode import barcode_read
from verification.imaging import analysis_image
from verification.ocr import ocr_read

from ._bench_memory import bench_memory, memory_markdown, memory_worker
from ._bench_scale import bench_at_scale, data_list_markdown, review_queue_markdown
from ._bench_vault import encryption_markdown, vault_clock
from ._measure import api_client, jpeg_upload, rolled_back, temporary_media

STEP1_TARGET = 1.5
FACE_P95_TARGET_MS = 50.0
FACE_RECALL_TARGET = 0.99
SAME_PERSON = 0.6
STEP1_OPTIONS = {
    "default options": {},
    "ID card validation on": {"id_card_validation": True},
    "ID validation + attack prevention": {"id_card_validation": True, "attack_prevention": True},
}


def _median_seconds(action, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bench_step1(*, repeat: int, options: dict) -> dict:
    """Seconds (median of `repeat`) of Step 1 and of its parts for one generated licence.

    Parts and Step 1 requests are timed in rounds (each part once, then one request per option set),
    not part by part: a machine whose speed drifts during the run then slows both sides of the ratio
    alike instead of whichever happened to run in the slow minute.
    """
    from verification.generator import generate_document

    doc = generate_document("drivers_license", seed=7)
    max_side = settings.KYC_ANALYSIS_MAX_SIDE

    def decode():
        front = image_read_bytes(doc.front)
        back = image_read_bytes(doc.back)
        return analysis_image(front.image, max_side=max_side), analysis_image(back.image, max_side=max_side)

    front, back = decode()  # also warms the OCR engine below
    ocr_read(front.rgb)
    parts = {"decode": [], "ocr": [], "barcode": []}
    samples = {label: {"seconds": [], "vault": []} for label in options}
    results = {}
    with temporary_media(), rolled_back():
        posts = {}
        for label, project_options in options.items():
            client = api_client(Project.objects.create(name=f"kyc_bench {label} (rolled back)", **project_options))
            emails = (f"bench{i}@example.com" for i in range(repeat + 1))
            posts[label] = lambda client=client, emails=emails: _step1_post(client, doc, email=next(emails))
            first = posts[label]().json()  # a warm-up, and the answer the table shows
            results[label] = {"answer": first.get("errorCode") or first.get("kycStatus"),
                              "retry": [item["retryCode"] for item in first.get("retry") or []]}
        for _ in range(repeat):
            parts["decode"].append(_timed(decode))
            parts["ocr"].append(_timed(lambda: ocr_read(front.rgb)))
            parts["barcode"].append(_timed(lambda: barcode_read(back.gray)))
            for label, post in posts.items():
                # No key cached, as in a new process: the vault's share includes unwrapping keys.
                with vault_clock(cold=True) as clock:
                    samples[label]["seconds"].append(_timed(post))
                samples[label]["vault"].append(clock.seconds)
    for label in options:
        results[label].update(seconds=statistics.median(samples[label]["seconds"]),
                              vault_seconds=statistics.median(samples[label]["vault"]))
    medians = {name: statistics.median(values) for name, values in parts.items()}
    return {**medians, "parts": sum(medians.values()), "step1": results}


def _step1_post(client: Client, doc, *, email: str):
    response = client.post("/v3/submission/step1", {
        "email": email, "issuingCountry": "USA", "idType": "drivers_license",
        "idImage": jpeg_upload("front.jpg", doc.front), "idBackImage": jpeg_upload("back.jpg", doc.back),
    })
    if response.status_code not in (200, 400):
        raise RuntimeError(f"Step 1 answered {response.status_code}: {response.content[:200]!r}")
    return response


def step1_markdown(result: dict, repeat: int) -> str:
    lines = [
        "## Step 1: two-image ID against its irreducible parts",
        "",
        "A generated US driving licence (front photo + PDF417 back, 1600×1200 JPEG each), posted to",
        "`POST /v3/submission/step1` through the real view, service and check pipeline (database",
        f"writes rolled back). Median of {repeat} rounds after a warm-up, each round timing every part once and",
        "then one request per option set, so that a drift in the machine's speed weighs on both sides of the",
        f"ratio. Target: Step 1 ≤ {STEP1_TARGET}× the parts.",
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


def bench_step2(*, repeat: int) -> dict:
    """Seconds (median of `repeat`) of Step 2 and of its parts for a generated passport and selfie."""
    import numpy as np

    from verification.faces import face_descriptor, faces_detect
    from verification.generator import generate_document, holder_selfie

    doc = generate_document("passport", seed=31, country="POL")
    selfie = holder_selfie(doc, seed=31)

    def parts():
        for data, max_side in ((selfie, 1024), (doc.front, 1600)):
            rgb = np.asarray(image_read_bytes(data).image.convert("RGB"))
            faces = faces_detect(rgb, max_side=max_side, confirm=False)
            if not faces:
                raise RuntimeError("the benchmark's generated passport or selfie shows no face")
            face_descriptor(rgb, faces[0])

    parts()  # loads the models
    parts_s = _median_seconds(parts, repeat)
    samples, vault_samples, answers = [], [], []
    with temporary_media(), rolled_back():
        client = api_client(Project.objects.create(name="kyc_bench step 2 (rolled back)"))
        for i in range(repeat + 1):
            step1 = client.post("/v3/submission/step1", {
                "email": f"bench-step2-{i}@example.com", "issuingCountry": doc.country, "idType": "passport",
                "idImage": jpeg_upload("front.jpg", doc.front)}).json()
            with vault_clock(cold=True) as clock:
                started = time.perf_counter()
                response = client.post("/v3/submission/step2", {
                    "submissionId": step1["submissionId"], "name": "Bench Holder", "date_of_birth": "1990-01-01",
                    "faceImage": jpeg_upload("selfie.jpg", selfie)})
                elapsed = time.perf_counter() - started
            if response.status_code not in (200, 400):
                raise RuntimeError(f"Step 2 answered {response.status_code}")
            if i:  # the first run warms caches
                samples.append(elapsed)
                vault_samples.append(clock.seconds)
            answers.append(response.json().get("errorCode") or response.json().get("kycStatus"))
    return {"parts": parts_s, "step2": statistics.median(samples), "answer": answers[-1],
            "vault": statistics.median(vault_samples)}


def step2_markdown(result: dict, repeat: int) -> str:
    ratio = result["step2"] / result["parts"]
    return "\n".join([
        "## Step 2: selfie against its irreducible parts",
        "",
        "A selfie of a generated passport's holder, posted to `POST /v3/submission/step2` through the real",
        "view, service and check pipeline (face detection and conditions, comparison with the ID portrait",
        "read back from storage, passive liveness, identity rules); database writes rolled back. Parts: decode",
        f"the selfie and the ID front, one face encoding (detection, landmarks, descriptor) each. Median of {repeat}.",
        "",
        "| irreducible parts s | Step 2 s | × parts | target met | answer |",
        "|---|---|---|---|---|",
        f"| {result['parts']:.3f} | {result['step2']:.3f} | {ratio:.2f}× | "
        f"{'yes' if ratio <= STEP1_TARGET else 'NO'} | {result['answer']} |",
    ])


def bench_face_index(sizes: list[int], *, queries: int = 300) -> list[dict]:
    """Per size: build seconds, index kind, p95 ms of the index and of brute force, recall."""
    import numpy as np

    from verification.face_index import FaceIndex, brute_force_search, synthetic_descriptors, synthetic_photo

    rows = []
    for size in sizes:
        _, vectors = synthetic_descriptors(size, seed=size)
        ids = np.arange(1, size + 1, dtype=np.int64)
        index = FaceIndex()
        started = time.perf_counter()
        index.add(ids, vectors)
        build = time.perf_counter() - started
        rng = np.random.default_rng(7)
        rows_asked = rng.choice(size, size=min(queries, size), replace=False)
        photos = synthetic_photo(vectors[rows_asked], seed=11)
        # The index's queries first, then brute force's: timed apart, neither disturbs the other.
        index_ms, answers = [], []
        for photo in photos:
            started = time.perf_counter()
            answers.append(index.search(photo, k=10, max_distance=SAME_PERSON))
            index_ms.append((time.perf_counter() - started) * 1000)
        brute_ms, expected, found = [], 0, 0
        for photo, got in zip(photos, answers, strict=True):
            started = time.perf_counter()
            truth = brute_force_search(ids, vectors, photo, k=10, max_distance=SAME_PERSON)
            brute_ms.append((time.perf_counter() - started) * 1000)
            expected += len(truth)
            found += len({m.id for m in truth} & {m.id for m in got})
        rows.append({"size": size, "kind": index.kind, "build": build,
                     "p95": float(np.percentile(index_ms, 95)), "brute_p95": float(np.percentile(brute_ms, 95)),
                     "recall": found / expected if expected else 1.0, "queries": len(photos)})
        del index, vectors
    return rows


def face_index_markdown(rows: list[dict]) -> str:
    from verification.face_index import CELL_SIZE, EXACT_MAX, NPROBE

    lines = [
        "## Face duplicates: search at 10^4 to 10^6 faces",
        "",
        f"`verification.face_index.FaceIndex` (FAISS: exact up to {EXACT_MAX:,} faces, then IVF-Flat with ~{CELL_SIZE:,}",
        f"faces per cell and {NPROBE} cells probed, one thread per query) over synthetic 128-D descriptors shaped like dlib's (people",
        "~0.96 apart, photos of one person ~0.4 apart). Each query is another photo of an indexed person;",
        "recall = share of the brute-force matches within 0.6 that the index returns. Targets at 10^6:",
        f"p95 ≤ {FACE_P95_TARGET_MS:g} ms and recall ≥ {FACE_RECALL_TARGET}.",
        "",
        "| faces | index | build s | p95 ms | brute force p95 ms | recall | target met |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        met = row["p95"] <= FACE_P95_TARGET_MS and row["recall"] >= FACE_RECALL_TARGET
        lines.append(f"| {row['size']:,} | {row['kind']} | {row['build']:.1f} | {row['p95']:.2f} | "
                     f"{row['brute_p95']:.1f} | {row['recall']:.4f} ({row['queries']} queries) | "
                     f"{'yes' if met else 'NO'} |")
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Run the benchmarks of docs/benchmarks.md."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=5)
        parser.add_argument("--write", default="", help="also write the results to this markdown file")
        parser.add_argument("--queue-sizes", default="1000,1000000",
                            help="comma-separated submission counts of the review-queue benchmark (PostgreSQL)")
        parser.add_argument("--face-sizes", default="10000,100000,1000000",
                            help="comma-separated face-index sizes (default 10^4, 10^5, 10^6)")
        parser.add_argument("--only", choices=["step1", "memory"], default="",
                            help="run one section and print it (never written: docs/benchmarks.md holds every section)")
        parser.add_argument("--no-memory", action="store_true",
                            help="leave the memory section out (it serves ~200 requests in a fresh worker: minutes)")
        parser.add_argument("--memory-worker", default="", help=argparse.SUPPRESS)  # the memory section's child

    def handle(self, *args, **opts):
        repeat = opts["repeat"]
        if opts["memory_worker"]:
            self.stdout.write(json.dumps(memory_worker(opts["memory_worker"])))
            return
        if opts["only"] and opts["write"]:
            raise CommandError("--only prints one section; --write needs every section")
        if opts["only"] == "step1":
            self.stdout.write(step1_markdown(bench_step1(repeat=repeat, options=STEP1_OPTIONS), repeat))
            return
        if opts["only"] == "memory":
            self.stdout.write(memory_markdown(bench_memory()))
            return
        scale = bench_at_scale(sizes=tuple(int(n) for n in opts["queue_sizes"].split(",") if n), repeat=repeat)
        step1 = bench_step1(repeat=repeat, options=STEP1_OPTIONS)
        step2 = bench_step2(repeat=repeat)
        memory = {"skipped": "left out (--no-memory)"} if opts["no_memory"] else bench_memory()
        body = "\n".join([
            "# Benchmarks",
            "",
            f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, database "
            f"{_database_vendor()}. Figures are wall-clock seconds on this machine; compare ratios, not seconds.",
            "",
            step1_markdown(step1, repeat),
            "",
            step2_markdown(step2, repeat),
            "",
            face_index_markdown(bench_face_index([int(n) for n in opts["face_sizes"].split(",") if n])),
            "",
            review_queue_markdown(scale["queue"], repeat),
            "",
            data_list_markdown(scale["list"], repeat),
            "",
            encryption_markdown(_encryption_rows(step1, step2, scale), repeat),
            "",
            memory_markdown(memory),
            "",
        ])
        self.stdout.write(body)
        if opts["write"]:
            with open(opts["write"], "w", encoding="utf-8") as handle:
                handle.write(body)


def _encryption_rows(step1: dict, step2: dict, scale: dict) -> list[dict]:
    """The vault's share of each request the other sections timed (`_bench_vault`)."""
    rows = [{"what": f"Step 1, {label}", "total_ms": row["seconds"] * 1000, "vault_ms": row["vault_seconds"] * 1000}
            for label, row in step1["step1"].items()]
    rows.append({"what": "Step 2", "total_ms": step2["step2"] * 1000, "vault_ms": step2["vault"] * 1000})
    if scale["queue"]:
        largest = scale["queue"][-1]
        rows.append({"what": f"review queue page at {largest['size']:,} submissions", "total_ms": largest["queue_ms"],
                     "vault_ms": largest["vault_ms"]})
    if scale["list"]:
        largest = scale["list"][-1]
        rows.append({"what": f"GET /v3/submission page at {largest['size']:,} submissions",
                     "total_ms": largest["first_ms"], "vault_ms": largest["vault_ms"]})
    return rows


def _database_vendor() -> str:
    from django.db import connection

    return connection.vendor
