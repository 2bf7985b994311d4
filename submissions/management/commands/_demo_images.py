"""Synthetic images for the demo data and the README walk-through (no Django).

ID documents come from the project's generator (`verification.generator`): photographed
passports, ID cards and driving licences with a real MRZ or PDF417, optionally with a defect
(glare, blur, ...), so the demo's Step 1 answers come from the real checks. The selfie is a
drawn head-and-shoulders picture. Nothing here shows a real person.
"""

import io
from dataclasses import dataclass
from datetime import date

from PIL import Image, ImageDraw

# The README walk-through's applicant: the printed passport and the data typed at Step 2 agree.
WALKTHROUGH_HOLDER = {"surname": "SAMPLE", "given_names": "JANE", "birth_date": date(1990, 4, 12), "sex": "F",
                      "document_number": "XR1234567"}
WALKTHROUGH_COUNTRY = "POL"


def _jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@dataclass(frozen=True)
class DemoDocument:
    front: bytes
    back: bytes | None


# Step 1 `idType` -> the generator's kind
GENERATOR_KINDS = {"passport": "passport", "government_id": "id_card", "drivers_license": "drivers_license"}


def id_document_images(*, id_type: str, country: str, surname: str, given_names: str, birth_date: date, sex: str,
                       document_number: str, seed: int = 1, defects: tuple[str, ...] = ()) -> DemoDocument:
    """A photographed document of `id_type` for this holder (and its back where the type has one)."""
    from verification.generator import generate_document  # numpy, OpenCV: loaded only when used

    doc = generate_document(GENERATOR_KINDS[id_type], country=country, seed=seed, defects=defects,
                            surname=surname, given_names=given_names, birth_date=birth_date, sex=sex,
                            document_number=document_number)
    return DemoDocument(front=doc.front, back=doc.back)


def walkthrough_passport_jpeg() -> bytes:
    """The README walk-through's passport photo."""
    return id_document_images(id_type="passport", country=WALKTHROUGH_COUNTRY, **WALKTHROUGH_HOLDER).front


def selfie_jpeg(*, skin: tuple[int, int, int] = (224, 186, 152), background: tuple[int, int, int] = (150, 180, 200)) -> bytes:
    """A 480x640 head-and-shoulders picture as JPEG bytes."""
    image = Image.new("RGB", (480, 640), background)
    draw = ImageDraw.Draw(image)
    draw.chord((60, 430, 420, 820), 180, 360, fill=(70, 90, 120))  # shoulders
    draw.rectangle((205, 380, 275, 470), fill=skin)  # neck
    draw.ellipse((130, 130, 350, 410), fill=skin, outline=(150, 110, 90), width=3)  # face
    draw.ellipse((120, 100, 360, 230), fill=(60, 45, 35))  # hair
    draw.ellipse((180, 240, 215, 262), fill="white")
    draw.ellipse((265, 240, 300, 262), fill="white")
    draw.ellipse((192, 244, 206, 258), fill=(50, 40, 30))
    draw.ellipse((277, 244, 291, 258), fill=(50, 40, 30))
    draw.arc((200, 310, 280, 360), 20, 160, fill=(150, 60, 60), width=4)  # mouth
    return _jpeg(image)
