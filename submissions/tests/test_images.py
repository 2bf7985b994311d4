"""Decoding an upload costs what the checks need, not what the camera made (issue 14 item 15).

The memory is measured in a fresh process (its kernel peak-RSS mark, VmHWM), as a worker would
pay it; the whole request is measured by `kyc_bench --only memory`.
"""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from submissions.images import ImageRejected, image_read_bytes
from verification.imaging import analysis_image

BASE_DIR = Path(__file__).resolve().parents[2]
DECODE_PEAK_MB = 80  # of the 150 MB a whole request may grow by


def large_jpeg(size=(7300, 5475)) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def flat_png(size) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (201, 199, 190)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_40_megapixel_jpeg_is_decoded_at_the_bounded_size_with_its_stored_size(settings):
    upload = image_read_bytes(large_jpeg())
    assert (upload.width, upload.height) == (7300, 5475)
    assert settings.KYC_ANALYSIS_MAX_SIDE <= max(upload.image.size) <= settings.KYC_DECODE_MAX_SIDE
    analysis = analysis_image(upload.image, max_side=1600)
    assert analysis.width == 1600 and analysis.scale == pytest.approx(7300 / 1600)
    assert analysis.to_original([[1600, 0]]) == [[7300.0, 0.0]]  # evidence lands on the stored image


def test_a_large_dimension_png_of_small_file_size_is_refused_from_its_header():
    data = flat_png((6000, 6600))
    assert len(data) < 400_000
    with pytest.raises(ImageRejected, match="pixel limit of PNG"):
        image_read_bytes(data)


PROBE = """
import io, json, sys
import django
django.setup()
from submissions.images import image_read_bytes

def kb(field):
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))

data = open(sys.argv[1], "rb").read()
before = kb("VmRSS")
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
upload = image_read_bytes(data)
print(json.dumps({"peak_mb": (kb("VmHWM") - before) / 1024, "size": upload.image.size}))
"""


@pytest.mark.parametrize("make", [large_jpeg, lambda: large_jpeg((3199, 2399)), lambda: flat_png((3464, 3464))],
                         ids=["jpeg-40MP", "jpeg-decoded-in-full", "png-at-its-limit"])
def test_decoding_the_worst_accepted_images_stays_bounded_in_a_fresh_process(make, tmp_path):
    path = tmp_path / "upload"
    path.write_bytes(make())
    result = subprocess.run([sys.executable, "-c", PROBE, str(path)], cwd=BASE_DIR, capture_output=True, text=True,
                            timeout=120, env={"DJANGO_SETTINGS_MODULE": "kycreview.settings.test", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["peak_mb"] <= DECODE_PEAK_MB, figures
