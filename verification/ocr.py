"""Text recognition: one process-wide rapidocr engine, and the MRZ read from its lines.

The engine is created lazily on first use with the default models that ship in the rapidocr
wheel (nothing is downloaded), and calls are serialised by a lock: rapidocr keeps per-call
parameters on the engine object, so two threads must not share it at once. Input is bounded
(`OCR_MAX_SIDE`) so a hostile image costs a bounded time.

The MRZ is found among the lines of the same pass (long lines of [A-Z0-9<] with fillers);
when a line comes back short (rapidocr drops runs of trailing '<'), that line alone is read
again from an upscaled crop, then padded to its format's length only when the missing tail
is fillers by construction.
"""

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field

import cv2
import numpy as np

from .mrz import FILLER, FORMATS, MrzData, mrz_clean_line, mrz_parse

logger = logging.getLogger(__name__)

# Longest side OCR is given (the rectified card is 1100 px wide and kept as is; a whole photo is
# reduced). Recognition crops come from this image; text *detection* runs on a copy whose longest
# side is DETECT_SIDE: detection cost grows with pixels, and card text stays 10+ px high there.
OCR_MAX_SIDE = 1280
DETECT_SIDE = 736

_ENGINE = None
_ENGINE_LOCK = threading.Lock()


@dataclass(eq=False)  # a line is itself: equal texts at other places are other lines (and boxes are arrays)
class OcrLine:
    text: str
    box: np.ndarray  # 4×2 float: TL, TR, BR, BL in the coordinates of the image read
    score: float
    doc_box: np.ndarray | None = None  # the same box in the rectified document crop, when OCR read one

    @property
    def height(self) -> float:
        tl, tr, br, bl = self.box
        return float((np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2)

    @property
    def width(self) -> float:
        tl, tr, br, bl = self.box
        return float((np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2)

    @property
    def center(self) -> np.ndarray:
        return self.box.mean(axis=0)

    def bounds(self) -> tuple[float, float, float, float]:
        x0, y0 = self.box.min(axis=0)
        x1, y1 = self.box.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


def _engine():
    global _ENGINE
    if _ENGINE is None:
        from rapidocr import RapidOCR  # imported lazily: loading onnxruntime costs ~0.5 s

        _ENGINE = RapidOCR(params={
            "Global.use_cls": False,  # the document is rectified upright before OCR
            "Global.log_level": "warning",
            "Global.max_side_len": OCR_MAX_SIDE,
            "Det.limit_side_len": DETECT_SIDE,
            "Det.limit_type": "max",
            "Global.text_score": 0.4,
        })
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        _sessions_without_spinning(_ENGINE)
    return _ENGINE


def _sessions_without_spinning(engine) -> None:
    """Rebuild rapidocr's detection and recognition sessions with intra-op threads that sleep when idle.

    onnxruntime's worker threads spin between operators by default, and rapidocr runs many small
    inferences with Python in between, so the second core spins instead of working. Measured here on
    a licence front: ~850 ms CPU for ~420 ms wall with spinning, ~650 ms CPU for ~360 ms wall
    without; and the core freed is the one Step 1's prefetch thread runs on. Same models, same
    providers, same results. (rapidocr 3.10 offers no option for it, hence the rebuild.)
    """
    from onnxruntime import GraphOptimizationLevel, InferenceSession, SessionOptions

    try:
        models = [engine._load_det_model(), engine._load_rec_model()]
        paths = [model.session.session._model_path for model in models]
    except AttributeError:  # another rapidocr layout: its own sessions work, only spin
        logger.warning("rapidocr's sessions could not be rebuilt without spinning; OCR keeps its defaults")
        return
    for model, path in zip(models, paths, strict=True):
        options = SessionOptions()
        options.log_severity_level = 4
        options.graph_optimization_level = GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model.session.session = InferenceSession(path, sess_options=options,
                                                 providers=model.session.session.get_providers())


_SUBSTITUTES = str.maketrans({"«": "<<", "‹": "<", "〈": "<", "＜": "<", "《": "<<", "\u3000": " "})


def ocr_clean_text(text: str) -> str:
    """Full-width forms to ASCII (NFKC), look-alike brackets to '<', control characters dropped."""
    text = text.translate(_SUBSTITUTES)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_SUBSTITUTES)
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


def _bounded(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    h, w = rgb.shape[:2]
    factor = min(1.0, max_side / max(h, w))
    if factor < 1.0:
        rgb = cv2.resize(rgb, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA)
    return rgb, factor


def ocr_read(rgb: np.ndarray, *, max_side: int = OCR_MAX_SIDE, detect: bool = True) -> list[OcrLine]:
    """Every text line rapidocr reads in an RGB image, top to bottom, boxes in `rgb`'s pixels.

    With `detect=False` the whole image is recognised as one line (for a re-read of a crop).
    """
    small, factor = _bounded(np.ascontiguousarray(rgb), max_side)
    bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
    engine = _engine()
    with _ENGINE_LOCK:
        # Per-call options persist on the engine (rapidocr keeps them as state): always pass all three.
        result = engine(bgr, use_det=detect, use_cls=False, use_rec=True)
    if not detect:
        txts = getattr(result, "txts", None) or ()
        scores = getattr(result, "scores", None) or ()
        h, w = rgb.shape[:2]
        box = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=float)
        return [OcrLine(ocr_clean_text(t), box, float(s)) for t, s in zip(txts, scores, strict=False) if t]
    if result.boxes is None or result.txts is None:
        return []
    lines = [
        OcrLine(ocr_clean_text(text), np.asarray(box, dtype=float) / factor, float(score))
        for box, text, score in zip(result.boxes, result.txts, result.scores, strict=False)
    ]
    lines = [line for line in lines if line.text]
    lines.sort(key=lambda line: (line.center[1], line.center[0]))
    return lines


# -- MRZ -----------------------------------------------------------------------------------------

MRZ_CHARS = re.compile(r"^[A-Z0-9<]+$")
MRZ_LENGTHS = sorted({length for _, length in FORMATS.values()})


@dataclass
class MrzRead:
    """Where the MRZ was read, its lines and boxes, and the parse."""

    side: str | None = None  # "front" | "back" | None (no MRZ-like line found)
    lines: list[OcrLine] = field(default_factory=list)  # the MRZ lines as read (cleaned), top to bottom
    data: MrzData | None = None
    raw: list[str] = field(default_factory=list)  # text as OCR returned it
    repaired: bool = False  # a line was re-read or padded
    reconciled: dict | None = None  # the number's O/0 settled by the printed number: {from, to}

    @property
    def found(self) -> bool:
        """Something that looks like an MRZ is on the image (parsed or not)."""
        return bool(self.lines)


def mrz_line_like(text: str) -> bool:
    """A line that can only be MRZ: long, MRZ alphabet, with fillers or a document code."""
    cleaned = mrz_clean_line(text)
    if len(cleaned) < 24 or " " in text.strip() and text.count("<") < 2:
        return False
    if not MRZ_CHARS.match(cleaned):
        return False
    return cleaned.count("<") >= 2 or bool(re.match(r"^[PIACV][A-Z<][A-Z<]{3}", cleaned))


# Per format and line: the index from which a run of fillers may have been shortened or
# lengthened by OCR without moving any fixed-width field (names, optional data, personal number).
# A run is only ever resized at or after this index, so no check digit's field moves.
FLEXIBLE_FROM = {"TD1": (15, 18, 0), "TD2": (5, 28), "TD3": (5, 28)}


def _row_groups(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Lines on the same text row (vertical overlap), each row left to right."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda item: item.center[1]):
        for row in rows:
            ref = row[0]
            if abs(line.center[1] - ref.center[1]) < 0.5 * max(ref.height, line.height):
                row.append(line)
                break
        else:
            rows.append([line])
    return [sorted(row, key=lambda item: item.center[0]) for row in rows]


def _merge(row: list[OcrLine]) -> OcrLine:
    if len(row) == 1:
        return row[0]
    points = np.concatenate([line.box for line in row])
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    box = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=float)
    doc_box = None
    if all(line.doc_box is not None for line in row):
        dpts = np.concatenate([line.doc_box for line in row])
        dx0, dy0 = dpts.min(axis=0)
        dx1, dy1 = dpts.max(axis=0)
        doc_box = np.array([[dx0, dy0], [dx1, dy0], [dx1, dy1], [dx0, dy1]], dtype=float)
    return OcrLine("".join(line.text for line in row), box, min(line.score for line in row), doc_box)


def mrz_expected_format(texts: list[str]) -> str | None:
    """TD1 / TD2 / TD3 from the number of lines, their lengths and the document code."""
    if len(texts) == 3:
        return "TD1"
    if len(texts) != 2:
        return None
    longest = max(len(t) for t in texts)
    if texts[0].startswith("P") or longest >= 40:
        return "TD3"
    return "TD2"


def mrz_fit_length(text: str, length: int, flexible_from: int) -> str:
    """Resize the last filler run at or after `flexible_from` so the line has `length` characters.

    Only a run of fillers is grown or shrunk, and never before `flexible_from`, so the fixed-width
    fields (number, dates, check digits) keep their positions; a line whose deficit cannot be
    absorbed that way is returned unchanged (and will not parse).
    """
    diff = length - len(text)
    if diff == 0:
        return text
    runs = [m for m in re.finditer(r"<+", text) if m.end() > flexible_from]
    # The last character of a line is a check digit or a name filler: prefer runs before it.
    inner = [m for m in runs if m.end() < len(text)]
    if not runs:
        return text
    run = (inner or runs)[-1] if text[-1] != "<" else runs[-1]
    start = max(run.start(), flexible_from)
    if diff > 0:
        return text[:run.end()] + "<" * diff + text[run.end():]
    if run.end() - start < -diff:
        return text
    return text[:run.end() + diff] + text[run.end():]


def _reread(line: OcrLine, source: np.ndarray) -> str | None:
    """Recognise one MRZ line again from a padded, upscaled crop of the source image."""
    box = line.doc_box if line.doc_box is not None else line.box
    x0, y0 = box.min(axis=0)
    x1, y1 = box.max(axis=0)
    pad_x, pad_y = 0.02 * (x1 - x0) + 4, 0.25 * (y1 - y0)
    h, w = source.shape[:2]
    xa, ya = int(max(0, x0 - pad_x)), int(max(0, y0 - pad_y))
    xb, yb = int(min(w, x1 + pad_x)), int(min(h, y1 + pad_y))
    if xb - xa < 10 or yb - ya < 5:
        return None
    crop = source[ya:yb, xa:xb]
    factor = 64 / max(crop.shape[0], 1)
    if factor > 1:
        crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    read = ocr_read(crop, detect=False, max_side=4000)
    return read[0].text if read else None


def mrz_read(lines: list[OcrLine], source: np.ndarray | None, *, side: str) -> MrzRead:
    """Find and parse the MRZ among one side's OCR lines.

    MRZ rows are the rows with an MRZ-like line, merged with any other MRZ-alphabet fragment on the
    same row; the last 2-3 consecutive such rows form the zone. A row whose length is not its
    format's is re-read from the image once, then fitted by resizing a filler run (never a field).
    """
    anchors = [line for line in lines if mrz_line_like(line.text)]
    if not anchors:
        return MrzRead()
    fragments = [line for line in lines if MRZ_CHARS.match(mrz_clean_line(line.text) or "-")
                 and len(mrz_clean_line(line.text)) >= 3 and " " not in line.text.strip()]
    rows = [_merge(row) for row in _row_groups(fragments)]
    rows = [row for row in rows if mrz_line_like(row.text)]
    rows = rows[-3:]
    # A zone is 2 or 3 rows of similar height stacked closely: drop an unrelated row above.
    while len(rows) > 2:
        gap = rows[1].center[1] - rows[0].center[1]
        if gap > 3 * rows[1].height:
            rows = rows[1:]
        else:
            break
    read = MrzRead(side=side, lines=rows, raw=[row.text for row in rows])
    texts = [mrz_clean_line(row.text) for row in rows]
    fmt = mrz_expected_format(texts)
    if fmt is None:
        read.data = mrz_parse(texts)
        return read
    count, length = FORMATS[fmt]
    texts = texts[-count:]
    read.lines = rows[-count:]
    fitted = []
    for index, (row, text) in enumerate(zip(read.lines, texts, strict=True)):
        if len(text) != length and source is not None:
            again = _reread(row, source)
            if again is not None:
                again = mrz_clean_line(again)
                if abs(len(again) - length) < abs(len(text) - length):
                    text, read.repaired = again, True
        if len(text) != length:
            resized = mrz_fit_length(text, length, FLEXIBLE_FROM[fmt][index])
            read.repaired = read.repaired or resized != text
            text = resized
        row.text = text
        fitted.append(text)
    read.data = mrz_parse(fitted)
    return read


# Where the document number sits: format -> (line, start, end).
NUMBER_FIELD = {"TD1": (0, 5, 14), "TD2": (1, 0, 9), "TD3": (1, 0, 9)}
O_ZERO = str.maketrans({"O": "0"})


def mrz_reconcile_number(data: MrzData, printed: str | None) -> MrzData | None:
    """The MRZ re-parsed with the printed document number's letters O where OCR read 0 (or back).

    The recogniser cannot tell OCR-B's O from 0; the printed number (another font, another reading)
    can. Used only when the MRZ's number check fails and the two numbers are the same up to O/0: the
    printed characters replace the MRZ's at those positions and nothing else changes. A wrong check
    digit stays wrong (the printed number is the true one); None when there is nothing to reconcile.
    """
    if data is None or printed is None or data.format not in NUMBER_FIELD or data.checks.get("document_number", True):
        return None
    line, start, end = NUMBER_FIELD[data.format]
    field = data.lines[line][start:end]
    candidate = printed.ljust(end - start, FILLER)[: end - start]
    if candidate == field or candidate.translate(O_ZERO) != field.translate(O_ZERO):
        return None
    lines = list(data.lines)
    lines[line] = lines[line][:start] + candidate + lines[line][end:]
    return mrz_parse(lines)
