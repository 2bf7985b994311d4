"""Recapture measurements: moiré, device frames, screenshots, on generated and synthetic images.

Generated documents: a screen photo shows a spectral peak, a phone showing the card a device frame,
a screenshot its file facts and flat areas; the genuine camera capture none of them (three kinds,
two seeds). Synthetic images pin what the corpus cannot: a grating's frequency is reported, a
dark desk is not a device frame, a camera photo re-saved as PNG without EXIF is not a screenshot.
"""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from verification.recapture import (
    SCREEN_RESOLUTIONS,
    device_frame_measure,
    file_facts,
    flat_share,
    moire_measure,
    moire_passes,
    recapture_measure,
    recapture_passes,
)
from verification.tests.tamper_samples import KINDS, generated
from verification.tests.test_quality import analysis_of

SEEDS = (0, 1)


def sides(document):
    return [analysis_of(data) for data in (document.front, document.back) if data is not None]


def quad_of(analysis):
    detection = analysis.front_detection
    return None if detection is None else detection.quad


def measure_moire(analysis):
    return moire_measure(analysis.front.gray, quad_of(analysis))


def measure_recapture(analysis):
    return recapture_measure(analysis.front.gray, analysis.front_bytes, quad_of(analysis))


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


# -- moiré ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_has_no_screen_pattern(kind, seed):
    for analysis in sides(generated(kind, seed)):
        measure = measure_moire(analysis)
        assert moire_passes(measure), measure.evidence()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_screen_photo_shows_a_periodic_peak(kind, seed):
    for analysis in sides(generated(kind, seed, "screen_moire")):
        measure = measure_moire(analysis)
        assert not moire_passes(measure), measure.evidence()
        assert measure.period_px is not None and measure.period_px < 12.5


@pytest.mark.parametrize("kind", KINDS)
def test_screenshots_and_device_photos_are_not_moire(kind):
    # the device and screenshot cases answer recaptured_document, not screen_detected
    for defect in ("device_frame", "screenshot"):
        for analysis in sides(generated(kind, 0, defect)):
            assert moire_passes(measure_moire(analysis))


def test_a_fine_grating_is_found_at_its_frequency():
    analysis = analysis_of(generated("passport", 0).front)
    gray = analysis.front.gray.astype(np.float32)
    h, w = gray.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    period, angle = 3.2, np.radians(30)
    grating = 1 + 0.08 * np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period)
    measure = moire_measure(np.clip(gray * grating, 0, 255).astype(np.uint8), quad_of(analysis))
    assert not moire_passes(measure)
    assert measure.period_px == pytest.approx(period, rel=0.05)
    assert measure.orientation_deg == pytest.approx(30, abs=3)
    assert moire_passes(moire_measure(analysis.front.gray, quad_of(analysis)))


def test_an_image_smaller_than_a_patch_is_not_judged():
    measure = moire_measure(np.full((200, 180), 128, np.uint8))
    assert measure.patches == [] and measure.score == 100 and moire_passes(measure)


# -- device frame ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_phone_showing_the_card_is_a_device_frame(kind, seed):
    for analysis in sides(generated(kind, seed, "device_frame")):
        measure = measure_recapture(analysis)
        assert measure.frame.found and "device_frame" in measure.points, measure.evidence()
        assert not recapture_passes(measure)
        # the screen holds the document: the detected card's centre lies in the screen outline
        centre = analysis.front_detection.quad.mean(axis=0)
        assert cv2.pointPolygonTest(measure.frame.screen.astype(np.float32), tuple(map(float, centre)), False) >= 0


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_genuine_capture_is_not_a_recapture(kind, seed):
    for analysis in sides(generated(kind, seed)):
        measure = measure_recapture(analysis)
        assert recapture_passes(measure), measure.evidence()
        assert not measure.frame.found and measure.facts.camera is not None and measure.flat_share < 0.01


def test_a_card_on_a_black_desk_is_not_a_device_frame():
    # the desk around the card darkened to near black: the dark region reaches the photo's edges
    analysis = analysis_of(generated("id_card", 0).front)
    rgb = analysis.front.rgb.copy()
    mask = np.zeros(rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(analysis.front_detection.quad).astype(np.int32), 1)
    rgb[mask == 0] = (rgb[mask == 0] * 0.12).astype(np.uint8)
    measure = device_frame_measure(rgb, analysis.front_detection.quad)
    assert not measure.found


def test_a_dark_frame_around_something_else_is_ignored():
    # a dark picture frame on the wall, the document elsewhere in the photo
    image = np.full((1000, 1600, 3), 170, np.uint8)
    cv2.rectangle(image, (100, 100), (700, 500), (15, 15, 15), 40)
    cv2.rectangle(image, (140, 140), (660, 460), (200, 200, 200), -1)
    quad = np.array([[900, 550], [1500, 550], [1500, 930], [900, 930]], float)
    assert not device_frame_measure(image, quad).found
    assert device_frame_measure(image, None).found


# -- screenshots ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", SEEDS)
def test_a_screenshot_is_a_recapture(kind, seed):
    for analysis in sides(generated(kind, seed, "screenshot")):
        measure = measure_recapture(analysis)
        assert not recapture_passes(measure), measure.evidence()
        assert {"noise_free", "no_camera_exif", "lossless_format", "screen_resolution"} <= set(measure.points)
        assert measure.facts.format == "PNG" and measure.facts.camera is None


def test_a_camera_photo_saved_as_png_without_exif_is_not_a_screenshot():
    analysis = analysis_of(generated("passport", 0).front)
    data = png(analysis.front.rgb)
    measure = recapture_measure(analysis.front.gray, data)
    assert set(measure.points) == {"no_camera_exif", "lossless_format"}
    assert recapture_passes(measure)


def test_a_jpeg_screenshot_without_exif_at_a_screen_size_is_still_a_recapture():
    pixels = np.asarray(Image.open(io.BytesIO(generated("passport", 0, "screenshot").front)).convert("RGB"))
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    measure = recapture_measure(gray, buffer.getvalue())
    assert set(measure.points) == {"noise_free", "no_camera_exif", "screen_resolution"}
    assert not recapture_passes(measure)


def test_file_facts_read_the_camera_and_the_stored_size():
    facts = file_facts(generated("id_card", 0).front)
    assert facts.format == "JPEG" and facts.camera and facts.size == (1600, 1000)
    assert not facts.screen_resolution
    assert (1080, 1920) in SCREEN_RESOLUTIONS and (1170, 2532) in SCREEN_RESOLUTIONS


def test_file_facts_read_a_png_cameras_exif_chunk():
    exif = Image.Exif()
    exif[271], exif[272] = "Apple", "iPhone 14"
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((64, 96, 3), np.uint8)).save(buffer, "PNG", exif=exif)
    facts = file_facts(buffer.getvalue())
    assert facts.format == "PNG" and facts.camera == "Apple iPhone 14" and facts.size == (96, 64)


def test_flat_share_ignores_noise_and_clipped_white():
    rng = np.random.default_rng(0)
    flat = np.full((400, 400), 90, np.uint8)
    assert flat_share(flat) == 1.0
    noisy = np.clip(90 + rng.normal(0, 2, (400, 400)), 0, 255).astype(np.uint8)
    assert flat_share(noisy) < 0.01
    assert flat_share(np.full((400, 400), 255, np.uint8)) == 0.0
