"""Uploads at the edges of what is decoded and stored (issue 14 items 14 and 16), through the API.

Degenerate shapes are refused at decode with the documented code, before any check can crash on
them; what is stored and served back is the image, not the bytes the client appended to it.
"""

import hashlib
import io
import logging
import zipfile

import numpy as np
import pytest
import requests
from PIL import Image

from conftest import assert_error, image_bytes
from submissions.models import StoredFile
from submissions.tests.apis.helpers import API_DB, changes_nothing, step1_ok, step2_ok

pytestmark = API_DB

INVALID_ID_IMAGE = "Invalid ID image. Please retry with another ID image."
INVALID_FACE_IMAGE = "Invalid face image. Please retry with another face image."
DEGENERATE = [(1, 1), (1, 5000), (5000, 1)]


def png(size, color=(200, 190, 180)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def tracebacks_or_errors(caplog) -> list[str]:
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records
            if r.levelno >= logging.ERROR or r.exc_info]


# -- item 14: degenerate images ------------------------------------------------------------------


@pytest.mark.image_checks  # the checks run, as in production: the shape must not reach them
@pytest.mark.parametrize("size", DEGENERATE, ids=["1x1", "1x5000", "5000x1"])
def test_degenerate_id_image_is_invalid_id_image_without_a_traceback(api, size, caplog):
    client = api()
    with changes_nothing(), caplog.at_level(logging.INFO):
        response = client.step1(image=png(size))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)
    assert tracebacks_or_errors(caplog) == []


@pytest.mark.image_checks
@pytest.mark.parametrize("size", DEGENERATE, ids=["1x1", "1x5000", "5000x1"])
def test_degenerate_selfie_is_invalid_face_image_without_a_traceback(api, size, caplog):
    client = api()
    submission_id = step1_ok(client, image=image_bytes(size=(640, 400)))
    with changes_nothing(), caplog.at_level(logging.INFO):
        response = client.step2(submission_id, face=png(size))
    assert_error(response, "invalid_face_image", INVALID_FACE_IMAGE)
    assert tracebacks_or_errors(caplog) == []


@pytest.mark.parametrize("size", [(47, 400), (400, 47), (60, 361), (361, 60)])
def test_image_under_the_minimum_side_or_over_the_aspect_is_invalid_id_image(api, size):
    client = api()
    with changes_nothing():
        response = client.step1(image=png(size))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)


@pytest.mark.image_checks
@pytest.mark.parametrize("size", [(48, 48), (48, 288), (288, 48), (280, 176)], ids=str)
def test_the_smallest_accepted_shapes_reach_the_checks_without_a_traceback(api, size, caplog):
    client = api()
    with caplog.at_level(logging.INFO):
        response = client.step1(image=image_bytes("PNG", size=size))
    assert response.status_code == 200, response.text
    assert tracebacks_or_errors(caplog) == []


def test_a_png_over_the_full_decode_limit_is_refused_from_its_header(api, settings):
    settings.KYC_MAX_FULL_DECODE_PIXELS = 1_000_000
    client = api()
    with changes_nothing():
        response = client.step1(image=png((1200, 900)))
    assert_error(response, "invalid_id_image", INVALID_ID_IMAGE)
    step1_ok(client, image=image_bytes("JPEG", size=(1200, 900)))  # a JPEG decodes reduced: not this limit


# -- item 16: polyglots --------------------------------------------------------------------------


def zip_payload() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return buffer.getvalue()


HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


def jpeg_with_metadata() -> bytes:
    image = Image.open(io.BytesIO(image_bytes(size=(640, 400))))
    exif = Image.Exif()
    exif[0x0131] = "Photoshop <script>alert(2)</script>"  # Software
    exif[0x010F] = "Canon"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"<?php system($_GET[1]); ?>", quality=90)
    return buffer.getvalue()


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<html><script>alert(3)</script></html>")
    buffer = io.BytesIO()
    Image.open(io.BytesIO(image_bytes("PNG"))).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def served_id_image(client, submission_id: str) -> bytes:
    response = client.get("/v3/submission", {"submission_id": submission_id})
    assert response.status_code == 200, response.text
    [item] = response.json()["Items"]
    image = requests.get(item["image"]["idImage"], timeout=30)
    assert image.status_code == 200
    return image.content


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("upload", [
    lambda: image_bytes() + zip_payload(),
    lambda: image_bytes() + HTML,
    jpeg_with_metadata,
    lambda: jpeg_with_metadata() + HTML,
    lambda: png_with_text() + zip_payload(),
], ids=["jpeg+zip", "jpeg+html", "jpeg-exif-comment", "jpeg-exif+html", "png-text+zip"])
def test_a_polyglot_is_stored_and_served_as_its_image_only(api, upload):
    client = api()
    data = upload()
    submission_id = step1_ok(client, image=data)
    served = served_id_image(client, submission_id)
    assert b"PK\x03\x04" not in served and b"<script" not in served and b"<?php" not in served
    assert b"Photoshop" not in served and b"Canon" not in served
    if served[:2] == b"\xff\xd8":
        assert served.endswith(b"\xff\xd9") and served.count(b"\xff\xd9") == 1
    else:
        assert served.endswith(b"IEND\xaeB`\x82")
    assert np.array_equal(pixels(served), pixels(data))  # the reviewer's evidence is pixel-exact
    stored = StoredFile.objects.get(submission__submission_id=submission_id)
    assert stored.sha256 == hashlib.sha256(served).hexdigest() and stored.byte_size == len(served)


def test_the_orientation_the_checks_applied_is_kept_and_nothing_else(api):
    client = api()
    image = Image.open(io.BytesIO(image_bytes(size=(640, 400))))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    exif[0x0131] = "GIMP 2.10"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    submission_id = step1_ok(client, image=buffer.getvalue())
    served = Image.open(io.BytesIO(served_id_image(client, submission_id)))
    assert dict(served.getexif()) == {0x0112: 6}
    stored = StoredFile.objects.get(submission__submission_id=submission_id)
    assert (stored.width, stored.height) == (400, 640)


def test_a_selfie_polyglot_is_stored_as_its_image_only(api):
    client = api()
    submission_id = step1_ok(client)
    step2_ok(client, submission_id, face=image_bytes(size=(480, 640)) + HTML)
    selfie = StoredFile.objects.get(submission__submission_id=submission_id, kind="selfie")
    from submissions.selectors import stored_file_read

    data = stored_file_read(selfie)
    assert HTML not in data and data.endswith(b"\xff\xd9")
    assert selfie.sha256 == hashlib.sha256(data).hexdigest()
