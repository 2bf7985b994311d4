"""Image score providers: the ONNX contract (with tiny models built here) and the camera-noise heuristic."""

import io

import numpy as np
import pytest
from PIL import Image

from verification.providers import (
    CameraNoiseProvider,
    ImageScoreProvider,
    OnnxImageScoreProvider,
    ProviderError,
    ProviderScore,
    image_score_provider,
)
from verification.tests.tamper_samples import generated, onnx_model, synthetic_render

pytest.importorskip("onnx")  # builds the tiny test models (requirements-dev.txt)


PLAIN = {"input_size": (32, 32), "mean": (0, 0, 0), "std": (1, 1, 1)}  # input = pixel / 255


def flat(value: int, size=(48, 64)) -> np.ndarray:
    return np.full((*size, 3), value, np.uint8)


# -- ONNX contract ----------------------------------------------------------------------------------


def test_onnx_probability_output_is_the_score_in_percent(tmp_path):
    # given a model whose output is the mean of its input, fed pixel/255
    provider = OnnxImageScoreProvider(onnx_model(tmp_path / "mean.onnx"), **PLAIN)
    # when / then
    assert provider.score(flat(255)).score == pytest.approx(100.0)
    assert provider.score(flat(0)).score == pytest.approx(0.0)
    result = provider.score(flat(51))
    assert result.score == pytest.approx(20.0, abs=0.01)
    assert result.details["model"] == "mean.onnx" and result.details["p_genuine"] == pytest.approx(0.2, abs=1e-3)


def test_onnx_normalisation_and_channel_order_reach_the_model(tmp_path):
    path = onnx_model(tmp_path / "mean.onnx")
    rgb = np.zeros((40, 40, 3), np.uint8)
    rgb[..., 0] = 255  # red only: the mean over channels is 1/3
    assert OnnxImageScoreProvider(path, **PLAIN).score(rgb).score == pytest.approx(100 / 3, abs=0.01)
    # (x/255 - 0.5) / 0.5 maps red to [1, -1, -1]: mean -1/3, clipped to 0
    centred = OnnxImageScoreProvider(path, input_size=(32, 32), mean=(0.5,) * 3, std=(0.5,) * 3)
    assert centred.score(rgb).score == 0.0
    bgr = OnnxImageScoreProvider(path, channel_order="BGR", **PLAIN)
    assert bgr.score(rgb).score == pytest.approx(100 / 3, abs=0.01)


def test_onnx_attack_output_is_inverted(tmp_path):
    provider = OnnxImageScoreProvider(onnx_model(tmp_path / "mean.onnx"), positive="attack", **PLAIN)
    assert provider.score(flat(51)).score == pytest.approx(80.0, abs=0.01)


def test_onnx_two_class_logits_go_through_a_softmax(tmp_path):
    path = onnx_model(tmp_path / "logits.onnx", body="two_logits")
    genuine_first = OnnxImageScoreProvider(path, output="logits", genuine_index=0, **PLAIN)
    genuine_second = OnnxImageScoreProvider(path, output="logits", genuine_index=1, **PLAIN)
    # logits [m, -m] with m = 1 (a white image): softmax = [e/(e+1/e), ...]
    expected = 100 * np.exp(1) / (np.exp(1) + np.exp(-1))
    assert genuine_first.score(flat(255)).score == pytest.approx(expected, abs=0.01)
    assert genuine_second.score(flat(255)).score == pytest.approx(100 - expected, abs=0.01)


def test_onnx_single_logit_goes_through_a_sigmoid(tmp_path):
    provider = OnnxImageScoreProvider(onnx_model(tmp_path / "mean.onnx"), output="logits", **PLAIN)
    assert provider.score(flat(0)).score == pytest.approx(50.0)


def test_onnx_nhwc_layout_and_letterbox(tmp_path):
    path = onnx_model(tmp_path / "nhwc.onnx", shape=(1, 32, 32, 3))
    provider = OnnxImageScoreProvider(path, layout="NHWC", resize="letterbox", **PLAIN)
    # a 2:1 white image letterboxed into 32x32 fills half of it; the padding is zero
    assert provider.score(flat(255, size=(40, 80))).score == pytest.approx(50.0, abs=0.5)


def test_onnx_model_with_another_input_size_is_refused(tmp_path):
    provider = OnnxImageScoreProvider(onnx_model(tmp_path / "mean.onnx"), input_size=(64, 64))
    with pytest.raises(ProviderError, match="does not accept"):
        provider.score(flat(10))


def test_onnx_missing_model_is_a_provider_error(tmp_path):
    provider = OnnxImageScoreProvider(tmp_path / "absent.onnx")
    with pytest.raises(ProviderError, match="does not exist"):
        provider.score(flat(10))


def test_onnx_unloadable_model_is_a_provider_error(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"not a model")
    with pytest.raises(ProviderError, match="cannot load"):
        OnnxImageScoreProvider(path).score(flat(10))


@pytest.mark.parametrize("options", [{"layout": "CHW"}, {"output": "score"}, {"positive": "fake"},
                                     {"resize": "crop"}])
def test_onnx_unknown_contract_options_are_refused(tmp_path, options):
    with pytest.raises(ProviderError):
        OnnxImageScoreProvider(tmp_path / "m.onnx", **options)


def test_onnx_genuine_index_outside_the_output_is_refused(tmp_path):
    provider = OnnxImageScoreProvider(onnx_model(tmp_path / "logits.onnx", body="two_logits"),
                                      output="logits", genuine_index=2, **PLAIN)
    with pytest.raises(ProviderError, match="genuine_index"):
        provider.score(flat(10))


# -- selection -------------------------------------------------------------------------------------


def test_empty_model_path_selects_the_heuristic_and_providers_are_cached(tmp_path):
    heuristic = image_score_provider("")
    assert isinstance(heuristic, CameraNoiseProvider) and image_score_provider(None) is heuristic
    path = onnx_model(tmp_path / "mean.onnx")
    onnx_provider = image_score_provider(path, {"input_size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1]})
    assert isinstance(onnx_provider, OnnxImageScoreProvider) and onnx_provider.input_size == (32, 32)
    assert image_score_provider(path, {"input_size": [32, 32], "mean": [0, 0, 0], "std": [1, 1, 1]}) is onnx_provider
    for provider in (heuristic, onnx_provider):
        assert isinstance(provider, ImageScoreProvider)


def test_unknown_provider_options_are_refused():
    with pytest.raises(ProviderError, match="unknown"):
        image_score_provider("model.onnx", {"input_sizes": [224, 224]})


# -- heuristic -------------------------------------------------------------------------------------


def decoded(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.mark.parametrize("kind", ["passport", "id_card", "drivers_license"])
@pytest.mark.parametrize("seed", [0, 1])
def test_heuristic_scores_camera_photos_as_genuine(kind, seed):
    document = generated(kind, seed)
    result = CameraNoiseProvider().score(decoded(document.front), file_bytes=document.front)
    assert result.score == 100.0, result.details
    assert result.details["camera"] and result.details["jpeg_quality"] in range(85, 96)


@pytest.mark.parametrize("kind", ["passport", "id_card", "drivers_license"])
def test_heuristic_keeps_photocopies_and_blurred_photos_genuine(kind):
    for defect in ("grayscale", "blurred"):
        document = generated(kind, 0, defect)
        assert CameraNoiseProvider().score(decoded(document.front)).score == 100.0, defect


@pytest.mark.parametrize("kind", ["passport", "id_card", "drivers_license"])
@pytest.mark.parametrize("seed", [0, 1])
def test_heuristic_catches_a_document_rendered_without_a_camera(kind, seed):
    data = synthetic_render(kind, seed)
    result = CameraNoiseProvider().score(decoded(data), file_bytes=data)
    assert result.score < 20, result.details
    assert result.details["camera"] is None and result.details["luma_noise"] < 0.15


def test_heuristic_without_flat_areas_gives_no_verdict():
    rng = np.random.default_rng(1)
    texture = (rng.random((300, 400, 3)) * 255).astype(np.uint8)  # all edges, nothing flat
    result = CameraNoiseProvider().score(texture)
    assert result == ProviderScore(100.0, result.details) and "verdict" in result.details
