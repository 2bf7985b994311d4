"""A selfie of a generated document's holder: the document's own portrait, as a front camera sees it.

The portrait is cut from the photographed front (its box is in `truth["regions"]["portrait"]`),
enlarged to a phone selfie's width with a little lens blur and sensor grain, and encoded as a JPEG.
The face is the generator's procedural face, so Step 2's face comparison sees the same person on
the ID and in the selfie; nothing third-party is involved.
"""

import cv2
import numpy as np

from .capture import jpeg_encode
from .document import GeneratedDocument


def holder_selfie(doc: GeneratedDocument, *, seed: int = 0, width: int = 900) -> bytes:
    """JPEG bytes of a selfie of `doc`'s holder; raises ValueError for a document without a portrait."""
    box = doc.truth.get("regions", {}).get("portrait")
    if not box:
        raise ValueError("this generated document has no portrait")
    front = cv2.imdecode(np.frombuffer(doc.front, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    portrait = np.ascontiguousarray(front[max(0, y0):y1, max(0, x0):x1])
    h, w = portrait.shape[:2]
    big = cv2.resize(portrait, (width, round(h * width / w)), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(big, (0, 0), 0.6) + rng.standard_normal(big.shape[:2], dtype=np.float32)[..., None] * 2.5
    return jpeg_encode(np.clip(big, 0, 255).astype(np.uint8), quality=90)
