"""Uploaded images: decide from the bytes whether a file is an image we accept.

The file name and the client's content type are never trusted. The header is read first,
so a decompression bomb, a degenerate shape (1×5000) or a PNG too large to decode cheaply is
refused from its declared size before any pixel is decoded; then the image is decoded once,
straight to a bounded size (at least the analyses' KYC_ANALYSIS_MAX_SIDE, at most
KYC_DECODE_MAX_SIDE: JPEG DCT scaling), which also catches truncated and corrupt files.

What is stored and served back is not the upload: `image_stored_bytes` keeps the image data
up to the format's end marker and drops every metadata segment except the orientation, so a
JPEG + ZIP or JPEG + HTML polyglot loses its second payload (docs/security.md). The checks
still read the upload's own bytes (`ImageUpload.data`) in the request.
"""

import hashlib
import io
import math
import struct
import warnings
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import ExifTags, Image, UnidentifiedImageError

from verification.imaging import ORIGINAL_SIZE_INFO

# Formats the API accepts (jpg, jpeg, png), by what Pillow reads in the bytes.
# MPO is a JPEG with a multi-picture segment (gain maps, dual cameras): phones write it as .jpg.
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
}
# JPEG decodes at 1/2, 1/4 or 1/8 scale (`Image.draft`); other formats decode every pixel first.
SCALED_DECODE_FORMATS = {"JPEG", "MPO"}

ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRejected(Exception):
    """The upload is not an image we accept; `reason` says why (for logs and evidence)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageUpload:
    """An accepted upload: its bytes, what they are, and the decoded, upright image.

    `width`/`height` are the upright size of the upload (and of what is stored); `image` is at
    most KYC_DECODE_MAX_SIDE on its longest side and carries that size in
    `image.info[ORIGINAL_SIZE_INFO]`, so analysis coordinates map back to the stored image.
    """

    data: bytes  # the upload, as the checks read it
    stored_data: bytes  # what is stored and served back (`image_stored_bytes`)
    sha256: str  # of `stored_data`
    content_type: str
    extension: str
    width: int
    height: int
    image: Image.Image

    @property
    def byte_size(self) -> int:
        """The size of what is stored."""
        return len(self.stored_data)


def image_read_upload(upload: UploadedFile) -> ImageUpload:
    """Read, validate and decode one uploaded image. Raises ImageRejected."""
    max_bytes = settings.KYC_MAX_IMAGE_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise ImageRejected(f"file is {upload.size} bytes, over the {max_bytes} byte limit")
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageRejected(f"file is over the {max_bytes} byte limit")
    return image_read_bytes(data)


def _image_check_shape(image_format: str, width: int, height: int) -> None:
    """Refuse from the header what the checks cannot analyse or a worker cannot decode cheaply."""
    pixels = width * height
    if pixels > settings.KYC_MAX_IMAGE_PIXELS:
        raise ImageRejected(f"{width}x{height} pixels is over the {settings.KYC_MAX_IMAGE_PIXELS} pixel limit")
    # A PNG is decoded in full (4 bytes a pixel) before it can be reduced: its own, lower cap
    # keeps a worker's peak memory bounded (a flat 6000×6600 PNG is 300 KB on the wire).
    if image_format not in SCALED_DECODE_FORMATS and pixels > settings.KYC_MAX_FULL_DECODE_PIXELS:
        raise ImageRejected(
            f"{width}x{height} pixels is over the {settings.KYC_MAX_FULL_DECODE_PIXELS} pixel limit of {image_format}"
        )
    if min(width, height) < settings.KYC_MIN_IMAGE_SIDE:
        raise ImageRejected(f"{width}x{height} pixels is under the {settings.KYC_MIN_IMAGE_SIDE} px minimum side")
    if max(width, height) > settings.KYC_MAX_IMAGE_ASPECT * min(width, height):
        raise ImageRejected(f"{width}x{height} pixels is longer than {settings.KYC_MAX_IMAGE_ASPECT}:1")


def _image_decode_bounded(probe: Image.Image, max_side: int, need_side: int) -> Image.Image:
    """Decode at most `max_side` on the longest side, and never less than `need_side` (what the
    analyses work at) unless the image is smaller: a JPEG at the smallest DCT scale that keeps
    `need_side`, a PNG box-reduced by the integer factor that keeps it, then one resize if still
    over `max_side`. The full-size pixels of a large JPEG never exist; a PNG's exist only during
    the decode (hence KYC_MAX_FULL_DECODE_PIXELS)."""
    width, height = probe.size
    if max(width, height) <= max_side:
        probe.load()
        return probe
    if probe.format in SCALED_DECODE_FORMATS:
        need = min(need_side, max_side) / max(width, height)
        probe.draft(None, (math.ceil(width * need), math.ceil(height * need)))
    probe.load()
    factor = max(probe.size) // need_side
    image = probe.reduce(factor) if factor >= 2 else probe  # a box reduction: no full-size intermediate
    long_side = max(image.size)
    if long_side > max_side:
        target = (max(1, round(image.width * max_side / long_side)), max(1, round(image.height * max_side / long_side)))
        image = image.resize(target, Image.Resampling.LANCZOS)
    if image is not probe:
        probe.close()  # the decoded full-size buffer goes now, not when the request ends
    return image


def image_read_bytes(data: bytes) -> ImageUpload:
    if not data:
        raise ImageRejected("file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            image_format = probe.format
            width, height = probe.size
            if image_format not in ACCEPTED_FORMATS:
                raise ImageRejected(f"format {image_format} is not accepted (JPEG or PNG)")
            _image_check_shape(image_format, width, height)
            image = _image_decode_bounded(probe, settings.KYC_DECODE_MAX_SIDE, settings.KYC_ANALYSIS_MAX_SIDE)
            # After the decode: a PNG's getexif() would otherwise decode every pixel once more.
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
            if orientation not in ORIENTATION_TRANSPOSE:
                orientation = 1
            upright = image.transpose(ORIENTATION_TRANSPOSE[orientation]) if orientation != 1 else image
            stored = image_stored_bytes(data, image_format=image_format, orientation=orientation)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"not a decodable image: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError/ValueError.
        raise ImageRejected(f"corrupt or truncated image: {exc}") from exc
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    upright.info[ORIGINAL_SIZE_INFO] = (width, height)
    content_type, extension = ACCEPTED_FORMATS[image_format]
    return ImageUpload(
        data=data,
        stored_data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
        image=upright,
    )


# -- what is stored ----------------------------------------------------------------------------

JPEG_SOI, JPEG_EOI = b"\xff\xd8", b"\xff\xd9"
# Segments that change the decoded pixels are kept; every other APPn (EXIF, XMP, ICC, MPF,
# Photoshop) and COM is metadata. Adobe APP14 says how the colour components are transformed.
JPEG_KEPT_APP = {0xEE: b"Adobe"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The chunks that make the pixels Pillow decodes (tRNS: a palette's or colour's transparency).
PNG_KEPT_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}


def _exif_orientation_only(orientation: int) -> bytes:
    """A TIFF block holding one tag, the orientation the checks applied ("" when upright)."""
    if orientation == 1:
        return b""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    return exif.tobytes()[len(b"Exif\x00\x00"):]


def _jpeg_entropy_end(data: bytes, start: int) -> int:
    """Where the entropy-coded data after an SOS header ends: at the next marker that is
    neither a stuffed 0xFF00 nor a restart marker (len(data) if the file ends first)."""
    at = start
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            return len(data)
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at += 2
        elif following == 0xFF:
            at += 1  # fill byte before a marker
        else:
            return at


def _jpeg_stored(data: bytes, orientation: int) -> bytes:
    if not data.startswith(JPEG_SOI):
        raise ImageRejected("not a JPEG stream")
    out = bytearray(JPEG_SOI)
    tiff = _exif_orientation_only(orientation)
    if tiff:
        payload = b"Exif\x00\x00" + tiff
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    at = len(JPEG_SOI)
    while at < len(data):
        if data[at] != 0xFF:
            raise ImageRejected(f"JPEG marker expected at byte {at}")
        while at < len(data) and data[at] == 0xFF:
            at += 1
        if at >= len(data):
            break
        marker = data[at]
        at += 1
        if marker == 0xD9:
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out += bytes((0xFF, marker))
            continue
        (length,) = struct.unpack(">H", data[at:at + 2])
        segment = data[at:at + length]
        at += length
        is_metadata = 0xE0 <= marker <= 0xEF or marker == 0xFE
        if not is_metadata or (marker in JPEG_KEPT_APP and segment[2:].startswith(JPEG_KEPT_APP[marker])):
            out += bytes((0xFF, marker)) + segment
        if marker == 0xDA:
            end = _jpeg_entropy_end(data, at)
            out += data[at:end]
            at = end
    out += JPEG_EOI  # everything after the first end of image (a ZIP, HTML, MPO's other images) stays out
    return bytes(out)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_stored(data: bytes, orientation: int) -> bytes:
    if not data.startswith(PNG_SIGNATURE):
        raise ImageRejected("not a PNG stream")
    out = bytearray(PNG_SIGNATURE)
    at = len(PNG_SIGNATURE)
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        chunk = data[at:at + 12 + length]
        at += 12 + length
        if kind in PNG_KEPT_CHUNKS:
            out += chunk
        if kind == b"IHDR":
            tiff = _exif_orientation_only(orientation)
            if tiff:  # before the image data, where Pillow reads it without decoding pixels
                out += _png_chunk(b"eXIf", tiff)
        if kind == b"IEND":
            return bytes(out)
    out += _png_chunk(b"IEND", b"")
    return bytes(out)


def image_stored_bytes(data: bytes, *, image_format: str, orientation: int = 1) -> bytes:
    """The accepted upload as it is stored: the same pixels, ending at the format's end marker
    (JPEG EOI, PNG IEND), with no metadata but the orientation the checks applied."""
    if image_format in SCALED_DECODE_FORMATS:
        return _jpeg_stored(data, orientation)
    if image_format == "PNG":
        return _png_stored(data, orientation)
    raise ImageRejected(f"format {image_format} cannot be stored")
