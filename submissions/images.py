"""Uploaded images: decide from the bytes whether a file is an image we accept.

The file name and the client's content type are never trusted. The header is read first,
so a decompression bomb is refused from its declared size before any pixel is decoded;
then the whole image is decoded once, which catches truncated and corrupt files.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, ImageOps, UnidentifiedImageError

# Formats the API accepts (jpg, jpeg, png), by what Pillow reads in the bytes.
# MPO is a JPEG with a multi-picture segment (gain maps, dual cameras): phones write it as .jpg.
ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "MPO": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
}


class ImageRejected(Exception):
    """The upload is not an image we accept; `reason` says why (for logs and evidence)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ImageUpload:
    """An accepted upload: its bytes, what they are, and the decoded, upright image."""

    data: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int
    image: Image.Image

    @property
    def byte_size(self) -> int:
        return len(self.data)


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
            if width * height > settings.KYC_MAX_IMAGE_PIXELS:
                raise ImageRejected(
                    f"{width}x{height} pixels is over the {settings.KYC_MAX_IMAGE_PIXELS} pixel limit"
                )
            if min(width, height) < settings.KYC_MIN_IMAGE_SIDE:
                raise ImageRejected(f"{width}x{height} pixels is too small to analyse")
            probe.load()
            upright = ImageOps.exif_transpose(probe)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(f"not a decodable image: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports truncated and corrupt data as OSError/SyntaxError/ValueError.
        raise ImageRejected(f"corrupt or truncated image: {exc}") from exc
    content_type, extension = ACCEPTED_FORMATS[image_format]
    return ImageUpload(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=upright.width,
        height=upright.height,
        image=upright,
    )
