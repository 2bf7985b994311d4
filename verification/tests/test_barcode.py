"""PDF417 decoding of generated licence backs and AAMVA parsing."""

import functools
import io

import cv2
import numpy as np
import pytest
from PIL import Image

from verification.barcode import barcode_read
from verification.document import document_detect, document_rectify
from verification.generator import generate_document
from verification.imaging import analysis_image


@functools.cache
def _back(seed: int = 2, defects: tuple = (), country: str | None = None):
    doc = generate_document("drivers_license", seed=seed, defects=defects, country=country)
    image = analysis_image(Image.open(io.BytesIO(doc.back)), max_side=1600)
    return doc, image


@pytest.mark.parametrize("country", ["USA", "CAN", "MEX"])
def test_licence_back_barcode_is_decoded_and_parsed(country):
    doc, image = _back(country=country)
    crop, matrix = document_rectify(image, document_detect(image), width=1100)

    read = barcode_read(image.gray, document=crop)

    assert read.found and read.data is not None and read.attempts == 1
    assert read.data.document_number == doc.truth["document_number"]
    assert read.data.birth_date.isoformat() == doc.truth["birth_date"]
    assert read.data.country == country
    centre = cv2.perspectiveTransform(read.box.reshape(-1, 1, 2), np.linalg.inv(matrix)).reshape(-1, 2).mean(axis=0)
    x0, y0, x1, y1 = doc.truth["regions"]["barcode"]
    assert x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1


def test_whole_image_is_tried_without_a_rectified_crop():
    doc, image = _back(seed=3)

    read = barcode_read(image.gray)

    assert read.found and read.box_space == "analysis" and read.attempts == 1


def test_back_without_barcode_reads_nothing():
    _, image = _back(defects=("no_barcode",))

    read = barcode_read(image.gray)

    assert not read.found and read.data is None


def test_upside_down_crop_is_decoded_with_its_box_in_crop_pixels():
    doc, image = _back()
    crop, _ = document_rectify(image, document_detect(image), width=1100)
    turned = np.ascontiguousarray(crop[::-1, ::-1])
    unreadable = np.full_like(image.gray, 255)

    read = barcode_read(unreadable, document=turned)

    assert read.found
    h, w = turned.shape[:2]
    assert (read.box >= -5).all() and (read.box[:, 0] <= w + 5).all() and (read.box[:, 1] <= h + 5).all()


def test_non_aamva_pdf417_decodes_but_does_not_parse():
    import zxingcpp

    symbol = zxingcpp.create_barcode("HELLO WORLD 12345", zxingcpp.BarcodeFormat.PDF417)
    pixels = np.array(zxingcpp.write_barcode_to_image(symbol, scale=3), dtype=np.uint8)
    canvas = cv2.copyMakeBorder(pixels, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)

    read = barcode_read(canvas)

    assert read.found and read.text == "HELLO WORLD 12345" and read.data is None
