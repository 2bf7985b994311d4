"""Every row of the published code table is reproduced verbatim by the code enums.

The table is read from the repository's copy (`docs/spec/`), so the freeze runs in every clone;
where the vendor's shared spec sits beside the repository, the copy must equal it.
"""

import json
from pathlib import Path

import pytest

from reviews.codes import REJECT_CODE_DESCRIPTIONS, REJECT_CODES_REVIEWER, RejectCode
from submissions import codes

REPO = Path(__file__).resolve().parents[2]
SPEC_DIR = REPO / "docs" / "spec"
SPEC = SPEC_DIR / "codes.json"
SPEC_FILES = ("codes.json", "retry-error-reject-codes.txt")
FAMILIES = {
    ("step1", "retry"): (codes.Step1RetryCode, codes.STEP1_RETRY_DESCRIPTIONS),
    ("step1", "error"): (codes.Step1ErrorCode, codes.STEP1_ERROR_DESCRIPTIONS),
    ("step2", "retry"): (codes.Step2RetryCode, codes.STEP2_RETRY_DESCRIPTIONS),
    ("step2", "error"): (codes.Step2ErrorCode, codes.STEP2_ERROR_DESCRIPTIONS),
    ("review", "reject"): (RejectCode, REJECT_CODE_DESCRIPTIONS),
}


def spec_rows():
    return json.loads(SPEC.read_text())["codes"]


def shared_spec_dirs() -> list[Path]:
    """The vendor's spec folder wherever a checkout keeps it: beside the repository or one level up (worktrees)."""
    return [base / "shared" / "spec" for base in (REPO.parent, REPO.parent.parent) if (base / "shared" / "spec").is_dir()]


def test_the_code_table_is_in_the_repository():
    rows = spec_rows()
    assert len(rows) > 50 and {(r["step"], r["kind"]) for r in rows} == set(FAMILIES)


@pytest.mark.parametrize("name", SPEC_FILES)
def test_the_repository_copy_equals_the_shared_spec(name):
    shared = shared_spec_dirs()
    if not shared:
        pytest.skip("no shared spec beside this clone; the repository copy is the contract")
    assert (SPEC_DIR / name).read_bytes() == (shared[0] / name).read_bytes(), f"docs/spec/{name} differs from {shared[0]}"


def family_messages(family, code: str) -> set[str]:
    member = family(code)
    variants = codes.MESSAGE_VARIANTS.get((family, code), {})
    return {str(member.label), *variants.values()}


def test_every_spec_row_is_a_member_with_its_messages():
    for row in spec_rows():
        family, _ = FAMILIES[(row["step"], row["kind"])]
        assert row["code"] in family.values, f"{row['code']} missing from {family.__name__}"
        for message in row["messages"]:
            assert message in family_messages(family, row["code"]), (row["code"], message)


def test_every_member_has_a_description():
    for family, descriptions in FAMILIES.values():
        for member in family:
            assert descriptions.get(member), f"{family.__name__}.{member.name} has no description"


def test_members_beyond_the_table_are_the_documented_extensions():
    spec = {(r["step"], r["kind"], r["code"]) for r in spec_rows()}
    extra = {
        (family.__name__, member.value)
        for (step, kind), (family, _) in FAMILIES.items()
        for member in family
        if (step, kind, member.value) not in spec
    }
    assert extra == {("Step1ErrorCode", "unauthorized"), ("Step2ErrorCode", "invalid_input_format")}


def test_every_variant_message_is_in_the_table():
    table_messages = {m for r in spec_rows() for m in r["messages"]}
    for variants in codes.MESSAGE_VARIANTS.values():
        assert set(variants.values()) <= table_messages


def test_gating_follows_the_table_conditions():
    for row in spec_rows():
        if (row["step"], row["kind"]) != ("step1", "retry"):
            continue
        gate = codes.STEP1_RETRY_GATES[row["code"]]
        if row["condition"].startswith("always active"):
            assert gate is None
        elif "attack prevention" in row["condition"]:
            assert gate == "attack_prevention"
        else:
            assert gate == "id_card_validation"


def test_reviewer_codes_are_the_rows_marked_reviewer():
    reviewer = {r["code"] for r in spec_rows() if r["step"] == "review" and r["condition"] == "reviewer"}
    assert {code.value for code in REJECT_CODES_REVIEWER} == reviewer


@pytest.mark.parametrize(
    ("code", "variant", "params", "expected"),
    [
        (codes.Step1ErrorCode.REVIEWING, None, {"email": "a@b.co"}, "a@b.co's KYC is currently reviewing. Please wait."),
        (codes.Step1RetryCode.ID_LIVENESS_FAIL, None, {"#pipelines": "Screen replay"},
         "Liveness validation of Id image failed. Failed for: Screen replay"),
        (codes.Step1ErrorCode.INVALID_IDTYPE, "korea", {}, "ID Card issued from Korea cannot use universal id type."),
        (RejectCode.UNDER_AGE_LIMIT, None, {"age": 18}, "We do not accept KYC anyone under 18 years old."),
    ],
)
def test_code_message_fills_variants_and_placeholders(code, variant, params, expected):
    assert codes.code_message(code, variant, **params) == expected
