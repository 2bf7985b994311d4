"""PDF417 on the back of North-American driving licences: decode with zxing-cpp, parse AAMVA."""

from dataclasses import dataclass

import cv2
import numpy as np

from .aamva import AamvaData, aamva_parse


@dataclass
class BarcodeRead:
    text: str | None = None  # decoded PDF417 text (plain, control characters kept)
    data: AamvaData | None = None
    box: np.ndarray | None = None  # 4×2 float, TL TR BR BL, in `box_space` pixels of `side`
    box_space: str = "analysis"  # "analysis" | "document" (the rectified crop)
    side: str | None = None  # "front" | "back"
    attempts: int = 0  # decoder calls it took

    @property
    def found(self) -> bool:
        return self.text is not None


def _position_points(position) -> np.ndarray:
    return np.array([[position.top_left.x, position.top_left.y], [position.top_right.x, position.top_right.y],
                     [position.bottom_right.x, position.bottom_right.y],
                     [position.bottom_left.x, position.bottom_left.y]], dtype=float)


def _decode(gray: np.ndarray, **options) -> tuple[str, np.ndarray] | None:
    import zxingcpp  # the native module loads on first barcode, not at Django start

    results = zxingcpp.read_barcodes(
        np.ascontiguousarray(gray), formats=zxingcpp.BarcodeFormat.PDF417, text_mode=zxingcpp.TextMode.Plain,
        **options,
    )
    if not results:
        return None
    best = max(results, key=lambda r: len(r.text))
    return best.text, _position_points(best.position)


def barcode_read(gray: np.ndarray, *, document: np.ndarray | None = None) -> "BarcodeRead":
    """The PDF417 in a side's rectified document crop, else in its grayscale analysis image.

    Attempts, cheapest and likeliest first: the rectified crop (perspective removed: on the
    generator's licence backs it decodes every time, where the raw photo fails about one in four),
    the whole image (zxing tries rotations and downscales itself), the crop turned 180°, then the
    crop sharpened and upscaled 1.5× (thin modules on a small card).
    """
    read = BarcodeRead()
    attempts = []
    crop = None
    if document is not None:
        crop = cv2.cvtColor(document, cv2.COLOR_RGB2GRAY) if document.ndim == 3 else document
        attempts.append(("upright", crop))
    attempts.append(("image", gray))
    if crop is not None:
        height, width = crop.shape[:2]
        sharp = cv2.addWeighted(crop, 1.6, cv2.GaussianBlur(crop, (0, 0), 2), -0.6, 0)
        attempts += [
            ("rotated", cv2.rotate(crop, cv2.ROTATE_180)),
            ("sharpened", cv2.resize(sharp, (round(width * 1.5), round(height * 1.5)),
                                     interpolation=cv2.INTER_CUBIC)),
        ]
    for name, variant in attempts:
        read.attempts += 1
        found = _decode(variant, try_downscale=name != "sharpened")
        if found is None:
            continue
        read.text, box = found
        if name == "image":
            read.box, read.box_space = box, "analysis"
        else:
            if name == "rotated":
                box = np.array([width - 1, height - 1]) - box
            elif name == "sharpened":
                box = box / 1.5
            read.box, read.box_space = box, "document"
        read.data = aamva_parse(read.text)
        return read
    return read
