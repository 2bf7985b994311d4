"""Measure the Step 1 checks on the generator's corpus: detection and false-retry rates.

Each generated document carries its defects; `EXPECTED_CODES` says which answer each defect
must produce. A case is *detected* when its expected code is among the answers; a genuine
document is a *false retry* when it gets any retry or error at all. The runner that feeds
documents through the real pipeline lives in `manage.py kyc_eval` (it needs the database
for the registries); this module holds the expectations and the arithmetic.
"""

from collections import defaultdict
from dataclasses import dataclass, field

# defect -> the code(s) that catch it (any one of them counts as detected)
EXPECTED_CODES: dict[str, tuple[str, ...]] = {
    "wrong_check_digit": ("check_digit_failed",),
    "no_mrz": ("mrz_protocol_fail",),
    "no_barcode": ("barcode_protocol_fail",),
    "mismatched_back": ("invalid_back_document",),
    "back_country_mismatch": ("document_country_mismatch",),
    "back_name_mismatch": ("document_name_mismatch",),
    "back_dob_mismatch": ("document_dob_mismatch",),
    "expired": ("document_expired",),
    "expired_printed_only": ("expired_id",),
    "missing_field:expiry_date": ("missing_expiry_date",),
    "missing_field:issue_date": ("missing_issue_date",),
    "missing_field:birth_date": ("missing_birth_date",),
    "missing_field:document_number": ("missing_document_number",),
    "missing_field:personal_number": ("missing_personal_number",),
    "missing_field:name": ("missing_name",),
    "blurred": ("image_too_blurry",),
    "glare": ("glare_detected",),
    "grayscale": ("black_white_document",),
    "tilted": ("physical_document_missing",),
    "screen_moire": ("screen_detected",),
    "device_frame": ("recaptured_document",),
    "screenshot": ("recaptured_document",),
    "edited_metadata": ("image_edited",),
    "thumbnail_mismatch": ("image_edited",),
    "pasted_text": ("artificial_text", "text_forgery"),
    "replaced_portrait": ("image_forgery",),
    "copy_move": ("image_forgery",),
    "specimen": ("fake_id",),
    "not_a_document": ("not_an_id",),
    # Step 2 selfies (verification.evaluation_faces); "genuine" expects no retry at all
    "selfie:genuine": (),
    "selfie:no_face": ("no_face",),
    "selfie:two_faces": ("face_compare_fail",),
    "selfie:small_face": ("liveness_error",),
    "selfie:cropped_face": ("liveness_error",),
    "selfie:face_on_screen": ("liveness_fail",),
    "selfie:other_person": ("face_compare_underscore",),
}
# With the attack prevention option: the ID liveness pipeline each attack should fail.
EXPECTED_ID_LIVENESS: dict[str, str] = {
    "screen_moire": "Screen replay",
    "device_frame": "Screen replay",
    "grayscale": "Paper printed",
    "replaced_portrait": "Replace portraits",
}


@dataclass
class EvalRow:
    case: str  # "genuine" or a defect name
    expected: tuple[str, ...]
    total: int = 0
    hits: int = 0  # detected (defect) or clean (genuine)
    other_codes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.hits / self.total if self.total else 0.0


@dataclass
class Evaluation:
    rows: dict[str, EvalRow] = field(default_factory=dict)

    def record(self, *, defects: tuple[str, ...], codes: list[str], seconds: float) -> None:
        case = "+".join(defects) or "genuine"
        expected = tuple(code for d in defects for code in EXPECTED_CODES.get(d, ()))
        row = self.rows.setdefault(case, EvalRow(case=case, expected=expected))
        row.total += 1
        row.seconds += seconds
        if expected:
            row.hits += bool(set(expected) & set(codes))
        else:  # a genuine document or selfie: clean when nothing at all is answered
            row.hits += not codes
        for code in codes:
            if code not in expected:
                row.other_codes[code] += 1

    def table(self) -> str:
        lines = [
            "| case | expected code | n | detected (defect) / clean (genuine) | other answers | s/doc |",
            "|---|---|---|---|---|---|",
        ]
        for row in sorted(self.rows.values(), key=lambda r: (r.case != "genuine", r.case)):
            other = ", ".join(f"{code}×{n}" for code, n in sorted(row.other_codes.items())) or "—"
            lines.append(
                f"| {row.case} | {', '.join(row.expected) or '(none: no retry)'} | {row.total} | "
                f"{row.hits}/{row.total} ({row.rate:.0%}) | {other} | {row.seconds / max(row.total, 1):.2f} |"
            )
        return "\n".join(lines)
