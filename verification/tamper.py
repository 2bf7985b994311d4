"""Tampering forensics of a document photo: editing traces in the file, pixel manipulation, pasted text.

Four families of evidence, each turned into a score from 0 to 100 (higher = more genuine) that a
check compares with its registered threshold (docs/checks/tampering.md):

- file metadata (`image_metadata_read`, `editing_traces`, `thumbnail_compare`): the name of an
  image editor in EXIF/XMP/comments, and an EXIF thumbnail that shows another picture than the
  image (an editor re-saved the pixels but kept the camera's thumbnail);
- noise inconsistency (`noise_inconsistency`): a camera leaves the same sensor noise, filtered by
  the same JPEG encoder, over the whole photo; a region pasted from elsewhere (a replaced portrait)
  carries its own noise and compression history. Flat areas are compared window by window;
- copy-move (`copy_move_detect`): a clone-stamped region repeats the pixels of another place, noise
  included. Repeated printed glyphs look alike too, but their sensor noise is independent: a pair
  counts only when the two patches agree far below the noise level;
- pasted text (`text_box_noise`): a value re-typed on a flat patch has no print texture and no
  sensor noise between its glyphs, unlike its neighbourhood and the document's other text.

Everything works on the bounded analysis image (`verification.imaging`); the functions return
regions in analysis pixels, and the checks map them to the stored image for evidence.
"""

import io
import re
import struct
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from .memo import memoized_property
from .thresholds import ThresholdSpec, thresholds_register

thresholds_register({
    "tamper.edited.score_min": ThresholdSpec(
        50.0, "image_edited: lowest metadata score (editor traces, EXIF thumbnail similarity) still genuine."),
    "tamper.forgery.score_min": ThresholdSpec(
        50.0, "image_forgery: lowest pixel-forensics score (noise inconsistency, copy-move) still genuine."),
    "tamper.text.score_min": ThresholdSpec(
        50.0, "artificial_text: lowest score of the weakest OCR line (background noise and ink against the rest)."),
    "tamper.artificial.score_min": ThresholdSpec(
        40.0, "artificial_image: lowest image-provider score (heuristic or ONNX model) still a camera photo."),
})


def _clamp01(value: float) -> float:
    return float(min(1.0, max(0.0, value)))


def score_between(value: float, bad: float, good: float) -> float:
    """0 at `bad`, 100 at `good`, linear in between (either direction)."""
    if good == bad:
        return 100.0 if value >= good else 0.0
    return round(100.0 * _clamp01((value - bad) / (good - bad)), 1)


# -- file metadata ---------------------------------------------------------------------------------

# Image editors whose name in the file's metadata means the image was opened and re-saved by them.
# Matched case-insensitively in EXIF Software/ProcessingSoftware/ImageDescription, XMP CreatorTool
# and history agents, JPEG comments and PNG text. Camera firmware, phone OS versions ("17.1.2",
# "HDR+ 1.0", "S911BXXU2AWF1") and image libraries (libjpeg, Pillow, ImageMagick, which any upload
# pipeline may use) are deliberately absent.
EDITING_SOFTWARE: tuple[tuple[str, str], ...] = (
    ("Adobe Photoshop", r"photoshop"),
    ("Adobe Lightroom", r"lightroom"),
    ("Adobe Camera Raw", r"camera\s*raw"),
    ("Adobe Illustrator", r"illustrator"),
    ("Adobe Express", r"adobe\s*express"),
    ("Adobe Firefly", r"firefly"),
    ("GIMP", r"\bgimp\b"),
    ("Snapseed", r"snapseed"),
    ("Canva", r"\bcanva\b"),
    ("PicsArt", r"picsart"),
    ("Pixlr", r"pixlr"),
    ("Photopea", r"photopea"),
    ("Affinity Photo", r"affinity\s*photo"),
    ("Pixelmator", r"pixelmator"),
    ("Paint.NET", r"paint\.net"),
    ("Krita", r"\bkrita\b"),
    ("Inkscape", r"inkscape"),
    ("Corel PaintShop", r"corel|paintshop"),
    ("Fotor", r"\bfotor\b"),
    ("Luminar", r"luminar"),
    ("Capture One", r"capture\s*one"),
    ("DxO PhotoLab", r"\bdxo\b"),
    ("ACDSee", r"acdsee"),
    ("Facetune", r"facetune"),
    ("Meitu", r"meitu"),
    ("PhotoScape", r"photoscape"),
    ("PhotoDirector", r"photodirector"),
    ("Polarr", r"polarr"),
    ("VSCO", r"\bvsco\b"),
    ("Picasa", r"picasa"),
    ("BeFunky", r"befunky"),
    ("Remini", r"\bremini\b"),
)
_EDITOR_PATTERNS = [(name, re.compile(pattern, re.IGNORECASE)) for name, pattern in EDITING_SOFTWARE]

# EXIF tags whose text names the program that wrote the file.
_EXIF_TEXT_TAGS = {0x0131: "Software", 0x000B: "ProcessingSoftware", 0x010E: "ImageDescription",
                   0x013C: "HostComputer"}
_EXIF_IFD = 0x8769
_EXIF_USER_COMMENT = 0x9286
_XMP_TOOL_ATTRIBUTES = re.compile(
    r"(?:xmp:CreatorTool|stEvt:softwareAgent|tiff:Software|xmp:CreatorTool>)\s*=?\s*[\"']?([^\"'<>]{1,200})",
    re.IGNORECASE)
# Namespaces only an Adobe editor writes: Photoshop's document properties, Camera Raw's settings.
_XMP_EDITOR_NAMESPACES = (("photoshop", "Adobe Photoshop", re.compile(r"xmlns:photoshop=|<photoshop:|\bphotoshop:\w+=")),
                          ("crs", "Adobe Camera Raw", re.compile(r"xmlns:crs=|\bcrs:\w+=")))
_PNG_TEXT_KEYS = ("Software", "Comment", "Description", "Author", "Source", "Title")
MAX_THUMBNAIL_BYTES = 256 * 1024


@dataclass
class ImageMetadata:
    """What the file says about itself (no pixels)."""

    format: str | None = None
    exif_text: dict[str, str] = field(default_factory=dict)  # tag name -> text, editor-relevant tags only
    make: str | None = None
    model: str | None = None
    datetime: str | None = None
    datetime_original: str | None = None
    xmp: str = ""
    comments: list[str] = field(default_factory=list)  # JPEG COM segments and PNG text chunks
    segments: list[str] = field(default_factory=list)  # JPEG APPn markers present, with their signature
    thumbnail: bytes | None = None
    quantization: dict[int, list[int]] | None = None
    subsampling: int | None = None  # Pillow's code: 0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0

    @property
    def has_camera(self) -> bool:
        return bool(self.make or self.model)


@dataclass(frozen=True)
class EditingTrace:
    source: str  # where it was found ("EXIF Software", "XMP CreatorTool", "JPEG APP13" ...)
    value: str  # the text found there (truncated)
    tool: str  # the editor it names

    def evidence(self) -> dict:
        return {"source": self.source, "value": self.value, "tool": self.tool}


def _text(value) -> str:
    if isinstance(value, bytes):
        # EXIF UserComment starts with an 8-byte character-code prefix ("ASCII\0\0\0", "UNICODE\0").
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00", b"\x00" * 8):
            value = value[8:]
        value = value.decode("utf-8", "replace")
    return str(value).replace("\x00", "").strip()[:300]


def _exif_thumbnail(raw: bytes) -> bytes | None:
    """The JPEG thumbnail of an Exif block's IFD1, or None. Bounds-checked: metadata is hostile input."""
    tiff = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if len(tiff) < 8 or tiff[:2] not in (b"II", b"MM"):
        return None
    order = "<" if tiff[:2] == b"II" else ">"
    try:
        ifd0 = struct.unpack_from(order + "I", tiff, 4)[0]
        entries = struct.unpack_from(order + "H", tiff, ifd0)[0]
        ifd1 = struct.unpack_from(order + "I", tiff, ifd0 + 2 + 12 * entries)[0]
        if not ifd1 or ifd1 + 2 > len(tiff):
            return None
        offset = length = None
        for i in range(min(struct.unpack_from(order + "H", tiff, ifd1)[0], 64)):
            tag, kind, _count, value = struct.unpack_from(order + "HHII", tiff, ifd1 + 2 + 12 * i)
            if kind == 3:  # SHORT values sit in the first two bytes of the value field
                value = struct.unpack_from(order + "H", tiff, ifd1 + 2 + 12 * i + 8)[0]
            if tag == 0x0201:
                offset = value
            elif tag == 0x0202:
                length = value
    except struct.error:
        return None
    if offset is None or not length or length > MAX_THUMBNAIL_BYTES or offset + length > len(tiff):
        return None
    data = bytes(tiff[offset:offset + length])
    return data if data[:2] == b"\xff\xd8" else None


def image_metadata_read(data: bytes) -> ImageMetadata:
    """Read the metadata of an accepted upload (JPEG or PNG); unreadable parts are left empty."""
    meta = ImageMetadata()
    try:
        image = Image.open(io.BytesIO(data))
    except Exception:  # noqa: BLE001 - the upload was decoded before; a metadata oddity is no verdict
        return meta
    meta.format = image.format
    try:
        exif = image.getexif()
    except Exception:  # noqa: BLE001
        exif = {}
    for tag, name in _EXIF_TEXT_TAGS.items():
        if exif.get(tag):
            meta.exif_text[name] = _text(exif[tag])
    meta.make = _text(exif.get(0x010F) or "") or None
    meta.model = _text(exif.get(0x0110) or "") or None
    meta.datetime = _text(exif.get(0x0132) or "") or None
    try:
        sub = exif.get_ifd(_EXIF_IFD) if hasattr(exif, "get_ifd") else {}
    except Exception:  # noqa: BLE001
        sub = {}
    if sub.get(_EXIF_USER_COMMENT):
        meta.exif_text["UserComment"] = _text(sub[_EXIF_USER_COMMENT])
    meta.datetime_original = _text(sub.get(0x9003) or "") or None
    xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
    for marker, payload in getattr(image, "applist", []):
        signature = payload[:32].split(b"\x00", 1)[0].decode("latin-1", "replace")
        meta.segments.append(f"{marker}:{signature}"[:48])
        if marker == "COM":
            meta.comments.append(_text(payload))
        elif marker == "APP1" and payload.startswith(b"http://ns.adobe.com/xap/1.0/") and not xmp:
            xmp = payload.split(b"\x00", 1)[-1]
    meta.xmp = (xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp))[:65536]
    if image.format == "PNG":
        for key in _PNG_TEXT_KEYS:
            if image.info.get(key):
                meta.comments.append(f"{key}: {_text(image.info[key])}")
    if image.format in ("JPEG", "MPO"):
        raw_exif = image.info.get("exif")
        if raw_exif:
            meta.thumbnail = _exif_thumbnail(raw_exif)
        quantization = getattr(image, "quantization", None)
        meta.quantization = {k: list(v) for k, v in quantization.items()} if quantization else None
        try:
            from PIL import JpegImagePlugin

            meta.subsampling = JpegImagePlugin.get_sampling(image)
        except Exception:  # noqa: BLE001
            meta.subsampling = None
    return meta


def _editor_in(text: str) -> str | None:
    for name, pattern in _EDITOR_PATTERNS:
        if pattern.search(text):
            return name
    return None


def editing_traces(meta: ImageMetadata) -> list[EditingTrace]:
    """Every place in the metadata that names an image editor (see EDITING_SOFTWARE)."""
    traces: list[EditingTrace] = []
    for name, value in meta.exif_text.items():
        tool = _editor_in(value)
        if tool:
            traces.append(EditingTrace(f"EXIF {name}", value[:120], tool))
    if meta.xmp:
        for match in _XMP_TOOL_ATTRIBUTES.finditer(meta.xmp):
            tool = _editor_in(match.group(1))
            if tool:
                traces.append(EditingTrace("XMP tool", match.group(1).strip()[:120], tool))
        for prefix, tool, pattern in _XMP_EDITOR_NAMESPACES:
            if pattern.search(meta.xmp):
                traces.append(EditingTrace("XMP namespace", f"{prefix}:", tool))
    for comment in meta.comments:
        tool = _editor_in(comment)
        if tool:
            traces.append(EditingTrace("comment", comment[:120], tool))
    for segment in meta.segments:
        # Photoshop's image-resource block (APP13 "Photoshop 3.0"): no camera writes one.
        if segment.startswith("APP13:Photoshop"):
            traces.append(EditingTrace("JPEG APP13", segment, "Adobe Photoshop"))
    unique = {(t.source, t.tool): t for t in traces}
    return list(unique.values())


# -- EXIF thumbnail ----------------------------------------------------------------------------------


@dataclass
class ThumbnailComparison:
    correlation: float  # Pearson correlation of the two pictures at thumbnail size, -1..1
    hash_distance: int  # Hamming distance of their 64-bit DCT perceptual hashes, 0..64
    aspect_delta: float  # relative difference of aspect ratios (a crop after capture shows here)
    thumbnail_size: tuple[int, int]

    @property
    def score(self) -> float:
        """100 = the thumbnail is the image; 0 = another picture (calibrated on the generator)."""
        by_correlation = score_between(self.correlation, THUMB_CORRELATION_BAD, THUMB_CORRELATION_GOOD)
        by_hash = score_between(self.hash_distance, THUMB_HASH_BAD, THUMB_HASH_GOOD)
        score = min(by_correlation, by_hash)
        if self.aspect_delta > THUMB_ASPECT_TOLERANCE:
            score = min(score, 20.0)
        return round(score, 1)

    def evidence(self) -> dict:
        return {"correlation": round(self.correlation, 3), "hash_distance": self.hash_distance,
                "aspect_delta": round(self.aspect_delta, 3), "thumbnail_size": list(self.thumbnail_size),
                "score": self.score}


# On the generator's corpus a camera thumbnail correlates >= 0.999 with the downscaled image (hash
# distance <= 4), while another photo of a similar scene (a card on a desk) reaches 0.92 at most, so
# both limits sit close to identity (docs/checks/tampering.md, calibration).
THUMB_CORRELATION_BAD, THUMB_CORRELATION_GOOD = 0.93, 0.98
THUMB_HASH_BAD, THUMB_HASH_GOOD = 14, 6
THUMB_ASPECT_TOLERANCE = 0.08
_COMPARE_SIDE = 64


def _trim_letterbox(gray: np.ndarray) -> np.ndarray:
    """Drop the black bars some cameras pad a thumbnail with to reach 4:3 or 16:9."""
    rows = np.where((gray.mean(axis=1) > 12) | (gray.std(axis=1) > 6))[0]
    cols = np.where((gray.mean(axis=0) > 12) | (gray.std(axis=0) > 6))[0]
    if len(rows) < gray.shape[0] // 3 or len(cols) < gray.shape[1] // 3:
        return gray
    return gray[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def perceptual_hash(gray: np.ndarray) -> np.ndarray:
    """64-bit DCT hash (pHash): signs of the 8x8 lowest frequencies of a 32x32 copy against their median."""
    small = cv2.resize(gray.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA)
    low = cv2.dct(small)[:8, :8].ravel()[1:]
    return np.concatenate([[False], low > np.median(low)])


def thumbnail_compare(data: bytes, thumbnail: bytes) -> ThumbnailComparison | None:
    """Compare the EXIF thumbnail with the image it should show, both in stored orientation."""
    try:
        thumb = Image.open(io.BytesIO(thumbnail))
        if max(thumb.size) > 1024:
            return None
        thumb_gray = _trim_letterbox(np.asarray(thumb.convert("L"), dtype=np.float32))
        image = Image.open(io.BytesIO(data))
        image.draft("L", (thumb.width * 2, thumb.height * 2))  # JPEG DCT scaling: a cheap small decode
        image_gray = np.asarray(image.convert("L"), dtype=np.float32)
    except Exception:  # noqa: BLE001 - an undecodable thumbnail is no evidence either way
        return None
    th, tw = thumb_gray.shape
    ih, iw = image_gray.shape
    if min(th, tw, ih, iw) < 8:
        return None
    aspect_delta = abs((tw / th) - (iw / ih)) / (iw / ih)
    size = (_COMPARE_SIDE, max(8, round(_COMPARE_SIDE * th / tw)))
    a = cv2.GaussianBlur(cv2.resize(thumb_gray, size, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    b = cv2.GaussianBlur(cv2.resize(image_gray, size, interpolation=cv2.INTER_AREA), (0, 0), 1.0)
    a, b = a - a.mean(), b - b.mean()
    denominator = float(np.sqrt((a * a).sum() * (b * b).sum()))
    correlation = float((a * b).sum() / denominator) if denominator > 1e-6 else 0.0
    distance = int(np.count_nonzero(perceptual_hash(thumb_gray) != perceptual_hash(image_gray)))
    return ThumbnailComparison(correlation=correlation, hash_distance=distance, aspect_delta=aspect_delta,
                               thumbnail_size=(thumb.width, thumb.height))


# -- JPEG quantisation tables --------------------------------------------------------------------------

# The IJG (libjpeg) base tables, in Pillow's natural (row-major) order. Libraries (libjpeg, Pillow,
# OpenCV, browsers' canvas) scale these by quality; camera firmwares mostly ship their own tables.
_IJG_LUMA = np.array([
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], dtype=np.float64)
# The table libjpeg writes at each quality 1-100 (row q-1), computed once: three reads per request compare with all.
_IJG_LUMA_BY_QUALITY = np.stack([
    np.clip(np.floor((_IJG_LUMA * (5000 / quality if quality < 50 else 200 - 2 * quality) + 50) / 100), 1, 255)
    for quality in range(1, 101)])


def jpeg_quality_estimate(quantization: dict[int, list[int]] | None) -> tuple[int | None, bool]:
    """(estimated IJG quality 1-100, whether the luma table is exactly a scaled IJG table)."""
    if not quantization or 0 not in quantization or len(quantization[0]) != 64:
        return None, False
    table = np.asarray(quantization[0], dtype=np.float64)
    errors = np.abs(_IJG_LUMA_BY_QUALITY - table).sum(axis=1)
    best = int(np.argmin(errors))  # the first (lowest) quality on a tie
    return best + 1, bool(errors[best] == 0)


# -- shared pixel maps ---------------------------------------------------------------------------------

CELL = 8  # pixels per cell of the noise maps


def _cell_sum(values: np.ndarray, cell: int = CELL) -> np.ndarray:
    """Mean of `values` over each cell×cell block (INTER_AREA is an exact block mean for integer factors)."""
    h, w = (values.shape[0] // cell) * cell, (values.shape[1] // cell) * cell
    return cv2.resize(values[:h, :w], (w // cell, h // cell), interpolation=cv2.INTER_AREA)


def region_mask(shape: tuple[int, int], quad=None) -> np.ndarray:
    """uint8 mask of a quadrilateral (or the whole image when `quad` is None)."""
    mask = np.zeros(shape[:2], np.uint8)
    if quad is None:
        mask[:] = 1
    else:
        cv2.fillConvexPoly(mask, np.asarray(quad, dtype=np.float64).round().astype(np.int32), 1)
    return mask


class ForensicImage:
    """Pixel maps shared by the forensic analyses of one analysis image, each computed once.

    `roi` is the document quadrilateral in the image's pixels (None: the whole image). The maps
    cover only the ROI's bounding box (`offset` is its top-left corner in the image), and the
    chroma and flatness maps are computed at half resolution: JPEG keeps chroma at half
    resolution anyway (4:2:0), and it halves the cost of the widest blurs.
    """

    def __init__(self, rgb: np.ndarray, roi=None) -> None:
        h, w = rgb.shape[:2]
        if roi is None:
            x0, y0, x1, y1 = 0, 0, w, h
            quad = None
        else:
            quad = np.asarray(roi, dtype=np.float64).reshape(4, 2)
            x0, y0 = (max(0, int(np.floor(v))) for v in quad.min(axis=0))
            x1, y1 = min(w, int(np.ceil(quad[:, 0].max()))), min(h, int(np.ceil(quad[:, 1].max())))
            if x1 - x0 < 32 or y1 - y0 < 32:
                x0, y0, x1, y1, quad = 0, 0, w, h, None
        self.offset = (x0, y0)
        self.rgb = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        self.roi = None if quad is None else quad - (x0, y0)

    @property
    def shape(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    def to_image(self, box) -> list[float]:
        """A box [x0, y0, x1, y1] of these maps in the analysis image's pixels."""
        dx, dy = self.offset
        return [float(box[0] + dx), float(box[1] + dy), float(box[2] + dx), float(box[3] + dy)]

    @memoized_property
    def ycc(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2YCrCb)

    @memoized_property
    def luma(self) -> np.ndarray:
        return self.ycc[..., 0].astype(np.float32)

    @memoized_property
    def half(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Y, Cr, Cb at half resolution, float32, one contiguous array each."""
        # Split the 8-bit channels, then convert each: the same values, without a 3-channel float copy.
        return tuple(channel.astype(np.float32) for channel in cv2.split(cv2.pyrDown(self.ycc)))

    @memoized_property
    def gray(self) -> np.ndarray:
        return cv2.cvtColor(self.rgb, cv2.COLOR_RGB2GRAY)

    @memoized_property
    def roi_mask(self) -> np.ndarray:
        return region_mask(self.shape, self.roi)

    @memoized_property
    def fine_residual(self) -> np.ndarray:
        """|Y - blur(Y)|: sensor noise (and fine texture) at the finest scale JPEG leaves."""
        y = self.luma
        return cv2.absdiff(y, cv2.GaussianBlur(y, (0, 0), 1.0))

    @memoized_property
    def chroma_residual(self) -> np.ndarray:
        """Half resolution |Cr - blur| + |Cb - blur|: chroma noise, blotchy from a camera, flat from an editor."""
        _, cr, cb = self.half
        return cv2.add(cv2.absdiff(cr, cv2.blur(cr, (7, 7))), cv2.absdiff(cb, cv2.blur(cb, (7, 7))))

    @memoized_property
    def flat_half(self) -> np.ndarray:
        """Half resolution float32 1/0: no edge nearby and nothing clipped.

        Noise is only readable where the content is flat; clipped highlights and shadows (glare,
        black print) carry no noise at all and would look 'pasted'.
        """
        y, cr, cb = self.half

        def gradient(channel: np.ndarray) -> np.ndarray:
            return cv2.add(cv2.absdiff(cv2.Sobel(channel, cv2.CV_32F, 1, 0), 0),
                           cv2.absdiff(cv2.Sobel(channel, cv2.CV_32F, 0, 1), 0))

        # Luma is smoothed more than chroma (pyrDown smoothed both): a pasted face keeps strong,
        # blotchy luma grain, which must not hide it, while the guilloche's fine coloured lines
        # show in chroma and must not count as noise.
        luma_gradient = gradient(cv2.blur(y, (3, 3))) * (FLAT_GRADIENT / FLAT_LUMA_GRADIENT)
        steepest = cv2.max(luma_gradient, cv2.max(gradient(cr), gradient(cb)))
        flat = ((steepest < FLAT_GRADIENT) & (y < 245) & (y > 8)).astype(np.uint8)
        return cv2.erode(flat, np.ones((3, 3), np.uint8)).astype(np.float32)

    @memoized_property
    def noise_windows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(readable, luma noise, chroma noise) per CELL: means over the flat pixels of the
        NOISE_WINDOW × NOISE_WINDOW cells around each cell; readable where enough of them are flat."""
        k = (NOISE_WINDOW, NOISE_WINDOW)
        flat, flat_half = self.flat, self.flat_half
        weight = cv2.boxFilter(_cell_sum(flat), -1, k, normalize=False)
        weight_half = cv2.boxFilter(_cell_sum(flat_half, CELL // 2), -1, k, normalize=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            luma = cv2.boxFilter(_cell_sum(self.fine_residual * flat), -1, k, normalize=False) / weight
            chroma = cv2.boxFilter(_cell_sum(self.chroma_residual * flat_half, CELL // 2), -1, k,
                                   normalize=False) / weight_half
        rows, cols = min(luma.shape[0], chroma.shape[0]), min(luma.shape[1], chroma.shape[1])
        readable = weight[:rows, :cols] > NOISE_MIN_FLAT_SHARE * NOISE_WINDOW * NOISE_WINDOW
        return readable, luma[:rows, :cols], chroma[:rows, :cols]

    @memoized_property
    def noise_level(self) -> float | None:
        """Mean |Y - blur(Y)| at half resolution over the document's flat pixels: how much sensor noise
        the capture carries (None: too few flat pixels). The generator's camera photos read 0.47-0.99,
        its screenshots 0.23-0.43 (what is left there is print texture)."""
        roi = cv2.resize(self.roi_mask, (self.flat_half.shape[1], self.flat_half.shape[0]),
                         interpolation=cv2.INTER_NEAREST).astype(np.float32)
        flat = self.flat_half * roi
        count = float(flat.sum())
        if count < 200:
            return None
        y = self.half[0]
        return float(cv2.sumElems(cv2.absdiff(y, cv2.GaussianBlur(y, (0, 0), 1.0)) * flat)[0] / count)

    @property
    def too_small(self) -> bool:
        """Under MIN_FORENSIC_SIDE pixels a side holds too few cells and patches to analyse."""
        return min(self.shape) < MIN_FORENSIC_SIDE

    @property
    def has_sensor_noise(self) -> bool:
        return not self.too_small and self.noise_level is not None and self.noise_level >= MIN_SENSOR_NOISE

    @memoized_property
    def flat(self) -> np.ndarray:
        h, w = self.shape
        full = cv2.resize(self.flat_half, (self.flat_half.shape[1] * 2, self.flat_half.shape[0] * 2),
                          interpolation=cv2.INTER_NEAREST)
        return cv2.copyMakeBorder(full[:h, :w], 0, max(0, h - full.shape[0]), 0, max(0, w - full.shape[1]),
                                  cv2.BORDER_REPLICATE)


# Sobel magnitudes (|gx|+|gy|, half resolution) below which a pixel is flat: chroma (lightly smoothed)
# under FLAT_GRADIENT - sensor chroma noise stays below it, the finest coloured guilloche line does
# not - and luma (smoothed more) under FLAT_LUMA_GRADIENT.
FLAT_GRADIENT = 8.0
FLAT_LUMA_GRADIENT = 12.0
# Document noise level (ForensicImage.noise_level) from which the capture counts as carrying sensor
# noise. Below it (a rendered or screenshot document) noise comparisons mean nothing: every flat area
# is equally clean and every repeated glyph a perfect copy, so the forgery analyses give no verdict.
MIN_SENSOR_NOISE = 0.46
MIN_FORENSIC_SIDE = 64


# -- noise inconsistency (replaced portrait, pasted regions) ----------------------------------------------

NOISE_WINDOW = 5  # cells per side of the sliding window (40 px at CELL 8)
NOISE_MIN_FLAT_SHARE = 0.3  # a window needs this share of flat pixels to be read
# A window is inconsistent when its chroma noise is below this share of the document's (upper) level.
# Luma noise is reported but not used: JPEG leaves a pasted face's luma grain close to the camera's.
CHROMA_LOW_RATIO = 0.35
# Size of the largest inconsistent component (in cells, 64 px² each at 1600 px) from which the score
# falls: none at NOISE_CELLS_GOOD, zero at NOISE_CELLS_BAD (score 50 at 50 cells). On the generator's
# corpus genuine captures reach 26 cells (blurred ones 44); replaced portraits mostly 50-700.
NOISE_CELLS_GOOD, NOISE_CELLS_BAD = 30.0, 70.0


@dataclass
class NoiseInconsistency:
    score: float
    component_cells: int
    box: list[float] | None  # [x0, y0, x1, y1] analysis pixels of the largest inconsistent region
    windows: int  # windows with enough flat pixels inside the document
    chroma_level: float | None
    fine_level: float | None
    skipped: str | None = None  # why no verdict could be reached

    def evidence(self) -> dict:
        return {"score": self.score, "inconsistent_cells": self.component_cells, "windows": self.windows,
                "skipped": self.skipped,
                "chroma_noise": None if self.chroma_level is None else round(self.chroma_level, 3),
                "luma_noise": None if self.fine_level is None else round(self.fine_level, 3)}


def noise_inconsistency(image: ForensicImage) -> NoiseInconsistency:
    """The largest region of the document whose flat-area noise differs from the rest of it."""
    if not image.has_sensor_noise:
        return NoiseInconsistency(100.0, 0, None, 0, None, None, skipped="no sensor noise to compare regions by")
    readable, fine, chroma = image.noise_windows
    inside = _cell_sum(image.roi_mask.astype(np.float32)) > 0.99
    valid = readable & inside[:readable.shape[0], :readable.shape[1]]
    if int(valid.sum()) < 40:
        return NoiseInconsistency(100.0, 0, None, int(valid.sum()), None, None)
    # The reference is read high for chroma: a pasted region is flat (low), and may cover a third of
    # the document's flat windows, which would drag a median down with it.
    chroma_level = float(np.percentile(chroma[valid], 75))
    fine_level = float(np.median(fine[valid]))
    inconsistent = (valid & (chroma < CHROMA_LOW_RATIO * chroma_level)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(inconsistent, connectivity=8)
    best, box = 0, None
    for index in range(1, count):
        if stats[index, cv2.CC_STAT_AREA] > best:
            best = int(stats[index, cv2.CC_STAT_AREA])
            x, y, w, h = stats[index, :4]
            # a window's cell stands for the window around it: widen by half a window
            pad = NOISE_WINDOW // 2
            box = image.to_image([(x - pad) * CELL, (y - pad) * CELL, (x + w + pad) * CELL, (y + h + pad) * CELL])
    score = score_between(best, NOISE_CELLS_BAD, NOISE_CELLS_GOOD)
    return NoiseInconsistency(score, best, box, int(valid.sum()), chroma_level, fine_level)


# -- copy-move ---------------------------------------------------------------------------------------------

COPY_FEATURES = 1000  # ORB keypoints on the document (single scale: a clone stamp does not rescale)
COPY_NEIGHBOURS = 4  # nearest descriptors examined per keypoint
COPY_MAX_HAMMING = 48  # of 256 bits: a cloned corner's descriptor differs only by JPEG noise
COPY_MIN_DISTANCE = 24.0  # pixels between a point and its copy (nearer is the same glyph)
COPY_BIN = 4.0  # pixels: displacement vectors are clustered on this grid
COPY_CLUSTERS = 6  # most populated displacement clusters verified
COPY_PATCH = 6  # radius of the patches compared
# A pair is a copy when the patches differ by less than this share of their own texture (mean
# absolute horizontal gradient). Clones measure 0.05-0.10 after JPEG; the same glyph printed twice
# 0.25 or more, because the sensor noise on the two is independent.
COPY_MAX_DIFF_RATIO = 0.075
COPY_MIN_TEXTURE = 3.0  # patches flatter than this (or clipped) say nothing
# ... and whatever the texture, patches differing by this much (mean gray levels) are not copies: the
# ratio alone lets a high-contrast glyph printed twice (MRZ fillers) pass with independent noise.
COPY_MAX_DIFF = 3.0

# Verified pairs sharing one displacement: no copy at COPY_PAIRS_GOOD, certain at COPY_PAIRS_BAD.
COPY_PAIRS_GOOD, COPY_PAIRS_BAD = 3.0, 8.0


@dataclass
class CopyMove:
    score: float
    pairs: int  # keypoints whose patch repeats, noise included, at the best displacement
    displacement: tuple[int, int] | None
    source_box: list[float] | None  # analysis pixels
    target_box: list[float] | None
    keypoints: int = 0
    skipped: str | None = None  # why no verdict could be reached

    def evidence(self) -> dict:
        return {"score": self.score, "pairs": self.pairs, "keypoints": self.keypoints, "skipped": self.skipped,
                "displacement": None if self.displacement is None else list(self.displacement)}


def _patch_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    grid = np.arange(-radius, radius + 1)
    return np.meshgrid(grid, grid, indexing="ij")


def _pair_ratios(gray: np.ndarray, points: np.ndarray, shift: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(difference/texture ratio, usable) of the patches at `points` and `points + shift`."""
    h, w = gray.shape
    r = COPY_PATCH
    dy_grid, dx_grid = _patch_offsets(r)
    xs, ys = points[:, 0].round().astype(int), points[:, 1].round().astype(int)
    dx, dy = shift
    inside = (xs - r >= 0) & (ys - r >= 0) & (xs + r < w) & (ys + r < h)
    inside &= (xs + dx - r >= 0) & (ys + dy - r >= 0) & (xs + dx + r < w) & (ys + dy + r < h)
    ratios = np.full(len(points), np.inf)
    usable = np.zeros(len(points), bool)
    if not inside.any():
        return ratios, usable
    xi, yi = xs[inside], ys[inside]
    a = gray[yi[:, None, None] + dy_grid, xi[:, None, None] + dx_grid]
    b = gray[yi[:, None, None] + dy + dy_grid, xi[:, None, None] + dx + dx_grid]
    diff = np.abs(a - b).mean(axis=(1, 2))
    texture = np.abs(np.diff(a, axis=2)).mean(axis=(1, 2)) + np.abs(np.diff(b, axis=2)).mean(axis=(1, 2))
    clipped = ((a >= 250) | (b >= 250)).mean(axis=(1, 2))
    ok = (texture > COPY_MIN_TEXTURE) & (clipped < 0.3) & (diff < COPY_MAX_DIFF)
    ratios[inside] = diff / np.maximum(texture, 1e-3)
    usable[inside] = ok
    return ratios, usable


def copy_move_detect(image: ForensicImage) -> CopyMove:
    """Clone-stamped regions: ORB keypoints matched against each other, clustered by displacement,
    each cluster verified on the pixels (noise included)."""
    # Without sensor noise every repeated glyph is a perfect copy of the others: no verdict.
    if not image.has_sensor_noise:
        return CopyMove(100.0, 0, None, None, None, skipped="no sensor noise to tell a clone from repeated print")
    mask = (image.roi_mask * 255).astype(np.uint8)
    orb = cv2.ORB_create(nfeatures=COPY_FEATURES, scaleFactor=1.2, nlevels=1, edgeThreshold=15,
                         patchSize=15, fastThreshold=12)
    keypoints, descriptors = orb.detectAndCompute(image.gray, mask)
    if descriptors is None or len(keypoints) < 8:
        return CopyMove(100.0, 0, None, None, None, len(keypoints or ()))
    points = np.array([kp.pt for kp in keypoints], dtype=np.float32)
    knn = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(descriptors, descriptors, k=COPY_NEIGHBOURS)
    matches = np.array([(m.queryIdx, m.trainIdx, m.distance) for row in knn for m in row], dtype=np.float32)
    query, train, distance = matches[:, 0].astype(int), matches[:, 1].astype(int), matches[:, 2]
    keep = (query < train) & (distance <= COPY_MAX_HAMMING)
    query, train = query[keep], train[keep]
    vectors = points[train] - points[query]
    far = np.hypot(vectors[:, 0], vectors[:, 1]) >= COPY_MIN_DISTANCE
    query, train, vectors = query[far], train[far], vectors[far]
    if len(vectors) < 4:
        return CopyMove(100.0, 0, None, None, None, len(keypoints))
    # one orientation per pair: the source is the point with the smaller x (then y)
    flip = (vectors[:, 0] < 0) | ((vectors[:, 0] == 0) & (vectors[:, 1] < 0))
    query = np.where(flip, train, query)
    vectors[flip] *= -1
    bins = np.round(vectors / COPY_BIN).astype(np.int64)
    keys, inverse, counts = np.unique(bins, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    gray = image.gray.astype(np.float32)
    best_pairs, best_shift, best_points = 0, None, None
    for index in np.argsort(-counts)[:COPY_CLUSTERS]:
        if counts[index] < 4:
            break
        near = np.all(np.abs(keys - keys[index]) <= 1, axis=1)
        members = np.isin(inverse, np.nonzero(near)[0])
        source = np.unique(points[query[members]].round(), axis=0)
        # Single-scale FAST corners sit on whole pixels, so a clone's pairs share one exact integer
        # displacement: the most common vector of the cluster.
        exact, exact_counts = np.unique(vectors[members].round().astype(int), axis=0, return_counts=True)
        shift = tuple(int(v) for v in exact[int(np.argmax(exact_counts))])
        ratios, usable = _pair_ratios(gray, source, shift)
        if int((usable & (ratios < COPY_MAX_DIFF_RATIO)).sum()) < 2:
            continue
        # The cluster proposed the shift; every keypoint the clone covers confirms it, matched or not.
        ratios, usable = _pair_ratios(gray, points, shift)
        verified = points[usable & (ratios < COPY_MAX_DIFF_RATIO)]
        if len(verified) > best_pairs:
            best_pairs, best_shift, best_points = len(verified), shift, verified
    if not best_pairs:
        return CopyMove(100.0, 0, None, None, None, len(keypoints))
    pad = COPY_PATCH
    (sx0, sy0), (sx1, sy1) = best_points.min(axis=0) - pad, best_points.max(axis=0) + pad
    dx, dy = best_shift
    return CopyMove(
        score=score_between(best_pairs, COPY_PAIRS_BAD, COPY_PAIRS_GOOD),
        pairs=best_pairs,
        displacement=best_shift,
        source_box=image.to_image([sx0, sy0, sx1, sy1]),
        target_box=image.to_image([sx0 + dx, sy0 + dy, sx1 + dx, sy1 + dy]),
        keypoints=len(keypoints),
    )


# -- pasted text -------------------------------------------------------------------------------------------

TEXT_MIN_HEIGHT = 8.0  # analysis pixels: smaller boxes hold too few background pixels to read noise
TEXT_GAP = 0.4  # gap between a box and its ring, in box heights (a pasted patch overhangs its text)
TEXT_RING = 0.8  # width of the neighbourhood ring, in box heights
TEXT_MIN_PIXELS = 60  # background pixels needed on each side of the comparison
# The quiet end of the background noise (this percentile): a patch is flat except where JPEG rings
# around the glyphs, so its low percentiles fall to nothing while printed paper's stay up.
TEXT_NOISE_PERCENTILE = 25
# Three signs of text typed onto the image rather than printed and photographed, each scored 0 at
# the first value and 100 at the second (docs/checks/tampering.md has the measured distributions):
# - the background between and around the glyphs is flatter than the ring around the box and than
#   the document's other text (the larger of the two ratios counts);
TEXT_RATIO_BAD, TEXT_RATIO_GOOD = 0.30, 0.70
# - the ink is darker than the document's typical text ink (luma levels): a program's black is 0,
#   a photographed print is lifted by light and noise;
TEXT_INK_DARKER_BAD, TEXT_INK_DARKER_GOOD = 45.0, 25.0
# - the ink's core is flat: its spread against the document's typical text ink spread.
TEXT_INK_FLAT_BAD, TEXT_INK_FLAT_GOOD = 0.25, 0.55
# A box's score: the background's, or the ink's when the ink shows both of its signs.


@dataclass
class TextBoxNoise:
    text: str
    box: list[float]  # [x0, y0, x1, y1] analysis pixels
    inside: float  # quiet-end fine-noise residual of the box's background (between and around glyphs)
    ring: float | None  # the same in the ring around the box
    ink_level: float | None = None  # 10th percentile luma of the ink (None: light text on dark)
    ink_spread: float | None = None  # standard deviation of the ink's darkest 30 %
    ratio_ring: float | None = None
    ratio_text: float | None = None
    ink_darker: float | None = None  # levels darker than the document's typical text ink
    ink_flatness: float | None = None  # ink spread over the document's typical ink spread
    scores: dict[str, float] = field(default_factory=dict)
    score: float = 100.0

    def evidence(self) -> dict:
        def rounded(value):
            return None if value is None else round(float(value), 3)

        return {"text": self.text, "score": self.score, "scores": self.scores,
                "background_noise": rounded(self.inside), "ring_noise": rounded(self.ring),
                "ratio_ring": rounded(self.ratio_ring), "ratio_text": rounded(self.ratio_text),
                "ink_darker": rounded(self.ink_darker), "ink_flatness": rounded(self.ink_flatness)}


def _ink_level(luma: np.ndarray, region: np.ndarray) -> tuple[float, bool]:
    """(Otsu level, whether the ink is the dark class) of the pixels of `region`; the ink is the minority."""
    values = np.clip(luma[region], 0, 255).astype(np.uint8).reshape(-1, 1)
    if values.size < 2:
        return 0.0, True
    level, _ = cv2.threshold(values, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    dark = int((values <= level).sum()) <= values.size // 2
    return float(level), dark


def _ink_mask(luma: np.ndarray, level: float, dark: bool) -> np.ndarray:
    return luma <= level if dark else luma > level


def _background(luma: np.ndarray, region: np.ndarray, level: float, dark: bool) -> np.ndarray:
    """The pixels of `region` that are neither ink (by the line's own level) nor next to it, nor clipped."""
    # JPEG rings for a couple of pixels around every stroke: keep clear of the ink
    near_ink = cv2.dilate(_ink_mask(luma, level, dark).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return region & ~near_ink & (luma < 245) & (luma > 8)


def _quiet_noise(residual: np.ndarray, pixels: np.ndarray) -> float:
    """Quiet-end noise residual of `pixels` (NaN when too few)."""
    if int(pixels.sum()) < TEXT_MIN_PIXELS:
        return float("nan")
    return float(np.percentile(residual[pixels], TEXT_NOISE_PERCENTILE))


def _ink(luma: np.ndarray, region: np.ndarray, level: float, dark: bool) -> tuple[float | None, float | None]:
    """(10th percentile, spread of the darkest 30 %) of dark ink; (None, None) for light text."""
    values = luma[region & _ink_mask(luma, level, dark)]
    if not dark or values.size < 20:
        return None, None
    tenth, thirtieth = np.percentile(values, [10, 30])  # one partition for both
    core = values[values <= thirtieth]
    return float(tenth), float(core.std())


def typed_like(text: str) -> bool:
    """Whether an OCR line reads like a printed data value (mostly capitals and digits, not an MRZ).

    Only such lines get the ink signs: OCR reads handwriting (a signature) as lower-case letters,
    and the MRZ is printed by its own process, often blacker than the rest.
    """
    characters = [c for c in text if c.isalnum()]
    if len(characters) < 3 or ("<" in text and len(text) >= 20):
        return False
    return sum(c.isupper() or c.isdigit() for c in characters) / len(characters) >= 0.6


def _rectangle(centre, size, angle: float, pad: float) -> np.ndarray:
    return cv2.boxPoints((centre, (size[0] + 2 * pad, size[1] + 2 * pad), angle))


def text_box_noise(image: ForensicImage, lines: list[tuple[str, np.ndarray]]) -> list[TextBoxNoise]:
    """Score each OCR line (text, 4×2 box in analysis pixels) for signs of pasted, typed-on text.

    Each line is compared with its own neighbourhood and with the document's other lines, so a
    capture that is clean or noisy everywhere stays consistent. Boxes are read as rotated rectangles
    (a tilted card's lines are not axis-aligned). A capture without sensor noise (a screenshot, a
    rendered image) gives no verdict: its every line is "flat".
    """
    if image.too_small or not image.has_sensor_noise:
        return []
    h, w = image.shape
    dx, dy = image.offset
    luma, residual = image.luma, image.fine_residual
    results: list[TextBoxNoise] = []
    for text, quad in lines:
        quad = np.asarray(quad, dtype=np.float32).reshape(-1, 2) - np.float32((dx, dy))
        centre, size, angle = cv2.minAreaRect(quad)
        height, length = min(size), max(size)
        if height < TEXT_MIN_HEIGHT or length < height:
            continue
        gap = TEXT_GAP * height
        outer = _rectangle(centre, size, angle, gap + max(3.0, TEXT_RING * height))
        (x0, y0), (x1, y1) = np.floor(outer.min(axis=0)), np.ceil(outer.max(axis=0))
        x0, y0, x1, y1 = int(max(0, x0)), int(max(0, y0)), int(min(w, x1)), int(min(h, y1))
        if x1 - x0 < 4 or y1 - y0 < 4:
            continue
        origin = np.float32((x0, y0))

        def mask(polygon: np.ndarray, _shape=(y1 - y0, x1 - x0), _origin=origin) -> np.ndarray:
            out = np.zeros(_shape, np.uint8)
            cv2.fillConvexPoly(out, np.round(polygon - _origin).astype(np.int32), 1)
            return out.astype(bool)

        whole = mask(outer)
        inner = mask(_rectangle(centre, size, angle, 0))
        ring = whole & ~mask(_rectangle(centre, size, angle, gap))
        patch_luma, patch_residual = luma[y0:y1, x0:x1], residual[y0:y1, x0:x1]
        # The line's own glyphs set the ink level (Otsu inside the box), and the same level tells ink
        # from paper in the ring: guilloche lighter than the ink counts as paper there, as it should.
        level, dark = _ink_level(patch_luma, inner)
        background = _background(patch_luma, whole, level, dark)
        inside = _quiet_noise(patch_residual, background & inner)
        if np.isnan(inside):
            continue
        around = _quiet_noise(patch_residual, background & ring)
        ink_level, ink_spread = _ink(patch_luma, inner, level, dark) if typed_like(text) else (None, None)
        (bx0, by0), (bx1, by1) = quad.min(axis=0), quad.max(axis=0)
        results.append(TextBoxNoise(text=text, box=image.to_image([bx0, by0, bx1, by1]), inside=inside,
                                    ring=None if np.isnan(around) else around, ink_level=ink_level,
                                    ink_spread=ink_spread))
    if not results:
        return results
    floor = 0.05  # JPEG never leaves a background flatter than this; keeps ratios finite
    typical = float(np.median([r.inside for r in results]))
    inks = [r for r in results if r.ink_level is not None]
    typical_ink = float(np.median([r.ink_level for r in inks])) if inks else None
    typical_spread = float(np.median([r.ink_spread for r in inks])) if inks else None
    for result in results:
        result.ratio_text = (result.inside + floor) / (typical + floor)
        result.ratio_ring = None if result.ring is None else (result.inside + floor) / (result.ring + floor)
        # A quiet area of the card is quiet around its text too: both comparisons must find the box flat.
        ratio = result.ratio_text if result.ratio_ring is None else max(result.ratio_text, result.ratio_ring)
        scores = {"background": score_between(ratio, TEXT_RATIO_BAD, TEXT_RATIO_GOOD),
                  "ink_dark": 100.0, "ink_flat": 100.0}
        if result.ink_level is not None and typical_ink is not None and len(inks) >= 3:
            result.ink_darker = typical_ink - result.ink_level
            result.ink_flatness = result.ink_spread / (typical_spread + 0.1)
            scores["ink_dark"] = score_between(result.ink_darker, TEXT_INK_DARKER_BAD, TEXT_INK_DARKER_GOOD)
            scores["ink_flat"] = score_between(result.ink_flatness, TEXT_INK_FLAT_BAD, TEXT_INK_FLAT_GOOD)
        result.scores = scores
        # A flat background alone is enough; the ink alone only when it is both darker and flatter
        # than the document's print (a blacker heading, or a flat stroke, is one sign each).
        result.score = min(scores["background"], max(scores["ink_dark"], scores["ink_flat"]))
    return results
