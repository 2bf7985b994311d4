"""Image score providers: something that looks at an image and says how genuine it is, 0 to 100.

A provider is any object with a `name` and `score(rgb) -> ProviderScore` (`ImageScoreProvider`).
Two kinds ship, and any check may use either:

- `CameraNoiseProvider`: an offline heuristic, no model. A camera photo carries sensor noise in
  its flat areas (luma grain and blotchy chroma, filtered by the JPEG encoder); an image rendered
  by a program - a document template filled in and exported, a screenshot, most composites - has
  none. It cannot tell a modern generative model's output from a photo (those synthesise noise-like
  texture): that is what the ONNX provider is for.
- `OnnxImageScoreProvider`: runs an operator-supplied ONNX classifier with onnxruntime, CPU only,
  nothing downloaded. The model contract (what the file must accept and return):

  * one input: float32, shape [1, 3, H, W] (layout "NCHW", default) or [1, H, W, 3] ("NHWC");
    the image is resized to `input_size` = (W, H) ("stretch", or "letterbox" padding with zeros
    after normalisation), channels in `channel_order` ("RGB" default, or "BGR"), values
    `(pixel * scale - mean) / std` per channel (defaults: scale 1/255, ImageNet mean and std);
  * one output (the first, or `output_name`): either a single value or a vector of K classes.
    `output="probability"`: the value (or element `genuine_index`) is P(genuine) in [0, 1];
    `output="logits"`: a single logit goes through a sigmoid, K logits through a softmax, then
    element `genuine_index` is P(genuine). `positive="attack"` says the single value is
    P(attack/generated) instead; the score is then 1 - P.
  * score = 100 × P(genuine).

`image_score_provider(model_path, options)` builds (and caches) the provider a setting names: an
empty path selects the heuristic. Checks call it with their own settings (e.g.
KYC_ARTIFICIAL_IMAGE_MODEL / KYC_ARTIFICIAL_IMAGE_MODEL_OPTIONS), so other checks reuse the same
machinery with their own model.
"""

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np

from .tamper import ForensicImage, image_metadata_read, jpeg_quality_estimate, score_between


@dataclass(frozen=True)
class ProviderScore:
    score: float  # 0-100, higher = more genuine
    details: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ImageScoreProvider(Protocol):
    name: str

    def score(self, rgb: np.ndarray, *, file_bytes: bytes | None = None) -> ProviderScore:
        """Score an RGB uint8 image (H×W×3). `file_bytes`, when given, are the encoded upload."""
        ...


class ProviderError(Exception):
    """A provider cannot be built or run (missing model, wrong tensor contract)."""


# -- heuristic -------------------------------------------------------------------------------------

HEURISTIC_MAX_SIDE = 1600  # the analysis image's bound; larger inputs are reduced first
# Noise in flat areas, measured at half the analysis resolution: mean |Y - blur| for luma, the sum of
# |C - blur| over Cr and Cb for chroma. Rendered images measure 0.07-0.10 (luma) and 0.13-0.19
# (chroma); the generator's camera photos 0.75-1.5 and 0.4-0.9. Score 0 at the first value, 100 at
# the second; the better of luma and chroma counts, so a photocopy (no chroma) or a chroma-denoised
# phone photo still reads as a camera image.
LUMA_NOISE_BAD, LUMA_NOISE_GOOD = 0.22, 0.45
CHROMA_NOISE_BAD, CHROMA_NOISE_GOOD = 0.25, 0.40
HEURISTIC_MIN_FLAT_SHARE = 0.02  # below this share of flat pixels the image is all texture: no verdict


def camera_noise_features(rgb: np.ndarray) -> dict[str, float]:
    """Flat-area noise of an RGB image at half of (at most) 1600 px: flat share, luma and chroma noise, slope."""
    image = ForensicImage(_bounded(rgb, HEURISTIC_MAX_SIDE))
    if image.too_small:
        return {"flat_share": 0.0}
    flat = image.flat_half
    features: dict[str, float] = {"flat_share": float(flat.mean())}
    count = float(flat.sum())
    if count:
        y = image.half[0]
        luma = cv2.absdiff(y, cv2.GaussianBlur(y, (0, 0), 1.0))
        features["luma_noise"] = float(cv2.sumElems(luma * flat)[0] / count)
        features["chroma_noise"] = float(cv2.sumElems(image.chroma_residual * flat)[0] / count)
        features["residual_spectral_slope"] = _residual_spectral_slope(y, flat)
    return features


class CameraNoiseProvider:
    """Heuristic: is there camera sensor noise in the image's flat areas? (see module docstring)"""

    name = "camera_noise_heuristic"

    def score(self, rgb: np.ndarray, *, file_bytes: bytes | None = None) -> ProviderScore:
        features = camera_noise_features(rgb)
        details: dict[str, Any] = {key: None if value is None else round(value, 3) for key, value in features.items()}
        if file_bytes is not None:
            details.update(_file_provenance(file_bytes))
        if features["flat_share"] < HEURISTIC_MIN_FLAT_SHARE:
            details["verdict"] = "no flat area to read noise in"
            return ProviderScore(100.0, details)
        by_luma = score_between(features["luma_noise"], LUMA_NOISE_BAD, LUMA_NOISE_GOOD)
        by_chroma = score_between(features["chroma_noise"], CHROMA_NOISE_BAD, CHROMA_NOISE_GOOD)
        details.update({"luma_score": by_luma, "chroma_score": by_chroma})
        return ProviderScore(max(by_luma, by_chroma), details)


def _bounded(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    factor = max_side / max(h, w)
    if factor >= 1:
        return rgb
    return cv2.resize(rgb, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)


def _residual_spectral_slope(luma: np.ndarray, flat: np.ndarray) -> float | None:
    """Slope of log power against log frequency of the noise residual in the largest flat tile.

    White sensor noise after JPEG falls gently (slope ~ -1); a rendered gradient has almost no
    residual and a steep or erratic spectrum. Reported for review, not scored: JPEG quality moves
    it as much as provenance does.
    """
    tile = 32
    h, w = luma.shape
    if h < tile or w < tile:
        return None
    shares = cv2.resize(flat, (w // tile, h // tile), interpolation=cv2.INTER_AREA)
    ty, tx = np.unravel_index(int(np.argmax(shares)), shares.shape)
    if shares[ty, tx] < 0.8:
        return None
    patch = luma[ty * tile:(ty + 1) * tile, tx * tile:(tx + 1) * tile]
    residual = patch - cv2.GaussianBlur(patch, (0, 0), 2.0)
    power = np.abs(np.fft.fftshift(np.fft.fft2(residual * np.outer(np.hanning(tile), np.hanning(tile))))) ** 2
    yy, xx = np.indices(power.shape) - tile // 2
    radius = np.hypot(yy, xx).astype(int)
    radial = np.bincount(radius.ravel(), power.ravel()) / np.maximum(np.bincount(radius.ravel()), 1)
    band = np.arange(4, tile // 2)
    if radial[band].min() <= 0:
        return None
    return float(np.polyfit(np.log(band), np.log(radial[band]), 1)[0])


def _file_provenance(data: bytes) -> dict[str, Any]:
    """What the file says about where it came from (reported with the score, not scored)."""
    meta = image_metadata_read(data)
    quality, standard = jpeg_quality_estimate(meta.quantization)
    return {"format": meta.format, "camera": " ".join(filter(None, (meta.make, meta.model))) or None,
            "jpeg_quality": quality, "jpeg_standard_tables": standard if quality is not None else None}


# -- ONNX ------------------------------------------------------------------------------------------

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class OnnxImageScoreProvider:
    """An operator-supplied ONNX classifier (contract in the module docstring), CPU onnxruntime."""

    def __init__(self, model_path: str | Path, *, input_size: tuple[int, int] = (224, 224),
                 mean=IMAGENET_MEAN, std=IMAGENET_STD, scale: float = 1 / 255, layout: str = "NCHW",
                 channel_order: str = "RGB", resize: str = "stretch", output: str = "probability",
                 genuine_index: int = 0, positive: str = "genuine", input_name: str | None = None,
                 output_name: str | None = None, name: str | None = None, threads: int = 1) -> None:
        self.model_path = Path(model_path)
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.mean = np.asarray(mean, dtype=np.float32).reshape(1, 1, 3)
        self.std = np.asarray(std, dtype=np.float32).reshape(1, 1, 3)
        self.scale = float(scale)
        self.layout = layout.upper()
        self.channel_order = channel_order.upper()
        self.resize = resize
        self.output = output
        self.genuine_index = int(genuine_index)
        self.positive = positive
        self.threads = int(threads)
        self.name = name or f"onnx:{self.model_path.name}"
        if self.layout not in ("NCHW", "NHWC") or self.channel_order not in ("RGB", "BGR"):
            raise ProviderError(f"unsupported layout/channel order {layout}/{channel_order}")
        if output not in ("probability", "logits") or positive not in ("genuine", "attack"):
            raise ProviderError(f"unsupported output {output!r} / positive {positive!r}")
        if resize not in ("stretch", "letterbox"):
            raise ProviderError(f"unsupported resize {resize!r}")
        self._session = None
        self._lock = threading.Lock()
        self._input_name, self._output_name = input_name, output_name

    @property
    def session(self):
        """The onnxruntime session, created on first use (loading a model is not free)."""
        with self._lock:
            if self._session is None:
                self._session = self._load()
        return self._session

    def _load(self):
        import onnxruntime as ort  # imported lazily: only deployments with a model pay for it

        if not self.model_path.is_file():
            raise ProviderError(f"ONNX model {self.model_path} does not exist")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(self.model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception zoo
            raise ProviderError(f"cannot load ONNX model {self.model_path}: {exc}") from exc
        inputs = session.get_inputs()
        if len(inputs) != 1 and self._input_name is None:
            raise ProviderError(f"model has {len(inputs)} inputs; set input_name")
        model_input = next((i for i in inputs if i.name == self._input_name), inputs[0])
        if len(model_input.shape) != 4:
            raise ProviderError(f"model input {model_input.name} has rank {len(model_input.shape)}, expected 4")
        width, height = self.input_size
        expected = [1, 3, height, width] if self.layout == "NCHW" else [1, height, width, 3]
        for declared, wanted in zip(model_input.shape, expected, strict=True):
            if isinstance(declared, int) and declared != wanted:
                raise ProviderError(f"model input shape {model_input.shape} does not accept {expected}")
        self._input_name = model_input.name
        self._output_name = self._output_name or session.get_outputs()[0].name
        return session

    def preprocess(self, rgb: np.ndarray) -> np.ndarray:
        width, height = self.input_size
        image = rgb if self.channel_order == "RGB" else rgb[..., ::-1]
        if self.resize == "stretch":
            resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            tensor = (resized.astype(np.float32) * self.scale - self.mean) / self.std
        else:
            h, w = image.shape[:2]
            factor = min(width / w, height / h)
            size = (max(1, round(w * factor)), max(1, round(h * factor)))
            resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            tensor = np.zeros((height, width, 3), np.float32)
            oy, ox = (height - size[1]) // 2, (width - size[0]) // 2
            tensor[oy:oy + size[1], ox:ox + size[0]] = (resized.astype(np.float32) * self.scale - self.mean) / self.std
        if self.layout == "NCHW":
            tensor = tensor.transpose(2, 0, 1)
        return np.ascontiguousarray(tensor[None], dtype=np.float32)

    def probability(self, raw: np.ndarray) -> float:
        """P(genuine) from the model's raw output (see the contract)."""
        values = np.asarray(raw, dtype=np.float64).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise ProviderError(f"model output {values!r} is not a finite score")
        if values.size == 1:
            p = values[0] if self.output == "probability" else 1 / (1 + np.exp(-values[0]))
            p = float(np.clip(p, 0.0, 1.0))
            return 1.0 - p if self.positive == "attack" else p
        if not 0 <= self.genuine_index < values.size:
            raise ProviderError(f"genuine_index {self.genuine_index} outside the model's {values.size} outputs")
        if self.output == "logits":
            exp = np.exp(values - values.max())
            values = exp / exp.sum()
        return float(np.clip(values[self.genuine_index], 0.0, 1.0))

    def score(self, rgb: np.ndarray, *, file_bytes: bytes | None = None) -> ProviderScore:
        session = self.session
        raw = session.run([self._output_name], {self._input_name: self.preprocess(rgb)})[0]
        p = self.probability(raw)
        return ProviderScore(round(100.0 * p, 2), {"model": self.model_path.name, "p_genuine": round(p, 4),
                                                   "raw": np.asarray(raw, dtype=float).ravel()[:8].round(4).tolist()})


# -- selection ---------------------------------------------------------------------------------------

_ONNX_OPTIONS = {"input_size", "mean", "std", "scale", "layout", "channel_order", "resize", "output",
                 "genuine_index", "positive", "input_name", "output_name", "name", "threads"}
_CACHE: dict[tuple, ImageScoreProvider] = {}
_CACHE_LOCK = threading.Lock()


def image_score_provider(model_path: str | None, options: dict | None = None) -> ImageScoreProvider:
    """The provider a setting names: the heuristic for an empty path, else an ONNX model (cached).

    Raises ProviderError on unknown options; a missing or malformed model file fails on first use.
    """
    options = dict(options or {})
    unknown = set(options) - _ONNX_OPTIONS
    if unknown:
        raise ProviderError(f"unknown ONNX provider options {sorted(unknown)}")
    if "input_size" in options:
        options["input_size"] = tuple(options["input_size"])
    key = (model_path or "", tuple(sorted((k, repr(v)) for k, v in options.items())))
    with _CACHE_LOCK:
        provider = _CACHE.get(key)
        if provider is None:
            provider = OnnxImageScoreProvider(model_path, **options) if model_path else CameraNoiseProvider()
            _CACHE[key] = provider
    return provider
