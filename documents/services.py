"""Writes to the document registries: specimens, templates, invalidated documents.

Hashes and features are derived here from the uploaded image (the same detection and
rectification the Step 1 checks use), so a registered entry and a submitted document are
always compared like for like. Every write is audited. Input problems raise `ValidationError`
with a message an operator can act on (the admin shows it on the form).
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from audit.services import Actor, audit_record
from submissions.choices import IdType
from submissions.images import ImageRejected, image_read_bytes
from verification.imaging import analysis_image
from verification.registry import (
    DocumentCrop,
    document_crop,
    features_extract,
    hash_to_signed,
    image_hashes,
)

from .choices import DocumentSide, InvalidationMatch
from .models import (
    DocumentSpecimen,
    DocumentTemplate,
    InvalidatedDocument,
    document_number_key,
    document_number_normalise,
    validate_document_country,
)

# A template must carry enough distinctive print to be matched against (a blank card has ~0).
TEMPLATE_MIN_KEYPOINTS = 150
CSV_MAX_ROWS = 100_000
CSV_BATCH_SIZE = 1000


@dataclass
class _ReadImage:
    data: bytes
    sha256: str
    extension: str
    width: int
    height: int
    crop: DocumentCrop


def _image_read(data: bytes) -> _ReadImage:
    try:
        upload = image_read_bytes(data)
    except ImageRejected as exc:
        raise ValidationError(f"Not an accepted image: {exc.reason}.") from exc
    image = analysis_image(upload.image, max_side=settings.KYC_ANALYSIS_MAX_SIDE)
    return _ReadImage(data=upload.stored_data, sha256=upload.sha256, extension=upload.extension, width=upload.width,
                      height=upload.height, crop=document_crop(image))


def _kind_validate(*, country: str, id_type: str, side: str) -> str:
    country = (country or "").strip().upper()
    validate_document_country(country)
    if id_type not in IdType.values:
        raise ValidationError(f"{id_type!r} is not an id type ({', '.join(IdType.values)}).")
    if side not in DocumentSide.values:
        raise ValidationError(f"{side!r} is not a side (front, back).")
    return country


def _registered_save(entry, *, image: _ReadImage) -> None:
    """Store the file, then the row; a failed row leaves no file behind."""
    entry.image.save(f"upload{image.extension}", ContentFile(image.data), save=False)
    try:
        with transaction.atomic():
            entry.save()
    except Exception:
        entry.image.delete(save=False)
        raise


def _registered_after(entry) -> dict:
    return {"id": entry.pk, "country": entry.country, "id_type": entry.id_type, "side": entry.side,
            "sha256": entry.sha256, "document_detected": entry.document_detected}


@transaction.atomic
def specimen_add(*, country: str, id_type: str, side: str = DocumentSide.FRONT, image: bytes, note: str = "",
                 actor: Actor) -> DocumentSpecimen:
    """Register a known sample/specimen image; its pHash and dHash are computed here.

    Raises ValidationError for an unreadable image or an unknown country/type/side. Writes the
    image to default storage and one audit row.
    """
    country = _kind_validate(country=country, id_type=id_type, side=side)
    read = _image_read(image)
    hashes = image_hashes(read.crop.rgb)
    specimen = DocumentSpecimen(
        country=country, id_type=id_type, side=side, note=note, created_by=actor.user, sha256=read.sha256,
        width=read.width, height=read.height, document_detected=read.crop.detected,
        phash=hash_to_signed(hashes.phash), dhash=hash_to_signed(hashes.dhash), block_hash=hashes.block,
        block_mask=hashes.block_mask,
    )
    _registered_save(specimen, image=read)
    audit_record(actor=actor, action="document_specimen_added", after=_registered_after(specimen))
    return specimen


@transaction.atomic
def specimen_delete(*, specimen: DocumentSpecimen, actor: Actor) -> None:
    """Remove a specimen and its image file (after commit, so a rollback keeps the file)."""
    before = _registered_after(specimen)
    name = specimen.image.name
    storage = specimen.image.storage
    specimen.delete()
    audit_record(actor=actor, action="document_specimen_deleted", before=before)
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def template_add(*, country: str, id_type: str, side: str = DocumentSide.FRONT, image: bytes, note: str = "",
                 actor: Actor) -> DocumentTemplate:
    """Register the layout of a genuine document; its ORB keypoints/descriptors are stored.

    The image should be a genuine document of the kind, flat and sharp (a scan or a straight
    photo); the holder does not matter. Raises ValidationError when the image is unreadable or
    shows too little print to match against.
    """
    country = _kind_validate(country=country, id_type=id_type, side=side)
    read = _image_read(image)
    features = features_extract(read.crop.rgb)
    if len(features.keypoints) < TEMPLATE_MIN_KEYPOINTS:
        raise ValidationError(
            f"Only {len(features.keypoints)} distinctive points found (at least {TEMPLATE_MIN_KEYPOINTS} "
            "needed): upload a sharper, well-lit image of the whole document."
        )
    template = DocumentTemplate(
        country=country, id_type=id_type, side=side, note=note, created_by=actor.user, sha256=read.sha256,
        width=read.width, height=read.height, document_detected=read.crop.detected,
        features=features.to_npz_bytes(), keypoint_count=len(features.keypoints),
    )
    _registered_save(template, image=read)
    audit_record(actor=actor, action="document_template_added",
                 after={**_registered_after(template), "keypoints": template.keypoint_count})
    return template


@transaction.atomic
def template_delete(*, template: DocumentTemplate, actor: Actor) -> None:
    before = _registered_after(template)
    name = template.image.name
    storage = template.image.storage
    template.delete()
    audit_record(actor=actor, action="document_template_deleted", before=before)
    transaction.on_commit(lambda: storage.delete(name))


# -- invalidated documents -------------------------------------------------------------------------


def _invalidated_build(*, country: str, number_or_prefix: str, reason: str, id_type: str = "",
                       source: str = "", actor: Actor) -> InvalidatedDocument:
    """An unsaved, validated entry. A trailing `*` makes it a series (prefix) entry."""
    country = (country or "").strip().upper()
    validate_document_country(country)
    raw = (number_or_prefix or "").strip()
    match = InvalidationMatch.EXACT
    if raw.endswith("*"):
        raw, match = raw[:-1], InvalidationMatch.PREFIX
    number = document_number_normalise(raw)
    if not number:
        raise ValidationError("The document number is empty (letters and digits are kept, the rest ignored).")
    if len(number) > 64:
        raise ValidationError("The document number is longer than 64 characters.")
    id_type = (id_type or "").strip()
    if id_type and id_type not in IdType.values:
        raise ValidationError(f"{id_type!r} is not an id type ({', '.join(IdType.values)}).")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A reason is required.")
    return InvalidatedDocument(country=country, id_type=id_type, number=number, number_key=document_number_key(number),
                               match=match, reason=reason[:255], source=source[:255], created_by=actor.user)


def _invalidated_after(entry: InvalidatedDocument) -> dict:
    return {"id": entry.pk, "country": entry.country, "id_type": entry.id_type, "number": entry.number,
            "match": entry.match, "reason": entry.reason, "source": entry.source}


@transaction.atomic
def invalidated_document_add(*, country: str, number_or_prefix: str, reason: str, id_type: str = "",
                             source: str = "", actor: Actor) -> InvalidatedDocument:
    """Add one invalidated number (or series: `AB12*`). Raises ValidationError, also for a duplicate."""
    entry = _invalidated_build(country=country, number_or_prefix=number_or_prefix, reason=reason,
                               id_type=id_type, source=source, actor=actor)
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise ValidationError(f"{entry} is already registered.") from exc
    audit_record(actor=actor, action="invalidated_document_added", after=_invalidated_after(entry))
    return entry


@transaction.atomic
def invalidated_document_delete(*, entry: InvalidatedDocument, actor: Actor) -> None:
    before = _invalidated_after(entry)
    entry.delete()
    audit_record(actor=actor, action="invalidated_document_deleted", before=before)


@dataclass
class CsvImportResult:
    created: int = 0
    duplicates: int = 0  # already registered, or repeated in the file
    errors: list[str] = field(default_factory=list)


CSV_COLUMNS = ("country", "number_or_prefix", "reason", "id_type")


def _csv_rows(content: str):
    reader = csv.reader(io.StringIO(content))
    for line_number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line_number == 1 and cells[0].lower() == "country":
            continue  # a header row
        yield line_number, cells


@transaction.atomic
def invalidated_documents_import_csv(*, content: bytes | str, source: str, actor: Actor) -> CsvImportResult:
    """Bulk-add invalidated numbers from CSV: `country,number_or_prefix,reason[,id_type]`.

    A header row (starting with `country`) and `#` comment lines are skipped; a trailing `*`
    on the number marks a series. All or nothing: when any row is invalid nothing is imported
    and `errors` names every bad line. Rows already registered are skipped and counted.
    """
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            return CsvImportResult(errors=["The file is not UTF-8 text."])
    result = CsvImportResult()
    entries: dict[tuple, InvalidatedDocument] = {}
    for line_number, cells in _csv_rows(content):
        if len(entries) + result.duplicates >= CSV_MAX_ROWS:
            result.errors.append(f"More than {CSV_MAX_ROWS} rows: split the file.")
            break
        if not 3 <= len(cells) <= 4:
            result.errors.append(f"Line {line_number}: expected {', '.join(CSV_COLUMNS[:3])}[, id_type], "
                                 f"got {len(cells)} columns.")
            continue
        try:
            entry = _invalidated_build(country=cells[0], number_or_prefix=cells[1], reason=cells[2],
                                       id_type=cells[3] if len(cells) == 4 else "", source=source, actor=actor)
        except ValidationError as exc:
            result.errors.append(f"Line {line_number}: {' '.join(exc.messages)}")
            continue
        key = (entry.country, entry.number_key, entry.match, entry.id_type)
        if key in entries:
            result.duplicates += 1
        else:
            entries[key] = entry
    if result.errors:
        return result
    keys = list(entries)
    existing = set()
    for start in range(0, len(keys), CSV_BATCH_SIZE):
        batch = keys[start:start + CSV_BATCH_SIZE]
        numbers = {key[1] for key in batch}
        existing |= set(InvalidatedDocument.objects.filter(number_key__in=numbers).values_list(
            "country", "number_key", "match", "id_type"))
    new = [entry for key, entry in entries.items() if key not in existing]
    result.duplicates += len(entries) - len(new)
    InvalidatedDocument.objects.bulk_create(new, batch_size=CSV_BATCH_SIZE)
    result.created = len(new)
    audit_record(actor=actor, action="invalidated_documents_imported",
                 after={"source": source, "created": result.created, "duplicates": result.duplicates,
                        "sha256": hashlib.sha256(content.encode()).hexdigest()})
    return result
