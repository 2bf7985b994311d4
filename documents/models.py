"""Registries the Step 1 document checks look documents up in, maintained by operators.

- `DocumentSpecimen`: published sample/specimen images (`fake_id`), stored with the perceptual
  hashes of their rectified document.
- `DocumentTemplate`: a genuine document's layout per issuing country, id type and side
  (`feature_verification_failed`), stored with its ORB keypoints and descriptors.
- `InvalidatedDocument`: document numbers and number series that are no longer valid
  (`invalid_id`).

Rows are written by `documents.services` only (hashes and features are derived from the image
there, never typed in); the admin calls those services.
"""

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from submissions.choices import IdType
from submissions.countries import country_is_valid

from .choices import DocumentSide, InvalidationMatch

# ICAO 9303 example issuers: specimens and test documents use them, pycountry does not know them.
ICAO_EXAMPLE_COUNTRIES = frozenset({"UTO", "UTA"})


def validate_document_country(value: str) -> None:
    if not (value in ICAO_EXAMPLE_COUNTRIES or country_is_valid(value)):
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-3 country code (e.g. FRA, KOR).")


def _image_path(folder: str, instance, filename: str) -> str:
    extension = PurePosixPath(filename).suffix.lower() or ".jpg"
    return f"documents/{folder}/{instance.country}-{instance.id_type}-{instance.side}-{secrets.token_hex(8)}{extension}"


def specimen_image_path(instance: "DocumentSpecimen", filename: str) -> str:
    return _image_path("specimens", instance, filename)


def template_image_path(instance: "DocumentTemplate", filename: str) -> str:
    return _image_path("templates", instance, filename)


class RegisteredImage(models.Model):
    """What specimens and templates share: the document kind, the stored image, who added it."""

    country = models.CharField(max_length=3, validators=[validate_document_country],
                               help_text="Issuing country, ISO 3166-1 alpha-3.")
    id_type = models.CharField(max_length=20, choices=IdType.choices)
    side = models.CharField(max_length=5, choices=DocumentSide.choices, default=DocumentSide.FRONT)
    sha256 = models.CharField(max_length=64, editable=False)
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    document_detected = models.BooleanField(
        editable=False, help_text="A document outline was found and rectified; otherwise the whole image is used."
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.country} {self.get_id_type_display()} ({self.get_side_display().lower()}) #{self.pk}"


class DocumentSpecimen(RegisteredImage):
    """A known sample or specimen image: a submission that is a capture of it answers fake_id."""

    image = models.FileField(upload_to=specimen_image_path, max_length=255)
    # Unsigned 64-bit hashes stored with the same bits in a signed column (verification.registry).
    phash = models.BigIntegerField(editable=False)
    dhash = models.BigIntegerField(editable=False)
    block_hash = models.BinaryField(max_length=32, editable=False, help_text="16x16 block hash, 256 bits.")
    block_mask = models.BinaryField(max_length=32, editable=False, help_text="Cells not clipped by glare.")

    class Meta:
        ordering = ["country", "id_type", "side", "-created_at"]
        indexes = [models.Index(fields=["side", "id"], name="specimen_side")]


class DocumentTemplate(RegisteredImage):
    """A genuine document's layout: documents of its country, id type and side must match it."""

    image = models.FileField(upload_to=template_image_path, max_length=255)
    features = models.BinaryField(editable=False, help_text="ORB keypoints and descriptors (numpy .npz).")
    keypoint_count = models.PositiveIntegerField(editable=False)

    class Meta:
        ordering = ["country", "id_type", "side", "-created_at"]
        indexes = [models.Index(fields=["country", "id_type", "side"], name="template_kind")]


def document_number_normalise(value: str) -> str:
    """Upper case, letters and digits only: "ab 12-345" and "AB12345" are one number."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


# OCR (and people) confuse these in document numbers; OCR-B's O and 0 are nearly the same glyph.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1"})


def document_number_key(value: str) -> str:
    """The lookup key of a number: normalised, look-alike letters folded onto digits."""
    return document_number_normalise(value).translate(_LOOKALIKES)


class InvalidatedDocument(models.Model):
    """A document number (or a series of them, by prefix) that is no longer valid: invalid_id."""

    country = models.CharField(max_length=3, validators=[validate_document_country],
                               help_text="Issuing country, ISO 3166-1 alpha-3.")
    id_type = models.CharField(max_length=20, choices=IdType.choices, blank=True,
                               help_text="Empty: every document type of the country.")
    number = models.CharField(max_length=64, help_text="Normalised: upper case, letters and digits only.")
    # What lookups compare: `number` with O/I folded onto 0/1, so an OCR misread still matches.
    number_key = models.CharField(max_length=64, editable=False)
    match = models.CharField(max_length=6, choices=InvalidationMatch.choices, default=InvalidationMatch.EXACT)
    reason = models.CharField(max_length=255)
    source = models.CharField(max_length=255, blank=True, help_text="Where the entry came from (list, file).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["country", "number"]
        constraints = [
            models.UniqueConstraint(fields=["country", "number_key", "match", "id_type"], name="invalidated_unique"),
        ]
        # The lookup is `country = ? AND number_key IN (the key and its prefixes)`: one index probe each.
        indexes = [models.Index(fields=["country", "number_key"], name="invalidated_lookup")]

    def __str__(self) -> str:
        star = "*" if self.match == InvalidationMatch.PREFIX else ""
        return f"{self.country} {self.number}{star}"
