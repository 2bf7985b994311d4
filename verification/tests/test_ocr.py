"""OCR: text cleaning, MRZ location and length fitting, and the real engine on a generated document."""

import functools
import io
import threading

import numpy as np
import pytest
from PIL import Image

from verification.document import document_detect, document_rectify
from verification.generator import generate_document
from verification.imaging import analysis_image
from verification.ocr import (
    MrzRead,
    OcrLine,
    mrz_fit_length,
    mrz_line_like,
    mrz_read,
    ocr_clean_text,
    ocr_read,
)


def line(text: str, y: float, x: float = 50, w: float = 900, h: float = 30) -> OcrLine:
    return OcrLine(text, np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], dtype=float), 0.95)


def test_clean_text_normalises_full_width_forms_and_look_alike_fillers():
    assert ocr_clean_text("ＵＴＯ１２３") == "UTO123"
    assert ocr_clean_text("P«UTO‹") == "P<<UTO<"
    assert ocr_clean_text("ab\x00c ") == "abc"


@pytest.mark.parametrize(("text", "expected"), [
    ("P<UTOLINDQVIST<<YUKI<<<<<<<<<<<<<<<<<<<<<<<<", True),
    ("7912023F3511299UTO<<<<<<<<<<<6", True),
    ("Date of birth / Date de naissance", False),
    ("MINISTRY OF INTERIOR A27", False),
    ("87265122290", False),
])
def test_mrz_line_like(text, expected):
    assert mrz_line_like(text) is expected


def test_fit_length_resizes_only_a_filler_run_in_the_flexible_part():
    # TD3 line 2 with two of the personal-number fillers lost: the composite digit keeps its place.
    assert mrz_fit_length("UM07094493UTO7912023F351129987265122290<26", 44, 28) == \
        "UM07094493UTO7912023F351129987265122290<<<26"
    assert mrz_fit_length("LINDQVIST<<YUKI<<<<<<<", 30, 0) == "LINDQVIST<<YUKI<<<<<<<<<<<<<<<"
    assert mrz_fit_length("7912023F3511299UTO<<<<<<<<<<<<<6", 30, 18) == "7912023F3511299UTO<<<<<<<<<<<6"
    # No filler run after the fixed part: nothing is invented.
    assert mrz_fit_length("7912023F3511299UTO6", 30, 18) == "7912023F3511299UTO6"


def test_mrz_read_merges_split_rows_fits_and_parses_a_td1_zone():
    lines = [
        line("Address / Adresse", 40, w=200),
        line("I<UTOUMA709449387265122290<<<<", 440),
        line("7912023F3511299UTO<<<<", 500, w=600), line("<<<<<<<6", 500, x=700, w=200),
        line("LINDQVIST<<YUKI<<<<<<<<<<<<", 560),  # two trailing fillers lost
    ]

    read = mrz_read(lines, None, side="back")

    assert isinstance(read, MrzRead) and read.side == "back"
    assert read.data is not None and read.data.format == "TD1"
    assert read.data.check_digits_valid
    assert read.data.surname == "LINDQVIST" and read.repaired


def test_mrz_read_without_mrz_lines_finds_nothing():
    read = mrz_read([line("UTOPIA", 10), line("Date of birth", 50)], None, side="front")

    assert not read.found and read.data is None


@functools.cache
def _passport_crop():
    doc = generate_document("passport", seed=1)
    image = analysis_image(Image.open(io.BytesIO(doc.front)), max_side=1600)
    crop, _ = document_rectify(image, document_detect(image), width=1100)
    return doc, crop


def test_engine_reads_a_rectified_passport_page_and_its_mrz():
    doc, crop = _passport_crop()

    lines = ocr_read(crop)
    read = mrz_read(lines, crop, side="front")

    texts = " ".join(item.text for item in lines)
    assert doc.truth["surname"] in texts and doc.truth["document_number"] in texts
    assert read.data is not None and read.data.check_digits_valid
    assert read.data.document_number == doc.truth["document_number"].replace("O", "0") or \
        read.data.document_number == doc.truth["document_number"]
    assert all(item.box.shape == (4, 2) for item in lines)


def test_engine_is_shared_safely_between_threads():
    _, crop = _passport_crop()
    band = np.ascontiguousarray(crop[-140:])  # the MRZ band: a small, quick image
    expected = [item.text for item in ocr_read(band)]
    results = []

    def work():
        results.append([item.text for item in ocr_read(band)])

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results == [expected, expected]


def test_single_line_recognition_after_a_full_read_keeps_detection_on():
    _, crop = _passport_crop()
    band = np.ascontiguousarray(crop[-140:])

    ocr_read(band[:70], detect=False)
    lines = ocr_read(band)

    assert len(lines) >= 2  # the engine's per-call options do not leak into the next call


def test_the_engine_sessions_let_idle_threads_sleep_instead_of_spinning():
    # rapidocr runs many small inferences with Python in between; spinning threads would hold the
    # core Step 1's prefetch thread works on (verification.ocr._sessions_without_spinning).
    from verification.ocr import _engine

    engine = _engine()
    for model in (engine._load_det_model(), engine._load_rec_model()):
        options = model.session.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
