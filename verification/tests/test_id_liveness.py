"""verification.id_liveness: the three ID liveness pipelines on generated captures, and the provider plumbing."""

import io

import numpy as np
import pytest
from PIL import Image

from verification.document import document_detect
from verification.id_liveness import (
    PIPELINES,
    PaperPrintedHeuristic,
    ScreenReplayHeuristic,
    heuristic_providers,
    liveness_view,
    pipeline_score,
    portrait_locate,
)
from verification.imaging import analysis_image
from verification.providers import OnnxImageScoreProvider, ProviderScore
from verification.tests.registry_samples import KINDS, document, onnx_constant_model

THRESHOLD = 50  # the projects' default id_liveness_threshold


def view_of(data: bytes):
    image = analysis_image(Image.open(io.BytesIO(data)), max_side=1600)
    return image, liveness_view(image, document_detect(image))


def scores(data: bytes) -> dict[str, float]:
    _, view = view_of(data)
    return {name: pipeline_score(name, provider, view).score for name, provider in heuristic_providers().items()}


def test_the_pipelines_carry_the_code_tables_names():
    assert PIPELINES == {"screen_replay": "Screen replay", "paper_printed": "Paper printed",
                         "replaced_portrait": "Replace portraits"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_a_genuine_capture_passes_every_pipeline(kind, seed):
    result = scores(document(kind, seed).front)
    assert all(score >= THRESHOLD for score in result.values()), result


@pytest.mark.parametrize(("defect", "pipeline"), [
    ("screen_moire", "screen_replay"),
    ("device_frame", "screen_replay"),
    ("grayscale", "paper_printed"),
    ("replaced_portrait", "replaced_portrait"),
])
@pytest.mark.parametrize("kind", KINDS)
def test_each_attack_fails_its_pipeline(defect, pipeline, kind):
    result = scores(document(kind, 0, (defect,)).front)
    assert result[pipeline] < THRESHOLD, result


def test_the_view_shows_the_document_with_its_surroundings():
    doc = document("id_card", 3)
    image, view = view_of(doc.front)
    assert view.detected
    x0, y0, x1, y1 = view.document_box
    assert x1 - x0 == 1000 and x0 > 0 and y0 > 0
    assert view.rgb.shape[1] > x1 and view.rgb.shape[0] > y1  # a context band on every side
    # the document's corners in the view map back to the document quad of the photo
    corners = view.to_analysis([[x0, y0], [x1 - 1, y0], [x1 - 1, y1 - 1], [x0, y1 - 1]])
    truth = np.array(doc.truth["regions"]["document_quad"])
    assert np.abs(corners - truth).max() < 40


def test_without_a_detected_document_the_view_is_the_whole_image():
    image = analysis_image(Image.fromarray(np.full((500, 800, 3), 128, np.uint8)), max_side=1600)
    view = liveness_view(image, None)
    assert not view.detected and view.document_box == (0, 0, 1000, 625)
    assert np.allclose(view.to_analysis([[1000, 625]]), [[800, 500]])


def test_the_portrait_is_found_where_the_card_prints_it():
    doc = document("passport", 2)
    image, view = view_of(doc.front)
    found = portrait_locate(view.document)
    assert found is not None
    box, turned = found
    assert not turned
    x0, y0, x1, y1 = box
    w = view.document.shape[1]
    assert x1 < 0.45 * w and (x1 - x0) > 0.15 * w  # a portrait-sized region in the left part
    # and the replaced-portrait pipeline reports it, in view pixels
    result = pipeline_score("replaced_portrait", heuristic_providers()["replaced_portrait"], view)
    assert len(result.details["portrait_box"]) == 4


def test_a_plain_image_has_no_portrait_verdict():
    image = analysis_image(Image.fromarray(np.full((500, 800, 3), 180, np.uint8)), max_side=1600)
    result = pipeline_score("replaced_portrait", heuristic_providers()["replaced_portrait"], liveness_view(image, None))
    assert result.score == 100.0 and result.details["verdict"] == "portrait not found"


def test_heuristics_also_score_a_bare_image_as_providers():
    # The ImageScoreProvider protocol: score(rgb) on any image, taken as a view with a context band.
    _, view = view_of(document("id_card", 1, ("grayscale",)).front)
    assert PaperPrintedHeuristic().score(view.rgb).score < THRESHOLD
    result = ScreenReplayHeuristic().score(view.rgb)
    assert isinstance(result, ProviderScore) and 0 <= result.score <= 100


def test_an_onnx_provider_scores_the_view(tmp_path):
    pytest.importorskip("onnx")
    provider = OnnxImageScoreProvider(onnx_constant_model(tmp_path / "low.onnx", 0.2), input_size=(32, 32))
    _, view = view_of(document("passport", 0).front)
    result = pipeline_score("screen_replay", provider, view)
    assert result.score == pytest.approx(20.0) and result.provider == "onnx:low.onnx"
    assert result.label == "Screen replay"


def test_an_out_of_range_score_is_an_engine_failure():
    class Broken:
        name = "broken"

        def score(self, rgb, *, file_bytes=None):
            return ProviderScore(float("nan"))

    _, view = view_of(document("passport", 0).front)
    with pytest.raises(ValueError, match="not a score"):
        pipeline_score("paper_printed", Broken(), view)
