"""What a viewer without the personal-data right (an auditor) sees of a value: one policy, by what
the value is, wherever it is shown (data rows, nested MRZ / barcode / OCR blocks, decisions' edits,
audited values, evidence).

A value is known by the key it is stored under, at any depth: `document_number` is a document
number whether it is a column, a key of `extracted_data` or a key of the MRZ block inside it.

- Personal numbers (document, personal, identity, tax, account numbers) are shown as bullets and
  their last two characters: enough to tell two apart, not enough to use one.
- Raw reads (MRZ lines, OCR text, barcode payloads, the O/0 reconciliation of a number) hold the
  numbers and everything else in one string: they are withheld whole.

Anything below a masked key is masked the same way (a printed field's read of the document number
is a dict of texts and boxes). Booleans and empty values are kept: the MRZ's check-digit results
are keyed by field name and say nothing of the value. Pure functions, no Django imports: every app
may use it without an import cycle.
"""

from collections.abc import Mapping

# Keys whose value is a personal number.
MASK_NUMBER_KEYS = frozenset({
    "document_number", "personal_number", "identity_number", "national_id", "ssn", "tax_id",
    "optional_data", "optional_data_2", "account_number", "license_number", "serial_number",
})
# Keys whose value is a raw read of the document, numbers and all.
MASK_RAW_KEYS = frozenset({
    "lines", "raw", "text", "raw_text", "ocr_text", "mrz_lines", "payload", "barcode_text", "reconciled",
})
MASK_WITHHELD = "••• (withheld)"


def mask_number(value) -> str:
    """A personal number as bullets and its last two characters ("•••••••67"); short ones all bullets."""
    text = "" if value is None else str(value)
    return "•" * max(len(text) - 2, 3) + text[-2:] if len(text) > 4 else "•••"


def _mask_scalars(value, mask):
    if isinstance(value, Mapping):
        return {key: _mask_scalars(item, mask) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_scalars(item, mask) for item in value]
    if value is None or value == "" or isinstance(value, bool):
        return value
    return mask(value)


def mask_personal(value, *, key: str | None = None):
    """`value` (stored under `key`, if any) as a viewer without the personal-data right sees it.

    Dicts and lists are walked; a new structure is returned and `value` is left as it was.
    """
    if key in MASK_RAW_KEYS:
        return _mask_scalars(value, lambda _: MASK_WITHHELD)
    if key in MASK_NUMBER_KEYS:
        return _mask_scalars(value, mask_number)
    if isinstance(value, Mapping):
        return {item_key: mask_personal(item, key=item_key) for item_key, item in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal(item) for item in value]
    return value
