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
    """An upright PIL image (EXIF already applied) reduced to at most `max_side`."""
    rgb = image.convert("RGB")
    scale = max(rgb.width, rgb.height) / max_side
    if scale > 1:
        rgb = rgb.resize((round(rgb.width / scale), round(rgb.height / scale)), Image.Resampling.LANCZOS)
    else:
        scale = 1.0
    return AnalysisImage(rgb=np.asarray(rgb), scale=scale)
