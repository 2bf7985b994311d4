"""Defect names, which document kinds each applies to, and which cannot be combined."""

from itertools import combinations

from .identity import KINDS

MISSING_FIELDS = ("expiry_date", "document_number", "birth_date", "issue_date", "name", "personal_number")
CAPTURE_MODES = ("grayscale", "screen_moire", "device_frame", "screenshot")

DEFECTS: tuple[str, ...] = (
    "wrong_check_digit",
    "no_mrz",
    "no_barcode",
    "mismatched_back",
    "back_country_mismatch",
    "back_name_mismatch",
    "back_dob_mismatch",
    "expired",
    "expired_printed_only",
    *(f"missing_field:{name}" for name in MISSING_FIELDS),
    "blurred",
    "glare",
    "grayscale",
    "tilted",
    "screen_moire",
    "device_frame",
    "screenshot",
    "edited_metadata",
    "thumbnail_mismatch",
    "pasted_text",
    "replaced_portrait",
    "copy_move",
    "specimen",
    "not_a_document",
)

_WITH_MRZ = frozenset({"passport", "id_card"})
_WITH_BACK = frozenset({"id_card", "drivers_license"})
APPLIES_TO: dict[str, frozenset[str]] = {
    "wrong_check_digit": _WITH_MRZ,
    "no_mrz": _WITH_MRZ,
    "no_barcode": frozenset({"drivers_license"}),
    "mismatched_back": _WITH_BACK,
    "back_country_mismatch": _WITH_BACK,
    "back_name_mismatch": _WITH_BACK,
    "back_dob_mismatch": _WITH_BACK,
    "missing_field:personal_number": _WITH_MRZ,  # licences print no personal number
}

_BACK_REPLACED = ("mismatched_back", "back_country_mismatch", "back_name_mismatch", "back_dob_mismatch",
                  "no_barcode", "no_mrz", "expired_printed_only")
CONFLICTS: frozenset[frozenset[str]] = frozenset(
    {frozenset(pair) for pair in combinations(CAPTURE_MODES, 2)}
    | {frozenset(("screenshot", other)) for other in ("blurred", "glare", "tilted", "edited_metadata",
                                                      "thumbnail_mismatch")}
    | {frozenset(("mismatched_back", other)) for other in _BACK_REPLACED if other != "mismatched_back"}
    | {frozenset(pair) for pair in (("wrong_check_digit", "no_mrz"), ("wrong_check_digit", "expired_printed_only"),
                                    ("expired", "expired_printed_only"))}
)


def defect_applies(defect: str, kind: str) -> bool:
    return kind in APPLIES_TO.get(defect, KINDS)


def defects_check(kind: str, defects) -> tuple[str, ...]:
    """Validate a defect list for `kind`; returns it as a tuple without duplicates (order kept).

    Raises ValueError on an unknown kind or defect, a defect that does not apply to the kind, or a
    combination that cannot be rendered (two capture modes, a screenshot with camera effects ...).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")
    if isinstance(defects, str):
        defects = (defects,)
    chosen = tuple(dict.fromkeys(defects))
    for defect in chosen:
        if defect not in DEFECTS:
            raise ValueError(f"unknown defect {defect!r}; see verification.generator.DEFECTS")
        if not defect_applies(defect, kind):
            raise ValueError(f"defect {defect!r} does not apply to a {kind}")
    if "not_a_document" in chosen and len(chosen) > 1:
        raise ValueError("not_a_document cannot be combined with other defects")
    for a, b in combinations(chosen, 2):
        if frozenset((a, b)) in CONFLICTS:
            raise ValueError(f"defects {a!r} and {b!r} cannot be combined")
    return chosen


def defects_compatible(kind: str, defects) -> bool:
    try:
        defects_check(kind, defects)
    except ValueError:
        return False
    return True
