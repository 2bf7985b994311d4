"""`make eval` and `make bench` run the real checks: smoke tests on a tiny corpus."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from submissions.models import Project, Submission

pytestmark = [pytest.mark.django_db, pytest.mark.image_checks]


def test_eval_measures_a_defect_and_writes_only_its_sections(tmp_path):
    doc = tmp_path / "checks.md"
    doc.write_text("intro\n<!-- thresholds:begin -->\nold\n<!-- thresholds:end -->\nmiddle\n"
                   "<!-- eval:begin -->\nold\n<!-- eval:end -->\nend\n")
    out = StringIO()
    call_command("kyc_eval", "--count", "1", "--kinds", "passport", "--defects", "glare", "--write", str(doc),
                 stdout=out)
    table = out.getvalue()
    assert "| genuine | (none: no retry) | 1 | 1/1 (100%)" in table
    assert "| glare | glare_detected | 1 | 1/1 (100%)" in table
    text = doc.read_text()
    assert text.startswith("intro\n<!-- thresholds:begin -->\n| threshold |") and "\nold\n" not in text
    assert "`quality.glare.min_score` | 70 |" in text and "middle\n" in text and text.endswith("end\n")
    # everything the evaluation wrote to the database was rolled back
    assert not Project.objects.exists() and not Submission.objects.exists()


def test_eval_write_refuses_a_file_without_its_markers(tmp_path):
    doc = tmp_path / "checks.md"
    doc.write_text("no markers\n")
    with pytest.raises(ValueError, match="eval:begin"):
        call_command("kyc_eval", "--count", "1", "--kinds", "passport", "--defects", "glare", "--write", str(doc),
                     stdout=StringIO())
    assert doc.read_text() == "no markers\n"


def test_bench_reports_step1_against_its_parts(tmp_path):
    out_file = tmp_path / "benchmarks.md"
    # The memory section serves ~200 requests in a fresh worker; it is left out here.
    call_command("kyc_bench", "--repeat", "1", "--face-sizes", "2000,30000", "--queue-sizes", "200,1000",
                 "--no-memory", "--write", str(out_file),
                 stdout=StringIO())
    text = out_file.read_text()
    assert "| **irreducible parts** |" in text
    for label in ("default options", "ID card validation on", "ID validation + attack prevention"):
        assert f"| {label} | " in text
    # the generated licence is genuine: Step 1 leaves it incomplete with no retry
    assert "| incomplete |" in text and "retry:" not in text
    assert not Project.objects.exists() and not Submission.objects.exists()
    # Step 2 with a selfie of the passport's holder: every face check passes, the submission goes pending
    assert "## Step 2: selfie against its irreducible parts" in text and "| pending |" in text
    # the face-duplicate search: exact while small, IVF past 20,000 faces, both finding every match
    assert "| 2,000 | exact |" in text and "| 30,000 | ivf |" in text
    assert text.count("| 1.0000 (300 queries) |") == 2
    # encryption's share of Step 1 and Step 2, measured inside those requests: a data key is made and used
    section = text[text.index("## Encryption at rest: its cost"):]
    step1_row = next(line for line in section.splitlines() if line.startswith("| Step 1, default options |"))
    assert float(step1_row.split("|")[3]) > 0 and "| Step 2 |" in section
    assert "| review queue page at 1,000 submissions |" in section


def test_bench_only_step1_prints_that_section_and_refuses_to_write(tmp_path):
    out = StringIO()
    call_command("kyc_bench", "--repeat", "1", "--only", "step1", stdout=out)
    text = out.getvalue()
    assert text.startswith("## Step 1: two-image ID against its irreducible parts")
    assert "| ID validation + attack prevention | " in text and "## Step 2" not in text
    assert not Project.objects.exists() and not Submission.objects.exists()
    with pytest.raises(CommandError, match="--only"):
        call_command("kyc_bench", "--only", "step1", "--write", str(tmp_path / "benchmarks.md"), stdout=StringIO())
    assert not (tmp_path / "benchmarks.md").exists()


def test_eval_measures_the_step2_selfie_cases_through_http():
    out = StringIO()
    call_command("kyc_eval", "--count", "1", "--kinds", "passport", "--defects", "glare", "--step2", stdout=out)
    table = out.getvalue()
    assert "| selfie:genuine | (none: no retry) | 1 | 1/1 (100%) | — |" in table
    for case, code in (("no_face", "no_face"), ("two_faces", "face_compare_fail"), ("small_face", "liveness_error"),
                       ("face_on_screen", "liveness_fail")):
        assert f"| selfie:{case} | {code} | 1 | 1/1 (100%)" in table
    assert not Project.objects.exists() and not Submission.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_scale_benchmark_renders_queue_and_list_pages_and_leaves_nothing_behind():
    from django.db import connection

    from submissions.management.commands._bench_scale import (
        bench_at_scale,
        data_list_markdown,
        review_queue_markdown,
    )
    from submissions.models import Submission

    if connection.vendor != "postgresql":
        pytest.skip("the queue benchmark seeds with PostgreSQL's generate_series")
    result = bench_at_scale(sizes=(60, 300), repeat=1)
    rows = result["queue"]
    assert [row["size"] for row in rows] == [60, 300]
    assert all(row["queue_queries"] <= 10 and row["stock_queries"] >= 3 for row in rows)
    text = review_queue_markdown(rows, 1)
    assert "| 300 |" in text and "Targets met:" in text
    assert [row["size"] for row in result["list"]] == [60, 300] and all(r["queries"] <= 8 for r in result["list"])
    assert "| 300 |" in data_list_markdown(result["list"], 1)
    assert not Submission.objects.exists()  # rolled back
