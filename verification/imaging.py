"""Images as the analyses see them: upright, RGB, at a bounded size, as numpy arrays.

Every analysis works on the same bounded copy (KYC_ANALYSIS_MAX_SIDE) so time and memory do
not grow with the camera's resolution; `scale` maps analysis coordinates back to the
stored image for evidence.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .memo import memoized_property

# `image.info` key of the upright size of the image as stored, when the decoded image was
# reduced on decode (submissions.images): analysis coordinates map back to the stored image.
ORIGINAL_SIZE_INFO = "kycreview.original_size"


@dataclass
class AnalysisImage:
    rgb: np.ndarray  # H×W×3 uint8, RGB
    scale: float  # original pixels per analysis pixel (≥ 1)

    @memoized_property
    def gray(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    @memoized_property
    def bgr(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2BGR)

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def width(self) -> int:
        return self.rgb.shape[1]

    def to_original(self, points) -> list:
        """Analysis coordinates (a box or a list of points) to stored-image coordinates."""
        return (np.asarray(points, dtype=float) * self.scale).round(1).tolist()


def analysis_image(image: Image.Image, *, max_side: int) -> AnalysisImage:
    """An upright PIL image (EXIF already applied) reduced to at most `max_side`.

    `scale` is relative to the stored image (ORIGINAL_SIZE_INFO), which may be larger than
    `image` when the upload was reduced on decode.
    """
    original = max(image.info.get(ORIGINAL_SIZE_INFO) or image.size)
    factor = max(image.width, image.height) / max_side
    if factor > 1:
        # Resize before the RGB conversion: the full-size RGB copy is never made.
        target = (round(image.width / factor), round(image.height / factor))
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image = image.resize(target, Image.Resampling.LANCZOS)
    rgb = np.asarray(image.convert("RGB") if image.mode != "RGB" else image)
    return AnalysisImage(rgb=rgb, scale=max(1.0, original / max(rgb.shape[1], rgb.shape[0])))
