"""Memory of a worker per request (issue 14 item 15): `kyc_bench --only memory`.

A fresh worker process (this command re-run with `--memory-worker`) serves Step 1 and Step 2
through the real views (Django test client, database rolled back, files in a temporary folder).
It first serves every case once, so that models and lazily built engines (OCR, face detectors)
count as the baseline, not as growth. Then, per case, the kernel's peak-RSS mark is reset
(/proc/self/clear_refs) and the peak growth of one request over the RSS before it is read from
VmHWM; finally 100 more requests cycle through the cases and the RSS is read along the way.
Targets: peak growth ≤ 150 MB for any accepted image, RSS flat over the 100 requests.

The worst cases are what the audit found: a large-dimension PNG of small file size (a flat
6000×6600 PNG is ~300 KB), the largest PNG that is accepted, a 40-megapixel JPEG, and the largest
JPEG that DCT scaling cannot reduce (just under twice KYC_ANALYSIS_MAX_SIDE).
"""

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings

PEAK_TARGET_MB = 150.0
FLAT_TARGET_MB = 25.0  # RSS after 100 requests over RSS after the warm-up
CYCLE_REQUESTS = 100


def _flat_png(size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (201, 199, 190)).save(buffer, "PNG")
    return buffer.getvalue()


def _large_jpeg(front: bytes, size: tuple[int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(io.BytesIO(front)).convert("RGB").resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def memory_cases() -> dict[str, bytes]:
    """name -> image bytes: the generated documents and the worst cases (made in the parent)."""
    from verification.generator import generate_document, holder_selfie

    passport = generate_document("passport", seed=31, country="POL")
    full_decode_side = int(settings.KYC_MAX_FULL_DECODE_PIXELS ** 0.5)  # a square at the PNG limit
    return {
        "passport": passport.front,
        "selfie": holder_selfie(passport, seed=31),
        "png 6000×6600 flat (audit)": _flat_png((6000, 6600)),
        f"png {full_decode_side}×{full_decode_side} flat (largest PNG)": _flat_png((full_decode_side,) * 2),
        "jpeg 7300×5475 (40 MP)": _large_jpeg(passport.front, (7300, 5475)),
        # Just under twice the analysis size: the largest JPEG that DCT scaling cannot reduce.
        "jpeg 3199×2399 (decoded in full)": _large_jpeg(passport.front, (2 * settings.KYC_ANALYSIS_MAX_SIDE - 1, 2399)),
    }


# -- the worker (a child process) --------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _peak_reset() -> None:
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # resets VmHWM to the current RSS (Linux ≥ 4.0)


def memory_worker(folder: str) -> dict:
    """Serve every case, measure, and return the figures (runs in the child)."""
    from django.test import Client

    from submissions.models import Project
    from submissions.services import api_key_create

    from ._measure import jpeg_upload, rolled_back, temporary_media

    names = json.loads((Path(folder) / "cases.json").read_text())
    cases = {name: (Path(folder) / f"{index}.img").read_bytes() for index, name in enumerate(names)}
    worst = [name for name in names if name not in ("passport", "selfie")]
    answers: dict[str, str] = {}
    counter = {"n": 0}

    def answer_of(response) -> str:
        body = response.json()
        if "errorCode" in body:
            return body["errorCode"]
        return "retry" if body.get("retry") else body.get("kycStatus", str(response.status_code))

    with temporary_media(), rolled_back():
        project = Project.objects.create(name="kyc_bench memory (rolled back)")
        _, key = api_key_create(project=project)
        client = Client(headers={"x-api-key": key}, SERVER_NAME="localhost")

        def step1(image: bytes) -> tuple[str, str]:
            counter["n"] += 1
            response = client.post("/v3/submission/step1", {
                "email": f"memory-{counter['n']}@example.com", "issuingCountry": "POL", "idType": "passport",
                "idImage": jpeg_upload("id.jpg", image)})
            return response.json().get("submissionId", ""), answer_of(response)

        def step2(face: bytes) -> str:
            submission_id, _ = step1(cases["passport"])
            response = client.post("/v3/submission/step2", {
                "submissionId": submission_id, "name": "Bench Holder", "date_of_birth": "1990-01-01",
                "faceImage": jpeg_upload("selfie.jpg", face)})
            return answer_of(response)

        runs = [("Step 1", name, lambda image=cases[name]: step1(image)[1]) for name in ["passport", *worst]]
        runs += [("Step 2", name, lambda image=cases[name]: step2(image)) for name in ["selfie", *worst]]
        for step, name, run in runs:  # warm-up: every model and engine loaded, every path taken once
            answers[f"{step}|{name}"] = run()
        peaks = {}
        for step, name, run in runs:
            growths = []
            for _ in range(2):
                before = _status_kb("VmRSS")
                _peak_reset()
                run()
                growths.append(_status_kb("VmHWM") - before)
            peaks[f"{step}|{name}"] = max(growths) / 1024
        rss = {0: _status_kb("VmRSS") / 1024}
        for index in range(1, CYCLE_REQUESTS + 1):
            runs[index % len(runs)][2]()
            if index in (10, 25, 50, 75, 100):
                rss[index] = _status_kb("VmRSS") / 1024
    return {"answers": answers, "peaks_mb": peaks, "rss_mb": rss, "worst": worst}


# -- the parent ----------------------------------------------------------------------------------------


def _child_environment(connection) -> dict[str, str]:
    """This process's environment, with the database it is using (a test run's is not DATABASE_URL's)."""
    env = os.environ.copy()
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    elif connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    return env


def bench_memory() -> dict:
    """Run the worker in a fresh process and return its figures."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return {"skipped": "the database is in-memory SQLite (the test suite's): no worker process can share it"}
    cases = memory_cases()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "cases.json").write_text(json.dumps(list(cases)))
        for index, data in enumerate(cases.values()):
            (Path(folder) / f"{index}.img").write_bytes(data)
        result = subprocess.run(
            [sys.executable, "manage.py", "kyc_bench", "--memory-worker", folder],
            cwd=settings.BASE_DIR, env=_child_environment(connection), capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise RuntimeError(f"the memory worker failed:\n{result.stderr[-4000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    figures["sizes"] = {name: len(data) for name, data in cases.items()}
    return figures


def memory_markdown(result: dict) -> str:
    accepted_errors = ("invalid_id_image", "invalid_face_image")
    if "skipped" in result:
        return f"## Memory per request\n\nNot measured: {result['skipped']}."
    lines = [
        "## Memory per request",
        "",
        "A fresh worker process serves Step 1 and Step 2 through the real views (`_bench_memory`): every",
        "case once as a warm-up (models and engines loaded), then per case the peak RSS growth of one request",
        "over the RSS before it (VmHWM after a reset, the larger of two requests; a Step 2 row includes the",
        "passport's Step 1 that precedes it), then 100 more requests cycling through the cases.",
        f"Targets: peak growth ≤ {PEAK_TARGET_MB:.0f} MB for any accepted image; RSS",
        f"after 100 requests within {FLAT_TARGET_MB:.0f} MB of the RSS after the warm-up.",
        "",
        "| step | image | file KB | answer | peak growth MB | target met |",
        "|---|---|---|---|---|---|",
    ]
    for key, peak in result["peaks_mb"].items():
        step, name = key.split("|", 1)
        answer = result["answers"][key]
        refused = answer in accepted_errors
        met = "refused at decode" if refused else ("yes" if peak <= PEAK_TARGET_MB else "NO")
        lines.append(f"| {step} | {name} | {result['sizes'][name] / 1024:,.0f} | {answer} | {peak:,.0f} | {met} |")
    rss = {int(k): v for k, v in result["rss_mb"].items()}
    growth = rss[max(rss)] - rss[0]
    lines += [
        "",
        "| requests after the warm-up | " + " | ".join(str(k) for k in sorted(rss)) + " |",
        "|---|" + "---|" * len(rss),
        "| worker RSS MB | " + " | ".join(f"{rss[k]:,.0f}" for k in sorted(rss)) + " |",
        "",
        f"RSS after {max(rss)} requests: {growth:+,.0f} MB over the warm-up "
        f"({'flat: target met' if growth <= FLAT_TARGET_MB else 'NOT flat'}).",
    ]
    return "\n".join(lines)
