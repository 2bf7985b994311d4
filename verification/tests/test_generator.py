"""The synthetic document generator: rendering, determinism, machine-readable truth, every defect."""

import difflib
import functools
import io
from datetime import date

import cv2
import numpy as np
import pytest
import zxingcpp
from PIL import ExifTags, Image

from verification.aamva import aamva_parse
from verification.generator import DEFECTS, KINDS, REFERENCE_DATE, defects_check, generate_corpus, generate_document
from verification.generator.capture import PHOTO_SIZE, SCREENSHOT_SIZES, exif_thumbnail
from verification.generator.card import mrz_font_is_ocrb
from verification.generator.defects import defect_applies
from verification.generator.identity import identity_create, mrz_td1, mrz_td3, mrz_text
from verification.mrz import mrz_parse

SEED = 11
# the kind each defect is exercised on: back-side defects need a back, no_barcode a licence
DEFECT_KIND = {"no_barcode": "drivers_license", "mismatched_back": "id_card", "back_country_mismatch": "id_card",
               "back_name_mismatch": "id_card", "back_dob_mismatch": "id_card"}
BACK_DEFECTS = {"no_barcode", "mismatched_back", "back_country_mismatch", "back_name_mismatch", "back_dob_mismatch"}


@functools.cache
def _document(kind: str, seed: int = SEED, defects: tuple[str, ...] = (), country: str | None = None):
    return generate_document(kind, seed=seed, defects=defects, country=country)


def _pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def _gray(data: bytes) -> np.ndarray:
    return cv2.cvtColor(_pixels(data), cv2.COLOR_RGB2GRAY)


def _crop(image: np.ndarray, box) -> np.ndarray:
    x0, y0, x1, y1 = box
    return image[y0:y1, x0:x1]


def _sharpness(image: np.ndarray, box) -> float:
    return float(cv2.Laplacian(_crop(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), box), cv2.CV_64F).var())


def _pdf417(data: bytes, quad) -> str | None:
    """Decode the PDF417 as taken; if the reader gives up on the skew, rectify its quad first."""
    gray = _gray(data)
    found = zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.PDF417, text_mode=zxingcpp.TextMode.Plain)
    if found:
        return found[0].text
    q = np.float32(quad)
    w = int((np.linalg.norm(q[1] - q[0]) + np.linalg.norm(q[2] - q[3])) / 2)
    h = int((np.linalg.norm(q[3] - q[0]) + np.linalg.norm(q[2] - q[1])) / 2)
    target = np.float32([[20, 20], [w + 20, 20], [w + 20, h + 20], [20, h + 20]])
    flat = cv2.warpPerspective(gray, cv2.getPerspectiveTransform(q, target), (w + 40, h + 40), borderValue=255)
    found = zxingcpp.read_barcodes(flat, formats=zxingcpp.BarcodeFormat.PDF417, text_mode=zxingcpp.TextMode.Plain)
    return found[0].text if found else None


# -- genuine captures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_genuine_capture_is_a_phone_jpeg_with_camera_exif(kind):
    # given / when
    doc = _document(kind)

    # then
    assert doc.kind == kind and doc.defects == () and doc.truth["document_present"]
    assert (doc.back is None) == (kind == "passport")
    for data in filter(None, (doc.front, doc.back)):
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == PHOTO_SIZE
            exif = image.getexif()
        assert 100_000 < len(data) < 1_500_000
        assert exif[ExifTags.Base.Make] and exif[ExifTags.Base.Model]
        assert ExifTags.Base.Software not in exif
        assert exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal].startswith("2026:")
        thumbnail = _pixels(exif_thumbnail(data))
        small = cv2.resize(_pixels(data), thumbnail.shape[1::-1], interpolation=cv2.INTER_AREA)
        assert np.abs(small.astype(int) - thumbnail).mean() < 8
    # the card sits inside the frame with a margin, and the printed fields are inside the card
    quad = np.array(doc.truth["regions"]["document_quad"])
    assert quad.min() > 0 and quad[:, 0].max() < PHOTO_SIZE[0] and quad[:, 1].max() < PHOTO_SIZE[1]
    for box in doc.truth["regions"]["fields"].values():
        center = ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)
        assert cv2.pointPolygonTest(quad.astype(np.float32), center, False) > 0


def test_same_seed_gives_identical_bytes_and_another_seed_differs():
    # given / when
    again = generate_document("id_card", seed=SEED)
    first = _document("id_card")
    passport, other = _document("passport"), _document("passport", seed=SEED + 1)

    # then
    assert (first.front, first.back, first.truth) == (again.front, again.back, again.truth)
    assert passport.front != other.front
    assert passport.truth["document_number"] != other.truth["document_number"]


def test_regions_follow_the_capture_geometry():
    # given: the portrait of the passport photo
    doc = _document("passport")
    image = _pixels(doc.front)

    # then: the portrait box holds the photo's light backdrop and a face, not the guilloche around it
    portrait = _crop(image, doc.truth["regions"]["portrait"])
    assert portrait.shape[0] > 200 and portrait.shape[1] > 150
    top_band = portrait[int(portrait.shape[0] * 0.12):int(portrait.shape[0] * 0.16)]
    assert top_band.mean() > 150
    mrz = _crop(image, doc.truth["regions"]["mrz"])
    assert mrz.shape[1] > mrz.shape[0] * 6  # two long lines


def test_field_overrides_are_printed_and_encoded():
    # given / when
    doc = generate_document("passport", seed=1, surname="O'Neil-Park", given_names="Zoë", birth_date="1990-02-03",
                            document_number="X1234567")

    # then
    assert doc.truth["printed"]["surname"] == "O'NEIL-PARK"
    parsed = mrz_parse(doc.truth["mrz_lines"])
    assert (parsed.surname, parsed.given_names) == ("ONEIL PARK", "ZOE")
    assert parsed.birth_date == date(1990, 2, 3) and parsed.document_number == "X1234567"
    assert parsed.check_digits_valid


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="does not apply"):
        defects_check("passport", ("no_barcode",))
    with pytest.raises(ValueError, match="cannot be combined"):
        defects_check("passport", ("screenshot", "blurred"))
    with pytest.raises(ValueError, match="unknown defect"):
        defects_check("passport", ("smudged",))
    with pytest.raises(ValueError, match="issued by"):
        generate_document("drivers_license", country="UTO")


# -- machine-readable truth -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_mrz_of_random_holders_parses_with_every_check_digit_valid(seed):
    # given
    passport = identity_create("passport", "UTO", rng=np.random.default_rng(seed))
    card = identity_create("id_card", "UTO", rng=np.random.default_rng(seed))

    # when
    td3, td1 = mrz_parse(mrz_td3(passport)), mrz_parse(mrz_td1(card))

    # then
    assert td3.format == "TD3" and td3.check_digits_valid, td3.checks
    assert td1.format == "TD1" and td1.check_digits_valid, td1.checks
    assert td3.birth_date == passport.birth_date and td3.expiry_date == passport.expiry_date
    assert td1.document_number == card.document_number and td1.nationality == "UTO"


@pytest.mark.parametrize("kind", ["passport", "id_card"])
def test_rendered_mrz_truth_matches_the_printed_fields(kind):
    # given
    doc = _document(kind)
    truth = doc.truth

    # when
    parsed = mrz_parse(truth["mrz_lines"])

    # then
    assert parsed.check_digits_valid, parsed.checks
    assert truth["mrz_side"] == ("front" if kind == "passport" else "back")
    assert parsed.document_number == truth["document_number"]
    assert parsed.surname == mrz_text(truth["surname"]).replace("<", " ")
    assert parsed.birth_date.isoformat() == truth["birth_date"]
    assert parsed.expiry_date.isoformat() == truth["expiry_date"]
    assert parsed.sex == truth["sex"] and parsed.issuing_state == doc.country


@pytest.mark.parametrize("kind", ["passport", "id_card"])
def test_wrong_check_digit_fails_exactly_one_check(kind):
    # given / when
    doc = _document(kind, defects=("wrong_check_digit",))
    parsed = mrz_parse(doc.truth["mrz_lines"])

    # then: still a well-formed MRZ, one check digit wrong
    assert parsed is not None
    assert parsed.failed_checks == [doc.truth["mrz_failed_check"]]


@pytest.mark.parametrize("country", ["USA", "CAN", "MEX"])
def test_licence_barcode_decodes_to_the_truth(country):
    # given
    doc = _document("drivers_license", country=None if country == "USA" else country)
    truth = doc.truth

    # when
    text = _pdf417(doc.back, truth["regions"]["quads"]["barcode"])

    # then
    assert text == truth["aamva"]
    data = aamva_parse(text)
    assert data.subfile_type == "DL" and data.country == country
    assert data.document_number == truth["document_number"] == truth["printed"]["document_number"]
    assert (data.surname, data.given_names) == (truth["surname"], truth["given_names"])
    assert data.birth_date.isoformat() == truth["birth_date"]
    assert data.expiry_date.isoformat() == truth["expiry_date"]
    assert data.issue_date.isoformat() == truth["issue_date"]
    assert data.sex == truth["sex"]


def _mrz_lines_read(engine, doc, data: bytes) -> list[str]:
    """Rectify the MRZ quad from the truth, cut it into its lines, recognise each line (no detector)."""
    quad = np.float32(doc.truth["regions"]["quads"]["mrz"])
    w, h = int(np.linalg.norm(quad[1] - quad[0])), int(np.linalg.norm(quad[3] - quad[0]))
    flat_quad = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    flat = cv2.warpPerspective(_pixels(data), cv2.getPerspectiveTransform(quad, flat_quad), (w, h),
                               flags=cv2.INTER_CUBIC)
    count = len(doc.truth["mrz_lines"])
    read = []
    for i in range(count):
        band = cv2.resize(flat[i * h // count:(i + 1) * h // count], None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        read.append("".join(engine(band, use_det=False, use_cls=False).txts or ()).replace(" ", ""))
    return read


def test_mrz_ocr_reads_the_rendered_mrz():
    """Sanity check of the rendering: an off-the-shelf OCR reads the photographed MRZ (measured: about 97%)."""
    if not mrz_font_is_ocrb():
        pytest.skip("OCR-B font missing (apt-get install fonts-ocr-b): the MRZ fell back to DejaVu Sans Mono")
    rapidocr = pytest.importorskip("rapidocr", reason="rapidocr is not installed (OCR sanity check only)")
    engine = rapidocr.RapidOCR(params={"Global.use_cls": False})
    matched = total = 0
    # the passports of both seeds are also rendered by the determinism test
    for doc, data in ((_document("passport"), _document("passport").front),
                      (_document("passport", seed=SEED + 1), _document("passport", seed=SEED + 1).front),
                      (_document("id_card"), _document("id_card").back)):
        expected = "\n".join(doc.truth["mrz_lines"])
        read = "\n".join(_mrz_lines_read(engine, doc, data))
        blocks = difflib.SequenceMatcher(None, expected, read, autojunk=False).get_matching_blocks()
        matched += sum(block.size for block in blocks) - expected.count("\n")
        total += len(expected) - expected.count("\n")
    accuracy = matched / total
    print(f"MRZ OCR character accuracy: {accuracy:.3f} ({matched}/{total})")
    assert accuracy >= 0.8


# -- defects ----------------------------------------------------------------------------------------------


def test_every_defect_has_a_kind_it_applies_to():
    for defect in DEFECTS:
        assert any(defect_applies(defect, kind) for kind in KINDS), defect


@pytest.mark.parametrize("defect", DEFECTS)
def test_every_defect_renders_and_changes_the_pixels(defect):
    # given
    kind = DEFECT_KIND.get(defect, "passport")
    genuine = _document(kind)

    # when
    doc = _document(kind, defects=(defect,))

    # then
    assert doc.defects == (defect,)
    side = "back" if defect in BACK_DEFECTS else "front"
    changed, original = getattr(doc, side), getattr(genuine, side)
    image = _pixels(changed)
    assert image.size > 0
    reference = _pixels(original)
    assert image.shape != reference.shape or np.abs(image.astype(int) - reference).max() > 40


def test_data_defects_change_the_truth():
    reference = REFERENCE_DATE.isoformat()
    assert _document("passport", defects=("no_mrz",)).truth["mrz_lines"] == []
    assert _document("drivers_license", defects=("no_barcode",)).truth["aamva"] is None
    expired = _document("passport", defects=("expired",)).truth
    assert expired["expiry_date"] < reference
    assert mrz_parse(expired["mrz_lines"]).expiry_date.isoformat() == expired["expiry_date"]
    printed_only = _document("passport", defects=("expired_printed_only",)).truth
    assert printed_only["expiry_date"] < reference and printed_only["mrz_lines"] == []
    missing = _document("passport", defects=("missing_field:name",)).truth
    assert missing["printed"]["surname"] == missing["printed"]["given_names"] == ""
    assert mrz_parse(missing["mrz_lines"]).surname  # the MRZ still names the holder


@pytest.mark.parametrize("defect, field, differs", [
    ("mismatched_back", "document_code", "IR"),
    ("back_country_mismatch", "issuing_state", None),
    ("back_name_mismatch", "surname", None),
    ("back_dob_mismatch", "birth_date", None),
])
def test_back_mismatches_disagree_with_the_front(defect, field, differs):
    # given / when
    truth = _document("id_card", defects=(defect,)).truth
    back = mrz_parse(truth["mrz_lines"])

    # then: the back's MRZ is valid but contradicts the front
    assert back.check_digits_valid
    front_value = {"document_code": "I", "issuing_state": truth["country"]}.get(field, truth.get(field))
    assert truth["back_fields"][field] != front_value
    if differs:
        assert back.document_code == differs


def test_back_mismatches_on_a_licence_change_the_barcode():
    truth = _document("drivers_license", defects=("back_name_mismatch",)).truth
    assert aamva_parse(truth["aamva"]).surname != truth["surname"]
    mismatched = _document("drivers_license", defects=("mismatched_back",)).truth
    assert mismatched["aamva"] is None and mrz_parse(mismatched["mrz_lines"]).format == "TD1"


def test_capture_defects_leave_their_traces():
    genuine = _document("passport")
    quad = np.array(genuine.truth["regions"]["document_quad"])
    box = [int(quad[:, 0].min()), int(quad[:, 1].min()), int(quad[:, 0].max()), int(quad[:, 1].max())]
    sharp = _sharpness(_pixels(genuine.front), box)
    blurred = _document("passport", defects=("blurred",))
    assert _sharpness(_pixels(blurred.front), box) < sharp * 0.3

    glare = _document("passport", defects=("glare",))
    highlight = _crop(_pixels(glare.front), glare.truth["regions"]["glare"])
    assert (highlight.min(axis=2) >= 250).mean() > 0.2

    gray = _pixels(_document("passport", defects=("grayscale",)).front).astype(int)
    assert np.abs(gray[..., 0] - gray[..., 1]).max() <= 6 and np.abs(gray[..., 1] - gray[..., 2]).max() <= 6

    tilted = np.array(_document("passport", defects=("tilted",)).truth["regions"]["document_quad"])
    top = tilted[1] - tilted[0]
    assert abs(np.degrees(np.arctan2(top[1], top[0]))) > 20

    shot = _document("passport", defects=("screenshot",))
    with Image.open(io.BytesIO(shot.front)) as image:
        assert image.format == "PNG" and image.size in SCREENSHOT_SIZES and not image.getexif()


def test_file_defects_leave_their_traces():
    edited = _document("passport", defects=("edited_metadata",))
    with Image.open(io.BytesIO(edited.front)) as image:
        assert image.getexif()[ExifTags.Base.Software] == "Adobe Photoshop 25.0"
        assert b"xmp:CreatorTool" in image.info["xmp"] and b"photoshop:" in image.info["xmp"]

    def thumbnail_distance(data: bytes) -> float:
        thumbnail = _pixels(exif_thumbnail(data))
        small = cv2.resize(_pixels(data), thumbnail.shape[1::-1], interpolation=cv2.INTER_AREA)
        return float(np.abs(small.astype(int) - thumbnail).mean())

    mismatch = _document("passport", defects=("thumbnail_mismatch",))
    assert thumbnail_distance(mismatch.front) > 3 * thumbnail_distance(_document("passport").front)


def test_edit_defects_leave_their_traces():
    genuine = _document("passport")
    pasted = _document("passport", defects=("pasted_text",)).truth
    field_name = pasted["pasted_field"]
    assert pasted["printed"][field_name] != genuine.truth["printed"][field_name]

    moved = _document("passport", defects=("copy_move",))
    image, before = _pixels(moved.front).astype(int), _pixels(genuine.front).astype(int)
    source, target = moved.truth["regions"]["copy_source"], moved.truth["regions"]["copy_target"]
    # the target now repeats the source's pixels (up to JPEG), which it did not before
    assert np.abs(_crop(image, target) - _crop(image, source)).mean() < 4
    assert np.abs(_crop(before, target) - _crop(before, source)).mean() > 8

    replaced = _document("passport", defects=("replaced_portrait",))
    box = replaced.truth["regions"]["replaced_portrait"]
    assert np.abs(_crop(_pixels(replaced.front).astype(int), box) - _crop(before, box)).mean() > 15


def test_specimen_is_the_same_image_whatever_the_seed():
    first = generate_document("passport", seed=1, defects=("specimen",))
    second = _document("passport", defects=("specimen",))
    assert first.front == second.front
    assert first.truth["surname"] == "ERIKSSON"


def test_not_a_document_has_no_card():
    doc = _document("passport", defects=("not_a_document",))
    assert doc.truth["document_present"] is False and doc.truth["regions"] == {}


def test_corpus_mixes_genuine_and_defective_documents():
    # given / when
    corpus = list(generate_corpus(count=3, seed=3, defects=("glare", "no_barcode", "expired")))

    # then
    assert len(corpus) == 3
    assert any(doc.defects for doc in corpus) and any(not doc.defects for doc in corpus)
    for doc in corpus:
        assert all(defect_applies(d, doc.kind) for d in doc.defects)
    again = next(generate_corpus(count=1, seed=3, defects=("glare", "no_barcode", "expired")))
    assert again.front == corpus[0].front
