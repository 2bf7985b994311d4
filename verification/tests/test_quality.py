"""Capture quality measurements: sharpness, glare, colour, on generated documents and synthetic images.

Generated documents: each defect fails its measurement on every side, the genuine capture passes
all three (three kinds, two seeds). Synthetic images pin the behaviour the corpus cannot show
alone: contrast invariance, motion-blur direction, sieve-like white print, pastel cards, grey
copies under coloured light. Rates over larger corpora: verification.evaluation_capture.
"""

import io

import cv2
import numpy as np
import pytest
from django.test import override_settings
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from verification.analysis import DocumentAnalysis
from verification.quality import (
    colour_measure,
    colour_passes,
    crop_upsampling,
    glare_measure,
    glare_passes,
    sharpness_measure,
    sharpness_passes,
)
from verification.tests.tamper_samples import KINDS, generated

SEEDS = (0, 1)


def analysis_of(data: bytes) -> DocumentAnalysis:
    """One image as the front of a DocumentAnalysis (upright, bounded, detected, rectified)."""
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    return DocumentAnalysis(front=image, front_bytes=data, requested_id_type="passport", country="POL",
                            max_side=1600)


def regions(document) -> list[tuple[DocumentAnalysis, np.ndarray]]:
    """(analysis, measured region) of every side: the rectified crop, else the whole image."""
    out = []
    for data in (document.front, document.back):
        if data is None:
            continue
        analysis = analysis_of(data)
        crop = analysis.front_document
        out.append((analysis, crop if crop is not None else analysis.front.rgb))
    return out


def text_card(width=1100, height=700, ink=30, paper=225, seed=0) -> np.ndarray:
    """A synthetic card: lines of dark glyph-like strokes and a frame on pale paper, RGB."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), (paper, paper - 5, paper - 12))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, 330, 440), outline=(ink, ink, ink), width=4)
    for row in range(9):
        y = 80 + row * 62
        x = 380
        while x < width - 60:
            w = int(rng.integers(10, 30))
            draw.rectangle((x, y, x + w, y + 28), outline=(ink, ink, ink), width=3)
            draw.line((x, y + 28, x + w, y), fill=(ink, ink, ink), width=3)
            x += w + int(rng.integers(8, 20))
    return np.asarray(image).copy()


# -- sharpness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_is_sharp_on_every_side(kind, seed):
    for _, region in regions(generated(kind, seed)):
        measure = sharpness_measure(region)
        assert sharpness_passes(measure), measure.evidence()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_blurred_capture_is_too_blurry_on_every_side(kind, seed):
    for _, region in regions(generated(kind, seed, "blurred")):
        measure = sharpness_measure(region)
        assert not sharpness_passes(measure), measure.evidence()


@pytest.mark.parametrize("kind", KINDS)
def test_a_sharp_document_photographed_small_is_not_blurred(kind):
    # a camera with a third of the resolution (and the same lens blur, in its own pixels): the 1100 px
    # crop enlarges the card ~3x and its edges with it; the measure takes the enlargement out again
    image = Image.open(io.BytesIO(generated(kind, 0).front))
    small = image.resize((image.width // 3, image.height // 3), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.filter(ImageFilter.GaussianBlur(0.7)).save(buffer, "JPEG", quality=90)
    analysis = analysis_of(buffer.getvalue())
    upsampling = crop_upsampling(analysis.front_detection.quad, analysis.front_document.shape[1])
    assert upsampling > 2.5
    assert not sharpness_passes(sharpness_measure(analysis.front_document))
    measure = sharpness_measure(analysis.front_document, upsampling=upsampling)
    assert sharpness_passes(measure) and measure.evidence()["upsampling"] == pytest.approx(upsampling, abs=1e-3)


def test_sharpness_does_not_depend_on_contrast():
    card = text_card()
    faint = (card.astype(np.float32) * 0.4 + 120).astype(np.uint8)
    assert sharpness_measure(faint).sharpness == pytest.approx(sharpness_measure(card).sharpness, rel=0.15)


def test_gaussian_blur_lowers_every_direction_and_motion_blur_one():
    card = text_card()
    sharp = sharpness_measure(card)
    gaussian = sharpness_measure(cv2.GaussianBlur(card, (0, 0), 4))
    kernel = np.zeros((31, 31), np.float32)
    kernel[15, :] = 1 / 31  # horizontal motion
    motion = sharpness_measure(cv2.filter2D(card, -1, kernel))
    assert sharp.score == 100 and sharpness_passes(sharp)
    assert not sharpness_passes(gaussian) and not sharpness_passes(motion)
    # horizontal motion smears vertical edges (gradient along x, 0 degrees) away or flat; horizontal
    # edges (gradient along y, 90 degrees) keep their steepness
    along_x, along_y = motion.by_direction[0], motion.by_direction[4]
    assert along_y is not None and along_y > 0.8 * sharp.by_direction[4]
    assert along_x is None or along_x < along_y / 2
    assert motion.worst_direction_deg != 90.0


def test_a_blank_image_has_no_sharpness():
    measure = sharpness_measure(np.full((400, 600, 3), 200, np.uint8))
    assert measure.sharpness == 0 and measure.score == 0 and measure.edge_pixels == 0


def test_the_operator_moves_the_blur_decision():
    blurred = cv2.GaussianBlur(text_card(), (0, 0), 4)
    measure = sharpness_measure(blurred)
    with override_settings(KYC_CHECK_THRESHOLDS={"quality.sharpness.min_score": 0}):
        assert sharpness_passes(measure)
    assert not sharpness_passes(measure)


# -- glare ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_has_no_glare(kind, seed):
    for _, region in regions(generated(kind, seed)):
        measure = glare_measure(region)
        assert glare_passes(measure), measure.evidence()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_glare_is_found_where_the_highlight_is(kind, seed):
    document = generated(kind, seed, "glare")
    analysis = analysis_of(document.front)
    measure = glare_measure(analysis.front_document)
    assert not glare_passes(measure), measure.evidence()
    # the blob's box, in stored-image pixels, lies inside the generator's highlight box
    polygon = analysis.to_original("front", analysis.crop_to_analysis("front", measure.blob.polygon))
    xs, ys = [p[0] for p in polygon], [p[1] for p in polygon]
    x0, y0, x1, y1 = document.truth["regions"]["glare"]
    centre = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2)
    assert x0 <= centre[0] <= x1 and y0 <= centre[1] <= y1
    assert 0.01 < measure.share < 0.2


def test_white_print_is_not_glare_however_large():
    # an overexposed white card, text and lines everywhere: a sieve, not a highlight (a featureless
    # clipped white area would count: it hides the print as a highlight does)
    card = text_card(paper=255, ink=20)
    card[:, :, 2] = np.where(card[:, :, 2] > 200, 255, card[:, :, 2])
    for y in range(66, 440, 22):
        cv2.line(card, (50, y), (320, y + 10), (20, 20, 20), 3)
    measure = glare_measure(card)
    assert measure.clipped_share > 0.5
    assert glare_passes(measure) and measure.share < 0.01


def test_a_saturated_solid_blob_is_glare_and_a_coloured_one_is_not():
    card = text_card()
    highlight = card.copy()
    cv2.ellipse(highlight, (700, 300), (120, 70), 20, 0, 360, (255, 255, 255), -1)
    measure = glare_measure(highlight)
    assert not glare_passes(measure)
    assert measure.blob.solidity > 0.97 and measure.share == pytest.approx(np.pi * 120 * 70 / (1100 * 700), rel=0.15)
    coloured = card.copy()
    cv2.ellipse(coloured, (700, 300), (120, 70), 20, 0, 360, (255, 255, 120), -1)  # bright yellow print
    assert glare_passes(glare_measure(coloured))


# -- colour ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_is_in_colour(kind, seed):
    for _, region in regions(generated(kind, seed)):
        measure = colour_measure(region)
        assert colour_passes(measure), measure.evidence()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_photocopy_is_black_and_white(kind, seed):
    for analysis, region in regions(generated(kind, seed, "grayscale")):
        measure = colour_measure(region, analysis.front.rgb)
        assert not colour_passes(measure), measure.evidence()
        assert measure.image_chroma is not None


@pytest.mark.parametrize("kind", KINDS)
def test_a_pale_pastel_card_is_still_in_colour(kind):
    # the genuine document with its colours washed out by half towards grey
    for _, region in regions(generated(kind, 0)):
        grey = cv2.cvtColor(cv2.cvtColor(region, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB).astype(np.float32)
        pastel = (grey + 0.5 * (region.astype(np.float32) - grey)).astype(np.uint8)
        assert colour_passes(colour_measure(pastel))


def test_a_grey_copy_under_coloured_light_with_chroma_noise_stays_grey():
    rng = np.random.default_rng(3)
    grey = cv2.cvtColor(cv2.cvtColor(text_card(), cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB).astype(np.float32)
    h, w = grey.shape[:2]
    ramp = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    lit = grey * np.stack([1.06 + 0.06 * ramp, np.ones_like(ramp), 0.92 - 0.06 * ramp], axis=-1)
    lit += rng.standard_normal(lit.shape).astype(np.float32) * 4
    buffer = io.BytesIO()
    Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=88)
    photo = np.asarray(Image.open(buffer).convert("RGB"))
    measure = colour_measure(photo)
    assert not colour_passes(measure) and measure.cast > 2
