"""Synthetic images for the demo data and the README walk-through (no Django).

ID documents come from the project's generator (`verification.generator`): photographed
passports, ID cards and driving licences with a real MRZ or PDF417, optionally with a defect
(glare, blur, ...), so the demo's Step 1 answers come from the real checks; the selfie is the
document's own portrait as a front camera sees it, so Step 2's face checks see the same person.
Nothing here shows a real person.
"""

from dataclasses import dataclass
from datetime import date

# The README walk-through's applicant: the printed passport and the data typed at Step 2 agree.
WALKTHROUGH_HOLDER = {"surname": "SAMPLE", "given_names": "JANE", "birth_date": date(1990, 4, 12), "sex": "F",
                      "document_number": "XR1234567"}
WALKTHROUGH_COUNTRY = "POL"


@dataclass(frozen=True)
class DemoDocument:
    front: bytes
    back: bytes | None
    selfie: bytes  # the holder, as Step 2's front camera sees them (the document's own portrait)


# Step 1 `idType` -> the generator's kind
GENERATOR_KINDS = {"passport": "passport", "government_id": "id_card", "drivers_license": "drivers_license"}


def id_document_images(*, id_type: str, country: str, surname: str, given_names: str, birth_date: date, sex: str,
                       document_number: str, seed: int = 1, defects: tuple[str, ...] = ()) -> DemoDocument:
    """A photographed document of `id_type` for this holder (and its back where the type has one)."""
    from verification.generator import generate_document, holder_selfie  # numpy, OpenCV: loaded when used

    doc = generate_document(GENERATOR_KINDS[id_type], country=country, seed=seed, defects=defects,
                            surname=surname, given_names=given_names, birth_date=birth_date, sex=sex,
                            document_number=document_number)
    return DemoDocument(front=doc.front, back=doc.back, selfie=holder_selfie(doc, seed=seed))


def walkthrough_images() -> DemoDocument:
    """The README walk-through's passport photo and selfie of Jane Sample."""
    return id_document_images(id_type="passport", country=WALKTHROUGH_COUNTRY, **WALKTHROUGH_HOLDER)
