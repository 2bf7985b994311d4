"""Every Step 1 analysis of one document (front and optional back), each computed once, lazily.

Checks share one `DocumentAnalysis` per request (see `submissions.checks.analysis`): the
bounded analysis images, the document detections and rectified crops, ONE OCR pass per side,
the MRZ and the PDF417 barcode. Nothing here knows about HTTP or models.

Coordinates: detections, OCR boxes and barcode boxes are in the side's analysis-image pixels;
`to_original(side, points)` maps them to the stored image for evidence. OCR runs on the
rectified document crop when a document was detected (smaller, upright, fronto-parallel) and
its boxes are mapped back through the inverse homography; each line keeps its crop box in
`OcrLine.doc_box` for layout reasoning.
"""

from datetime import date

import cv2
import numpy as np
from PIL import Image

from .barcode import BarcodeRead, barcode_read
from .document import DocumentDetection, document_detect, document_rectify
from .fields import PrintedFields, fields_read, normalise
from .imaging import AnalysisImage, analysis_image
from .memo import memoized_property
from .ocr import MrzRead, OcrLine, mrz_read, mrz_reconcile_number, ocr_read
from .profiles import DRIVERS_LICENSE, GOVERNMENT_ID, ID_TYPES, KEYWORDS, PASSPORT, DocumentProfile, document_profile
from .thresholds import ThresholdSpec, threshold, thresholds_register

thresholds_register({
    "document.min_text_lines": ThresholdSpec(
        3, "OCR lines a detected document must carry to count as a text-bearing document (a mug or a "
        "book cover outlined by the detector carries fewer)."),
    "document.min_text_lines_undetected": ThresholdSpec(
        8, "OCR lines that make an image a text-bearing document even when no outline was detected."),
})

# Width of the rectified crop: ~5 px per MRZ character stroke on a TD1 back, enough for the
# recogniser, and small enough that one detection pass over the crop stays cheap.
DOCUMENT_CROP_WIDTH = 1100

SIDES = ("front", "back")


def _transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)


class DocumentAnalysis:
    """The Step 1 analyses of one document. Every property is computed on first access."""

    def __init__(self, *, front: Image.Image, front_bytes: bytes, back: Image.Image | None = None,
                 back_bytes: bytes | None = None, requested_id_type: str, country: str, max_side: int,
                 today: date | None = None) -> None:
        self._front_image, self.front_bytes = front, front_bytes
        self._back_image, self.back_bytes = back, back_bytes
        self.requested_id_type = requested_id_type
        self.country = (country or "").upper()
        self.max_side = max_side
        self.today = today or date.today()
        # Set by the universal type check once the document's own type is known.
        self.resolved_id_type: str | None = None
        # side -> (crop, matrix analysis->crop) that OCR read: set by the side's OCR pass.
        self._readings: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    # -- images ----------------------------------------------------------------------------------

    @memoized_property
    def front(self) -> AnalysisImage:
        return analysis_image(self._front_image, max_side=self.max_side)

    @memoized_property
    def back(self) -> AnalysisImage | None:
        if self._back_image is None:
            return None
        return analysis_image(self._back_image, max_side=self.max_side)

    def warm(self, *names: str) -> None:
        """Compute the named analyses now (a check's prefetch), so that a later read finds them ready."""
        for name in names:
            getattr(self, name)

    def image(self, side: str) -> AnalysisImage | None:
        return self.front if side == "front" else self.back

    def to_original(self, side: str, points) -> list:
        """Analysis-image points of `side` in stored-image pixels (for evidence)."""
        return self.image(side).to_original(points)

    # -- detection and rectified crops -----------------------------------------------------------

    @memoized_property
    def front_detection(self) -> DocumentDetection | None:
        return document_detect(self.front)

    @memoized_property
    def back_detection(self) -> DocumentDetection | None:
        return document_detect(self.back) if self.back is not None else None

    def detection(self, side: str) -> DocumentDetection | None:
        return self.front_detection if side == "front" else self.back_detection

    @memoized_property
    def _front_rectified(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.front_detection is None:
            return None
        return document_rectify(self.front, self.front_detection, width=DOCUMENT_CROP_WIDTH)

    @memoized_property
    def _back_rectified(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.back_detection is None:
            return None
        return document_rectify(self.back, self.back_detection, width=DOCUMENT_CROP_WIDTH)

    def rectified(self, side: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(crop, matrix analysis->crop) of `side`, or None when no document was detected."""
        return self._front_rectified if side == "front" else self._back_rectified

    @property
    def front_document(self) -> np.ndarray | None:
        rect = self._front_rectified
        return None if rect is None else rect[0]

    @property
    def back_document(self) -> np.ndarray | None:
        rect = self._back_rectified
        return None if rect is None else rect[0]

    def document(self, side: str) -> np.ndarray | None:
        return self.front_document if side == "front" else self.back_document

    def crop_to_analysis(self, side: str, points) -> np.ndarray:
        """Points of the rectified crop of `side` in analysis-image pixels."""
        rect = self.rectified(side)
        if rect is None:
            return np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return _transform(points, np.linalg.inv(rect[1]))

    # -- OCR ---------------------------------------------------------------------------------------

    def _ocr(self, side: str) -> list[OcrLine]:
        image = self.image(side)
        if image is None:
            return []
        rect = self.rectified(side)
        if rect is None:
            lines = ocr_read(image.rgb)
            for line in lines:
                line.doc_box = None
            return lines
        crop, matrix = rect
        lines = ocr_read(crop)
        if _reads_poorly(lines):
            # The outline fixes the card up to a half turn: a card lying upside down reads as noise.
            turned_crop = np.ascontiguousarray(crop[::-1, ::-1])
            turned = ocr_read(turned_crop)
            if _read_quality(turned) > _read_quality(lines):
                h, w = crop.shape[:2]
                flip = np.array([[-1, 0, w - 1], [0, -1, h - 1], [0, 0, 1]], dtype=np.float64)
                crop, matrix, lines = turned_crop, flip @ matrix, turned
        # The read crop is kept apart from `rectified(side)`: capture measures and the barcode use the
        # outline's crop whatever OCR found, so their results do not depend on when OCR finished.
        self._readings[side] = (crop, matrix)
        inverse = np.linalg.inv(matrix)
        for line in lines:
            line.doc_box = line.box
            line.box = _transform(line.box, inverse)
        return lines

    def reading(self, side: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(crop, matrix analysis->crop) that OCR read on `side`: the rectified crop, turned a half turn
        when the card lay upside down; None when no document was detected. Reads `side` if not yet read."""
        self.ocr(side)
        return self._readings.get(side)

    @memoized_property
    def front_ocr(self) -> list[OcrLine]:
        return self._ocr("front")

    @memoized_property
    def back_ocr(self) -> list[OcrLine]:
        return self._ocr("back")

    def ocr(self, side: str) -> list[OcrLine]:
        return self.front_ocr if side == "front" else self.back_ocr

    def ocr_source(self, side: str) -> np.ndarray | None:
        """The pixels OCR read on `side` (the upright rectified crop, else the analysis image)."""
        rect = self.reading(side)
        if rect is not None:
            return rect[0]
        image = self.image(side)
        return None if image is None else image.rgb

    # -- machine-readable data ---------------------------------------------------------------------

    @property
    def id_type(self) -> str:
        """The document type the checks hold the document to: resolved (universal) or requested."""
        return self.resolved_id_type or self.requested_id_type

    @property
    def profile(self) -> DocumentProfile:
        return document_profile(self.country, self.id_type)

    # -- presence ----------------------------------------------------------------------------------

    def ocr_line_count(self, side: str) -> int | None:
        """OCR lines read on `side`, or None when that side was never read (no pass was needed)."""
        lines = self.__dict__.get("front_ocr" if side == "front" else "back_ocr")
        return None if lines is None else len(lines)

    def _barcode_decoded_on(self, side: str) -> bool:
        return self.barcode.data is not None and self.barcode.side == side

    def document_present(self, side: str) -> bool:
        """A text-bearing document is on `side`: a decoded AAMVA barcode, an outlined document carrying
        text, or a lot of text.

        The barcode is tried first: it costs a few milliseconds, where an OCR pass of a licence back
        costs half a second and adds nothing once the PDF417 has been read."""
        if self._barcode_decoded_on(side):
            return True
        lines = len(self.ocr(side))
        if self.detection(side) is not None and lines >= threshold("document.min_text_lines"):
            return True
        return lines >= threshold("document.min_text_lines_undetected")

    @memoized_property
    def text_bearing(self) -> bool:
        """Any side shows a text-bearing document (gates the MRZ/barcode protocol answers)."""
        return any(self.document_present(side) for side in SIDES if self.image(side) is not None)

    @property
    def abnormal_pose_sides(self) -> list[str]:
        return [side for side in SIDES if self.image(side) is not None and self.detection(side) is not None
                and self.detection(side).is_abnormal_pose]

    # -- printed fields ----------------------------------------------------------------------------

    @memoized_property
    def front_fields(self) -> PrintedFields:
        return fields_read(self.front_ocr, country=self.country)

    @memoized_property
    def detected_id_type(self) -> tuple[str | None, str]:
        """(id type, how it was known) from the document itself: MRZ code, AAMVA subfile, title words."""
        if self.mrz.data is not None and self.mrz.data.document_type in ID_TYPES:
            return self.mrz.data.document_type, f"mrz:{self.mrz.data.document_code}"
        if self.barcode.data is not None:
            return self.barcode.data.document_type, f"aamva:{self.barcode.data.subfile_type}"
        text = " ".join(normalise(line.text) for line in self.front_ocr[:12])
        for id_type in (DRIVERS_LICENSE, PASSPORT, GOVERNMENT_ID):
            for word in KEYWORDS[id_type]:
                if normalise(word) in text:
                    return id_type, f"keyword:{word}"
        return None, "unknown"

    @memoized_property
    def mrz(self) -> MrzRead:
        """The MRZ: on the side the profile expects it first, then on the other side."""
        sides = [s for s in SIDES if self.image(s) is not None]
        if self.profile.mrz_side in sides:
            sides.remove(self.profile.mrz_side)
            sides.insert(0, self.profile.mrz_side)
        best = MrzRead()
        for side in sides:
            if side != self.profile.mrz_side and self._barcode_decoded_on(side):
                continue  # a side that carries a decoded AAMVA barcode is a licence, not an MRZ page
            read = mrz_read(self.ocr(side), self.ocr_source(side), side=side)
            if read.found:
                read.lines = [self._line_to_analysis(side, line) for line in read.lines]
            if read.data is not None:
                reconciled = mrz_reconcile_number(read.data, self.front_fields.get("document_number"))
                if reconciled is not None:
                    read.reconciled = {"field": "document_number", "from": read.data.document_number,
                                       "to": reconciled.document_number, "source": "printed"}
                    read.data = reconciled
                return read
            if read.found and not best.found:
                best = read
        return best

    def _line_to_analysis(self, side: str, line: OcrLine) -> OcrLine:
        """A re-read MRZ line carries its crop box in `doc_box`; give it analysis coordinates."""
        rect = self.reading(side)
        if line.doc_box is not None and rect is not None:
            line.box = _transform(line.doc_box, np.linalg.inv(rect[1]))
        return line

    @memoized_property
    def barcode(self) -> BarcodeRead:
        """The PDF417: on the back (where licences carry it); on the front only for a one-image licence."""
        sides = ["back"] if self.back is not None else (["front"] if self.profile.barcode else [])
        for side in sides:
            image = self.image(side)
            rect = self.rectified(side)
            read = barcode_read(image.gray, document=None if rect is None else rect[0])
            if read.found:
                read.side = side
                if read.box is not None and read.box_space == "document":
                    read.box = self.crop_to_analysis(side, read.box)
                    read.box_space = "analysis"
                return read
        return BarcodeRead()

    @property
    def text_line_count(self) -> int:
        """OCR lines on every side: how text-bearing the images are."""
        return len(self.front_ocr) + len(self.back_ocr)


def _read_quality(lines: list[OcrLine]) -> float:
    return sum(line.score * len(line.text) for line in lines)


def _reads_poorly(lines: list[OcrLine]) -> bool:
    """Few lines, or mostly low-confidence ones: worth trying the crop turned half round."""
    if len(lines) < 3:
        return True
    return float(np.median([line.score for line in lines])) < 0.75
